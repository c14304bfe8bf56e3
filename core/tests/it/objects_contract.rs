//! The `ObjectStore` contract, run unchanged against SQLite and PostgreSQL. Objects belong to a
//! project by foreign key, so each contract takes the whole `Database` and creates a user and
//! projects through its other faces.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use fleck_core::db::Database;
use fleck_core::objects::{NewObject, ObjectHead, Objects, ID_LEN};
use fleck_core::users::User;

use crate::support::{create_project, user_named};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite, postgres => crate::support::postgres],
    contracts: [
        objects_come_back_byte_for_byte,
        objects_keep_the_first_copy_of_an_id,
        objects_tolerate_duplicates_within_one_upload,
        objects_are_scoped_per_project,
        objects_store_thousands_in_one_upload,
        objects_json_returns_only_existing_ids_ordered_by_id,
        objects_report_which_ids_exist,
        objects_total_their_count_and_bytes,
        objects_accept_concurrent_overlapping_uploads,
        objects_read_back_whether_stored_before_or_after_the_dictionary,
    ],
}

// ---- Helpers ----

/// The objects of `db` as the server uses them: compressed in front of the database.
fn store(db: &Database) -> std::sync::Arc<Objects> {
    std::sync::Arc::new(Objects::new(db.objects.clone()))
}

/// A user without a password (hashing one is slow in debug builds).
async fn user(db: &Database) -> User {
    user_named(db, "ada@example.com", "Ada").await
}

/// A fresh project owned by `owner`; returns its id.
async fn project(db: &Database, owner: &User) -> String {
    create_project(db, owner, "Objects").await.0.id
}

/// A user and `n` projects of theirs.
async fn projects<const N: usize>(db: &Database) -> [String; N] {
    let owner = user(db).await;
    let mut ids = Vec::with_capacity(N);
    for _ in 0..N {
        ids.push(project(db, &owner).await);
    }
    ids.try_into().expect("N projects")
}

/// The id of the `n`th test object: 32 hex digits, so ids sort like the numbers.
fn id(n: usize) -> String {
    format!("{n:0width$x}", width = ID_LEN)
}

/// An object with id `id(n)` and JSON as a client would send it.
fn object(n: usize) -> NewObject {
    let id = id(n);
    NewObject {
        data: format!(r#"{{"id":"{id}","speckle_type":"Base","n":{n}}}"#),
        id,
        speckle_type: "Base".into(),
        total_children_count: None,
    }
}

/// The same id with other JSON, as a second, different upload of it.
fn impostor(n: usize) -> NewObject {
    NewObject {
        data: format!(
            r#"{{"id":"{}","speckle_type":"Base","impostor":true}}"#,
            id(n)
        ),
        ..object(n)
    }
}

async fn insert(db: &Database, project: &str, objects: &[NewObject]) {
    store(db)
        .insert_objects(project, objects.to_vec())
        .await
        .unwrap_or_else(|e| panic!("inserting {} objects: {e}", objects.len()));
}

/// The stored JSON of `id`, panicking when missing.
async fn data(db: &Database, project: &str, id: &str) -> String {
    store(db)
        .object(project, id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("object {id} is missing"))
        .data
}

fn ids(objects: &[NewObject]) -> Vec<String> {
    objects.iter().map(|o| o.id.clone()).collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

// ---- Contracts ----

async fn objects_come_back_byte_for_byte(db: Database) {
    let [project] = projects::<1>(&db).await;
    // Whitespace, number formats and escapes a JSON parser would normalize, raw unicode, and an
    // integer too big for 64 bits.
    let texts = [
        "{\"id\":\"ID\" ,  \"speckle_type\" :\"Objects.Geometry.Mesh\",\n\t\"vertices\":[1.0, 2.50, -0.0, 1e3, 1E-7, 3.141592653589793238462643383279]}",
        r#"{"id":"ID","speckle_type":"Base","big":123456789012345678901234567890123,"neg":-9223372036854775809}"#,
        r#"{"id":"ID","name":"Ünïcödé 建筑 🏗️ ﷽","escaped":"\u00e9\ud83d\ude80\n\"quoted\"\\","empty":{}}"#,
        "  {\"id\":\"ID\",\"a\":null,\"b\":true,\"b\":false}  ",
    ];
    let objects: Vec<NewObject> = texts
        .iter()
        .enumerate()
        .map(|(n, text)| NewObject {
            id: id(n),
            speckle_type: if n == 0 {
                "Objects.Geometry.Mesh".into()
            } else {
                "Base".into()
            },
            total_children_count: if n % 2 == 0 {
                Some(n as i64 * 1_000_000_000)
            } else {
                None
            },
            data: text.replace("ID", &id(n)),
        })
        .collect();
    let before = Utc::now() - Duration::seconds(1);
    insert(&db, &project, &objects).await;
    let after = Utc::now() + Duration::seconds(1);

    for expected in &objects {
        let stored = store(&db)
            .object(&project, &expected.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.id, expected.id);
        assert_eq!(
            stored.data, expected.data,
            "the JSON text of {}",
            expected.id
        );
        assert_eq!(stored.speckle_type, expected.speckle_type);
        assert_eq!(stored.total_children_count, expected.total_children_count);
        assert_eq!(
            store(&db).head(&project, &expected.id).await.unwrap(),
            Some(ObjectHead {
                id: expected.id.clone(),
                total_children_count: expected.total_children_count,
            })
        );
        assert!(
            stored.created_at > before && stored.created_at < after,
            "created_at {} is not about now",
            stored.created_at
        );
    }
    let json = store(&db)
        .objects_json(&project, &ids(&objects))
        .await
        .unwrap();
    let expected: Vec<(String, String)> = objects
        .iter()
        .map(|o| (o.id.clone(), o.data.clone()))
        .collect();
    assert_eq!(json, expected);
    assert_eq!(store(&db).object(&project, &id(99)).await.unwrap(), None);
    assert_eq!(store(&db).head(&project, &id(99)).await.unwrap(), None);
}

async fn objects_keep_the_first_copy_of_an_id(db: Database) {
    let [project] = projects::<1>(&db).await;
    let first = object(1);
    insert(&db, &project, std::slice::from_ref(&first)).await;
    let stored = store(&db)
        .object(&project, &first.id)
        .await
        .unwrap()
        .unwrap();

    // Again, and then with other content and metadata: no error, nothing changes.
    insert(&db, &project, std::slice::from_ref(&first)).await;
    let second = NewObject {
        speckle_type: "Other".into(),
        total_children_count: Some(7),
        ..impostor(1)
    };
    insert(&db, &project, &[second, object(2)]).await;

    assert_eq!(
        store(&db).object(&project, &first.id).await.unwrap(),
        Some(stored)
    );
    assert_eq!(
        data(&db, &project, &id(2)).await,
        object(2).data,
        "the new one was stored"
    );
    let bytes = (first.data.len() + object(2).data.len()) as i64;
    assert_eq!(
        store(&db).object_totals(&project).await.unwrap(),
        (2, bytes)
    );
}

async fn objects_tolerate_duplicates_within_one_upload(db: Database) {
    let [project] = projects::<1>(&db).await;
    insert(&db, &project, &[object(5)]).await;

    // The same object twice in one upload, beside one stored before (sent with other content).
    let upload = [
        object(1),
        object(2),
        object(1),
        impostor(5),
        object(3),
        object(2),
    ];
    insert(&db, &project, &upload).await;

    for n in [1, 2, 3, 5] {
        assert_eq!(data(&db, &project, &id(n)).await, object(n).data);
    }
    assert_eq!(store(&db).object_totals(&project).await.unwrap().0, 4);
}

async fn objects_are_scoped_per_project(db: Database) {
    let [one, two] = projects::<2>(&db).await;
    insert(&db, &one, &[object(1), object(2)]).await;
    // The same id in another project is another object, with its own content.
    insert(&db, &two, &[impostor(1), object(3)]).await;

    assert_eq!(data(&db, &one, &id(1)).await, object(1).data);
    assert_eq!(data(&db, &two, &id(1)).await, impostor(1).data);
    assert_eq!(store(&db).object(&one, &id(3)).await.unwrap(), None);
    assert_eq!(store(&db).object(&two, &id(2)).await.unwrap(), None);

    let asked = vec![id(1), id(2), id(3)];
    assert_eq!(
        sorted(store(&db).existing_ids(&one, &asked).await.unwrap()),
        [id(1), id(2)]
    );
    assert_eq!(
        sorted(store(&db).existing_ids(&two, &asked).await.unwrap()),
        [id(1), id(3)]
    );
    assert_eq!(
        store(&db).objects_json(&two, &asked).await.unwrap(),
        [(id(1), impostor(1).data), (id(3), object(3).data)]
    );
    assert_eq!(store(&db).object_totals(&one).await.unwrap().0, 2);
    assert_eq!(store(&db).object_totals(&two).await.unwrap().0, 2);
    assert!(store(&db)
        .existing_ids("nosuchproj", &asked)
        .await
        .unwrap()
        .is_empty());
}

async fn objects_store_thousands_in_one_upload(db: Database) {
    let [project] = projects::<1>(&db).await;
    // More than one INSERT statement's worth, in no particular order.
    let mut objects: Vec<NewObject> = (0..2_500).map(object).collect();
    objects.reverse();
    objects.swap(0, 1_234);
    insert(&db, &project, &objects).await;

    let bytes: usize = objects.iter().map(|o| o.data.len()).sum();
    assert_eq!(
        store(&db).object_totals(&project).await.unwrap(),
        (2_500, bytes as i64)
    );
    let all = ids(&objects);
    assert_eq!(
        sorted(store(&db).existing_ids(&project, &all).await.unwrap()),
        sorted(all.clone())
    );
    let json = store(&db).objects_json(&project, &all).await.unwrap();
    assert_eq!(json.len(), 2_500);
    for (n, (id_, data)) in json.iter().enumerate() {
        assert_eq!((id_, data), (&id(n), &object(n).data));
    }
    for n in [0, 99, 100, 101, 1_234, 2_499] {
        assert_eq!(data(&db, &project, &id(n)).await, object(n).data);
    }
}

async fn objects_json_returns_only_existing_ids_ordered_by_id(db: Database) {
    let [project] = projects::<1>(&db).await;
    insert(
        &db,
        &project,
        &[object(3), object(1), object(2), object(10)],
    )
    .await;

    let asked = vec![id(10), id(4), id(2), id(1), id(2), "not an id".into()];
    let json = store(&db).objects_json(&project, &asked).await.unwrap();
    assert_eq!(
        json,
        [
            (id(1), object(1).data),
            (id(2), object(2).data),
            (id(10), object(10).data)
        ]
    );
    for asked in [vec![], vec![id(4)]] {
        let found = store(&db).objects_json(&project, &asked).await.unwrap();
        assert!(found.is_empty(), "asked for {asked:?}");
    }
}

async fn objects_report_which_ids_exist(db: Database) {
    let [project] = projects::<1>(&db).await;
    insert(&db, &project, &[object(1), object(2), object(3)]).await;

    let asked = vec![id(3), id(7), id(1), id(8)];
    let found = store(&db).existing_ids(&project, &asked).await.unwrap();
    assert_eq!(sorted(found), [id(1), id(3)]);
    for asked in [vec![], vec![id(9)]] {
        let found = store(&db).existing_ids(&project, &asked).await.unwrap();
        assert!(found.is_empty(), "asked for {asked:?}");
    }
}

async fn objects_total_their_count_and_bytes(db: Database) {
    let [project, other] = projects::<2>(&db).await;
    assert_eq!(store(&db).object_totals(&project).await.unwrap(), (0, 0));
    assert_eq!(store(&db).server_object_totals().await.unwrap(), (0, 0));

    // Bytes of UTF-8, not characters: "é" is 2 bytes, "建" 3, "🏗" 4.
    let unicode = NewObject {
        data: format!(r#"{{"id":"{}","name":"é建🏗"}}"#, id(2)),
        ..object(2)
    };
    let objects = [object(1), unicode];
    insert(&db, &project, &objects).await;
    insert(&db, &other, &[object(9)]).await;

    let bytes: usize = objects.iter().map(|o| o.data.len()).sum();
    assert_eq!(objects[1].data.chars().count() + 6, objects[1].data.len());
    assert_eq!(
        store(&db).object_totals(&project).await.unwrap(),
        (2, bytes as i64)
    );
    let other_bytes = object(9).data.len() as i64;
    assert_eq!(
        store(&db).object_totals(&other).await.unwrap(),
        (1, other_bytes)
    );
    assert_eq!(
        store(&db).server_object_totals().await.unwrap(),
        (3, bytes as i64 + other_bytes),
        "every project together"
    );
}

async fn objects_accept_concurrent_overlapping_uploads(db: Database) {
    let [project] = projects::<1>(&db).await;
    // Eight uploads of 400 objects each, every one overlapping its neighbours by 250 and sent in
    // varying orders, as parallel senders of one model would.
    let uploads = (0..8usize).map(|i| {
        let (objects_store, project) = (store(&db), project.clone());
        tokio::spawn(async move {
            let mut batch: Vec<NewObject> = (i * 150..i * 150 + 400).map(object).collect();
            if i % 2 == 1 {
                batch.reverse();
            }
            objects_store.insert_objects(&project, batch).await
        })
    });
    let results = futures::future::join_all(uploads).await;
    for (i, result) in results.into_iter().enumerate() {
        result
            .expect("the upload task finished")
            .unwrap_or_else(|e| panic!("upload {i}: {e}"));
    }

    let expected: BTreeSet<usize> = (0..7 * 150 + 400).collect();
    let (count, bytes) = store(&db).object_totals(&project).await.unwrap();
    assert_eq!(count, expected.len() as i64);
    let expected_bytes: usize = expected.iter().map(|&n| object(n).data.len()).sum();
    assert_eq!(bytes, expected_bytes as i64);
    let all: Vec<String> = expected.iter().map(|&n| id(n)).collect();
    let json = store(&db).objects_json(&project, &all).await.unwrap();
    let wanted: Vec<(String, String)> = expected.iter().map(|&n| (id(n), object(n).data)).collect();
    assert_eq!(json, wanted);
}

async fn objects_read_back_whether_stored_before_or_after_the_dictionary(db: Database) {
    let [project] = projects::<1>(&db).await;
    // Too few to train a dictionary: stored without one.
    let early: Vec<NewObject> = (0..10).map(object).collect();
    insert(&db, &project, &early).await;
    // The first large batch trains the project's dictionary; later small ones use it.
    let large: Vec<NewObject> = (10..600).map(object).collect();
    insert(&db, &project, &large).await;
    let late: Vec<NewObject> = (600..605).map(object).collect();
    insert(&db, &project, &late).await;

    let all: Vec<String> = (0..605).map(id).collect();
    let json = store(&db).objects_json(&project, &all).await.unwrap();
    let wanted: Vec<(String, String)> = (0..605).map(|n| (id(n), object(n).data)).collect();
    assert_eq!(json, wanted, "a fresh reader sees every object exactly");
    for n in [0, 9, 10, 599, 604] {
        assert_eq!(data(&db, &project, &id(n)).await, object(n).data);
    }
}
