//! Text columns that are numbers in disguise. kiln reads a column as categories when most of its
//! cells are not numbers; a column of `12%`, `$1,200` or `2024-05-01`, or of numbers among an `NA`
//! that nobody listed in `data.na_values`, would then be one-hot encoded over every distinct
//! value without a word: a silent misreading of what is plainly a number column. Such a column
//! is found here, so that kiln can say what it holds and how to read it.

use std::fmt;

use crate::column::{Cell, Column};
use crate::parse::NaValues;

/// What a text column holds instead of plain numbers, with the first cell that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disguise {
    /// Numbers among one or two repeated texts, each with its count: missing-value markers
    /// (`NA`, `n/a`) kiln was not told of, most likely.
    Markers {
        /// The texts and how many cells hold each, in order of first appearance.
        texts: Vec<(String, usize)>,
        /// The first text cell's row.
        row: usize,
    },
    /// Numbers written with marks kiln does not read: `%`, a currency sign, digit-group
    /// separators or a decimal comma.
    Formatted {
        /// The first such cell's row and text.
        row: usize,
        /// The cell as written.
        text: String,
        /// The marks, as a reader would name them (``a `%` sign``).
        marks: String,
    },
    /// Dates or times.
    Dates {
        /// The first such cell's row.
        row: usize,
        /// The cell as written.
        text: String,
    },
}

impl Disguise {
    /// The row the description starts from.
    pub fn row(&self) -> usize {
        match self {
            Self::Markers { row, .. } | Self::Formatted { row, .. } | Self::Dates { row, .. } => {
                *row
            }
        }
    }
}

impl fmt::Display for Disguise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Markers { texts, .. } => {
                let listed: Vec<String> = texts
                    .iter()
                    .map(|(text, cells)| {
                        format!("`{}` ({cells} cell{})", shortened(text), plural(*cells))
                    })
                    .collect();
                let (them, mark) = if texts.len() == 1 {
                    ("it", "marks")
                } else {
                    ("them", "mark")
                };
                write!(
                    f,
                    "holds numbers and the text {}: if {} {mark} a missing value, list {them} in \
                     data.na_values",
                    listed.join(" and "),
                    if texts.len() == 1 { "it" } else { "they" },
                )
            }
            Self::Formatted { text, marks, .. } => write!(
                f,
                "holds numbers such as `{}`, written with {marks}, which kiln does not read: it \
                 reads plain numbers (1234.5, -0.12); save the column without the marks",
                shortened(text)
            ),
            Self::Dates { text, .. } => write!(
                f,
                "holds dates or times such as `{}`, and kiln has no date type: derive numbers \
                 from them (days since a start, the month, the weekday) into a column of their \
                 own, or leave the column out (data.drop)",
                shortened(text)
            ),
        }
    }
}

/// What else a column in disguise can be read as, which depends on its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// A feature: its values as categories.
    Categories,
    /// The target of a model whose task follows the target: its values as class labels.
    ClassLabels,
}

impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Categories => {
                "to read its values as categories instead, list the column in data.categorical"
            }
            Self::ClassLabels => {
                "to read every value as a class label instead, set model.task = \"multiclass\" \
                 (or \"binary\")"
            }
        })
    }
}

/// A cell's text cut to a length a message can carry.
pub(crate) fn shortened(text: &str) -> String {
    const MOST: usize = 40;
    match text.char_indices().nth(MOST) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How `column`'s non-missing cells show it to be numbers in disguise, if they do. Only a
/// column with at most two distinct texts besides its numbers, formatted numbers and dates
/// qualifies: a real categorical column (`red`, `green`, `blue`) never does.
pub(crate) fn disguise(column: &Column, na: &NaValues) -> Option<Disguise> {
    let mut numbers = 0usize;
    let mut distinct_numbers: Vec<f64> = Vec::with_capacity(2);
    let mut formatted: Option<(usize, String, String)> = None;
    let mut formatted_cells = 0usize;
    let mut dates: Option<(usize, String)> = None;
    let mut date_cells = 0usize;
    let mut texts: Vec<(String, usize)> = Vec::new();
    let mut first_text = None;
    for row in 0..column.len() {
        let cell = column.get(row);
        if na.is_missing(cell) {
            continue;
        }
        let text = match cell {
            Cell::Number(v) => {
                numbers += 1;
                if distinct_numbers.len() < 2 && !distinct_numbers.contains(&v) {
                    distinct_numbers.push(v);
                }
                continue;
            }
            Cell::Text(text) => text,
        };
        if cell.looks_numeric() {
            // `NaN`, `inf`, `1e39`: numbers, if not ones kiln computes with.
            numbers += 1;
        } else if let Some(marks) = number_marks(text) {
            formatted_cells += 1;
            formatted.get_or_insert_with(|| (row, text.to_string(), marks));
        } else if is_date_or_time(text) {
            date_cells += 1;
            dates.get_or_insert_with(|| (row, text.to_string()));
        } else {
            first_text.get_or_insert(row);
            match texts.iter().position(|(t, _)| t == text) {
                Some(i) => texts[i].1 += 1,
                None if texts.len() < 2 => texts.push((text.to_string(), 1)),
                None => return None,
            }
        }
    }
    if let Some((row, text)) = dates
        && date_cells >= numbers + formatted_cells
    {
        return Some(Disguise::Dates { row, text });
    }
    if let Some((row, text, marks)) = formatted {
        return Some(Disguise::Formatted { row, text, marks });
    }
    (distinct_numbers.len() >= 2 && !texts.is_empty()).then(|| Disguise::Markers {
        texts,
        row: first_text.unwrap_or(0),
    })
}

/// The marks that make `text` a number kiln does not read (``a `%` sign``, ``a `,` …``), or
/// `None` if it is not a number with them: a sign, a currency sign before or after, digits in
/// groups of three split by `,` `'` or a space (or any digits around one decimal comma), an
/// optional `.` fraction and an optional `%`.
pub(crate) fn number_marks(text: &str) -> Option<String> {
    let mut marks: Vec<String> = Vec::new();
    let mut rest = text.trim();
    if let Some(stripped) = rest.strip_suffix('%') {
        marks.push("a `%` sign".into());
        rest = stripped.trim_end();
    }
    rest = without_sign(rest);
    for symbol in ['$', '€', '£', '¥', '₹'] {
        let stripped = rest
            .strip_prefix(symbol)
            .map(str::trim_start)
            .or_else(|| rest.strip_suffix(symbol).map(str::trim_end));
        if let Some(stripped) = stripped {
            marks.push(format!("a `{symbol}` sign"));
            rest = without_sign(stripped);
            break;
        }
    }
    let (whole, fraction) = match rest.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (rest, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if fraction.is_some_and(|f| !digits(f)) || whole.is_empty() {
        return None;
    }
    if !digits(whole) {
        let separator = whole.chars().find(|c| !c.is_ascii_digit())?;
        let groups: Vec<&str> = whole.split(separator).collect();
        let grouped = groups[0].len() <= 3
            && digits(groups[0])
            && groups[1..].iter().all(|g| g.len() == 3 && digits(g));
        let decimal_comma = separator == ','
            && fraction.is_none()
            && groups.len() == 2
            && groups.iter().all(|g| digits(g));
        match separator {
            ',' if grouped || decimal_comma => {
                marks.push("a `,` (a thousands separator or a decimal comma)".into())
            }
            '\'' | ' ' | '\u{a0}' | '\u{202f}' if grouped => {
                marks.push("spaces or `'` between digit groups".into())
            }
            _ => return None,
        }
    }
    (!marks.is_empty()).then(|| marks.join(" and "))
}

/// `text` without a leading sign.
fn without_sign(text: &str) -> &str {
    text.strip_prefix(['-', '+', '−'])
        .unwrap_or(text)
        .trim_start()
}

/// Whether `text` is a date (`2024-05-01`, `01/05/2024`, `1.5.2024`, with or without a time
/// after it) or a time of day (`13:45`, `13:45:10`).
fn is_date_or_time(text: &str) -> bool {
    let numbers = |s: &str, separator: char, widths: &[(usize, usize)]| {
        let parts: Vec<&str> = s.split(separator).collect();
        parts.len() == widths.len()
            && parts.iter().zip(widths).all(|(p, &(least, most))| {
                (least..=most).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
            })
    };
    let time = |s: &str| {
        let s = s.split(['.', 'Z', '+']).next().unwrap_or(s);
        numbers(s, ':', &[(1, 2), (2, 2)]) || numbers(s, ':', &[(1, 2), (2, 2), (2, 2)])
    };
    let date = |s: &str| {
        numbers(s, '-', &[(4, 4), (1, 2), (1, 2)])
            || numbers(s, '/', &[(4, 4), (1, 2), (1, 2)])
            || ['/', '.', '-']
                .iter()
                .any(|&sep| numbers(s, sep, &[(1, 2), (1, 2), (2, 4)]))
    };
    let text = text.trim();
    match text.split_once(['T', ' ']) {
        Some((day, clock)) => date(day) && time(clock.trim()),
        None => date(text) || time(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Table;

    fn column_disguise(cells: &[&str], na_values: &[&str]) -> Option<Disguise> {
        let text = format!("c\n{}\n", cells.join("\n"));
        let table = Table::parse(std::path::Path::new("t.csv"), text.as_bytes()).expect("table");
        let na: Vec<String> = na_values.iter().map(|s| s.to_string()).collect();
        disguise(table.column(0), &NaValues::new(&na))
    }

    #[test]
    fn formatted_numbers_are_recognised_with_their_marks() {
        for (text, marks) in [
            ("12%", "a `%` sign"),
            ("-3.5 %", "a `%` sign"),
            ("$1200", "a `$` sign"),
            ("1200 €", "a `€` sign"),
            ("-$5", "a `$` sign"),
            ("1,234", "a `,` (a thousands separator or a decimal comma)"),
            (
                "12,345,678.9",
                "a `,` (a thousands separator or a decimal comma)",
            ),
            ("0,5", "a `,` (a thousands separator or a decimal comma)"),
            ("1 234 567", "spaces or `'` between digit groups"),
            ("1'234", "spaces or `'` between digit groups"),
        ] {
            assert_eq!(number_marks(text).as_deref(), Some(marks), "{text}");
        }
        assert_eq!(
            number_marks("$1,200.50").as_deref(),
            Some("a `$` sign and a `,` (a thousands separator or a decimal comma)")
        );
        for text in [
            "12",
            "abc",
            "1,2,3",
            "12,34,567",
            "A1",
            "$",
            "%",
            "1.2.3",
            "1,234.x",
            "a,b",
        ] {
            assert_eq!(number_marks(text), None, "{text}");
        }
    }

    #[test]
    fn dates_and_times_are_recognised() {
        for text in [
            "2024-05-01",
            "2024/5/1",
            "01/05/2024",
            "1.5.24",
            "2024-05-01T13:45:10Z",
            "2024-05-01 13:45",
            "13:45",
            "7:05:59",
        ] {
            assert!(is_date_or_time(text), "{text}");
        }
        for text in ["2024", "1-2", "12:3", "May 1", "A-12-34", "2024-05-01X"] {
            assert!(!is_date_or_time(text), "{text}");
        }
    }

    #[test]
    fn a_column_of_numbers_among_one_or_two_markers_is_found() {
        let d = column_disguise(&["NA", "120.5", "NA", "98.2", "NA", "NA"], &[]);
        assert_eq!(
            d,
            Some(Disguise::Markers {
                texts: vec![("NA".into(), 4)],
                row: 0
            })
        );
        // Listed as missing, the marker leaves a plain number column.
        assert_eq!(column_disguise(&["NA", "1", "NA", "2"], &["NA"]), None);
        let two = column_disguise(&["n/a", "1", "?", "2", "?"], &[]).expect("disguise");
        assert!(
            two.to_string().contains("`n/a` (1 cell) and `?` (2 cells)"),
            "{two}"
        );
    }

    #[test]
    fn formatted_numbers_and_dates_are_found_and_real_categories_are_not() {
        let d = column_disguise(&["12%", "15%", "NA", "7%"], &[]).expect("percent");
        assert!(
            matches!(&d, Disguise::Formatted { row: 0, text, .. } if text == "12%"),
            "{d:?}"
        );
        let d = column_disguise(&["2024-01-02", "2024-01-03", "unknown"], &[]).expect("dates");
        assert!(matches!(d, Disguise::Dates { row: 0, .. }));
        for cells in [
            &["red", "green", "blue", "1", "2"][..],
            &["yes", "no", "yes"][..],
            // One number among two words is a category of its own, not a number column.
            &["low", "high", "3", "3"][..],
        ] {
            assert_eq!(column_disguise(cells, &[]), None, "{cells:?}");
        }
    }

    #[test]
    fn long_texts_are_shortened_in_messages() {
        let long = "x".repeat(100);
        assert_eq!(shortened(&long).chars().count(), 41);
        assert_eq!(shortened("short"), "short");
    }
}
