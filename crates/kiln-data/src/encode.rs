//! The fitted preprocessing: how each raw column becomes model inputs. It is fitted on the
//! training rows only and saved with the model, so that `kiln predict` on raw rows repeats the
//! training-time preprocessing exactly.

use serde::{Deserialize, Serialize};

use crate::{DataError, Matrix, MissingPolicy, Scale, Table, UnknownPolicy};

/// The category that collects the levels cut by `max_categories`.
pub const OTHER: &str = "other";

/// How one raw feature column is turned into one or more model inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FeatureEncoding {
    /// A number, filled when missing, then `(x - shift) / scale`.
    Numeric {
        /// Column name.
        column: String,
        /// The training median, used for missing cells with `missing = "impute"`.
        fill: f64,
        /// Whether a 0/1 "was missing" input follows this one.
        indicator: bool,
        /// Subtracted before scaling (mean or minimum; 0 without scaling).
        shift: f64,
        /// Divided by after the shift (standard deviation or range; 1 without scaling).
        scale: f64,
    },
    /// A category, one-hot encoded over the training levels.
    Categorical {
        /// Column name.
        column: String,
        /// Levels in input order; `other` last when `max_categories` cut some.
        levels: Vec<String>,
        /// Whether levels beyond the kept ones map to `other`.
        has_other: bool,
        /// The most frequent training level, used for missing cells with `missing = "impute"`.
        fill: String,
    },
}

impl FeatureEncoding {
    /// The raw column this encodes.
    pub fn column(&self) -> &str {
        match self {
            Self::Numeric { column, .. } | Self::Categorical { column, .. } => column,
        }
    }

    /// How many model inputs this column becomes.
    pub fn width(&self) -> usize {
        match self {
            Self::Numeric { indicator, .. } => 1 + usize::from(*indicator),
            Self::Categorical { levels, .. } => levels.len(),
        }
    }

    /// The names of the model inputs, e.g. `age`, `age_missing`, `job=clerk`.
    pub fn input_names(&self) -> Vec<String> {
        match self {
            Self::Numeric {
                column, indicator, ..
            } => {
                let mut names = vec![column.clone()];
                if *indicator {
                    names.push(format!("{column}_missing"));
                }
                names
            }
            Self::Categorical { column, levels, .. } => {
                levels.iter().map(|l| format!("{column}={l}")).collect()
            }
        }
    }
}

/// Everything needed to turn raw rows into model inputs, fitted on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    /// One entry per raw feature column, in input order.
    pub features: Vec<FeatureEncoding>,
    /// Missing-cell policy at prediction time (`drop` acts as `error` there: a row cannot be
    /// skipped silently when a prediction is asked for).
    pub missing: MissingPolicy,
    /// Unseen-category policy at prediction time.
    pub unknown: UnknownPolicy,
    /// Cell texts that mean "missing".
    pub na_values: Vec<String>,
}

/// Options for fitting a [`Preprocessor`].
#[derive(Debug, Clone)]
pub(crate) struct FitOptions<'a> {
    pub scale: Scale,
    pub missing: MissingPolicy,
    pub indicator: bool,
    pub max_categories: Option<usize>,
    pub unknown: UnknownPolicy,
    pub na_values: &'a [String],
}

/// A raw feature column: numbers (`None` = missing) or text.
pub(crate) enum RawColumn<'a> {
    Numeric(Vec<Option<f64>>),
    Text(&'a [String]),
}

impl Preprocessor {
    /// Fits on the training rows `train` of the given columns.
    pub(crate) fn fit(
        columns: &[(String, RawColumn<'_>)],
        train: &[usize],
        options: &FitOptions<'_>,
    ) -> Self {
        let features = columns
            .iter()
            .map(|(name, column)| match column {
                RawColumn::Numeric(values) => fit_numeric(name, values, train, options),
                RawColumn::Text(cells) => fit_categorical(name, cells, train, options),
            })
            .collect();
        Self {
            features,
            missing: options.missing,
            unknown: options.unknown,
            na_values: options.na_values.to_vec(),
        }
    }

    /// Names of the model inputs, in order.
    pub fn input_names(&self) -> Vec<String> {
        self.features
            .iter()
            .flat_map(FeatureEncoding::input_names)
            .collect()
    }

    /// Number of model inputs.
    pub fn width(&self) -> usize {
        self.features.iter().map(FeatureEncoding::width).sum()
    }

    /// Names of the raw columns the model needs.
    pub fn columns(&self) -> Vec<&str> {
        self.features.iter().map(FeatureEncoding::column).collect()
    }

    /// Whether `cell` counts as missing.
    pub fn is_missing(&self, cell: &str) -> bool {
        is_missing(cell, &self.na_values)
    }

    /// Encodes every row of `table` (raw, as a user gives it for prediction). Columns are matched
    /// by name; extra columns are ignored.
    pub fn transform_table(&self, table: &Table) -> Result<Matrix, DataError> {
        let indices = self
            .features
            .iter()
            .map(|f| table.index_of(f.column(), "the saved model"))
            .collect::<Result<Vec<_>, _>>()?;
        let rows: Vec<usize> = (0..table.len()).collect();
        let mut matrix = Matrix::zeros(rows.len(), self.width());
        let mut offset = 0;
        for (feature, &index) in self.features.iter().zip(&indices) {
            let cells = table.cells(index);
            for (r, &row) in rows.iter().enumerate() {
                let cell = &cells[row];
                let missing = self.is_missing(cell);
                if missing && self.missing != MissingPolicy::Impute {
                    return Err(DataError::MissingCell {
                        path: table.path().to_path_buf(),
                        line: table.line(row),
                        column: feature.column().to_string(),
                    });
                }
                let out = &mut matrix.row_mut(r)[offset..offset + feature.width()];
                match feature {
                    FeatureEncoding::Numeric { .. } => {
                        let value = if missing {
                            None
                        } else {
                            Some(crate::parse::number(table, row, index, cell)?)
                        };
                        encode_numeric(feature, value, out);
                    }
                    FeatureEncoding::Categorical { levels, .. } => {
                        if !encode_categorical(feature, (!missing).then_some(cell.as_str()), out)
                            && self.unknown == UnknownPolicy::Error
                        {
                            return Err(DataError::UnknownCategory {
                                path: table.path().to_path_buf(),
                                line: table.line(row),
                                column: feature.column().to_string(),
                                value: cell.clone(),
                                known: levels.join(", "),
                            });
                        }
                    }
                }
            }
            offset += feature.width();
        }
        Ok(matrix)
    }

    /// Encodes the given rows of already-parsed columns (the training file).
    pub(crate) fn transform(&self, columns: &[(String, RawColumn<'_>)], rows: &[usize]) -> Matrix {
        let mut matrix = Matrix::zeros(rows.len(), self.width());
        let mut offset = 0;
        for (feature, (_, column)) in self.features.iter().zip(columns) {
            for (r, &row) in rows.iter().enumerate() {
                let out = &mut matrix.row_mut(r)[offset..offset + feature.width()];
                match column {
                    RawColumn::Numeric(values) => encode_numeric(feature, values[row], out),
                    RawColumn::Text(cells) => {
                        let cell = &cells[row];
                        let value = (!is_missing(cell, &self.na_values)).then_some(cell.as_str());
                        // Training rows only hold levels seen in training, or `other`.
                        encode_categorical(feature, value, out);
                    }
                }
            }
            offset += feature.width();
        }
        matrix
    }
}

pub(crate) fn is_missing(cell: &str, na_values: &[String]) -> bool {
    cell.is_empty() || na_values.iter().any(|na| na == cell)
}

fn encode_numeric(feature: &FeatureEncoding, value: Option<f64>, out: &mut [f32]) {
    if let FeatureEncoding::Numeric {
        fill,
        indicator,
        shift,
        scale,
        ..
    } = feature
    {
        out[0] = ((value.unwrap_or(*fill) - shift) / scale) as f32;
        if *indicator {
            out[1] = if value.is_none() { 1.0 } else { 0.0 };
        }
    }
}

/// Writes the one-hot code of `value` (the fill level when `None`); false if the level is unknown.
fn encode_categorical(feature: &FeatureEncoding, value: Option<&str>, out: &mut [f32]) -> bool {
    let FeatureEncoding::Categorical {
        levels,
        has_other,
        fill,
        ..
    } = feature
    else {
        return true;
    };
    let value = value.unwrap_or(fill);
    let position = levels.iter().position(|l| l == value).or_else(|| {
        // Levels cut by `max_categories` were seen in training: they go to `other`.
        has_other.then(|| levels.len() - 1)
    });
    match position {
        Some(p) => {
            out[p] = 1.0;
            true
        }
        None => false,
    }
}

fn fit_numeric(
    name: &str,
    values: &[Option<f64>],
    train: &[usize],
    options: &FitOptions<'_>,
) -> FeatureEncoding {
    let mut present: Vec<f64> = train.iter().filter_map(|&r| values[r]).collect();
    let fill = median(&mut present);
    let had_missing = train.iter().any(|&r| values[r].is_none());
    let filled = train.iter().map(|&r| values[r].unwrap_or(fill));
    let (shift, scale) = match options.scale {
        Scale::None => (0.0, 1.0),
        Scale::Standard => {
            let n = train.len() as f64;
            let mean = filled.clone().sum::<f64>() / n;
            let var = filled.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            (mean, nonzero(var.sqrt()))
        }
        Scale::Minmax => {
            let (lo, hi) = filled.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            (lo, nonzero(hi - lo))
        }
    };
    FeatureEncoding::Numeric {
        column: name.to_string(),
        fill,
        indicator: options.indicator && options.missing == MissingPolicy::Impute && had_missing,
        shift,
        scale,
    }
}

/// A constant column has no spread: divide by 1 rather than by 0.
fn nonzero(spread: f64) -> f64 {
    if spread > f64::EPSILON * 1e3 {
        spread
    } else {
        1.0
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn fit_categorical(
    name: &str,
    cells: &[String],
    train: &[usize],
    options: &FitOptions<'_>,
) -> FeatureEncoding {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for &r in train {
        let cell = cells[r].as_str();
        if !is_missing(cell, options.na_values) {
            *counts.entry(cell).or_default() += 1;
        }
    }
    // Most frequent first; ties by name, so the order never depends on the row order.
    let mut by_count: Vec<(&str, usize)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let fill = by_count
        .first()
        .map(|(l, _)| l.to_string())
        .unwrap_or_default();
    let keep = options
        .max_categories
        .map_or(by_count.len(), |m| m.min(by_count.len()));
    let has_other = keep < by_count.len();
    let kept = if has_other {
        keep.saturating_sub(1).max(1)
    } else {
        keep
    };
    let mut levels: Vec<String> = by_count[..kept]
        .iter()
        .map(|(l, _)| l.to_string())
        .collect();
    levels.sort();
    if has_other {
        levels.push(OTHER.to_string());
    }
    FeatureEncoding::Categorical {
        column: name.to_string(),
        levels,
        has_other,
        fill,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(scale: Scale) -> FitOptions<'static> {
        FitOptions {
            scale,
            missing: MissingPolicy::Impute,
            indicator: true,
            max_categories: None,
            unknown: UnknownPolicy::Error,
            na_values: &[],
        }
    }

    #[test]
    fn standard_scaling_uses_training_rows_only() {
        // Rows 0..4 train: 1, 2, 3, 4 (mean 2.5, population std sqrt(1.25)); row 4 is held out.
        let column = RawColumn::Numeric(vec![
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(4.0),
            Some(100.0),
        ]);
        let columns = vec![("x".to_string(), column)];
        let p = Preprocessor::fit(&columns, &[0, 1, 2, 3], &options(Scale::Standard));
        let m = p.transform(&columns, &[0, 4]);
        let std = 1.25f64.sqrt();
        assert!((m.data[0] as f64 - (1.0 - 2.5) / std).abs() < 1e-6);
        assert!((m.data[1] as f64 - (100.0 - 2.5) / std).abs() < 1e-4);
    }

    #[test]
    fn constant_column_does_not_divide_by_zero() {
        let columns = vec![("c".to_string(), RawColumn::Numeric(vec![Some(5.0); 3]))];
        for scale in [Scale::Standard, Scale::Minmax] {
            let p = Preprocessor::fit(&columns, &[0, 1, 2], &options(scale));
            let m = p.transform(&columns, &[0, 1, 2]);
            assert!(m.data.iter().all(|v| *v == 0.0), "{scale:?}: {:?}", m.data);
        }
    }

    #[test]
    fn impute_fills_with_training_median_and_flags_missing() {
        let values = vec![Some(1.0), None, Some(3.0), Some(10.0)];
        let columns = vec![("x".to_string(), RawColumn::Numeric(values))];
        let p = Preprocessor::fit(&columns, &[0, 1, 2, 3], &options(Scale::None));
        assert_eq!(p.input_names(), ["x", "x_missing"]);
        let m = p.transform(&columns, &[1, 3]);
        assert_eq!(m.data, [3.0, 1.0, 10.0, 0.0]);
    }

    #[test]
    fn one_hot_keeps_most_frequent_levels_and_pools_the_rest() {
        let cells: Vec<String> = ["a", "a", "a", "b", "b", "c", "d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let columns = vec![("job".to_string(), RawColumn::Text(&cells))];
        let mut opts = options(Scale::None);
        opts.max_categories = Some(3);
        let p = Preprocessor::fit(&columns, &[0, 1, 2, 3, 4, 5, 6], &opts);
        assert_eq!(p.input_names(), ["job=a", "job=b", "job=other"]);
        let m = p.transform(&columns, &[0, 3, 6]);
        assert_eq!(m.data, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }
}
