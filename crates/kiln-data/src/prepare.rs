//! The whole `[data]` pipeline: read the table, pick columns, parse and check cells, decide what
//! to do with missing ones, split the rows, fit the preprocessing on the training rows and encode
//! every split. The result is training-ready matrices plus everything `predict` needs.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::encode::{FitOptions, RawColumn, is_missing};
use crate::parse::{looks_numeric, number};
use crate::{DataConfig, DataError, Matrix, MissingPolicy, Preprocessor, SplitRows, Table};

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
    pub fn encode_table(&self, table: &Table, na_values: &[String]) -> Result<Vec<f32>, DataError> {
        let index = table.index_of(self.column(), "the saved model's target")?;
        let cells = table.cells(index);
        (0..table.len())
            .map(|row| {
                let cell = &cells[row];
                if is_missing(cell, na_values) {
                    return Err(DataError::MissingCell {
                        path: table.path().to_path_buf(),
                        line: table.line(row),
                        column: self.column().to_string(),
                    });
                }
                match self {
                    Self::Numeric { .. } => number(table, row, index, cell).map(|v| v as f32),
                    Self::Classes { labels, .. } => {
                        let canonical = canonical_label(cell);
                        labels
                            .iter()
                            .position(|l| *l == canonical)
                            .map(|i| i as f32)
                            .ok_or_else(|| DataError::Classes {
                                path: table.path().to_path_buf(),
                                column: self.column().to_string(),
                                reason: format!(
                                    "holds `{cell}` on line {}, a label the model never saw \
                                     (labels: {})",
                                    table.line(row),
                                    labels.join(", ")
                                ),
                            })
                    }
                }
            })
            .collect()
    }
}

/// One split, ready for tensors.
#[derive(Debug, Clone)]
pub struct Split {
    /// Model inputs, one row per example.
    pub x: Matrix,
    /// Targets: values for regression, class indices for classification.
    pub y: Vec<f32>,
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
    /// With `kfold = k`: the k folds of the training rows.
    pub folds: Vec<Fold>,
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
}

/// Reads `config.path` and prepares it; `seed` is the experiment's seed, used for the split
/// unless `split.seed` is set.
pub fn prepare(
    config: &DataConfig,
    target_kind: TargetKind,
    seed: u64,
) -> Result<Prepared, DataError> {
    config.validate()?;
    let table = Table::read(&config.path)?;
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
    let na = &config.na_values;
    let target_index = table.index_of(&config.target, "data.target")?;
    for (key, names) in [
        ("data.drop", &config.drop),
        ("data.categorical", &config.categorical),
    ] {
        for name in names {
            table.index_of(name, key)?;
        }
    }
    let feature_indices: Vec<usize> = match &config.features {
        Some(names) => names
            .iter()
            .map(|n| table.index_of(n, "data.features"))
            .collect::<Result<_, _>>()?,
        None => (0..table.names().len())
            .filter(|&i| i != target_index && !config.drop.contains(&table.names()[i]))
            .collect(),
    };
    if feature_indices.is_empty() {
        return Err(DataError::InvalidConfig {
            key: "features".into(),
            reason: "no feature columns are left once the target and `drop` are removed".into(),
        });
    }

    // Which rows are usable: missing cells are an error, a reason to skip the row, or filled.
    let mut usable = Vec::with_capacity(table.len());
    for row in 0..table.len() {
        let target_missing = is_missing(&table.cells(target_index)[row], na);
        let missing_feature = feature_indices
            .iter()
            .copied()
            .find(|&i| is_missing(&table.cells(i)[row], na));
        let first_missing = if target_missing {
            Some(target_index)
        } else {
            missing_feature
        };
        match (first_missing, config.missing) {
            (None, _) => usable.push(row),
            (Some(column), MissingPolicy::Error) => {
                return Err(DataError::MissingCell {
                    path: table.path().to_path_buf(),
                    line: table.line(row),
                    column: table.names()[column].clone(),
                });
            }
            (Some(_), MissingPolicy::Drop) => {}
            // A missing target cannot be imputed: the row has nothing to learn from.
            (Some(_), MissingPolicy::Impute) if target_missing => {}
            (Some(_), MissingPolicy::Impute) => usable.push(row),
        }
    }
    let dropped_rows = table.len() - usable.len();
    if usable.is_empty() {
        return Err(DataError::EmptySplit {
            split: "train".into(),
            reason: format!("every row of {} has a missing cell", table.path().display()),
        });
    }

    let (target, y_all) = encode_target(table, target_index, target_kind, &usable, na)?;
    let columns = feature_indices
        .iter()
        .map(|&i| {
            let name = table.names()[i].clone();
            let forced = config.categorical.contains(&name);
            raw_column(table, i, forced, na).map(|c| (name, c))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let fixed_test = match &config.split.test_rows {
        Some(path) => Some(read_row_indices(path, table.len())?),
        None => None,
    };
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

    let options = FitOptions {
        scale: config.scale,
        missing: config.missing,
        indicator: config.missing_indicator,
        max_categories: config.max_categories,
        unknown: config.unknown,
        na_values: na,
    };
    let preprocessor = Preprocessor::fit(&columns, &train, &options);
    let make = |rows: Vec<usize>| Split {
        x: preprocessor.transform(&columns, &rows),
        y: rows.iter().map(|&r| y_all[r]).collect(),
        rows,
    };
    let nonempty = |rows: Vec<usize>| (!rows.is_empty()).then(|| make(rows));
    // k-fold cross-validation over the training rows: each fold fits its own preprocessing on
    // its own training rows, so no fold sees statistics of the rows it is scored on.
    let folds = if config.kfold >= 2 {
        let stratify = classes.as_deref().filter(|_| config.split.stratify);
        let parts = crate::split::kfold_rows(
            &train,
            config.kfold,
            stratify,
            config.split.seed.unwrap_or(seed),
        )?;
        parts
            .iter()
            .map(|held_out| {
                let fold_train: Vec<usize> = train
                    .iter()
                    .copied()
                    .filter(|r| held_out.binary_search(r).is_err())
                    .collect();
                let fold_preprocessor = Preprocessor::fit(&columns, &fold_train, &options);
                let split = |rows: &[usize]| Split {
                    x: fold_preprocessor.transform(&columns, rows),
                    y: rows.iter().map(|&r| y_all[r]).collect(),
                    rows: rows.to_vec(),
                };
                Fold {
                    train: split(&fold_train),
                    held_out: split(held_out),
                    preprocessor: fold_preprocessor.clone(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    // Rows from separate files go through the preprocessing fitted on the training rows.
    let from_file = |path: &Option<std::path::PathBuf>| -> Result<Option<Split>, DataError> {
        let Some(path) = path else { return Ok(None) };
        let file = Table::read(path)?;
        let x = preprocessor.transform_table(&file)?;
        let y = target.encode_table(&file, na)?;
        Ok(Some(Split {
            x,
            y,
            rows: (0..file.len()).collect(),
        }))
    };
    let valid_file = from_file(&config.valid_path)?;
    let test_file = from_file(&config.test_path)?;
    Ok(Prepared {
        folds,
        train: make(train),
        valid: valid_file.or_else(|| nonempty(valid)),
        test: test_file.or_else(|| nonempty(test)),
        preprocessor,
        target,
        dropped_rows,
    })
}

/// Parses a feature column: numbers unless forced categorical or mostly text. A column whose
/// cells are mostly numbers but with a stray word is a numeric column with a bad cell.
fn raw_column<'a>(
    table: &'a Table,
    index: usize,
    forced_categorical: bool,
    na: &[String],
) -> Result<RawColumn<'a>, DataError> {
    let cells = table.cells(index);
    if forced_categorical {
        return Ok(RawColumn::Text(cells));
    }
    let present = cells.iter().filter(|c| !is_missing(c, na));
    let (numeric, total) = present.fold((0usize, 0usize), |(n, t), c| {
        (n + usize::from(looks_numeric(c)), t + 1)
    });
    if numeric * 2 < total || numeric == 0 {
        return Ok(RawColumn::Text(cells));
    }
    cells
        .iter()
        .enumerate()
        .map(|(row, cell)| {
            if is_missing(cell, na) {
                Ok(None)
            } else {
                number(table, row, index, cell).map(Some)
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(RawColumn::Numeric)
}

/// A label as kept in the model: numeric labels in a canonical form, so that `1` and `1.0` are
/// the same class.
fn canonical_label(cell: &str) -> String {
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        _ => cell.to_string(),
    }
}

/// Encodes the target of every data row (unusable rows get 0 and are never read).
fn encode_target(
    table: &Table,
    index: usize,
    kind: TargetKind,
    usable: &[usize],
    na: &[String],
) -> Result<(TargetEncoding, Vec<f32>), DataError> {
    let cells = table.cells(index);
    let column = table.names()[index].clone();
    let mut y = vec![0.0f32; table.len()];
    match kind {
        TargetKind::Numeric => {
            for &row in usable {
                let cell = &cells[row];
                y[row] = number(table, row, index, cell).map_err(|e| match e {
                    DataError::NotANumber { line, value, .. } => DataError::TextTarget {
                        path: table.path().to_path_buf(),
                        column: column.clone(),
                        task: "regression".into(),
                        line,
                        value,
                    },
                    other => other,
                })? as f32;
            }
            Ok((TargetEncoding::Numeric { column }, y))
        }
        TargetKind::Classes => {
            let seen: HashSet<String> = usable
                .iter()
                .map(|&r| canonical_label(&cells[r]))
                .filter(|c| !is_missing(c, na))
                .collect();
            let mut labels: Vec<String> = seen.into_iter().collect();
            if labels.iter().all(|l| looks_numeric(l)) {
                labels.sort_by(|a, b| {
                    let (a, b) = (
                        a.parse::<f64>().unwrap_or(0.0),
                        b.parse::<f64>().unwrap_or(0.0),
                    );
                    a.total_cmp(&b)
                });
            } else {
                labels.sort();
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
            for &row in usable {
                let label = canonical_label(&cells[row]);
                y[row] = labels.iter().position(|l| *l == label).unwrap_or(0) as f32;
            }
            Ok((TargetEncoding::Classes { column, labels }, y))
        }
    }
}

/// Reads a CSV with a `row_index` column of 0-based data-row positions.
fn read_row_indices(path: &std::path::Path, n_rows: usize) -> Result<Vec<usize>, DataError> {
    let table = Table::read(path)?;
    let index = table.index_of("row_index", "data.split.test_rows")?;
    table
        .cells(index)
        .iter()
        .enumerate()
        .map(|(row, cell)| match cell.parse::<usize>() {
            Ok(i) if i < n_rows => Ok(i),
            _ => Err(DataError::Malformed {
                path: path.to_path_buf(),
                line: table.line(row),
                reason: format!("`{cell}` is not a data-row position below {n_rows}"),
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
                .contains("no column `n`")
        );
    }
}
