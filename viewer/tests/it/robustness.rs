//! Bad, incomplete and large input: skipped and counted, never a panic, never a hang.

use crate::common::*;
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

#[test]
fn a_build_held_to_limits_stops_there_and_says_why() {
    let source = crate::common::synthetic_model(50);
    let whole = fleck_viewer::Scene::build(&source, "root");
    assert_eq!(whole.triangle_count(), 50 * 100);
    assert_eq!(whole.report.stopped, None);

    let limits = |max_objects, max_primitives, deadline| fleck_viewer::BuildLimits {
        max_objects,
        max_primitives,
        deadline,
        ..fleck_viewer::BuildLimits::default()
    };
    // Each floor is an element and its mesh: the build stops after ten elements' worth.
    let few = fleck_viewer::Scene::build_within(&source, "root", limits(Some(21), None, None));
    let why = few.report.stopped.clone().expect("stopped");
    assert!(why.contains("more than 21 objects"), "{why}");
    assert_eq!(few.triangle_count(), 10 * 100);

    let small = fleck_viewer::Scene::build_within(&source, "root", limits(None, Some(250), None));
    let why = small.report.stopped.clone().expect("stopped");
    assert!(why.contains("more than 250 triangles"), "{why}");
    assert_eq!(
        small.triangle_count(),
        300,
        "the mesh that crossed the limit is the last"
    );

    // Past a triangle budget, each further mesh is its bounding box: the whole model, coarser.
    let budget = fleck_viewer::BuildLimits {
        triangle_budget: Some(1_000),
        ..fleck_viewer::BuildLimits::default()
    };
    let coarse = fleck_viewer::Scene::build_within(&source, "root", budget);
    assert_eq!(coarse.report.stopped, None);
    assert_eq!(coarse.report.boxed, 40);
    assert_eq!(coarse.triangle_count(), 10 * 100 + 40 * 12);
    let world = |scene: &fleck_viewer::Scene| {
        let bounds = scene.bounds.expect("drawn");
        let at = |corner: [f32; 3], axis: usize| scene.origin[axis] + f64::from(corner[axis]);
        (0..3)
            .map(|axis| (at(bounds.min, axis), at(bounds.max, axis)))
            .collect::<Vec<_>>()
    };
    for (full, boxed) in world(&whole).into_iter().zip(world(&coarse)) {
        assert!((full.0 - boxed.0).abs() < 1e-3 && (full.1 - boxed.1).abs() < 1e-3);
    }

    let past = std::time::Instant::now();
    let late = fleck_viewer::Scene::build_within(&source, "root", limits(None, None, Some(past)));
    let why = late.report.stopped.clone().expect("stopped");
    assert!(why.contains("time limit"), "{why}");
}
