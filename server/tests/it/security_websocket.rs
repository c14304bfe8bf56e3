//! GraphQL subscriptions over WebSocket under attack (security item 5): a cap on subscriptions
//! per socket and on sockets per user, the Origin check for cookie sessions, and subscriptions
//! that end once their access is gone.

use std::time::Duration;

use crate::support::{create_bare_project, graphql, register, TestServer, RENAME_PROJECT};
use fleck_app::auth::SignIn;
use fleck_core::auth::Scope;
use fleck_core::authz::ProjectRole;
use futures::{SinkExt, StreamExt};
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn socket_request(
    server: &TestServer,
    headers: &[(&'static str, &str)],
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = format!("{}/graphql", server.url.replace("http", "ws"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    request
}

/// The next text message, as JSON; `None` when the socket closed or stayed silent for 5 s.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// A socket past `connection_init` with `token`; `None` when the server refused it.
async fn connect(server: &TestServer, token: &str) -> Option<Socket> {
    let (mut socket, _) = tokio_tungstenite::connect_async(socket_request(server, &[]))
        .await
        .unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    send(&mut socket, init).await;
    match next(&mut socket).await {
        Some(ack) if ack["type"] == "connection_ack" => Some(socket),
        _ => None,
    }
}

async fn subscribe_project(socket: &mut Socket, id: &str, project: &str) {
    let subscribe = json!({
        "id": id,
        "type": "subscribe",
        "payload": {
            "query": "subscription($p: String!) { projectUpdated(id: $p) { id type } }",
            "variables": { "p": project }
        }
    });
    send(socket, subscribe).await;
}

async fn rename(server: &TestServer, token: &str, project: &str, name: &str) {
    let rename = json!({ "id": project, "n": name });
    let answer = graphql(server, Some(token), RENAME_PROJECT, rename).await;
    assert!(answer["errors"].is_null(), "{answer}");
}

#[tokio::test]
async fn a_socket_holds_a_bounded_number_of_subscriptions() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    let project = create_bare_project(&server, &token, json!({ "name": "p" })).await;
    let mut socket = connect(&server, &token).await.expect("a connection");
    // The server starts subscriptions concurrently: any one of the 51 is the one too many.
    for i in 0..51 {
        subscribe_project(&mut socket, &format!("s{i}"), &project).await;
    }
    let refused = next(&mut socket).await.expect("an answer");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
        "{refused}"
    );
    let refused_id = refused["id"].clone();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "complete");
    // The fifty it holds still hear.
    rename(&server, &token, &project, "renamed").await;
    let mut heard = std::collections::HashSet::new();
    while heard.len() < 50 {
        let message = next(&mut socket).await.expect("an update");
        assert_eq!(message["type"], "next", "{message}");
        assert_ne!(message["id"], refused_id);
        heard.insert(message["id"].to_string());
    }
    // And a place freed by ending one is taken again.
    send(&mut socket, json!({ "id": "s0", "type": "complete" })).await;
    if refused_id == "s0" {
        send(&mut socket, json!({ "id": "s1", "type": "complete" })).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    subscribe_project(&mut socket, "again", &project).await;
    // The new subscription starts listening a moment after the server reads it: change the
    // project until it hears (each change reaches every one of the 50).
    let mut again = false;
    for round in 0..5 {
        rename(&server, &token, &project, &format!("again {round}")).await;
        for _ in 0..50 {
            let message = next(&mut socket).await.expect("an update");
            assert!(message["payload"]["errors"].is_null(), "refused: {message}");
            again |= message["id"] == "again" && message["type"] == "next";
        }
        if again {
            break;
        }
    }
    assert!(again, "the freed place was taken");
}

#[tokio::test]
async fn a_user_holds_a_bounded_number_of_sockets() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(connect(&server, &token).await.expect("a connection"));
    }
    assert!(
        connect(&server, &token).await.is_none(),
        "the 17th is refused"
    );
    // Closing one makes room again.
    let mut closed = open.pop().unwrap();
    closed.close(None).await.unwrap();
    drop(closed);
    let mut reopened = None;
    for _ in 0..50 {
        reopened = connect(&server, &token).await;
        if reopened.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "a socket closed frees its place");
}

#[tokio::test]
async fn another_sites_page_cannot_subscribe_with_the_cookie() {
    let server = TestServer::start().await;
    register(&server, "ada@example.com", "correct horse").await;
    let signed_in = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.at(SignIn::PATH))
        .header("accept", "text/html")
        .header("origin", &server.url)
        .form(&[("email", "ada@example.com"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let foreign = socket_request(
        &server,
        &[("cookie", &cookie), ("origin", "https://evil.example")],
    );
    match tokio_tungstenite::connect_async(foreign).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!(
            "expected a refusal, got {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    let own = socket_request(&server, &[("cookie", &cookie), ("origin", &server.url)]);
    tokio_tungstenite::connect_async(own)
        .await
        .expect("the site's own page may subscribe");
}

#[tokio::test]
async fn subscriptions_end_when_access_is_gone() {
    let server = TestServer::start().await;
    let owner = register(&server, "owner@example.com", "correct horse").await;
    register(&server, "member@example.com", "correct horse").await;
    let project = create_bare_project(&server, &owner, json!({ "name": "p" })).await;
    let member = "member@example.com";
    server
        .add_member(&project, member, ProjectRole::Reviewer)
        .await;
    let member_id = server.user(member).await.id;
    let token = |name| server.personal_token(member, name, &[Scope::StreamsRead], None);
    let removed = token("removed").await;
    let revoked = token("revoked").await;
    let mut removed_socket = connect(&server, &removed).await.unwrap();
    let mut revoked_socket = connect(&server, &revoked).await.unwrap();
    subscribe_project(&mut removed_socket, "s", &project).await;
    subscribe_project(&mut revoked_socket, "s", &project).await;
    // Both hear while their access holds.
    tokio::time::sleep(Duration::from_millis(200)).await;
    rename(&server, &owner, &project, "first").await;
    assert_eq!(next(&mut removed_socket).await.unwrap()["type"], "next");
    assert_eq!(next(&mut revoked_socket).await.unwrap()["type"], "next");

    server
        .core
        .database()
        .auth
        .delete_api_token(&revoked[..10])
        .await
        .unwrap();
    rename(&server, &owner, &project, "second").await;
    let ended = next(&mut revoked_socket).await.expect("an answer");
    assert_eq!(
        ended["type"], "complete",
        "a revoked token hears no more: {ended}"
    );
    assert_eq!(next(&mut removed_socket).await.unwrap()["type"], "next");

    let removal = graphql(
        &server,
        Some(&owner),
        "mutation($i: ProjectUpdateRoleInput!) { projectMutations { updateRole(input: $i) { id } } }",
        json!({ "i": { "projectId": project, "userId": member_id, "role": null } }),
    )
    .await;
    assert!(removal["errors"].is_null(), "{removal}");
    rename(&server, &owner, &project, "third").await;
    let ended = next(&mut removed_socket).await.expect("an answer");
    assert_eq!(
        ended["type"], "complete",
        "a removed member hears no more: {ended}"
    );
}
