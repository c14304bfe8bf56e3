//! The scene: a Speckle model as draw-ready buffers, independent of any renderer.
//!
//! Conventions a renderer needs:
//! - **Z is up**, as in Speckle (and Revit, Rhino, AutoCAD). The scene does not rotate to Y-up;
//!   set the camera's up vector to +Z.
//! - **Metres**: every sender's units are converted.
//! - **Scene coordinates = world metres − [`Scene::origin`]**. The origin is zero unless the
//!   model lies more than 10 km from the world origin (georeferenced models), where f32
//!   positions would lose millimetres; then it is moved near the model.
//! - Triangles wind counter-clockwise seen from the front; normals are smooth across the
//!   vertices a sender shared and split at creases sharper than 40° (see `normals.rs`), or the
//!   sender's own `vertexNormals` when it sent them.
//! - Geometry is attributed to the element a user would pick: a wall, not the meshes of its
//!   `displayValue`; a block instance, not the shapes of its definition.

use crate::objects::ObjectSource;

pub use crate::batches::{Bounds, LineBatch, MeshBatch, ObjectRange, PointBatch};
pub use crate::material::Material;
pub use crate::report::BuildReport;
pub use crate::walk::BuildLimits;

/// One object of the model tree, for a tree panel and for hiding or isolating by type or
/// category. Every object reached from the root is listed once, parents before children,
/// except the parts that only draw another object (its `displayValue`, an instance's
/// definition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneObject {
    pub id: String,
    /// The full Speckle type chain.
    pub speckle_type: String,
    /// Its `name`, else the most derived class of its type (`RevitWall`).
    pub name: String,
    /// Its Revit `category` (`Walls`), else the most derived class of its type.
    pub category: String,
    /// The nearest listed ancestor; `None` for the root.
    pub parent: Option<String>,
}

/// Categories of elements that are not built things: rooms, zones, openings and helpers (IFC
/// and Revit names). They are drawn see-through, and the page hides them until asked.
const NON_PHYSICAL: [&str; 9] = [
    "IfcSpace",
    "IfcSpatialZone",
    "IfcZone",
    "IfcOpeningElement",
    "IfcOpeningStandardCase",
    "IfcVirtualElement",
    "Rooms",
    "Areas",
    "Room",
];

/// Whether objects of this category are rooms, zones, openings or other non-physical things.
pub fn is_non_physical(category: &str) -> bool {
    NON_PHYSICAL.contains(&category)
}

/// A Speckle model, ready to draw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    /// World metres of the scene's (0, 0, 0).
    pub origin: [f64; 3],
    /// Triangles, one batch per material (and per whether vertices carry colours).
    pub meshes: Vec<MeshBatch>,
    /// Line segments, one batch per colour.
    pub lines: Vec<LineBatch>,
    /// Points, one batch per colour.
    pub points: Vec<PointBatch>,
    /// Everything drawn, in scene coordinates; `None` when nothing is.
    pub bounds: Option<Bounds>,
    /// The model tree, parents first.
    pub objects: Vec<SceneObject>,
    /// What was skipped, and why.
    pub report: BuildReport,
}

impl Scene {
    /// Builds the scene of the model whose root object is `root_id`, from what `source` holds
    /// so far: references that have not arrived are skipped (and counted), so a scene can be
    /// rebuilt as objects stream in.
    pub fn build(source: &ObjectSource, root_id: &str) -> Scene {
        crate::walk::build(source, root_id, BuildLimits::default())
    }

    /// `build` held to `limits`: see [`BuildLimits`] for what happens at each.
    pub fn build_within(source: &ObjectSource, root_id: &str, limits: BuildLimits) -> Scene {
        crate::walk::build(source, root_id, limits)
    }

    /// The listed object with this id.
    pub fn object(&self, id: &str) -> Option<&SceneObject> {
        self.objects.iter().find(|object| object.id == id)
    }

    pub fn triangle_count(&self) -> usize {
        self.meshes.iter().map(MeshBatch::triangle_count).sum()
    }

    /// Whether nothing is drawn.
    pub fn is_empty(&self) -> bool {
        self.meshes.is_empty() && self.lines.is_empty() && self.points.is_empty()
    }
}
