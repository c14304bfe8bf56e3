//! Splitting mesh faces (n-gons) into triangles.
//!
//! A fan from the first vertex is wrong for concave faces, so faces of five or more vertices are
//! ear-clipped on their projection onto their best-fit (Newell) plane; quads take whichever
//! diagonal stays inside. Triangles keep the face's winding, so normals keep facing out.
//! An n-gon always yields n − 2 triangles: degenerate or self-intersecting faces fall back to
//! clipping any convex corner, then to a fan, rather than losing area.

use crate::math::{cross, dot, normalize, perpendicular, sub, Vec3};

/// Buffers reused from face to face.
#[derive(Debug, Default)]
pub(crate) struct Triangulator {
    projected: Vec<[f64; 2]>,
    prev: Vec<usize>,
    next: Vec<usize>,
}

impl Triangulator {
    /// Appends triangles covering `polygon` (indices into `positions`, in order) to `out`.
    /// Indices must be in range; fewer than three vertices give nothing.
    pub(crate) fn triangulate(
        &mut self,
        positions: &[Vec3],
        polygon: &[u32],
        out: &mut Vec<[u32; 3]>,
    ) {
        let n = polygon.len();
        if n < 3 {
            return;
        }
        if n == 3 {
            out.push([polygon[0], polygon[1], polygon[2]]);
            return;
        }
        let point = |k: usize| positions[polygon[k] as usize];
        let Some(normal) = newell_normal(n, point) else {
            fan(polygon, out);
            return;
        };
        if n == 4 {
            quad(polygon, normal, point, out);
            return;
        }
        // Project onto the plane with axes (u, v) such that u × v = normal: seen from the
        // normal's side, the face winds counter-clockwise.
        let u = perpendicular(normal);
        let v = cross(normal, u);
        let origin = point(0);
        self.projected.clear();
        self.projected.extend((0..n).map(|k| {
            let d = sub(point(k), origin);
            [dot(d, u), dot(d, v)]
        }));
        self.clip_ears(polygon, out);
    }

    fn clip_ears(&mut self, polygon: &[u32], out: &mut Vec<[u32; 3]>) {
        let n = polygon.len();
        self.prev.clear();
        self.prev.extend((0..n).map(|k| (k + n - 1) % n));
        self.next.clear();
        self.next.extend((0..n).map(|k| (k + 1) % n));
        let epsilon = area_epsilon(&self.projected);

        let mut remaining = n;
        let mut corner = 0;
        let mut misses = 0;
        let mut relaxed = false;
        while remaining > 3 {
            let (a, c) = (self.prev[corner], self.next[corner]);
            if self.is_ear(a, corner, c, epsilon, relaxed) {
                out.push([polygon[a], polygon[corner], polygon[c]]);
                self.next[a] = c;
                self.prev[c] = a;
                remaining -= 1;
                corner = c;
                misses = 0;
                relaxed = false;
                continue;
            }
            corner = self.next[corner];
            misses += 1;
            if misses >= remaining {
                if relaxed {
                    // Nothing convex left: the rest is flat or tangled; cover it with a fan.
                    let mut rest = Vec::with_capacity(remaining);
                    let mut k = corner;
                    for _ in 0..remaining {
                        rest.push(polygon[k]);
                        k = self.next[k];
                    }
                    fan(&rest, out);
                    return;
                }
                relaxed = true;
                misses = 0;
            }
        }
        out.push([
            polygon[self.prev[corner]],
            polygon[corner],
            polygon[self.next[corner]],
        ]);
    }

    /// Whether the corner `b` (between `a` and `c`) can be cut off: it turns left and, unless
    /// `relaxed`, no other vertex lies in or on the triangle.
    fn is_ear(&self, a: usize, b: usize, c: usize, epsilon: f64, relaxed: bool) -> bool {
        let p = &self.projected;
        if turn(p[a], p[b], p[c]) <= epsilon {
            return false;
        }
        if relaxed {
            return true;
        }
        let mut k = self.next[c];
        while k != a {
            let q = p[k];
            let on_corner = q == p[a] || q == p[b] || q == p[c];
            if !on_corner
                && turn(p[a], p[b], q) >= -epsilon
                && turn(p[b], p[c], q) >= -epsilon
                && turn(p[c], p[a], q) >= -epsilon
            {
                return false;
            }
            k = self.next[k];
        }
        true
    }
}

/// The face normal from Newell's method: robust for non-planar and concave faces, pointing the
/// way the face winds counter-clockwise. `None` for faces without area.
fn newell_normal(n: usize, point: impl Fn(usize) -> Vec3) -> Option<Vec3> {
    // Relative to the first vertex, so far-away coordinates do not cancel each other out.
    let origin = point(0);
    let mut sum = [0.0; 3];
    let mut previous = [0.0; 3];
    for k in 1..n {
        let current = sub(point(k), origin);
        let c = cross(previous, current);
        sum = [sum[0] + c[0], sum[1] + c[1], sum[2] + c[2]];
        previous = current;
    }
    normalize(sum)
}

/// A quad has at most one reflex corner; the diagonal through it is the one that stays inside.
fn quad(polygon: &[u32], normal: Vec3, point: impl Fn(usize) -> Vec3, out: &mut Vec<[u32; 3]>) {
    let (a, b, c, d) = (point(0), point(1), point(2), point(3));
    let ac = sub(c, a);
    let first = dot(cross(sub(b, a), ac), normal);
    let second = dot(cross(ac, sub(d, a)), normal);
    let [i0, i1, i2, i3] = [polygon[0], polygon[1], polygon[2], polygon[3]];
    if first > 0.0 && second > 0.0 {
        out.extend([[i0, i1, i2], [i0, i2, i3]]);
    } else {
        out.extend([[i1, i2, i3], [i1, i3, i0]]);
    }
}

fn fan(polygon: &[u32], out: &mut Vec<[u32; 3]>) {
    out.extend(polygon.windows(2).skip(1).map(|w| [polygon[0], w[0], w[1]]));
}

/// Twice the signed area of triangle abc: positive when it turns left.
fn turn(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

/// Areas below this count as zero: relative to the face's size, so units do not matter.
fn area_epsilon(points: &[[f64; 2]]) -> f64 {
    let extent = points
        .iter()
        .flat_map(|p| p.iter())
        .fold(0.0f64, |m, c| m.max(c.abs()));
    extent * extent * 1e-12
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triangulate(positions: &[Vec3], polygon: &[u32]) -> Vec<[u32; 3]> {
        let mut out = Vec::new();
        Triangulator::default().triangulate(positions, polygon, &mut out);
        out
    }

    fn flat(points: &[[f64; 2]]) -> Vec<Vec3> {
        points.iter().map(|p| [p[0], p[1], 0.0]).collect()
    }

    fn signed_area(points: &[Vec3], triangle: [u32; 3]) -> f64 {
        let [a, b, c] = triangle.map(|i| points[i as usize]);
        turn([a[0], a[1]], [b[0], b[1]], [c[0], c[1]]) / 2.0
    }

    fn polygon_area(points: &[Vec3]) -> f64 {
        (0..points.len())
            .map(|k| {
                let (a, b) = (points[k], points[(k + 1) % points.len()]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum::<f64>()
            / 2.0
    }

    fn inside(points: &[Vec3], q: [f64; 2]) -> bool {
        let mut inside = false;
        let mut j = points.len() - 1;
        for i in 0..points.len() {
            let (a, b) = (points[i], points[j]);
            if (a[1] > q[1]) != (b[1] > q[1])
                && q[0] < (b[0] - a[0]) * (q[1] - a[1]) / (b[1] - a[1]) + a[0]
            {
                inside = !inside;
            }
            j = i;
        }
        inside
    }

    /// Every triangle winds like the polygon, lies inside it, and together they cover its area.
    fn assert_covers(points: &[Vec3], triangles: &[[u32; 3]]) {
        assert_eq!(triangles.len(), points.len() - 2);
        let total: f64 = triangles.iter().map(|&t| signed_area(points, t)).sum();
        assert!((total - polygon_area(points)).abs() < 1e-9, "area {total}");
        for &t in triangles {
            assert!(signed_area(points, t) > 0.0, "{t:?} flipped or empty");
            let [a, b, c] = t.map(|i| points[i as usize]);
            let centroid = [(a[0] + b[0] + c[0]) / 3.0, (a[1] + b[1] + c[1]) / 3.0];
            assert!(inside(points, centroid), "{t:?} outside the polygon");
        }
    }

    #[test]
    fn concave_pentagon_stays_inside() {
        // An arrowhead: the notch at (2, 1) makes a fan from vertex 0 spill outside.
        let points = flat(&[[0.0, 0.0], [4.0, 0.0], [4.0, 3.0], [2.0, 1.0], [0.0, 3.0]]);
        let triangles = triangulate(&points, &[0, 1, 2, 3, 4]);
        assert_covers(&points, &triangles);
        // The same face started at another vertex, where a fan would go wrong.
        let rotated = [3, 4, 0, 1, 2].map(|i| points[i]);
        let triangles = triangulate(&rotated, &[0, 1, 2, 3, 4]);
        assert_covers(&rotated, &triangles);
    }

    #[test]
    fn concave_quad_uses_the_inner_diagonal() {
        // A dart whose reflex corner is vertex 2: the diagonal 0–2 is the inner one.
        let points = flat(&[[0.0, 0.0], [3.0, 1.0], [1.0, 1.0], [0.0, 3.0]]);
        assert_covers(&points, &triangulate(&points, &[0, 1, 2, 3]));
        // Reflex corner at vertex 3: only the diagonal 1–3 works.
        let points = flat(&[[1.0, 1.0], [0.0, 3.0], [0.0, 0.0], [3.0, 1.0]]);
        let points = [points[2], points[3], points[0], points[1]];
        assert_covers(&points, &triangulate(&points, &[0, 1, 2, 3]));
    }

    #[test]
    fn many_sided_concave_faces() {
        // A comb: eight teeth.
        let mut points = vec![[0.0, 0.0], [16.0, 0.0]];
        for tooth in (0..8).rev() {
            let x = tooth as f64 * 2.0;
            points.extend([[x + 2.0, 3.0], [x + 1.0, 3.0], [x + 1.0, 1.0], [x, 1.0]]);
        }
        let points = flat(&points);
        let polygon: Vec<u32> = (0..points.len() as u32).collect();
        assert_covers(&points, &triangulate(&points, &polygon));
    }

    #[test]
    fn keeps_clockwise_winding_in_3d() {
        // A concave pentagon standing in the XZ plane, wound so its normal is −Y.
        let points: Vec<Vec3> = [[0.0, 0.0], [4.0, 0.0], [4.0, 3.0], [2.0, 1.0], [0.0, 3.0]]
            .iter()
            .map(|p| [p[0], 0.0, p[1]])
            .collect();
        let triangles = triangulate(&points, &[0, 1, 2, 3, 4]);
        assert_eq!(triangles.len(), 3);
        let expected = newell_normal(5, |k| points[k]).unwrap();
        for t in triangles {
            let [a, b, c] = t.map(|i| points[i as usize]);
            let n = normalize(cross(sub(b, a), sub(c, a))).unwrap();
            assert!(dot(n, expected) > 0.99);
        }
    }

    #[test]
    fn degenerate_faces_still_give_n_minus_2_triangles() {
        let collinear = flat(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]]);
        assert_eq!(triangulate(&collinear, &[0, 1, 2, 3, 4]).len(), 3);
        let bowtie = flat(&[[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0], [1.0, 3.0]]);
        assert_eq!(triangulate(&bowtie, &[0, 1, 2, 3, 4]).len(), 3);
        let repeated = flat(&[[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]);
        assert_eq!(triangulate(&repeated, &[0, 1, 2, 3, 4]).len(), 3);
        assert!(triangulate(&collinear, &[0, 1]).is_empty());
    }
}
