//! Speckle's length units. Geometry arrives in the units its sender used; the scene is in metres.

/// Metres per one of Speckle's unit names (`units` on geometry), case-insensitive and accepting
/// the long forms connectors send. Unknown or missing units are taken as metres.
pub fn metres_per_unit(units: Option<&str>) -> f64 {
    let Some(units) = units else { return 1.0 };
    match units.trim().to_ascii_lowercase().as_str() {
        "mm" | "mil" | "millimeter" | "millimeters" | "millimetre" | "millimetres" => 0.001,
        "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => 0.01,
        "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => 1000.0,
        "in" | "inch" | "inches" => 0.0254,
        "ft" | "foot" | "feet" => 0.3048,
        "yd" | "yard" | "yards" => 0.9144,
        "mi" | "mile" | "miles" => 1609.344,
        _ => 1.0,
    }
}

/// The factor that converts lengths from `from` units to `to` units.
pub fn conversion(from: Option<&str>, to: Option<&str>) -> f64 {
    metres_per_unit(from) / metres_per_unit(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_between_speckle_units() {
        assert_eq!(metres_per_unit(Some("mm")), 0.001);
        assert_eq!(metres_per_unit(Some("Feet")), 0.3048);
        assert_eq!(metres_per_unit(None), 1.0);
        assert_eq!(metres_per_unit(Some("none")), 1.0);
        assert!((conversion(Some("ft"), Some("in")) - 12.0).abs() < 1e-12);
        assert!((conversion(Some("m"), Some("mm")) - 1000.0).abs() < 1e-9);
    }
}
