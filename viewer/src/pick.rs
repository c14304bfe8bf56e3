//! Finding the object under the pointer: a ray from the camera against the scene's triangles,
//! on the CPU, so it needs no GPU read-back and works the same everywhere.

use crate::scene::{Bounds, Scene};

/// The box around one object's triangles, to zoom to it.
pub fn object_bounds(scene: &Scene, object_id: &str) -> Option<Bounds> {
    let mut bounds: Option<Bounds> = None;
    for batch in &scene.meshes {
        for range in batch.objects.iter().filter(|r| r.object_id == object_id) {
            for &i in batch.indices.get(range.span()).unwrap_or_default() {
                let Some(p) = batch.positions.get(i as usize) else {
                    continue;
                };
                let b = bounds.get_or_insert(Bounds { min: *p, max: *p });
                for (axis, value) in p.iter().enumerate() {
                    b.min[axis] = b.min[axis].min(*value);
                    b.max[axis] = b.max[axis].max(*value);
                }
            }
        }
    }
    bounds
}

/// The nearest object the ray from `origin` along `direction` hits, among those `shows` keeps,
/// inside the section box when there is one.
pub fn pick<'a>(
    scene: &'a Scene,
    origin: [f32; 3],
    direction: [f32; 3],
    shows: &dyn Fn(&str) -> bool,
    section: Option<&Bounds>,
) -> Option<&'a str> {
    let mut nearest: Option<(f32, &str)> = None;
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
                    if nearest.is_none_or(|(best, _)| t < best) {
                        nearest = Some((t, &range.object_id));
                    }
                }
            }
        }
    }
    nearest.map(|(_, id)| id)
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
    use super::hit;

    #[test]
    fn rays_hit_triangles_in_front_only() {
        let (a, b, c) = ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]);
        assert_eq!(hit([0.2, 0.2, 5.0], [0.0, 0.0, -1.0], a, b, c), Some(5.0));
        assert_eq!(hit([0.2, 0.2, 5.0], [0.0, 0.0, 1.0], a, b, c), None);
        assert_eq!(hit([2.0, 2.0, 5.0], [0.0, 0.0, -1.0], a, b, c), None);
    }
}
