//! Cell parsing with errors that name the file, line, column and value.

use crate::{DataError, Table};

/// Parses the non-missing cell `cell` of `row`, column `index`, as a finite number.
pub(crate) fn number(
    table: &Table,
    row: usize,
    index: usize,
    cell: &str,
) -> Result<f64, DataError> {
    let error = |finite: bool| {
        let path = table.path().to_path_buf();
        let line = table.line(row);
        let column = table.names()[index].clone();
        let value = cell.to_string();
        if finite {
            DataError::NotANumber {
                path,
                line,
                column,
                value,
            }
        } else {
            DataError::NotFinite {
                path,
                line,
                column,
                value,
            }
        }
    };
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(error(false)),
        Err(_) => Err(error(true)),
    }
}

/// Whether a cell reads as a number of any kind (finite or not): used to tell a numeric column
/// with a bad cell from a text column.
pub(crate) fn looks_numeric(cell: &str) -> bool {
    cell.parse::<f64>().is_ok()
}
