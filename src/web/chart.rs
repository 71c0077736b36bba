//! Stacked bar charts as inline SVG, drawn on the server: no script, no
//! font or file to fetch, readable by screen readers (a title and a
//! description name what it shows; the table beside it has every figure).
//!
//! A small renderer of its own rather than a plotting crate: the pages
//! need one kind of chart (bars over time, stacked by outcome), and this
//! is ~200 lines of text output with nothing to configure, where a general
//! plotting library would bring a drawing backend, fonts and its own
//! layout rules for the same picture.

use std::fmt::Write;

/// One stacked part of every bar.
pub struct Layer {
    pub name: &'static str,
    /// A colour of the pages' light theme.
    pub colour: &'static str,
}

pub struct BarChart<'a> {
    /// Names the chart's `<title>` and its element ids.
    pub id: &'a str,
    pub title: &'a str,
    /// What the x axis counts, with its unit and time zone ("hour, UTC").
    pub x_label: &'a str,
    /// What the y axis counts, with its unit ("calls per hour").
    pub y_label: &'a str,
    pub layers: &'a [Layer],
    /// Each bar's label and its values, one per layer.
    pub bars: Vec<(String, Vec<u64>)>,
    /// Every how many bars the x axis names one.
    pub label_every: usize,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 52.0;

/// A round top for the y axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl BarChart<'_> {
    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let totals: Vec<u64> = self.bars.iter().map(|(_, v)| v.iter().sum()).collect();
        let sum: u64 = totals.iter().sum();
        // Four equal steps of a round size: every grid line has a whole figure.
        let step = nice(totals.iter().copied().max().unwrap_or(0).div_ceil(4));
        let top = step * 4;
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let n = self.bars.len().max(1) as f64;
        let slot = plot_w / n;
        let bar_w = (slot * 0.7).max(1.0);
        let id = escape(self.id);
        let mut s = String::with_capacity(4_096 + self.bars.len() * 200);
        let _ = write!(
            s,
            r##"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">"##
        );
        let _ = write!(
            s,
            r##"<title id="{id}-title">{}</title><desc id="{id}-desc">{} in all over {} bars of one {}; the table below the chart has each figure.</desc>"##,
            escape(self.title),
            sum,
            self.bars.len(),
            escape(self.x_label),
        );
        let _ = write!(
            s,
            r##"<text x="{LEFT}" y="18" font-size="14" font-weight="600" fill="#1b2230">{}</text>"##,
            escape(self.title)
        );
        // The legend, after the title.
        let mut x = LEFT;
        for layer in self.layers {
            let _ = write!(
                s,
                r##"<rect x="{x}" y="28" width="10" height="10" fill="{}"/><text x="{}" y="37" font-size="11" fill="#3a4356">{}</text>"##,
                layer.colour,
                x + 14.0,
                escape(layer.name)
            );
            x += 24.0 + layer.name.len() as f64 * 6.2;
        }
        // Grid lines and the y axis's figures.
        for i in 0..=4u64 {
            let value = step * i;
            let y = TOP + plot_h - plot_h * i as f64 / 4.0;
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d8dde6" stroke-width="1"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#3a4356">{value}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0
            );
        }
        let _ = write!(
            s,
            r##"<text transform="translate(14 {:.1}) rotate(-90)" font-size="11" text-anchor="middle" fill="#3a4356">{}</text>"##,
            TOP + plot_h / 2.0,
            escape(self.y_label)
        );
        // The bars, each layer stacked on the one before.
        for (i, (label, values)) in self.bars.iter().enumerate() {
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let mut base = 0u64;
            for (layer, v) in self.layers.iter().zip(values) {
                if *v == 0 {
                    continue;
                }
                let y0 = TOP + plot_h - plot_h * base as f64 / top as f64;
                let y1 = TOP + plot_h - plot_h * (base + v) as f64 / top as f64;
                let _ = write!(
                    s,
                    r##"<rect x="{x:.1}" y="{y1:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}"><title>{}: {v} {}</title></rect>"##,
                    (y0 - y1).max(0.5),
                    layer.colour,
                    escape(label),
                    escape(layer.name)
                );
                base += v;
            }
            if i % self.label_every.max(1) == 0 {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#3a4356">{}</text>"##,
                    x + bar_w / 2.0,
                    TOP + plot_h + 14.0,
                    escape(label)
                );
            }
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#3a4356" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#3a4356">{}</text></svg>"##,
            WIDTH - RIGHT,
            LEFT + plot_w / 2.0,
            HEIGHT - 12.0,
            escape(self.x_label),
            y = TOP + plot_h,
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYERS: [Layer; 2] = [
        Layer {
            name: "Allowed",
            colour: "#2f6fde",
        },
        Layer {
            name: "Refused",
            colour: "#d2452c",
        },
    ];

    #[test]
    fn the_axis_tops_at_a_round_figure() {
        assert_eq!(
            [0, 1, 3, 7, 10, 11, 480, 1_001].map(nice),
            [1, 1, 5, 10, 10, 20, 500, 2_000]
        );
    }

    #[test]
    fn a_chart_has_a_title_a_legend_axes_and_a_bar_per_value() {
        let chart = BarChart {
            id: "c1",
            title: "Calls <per> hour",
            x_label: "hour (UTC)",
            y_label: "calls per hour",
            layers: &LAYERS,
            bars: vec![("10:00".into(), vec![3, 1]), ("11:00".into(), vec![0, 0])],
            label_every: 1,
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-labelledby="c1-title c1-desc""#));
        assert!(svg.contains("<title id=\"c1-title\">Calls &lt;per&gt; hour</title>"));
        assert!(svg.contains("4 in all"), "{svg}");
        assert!(svg.contains(">Allowed<") && svg.contains(">Refused<"));
        assert!(svg.contains(">hour (UTC)<") && svg.contains(">calls per hour<"));
        assert_eq!(
            svg.matches("<rect").count(),
            2 + 2,
            "two legend keys, two parts"
        );
        assert!(
            !svg.contains("style="),
            "the pages' CSP allows no inline style"
        );
    }
}
