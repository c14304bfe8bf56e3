//! The version-compare benchmark (`bench/changes.sh`): two versions of `FLECK_BENCH_ELEMENTS`
//! elements, each a wall with its own display mesh, of which 1 % differ (half moved, half with a
//! changed property). Prints the time and peak memory of computing the change set on each
//! backend. Without `FLECK_BENCH_ELEMENTS` it does nothing, so the ordinary test run skips it.

use std::collections::BTreeMap;
use std::time::Instant;

use fleck_core::auth::Actor;
use fleck_core::authz::Visibility;
use fleck_core::changes;
use fleck_core::objects::NewObject;
use fleck_core::testing;
use fleck_core::Core;
use serde_json::json;

use crate::support::{main_model, service_project, verified_user};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_core, postgres => crate::support::postgres_core],
    contracts: [changes_of_two_large_versions],
}

/// Elements per version; `None` (the benchmark does not run) unless `FLECK_BENCH_ELEMENTS` is set.
fn elements() -> Option<usize> {
    std::env::var("FLECK_BENCH_ELEMENTS")
        .ok()
        .and_then(|n| n.parse().ok())
}

fn id(kind: u8, n: usize, variant: u8) -> String {
    format!("{kind:02x}{variant:02x}{n:028x}")
}

/// The objects of one version: every hundredth element differs when `changed`.
fn version_objects(count: usize, changed: bool) -> (Vec<NewObject>, String) {
    let mut objects = Vec::with_capacity(count * 2 + 1);
    let mut closure = BTreeMap::new();
    let mut members = Vec::with_capacity(count);
    for n in 0..count {
        let differs = changed && n % 100 == 0;
        let moved = differs && n % 200 == 0;
        let x = n as f64 + if moved { 0.5 } else { 0.0 };
        let mesh_variant = u8::from(moved);
        let mesh = id(1, n, mesh_variant);
        let vertices: Vec<f64> = (0..24).map(|i| x + i as f64 * 0.1).collect();
        let mesh_json = json!({ "id": mesh, "speckle_type": "Objects.Geometry.Mesh",
            "vertices": vertices, "faces": [3, 0, 1, 2, 3, 3, 4, 5, 3, 6, 7, 0], "units": "m" });
        objects.push(object(
            &mesh,
            "Objects.Geometry.Mesh",
            mesh_json.to_string(),
        ));
        let fire = if differs && !moved { "EI90" } else { "EI60" };
        let wall = id(2, n, u8::from(differs));
        let wall_json = json!({ "id": wall, "speckle_type": "Objects.BuiltElements.Wall",
            "applicationId": format!("wall-{n}"), "name": format!("Wall {n}"), "category": "Walls",
            "properties": { "Fire rating": fire, "Height": 3.0, "Material": "Concrete", "Level": n / 1000 },
            "displayValue": [{ "referencedId": mesh, "speckle_type": "reference" }],
            "__closure": { mesh.clone(): 1 } });
        objects.push(object(
            &wall,
            "Objects.BuiltElements.Wall",
            wall_json.to_string(),
        ));
        closure.insert(mesh, 2);
        closure.insert(wall.clone(), 1);
        members.push(json!({ "referencedId": wall, "speckle_type": "reference" }));
    }
    let root = id(0, 0, u8::from(changed));
    let root_json = json!({ "id": root, "speckle_type": "Speckle.Core.Models.Collections.Collection",
        "name": "Model", "elements": members, "__closure": closure });
    objects.push(object(
        &root,
        "Speckle.Core.Models.Collections.Collection",
        root_json.to_string(),
    ));
    (objects, root)
}

fn object(id: &str, speckle_type: &str, data: String) -> NewObject {
    NewObject {
        id: id.into(),
        speckle_type: speckle_type.into(),
        total_children_count: None,
        data,
    }
}

/// Peak resident memory since the last reset, in MiB; resetting it first (Linux only).
fn peak_rss_mib(reset: bool) -> Option<f64> {
    if reset {
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn changes_of_two_large_versions(core: Core) {
    let Some(count) = elements() else { return };
    let backend = core.database_kind();
    let user = verified_user(&core, "Bench").await;
    let owner = Actor::from_session(user.clone());
    let project = service_project(&core, &owner, "Bench", Visibility::Private).await;
    let model = main_model(&core, &project).await;
    let mut versions = Vec::new();
    for changed in [false, true] {
        let (objects, root) = version_objects(count, changed);
        for batch in objects.chunks(10_000) {
            core.objects()
                .insert_objects(&project, batch.to_vec())
                .await
                .unwrap();
        }
        let version = testing::version(&project, &model.id, &root, &user.id);
        core.database()
            .projects
            .create_version(&version)
            .await
            .unwrap();
        versions.push(version.id);
    }
    let before = peak_rss_mib(true);
    let started = Instant::now();
    let set = changes::compare_versions(&core, &owner, &project, &versions[0], &versions[1])
        .await
        .unwrap();
    let took = started.elapsed();
    let peak = peak_rss_mib(false);
    let cached = Instant::now();
    changes::compare_versions(&core, &owner, &project, &versions[0], &versions[1])
        .await
        .unwrap();
    let cached = cached.elapsed();
    assert_eq!(set.counts.changed as usize, count / 100);
    assert_eq!(set.counts.unchanged as usize, count - count / 100);
    println!(
        "| {backend} | {count} | {} changed | {:.2} s | {} | {:.1} ms |",
        set.counts.changed,
        took.as_secs_f64(),
        match (before, peak) {
            (Some(b), Some(p)) => format!("{p:.0} MiB (process before: {b:.0} MiB)"),
            _ => "n/a".into(),
        },
        cached.as_secs_f64() * 1000.0,
    );
}
