//! Speckle's bundle format, as `send3` writes it and `receive3` reads it: a version as a few
//! parquet tables (`{base}.eav.objects`, `.eav.paths`, `.eav.eav` for objects and their
//! properties; `.envelope.nodes` and `.envelope.relations` for collections, materials,
//! instances and which geometry draws which object; `.geometries` for SGEO blobs).
//!
//! Fleck reads a bundle to check it and to build the object tree its viewer, previews and
//! version compare draw ([`tree::from_bundle`]), and writes one from an object tree so that a
//! version sent as objects can be received with `receive3` ([`tree::to_bundle`]).

mod files;
pub mod sgeo;
pub mod tree;

pub use files::{read, write};

/// Relation ids of the bundle's envelope that Fleck reads or writes.
pub mod rel {
    /// object → geometry that draws it.
    pub const DISPLAY: i32 = 1;
    /// node (instance definition) → geometry it holds.
    pub const DEFINES: i32 = 4;
    /// geometry → material node.
    pub const HAS_MATERIAL: i32 = 5;
    /// geometry → colour node.
    pub const HAS_COLOR: i32 = 6;
    /// object → instance node placing a definition.
    pub const DISPLAY_INSTANCE: i32 = 8;
    /// definition node → nested instance node.
    pub const DEFINES_INSTANCE: i32 = 9;
    /// object → the container (collection) it is listed in.
    pub const IN_COLLECTION: i32 = 10;
    /// object → material node for all its geometry.
    pub const OBJECT_HAS_MATERIAL: i32 = 26;
    /// object → colour node for all its geometry.
    pub const OBJECT_HAS_COLOR: i32 = 27;
}

/// Node kinds of the bundle's envelope.
pub mod kind {
    pub const DEFINITION: i32 = 1;
    pub const INSTANCE: i32 = 2;
    pub const MATERIAL: i32 = 3;
    pub const COLOR: i32 = 4;
    pub const LEVEL: i32 = 5;
    pub const CONTAINER: i32 = 7;
}

/// The bundle schema version Fleck writes.
pub const SCHEMA_VERSION: &str = "1.2.0";

/// A bundle's tables, row for row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bundle {
    /// `object_index` → the object's application id.
    pub objects: Vec<(i32, String)>,
    /// `path_index` → a property path such as `properties.Fire rating`.
    pub paths: Vec<(i32, String)>,
    pub values: Vec<Value>,
    pub nodes: Vec<Node>,
    pub relations: Vec<Relation>,
    pub geometries: Vec<GeometryRow>,
}

/// One property of one object.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub object: i32,
    pub path: i32,
    pub text: Option<String>,
    pub number: Option<f64>,
    pub boolean: Option<bool>,
    pub unit: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub id: i32,
    pub kind: i32,
    pub name: Option<String>,
    /// The parent container of a container; the definition an instance places.
    pub def_ref: Option<i32>,
    /// An instance's 4×4 matrix, row-major, as 16 comma-separated numbers.
    pub transform: Option<String>,
    pub units: Option<String>,
    pub subtype: Option<String>,
    pub argb: Option<i32>,
    pub opacity: Option<f64>,
    pub metalness: Option<f64>,
    pub roughness: Option<f64>,
    pub emissive: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relation {
    pub rel: i32,
    pub src: i32,
    pub dst: i32,
    pub ord: Option<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GeometryRow {
    pub index: i32,
    pub content: Vec<u8>,
    /// The blob's content hash.
    pub id: String,
    /// `mesh`, `line`, … as the producer named it.
    pub kind: String,
}

/// Why a bundle cannot be read: a sentence a client can show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BundleError(String);

impl BundleError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

impl Value {
    /// As a bundle reader takes it: a flag first, then a number, then the text.
    pub fn json(&self) -> serde_json::Value {
        if let Some(b) = self.boolean {
            return b.into();
        }
        if let Some(n) = self.number.and_then(serde_json::Number::from_f64) {
            return n.into();
        }
        self.text
            .clone()
            .map_or(serde_json::Value::Null, Into::into)
    }
}
