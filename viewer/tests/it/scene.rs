//! Building scenes from hand-written Speckle objects: meshes, materials, lines, the object tree.

use crate::common::*;
use fleck_viewer::{properties, Material};
use serde_json::json;

fn inside(polygon: &[[f32; 2]], q: [f32; 2]) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[i], polygon[j]);
        if (a[1] > q[1]) != (b[1] > q[1])
            && q[0] < (b[0] - a[0]) * (q[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[test]
fn chunked_mesh_with_quads_and_a_concave_pentagon() {
    // Vertices 0–3: a unit quad. Vertices 4–8: an arrowhead at x = 10 whose notch (vertex 7)
    // makes a fan from vertex 4 spill outside. Everything in millimetres, split into chunks.
    let quad = [0, 0, 0, 1000, 0, 0, 1000, 1000, 0, 0, 1000, 0];
    let pentagon = [
        10000, 0, 0, 14000, 0, 0, 14000, 3000, 0, 12000, 1000, 0, 10000, 3000, 0,
    ];
    let vertices: Vec<i64> = quad.iter().chain(pentagon.iter()).copied().collect();
    let (first, second) = vertices.split_at(14); // a chunk edge inside a point
    let objects = vec![
        root(&["m"]),
        chunk("v1", json!(first)),
        chunk("v2", json!(second)),
        chunk("f1", json!([4, 0, 1, 2, 3, 5])),
        chunk("f2", json!([4, 5, 6, 7, 8])),
        json!({
            "id": "m",
            "speckle_type": "Objects.Geometry.Mesh",
            "units": "mm",
            "vertices": refs(&["v1", "v2"]),
            "faces": refs(&["f1", "f2"])
        }),
    ];
    let scene = build(objects);
    assert_eq!(scene.report.problems(), 0, "{:?}", scene.report);
    assert_eq!(scene.meshes.len(), 1);
    assert_eq!(scene.triangle_count(), 2 + 3);

    // Units: millimetres became metres.
    let bounds = scene.bounds.unwrap();
    assert_eq!(bounds.min, [0.0, 0.0, 0.0]);
    assert_eq!(bounds.max, [14.0, 3.0, 0.0]);

    let arrow = [
        [10.0, 0.0],
        [14.0, 0.0],
        [14.0, 3.0],
        [12.0, 1.0],
        [10.0, 3.0],
    ];
    let arrow_area = 12.0 - 4.0; // the 4 × 3 box less the notch
    let pentagon_triangles: Vec<_> = triangles(&scene.meshes[0])
        .into_iter()
        .filter(|t| t[0][0] >= 10.0)
        .collect();
    assert_eq!(pentagon_triangles.len(), 3);
    let mut area = 0.0;
    for [a, b, c] in pentagon_triangles {
        let twice = turn(a, b, c);
        assert!(twice > 0.0, "flipped or empty triangle");
        area += twice / 2.0;
        let centroid = [(a[0] + b[0] + c[0]) / 3.0, (a[1] + b[1] + c[1]) / 3.0];
        assert!(inside(&arrow, centroid), "triangle outside the pentagon");
    }
    assert!((area - arrow_area).abs() < 1e-4);
    // A flat mesh: every normal is +Z.
    assert!(scene.meshes[0]
        .normals
        .iter()
        .all(|n| close(*n, [0.0, 0.0, 1.0])));
}

#[test]
fn wall_with_two_materials_makes_two_batches_both_picking_the_wall() {
    let mut brick = triangle("brick-mesh");
    brick["renderMaterial"] = material(-5952982, 1.0);
    let mut glass = mesh(
        "glass-mesh",
        json!([0, 0, 1, 1, 0, 1, 0, 1, 1]),
        json!([3, 0, 1, 2]),
    );
    glass["renderMaterial"] = material(-16776961, 0.4);
    let objects = vec![
        json!({ "id": "root", "speckle_type": "Base", "@Walls": [r("wall")] }),
        json!({
            "id": "wall",
            "speckle_type": "Objects.BuiltElements.Wall:Objects.BuiltElements.Revit.RevitWall",
            "category": "Walls",
            "units": "mm",
            // Described again as a line: must not be drawn next to the display meshes.
            "baseLine": {
                "speckle_type": "Objects.Geometry.Line",
                "start": { "x": 0, "y": 0, "z": 0 }, "end": { "x": 1000, "y": 0, "z": 0 }
            },
            "displayValue": [r("brick-mesh"), r("glass-mesh")],
            "parameters": { "WIDTH": { "name": "Width", "value": 200, "units": "mm" } }
        }),
        brick,
        glass,
    ];
    let scene = build(objects);
    assert_eq!(scene.meshes.len(), 2);
    assert!(scene.lines.is_empty());
    let [bricks, glazing] = [&scene.meshes[0], &scene.meshes[1]];
    assert_eq!(bricks.material, Material::from_argb(-5952982, 1.0));
    assert_eq!(glazing.material.opacity, 0.4);
    assert_eq!(glazing.material.color, [0, 0, 255, 102]);
    for batch in [bricks, glazing] {
        assert_eq!(batch.objects.len(), 1);
        let range = &batch.objects[0];
        assert_eq!(range.object_id, "wall");
        assert!(range.speckle_type.ends_with("RevitWall"));
        assert_eq!((range.first_index, range.index_count), (0, 3));
    }

    // The tree lists the wall under the root, not its display meshes.
    let ids: Vec<_> = scene.objects.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["root", "wall"]);
    let wall = scene.object("wall").unwrap();
    assert_eq!(wall.parent.as_deref(), Some("root"));
    assert_eq!(wall.category, "Walls");
    assert_eq!(wall.name, "RevitWall");
    assert_eq!(scene.object("root").unwrap().parent, None);
}

#[test]
fn materials_are_inherited_and_vertex_colours_kept() {
    let mut coloured = mesh(
        "painted",
        json!([0, 0, 0, 1, 0, 0, 0, 1, 0]),
        json!([3, 0, 1, 2]),
    );
    coloured["colors"] = json!([-65536, -16711936, -16776961]);
    let objects = vec![
        json!({
            "id": "root",
            "speckle_type": "Speckle.Core.Models.Collection",
            "name": "Layer 1",
            "renderMaterial": material(-16711936, 1.0),
            "elements": refs(&["plain", "painted"])
        }),
        triangle("plain"),
        coloured,
    ];
    let scene = build(objects);
    assert_eq!(scene.meshes.len(), 2);
    let green = Material::from_argb(-16711936, 1.0);
    assert!(scene.meshes.iter().all(|batch| batch.material == green));
    let plain = scene.meshes.iter().find(|b| b.colors.is_none()).unwrap();
    assert_eq!(plain.objects[0].object_id, "plain");
    let painted = scene.meshes.iter().find(|b| b.colors.is_some()).unwrap();
    assert_eq!(
        painted.colors.as_ref().unwrap(),
        &vec![[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]]
    );
    assert_eq!(scene.object("root").unwrap().name, "Layer 1");
}

#[test]
fn meshes_without_material_are_grey() {
    let scene = build(vec![root(&["t"]), triangle("t")]);
    assert_eq!(scene.meshes[0].material, Material::DEFAULT);
}

#[test]
fn lines_polylines_curves_and_points() {
    let objects = vec![
        root(&["line", "polyline", "curve", "point", "arc"]),
        json!({
            "id": "line", "speckle_type": "Objects.Geometry.Line", "units": "mm",
            "start": { "speckle_type": "Objects.Geometry.Point", "x": 0, "y": 0, "z": 0, "units": "mm" },
            "end": { "speckle_type": "Objects.Geometry.Point", "x": 2000, "y": 0, "z": 0, "units": "mm" },
            "displayStyle": { "color": -65536 }
        }),
        json!({
            "id": "polyline", "speckle_type": "Objects.Geometry.Polyline", "units": "m",
            "value": [0, 0, 0, 1, 0, 0, 1, 1, 0], "closed": true
        }),
        json!({
            "id": "curve", "speckle_type": "Objects.Geometry.Curve", "units": "m",
            "displayValue": {
                "speckle_type": "Objects.Geometry.Polyline", "value": [0, 0, 5, 1, 0, 5, 2, 1, 5]
            }
        }),
        json!({ "id": "point", "speckle_type": "Objects.Geometry.Point", "x": 3, "y": 4, "z": 5 }),
        json!({
            "id": "arc", "speckle_type": "Objects.Geometry.Arc", "units": "m",
            "startPoint": { "x": 1, "y": 0, "z": 0 },
            "midPoint": { "x": 0, "y": 1, "z": 0 },
            "endPoint": { "x": -1, "y": 0, "z": 0 }
        }),
    ];
    let scene = build(objects);
    assert_eq!(scene.report.problems(), 0, "{:?}", scene.report);
    assert!(scene.meshes.is_empty());

    let red = scene
        .lines
        .iter()
        .find(|b| b.color == [255, 0, 0, 255])
        .unwrap();
    assert_eq!(red.positions, vec![[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]);
    assert_eq!(red.objects[0].object_id, "line");

    let grey = scene
        .lines
        .iter()
        .find(|b| b.color != [255, 0, 0, 255])
        .unwrap();
    let count = |id: &str| -> u32 {
        grey.objects
            .iter()
            .filter(|range| range.object_id == id)
            .map(|range| range.index_count)
            .sum()
    };
    assert_eq!(count("polyline"), 6); // three segments, the last closing it
    assert_eq!(count("curve"), 4);
    assert!(count("arc") >= 2 * 8);
    assert_eq!(grey.positions.len() % 2, 0);

    assert_eq!(scene.points.len(), 1);
    assert_eq!(scene.points[0].positions, vec![[3.0, 4.0, 5.0]]);
    assert_eq!(scene.bounds.unwrap().max, [3.0, 4.0, 5.0]);
}

#[test]
fn unknown_types_are_skipped_quietly() {
    let objects = vec![
        root(&["widget", "surface", "text", "t"]),
        json!({
            "id": "widget", "speckle_type": "Acme.Things.Widget",
            "numbers": [1, 2, 3], "label": "hello", "nested": { "deep": [true, false] }
        }),
        json!({
            "id": "surface", "speckle_type": "Objects.Geometry.Surface",
            "degreeU": 3, "pointData": [0, 0, 0, 1]
        }),
        json!({ "id": "text", "speckle_type": "Objects.Other.Text", "value": "Hi" }),
        triangle("t"),
    ];
    let scene = build(objects);
    assert_eq!(scene.report.problems(), 0);
    assert_eq!(scene.triangle_count(), 1);
    assert!(scene.object("widget").is_some(), "still listed in the tree");
}

#[test]
fn breps_draw_their_display_mesh_only() {
    let objects = vec![
        root(&["brep"]),
        json!({
            "id": "brep", "speckle_type": "Objects.Geometry.Brep",
            "displayValue": [r("t")],
            "Curve3D": [{ "speckle_type": "Objects.Geometry.Line", "value": [0, 0, 0, 1, 0, 0] }],
            "Vertices": [{ "speckle_type": "Objects.Geometry.Point", "x": 0, "y": 0, "z": 0 }]
        }),
        triangle("t"),
    ];
    let scene = build(objects);
    assert_eq!(scene.triangle_count(), 1);
    assert!(scene.lines.is_empty() && scene.points.is_empty());
}

#[test]
fn an_object_reached_twice_is_drawn_once_but_shared_display_meshes_per_owner() {
    let objects = vec![
        json!({ "id": "root", "speckle_type": "Base", "a": [r("t"), r("w1"), r("w2")], "b": [r("t")] }),
        triangle("t"),
        json!({ "id": "w1", "speckle_type": "Objects.BuiltElements.Wall", "displayValue": [r("shared")] }),
        json!({ "id": "w2", "speckle_type": "Objects.BuiltElements.Wall", "displayValue": [r("shared")] }),
        triangle("shared"),
    ];
    let scene = build(objects);
    assert_eq!(scene.triangle_count(), 3);
    let owners: Vec<_> = scene.meshes[0]
        .objects
        .iter()
        .map(|o| o.object_id.as_str())
        .collect();
    assert_eq!(owners, ["t", "w1", "w2"]);
}

#[test]
fn properties_of_a_selected_wall() {
    let source = source(vec![json!({
        "id": "wall", "speckle_type": "Objects.BuiltElements.Wall", "name": "Basic Wall",
        "height": 3000, "units": "mm", "totalChildrenCount": 3,
        "displayValue": [r("m1")],
        "parameters": { "p": { "name": "Fire Rating", "value": "EI 60" } }
    })]);
    let list = properties(&source, "wall");
    assert_eq!(list[0], ("name".into(), "Basic Wall".into()));
    assert!(list.contains(&("height".into(), "3000".into())));
    assert!(list.contains(&("Fire Rating".into(), "EI 60".into())));
    assert!(!list
        .iter()
        .any(|(k, _)| k == "displayValue" || k == "totalChildrenCount"));
}
