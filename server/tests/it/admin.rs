//! Server administration and profiles over GraphQL: settings, invite-only registration, roles,
//! profile updates, token lists and user search.

use crate::support::{graphql, register, TestServer};
use serde_json::{json, Value};

const UPDATE_SERVER: &str =
    "mutation($info: ServerInfoUpdateInput!) { serverInfoUpdate(info: $info) }";

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn admins_edit_the_server_and_can_close_registration() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", "correct horse").await;
    let user = register(&server, "user@example.com", "correct horse").await;

    let info = json!({ "info": { "name": "ACME Fleck", "company": "ACME", "adminContact": "ops@acme.test", "inviteOnly": true } });
    assert_eq!(
        code(&graphql(&server, Some(&user), UPDATE_SERVER, info.clone()).await),
        "FORBIDDEN"
    );
    let done = graphql(&server, Some(&admin), UPDATE_SERVER, info).await;
    assert_eq!(done["data"]["serverInfoUpdate"], true, "{done}");

    let read = graphql(
        &server,
        None,
        "{ serverInfo { name company adminContact inviteOnly serverRoles { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(read["data"]["serverInfo"]["name"], "ACME Fleck");
    assert_eq!(read["data"]["serverInfo"]["company"], "ACME");
    assert_eq!(read["data"]["serverInfo"]["inviteOnly"], true);
    assert_eq!(
        read["data"]["serverInfo"]["serverRoles"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let refused = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.at("/auth/local/register?challenge=c"))
        .form(&[
            ("email", "late@example.com"),
            ("password", "correct horse"),
            ("name", "Late"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invitation"),
        "{body}"
    );

    let empty_name = graphql(
        &server,
        Some(&admin),
        UPDATE_SERVER,
        json!({ "info": { "name": "  " } }),
    )
    .await;
    assert_eq!(code(&empty_name), "BAD_USER_INPUT");
}

#[tokio::test]
async fn admins_change_roles_but_keep_one_admin() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", "correct horse").await;
    let user = register(&server, "user@example.com", "correct horse").await;
    let ids = |token: String| {
        let server = &server;
        async move {
            graphql(server, Some(&token), "{ activeUser { id } }", json!({})).await["data"]
                ["activeUser"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let admin_id = ids(admin.clone()).await;
    let user_id = ids(user.clone()).await;
    let change = "mutation($input: UserRoleInput!) { userRoleChange(userRoleInput: $input) }";

    let by_user = graphql(
        &server,
        Some(&user),
        change,
        json!({ "input": { "id": admin_id, "role": "server:guest" } }),
    )
    .await;
    assert_eq!(code(&by_user), "FORBIDDEN");
    let last_admin = graphql(
        &server,
        Some(&admin),
        change,
        json!({ "input": { "id": admin_id, "role": "server:user" } }),
    )
    .await;
    assert_eq!(code(&last_admin), "CONFLICT", "{last_admin}");
    let promoted = graphql(
        &server,
        Some(&admin),
        change,
        json!({ "input": { "id": user_id, "role": "server:admin" } }),
    )
    .await;
    assert_eq!(promoted["data"]["userRoleChange"], true, "{promoted}");
    let role = graphql(&server, Some(&user), "{ activeUser { role } }", json!({})).await;
    assert_eq!(role["data"]["activeUser"]["role"], "server:admin");
    let bad_role = graphql(
        &server,
        Some(&admin),
        change,
        json!({ "input": { "id": user_id, "role": "king" } }),
    )
    .await;
    assert_eq!(code(&bad_role), "BAD_USER_INPUT");
}

#[tokio::test]
async fn users_edit_their_profile_and_list_their_tokens() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    let update = "mutation($user: UserUpdateInput!) { activeUserMutations { update(user: $user) { name company bio } } }";
    let updated = graphql(
        &server,
        Some(&token),
        update,
        json!({ "user": { "name": " Ada Lovelace ", "company": "Analytical", "bio": "Engines" } }),
    )
    .await;
    assert_eq!(
        updated["data"]["activeUserMutations"]["update"],
        json!({ "name": "Ada Lovelace", "company": "Analytical", "bio": "Engines" })
    );
    let cleared = graphql(
        &server,
        Some(&token),
        update,
        json!({ "user": { "company": "" } }),
    )
    .await;
    assert_eq!(
        cleared["data"]["activeUserMutations"]["update"]["company"],
        Value::Null
    );
    assert_eq!(
        cleared["data"]["activeUserMutations"]["update"]["name"],
        "Ada Lovelace"
    );
    let bad_avatar = graphql(
        &server,
        Some(&token),
        update,
        json!({ "user": { "avatar": "javascript:alert(1)" } }),
    )
    .await;
    assert_eq!(code(&bad_avatar), "BAD_USER_INPUT");

    let created = graphql(
        &server,
        Some(&token),
        "mutation { apiTokenCreate(token: { name: \"ci\", scopes: [\"streams:read\"], lifespan: 86400000 }) }",
        json!({}),
    )
    .await;
    let personal = created["data"]["apiTokenCreate"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = graphql(
        &server,
        Some(&token),
        "{ activeUser { apiTokens { id name lastChars scopes lifespan lastUsed } } }",
        json!({}),
    )
    .await;
    let tokens = listed["data"]["activeUser"]["apiTokens"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(tokens.len(), 1, "{listed}");
    assert_eq!(tokens[0]["id"], personal[..10]);
    assert!(personal.ends_with(tokens[0]["lastChars"].as_str().unwrap()));
    assert_eq!(tokens[0]["scopes"], json!(["streams:read"]));
    assert_eq!(tokens[0]["lifespan"], 86_400_000);
    // A token without tokens:read sees no list.
    let hidden = graphql(
        &server,
        Some(&personal),
        "{ activeUser { apiTokens { id } } }",
        json!({}),
    )
    .await;
    assert!(
        hidden["errors"].is_array() || hidden["data"]["activeUser"].is_null(),
        "{hidden}"
    );
}

#[tokio::test]
async fn user_search_finds_people_by_name_or_exact_email() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    register(&server, "grace@example.com", "correct horse").await;
    let search = "query($q: String!, $emailOnly: Boolean) { userSearch(query: $q, limit: 10, emailOnly: $emailOnly) { cursor items { id name } } }";
    let by_domain = graphql(&server, Some(&token), search, json!({ "q": "example.com" })).await;
    assert_eq!(
        by_domain["data"]["userSearch"]["items"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{by_domain}"
    );
    let exact = graphql(
        &server,
        Some(&token),
        search,
        json!({ "q": "grace@example.com", "emailOnly": true }),
    )
    .await;
    assert_eq!(
        exact["data"]["userSearch"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let partial_email = graphql(
        &server,
        Some(&token),
        search,
        json!({ "q": "grace@", "emailOnly": true }),
    )
    .await;
    assert_eq!(partial_email["data"]["userSearch"]["items"], json!([]));
    let short = graphql(&server, Some(&token), search, json!({ "q": "ad" })).await;
    assert_eq!(code(&short), "BAD_USER_INPUT");
    let anonymous = graphql(&server, None, search, json!({ "q": "example.com" })).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn apps_are_listed_and_their_access_can_be_revoked() {
    let server = TestServer::start().await;
    let web = register(&server, "ada@example.com", "correct horse").await;
    let apps = graphql(
        &server,
        None,
        "{ apps { id name trustByDefault author { id } } }",
        json!({}),
    )
    .await;
    let ids: Vec<&str> = apps["data"]["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for id in ["spklwebapp", "sca", "sdui", "connectrV3", "explorer"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }

    // A connector signs in through the access-code flow.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let granted = client
        .get(server.at(&format!(
            "/auth/accesscode?appId=sca&challenge=c&token={web}&preventRedirect=true"
        )))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let redirect = url::Url::parse(granted["redirectUrl"].as_str().unwrap()).unwrap();
    let code = redirect
        .query_pairs()
        .find(|(k, _)| k == "access_code")
        .unwrap()
        .1
        .into_owned();
    let pair: Value = client
        .post(server.at("/auth/token"))
        .json(&json!({ "appId": "sca", "appSecret": "sca", "accessCode": code, "challenge": "c" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connector = pair["token"].as_str().unwrap();

    let authorized = graphql(
        &server,
        Some(&web),
        "{ activeUser { authorizedApps { id } } }",
        json!({}),
    )
    .await;
    let authorized: Vec<&str> = authorized["data"]["activeUser"]["authorizedApps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(authorized.contains(&"sca"), "{authorized:?}");

    let revoked = graphql(
        &server,
        Some(&web),
        "mutation { appRevokeAccess(appId: \"sca\") }",
        json!({}),
    )
    .await;
    assert_eq!(revoked["data"]["appRevokeAccess"], true, "{revoked}");
    let after = reqwest::Client::new()
        .post(server.at("/graphql"))
        .bearer_auth(connector)
        .json(&json!({ "query": "{ activeUser { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 403, "the connector's token stopped working");
    // The web app's own token still works.
    let me = graphql(&server, Some(&web), "{ activeUser { id } }", json!({})).await;
    assert!(me["data"]["activeUser"]["id"].is_string());
}
