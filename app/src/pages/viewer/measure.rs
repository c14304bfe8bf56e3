//! Measuring: two clicks on the model (snapped to corners and edges by the viewer) and the
//! straight distance between them, in the units the model was sent in. Escape clears.

use leptos::prelude::*;

use fleck_viewer::units::metres_per_unit;

/// A measurement under way: the points picked so far (at most two, scene metres).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurement {
    pub points: Vec<[f32; 3]>,
}

impl Measurement {
    /// Adds a picked point; a third click starts a new measurement.
    pub fn add(&mut self, point: [f32; 3]) {
        if self.points.len() == 2 {
            self.points.clear();
        }
        self.points.push(point);
    }

    /// The distance in metres once both points are picked.
    pub fn metres(&self) -> Option<f64> {
        let [a, b] = self.points.as_slice() else {
            return None;
        };
        let squared: f64 = (0..3).map(|k| (a[k] as f64 - b[k] as f64).powi(2)).sum();
        Some(squared.sqrt())
    }
}

/// A length in the model's units, to a millimetre's precision (or a hundredth of an inch).
pub fn format_length(metres: f64, units: &str) -> String {
    let per_unit = metres_per_unit(Some(units));
    let value = metres / per_unit;
    let (symbol, decimals) = match units.trim().to_ascii_lowercase().as_str() {
        "mm" | "millimeter" | "millimeters" | "millimetre" | "millimetres" => ("mm", 0),
        "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => ("cm", 1),
        "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => ("km", 6),
        "in" | "inch" | "inches" => ("in", 2),
        "ft" | "foot" | "feet" => ("ft", 3),
        "yd" | "yard" | "yards" => ("yd", 3),
        "mi" | "mile" | "miles" => ("mi", 6),
        _ => ("m", 3),
    };
    format!("{value:.decimals$} {symbol}")
}

/// The measured points and the line between them, drawn over the canvas where they appear now
/// (CSS pixels; `None` for a point behind the camera).
#[component]
pub fn MeasureOverlay(screen: Signal<Vec<Option<(f64, f64)>>>) -> impl IntoView {
    view! {
        <svg class="measure-overlay" aria-hidden="true">
            {move || {
                let points: Vec<(f64, f64)> = screen.get().into_iter().flatten().collect();
                let line = (points.len() == 2).then(|| {
                    let ((x1, y1), (x2, y2)) = (points[0], points[1]);
                    view! { <line x1=x1 y1=y1 x2=x2 y2=y2 class="measure-line" /> }
                });
                view! {
                    {line}
                    {points.into_iter().map(|(x, y)| view! { <circle cx=x cy=y r="5" class="measure-point" /> }).collect_view()}
                }
            }}
        </svg>
    }
}

/// What the measurement says, in words, and how to clear it.
#[component]
pub fn MeasureReadout(
    measurement: RwSignal<Measurement>,
    units: Signal<String>,
    on_clear: Callback<()>,
) -> impl IntoView {
    move || {
        let m = measurement.get();
        let text = match (m.points.len(), m.metres()) {
            (_, Some(metres)) => format!("Distance: {}", format_length(metres, &units.get())),
            (1, None) => "Click a second point.".to_string(),
            _ => "Click a point on the model to measure from. Corners and edges snap.".to_string(),
        };
        let metres = m.metres().map(|d| format!("{d:.4}"));
        view! {
            <div class="viewer-readout" role="status" data-distance-m=metres>
                <span>{text}</span>
                <button type="button" class="link-button" on:click=move |_| on_clear.run(())>"Clear (Esc)"</button>
            </div>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_read_in_the_model_units() {
        assert_eq!(format_length(6.0, "m"), "6.000 m");
        assert_eq!(format_length(5.9996, "mm"), "6000 mm");
        assert_eq!(format_length(0.3048, "ft"), "1.000 ft");
        assert_eq!(format_length(2.5, "unknown"), "2.500 m");
    }

    #[test]
    fn a_third_point_starts_again() {
        let mut m = Measurement::default();
        m.add([0.0, 0.0, 0.0]);
        assert_eq!(m.metres(), None);
        m.add([3.0, 4.0, 0.0]);
        assert_eq!(m.metres(), Some(5.0));
        m.add([1.0, 1.0, 1.0]);
        assert_eq!(m.points, vec![[1.0, 1.0, 1.0]]);
    }
}
