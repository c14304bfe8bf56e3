//! Server administration and profiles over GraphQL: settings, invite-only registration, roles,
//! profile updates, token lists and user search.

use crate::support::{
    access_code_in, active_user_status, client, error_code as code, error_message, exchange_at,
    graphql, json_of, register, token_of, user_id, TestServer,
};
use serde_json::{json, Value};

const UPDATE_SERVER: &str =
    "mutation($info: ServerInfoUpdateInput!) { serverInfoUpdate(info: $info) }";

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

    let read = "{ serverInfo { name company adminContact inviteOnly serverRoles { id } } }";
    let read = graphql(&server, None, read, json!({})).await;
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

    let refused = client()
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
    assert!(error_message(&body).contains("invitation"), "{body}");

    let empty_name = json!({ "info": { "name": "  " } });
    let empty_name = graphql(&server, Some(&admin), UPDATE_SERVER, empty_name).await;
    assert_eq!(code(&empty_name), "BAD_USER_INPUT");
}

#[tokio::test]
async fn admins_change_roles_but_keep_one_admin() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", "correct horse").await;
    let user = register(&server, "user@example.com", "correct horse").await;
    let admin_id = user_id(&server, &admin).await;
    let user_id = user_id(&server, &user).await;
    let change = async |token: &str, id: &str, role: &str| {
        let change = "mutation($input: UserRoleInput!) { userRoleChange(userRoleInput: $input) }";
        let input = json!({ "input": { "id": id, "role": role } });
        graphql(&server, Some(token), change, input).await
    };

    let by_user = change(&user, &admin_id, "server:guest").await;
    assert_eq!(code(&by_user), "FORBIDDEN");
    let last_admin = change(&admin, &admin_id, "server:user").await;
    assert_eq!(code(&last_admin), "CONFLICT", "{last_admin}");
    let promoted = change(&admin, &user_id, "server:admin").await;
    assert_eq!(promoted["data"]["userRoleChange"], true, "{promoted}");
    let role = graphql(&server, Some(&user), "{ activeUser { role } }", json!({})).await;
    assert_eq!(role["data"]["activeUser"]["role"], "server:admin");
    let bad_role = change(&admin, &user_id, "king").await;
    assert_eq!(code(&bad_role), "BAD_USER_INPUT");
}

#[tokio::test]
async fn users_edit_their_profile_and_list_their_tokens() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    let update = async |user: Value| {
        let update = "mutation($user: UserUpdateInput!) { activeUserMutations { update(user: $user) { name company bio } } }";
        graphql(&server, Some(&token), update, json!({ "user": user })).await
    };
    let updated =
        update(json!({ "name": " Ada Lovelace ", "company": "Analytical", "bio": "Engines" }))
            .await;
    assert_eq!(
        updated["data"]["activeUserMutations"]["update"],
        json!({ "name": "Ada Lovelace", "company": "Analytical", "bio": "Engines" })
    );
    let cleared = update(json!({ "company": "" })).await;
    assert_eq!(
        cleared["data"]["activeUserMutations"]["update"]["company"],
        Value::Null
    );
    assert_eq!(
        cleared["data"]["activeUserMutations"]["update"]["name"],
        "Ada Lovelace"
    );
    let bad_avatar = update(json!({ "avatar": "javascript:alert(1)" })).await;
    assert_eq!(code(&bad_avatar), "BAD_USER_INPUT");

    let create = "mutation { apiTokenCreate(token: { name: \"ci\", scopes: [\"streams:read\"], lifespan: 86400000 }) }";
    let created = graphql(&server, Some(&token), create, json!({})).await;
    let personal = created["data"]["apiTokenCreate"]
        .as_str()
        .unwrap()
        .to_string();
    let list = "{ activeUser { apiTokens { id name lastChars scopes lifespan lastUsed } } }";
    let listed = graphql(&server, Some(&token), list, json!({})).await;
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
    let list = "{ activeUser { apiTokens { id } } }";
    let hidden = graphql(&server, Some(&personal), list, json!({})).await;
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
    let search = async |token: Option<&str>, variables: Value| {
        let search = "query($q: String!, $emailOnly: Boolean) { userSearch(query: $q, limit: 10, emailOnly: $emailOnly) { cursor items { id name } } }";
        graphql(&server, token, search, variables).await
    };
    let found = |answer: &Value| {
        answer["data"]["userSearch"]["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let by_domain = search(Some(&token), json!({ "q": "example.com" })).await;
    assert_eq!(found(&by_domain), 2, "{by_domain}");
    let exact = search(
        Some(&token),
        json!({ "q": "grace@example.com", "emailOnly": true }),
    )
    .await;
    assert_eq!(found(&exact), 1);
    let partial_email = search(Some(&token), json!({ "q": "grace@", "emailOnly": true })).await;
    assert_eq!(partial_email["data"]["userSearch"]["items"], json!([]));
    let short = search(Some(&token), json!({ "q": "ad" })).await;
    assert_eq!(code(&short), "BAD_USER_INPUT");
    let anonymous = search(None, json!({ "q": "example.com" })).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn apps_are_listed_and_their_access_can_be_revoked() {
    let server = TestServer::start().await;
    let web = register(&server, "ada@example.com", "correct horse").await;
    let apps = "{ apps { id name trustByDefault author { id } } }";
    let apps = graphql(&server, None, apps, json!({})).await;
    let listed = ids(&apps["data"]["apps"]);
    for id in ["spklwebapp", "sca", "sdui", "connectrV3", "explorer"] {
        assert!(listed.contains(&id), "{id} missing from {listed:?}");
    }

    // A connector signs in through the access-code flow.
    let granted = json_of(client().get(server.at(&format!(
        "/auth/accesscode?appId=sca&challenge=c&token={web}&preventRedirect=true"
    ))))
    .await;
    let code = access_code_in(granted["redirectUrl"].as_str().unwrap());
    let connector = token_of(exchange_at(&server.url, "sca", &code, "c").await).await;

    let authorized = "{ activeUser { authorizedApps { id } } }";
    let authorized = graphql(&server, Some(&web), authorized, json!({})).await;
    let authorized = ids(&authorized["data"]["activeUser"]["authorizedApps"]);
    assert!(authorized.contains(&"sca"), "{authorized:?}");

    let revoke = "mutation { appRevokeAccess(appId: \"sca\") }";
    let revoked = graphql(&server, Some(&web), revoke, json!({})).await;
    assert_eq!(revoked["data"]["appRevokeAccess"], true, "{revoked}");
    assert_eq!(
        active_user_status(&server, &connector).await,
        403,
        "the connector's token stopped working"
    );
    // The web app's own token still works.
    let me = graphql(&server, Some(&web), "{ activeUser { id } }", json!({})).await;
    assert!(me["data"]["activeUser"]["id"].is_string());
}

/// The `id`s of a list of apps.
fn ids(list: &Value) -> Vec<&str> {
    let list = list.as_array().unwrap().iter();
    list.map(|a| a["id"].as_str().unwrap()).collect()
}
