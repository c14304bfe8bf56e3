//! The little vector arithmetic the scene needs, in f64 so that large model coordinates survive
//! until positions are made relative to the scene origin.

pub(crate) type Vec3 = [f64; 3];

pub(crate) fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub(crate) fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub(crate) fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn length(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

/// `a` scaled to unit length, or `None` when it has no direction.
pub(crate) fn normalize(a: Vec3) -> Option<Vec3> {
    let len = length(a);
    (len > f64::MIN_POSITIVE && len.is_finite()).then(|| scale(a, 1.0 / len))
}

pub(crate) fn is_finite(a: Vec3) -> bool {
    a.iter().all(|c| c.is_finite())
}

/// Some unit vector perpendicular to the unit vector `n`.
pub(crate) fn perpendicular(n: Vec3) -> Vec3 {
    // Cross with the axis least aligned with n, so the result never degenerates.
    let axis = if n[0].abs() <= n[1].abs() && n[0].abs() <= n[2].abs() {
        [1.0, 0.0, 0.0]
    } else if n[1].abs() <= n[2].abs() {
        [0.0, 1.0, 0.0]
    } else {
        [0.0, 0.0, 1.0]
    };
    normalize(cross(n, axis)).unwrap_or([1.0, 0.0, 0.0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_basics() {
        assert_eq!(cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]);
        assert_eq!(dot([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]), 32.0);
        assert_eq!(normalize([0.0, 0.0, 2.0]), Some([0.0, 0.0, 1.0]));
        assert_eq!(normalize([0.0; 3]), None);
        assert_eq!(add(sub([3.0; 3], [1.0; 3]), scale([1.0; 3], 2.0)), [4.0; 3]);
        assert!(!is_finite([f64::NAN, 0.0, 0.0]));
    }

    #[test]
    fn perpendicular_is_unit_and_orthogonal() {
        for n in [
            [0.0, 0.0, 1.0],
            [1.0, 0.0, 0.0],
            normalize([1.0, 2.0, 3.0]).unwrap(),
        ] {
            let p = perpendicular(n);
            assert!(dot(n, p).abs() < 1e-12);
            assert!((length(p) - 1.0).abs() < 1e-12);
        }
    }
}
