//! The fitted preprocessing: how each raw column becomes model inputs. It is fitted on the
//! training rows only and saved with the model, so that `kiln predict` on raw rows repeats the
//! training-time preprocessing exactly.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::column::{Column, FastMap, level_order};
use crate::error::echoed;
use crate::format::CsvFormat;
use crate::parse::{NaValues, number};
use crate::{DataError, Matrix, MissingAdvice, MissingPolicy, Scale, Table, UnknownPolicy};

/// The most levels a category column may have without `max_categories` set: one input each.
pub const MAX_LEVELS: usize = 1000;

/// The category that collects the levels cut by `max_categories` (with underscores in front
/// when the column has a level of that name of its own).
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
        /// The training levels that `max_categories` cut, which map to `other`; any other level
        /// is unseen (an error under `unknown = "error"`). Absent in bundles from before it was
        /// kept: there every level beyond the kept ones maps to `other`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pooled: Option<Vec<String>>,
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
    /// How the training files wrote their cells: rows to predict are read the same way unless
    /// told otherwise. (Left out of saved bundles when it is the default, commas and points.)
    #[serde(default, skip_serializing_if = "CsvFormat::is_default")]
    pub format: CsvFormat,
    /// The names `data.columns` gave the columns of training files without a header line:
    /// rows to predict without one are read by them. (Left out when the files had headers.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
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
    pub columns: Option<&'a [String]>,
}

/// A feature column of the training table and how it is read: as numbers (every cell that is
/// not missing already checked to be a finite number) or as categories.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawColumn {
    /// Position in the table.
    pub index: usize,
    /// Numbers, or categories.
    pub numeric: bool,
}

impl Preprocessor {
    /// Fits on the training rows `train` of the given columns of `table`.
    pub(crate) fn fit(
        table: &Table,
        columns: &[RawColumn],
        train: &[usize],
        options: &FitOptions<'_>,
    ) -> Result<Self, DataError> {
        let na = NaValues::new(options.na_values, table.format().decimal);
        let features = columns
            .iter()
            .map(|raw| {
                let name = &table.names()[raw.index];
                let column = table.column(raw.index);
                let fitted = if raw.numeric {
                    fit_numeric(name, column, &na, train, options)
                } else {
                    fit_categorical(name, column, &na, train, options)
                };
                let fitted = fitted.ok_or_else(|| DataError::NoValues {
                    path: table.path().to_path_buf(),
                    column: name.clone(),
                })?;
                if options.max_categories.is_none() && fitted.width() > MAX_LEVELS {
                    return Err(DataError::TooManyLevels {
                        path: table.path().to_path_buf(),
                        column: name.clone(),
                        levels: fitted.width(),
                    });
                }
                Ok(fitted)
            })
            .collect::<Result<_, _>>()?;
        let fitted = Self {
            features,
            missing: options.missing,
            unknown: options.unknown,
            na_values: options.na_values.to_vec(),
            format: table.format(),
            columns: options.columns.map(<[String]>::to_vec),
        };
        // Inputs are told apart by name (a linear model's coefficients are keyed by it).
        let mut names = fitted.input_names();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(DataError::DuplicateInput {
                path: table.path().to_path_buf(),
                name: pair[0].clone(),
            });
        }
        Ok(fitted)
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

    /// Warnings for the number columns of `table` the model reads (and `target`, for rows with
    /// their targets) that look like thousands written with a decimal mark: read a thousand
    /// times too small (see [`Column::thousands_with_marks`](crate::Column::thousands_with_marks)).
    pub fn thousands_warnings(&self, table: &Table, target: Option<&str>) -> Vec<String> {
        let numeric = self.features.iter().filter_map(|f| match f {
            FeatureEncoding::Numeric { column, .. } => Some(column.as_str()),
            FeatureEncoding::Categorical { .. } => None,
        });
        numeric
            .chain(target)
            .filter_map(|name| table.names().iter().position(|n| n == name))
            .filter_map(|index| crate::prepare::thousands_warning(table, index))
            .collect()
    }

    /// Encodes every row of `table` (raw, as a user gives it for prediction). Columns are matched
    /// by name; extra columns are ignored.
    pub fn transform_table(&self, table: &Table) -> Result<Matrix, DataError> {
        let columns = self.columns();
        // A column the model reads must be there once; two of the name are an error.
        let found: Vec<Option<usize>> = columns
            .iter()
            .map(|c| match table.names().iter().any(|n| n == c) {
                true => table.index_of(c, "the model").map(Some),
                false => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        // Every missing column at once, against the model's list: the file's other columns are
        // no guide to what the model needs.
        let Some(indices) = found.iter().copied().collect::<Option<Vec<_>>>() else {
            let quoted = |names: Vec<&str>| {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let missing: Vec<&str> = columns
                .iter()
                .zip(&found)
                .filter(|(_, f)| f.is_none())
                .map(|(c, _)| *c)
                .collect();
            // The file's name closest to the first missing one (`X` for `x`).
            let names = || table.names().iter().map(String::as_str);
            let closest = match names().find(|n| n.eq_ignore_ascii_case(missing[0])) {
                Some(c) => Some(format!(
                    " (the file has `{c}`: names must match exactly, case included)"
                )),
                None => crate::suggest::closest(missing[0], names())
                    .map(|c| format!(" (the file has `{c}`: names must match exactly)")),
            };
            return Err(DataError::MissingModelColumns {
                path: table.path().to_path_buf(),
                missing: quoted(missing) + &closest.unwrap_or_default(),
                needed: quoted(columns),
            });
        };
        let rows: Vec<usize> = (0..table.len()).collect();
        self.transform(table, &indices, &rows, true)
    }

    /// Category values in `rows` of `table` (feature `i` in column `indices[i]`) that the fitted
    /// levels lack, pooled ones included, as "`column`: `value`" (the first five).
    pub(crate) fn unseen(&self, table: &Table, indices: &[usize], rows: &[usize]) -> Vec<String> {
        let na = NaValues::new(&self.na_values, table.format().decimal);
        let mut found = Vec::new();
        for (feature, &index) in self.features.iter().zip(indices) {
            let FeatureEncoding::Categorical {
                column: name,
                levels,
                has_other,
                pooled,
                ..
            } = feature
            else {
                continue;
            };
            let kept = if *has_other {
                &levels[..levels.len() - 1]
            } else {
                &levels[..]
            };
            let column = table.column(index);
            for &row in rows {
                let cell = column.get(row);
                if na.is_missing(cell) {
                    continue;
                }
                let text = self.format.decimal.text_of(cell);
                let known = kept
                    .iter()
                    .chain(pooled.iter().flatten())
                    .any(|l| *l == text);
                let note = format!("`{name}`: `{text}`");
                if !known && !found.contains(&note) {
                    found.push(note);
                    if found.len() == 5 {
                        return found;
                    }
                }
            }
        }
        found
    }

    /// Encodes `rows` of `table`, feature `i` read from column `indices[i]`. A missing cell is
    /// filled under `missing = "impute"` and an error otherwise. An unseen category is an error
    /// when `strict` and [`UnknownPolicy::Error`] (rows a user gives); otherwise it encodes as
    /// all zeros (held-out rows of the training file, whose levels the training rows may lack).
    pub(crate) fn transform(
        &self,
        table: &Table,
        indices: &[usize],
        rows: &[usize],
        strict: bool,
    ) -> Result<Matrix, DataError> {
        let na = NaValues::new(&self.na_values, table.format().decimal);
        let missing_error = |row: usize, feature: &FeatureEncoding| DataError::MissingCell {
            path: table.path().to_path_buf(),
            line: table.line(row),
            column: feature.column().to_string(),
            advice: if strict {
                MissingAdvice::ModelInput
            } else {
                MissingAdvice::TrainingFeature
            },
        };
        // Unless filled, a missing cell is an error: the first in the file, not the first of
        // the first column that has one, so that fixing it does not reveal an earlier one. A
        // fault found later in the rows than it (a word among numbers, an unseen category)
        // gives way to it.
        let first_missing = (self.missing != MissingPolicy::Impute)
            .then(|| {
                self.features
                    .iter()
                    .zip(indices)
                    .filter_map(|(feature, &index)| {
                        let column = table.column(index);
                        let at = rows
                            .iter()
                            .position(|&row| na.is_missing(column.get(row)))?;
                        Some((at, feature))
                    })
                    .min_by_key(|(at, _)| *at)
            })
            .flatten();
        let earlier = |at: usize, fault: DataError| match first_missing {
            Some((missing, feature)) if missing < at => missing_error(rows[missing], feature),
            _ => fault,
        };
        let mut matrix = Matrix::zeros(rows.len(), self.width());
        let mut offset = 0;
        for (feature, &index) in self.features.iter().zip(indices) {
            let column = table.column(index);
            let width = feature.width();
            match feature {
                FeatureEncoding::Numeric {
                    fill,
                    indicator,
                    shift,
                    scale,
                    ..
                } => {
                    for (r, &row) in rows.iter().enumerate() {
                        let value = match na.present(column.number(row)) {
                            Some(v) => Some(v),
                            // Not a number: missing (filled or an error), or a bad cell.
                            // Unfilled, it is the error returned once the rows before it
                            // are known to hold no other fault.
                            None if na.is_missing(column.get(row)) => None,
                            None => {
                                Some(number(table, row, index, strict).map_err(|e| earlier(r, e))?)
                            }
                        };
                        let out = &mut matrix.row_mut(r)[offset..offset + width];
                        out[0] = ((value.unwrap_or(*fill) - shift) / scale) as f32;
                        if *indicator {
                            out[1] = if value.is_none() { 1.0 } else { 0.0 };
                        }
                    }
                }
                FeatureEncoding::Categorical {
                    levels,
                    has_other,
                    pooled,
                    fill,
                    ..
                } => {
                    let other = has_other.then(|| levels.len() - 1);
                    // The pooled input's own name is not a level (a cell reading `other` was
                    // never seen unless it was pooled).
                    let named = match (other, pooled) {
                        (Some(other), Some(_)) => other,
                        _ => levels.len(),
                    };
                    let mut position: FastMap<&str, usize> = levels[..named]
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.as_str(), i))
                        .collect();
                    // Levels cut by `max_categories` were seen in training: they go to `other`.
                    if let (Some(other), Some(pooled)) = (other, pooled) {
                        position.extend(pooled.iter().map(|l| (l.as_str(), other)));
                    }
                    // Unseen levels go there too under unknown = "other", and in bundles from
                    // before the pooled levels were kept.
                    let other =
                        other.filter(|_| pooled.is_none() || self.unknown == UnknownPolicy::Other);
                    for (r, &row) in rows.iter().enumerate() {
                        let cell = column.get(row);
                        let text = if na.is_missing(cell) {
                            if first_missing.is_some() {
                                continue; // Unfilled: the error returned at the end.
                            }
                            Cow::Borrowed(fill.as_str())
                        } else {
                            self.format.decimal.text_of(cell)
                        };
                        match position.get(text.as_ref()).copied().or(other) {
                            Some(p) => matrix.row_mut(r)[offset + p] = 1.0,
                            None if strict && self.unknown == UnknownPolicy::Error => {
                                return Err(earlier(
                                    r,
                                    DataError::UnknownCategory {
                                        path: table.path().to_path_buf(),
                                        line: table.line(row),
                                        column: feature.column().to_string(),
                                        value: echoed(&text),
                                        known: known_levels(&levels[..named], pooled.as_deref()),
                                        pooled: has_other
                                            .then(|| levels[levels.len() - 1].as_str().into()),
                                    },
                                ));
                            }
                            None => {}
                        }
                    }
                }
            }
            offset += width;
        }
        match first_missing {
            Some((at, feature)) => Err(missing_error(rows[at], feature)),
            None => Ok(matrix),
        }
    }
}

/// The levels a column knows, for an unseen-level error: the kept ones, then the pooled ones
/// (the first ten, and how many in all).
fn known_levels(kept: &[String], pooled: Option<&[String]>) -> String {
    let mut text = some_of(kept, 20);
    if let Some(pooled) = pooled.filter(|p| !p.is_empty()) {
        text.push_str(&format!("; and, pooled: {}", some_of(pooled, 10)));
    }
    text
}

/// The first `most` of `levels`, comma separated, and how many there are in all when that is
/// more: a column of a thousand levels makes a message, not a page.
fn some_of(levels: &[String], most: usize) -> String {
    let shown: Vec<&str> = levels.iter().take(most).map(String::as_str).collect();
    match levels.len() {
        n if n > most => format!("{}, … ({n} in all)", shown.join(", ")),
        _ => shown.join(", "),
    }
}

fn fit_numeric(
    name: &str,
    column: &Column,
    na: &NaValues,
    train: &[usize],
    options: &FitOptions<'_>,
) -> Option<FeatureEncoding> {
    // The column was checked: a cell that is not a number is missing.
    let value = |row: usize| na.present(column.number(row));
    let mut present: Vec<f64> = train.iter().filter_map(|&r| value(r)).collect();
    if present.is_empty() {
        return None;
    }
    let had_missing = present.len() < train.len();
    let fill = median(&mut present);
    drop(present);
    let filled = train.iter().map(|&r| value(r).unwrap_or(fill));
    let magnitude = filled.clone().fold(0.0, |m: f64, v| m.max(v.abs()));
    let (shift, scale) = match options.scale {
        Scale::None => (0.0, 1.0),
        Scale::Standard => {
            let n = train.len() as f64;
            let mean = filled.clone().sum::<f64>() / n;
            let var = filled.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            (mean, nonzero(var.sqrt(), magnitude))
        }
        Scale::Minmax => {
            let (lo, hi) = filled.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            (lo, nonzero(hi - lo, magnitude))
        }
    };
    Some(FeatureEncoding::Numeric {
        column: name.to_string(),
        fill,
        indicator: options.indicator && options.missing == MissingPolicy::Impute && had_missing,
        shift,
        scale,
    })
}

/// A constant column has no spread: divide by 1 rather than by 0. "Constant" is relative to
/// the values' size (`magnitude`, the largest absolute value): a spread within rounding error
/// of them is none, while values of 1e-14 that differ by 1e-14 are a real spread.
fn nonzero(spread: f64, magnitude: f64) -> f64 {
    if spread > f64::EPSILON * 1e3 * magnitude && spread > 0.0 {
        spread
    } else {
        1.0
    }
}

/// The median, by selection rather than a full sort (linear time on a million rows).
fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let odd = values.len() % 2 == 1;
    let mid = values.len() / 2;
    let (below, &mut upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    if odd {
        upper
    } else {
        // The largest of the lower half is the other middle value.
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

fn fit_categorical(
    name: &str,
    column: &Column,
    na: &NaValues,
    train: &[usize],
    options: &FitOptions<'_>,
) -> Option<FeatureEncoding> {
    let mut counts: BTreeMap<Cow<'_, str>, usize> = BTreeMap::new();
    for &r in train {
        let cell = column.get(r);
        if !na.is_missing(cell) {
            *counts.entry(column.text_of(cell)).or_default() += 1;
        }
    }
    // Most frequent first; ties in level order (the smallest number, as scikit-learn's
    // most-frequent imputer picks), so the order never depends on the row order.
    if counts.is_empty() {
        return None;
    }
    let mut by_count: Vec<(Cow<'_, str>, usize)> = counts.into_iter().collect();
    let decimal = column.decimal();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| level_order(&a.0, &b.0, decimal)));
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
    levels.sort_by(|a, b| level_order(a, b, decimal));
    let pooled = has_other.then(|| {
        let mut other = OTHER.to_string();
        while levels.contains(&other) {
            other.insert(0, '_');
        }
        levels.push(other);
        by_count[kept..]
            .iter()
            .map(|(l, _)| l.to_string())
            .collect()
    });
    Some(FeatureEncoding::Categorical {
        column: name.to_string(),
        levels,
        has_other,
        pooled,
        fill,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn options(scale: Scale) -> FitOptions<'static> {
        FitOptions {
            scale,
            missing: MissingPolicy::Impute,
            indicator: true,
            max_categories: None,
            unknown: UnknownPolicy::Error,
            na_values: &[],
            columns: None,
        }
    }

    /// A one-column table and its column read as numbers or as categories.
    fn one_column(cells: &[&str], numeric: bool) -> (Table, Vec<RawColumn>) {
        // A second column: in a one-column file an empty cell would be a blank line.
        let text = format!("x,z\n{},0\n", cells.join(",0\n"));
        let table = Table::parse(Path::new("t.csv"), text.as_bytes()).expect("table");
        (table, vec![RawColumn { index: 0, numeric }])
    }

    fn encode(p: &Preprocessor, table: &Table, rows: &[usize]) -> Vec<f32> {
        p.transform(table, &[0], rows, false).expect("encodes").data
    }

    #[test]
    fn a_long_list_of_levels_is_cut_to_a_message() {
        let levels: Vec<String> = (0..300).map(|i| format!("L{i}")).collect();
        let text = known_levels(&levels, Some(&levels[..12]));
        assert!(
            text.starts_with("L0, L1, ")
                && text.contains("L19, … (300 in all); and, pooled: L0")
                && text.ends_with("L9, … (12 in all)"),
            "{text}"
        );
        assert_eq!(known_levels(&levels[..2], None), "L0, L1");
    }

    #[test]
    fn standard_scaling_uses_training_rows_only() {
        // Rows 0..4 train: 1, 2, 3, 4 (mean 2.5, population std sqrt(1.25)); row 4 is held out.
        let (table, columns) = one_column(&["1", "2", "3", "4", "100"], true);
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2, 3], &options(Scale::Standard))
            .expect("fits");
        let m = encode(&p, &table, &[0, 4]);
        let std = 1.25f64.sqrt();
        assert!((m[0] as f64 - (1.0 - 2.5) / std).abs() < 1e-6);
        assert!((m[1] as f64 - (100.0 - 2.5) / std).abs() < 1e-4);
    }

    #[test]
    fn constant_column_does_not_divide_by_zero() {
        let (table, columns) = one_column(&["5", "5", "5"], true);
        for scale in [Scale::Standard, Scale::Minmax] {
            let p = Preprocessor::fit(&table, &columns, &[0, 1, 2], &options(scale)).expect("fits");
            let m = encode(&p, &table, &[0, 1, 2]);
            assert!(m.iter().all(|v| *v == 0.0), "{scale:?}: {m:?}");
        }
    }

    #[test]
    fn impute_fills_with_training_median_and_flags_missing() {
        let (table, columns) = one_column(&["1", "", "3", "10"], true);
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2, 3], &options(Scale::None))
            .expect("fits");
        assert_eq!(p.input_names(), ["x", "x_missing"]);
        assert_eq!(encode(&p, &table, &[1, 3]), [3.0, 1.0, 10.0, 0.0]);
    }

    #[test]
    fn a_numeric_na_value_matches_the_number_however_written() {
        let (table, columns) = one_column(&["1", "-999", "3", "-999.0"], true);
        let na = ["-999".to_string()];
        let opts = FitOptions {
            na_values: &na,
            ..options(Scale::None)
        };
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2, 3], &opts).expect("fits");
        // Median of 1 and 3 fills both spellings of -999.
        assert_eq!(encode(&p, &table, &[1, 3]), [2.0, 1.0, 2.0, 1.0]);
    }

    #[test]
    fn numeric_codes_are_levels_in_number_order_and_ties_fill_with_the_smallest() {
        // By byte value the levels were 10, 2, 7 and the tie's fill 10; scikit-learn's
        // most-frequent imputer fills 2.
        let (table, columns) = one_column(&["10", "2", "7", "2", "10", ""], false);
        let mut opts = options(Scale::None);
        opts.missing = MissingPolicy::Impute;
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2, 3, 4, 5], &opts).expect("fits");
        assert_eq!(p.input_names(), ["x=2", "x=7", "x=10"]);
        assert_eq!(encode(&p, &table, &[5]), [1.0, 0.0, 0.0]);
    }

    #[test]
    fn one_hot_keeps_most_frequent_levels_and_pools_the_rest() {
        let (table, columns) = one_column(&["a", "a", "a", "b", "b", "c", "d"], false);
        let mut opts = options(Scale::None);
        opts.max_categories = Some(3);
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2, 3, 4, 5, 6], &opts).expect("fits");
        assert_eq!(p.input_names(), ["x=a", "x=b", "x=other"]);
        let m = encode(&p, &table, &[0, 3, 6]);
        assert_eq!(m, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn only_levels_seen_in_training_go_to_other() {
        // Trained on rows 0..7; row 7's `zzz` was never seen: an error under unknown = "error",
        // as it is without max_categories (it went to `other` unnoticed).
        let (table, columns) = one_column(&["a", "a", "a", "b", "b", "c", "d", "zzz"], false);
        let mut opts = options(Scale::None);
        opts.max_categories = Some(3);
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2, 3, 4, 5, 6], &opts).expect("fits");
        let seen = p
            .transform(&table, &[0], &[5, 6], true)
            .expect("pooled")
            .data;
        assert_eq!(seen, [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
        let err = p
            .transform(&table, &[0], &[7], true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("category `zzz` was not seen in training"),
            "{err}"
        );
        // The pooled input's name is not a level of its own.
        let (named, _) = one_column(&["other"], false);
        let err = p
            .transform(&named, &[0], &[0], true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("category `other` was not seen"), "{err}");
        assert!(
            err.contains("\"other\" to count them with the rare levels"),
            "{err}"
        );
        // unknown = "other" counts unseen levels with the pooled ones.
        let mut counted = p.clone();
        counted.unknown = UnknownPolicy::Other;
        assert_eq!(
            counted
                .transform(&table, &[0], &[7], true)
                .expect("other")
                .data,
            [0.0, 0.0, 1.0]
        );
        // A bundle written before the pooled levels were kept maps every other level to other.
        let mut old = p.clone();
        if let FeatureEncoding::Categorical { pooled, .. } = &mut old.features[0] {
            *pooled = None;
        }
        assert_eq!(
            old.transform(&table, &[0], &[7], true).expect("old").data,
            [0.0, 0.0, 1.0]
        );
    }

    #[test]
    fn a_level_named_other_keeps_its_own_input() {
        let (table, columns) = one_column(&["other", "other", "a", "a", "b", "c"], false);
        let mut opts = options(Scale::None);
        opts.max_categories = Some(3);
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2, 3, 4, 5], &opts).expect("fits");
        assert_eq!(p.input_names(), ["x=a", "x=other", "x=_other"]);
        assert_eq!(
            p.transform(&table, &[0], &[0, 4], true)
                .expect("encodes")
                .data,
            [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        );
    }

    #[test]
    fn a_category_with_more_levels_than_inputs_can_sensibly_be_is_refused() {
        let cells: Vec<String> = (0..=MAX_LEVELS).map(|i| format!("id{i}")).collect();
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        let (table, columns) = one_column(&cells, false);
        let rows: Vec<usize> = (0..cells.len()).collect();
        let err = Preprocessor::fit(&table, &columns, &rows, &options(Scale::None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("column `x` has 1001 distinct values"), "{err}");
        // Asked for by max_categories, any number is taken as given.
        let mut opts = options(Scale::None);
        opts.max_categories = Some(5000);
        let p = Preprocessor::fit(&table, &columns, &rows, &opts).expect("fits");
        assert_eq!(p.width(), 1001);
    }

    #[test]
    fn a_column_named_like_a_made_input_is_an_error() {
        let text = "x,x_missing\n1,5\n,6\n3,7\n";
        let table = Table::parse(Path::new("t.csv"), text.as_bytes()).expect("table");
        let columns = [0, 1].map(|index| RawColumn {
            index,
            numeric: true,
        });
        let err = Preprocessor::fit(&table, &columns, &[0, 1, 2], &options(Scale::None))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("two model inputs would be named `x_missing`"),
            "{err}"
        );
    }

    #[test]
    fn a_column_without_values_in_the_training_rows_is_an_error() {
        for numeric in [true, false] {
            let (table, columns) = one_column(&["", "", "7"], numeric);
            let err = Preprocessor::fit(&table, &columns, &[0, 1], &options(Scale::None))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("column `x` has no values in the training rows"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_tiny_spread_is_scaled_and_a_rounding_error_is_not() {
        let (table, columns) = one_column(&["1e-14", "2e-14", "3e-14"], true);
        let p =
            Preprocessor::fit(&table, &columns, &[0, 1, 2], &options(Scale::Minmax)).expect("fits");
        assert_eq!(encode(&p, &table, &[0, 1, 2]), [0.0, 0.5, 1.0]);
        let (table, columns) = one_column(&["1e6", "1e6", "1e6"], true);
        let p = Preprocessor::fit(&table, &columns, &[0, 1, 2], &options(Scale::Standard))
            .expect("fits");
        assert_eq!(encode(&p, &table, &[0, 1, 2]), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn numeric_codes_as_categories_match_by_value() {
        let (table, columns) = one_column(&["1", "2", "1.0", "02"], false);
        let p = Preprocessor::fit(&table, &columns, &[0, 1], &options(Scale::None)).expect("fits");
        assert_eq!(p.input_names(), ["x=1", "x=2"]);
        assert_eq!(encode(&p, &table, &[2, 3]), [1.0, 0.0, 0.0, 1.0]);
    }
}
