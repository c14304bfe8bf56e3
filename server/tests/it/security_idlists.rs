//! Security item 7: the routes that take lists of object ids (`/api/getobjects`, `/api/diff`,
//! `/api/v2/projects/{p}/object-stream`) read their bodies as they arrive and bound them: at most
//! a million ids of at most 64 bytes each, whoever asks (public projects answer anyone). A list
//! at the limit still works, in every format the clients send.

use std::io::Read;

use crate::support::{form_encode, register, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const MAX_IDS: usize = 1_000_000;

struct World {
    server: TestServer,
    owner: String,
    project: String,
    /// The uploaded objects: `(id, json)`, by id.
    objects: Vec<(String, String)>,
}

impl World {
    async fn new(visibility: &str) -> Self {
        let server = TestServer::start().await;
        let owner = register(&server, "owner@example.com", "password-owner").await;
        let (project, _) = crate::support::create_project(&server, &owner, visibility).await;
        let mut objects: Vec<(String, String)> = (0..3)
            .map(|i| {
                let id = format!("{:032x}", 0xabc0 + i);
                let json = format!(r#"{{"id":"{id}","speckle_type":"Base","n":{i}}}"#);
                (id, json)
            })
            .collect();
        objects.sort();
        let batch = format!(
            "[{}]",
            objects
                .iter()
                .map(|(_, json)| json.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let uploaded = reqwest::Client::new()
            .post(server.at(&format!("/objects/{project}")))
            .bearer_auth(&owner)
            .multipart(reqwest::multipart::Form::new().text("batch-1", batch))
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::CREATED);
        World {
            server,
            owner,
            project,
            objects,
        }
    }

    fn url(&self, route: &str) -> String {
        match route {
            "object-stream" => self
                .server
                .at(&format!("/api/v2/projects/{}/object-stream/", self.project)),
            _ => self.server.at(&format!("/api/{route}/{}", self.project)),
        }
    }

    /// `count` ids: the uploaded objects' among ids the project does not have.
    fn ids(&self, count: usize) -> Vec<String> {
        let mut ids: Vec<String> = (0..count - self.objects.len())
            .map(|i| format!("{:032x}", 0x1_0000_0000u64 + i as u64))
            .collect();
        for (i, (id, _)) in self.objects.iter().enumerate() {
            ids.insert((i * 1000).min(ids.len()), id.clone());
        }
        ids
    }
}

/// The form body specklepy sends: `objects=` and the list as JSON, URL-encoded (`quote_plus`).
fn form_body(ids: &[String]) -> String {
    let list = serde_json::to_string(ids).unwrap().replace(',', ", ");
    format!("objects={}", form_encode(&list))
}

/// The JSON body objectloader sends: the list as a JSON string in `objects`.
fn json_body(ids: &[String]) -> String {
    json!({ "objects": serde_json::to_string(ids).unwrap() }).to_string()
}

fn stream_body(ids: &[String]) -> String {
    json!({ "objectIds": ids }).to_string()
}

async fn post(
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .header("accept", "text/plain")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

async fn gunzipped(response: reqwest::Response) -> String {
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let bytes = response.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The error message of a list route's JSON error body, in either shape.
async fn message(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]["message"]
        .as_str()
        .or(body["error"].as_str())
        .unwrap_or_else(|| panic!("an error message in {body}"))
        .to_string()
}

#[tokio::test]
async fn a_list_over_a_million_ids_is_refused_with_413() {
    let world = World::new("PUBLIC").await;
    let ids = world.ids(MAX_IDS + 1);
    // Anyone may read a public project, so a stranger is the one to try it.
    let cases = [
        ("getobjects", None, FORM, form_body(&ids)),
        ("getobjects", None, JSON, json_body(&ids)),
        ("diff", Some(world.owner.as_str()), FORM, form_body(&ids)),
        ("object-stream", None, JSON, stream_body(&ids)),
    ];
    for (route, token, content_type, body) in cases {
        let response = post(&world.url(route), token, content_type, body).await;
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{route} {content_type}"
        );
        let message = message(response).await;
        assert!(message.contains("1000000"), "{route}: {message}");
    }
    // The server is still there.
    let live = reqwest::get(world.server.at("/liveness")).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
}

#[tokio::test]
async fn ids_over_64_bytes_are_refused_with_400() {
    let world = World::new("PUBLIC").await;
    let mut ids = world.ids(10);
    ids[5] = "a".repeat(65);
    let cases = [
        ("getobjects", None, FORM, form_body(&ids)),
        ("getobjects", None, JSON, json_body(&ids)),
        ("diff", Some(world.owner.as_str()), JSON, json_body(&ids)),
        ("object-stream", None, JSON, stream_body(&ids)),
    ];
    for (route, token, content_type, body) in cases {
        let response = post(&world.url(route), token, content_type, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{route}");
        let message = message(response).await;
        assert!(message.contains("64 bytes"), "{route}: {message}");
    }
    // 64 bytes is still an id.
    ids[5] = "a".repeat(64);
    let response = post(&world.url("getobjects"), None, FORM, form_body(&ids)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_list_of_a_million_ids_is_answered_in_full() {
    let world = World::new("PUBLIC").await;
    let ids = world.ids(MAX_IDS);
    let expected: Vec<String> = world
        .objects
        .iter()
        .map(|(id, json)| format!("{id}\t{json}\n"))
        .collect();

    // specklepy's form body, anonymously.
    let response = post(&world.url("getobjects"), None, FORM, form_body(&ids)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(gunzipped(response).await, expected.concat());

    // objectloader's double-encoded JSON body.
    let response = post(&world.url("getobjects"), None, JSON, json_body(&ids)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(gunzipped(response).await, expected.concat());

    // objectloader2's object stream.
    let response = post(&world.url("object-stream"), None, JSON, stream_body(&ids)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(gunzipped(response).await, expected.concat());

    // The diff answers every id, in the order asked.
    let response = post(
        &world.url("diff"),
        Some(&world.owner),
        FORM,
        form_body(&ids),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = gunzipped(response).await;
    let keys: Vec<&str> = text
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .map(|entry| entry.split(':').next().unwrap().trim_matches('"'))
        .collect();
    assert_eq!(keys.len(), MAX_IDS);
    assert!(keys.iter().zip(&ids).all(|(key, id)| key == id));
    let answer: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    let present: Vec<&String> = answer
        .iter()
        .filter(|(_, has)| has.as_bool().unwrap())
        .map(|(id, _)| id)
        .collect();
    let uploaded: Vec<&String> = world.objects.iter().map(|(id, _)| id).collect();
    assert_eq!(present, uploaded);
}

#[tokio::test]
async fn the_list_routes_keep_their_answers() {
    let world = World::new("PUBLIC").await;
    let (first, first_json) = world.objects[0].clone();
    let getobjects = world.url("getobjects");

    // Both body formats, other form fields ignored, repeats and unknown ids skipped.
    let body = format!(
        "a=1&{}&b=2",
        form_body(&[first.clone(), first.clone(), "x".into()])
    );
    let response = post(&getobjects, None, FORM, body).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        gunzipped(response).await,
        format!("{first}\t{first_json}\n")
    );
    let response = reqwest::Client::new()
        .post(&getobjects)
        .header("content-type", JSON)
        .body(json_body(std::slice::from_ref(&first)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(gunzipped(response).await, format!("[{first_json}]"));

    // An empty list: nothing, and an empty diff.
    let response = post(&getobjects, None, FORM, form_body(&[])).await;
    assert_eq!(gunzipped(response).await, "");
    let response = post(&world.url("diff"), Some(&world.owner), FORM, form_body(&[])).await;
    assert_eq!(gunzipped(response).await, "{}");

    // Refusals keep their statuses: an unknown body type 415, a missing field 422, a bad list
    // or bad JSON 400 (in Speckle's error shape).
    let refusals = [
        ("text/plain", form_body(std::slice::from_ref(&first)), 415),
        (FORM, "other=1".to_string(), 422),
        (JSON, r#"{"other": "[]"}"#.to_string(), 422),
        (FORM, "objects=not-json".to_string(), 400),
        (JSON, r#"{"objects": "[1, 2]"}"#.to_string(), 400),
        (JSON, r#"{"objects": "[]""#.to_string(), 400),
    ];
    for (content_type, body, status) in refusals {
        let response = post(&getobjects, None, content_type, body.clone()).await;
        assert_eq!(response.status().as_u16(), status, "{content_type} {body}");
        let answer: Value = response.json().await.unwrap();
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    let answer: Value = post(&getobjects, None, FORM, "objects=%5B1%5D".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["error"]["code"], "BAD_REQUEST_ERROR");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("objects must be a JSON array of object ids"));

    // The object stream is strict, with `{"error": …}` bodies.
    let stream = world.url("object-stream");
    for body in [
        json!({ "objectIds": [] }),
        json!({ "objectIds": [first], "extra": true }),
        json!({ "objectIds": [first], "attributeMask": { "include": [] } }),
        json!({ "ids": [first] }),
    ] {
        let response = post(&stream, None, JSON, body.to_string()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert!(message(response).await.len() > 10);
    }
    let body = stream_body(std::slice::from_ref(&first));
    let response = post(&stream, None, "text/plain", body.clone()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let masked = json!({ "objectIds": [first], "attributeMask": { "include": ["n"] } });
    let response = post(&stream, None, JSON, masked.to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        gunzipped(response).await,
        format!("{first}\t{{\"id\":\"{first}\",\"n\":0}}\n")
    );
    let response = post(
        &world
            .server
            .at(&format!("/api/v2/projects/{}/object-stream", world.project)),
        None,
        "application/json; charset=utf-8",
        body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn access_is_checked_before_the_body_is_read() {
    let world = World::new("PRIVATE").await;
    // Even a body that is not a list at all: the stranger learns nothing but "no".
    for route in ["getobjects", "diff", "object-stream"] {
        let response = post(&world.url(route), None, JSON, "not json".into()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{route}");
    }
    let response = post(&world.url("diff"), None, FORM, form_body(&world.ids(5))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
