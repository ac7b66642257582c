//! The two ways a saved run is used after training: [`predict_file`] writes predictions for raw
//! rows, [`eval_file`] scores labelled ones; both repeat the training-time preprocessing the
//! bundle keeps. `kiln train` predicts its `[predict]` rows through [`predictions_csv`] too.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use kiln_data::{
    CsvFormat, Decimal, FileRole, Header, Preprocessor, Separator, Table, TargetEncoding,
};

use crate::TrainError;
use crate::bundle::Bundle;
use crate::importance::{Importance, ImportanceOptions, permutation_importance};
use crate::metrics::{self, Metrics, score};
use crate::task::Predictions;

/// Predicts every row of `input` with `bundle` and writes the CSV to `out`: each input row
/// exactly as the file has it, then `prediction` (and `prob_<label>` per class). The rows are
/// streamed, so a large file's predictions never sit in memory as text.
pub fn predictions_csv(
    bundle: &Bundle,
    input: &Table,
    device: &Device,
    out: &mut dyn std::io::Write,
) -> Result<Predictions, TrainError> {
    let x = bundle.info.preprocessor.transform_table(input)?;
    let predictions = bundle.predict(&x, device)?;
    drop(x);
    // Written the way the rows came, so that the input cells written back stay as they were and
    // the tool the rows came from reads the predictions alike (Excel: a byte-order mark, CRLF);
    // labels that are numbers too, in the rows' decimal mark.
    let format = input.format();
    let trained = bundle.info.preprocessor.format.decimal;
    let labels: Vec<String> = bundle
        .info
        .target
        .labels()
        .iter()
        .map(|label| trained.rewritten(label, format.decimal).into_owned())
        .collect();
    if input.has_bom() {
        out.write_all("\u{feff}".as_bytes())
            .map_err(|e| TrainError::io(input.path(), e))?;
    }
    let mut writer = csv::WriterBuilder::new()
        .delimiter(format.separator.byte())
        .terminator(match input.crlf() {
            true => csv::Terminator::CRLF,
            false => csv::Terminator::Any(b'\n'),
        })
        .from_writer(out);
    let number = |v: f64| format.decimal.write(f32_text(v));
    let mut header: Vec<String> = input.names().to_vec();
    // Names the input already has (a predictions file predicted again) get a number: a CSV with
    // two columns of one name could not be read back.
    let added: Vec<String> = std::iter::once("prediction".to_string())
        .chain(labels.iter().map(|l| format!("prob_{l}")))
        .collect();
    // One suffix for all of them, so that they still read as one set.
    let suffix = (1..)
        .map(|n: usize| {
            if n == 1 {
                String::new()
            } else {
                format!("_{n}")
            }
        })
        .find(|suffix| {
            added
                .iter()
                .all(|a| !header.contains(&format!("{a}{suffix}")))
        })
        .unwrap_or_default();
    header.extend(added.iter().map(|a| format!("{a}{suffix}")));
    let csv_err = |e: csv::Error| TrainError::io(input.path(), e);
    writer.write_record(&header).map_err(csv_err)?;
    let changed = || {
        TrainError::io(
            input.path(),
            "the file changed while it was read; run again",
        )
    };
    let mut rows = 0;
    for (row, record) in input.raw_rows()?.enumerate() {
        let mut record = record?;
        if row >= input.len() {
            return Err(changed());
        }
        match &predictions {
            Predictions::Values(v) => record.push_field(number(v[row]).as_bytes()),
            Predictions::Probabilities(p) => {
                let class = metrics::predicted_class(&p[row], bundle.info.threshold);
                record.push_field(labels[class].as_bytes());
                p[row]
                    .iter()
                    .for_each(|&q| record.push_field(number(q).as_bytes()));
            }
        }
        writer.write_byte_record(&record).map_err(csv_err)?;
        rows += 1;
    }
    if rows != input.len() {
        return Err(changed());
    }
    writer
        .flush()
        .map_err(|e| TrainError::io(input.path(), e))?;
    Ok(predictions)
}

/// A prediction as text: the model computes in `f32`, so its shortest `f32` form (`12`,
/// `11.999999`), not the widened `f64`'s noise (`11.999999046325684`).
fn f32_text(v: f64) -> String {
    kiln_models::decimal(v as f32).to_string()
}

/// What `kiln predict` and `kiln eval` may change about how a saved model is applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct Applied {
    /// A binary classifier's decision threshold, instead of the run's.
    pub threshold: Option<f64>,
    /// The rows' separator, instead of the training files'.
    pub separator: Option<Separator>,
    /// The rows' decimal mark, instead of the training files'.
    pub decimal: Option<Decimal>,
}

impl Applied {
    /// The run in `run_dir`, at this threshold, and the rows of `path` it is applied to, in the
    /// training files' format but for what was given (`with_target`: for `eval`).
    fn load(
        &self,
        run_dir: &Path,
        path: &Path,
        device: &Device,
        with_target: bool,
    ) -> Result<(Bundle, Table), TrainError> {
        let bundle = Bundle::load(run_dir, device)?.at_threshold(self.threshold)?;
        let trained = bundle.info.preprocessor.format;
        let format = CsvFormat {
            separator: self.separator.unwrap_or(trained.separator),
            decimal: self.decimal.unwrap_or(trained.decimal),
        };
        let table = model_input(
            &bundle.info.preprocessor,
            &bundle.info.target,
            path,
            format,
            FileRole::ModelRows,
            with_target,
        )?;
        Ok((bundle, table))
    }
}

/// `kiln predict`: predictions for the raw rows of `input` from the run in `run_dir`, as CSV to
/// `out`; returns the warnings for the rows, if any: [`Predictions::warning`]'s, and columns
/// that look like thousands written with decimal marks.
pub fn predict_file(
    run_dir: &Path,
    input: &Path,
    device: &Device,
    applied: Applied,
    out: &mut dyn std::io::Write,
) -> Result<Option<String>, TrainError> {
    let (bundle, table) = applied.load(run_dir, input, device, false)?;
    let predictions = predictions_csv(&bundle, &table, device, out)?;
    let thousands = bundle.info.preprocessor.thousands_warnings(&table, None);
    Ok(joined(thousands, predictions.warning(&table)))
}

/// `warnings` and `last`, one a line; `None` if there are none.
fn joined(mut warnings: Vec<String>, last: Option<String>) -> Option<String> {
    warnings.extend(last);
    (!warnings.is_empty()).then(|| warnings.join("\n"))
}

/// Refuses a `kiln predict --output` that would replace what the prediction reads: the input
/// file itself, or a file of the run's model or checkpoints (the bundle would be lost).
pub fn check_predict_output(run_dir: &Path, input: &Path, output: &Path) -> Result<(), TrainError> {
    // Where `path` is, through links and `..`; a file not written yet is placed by its folder.
    let resolved = |path: &Path| -> Option<PathBuf> {
        path.canonicalize().ok().or_else(|| {
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
            let folder = folder.unwrap_or(Path::new(".")).canonicalize().ok()?;
            Some(folder.join(path.file_name()?))
        })
    };
    let Some(output_at) = resolved(output) else {
        return Ok(()); // A folder that does not exist: writing will say so.
    };
    let refuse = |what: &str| TrainError::Invalid {
        key: "--output".into(),
        reason: format!(
            "{} is {what}; write the predictions elsewhere",
            output.display()
        ),
    };
    if resolved(input).as_ref() == Some(&output_at) {
        return Err(refuse("the input file, which they would replace"));
    }
    for folder in [Bundle::folder(run_dir), run_dir.join("checkpoints")] {
        if resolved(&folder).is_some_and(|dir| output_at.starts_with(&dir)) {
            return Err(refuse(&format!(
                "inside {}, which holds the trained model as it was written",
                folder.display()
            )));
        }
    }
    // A file kiln wrote for the run (config.toml: an interrupted run resumes from it). Files of
    // the user's own in the run directory may be replaced, as anywhere.
    for written in [
        "config.toml",
        "metrics.json",
        "history.csv",
        "splits.csv",
        "report.md",
        "predictions.csv",
        "plots",
    ] {
        let at = run_dir.join(written);
        if resolved(&at).is_some_and(|at| at.exists() && output_at.starts_with(&at)) {
            return Err(refuse(&format!(
                "{}, which kiln wrote for the run",
                at.display()
            )));
        }
    }
    Ok(())
}

/// Reads the rows a model is applied to, written in `format`: only its input columns (and the
/// target, for `eval`) are parsed; the rest of the file is skipped (`predict` writes it back
/// from the file itself).
pub(crate) fn model_input(
    preprocessor: &Preprocessor,
    target: &TargetEncoding,
    path: &Path,
    format: CsvFormat,
    role: FileRole,
    with_target: bool,
) -> Result<Table, TrainError> {
    // Rows written back are read twice (checked whole first, then streamed out with their
    // predictions): a pipe or device would be empty the second time.
    let streamed = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if !with_target && streamed {
        return Err(TrainError::io(
            path,
            "not a regular file (a pipe or a device): kiln reads the rows to predict twice, to \
             check them all and then to write each back with its prediction; save them to a \
             file first",
        ));
    }
    let columns = preprocessor.columns();
    let target = target.column();
    // Rows without a header line have every column of the training files, or (to predict)
    // every one but the target.
    let header = match &preprocessor.columns {
        Some(names) => Header::Named {
            names,
            optional: (!with_target).then_some(target),
            trained: true,
        },
        None => Header::Line,
    };
    Table::read_where(path, format, header, |name| {
        columns.contains(&name) || (with_target && name == target)
    })
    .map_err(|e| e.for_file(role).into())
}

/// What `kiln eval` found: the metrics, and the warnings for the rows, if any.
pub struct Evaluation {
    /// Metric name → value.
    pub metrics: Metrics,
    /// The rows scored.
    pub rows: usize,
    /// The class labels, in the order of the confusion matrix's rows and columns (empty for a
    /// regression).
    pub labels: Vec<String>,
    /// The decision threshold the labels were decided at, when not the default.
    pub threshold: Option<f64>,
    /// Rows whose prediction is not a finite number, and columns that look like thousands
    /// written with decimal marks, a line each.
    pub warning: Option<String>,
    /// Each column's permutation importance, when asked for.
    pub importance: Option<Importance>,
}

/// `kiln eval`: metrics of the run in `run_dir` on the labelled rows of `data`.
pub fn eval_file(
    run_dir: &Path,
    data: &Path,
    device: &Device,
    applied: Applied,
    importance: Option<&ImportanceOptions>,
) -> Result<Evaluation, TrainError> {
    let (bundle, table) = applied.load(run_dir, data, device, true)?;
    let x = bundle.info.preprocessor.transform_table(&table)?;
    let y = bundle.info.target.encode_table(
        &table,
        &bundle.info.preprocessor.na_values,
        bundle.info.preprocessor.format.decimal,
    )?;
    let predictions = bundle.predict(&x, device)?;
    let importance = importance
        .map(|options| permutation_importance(&bundle, &x, &y, options, device))
        .transpose()?;
    Ok(Evaluation {
        metrics: score(bundle.info.task, &y, &predictions, bundle.info.threshold),
        rows: y.len(),
        labels: bundle.info.target.labels().to_vec(),
        threshold: bundle.info.threshold,
        warning: joined(
            bundle.info.preprocessor.thousands_warnings(
                &table,
                (bundle.info.task == kiln_models::Task::Regression)
                    .then_some(bundle.info.target.column()),
            ),
            predictions.warning(&table),
        ),
        importance,
    })
}
