//! Affine transforms of instances (blocks), in metres.
//!
//! Speckle stores a 4×4 matrix as 16 numbers, row-major, for column vectors: the translation is
//! at indices 3, 7 and 11. It is in the units of the transform (or its instance), while the
//! geometry it places has units of its own; the scene converts geometry to metres first and
//! scales the translation to metres, so transforms compose in one unit.

use serde_json::{Map, Value};

use crate::math::{cross, dot, Vec3};
use crate::objects::ObjectSource;
use crate::report::Skip;
use crate::units::metres_per_unit;

/// An affine transform: the top three rows of a row-major 4×4 matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Transform {
    rows: [[f64; 4]; 3],
}

impl Transform {
    pub(crate) const IDENTITY: Transform = Transform {
        rows: [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ],
    };

    /// From Speckle's 16 numbers. The bottom row is taken as `0 0 0 1`: Speckle instances are affine.
    pub(crate) fn from_row_major(m: &[f64; 16]) -> Self {
        Transform {
            rows: [
                [m[0], m[1], m[2], m[3]],
                [m[4], m[5], m[6], m[7]],
                [m[8], m[9], m[10], m[11]],
            ],
        }
    }

    pub(crate) fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }

    /// This transform with its translation multiplied by `factor` (a unit conversion).
    pub(crate) fn with_translation_scaled(mut self, factor: f64) -> Self {
        for row in &mut self.rows {
            row[3] *= factor;
        }
        self
    }

    /// `self ∘ inner`: applies `inner` first, then `self`.
    pub(crate) fn then_inner(&self, inner: &Transform) -> Transform {
        if inner.is_identity() {
            return *self;
        }
        if self.is_identity() {
            return *inner;
        }
        let (a, b) = (&self.rows, &inner.rows);
        let mut rows = [[0.0; 4]; 3];
        for (r, row) in rows.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().enumerate() {
                *cell = a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c];
            }
            row[3] += a[r][3];
        }
        Transform { rows }
    }

    pub(crate) fn apply_point(&self, p: Vec3) -> Vec3 {
        let r = &self.rows;
        [
            r[0][0] * p[0] + r[0][1] * p[1] + r[0][2] * p[2] + r[0][3],
            r[1][0] * p[0] + r[1][1] * p[1] + r[1][2] * p[2] + r[1][3],
            r[2][0] * p[0] + r[2][1] * p[1] + r[2][2] * p[2] + r[2][3],
        ]
    }

    fn column(&self, c: usize) -> Vec3 {
        [self.rows[0][c], self.rows[1][c], self.rows[2][c]]
    }

    pub(crate) fn determinant(&self) -> f64 {
        dot(self.column(0), cross(self.column(1), self.column(2)))
    }

    /// A mirroring transform turns triangles' winding around; the scene turns it back.
    pub(crate) fn flips_winding(&self) -> bool {
        self.determinant() < 0.0
    }

    /// Maps normals: the inverse transpose of the linear part, up to a positive factor (normals
    /// are renormalized after). Its rows are the cofactors `c1×c2, c2×c0, c0×c1`, signed by the
    /// determinant so mirrored normals still point out.
    pub(crate) fn apply_normal(&self, n: Vec3) -> Vec3 {
        if self.is_identity() {
            return n;
        }
        let (c0, c1, c2) = (self.column(0), self.column(1), self.column(2));
        let sign = if self.determinant() < 0.0 { -1.0 } else { 1.0 };
        let m = [cross(c1, c2), cross(c2, c0), cross(c0, c1)];
        [
            sign * (m[0][0] * n[0] + m[1][0] * n[1] + m[2][0] * n[2]),
            sign * (m[0][1] * n[0] + m[1][1] * n[1] + m[2][1] * n[2]),
            sign * (m[0][2] * n[0] + m[1][2] * n[1] + m[2][2] * n[2]),
        ]
    }
}

/// Reads an instance's `transform`: 16 numbers, or an object with `matrix` (or the legacy `value`)
/// and `units`. The translation comes back in metres; `instance_units` stands in when the
/// transform names none.
pub(crate) fn read_transform(
    source: &ObjectSource,
    value: &Value,
    instance_units: Option<&str>,
) -> Result<Transform, Skip> {
    let value = source.resolve(value)?;
    let (numbers, units) = match value {
        Value::Object(object) => {
            let matrix = object
                .get("matrix")
                .or_else(|| object.get("value"))
                .ok_or_else(|| Skip::malformed("transform has no matrix"))?;
            (source.numbers(matrix)?, units_of(object).or(instance_units))
        }
        array => (source.numbers(array)?, instance_units),
    };
    let matrix: [f64; 16] = numbers
        .try_into()
        .map_err(|_| Skip::malformed("transform matrix needs 16 numbers"))?;
    if !matrix.iter().all(|m| m.is_finite()) {
        return Err(Skip::malformed("transform matrix is not finite"));
    }
    let transform = Transform::from_row_major(&matrix);
    if transform.determinant() == 0.0 {
        return Err(Skip::malformed("transform flattens its geometry"));
    }
    Ok(transform.with_translation_scaled(metres_per_unit(units)))
}

/// An object's `units`, when it names some.
pub(crate) fn units_of(object: &Map<String, Value>) -> Option<&str> {
    object
        .get("units")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn translation(x: f64, y: f64, z: f64) -> Transform {
        Transform::from_row_major(&[
            1.0, 0.0, 0.0, x, 0.0, 1.0, 0.0, y, 0.0, 0.0, 1.0, z, 0.0, 0.0, 0.0, 1.0,
        ])
    }

    fn rotation_z_90() -> Transform {
        Transform::from_row_major(&[
            0.0, -1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        ])
    }

    #[test]
    fn applies_row_major_translation() {
        assert_eq!(
            translation(1.0, 2.0, 3.0).apply_point([1.0; 3]),
            [2.0, 3.0, 4.0]
        );
    }

    #[test]
    fn composes_outer_after_inner() {
        // Rotate first, then move: (1,0,0) → (0,1,0) → (10,1,0).
        let t = translation(10.0, 0.0, 0.0).then_inner(&rotation_z_90());
        assert_eq!(t.apply_point([1.0, 0.0, 0.0]), [10.0, 1.0, 0.0]);
        // Move first, then rotate: (1,0,0) → (11,0,0) → (0,11,0).
        let t = rotation_z_90().then_inner(&translation(10.0, 0.0, 0.0));
        assert_eq!(t.apply_point([1.0, 0.0, 0.0]), [0.0, 11.0, 0.0]);
        assert_eq!(Transform::IDENTITY.then_inner(&t), t);
    }

    #[test]
    fn mirrors_flip_winding_and_keep_normals_outward() {
        let mirror = Transform::from_row_major(&[
            -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        ]);
        assert!(mirror.flips_winding());
        assert!(!rotation_z_90().flips_winding());
        assert_eq!(mirror.apply_normal([1.0, 0.0, 0.0]), [-1.0, 0.0, 0.0]);
        assert_eq!(
            rotation_z_90().apply_normal([1.0, 0.0, 0.0]),
            [0.0, 1.0, 0.0]
        );
    }

    #[test]
    fn reads_arrays_and_objects_with_units() {
        let source = ObjectSource::new();
        let array = json!([1, 0, 0, 1000, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        let t = read_transform(&source, &array, Some("mm")).unwrap();
        assert_eq!(t.apply_point([0.0; 3]), [1.0, 0.0, 0.0]);

        let object = json!({
            "speckle_type": "Objects.Other.Transform",
            "matrix": [1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
            "units": "m"
        });
        let t = read_transform(&source, &object, Some("mm")).unwrap();
        assert_eq!(t.apply_point([0.0; 3]), [2.0, 0.0, 0.0]);
    }

    #[test]
    fn rejects_broken_matrices() {
        let source = ObjectSource::new();
        assert!(read_transform(&source, &json!([1, 2, 3]), None).is_err());
        assert!(read_transform(&source, &json!({ "units": "m" }), None).is_err());
        assert!(read_transform(&source, &json!(vec![0; 16]), None).is_err());
    }
}
