//! The picture of the business: the last 30 days (days of TIME_ZONE) as one PNG — top-ups in roubles
//! per day by provider and what fal charged, paid operations per day by mode, new users per day — drawn with plotters' bitmap
//! backend and the embedded font, encoded with the `image` crate the bot already has.

use crate::db::stats::Day;
use crate::error::{Error, Result};
use plotters::prelude::*;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 960;
/// The days the chart covers.
pub const DAYS: i64 = 30;

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn drawing(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("drawing the chart: {e}"))
}

/// The PNG of `days` (oldest first).
pub fn render(days: &[Day]) -> Result<Vec<u8>> {
    register_font()?;
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let panels = root.split_evenly((3, 1));
        let money = |f: fn(&Day) -> i64| days.iter().map(|d| f(d) as f64 / 100.0).collect();
        panel(
            &panels[0],
            days,
            "Top-ups and fal's cost, roubles per day",
            &[
                ("YooKassa".to_string(), money(|d| d.yookassa_kopecks)),
                ("Stars".to_string(), money(|d| d.stars_kopecks)),
                ("fal cost".to_string(), money(|d| d.cost_kopecks)),
            ],
        )?;
        let mut modes: Vec<String> = days
            .iter()
            .flat_map(|d| d.operations.iter().map(|(m, _)| m.clone()))
            .collect();
        modes.sort();
        modes.dedup();
        let ops: Vec<(String, Vec<f64>)> = modes
            .into_iter()
            .map(|m| {
                let per_day = days
                    .iter()
                    .map(|d| {
                        d.operations
                            .iter()
                            .find(|(x, _)| *x == m)
                            .map_or(0.0, |(_, n)| *n as f64)
                    })
                    .collect();
                (m, per_day)
            })
            .collect();
        panel(&panels[1], days, "Paid operations per day, by mode", &ops)?;
        let users = days.iter().map(|d| d.new_users as f64).collect();
        panel(
            &panels[2],
            days,
            "New users per day",
            &[("new users".to_string(), users)],
        )?;
        root.present().map_err(drawing)?;
    }
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, rgb)
        .ok_or_else(|| drawing("the buffer does not fit the size"))?;
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(drawing)?;
    Ok(png.into_inner())
}

/// One panel: a line per series over the days, a legend, days on the x axis as dd.mm.
fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    days: &[Day],
    title: &str,
    series: &[(String, Vec<f64>)],
) -> Result<()> {
    let n = days.len().max(1) as i64;
    let top = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(60)
        .build_cartesian_2d(0i64..n - 1, 0f64..top)
        .map_err(drawing)?;
    let label = |i: &i64| {
        days.get(*i as usize)
            .map(|d| {
                let date = crate::time::date_of_day(d.day);
                format!("{}.{}", &date[8..10], &date[5..7])
            })
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .x_labels(10)
        .x_label_formatter(&label)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(drawing)?;
    for (i, (name, values)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                values.iter().enumerate().map(|(x, y)| (x as i64, *y)),
                color.stroke_width(3),
            ))
            .map_err(drawing)?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(drawing)?;
    Ok(())
}

/// plotters draws text with the font registered under the family name used above.
fn register_font() -> Result<()> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        crate::fonts::dejavu_bold().is_some_and(|bytes| {
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
        })
    });
    if ok {
        Ok(())
    } else {
        Err(drawing("the embedded font could not be registered"))
    }
}
