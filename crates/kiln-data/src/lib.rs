//! `kiln-data`: from a CSV file and the `[data]` section of an experiment to training-ready
//! matrices, leak-free.
//!
//! Everything that is fitted (medians, scales, category levels, class labels) is fitted on the
//! training rows only and kept in a [`Preprocessor`] and a [`TargetEncoding`], which are saved
//! with the model so that predictions on raw rows repeat the training-time preprocessing.
//!
//! ```no_run
//! use kiln_data::{DataConfig, TargetKind, prepare};
//! let config: DataConfig = toml::from_str(r#"path = "data.csv"
//! target = "y""#).unwrap();
//! let prepared = prepare(&config, TargetKind::Numeric, 42)?;
//! println!("{} training rows, {} inputs", prepared.train.x.rows, prepared.train.x.cols);
//! # Ok::<(), kiln_data::DataError>(())
//! ```

mod column;
mod config;
mod disguise;
mod encode;
mod error;
mod format;
mod lines;
mod matrix;
mod parse;
mod prepare;
mod rng;
mod split;
mod suggest;
mod table;

pub use column::{Cell, Column, LARGEST_NUMBER, canonical_number};
pub use config::{DataConfig, MissingPolicy, Scale, SplitConfig, UnknownPolicy};
pub use disguise::{Disguise, Marks, Remedy};
pub use encode::{FeatureEncoding, OTHER, Preprocessor};
pub use error::{DataError, FileRole, MissingAdvice};
pub use format::{CsvFormat, Decimal, Separator};
pub use lines::fingerprint;
pub use matrix::Matrix;
pub use prepare::{
    CrossValidation, Fold, Prepared, Split, TargetEncoding, TargetKind, by_column,
    check_not_disguised, first_text, holds_numbers, label_advice, prepare, prepare_table,
};
pub use rng::SeededRng;
pub use split::{SplitRows, kfold_rows, split_rows};
pub use suggest::{closest, did_you_mean};
pub use table::{Header, RawRows, Table};
