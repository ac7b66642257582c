//! PNG plots of a run: the loss per epoch, and for one-feature regression the data, the fitted
//! line and the predicted points. Text is drawn with an embedded DejaVu Sans, so the axis labels
//! are readable on machines without any fonts installed.

use std::path::Path;
use std::sync::Once;

use image::ImageEncoder;
use plotters::coord::Shift;
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

/// An axis label: plain to three decimals in the common range, else four significant digits in
/// scientific notation (so that ticks close together still read apart).
fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        "0".into()
    } else if (1e-2..1e4).contains(&v.abs()) {
        format!("{v:.3}")
    } else {
        format!("{v:.3e}")
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

/// Training (and validation) loss per epoch, on a log scale when the loss spans a wide range.
pub fn loss_curve(path: &Path, history: &[EpochRecord]) -> Result<(), TrainError> {
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
            ($chart:expr) => {{
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
                    .y_label_formatter(&tick)
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
                if !valid.is_empty() {
                    chart
                        .draw_series(LineSeries::new(valid, RED.stroke_width(2)))
                        .map_err(|e| err(e.to_string()))?
                        .label("valid")
                        .legend(|(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2))
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
            draw!(builder.build_cartesian_2d(1.0..epochs, (lo * 0.8..hi * 1.25).log_scale()));
        } else {
            let pad = padding(lo, hi, 0.05);
            draw!(builder.build_cartesian_2d(1.0..epochs, (lo - pad)..(hi + pad)));
        }
        Ok(())
    })
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
///
/// Points with a coordinate that is not finite (a prediction that overflowed f32) are left out:
/// the axes could not hold them (and plotters loops forever laying out an infinite range).
pub fn fit_line(path: &Path, plot: &FitPlot<'_>) -> Result<(), TrainError> {
    let err = plot_error(path);
    let finite = |points: &[(f64, f64)]| -> Vec<(f64, f64)> {
        points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect()
    };
    let (data, line, predicted) = (
        finite(&plot.data),
        finite(&plot.line),
        finite(&plot.predicted),
    );
    let points = data.iter().chain(&line).chain(&predicted);
    let (x0, x1, y0, y1) = points.fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    );
    let (px, py) = (padding(x0, x1, 0.08), padding(y0, y1, 0.08));
    render(path, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{} against {}", plot.target, plot.feature),
                ("sans-serif", 26),
            )
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc(plot.feature)
            .y_desc(plot.target)
            .axis_desc_style(("sans-serif", 20))
            .label_style(("sans-serif", 16))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(|e| err(e.to_string()))?;
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        Ok(())
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
    }
}
