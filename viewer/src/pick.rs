//! Finding the object under the pointer: a ray from the camera against the scene's triangles,
//! on the CPU, so it needs no GPU read-back and works the same everywhere.

use crate::scene::{Bounds, Scene};

/// The box around one object's triangles, to zoom to it.
pub fn object_bounds(scene: &Scene, object_id: &str) -> Option<Bounds> {
    let mut bounds: Option<Bounds> = None;
    for batch in &scene.meshes {
        for range in batch.objects.iter().filter(|r| r.object_id == object_id) {
            for &i in batch.indices.get(range.span()).unwrap_or_default() {
                if let Some(p) = batch.positions.get(i as usize) {
                    Bounds::grow(&mut bounds, p);
                }
            }
        }
    }
    bounds
}

/// Where a ray met the model: the object, the distance along the ray, and the triangle hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit<'a> {
    pub object_id: &'a str,
    pub distance: f32,
    pub point: [f32; 3],
    pub triangle: [[f32; 3]; 3],
}

/// What a measured point was moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snap {
    /// A corner of the element's mesh.
    Vertex,
    /// The nearest point of an edge.
    Edge,
    /// Where the pointer is, on a face.
    Face,
}

/// The nearest object the ray from `origin` along `direction` hits, among those `shows` keeps,
/// inside the section box when there is one: where and on which triangle the ray met it.
pub fn nearest_hit<'a>(
    scene: &'a Scene,
    origin: [f32; 3],
    direction: [f32; 3],
    shows: &dyn Fn(&str) -> bool,
    section: Option<&Bounds>,
) -> Option<Hit<'a>> {
    let mut nearest: Option<Hit<'a>> = None;
    for batch in &scene.meshes {
        for range in &batch.objects {
            if !shows(&range.object_id) {
                continue;
            }
            let Some(indices) = batch.indices.get(range.span()) else {
                continue;
            };
            for triangle in indices.chunks_exact(3) {
                let corner = |i: u32| batch.positions.get(i as usize).copied();
                let (Some(a), Some(b), Some(c)) = (
                    corner(triangle[0]),
                    corner(triangle[1]),
                    corner(triangle[2]),
                ) else {
                    continue;
                };
                if let Some(t) = hit(origin, direction, a, b, c) {
                    let at = [0, 1, 2].map(|k| origin[k] + direction[k] * t);
                    if section.is_some_and(|s| !crate::section::contains(s, at)) {
                        continue;
                    }
                    if nearest.is_none_or(|best| t < best.distance) {
                        nearest = Some(Hit {
                            object_id: &range.object_id,
                            distance: t,
                            point: at,
                            triangle: [a, b, c],
                        });
                    }
                }
            }
        }
    }
    nearest
}

/// The measured point for a hit: the nearest corner of the hit triangle when one lies within
/// `radius` (scene units) of where the ray met it, else the nearest point on an edge within
/// `radius`, else the hit point itself. Measuring between corners gives exact distances.
pub fn snap(hit: &Hit<'_>, radius: f32) -> ([f32; 3], Snap) {
    let [a, b, c] = hit.triangle;
    let corner = [a, b, c]
        .into_iter()
        .map(|p| (distance(p, hit.point), p))
        .min_by(|x, y| x.0.total_cmp(&y.0));
    if let Some((d, p)) = corner {
        if d <= radius {
            return (p, Snap::Vertex);
        }
    }
    let edge = [(a, b), (b, c), (c, a)]
        .into_iter()
        .map(|(from, to)| {
            let p = closest_on_segment(hit.point, from, to);
            (distance(p, hit.point), p)
        })
        .min_by(|x, y| x.0.total_cmp(&y.0));
    if let Some((d, p)) = edge {
        if d <= radius {
            return (p, Snap::Edge);
        }
    }
    (hit.point, Snap::Face)
}

/// The straight distance between two points.
pub fn distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    let d = sub(a, b);
    dot(d, d).sqrt()
}

fn closest_on_segment(p: [f32; 3], from: [f32; 3], to: [f32; 3]) -> [f32; 3] {
    let along = sub(to, from);
    let length = dot(along, along);
    if length <= f32::EPSILON {
        return from;
    }
    let t = (dot(sub(p, from), along) / length).clamp(0.0, 1.0);
    [0, 1, 2].map(|k| from[k] + along[k] * t)
}

/// The box around what `shows` keeps (meshes, lines and points), cut to the section box when
/// there is one: what "fit" frames after hiding or isolating.
pub fn visible_bounds(
    scene: &Scene,
    shows: &dyn Fn(&str) -> bool,
    section: Option<&Bounds>,
) -> Option<Bounds> {
    let mut bounds: Option<Bounds> = None;
    let mut add = |p: &[f32; 3]| Bounds::grow(&mut bounds, p);
    for batch in &scene.meshes {
        for range in batch.objects.iter().filter(|r| shows(&r.object_id)) {
            for &i in batch.indices.get(range.span()).unwrap_or_default() {
                if let Some(p) = batch.positions.get(i as usize) {
                    add(p);
                }
            }
        }
    }
    let ranged = scene
        .lines
        .iter()
        .map(|b| (&b.objects, &b.positions))
        .chain(scene.points.iter().map(|b| (&b.objects, &b.positions)));
    for (objects, positions) in ranged {
        for range in objects.iter().filter(|r| shows(&r.object_id)) {
            for p in positions.get(range.span()).unwrap_or_default() {
                add(p);
            }
        }
    }
    let bounds = bounds?;
    match section {
        None => Some(bounds),
        Some(section) => {
            let min = [0, 1, 2].map(|k| bounds.min[k].max(section.min[k]));
            let max = [0, 1, 2].map(|k| bounds.max[k].min(section.max[k]));
            (0..3)
                .all(|k| min[k] <= max[k])
                .then_some(Bounds { min, max })
        }
    }
}

fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The distance along the ray to triangle `abc` (Möller–Trumbore), either side facing.
fn hit(
    origin: [f32; 3],
    direction: [f32; 3],
    a: [f32; 3],
    b: [f32; 3],
    c: [f32; 3],
) -> Option<f32> {
    let edge1 = sub(b, a);
    let edge2 = sub(c, a);
    let p = cross(direction, edge2);
    let determinant = dot(edge1, p);
    if determinant.abs() < 1e-12 {
        return None;
    }
    let inverse = 1.0 / determinant;
    let s = sub(origin, a);
    let u = dot(s, p) * inverse;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = cross(s, edge1);
    let v = dot(direction, q) * inverse;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = dot(edge2, q) * inverse;
    (t > 0.0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit_at(point: [f32; 3]) -> Hit<'static> {
        Hit {
            object_id: "wall",
            distance: 1.0,
            point,
            triangle: [[0.0, 0.0, 0.0], [6.0, 0.0, 0.0], [0.0, 3.0, 0.0]],
        }
    }

    #[test]
    fn measured_points_snap_to_corners_then_edges() {
        assert_eq!(
            snap(&hit_at([5.9, 0.05, 0.0]), 0.2),
            ([6.0, 0.0, 0.0], Snap::Vertex)
        );
        assert_eq!(
            snap(&hit_at([3.0, 0.1, 0.0]), 0.2),
            ([3.0, 0.0, 0.0], Snap::Edge)
        );
        assert_eq!(
            snap(&hit_at([1.0, 1.0, 0.0]), 0.2),
            ([1.0, 1.0, 0.0], Snap::Face)
        );
        assert_eq!(distance([0.0, 0.0, 0.0], [3.0, 4.0, 0.0]), 5.0);
    }

    #[test]
    fn rays_hit_triangles_in_front_only() {
        let (a, b, c) = ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]);
        assert_eq!(hit([0.2, 0.2, 5.0], [0.0, 0.0, -1.0], a, b, c), Some(5.0));
        assert_eq!(hit([0.2, 0.2, 5.0], [0.0, 0.0, 1.0], a, b, c), None);
        assert_eq!(hit([2.0, 2.0, 5.0], [0.0, 0.0, -1.0], a, b, c), None);
    }
}
