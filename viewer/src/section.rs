//! The section box: only what lies inside an axis-aligned box is drawn and picked, so a user
//! can look into a building. Geometry is cut on the CPU when the box changes, which works the
//! same on every GL context (no clip planes in WebGL2) and in previews.

use crate::scene::{Bounds, MeshBatch};

/// Added vertices of a cut batch, following the batch's own.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CutVertices {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    /// Present when the batch has vertex colours.
    pub colors: Option<Vec<[u8; 4]>>,
}

impl CutVertices {
    /// None yet, for cutting `batch`.
    pub fn for_batch(batch: &MeshBatch) -> Self {
        CutVertices {
            colors: batch.colors.as_ref().map(|_| Vec::new()),
            ..Default::default()
        }
    }
}

/// A batch's triangles `indices` cut by `section` (all of them without one): the indices to
/// draw, into the batch's vertices followed by those in `added`, which gets the new ones.
/// Triangles inside stay as they are; those outside go; those crossing a face are cut along it.
pub fn cut_triangles(
    batch: &MeshBatch,
    indices: &[u32],
    section: Option<&Bounds>,
    added: &mut CutVertices,
) -> Vec<u32> {
    let Some(section) = section else {
        return indices.to_vec();
    };
    let mut kept = Vec::with_capacity(indices.len());
    let first_new = batch.positions.len() as u32;
    for triangle in indices.chunks_exact(3) {
        let corners = [0, 1, 2].map(|k| triangle[k] as usize);
        if corners.iter().any(|&i| i >= batch.positions.len()) {
            continue;
        }
        let positions = corners.map(|i| batch.positions[i]);
        if positions.iter().all(|p| contains(section, *p)) {
            kept.extend_from_slice(triangle);
            continue;
        }
        if all_outside_one_face(section, &positions) {
            continue;
        }
        let polygon: Vec<Vertex> = corners.iter().map(|&i| Vertex::of(batch, i)).collect();
        let cut = clip_polygon(polygon, section);
        if cut.len() < 3 {
            continue;
        }
        let base = first_new + added.positions.len() as u32;
        for vertex in &cut {
            added.positions.push(vertex.position);
            added.normals.push(normalized(vertex.normal));
            if let Some(colors) = &mut added.colors {
                colors.push(vertex.color.map(|c| c.round().clamp(0.0, 255.0) as u8));
            }
        }
        for k in 1..cut.len() as u32 - 1 {
            kept.extend_from_slice(&[base, base + k, base + k + 1]);
        }
    }
    kept
}

/// The part of segment `a`–`b` inside `section`, if any (Liang–Barsky).
pub fn cut_segment(a: [f32; 3], b: [f32; 3], section: &Bounds) -> Option<([f32; 3], [f32; 3])> {
    let (mut enter, mut leave) = (0.0f32, 1.0f32);
    for axis in 0..3 {
        let delta = b[axis] - a[axis];
        for (limit, sign) in [(section.min[axis], -1.0), (section.max[axis], 1.0)] {
            // Inside when sign × (a + t·delta − limit) ≤ 0.
            let p = sign * delta;
            let q = sign * (limit - a[axis]);
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
                continue;
            }
            let t = q / p;
            if p < 0.0 {
                enter = enter.max(t);
            } else {
                leave = leave.min(t);
            }
        }
    }
    (enter <= leave).then(|| (lerp(a, b, enter), lerp(a, b, leave)))
}

pub fn contains(section: &Bounds, p: [f32; 3]) -> bool {
    (0..3).all(|k| p[k] >= section.min[k] && p[k] <= section.max[k])
}

fn all_outside_one_face(section: &Bounds, corners: &[[f32; 3]; 3]) -> bool {
    (0..3).any(|k| {
        corners.iter().all(|p| p[k] < section.min[k])
            || corners.iter().all(|p| p[k] > section.max[k])
    })
}

#[derive(Debug, Clone, Copy)]
struct Vertex {
    position: [f32; 3],
    normal: [f32; 3],
    color: [f32; 4],
}

impl Vertex {
    fn of(batch: &MeshBatch, i: usize) -> Self {
        Vertex {
            position: batch.positions[i],
            normal: batch.normals.get(i).copied().unwrap_or([0.0, 0.0, 1.0]),
            color: batch
                .colors
                .as_ref()
                .and_then(|c| c.get(i))
                .map_or([255.0; 4], |c| c.map(f32::from)),
        }
    }
}

/// Sutherland–Hodgman against the box's six faces.
fn clip_polygon(polygon: Vec<Vertex>, section: &Bounds) -> Vec<Vertex> {
    let planes = (0..3).flat_map(|axis| {
        [
            (axis, section.max[axis], true),
            (axis, section.min[axis], false),
        ]
    });
    clip_convex(polygon, planes)
}

/// A corner of a polygon being clipped.
pub(crate) trait Corner: Copy {
    /// Its coordinate along `axis`.
    fn along(&self, axis: usize) -> f32;
    /// The corner a share `t` of the way to `other`.
    fn towards(&self, other: &Self, t: f32) -> Self;
}

impl Corner for Vertex {
    fn along(&self, axis: usize) -> f32 {
        self.position[axis]
    }

    fn towards(&self, other: &Vertex, t: f32) -> Vertex {
        Vertex {
            position: lerp(self.position, other.position, t),
            normal: lerp(self.normal, other.normal, t),
            color: [0, 1, 2, 3].map(|k| self.color[k] + (other.color[k] - self.color[k]) * t),
        }
    }
}

/// A point on a plane.
impl Corner for [f32; 2] {
    fn along(&self, axis: usize) -> f32 {
        self[axis]
    }

    fn towards(&self, other: &[f32; 2], t: f32) -> [f32; 2] {
        [0, 1].map(|k| self[k] + (other[k] - self[k]) * t)
    }
}

/// The part of a convex polygon on the kept side of each plane `(axis, limit, keep_below)`
/// (Sutherland–Hodgman); fewer than three corners when nothing of it is left.
pub(crate) fn clip_convex<C: Corner>(
    mut polygon: Vec<C>,
    planes: impl IntoIterator<Item = (usize, f32, bool)>,
) -> Vec<C> {
    for (axis, limit, keep_below) in planes {
        let inside = |c: &C| {
            if keep_below {
                c.along(axis) <= limit
            } else {
                c.along(axis) >= limit
            }
        };
        let crossing = |from: &C, to: &C| {
            let t = (limit - from.along(axis)) / (to.along(axis) - from.along(axis));
            from.towards(to, t)
        };
        let mut out = Vec::with_capacity(polygon.len() + 2);
        for (i, current) in polygon.iter().enumerate() {
            let previous = &polygon[(i + polygon.len() - 1) % polygon.len()];
            match (inside(previous), inside(current)) {
                (true, true) => out.push(*current),
                (true, false) => out.push(crossing(previous, current)),
                (false, true) => {
                    out.push(crossing(previous, current));
                    out.push(*current);
                }
                (false, false) => {}
            }
        }
        polygon = out;
        if polygon.len() < 3 {
            return polygon;
        }
    }
    polygon
}

fn lerp(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [0, 1, 2].map(|k| a[k] + (b[k] - a[k]) * t)
}

fn normalized(v: [f32; 3]) -> [f32; 3] {
    let length = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if length > 1e-12 {
        v.map(|c| c / length)
    } else {
        [0.0, 0.0, 1.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Material;

    fn unit_box() -> Bounds {
        Bounds {
            min: [0.0; 3],
            max: [1.0; 3],
        }
    }

    fn batch(positions: Vec<[f32; 3]>, colors: bool) -> MeshBatch {
        MeshBatch {
            material: Material::DEFAULT,
            normals: vec![[0.0, 0.0, 1.0]; positions.len()],
            colors: colors.then(|| vec![[200, 100, 0, 255]; positions.len()]),
            indices: (0..positions.len() as u32).collect(),
            positions,
            objects: Vec::new(),
        }
    }

    fn area(positions: &[[f32; 3]], indices: &[u32]) -> f32 {
        indices
            .chunks_exact(3)
            .map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| positions[t[k] as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum()
    }

    #[test]
    fn triangles_inside_stay_and_triangles_outside_go() {
        let inside = [[0.1, 0.1, 0.5], [0.9, 0.1, 0.5], [0.1, 0.9, 0.5]];
        let outside = [[2.0, 0.1, 0.5], [3.0, 0.1, 0.5], [2.0, 0.9, 0.5]];
        let b = batch([inside, outside].concat(), false);
        let mut added = CutVertices::for_batch(&b);
        let kept = cut_triangles(&b, &b.indices, Some(&unit_box()), &mut added);
        assert_eq!(kept, vec![0, 1, 2]);
        assert!(added.positions.is_empty());
    }

    #[test]
    fn a_crossing_triangle_is_cut_along_the_face_keeping_its_attributes() {
        // A right triangle with legs of 2 in the plane z = 0.5: the box keeps the unit square's
        // part of it, whose area is 1 − (the corner beyond x + y = 2, none) = 1.
        let b = batch(
            vec![[0.0, 0.0, 0.5], [2.0, 0.0, 0.5], [0.0, 2.0, 0.5]],
            true,
        );
        let mut added = CutVertices::for_batch(&b);
        let kept = cut_triangles(&b, &b.indices, Some(&unit_box()), &mut added);
        let positions = [b.positions.clone(), added.positions.clone()].concat();
        assert!((area(&positions, &kept) - 1.0).abs() < 1e-5);
        assert!(kept.iter().all(|&i| i >= 3), "only new vertices are used");
        assert!(added.positions.iter().all(|p| contains(&unit_box(), *p)));
        assert_eq!(added.normals[0], [0.0, 0.0, 1.0]);
        assert_eq!(added.colors.unwrap()[0], [200, 100, 0, 255]);
    }

    #[test]
    fn segments_are_cut_to_the_box() {
        let section = unit_box();
        assert_eq!(
            cut_segment([-1.0, 0.5, 0.5], [2.0, 0.5, 0.5], &section),
            Some(([0.0, 0.5, 0.5], [1.0, 0.5, 0.5]))
        );
        assert_eq!(
            cut_segment([2.0, 0.5, 0.5], [3.0, 0.5, 0.5], &section),
            None
        );
        assert_eq!(
            cut_segment([0.2, 0.2, 0.2], [0.3, 0.3, 0.3], &section),
            Some(([0.2, 0.2, 0.2], [0.3, 0.3, 0.3]))
        );
    }
}
