//! The database monitor (`fleck_core::monitor`) on a whole `Core`: the embedded backends (SQLite,
//! in-process cache) and the production ones (PostgreSQL and Redis).

use std::time::Duration;

use chrono::Utc;
use fleck_core::monitor::{self, Figures, ImportFigure};
use fleck_core::queue::JobState;
use fleck_core::testing;
use fleck_core::Core;

use crate::support::{create_model, create_project, user_named};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_core, postgres => crate::support::postgres_core],
    contracts: [
        monitor_collects_what_the_server_holds,
        monitor_publishes_once_per_interval,
    ],
}

/// A user, a project with two models, a version, three objects, an uploaded file, a file import,
/// a preview and a queued job.
async fn fill(core: &Core) {
    let db = core.database();
    let ada = user_named(&db, "ada@example.com", "Ada").await;
    let (project, main) = create_project(&db, &ada, "Tower").await;
    create_model(&db, &project, "walls", &ada).await;
    testing::monitored_records(core, &project.id, &main.id, &ada.id, 3).await;
}

fn table(figures: &Figures, name: &str) -> i64 {
    figures
        .tables
        .iter()
        .find(|(table, _)| table == name)
        .unwrap_or_else(|| panic!("no size for table {name} in {:?}", figures.tables))
        .1
}

async fn monitor_collects_what_the_server_holds(core: Core) {
    let empty = monitor::collect(&core).await.unwrap();
    assert_eq!((empty.users, empty.projects, empty.objects), (0, 0, 0));

    let before = Utc::now();
    fill(&core).await;
    let f = monitor::collect(&core).await.unwrap();

    assert!(f.collected_at >= before);
    assert_eq!(f.users, 1);
    assert_eq!(f.projects, 1);
    assert_eq!(f.models, 2);
    assert_eq!(f.versions, 1);
    assert_eq!(f.objects, 3);
    assert!(f.object_bytes > 3 * 30, "{}", f.object_bytes);
    assert_eq!((f.attachments, f.attachment_bytes), (1, 4_321));
    assert_eq!(f.previews, vec![("pending".to_string(), 1)]);
    assert_eq!(
        f.file_imports,
        vec![ImportFigure {
            file_type: "ifc".into(),
            status: "queued".into(),
            count: 1,
            bytes: 4_321,
        }]
    );
    assert_eq!(f.webhook_events, Vec::<(String, i64)>::new());
    // Only the probe: the import and the preview were recorded without queueing their jobs.
    let probe = f
        .jobs
        .iter()
        .find(|c| c.kind == "probe")
        .unwrap_or_else(|| panic!("no probe job in {:?}", f.jobs));
    assert_eq!((probe.state, probe.count), (JobState::Queued, 1));
    assert!(probe.oldest.is_some_and(|at| at >= before));

    // Sizes: the database's, and each table's with its indexes, largest first.
    assert!(f.database_bytes > 0);
    for name in ["users", "projects", "versions", "objects", "jobs"] {
        assert!(table(&f, name) > 0, "{name}: {:?}", f.tables);
    }
    let listed: i64 = f.tables.iter().map(|(_, bytes)| bytes).sum();
    assert!(
        listed <= f.database_bytes,
        "{listed} > {}",
        f.database_bytes
    );
    assert!(
        f.tables.windows(2).all(|w| w[0].1 >= w[1].1),
        "{:?}",
        f.tables
    );
}

async fn monitor_publishes_once_per_interval(core: Core) {
    let interval = Duration::from_secs(1);
    assert_eq!(monitor::latest(&core).await.unwrap(), None);
    // A page asking before the first round gets fresh figures (and publishes nothing).
    assert_eq!(monitor::latest_or_collect(&core).await.unwrap().users, 0);
    assert_eq!(monitor::latest(&core).await.unwrap(), None);

    assert!(monitor::refresh(&core, interval).await.unwrap());
    let first = monitor::latest(&core).await.unwrap().expect("published");
    assert_eq!(first.users, 0);

    // Within the interval the turn is taken: nobody collects, the published figures stay.
    fill(&core).await;
    assert!(!monitor::refresh(&core, interval).await.unwrap());
    assert_eq!(monitor::latest(&core).await.unwrap(), Some(first.clone()));
    assert_eq!(monitor::latest_or_collect(&core).await.unwrap(), first);

    // The next round collects again.
    tokio::time::sleep(interval).await;
    assert!(monitor::refresh(&core, interval).await.unwrap());
    let second = monitor::latest(&core).await.unwrap().expect("published");
    assert!(second.collected_at > first.collected_at);
    assert_eq!((second.users, second.objects), (1, 3));
}
