//! Cell reading with errors that name the file, line, column and value, and the missing-cell
//! test every stage shares.

use crate::column::{Cell, Column};
use crate::disguise::number_marks;
use crate::error::echoed;
use crate::format::Decimal;
use crate::{DataError, Table};

/// Reads cell `row` of column `index`, known not to be missing, as a number (see
/// [`as_number`]): every numeric cell of every file (training, validation, test, `predict` and
/// `eval` rows) that is not one is reported here. `trained`: the cell is read by a trained
/// model (`predict`, `eval`), whose `data.na_values` can no longer change.
pub(crate) fn number(
    table: &Table,
    row: usize,
    index: usize,
    trained: bool,
) -> Result<f64, DataError> {
    match table.column(index).get(row) {
        Cell::Number(v) => Ok(v),
        Cell::Text(text) => {
            let path = table.path().to_path_buf();
            let line = table.line(row);
            let column = table.names()[index].clone();
            let value = echoed(text);
            let decimal = table.format().decimal;
            if decimal == Decimal::Comma && text.contains('.') {
                return Err(DataError::NotANumber {
                    fix: format!(
                        "the file's numbers are read with a decimal comma, so a `.` is no part of \
                         one: write 0,5 for a half, and 1234 without digit-group marks; if the \
                         file's numbers have decimal points, {}",
                        match trained {
                            true => "read it with --decimal .",
                            false => "set data.decimal = \".\"",
                        }
                    ),
                    path,
                    line,
                    column,
                    value,
                });
            }
            Err(match decimal.unbounded(text) {
                // Finite but not a number cell: beyond the `f32` range.
                Ok(v) if v.is_finite() => DataError::OutOfRange {
                    path,
                    line,
                    column,
                    value,
                },
                Ok(_) => DataError::NotFinite {
                    fix: unreadable_fix(text, trained, decimal),
                    path,
                    line,
                    column,
                    value,
                },
                Err(_) => DataError::NotANumber {
                    fix: unreadable_fix(text, trained, decimal),
                    path,
                    line,
                    column,
                    value,
                },
            })
        }
    }
}

/// What to do about a numeric cell kiln cannot read in a file of numbers with `decimal`: write a
/// formatted number plainly (or, for decimal commas, say the file has them); else mark the cell
/// missing, which a trained model allows only for the values it was trained with.
fn unreadable_fix(value: &str, trained: bool, decimal: Decimal) -> String {
    if value != echoed(value) {
        // Too long to quote whole: no text to list, and most likely no single cell.
        return "fix the cell (one this long most often holds several cells run together, after \
                a quote left open)"
            .to_string();
    }
    if let Some(marks) = number_marks(value, decimal) {
        let plain = decimal.plain_examples();
        let comma = match marks.decimal_comma {
            false => "",
            true if trained => {
                "; if the file's numbers have decimal commas, read it with --decimal ,"
            }
            true => "; if every number in the file has a decimal comma, set data.decimal = \",\"",
        };
        format!("kiln reads plain numbers {plain}: write it without {marks}{comma}")
    } else if trained {
        format!(
            "fix the cell, or leave it empty to mark it missing (a trained model reads as missing \
             only empty cells and the data.na_values it was trained with: to add `{value}` \
             there, list it and train again)"
        )
    } else {
        format!(
            "fix the cell, leave it empty to mark it missing, or list `{value}` in data.na_values"
        )
    }
}

/// Which cells count as missing: empty ones and those listed in `na_values`. A listed value that
/// is a number (`-999`) matches that number however it is written (`-999.0`).
#[derive(Debug, Clone, Default)]
pub(crate) struct NaValues {
    texts: Vec<String>,
    numbers: Vec<f64>,
}

impl NaValues {
    /// The values `na_values` of a file whose numbers have the mark `decimal`. A listed number
    /// is read with that mark, or, if it is no number so, with the other (`-999.0` as written in
    /// TOML, for a file of decimal commas).
    pub(crate) fn new(na_values: &[String], decimal: Decimal) -> Self {
        Self {
            texts: na_values.to_vec(),
            // Only what reads as a number cell can match one; a listed `1e39` matches as text.
            numbers: na_values
                .iter()
                .filter_map(|v| decimal.number_in_setting(v.trim()))
                .collect(),
        }
    }

    /// The value of a cell already known to be a finite number, or `None` if it counts as
    /// missing (`na_values = ["-999"]`).
    pub(crate) fn present(&self, value: f64) -> Option<f64> {
        (!value.is_nan() && !self.numbers.contains(&value)).then_some(value)
    }

    /// Whether some listed value is a number, so that number cells can be missing too.
    pub(crate) fn has_numbers(&self) -> bool {
        !self.numbers.is_empty()
    }

    /// The rows of `column` whose cell is missing, in order.
    pub(crate) fn missing_rows(&self, column: &Column) -> Vec<usize> {
        if self.has_numbers() {
            (0..column.len())
                .filter(|&row| self.is_missing(column.get(row)))
                .collect()
        } else {
            column
                .non_numbers()
                .filter(|&(_, cell)| self.is_missing(cell))
                .map(|(row, _)| row)
                .collect()
        }
    }

    pub(crate) fn is_missing(&self, cell: Cell<'_>) -> bool {
        match cell {
            Cell::Number(v) => self.numbers.contains(&v),
            Cell::Text(text) => text.is_empty() || self.texts.iter().any(|na| na == text),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn a_runaway_cell_is_quoted_cut_short_with_its_length() {
        let long = "A".repeat(5000);
        let text = format!("x\n1\n{long}\n");
        let table = Table::parse(Path::new("t.csv"), text.as_bytes()).expect("parses");
        let message = number(&table, 1, 0, false).unwrap_err().to_string();
        assert!(
            message.contains(&format!("`{}… (5000 characters in all)`", &long[..100])),
            "{message}"
        );
        assert!(message.len() < 400, "{} characters", message.len());
        assert!(!message.contains("na_values"), "{message}");
    }

    #[test]
    fn a_decimal_comma_in_a_file_of_points_points_to_data_decimal() {
        let table = Table::parse(Path::new("t.csv"), b"x\n1\n\"3,0\"\n").expect("parses");
        let training = number(&table, 1, 0, false).unwrap_err().to_string();
        assert!(training.ends_with("set data.decimal = \",\""), "{training}");
        let predicting = number(&table, 1, 0, true).unwrap_err().to_string();
        assert!(
            predicting.ends_with("read it with --decimal ,"),
            "{predicting}"
        );
        // With decimal commas, a digit group is still a mark, the decimal comma no longer.
        let european = crate::CsvFormat {
            separator: crate::Separator::Semicolon,
            decimal: Decimal::Comma,
        };
        let table = Table::parse_as(Path::new("t.csv"), "x\n1\n1 000,5\n".as_bytes(), european)
            .expect("parses");
        let message = number(&table, 1, 0, false).unwrap_err().to_string();
        assert!(
            message
                .contains("(1234,5; -0,12): write it without spaces or `'` between digit groups")
                && !message.contains("decimal comma"),
            "{message}"
        );
    }
}
