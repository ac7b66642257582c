//! The one error type of `kiln-data`: every variant says which file, line or key went wrong and
//! what to do about it, because the message is what a user sees.

use std::path::PathBuf;

use crate::disguise::{Disguise, Remedy};
use crate::format::Separator;

/// Where a missing cell is, which decides what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingAdvice {
    /// A feature cell of the training file.
    TrainingFeature,
    /// A target cell of the training file.
    TrainingTarget,
    /// A feature cell of rows a trained model scores or predicts.
    ModelInput,
    /// A target cell of rows that `kiln eval` scores.
    EvalTarget,
}

impl std::fmt::Display for MissingAdvice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TrainingFeature => {
                "fill it in, or train with data.missing = \"impute\" (median or most frequent \
                 value of the training rows) or \"drop\" (skip such rows)"
            }
            Self::TrainingTarget => {
                "fill it in, or train with data.missing = \"drop\" (a row without its target is \
                 skipped; \"impute\" never fills targets)"
            }
            Self::ModelInput => {
                "fill it in, or train with data.missing = \"impute\" (the model then fills \
                 missing cells with the training rows' median or most frequent value; \
                 \"drop\" skips rows of the training file only: validation and test files, \
                 and rows to predict or score, are taken whole)"
            }
            Self::EvalTarget => {
                "fill it in or remove the row: each row is scored against its target"
            }
        })
    }
}

/// What went wrong while reading or preparing a table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}{}", relative_hint(path, source))]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file has no line at all.
    #[error("{path} is empty: expected {expected}")]
    Empty {
        /// The file.
        path: PathBuf,
        /// What the file should hold.
        expected: &'static str,
    },
    /// The file has a header but no data rows.
    #[error("no rows in {path}: it has a header line but no data")]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// The header is malformed: an empty or repeated column name.
    #[error("{path}, line 1: {reason}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The first line shows the file is separated otherwise than it is read.
    #[error(
        "{path}, line 1: {first_line}: the file looks separated by {} rather than {}; {}",
        found.name(),
        expected.name(),
        role.fix(*found, *expected)
    )]
    WrongSeparator {
        /// The file.
        path: PathBuf,
        /// What the first line is (``the first line is one column named `a;b` ``).
        first_line: String,
        /// The separator the line shows.
        found: Separator,
        /// The separator the file was read with.
        expected: Separator,
        /// What the file is to the command that read it, which decides the fix.
        role: FileRole,
    },
    /// A row has a different number of cells from the header (or from `data.columns`).
    #[error("{path}, line {line}: expected {expected}, found {found}{hint}")]
    Ragged {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Cells in the header, and what says so (`3 cells as in the header`).
        expected: String,
        /// Cells in this row.
        found: usize,
        /// The likeliest cause and its fix, after a `; `.
        hint: String,
    },
    /// A low-level CSV fault (bad UTF-8, say).
    #[error("{path}, line {line}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What the CSV reader said.
        reason: String,
    },
    /// A named column is not in the file.
    #[error("{path}: no column `{column}` (named by {key}){suggestion}; the columns are: {found}")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The config key that asked for it.
        key: String,
        /// ", did you mean `x`?" or nothing.
        suggestion: String,
        /// The columns the file has, comma separated.
        found: String,
    },
    /// Rows given to a trained model lack columns it reads.
    #[error(
        "{path} lacks {missing}, which the model reads; it reads {needed} (matched by name, \
         in any order; other columns are ignored)"
    )]
    MissingModelColumns {
        /// The file.
        path: PathBuf,
        /// The missing columns, comma separated, each in backticks.
        missing: String,
        /// Every column the model reads, comma separated, each in backticks.
        needed: String,
    },
    /// A cell in a numeric column is not a number.
    #[error(
        "{path}, line {line}, column `{column}`: `{value}` is not a number (the column is numeric); \
         {fix}"
    )]
    NotANumber {
        /// What to do about it.
        fix: String,
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// A column kiln would read as categories holds numbers or dates in a form it does not
    /// read as such (see [`Disguise`]).
    #[error("{path}, line {line}: column `{column}` {disguise}; {remedy}")]
    Disguised {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first cell that shows it.
        line: u64,
        /// Column name.
        column: String,
        /// What the column holds.
        disguise: Box<Disguise>,
        /// What else it can be read as.
        remedy: Remedy,
    },
    /// A cell holds `NaN` or an infinity.
    #[error("{path}, line {line}, column `{column}`: `{value}` is not a finite number; {fix}")]
    NotFinite {
        /// What to do about it.
        fix: String,
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// A cell holds a number beyond the 32-bit floats kiln computes in (`1e39`): finite as
    /// written, it would become an infinity in training or prediction.
    #[error(
        "{path}, line {line}, column `{column}`: `{value}` is outside the range kiln computes in \
         (32-bit floats, about ±3.4e38); rescale the column (in smaller units, say), or list \
         `{value}` in data.na_values to mark it missing"
    )]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// A missing cell where the policy is `missing = "error"`.
    #[error("{path}, line {line}, column `{column}`: the cell is missing; {advice}")]
    MissingCell {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: String,
        /// What to do, which depends on where the cell is.
        advice: MissingAdvice,
    },
    /// The target column holds text where numbers are needed.
    #[error(
        "{path}: the target `{column}` must be numeric for {task}, but line {line} holds \
         `{value}`; {}if it holds class labels, use kind = \"logistic\" (two classes), \
         \"softmax\" or \"mlp\"",
        if *marker {
            format!(
                "if `{value}` marks a missing value, list it in data.na_values and set \
                 data.missing = \"drop\" (a row without its target is skipped); "
            )
        } else {
            String::new()
        }
    )]
    TextTarget {
        /// Whether the cell is a common missing-value marker (`NA`).
        marker: bool,
        /// The file.
        path: PathBuf,
        /// Target column.
        column: String,
        /// The task that needs numbers.
        task: String,
        /// 1-based line number.
        line: u64,
        /// The cell's text.
        value: String,
    },
    /// The target has the wrong number of classes for the task.
    #[error("{path}: the target `{column}` {reason}")]
    Classes {
        /// The file.
        path: PathBuf,
        /// Target column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// A value of the `[data]` section is out of range.
    #[error("data.{key}: {reason}")]
    InvalidConfig {
        /// The key under `[data]`.
        key: String,
        /// What was expected.
        reason: String,
    },
    /// A feature column has no value in the rows a model is fitted on: nothing to learn, and
    /// nothing to fill its missing cells with.
    #[error(
        "{path}: column `{column}` has no values in the training rows (every cell is missing); \
         drop it (data.drop = [\"{column}\"]) or fill it in"
    )]
    NoValues {
        /// The file.
        path: PathBuf,
        /// Column name.
        column: String,
    },
    /// A category column with so many levels that one-hot encoding would make an input each:
    /// most often an identifier, and memory runs out before a useful model comes of it.
    #[error(
        "{path}: column `{column}` has {levels} distinct values in the training rows, and \
         one-hot encoding makes an input of each (an identifier column?); drop it \
         (data.drop = [\"{column}\"]) or pool the rare values with data.max_categories \
         (e.g. 50; any value you set is used as given), with data.unknown = \"other\" to pool \
         values the training rows lack too"
    )]
    TooManyLevels {
        /// The file.
        path: PathBuf,
        /// Column name.
        column: String,
        /// Distinct values in the training rows.
        levels: usize,
    },
    /// Two model inputs would have one name: a column is named like an input kiln makes.
    #[error(
        "{path}: two model inputs would be named `{name}`: a column has the name kiln gives a \
         missing-value indicator (`<column>_missing`) or a category level (`<column>=<level>`); \
         rename that column"
    )]
    DuplicateInput {
        /// The file.
        path: PathBuf,
        /// The name made twice.
        name: String,
    },
    /// A split came out with no rows.
    #[error("the {split} split is empty: {reason}")]
    EmptySplit {
        /// Which split.
        split: String,
        /// Why, and what to do.
        reason: String,
    },
    /// Rows given for prediction contain a category never seen in training.
    #[error(
        "{path}, line {line}, column `{column}`: category `{value}` was not seen in training \
         (known: {known}); use one of those, or train with data.unknown = \"ignore\" to encode \
         unseen categories as all zeros{}",
        match pooled {
            Some(other) => format!(
                ", or \"other\" to count them with the rare levels pooled into `{other}`"
            ),
            None => String::new(),
        }
    )]
    UnknownCategory {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: String,
        /// The unseen value.
        value: String,
        /// The categories seen in training (the pooled input aside).
        known: String,
        /// The pooled input's name, when `max_categories` pooled rare levels.
        pooled: Option<Box<str>>,
    },
}

/// For a relative path that is not there: where it was looked for. Paths in an experiment file
/// are read from the directory kiln runs in, not the file's own, which surprises whoever runs
/// `kiln train <run>/config.toml` from elsewhere.
fn relative_hint(path: &std::path::Path, source: &std::io::Error) -> String {
    if path.is_absolute() || source.kind() != std::io::ErrorKind::NotFound {
        return String::new();
    }
    match std::env::current_dir() {
        Ok(dir) => format!(
            " (a relative path is read from the directory kiln runs in, {}; run kiln from the \
             directory the paths are relative to, or make them absolute)",
            dir.display()
        ),
        Err(_) => String::new(),
    }
}

/// A cell's text as an error message quotes it: whole up to 100 characters, else their first
/// 100 and the length, so that a runaway cell (a lost quote, a pasted document) cannot flood
/// the terminal.
pub(crate) fn echoed(text: &str) -> String {
    const MOST: usize = 100;
    match text.char_indices().nth(MOST) {
        Some((end, _)) => format!(
            "{}… ({} characters in all)",
            &text[..end],
            text.chars().count()
        ),
        None => text.to_string(),
    }
}

/// What a data file is to the command that reads it: where its separator is set, and so how to
/// read one written with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// The training file of an experiment (`data.path`).
    Training,
    /// A validation or test file of an experiment, read as its training file is.
    WithTraining,
    /// Rows `kiln predict` or `kiln eval` apply a model to.
    ModelRows,
    /// A file of kiln's own kind (`split.test_rows`), always comma-separated.
    Commas,
}

impl FileRole {
    /// The fix for a file of this role separated by `found` while read with `expected`.
    fn fix(self, found: Separator, expected: Separator) -> String {
        match self {
            Self::Training => format!(
                "tell kiln with data.separator = {} in the experiment file",
                found.toml()
            ),
            Self::WithTraining => format!(
                "every data file of an experiment is read with data.separator, as the training \
                 file is: save this one with {} between cells too",
                expected.name()
            ),
            Self::ModelRows => format!("tell kiln with --separator {}", found.flag()),
            Self::Commas => "kiln reads this file with commas, whatever data.separator says: \
                             save it with commas (a run's splits.csv is one)"
                .to_string(),
        }
    }
}

impl DataError {
    /// The error, with a wrong separator's fix made for a file of `role` (a table is read as
    /// a training file unless told).
    pub fn for_file(self, role: FileRole) -> Self {
        match self {
            Self::WrongSeparator {
                path,
                first_line,
                found,
                expected,
                ..
            } => Self::WrongSeparator {
                path,
                first_line,
                found,
                expected,
                role,
            },
            other => other,
        }
    }
}
