//! Headless rendering on this machine's GL (Mesa's llvmpipe without a GPU), compared with a
//! reference image. `FLECK_UPDATE_REFERENCE=1 cargo test -p fleck-viewer --features headless
//! --test headless` rewrites the reference after an intended change to how scenes look.

#![cfg(feature = "headless")]

use crate::common::*;
use fleck_viewer::camera::{Orbit, StandardView};
use fleck_viewer::headless::{preview_views, Headless, Image, RenderThread};
use fleck_viewer::Bounds;
use serde_json::{json, Value};

/// The reference image, found from the directory cargo runs the test in: a test binary built in
/// another checkout (sharing a target directory) would otherwise look in that checkout.
fn reference() -> std::path::PathBuf {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into());
    std::path::Path::new(&root).join("tests/reference/boxes.png")
}

/// An axis-aligned box as a quad mesh (Speckle's n-gon face encoding), with a render material.
fn cube(id: &str, min: [f64; 3], max: [f64; 3], argb: i64) -> Value {
    let [x0, y0, z0] = min;
    let [x1, y1, z1] = max;
    let mut box_mesh = mesh(
        id,
        json!([
            x0, y0, z0, x1, y0, z0, x1, y1, z0, x0, y1, z0, //
            x0, y0, z1, x1, y0, z1, x1, y1, z1, x0, y1, z1
        ]),
        json!([
            4, 0, 3, 2, 1, 4, 4, 5, 6, 7, 4, 0, 1, 5, 4, 4, 1, 2, 6, 5, 4, 2, 3, 7, 6, 4, 3, 0, 4,
            7
        ]),
    );
    box_mesh["renderMaterial"] = material(argb, 1.0);
    box_mesh
}

/// Two boxes (red and blue), a green polyline and a few points.
fn model() -> Vec<Value> {
    vec![
        root(&["red", "blue", "path", "dots"]),
        cube("red", [0.0, 0.0, 0.0], [4.0, 3.0, 2.5], 0xFFD0_3030),
        cube("blue", [5.0, 0.5, 0.0], [7.0, 2.5, 6.0], 0xFF30_60D0),
        json!({
            "id": "path",
            "speckle_type": "Objects.Geometry.Polyline",
            "value": [0, -1, 0, 7, -1, 0, 7, 4, 0],
            "closed": false,
            "units": "m",
            "displayStyle": { "color": 0xFF20_A040_i64, "lineweight": 0 }
        }),
        json!({
            "id": "dots",
            "speckle_type": "Objects.Geometry.Pointcloud",
            "points": [1, 4, 0, 2, 4, 0, 3, 4, 0],
            "colors": [],
            "units": "m"
        }),
    ]
}

fn differing_share(a: &Image, b: &Image) -> f64 {
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "image sizes differ"
    );
    let differing = a
        .rgba
        .chunks_exact(4)
        .zip(b.rgba.chunks_exact(4))
        .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 24))
        .count();
    differing as f64 / (a.width * a.height) as f64
}

fn is_background(p: [u8; 4]) -> bool {
    p[0] > 235 && p[1] > 235 && p[2] > 235
}

#[test]
fn a_scene_renders_like_its_reference_image() {
    let scene = build(model());
    assert!(scene.triangle_count() >= 24 && !scene.lines.is_empty() && !scene.points.is_empty());
    let headless = Headless::new().expect("a headless GL context (Mesa EGL)");
    let views = preview_views(&scene, 1, 350.0 / 200.0);
    let image = headless.render(&scene, &views, 350, 200).unwrap().remove(0);

    // Whatever the reference says, the model is in the picture, centred, in its colours.
    let drawn = image
        .rgba
        .chunks_exact(4)
        .filter(|p| !is_background([p[0], p[1], p[2], p[3]]))
        .count();
    assert!(drawn > 350 * 200 / 20, "only {drawn} pixels show the model");
    assert!(
        !is_background(image.pixel(175, 100)),
        "nothing at the centre"
    );
    let reddish = image
        .rgba
        .chunks_exact(4)
        .filter(|p| p[0] > 120 && p[1] < 90 && p[2] < 90)
        .count();
    let bluish = image
        .rgba
        .chunks_exact(4)
        .filter(|p| p[2] > 120 && p[0] < 90)
        .count();
    assert!(
        reddish > 500 && bluish > 500,
        "red {reddish}, blue {bluish}"
    );

    let path = reference();
    if std::env::var_os("FLECK_UPDATE_REFERENCE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, image.png().unwrap()).unwrap();
    }
    let reference = Image::from_png(&std::fs::read(&path).expect("the reference image")).unwrap();
    let share = differing_share(&image, &reference);
    if share > 0.01 {
        let actual = std::env::temp_dir().join("fleck-headless-actual.png");
        std::fs::write(&actual, image.png().unwrap()).unwrap();
        panic!(
            "{:.2}% of pixels differ from {}; this render is at {}",
            share * 100.0,
            path.display(),
            actual.display()
        );
    }
}

#[test]
fn preview_angles_show_the_model_from_around_it() {
    let scene = build(model());
    let thread = RenderThread::start().expect("a headless GL context (Mesa EGL)");
    let images = thread
        .run(move |headless| {
            headless.render(&scene, &preview_views(&scene, 4, 140.0 / 80.0), 140, 80)
        })
        .unwrap()
        .unwrap();
    assert_eq!(images.len(), 4);
    for image in &images {
        let middle = (50..90).flat_map(|x| (25..55).map(move |y| (x, y)));
        assert!(
            middle
                .filter(|&(x, y)| !is_background(image.pixel(x, y)))
                .count()
                > 200
        );
    }
    assert_ne!(
        images[0], images[2],
        "turning the camera changes the picture"
    );
    let sprite = Image::sprite(&images).unwrap();
    assert_eq!((sprite.width, sprite.height), (560, 80));
    let png = sprite.png().unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn an_empty_scene_and_bad_sizes_are_handled() {
    let thread = RenderThread::start().expect("a headless GL context (Mesa EGL)");
    let empty = build(vec![root(&[])]);
    let images = thread
        .run(move |headless| {
            let views = preview_views(&empty, 1, 2.0);
            (
                headless.render(&empty, &views, 64, 32),
                headless.render(&empty, &views, 0, 32).is_err(),
            )
        })
        .unwrap();
    let image = &images.0.as_ref().unwrap()[0];
    assert!(image
        .rgba
        .chunks_exact(4)
        .all(|p| is_background([p[0], p[1], p[2], p[3]])));
    assert!(images.1, "a zero-width image is refused");
}

#[test]
fn transparent_objects_blend_far_to_near_from_every_side() {
    // Two half-transparent slabs one behind the other: the nearer one's colour must dominate
    // whichever side the camera is on, which only holds when the far one is drawn first.
    let slab = |id: &str, y: f64, argb: i64| {
        let mut slab = cube(id, [-1.0, y, -1.0], [1.0, y + 0.1, 1.0], argb);
        slab["renderMaterial"] = material(argb, 0.5);
        slab
    };
    let scene = build(vec![
        root(&["red", "blue"]),
        slab("red", 0.0, 0xFFE0_2020),
        slab("blue", 2.0, 0xFF20_20E0),
    ]);
    let bounds = scene.bounds.unwrap();
    let mut front = Orbit::fit(bounds.min, bounds.max);
    front.set_view(StandardView::Front);
    let mut back = front;
    back.rotate(std::f32::consts::PI, 0.0);
    let headless = Headless::new().expect("a headless GL context (Mesa EGL)");
    let images = headless.render(&scene, &[front, back], 120, 120).unwrap();
    let [r, _, b, _] = images[0].pixel(60, 60);
    assert!(
        r > b + 30,
        "from the front the red slab is nearer: {r} vs {b}"
    );
    let [r, _, b, _] = images[1].pixel(60, 60);
    assert!(
        b > r + 30,
        "from the back the blue slab is nearer: {b} vs {r}"
    );
}

#[test]
fn a_section_box_caps_what_it_cuts_and_shows_its_edges() {
    // A 4 m red cube cut by a box keeping x ≤ 2 must look like a 2 m wide red block: its cut
    // face filled, hiding the blue core inside it (an open shell would show it), and the box's
    // edges drawn around it.
    let core = || cube("core", [0.5, 1.0, 1.0], [1.5, 3.0, 3.0], 0xFF30_60D0);
    let cut = build(vec![
        root(&["red", "core"]),
        cube("red", [0.0, 0.0, 0.0], [4.0, 4.0, 4.0], 0xFFD0_3030),
        core(),
    ]);
    let block = build(vec![
        root(&["red", "core"]),
        cube("red", [0.0, 0.0, 0.0], [2.0, 4.0, 4.0], 0xFFD0_3030),
        core(),
    ]);
    // The same camera in the world for both, each scene having its own origin.
    let local = |scene: &fleck_viewer::scene::Scene, p: [f64; 3]| {
        [0, 1, 2].map(|k| (p[k] - scene.origin[k]) as f32)
    };
    let view = |scene| {
        let mut orbit = Orbit::fit(local(scene, [0.0; 3]), local(scene, [2.0, 4.0, 4.0]));
        orbit.set_view(StandardView::Side);
        orbit.rotate(-0.4, 0.3);
        orbit
    };
    let section = Bounds {
        min: local(&cut, [-1.0, -1.0, -1.0]),
        max: local(&cut, [2.0, 5.0, 5.0]),
    };
    let headless = Headless::new().expect("a headless GL context (Mesa EGL)");
    let capped = headless
        .render_section(&cut, Some(section), &[view(&cut)], 160, 160)
        .unwrap()
        .remove(0);
    let expected = headless
        .render(&block, &[view(&block)], 160, 160)
        .unwrap()
        .remove(0);
    let block_pixels: Vec<usize> = (0..160 * 160)
        .filter(|&i| !is_background(expected.pixel(i % 160, i / 160)))
        .map(|i| i as usize)
        .collect();
    assert!(block_pixels.len() > 160 * 160 / 10, "the block is in view");
    let differing = block_pixels
        .iter()
        .filter(|&&i| {
            let (p, q) = (
                &capped.rgba[i * 4..i * 4 + 3],
                &expected.rgba[i * 4..i * 4 + 3],
            );
            p.iter().zip(q).any(|(x, y)| x.abs_diff(*y) > 24)
        })
        .count();
    assert!(
        differing * 50 < block_pixels.len(),
        "{differing} of {} pixels of the block differ",
        block_pixels.len()
    );
    let orange = capped
        .rgba
        .chunks_exact(4)
        // Thin lines blend with the background: orange, or orange half over white.
        .filter(|p| p[0] > 150 && p[1] > 90 && i32::from(p[0]) - i32::from(p[2]) > 60)
        .count();
    assert!(orange > 50, "the box's edges are drawn ({orange} pixels)");
}
