//! Reading a CSV file into typed columns ([`Column`]), with the line number of every row, so that
//! every later error can point at the exact cell. The file is streamed, never held whole. A UTF-8
//! byte-order mark and CRLF line endings are accepted; ragged rows, an empty file and a header
//! without rows are errors.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::column::Column;
use crate::error::{FileRole, echoed};
use crate::format::{CsvFormat, Separator};
use crate::lines::{Breaks, LineTracker};
use crate::{DataConfig, DataError};

/// Where the column names of a file come from.
#[derive(Debug, Clone, Copy)]
pub enum Header<'a> {
    /// The file's first line, as in most CSV files.
    Line,
    /// A file without a header line (as many data sets are published): its columns are these,
    /// in order (`data.columns`), and its first line is a row. A first line that names every
    /// column read is a header all the same, so that rows read with one or without.
    Named {
        /// Every column of the file, in order.
        names: &'a [String],
        /// A column that rows may leave out (the target, in rows to predict), or none.
        optional: Option<&'a str>,
        /// Whether the names are a trained model's, for rows to predict or score, rather than
        /// the experiment's own `data.columns`: it decides what errors advise.
        trained: bool,
    },
}

impl Header<'_> {
    /// What says that a row of `line` should have `expected` cells, for errors (`as in the
    /// header`).
    fn source(&self, first_row: bool, expected: usize) -> String {
        let Self::Named {
            names,
            optional,
            trained,
        } = *self
        else {
            return " as in the header".to_string();
        };
        let each = match trained {
            true => ", one for each column the model was trained on",
            false => ", one for each name in data.columns",
        };
        match optional {
            Some(optional) if first_row => {
                format!("{each} (or {}, all but `{optional}`)", names.len() - 1)
            }
            Some(optional) if expected < names.len() => {
                format!("{each} but `{optional}`, as in the first row")
            }
            _ => each.to_string(),
        }
    }

    /// What a file read so holds, for the error that it is empty.
    fn expected(&self) -> &'static str {
        match self {
            Self::Line => "a header line naming the columns, then one row per line",
            Self::Named { trained: false, .. } => {
                "one row per line (without a header line: data.columns names the columns)"
            }
            Self::Named { trained: true, .. } => {
                "one row per line (without a header line, the model's columns in order; or with \
                 one naming them)"
            }
        }
    }

    /// The advice for a first line `words` that looks like column names but lacks `missing`, a
    /// column that is read, in a file said to have no header line; `hint` names a near name in
    /// the line (`, did you mean …`), if any.
    fn contradicted(&self, words: &str, missing: &str, hint: &str) -> String {
        let near = match hint.strip_prefix(", ") {
            Some(hint) => format!(" ({hint})"),
            None => String::new(),
        };
        let fix = match self {
            Self::Named {
                names,
                trained: true,
                ..
            } => format!(
                "which the model reads: name the columns as its training files did, or leave \
                 the line out (rows without a header line have the model's columns in order: \
                 {})",
                names.join(", ")
            ),
            _ => "which data.columns names: to name the columns by that line, remove \
                  data.columns; to name them by data.columns, delete the line"
                .to_string(),
        };
        format!(
            "`{}` looks like column names, not a row, but lacks `{missing}`, {fix}{near}",
            echoed(words)
        )
    }
}

/// A CSV file held as typed columns.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    names: Vec<String>,
    columns: Vec<Column>,
    /// Line of each row, once some row is not on line `row + first_line` (blank lines, quoted
    /// line breaks); `None` while the rows follow one another line by line.
    lines: Option<Vec<u64>>,
    /// The line of the first row: 2 below a header line, and in a file without one (see
    /// [`Header::Named`]) the first line that is not blank.
    first_line: u64,
    /// Whether the file has a header line.
    headed: bool,
    rows: usize,
    /// The content's length and checksum (see [`Table::fingerprint`]).
    fingerprint: String,
    /// How the file writes its cells.
    format: CsvFormat,
    /// Whether the file starts with a UTF-8 byte-order mark, and ends its lines with `\r\n`.
    layout: (bool, bool),
}

impl Table {
    /// Reads `path`, comma-separated with decimal points.
    pub fn read(path: &Path) -> Result<Self, DataError> {
        Self::read_where(path, CsvFormat::default(), Header::Line, |_| true)
    }

    /// Reads `path`, written in `format`, keeping only the columns whose name `wanted` accepts:
    /// the others (an identifier, free text a config drops) are neither parsed nor stored, and
    /// read as empty cells. Their names stay, so that errors can still list every column of the
    /// file.
    pub fn read_where(
        path: &Path,
        format: CsvFormat,
        header: Header<'_>,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Self, DataError> {
        let (source, size) = open(path)?;
        Self::from_source(path, source, size, format, header, &wanted)
    }

    /// Reads the columns of `path` that the `[data]` section `config` uses (see
    /// [`DataConfig::reads_column`]), in its format, named as it says.
    pub fn read_for(path: &Path, config: &DataConfig) -> Result<Self, DataError> {
        Self::read_where(path, config.format(), config.header(), |name| {
            config.reads_column(name)
        })
    }

    /// Parses comma-separated bytes; `path` is used in error messages only.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, DataError> {
        Self::parse_as(path, bytes, CsvFormat::default())
    }

    /// Parses CSV bytes written in `format`; `path` is used in error messages only.
    pub fn parse_as(path: &Path, bytes: &[u8], format: CsvFormat) -> Result<Self, DataError> {
        Self::parse_named(path, bytes, format, Header::Line)
    }

    /// Parses CSV bytes written in `format` whose column names come from `header`; `path` is
    /// used in error messages only.
    pub fn parse_named(
        path: &Path,
        bytes: &[u8],
        format: CsvFormat,
        header: Header<'_>,
    ) -> Result<Self, DataError> {
        Self::from_source(path, bytes, None, format, header, &|_| true)
    }

    /// Reads comma-separated CSV from `source`; `path` is used in error messages only.
    pub fn from_reader(path: &Path, source: impl Read) -> Result<Self, DataError> {
        Self::from_source(
            path,
            source,
            None,
            CsvFormat::default(),
            Header::Line,
            &|_| true,
        )
    }

    /// Rows read before the file's row count is estimated from its size.
    const ROWS_TO_ESTIMATE: usize = 1024;

    fn from_source(
        path: &Path,
        source: impl Read,
        size: Option<u64>,
        format: CsvFormat,
        header: Header<'_>,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<Self, DataError> {
        let path_buf = path.to_path_buf();
        let tracker = LineTracker::new(source, format.separator.byte());
        let lines_of = tracker.breaks.clone();
        let mut reader = csv_reader(tracker, format.separator);
        let mut record = csv::ByteRecord::new();
        let mut next = |record: &mut csv::ByteRecord| -> Result<Option<u64>, DataError> {
            match reader.read_byte_record(record) {
                Ok(false) => unclosed_quote(path, &lines_of).map_or(Ok(None), Err),
                Ok(true) => {
                    let offset = record.position().map_or(0, |p| p.byte());
                    Ok(Some(lines_of.line_at(offset)))
                }
                Err(e) => Err(csv_error(path, e, &lines_of)),
            }
        };
        let Some(mut first_at) = next(&mut record)? else {
            return Err(DataError::Empty {
                path: path_buf,
                expected: header.expected(),
            });
        };
        // Blank lines above the first row of a file without a header line are passed over, as
        // between rows.
        if let Header::Named { names, .. } = header {
            while is_blank(&record, names.len(), format.separator) {
                let Some(line) = next(&mut record)? else {
                    return Err(DataError::Empty {
                        path: path_buf,
                        expected: header.expected(),
                    });
                };
                first_at = line;
            }
        }
        // A quote left open swallows the rest of the file into its record: the header, a record
        // that then looks ragged, or the last one (found at the end of the file).
        if let Some(error) = unclosed_quote(path, &lines_of) {
            return Err(error);
        }
        if memchr::memchr(0, record.as_slice()).is_some() {
            return Err(DataError::Malformed {
                path: path_buf,
                line: first_at,
                reason: "the first line holds zero bytes between its letters: the file is most \
                         likely saved as UTF-16 (Excel's \"Unicode Text\"); save it as UTF-8 \
                         (Excel: \"CSV UTF-8\")"
                    .into(),
            });
        }
        let first = record
            .iter()
            .map(|cell| utf8(path, first_at, cell).map(|s| s.trim().to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        if first.len() == 1 && first[0].is_empty() {
            // A blank first line above the header, or nothing at all.
            if next(&mut record)?.is_some() {
                return Err(DataError::BadHeader {
                    path: path_buf,
                    reason: "the first line is blank: the column names must be on line 1 \
                             (delete the blank lines above them)"
                        .into(),
                });
            }
            return Err(DataError::Empty {
                path: path_buf,
                expected: header.expected(),
            });
        }
        // The names, and whether the first line is a row (a file without a header line), and
        // then which column read it lacks, were it a header. A first line that names all the
        // columns read but one, and some of them, and no number, is a header that lacks a
        // column: an error that names it, later, as for any file. (`0,a,b` under the names a,
        // b, c is a row whose text happens to match two names.)
        let has_number = first
            .iter()
            .any(|cell| format.decimal.number(cell.trim()).is_some());
        let read_columns = |names: &[String], optional: Option<&str>| -> (Vec<String>, bool) {
            let read: Vec<&String> = names
                .iter()
                .filter(|n| wanted(n) && Some(n.as_str()) != optional)
                .collect();
            let (named, unnamed): (Vec<&String>, Vec<&String>) =
                read.into_iter().partition(|n| first.contains(n));
            (unnamed.into_iter().cloned().collect(), !named.is_empty())
        };
        let (names, first_is_row, lacking) = match header {
            Header::Named {
                names, optional, ..
            } => match read_columns(names, optional) {
                (unnamed, true) if unnamed.len() == 1 && !has_number => {
                    (first, false, String::new())
                }
                (unnamed, _) if !unnamed.is_empty() => {
                    let lacking = unnamed[0].clone();
                    // Excel's `sep=` line comes before the rows as before a header.
                    if first.len() <= 2 && first[0].starts_with("sep=") {
                        check_header(path, &first, format.separator)?;
                    }
                    let names = named_columns(
                        path,
                        (&record, first_at),
                        (names, optional),
                        header,
                        format,
                    )?;
                    (names, true, lacking)
                }
                _ => (first, false, String::new()),
            },
            Header::Line => (first, false, String::new()),
        };
        if !first_is_row {
            check_header(path, &names, format.separator)?;
        }
        // The line of the first row: below the header, or the first line read.
        let first_line = if first_is_row { first_at } else { 2 };
        // A first line of names above a row with numbers under some of them is a header line,
        // whatever data.columns says. A name has a letter, and is not a missing marker (`?`,
        // `NA`) nor a number.
        let is_number = |cell: &[u8]| {
            std::str::from_utf8(cell).is_ok_and(|c| format.decimal.number(c.trim()).is_some())
        };
        let is_name = |cell: &[u8]| {
            std::str::from_utf8(cell).is_ok_and(|c| {
                let c = c.trim();
                c.chars().any(char::is_alphabetic)
                    && !crate::disguise::is_missing_marker(c)
                    && format.decimal.number(c).is_none()
            })
        };
        let mut words_above = (first_is_row && record.iter().all(is_name)).then(|| {
            let separator = char::from(format.separator.byte()).to_string();
            let cells: Vec<String> = record
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let trimmed = cells.iter().map(|c| c.trim());
            let hint = crate::suggest::did_you_mean(&lacking, trimmed);
            (cells.join(&separator), hint)
        });

        // An unnamed column (pandas' row index, a trailing comma on every line) cannot be asked
        // for by name: it is never read.
        let mut columns: Vec<Column> = names
            .iter()
            .map(|name| {
                if !name.is_empty() && wanted(name) {
                    Column::new(format.decimal)
                } else {
                    Column::skipped()
                }
            })
            .collect();
        let mut lines: Option<Vec<u64>> = None;
        let mut rows = 0usize;
        let mut push = |record: &csv::ByteRecord, line: u64| -> Result<(), DataError> {
            if is_blank(record, names.len(), format.separator) {
                return Ok(());
            }
            if record.len() != names.len() {
                if let Some(error) = unclosed_quote(path, &lines_of) {
                    return Err(error);
                }
                let shape = if first_is_row { header } else { Header::Line };
                return Err(ragged(
                    path,
                    (line, false),
                    names.len(),
                    record,
                    format,
                    shape,
                ));
            }
            if memchr::memchr(0, record.as_slice()).is_some() {
                return Err(DataError::Malformed {
                    path: path.to_path_buf(),
                    line,
                    reason: DAMAGED.into(),
                });
            }
            if rows >= u32::MAX as usize {
                return Err(DataError::Malformed {
                    path: path.to_path_buf(),
                    line,
                    reason: "more than 4 294 967 295 rows; split the file".into(),
                });
            }
            if rows == 1
                && let Some((words, hint)) = words_above.take()
                && record.iter().any(is_number)
            {
                return Err(DataError::Malformed {
                    path: path.to_path_buf(),
                    line: first_line,
                    reason: header.contradicted(&words, &lacking, &hint),
                });
            }
            let last = names.len() - 1;
            for (i, (column, cell)) in columns.iter_mut().zip(record.iter()).enumerate() {
                let cell = match i == last {
                    true => without_end_mark(cell),
                    false => cell,
                };
                if !column.push_raw(cell) {
                    utf8(path, line, cell)?;
                }
            }
            match &mut lines {
                Some(lines) => lines.push(line),
                None if line != rows as u64 + first_line => {
                    let mut all: Vec<u64> = (0..rows as u64).map(|r| r + first_line).collect();
                    all.push(line);
                    lines = Some(all);
                }
                None => {}
            }
            rows += 1;
            if rows == Self::ROWS_TO_ESTIMATE
                && let Some(size) = size
            {
                let read = record.position().map_or(0, |p| p.byte()).max(1);
                let estimate = (size as f64 / read as f64 * rows as f64 * 1.02) as usize;
                let more = estimate.saturating_sub(rows);
                columns.iter_mut().for_each(|c| c.reserve(more));
            }
            Ok(())
        };
        if first_is_row {
            push(&record.clone(), first_at)?;
        }
        while let Some(line) = next(&mut record)? {
            push(&record, line)?;
        }
        if rows == 0 {
            return Err(DataError::NoRows { path: path_buf });
        }
        Ok(Self {
            path: path_buf,
            names,
            columns,
            lines,
            first_line,
            headed: !first_is_row,
            rows,
            fingerprint: lines_of.fingerprint(),
            format,
            layout: lines_of.layout(),
        })
    }

    /// How the file writes its cells.
    pub fn format(&self) -> CsvFormat {
        self.format
    }

    /// Whether the file starts with a UTF-8 byte-order mark (Excel writes one, and reads a
    /// file as UTF-8 only with it).
    pub fn has_bom(&self) -> bool {
        self.layout.0
    }

    /// Whether the file's lines end in `\r\n`, as files saved on Windows do.
    pub fn crlf(&self) -> bool {
        self.layout.1
    }

    /// The length and CRC-32 of the file's content as read: a resumed run checks that its
    /// training data is still what its checkpoints were trained on.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
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
        self.rows
    }

    /// Whether the table has no rows (never true for a table that was read successfully).
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The 1-based line number of data row `row` in the file.
    pub fn line(&self, row: usize) -> u64 {
        match &self.lines {
            Some(lines) => lines[row],
            None => row as u64 + self.first_line,
        }
    }

    /// Position of column `name`, or an error that lists the columns and suggests the closest,
    /// or, when two columns have that name, one that names both.
    pub fn index_of(&self, name: &str, key: &str) -> Result<usize, DataError> {
        let mut same = self
            .names
            .iter()
            .enumerate()
            .filter(|(_, n)| *n == name)
            .map(|(i, _)| i);
        let first = same.next();
        if let (Some(first), Some(second)) = (first, same.next()) {
            return Err(DataError::BadHeader {
                path: self.path.clone(),
                reason: format!(
                    "columns {} and {} are both named `{name}`, which {key} asks for; rename one",
                    first + 1,
                    second + 1
                ),
            });
        }
        first.ok_or_else(|| self.missing_column(name, key))
    }

    /// An error unless some column is named `name` (two may be: [`Table::index_of`] is for the
    /// columns that must be one).
    pub fn check_named(&self, name: &str, key: &str) -> Result<(), DataError> {
        match self.names.iter().any(|n| n == name) {
            true => Ok(()),
            false => Err(self.missing_column(name, key)),
        }
    }

    /// The error for a column `key` asks for that the file lacks.
    fn missing_column(&self, name: &str, key: &str) -> DataError {
        DataError::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            key: key.to_string(),
            suggestion: match self.names.as_slice() {
                // A file an experiment's [data] reads may instead be named by data.columns.
                _ if self.header_looks_like_data() => format!(
                    "; the first line looks like data, not a header: add a first line naming \
                     the columns{}",
                    match key.starts_with("data.") {
                        true =>
                            " (or, in the experiment file, name them in order: \
                                 data.columns = [\"a\", \"b\", …])",
                        false => "",
                    }
                ),
                // `x y z` read as one column: the file is separated by spaces, a separator
                // the header check cannot tell from a name with spaces in it.
                [only] if only.split(' ').any(|word| word == name) => format!(
                    "; the first line is one column whose name holds `{name}` between spaces: if \
                     the file is separated by spaces, tell kiln with data.separator = \" \" \
                     (kiln predict and kiln eval: --separator ' ')"
                ),
                _ => crate::suggest::did_you_mean(name, self.names.iter().map(String::as_str)),
            },
            found: self
                .names
                .iter()
                .enumerate()
                .map(|(i, n)| match n.is_empty() {
                    true => format!("(unnamed column {})", i + 1),
                    false => n.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Whether most names in the header are numbers (`A11, 6, A34, 1169, …`): a file without a
    /// header line.
    fn header_looks_like_data(&self) -> bool {
        let named = || self.names.iter().filter(|n| !n.is_empty());
        let numbers = named().filter(|n| n.trim().parse::<f64>().is_ok()).count();
        numbers > 0 && numbers * 2 > named().count()
    }

    /// Column `index`.
    pub fn column(&self, index: usize) -> &Column {
        &self.columns[index]
    }

    /// The data rows of the file this table was read from, every cell exactly as written (not
    /// trimmed, numbers not canonical), row for row with the table: for writing input rows back
    /// next to results. The file is streamed again rather than kept as text, so that echoing a
    /// large file costs no memory.
    pub fn raw_rows(&self) -> Result<RawRows, DataError> {
        let mut records =
            csv_reader(open(&self.path)?.0, self.format.separator).into_byte_records();
        if self.headed {
            records.next(); // the header
        }
        Ok(RawRows {
            path: self.path.clone(),
            records,
            width: self.names.len(),
            separator: self.format.separator,
        })
    }
}

/// Opens `path` for streaming, with its size when known.
fn open(path: &Path) -> Result<(BufReader<File>, Option<u64>), DataError> {
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let size = file.metadata().map(|m| m.len()).ok();
    Ok((BufReader::with_capacity(1 << 16, file), size))
}

/// The error for a quote still open at the end of the file, once the end has been read.
fn unclosed_quote(path: &Path, lines: &Breaks) -> Option<DataError> {
    lines.unclosed_quote().map(|offset| DataError::Malformed {
        path: path.to_path_buf(),
        line: lines.line_at(offset),
        reason: "a quoted cell starts here and is never closed, so the rest of the file would be \
                 read as one cell; close it (a quote inside a quoted cell is written twice: \"\")"
            .into(),
    })
}

/// How every CSV file is parsed: no header handling (the first record is read as the header),
/// and records of any length (a ragged row is reported with its line by the caller).
fn csv_reader<R: Read>(source: R, separator: Separator) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(separator.byte())
        .has_headers(false)
        .flexible(true)
        .from_reader(source)
}

/// A blank line: one empty field, or, in a file of more than one column (`width`), one of
/// spaces only (cut into empty cells when spaces separate them), or the end-of-file mark old
/// DOS and Windows tools append (Ctrl-Z, 0x1A). Skipped wherever rows are read. (In a
/// one-column file a line of spaces is a cell, as missing as an empty one.)
fn is_blank(record: &csv::ByteRecord, width: usize, separator: Separator) -> bool {
    let spaces = |cell: &[u8]| cell.iter().all(u8::is_ascii_whitespace);
    match record.len() {
        1 => record[0].is_empty() || record[0] == *b"\x1a" || (width > 1 && spaces(&record[0])),
        _ => separator == Separator::Space && width > 1 && record.iter().all(spaces),
    }
}

/// `cell` without the DOS end-of-file mark (Ctrl-Z, 0x1A) that old tools put at the end of a
/// file, after the last cell of its last line.
fn without_end_mark(cell: &[u8]) -> &[u8] {
    cell.strip_suffix(b"\x1a").unwrap_or(cell)
}

/// The columns of a file without a header line whose first row is `first` (on its line), by
/// the `names` `header` gives: all of them, or all but the optional one when the row has a cell
/// fewer, and an unnamed last column (never read) for a separator at the end of the line; an
/// error when none fits, or when the row is plainly written with another separator.
fn named_columns(
    path: &Path,
    (first, line): (&csv::ByteRecord, u64),
    (names, optional): (&[String], Option<&str>),
    header: Header<'_>,
    format: CsvFormat,
) -> Result<Vec<String>, DataError> {
    let n = names.len();
    let fits = |cells: usize| cells == n || (optional.is_some() && cells + 1 == n);
    // The row cut by another separator into as many cells as the names ask for: `5,1;3,5;…`
    // read with commas may give the right count by chance, but its cells hold the `;`.
    let separator = char::from(format.separator.byte()).to_string();
    let text = first
        .iter()
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(&separator);
    let other = Separator::ALL.into_iter().find(|&other| {
        let mark = char::from(other.byte());
        other != format.separator
            && match other {
                // Spaces are common inside cells: only a row that is one cell counts.
                Separator::Space => {
                    let words = text.split_whitespace().count();
                    first.len() == 1 && words > 1 && fits(words)
                }
                // Commas are common in numbers (`1,5`, `1,200`): they count only when the row,
                // cut as read, does not fit, and is one cell under a decimal comma.
                Separator::Comma => {
                    text.contains(mark)
                        && fits(text.split(mark).count())
                        && !fits(first.len())
                        && (format.decimal == crate::Decimal::Point || first.len() == 1)
                }
                _ => text.contains(mark) && fits(text.split(mark).count()),
            }
    });
    if let Some(found) = other {
        return Err(DataError::WrongSeparator {
            path: path.to_path_buf(),
            first_line: format!("the first row is `{}`", echoed(&text).escape_debug()),
            found,
            expected: format.separator,
            role: FileRole::Training,
        });
    }
    let trailing = first.len() > 1 && first[first.len() - 1].trim_ascii().is_empty();
    match optional {
        // A cell at the end of the line: the last column's, missing, or one a separator at the
        // end of the line makes after the target was left out? Asked, not guessed.
        Some(optional) if first.len() == n && trailing && names[n - 1] != optional => {
            Err(DataError::Malformed {
                path: path.to_path_buf(),
                line,
                reason: format!(
                    "the row has {n} cells, the last one empty: every column with `{}` missing, \
                     or every column but `{optional}` and a separator at the end of the line? \
                     Remove the separators at the ends of the lines, or write an empty cell \
                     for `{optional}` in its place",
                    names[n - 1]
                ),
            })
        }
        _ if first.len() == n => Ok(names.to_vec()),
        Some(optional) if first.len() + 1 == n => {
            Ok(names.iter().filter(|n| *n != optional).cloned().collect())
        }
        _ if first.len() == n + 1 && trailing => {
            Ok(names.iter().cloned().chain([String::new()]).collect())
        }
        _ => Err(ragged(path, (line, true), n, first, format, header)),
    }
}

/// Refuses a header that shows the file is not separated by `separator`. Unnamed columns and
/// repeated names are not errors here: they matter only if something asks for them (see
/// [`Table::index_of`]), and other tools write them (pandas' index, a trailing comma).
fn check_header(path: &Path, names: &[String], separator: Separator) -> Result<(), DataError> {
    let bad = |reason: String| {
        Err(DataError::BadHeader {
            path: path.to_path_buf(),
            reason,
        })
    };
    // Excel's separator hint, `sep=;`: one cell, or two empty ones when its separator is the
    // file's. (A tab or a space after `sep=` went with the trimming: a tab, most likely.)
    let hint = match names {
        [only] if only == "sep=" => Some(Ok(Separator::Tab)),
        [only] if only.starts_with("sep=") && only.chars().count() == 5 => {
            Some(Separator::try_from(only["sep=".len()..].to_string()).map_err(|_| only))
        }
        [sep, empty] if sep == "sep=" && empty.is_empty() => Some(Ok(separator)),
        _ => None,
    };
    let wrong = |first_line: String, found: Separator| {
        Err(DataError::WrongSeparator {
            path: path.to_path_buf(),
            first_line,
            found,
            expected: separator,
            role: FileRole::Training,
        })
    };
    let excel = |shown: &str| {
        format!("the first line `sep={shown}` is Excel's separator hint, not the column names")
    };
    match hint {
        Some(Ok(hinted)) if hinted == separator => {
            bad(format!("{}: delete it", excel(&shown(hinted))))
        }
        Some(Ok(hinted)) => wrong(format!("{} (delete it)", excel(&shown(hinted))), hinted),
        Some(Err(line)) => bad(format!(
            "{}: delete it, and save the file with `,`, `;`, tabs, `|` or spaces between cells \
             (kiln reads those, as data.separator says)",
            excel(&line["sep=".len()..])
        )),
        None => match (
            names,
            separator.other_in(names.first().map_or("", String::as_str)),
        ) {
            ([only], Some(other)) => wrong(
                format!(
                    "the first line is one column named `{}`",
                    echoed(only).escape_debug()
                ),
                other,
            ),
            _ => Ok(()),
        },
    }
}

/// How an Excel separator hint shows `separator` (`;`, `<tab>`).
fn shown(separator: Separator) -> String {
    match separator {
        Separator::Tab => "<tab>".to_string(),
        other => String::from(other),
    }
}

/// What zero bytes in a line mean: a file written to a full disk, or copied off a failing one,
/// holds them where its text should be.
const DAMAGED: &str = "the line holds zero bytes (NUL), not text: the file looks damaged (cut \
                       short by a full disk or a failed copy); make it again from its source";

/// The error for a `record` with more or fewer cells than the `expected` of the header (or of
/// the names that stand for one), with its likeliest cause.
fn ragged(
    path: &Path,
    (line, first_row): (u64, bool),
    expected: usize,
    record: &csv::ByteRecord,
    format: CsvFormat,
    header: Header<'_>,
) -> DataError {
    let separator = format.separator;
    let (name, one) = (separator.name(), separator.one());
    let found = record.len();
    let hint = if memchr::memchr(0, record.as_slice()).is_some() {
        format!("; {DAMAGED}")
    } else if found > expected
        && separator == Separator::Comma
        && format.decimal == crate::Decimal::Comma
    {
        "; with data.decimal = \",\" in a comma-separated file, a decimal comma splits its cell \
         in two unless the cell is quoted (\"1,5\"): quote such cells, or separate the cells \
         by `;` (data.separator = \";\")"
            .to_string()
    } else if separator == Separator::Space
        && found > expected
        && record.iter().any(<[u8]>::is_empty)
    {
        // Columns aligned with runs of spaces: each space past the first makes an empty cell.
        "; with data.separator = \" \" every space separates two cells, so spaces in a row \
         (columns aligned for reading) make empty cells between them: separate cells by one \
         space"
            .to_string()
    } else if let (true, Header::Named { names, trained, .. }) = (first_row, header) {
        match trained {
            false => "; data.columns must name every column of the file, in order".to_string(),
            true => format!(
                "; rows without a header line have the columns the model was trained on, in \
                 order: {}",
                names.join(", ")
            ),
        }
    } else if found < expected {
        format!("; write an empty cell (two {name} in a row) where a value is missing")
    } else if record.iter().skip(expected).all(<[u8]>::is_empty) {
        format!("; {one} at the end of the line makes an empty cell: remove it")
    } else if expected == 1 && line == 2 {
        "; the first line has one cell: if it is a title above the column names, delete it (the \
         first line must name the columns)"
            .to_string()
    } else {
        let example = match separator {
            Separator::Comma => "1,5".to_string(),
            other => format!("a{}b", char::from(other.byte())),
        };
        format!("; a cell that holds {one} must be quoted ({example:?})")
    };
    DataError::Ragged {
        path: path.to_path_buf(),
        line,
        expected: format!("{}{}", cells(expected), header.source(first_row, expected)),
        found,
        hint,
    }
}

/// `n cells`, or `1 cell`.
fn cells(n: usize) -> String {
    format!("{n} cell{}", if n == 1 { "" } else { "s" })
}

fn utf8<'a>(path: &Path, line: u64, cell: &'a [u8]) -> Result<&'a str, DataError> {
    std::str::from_utf8(cell).map_err(|_| DataError::Malformed {
        path: path.to_path_buf(),
        line,
        reason: "the text is not valid UTF-8; save the file as UTF-8".into(),
    })
}

/// The data rows of a file as written: see [`Table::raw_rows`].
pub struct RawRows {
    path: PathBuf,
    records: csv::ByteRecordsIntoIter<BufReader<File>>,
    /// The header's cells, and what separates cells, for telling blank lines (see `is_blank`).
    width: usize,
    separator: Separator,
}

impl Iterator for RawRows {
    type Item = Result<csv::ByteRecord, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let record = self.records.next()?;
            return Some(match record {
                Ok(r) if is_blank(&r, self.width, self.separator) => continue,
                // Written back without the DOS end-of-file mark, as it was read.
                Ok(r) if r.iter().next_back().is_some_and(|c| c.ends_with(b"\x1a")) => {
                    let last = r.len() - 1;
                    Ok(r.iter()
                        .enumerate()
                        .map(|(i, c)| if i == last { without_end_mark(c) } else { c })
                        .collect())
                }
                Ok(r) => Ok(r),
                Err(e) => Err(DataError::Malformed {
                    path: self.path.clone(),
                    line: e.position().map_or(0, |p| p.line()),
                    reason: format!("{:?} (did the file change while it was read?)", e.kind()),
                }),
            });
        }
    }
}

fn csv_error(path: &Path, error: csv::Error, lines: &Breaks) -> DataError {
    let line = lines.line_at(error.position().map_or(0, |p| p.byte()));
    match error.into_kind() {
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
pub(crate) mod tests {
    use super::*;
    use crate::Cell;
    use crate::format::Decimal;

    /// `text` read as the CSV file `t.csv` (also used by the column tests).
    /// The error reading `text` in `format`.
    fn error_in(text: &str, format: CsvFormat) -> String {
        Table::parse_as(Path::new("t.csv"), text.as_bytes(), format)
            .unwrap_err()
            .to_string()
    }

    pub(crate) fn parse(text: &str) -> Result<Table, DataError> {
        Table::parse(Path::new("t.csv"), text.as_bytes())
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let t = parse("\u{feff}x,y\r\n1,2\r\n3,4\r\n").expect("parses");
        assert_eq!(t.names(), ["x", "y"]);
        assert_eq!(t.column(1).get(1), Cell::Number(4.0));
        assert_eq!(t.line(1), 3);
        let ragged = parse("x,y\r\n1,2\r\n3\r\n").unwrap_err().to_string();
        assert!(ragged.contains("line 3"), "{ragged}");
    }

    #[test]
    fn line_numbers_survive_blank_lines_quoted_breaks_and_lone_carriage_returns() {
        // Reading byte by byte gives the same: the property test in tests/no_panic.rs.
        let text = "\u{feff}x,y\r\n1,2\r\n\r\n3,\"a\nb\"\r\n4,5\r6,7\n";
        let table = parse(text).expect("parses");
        let lines: Vec<u64> = (0..table.len()).map(|r| table.line(r)).collect();
        assert_eq!(lines, [2, 4, 6, 7]);
        assert_eq!(table.column(1).get(1), Cell::Text("a\nb"));
        let ragged = parse("x,y\r\n1,2\r\n\r\n3\r\n").unwrap_err().to_string();
        assert!(ragged.contains("line 4"), "{ragged}");
    }

    #[test]
    fn a_quote_that_never_closes_is_an_error_at_its_line() {
        // The csv crate reads the rest of the file into the cell: 2 rows, not 4.
        let err = parse("x,y,c\n1,2,a\n2,4,\"b\n3,6,a\n4,8,b\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.csv, line 3: a quoted cell starts here and is never closed"),
            "{err}"
        );
        // In a column before the last (the swallowed record then looked ragged too).
        let err = parse("x,c,y\n1,a,2\n2,\"b,4\n3,a,6\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3: a quoted cell starts here"), "{err}");
        // In the header too.
        let err = parse("x,\"y\n1,2\n").unwrap_err().to_string();
        assert!(err.contains("line 1: a quoted cell"), "{err}");
        // Closed quotes, escaped quotes, a closing quote at the very end, and quotes inside an
        // unquoted cell (5" is five inches) are all fine.
        for text in [
            "x,c\n1,\"a \"\"q\"\" b\"\n2,\"\"\n",
            "x,c\n1,\"a\nb\"",
            "x,c\n1,5\"\n2,a\"b\"c\n",
            "x,c\n1,\"a\"b\n",
        ] {
            assert!(parse(text).is_ok(), "{text:?}: {:?}", parse(text).err());
        }
    }

    #[test]
    fn columns_not_wanted_are_skipped_but_still_named() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, b"id,x,y\n\xff\xfe,1,2\nabc,3,4\n").expect("write");
        // The id column is not UTF-8: skipped, it is not even looked at.
        let table = Table::read_where(&path, CsvFormat::default(), Header::Line, |name| {
            name != "id"
        })
        .expect("parses");
        assert_eq!(table.names(), ["id", "x", "y"]);
        assert_eq!(table.len(), 2);
        assert_eq!(table.column(0).len(), 2);
        assert_eq!(table.column(0).get(1), Cell::Text(""));
        assert_eq!(table.column(1).get(1), Cell::Number(3.0));
        assert!(
            Table::read(&path).is_err(),
            "read whole, the bad bytes are an error"
        );
    }

    #[test]
    fn raw_rows_give_the_cells_as_written_row_for_row() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "\u{feff}x,y\r\n1.50, 02\r\n\r\n3,\"a\nb\"\r\n").expect("write");
        let table = Table::read(&path).expect("parses");
        let rows: Vec<Vec<Vec<u8>>> = table
            .raw_rows()
            .expect("opens")
            .map(|r| r.expect("a row").iter().map(<[u8]>::to_vec).collect())
            .collect();
        assert_eq!(rows.len(), table.len());
        assert_eq!(rows[0], [b"1.50".to_vec(), b" 02".to_vec()]);
        assert_eq!(rows[1], [b"3".to_vec(), b"a\nb".to_vec()]);
    }

    #[test]
    fn empty_file_and_header_only_are_named_errors() {
        assert!(matches!(parse(""), Err(DataError::Empty { .. })));
        assert!(matches!(parse("x,y\n"), Err(DataError::NoRows { .. })));
    }

    #[test]
    fn ragged_row_reports_its_line_and_likeliest_cause() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        let short = message("x,y\n1,2\n3\n");
        assert!(
            short.contains(
                "line 3: expected 2 cells as in the header, found 1; write an empty cell"
            ),
            "{short}"
        );
        let long = message("x,y\n1,2,5\n");
        assert!(
            long.contains("found 3; a cell that holds a comma must be quoted"),
            "{long}"
        );
        let titled = message("Sales report 2024\nx,y\n1,2\n");
        assert!(
            titled.contains("line 2: expected 1 cell as in the header, found 2")
                && titled.contains("if it is a title above the column names, delete it"),
            "{titled}"
        );
    }

    #[test]
    fn blank_lines_are_told_from_cells_and_from_a_missing_header() {
        // In a one-column file a line of spaces is a (missing) cell, not a line to skip.
        let t = parse("x\n1\n  \n3\n").expect("parses");
        assert_eq!(t.len(), 3);
        // In a wider file it is a blank line.
        assert_eq!(parse("x,y\n1,2\n   \n3,4\n").expect("parses").len(), 2);
        let message = parse("   \nx,y\n1,2\n").unwrap_err().to_string();
        assert!(message.contains("the first line is blank"), "{message}");
        // The title hint only where a title would be: the second line is the first row.
        let message = parse("x\n1\n2\n1,5\n").unwrap_err().to_string();
        assert!(
            message.contains("must be quoted") && !message.contains("title"),
            "{message}"
        );
        let message = parse("x,y\n1,2,\n").unwrap_err().to_string();
        assert!(
            message.contains("a comma at the end of the line"),
            "{message}"
        );
        // A header-less first row with an empty cell still reads as data; unnamed columns are
        // listed as such.
        let t = parse("1.5,,2\n3,4,5\n").expect("parses");
        let message = t.index_of("y", "data.target").unwrap_err().to_string();
        assert!(
            message.contains("looks like data") && !message.contains(", ,"),
            "{message}"
        );
        let t = parse(",x\n0,1\n").expect("parses");
        let message = t.index_of("y", "data.target").unwrap_err().to_string();
        assert!(message.contains("(unnamed column 1), x"), "{message}");
    }

    #[test]
    fn unnamed_columns_are_never_read_and_repeated_names_only_matter_when_asked_for() {
        // pandas' `to_csv()` writes its index as an unnamed first column.
        let t = parse(",x,y\n0,1,2\n1,3,4\n").expect("parses");
        assert_eq!(t.names(), ["", "x", "y"]);
        assert_eq!(t.column(0).get(1), Cell::Text(""));
        assert_eq!(t.index_of("y", "data.target").expect("found"), 2);
        let t = parse("x,c,note,note\n1,2,a,b\n").expect("parses");
        assert_eq!(t.index_of("c", "data.target").expect("found"), 1);
        let message = t.index_of("note", "data.features").unwrap_err().to_string();
        assert!(
            message.contains("columns 3 and 4 are both named `note`, which data.features asks for"),
            "{message}"
        );
    }

    #[test]
    fn a_file_separated_by_semicolons_or_tabs_is_named_as_such() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        let semicolons = message("x;y\n1;2\n5;10,5\n");
        assert!(
            semicolons.contains("separated by `;` rather than commas")
                && semicolons.contains("one column named `x;y`")
                && semicolons.contains("data.separator = \";\""),
            "{semicolons}"
        );
        // The fix depends on what the file is to the command.
        let as_file = |role| parse("x;y\n1;2\n").unwrap_err().for_file(role).to_string();
        assert!(as_file(FileRole::ModelRows).ends_with("tell kiln with --separator ';'"));
        assert!(as_file(FileRole::WithTraining).contains("save this one with commas"));
        assert!(as_file(FileRole::Commas).contains("kiln reads this file with commas"));
        assert!(
            parse("x\ty\n1\t2\n")
                .unwrap_err()
                .for_file(FileRole::ModelRows)
                .to_string()
                .ends_with("--separator tab")
        );
        assert!(message("x\ty\n1\t2\n").contains("separated by tabs"));
        let excel = message("sep=;\nx;y\n1;2\n");
        assert!(
            excel.contains("`sep=;` is Excel's separator hint")
                && excel.contains("data.separator = \";\""),
            "{excel}"
        );
        let excel = message("sep=,\nx,y\n1,2\n");
        assert!(
            excel.ends_with("`sep=,` is Excel's separator hint, not the column names: delete it"),
            "{excel}"
        );
        assert!(message("sep=\t\nx\ty\n1\t2\n").contains("`sep=<tab>` is Excel's"));
        let colons = message("sep=:\nx:y\n1:2\n");
        assert!(
            colons.contains("`sep=:` is Excel's") && colons.contains("tabs, `|` or spaces"),
            "{colons}"
        );
        // Read as what it is, the hint is only to be deleted; a comma file read as `;` is named.
        let semicolon = CsvFormat {
            separator: Separator::Semicolon,
            ..CsvFormat::default()
        };
        let as_semicolons = |text: &str| error_in(text, semicolon);
        assert!(
            as_semicolons("sep=;\nx;y\n1;2\n").ends_with("hint, not the column names: delete it")
        );
        let commas = as_semicolons("x,y\n1,2\n");
        assert!(
            commas.contains("separated by commas rather than `;`")
                && commas.contains("data.separator = \",\""),
            "{commas}"
        );
        let ragged = as_semicolons("x;y\n1;2;3\n");
        assert!(
            ragged.contains("a cell that holds a `;` must be quoted (\"a;b\")"),
            "{ragged}"
        );
        let spaced = error_in(
            "x y\n1  2\n",
            CsvFormat {
                separator: Separator::Space,
                ..CsvFormat::default()
            },
        );
        assert!(spaced.contains("spaces in a row"), "{spaced}");
        let commas = error_in(
            "x\n1,5\n",
            CsvFormat {
                decimal: Decimal::Comma,
                ..CsvFormat::default()
            },
        );
        assert!(
            commas.contains("a decimal comma splits its cell"),
            "{commas}"
        );
        let short = as_semicolons("x;y\n1\n").to_string();
        assert!(short.contains("two `;` in a row"), "{short}");
    }

    #[test]
    fn a_byte_order_mark_and_crlf_endings_are_noted_for_writing_rows_back() {
        let t = parse("\u{feff}x,y\r\n1,2\r\n").expect("parses");
        assert!(t.has_bom() && t.crlf());
        let t = parse("x,y\n1,2\r\n").expect("parses");
        assert!(!t.has_bom() && !t.crlf(), "the first line decides");
    }

    #[test]
    fn a_dos_end_of_file_mark_is_passed_over_and_zero_bytes_are_called_damage() {
        let t = parse("x,y\n1,2\n3,4\n\x1a").expect("parses");
        assert_eq!(t.len(), 2);
        let t = parse("x,y\n1,2\n3,Hamburg\x1a").expect("parses");
        assert_eq!(t.column(1).get(1), Cell::Text("Hamburg"));
        let utf16: Vec<u8> = "x,y\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let message = Table::parse(Path::new("t.csv"), &utf16)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 1") && message.contains("UTF-16"),
            "{message}"
        );
        // With spaces between cells, a line of spaces is blank.
        let spaced = CsvFormat {
            separator: Separator::Space,
            ..CsvFormat::default()
        };
        let t =
            Table::parse_as(Path::new("t.csv"), b"x y\n1 2\n   \n3 4\n", spaced).expect("parses");
        assert_eq!(t.len(), 2);
        let message = parse("x,y\n1,2\n3,Ber\0\0\0").unwrap_err().to_string();
        assert!(
            message.contains("line 3: the line holds zero bytes"),
            "{message}"
        );
        let message = parse("x,y\n1,2\n\0\0\0\0").unwrap_err().to_string();
        assert!(
            message.contains("line 3") && message.contains("zero bytes (NUL)"),
            "{message}"
        );
    }

    #[test]
    fn a_european_file_reads_semicolons_and_decimal_commas() {
        let european = CsvFormat {
            separator: Separator::Semicolon,
            decimal: Decimal::Comma,
        };
        let text = "x;y;label\n1,5;-2;\"a;b\"\n3;0,25;1.5\n1234567,125;7;c,d\n";
        let t = Table::parse_as(Path::new("t.csv"), text.as_bytes(), european).expect("parses");
        assert_eq!(t.format(), european);
        let numbers = |c: usize| (0..3).map(|r| t.column(c).get(r)).collect::<Vec<_>>();
        assert_eq!(
            numbers(0),
            [1.5, 3.0, 1_234_567.125].map(Cell::Number),
            "decimals past the i32 form too"
        );
        assert_eq!(numbers(1), [-2.0, 0.25, 7.0].map(Cell::Number));
        // A `.` makes a cell text under a decimal comma: `1.5` is no number here.
        assert_eq!(
            numbers(2),
            [Cell::Text("a;b"), Cell::Text("1.5"), Cell::Text("c,d")]
        );
        // A numeric column with such a cell says why it is not read.
        let t = Table::parse_as(Path::new("t.csv"), b"x\n1,5\n2.5\n3\n", european).expect("parses");
        let error = crate::parse::number(&t, 1, 0, false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`2.5`") && error.contains("data.decimal = \".\""),
            "{error}"
        );
        // Quoted cells with the separator inside are cells, as with commas.
        let t = Table::parse_as(Path::new("t.csv"), b"\"a;b\";c\n1;2\n", european).expect("parses");
        assert_eq!(t.names(), ["a;b", "c"]);
    }

    #[test]
    fn missing_column_lists_found_and_suggests_closest() {
        let t = parse("age,income\n1,2\n").expect("parses");
        let message = t.index_of("incme", "data.target").unwrap_err().to_string();
        assert!(message.contains("did you mean `income`"), "{message}");
        assert!(message.contains("age, income"), "{message}");
        let message = t.index_of("Age", "data.target").unwrap_err().to_string();
        assert!(message.contains("did you mean `age`"), "{message}");
        // A space-separated file read with commas, and a file whose first line is data.
        let t = parse("x y class\n1 2 3\n").expect("parses");
        let message = t.index_of("class", "data.target").unwrap_err().to_string();
        assert!(message.contains("data.separator = \" \""), "{message}");
        let t = parse("A11,6,A34,1169,4,1\nA12,48,A32,5951,2,2\n").expect("parses");
        let message = t.index_of("class", "data.target").unwrap_err().to_string();
        assert!(
            message.contains("looks like data") && message.contains("data.columns = ["),
            "{message}"
        );
        // data.columns names the columns of an experiment's data files only.
        let message = t
            .index_of("row_index", "split.test_rows")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("looks like data") && !message.contains("data.columns"),
            "{message}"
        );
    }

    /// `text` read as `t.csv` with the columns `names` and no header line, `optional` being
    /// the one rows may leave out (given, the names are a model's, as for rows to predict).
    fn named(text: &str, names: &[&str], optional: Option<&str>) -> Result<Table, DataError> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let header = Header::Named {
            names: &names,
            optional,
            trained: optional.is_some(),
        };
        Table::parse_named(
            Path::new("t.csv"),
            text.as_bytes(),
            CsvFormat::default(),
            header,
        )
    }

    #[test]
    fn a_file_without_a_header_line_is_read_by_the_names_given_from_its_first_line() {
        let t = named(
            "5.1,3.5,setosa\n\n4.9,3.0,setosa\n",
            &["a", "b", "class"],
            None,
        )
        .expect("parses");
        assert_eq!(t.names(), ["a", "b", "class"]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.column(0).get(0), Cell::Number(5.1));
        assert_eq!((t.line(0), t.line(1)), (1, 3));
        // A header line that names every column is a header all the same, in any order.
        let t = named("a,b,class\n5.1,3.5,setosa\n", &["a", "b", "class"], None).expect("parses");
        assert_eq!((t.len(), t.line(0)), (1, 2));
        let t = named(
            "class,id,b,a\nsetosa,7,3.5,5.1\n",
            &["a", "b", "class"],
            None,
        )
        .expect("parses");
        assert_eq!(t.names(), ["class", "id", "b", "a"]);
        // Rows to predict may leave out the target, with a header line or without.
        for text in ["5.1,setosa\n", "a,class\n5.1,setosa\n"] {
            let t = named(text, &["a", "y", "class"], Some("y")).expect("parses");
            assert_eq!(t.names(), ["a", "class"]);
            assert_eq!(t.len(), 1);
        }
        // A first row whose text cells happen to be two of the names is a row, not a header
        // lacking the third: a header has no number (found by the property test).
        let t = named("0,a,b\n", &["a", "b", "c"], None).expect("parses");
        assert_eq!(
            (t.names(), t.len()),
            (&["a", "b", "c"].map(String::from)[..], 1)
        );
    }

    #[test]
    fn rows_of_a_file_without_a_header_line_are_written_back_whole() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "1,x\n2,y\n").expect("write");
        let names = ["n".to_string(), "c".to_string()];
        let header = Header::Named {
            names: &names,
            optional: None,
            trained: false,
        };
        let t = Table::read_where(&path, CsvFormat::default(), header, |_| true).expect("parses");
        let rows: Vec<csv::ByteRecord> = t
            .raw_rows()
            .expect("opens")
            .map(|r| r.expect("row"))
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][0], b"1");
    }

    #[test]
    fn a_file_without_a_header_line_that_does_not_fit_the_names_is_refused_with_the_fix() {
        let names = ["a", "b", "class"];
        let fewer = named("5.1,setosa\n", &names, None).unwrap_err().to_string();
        assert!(
            fewer.contains("line 1: expected 3 cells, one for each name in data.columns, found 2")
                && fewer.contains("must name every column of the file"),
            "{fewer}"
        );
        let later = named("5.1,3.5,setosa\n4.9,setosa\n", &names, None)
            .unwrap_err()
            .to_string();
        assert!(
            later.contains("line 2: expected 3 cells, one for each name in data.columns"),
            "{later}"
        );
        let semicolons = named("5.1;3.5;setosa\n", &names, None)
            .unwrap_err()
            .to_string();
        assert!(semicolons.contains("separated by `;`"), "{semicolons}");
        // Another header than the names: the user means one or the other.
        let renamed = named("sl,sw,species\n5.1,3.5,setosa\n", &names, None)
            .unwrap_err()
            .to_string();
        assert!(
            renamed.contains("line 1: `sl,sw,species` looks like column names")
                && renamed.contains("lacks `a`, which data.columns names")
                && renamed.contains("remove data.columns"),
            "{renamed}"
        );
        let cased = named("A,B,CLASS\n5.1,3.5,setosa\n", &names, None)
            .unwrap_err()
            .to_string();
        assert!(
            cased.contains("(did you mean `A`? (names must match in case too))"),
            "{cased}"
        );
        // Rows to predict: all the columns or all but the target, and then so on every line.
        let predict = |text: &str| named(text, &names, Some("b")).unwrap_err().to_string();
        let wide = predict("1,2,3,4\n");
        assert!(
            wide.contains(
                "expected 3 cells, one for each column the model was trained on (or 2, all but `b`)"
            ) && wide.contains("trained on, in order: a, b, class"),
            "{wide}"
        );
        let later = predict("5.1,setosa\n4.9,3.0,setosa\n");
        assert!(
            later.contains(
                "line 2: expected 2 cells, one for each column the model was trained on but `b`"
            ),
            "{later}"
        );
        let headed = predict("a,class\n5.1\n");
        assert!(
            headed.contains("line 2: expected 2 cells as in the header"),
            "{headed}"
        );
        let empty = named("", &names, None).unwrap_err().to_string();
        assert!(
            empty.contains("is empty: expected one row per line (without"),
            "{empty}"
        );
        // A first row of words above another of words is data (a file of categories).
        let t = named("x,y,z\nu,v,w\n", &names, None).expect("parses");
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn a_file_without_a_header_line_keeps_its_line_numbers_markers_and_end_separators() {
        let names = ["a", "b", "class"];
        // Blank lines above the first row: every row keeps its own line, and is written back.
        let t = named("\n\n5.1,3.5,setosa\n4.9,3.0,setosa\n", &names, None).expect("parses");
        assert_eq!((t.len(), t.line(0), t.line(1)), (2, 3, 4));
        let bad = named("\n\n5.1,x,setosa\n4.9,3.0,setosa\n", &names, None).expect("parses");
        assert_eq!(bad.line(0), 3);
        // A first row of missing markers and words is a row, not a header line.
        for first in ["?,?,setosa", "NA,NA,setosa", "N/A,?,setosa"] {
            let t = named(&format!("{first}\n4.9,3.0,setosa\n"), &names, None);
            assert_eq!(t.expect(first).len(), 2, "{first}");
        }
        // A separator at the end of every line makes an unnamed column, never read.
        let t = named("5.1,3.5,setosa,\n4.9,3.0,setosa,\n", &names, None).expect("parses");
        assert_eq!(t.names(), ["a", "b", "class", ""]);
        // Rows to predict whose last cell is empty, the target elsewhere: asked, not guessed.
        let target_first = ["class", "a", "b"];
        let asked = named("5.1,3.5,\n", &target_first, Some("class"))
            .unwrap_err()
            .to_string();
        assert!(
            asked
                .contains("the row has 3 cells, the last one empty: every column with `b` missing"),
            "{asked}"
        );
        let t = named("5.1,3.5\n", &target_first, Some("class")).expect("parses");
        assert_eq!(t.names(), ["a", "b"]);
    }

    #[test]
    fn a_file_without_a_header_line_written_with_another_separator_is_named_so() {
        // Read as written (`;`, decimal commas), a row of decimal commas is no comma file.
        let european = CsvFormat {
            separator: Separator::Semicolon,
            decimal: crate::Decimal::Comma,
        };
        let names5 = ["a", "b", "c", "d", "class"].map(String::from);
        let header = Header::Named {
            names: &names5,
            optional: None,
            trained: false,
        };
        let text = "  \n5,1;3,5;1,4;0,2;setosa\n";
        let t = Table::parse_named(Path::new("t.csv"), text.as_bytes(), european, header)
            .expect("parses");
        assert_eq!((t.len(), t.line(0)), (1, 2));
        assert_eq!(t.column(0).get(0), Cell::Number(5.1));
        let names = ["a", "b", "c", "d", "class"];
        // Cut by commas, the row has five cells by chance: they hold the `;`.
        let european = named("5,1;3,5;1,4;0,2;setosa\n", &names, None)
            .unwrap_err()
            .to_string();
        assert!(
            european.contains("separated by `;` rather than commas"),
            "{european}"
        );
        let spaced = named("A11 6 A34 4 good\n", &names, None)
            .unwrap_err()
            .to_string();
        assert!(spaced.contains("separated by spaces"), "{spaced}");
        // One cell a row, as a target-only file or rows of one feature are: no separator.
        let t = named("-1.5\n2\n", &["y"], None).expect("parses");
        assert_eq!(t.len(), 2);
        let t = named("1.5\n", &["x", "y"], Some("y")).expect("parses");
        assert_eq!(t.names(), ["x"]);
        // Decimal commas in a `;` row read as `;` with points: no comma file (the numbers say so).
        let semicolons = CsvFormat {
            separator: Separator::Semicolon,
            decimal: crate::Decimal::Point,
        };
        let five = names.map(String::from);
        let header = Header::Named {
            names: &five,
            optional: None,
            trained: false,
        };
        let read = Table::parse_named(
            Path::new("t.csv"),
            b"-0,1;0,2;F;-1,9;no\n",
            semicolons,
            header,
        );
        assert_eq!(
            read.expect("parses: the cells' decimal commas are a later matter")
                .len(),
            1
        );
        // A comma file read as `;` with decimal commas is one cell a row: commas it is.
        let header = Header::Named {
            names: &five,
            optional: None,
            trained: false,
        };
        let comma_file = Table::parse_named(
            Path::new("t.csv"),
            b"5.1,3.5,1.4,0.2,setosa\n",
            CsvFormat {
                separator: Separator::Semicolon,
                decimal: crate::Decimal::Comma,
            },
            header,
        )
        .unwrap_err()
        .to_string();
        assert!(comma_file.contains("separated by commas"), "{comma_file}");
        // Excel's separator line above the rows.
        let excel = named("sep=,\n5.1,3.5,1.4,0.2,setosa\n", &names, None)
            .unwrap_err()
            .to_string();
        assert!(excel.contains("Excel's separator hint"), "{excel}");
        // Commas followed by spaces are commas.
        let t = named("5.1, 3.5, 1.4, 0.2, setosa\n", &names, None).expect("parses");
        assert_eq!(t.len(), 1);
    }
}
