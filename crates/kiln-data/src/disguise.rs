//! Text columns that are numbers in disguise. kiln reads a column as categories when most of its
//! cells are not numbers; a column of `12%`, `$1,200` or `2024-05-01`, or of numbers among an `NA`
//! that nobody listed in `data.na_values`, would then be one-hot encoded over every distinct
//! value without a word: a silent misreading of what is plainly a number column. Such a column
//! is found here, so that kiln can say what it holds and how to read it.

use std::fmt;

use crate::column::{Cell, Census, Column};
use crate::format::Decimal;
use crate::parse::NaValues;

/// What a text column holds instead of plain numbers, with the first cell that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disguise {
    /// Numbers among common missing-value markers (`NA`, `n/a`, `.`) and at most two other
    /// texts: markers kiln was not told of, most likely.
    Markers {
        /// The texts and how many cells hold each: common missing-value markers first, each
        /// group in order of first appearance.
        texts: Vec<(String, usize)>,
        /// Whether there are more markers than those listed.
        more: bool,
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
        marks: Marks,
        /// The units the column's numbers are written with, when more than one (`h`, `min`).
        units: Vec<&'static str>,
        /// The file's decimal mark.
        decimal: Decimal,
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
            Self::Markers { texts, more, .. } => {
                let mut listed: Vec<String> = texts
                    .iter()
                    .map(|(text, cells)| {
                        format!("`{}` ({cells} cell{})", shortened(text), plural(*cells))
                    })
                    .collect();
                if *more {
                    listed.push("others".into());
                }
                let last = listed.pop().unwrap_or_default();
                let listed = match listed.is_empty() {
                    true => last,
                    false => format!("{} and {last}", listed.join(", ")),
                };
                let one = texts.len() == 1 && !more;
                write!(
                    f,
                    "holds numbers and the text {listed}: if {} {} a missing value, list {} in \
                     data.na_values",
                    if one { "it" } else { "they" },
                    if one { "marks" } else { "mark" },
                    if one { "it" } else { "them" },
                )
            }
            Self::Formatted {
                text,
                marks,
                units,
                decimal,
                ..
            } => write!(
                f,
                "holds numbers such as `{}`, written with {marks}, which kiln does not read: it \
                 reads plain numbers {}; {}save the column without the marks{}",
                shortened(text),
                decimal.plain_examples(),
                match units.as_slice() {
                    [] | [_] => String::new(),
                    several => format!(
                        "its numbers come in different units ({}): convert them to one, then ",
                        several
                            .iter()
                            .map(|u| format!("`{u}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                // A decimal comma alone is a format kiln reads when told.
                match marks.decimal_comma && !marks.groups {
                    true =>
                        ", or, if every number in the file has a decimal comma, set \
                             data.decimal = \",\"",
                    false => "",
                }
            ),
            Self::Dates { text, .. } => write!(
                f,
                "holds dates or times such as `{}` (or codes written like them), and kiln has no \
                 date type: derive numbers from dates (days since a start, the month, the \
                 weekday) into a column of their own, or leave the column out (data.drop)",
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

/// Texts that commonly mark a missing value (compared ignoring case): however many of them a
/// column holds beside its numbers, they do not make it a categorical one.
const MISSING_MARKERS: [&str; 17] = [
    "na",
    "n/a",
    "n.a.",
    "nan",
    "null",
    "none",
    "nil",
    "missing",
    "unknown",
    "?",
    "-",
    "--",
    ".",
    "#n/a",
    "#na",
    "not available",
    "not applicable",
];

/// Whether `text` is one of the [`MISSING_MARKERS`].
pub(crate) fn is_missing_marker(text: &str) -> bool {
    MISSING_MARKERS.iter().any(|m| m.eq_ignore_ascii_case(text))
}

/// Distinct texts with their counts, the first few kept.
#[derive(Default)]
struct Tally {
    texts: Vec<(String, usize)>,
    cells: usize,
    /// Distinct texts beyond those kept.
    more: bool,
}

impl Tally {
    const KEPT: usize = 4;

    /// Adds a distinct text held by `rows` cells.
    fn add(&mut self, text: &str, rows: usize) {
        self.cells += rows;
        match self.texts.len() < Self::KEPT {
            true => self.texts.push((text.to_string(), rows)),
            false => self.more = true,
        }
    }

    fn distinct_at_most(&self, n: usize) -> bool {
        !self.more && self.texts.len() <= n
    }
}

/// How `column`'s non-missing cells show it to be numbers in disguise, if they do: numbers
/// among common missing-value markers and at most two other distinct texts, which they
/// outnumber; formatted numbers that, with the plain ones, outnumber the other texts; or dates
/// that do. Common missing markers never count against a column; a real categorical column
/// (`red`, `green`, `blue`; `yes`, `no` with a stray `1`) never qualifies.
pub(crate) fn disguise(column: &Column, na: &NaValues) -> Option<Disguise> {
    let mut numbers = 0usize;
    let mut distinct_numbers = 0usize;
    let mut formatted: Option<(usize, String, Marks)> = None;
    let mut formatted_cells = 0usize;
    let mut units: Vec<&'static str> = Vec::new();
    // Distinct formatted texts, and those whose one mark is a scale letter (`45k`, `4K`).
    let (mut formatted_texts, mut scale_letters) = (0usize, 0usize);
    let mut dates: Option<(usize, String)> = None;
    let mut date_cells = 0usize;
    let (mut markers, mut others) = (Tally::default(), Tally::default());
    let mut first_text: Option<usize> = None;
    // A list of numbers (`1,2,4`): the column holds answers to a multiple-choice question, a
    // categorical column, and `1,3` is one answer rather than a decimal comma.
    let mut answer_lists = false;
    // Distinct values, not rows: each text is looked at once.
    for Census { cell, rows, first } in column.census(&|cell| na.is_missing(cell)) {
        let text = match cell {
            Cell::Number(_) => {
                numbers += rows;
                distinct_numbers += 1;
                continue;
            }
            Cell::Text(text) => text,
        };
        if cell.looks_numeric() {
            // `NaN`, `inf`, `1e39`: numbers, if not ones kiln computes with.
            numbers += rows;
            distinct_numbers += 1;
        } else if let Some(marks) = number_marks(text, column.decimal()) {
            formatted_cells += rows;
            formatted_texts += 1;
            if let Some((_, unit)) = without_unit(text.trim()) {
                scale_letters +=
                    usize::from(matches!(unit, "k" | "K" | "M") && marks.only_unit(unit));
                let unit = singular(unit);
                if !units.contains(&unit) {
                    units.push(unit);
                }
            }
            if formatted.as_ref().is_none_or(|(row, ..)| first < *row) {
                formatted = Some((first, text.to_string(), marks));
            }
        } else if is_date_or_time(text) {
            date_cells += rows;
            if dates.as_ref().is_none_or(|(row, _)| first < *row) {
                dates = Some((first, text.to_string()));
            }
        } else {
            first_text = Some(first_text.map_or(first, |row| row.min(first)));
            answer_lists |= text.split(',').count() > 1
                && text
                    .split(',')
                    .all(|part| part.trim().parse::<f64>().is_ok());
            if is_missing_marker(text) {
                markers.add(text, rows);
            } else {
                others.add(text, rows);
            }
        }
    }
    if answer_lists {
        return None;
    }
    // Each kind must outnumber the column's other texts: a `yes`/`no` column with a stray `1`,
    // `10%` or date in it is a categorical column with a typo, not numbers in disguise.
    if let Some((row, text)) = dates
        && date_cells > others.cells
        && date_cells >= numbers + formatted_cells
    {
        return Some(Disguise::Dates { row, text });
    }
    // A few values such as `4K`, `8K` or `12M`, `24M` are codes (screens, plans), not
    // thousands or millions, which take many values.
    let codes = scale_letters == formatted_texts && formatted_texts < 10;
    if let Some((row, text, marks)) = formatted
        && numbers + formatted_cells > others.cells
        && !codes
    {
        return Some(Disguise::Formatted {
            row,
            text,
            marks,
            units,
            decimal: column.decimal(),
        });
    }
    let listable = others.distinct_at_most(2) && numbers > others.cells;
    let mut texts = markers.texts;
    texts.extend(others.texts);
    (listable && distinct_numbers >= 2 && !texts.is_empty()).then(|| Disguise::Markers {
        more: markers.more,
        texts,
        row: first_text.unwrap_or(0),
    })
}

/// The marks that make `text` a number kiln does not read (``a `%` sign``, ``a `,` …``), or
/// `None` if it is not a number with them: accounting parentheses, a sign (the Unicode minus
/// among them), a currency sign or code before or after, digits in groups (`1,234`,
/// `1.234.567`, `12,34,567`, `1 234`, `1'234`) or around a decimal comma (`0,5`, `1.234,5`),
/// and a `%`. In a file of decimal commas (`decimal`), a decimal comma is no mark.
pub(crate) fn number_marks(text: &str, decimal: Decimal) -> Option<Marks> {
    let mut marks = Marks::default();
    let mut rest = text.trim();
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        marks
            .names
            .push("parentheses (an accounting negative)".into());
        rest = inner.trim();
    }
    if let Some(stripped) = rest.strip_suffix('%') {
        marks.names.push("a `%` sign".into());
        rest = stripped.trim_end();
    }
    if let Some((stripped, unit)) = without_unit(rest) {
        marks.names.push(format!("a unit (`{unit}`)"));
        marks.unit = Some(unit);
        rest = stripped;
    }
    rest = without_sign(rest, &mut marks.names);
    if let Some((stripped, mark)) = without_currency(rest) {
        marks.names.push(mark);
        rest = without_sign(stripped, &mut marks.names);
    }
    digit_marks(rest, decimal, &mut marks)?;
    (!marks.names.is_empty()).then_some(marks)
}

/// The marks of a number kiln does not read, named as a reader would name them; shown joined by
/// "and" (``a `$` currency sign and `,` between digit groups``).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    names: Vec<String>,
    /// A unit after the number (`kg`).
    pub unit: Option<&'static str>,
    /// A comma that is, or may be, a decimal comma (`0,5`, or `1,234`), in a file of points.
    pub decimal_comma: bool,
    /// Marks between digit groups (`1,234,567`, `1.234,5`).
    pub groups: bool,
}

impl Marks {
    /// Whether the one mark is the unit `unit`.
    pub(crate) fn only_unit(&self, unit: &str) -> bool {
        self.names.len() == 1 && self.unit == Some(unit)
    }
}

impl fmt::Display for Marks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names.join(" and "))
    }
}

/// Units of measurement and of scale that follow a number (`70 kg`, `120mmHg`, `45k`), written
/// as they commonly are. Letters that double as codes (`3B`, `12A`, `11 W`, `1990s`, `5G`) are
/// left out: a column of them may well be categories.
#[rustfmt::skip]
const UNITS: &[&str] = &[
    // mass, length, volume
    "kg", "g", "mg", "mcg", "µg", "μg", "lb", "lbs", "oz", "km", "m", "cm", "mm", "ft", "in", "mi",
    "L", "l", "ml", "mL", "dl", "dL",
    // time
    "sec", "secs", "min", "mins", "h", "hr", "hrs", "hour", "hours", "day", "days", "wk", "wks",
    "week", "weeks", "mo", "month", "months", "yr", "yrs", "year", "years",
    // medicine
    "mmHg", "bpm", "mg/dL", "mg/dl", "mmol/L", "mmol/l", "g/dL", "g/dl", "IU", "U/L", "kcal",
    "°C", "°F", "ºC", "ºF",
    // engineering
    "kW", "kWh", "MW", "MWh", "Hz", "kHz", "rpm", "Nm", "bar", "psi", "Pa", "kPa", "MPa",
    // data, and thousands, millions, billions
    "KB", "kB", "MB", "GB", "TB", "k", "K", "M", "bn",
];

/// One name for a unit and its plural (`year` for `years`), for telling units apart.
fn singular(unit: &'static str) -> &'static str {
    match unit.strip_suffix('s') {
        Some(one) if unit.len() > 2 && UNITS.contains(&one) => {
            UNITS.iter().find(|u| **u == one).copied().unwrap_or(unit)
        }
        _ => unit,
    }
}

/// `text` without a unit after its number (a digit before it, a space between allowed), and the
/// unit; the longest that fits, so that `mg/dL` is not taken for `L`.
fn without_unit(text: &str) -> Option<(&str, &'static str)> {
    UNITS
        .iter()
        .filter_map(|&unit| {
            let number = text.strip_suffix(unit)?;
            let number = number.strip_suffix(' ').unwrap_or(number);
            number
                .ends_with(|c: char| c.is_ascii_digit())
                .then_some((number, unit))
        })
        .max_by_key(|(_, unit)| unit.len())
}

/// `text` without a leading sign; the Unicode minus (`−`), which only looks like `-`, is a mark.
fn without_sign<'a>(text: &'a str, marks: &mut Vec<String>) -> &'a str {
    if let Some(rest) = text.strip_prefix('−') {
        marks.push("a `−` (the Unicode minus; kiln reads `-`)".into());
        return rest.trim_start();
    }
    text.strip_prefix(['-', '+']).unwrap_or(text).trim_start()
}

/// `text` without a currency sign or ISO code before or after it, and the mark that names it.
fn without_currency(text: &str) -> Option<(&str, String)> {
    const SIGNS: [&str; 6] = ["R$", "$", "€", "£", "¥", "₹"];
    const CODES: [&str; 13] = [
        "USD", "EUR", "GBP", "CHF", "JPY", "CNY", "INR", "AUD", "CAD", "SEK", "NOK", "DKK", "BRL",
    ];
    SIGNS.iter().chain(&CODES).find_map(|mark| {
        let stripped = text
            .strip_prefix(mark)
            .map(str::trim_start)
            .or_else(|| text.strip_suffix(mark).map(str::trim_end))?;
        let kind = if mark.len() == 3 && mark.bytes().all(|b| b.is_ascii_uppercase()) {
            "code"
        } else {
            "sign"
        };
        Some((stripped, format!("a `{mark}` currency {kind}")))
    })
}

/// For unsigned digits: `Some(())`, with `marks` naming the separators for digits in groups or
/// around a decimal comma (none for a plain number, `1234.5`; a decimal comma is no mark in a
/// file of them, `decimal`); `None` for anything else.
fn digit_marks(text: &str, decimal: Decimal, marks: &mut Marks) -> Option<()> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match text.split_once('.') {
        Some((whole, fraction)) if digits(whole) && digits(fraction) => return Some(()),
        None if digits(text) => return Some(()),
        _ => {}
    }
    // The group separator is the first non-digit; a different last one is the decimal mark.
    let separator = text.chars().find(|c| !c.is_ascii_digit())?;
    let (whole, fraction) = match text.rfind(|c: char| !c.is_ascii_digit() && c != separator) {
        Some(i) => {
            let mark = text[i..].chars().next()?;
            if !matches!(mark, '.' | ',') {
                return None;
            }
            (&text[..i], Some((mark, &text[i + mark.len_utf8()..])))
        }
        None => (text, None),
    };
    if fraction.is_some_and(|(_, f)| !digits(f)) {
        return None;
    }
    let groups: Vec<&str> = whole.split(separator).collect();
    if !groups.iter().all(|g| digits(g)) {
        return None;
    }
    let (first, last) = (groups[0].len(), groups[groups.len() - 1].len());
    let western = first <= 3 && groups[1..].iter().all(|g| g.len() == 3);
    // 12,34,567: the Indian grouping, in twos above the thousands.
    let indian = groups.len() >= 3
        && first <= 2
        && last == 3
        && groups[1..groups.len() - 1].iter().all(|g| g.len() == 2);
    let decimal_comma = separator == ',' && fraction.is_none() && groups.len() == 2;
    // In a file of decimal commas, one is no mark.
    let comma = |marks: &mut Marks| {
        if decimal == Decimal::Point {
            marks.decimal_comma = true;
            marks.names.push("a decimal comma".to_string());
        }
    };
    match separator {
        // `1,234` reads either way; `1,234,567` and `0,5` only one.
        ',' if decimal_comma && western => {
            marks.decimal_comma = true;
            marks
                .names
                .push("a `,` (a thousands separator or a decimal comma)".to_string())
        }
        ',' if decimal_comma => comma(marks),
        ',' | '.' if western || indian => {
            marks.groups = true;
            marks
                .names
                .push(format!("`{separator}` between digit groups"))
        }
        '\'' | '’' | ' ' | '\u{a0}' | '\u{202f}' if western || indian => {
            marks.groups = true;
            marks
                .names
                .push("spaces or `'` between digit groups".to_string())
        }
        _ => return None,
    }
    if let Some((',', _)) = fraction {
        comma(marks);
    }
    Some(())
}

/// Whether `text` is a plausible date (`2024-05-01`, `01/05/2024`, `1.5.2024`, with or without
/// a time after it) or time of day (`13:45`, `13:45:10`): months up to 12, days up to 31,
/// hours up to 23, minutes and seconds up to 59.
fn is_date_or_time(text: &str) -> bool {
    let parts = |s: &str, separator: char, widths: &[(usize, usize)]| -> Option<Vec<u32>> {
        let parts: Vec<&str> = s.split(separator).collect();
        let fits = parts.len() == widths.len()
            && parts.iter().zip(widths).all(|(p, &(least, most))| {
                (least..=most).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
            });
        fits.then(|| parts.iter().filter_map(|p| p.parse().ok()).collect())
    };
    let time = |s: &str| {
        let s = s.split(['.', 'Z', '+']).next().unwrap_or(s);
        let clock =
            parts(s, ':', &[(1, 2), (2, 2)]).or_else(|| parts(s, ':', &[(1, 2), (2, 2), (2, 2)]));
        clock.is_some_and(|c| c[0] <= 23 && c[1..].iter().all(|&v| v <= 59))
    };
    let day_month = |day: u32, month: u32| (1..=31).contains(&day) && (1..=12).contains(&month);
    let date = |s: &str| {
        let year_first = parts(s, '-', &[(4, 4), (1, 2), (1, 2)])
            .or_else(|| parts(s, '/', &[(4, 4), (1, 2), (1, 2)]));
        if let Some(d) = year_first {
            return day_month(d[2], d[1]);
        }
        // A year of two or four digits: `14.2.100` is a code.
        let year = s.rsplit(['/', '.', '-']).next().map_or(0, str::len);
        (year == 2 || year == 4)
            && ['/', '.', '-'].iter().any(|&separator| {
                parts(s, separator, &[(1, 2), (1, 2), (2, 4)])
                    .is_some_and(|d| day_month(d[0], d[1]) || day_month(d[1], d[0]))
            })
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

    /// The marks of `text` in a file of decimal points, as a message names them.
    fn marks(text: &str) -> Option<String> {
        number_marks(text, Decimal::Point).map(|m| m.to_string())
    }

    fn column_disguise(cells: &[&str], na_values: &[&str]) -> Option<Disguise> {
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{c}\"")).collect();
        let text = format!("c\n{}\n", quoted.join("\n"));
        let table = Table::parse(std::path::Path::new("t.csv"), text.as_bytes()).expect("table");
        let na: Vec<String> = na_values.iter().map(|s| s.to_string()).collect();
        disguise(table.column(0), &NaValues::new(&na, table.format().decimal))
    }

    #[test]
    fn formatted_numbers_are_recognised_with_their_marks() {
        let comma = "a `,` (a thousands separator or a decimal comma)";
        for (text, named) in [
            ("12%", "a `%` sign"),
            ("-3.5 %", "a `%` sign"),
            ("$1200", "a `$` currency sign"),
            ("1200 €", "a `€` currency sign"),
            ("-$5", "a `$` currency sign"),
            ("R$ 12", "a `R$` currency sign"),
            ("USD 12", "a `USD` currency code"),
            ("12 CHF", "a `CHF` currency code"),
            ("1,234", comma),
            ("12,345,678.9", "`,` between digit groups"),
            ("1.234.567", "`.` between digit groups"),
            ("1.234,5", "`.` between digit groups and a decimal comma"),
            ("12,34,567", "`,` between digit groups"),
            ("0,5", "a decimal comma"),
            ("1 234 567", "spaces or `'` between digit groups"),
            ("1'234", "spaces or `'` between digit groups"),
            ("1’234", "spaces or `'` between digit groups"),
            ("−1.5", "a `−` (the Unicode minus; kiln reads `-`)"),
            ("(12)", "parentheses (an accounting negative)"),
        ] {
            assert_eq!(marks(text).as_deref(), Some(named), "{text}");
        }
        assert_eq!(
            marks("$1,200.50").as_deref(),
            Some("a `$` currency sign and `,` between digit groups")
        );
        for (text, unit) in [
            ("70 kg", "kg"),
            ("70kg", "kg"),
            ("-1.5 mg", "mg"),
            ("120 mmHg", "mmHg"),
            ("5.2 mmol/L", "mmol/L"),
            ("98 mg/dL", "mg/dL"),
            ("3 years", "years"),
            ("45k", "k"),
            ("3.5M", "M"),
            ("37.5 °C", "°C"),
        ] {
            assert_eq!(marks(text), Some(format!("a unit (`{unit}`)")), "{text}");
        }
        assert_eq!(
            marks("1,200,000 kg").as_deref(),
            Some("a unit (`kg`) and `,` between digit groups")
        );
        for text in [
            "12", "abc", "1,2,3", "12,34,5", "A1", "$", "%", "1.2.3", "1,234.x", "a,b", "1,2,4",
            "(a)", "USD", "11 W", "3B", "12A", "1990s", "5G", "kg", "mg/dL", "a kg", "1.2.3 kg",
        ] {
            assert_eq!(marks(text), None, "{text}");
        }
    }

    #[test]
    fn dates_and_times_are_recognised_when_plausible() {
        for text in [
            "2024-05-01",
            "2024/5/1",
            "01/05/2024",
            "12/31/2024",
            "1.5.24",
            "2024-05-01T13:45:10Z",
            "2024-05-01 13:45",
            "13:45",
            "7:05:59",
        ] {
            assert!(is_date_or_time(text), "{text}");
        }
        for text in [
            "2024",
            "1-2",
            "12:3",
            "May 1",
            "A-12-34",
            "2024-05-01X",
            "9999-99-99",
            "2024-13-45",
            "24:60",
            "99:99:99",
            "14.20.100",
            "32/13/2024",
        ] {
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
                more: false,
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
        // Common missing markers, however many kinds, do not hide numbers or formatted ones.
        let cells = ["NA", "N/A", ".", "na", "3.5", "NA", "N/A", ".", "4.5", "NA"];
        let d = column_disguise(&cells, &[]).expect("markers");
        assert!(
            d.to_string()
                .contains("`NA` (3 cells), `N/A` (2 cells), `.` (2 cells) and `na` (1 cell)"),
            "{d}"
        );
        let d = column_disguise(&["36.6%", "NA", "N/A", ".", "4.9%"], &[]).expect("percent");
        assert!(matches!(d, Disguise::Formatted { row: 0, .. }), "{d:?}");
        // Formatted numbers as most of the cells, beside several words.
        let cells = ["1%", "2%", "3%", "4%", "low", "high", "mid"];
        assert!(matches!(
            column_disguise(&cells, &[]),
            Some(Disguise::Formatted { .. })
        ));
        // A missing `-999` is left out wherever it stands among the numbers (it used to stand
        // for all the numbers after the first two when it came third).
        let tail = ["$1", "a", "b", "c", "a", "b", "c"];
        let first = [&["1", "2", "-999", "3", "4", "5", "6"][..], &tail].concat();
        let later = [&["1", "2", "3", "-999", "4", "5", "6"][..], &tail].concat();
        let (first, later) = (
            column_disguise(&first, &["-999"]),
            column_disguise(&later, &["-999"]),
        );
        assert!(
            matches!(first, Some(Disguise::Formatted { .. })),
            "{first:?}"
        );
        assert!(
            matches!(later, Some(Disguise::Formatted { .. })),
            "{later:?}"
        );
        // Numbers with a unit: a measurement, however few its values.
        let d = column_disguise(&["70 kg", "82 kg", "NA", "64.5 kg"], &[]).expect("units");
        assert!(
            d.to_string()
                .contains("such as `70 kg`, written with a unit (`kg`), which kiln does not read"),
            "{d}"
        );
        let d = column_disguise(&["12 months", "24 months", "12 months"], &[]).expect("units");
        assert!(matches!(d, Disguise::Formatted { row: 0, .. }), "{d:?}");
        let d = column_disguise(&["2 h", "30 min", "1.5 h", "45 min"], &[]).expect("units");
        assert!(
            d.to_string()
                .contains("different units (`h`, `min`): convert them to one, then save"),
            "{d}"
        );
        // A few scale letters are codes (screens, plans); a column of many is money.
        assert_eq!(column_disguise(&["4K", "8K", "4K", "8K", "HD"], &[]), None);
        assert_eq!(column_disguise(&["12M", "24M", "6M"], &[]), None);
        let salaries: Vec<String> = (40..52).map(|k| format!("{k}k")).collect();
        let salaries: Vec<&str> = salaries.iter().map(String::as_str).collect();
        assert!(column_disguise(&salaries, &[]).is_some());
        // A unit and its plural are one unit.
        let d = column_disguise(&["1 year", "2 years", "3 years"], &[]).expect("units");
        assert!(!d.to_string().contains("different units"), "{d}");
        // Codes of a number and a letter are categories.
        assert_eq!(column_disguise(&["3B", "12A", "3B", "7C"], &[]), None);
        assert_eq!(column_disguise(&["1980s", "1990s", "2000s"], &[]), None);
        // Answers to a multiple-choice question: `1,3` is a list, as `1,2,4` shows.
        assert_eq!(column_disguise(&["1,3", "2", "1,2,4", "2,4"], &[]), None);
        for cells in [
            &["red", "green", "blue", "1", "2"][..],
            &["yes", "no", "yes"][..],
            // A two-level column with stray numbers, a `%` or a date: typos, not disguise.
            &["yes", "no", "yes", "no", "0", "1"][..],
            &["yes", "no", "yes", "10%"][..],
            &["yes", "no", "no", "2024-01-05"][..],
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
