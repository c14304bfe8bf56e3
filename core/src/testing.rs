//! Stored state for tests to arrange (`testing` feature): records with what a test does not look
//! at filled in (a test sets the fields it cares about with `..`), and what the monitor counts.

use chrono::{DateTime, Utc};

use crate::auth::Actor;
use crate::authz::Visibility;
use crate::ids::{new_id, random_string};
use crate::objects::NewObject;
use crate::projects::service::{self, NewProject};
use crate::projects::{now, Attachment, FileImport, ImportStatus, Model, UploadStatus, Version};
use crate::queue::NewJob;
use crate::users::{NewUser, ServerRole, User};
use crate::Core;

/// A verified user named `name`, without a password (hashing one is slow in debug builds), at an
/// address of their own made from the name.
pub async fn verified_user(core: &Core, name: &str) -> User {
    let id = new_id();
    let user = NewUser {
        email: format!("{}-{id}@example.com", name.to_lowercase()),
        id,
        name: name.into(),
        company: None,
        password_hash: None,
        verified: true,
    };
    core.database()
        .store
        .create_user(user, ServerRole::User)
        .await
        .unwrap_or_else(|e| panic!("creating {name}: {e}"))
}

/// A project `owner` creates through the project service, with its `main` model: the project's
/// id and that model.
pub async fn project_with_main_model(
    core: &Core,
    owner: &Actor,
    name: &str,
    visibility: Visibility,
) -> (String, Model) {
    let new = NewProject {
        name: name.into(),
        description: None,
        visibility,
        with_main_model: true,
    };
    let project = service::create(core, owner, new)
        .await
        .unwrap_or_else(|e| panic!("creating project {name}: {e}"))
        .project;
    let main = core
        .database()
        .projects
        .model_by_name(&project.id, "main")
        .await
        .unwrap()
        .expect("a main model");
    (project.id, main)
}

/// A version of `model_id` by `author_id` with the object `root`, sent now, without a message,
/// an application or parents.
pub fn version(project_id: &str, model_id: &str, root: &str, author_id: &str) -> Version {
    Version {
        id: new_id(),
        project_id: project_id.into(),
        model_id: model_id.into(),
        referenced_object: root.into(),
        author_id: Some(author_id.into()),
        message: None,
        source_application: None,
        total_children_count: None,
        parents: Vec::new(),
        created_at: Utc::now(),
    }
}

/// A queued import of an IFC file, `tower.ifc` of 4,321 bytes, into `model_id` by `user_id`,
/// started at `at`.
pub fn file_import(
    project_id: &str,
    model_id: &str,
    user_id: &str,
    at: DateTime<Utc>,
) -> FileImport {
    FileImport {
        id: new_id(),
        project_id: project_id.into(),
        model_id: model_id.into(),
        user_id: user_id.into(),
        file_name: "tower.ifc".into(),
        file_type: "ifc".into(),
        file_size: 4_321,
        status: ImportStatus::Queued,
        message: None,
        version_id: None,
        performance: None,
        created_at: at,
        updated_at: at,
    }
}

/// One of each thing the database monitor counts, in `model_id` of `project_id`: a version by
/// `author_id` of `objects` objects, an uploaded IFC file of 4,321 bytes being imported, a preview
/// waiting to be drawn, and a job of a kind no worker runs (`probe`), so it stays queued.
pub async fn monitored_records(
    core: &Core,
    project_id: &str,
    model_id: &str,
    author_id: &str,
    objects: usize,
) {
    let objects: Vec<NewObject> = (0..objects)
        .map(|n| {
            let id = random_string(32);
            NewObject {
                data: format!(r#"{{"id":"{id}","speckle_type":"Base","n":{n}}}"#),
                id,
                speckle_type: "Base".into(),
                total_children_count: Some(0),
            }
        })
        .collect();
    let root = objects[0].id.clone();
    core.objects()
        .insert_objects(project_id, objects)
        .await
        .unwrap();
    let at = now();
    let db = core.database();
    let projects = &db.projects;
    let version = Version {
        source_application: Some("Rhino".into()),
        total_children_count: Some(0),
        created_at: at,
        ..version(project_id, model_id, &root, author_id)
    };
    projects.create_version(&version).await.unwrap();

    // The uploaded file the import is of: the same name, type and size, under the import's id.
    let file_id = random_string(10);
    let file = Attachment {
        object_key: format!("{project_id}/{file_id}"),
        id: file_id.clone(),
        project_id: project_id.into(),
        user_id: Some(author_id.into()),
        file_name: "tower.ifc".into(),
        file_type: "ifc".into(),
        file_size: Some(4_321),
        file_hash: None,
        status: UploadStatus::Completed,
        upload_error: None,
        created_at: at,
    };
    projects.save_attachment(&file).await.unwrap();
    let import = FileImport {
        id: file_id,
        ..file_import(project_id, model_id, author_id, at)
    };
    projects.save_file_import(&import).await.unwrap();

    let requested = db.previews.request_preview(project_id, &root, at).await;
    assert!(requested.unwrap(), "the preview is new");
    let probe = NewJob::new("probe", serde_json::json!({}));
    core.jobs.enqueue(probe).await.unwrap();
}
