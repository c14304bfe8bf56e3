//! What the scene does with an object, decided by its `speckle_type`.
//!
//! A `speckle_type` is an inheritance chain, most general first:
//! `Objects.BuiltElements.Wall:Objects.BuiltElements.Revit.RevitWall`. Like Speckle's own viewer,
//! the scene reads the chain from the most derived end and acts on the first class name (the part
//! after the last `.`) it knows, so subclasses of `Mesh` draw as meshes.

/// The role an object plays in the scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Mesh,
    Line,
    Polyline,
    Point,
    PointCloud,
    /// Curves drawn through their `displayValue` polyline, or from their own definition
    /// (arcs, circles, ellipses, polycurve segments) when they have none.
    Curve(CurveKind),
    /// Places a definition's geometry with a transform.
    Instance(InstanceKind),
    /// Geometry templates, drawn only through the instances that place them.
    Definition,
    /// Not geometry and never holding any (materials, chunks, proxies, parameters, views whose
    /// `origin` and `target` are camera points…): not walked.
    Inert,
    /// Anything else: containers, built elements, data objects.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CurveKind {
    Curve,
    Arc,
    Circle,
    Ellipse,
    Polycurve,
    Spiral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstanceKind {
    /// Speckle 2: `Objects.Other.Instance`, `BlockInstance`, `RevitInstance`, with a `definition`.
    Definition,
    /// Speckle 3: `InstanceProxy`, naming its definition by `definitionId`.
    Proxy,
}

pub(crate) fn kind_of(speckle_type: &str) -> Kind {
    speckle_type
        .rsplit(':')
        .find_map(|class| kind_of_class(class_name(class)))
        .unwrap_or(Kind::Other)
}

fn kind_of_class(class: &str) -> Option<Kind> {
    Some(match class {
        "Mesh" => Kind::Mesh,
        "Line" => Kind::Line,
        "Polyline" => Kind::Polyline,
        "Point" => Kind::Point,
        "Pointcloud" => Kind::PointCloud,
        "Curve" => Kind::Curve(CurveKind::Curve),
        "Arc" => Kind::Curve(CurveKind::Arc),
        "Circle" => Kind::Curve(CurveKind::Circle),
        "Ellipse" => Kind::Curve(CurveKind::Ellipse),
        "Polycurve" => Kind::Curve(CurveKind::Polycurve),
        "Spiral" => Kind::Curve(CurveKind::Spiral),
        "Instance" | "BlockInstance" | "RevitInstance" => Kind::Instance(InstanceKind::Definition),
        "InstanceProxy" => Kind::Instance(InstanceKind::Proxy),
        "BlockDefinition" | "InstanceDefinitionProxy" => Kind::Definition,
        "DataChunk"
        | "RenderMaterial"
        | "RenderMaterialProxy"
        | "ColorProxy"
        | "LevelProxy"
        | "GroupProxy"
        | "Parameter"
        | "Transform"
        | "DisplayStyle"
        | "Plane"
        | "Vector"
        | "Interval"
        | "Box"
        | "Text"
        | "RawEncoding"
        | "View"
        | "View3D" => Kind::Inert,
        _ => return None,
    })
}

/// The class part of one link of a type chain: `Objects.Geometry.Mesh` → `Mesh`.
pub(crate) fn class_name(type_link: &str) -> &str {
    type_link.rsplit('.').next().unwrap_or(type_link)
}

/// The most derived class of a whole chain:
/// `Objects.BuiltElements.Wall:Objects.BuiltElements.Revit.RevitWall` → `RevitWall`.
pub(crate) fn short_type(speckle_type: &str) -> &str {
    class_name(speckle_type.rsplit(':').next().unwrap_or(speckle_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_geometry_by_class_name() {
        assert_eq!(kind_of("Objects.Geometry.Mesh"), Kind::Mesh);
        assert_eq!(kind_of("Objects.Geometry.Line"), Kind::Line);
        assert_eq!(kind_of("Objects.Geometry.Polyline"), Kind::Polyline);
        assert_eq!(kind_of("Objects.Geometry.Point"), Kind::Point);
        assert_eq!(kind_of("Objects.Geometry.Arc"), Kind::Curve(CurveKind::Arc));
        assert_eq!(
            kind_of("Objects.Geometry.Polycurve"),
            Kind::Curve(CurveKind::Polycurve)
        );
    }

    #[test]
    fn reads_chains_from_the_derived_end() {
        assert_eq!(
            kind_of("Objects.Other.Instance:Objects.Other.BlockInstance"),
            Kind::Instance(InstanceKind::Definition)
        );
        assert_eq!(
            kind_of("Objects.Other.Instance:Objects.Other.Revit.RevitInstance"),
            Kind::Instance(InstanceKind::Definition)
        );
        assert_eq!(
            kind_of("Speckle.Core.Models.Instances.InstanceProxy"),
            Kind::Instance(InstanceKind::Proxy)
        );
        // A sender's own subclass of a mesh is still a mesh.
        assert_eq!(kind_of("Objects.Geometry.Mesh:Acme.FancyMesh"), Kind::Mesh);
        assert_eq!(
            kind_of("Objects.BuiltElements.Wall:Objects.BuiltElements.Revit.RevitWall"),
            Kind::Other
        );
        // Class names only match whole: a Revit model curve is not a Curve.
        assert_eq!(
            kind_of("Objects.BuiltElements.Revit.Curve.ModelCurve"),
            Kind::Other
        );
    }

    #[test]
    fn knows_inert_and_definition_types() {
        assert_eq!(kind_of("Speckle.Core.Models.DataChunk"), Kind::Inert);
        assert_eq!(kind_of("Objects.Other.RenderMaterial"), Kind::Inert);
        assert_eq!(kind_of("Objects.Other.BlockDefinition"), Kind::Definition);
        assert_eq!(
            kind_of("Objects.BuiltElements.View:Objects.BuiltElements.View3D"),
            Kind::Inert
        );
        assert_eq!(kind_of("Base"), Kind::Other);
        assert_eq!(kind_of(""), Kind::Other);
    }

    #[test]
    fn short_type_is_the_most_derived_class() {
        assert_eq!(
            short_type("Objects.BuiltElements.Wall:Objects.BuiltElements.Revit.RevitWall"),
            "RevitWall"
        );
        assert_eq!(short_type("Objects.Geometry.Mesh"), "Mesh");
        assert_eq!(short_type("Base"), "Base");
    }
}
