//! Reading Speckle points: single `Point`s, flat coordinate arrays, and point clouds, in metres.

use serde_json::{Map, Value};

use crate::material::{argb_of, argb_to_rgba};
use crate::math::{is_finite, Vec3};
use crate::objects::ObjectSource;
use crate::report::Skip;
use crate::transform::units_of;
use crate::units::metres_per_unit;

/// Appends the points of a flat (possibly chunked) `[x, y, z, …]` array, times `scale`, to `out`.
pub(crate) fn read_points(
    source: &ObjectSource,
    flat: &Value,
    scale: f64,
    out: &mut Vec<Vec3>,
) -> Result<(), Skip> {
    let numbers = source.flat_array(flat)?;
    if numbers.len() % 3 != 0 {
        return Err(Skip::malformed("coordinate count is not a multiple of 3"));
    }
    out.reserve(numbers.len() / 3);
    let mut items = numbers.iter();
    while let (Some(x), Some(y), Some(z)) = (items.next(), items.next(), items.next()) {
        let point = [x, y, z].map(|c| c.as_f64().unwrap_or(f64::NAN) * scale);
        if !is_finite(point) {
            return Err(Skip::malformed("coordinate is not a finite number"));
        }
        out.push(point);
    }
    Ok(())
}

/// A point, inline or referenced, in metres: see [`point_from`].
pub(crate) fn read_point(
    source: &ObjectSource,
    value: &Value,
    units: Option<&str>,
) -> Result<Vec3, Skip> {
    let point = source
        .resolve(value)?
        .as_object()
        .ok_or_else(|| Skip::malformed("point is not an object"))?;
    point_from(point, units)
}

/// A point's `x`, `y`, `z` (or the legacy `value: [x, y, z]`) in metres; its own `units` win over
/// `units`. Directions (`Vector`s) read the same way with no units at all.
pub(crate) fn point_from(point: &Map<String, Value>, units: Option<&str>) -> Result<Vec3, Skip> {
    let coordinates = match point.get("value").and_then(Value::as_array) {
        Some(value) if value.len() == 3 => [&value[0], &value[1], &value[2]],
        _ => ["x", "y", "z"].map(|key| point.get(key).unwrap_or(&Value::Null)),
    };
    let factor = metres_per_unit(units_of(point).or(units));
    let point = coordinates.map(|c| c.as_f64().unwrap_or(f64::NAN) * factor);
    if !is_finite(point) {
        return Err(Skip::malformed("point has no finite x, y, z"));
    }
    Ok(point)
}

/// A `Pointcloud`'s `points` (flat) into `points`, and its `colors` (one ARGB per point, else
/// none) into `colors`.
pub(crate) fn read_point_cloud(
    source: &ObjectSource,
    cloud: &Map<String, Value>,
    units: Option<&str>,
    points: &mut Vec<Vec3>,
    colors: &mut Vec<[u8; 4]>,
) -> Result<(), Skip> {
    points.clear();
    colors.clear();
    let flat = cloud
        .get("points")
        .ok_or_else(|| Skip::malformed("point cloud has no points"))?;
    read_points(
        source,
        flat,
        metres_per_unit(units_of(cloud).or(units)),
        points,
    )?;
    if let Some(Ok(list)) = cloud.get("colors").map(|c| source.flat_array(c)) {
        if list.len() == points.len() {
            colors.extend(list.iter().map_while(|c| argb_of(c).map(argb_to_rgba)));
            if colors.len() != points.len() {
                colors.clear();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_points_new_and_legacy() {
        let source = ObjectSource::new();
        let point = json!({ "x": 1, "y": 2, "z": 3, "units": "cm" });
        assert_eq!(
            read_point(&source, &point, None).unwrap(),
            [0.01, 0.02, 0.03]
        );
        let legacy = json!({ "value": [1, 2, 3] });
        assert_eq!(
            read_point(&source, &legacy, Some("mm")).unwrap(),
            [0.001, 0.002, 0.003]
        );
        assert!(read_point(&source, &json!({ "x": 1, "y": 2 }), None).is_err());
        assert!(read_point(&source, &json!(5), None).is_err());
    }

    #[test]
    fn reads_flat_arrays() {
        let source = ObjectSource::new();
        let mut out = Vec::new();
        read_points(&source, &json!([1, 2, 3, 4, 5, 6]), 2.0, &mut out).unwrap();
        assert_eq!(out, vec![[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]]);
        assert!(read_points(&source, &json!([1, 2]), 1.0, &mut out).is_err());
    }

    #[test]
    fn reads_point_clouds_with_colours() {
        let source = ObjectSource::new();
        let cloud = json!({ "points": [0, 0, 0, 1, 1, 1], "colors": [-65536, -16711936] });
        let (mut points, mut colors) = (Vec::new(), Vec::new());
        read_point_cloud(
            &source,
            cloud.as_object().unwrap(),
            None,
            &mut points,
            &mut colors,
        )
        .unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(colors, vec![[255, 0, 0, 255], [0, 255, 0, 255]]);

        let mismatched = json!({ "points": [0, 0, 0], "colors": [1, 2] });
        read_point_cloud(
            &source,
            mismatched.as_object().unwrap(),
            None,
            &mut points,
            &mut colors,
        )
        .unwrap();
        assert!(colors.is_empty());
    }
}
