//! Reading Speckle points and curves as line segments, in metres.
//!
//! Lines and polylines are read directly. `Curve`, `Spiral` and friends are drawn through their
//! `displayValue` polyline (every sender includes one for NURBS curves). Arcs, circles and
//! ellipses often come without one, so they are sampled from their own definition, and
//! polycurves are drawn segment by segment.

use std::f64::consts::TAU;

use serde_json::{Map, Value};

use crate::math::{add, cross, dot, length, normalize, scale, sub, Vec3};
use crate::objects::ObjectSource;
use crate::points::{read_point, read_points};
use crate::report::Skip;
use crate::speckle_types::{kind_of, CurveKind, Kind};
use crate::transform::units_of;
use crate::units::metres_per_unit;

/// Polycurves inside polycurves deeper than this are treated as broken.
const MAX_NESTING: usize = 16;

/// Sampling: this many segments for a full turn, fewer for shorter arcs.
const SEGMENTS_PER_TURN: f64 = 64.0;

/// Appends `curve` to `out` as segments: pairs of points. `kind` is the curve's kind;
/// `inherited_units` stand in when it names none.
pub(crate) fn read_curve(
    source: &ObjectSource,
    curve: &Map<String, Value>,
    kind: Kind,
    inherited_units: Option<&str>,
    out: &mut Vec<Vec3>,
) -> Result<(), Skip> {
    read_nested_curve(source, curve, kind, inherited_units, out, 0)
}

fn read_nested_curve(
    source: &ObjectSource,
    curve: &Map<String, Value>,
    kind: Kind,
    inherited_units: Option<&str>,
    out: &mut Vec<Vec3>,
    depth: usize,
) -> Result<(), Skip> {
    if depth > MAX_NESTING {
        return Err(Skip::malformed("curves nested too deep"));
    }
    let units = units_of(curve).or(inherited_units);
    match kind {
        Kind::Line => read_line(source, curve, units, out),
        Kind::Polyline => read_polyline(source, curve, units, out),
        Kind::Curve(curve_kind) => {
            if let Some(display) = curve
                .get("displayValue")
                .or_else(|| curve.get("@displayValue"))
            {
                return read_display_value(source, display, units, out, depth);
            }
            match curve_kind {
                CurveKind::Arc => read_arc(source, curve, units, out),
                CurveKind::Circle => read_ellipse(source, curve, units, out, true),
                CurveKind::Ellipse => read_ellipse(source, curve, units, out, false),
                CurveKind::Polycurve => read_segments(source, curve, units, out, depth),
                CurveKind::Curve | CurveKind::Spiral => {
                    Err(Skip::malformed("curve without a displayValue polyline"))
                }
            }
        }
        _ => Err(Skip::malformed("not a curve")),
    }
}

/// A curve's display polyline(s), one or a list.
fn read_display_value(
    source: &ObjectSource,
    display: &Value,
    units: Option<&str>,
    out: &mut Vec<Vec3>,
    depth: usize,
) -> Result<(), Skip> {
    let display = source.resolve(display)?;
    let items: Vec<&Value> = match display {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    for item in items {
        read_any_curve(source, item, units, out, depth + 1)?;
    }
    Ok(())
}

/// Any curve-like value (inline or referenced), classified by its own type.
fn read_any_curve(
    source: &ObjectSource,
    value: &Value,
    units: Option<&str>,
    out: &mut Vec<Vec3>,
    depth: usize,
) -> Result<(), Skip> {
    let object = source
        .resolve(value)?
        .as_object()
        .ok_or_else(|| Skip::malformed("curve is not an object"))?;
    let kind = kind_of(speckle_type(object));
    read_nested_curve(source, object, kind, units, out, depth)
}

fn read_segments(
    source: &ObjectSource,
    polycurve: &Map<String, Value>,
    units: Option<&str>,
    out: &mut Vec<Vec3>,
    depth: usize,
) -> Result<(), Skip> {
    let segments = polycurve
        .get("segments")
        .ok_or_else(|| Skip::malformed("polycurve has no segments"))?;
    for segment in source.flat_array(segments)?.iter() {
        read_any_curve(source, segment, units, out, depth + 1)?;
    }
    Ok(())
}

fn read_line(
    source: &ObjectSource,
    line: &Map<String, Value>,
    units: Option<&str>,
    out: &mut Vec<Vec3>,
) -> Result<(), Skip> {
    if let (Some(start), Some(end)) = (line.get("start"), line.get("end")) {
        let start = read_point(source, start, units)?;
        let end = read_point(source, end, units)?;
        out.extend([start, end]);
        return Ok(());
    }
    // Legacy lines: `value` is [x1, y1, z1, x2, y2, z2].
    let value = line
        .get("value")
        .ok_or_else(|| Skip::malformed("line has no start and end"))?;
    let mut points = Vec::with_capacity(2);
    read_points(source, value, metres_per_unit(units), &mut points)?;
    if points.len() != 2 {
        return Err(Skip::malformed("line value needs two points"));
    }
    out.extend(points);
    Ok(())
}

fn read_polyline(
    source: &ObjectSource,
    polyline: &Map<String, Value>,
    units: Option<&str>,
    out: &mut Vec<Vec3>,
) -> Result<(), Skip> {
    let value = polyline
        .get("value")
        .ok_or_else(|| Skip::malformed("polyline has no value"))?;
    let mut points = Vec::new();
    read_points(source, value, metres_per_unit(units), &mut points)?;
    let closed = polyline
        .get("closed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    push_polyline(&points, closed, out);
    Ok(())
}

/// An arc through its start, mid and end points (unambiguous whatever the plane says), or
/// failing those, from its plane, radius and angles.
fn read_arc(
    source: &ObjectSource,
    arc: &Map<String, Value>,
    units: Option<&str>,
    out: &mut Vec<Vec3>,
) -> Result<(), Skip> {
    let point = |key: &str| arc.get(key).map(|p| read_point(source, p, units));
    if let (Some(start), Some(mid), Some(end)) =
        (point("startPoint"), point("midPoint"), point("endPoint"))
    {
        let points = arc_through(start?, mid?, end?);
        push_polyline(&points, false, out);
        return Ok(());
    }
    let plane = read_plane(source, arc, units)?;
    let radius = number(arc, "radius")? * metres_per_unit(units);
    let start = number(arc, "startAngle")?;
    let sweep = match number(arc, "angleRadians") {
        Ok(sweep) => sweep,
        Err(_) => (number(arc, "endAngle")? - start).rem_euclid(TAU),
    };
    let points = sample(&plane, radius, radius, start, sweep);
    push_polyline(&points, false, out);
    Ok(())
}

/// A circle (`radius`) or an ellipse (`firstRadius` along the plane's x, `secondRadius` along y).
fn read_ellipse(
    source: &ObjectSource,
    curve: &Map<String, Value>,
    units: Option<&str>,
    out: &mut Vec<Vec3>,
    circle: bool,
) -> Result<(), Skip> {
    let plane = read_plane(source, curve, units)?;
    let factor = metres_per_unit(units);
    let (rx, ry) = if circle {
        let r = number(curve, "radius")?;
        (r, r)
    } else {
        (
            number(curve, "firstRadius")?,
            number(curve, "secondRadius")?,
        )
    };
    let points = sample(&plane, rx * factor, ry * factor, 0.0, TAU);
    push_polyline(&points, false, out);
    Ok(())
}

/// Points along the circular arc from `a` through `m` to `b`; a straight line when they are collinear.
fn arc_through(a: Vec3, m: Vec3, b: Vec3) -> Vec<Vec3> {
    let (e1, e2) = (sub(m, a), sub(b, a));
    let w = cross(e1, e2);
    let w2 = dot(w, w);
    if w2 <= f64::EPSILON * dot(e2, e2) * dot(e2, e2) {
        return vec![a, b];
    }
    // The circumcentre of the triangle a, m, b.
    let offset = add(
        scale(cross(w, e1), dot(e2, e2)),
        scale(cross(e2, w), dot(e1, e1)),
    );
    let center = add(a, scale(offset, 1.0 / (2.0 * w2)));
    let radius = length(sub(a, center));
    // Walking a → m → b turns around w, so sweep counter-clockwise about it.
    let (Some(normal), Some(x)) = (normalize(w), normalize(sub(a, center))) else {
        return vec![a, b];
    };
    let y = cross(normal, x);
    let angle = |p: Vec3| {
        let d = sub(p, center);
        dot(d, y).atan2(dot(d, x)).rem_euclid(TAU)
    };
    let mut sweep = angle(b);
    if sweep <= 0.0 {
        sweep = TAU;
    }
    let plane = Plane {
        origin: center,
        x,
        y,
    };
    sample(&plane, radius, radius, 0.0, sweep)
}

struct Plane {
    origin: Vec3,
    x: Vec3,
    y: Vec3,
}

fn read_plane(
    source: &ObjectSource,
    curve: &Map<String, Value>,
    units: Option<&str>,
) -> Result<Plane, Skip> {
    let plane = curve
        .get("plane")
        .ok_or_else(|| Skip::malformed("curve has no plane"))?;
    let plane = source
        .resolve(plane)?
        .as_object()
        .ok_or_else(|| Skip::malformed("plane is not an object"))?;
    let units = units_of(plane).or(units);
    let field = |key: &str| {
        plane
            .get(key)
            .ok_or_else(|| Skip::malformed(format!("plane has no {key}")))
    };
    let origin = read_point(source, field("origin")?, units)?;
    let x = read_point(source, field("xdir")?, None)?;
    let y = read_point(source, field("ydir")?, None)?;
    match (normalize(x), normalize(y)) {
        (Some(x), Some(y)) => Ok(Plane { origin, x, y }),
        _ => Err(Skip::malformed("plane has no directions")),
    }
}

/// Points on an ellipse in `plane`, from angle `start` through `sweep`.
fn sample(plane: &Plane, rx: f64, ry: f64, start: f64, sweep: f64) -> Vec<Vec3> {
    let segments = (sweep.abs() / TAU * SEGMENTS_PER_TURN)
        .ceil()
        .clamp(2.0, 256.0) as usize;
    (0..=segments)
        .map(|k| {
            let t = start + sweep * k as f64 / segments as f64;
            add(
                plane.origin,
                add(scale(plane.x, rx * t.cos()), scale(plane.y, ry * t.sin())),
            )
        })
        .collect()
}

fn number(object: &Map<String, Value>, key: &str) -> Result<f64, Skip> {
    object
        .get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
        .ok_or_else(|| Skip::malformed(format!("curve has no {key}")))
}

fn speckle_type(object: &Map<String, Value>) -> &str {
    object
        .get("speckle_type")
        .and_then(Value::as_str)
        .unwrap_or("Base")
}

/// Appends consecutive points as segment pairs, and the closing segment when `closed`.
fn push_polyline(points: &[Vec3], closed: bool, out: &mut Vec<Vec3>) {
    for pair in points.windows(2) {
        out.extend([pair[0], pair[1]]);
    }
    if closed && points.len() > 2 {
        out.extend([points[points.len() - 1], points[0]]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segments(source: &ObjectSource, curve: Value) -> Result<Vec<Vec3>, Skip> {
        let object = curve.as_object().unwrap();
        let mut out = Vec::new();
        read_curve(
            source,
            object,
            kind_of(speckle_type(object)),
            None,
            &mut out,
        )?;
        Ok(out)
    }

    fn point(x: f64, y: f64, z: f64) -> Value {
        json!({ "speckle_type": "Objects.Geometry.Point", "x": x, "y": y, "z": z })
    }

    fn close(a: Vec3, b: Vec3) -> bool {
        (0..3).all(|k| (a[k] - b[k]).abs() < 1e-9)
    }

    #[test]
    fn lines_from_points_or_legacy_values() {
        let source = ObjectSource::new();
        let line = json!({
            "speckle_type": "Objects.Geometry.Line", "units": "mm",
            "start": point(0.0, 0.0, 0.0), "end": point(1000.0, 0.0, 0.0)
        });
        assert_eq!(
            segments(&source, line).unwrap(),
            vec![[0.0; 3], [1.0, 0.0, 0.0]]
        );
        let legacy =
            json!({ "speckle_type": "Objects.Geometry.Line", "value": [0, 0, 0, 0, 2, 0] });
        assert_eq!(segments(&source, legacy).unwrap()[1], [0.0, 2.0, 0.0]);
        let broken =
            json!({ "speckle_type": "Objects.Geometry.Line", "start": point(0.0, 0.0, 0.0) });
        assert!(segments(&source, broken).is_err());
    }

    #[test]
    fn polylines_open_and_closed() {
        let source = ObjectSource::new();
        let mut polyline = json!({
            "speckle_type": "Objects.Geometry.Polyline",
            "value": [0, 0, 0, 1, 0, 0, 1, 1, 0], "closed": false
        });
        assert_eq!(segments(&source, polyline.clone()).unwrap().len(), 4);
        polyline["closed"] = json!(true);
        let closed = segments(&source, polyline).unwrap();
        assert_eq!(closed.len(), 6);
        assert_eq!(closed[5], [0.0; 3]);
    }

    #[test]
    fn curves_use_their_display_polyline() {
        let mut source = ObjectSource::new();
        source.insert(json!({
            "id": "poly", "speckle_type": "Objects.Geometry.Polyline",
            "value": [0, 0, 0, 100, 0, 0]
        }));
        let curve = json!({
            "speckle_type": "Objects.Geometry.Curve", "units": "cm",
            "displayValue": { "referencedId": "poly" }
        });
        assert_eq!(segments(&source, curve).unwrap()[1], [1.0, 0.0, 0.0]);
        let bare = json!({ "speckle_type": "Objects.Geometry.Curve" });
        assert!(segments(&source, bare).is_err());
    }

    #[test]
    fn arcs_through_three_points_go_via_the_mid_point() {
        let source = ObjectSource::new();
        // The upper half of the unit circle, from (1,0) through (0,1) to (-1,0).
        let arc = json!({
            "speckle_type": "Objects.Geometry.Arc",
            "startPoint": point(1.0, 0.0, 0.0),
            "midPoint": point(0.0, 1.0, 0.0),
            "endPoint": point(-1.0, 0.0, 0.0)
        });
        let out = segments(&source, arc).unwrap();
        assert!(close(out[0], [1.0, 0.0, 0.0]));
        assert!(close(*out.last().unwrap(), [-1.0, 0.0, 0.0]));
        for p in &out {
            assert!((length(*p) - 1.0).abs() < 1e-9);
            assert!(p[1] >= -1e-9, "left the upper half: {p:?}");
        }
        // The lower half, wound the other way.
        let arc = json!({
            "speckle_type": "Objects.Geometry.Arc",
            "startPoint": point(1.0, 0.0, 0.0),
            "midPoint": point(0.0, -1.0, 0.0),
            "endPoint": point(-1.0, 0.0, 0.0)
        });
        assert!(segments(&source, arc).unwrap().iter().all(|p| p[1] <= 1e-9));
    }

    #[test]
    fn circles_ellipses_and_plane_arcs() {
        let source = ObjectSource::new();
        let plane = json!({
            "origin": point(10.0, 0.0, 0.0),
            "normal": { "x": 0, "y": 0, "z": 1 },
            "xdir": { "x": 1, "y": 0, "z": 0 },
            "ydir": { "x": 0, "y": 1, "z": 0 }
        });
        let circle =
            json!({ "speckle_type": "Objects.Geometry.Circle", "plane": plane, "radius": 2 });
        let out = segments(&source, circle).unwrap();
        assert!(out
            .iter()
            .all(|p| (length(sub(*p, [10.0, 0.0, 0.0])) - 2.0).abs() < 1e-9));
        assert!(close(out[0], *out.last().unwrap()));

        let ellipse = json!({
            "speckle_type": "Objects.Geometry.Ellipse", "plane": plane,
            "firstRadius": 3, "secondRadius": 1
        });
        let out = segments(&source, ellipse).unwrap();
        assert!(close(out[0], [13.0, 0.0, 0.0]));

        let arc = json!({
            "speckle_type": "Objects.Geometry.Arc", "plane": plane, "radius": 1,
            "startAngle": 0, "endAngle": std::f64::consts::FRAC_PI_2
        });
        let out = segments(&source, arc).unwrap();
        assert!(close(*out.last().unwrap(), [10.0, 1.0, 0.0]));
    }

    #[test]
    fn polycurves_join_their_segments() {
        let source = ObjectSource::new();
        let polycurve = json!({
            "speckle_type": "Objects.Geometry.Polycurve",
            "segments": [
                { "speckle_type": "Objects.Geometry.Line", "start": point(0.0, 0.0, 0.0), "end": point(1.0, 0.0, 0.0) },
                { "speckle_type": "Objects.Geometry.Polyline", "value": [1, 0, 0, 1, 1, 0, 0, 1, 0] }
            ]
        });
        assert_eq!(segments(&source, polycurve).unwrap().len(), 6);
    }
}
