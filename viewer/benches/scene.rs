//! How long the CPU side of the viewer takes at 1,000,000 triangles in 10,000 objects: building
//! the scene from Speckle objects, and cutting it to a section box with the cut faces capped
//! (done on every box change).
//! Prints the fastest and the median of five runs.

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use fleck_viewer::caps::cap_triangles;
use fleck_viewer::scene::Scene;
use fleck_viewer::section::{cut_triangles, CutVertices};
use fleck_viewer::Bounds;

fn measure<T>(name: &str, mut run: impl FnMut() -> T) {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(run());
            started.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name}: fastest {:.0} ms, median {:.0} ms",
        times[0].as_secs_f64() * 1000.0,
        times[2].as_secs_f64() * 1000.0
    );
}

/// `count` closed 24-sided columns (92 triangles each) on a grid: solids, which caps fill.
fn columns(count: usize) -> fleck_viewer::objects::ObjectSource {
    use serde_json::json;
    const SIDES: usize = 24;
    let mut objects = Vec::with_capacity(count + 1);
    let mut ids = Vec::with_capacity(count);
    for e in 0..count {
        let (x0, y0) = ((e % 100) as f64 * 3.0, (e / 100) as f64 * 3.0);
        let mut vertices = Vec::new();
        for z in [0.0, 3.0] {
            for k in 0..SIDES {
                let angle = k as f64 * std::f64::consts::TAU / SIDES as f64;
                vertices.extend([x0 + angle.cos(), y0 + angle.sin(), z]);
            }
        }
        let mut faces = vec![SIDES];
        faces.extend((0..SIDES).rev());
        faces.push(SIDES);
        faces.extend(SIDES..2 * SIDES);
        for k in 0..SIDES {
            let next = (k + 1) % SIDES;
            faces.extend([4, k, next, SIDES + next, SIDES + k]);
        }
        let id = format!("c{e}");
        objects.push(common::mesh(&id, json!(vertices), json!(faces)));
        ids.push(id);
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    objects.push(common::root(&ids));
    common::source(objects)
}

/// Cuts every batch of `scene` to `section`, capping the cuts when `caps`; the triangles kept.
fn cut(scene: &Scene, section: &Bounds, caps: bool) -> usize {
    scene
        .meshes
        .iter()
        .map(|batch| {
            let mut added = CutVertices::for_batch(batch);
            let kept = cut_triangles(batch, &batch.indices, Some(section), &mut added).len();
            let spans = batch.objects.iter().map(|o| o.span());
            kept + if caps {
                cap_triangles(batch, spans, section, &mut added).len()
            } else {
                0
            }
        })
        .sum()
}

/// A box from `bounds`' low corner to half a metre past its middle: it cuts through many objects.
fn through_the_middle(bounds: Bounds) -> Bounds {
    Bounds {
        min: bounds.min,
        max: [0, 1, 2].map(|k| (bounds.min[k] + bounds.max[k]) / 2.0 + 0.5),
    }
}

fn main() {
    let source = common::synthetic_model(10_000);
    measure("build 1M triangles in 10k objects", || {
        Scene::build(&source, "root")
    });

    let scene = Scene::build(&source, "root");
    assert_eq!(scene.triangle_count(), 1_000_000);
    let section = through_the_middle(scene.bounds.expect("the model has geometry"));
    measure("cut 1M triangles to a section box", || {
        cut(&scene, &section, false)
    });
    measure("cut 1M triangles to a section box and cap the cuts", || {
        cut(&scene, &section, true)
    });

    let solids = Scene::build(&columns(10_870), "root");
    println!("closed columns: {} triangles", solids.triangle_count());
    let section = through_the_middle(solids.bounds.expect("the columns have geometry"));
    measure("cut 1M triangles of closed columns", || {
        cut(&solids, &section, false)
    });
    measure(
        "cut 1M triangles of closed columns and cap the cuts",
        || cut(&solids, &section, true),
    );
}
