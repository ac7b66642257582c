//! The whole `[data]` pipeline: read the table, pick columns, parse and check cells, decide what
//! to do with missing ones, split the rows, fit the preprocessing on the training rows and encode
//! every split. The result is training-ready matrices plus everything `predict` needs.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::column::{Cell, Column, level_order};
use crate::disguise::{Remedy, disguise, is_missing_marker, number_marks};
use crate::encode::{FitOptions, RawColumn};
use crate::error::echoed;
use crate::parse::{NaValues, number};
use crate::{
    DataConfig, DataError, Decimal, FileRole, Matrix, MissingAdvice, MissingPolicy, Preprocessor,
    SplitRows, Table,
};

/// What the model predicts, as the data pipeline needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A number.
    Numeric,
    /// One of a finite set of labels (text or numbers).
    Classes,
}

/// How the target column is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TargetEncoding {
    /// Regression: the value itself.
    Numeric {
        /// Target column name.
        column: String,
    },
    /// Classification: the index of the label in `labels`.
    Classes {
        /// Target column name.
        column: String,
        /// Labels in class-index order (numbers sort numerically, text alphabetically).
        labels: Vec<String>,
    },
}

impl TargetEncoding {
    /// The target column's name.
    pub fn column(&self) -> &str {
        match self {
            Self::Numeric { column } | Self::Classes { column, .. } => column,
        }
    }

    /// The class labels (empty for regression).
    pub fn labels(&self) -> &[String] {
        match self {
            Self::Numeric { .. } => &[],
            Self::Classes { labels, .. } => labels,
        }
    }

    /// Encodes the target cells of `table` (for `eval`): values, or label indices.
    /// `decimal` is the model's mark, in which its labels are named (see [`Decimal::text_of`]).
    pub fn encode_table(
        &self,
        table: &Table,
        na_values: &[String],
        decimal: Decimal,
    ) -> Result<Vec<f64>, DataError> {
        let index = table.index_of(self.column(), "the saved model's target")?;
        let column = table.column(index);
        let na = NaValues::new(na_values, table.format().decimal);
        (0..table.len())
            .map(|row| {
                let cell = column.get(row);
                if na.is_missing(cell) {
                    return Err(DataError::MissingCell {
                        path: table.path().to_path_buf(),
                        line: table.line(row),
                        column: self.column().to_string(),
                        advice: MissingAdvice::EvalTarget,
                    });
                }
                match self {
                    Self::Numeric { .. } => number(table, row, index, true),
                    Self::Classes { labels, .. } => {
                        let label = decimal.text_of(cell);
                        labels
                            .iter()
                            .position(|l| *l == label)
                            .map(|i| i as f64)
                            .ok_or_else(|| DataError::Classes {
                                path: table.path().to_path_buf(),
                                column: self.column().to_string(),
                                reason: format!(
                                    "holds `{}` on line {}, a label the model never saw \
                                     (labels: {}){}",
                                    echoed(&label),
                                    table.line(row),
                                    labels.join(", "),
                                    match labels.iter().find(|l| l.eq_ignore_ascii_case(&label)) {
                                        Some(known) => format!(
                                            "; the model's `{known}` differs only in case: \
                                             write it as the model does"
                                        ),
                                        None => String::new(),
                                    }
                                ),
                            })
                    }
                }
            })
            .collect()
    }
}

/// The first cell of column `index` of `table` that holds text (neither a number nor missing:
/// empty, or one of `na_values`), as its row and text; `None` for a numeric column. A numeric
/// target with a few `NA`s is still numeric.
pub fn first_text(table: &Table, index: usize, na_values: &[String]) -> Option<(usize, String)> {
    let na = NaValues::new(na_values, table.format().decimal);
    let column = table.column(index);
    column
        .non_numbers()
        .find(|&(_, cell)| !na.is_missing(cell) && !cell.looks_numeric())
        .map(|(row, cell)| (row, column.text_of(cell).into_owned()))
}

/// Whether column `index` of `table` holds a number that is not one of `na_values` anywhere.
pub fn holds_numbers(table: &Table, index: usize, na_values: &[String]) -> bool {
    let na = NaValues::new(na_values, table.format().decimal);
    let column = table.column(index);
    (0..table.len()).any(|row| na.present(column.number(row)).is_some())
}

/// An error if column `index` of `table`, which kiln would read as text, holds numbers or
/// dates in a form it does not read as such (see [`Disguise`](crate::Disguise)); `remedy` says what else it can
/// be read as.
pub fn check_not_disguised(
    table: &Table,
    index: usize,
    na_values: &[String],
    remedy: Remedy,
) -> Result<(), DataError> {
    disguised(
        table,
        index,
        &NaValues::new(na_values, table.format().decimal),
        remedy,
    )
}

fn disguised(table: &Table, index: usize, na: &NaValues, remedy: Remedy) -> Result<(), DataError> {
    match disguise(table.column(index), na) {
        Some(disguise) => Err(DataError::Disguised {
            path: table.path().to_path_buf(),
            line: table.line(disguise.row()),
            column: table.names()[index].clone(),
            disguise: Box::new(disguise),
            remedy,
        }),
        None => Ok(()),
    }
}

/// One split, ready for tensors.
#[derive(Debug, Clone)]
pub struct Split {
    /// Model inputs, one row per example.
    pub x: Matrix,
    /// Targets: values for regression, class indices for classification. In f64, as read:
    /// the metrics score the file's own values (training rounds them to f32 where the tensors
    /// are made).
    pub y: Vec<f64>,
    /// The 0-based data-row position of each example in the CSV file.
    pub rows: Vec<usize>,
}

/// The prepared data set.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The fitted feature preprocessing.
    pub preprocessor: Preprocessor,
    /// How the target is encoded.
    pub target: TargetEncoding,
    /// Training rows.
    pub train: Split,
    /// Validation rows, if a validation split was asked for.
    pub valid: Option<Split>,
    /// Test rows, if a test split was asked for.
    pub test: Option<Split>,
    /// Rows skipped for missing cells (`missing = "drop"`, or a missing target).
    pub dropped_rows: usize,
    /// Of those, rows listed in `split.test_rows`: the test split is then not all of them.
    pub dropped_test_rows: usize,
    /// The columns whose missing cells skipped rows, with how many cells each, most first.
    pub missing_by_column: Vec<(String, usize)>,
    /// The [`Table::fingerprint`] of each file read: the training file's, then those of
    /// `valid_path` and `test_path` when given, one line each.
    pub fingerprint: String,
    /// With `kfold = k`: the k folds of the training rows, made one at a time.
    pub folds: Option<CrossValidation>,
    /// What the user should know of the data that is not an error (`note: …` lines).
    pub notes: Vec<String>,
}

impl Prepared {
    /// The splits that exist, by name, in the order train, valid, test.
    pub fn splits(&self) -> impl Iterator<Item = (&'static str, &Split)> {
        [
            ("train", Some(&self.train)),
            ("valid", self.valid.as_ref()),
            ("test", self.test.as_ref()),
        ]
        .into_iter()
        .filter_map(|(name, split)| Some((name, split?)))
    }
}

/// k-fold cross-validation over the training rows. Each fold fits its own preprocessing on its
/// own training rows (so no fold sees statistics of the rows it is scored on) and is encoded
/// only when asked for: k folds of encoded matrices never sit in memory together.
#[derive(Debug, Clone)]
pub struct CrossValidation {
    table: Table,
    config: DataConfig,
    columns: Vec<RawColumn>,
    feature_indices: Vec<usize>,
    y: Vec<f64>,
    train: Vec<usize>,
    held_out: Vec<Vec<usize>>,
}

impl CrossValidation {
    /// Number of folds.
    pub fn len(&self) -> usize {
        self.held_out.len()
    }

    /// The data rows (0-based, in the file) that fold `i` holds out and is scored on.
    pub fn held_out_rows(&self, i: usize) -> &[usize] {
        &self.held_out[i]
    }

    /// Whether there are no folds (never, for `kfold >= 2`).
    pub fn is_empty(&self) -> bool {
        self.held_out.is_empty()
    }

    /// Fold `i`: its preprocessing fitted on the other folds' rows, and both splits encoded.
    pub fn fold(&self, i: usize) -> Result<Fold, DataError> {
        let held_out = &self.held_out[i];
        let train: Vec<usize> = self
            .train
            .iter()
            .copied()
            .filter(|r| held_out.binary_search(r).is_err())
            .collect();
        let preprocessor = Preprocessor::fit(
            &self.table,
            &self.columns,
            &train,
            &fit_options(&self.config),
        )?;
        let encode = |rows: Vec<usize>, strict: bool| {
            encode_split(
                &self.table,
                &preprocessor,
                &self.feature_indices,
                &self.y,
                rows,
                strict,
            )
        };
        Ok(Fold {
            // Under data.unknown = "error" only: otherwise the user chose what happens.
            unseen: if self.config.unknown == crate::UnknownPolicy::Error {
                preprocessor.unseen(&self.table, &self.feature_indices, held_out)
            } else {
                Vec::new()
            },
            train: encode(train, false)?,
            held_out: encode(held_out.clone(), false)?,
            preprocessor,
        })
    }
}

/// How the `[data]` options fit a [`Preprocessor`].
fn fit_options(config: &DataConfig) -> FitOptions<'_> {
    FitOptions {
        scale: config.scale,
        missing: config.missing,
        indicator: config.missing_indicator,
        max_categories: config.max_categories,
        unknown: config.unknown,
        na_values: &config.na_values,
        columns: config.columns.as_deref(),
    }
}

/// Encodes `rows` of `table` with `preprocessor`, with their targets from `y` (one per data row).
/// With `strict`, a category the training rows lack is what `data.unknown` says (an error by
/// default), as for rows given to `kiln eval`: the validation and test splits, so that their
/// metrics are the ones `kiln eval` gives on the same rows. Without, it encodes as all zeros:
/// the training rows themselves (which lack nothing), and a k-fold split's held-out rows, whose
/// levels a fold's training rows may well lack ([`Fold::unseen`] lists them for a note).
fn encode_split(
    table: &Table,
    preprocessor: &Preprocessor,
    feature_indices: &[usize],
    y: &[f64],
    rows: Vec<usize>,
    strict: bool,
) -> Result<Split, DataError> {
    Ok(Split {
        x: preprocessor.transform(table, feature_indices, &rows, strict)?,
        y: rows.iter().map(|&r| y[r]).collect(),
        rows,
    })
}

/// One fold of k-fold cross-validation.
#[derive(Debug, Clone)]
pub struct Fold {
    /// Preprocessing fitted on this fold's training rows.
    pub preprocessor: Preprocessor,
    /// The other folds' rows.
    pub train: Split,
    /// This fold's rows, scored by the model trained on `train`.
    pub held_out: Split,
    /// Category values of the held-out rows that the fold's training rows lack (`column`:
    /// `value`, a few), encoded as all zeros: a note for the log.
    pub unseen: Vec<String>,
}

/// Reads `config.path` and prepares it; `seed` is the experiment's seed, used for the split
/// unless `split.seed` is set.
pub fn prepare(
    config: &DataConfig,
    target_kind: TargetKind,
    seed: u64,
) -> Result<Prepared, DataError> {
    config.validate()?;
    let table = Table::read_for(&config.path, config)?;
    prepare_table(&table, config, target_kind, seed)
}

/// Prepares an already-read table.
pub fn prepare_table(
    table: &Table,
    config: &DataConfig,
    target_kind: TargetKind,
    seed: u64,
) -> Result<Prepared, DataError> {
    config.validate()?;
    let na = &NaValues::new(&config.na_values, table.format().decimal);
    let target_index = table.index_of(&config.target, "data.target")?;
    // `drop` leaves out every column of a name; a categorical column is a feature, so one.
    for name in &config.drop {
        table.check_named(name, "data.drop")?;
    }
    for name in &config.categorical {
        table.index_of(name, "data.categorical")?;
    }
    let names = table.names();
    let unnamed: Vec<usize> = (0..names.len()).filter(|&i| names[i].is_empty()).collect();
    let feature_indices: Vec<usize> = match &config.features {
        Some(features) => features
            .iter()
            .map(|n| table.index_of(n, "data.features"))
            .collect::<Result<_, _>>()?,
        // Named by data.columns: those columns, in its order, whatever a header line of the
        // file adds or reorders.
        None if let Some(columns) = &config.columns => columns
            .iter()
            .filter(|n| **n != config.target && !config.drop.contains(n))
            .map(|n| table.index_of(n, "data.columns"))
            .collect::<Result<_, _>>()?,
        None => {
            let kept: Vec<usize> = (0..names.len())
                .filter(|&i| {
                    i != target_index && !names[i].is_empty() && !config.drop.contains(&names[i])
                })
                .collect();
            let mut seen = HashSet::with_capacity(kept.len());
            for &i in &kept {
                if !seen.insert(&names[i]) {
                    table.index_of(&names[i], "data.features (every column not dropped)")?;
                }
            }
            kept
        }
    };
    if feature_indices.is_empty() {
        return Err(DataError::InvalidConfig {
            key: "features".into(),
            reason: "no feature columns are left once the target and `drop` are removed".into(),
        });
    }

    // Which rows are usable: missing cells are an error, a reason to skip the row, or filled.
    // Column by column: a numeric column lists its non-number cells without a scan.
    let missing: Vec<(usize, Vec<usize>)> = std::iter::once(target_index)
        .chain(feature_indices.iter().copied())
        .map(|i| (i, na.missing_rows(table.column(i))))
        .collect();
    let mut skip = vec![false; table.len()];
    match config.missing {
        MissingPolicy::Error => {
            // The first row with a missing cell, and in it the first column (target first).
            let first = missing
                .iter()
                .filter_map(|(i, rows)| rows.first().map(|&row| (row, *i)))
                .min_by_key(|&(row, _)| row);
            if let Some((row, _)) = first {
                let column = missing
                    .iter()
                    .find(|(_, rows)| rows.first() == Some(&row))
                    .map_or(target_index, |(i, _)| *i);
                return Err(DataError::MissingCell {
                    path: table.path().to_path_buf(),
                    line: table.line(row),
                    column: table.names()[column].clone(),
                    advice: if column == target_index {
                        MissingAdvice::TrainingTarget
                    } else {
                        MissingAdvice::TrainingFeature
                    },
                });
            }
        }
        MissingPolicy::Drop => missing
            .iter()
            .flat_map(|(_, rows)| rows)
            .for_each(|&row| skip[row] = true),
        // A missing target cannot be imputed: the row has nothing to learn from.
        MissingPolicy::Impute => missing[0].1.iter().for_each(|&row| skip[row] = true),
    }
    // Which columns cost the skipped rows, most first: the fix is usually in one of them.
    // (Under impute only the target's, the first, skip rows.)
    let skipping = match config.missing {
        MissingPolicy::Error => &missing[..0],
        MissingPolicy::Drop => &missing[..],
        MissingPolicy::Impute => &missing[..1],
    };
    let mut missing_by_column: Vec<(String, usize)> = skipping
        .iter()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(i, rows)| (table.names()[*i].clone(), rows.len()))
        .collect();
    missing_by_column.sort_by_key(|(_, cells)| std::cmp::Reverse(*cells));
    drop(missing);
    let mut usable = Vec::with_capacity(skip.iter().filter(|&&s| !s).count());
    usable.extend((0..table.len()).filter(|&row| !skip[row]));
    drop(skip);
    let dropped_rows = table.len() - usable.len();
    if usable.is_empty() {
        return Err(DataError::EmptySplit {
            split: "train".into(),
            reason: format!(
                "every row of {} has a missing cell (missing cells by column: {})",
                table.path().display(),
                by_column(&missing_by_column)
            ),
        });
    }

    let (mut target, mut y_all) = encode_target(table, target_index, target_kind, &usable, na)?;
    let columns = feature_indices
        .iter()
        .map(|&i| {
            let forced = config.categorical.contains(&table.names()[i]);
            raw_column(table, i, forced, na)
        })
        .collect::<Result<Vec<_>, _>>()?;

    let fixed_test = match &config.split.test_rows {
        Some(path) => Some(read_row_indices(path, table.len())?),
        None => None,
    };
    let dropped_test_rows = fixed_test.as_ref().map_or(0, |fixed| {
        fixed
            .iter()
            .filter(|r| usable.binary_search(r).is_err())
            .count()
    });
    let classes: Option<Vec<u32>> = matches!(target, TargetEncoding::Classes { .. })
        .then(|| y_all.iter().map(|&v| v as u32).collect());
    let SplitRows { train, valid, test } = crate::split_rows(
        &usable,
        config.split.valid,
        config.split.test,
        classes.as_deref().filter(|_| config.split.stratify),
        fixed_test.as_deref(),
        config.split.seed.unwrap_or(seed),
    )?;
    if let (Some(classes), TargetEncoding::Classes { labels, column }) = (&classes, &target) {
        // A class whose every row went to validation or test is one the model never sees.
        let mut in_train = vec![false; labels.len()];
        train
            .iter()
            .for_each(|&r| in_train[classes[r] as usize] = true);
        if let Some(missing) = in_train.iter().position(|&seen| !seen) {
            let rows = usable
                .iter()
                .filter(|&&r| classes[r] as usize == missing)
                .count();
            return Err(DataError::Classes {
                path: table.path().to_path_buf(),
                column: column.clone(),
                reason: format!(
                    "has {rows} usable row{} of class `{}`, none of them in the training split \
                     (all went to validation or test); add rows of that class, or give \
                     validation and test fewer (split.valid, split.test, split.test_rows)",
                    if rows == 1 { "" } else { "s" },
                    labels[missing]
                ),
            });
        }
    }
    // k-fold cross-validation over the training rows (below) needs its parts now, while the
    // class of every row is at hand.
    let fold_parts = if config.kfold >= 2 {
        let stratify = classes.as_deref().filter(|_| config.split.stratify);
        Some(crate::split::kfold_rows(
            &train,
            config.kfold,
            stratify,
            config.split.seed.unwrap_or(seed),
        )?)
    } else {
        None
    };
    if let (Some(parts), Some(classes), TargetEncoding::Classes { labels, column }) =
        (&fold_parts, &classes, &target)
    {
        // A class whose training rows all fall in one fold is missing from that fold's model.
        let mut folds_of = vec![Vec::new(); labels.len()];
        for (i, part) in parts.iter().enumerate() {
            for &r in part {
                let seen = &mut folds_of[classes[r] as usize];
                if seen.last() != Some(&i) {
                    seen.push(i);
                }
            }
        }
        if let Some((class, folds)) = folds_of.iter().enumerate().find(|(_, f)| f.len() == 1) {
            let rows = train
                .iter()
                .filter(|&&r| classes[r] as usize == class)
                .count();
            return Err(DataError::Classes {
                path: table.path().to_path_buf(),
                column: column.clone(),
                reason: format!(
                    "has {rows} training row{} of class `{}`, all in cross-validation fold {} of \
                     {}: that fold's model would never see the class; {}",
                    if rows == 1 { "" } else { "s" },
                    labels[class],
                    folds[0] + 1,
                    parts.len(),
                    if rows == 1 {
                        "add rows of it (k-fold needs at least two of each class)"
                    } else {
                        "use fewer folds (data.kfold), stratify (data.split.stratify = true), or \
                         add rows of it"
                    }
                ),
            });
        }
    }
    // The positive class is put last only now: the rows each split and fold gets follow the
    // labels' sorted order, whichever class is positive.
    if let (Some(positive), TargetEncoding::Classes { labels, column }) =
        (config.positive.as_deref(), &mut target)
        && put_positive_last(labels, positive, column, table.format().decimal)?
    {
        for &row in &usable {
            y_all[row] = 1.0 - y_all[row];
        }
    }
    // What only the split needed goes before the matrices are made: memory peaks then.
    drop((usable, classes, fixed_test));

    let mut notes: Vec<String> = columns
        .iter()
        .filter(|c| c.numeric && counts_rows(table.column(c.index)))
        .map(|c| {
            format!(
                "note: column `{}` counts the rows (it goes up or down by one from each row to \
                 the next): if it is an identifier or a row number, add it to data.drop; as a \
                 feature it is read as a trend over the file's order",
                table.names()[c.index]
            )
        })
        .collect();
    // Read as numbers, thousands written with marks are a thousand times too small.
    let numeric = columns.iter().filter(|c| c.numeric).map(|c| c.index);
    let target_numbers = matches!(target, TargetEncoding::Numeric { .. }).then_some(target_index);
    for index in numeric.chain(target_numbers) {
        notes.extend(thousands_warning(table, index));
    }
    if let TargetEncoding::Classes { column, labels } = &target {
        notes.extend(case_twins(labels).into_iter().map(|(a, b)| {
            format!(
                "note: the classes `{a}` and `{b}` of the target `{column}` differ only in case, \
                 and are two classes: if they are one, write them alike in the file"
            )
        }));
    }
    if !unnamed.is_empty() {
        let positions: Vec<String> = unnamed.iter().map(|i| (i + 1).to_string()).collect();
        notes.push(format!(
            "note: {} {} of {} {} no name and {} not read (pandas' `to_csv` writes its row index \
             so, and a comma at the end of every line makes one)",
            if unnamed.len() == 1 {
                "column"
            } else {
                "columns"
            },
            positions.join(", "),
            table.path().display(),
            if unnamed.len() == 1 { "has" } else { "have" },
            if unnamed.len() == 1 { "is" } else { "are" },
        ));
    }
    let preprocessor = Preprocessor::fit(table, &columns, &train, &fit_options(config))?;
    let nonempty = |rows: Vec<usize>| -> Result<Option<Split>, DataError> {
        if rows.is_empty() {
            Ok(None)
        } else {
            encode_split(table, &preprocessor, &feature_indices, &y_all, rows, true).map(Some)
        }
    };
    // Rows from separate files go through the preprocessing fitted on the training rows.
    let mut fingerprint = format!("{}: {}", table.path().display(), table.fingerprint());
    let mut file_notes: Vec<String> = Vec::new();
    let mut from_file = |path: &Option<std::path::PathBuf>| -> Result<Option<Split>, DataError> {
        let Some(path) = path else { return Ok(None) };
        let file = Table::read_for(path, config).map_err(|e| e.for_file(FileRole::WithTraining))?;
        fingerprint.push_str(&format!("\n{}: {}", path.display(), file.fingerprint()));
        let x = preprocessor.transform_table(&file)?;
        let y = target.encode_table(&file, &config.na_values, config.decimal)?;
        let numeric_target = matches!(target, TargetEncoding::Numeric { .. });
        file_notes.extend(
            preprocessor.thousands_warnings(&file, numeric_target.then_some(target.column())),
        );
        Ok(Some(Split {
            x,
            y,
            rows: (0..file.len()).collect(),
        }))
    };
    let valid = match from_file(&config.valid_path)? {
        Some(split) => Some(split),
        None => nonempty(valid)?,
    };
    let test = match from_file(&config.test_path)? {
        Some(split) => Some(split),
        None => nonempty(test)?,
    };
    notes.append(&mut file_notes);
    // Only cross-validation needs the training rows again (and a copy of the table).
    let cv_train = fold_parts.as_ref().map(|_| train.clone());
    let train_split = encode_split(table, &preprocessor, &feature_indices, &y_all, train, false)?;
    let folds = fold_parts
        .zip(cv_train)
        .map(|(held_out, train)| CrossValidation {
            table: table.clone(),
            config: config.clone(),
            columns,
            feature_indices,
            y: y_all,
            train,
            held_out,
        });
    Ok(Prepared {
        folds,
        train: train_split,
        valid,
        test,
        preprocessor,
        target,
        dropped_rows,
        dropped_test_rows,
        missing_by_column,
        fingerprint,
        notes,
    })
}

/// Whether a number column counts the rows: whole numbers going up (or down) by exactly one
/// from each of ten or more rows to the next, as a row number or a sequential id does. Such a
/// column is almost never a feature, and a model reads it as a trend over the order of the
/// file.
fn counts_rows(column: &Column) -> bool {
    let rows = column.len();
    let step = |r: usize| column.number(r) - column.number(r - 1);
    rows >= 10
        && column.number(0).fract() == 0.0
        && (step(1) == 1.0 || step(1) == -1.0)
        && (2..rows).all(|r| step(r) == step(1))
}

/// The warning for column `index` of `table` if it looks like thousands written with a decimal
/// mark between digit groups (see [`Column::thousands_with_marks`]).
pub(crate) fn thousands_warning(table: &Table, index: usize) -> Option<String> {
    let row = table.column(index).thousands_with_marks()?;
    let v = table.column(index).number(row);
    let decimal = table.format().decimal;
    let (mark, text) = (char::from(decimal.byte()), decimal.write(format!("{v:.3}")));
    Some(format!(
        "warning: {}, column `{}` looks like thousands written with `{mark}` between digit \
         groups: every number with a `{mark}` has three digits after it, and the others are \
         whole numbers of three digits. If `{text}` (line {}) means {}, the column is read a thousand times \
         too small: save it without the marks",
        table.path().display(),
        table.names()[index],
        table.line(row),
        (v * 1000.0).round(),
    ))
}

/// Decides how a feature column is read: numbers unless forced categorical or mostly text. A
/// column whose cells are mostly numbers but with a stray word is a numeric column with a bad
/// cell, reported here.
fn raw_column(
    table: &Table,
    index: usize,
    forced_categorical: bool,
    na: &NaValues,
) -> Result<RawColumn, DataError> {
    let text = RawColumn {
        index,
        numeric: false,
    };
    if forced_categorical {
        return Ok(text);
    }
    let column = table.column(index);
    let rows = table.len();
    // Number cells that a numeric `na_values` entry makes missing.
    let missing_numbers = if na.has_numbers() {
        (0..rows)
            .filter(|&row| matches!(column.get(row), Cell::Number(v) if na.present(v).is_none()))
            .count()
    } else {
        0
    };
    let (mut non_numbers, mut missing, mut numeric_text, mut first_bad) = (0, 0, 0, None);
    for (row, cell) in column.non_numbers() {
        non_numbers += 1;
        if na.is_missing(cell) {
            missing += 1;
        } else {
            numeric_text += usize::from(cell.looks_numeric());
            first_bad.get_or_insert(row);
        }
    }
    let numeric = rows - non_numbers - missing_numbers + numeric_text;
    let total = rows - missing - missing_numbers;
    if numeric * 2 < total || numeric == 0 {
        disguised(table, index, na, Remedy::Categories)?;
        return Ok(text);
    }
    if let Some(row) = first_bad {
        // Mostly numbers with some words (`3+`, `K`, `V57`) may be codes: a way to keep them.
        number(table, row, index, false).map_err(|e| match e {
            DataError::NotANumber {
                path,
                line,
                column,
                value,
                fix,
            } => DataError::NotANumber {
                fix: format!(
                    "{fix}; if the column's values are categories (codes, bands), list it in \
                     data.categorical"
                ),
                path,
                line,
                column,
                value,
            },
            other => other,
        })?;
    }
    Ok(RawColumn {
        index,
        numeric: true,
    })
}

/// Encodes the target of every data row (unusable rows get 0 and are never read).
fn encode_target(
    table: &Table,
    index: usize,
    kind: TargetKind,
    usable: &[usize],
    na: &NaValues,
) -> Result<(TargetEncoding, Vec<f64>), DataError> {
    let cells = table.column(index);
    let column = table.names()[index].clone();
    let mut y = vec![0.0f64; table.len()];
    match kind {
        TargetKind::Numeric => {
            for &row in usable {
                y[row] = number(table, row, index, false).map_err(|e| match e {
                    // A formatted number keeps its own fix (write it plainly).
                    DataError::NotANumber { line, value, .. }
                        if number_marks(&value, table.format().decimal).is_none() =>
                    {
                        DataError::TextTarget {
                            path: table.path().to_path_buf(),
                            column: column.clone(),
                            task: "regression".into(),
                            line,
                            marker: is_missing_marker(&value),
                            value,
                        }
                    }
                    other => other,
                })?;
            }
            Ok((TargetEncoding::Numeric { column }, y))
        }
        TargetKind::Classes => {
            let seen: HashSet<std::borrow::Cow<'_, str>> = usable
                .iter()
                .map(|&r| cells.get(r))
                .filter(|&cell| !na.is_missing(cell))
                .map(|cell| cells.text_of(cell))
                .collect();
            let mut labels: Vec<String> = seen.into_iter().map(|l| l.into_owned()).collect();
            labels.sort_by(|a, b| level_order(a, b, cells.decimal()));
            if labels.len() > crate::encode::MAX_LEVELS {
                return Err(DataError::Classes {
                    path: table.path().to_path_buf(),
                    column,
                    reason: format!(
                        "has {} distinct values: more than {} classes is most likely not a class \
                         label (an identifier, or numbers for regression: use kind = \"linear\" \
                         or model.task = \"regression\")",
                        labels.len(),
                        crate::encode::MAX_LEVELS
                    ),
                });
            }
            if labels.len() < 2 {
                return Err(DataError::Classes {
                    path: table.path().to_path_buf(),
                    column,
                    reason: format!(
                        "has only one class ({}); a classifier needs at least two",
                        labels.join(", ")
                    ),
                });
            }
            let position: std::collections::HashMap<&str, usize> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i))
                .collect();
            for &row in usable {
                let label = cells.text(row);
                y[row] = position.get(label.as_ref()).copied().unwrap_or(0) as f64;
            }
            Ok((TargetEncoding::Classes { column, labels }, y))
        }
    }
}

/// Missing cells by column as a message lists them: "`x` 3, `y` 1".
pub fn by_column(missing: &[(String, usize)]) -> String {
    let listed: Vec<String> = missing
        .iter()
        .map(|(column, cells)| format!("`{column}` {cells}"))
        .collect();
    listed.join(", ")
}

/// What may be wrong with a target's class labels, after a `; `: a common missing-value marker
/// among them (`NA`), or two that differ only in case; empty when neither.
pub fn label_advice(labels: &[String]) -> String {
    let mut advice = String::new();
    if let Some(marker) = labels.iter().find(|l| is_missing_marker(l)) {
        advice.push_str(&format!(
            "; if `{marker}` marks a missing value, list it in data.na_values"
        ));
    }
    if let Some((a, b)) = case_twins(labels).first() {
        advice.push_str(&format!(
            "; `{a}` and `{b}` differ only in case: if they are one class, write them alike"
        ));
    }
    advice
}

/// Pairs of labels that are equal but for letter case (`Yes`, `yes`), the first few.
fn case_twins(labels: &[String]) -> Vec<(&str, &str)> {
    let lower: Vec<String> = labels.iter().map(|l| l.to_lowercase()).collect();
    let mut twins = Vec::new();
    for i in 0..labels.len() {
        for j in i + 1..labels.len() {
            if lower[i] == lower[j] && twins.len() < 3 {
                twins.push((labels[i].as_str(), labels[j].as_str()));
            }
        }
    }
    twins
}

/// Moves the label `positive` (`data.positive`) to the end of a binary target's two `labels`:
/// the second class is the positive one. A number matches however it is written (`1.0`).
/// Whether the two swapped places.
fn put_positive_last(
    labels: &mut [String],
    positive: &str,
    column: &str,
    decimal: Decimal,
) -> Result<bool, DataError> {
    let invalid = |reason: String| DataError::InvalidConfig {
        key: "positive".into(),
        reason,
    };
    if labels.len() != 2 {
        return Err(invalid(format!(
            "names the positive class of a binary target; `{column}` has {} classes",
            labels.len()
        )));
    }
    let same = |label: &str| {
        label == positive
            || matches!(
                (decimal.number(label), decimal.number_in_setting(positive)),
                (Some(a), Some(b)) if a == b
            )
    };
    match labels.iter().position(|l| same(l)) {
        Some(0) => {
            labels.swap(0, 1);
            Ok(true)
        }
        Some(_) => Ok(false),
        None => Err(invalid(format!(
            "`{positive}` is not a class of `{column}`, whose classes are `{}` and `{}`",
            labels[0], labels[1]
        ))),
    }
}

/// Reads a CSV with a `row_index` column of 0-based data-row positions.
fn read_row_indices(path: &std::path::Path, n_rows: usize) -> Result<Vec<usize>, DataError> {
    let table = Table::read(path).map_err(|e| e.for_file(FileRole::Commas))?;
    let index = table.index_of("row_index", "data.split.test_rows")?;
    let column = table.column(index);
    // A run's splits.csv lists every row with its split: its test rows are the ones meant.
    let split = table
        .names()
        .iter()
        .position(|n| n == "split")
        .map(|i| table.column(i));
    (0..table.len())
        .filter(|&row| split.is_none_or(|s| s.get(row).text() == "test"))
        .map(|row| match column.get(row) {
            Cell::Number(v) if v >= 0.0 && v.fract() == 0.0 && v < n_rows as f64 => Ok(v as usize),
            cell => Err(DataError::Malformed {
                path: path.to_path_buf(),
                line: table.line(row),
                reason: format!(
                    "`{}` is not a data-row position below {n_rows}",
                    cell.text()
                ),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn table(text: &str) -> Table {
        Table::parse(Path::new("t.csv"), text.as_bytes()).expect("table")
    }

    fn config(extra: &str) -> DataConfig {
        toml::from_str(&format!("path = \"t.csv\"\ntarget = \"y\"\n{extra}")).expect("config")
    }

    #[test]
    fn a_column_counts_the_rows_when_it_steps_by_one_either_way() {
        let mut text = String::from("up,down,spread,half,gap\n");
        for i in 0..12 {
            let gap = if i == 6 { String::new() } else { i.to_string() };
            text.push_str(&format!("{},{},{},{}.5,{gap}\n", i + 1, 100 - i, i * 3, i));
        }
        let t = table(&text);
        let counts: Vec<bool> = (0..5).map(|c| counts_rows(t.column(c))).collect();
        // A missing cell, whole numbers with another step, and halves do not count rows.
        assert_eq!(counts, [true, true, false, false, false]);
        let short = table("id\n1\n2\n3\n");
        assert!(!counts_rows(short.column(0)), "too few rows to tell");
    }

    #[test]
    fn a_categorical_column_that_is_not_read_is_an_error() {
        let t = table("a,b,y\n1,2,3\n4,5,6\n");
        for (keys, says) in [
            (
                "features = [\"a\"]\ncategorical = [\"b\"]",
                "data.features leaves it out",
            ),
            (
                "drop = [\"b\"]\ncategorical = [\"b\"]",
                "take it off data.drop",
            ),
        ] {
            let error = prepare_table(&t, &config(keys), TargetKind::Numeric, 1)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.contains("lists `b`, which is not a feature") && error.contains(says),
                "{error}"
            );
        }
    }

    #[test]
    fn thousands_written_with_points_are_warned_of_and_ordinary_decimals_are_not() {
        let warned = |cells: &[&str]| {
            let text = format!(
                "x,y\n{}\n",
                cells
                    .iter()
                    .map(|c| format!("{c},1"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let p = prepare_table(&table(&text), &config(""), TargetKind::Numeric, 1)
                .expect("prepared");
            p.notes
                .iter()
                .any(|n| n.contains("column `x` looks like thousands"))
        };
        assert!(warned(&["1.169", "5.951", "691", "2.500"]));
        // One or two places, a number below 1 with places, or only points: decimals.
        assert!(!warned(&["1.169", "5.95", "691", "2.500"]));
        assert!(!warned(&["0.169", "5.951", "691"]));
        assert!(!warned(&["1.169", "5.951", "2.000"]));
        assert!(!warned(&["1.169", "691", "1200"]));
        // Rents rounded to tens: every place a zero, still thousands.
        assert!(warned(&["850", "1.200", "950", "1.450", "700"]));
        // A whole number below 100 among 3-place decimals is a measurement's (pH 7, latitude 48).
        assert!(!warned(&["7.365", "7.402", "7.415", "7"]));
        assert!(!warned(&["48.857", "52.520", "52.370", "48"]));
    }

    #[test]
    fn a_file_of_decimal_commas_names_its_levels_and_labels_as_it_writes_them() {
        let european = crate::CsvFormat {
            separator: crate::Separator::Semicolon,
            decimal: Decimal::Comma,
        };
        let t = Table::parse_as(
            Path::new("t.csv"),
            b"code;z;y\n1,5;-999,0;2,5\n1.5;2;10,5\n10;-999;2,5\n1,50;4;10,5\n",
            european,
        )
        .expect("table");
        let keys = "categorical = [\"code\"]\nmissing = \"impute\"\nna_values = [\"-999.0\"]";
        let p = prepare_table(&t, &config(keys), TargetKind::Classes, 1).expect("prepared");
        // `1.5` is a text here, not the number `1,5`: its own level, after the numbers.
        assert_eq!(
            p.preprocessor.input_names(),
            ["code=1,5", "code=10", "code=1.5", "z"]
        );
        // Labels by value (`10,5` after `2,5`); `positive` may be written as TOML writes it.
        assert_eq!(p.target.labels(), ["2,5", "10,5"]);
        // `-999.0` in na_values matches `-999,0` and `-999`: the median of 2 and 4 fills them.
        let crate::FeatureEncoding::Numeric { fill, .. } = &p.preprocessor.features[1] else {
            panic!("z is numeric");
        };
        assert_eq!(*fill, 3.0);
        let positive = config(&format!("{keys}\npositive = \"2.5\""));
        let p = prepare_table(&t, &positive, TargetKind::Classes, 1).expect("prepared");
        assert_eq!(p.target.labels(), ["10,5", "2,5"]);
    }

    #[test]
    fn text_labels_and_categories_are_encoded_and_missing_cells_imputed() {
        let t = table("size,colour,y\n1,red,b\n,blue,a\n3,red,b\n5,,a\n");
        let p = prepare_table(&t, &config("missing = \"impute\""), TargetKind::Classes, 1)
            .expect("prepared");
        assert_eq!(p.target.labels(), ["a", "b"]);
        assert_eq!(p.train.y, [1.0, 0.0, 1.0, 0.0]);
        assert_eq!(
            p.preprocessor.input_names(),
            ["size", "colour=blue", "colour=red"]
        );
        // Row 2: size missing → median of 1, 3, 5 = 3. Row 4: colour missing → most frequent, red.
        assert_eq!(p.train.x.row(1), [3.0, 1.0, 0.0]);
        assert_eq!(p.train.x.row(3), [5.0, 0.0, 1.0]);
    }

    #[test]
    fn missing_policies_error_or_drop() {
        let t = table("x,y\n1,2\n,4\n3,6\n");
        let err = prepare_table(&t, &config(""), TargetKind::Numeric, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("`x`"), "{err}");
        let p = prepare_table(&t, &config("missing = \"drop\""), TargetKind::Numeric, 1)
            .expect("prepared");
        assert_eq!((p.train.x.rows, p.dropped_rows), (2, 1));
    }

    #[test]
    fn a_single_class_target_is_an_error() {
        let t = table("x,y\n1,a\n2,a\n");
        let err = prepare_table(&t, &config(""), TargetKind::Classes, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("only one class"), "{err}");
    }

    #[test]
    fn a_mostly_numeric_column_with_a_word_is_a_bad_cell_not_a_category() {
        let t = table("x,y\n1,1\n2,2\n3,3\nfour,4\n5,5\n");
        let err = prepare_table(&t, &config(""), TargetKind::Numeric, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 5") && err.contains("`four`"), "{err}");
    }

    #[test]
    fn a_class_with_no_training_row_is_an_error() {
        // Six `a`, one `b`: half for testing takes the `b` row.
        let t = table("x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n6,a\n7,b\n");
        let err = prepare_table(
            &t,
            &config("split = { test = 0.5 }"),
            TargetKind::Classes,
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("1 usable row of class `b`, none of them in the training split"),
            "{err}"
        );
    }

    #[test]
    fn a_class_that_one_fold_holds_entirely_is_an_error() {
        let t = table("x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n6,a\n7,b\n");
        let err = prepare_table(&t, &config("kfold = 3"), TargetKind::Classes, 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("1 training row of class `b`, all in cross-validation fold"),
            "{err}"
        );
    }

    #[test]
    fn a_numeric_column_with_missing_cells_does_not_hold_text() {
        // An `NA` made an mlp's numeric target a classification over every distinct value.
        let t = table("y\n1.5\nNA\n\"\"\n2\n");
        assert_eq!(first_text(&t, 0, &["NA".to_string()]), None);
        assert_eq!(first_text(&t, 0, &[]), Some((1, "NA".to_string())));
        let t = table("y\n1\nyes\n");
        assert_eq!(
            first_text(&t, 0, &["NA".to_string()]),
            Some((1, "yes".to_string()))
        );
        assert!(holds_numbers(&t, 0, &[]));
        assert!(!holds_numbers(&table("y\nno\nyes\n"), 0, &[]));
        // A numeric missing marker among text labels is not a number.
        let t = table("y\nno\n-999\nyes\n");
        assert!(!holds_numbers(&t, 0, &["-999".to_string()]));
    }

    #[test]
    fn a_number_beyond_f32_is_a_bad_cell_in_features_and_target() {
        for (text, line, column, value) in [
            ("x,y\n1,1\n2,2\n3e40,3\n", 4, "x", "3e40"),
            ("x,y\n1,1\n2,-1e39\n3,3\n", 3, "y", "-1e39"),
        ] {
            let err = prepare_table(&table(text), &config(""), TargetKind::Numeric, 1).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(&err, DataError::OutOfRange { line: l, column: c, value: v, .. }
                    if *l == line && c == column && v == value),
                "{message}"
            );
            assert!(message.contains("32-bit floats"), "{message}");
        }
        // Declared missing, the cell is imputed like any other.
        let t = table("x,y\n1,1\n1e39,2\n3,3\n");
        let p = prepare_table(
            &t,
            &config("na_values = [\"1e39\"]\nmissing = \"impute\""),
            TargetKind::Numeric,
            1,
        )
        .expect("prepared");
        assert_eq!(p.train.x.data, [1.0, 2.0, 3.0]);
    }

    #[test]
    fn a_feature_twice_or_a_dropped_feature_or_target_is_a_config_error() {
        let t = table("x,z,y\n1,1,1\n2,2,2\n");
        for (extra, fragments) in [
            (
                "features = [\"x\", \"z\", \"x\"]",
                ["data.features", "`x`", "twice"],
            ),
            (
                "features = [\"x\"]\ndrop = [\"z\", \"x\"]",
                ["data.drop", "data.features", "`x`"],
            ),
            ("drop = [\"y\"]", ["data.drop", "data.target", "`y`"]),
        ] {
            let err = prepare_table(&t, &config(extra), TargetKind::Numeric, 1)
                .unwrap_err()
                .to_string();
            for fragment in fragments {
                assert!(err.contains(fragment), "{extra}: {err}");
            }
        }
    }

    #[test]
    fn predict_time_encoding_repeats_training_and_rejects_unseen_categories() {
        let t = table("n,c,y\n1,a,1\n2,b,2\n3,a,3\n");
        let p = prepare_table(&t, &config("scale = \"standard\""), TargetKind::Numeric, 1)
            .expect("prepared");
        let again = p.preprocessor.transform_table(&t).expect("encodes");
        assert_eq!(again, p.train.x);
        let unseen = table("n,c\n1,z\n");
        let err = p
            .preprocessor
            .transform_table(&unseen)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`z`") && err.contains("not seen in training"),
            "{err}"
        );
        let missing_column = table("c\na\n");
        assert!(
            p.preprocessor
                .transform_table(&missing_column)
                .unwrap_err()
                .to_string()
                .contains("lacks `n`, which the model reads; it reads `n`, `c`")
        );
        // The first missing cell of the file is named, whichever column holds it.
        let gaps = table("n,c\n1,a\n,b\n2,\n");
        let err = p
            .preprocessor
            .transform_table(&gaps)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3, column `n`"), "{err}");
        let gaps = table("n,c\n1,a\n2,\n,b\n");
        let err = p
            .preprocessor
            .transform_table(&gaps)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3, column `c`"), "{err}");
        // An earlier fault of another kind comes first.
        let encoded = |text: &str| {
            let rows = table(text);
            p.preprocessor
                .transform_table(&rows)
                .unwrap_err()
                .to_string()
        };
        let word = encoded("n,c\n1,a\nabc,b\n2,\n");
        assert!(word.contains("line 3, column `n`: `abc`"), "{word}");
        let unseen = encoded("n,c\n1,z\n,a\n");
        assert!(
            unseen.contains("line 2") && unseen.contains("`z`"),
            "{unseen}"
        );
    }
}
