//! Fleck's 3D viewer: turns Speckle objects into a scene and draws it, in the browser (WebGL2)
//! and headless (preview images). It knows Speckle's object model and nothing about servers.
//!
//! Loading: put objects into an [`ObjectSource`] as they arrive, build a [`Scene`] from the root
//! id (again as more arrive), hand its batches to a renderer. [`properties`] lists an object's
//! fields for a selection panel.

pub mod camera;
pub mod caps;
#[cfg(feature = "headless")]
pub mod headless;
pub mod objects;
pub mod paint;
pub mod pick;
pub mod properties;
#[cfg(feature = "render")]
pub mod render;
pub mod scene;
pub mod section;
pub mod strokes;
pub mod units;
#[cfg(feature = "web")]
pub mod web;

mod batches;
mod curves;
#[cfg(feature = "render")]
mod depth_order;
mod material;
mod math;
mod mesh;
mod normals;
mod points;
mod proxies;
mod report;
mod speckle_types;
mod transform;
mod triangulate;
mod walk;

pub use material::argb_to_rgba;
pub use objects::ObjectSource;
pub use paint::Paint;
pub use properties::properties;
pub use scene::{
    Bounds, BuildLimits, BuildReport, LineBatch, Material, MeshBatch, ObjectRange, PointBatch,
    Scene, SceneObject,
};
