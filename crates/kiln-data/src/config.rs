//! The `[data]` section of an experiment file: what to read, which columns play which part, and
//! how to clean, encode, scale and split them. Every optional key has a default a user would
//! expect, and unknown keys are rejected so that a typo never passes silently.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::format::{CsvFormat, Decimal, Separator};
use crate::table::Header;

/// The `[data]` section as written in the experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The CSV file, relative to the directory `kiln` runs in.
    pub path: PathBuf,
    /// The column to predict.
    pub target: String,
    /// Feature columns, each once; by default every column but the target and `drop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Columns to ignore: neither the target nor one of `features`, which would win over it.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Numeric columns whose values are category codes, to be one-hot encoded.
    #[serde(default)]
    pub categorical: Vec<String>,
    /// Feature scaling, fitted on the training rows only.
    #[serde(default)]
    pub scale: Scale,
    /// What to do with missing cells.
    #[serde(default)]
    pub missing: MissingPolicy,
    /// With `missing = "impute"`: add a 0/1 column per numeric feature that had missing cells.
    #[serde(default)]
    pub missing_indicator: bool,
    /// Cell texts that mean "missing", besides the empty cell (e.g. `["NA", "?"]`).
    #[serde(default)]
    pub na_values: Vec<String>,
    /// Keep at most this many categories per text column (the most frequent); the rest become
    /// `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_categories: Option<usize>,
    /// What `predict` does with a category never seen in training.
    #[serde(default)]
    pub unknown: UnknownPolicy,
    /// How rows are split into train, valid and test.
    #[serde(default)]
    pub split: SplitConfig,
    /// A CSV file of validation rows (same columns), instead of `split.valid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_path: Option<PathBuf>,
    /// A CSV file of test rows (same columns), instead of `split.test` or `split.test_rows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_path: Option<PathBuf>,
    /// k-fold cross-validation over the training rows (0: off); the mean and standard deviation
    /// of every metric go to `metrics.json` under `cv`, then the model trains on all of them.
    #[serde(default)]
    pub kfold: usize,
    /// Binary classification: the label of the positive class, the one precision, recall, f1
    /// and pr_auc score and a threshold applies to (by default the second label in sort order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive: Option<String>,
    /// What separates the cells of every data file of the experiment.
    #[serde(default)]
    pub separator: Separator,
    /// The decimal mark of every data file's numbers.
    #[serde(default)]
    pub decimal: Decimal,
    /// The names of the columns, in order, of data files that have no header line (many data
    /// sets are published so: UCI's `iris.data`, `processed.cleveland.data`). Unset: the first
    /// line of each file names its columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

/// Feature scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Leave the features as they are.
    #[default]
    None,
    /// Subtract the mean, divide by the standard deviation.
    Standard,
    /// Map the training range onto [0, 1].
    Minmax,
}

/// What to do with a missing cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Stop with an error naming the cell.
    #[default]
    Error,
    /// Skip rows with a missing feature or target.
    Drop,
    /// Fill features with the training rows' median (numbers) or most frequent value (text);
    /// rows with a missing target are skipped.
    Impute,
}

/// What `predict` does with a category never seen in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownPolicy {
    /// Stop with an error naming the cell.
    #[default]
    Error,
    /// Encode it as all zeros.
    Ignore,
    /// Count it with the rare levels that `max_categories` pooled into `other` (scikit-learn's
    /// `infrequent_if_exist`); as `ignore` where nothing was pooled.
    Other,
}

/// How rows are split into train, valid and test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    /// Share of rows for validation, in [0, 1).
    #[serde(default)]
    pub valid: f64,
    /// Share of rows for the test, in [0, 1).
    #[serde(default)]
    pub test: f64,
    /// Keep class proportions in every split (classification only).
    #[serde(default = "default_true")]
    pub stratify: bool,
    /// The shuffle seed; by default the experiment's seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// A CSV file with a `row_index` column: the 0-based data rows that form the test split
    /// (for comparing with a reference on the very same rows). Overrides `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_rows: Option<PathBuf>,
}

fn default_true() -> bool {
    true
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            valid: 0.0,
            test: 0.0,
            stratify: true,
            seed: None,
            test_rows: None,
        }
    }
}

impl DataConfig {
    /// The format every data file of the experiment is read in.
    pub fn format(&self) -> CsvFormat {
        CsvFormat {
            separator: self.separator,
            decimal: self.decimal,
        }
    }

    /// Where the column names of the experiment's data files come from: `columns`, else each
    /// file's first line.
    pub fn header(&self) -> Header<'_> {
        match &self.columns {
            Some(names) => Header::Named {
                names,
                optional: None,
                trained: false,
            },
            None => Header::Line,
        }
    }

    /// Whether column `name` is read at all: the target and the features (every column not in
    /// `drop` when `features` is not given). The rest is skipped while reading.
    pub fn reads_column(&self, name: &str) -> bool {
        if let Some(columns) = &self.columns
            && !columns.iter().any(|c| c == name)
        {
            return false; // A column a header line adds to those data.columns names.
        }
        name == self.target
            || match &self.features {
                Some(features) => features.iter().any(|f| f == name),
                None => !self.drop.iter().any(|d| d == name),
            }
    }

    /// Checks `data.columns`: names that can be asked for, once each, and every column another
    /// key names among them.
    fn validate_columns(&self, columns: &[String]) -> Result<(), DataError> {
        let bad = |key: &str, reason: String| {
            Err(DataError::InvalidConfig {
                key: key.to_string(),
                reason,
            })
        };
        if columns.is_empty() {
            return bad(
                "columns",
                "is empty: name every column of the files, in order, or leave data.columns out \
                 when the files have a header line"
                    .into(),
            );
        }
        if let Some(i) = columns.iter().position(|c| c.trim().is_empty()) {
            return bad(
                "columns",
                format!("name {} is blank: give every column a name", i + 1),
            );
        }
        if let Some(i) = columns.iter().position(|c| c.trim() != c) {
            return bad(
                "columns",
                format!(
                    "name {} ({:?}) starts or ends with spaces: write it without them",
                    i + 1,
                    columns[i]
                ),
            );
        }
        for (i, name) in columns.iter().enumerate() {
            if let Some(j) = columns[..i].iter().position(|c| c == name) {
                return bad(
                    "columns",
                    format!(
                        "names {} and {} are both `{name}`: rename one",
                        j + 1,
                        i + 1
                    ),
                );
            }
        }
        let named = [
            ("target", std::slice::from_ref(&self.target)),
            ("features", self.features.as_deref().unwrap_or_default()),
            ("drop", &self.drop),
            ("categorical", &self.categorical),
        ];
        for (key, asked) in named {
            if let Some(name) = asked.iter().find(|a| !columns.contains(a)) {
                return bad(
                    key,
                    format!(
                        "names `{name}`, which data.columns does not{}",
                        crate::suggest::did_you_mean(name, columns.iter().map(String::as_str))
                    ),
                );
            }
        }
        Ok(())
    }

    /// Checks every value that serde cannot: ranges and cross-key rules.
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |key: &str, reason: String| {
            Err(DataError::InvalidConfig {
                key: key.to_string(),
                reason,
            })
        };
        for (key, share) in [
            ("split.valid", self.split.valid),
            ("split.test", self.split.test),
        ] {
            if !share.is_finite() || !(0.0..1.0).contains(&share) {
                return bad(key, format!("expected a share in [0, 1), found {share}"));
            }
        }
        if self.split.valid + self.split.test >= 1.0 {
            return bad(
                "split",
                format!(
                    "valid + test = {} leaves no training rows; keep the sum below 1",
                    self.split.valid + self.split.test
                ),
            );
        }
        if self.categorical.contains(&self.target) {
            return bad(
                "categorical",
                format!(
                    "lists the target `{}`, which it does not apply to (it one-hot encodes \
                     inputs); for class labels written as numbers, set model.task = \"binary\" \
                     or \"multiclass\" (logistic and softmax models read them as classes \
                     already)",
                    self.target
                ),
            );
        }
        // A categorical column that is not read would be a setting that silently does nothing.
        let unread = self.categorical.iter().find(|c| match &self.features {
            Some(features) => !features.contains(c),
            None => self.drop.contains(c),
        });
        if let Some(column) = unread {
            let fix = match self.features {
                Some(_) => "data.features leaves it out: add it there",
                None => "data.drop leaves it out: take it off data.drop",
            };
            return bad(
                "categorical",
                format!(
                    "lists `{column}`, which is not a feature ({fix}, or take it off \
                     data.categorical)"
                ),
            );
        }
        if let Some(columns) = &self.columns {
            self.validate_columns(columns)?;
        }
        if self.missing_indicator && self.missing != MissingPolicy::Impute {
            return bad(
                "missing_indicator",
                "marks the cells that missing = \"impute\" fills, and missing is not \"impute\"; \
                 set missing = \"impute\" or drop missing_indicator"
                    .into(),
            );
        }
        if self.valid_path.is_some() && self.split.valid > 0.0 {
            return bad(
                "valid_path",
                "give validation rows either as a file or as split.valid, not both".into(),
            );
        }
        if self.test_path.is_some() && (self.split.test > 0.0 || self.split.test_rows.is_some()) {
            return bad(
                "test_path",
                "give test rows either as a file or as split.test / split.test_rows, not both"
                    .into(),
            );
        }
        if self.kfold == 1 {
            return bad(
                "kfold",
                "1 fold is no cross-validation; use 2 or more, or 0 for none".into(),
            );
        }
        if self.kfold >= 2 && self.split.valid > 0.0 {
            return bad(
                "kfold",
                "k-fold cross-validation replaces the validation split; set data.split.valid = 0"
                    .into(),
            );
        }
        if self.kfold >= 2 && self.valid_path.is_some() {
            return bad(
                "kfold",
                "k-fold cross-validation replaces the validation rows; remove data.valid_path"
                    .into(),
            );
        }
        if let Some(m @ (0 | 1)) = self.max_categories {
            return bad(
                "max_categories",
                format!(
                    "expected at least 2 (the most frequent levels, then `other` for the rest), \
                     found {m}"
                ),
            );
        }
        if let Some(features) = &self.features {
            if features.is_empty() {
                return bad(
                    "features",
                    "the list is empty; name at least one column".into(),
                );
            }
            if features.contains(&self.target) {
                return bad(
                    "features",
                    format!("the target `{}` cannot also be a feature", self.target),
                );
            }
            // Listed twice, a column would become two identical inputs.
            if let Some(twice) = features
                .iter()
                .enumerate()
                .find_map(|(i, f)| features[..i].contains(f).then_some(f))
            {
                return bad(
                    "features",
                    format!("`{twice}` is listed twice; list each column once"),
                );
            }
        }
        // `features` and the target win over `drop`, so an overlap would be ignored without a
        // word: whichever the user meant, one of the two settings is wrong.
        for dropped in &self.drop {
            if *dropped == self.target {
                return bad(
                    "drop",
                    format!(
                        "lists `{dropped}`, which is data.target: the target cannot be dropped; \
                         remove it from data.drop"
                    ),
                );
            }
            if self.features.iter().flatten().any(|f| f == dropped) {
                return bad(
                    "drop",
                    format!(
                        "lists `{dropped}`, which data.features also lists: drop it from one of them"
                    ),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error `validate` gives a `[data]` section of `d.csv`, target `y`, and `extra`.
    fn error(extra: &str) -> String {
        let config: DataConfig =
            toml::from_str(&format!("path = \"d.csv\"\ntarget = \"y\"\n{extra}")).expect("toml");
        config.validate().unwrap_err().to_string()
    }

    #[test]
    fn columns_must_be_names_once_each_and_hold_every_column_named_elsewhere() {
        let cases = [
            ("columns = []", "data.columns: is empty"),
            (
                "columns = [\"x\", \"\", \"y\"]",
                "data.columns: name 2 is blank",
            ),
            (
                "columns = [\"x \", \"y\"]",
                "name 1 (\"x \") starts or ends with spaces",
            ),
            (
                "columns = [\"x\", \"y\", \"x\"]",
                "names 1 and 3 are both `x`",
            ),
            (
                "columns = [\"x\", \"Y\"]",
                "data.target: names `y`, which data.columns does not, did you mean `Y`?",
            ),
            (
                "columns = [\"x\", \"y\"]\ndrop = [\"z\"]",
                "data.drop: names `z`",
            ),
            (
                "columns = [\"x\", \"y\"]\nfeatures = [\"x\", \"w\"]",
                "data.features: names `w`",
            ),
        ];
        for (extra, expected) in cases {
            let message = error(extra);
            assert!(message.contains(expected), "{extra}: {message}");
        }
        let fine: DataConfig =
            toml::from_str("path = \"d.csv\"\ntarget = \"y\"\ncolumns = [\"x\", \"y\"]")
                .expect("toml");
        assert!(fine.validate().is_ok());
    }
}
