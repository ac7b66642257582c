//! No byte string makes the CSV reader, or the pipeline behind it, panic: every input ends in a
//! table or a `DataError`.

use std::path::Path;

use std::io::Read;

use kiln_data::{
    Cell, CsvFormat, DataConfig, Decimal, Header, Separator, Table, TargetKind, prepare_table,
};
use proptest::prelude::*;

fn config() -> DataConfig {
    toml::from_str("path = \"t.csv\"\ntarget = \"y\"\nmissing = \"impute\"\nscale = \"standard\"\nsplit = { valid = 0.2, test = 0.2 }")
        .expect("config")
}

/// A source that hands out one byte per read: the streaming reader must not care.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// Everything a table says about its file, as text.
fn describe(table: &Result<Table, kiln_data::DataError>) -> String {
    match table {
        Err(e) => format!("error: {e}"),
        Ok(t) => {
            let mut out = format!("{:?}\n", t.names());
            for row in 0..t.len() {
                out.push_str(&format!("line {}:", t.line(row)));
                for c in 0..t.names().len() {
                    out.push_str(&format!(" {:?}", t.column(c).get(row)));
                }
                out.push('\n');
            }
            out
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Table::parse(Path::new("t.csv"), &bytes);
    }

    #[test]
    fn csv_shaped_text_never_panics_through_the_whole_pipeline(
        body in "(y,x,c\n)?([0-9a-z.,\"\r\n -]{0,12}\n){0,12}"
    ) {
        if let Ok(table) = Table::parse(Path::new("t.csv"), body.as_bytes()) {
            for kind in [TargetKind::Numeric, TargetKind::Classes] {
                let _ = prepare_table(&table, &config(), kind, 1);
            }
        }
    }

    #[test]
    fn reading_byte_by_byte_gives_the_same_table(
        body in "(\u{feff})?(y,x\r?\n)([0-9a-z.,\"\r\n -]{0,10}\r?\n){0,10}"
    ) {
        let whole = Table::parse(Path::new("t.csv"), body.as_bytes());
        let trickled =
            Table::from_reader(Path::new("t.csv"), Trickle(body.as_bytes()));
        prop_assert_eq!(describe(&whole), describe(&trickled));
    }

    #[test]
    fn a_decimal_reads_back_as_the_number_its_text_parses_to(
        cells in proptest::collection::vec("-?[0-9]{1,12}(\\.[0-9]{0,12})?", 1..40)
    ) {
        let text = format!("x,z\n{},0\n", cells.join(",0\n"));
        let table = Table::parse(Path::new("t.csv"), text.as_bytes()).expect("numbers parse");
        for (row, cell) in cells.iter().enumerate() {
            let expected: f64 = cell.parse().expect("a number");
            prop_assert_eq!(table.column(0).get(row), Cell::Number(expected), "{}", cell);
        }
    }

    #[test]
    fn a_european_file_reads_as_the_same_table_as_its_comma_version(
        rows in proptest::collection::vec(
            proptest::collection::vec("-?[0-9]{1,8}(\\.[0-9]{1,8})?|[a-z]{1,3}|", 3), 1..30)
    ) {
        let write = |separator: &str, mark: &str| {
            let lines: Vec<String> = rows
                .iter()
                .map(|row| row.iter().map(|c| c.replace('.', mark)).collect::<Vec<_>>().join(separator))
                .collect();
            format!("a{separator}b{separator}c\n{}\n", lines.join("\n"))
        };
        let european = CsvFormat { separator: Separator::Semicolon, decimal: Decimal::Comma };
        let plain = Table::parse(Path::new("t.csv"), write(",", ".").as_bytes());
        let other = Table::parse_as(Path::new("t.csv"), write(";", ",").as_bytes(), european);
        prop_assert_eq!(describe(&plain), describe(&other));
    }

    #[test]
    fn arbitrary_bytes_read_by_given_names_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        names in proptest::collection::vec("[a-c]{0,2}", 0..4),
        optional in proptest::option::of("[a-c]{0,2}"),
        trained in any::<bool>(),
    ) {
        let header = Header::Named { names: &names, optional: optional.as_deref(), trained };
        let _ = Table::parse_named(Path::new("t.csv"), &bytes, CsvFormat::default(), header);
    }

    #[test]
    fn a_file_without_its_header_line_reads_as_the_same_table_by_its_names(
        first in "-?[0-9]{1,4}(\\.[0-9]{1,3})?",
        rows in proptest::collection::vec(
            proptest::collection::vec("-?[0-9]{1,8}(\\.[0-9]{1,8})?|[a-z]{1,3}|", 3), 1..20)
    ) {
        let mut rows = rows;
        rows[0][0] = first;
        let body: String = rows.iter().map(|row| format!("{}\n", row.join(","))).collect();
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let headed = Table::parse(Path::new("t.csv"), format!("a,b,c\n{body}").as_bytes());
        let header = Header::Named { names: &names, optional: None, trained: false };
        let bare = Table::parse_named(Path::new("t.csv"), body.as_bytes(), CsvFormat::default(), header);
        let (headed, bare) = (headed.expect("headed"), bare.expect("without a header line"));
        prop_assert_eq!(headed.names(), bare.names());
        prop_assert_eq!(headed.len(), bare.len());
        for row in 0..headed.len() {
            prop_assert_eq!(headed.line(row), bare.line(row) + 1);
            for c in 0..3 {
                prop_assert_eq!(headed.column(c).get(row), bare.column(c).get(row));
            }
        }
    }
}
