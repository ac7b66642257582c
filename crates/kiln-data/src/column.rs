//! One column of a CSV file, stored by type: a decimal as an `i32` mantissa over a power of ten
//! shared by the column (4 bytes a cell, read back as exactly the `f64` its text parses to), other
//! numbers as `f64`, text interned once per column with one-byte codes up to 256 distinct values.
//! A million-row numeric column costs 4 MB, a categorical one 1 MB — so a table takes less memory
//! than its CSV, which leaves room for the encoded matrix within twice the file's size.
//!
//! A cell that reads as a number (see [`as_number`]) *is* that number: in a categorical column,
//! `1`, `1.0` and `01` are one level, written in its canonical form (see [`canonical_number`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::format::Decimal;

/// One cell as read: a number kiln can compute with, or any other text (empty, a word, `NaN`,
/// `inf`, `1e39`, ...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// A cell that parses as a finite number within the `f32` range (see [`LARGEST_NUMBER`]).
    Number(f64),
    /// Any other cell, trimmed.
    Text(&'a str),
}

impl<'a> Cell<'a> {
    /// The cell as text: numbers in canonical form.
    pub fn text(self) -> Cow<'a, str> {
        match self {
            Self::Number(v) => Cow::Owned(canonical_number(v)),
            Self::Text(s) => Cow::Borrowed(s),
        }
    }

    /// Whether the cell reads as a number of any kind, finite or not (`NaN`, `inf`), in the
    /// `f32` range or not (`1e39`): used to tell a numeric column with a bad cell from a text
    /// column.
    pub fn looks_numeric(self) -> bool {
        match self {
            Self::Number(_) => true,
            Self::Text(s) => s.parse::<f64>().is_ok(),
        }
    }
}

/// The largest magnitude a number cell may have: `f32::MAX`, about 3.4e38. Models train and
/// predict in 32-bit floats, so a cell beyond it (finite as an `f64`) would become an infinity in
/// the tensors: training would "diverge" on what is a data error, and predictions would come out
/// as `inf` or NaN without a word. Such a cell therefore does not read as a number; where a number
/// is needed it is reported, with its line and column (see [`DataError::OutOfRange`]).
///
/// [`DataError::OutOfRange`]: crate::DataError::OutOfRange
pub const LARGEST_NUMBER: f64 = f32::MAX as f64;

/// `text` as a number kiln can compute with: it parses, and is finite and within
/// ±[`LARGEST_NUMBER`]. This is the one test of what a number is, for every way a column stores
/// its cells (decimals cannot exceed the bound: their mantissa is an `i32`) and for `na_values`.
pub(crate) fn as_number(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.abs() <= LARGEST_NUMBER)
}

/// The one text form of a number: integers without a fraction (`3`, not `3.0`), others in the
/// shortest form that reads back to the same value (`0.1`, `1.5`).
pub fn canonical_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The one order of class labels and category levels, numbers written with `decimal`: numbers
/// first, by value (`2` before `10`), then text by byte value (`No` before `no`). A total order,
/// so that sorting never depends on the rows' order.
pub(crate) fn level_order(a: &str, b: &str, decimal: Decimal) -> std::cmp::Ordering {
    match (decimal.number(a), decimal.number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Distinct texts of one column, each stored once, with its number when it reads as one.
#[derive(Debug, Clone, Default)]
struct Interner {
    texts: Vec<Arc<str>>,
    numbers: Vec<Option<f64>>,
    codes: FastMap<Arc<str>, u32>,
}

/// A hash map keyed by short texts, with FNV-1a hashing: several times faster than the default
/// SipHash on category names, and these maps hold the file's own values, not an attacker's.
pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// The FNV-1a hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Interner {
    /// The code of `text`, whose value as a number (in the file's format) is `number`.
    fn intern(&mut self, text: &str, number: Option<f64>) -> u32 {
        // Most categorical columns have a handful of levels: comparing beats hashing.
        if self.texts.len() <= 8 {
            if let Some(code) = self.texts.iter().position(|t| **t == *text) {
                return code as u32;
            }
        } else if let Some(&code) = self.codes.get(text) {
            return code;
        }
        let code = self.texts.len() as u32;
        let shared: Arc<str> = Arc::from(text);
        self.texts.push(shared.clone());
        self.numbers.push(number);
        self.codes.insert(shared, code);
        code
    }

    fn cell(&self, code: u32) -> Cell<'_> {
        match self.numbers[code as usize] {
            Some(v) => Cell::Number(v),
            None => Cell::Text(&self.texts[code as usize]),
        }
    }
}

/// The numbers of a column. Decimals such as `523.1234` or `42` are kept as an `i32` mantissa
/// over a power of ten shared by the column (4 bytes a cell); `mantissa as f64 / 10^k` is
/// exactly the `f64` that parsing the text gives, because both operands are exact and IEEE
/// division rounds correctly. A column falls back to `f64` for the first cell that does not fit
/// (an exponent, more than 9 decimals, a mantissa beyond `i32`).
#[derive(Debug, Clone)]
enum Numbers {
    Decimal {
        mantissas: Vec<i32>,
        decimals: u32,
        /// Largest |mantissa| so far, to know whether a rescale still fits.
        largest: i64,
        /// How the cells wrote their decimal places, for [`Column::thousands_with_marks`].
        places: Places,
    },
    Float(Vec<f64>),
}

/// Marks a row whose cell is not a number in [`Numbers::Decimal`].
const NOT_A_NUMBER: i32 = i32::MIN;
const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const POW10_INT: [i64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

impl Numbers {
    fn len(&self) -> usize {
        match self {
            Self::Decimal { mantissas, .. } => mantissas.len(),
            Self::Float(values) => values.len(),
        }
    }

    /// The number of `row`, or NaN where the cell is not one.
    fn get(&self, row: usize) -> f64 {
        match self {
            Self::Decimal {
                mantissas,
                decimals,
                ..
            } => match mantissas[row] {
                NOT_A_NUMBER => f64::NAN,
                m => f64::from(m) / POW10[*decimals as usize],
            },
            Self::Float(values) => values[row],
        }
    }

    fn reserve(&mut self, more: usize) {
        match self {
            Self::Decimal { mantissas, .. } => mantissas.reserve_exact(more),
            Self::Float(values) => values.reserve_exact(more),
        }
    }

    fn push_missing(&mut self) {
        match self {
            Self::Decimal { mantissas, .. } => mantissas.push(NOT_A_NUMBER),
            Self::Float(values) => values.push(f64::NAN),
        }
    }

    /// Stores `cell` if it is a number written with `decimal` ([`Decimal::number`]) in a form
    /// [`Numbers::push_decimal`] (which the caller tries first) did not take; false otherwise.
    fn push_float(&mut self, cell: &str, decimal: Decimal) -> bool {
        match decimal.number(cell) {
            Some(v) => {
                self.as_floats().push(v);
                true
            }
            None => false,
        }
    }

    /// Stores `cell` if it is a decimal with the mark `decimal` that fits the `i32` form; false
    /// otherwise.
    fn push_decimal(&mut self, cell: &[u8], decimal: Decimal) -> bool {
        let Self::Decimal {
            mantissas,
            decimals,
            largest,
            places: written,
        } = self
        else {
            return false;
        };
        let Some((mantissa, marked)) =
            parse_decimal(cell, decimal.byte()).filter(|&(_, p)| p.unwrap_or(0) <= 9)
        else {
            return false;
        };
        let places = marked.unwrap_or(0);
        // The new cell and the column so far, at the finer of the two scales.
        let scale = places.max(*decimals);
        let fits = |v: i64| v.abs() <= i64::from(i32::MAX);
        let cell_value = mantissa.checked_mul(POW10_INT[(scale - places) as usize]);
        let largest_after = *largest * POW10_INT[(scale - *decimals) as usize];
        let Some(m) = cell_value.filter(|&m| fits(m) && fits(largest_after)) else {
            return false;
        };
        if scale > *decimals {
            let factor = POW10_INT[(scale - *decimals) as usize] as i32;
            for old in mantissas.iter_mut().filter(|old| **old != NOT_A_NUMBER) {
                *old *= factor;
            }
            *decimals = scale;
        }
        *largest = largest_after.max(m.abs());
        mantissas.push(m as i32);
        written.note(mantissa, marked);
        true
    }

    /// Switches to `f64` storage (a no-op if already there) and returns it.
    fn as_floats(&mut self) -> &mut Vec<f64> {
        if let Self::Decimal { .. } = self {
            let values = (0..self.len()).map(|row| self.get(row)).collect();
            *self = Self::Float(values);
        }
        match self {
            Self::Float(values) => values,
            Self::Decimal { .. } => unreachable!("switched to Float above"),
        }
    }
}

/// How the cells of a decimal column wrote their places: the smallest size but zero of those
/// without a decimal mark, how many had exactly three places after it, and whether any had
/// another number.
#[derive(Debug, Clone, Copy, Default)]
struct Places {
    smallest_plain: Option<u64>,
    three: u32,
    other: bool,
}

impl Places {
    fn note(&mut self, mantissa: i64, places: Option<u32>) {
        match places {
            None => {
                if mantissa != 0 {
                    let size = mantissa.unsigned_abs();
                    self.smallest_plain = Some(self.smallest_plain.map_or(size, |s| s.min(size)));
                }
            }
            Some(3) => self.three = self.three.saturating_add(1),
            Some(_) => self.other = true,
        }
    }
}

/// `[+-]digits[<mark>digits]` (at least one digit, at most 18) as a mantissa and its decimal
/// places (`None` without a mark).
fn parse_decimal(bytes: &[u8], mark: u8) -> Option<(i64, Option<u32>)> {
    let (negative, body) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut mantissa: i64 = 0;
    let mut digits = 0u32;
    let mut places = None;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 18 {
                    return None;
                }
                mantissa = mantissa * 10 + i64::from(b - b'0');
                if let Some(p) = places.as_mut() {
                    *p += 1;
                }
            }
            b if b == mark && places.is_none() => places = Some(0u32),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    Some((if negative { -mantissa } else { mantissa }, places))
}

/// Interned codes of a text column: one byte a cell while the column has at most 256 distinct
/// texts (the usual categorical column), four beyond.
#[derive(Debug, Clone)]
enum Codes {
    Narrow(Vec<u8>),
    Wide(Vec<u32>),
}

impl Codes {
    fn len(&self) -> usize {
        match self {
            Self::Narrow(codes) => codes.len(),
            Self::Wide(codes) => codes.len(),
        }
    }

    fn get(&self, row: usize) -> u32 {
        match self {
            Self::Narrow(codes) => u32::from(codes[row]),
            Self::Wide(codes) => codes[row],
        }
    }

    fn push(&mut self, code: u32) {
        match self {
            Self::Narrow(codes) => match u8::try_from(code) {
                Ok(narrow) => codes.push(narrow),
                Err(_) => {
                    let mut wide: Vec<u32> = codes.iter().map(|&c| u32::from(c)).collect();
                    wide.push(code);
                    *self = Self::Wide(wide);
                }
            },
            Self::Wide(codes) => codes.push(code),
        }
    }
}

/// How a column's cells are kept.
#[derive(Debug, Clone)]
enum Store {
    /// Mostly numbers: a value per row, NaN where the cell is text; `others` holds those rows
    /// (ascending) with the code of their text.
    Numbers {
        values: Numbers,
        others: Vec<(u32, u32)>,
        /// How many of `others` are real text, not empty cells: too many and the column is
        /// stored as codes instead.
        words: usize,
    },
    /// Mostly text: a code per row.
    Codes(Codes),
    /// Not read (see [`Table::read_where`]): every cell reads as empty, that is missing.
    Skipped(usize),
}

/// Below this many words a column stays numeric, whatever their share: a few stray words at
/// the top of a numeric column must not turn it into interned text.
const WORDS_BEFORE_SWITCH: usize = 32;

/// A distinct cell of a column, from [`Column::census`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Census<'a> {
    /// The cell.
    pub cell: Cell<'a>,
    /// How many rows hold it.
    pub rows: usize,
    /// The first of them.
    pub first: usize,
}

/// One column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    store: Store,
    texts: Interner,
    /// The decimal mark of the file's numbers.
    decimal: Decimal,
}

impl Column {
    pub(crate) fn new(decimal: Decimal) -> Self {
        Self {
            decimal,
            store: Store::Numbers {
                values: Numbers::Decimal {
                    mantissas: Vec::new(),
                    decimals: 0,
                    largest: 0,
                    places: Places::default(),
                },
                others: Vec::new(),
                words: 0,
            },
            texts: Interner::default(),
        }
    }

    pub(crate) fn skipped() -> Self {
        Self {
            decimal: Decimal::Point,
            store: Store::Skipped(0),
            texts: Interner::default(),
        }
    }

    /// The decimal mark of the file's numbers.
    pub(crate) fn decimal(&self) -> Decimal {
        self.decimal
    }

    /// A row whose number looks like thousands written with a decimal mark between
    /// digit groups (`1.169` for 1169), when the whole column does: every number with a mark
    /// has exactly three places after it (two or more such cells), those without are whole
    /// numbers from 100 to 999 (or 0: a larger one would have a group mark, and small ones sit
    /// among the decimals of a measurement such as pH 7.365 next to 7), and the numbers with a
    /// mark are at least 1 in size. A column of ordinary decimals almost never looks so, but a
    /// file saved with thousands marks does, and it would be read a thousand times too small.
    pub(crate) fn thousands_with_marks(&self) -> Option<usize> {
        let Store::Numbers {
            values: values @ Numbers::Decimal { places, .. },
            ..
        } = &self.store
        else {
            return None;
        };
        let plain_hundreds = places.smallest_plain.is_some_and(|s| s >= 100);
        if places.three < 2 || !plain_hundreds || places.other {
            return None;
        }
        let (mut first, mut any) = (None, None);
        for row in 0..values.len() {
            let v = values.get(row).abs();
            if v.is_nan() {
                continue;
            }
            if v >= 1000.0 || (v.fract() != 0.0 && v < 1.0) {
                return None;
            }
            // The example shows all three places (`1.169`, not `1.1` for `1.100`) if it can.
            if v.fract() != 0.0 {
                any = any.or(Some(row));
                if first.is_none() && (v * 1000.0).round() % 10.0 != 0.0 {
                    first = Some(row);
                }
            }
        }
        first.or(any)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Numbers { values, .. } => values.len(),
            Store::Codes(codes) => codes.len(),
            Store::Skipped(rows) => *rows,
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell of `row`.
    pub fn get(&self, row: usize) -> Cell<'_> {
        match &self.store {
            Store::Numbers { values, others, .. } => {
                let v = values.get(row);
                if !v.is_nan() {
                    return Cell::Number(v);
                }
                match others.binary_search_by_key(&(row as u32), |&(r, _)| r) {
                    Ok(i) => self.texts.cell(others[i].1),
                    Err(_) => Cell::Number(v), // unreachable: every NaN row is in `others`
                }
            }
            Store::Codes(codes) => self.texts.cell(codes.get(row)),
            Store::Skipped(_) => Cell::Text(""),
        }
    }

    /// The number of `row`, or NaN where the cell is not a number: the fast path for columns
    /// already checked to be numeric.
    pub fn number(&self, row: usize) -> f64 {
        match &self.store {
            Store::Numbers { values, .. } => values.get(row),
            Store::Codes(_) | Store::Skipped(_) => match self.get(row) {
                Cell::Number(v) => v,
                Cell::Text(_) => f64::NAN,
            },
        }
    }

    /// The rows whose cell is not a number, in order, with their cell.
    pub fn non_numbers(&self) -> Box<dyn Iterator<Item = (usize, Cell<'_>)> + '_> {
        match &self.store {
            Store::Numbers { others, .. } => Box::new(
                others
                    .iter()
                    .map(|&(row, code)| (row as usize, self.texts.cell(code))),
            ),
            Store::Codes(codes) => Box::new(
                (0..codes.len())
                    .filter(|&row| self.texts.numbers[codes.get(row) as usize].is_none())
                    .map(|row| (row, self.get(row))),
            ),
            Store::Skipped(rows) => Box::new((0..*rows).map(|row| (row, Cell::Text("")))),
        }
    }

    /// The column's cells by distinct value, in one pass over its integer codes (cheap on a
    /// million rows, where reading each cell's text is not): each distinct cell with how many
    /// rows hold it and the first of them, in order of first appearance. Number cells stored as
    /// numbers (a mostly numeric column) come as one entry each for the first two distinct
    /// values and, when there are more, one that holds all the rest.
    /// Cells `skip` accepts (missing ones) are left out, before numbers are pooled.
    pub(crate) fn census<'a>(&'a self, skip: &dyn Fn(Cell<'_>) -> bool) -> Vec<Census<'a>> {
        // A code's slot: its entry, or not yet seen, or left out.
        const UNSEEN: u32 = u32::MAX;
        const LEFT_OUT: u32 = u32::MAX - 1;
        let mut tallies: Vec<Census<'a>> = Vec::new();
        let mut slot: Vec<u32> = vec![UNSEEN; self.texts.texts.len()];
        // One text cell of `row`, by its code.
        let mut count = |code: u32, row: usize, tallies: &mut Vec<Census<'a>>| {
            let at = code as usize;
            match slot[at] {
                // Left out: marked once, then passed over.
                LEFT_OUT => {}
                UNSEEN if skip(self.texts.cell(code)) => slot[at] = LEFT_OUT,
                UNSEEN => {
                    slot[at] = tallies.len() as u32;
                    tallies.push(Census {
                        cell: self.texts.cell(code),
                        rows: 1,
                        first: row,
                    });
                }
                i => tallies[i as usize].rows += 1,
            }
        };
        match &self.store {
            Store::Codes(codes) => {
                for row in 0..codes.len() {
                    count(codes.get(row), row, &mut tallies);
                }
            }
            Store::Numbers { values, others, .. } => {
                for &(row, code) in others {
                    count(code, row as usize, &mut tallies);
                }
                let mut numbers: Vec<Census<'_>> = Vec::new();
                for row in 0..values.len() {
                    let v = values.get(row);
                    if v.is_nan() || skip(Cell::Number(v)) {
                        continue;
                    }
                    match numbers.iter().position(|n| n.cell == Cell::Number(v)) {
                        Some(i) => numbers[i].rows += 1,
                        None if numbers.len() < 2 => numbers.push(Census {
                            cell: Cell::Number(v),
                            rows: 1,
                            first: row,
                        }),
                        // The rest of the numbers, under the first value beyond the two.
                        None => match numbers.get_mut(2) {
                            Some(rest) => rest.rows += 1,
                            None => numbers.push(Census {
                                cell: Cell::Number(v),
                                rows: 1,
                                first: row,
                            }),
                        },
                    }
                }
                tallies.extend(numbers);
                tallies.sort_by_key(|c| c.first);
            }
            Store::Skipped(rows) if *rows > 0 && !skip(Cell::Text("")) => tallies.push(Census {
                cell: Cell::Text(""),
                rows: *rows,
                first: 0,
            }),
            Store::Skipped(_) => {}
        }
        tallies
    }

    /// The text of `row`, numbers in canonical form with the file's decimal mark
    /// ([`Table::raw_rows`](crate::Table::raw_rows) gives the file's own).
    pub fn text(&self, row: usize) -> Cow<'_, str> {
        self.text_of(self.get(row))
    }

    /// The text of a cell of this column: numbers in canonical form with the file's decimal
    /// mark (`1,5` in a file of decimal commas), as category levels and class labels are named,
    /// so that a level never shares its name with a text cell of another value (`1.5` there).
    pub fn text_of<'a>(&self, cell: Cell<'a>) -> Cow<'a, str> {
        self.decimal.text_of(cell)
    }

    /// Room for `more` rows, so that a large file's columns are not grown by doubling: each
    /// doubling copies the column and, for a moment, holds it twice.
    pub(crate) fn reserve(&mut self, more: usize) {
        match &mut self.store {
            Store::Numbers { values, .. } => values.reserve(more),
            Store::Codes(Codes::Narrow(codes)) => codes.reserve_exact(more),
            Store::Codes(Codes::Wide(codes)) => codes.reserve_exact(more),
            Store::Skipped(_) => {}
        }
    }

    /// Appends a raw cell; false if it is not UTF-8. Decimals, the bulk of most files, are
    /// stored straight from the bytes; only other cells are decoded and parsed.
    pub(crate) fn push_raw(&mut self, raw: &[u8]) -> bool {
        if let Store::Skipped(rows) = &mut self.store {
            *rows += 1;
            return true;
        }
        if let Store::Numbers { values, .. } = &mut self.store
            && values.push_decimal(raw.trim_ascii(), self.decimal)
        {
            return true;
        }
        match std::str::from_utf8(raw) {
            Ok(text) => {
                self.push(text.trim());
                true
            }
            Err(_) => false,
        }
    }

    fn push(&mut self, cell: &str) {
        match &mut self.store {
            Store::Numbers {
                values,
                others,
                words,
            } => {
                if values.push_float(cell, self.decimal) {
                    return;
                }
                let row = values.len() as u32;
                others.push((row, self.texts.intern(cell, None)));
                values.push_missing();
                *words += usize::from(!cell.is_empty());
                if *words >= WORDS_BEFORE_SWITCH && *words * 2 > values.len() {
                    self.store_as_codes();
                }
            }
            Store::Codes(codes) => {
                let code = match self.decimal.number(cell) {
                    Some(v) => self.texts.intern(&self.decimal.canonical(v), Some(v)),
                    None => self.texts.intern(cell, None),
                };
                codes.push(code);
            }
            Store::Skipped(rows) => *rows += 1,
        }
    }

    fn store_as_codes(&mut self) {
        if let Store::Numbers { values, others, .. } = &self.store {
            let mut texts = std::mem::take(&mut self.texts);
            let mut others = others.iter().peekable();
            let mut codes = Codes::Narrow(Vec::with_capacity(values.len()));
            for row in 0..values.len() {
                codes.push(match others.next_if(|(r, _)| *r as usize == row) {
                    Some(&(_, code)) => code,
                    None => {
                        let v = values.get(row);
                        texts.intern(&self.decimal.canonical(v), Some(v))
                    }
                });
            }
            self.texts = texts;
            self.store = Store::Codes(codes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::tests::parse;

    #[test]
    fn decimals_read_back_exactly_as_parsed() {
        let cells = [
            "0.1",
            "-2.5",
            "1000.1234",
            "42",
            "+7",
            "0.000000001",
            "123456789",
            "2147483647",
            "2147483648",
            "-0.3",
            "1e3",
            "3.14159265358979",
            ".5",
            "5.",
        ];
        let text: String = std::iter::once("x\n".to_string())
            .chain(cells.iter().map(|c| format!("{c}\n")))
            .collect();
        let table = parse(&text).expect("parses");
        for (row, cell) in cells.iter().enumerate() {
            let expected: f64 = cell.parse().expect("a number");
            assert_eq!(table.column(0).get(row), Cell::Number(expected), "{cell}");
        }
    }

    #[test]
    fn a_column_of_words_is_interned_and_numbers_in_it_are_canonical() {
        let mut text = String::from("c\n1.50\n");
        for i in 0..100 {
            text.push_str(&format!("w{}\n", i % 3));
        }
        text.push_str("01\n");
        let table = parse(&text).expect("parses");
        let column = table.column(0);
        assert!(matches!(column.store, Store::Codes(_)));
        assert_eq!(column.get(0), Cell::Number(1.5));
        assert_eq!(column.text(0), "1.5");
        assert_eq!(column.get(1), Cell::Text("w0"));
        assert_eq!(column.text(101), "1");
    }

    #[test]
    fn a_text_column_past_256_levels_widens_its_codes_and_keeps_every_cell() {
        let words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let text = format!("c,z\n{},0\n", words.join(",0\n"));
        let table = parse(&text).expect("parses");
        let column = table.column(0);
        assert!(matches!(column.store, Store::Codes(Codes::Wide(_))));
        for (row, word) in words.iter().enumerate() {
            assert_eq!(column.get(row), Cell::Text(word), "row {row}");
        }
    }

    #[test]
    fn numbers_beyond_f32_are_text_however_the_column_is_stored() {
        // `f32::MAX` written out in full is the largest number; the next decimal up is not one.
        let largest = "340282346638528859811704183484516925440";
        let beyond = ["1e39", "-1e39", "340282356779733661637539395458142568448"];
        let numeric = format!("x,z\n1.5,0\n{largest},0\n{},0\n", beyond.join(",0\n"));
        // 40 words turn the column into interned codes before the large cells arrive.
        let words: String = (0..40).map(|i| format!("w{},0\n", i % 3)).collect();
        let coded = format!("x,z\n{words}{largest},0\n{},0\n", beyond.join(",0\n"));
        for text in [numeric, coded] {
            let table = parse(&text).expect("parses");
            let column = table.column(0);
            let first = table.len() - beyond.len();
            assert_eq!(
                column.get(first - 1),
                Cell::Number(f64::from(f32::MAX)),
                "{text}"
            );
            for (row, cell) in (first..).zip(beyond) {
                assert_eq!(column.get(row), Cell::Text(cell), "{text}");
                assert!(column.number(row).is_nan());
            }
        }
    }

    #[test]
    fn missing_and_non_finite_cells_stay_text_in_a_numeric_column() {
        // Two columns: in a one-column file an empty cell is a blank line, which is skipped.
        let table = parse("x,z\n1,0\n,0\nNaN,0\ninf,0\n2.5,0\n").expect("parses");
        let column = table.column(0);
        assert!(matches!(column.store, Store::Numbers { .. }));
        let cells: Vec<Cell<'_>> = (0..5).map(|r| column.get(r)).collect();
        assert_eq!(
            cells,
            [
                Cell::Number(1.0),
                Cell::Text(""),
                Cell::Text("NaN"),
                Cell::Text("inf"),
                Cell::Number(2.5)
            ]
        );
    }
}
