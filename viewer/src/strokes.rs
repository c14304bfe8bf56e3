//! Lines as thin square tubes and points as small diamonds. WebGL draws 1-pixel lines and points
//! at best, so curves, polylines, points and the ground grid become triangles a renderer draws
//! like any mesh, visible from every side.

use crate::batches::Bounds;

/// Triangles: positions and, for each triangle, three indices into them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Strokes {
    pub positions: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
}

impl Strokes {
    /// Adds the segment `a`–`b` as a square tube `width` wide (8 triangles). Zero-length
    /// segments add nothing.
    pub fn segment(&mut self, a: [f32; 3], b: [f32; 3], width: f32) {
        let along = sub(b, a);
        let length = norm(along);
        if length <= f32::EPSILON || !length.is_finite() {
            return;
        }
        let direction = scale(along, 1.0 / length);
        // Any vector not parallel to the segment gives the tube's two sides.
        let helper = if direction[2].abs() < 0.9 {
            [0.0, 0.0, 1.0]
        } else {
            [1.0, 0.0, 0.0]
        };
        let side = scale(normalize(cross(direction, helper)), width / 2.0);
        let up = scale(normalize(cross(side, direction)), width / 2.0);
        let first = self.positions.len() as u32;
        for end in [a, b] {
            for (s, u) in [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
                self.positions
                    .push(add(end, add(scale(side, s), scale(up, u))));
            }
        }
        // Four faces, each two triangles between the ring at `a` (0..4) and at `b` (4..8).
        for k in 0..4u32 {
            let (i, j) = (k, (k + 1) % 4);
            self.indices.extend_from_slice(&[
                first + i,
                first + j,
                first + 4 + j,
                first + i,
                first + 4 + j,
                first + 4 + i,
            ]);
        }
    }

    /// Adds a point as a diamond (octahedron) `size` across: 6 corners, 8 triangles.
    pub fn point(&mut self, p: [f32; 3], size: f32) {
        if !p.iter().all(|v| v.is_finite()) {
            return;
        }
        let r = size / 2.0;
        let first = self.positions.len() as u32;
        for offset in [
            [r, 0.0, 0.0],
            [-r, 0.0, 0.0],
            [0.0, r, 0.0],
            [0.0, -r, 0.0],
            [0.0, 0.0, r],
            [0.0, 0.0, -r],
        ] {
            self.positions.push(add(p, offset));
        }
        // Each face joins one corner on X, one on Y and one on Z.
        for (x, y, z) in [
            (0, 2, 4),
            (2, 1, 4),
            (1, 3, 4),
            (3, 0, 4),
            (2, 0, 5),
            (1, 2, 5),
            (3, 1, 5),
            (0, 3, 5),
        ] {
            self.indices
                .extend_from_slice(&[first + x, first + y, first + z]);
        }
    }

    /// The twelve edges of `bounds`, `width` wide.
    pub fn box_edges(bounds: &Bounds, width: f32) -> Strokes {
        let corner = |i: usize| {
            [0, 1, 2].map(|k| {
                if i >> k & 1 == 1 {
                    bounds.max[k]
                } else {
                    bounds.min[k]
                }
            })
        };
        let mut edges = Strokes::default();
        for from in 0..8 {
            for axis in 0..3 {
                // Each edge once: from the corner at the axis's low end.
                if from >> axis & 1 == 0 {
                    edges.segment(corner(from), corner(from | 1 << axis), width);
                }
            }
        }
        edges
    }

    /// A square grid in the plane just under `bounds`, a little larger than its footprint, with
    /// lines at a round spacing (1, 2 or 5 × a power of ten) giving about 20 cells across.
    pub fn ground_grid(bounds: &Bounds) -> Strokes {
        let size = bounds.size();
        let span = size[0].max(size[1]).max(1e-3) * 1.4;
        let step = round_step(span / 20.0);
        let centre = bounds.center();
        let half = (span / 2.0 / step).ceil() * step;
        let (cx, cy) = (
            (centre[0] / step).round() * step,
            (centre[1] / step).round() * step,
        );
        let z = bounds.min[2] - span * 0.002;
        let width = span * 0.0015;
        let mut grid = Strokes::default();
        let lines = (2.0 * half / step).round() as i32;
        for n in 0..=lines {
            let offset = -half + n as f32 * step;
            grid.segment(
                [cx + offset, cy - half, z],
                [cx + offset, cy + half, z],
                width,
            );
            grid.segment(
                [cx - half, cy + offset, z],
                [cx + half, cy + offset, z],
                width,
            );
        }
        grid
    }
}

/// The nearest of 1, 2 or 5 × 10ⁿ at or above `raw`.
fn round_step(raw: f32) -> f32 {
    let power = 10f32.powf(raw.max(1e-6).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

fn add(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn scale(a: [f32; 3], k: f32) -> [f32; 3] {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: [f32; 3]) -> f32 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

fn normalize(a: [f32; 3]) -> [f32; 3] {
    scale(a, 1.0 / norm(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_becomes_a_tube_around_it() {
        let mut strokes = Strokes::default();
        strokes.segment([0.0, 0.0, 0.0], [10.0, 0.0, 0.0], 0.2);
        assert_eq!(strokes.positions.len(), 8);
        assert_eq!(strokes.indices.len(), 24);
        for p in &strokes.positions {
            assert!(p[0] == 0.0 || p[0] == 10.0);
            assert!((p[1].abs() - 0.1).abs() < 1e-6 && (p[2].abs() - 0.1).abs() < 1e-6);
        }
        assert!(strokes.indices.iter().all(|&i| i < 8));
    }

    #[test]
    fn a_box_has_twelve_edges_along_its_sides() {
        let bounds = Bounds {
            min: [0.0; 3],
            max: [1.0, 2.0, 3.0],
        };
        let edges = Strokes::box_edges(&bounds, 0.01);
        assert_eq!(edges.positions.len(), 12 * 8);
        for tube in edges.positions.chunks_exact(8) {
            let centre = |k: usize| tube.iter().map(|p| p[k]).sum::<f32>() / 8.0;
            let lengthwise = (0..3).filter(|&k| {
                let (lo, hi) = (bounds.min[k], bounds.max[k]);
                (centre(k) - (lo + hi) / 2.0).abs() < 1e-4
            });
            assert_eq!(lengthwise.count(), 1, "runs along one axis: {tube:?}");
        }
    }

    #[test]
    fn vertical_and_empty_segments_are_handled() {
        let mut strokes = Strokes::default();
        strokes.segment([0.0; 3], [0.0, 0.0, 5.0], 0.1);
        assert!(strokes
            .positions
            .iter()
            .all(|p| p.iter().all(|v| v.is_finite())));
        strokes.segment([1.0; 3], [1.0; 3], 0.1);
        assert_eq!(strokes.positions.len(), 8);
    }

    #[test]
    fn a_point_becomes_a_diamond_around_it() {
        let mut strokes = Strokes::default();
        strokes.point([1.0, 2.0, 3.0], 0.5);
        assert_eq!(strokes.positions.len(), 6);
        assert_eq!(strokes.indices.len(), 24);
        assert!(strokes.positions.contains(&[1.25, 2.0, 3.0]));
        assert!(strokes.positions.contains(&[1.0, 2.0, 2.75]));
        strokes.point([f32::NAN, 0.0, 0.0], 0.5);
        assert_eq!(strokes.positions.len(), 6);
    }

    #[test]
    fn grid_steps_are_round_and_cover_the_model() {
        assert_eq!(round_step(0.7), 1.0);
        assert_eq!(round_step(1.3), 2.0);
        assert_eq!(round_step(31.0), 50.0);
        let bounds = Bounds {
            min: [0.0, 0.0, 2.0],
            max: [100.0, 40.0, 10.0],
        };
        let grid = Strokes::ground_grid(&bounds);
        assert!(!grid.positions.is_empty());
        let (min_x, max_x) = grid
            .positions
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), p| {
                (lo.min(p[0]), hi.max(p[0]))
            });
        assert!(min_x < 0.0 && max_x > 100.0);
        assert!(grid.positions.iter().all(|p| p[2] < 2.0));
    }
}
