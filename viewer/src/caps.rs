//! Section caps: where the section box cuts through a closed object, the cut is filled, so a
//! wall reads as solid rather than as a hollow shell. For each face of the box, the object's
//! triangles crossing the face's plane give segments; joined end to end they make closed
//! outlines, which are filled even-odd (an outline inside another is a hole, as in a pipe) and
//! trimmed to the face's rectangle. Objects that are not closed give open chains and no cap.

use std::ops::Range;

use crate::scene::{Bounds, MeshBatch};
use crate::section::{clip_convex, CutVertices};

/// The caps of the objects whose triangles are `spans` of `batch` on the faces of `section`,
/// appended to `added` (flat, facing out of the box, in the colour of the cut) as triangles
/// indexing the batch's vertices followed by `added`'s.
pub fn cap_triangles(
    batch: &MeshBatch,
    spans: impl Iterator<Item = Range<usize>>,
    section: &Bounds,
    added: &mut CutVertices,
) -> Vec<u32> {
    let mut triangles = Vec::new();
    let mut work = Work::default();
    for span in spans {
        let indices = batch.indices.get(span).unwrap_or_default();
        let Some(extent) = extent(batch, indices) else {
            continue;
        };
        for face in Face::all(section) {
            // Only a plane passing through the object can cut it.
            if face.value <= extent.min[face.axis] || face.value >= extent.max[face.axis] {
                continue;
            }
            face.segments(batch, indices, &mut work.segments);
            if work.segments.is_empty() {
                continue;
            }
            for outline in face.fill(&mut work) {
                face.emit(&outline, section, batch, added, &mut triangles);
            }
        }
    }
    triangles
}

/// Buffers reused from face to face.
#[derive(Default)]
struct Work {
    segments: Vec<Segment>,
    ends: Vec<(Key, usize)>,
    earcut: earcut::Earcut<f32>,
}

/// A closed outline's points, with its colour.
type Ring = (Vec<[f32; 2]>, Option<[u8; 4]>);

/// A filled outline: its points (the outline's, then its holes'), triangles over them, and its
/// colour.
struct Filled {
    points: Vec<[f32; 2]>,
    triangles: Vec<u32>,
    color: Option<[u8; 4]>,
}

/// One face of the section box: the plane `axis = value`, outward along `+axis` (`outward`
/// 1) or `−axis` (−1).
struct Face {
    axis: usize,
    value: f32,
    outward: f32,
}

/// A point on a face, in its two other axes, as bits: the same edge cut from either of its
/// triangles gives the same bits.
type Key = [u32; 2];

struct Segment {
    ends: [[f32; 2]; 2],
    /// The colour of the cut triangle's first corner, when the batch has vertex colours.
    color: Option<[u8; 4]>,
}

impl Face {
    fn all(section: &Bounds) -> [Face; 6] {
        [0, 1, 2, 3, 4, 5].map(|n| {
            let axis = n / 2;
            let (value, outward) = if n % 2 == 0 {
                (section.min[axis], -1.0)
            } else {
                (section.max[axis], 1.0)
            };
            Face {
                axis,
                value,
                outward,
            }
        })
    }

    /// The two axes a point on the face is given in.
    fn plane_axes(&self) -> [usize; 2] {
        [(self.axis + 1) % 3, (self.axis + 2) % 3]
    }

    /// Where `triangles` cross the face's plane. A corner on the plane counts as above it, so
    /// triangles sharing it agree.
    fn segments(&self, batch: &MeshBatch, triangles: &[u32], segments: &mut Vec<Segment>) {
        let [u, v] = self.plane_axes();
        segments.clear();
        for triangle in triangles.chunks_exact(3) {
            let [Some(&p0), Some(&p1), Some(&p2)] =
                [0, 1, 2].map(|k| batch.positions.get(triangle[k] as usize))
            else {
                continue;
            };
            let corners = [p0, p1, p2];
            let above = corners.map(|p| p[self.axis] >= self.value);
            if above[0] == above[1] && above[1] == above[2] {
                continue;
            }
            // Two of the three edges cross the plane.
            let mut ends = [[0.0; 2]; 2];
            let mut found = 0;
            for (a, b) in [(0, 1), (1, 2), (2, 0)] {
                if above[a] != above[b] && found < 2 {
                    let at = self.crossing(corners[a], corners[b]);
                    ends[found] = [at[u], at[v]];
                    found += 1;
                }
            }
            // A corner on the plane gives a point, not a segment.
            if key(ends[0]) != key(ends[1]) {
                let color = batch
                    .colors
                    .as_ref()
                    .and_then(|c| c.get(triangle[0] as usize))
                    .copied();
                segments.push(Segment { ends, color });
            }
        }
    }

    /// Where edge `p`–`q` crosses the plane, computed from its lower end so that both triangles
    /// of the edge give exactly the same point.
    fn crossing(&self, p: [f32; 3], q: [f32; 3]) -> [f32; 3] {
        let (from, to) = if lexically_before(p, q) {
            (p, q)
        } else {
            (q, p)
        };
        let t = (self.value - from[self.axis]) / (to[self.axis] - from[self.axis]);
        let mut at = [0, 1, 2].map(|k| from[k] + (to[k] - from[k]) * t);
        at[self.axis] = self.value;
        at
    }

    /// The segments joined into closed outlines, filled even-odd: each outline with the holes
    /// directly inside it.
    fn fill(&self, work: &mut Work) -> Vec<Filled> {
        let loops = closed_loops(&work.segments, &mut work.ends);
        let depth: Vec<usize> = loops
            .iter()
            .enumerate()
            .map(|(i, (ring, _))| {
                loops
                    .iter()
                    .enumerate()
                    .filter(|&(j, (other, _))| j != i && inside(ring[0], other))
                    .count()
            })
            .collect();
        let mut filled = Vec::new();
        for (i, (outer, color)) in loops.iter().enumerate() {
            if depth[i] % 2 == 1 {
                continue;
            }
            let mut points = outer.clone();
            let mut holes = Vec::new();
            for (j, (hole, _)) in loops.iter().enumerate() {
                if depth[j] == depth[i] + 1 && inside(hole[0], outer) {
                    holes.push(points.len() as u32);
                    points.extend_from_slice(hole);
                }
            }
            let mut triangles = Vec::new();
            work.earcut
                .earcut(points.iter().copied(), &holes, &mut triangles);
            filled.push(Filled {
                points,
                triangles,
                color: *color,
            });
        }
        filled
    }

    /// Adds a filled outline, trimmed to the face's rectangle, to `added` and `triangles`.
    fn emit(
        &self,
        filled: &Filled,
        section: &Bounds,
        batch: &MeshBatch,
        added: &mut CutVertices,
        triangles: &mut Vec<u32>,
    ) {
        let [u, v] = self.plane_axes();
        let rectangle = [
            (section.min[u], section.max[u]),
            (section.min[v], section.max[v]),
        ];
        let within =
            |p: &[f32; 2]| (0..2).all(|k| p[k] >= rectangle[k].0 && p[k] <= rectangle[k].1);
        let planes = [0, 1].map(|k| [(k, rectangle[k].1, true), (k, rectangle[k].0, false)]);
        // Most outlines lie within the face: their triangles are kept whole.
        if filled.points.iter().all(within) {
            let base = self.add_points(&filled.points, filled.color, batch, added);
            triangles.extend(filled.triangles.iter().map(|&i| base + i));
            return;
        }
        for corners in filled.triangles.chunks_exact(3) {
            let triangle = corners.iter().map(|&i| filled.points[i as usize]).collect();
            let polygon = clip_convex(triangle, planes.into_iter().flatten());
            if polygon.len() < 3 {
                continue;
            }
            let base = self.add_points(&polygon, filled.color, batch, added);
            for k in 1..polygon.len() as u32 - 1 {
                triangles.extend_from_slice(&[base, base + k, base + k + 1]);
            }
        }
    }

    /// Adds `points` of the face as vertices facing out of the box; the index of the first.
    fn add_points(
        &self,
        points: &[[f32; 2]],
        color: Option<[u8; 4]>,
        batch: &MeshBatch,
        added: &mut CutVertices,
    ) -> u32 {
        let [u, v] = self.plane_axes();
        let mut normal = [0.0; 3];
        normal[self.axis] = self.outward;
        let base = (batch.positions.len() + added.positions.len()) as u32;
        for point in points {
            let mut position = [0.0; 3];
            position[self.axis] = self.value;
            position[u] = point[0];
            position[v] = point[1];
            added.positions.push(position);
            added.normals.push(normal);
            if let Some(colors) = &mut added.colors {
                colors.push(color.unwrap_or([255; 4]));
            }
        }
        base
    }
}

/// The box around an object's triangles; `None` without any.
fn extent(batch: &MeshBatch, triangles: &[u32]) -> Option<Bounds> {
    let mut extent = None;
    for p in triangles
        .iter()
        .filter_map(|&i| batch.positions.get(i as usize))
    {
        Bounds::grow(&mut extent, p);
    }
    extent
}

fn key(p: [f32; 2]) -> Key {
    // +0.0 and −0.0 are one point.
    p.map(|c| (c + 0.0).to_bits())
}

fn lexically_before(p: [f32; 3], q: [f32; 3]) -> bool {
    p.iter()
        .zip(&q)
        .find(|(a, b)| a != b)
        .is_some_and(|(a, b)| a < b)
}

/// The segments joined at shared ends into closed rings, each with the colour of its first
/// segment; chains that do not close (open meshes) are left out.
fn closed_loops(segments: &[Segment], ends: &mut Vec<(Key, usize)>) -> Vec<Ring> {
    // Every segment end, sorted by point: the segments at a point are found by binary search.
    ends.clear();
    for (i, segment) in segments.iter().enumerate() {
        ends.extend(segment.ends.map(|end| (key(end), i)));
    }
    ends.sort_unstable();
    let mut used = vec![false; segments.len()];
    let mut loops = Vec::new();
    for first in 0..segments.len() {
        if used[first] {
            continue;
        }
        used[first] = true;
        let [start, mut end] = segments[first].ends;
        let mut ring = vec![start];
        let closed = loop {
            if key(end) == key(start) {
                break true;
            }
            ring.push(end);
            let here = key(end);
            let from = ends.partition_point(|(k, _)| *k < here);
            let next = ends[from..]
                .iter()
                .take_while(|(k, _)| *k == here)
                .map(|&(_, s)| s)
                .find(|&s| !used[s]);
            let Some(next) = next else {
                break false;
            };
            used[next] = true;
            let [a, b] = segments[next].ends;
            end = if key(a) == key(end) { b } else { a };
        };
        if closed && ring.len() >= 3 {
            loops.push((ring, segments[first].color));
        }
    }
    loops
}

/// Whether `p` lies inside the ring (crossing count).
fn inside(p: [f32; 2], ring: &[[f32; 2]]) -> bool {
    let mut inside = false;
    let mut previous = ring[ring.len() - 1];
    for &current in ring {
        if (current[1] > p[1]) != (previous[1] > p[1]) {
            let x = previous[0]
                + (p[1] - previous[1]) * (current[0] - previous[0]) / (current[1] - previous[1]);
            if p[0] < x {
                inside = !inside;
            }
        }
        previous = current;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Material;

    /// A closed axis-aligned box from `min` to `max` (12 triangles), as one batch.
    fn closed_box(min: [f32; 3], max: [f32; 3]) -> MeshBatch {
        let corner = |i: usize| [0, 1, 2].map(|k| if i >> k & 1 == 1 { max[k] } else { min[k] });
        let positions: Vec<[f32; 3]> = (0..8).map(corner).collect();
        let quads = [
            [0, 2, 3, 1],
            [4, 5, 7, 6],
            [0, 1, 5, 4],
            [2, 6, 7, 3],
            [0, 4, 6, 2],
            [1, 3, 7, 5],
        ];
        let indices = quads
            .iter()
            .flat_map(|q| [q[0], q[1], q[2], q[0], q[2], q[3]])
            .collect();
        MeshBatch {
            material: Material::DEFAULT,
            normals: vec![[0.0, 0.0, 1.0]; positions.len()],
            colors: None,
            indices,
            positions,
            objects: Vec::new(),
        }
    }

    /// Two batches' triangles as one object.
    fn merged(outer: MeshBatch, inner: MeshBatch) -> MeshBatch {
        let offset = outer.positions.len() as u32;
        let mut batch = outer;
        batch.positions.extend(inner.positions);
        batch.normals.extend(inner.normals);
        batch
            .indices
            .extend(inner.indices.iter().map(|i| i + offset));
        batch
    }

    fn area_on(face_axis: usize, positions: &[[f32; 3]], triangles: &[u32]) -> f32 {
        let [u, v] = [(face_axis + 1) % 3, (face_axis + 2) % 3];
        triangles
            .chunks_exact(3)
            .map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| positions[t[k] as usize]);
                ((b[u] - a[u]) * (c[v] - a[v]) - (c[u] - a[u]) * (b[v] - a[v])).abs() / 2.0
            })
            .sum()
    }

    fn caps(batch: &MeshBatch, section: &Bounds) -> (Vec<[f32; 3]>, Vec<u32>, CutVertices) {
        let mut added = CutVertices::for_batch(batch);
        let triangles = cap_triangles(
            batch,
            std::iter::once(0..batch.indices.len()),
            section,
            &mut added,
        );
        let positions = [batch.positions.clone(), added.positions.clone()].concat();
        (positions, triangles, added)
    }

    #[test]
    fn a_wall_cut_by_the_box_is_capped_where_it_is_cut() {
        // A wall 4 m long, 0.2 m thick, 3 m high; the box cuts it at x = 1.5.
        let wall = closed_box([0.0, 0.0, 0.0], [4.0, 0.2, 3.0]);
        let section = Bounds {
            min: [-1.0, -1.0, -1.0],
            max: [1.5, 1.0, 5.0],
        };
        let (positions, triangles, added) = caps(&wall, &section);
        assert!((area_on(0, &positions, &triangles) - 0.6).abs() < 1e-5);
        assert!(added.positions.iter().all(|p| p[0] == 1.5));
        assert!(
            added.normals.iter().all(|n| *n == [1.0, 0.0, 0.0]),
            "facing out"
        );
    }

    #[test]
    fn a_cap_is_trimmed_to_the_box_and_holes_stay_open() {
        // A 1 × 1 × 2 m block with a closed 0.5 × 0.5 × 1 m cavity in its middle, cut across
        // at z = 1: a ring.
        let block = merged(
            closed_box([0.0, 0.0, 0.0], [1.0, 1.0, 2.0]),
            closed_box([0.25, 0.25, 0.5], [0.75, 0.75, 1.5]),
        );
        let whole = Bounds {
            min: [-1.0, -1.0, -1.0],
            max: [2.0, 2.0, 1.0],
        };
        let (positions, triangles, _) = caps(&block, &whole);
        assert!(
            (area_on(2, &positions, &triangles) - 0.75).abs() < 1e-5,
            "ring"
        );
        // Keeping y < 0.5 as well: half the ring at z = 1, and at y = 0.5 the block's 1 × 1 m
        // below z = 1 less the cavity's 0.5 × 0.5 m.
        let half = Bounds {
            min: [-1.0, -1.0, -1.0],
            max: [2.0, 0.5, 1.0],
        };
        let (positions, triangles, _) = caps(&block, &half);
        let on = |axis, value| triangles_on(axis, value, &positions, &triangles);
        let top = area_on(2, &positions, &on(2, 1.0));
        assert!((top - 0.375).abs() < 1e-5, "{top}");
        let side = area_on(1, &positions, &on(1, 0.5));
        assert!((side - 0.75).abs() < 1e-5, "{side}");
    }

    fn triangles_on(
        axis: usize,
        value: f32,
        positions: &[[f32; 3]],
        triangles: &[u32],
    ) -> Vec<u32> {
        triangles
            .chunks_exact(3)
            .filter(|t| t.iter().all(|&i| positions[i as usize][axis] == value))
            .flatten()
            .copied()
            .collect()
    }

    #[test]
    fn objects_inside_the_box_and_open_surfaces_get_no_cap() {
        let inside = closed_box([0.0; 3], [1.0; 3]);
        let section = Bounds {
            min: [-1.0; 3],
            max: [2.0; 3],
        };
        assert!(caps(&inside, &section).1.is_empty());
        // One face of a box alone: cut, it is a line, not an outline.
        let mut sheet = closed_box([0.0; 3], [1.0; 3]);
        sheet.indices.truncate(6);
        let across = Bounds {
            min: [-1.0; 3],
            max: [0.5, 2.0, 2.0],
        };
        assert!(caps(&sheet, &across).1.is_empty());
    }
}
