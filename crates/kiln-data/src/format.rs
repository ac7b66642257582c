//! How a CSV file writes its cells: what separates them, and the decimal mark of its numbers.
//! Comma-separated with decimal points is the default; a spreadsheet set to a European locale
//! saves `;` between cells and decimal commas (`1,5`), and many exports use tabs. The one
//! [`CsvFormat`] of an experiment reads all of its files, is kept with the model, and writes
//! predictions back the way the rows came.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::column::{Cell, as_number, canonical_number};

/// What separates the cells of a line (`data.separator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Separator {
    /// `,`
    #[default]
    Comma,
    /// `;`, as spreadsheets with a decimal comma save "CSV".
    Semicolon,
    /// A tab.
    Tab,
    /// `|`
    Pipe,
    /// One space.
    Space,
}

impl Separator {
    /// Every separator, in the order messages list them.
    pub(crate) const ALL: [Self; 5] = [
        Self::Comma,
        Self::Semicolon,
        Self::Tab,
        Self::Pipe,
        Self::Space,
    ];

    /// The byte between cells.
    pub fn byte(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Semicolon => b';',
            Self::Tab => b'\t',
            Self::Pipe => b'|',
            Self::Space => b' ',
        }
    }

    /// How the value is written in the experiment file (`"\t"` for a tab).
    pub fn toml(self) -> &'static str {
        match self {
            Self::Comma => "\",\"",
            Self::Semicolon => "\";\"",
            Self::Tab => "\"\\t\"",
            Self::Pipe => "\"|\"",
            Self::Space => "\" \"",
        }
    }

    /// How the value is given to `--separator` (`';'`, `tab`).
    pub fn flag(self) -> &'static str {
        match self {
            Self::Comma => "','",
            Self::Semicolon => "';'",
            Self::Tab => "tab",
            Self::Pipe => "'|'",
            Self::Space => "' '",
        }
    }

    /// How a message names the separators of a file: `commas`, `` `;` ``, `tabs`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Comma => "commas",
            Self::Semicolon => "`;`",
            Self::Tab => "tabs",
            Self::Pipe => "`|`",
            Self::Space => "spaces",
        }
    }

    /// One of them, as a message says it: `a comma`, ``a `;` ``, `a tab`.
    pub fn one(self) -> &'static str {
        match self {
            Self::Comma => "a comma",
            Self::Semicolon => "a `;`",
            Self::Tab => "a tab",
            Self::Pipe => "a `|`",
            Self::Space => "a space",
        }
    }

    /// The separator a header that is one long name was most likely written with, besides this
    /// one: the first of `,`, `;`, tab and `|` the name holds (names may hold spaces).
    pub(crate) fn other_in(self, name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .filter(|&s| s != self && s != Self::Space)
            .find(|s| name.contains(char::from(s.byte())))
    }
}

impl TryFrom<String> for Separator {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| {
                text.as_bytes() == [s.byte()]
                    || (matches!(text.as_str(), "tab" | "\\t") && *s == Self::Tab)
            })
            .ok_or_else(|| {
                format!(
                    "expected one of \",\", \";\", \"\\t\" or \"tab\" (a tab), \"|\" or \" \" (one \
                     space), found {text:?}"
                )
            })
    }
}

impl std::str::FromStr for Separator {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::try_from(text.to_string())
    }
}

impl From<Separator> for String {
    fn from(separator: Separator) -> Self {
        char::from(separator.byte()).to_string()
    }
}

/// The decimal mark of a file's numbers (`data.decimal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Decimal {
    /// `1.5`
    #[default]
    #[serde(rename = ".")]
    Point,
    /// `1,5`: a cell with a `.` is then not a number (`1.234` is most often a thousand
    /// two hundred and thirty-four, written with a digit-group mark).
    #[serde(rename = ",")]
    Comma,
}

impl std::str::FromStr for Decimal {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "." => Ok(Self::Point),
            "," => Ok(Self::Comma),
            other => Err(format!("expected \".\" or \",\", found {other:?}")),
        }
    }
}

impl Decimal {
    /// The mark's byte.
    pub(crate) fn byte(self) -> u8 {
        match self {
            Self::Point => b'.',
            Self::Comma => b',',
        }
    }

    /// `text` (trimmed) as a number kiln can compute with, written with this mark (see
    /// [`as_number`]): the one test of what a number cell is.
    pub(crate) fn number(self, text: &str) -> Option<f64> {
        match self {
            Self::Point => as_number(text),
            Self::Comma if text.contains('.') => None,
            Self::Comma if text.contains(',') => as_number(&text.replace(',', ".")),
            Self::Comma => as_number(text),
        }
    }

    /// `text` as a number written with this mark or, for a file of decimal commas, failing
    /// that, with a point: for values a user wrote in the experiment file (`na_values`,
    /// `positive`), where `-999.0` is as natural as the file's own `-999,0`. (Not the other way:
    /// in a file of points, `1,000` in `na_values` would read as 1 and mark every 1 missing.)
    pub(crate) fn number_in_setting(self, text: &str) -> Option<f64> {
        self.number(text).or_else(|| match self {
            Self::Point => None,
            Self::Comma => Self::Point.number(text),
        })
    }

    /// `text` read as a number written with this mark, of any size (`1e39`, `inf`): tells a cell
    /// beyond kiln's range from one that is no number at all.
    pub(crate) fn unbounded(self, text: &str) -> Result<f64, std::num::ParseFloatError> {
        match self {
            Self::Point => text.parse(),
            Self::Comma => text.replace(',', ".").parse(),
        }
    }

    /// Plain numbers as kiln reads them with this mark, for messages: `(1234.5, -0.12)`.
    pub(crate) fn plain_examples(self) -> &'static str {
        match self {
            Self::Point => "(1234.5, -0.12)",
            Self::Comma => "(1234,5; -0,12)",
        }
    }

    /// The text of `cell`, a number in canonical form with this mark: how category levels and
    /// class labels are named, in the training file's mark; rows a model is applied to are
    /// named in the model's mark, whatever theirs, so that `1.5` in a file of points is the
    /// level `1,5` of a model trained on decimal commas.
    pub fn text_of(self, cell: Cell<'_>) -> Cow<'_, str> {
        match cell {
            Cell::Number(v) => Cow::Owned(self.canonical(v)),
            Cell::Text(s) => Cow::Borrowed(s),
        }
    }

    /// `text` written with `to`'s mark if it is a number written with this one (a class label
    /// of a model trained on decimal commas, written into a file of points); else as it is.
    pub fn rewritten(self, text: &str, to: Decimal) -> Cow<'_, str> {
        match self.number(text) {
            Some(v) if to != self => Cow::Owned(to.canonical(v)),
            _ => Cow::Borrowed(text),
        }
    }

    /// The one text form of `v` ([`canonical_number`]) with this mark.
    pub(crate) fn canonical(self, v: f64) -> String {
        self.write(canonical_number(v))
    }

    /// `text` with its decimal point turned into this mark: how a number kiln computed is
    /// written into a file of this format.
    pub fn write(self, text: String) -> String {
        match self {
            Self::Point => text,
            Self::Comma => text.replace('.', ","),
        }
    }
}

/// The format of an experiment's CSV files: the training rows, the validation and test files,
/// the rows to predict. `splits.csv` and `split.test_rows` files are kiln's own, always commas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvFormat {
    /// What separates cells.
    #[serde(default)]
    pub separator: Separator,
    /// The decimal mark of numbers.
    #[serde(default)]
    pub decimal: Decimal,
}

impl CsvFormat {
    /// Whether this is the default, comma-separated with decimal points (left out of saved
    /// files).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decimal_comma_reads_commas_and_refuses_points() {
        assert_eq!(Decimal::Comma.number("1,5"), Some(1.5));
        assert_eq!(Decimal::Comma.number("-0,25"), Some(-0.25));
        assert_eq!(Decimal::Comma.number("42"), Some(42.0));
        assert_eq!(Decimal::Comma.number("1,5e3"), Some(1500.0));
        for text in ["1.5", "1.234", "1.234,5", "1,2,3", "a,b", ""] {
            assert_eq!(Decimal::Comma.number(text), None, "{text}");
        }
        assert_eq!(Decimal::Point.number("1,5"), None);
        assert_eq!(Decimal::Point.number("1.5"), Some(1.5));
        assert_eq!(Decimal::Comma.write("-1.25".into()), "-1,25");
        assert_eq!(Decimal::Point.write("-1.25".into()), "-1.25");
    }

    #[test]
    fn separators_are_read_from_their_one_character_and_named_in_errors() {
        let read = |text: &str| Separator::try_from(text.to_string());
        assert_eq!(read(";"), Ok(Separator::Semicolon));
        assert_eq!(read("\t"), Ok(Separator::Tab));
        assert_eq!(read("tab"), Ok(Separator::Tab));
        assert_eq!(read("\\t"), Ok(Separator::Tab));
        assert_eq!(read(" "), Ok(Separator::Space));
        let error = read(";;").expect_err("two characters");
        assert!(
            error.contains("\"tab\" (a tab)") && error.ends_with("found \";;\""),
            "{error}"
        );
        assert_eq!(String::from(Separator::Tab), "\t");
        assert_eq!(
            Separator::Comma.other_in("a;b;c"),
            Some(Separator::Semicolon)
        );
        assert_eq!(Separator::Semicolon.other_in("a,b"), Some(Separator::Comma));
        assert_eq!(Separator::Comma.other_in("first name"), None);
    }
}
