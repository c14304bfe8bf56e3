//! Render materials: the colour and opacity a mesh is drawn with.
//!
//! Speckle colours are ARGB packed into a 32-bit integer, usually sent as a signed `i32`
//! (opaque black is `-16777216`). A `RenderMaterial` has `diffuse` (ARGB) and `opacity` (0..1).

use serde_json::{Map, Value};

use crate::objects::ObjectSource;

/// The opacity of non-physical elements (spaces, zones, openings).
const SEE_THROUGH_OPACITY: f32 = 0.2;

/// How a batch of meshes is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Material {
    /// sRGB red, green, blue, and alpha equal to `opacity` × 255.
    pub color: [u8; 4],
    /// 0 (invisible) to 1 (opaque).
    pub opacity: f32,
}

impl Material {
    /// What meshes without a render material are drawn with: a neutral grey.
    pub const DEFAULT: Material = Material {
        color: [160, 160, 160, 255],
        opacity: 1.0,
    };

    /// From a Speckle ARGB colour and an opacity. The colour's own alpha byte is ignored:
    /// Speckle senders leave it at 0 or 255 and mean `opacity`.
    pub fn from_argb(argb: i64, opacity: f32) -> Self {
        let opacity = if opacity.is_finite() {
            opacity.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let [_, r, g, b] = argb_bytes(argb);
        Material {
            color: [r, g, b, (opacity * 255.0).round() as u8],
            opacity,
        }
    }

    /// How rooms, zones and openings are drawn when shown: a glimpse of their extent that
    /// never hides the walls behind them.
    pub fn see_through(self) -> Self {
        let opacity = self.opacity.min(SEE_THROUGH_OPACITY);
        let [r, g, b, _] = self.color;
        Material {
            color: [r, g, b, (opacity * 255.0).round() as u8],
            opacity,
        }
    }

    pub fn is_transparent(&self) -> bool {
        self.opacity < 1.0
    }

    /// Equal materials batch together; `f32` has no `Eq`, so compare its bits.
    pub(crate) fn batch_key(&self) -> (u32, u32) {
        (u32::from_be_bytes(self.color), self.opacity.to_bits())
    }
}

/// A Speckle ARGB integer (signed or not) as opaque RGBA bytes, for vertex and line colours.
pub fn argb_to_rgba(argb: i64) -> [u8; 4] {
    let [_, r, g, b] = argb_bytes(argb);
    [r, g, b, 255]
}

fn argb_bytes(argb: i64) -> [u8; 4] {
    // Keep the low 32 bits: senders write the same colour as a negative i32 or a large u32.
    ((argb & 0xFFFF_FFFF) as u32).to_be_bytes()
}

/// A JSON number as an ARGB integer: integers, or floats that hold one.
pub(crate) fn argb_of(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_u64().map(|v| v as i64))
        .or_else(|| {
            value
                .as_f64()
                .filter(|v| v.fract() == 0.0)
                .map(|v| v as i64)
        })
}

/// Reads a `RenderMaterial` (inline or referenced). `None` when it is missing or has no colour.
pub(crate) fn read_render_material(source: &ObjectSource, value: &Value) -> Option<Material> {
    let material = source.resolve(value).ok()?.as_object()?;
    let diffuse = material.get("diffuse").and_then(argb_of)?;
    let opacity = material
        .get("opacity")
        .and_then(Value::as_f64)
        .unwrap_or(1.0);
    Some(Material::from_argb(diffuse, opacity as f32))
}

/// An object's own `renderMaterial` (or `@renderMaterial`).
pub(crate) fn own_render_material(
    source: &ObjectSource,
    object: &Map<String, Value>,
) -> Option<Material> {
    let value = object
        .get("renderMaterial")
        .or_else(|| object.get("@renderMaterial"))?;
    read_render_material(source, value)
}

/// The colour of a curve's own `displayStyle`, when it has one.
pub(crate) fn display_style_color(
    source: &ObjectSource,
    object: &Map<String, Value>,
) -> Option<[u8; 4]> {
    let style = object
        .get("displayStyle")
        .or_else(|| object.get("@displayStyle"))?;
    let style = source.resolve(style).ok()?;
    style.get("color").and_then(argb_of).map(argb_to_rgba)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unpacks_signed_and_unsigned_argb() {
        assert_eq!(argb_to_rgba(-16777216), [0, 0, 0, 255]);
        assert_eq!(argb_to_rgba(0xFFFF0000), [255, 0, 0, 255]);
        assert_eq!(argb_to_rgba(-65536), [255, 0, 0, 255]);
        assert_eq!(argb_to_rgba(0x0000FF00), [0, 255, 0, 255]);
    }

    #[test]
    fn reads_render_materials() {
        let mut source = ObjectSource::new();
        source.insert(json!({
            "id": "glass", "speckle_type": "Objects.Other.RenderMaterial",
            "diffuse": -16776961, "opacity": 0.5
        }));
        let material = read_render_material(&source, &json!({ "referencedId": "glass" })).unwrap();
        assert_eq!(material.color, [0, 0, 255, 128]);
        assert_eq!(material.opacity, 0.5);
        assert!(material.is_transparent());

        let opaque = read_render_material(&source, &json!({ "diffuse": -65536.0 })).unwrap();
        assert_eq!(opaque, Material::from_argb(-65536, 1.0));
        assert!(read_render_material(&source, &json!({ "opacity": 1 })).is_none());
        assert!(read_render_material(&source, &json!({ "referencedId": "gone" })).is_none());
    }

    #[test]
    fn clamps_odd_opacity() {
        assert_eq!(Material::from_argb(0, 3.0).opacity, 1.0);
        assert_eq!(Material::from_argb(0, f32::NAN).opacity, 1.0);
        assert_eq!(Material::from_argb(0, -1.0).color[3], 0);
    }

    #[test]
    fn finds_an_objects_own_material_and_display_style() {
        let source = ObjectSource::new();
        let object = json!({
            "@renderMaterial": { "diffuse": -16711936 },
            "displayStyle": { "color": -65536 }
        });
        let object = object.as_object().unwrap();
        assert_eq!(
            own_render_material(&source, object).unwrap().color,
            [0, 255, 0, 255]
        );
        assert_eq!(display_style_color(&source, object), Some([255, 0, 0, 255]));
    }
}
