//! No byte string makes the CSV reader, or the pipeline behind it, panic: every input ends in a
//! table or a `DataError`.

use std::path::Path;

use kiln_data::{DataConfig, Table, TargetKind, prepare_table};
use proptest::prelude::*;

fn config() -> DataConfig {
    toml::from_str("path = \"t.csv\"\ntarget = \"y\"\nmissing = \"impute\"\nscale = \"standard\"\nsplit = { valid = 0.2, test = 0.2 }")
        .expect("config")
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
}
