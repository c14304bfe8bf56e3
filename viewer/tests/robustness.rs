//! Bad, incomplete and large input: skipped and counted, never a panic, never a hang.

mod common;

use common::*;
use fleck_viewer::{ObjectSource, Scene};
use serde_json::json;

#[test]
fn malformed_meshes_are_skipped_and_counted() {
    let objects = vec![
        root(&[
            "good",
            "out-of-range",
            "odd",
            "nan",
            "not-numbers",
            "short-face",
        ]),
        triangle("good"),
        mesh(
            "out-of-range",
            json!([0, 0, 0, 1, 0, 0, 0, 1, 0]),
            json!([3, 0, 1, 99]),
        ),
        mesh("odd", json!([0, 0, 0, 1, 0]), json!([3, 0, 1, 2])),
        mesh(
            "nan",
            json!([0, 0, 0, 1, 0, 0, null, 1, 0]),
            json!([3, 0, 1, 2]),
        ),
        mesh("not-numbers", json!("nope"), json!([3, 0, 1, 2])),
        mesh(
            "short-face",
            json!([0, 0, 0, 1, 0, 0, 0, 1, 0]),
            json!([4, 0, 1, 2]),
        ),
    ];
    let scene = build(objects);
    assert_eq!(scene.triangle_count(), 1);
    assert_eq!(scene.meshes[0].objects[0].object_id, "good");
    assert_eq!(scene.report.malformed, 5);
    assert!(scene.report.messages[0].contains("out-of-range"));
}

#[test]
fn reference_cycles_do_not_loop() {
    let objects = vec![
        json!({ "id": "root", "speckle_type": "Base", "elements": [r("a")] }),
        json!({ "id": "a", "speckle_type": "Base", "elements": [r("b"), r("t")] }),
        json!({ "id": "b", "speckle_type": "Base", "elements": [r("a"), r("root")], "@self": r("b") }),
        // A cycle through display values.
        json!({ "id": "x", "speckle_type": "Objects.BuiltElements.Wall", "displayValue": [r("y")] }),
        json!({ "id": "y", "speckle_type": "Base", "displayValue": [r("x"), r("t")] }),
        triangle("t"),
    ];
    let mut source = source(objects);
    let scene = Scene::build(&source, "root");
    assert_eq!(scene.triangle_count(), 1);
    assert_eq!(scene.report.cycles, 3);

    source.insert(json!({ "id": "root2", "speckle_type": "Base", "elements": [r("x")] }));
    let scene = Scene::build(&source, "root2");
    assert_eq!(scene.triangle_count(), 1);
    assert_eq!(scene.report.cycles, 1);
}

#[test]
fn scenes_grow_as_objects_stream_in() {
    let mut source = ObjectSource::new();
    source.insert(json!({
        "id": "root", "speckle_type": "Base",
        "__closure": { "wall": 1, "m": 2, "v": 3 },
        "@elements": [r("wall")]
    }));
    let scene = Scene::build(&source, "root");
    assert!(scene.is_empty());
    assert_eq!(scene.report.missing, 1);
    assert_eq!(source.missing_children("root").len(), 3);

    source.insert(json!({ "id": "wall", "speckle_type": "Objects.BuiltElements.Wall", "displayValue": [r("m")] }));
    source.insert(json!({
        "id": "m", "speckle_type": "Objects.Geometry.Mesh",
        "vertices": [r("v")], "faces": [3, 0, 1, 2]
    }));
    let scene = Scene::build(&source, "root");
    assert!(scene.is_empty());
    assert_eq!(scene.report.missing, 1, "the vertex chunk");

    source.insert(chunk("v", json!([0, 0, 0, 1, 0, 0, 0, 1, 0])));
    let scene = Scene::build(&source, "root");
    assert_eq!(scene.triangle_count(), 1);
    assert_eq!(scene.report.problems(), 0);
    assert!(source.missing_children("root").is_empty());
}

#[test]
fn a_missing_root_gives_an_empty_scene() {
    let scene = Scene::build(&ObjectSource::new(), "root");
    assert!(scene.is_empty());
    assert_eq!(scene.bounds, None);
    assert_eq!(scene.report.missing, 1);
}

#[test]
fn very_deep_trees_stop_instead_of_overflowing() {
    let mut objects = vec![json!({ "id": "root", "speckle_type": "Base", "elements": [r("n0")] })];
    for k in 0..1000 {
        objects.push(json!({ "id": format!("n{k}"), "speckle_type": "Base", "elements": [r(&format!("n{}", k + 1))] }));
    }
    let scene = build(objects);
    assert_eq!(scene.report.malformed, 1);
    assert_eq!(scene.report.missing, 0);
}

/// A synthetic model: `count` floor elements, each a 10 × 5 grid of quads (100 triangles) in
/// one of four materials, with vertices and faces chunked as Speckle sends them.
fn synthetic_model(count: usize) -> ObjectSource {
    let mut source = ObjectSource::new();
    let mut elements = Vec::new();
    for e in 0..count {
        let (x0, y0) = ((e % 40) as f64 * 12.0, (e / 40) as f64 * 7.0);
        let mut vertices = Vec::new();
        for j in 0..=5 {
            for i in 0..=10 {
                vertices.extend([x0 + i as f64, y0 + j as f64, (i * j) as f64 * 0.01]);
            }
        }
        let mut faces = Vec::new();
        for j in 0..5 {
            for i in 0..10 {
                let v = j * 11 + i;
                faces.extend([4, v, v + 1, v + 12, v + 11]);
            }
        }
        let (vertices_a, vertices_b) = vertices.split_at(99);
        source.insert(chunk(&format!("v{e}a"), json!(vertices_a)));
        source.insert(chunk(&format!("v{e}b"), json!(vertices_b)));
        source.insert(chunk(&format!("f{e}"), json!(faces)));
        source.insert(json!({
            "id": format!("m{e}"),
            "speckle_type": "Objects.Geometry.Mesh",
            "units": "m",
            "vertices": refs(&[&format!("v{e}a"), &format!("v{e}b")]),
            "faces": [r(&format!("f{e}"))],
            "renderMaterial": material(-16777216 + (e % 4) as i64 * 40, 1.0)
        }));
        source.insert(json!({
            "id": format!("e{e}"),
            "speckle_type": "Objects.BuiltElements.Floor:Objects.BuiltElements.Revit.RevitFloor",
            "category": "Floors",
            "displayValue": [r(&format!("m{e}"))]
        }));
        elements.push(r(&format!("e{e}")));
    }
    source.insert(json!({ "id": "root", "speckle_type": "Base", "@Floors": elements }));
    source
}

fn assert_synthetic_scene(scene: &Scene, count: usize) {
    assert_eq!(scene.report.problems(), 0, "{:?}", scene.report);
    assert_eq!(scene.triangle_count(), count * 100);
    assert_eq!(scene.meshes.len(), 4);
    assert_eq!(scene.objects.len(), count + 1);
    for batch in &scene.meshes {
        assert_eq!(batch.objects.len(), count / 4);
        assert_eq!(batch.positions.len(), batch.normals.len());
        assert!(batch
            .indices
            .iter()
            .all(|&i| (i as usize) < batch.positions.len()));
        let drawn: u32 = batch.objects.iter().map(|range| range.index_count).sum();
        assert_eq!(drawn as usize, batch.indices.len());
    }
}

#[test]
fn builds_a_100k_triangle_model() {
    let source = synthetic_model(1000);
    let scene = Scene::build(&source, "root");
    assert_synthetic_scene(&scene, 1000);
    let bounds = scene.bounds.unwrap();
    assert_eq!(bounds.min, [0.0, 0.0, 0.0]);
    assert_eq!(
        [bounds.max[0], bounds.max[1]],
        [39.0 * 12.0 + 10.0, 24.0 * 7.0 + 5.0]
    );
}

/// The size the viewer is held to: 1,000,000 triangles in 10,000 objects, well under a second
/// in release. Run with `cargo test -p fleck-viewer --release -- --ignored --nocapture`.
#[test]
#[ignore = "timing check; run in release"]
fn builds_a_million_triangle_model() {
    let source = synthetic_model(10_000);
    let started = std::time::Instant::now();
    let scene = Scene::build(&source, "root");
    eprintln!(
        "built 1M triangles from 10k objects in {:?}",
        started.elapsed()
    );
    assert_synthetic_scene(&scene, 10_000);
}
