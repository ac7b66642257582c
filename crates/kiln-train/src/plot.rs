//! PNG plots of a run: the loss per epoch; for a regression the predictions against the true
//! values (and, on one feature, the data, the fitted line and the predicted points); for a
//! binary classifier the ROC curve. Text is drawn with an embedded DejaVu Sans, so the axis labels
//! are readable on machines without any fonts installed.

use std::path::Path;
use std::sync::Once;

use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::{EpochRecord, TrainError, files};

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const SIZE: (u32, u32) = (900, 560);

fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The font is compiled in and known to be valid.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

fn plot_error(path: &Path) -> impl Fn(String) -> TrainError + '_ {
    move |reason| TrainError::Files {
        path: path.to_path_buf(),
        reason: format!("cannot draw the plot: {reason}"),
    }
}

/// An axis label: plain to at most three decimals in the common range, else four significant digits in
/// scientific notation (so that ticks close together still read apart).
fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        "0".into()
    } else if (1e-2..1e4).contains(&v.abs()) {
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.3e}")
    }
}

/// A label on a log axis, whose ticks are mostly powers of ten: those in 0.01..1e4 plainly, the
/// rest as `1e-3` (not `1.000e-3` beside `0.1`), with at most three significant digits.
fn log_tick(v: &f64) -> String {
    let v: f64 = format!("{v:.2e}").parse().unwrap_or(*v);
    if (1e-2..1e4).contains(&v.abs()) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// Room around `lo..hi` on an axis: a share of the range, and at least a thousandth of the
/// values' size (a flat curve is drawn flat, not its rounding noise stretched to fill the plot).
fn padding(lo: f64, hi: f64, share: f64) -> f64 {
    ((hi - lo) * share)
        .max(lo.abs().max(hi.abs()) * 1e-3)
        .max(1e-12)
}

/// A picture being drawn.
type Canvas<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws a picture in memory with `draw` and writes it to `path` as PNG, like every other file
/// of a run: atomically, and with a full disk reported as such (plotters' own file output
/// reports it as a drawing error).
fn render(
    path: &Path,
    draw: impl FnOnce(&Canvas<'_>) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    ensure_font();
    let err = plot_error(path);
    let (width, height) = SIZE;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let canvas = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        canvas.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        draw(&canvas)?;
        canvas.present().map_err(|e| err(e.to_string()))?;
    }
    files::write_atomic_with(path, &mut |out| {
        image::codecs::png::PngEncoder::new(out)
            .write_image(&pixels, width, height, image::ColorType::Rgb8)
            .map_err(|e| err(e.to_string()))
    })
}

/// Training (and validation) loss per epoch, on a log scale when the loss spans a wide range;
/// with `kept`, a vertical line at the epoch whose weights early stopping kept.
pub fn loss_curve(
    path: &Path,
    history: &[EpochRecord],
    kept: Option<usize>,
) -> Result<(), TrainError> {
    let err = plot_error(path);
    let train: Vec<(f64, f64)> = history
        .iter()
        .map(|r| (r.epoch as f64, r.train_loss))
        .collect();
    let valid: Vec<(f64, f64)> = history
        .iter()
        .filter_map(|r| r.valid_loss.map(|v| (r.epoch as f64, v)))
        .collect();
    let all = train
        .iter()
        .chain(&valid)
        .map(|p| p.1)
        .filter(|v| v.is_finite());
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let epochs = history.len().max(2) as f64;
    render(path, |root| {
        let mut builder = ChartBuilder::on(root);
        builder
            .caption("Loss per epoch", ("sans-serif", 26))
            .margin(20)
            .margin_right(40)
            .x_label_area_size(55)
            .y_label_area_size(90);
        let positive = lo > 0.0;
        macro_rules! draw {
            ($chart:expr, $y0:expr, $y1:expr, $ticks:expr) => {{
                let mut chart = $chart.map_err(|e| err(e.to_string()))?;
                chart
                    .configure_mesh()
                    .x_desc("epoch")
                    .y_desc("loss")
                    .axis_desc_style(("sans-serif", 20))
                    .label_style(("sans-serif", 16))
                    // Whole epochs only: a short run's ticks fall between them.
                    .x_labels((epochs as usize).min(10))
                    .x_label_formatter(&|v| {
                        if (v - v.round()).abs() < 1e-9 {
                            format!("{v:.0}")
                        } else {
                            String::new()
                        }
                    })
                    .y_label_formatter(&$ticks)
                    .draw()
                    .map_err(|e| err(e.to_string()))?;
                // One epoch is a point, which a line does not show.
                if train.len() == 1 {
                    chart
                        .draw_series(train.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))
                        .map_err(|e| err(e.to_string()))?;
                }
                chart
                    .draw_series(LineSeries::new(train, BLUE.stroke_width(2)))
                    .map_err(|e| err(e.to_string()))?
                    .label("train")
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2))
                    });
                // The losses first in the legend, then the marker.
                if !valid.is_empty() {
                    chart
                        .draw_series(LineSeries::new(valid, RED.stroke_width(2)))
                        .map_err(|e| err(e.to_string()))?
                        .label("valid")
                        .legend(|(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2))
                        });
                }
                if let Some(epoch) = kept {
                    let x = epoch as f64;
                    chart
                        .draw_series(LineSeries::new(
                            [(x, $y0), (x, $y1)],
                            GREEN.mix(0.8).stroke_width(2),
                        ))
                        .map_err(|e| err(e.to_string()))?
                        .label(format!("weights kept (epoch {epoch})"))
                        .legend(|(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2))
                        });
                }
                chart
                    .configure_series_labels()
                    // A loss falls: the upper right is where the curve is not.
                    .position(SeriesLabelPosition::UpperRight)
                    .label_font(("sans-serif", 16))
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()
                    .map_err(|e| err(e.to_string()))?;
            }};
        }
        if positive && hi / lo > 100.0 {
            let (y0, y1) = (lo * 0.8, hi * 1.25);
            draw!(
                builder.build_cartesian_2d(1.0..epochs, (y0..y1).log_scale()),
                y0,
                y1,
                log_tick
            );
        } else {
            let pad = padding(lo, hi, 0.05);
            let (y0, y1) = (lo - pad, hi + pad);
            draw!(
                builder.build_cartesian_2d(1.0..epochs, y0..y1),
                y0,
                y1,
                tick
            );
        }
        Ok(())
    })
}

/// A chart of two numeric axes, its mesh drawn: the frame every scatter plot shares.
type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The (x, y) bounds of `points` with a share of padding, for a chart's ranges.
fn bounds<'p>(points: impl Iterator<Item = &'p (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let (x0, x1, y0, y1) = points.fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    );
    if !x0.is_finite() || !y0.is_finite() {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let (px, py) = (padding(x0, x1, 0.08), padding(y0, y1, 0.08));
    ((x0 - px, x1 + px), (y0 - py, y1 + py))
}

fn chart<'a, 'b>(
    root: &'a Canvas<'b>,
    path: &Path,
    caption: &str,
    (x_desc, y_desc): (&str, &str),
    ((x0, x1), (y0, y1)): ((f64, f64), (f64, f64)),
) -> Result<Chart<'a, 'b>, TrainError> {
    let err = plot_error(path);
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 26))
        .margin(20)
        .margin_right(40)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 16))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    Ok(chart)
}

/// Draws the chart's legend where the data is not.
fn legend<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    path: &Path,
    at: SeriesLabelPosition,
) -> Result<(), TrainError> {
    chart
        .configure_series_labels()
        .position(at)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_error(path)(e.to_string()))
}

/// The points that are drawable: a coordinate that is not finite (a prediction that overflowed
/// f32) is left out, as the axes could not hold it (and plotters loops forever laying out an
/// infinite range).
fn finite(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// At most `most` of `points`, evenly spread over them: a scatter of a million rows is a solid
/// blot that takes seconds to draw, and a few thousand show its shape as well.
fn thinned(points: Vec<(f64, f64)>, most: usize) -> Vec<(f64, f64)> {
    if points.len() <= most {
        return points;
    }
    let step = points.len().div_ceil(most);
    points.into_iter().step_by(step).collect()
}

/// What the fit plot shows.
pub struct FitPlot<'a> {
    /// Feature name (x axis).
    pub feature: &'a str,
    /// Target name (y axis).
    pub target: &'a str,
    /// Training points.
    pub data: Vec<(f64, f64)>,
    /// Points along the fitted line.
    pub line: Vec<(f64, f64)>,
    /// Predicted points.
    pub predicted: Vec<(f64, f64)>,
}

/// Data points, the fitted line, and the predicted points, for one-feature regression.
pub fn fit_line(path: &Path, plot: &FitPlot<'_>) -> Result<(), TrainError> {
    let err = plot_error(path);
    let (data, line, predicted) = (
        thinned(finite(&plot.data), 5000),
        finite(&plot.line),
        finite(&plot.predicted),
    );
    let ranges = bounds(data.iter().chain(&line).chain(&predicted));
    render(path, |root| {
        let caption = format!("{} against {}", plot.target, plot.feature);
        let mut chart = chart(root, path, &caption, (plot.feature, plot.target), ranges)?;
        chart
            .draw_series(LineSeries::new(line, BLUE.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label("fitted line")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        chart
            .draw_series(data.iter().map(|&p| Circle::new(p, 6, BLACK.filled())))
            .map_err(|e| err(e.to_string()))?
            .label("training data")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.filled()));
        chart
            .draw_series(
                predicted
                    .iter()
                    .map(|&p| TriangleMarker::new(p, 9, RED.filled())),
            )
            .map_err(|e| err(e.to_string()))?
            .label("predicted")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 7, RED.filled()));
        legend(&mut chart, path, SeriesLabelPosition::UpperLeft)
    })
}

/// A regression's predictions against the true values of one split's rows, with the diagonal
/// where they would be equal.
pub fn predicted_vs_actual(
    path: &Path,
    split: &str,
    target: &str,
    points: &[(f64, f64)],
) -> Result<(), TrainError> {
    let err = plot_error(path);
    let shown = thinned(finite(points), 5000);
    let ranges = bounds(shown.iter());
    let (lo, hi) = (ranges.0.0.max(ranges.1.0), ranges.0.1.min(ranges.1.1));
    let thinned_note = if shown.len() < points.len() {
        format!(", {} of {}", shown.len(), points.len())
    } else {
        String::new()
    };
    render(path, |root| {
        let caption = format!("Predicted against true {target}, {split} rows{thinned_note}");
        let axes = (&*format!("true {target}"), &*format!("predicted {target}"));
        let mut chart = chart(root, path, &caption, axes, ranges)?;
        if lo < hi {
            chart
                .draw_series(LineSeries::new(
                    [(lo, lo), (hi, hi)],
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(|e| err(e.to_string()))?
                .label("predicted = true")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
        }
        chart
            .draw_series(
                shown
                    .iter()
                    .map(|&p| Circle::new(p, 3, BLUE.mix(0.6).filled())),
            )
            .map_err(|e| err(e.to_string()))?
            .label("row")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, BLUE.filled()));
        legend(&mut chart, path, SeriesLabelPosition::UpperLeft)
    })
}

/// A binary classifier's ROC curve on one split's rows, with its area and the chance diagonal.
pub fn roc_curve(
    path: &Path,
    split: &str,
    positive: &str,
    curve: &[(f64, f64)],
    auc: f64,
) -> Result<(), TrainError> {
    let err = plot_error(path);
    let mut shown = thinned(curve.to_vec(), 4000);
    if let Some(&end) = curve.last()
        && shown.last() != Some(&end)
    {
        shown.push(end);
    }
    render(path, |root| {
        let caption = format!("ROC curve, {split} rows (positive class: {positive})");
        let axes = ("false positive rate", "true positive rate");
        let mut chart = chart(root, path, &caption, axes, ((0.0, 1.0), (0.0, 1.0)))?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                BLACK.mix(0.5).stroke_width(1),
            ))
            .map_err(|e| err(e.to_string()))?
            .label("chance")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
        chart
            .draw_series(LineSeries::new(shown, BLUE.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(format!("model (AUC {auc:.4})"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        legend(&mut chart, path, SeriesLabelPosition::LowerRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prediction_that_overflowed_is_left_out_of_the_fit_plot() {
        // Before, plotters looped forever laying out an axis that reached infinity.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fit.png");
        let plot = FitPlot {
            feature: "x",
            target: "y",
            data: vec![(1.0, 2.0), (2.0, 4.0)],
            line: vec![(1.0, 2.0), (3e38, f64::INFINITY)],
            predicted: vec![(6.0, 12.0), (3e38, f64::INFINITY), (f64::NAN, 1.0)],
        };
        fit_line(&path, &plot).expect("drawn");
        assert!(std::fs::metadata(&path).expect("written").len() > 0);
    }

    #[test]
    fn axes_of_flat_or_large_values_read_apart() {
        // A flat loss: the axis spans a thousandth of it, not its rounding noise.
        assert!(padding(81.305, 81.305 + 1e-10, 0.05) >= 0.08);
        // Ticks a fifth of a percent apart at 3e4 had the one label `3.0e4`.
        assert_ne!(tick(&29_970.0), tick(&30_030.0));
        assert_eq!(tick(&0.0), "0");
        assert_eq!(tick(&81.3051), "81.305");
        // A fit plot of values around 1e-3 is not squashed by a fixed half-unit margin.
        assert!(padding(1e-3, 2e-3, 0.08) < 1e-3);
        // A log axis's powers of ten read alike: not `0.1` beside `1.000e-3`.
        assert_eq!(
            [10.0, 0.1, 0.01, 1e-3, 1e-5, 2.5e-7, 1e5].map(|v| log_tick(&v)),
            ["10", "0.1", "0.01", "1e-3", "1e-5", "2.5e-7", "1e5"]
        );
    }
}
