//! Vertex normals for meshes that do not bring their own.
//!
//! Smooth across the vertices the sender shared: each vertex gets the area-weighted average of
//! the faces around it, so a welded cylinder shades round, and senders that split vertices at
//! hard edges (Revit, Rhino render meshes) shade flat there. Meshes welded everywhere (a box
//! with eight corners) would shade like a blob, so a triangle corner whose face turns more than
//! 40° away from the averaged normal gets its own copy of the vertex with the face's normal.

use crate::math::{add, cross, dot, normalize, sub, Vec3};

/// cos 40°: faces closer than this to their vertex's average shade smooth. Below 45°, so two
/// faces meeting at a right angle (each 45° from their average) always split.
const CREASE_COS: f64 = 0.766_044_443_118_978;

/// Fills `normals` with one unit normal per vertex. Corners split at creases are rewritten in
/// `triangles` to new vertices `positions.len() + k`, where `copies[k]` is the vertex copied and
/// `normals[positions.len() + k]` its normal.
pub(crate) fn vertex_normals(
    positions: &[Vec3],
    triangles: &mut [[u32; 3]],
    normals: &mut Vec<Vec3>,
    copies: &mut Vec<u32>,
) {
    let vertex_count = positions.len();
    normals.clear();
    normals.resize(vertex_count, [0.0; 3]);
    copies.clear();
    for triangle in triangles.iter() {
        // The cross product's length is twice the area: bigger faces weigh more.
        let face = face_normal(positions, triangle);
        for &corner in triangle {
            normals[corner as usize] = add(normals[corner as usize], face);
        }
    }
    for normal in normals.iter_mut() {
        *normal = normalize(*normal).unwrap_or([0.0, 0.0, 1.0]);
    }
    for triangle in triangles.iter_mut() {
        let Some(face) = normalize(face_normal(positions, triangle)) else {
            continue;
        };
        for corner in triangle.iter_mut() {
            if dot(normals[*corner as usize], face) < CREASE_COS {
                copies.push(*corner);
                *corner = (vertex_count + copies.len() - 1) as u32;
                normals.push(face);
            }
        }
    }
}

fn face_normal(positions: &[Vec3], [a, b, c]: &[u32; 3]) -> Vec3 {
    let a = positions[*a as usize];
    cross(
        sub(positions[*b as usize], a),
        sub(positions[*c as usize], a),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normals_of(positions: &[Vec3], triangles: &mut [[u32; 3]]) -> (Vec<Vec3>, Vec<u32>) {
        let (mut normals, mut copies) = (Vec::new(), Vec::new());
        vertex_normals(positions, triangles, &mut normals, &mut copies);
        (normals, copies)
    }

    fn close(a: Vec3, b: Vec3) -> bool {
        (0..3).all(|k| (a[k] - b[k]).abs() < 1e-9)
    }

    #[test]
    fn flat_quad_shares_one_normal() {
        let positions = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
        ];
        let mut triangles = [[0, 1, 2], [0, 2, 3]];
        let (normals, copies) = normals_of(&positions, &mut triangles);
        assert!(copies.is_empty());
        assert!(normals.iter().all(|&n| close(n, [0.0, 0.0, 1.0])));
    }

    #[test]
    fn gentle_bends_stay_smooth() {
        // Two faces meeting at 20°: the shared edge gets the average normal.
        let t = 20f64.to_radians();
        let positions = [
            [0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [-1.0, 0.0, 0.0],
            [t.cos(), 0.0, t.sin()],
        ];
        let mut triangles = [[0, 1, 2], [0, 3, 1]];
        let (normals, copies) = normals_of(&positions, &mut triangles);
        assert!(copies.is_empty());
        assert!(normals[0][0] < 0.0 && normals[0][2] > 0.9);
    }

    #[test]
    fn sharp_corners_of_welded_boxes_split() {
        // Two faces of a cube meeting at 90° along a shared edge.
        let positions = [
            [0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [-1.0, 0.0, 0.0],
            [0.0, 0.0, -1.0],
        ];
        // Top face (+Z) and side face (+X), sharing vertices 0 and 1: both shared vertices
        // split for both faces.
        let mut triangles = [[0, 1, 2], [0, 3, 1]];
        let (normals, copies) = normals_of(&positions, &mut triangles);
        assert_eq!(copies, vec![0, 1, 0, 1]);
        assert_eq!(normals.len(), positions.len() + copies.len());
        assert!(close(normals[4], [0.0, 0.0, 1.0]));
        assert!(close(normals[6], [1.0, 0.0, 0.0]));

        // A cube corner: three faces at right angles around vertex 0.
        let positions = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ];
        let mut triangles = [[0, 2, 1], [0, 1, 3], [0, 3, 2]];
        let (normals, copies) = normals_of(&positions, &mut triangles);
        // Every corner of every face splits: each vertex is shared by faces at right angles.
        assert_eq!(copies, vec![0, 2, 1, 0, 1, 3, 0, 3, 2]);
        let faces = [[0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0]];
        for (k, face) in faces.iter().enumerate() {
            assert_eq!(triangles[k], [0, 1, 2].map(|c| (4 + 3 * k + c) as u32));
            for c in 0..3 {
                assert!(close(normals[4 + 3 * k + c], *face));
            }
        }
    }

    #[test]
    fn degenerate_triangles_do_not_poison_normals() {
        let positions = [[0.0; 3], [0.0; 3], [0.0; 3]];
        let mut triangles = [[0, 1, 2]];
        let (normals, copies) = normals_of(&positions, &mut triangles);
        assert!(copies.is_empty());
        assert!(normals.iter().all(|n| n.iter().all(|c| c.is_finite())));
    }
}
