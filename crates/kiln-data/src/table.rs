//! Reading a CSV file into named columns of raw cells, with the line number of every row, so that
//! every later error can point at the exact cell. A UTF-8 byte-order mark and CRLF line endings
//! are accepted; ragged rows, an empty file and a header without rows are errors.

use std::path::{Path, PathBuf};

use crate::DataError;

/// A CSV file held as columns of raw text cells.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    names: Vec<String>,
    columns: Vec<Vec<String>>,
    lines: Vec<u64>,
}

impl Table {
    /// Reads `path`.
    pub fn read(path: &Path) -> Result<Self, DataError> {
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &bytes)
    }

    /// Parses CSV bytes; `path` is used in error messages only.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, DataError> {
        let path_buf = path.to_path_buf();
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes);
        let mut lines_of = LineCounter::new(bytes);
        let mut records = reader.byte_records();
        let header = match records.next() {
            None => return Err(DataError::Empty { path: path_buf }),
            Some(record) => record.map_err(|e| csv_error(path, e, &mut lines_of))?,
        };
        let names = header
            .iter()
            .map(|cell| utf8(path, 1, cell).map(|s| s.trim().to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        if names.len() == 1 && names[0].is_empty() {
            return Err(DataError::Empty { path: path_buf });
        }
        check_header(path, &names)?;

        let mut columns: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        let mut lines = Vec::new();
        for record in records {
            let record = record.map_err(|e| csv_error(path, e, &mut lines_of))?;
            let line = lines_of.line_at(record.position().map_or(0, |p| p.byte()));
            if record.len() == 1 && record[0].is_empty() {
                continue; // a blank line
            }
            if record.len() != names.len() {
                return Err(DataError::Ragged {
                    path: path_buf,
                    line,
                    expected: names.len(),
                    found: record.len(),
                });
            }
            for (column, cell) in columns.iter_mut().zip(record.iter()) {
                column.push(utf8(path, line, cell)?.trim().to_string());
            }
            lines.push(line);
        }
        if lines.is_empty() {
            return Err(DataError::NoRows { path: path_buf });
        }
        Ok(Self {
            path: path_buf,
            names,
            columns,
            lines,
        })
    }

    /// The file this table came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Column names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the table has no rows (never true for a table that was read successfully).
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The 1-based line number of data row `row` in the file.
    pub fn line(&self, row: usize) -> u64 {
        self.lines[row]
    }

    /// Position of column `name`, or an error that lists the columns and suggests the closest.
    pub fn index_of(&self, name: &str, key: &str) -> Result<usize, DataError> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| DataError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
                key: key.to_string(),
                suggestion: crate::suggest::did_you_mean(
                    name,
                    self.names.iter().map(String::as_str),
                ),
                found: self.names.join(", "),
            })
    }

    /// The raw cells of column `index`.
    pub fn cells(&self, index: usize) -> &[String] {
        &self.columns[index]
    }
}

fn check_header(path: &Path, names: &[String]) -> Result<(), DataError> {
    let bad = |reason: String| {
        Err(DataError::BadHeader {
            path: path.to_path_buf(),
            reason,
        })
    };
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            return bad(format!(
                "column {} has no name; the first line must name every column",
                i + 1
            ));
        }
        if names[..i].contains(name) {
            return bad(format!("the column name `{name}` appears twice"));
        }
    }
    Ok(())
}

fn utf8<'a>(path: &Path, line: u64, cell: &'a [u8]) -> Result<&'a str, DataError> {
    std::str::from_utf8(cell).map_err(|_| DataError::Malformed {
        path: path.to_path_buf(),
        line,
        reason: "the text is not valid UTF-8; save the file as UTF-8".into(),
    })
}

/// Physical line numbers from byte offsets. The csv crate's own line count treats `\r\n` as
/// nothing and a lone `\r` as nothing too, so errors would point at the wrong line in files
/// saved on Windows; this counts `\n`, and a `\r` not followed by `\n`, as a line break.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record that starts at byte `offset`; offsets must not decrease between
    /// calls. With CRLF endings the csv crate puts a record's start on the `\n` ending the line
    /// before it, so line-break bytes at `offset` are skipped first.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut end = (offset as usize).min(self.bytes.len());
        while matches!(self.bytes.get(end), Some(b'\n' | b'\r')) {
            end += 1;
        }
        while self.offset < end {
            let b = self.bytes[self.offset];
            if b == b'\n' || (b == b'\r' && self.bytes.get(self.offset + 1) != Some(&b'\n')) {
                self.line += 1;
            }
            self.offset += 1;
        }
        self.line
    }
}

fn csv_error(path: &Path, error: csv::Error, lines: &mut LineCounter<'_>) -> DataError {
    let line = lines.line_at(error.position().map_or(0, |p| p.byte()));
    match error.into_kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len,
            len,
            pos,
        } => DataError::Ragged {
            path: path.to_path_buf(),
            line: pos.map_or(line, |p| lines.line_at(p.byte())),
            expected: expected_len as usize,
            found: len as usize,
        },
        csv::ErrorKind::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => DataError::Malformed {
            path: path.to_path_buf(),
            line,
            reason: format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Table, DataError> {
        Table::parse(Path::new("t.csv"), text.as_bytes())
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let t = parse("\u{feff}x,y\r\n1,2\r\n3,4\r\n").expect("parses");
        assert_eq!(t.names(), ["x", "y"]);
        assert_eq!(t.cells(1), ["2", "4"]);
        assert_eq!(t.line(1), 3);
        let ragged = parse("x,y\r\n1,2\r\n3\r\n").unwrap_err().to_string();
        assert!(ragged.contains("line 3"), "{ragged}");
    }

    #[test]
    fn empty_file_and_header_only_are_named_errors() {
        assert!(matches!(parse(""), Err(DataError::Empty { .. })));
        assert!(matches!(parse("x,y\n"), Err(DataError::NoRows { .. })));
    }

    #[test]
    fn ragged_row_reports_its_line() {
        match parse("x,y\n1,2\n3\n") {
            Err(DataError::Ragged {
                line,
                expected,
                found,
                ..
            }) => {
                assert_eq!((line, expected, found), (3, 2, 1));
            }
            other => panic!("expected a ragged-row error, got {other:?}"),
        }
    }

    #[test]
    fn duplicate_and_empty_column_names_are_rejected() {
        assert!(matches!(
            parse("x,x\n1,2\n"),
            Err(DataError::BadHeader { .. })
        ));
        assert!(matches!(
            parse("x,\n1,2\n"),
            Err(DataError::BadHeader { .. })
        ));
    }

    #[test]
    fn missing_column_lists_found_and_suggests_closest() {
        let t = parse("age,income\n1,2\n").expect("parses");
        let message = t.index_of("incme", "data.target").unwrap_err().to_string();
        assert!(message.contains("did you mean `income`"), "{message}");
        assert!(message.contains("age, income"), "{message}");
    }
}
