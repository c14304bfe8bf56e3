//! Blocks and instances: Speckle 2 `BlockInstance` / `RevitInstance` with definitions, and
//! Speckle 3 `InstanceProxy` with definition proxies.

use crate::common::*;
use serde_json::json;

/// Rotation by 90° about Z, then a move, row-major, in millimetres.
fn rotate_and_move_mm(x: f64, y: f64, z: f64) -> serde_json::Value {
    json!({
        "speckle_type": "Objects.Other.Transform",
        "matrix": [0, -1, 0, x, 1, 0, 0, y, 0, 0, 1, z, 0, 0, 0, 1],
        "units": "mm"
    })
}

/// A block instance `id` placing the definition `definition` with `transform`.
fn block_instance(id: &str, transform: serde_json::Value, definition: &str) -> serde_json::Value {
    json!({
        "id": id,
        "speckle_type": "Objects.Other.Instance:Objects.Other.BlockInstance",
        "transform": transform,
        "definition": r(definition)
    })
}

/// A block definition `id` of `geometry`.
fn block_definition(id: &str, geometry: Vec<serde_json::Value>) -> serde_json::Value {
    json!({ "id": id, "speckle_type": "Objects.Other.BlockDefinition", "geometry": geometry })
}

#[test]
fn nested_block_instances_compose_their_transforms() {
    let objects = vec![
        root(&["outer"]),
        json!({
            "id": "outer",
            "speckle_type": "Objects.Other.Instance:Objects.Other.BlockInstance",
            "units": "m",
            "transform": translation(10.0, 0.0, 0.0),
            "blockDefinition": r("outer-def")
        }),
        json!({
            "id": "outer-def",
            "speckle_type": "Objects.Other.BlockDefinition",
            "basePoint": { "speckle_type": "Objects.Geometry.Point", "x": 0, "y": 0, "z": 0 },
            "geometry": [r("inner"), r("a")]
        }),
        json!({
            "id": "inner",
            "speckle_type": "Objects.Other.Instance:Objects.Other.BlockInstance",
            "transform": rotate_and_move_mm(0.0, 1000.0, 0.0),
            "blockDefinition": r("inner-def")
        }),
        json!({
            "id": "inner-def",
            "speckle_type": "Objects.Other.BlockDefinition",
            "@geometry": [r("b")]
        }),
        triangle("a"),
        mesh("b", json!([1, 0, 0, 2, 0, 0, 1, 1, 0]), json!([3, 0, 1, 2])),
    ];
    let scene = build(objects);
    assert_eq!(scene.report.problems(), 0, "{:?}", scene.report);
    assert_eq!(scene.triangle_count(), 2);
    let batch = &scene.meshes[0];
    // `a` only moved by the outer instance.
    for vertex in [[10.0, 0.0, 0.0], [11.0, 0.0, 0.0], [10.0, 1.0, 0.0]] {
        assert!(has_vertex(batch, vertex), "missing {vertex:?}");
    }
    // `b` rotated, moved up 1 m by the inner instance, then 10 m along X by the outer.
    for vertex in [[10.0, 2.0, 0.0], [10.0, 3.0, 0.0], [9.0, 2.0, 0.0]] {
        assert!(has_vertex(batch, vertex), "missing {vertex:?}");
    }
    // All of it picks the outer instance; the base point is not drawn.
    assert!(batch.objects.iter().all(|range| range.object_id == "outer"));
    assert!(scene.points.is_empty());
    // Rotation keeps triangles facing up.
    assert!(batch.normals.iter().all(|n| close(*n, [0.0, 0.0, 1.0])));
    let ids: Vec<_> = scene.objects.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["root", "outer"]);
}

#[test]
fn one_definition_placed_twice_draws_twice() {
    let objects = vec![
        root(&["i1", "i2"]),
        block_instance("i1", translation(0.0, 0.0, 0.0), "def"),
        block_instance("i2", translation(0.0, 0.0, 5.0), "def"),
        block_definition("def", vec![r("t")]),
        triangle("t"),
    ];
    let scene = build(objects);
    assert_eq!(scene.triangle_count(), 2);
    let batch = &scene.meshes[0];
    assert!(has_vertex(batch, [0.0, 0.0, 5.0]));
    let owners: Vec<_> = batch.objects.iter().map(|o| o.object_id.as_str()).collect();
    assert_eq!(owners, ["i1", "i2"]);
    // A definition reached outside an instance is a template: not drawn at the origin.
    let scene = build(vec![
        root(&["def"]),
        block_definition("def", vec![r("t")]),
        triangle("t"),
    ]);
    assert!(scene.is_empty());
}

#[test]
fn revit_instances_place_their_symbol_and_keep_hosted_elements_in_place() {
    let objects = vec![
        root(&["door"]),
        json!({
            "id": "door",
            "speckle_type": "Objects.Other.Instance:Objects.Other.Revit.RevitInstance",
            "category": "Doors",
            "units": "ft",
            "transform": translation(10.0, 0.0, 0.0),
            "definition": {
                "speckle_type": "Objects.BuiltElements.Revit.RevitSymbolElementType",
                "units": "ft",
                "displayValue": [r("t")]
            },
            "elements": [r("hosted")]
        }),
        triangle("t"),
        json!({ "id": "hosted", "speckle_type": "Objects.BuiltElements.Revit.FamilyInstance", "displayValue": [r("h")] }),
        mesh("h", json!([0, 0, 9, 1, 0, 9, 0, 1, 9]), json!([3, 0, 1, 2])),
    ];
    let scene = build(objects);
    assert_eq!(scene.report.problems(), 0, "{:?}", scene.report);
    let batch = &scene.meshes[0];
    // 10 ft = 3.048 m; the triangle's own units (m) are kept.
    assert!(has_vertex(batch, [3.048, 0.0, 0.0]));
    assert!(has_vertex(batch, [4.048, 0.0, 0.0]));
    // The hosted element is not moved by the door's transform, and picks itself.
    assert!(has_vertex(batch, [0.0, 0.0, 9.0]));
    let owners: Vec<_> = batch.objects.iter().map(|o| o.object_id.as_str()).collect();
    assert_eq!(owners, ["door", "hosted"]);
    assert_eq!(
        scene.object("hosted").unwrap().parent.as_deref(),
        Some("door")
    );
}

#[test]
fn mirrored_instances_keep_normals_outward() {
    let objects = vec![
        root(&["i"]),
        json!({
            "id": "i",
            "speckle_type": "Objects.Other.BlockInstance",
            "transform": [-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
            "blockDefinition": { "geometry": [r("t")] }
        }),
        triangle("t"),
    ];
    let scene = build(objects);
    let batch = &scene.meshes[0];
    assert!(has_vertex(batch, [-1.0, 0.0, 0.0]));
    let [a, b, c] = triangles(batch)[0];
    assert!(turn(a, b, c) > 0.0, "still counter-clockwise from above");
    assert!(batch.normals.iter().all(|n| close(*n, [0.0, 0.0, 1.0])));
}

#[test]
fn speckle3_instance_proxies_draw_definition_members_only_where_placed() {
    let objects = vec![
        json!({
            "id": "root",
            "speckle_type": "Speckle.Core.Models.Collections.Collection",
            "name": "Rhino model",
            "elements": [r("layer")],
            "instanceDefinitionProxies": [{
                "speckle_type": "Speckle.Core.Models.Instances.InstanceDefinitionProxy",
                "applicationId": "def-1",
                "objects": ["box-app"],
                "maxDepth": 0
            }],
            "renderMaterialProxies": [{
                "speckle_type": "Objects.Other.RenderMaterialProxy",
                "value": { "speckle_type": "Objects.Other.RenderMaterial", "diffuse": -65536, "opacity": 1 },
                "objects": ["layer-app"]
            }]
        }),
        json!({
            "id": "layer",
            "applicationId": "layer-app",
            "speckle_type": "Speckle.Core.Models.Collections.Collection",
            "name": "Layer 1",
            "elements": [r("box"), r("placed")]
        }),
        json!({
            "id": "box",
            "applicationId": "box-app",
            "speckle_type": "Objects.Geometry.Mesh",
            "vertices": [0, 0, 0, 1, 0, 0, 0, 1, 0],
            "faces": [3, 0, 1, 2],
            "units": "m"
        }),
        json!({
            "id": "placed",
            "applicationId": "inst-1",
            "speckle_type": "Speckle.Core.Models.Instances.InstanceProxy",
            "definitionId": "def-1",
            "transform": translation(0.0, 0.0, 2000.0),
            "units": "mm",
            "maxDepth": 0
        }),
    ];
    let scene = build(objects);
    assert_eq!(scene.report.problems(), 0, "{:?}", scene.report);
    assert_eq!(
        scene.triangle_count(),
        1,
        "drawn where placed, not where listed"
    );
    let batch = &scene.meshes[0];
    assert!(has_vertex(batch, [0.0, 0.0, 2.0]));
    assert_eq!(batch.objects[0].object_id, "placed");
    // The layer's material proxy reaches the instanced box through the instance.
    assert_eq!(batch.material.color, [255, 0, 0, 255]);
}

#[test]
fn self_containing_definitions_stop() {
    let objects = vec![
        root(&["i"]),
        json!({
            "id": "i",
            "speckle_type": "Objects.Other.BlockInstance",
            "transform": translation(1.0, 0.0, 0.0),
            "blockDefinition": r("def")
        }),
        block_definition("def", vec![r("t"), r("again")]),
        json!({
            "id": "again",
            "speckle_type": "Objects.Other.BlockInstance",
            "transform": translation(1.0, 0.0, 0.0),
            "blockDefinition": r("def")
        }),
        triangle("t"),
    ];
    let scene = build(objects);
    assert_eq!(scene.triangle_count(), 1);
    assert_eq!(scene.report.cycles, 1);
}

#[test]
fn broken_transforms_skip_the_instance_only() {
    let objects = vec![
        root(&["bad", "t"]),
        json!({
            "id": "bad",
            "speckle_type": "Objects.Other.BlockInstance",
            "transform": [1, 2, 3],
            "blockDefinition": { "geometry": [r("u")] }
        }),
        triangle("t"),
        triangle("u"),
    ];
    let scene = build(objects);
    assert_eq!(scene.triangle_count(), 1);
    assert_eq!(scene.report.malformed, 1);
}

/// A block whose definition holds a triangle and an instance of the next block, `levels` deep.
fn nested_blocks(levels: usize) -> Vec<serde_json::Value> {
    let mut objects = vec![root(&["i0"]), triangle("t")];
    for level in 0..levels {
        let mut geometry = vec![r("t")];
        if level + 1 < levels {
            geometry.push(r(&format!("i{}", level + 1)));
        }
        let (instance, definition) = (format!("i{level}"), format!("d{level}"));
        objects.push(block_instance(
            &instance,
            translation(0.0, 0.0, 1.0),
            &definition,
        ));
        objects.push(block_definition(&definition, geometry));
    }
    objects
}

#[test]
fn instances_nested_deeper_than_sixteen_are_skipped() {
    let scene = build(nested_blocks(16));
    assert_eq!(scene.report.problems(), 0, "{:?}", scene.report);
    assert_eq!(scene.triangle_count(), 16);

    let scene = build(nested_blocks(40));
    assert_eq!(scene.triangle_count(), 16, "levels past 16 are not drawn");
    assert_eq!(scene.report.malformed, 1, "{:?}", scene.report);
    assert!(
        scene.report.messages[0].contains("nested more than 16 deep"),
        "{:?}",
        scene.report
    );
}

#[test]
fn instances_placing_instances_stop_expanding_at_the_instance_limit() {
    // Each definition places ten instances of the next one: 10^6 instances of the last
    // level, each drawing one triangle, unless the expansion is capped. (Instances are
    // distinct objects: one object reached twice in one scope is drawn once anyway.)
    let levels = 6;
    let placed =
        |level: usize| -> Vec<String> { (0..10).map(|k| format!("i{level}_{k}")).collect() };
    let top = placed(0);
    let mut objects = vec![
        root(&top.iter().map(String::as_str).collect::<Vec<_>>()),
        triangle("t"),
    ];
    for level in 0..levels {
        let definition = format!("d{level}");
        for id in placed(level) {
            objects.push(block_instance(&id, translation(1.0, 0.0, 0.0), &definition));
        }
        let geometry: Vec<serde_json::Value> = if level + 1 < levels {
            placed(level + 1).iter().map(|id| r(id)).collect()
        } else {
            vec![r("t")]
        };
        objects.push(block_definition(&definition, geometry));
    }
    let limits = fleck_viewer::BuildLimits::default();
    let scene = build(objects);
    assert!(
        scene.triangle_count() <= limits.max_instances,
        "{} triangles",
        scene.triangle_count()
    );
    assert!(scene.triangle_count() > 0);
    assert!(scene.report.malformed > 0, "{:?}", scene.report);
    assert!(
        scene
            .report
            .messages
            .iter()
            .any(|m| m.contains(&format!("more than {} instances", limits.max_instances))),
        "{:?}",
        scene.report.messages
    );
}
