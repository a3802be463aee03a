//! The connection manager as the server renders it, and the server functions
//! behind it: scoped to the signed-in user, 401 without a session, 404 for
//! another user's ids, refused from other origins.

mod support;

use app::model::*;
use support::app::TestApp;
use support::fixtures;

async fn user_id(app: &TestApp, name: &str) -> UserId {
    app.service.user_by_name(name).await.unwrap().id
}

/// Inserts a connection for `user` straight into the store.
async fn stored_connection(
    app: &TestApp,
    user: &UserId,
    provider: ProviderId,
    edit: impl FnOnce(&mut cloud_sources::store::ConnectionRecord),
) -> ConnectionId {
    let mut record = fixtures::connection(user, provider);
    edit(&mut record);
    let id = record.id.clone();
    app.service.store.insert_connection(record).await.unwrap();
    id
}

/// Calls a server function the way the browser does (form-encoded, same origin).
async fn call(
    client: &reqwest::Client,
    app: &TestApp,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(&format!("/_fn/{endpoint}"))).form(form).send().await.unwrap()
}

#[tokio::test]
async fn connections_page_renders_the_catalogue_and_the_users_connections() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let alice_id = user_id(&app, "alice").await;
    stored_connection(&app, &alice_id, ProviderId::OwnCloud, |c| {
        c.display_name = "Team Nextcloud".into();
        c.auth_type = AuthType::Password;
        c.account = Some("alice @ cloud.example.com".into());
        c.last_validated_at = Some(Timestamp::now());
    })
    .await;
    let expired = stored_connection(&app, &alice_id, ProviderId::GoogleDrive, |c| {
        c.display_name = "Work Drive".into();
        c.status = ConnectionStatus::Expired;
        c.status_message = Some("the refresh token was revoked".into());
    })
    .await;

    let response = alice.get(app.url("/connections")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();

    // The catalogue: every provider this server offers, with its ways to connect.
    assert!(html.contains(r#"data-provider="owncloud""#), "{html}");
    assert!(html.contains(r#"data-provider="email""#), "{html}");
    assert!(html.contains("Files on ownCloud, Nextcloud or any WebDAV server"), "{html}");
    assert!(html.contains(r#"aria-label="Connect ownCloud / Nextcloud""#), "{html}");
    // IMAP offers OAuth, which is not configured here: disabled, with the reason.
    assert!(html.contains("OAuth is not set up on this server"), "{html}");

    // The user's connections, with status, account and the message why not active.
    assert!(html.contains(">Team Nextcloud</h3>"), "{html}");
    assert!(html.contains("alice @ cloud.example.com"), "{html}");
    // "Checked just now", with the exact time in a <time> element.
    assert!(html.contains("<span>Checked <time datetime="), "{html}");
    assert!(html.contains(">just now</time>"), "{html}");
    assert!(html.contains(">Work Drive</h3>"), "{html}");
    assert!(html.contains(r#"data-status="expired""#), "{html}");
    assert!(html.contains("The refresh token was revoked."), "{html}");
    // An expired OAuth connection offers "Reconnect", bound to its id.
    let reconnect = format!(
        r#"href="/api/v1/cloud-sources/oauth/google_drive/authorize?connection_id={expired}""#
    );
    assert!(html.contains(&reconnect), "{html}");
    assert!(html.contains(r#"rel="external""#), "OAuth links leave the SPA: {html}");
    assert!(html.contains("2 connections"), "{html}");
}

#[tokio::test]
async fn another_user_sees_an_empty_list_not_someone_elses_connections() {
    let app = TestApp::spawn().await;
    app.signed_in("alice").await;
    let alice_id = user_id(&app, "alice").await;
    stored_connection(&app, &alice_id, ProviderId::OwnCloud, |c| {
        c.display_name = "Alice private files".into();
    })
    .await;
    let bob = app.signed_in("bob").await;

    let html = bob.get(app.url("/connections")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("No connections yet"), "{html}");
    assert!(!html.contains("Alice private files"), "{html}");
}

#[tokio::test]
async fn settings_page_lists_api_tokens_without_the_secret() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let alice_id = user_id(&app, "alice").await;
    let created = app.service.new_api_token(&alice_id, "backup script").await.unwrap();

    let html = alice.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Personal API tokens"), "{html}");
    assert!(html.contains("backup script"), "{html}");
    assert!(html.contains(&format!("{}…", created.info.prefix)), "{html}");
    assert!(!html.contains(created.token.expose()), "the token is shown only once: {html}");
}

#[tokio::test]
async fn server_functions_need_a_session() {
    let app = TestApp::spawn().await;
    let anonymous = app.browser();
    for endpoint in ["list_connections", "list_providers", "list_api_tokens", "current_user"] {
        let response = call(&anonymous, &app, endpoint, &[]).await;
        assert_eq!(response.status(), 401, "{endpoint}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized", "{endpoint}: {body}");
    }
    let response = call(&anonymous, &app, "get_connection", &[("id", "anything")]).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn server_functions_answer_404_for_another_users_connection() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let alice_id = user_id(&app, "alice").await;
    let id = stored_connection(&app, &alice_id, ProviderId::OwnCloud, |_| {}).await;
    let mut config = fixtures::config(&alice_id, &id);
    config.name = "Alice's project".into();
    app.service.store.insert_config(config).await.unwrap();
    let bob = app.signed_in("bob").await;

    for endpoint in [
        "get_connection",
        "connection_impact",
        "test_connection",
        "delete_connection",
        "browse_connection",
    ] {
        let response = call(&bob, &app, endpoint, &[("id", id.as_str())]).await;
        assert_eq!(response.status(), 404, "{endpoint}");
    }
    let rename =
        call(&bob, &app, "rename_connection", &[("id", id.as_str()), ("display_name", "mine")])
            .await;
    assert_eq!(rename.status(), 404);

    // Alice's connection is untouched, and she sees what deleting it would remove.
    let own = call(&alice, &app, "get_connection", &[("id", id.as_str())]).await;
    assert_eq!(own.status(), 200);
    let connection: Connection = own.json().await.unwrap();
    assert_eq!(connection.display_name, "My ownCloud / Nextcloud");
    let impact = call(&alice, &app, "connection_impact", &[("id", id.as_str())]).await;
    assert_eq!(impact.status(), 200);
    let impact: DeletionImpact = impact.json().await.unwrap();
    assert_eq!(impact.sync_configurations, 1);
}

#[tokio::test]
async fn server_functions_rename_and_list_for_the_owner() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let alice_id = user_id(&app, "alice").await;
    let id = stored_connection(&app, &alice_id, ProviderId::OwnCloud, |_| {}).await;

    let renamed = call(
        &alice,
        &app,
        "rename_connection",
        &[("id", id.as_str()), ("display_name", "  Team files  ")],
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let renamed: Connection = renamed.json().await.unwrap();
    assert_eq!(renamed.display_name, "Team files");

    let empty =
        call(&alice, &app, "rename_connection", &[("id", id.as_str()), ("display_name", " ")])
            .await;
    assert_eq!(empty.status(), 400);

    let list: Vec<Connection> =
        call(&alice, &app, "list_connections", &[]).await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].display_name, "Team files");
}

#[tokio::test]
async fn credentials_travel_as_json_and_bad_ones_are_refused_without_saving() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let input = serde_json::json!({
        "input": {
            "provider": "owncloud",
            "display_name": "Broken",
            "auth_type": "password",
            "credentials": {"server_url": "not a url", "username": "alice", "password": "x"}
        }
    });
    for endpoint in ["test_credentials", "create_connection"] {
        let response =
            alice.post(app.url(&format!("/_fn/{endpoint}"))).json(&input).send().await.unwrap();
        assert_eq!(response.status(), 400, "{endpoint}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request", "{endpoint}: {body}");
    }
    let list: Vec<Connection> =
        call(&alice, &app, "list_connections", &[]).await.json().await.unwrap();
    assert!(list.is_empty());
}

#[tokio::test]
async fn server_functions_refuse_other_origins() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let alice_id = user_id(&app, "alice").await;
    let created = app.service.new_api_token(&alice_id, "victim").await.unwrap();
    // Alice's browser, with her session cookie, tricked into posting from another site.
    let response = alice
        .post(app.url("/_fn/revoke_api_token"))
        .header("origin", "https://evil.example.com")
        .form(&[("id", created.info.id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let tokens = app.service.api_tokens(&alice_id).await.unwrap();
    assert_eq!(tokens.len(), 1, "the token survives");

    let same_site =
        call(&alice, &app, "revoke_api_token", &[("id", created.info.id.as_str())]).await;
    assert_eq!(same_site.status(), 200);
    assert!(app.service.api_tokens(&alice_id).await.unwrap().is_empty());
}

/// "Test" on a server that accepts connections and hangs up: a person gets the failure
/// after two quick retries (three attempts), not after the minutes of retries a
/// background sync spends riding out an outage; nothing is stored.
#[tokio::test]
async fn test_gives_up_quickly_on_a_server_that_hangs_up() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = attempts.clone();
    let server = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    let app = TestApp::spawn_with(|settings| {
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    let alice = support::sync::caller(&app.service, "alice").await;
    let input = NewConnection {
        provider: ProviderId::OwnCloud,
        display_name: "Files".into(),
        auth_type: AuthType::Password,
        credentials: serde_json::json!({
            "server_url": format!("http://127.0.0.1:{port}/remote.php/dav/files/alice/"),
            "username": "alice",
            "password": "secret",
        }),
    };
    let test = app::port::ServicePort::test_credentials(&*app.service, &alice, input.clone())
        .await
        .unwrap();
    assert!(!test.ok, "{test:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "one attempt and two retries: {test:?}");
    let before = attempts.load(Ordering::SeqCst);
    let err =
        app::port::ServicePort::create_connection(&*app.service, &alice, input).await.unwrap_err();
    assert!(err.to_string().contains("the connection test failed"), "{err}");
    assert_eq!(attempts.load(Ordering::SeqCst) - before, 3);
    let listed = app::port::ServicePort::list_connections(&*app.service, &alice).await.unwrap();
    assert!(listed.is_empty());
    server.abort();
}
