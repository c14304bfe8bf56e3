//! SGEO, the binary geometry format of a bundle's `geometries` table: a 16-byte little-endian
//! header (`SGEO`, version 1, primitive, flags, units code, CRC-32 of the body) and a body per
//! primitive. Fleck reads meshes, lines and polylines (what a viewer draws) and writes meshes.

use super::BundleError;

const MAGIC: &[u8; 4] = b"SGEO";
const VERSION: u8 = 1;
const HEADER: usize = 16;

const MESH: u8 = 0;
const LINE: u8 = 1;
const POLYLINE: u8 = 2;

const HAS_NORMALS: u16 = 1 << 4;
const HAS_UVS: u16 = 1 << 5;
const HAS_COLORS: u16 = 1 << 6;

/// The unit codes of the header, in order from 1; 0 is "none or unknown".
const UNITS: [&str; 8] = ["mm", "cm", "m", "km", "in", "ft", "yd", "mi"];

/// What one geometry blob holds, in the units it names.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Speckle's face list: a vertex count then that many indices, repeated.
    Mesh {
        vertices: Vec<f64>,
        faces: Vec<i32>,
        colors: Vec<i32>,
    },
    /// xyz triples joined in order.
    Polyline { points: Vec<f64> },
    /// Any primitive Fleck does not draw (curves, text, regions…).
    Other { primitive: u8 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Geometry {
    pub shape: Shape,
    pub units: Option<&'static str>,
}

pub fn units_code(units: Option<&str>) -> u16 {
    units
        .and_then(|u| UNITS.iter().position(|known| *known == u))
        .map_or(0, |i| i as u16 + 1)
}

fn units_name(code: u16) -> Option<&'static str> {
    UNITS.get((code as usize).checked_sub(1)?).copied()
}

/// Reads one blob, checking its header and CRC.
pub fn decode(blob: &[u8]) -> Result<Geometry, BundleError> {
    if blob.len() < HEADER || &blob[..4] != MAGIC {
        return Err(BundleError::new("a geometry is not an SGEO blob"));
    }
    if blob[4] != VERSION {
        return Err(BundleError::new(format!(
            "a geometry is SGEO version {}, this server reads version 1",
            blob[4]
        )));
    }
    let primitive = blob[5];
    let flags = u16::from_le_bytes([blob[6], blob[7]]);
    let units = units_name(u16::from_le_bytes([blob[8], blob[9]]));
    let crc = u32::from_le_bytes([blob[12], blob[13], blob[14], blob[15]]);
    let body = &blob[HEADER..];
    if crc32fast::hash(body) != crc {
        return Err(BundleError::new(
            "a geometry's checksum does not match its content (a corrupt or truncated blob)",
        ));
    }
    let mut r = Reader { body, at: 0 };
    let shape = match primitive {
        MESH => {
            let vertex_count = r.u32()? as usize;
            let face_count = r.u32()? as usize;
            let vertices = r.f64s(vertex_count.checked_mul(3).ok_or_else(too_long)?)?;
            let faces = r.i32s(face_count)?;
            if flags & HAS_NORMALS != 0 {
                r.align8();
                r.skip(vertex_count * 3 * 8)?;
            }
            if flags & HAS_UVS != 0 {
                r.align8();
                r.skip(vertex_count * 2 * 8)?;
            }
            // No alignment before the colours: the format has none there.
            let colors = if flags & HAS_COLORS != 0 {
                r.i32s(vertex_count)?
            } else {
                Vec::new()
            };
            Shape::Mesh {
                vertices,
                faces,
                colors,
            }
        }
        LINE => {
            // Domain (two f64), then start and end points.
            r.skip(16)?;
            Shape::Polyline { points: r.f64s(6)? }
        }
        POLYLINE => {
            let count = r.u32()? as usize;
            r.u32()?;
            Shape::Polyline {
                points: r.f64s(count.checked_mul(3).ok_or_else(too_long)?)?,
            }
        }
        other => Shape::Other { primitive: other },
    };
    Ok(Geometry { shape, units })
}

/// Writes a mesh blob: vertices as xyz triples, Speckle's face list, optional ARGB colours.
pub fn encode_mesh(
    vertices: &[f64],
    faces: &[i32],
    colors: &[i32],
    units: Option<&str>,
) -> Vec<u8> {
    let colors_fit = !colors.is_empty() && colors.len() * 3 == vertices.len();
    let mut body = Vec::with_capacity(8 + vertices.len() * 8 + faces.len() * 4 + colors.len() * 4);
    body.extend_from_slice(&((vertices.len() / 3) as u32).to_le_bytes());
    body.extend_from_slice(&(faces.len() as u32).to_le_bytes());
    for v in &vertices[..vertices.len() / 3 * 3] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    for f in faces {
        body.extend_from_slice(&f.to_le_bytes());
    }
    let mut flags = 0u16;
    if colors_fit {
        flags |= HAS_COLORS;
        for c in colors {
            body.extend_from_slice(&c.to_le_bytes());
        }
    }
    let mut blob = Vec::with_capacity(HEADER + body.len());
    blob.extend_from_slice(MAGIC);
    blob.push(VERSION);
    blob.push(MESH);
    blob.extend_from_slice(&flags.to_le_bytes());
    blob.extend_from_slice(&units_code(units).to_le_bytes());
    blob.extend_from_slice(&0u16.to_le_bytes());
    blob.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    blob.extend_from_slice(&body);
    blob
}

fn too_long() -> BundleError {
    BundleError::new("a geometry declares more elements than it can hold")
}

struct Reader<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, size: usize) -> Result<&'a [u8], BundleError> {
        let end = self
            .at
            .checked_add(size)
            .filter(|end| *end <= self.body.len());
        let end = end.ok_or_else(|| BundleError::new("a geometry blob is truncated"))?;
        let bytes = &self.body[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn skip(&mut self, size: usize) -> Result<(), BundleError> {
        self.take(size).map(|_| ())
    }

    fn align8(&mut self) {
        self.at += (8 - self.at % 8) % 8;
    }

    fn u32(&mut self) -> Result<u32, BundleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f64s(&mut self, count: usize) -> Result<Vec<f64>, BundleError> {
        let bytes = self.take(count.checked_mul(8).ok_or_else(too_long)?)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("chunks of 8")))
            .collect())
    }

    fn i32s(&mut self, count: usize) -> Result<Vec<i32>, BundleError> {
        let bytes = self.take(count.checked_mul(4).ok_or_else(too_long)?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().expect("chunks of 4")))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mesh_reads_back_as_written() {
        let vertices = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.5];
        let blob = encode_mesh(&vertices, &[3, 0, 1, 2], &[-1, -1, -65536], Some("m"));
        let read = decode(&blob).unwrap();
        assert_eq!(read.units, Some("m"));
        assert_eq!(
            read.shape,
            Shape::Mesh {
                vertices: vertices.to_vec(),
                faces: vec![3, 0, 1, 2],
                colors: vec![-1, -1, -65536],
            }
        );
    }

    #[test]
    fn damage_is_reported_not_read() {
        let blob = encode_mesh(&[0.0; 9], &[3, 0, 1, 2], &[], Some("mm"));
        assert!(decode(&blob[..blob.len() - 4]).is_err(), "truncated");
        let mut flipped = blob.clone();
        flipped[20] ^= 1;
        assert!(decode(&flipped).is_err(), "checksum");
        assert!(decode(b"GLTF0000000000000000").is_err(), "not sgeo");
    }

    #[test]
    fn a_mesh_whose_counts_overrun_its_body_is_refused() {
        let mut body = Vec::new();
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        body.extend_from_slice(&4u32.to_le_bytes());
        let mut blob = b"SGEO\x01\x00\x00\x00\x03\x00\x00\x00".to_vec();
        blob.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        blob.extend_from_slice(&body);
        assert!(decode(&blob).is_err());
    }
}
