//! How long the CPU side of the viewer takes at 1,000,000 triangles in 10,000 objects: building
//! the scene from Speckle objects, and cutting it to a section box (done on every box change).
//! Prints the fastest and the median of five runs.

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

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

fn main() {
    let source = common::synthetic_model(10_000);
    measure("build 1M triangles in 10k objects", || {
        Scene::build(&source, "root")
    });

    let scene = Scene::build(&source, "root");
    assert_eq!(scene.triangle_count(), 1_000_000);
    let bounds = scene.bounds.expect("the model has geometry");
    // A box through the middle of the model, so many triangles are cut, not only kept or dropped.
    let section = Bounds {
        min: bounds.min,
        max: [0, 1, 2].map(|k| (bounds.min[k] + bounds.max[k]) / 2.0 + 0.5),
    };
    measure("cut 1M triangles to a section box", || {
        scene
            .meshes
            .iter()
            .map(|batch| {
                let mut added = CutVertices::for_batch(batch);
                cut_triangles(batch, &batch.indices, Some(&section), &mut added).len()
            })
            .sum::<usize>()
    });
}
