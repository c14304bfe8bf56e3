//! The database monitor (`fleck_core::monitor`) on a whole `Core`: the embedded backends (SQLite,
//! in-process cache) and the production ones (PostgreSQL and Redis).

use std::time::Duration;

use chrono::Utc;
use fleck_core::authz::Visibility;
use fleck_core::ids::{new_id, random_string};
use fleck_core::monitor::{self, Figures, ImportFigure};
use fleck_core::objects::NewObject;
use fleck_core::projects::{
    now, Attachment, FileImport, ImportStatus, Model, Project, UploadStatus, Version,
};
use fleck_core::queue::{JobState, NewJob};
use fleck_core::users::{ServerRole, UserInput};
use fleck_core::Core;

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
    let ada = core
        .database()
        .store
        .create_user(
            UserInput {
                email: "ada@example.com".into(),
                name: "Ada".into(),
                company: None,
                password: None,
            }
            .into_new_user()
            .unwrap(),
            ServerRole::Admin,
        )
        .await
        .unwrap();
    let at = now();
    let project = Project {
        id: new_id(),
        name: "Tower".into(),
        description: String::new(),
        visibility: Visibility::Private,
        allow_public_comments: false,
        created_at: at,
        updated_at: at,
    };
    let model = |name: &str| Model {
        id: new_id(),
        project_id: project.id.clone(),
        name: name.into(),
        description: None,
        author_id: Some(ada.id.clone()),
        created_at: at,
        updated_at: at,
    };
    let main = model("main");
    core.database()
        .projects
        .create_project(&project, &ada.id, Some(&main))
        .await
        .unwrap();
    core.database()
        .projects
        .create_model(&model("walls"))
        .await
        .unwrap();

    let objects: Vec<NewObject> = (0..3)
        .map(|i| {
            let id = random_string(32);
            NewObject {
                data: format!(r#"{{"id":"{id}","speckle_type":"Base","n":{i}}}"#),
                id,
                speckle_type: "Base".into(),
                total_children_count: Some(0),
            }
        })
        .collect();
    let root = objects[0].id.clone();
    core.objects()
        .insert_objects(&project.id, objects)
        .await
        .unwrap();
    core.database()
        .projects
        .create_version(&Version {
            id: new_id(),
            project_id: project.id.clone(),
            model_id: main.id.clone(),
            referenced_object: root.clone(),
            author_id: Some(ada.id.clone()),
            message: None,
            source_application: Some("Rhino".into()),
            total_children_count: Some(0),
            parents: Vec::new(),
            created_at: at,
        })
        .await
        .unwrap();

    let file_id = random_string(10);
    core.database()
        .projects
        .save_attachment(&Attachment {
            object_key: format!("{}/{file_id}", project.id),
            file_name: "tower.ifc".into(),
            id: file_id.clone(),
            project_id: project.id.clone(),
            user_id: Some(ada.id.clone()),
            file_type: "ifc".into(),
            file_size: Some(4_321),
            file_hash: None,
            status: UploadStatus::Completed,
            upload_error: None,
            created_at: at,
        })
        .await
        .unwrap();
    core.database()
        .projects
        .save_file_import(&FileImport {
            id: file_id,
            project_id: project.id.clone(),
            model_id: main.id.clone(),
            user_id: ada.id.clone(),
            file_name: "tower.ifc".into(),
            file_type: "ifc".into(),
            file_size: 4_321,
            status: ImportStatus::Queued,
            message: None,
            version_id: None,
            performance: None,
            created_at: at,
            updated_at: at,
        })
        .await
        .unwrap();
    assert!(core
        .database()
        .previews
        .request_preview(&project.id, &root, at)
        .await
        .unwrap());
    core.jobs
        .enqueue(NewJob::new("probe", serde_json::json!({})))
        .await
        .unwrap();
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
