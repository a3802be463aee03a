//! The authorization matrix: every REST operation (enumerated from the
//! generated OpenAPI document) and every registered server function, called
//! by a second user with the first user's ids, answers 404 and changes nothing
//! of the first user's data; called without credentials it answers 401.
//!
//! The tables below must name every operation: an endpoint or server function
//! added later without an entry fails `every_operation_has_a_matrix_entry`.

mod support;

use std::collections::BTreeSet;

use app::error::AppError;
use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::sandbox::Provider as Cloud;
use reqwest::Method;
use serde_json::{Value, json};
use support::app::{PASSWORD, TestApp};
use support::cloud_sync::{CloudWorld, cloud_world};
use support::sync::{caller, run_and_wait};

const API: &str = "/api/v1/cloud-sources";

/// What the second user must get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// The first user's record is not there for them: 404.
    NotFound,
    /// The first user's id named inside a request body (a new configuration on
    /// their connection): the same validation error as an id that does not exist.
    NoSuchConnection,
    /// An operation on the caller's own data (lists, creation, the catalogue):
    /// whatever it answers, nothing of the first user's shows or changes.
    Own,
    /// Not an operation of a signed-in caller (the OAuth callback is bound to
    /// its single-use state; `oauth_flow` tests foreign and replayed states):
    /// a redirect to an error, never a success.
    Callback,
}

/// The first user's world: an OAuth connection to the Drive simulator, a
/// configuration that has run (a job, documents) and a personal API token.
struct Alice {
    caller: Caller,
    connection: ConnectionId,
    config: SyncConfiguration,
    job: JobId,
    document: DocumentId,
    token: TokenId,
    token_secret: String,
}

async fn alice(world: &CloudWorld) -> Alice {
    let service = &world.app.service;
    let caller = caller(service, "alice").await;
    let (connection, config) = world.configure(&caller).await;
    let job = run_and_wait(service, &caller, &config.id, true).await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let documents = ServicePort::list_documents(
        &**service,
        &caller,
        DocumentQuery { config_id: None, search: None, page: 1, per_page: 10 },
    )
    .await
    .unwrap();
    let token =
        ServicePort::create_api_token(&**service, &caller, "alice's script".into()).await.unwrap();
    Alice {
        caller,
        connection: connection.id,
        config,
        job: job.id,
        document: documents.items[0].id.clone(),
        token: token.info.id.clone(),
        token_secret: token.token.expose().to_string(),
    }
}

/// Everything of alice's a user could see, to compare before and after.
async fn snapshot(world: &CloudWorld, alice: &Alice) -> Value {
    let service = &*world.app.service;
    let c = &alice.caller;
    let documents = ServicePort::list_documents(
        service,
        c,
        DocumentQuery { config_id: None, search: None, page: 1, per_page: 500 },
    )
    .await
    .unwrap();
    json!({
        "connections": ServicePort::list_connections(service, c).await.unwrap(),
        "configs": ServicePort::list_configs(service, c).await.unwrap(),
        "tokens": ServicePort::list_api_tokens(service, c).await.unwrap(),
        "documents": documents,
        "document": ServicePort::get_document(service, c, &alice.document).await.unwrap(),
        "job": ServicePort::job_detail(service, c, &alice.job).await.unwrap(),
        "history": ServicePort::job_history(service, c, &alice.config.id, 1, 50).await.unwrap(),
    })
}

/// Strings that must never reach the second user.
fn alice_markers(alice: &Alice) -> Vec<String> {
    vec![
        alice.connection.to_string(),
        alice.config.id.to_string(),
        alice.job.to_string(),
        alice.document.to_string(),
        alice.token.to_string(),
        alice.token_secret.clone(),
        "Cloud files".into(),
        alice.caller.user_id().to_string(),
    ]
}

fn config_input(alice: &Alice) -> Value {
    serde_json::to_value(SyncConfigInput {
        connection_id: alice.connection.clone(),
        profile_key: alice.config.profile_key.clone(),
        name: "Stolen".into(),
        source_paths: alice.config.source_paths.clone(),
        filters: alice.config.filters.clone(),
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    })
    .unwrap()
}

/// One REST call: what to send and what the second user must get.
struct RestCall {
    query: String,
    body: Option<Value>,
    expect: Expect,
}

/// The REST matrix: `METHOD path` as the OpenAPI document spells it.
fn rest_call(method: &str, path: &str, alice: &Alice) -> Option<RestCall> {
    use Expect::*;
    let conn = json!({ "connection_id": alice.connection });
    let (query, body, expect) = match (method, path) {
        // `/events` streams the caller's own job events only.
        (
            "get",
            "/me" | "/providers" | "/connections" | "/sync-configs" | "/tokens" | "/dashboard"
            | "/events",
        ) => (String::new(), None, Own),
        ("post", "/connections" | "/connections/test") => (
            String::new(),
            Some(
                json!({"provider": "owncloud", "display_name": "mine", "auth_type": "password", "credentials": {}}),
            ),
            Own,
        ),
        ("post", "/tokens") => (String::new(), Some(json!({"name": "bob's"})), Own),
        ("post", "/schedule/preview") => (String::new(), Some(json!(Schedule::default())), Own),
        ("post", "/sync-configs/run-all") => (String::new(), None, Own),
        ("get", "/connections/{id}" | "/connections/{id}/impact" | "/connections/{id}/browse") => {
            (String::new(), None, NotFound)
        }
        ("patch", "/connections/{id}") => {
            (String::new(), Some(json!({"display_name": "pwned"})), NotFound)
        }
        ("delete", "/connections/{id}") | ("post", "/connections/{id}/test") => {
            (String::new(), None, NotFound)
        }
        ("post", "/sync-configs" | "/sync-configs/preview") => {
            (String::new(), Some(config_input(alice)), NoSuchConnection)
        }
        ("put", "/sync-configs/{id}") => (String::new(), Some(config_input(alice)), NotFound),
        (
            "get",
            "/sync-configs/{id}" | "/sync-configs/{id}/status" | "/sync-configs/{id}/history",
        )
        | ("delete", "/sync-configs/{id}") => (String::new(), None, NotFound),
        ("post", "/sync-configs/{id}/run") => ("?full=true".to_string(), None, NotFound),
        (
            "post",
            "/sync-configs/{id}/pause" | "/sync-configs/{id}/resume" | "/sync-configs/{id}/cancel",
        ) => (String::new(), None, NotFound),
        ("get", "/jobs/{id}" | "/jobs/{id}/logs" | "/jobs/{id}/events") => {
            (String::new(), None, NotFound)
        }
        ("post", "/jobs/{id}/cancel") => (String::new(), None, NotFound),
        ("get", "/documents") => (format!("?config_id={}", alice.config.id), None, NotFound),
        ("get", "/documents/{id}") | ("delete", "/tokens/{id}") => (String::new(), None, NotFound),
        ("get", "/oauth/{provider}/authorize") => {
            (format!("?connection_id={}", alice.connection), None, NotFound)
        }
        ("get", "/oauth/{provider}/callback") => {
            ("?code=stolen&state=forged".to_string(), None, Callback)
        }
        ("post", "/oauth/{provider}/refresh") => (String::new(), Some(conn), NotFound),
        _ => return None,
    };
    Some(RestCall { query, body, expect })
}

/// The path with alice's ids filled in; `None` for a parameter the matrix does not know.
fn concrete(path: &str, alice: &Alice) -> Option<String> {
    if !path.contains("{id}") {
        return (!path.replace("{provider}", "").contains('{'))
            .then(|| path.replace("{provider}", "google_drive"));
    }
    let id = if path.starts_with("/connections/") {
        alice.connection.to_string()
    } else if path.starts_with("/sync-configs/") {
        alice.config.id.to_string()
    } else if path.starts_with("/jobs/") {
        alice.job.to_string()
    } else if path.starts_with("/documents/") {
        alice.document.to_string()
    } else if path.starts_with("/tokens/") {
        alice.token.to_string()
    } else {
        return None;
    };
    let filled = path.replace("{id}", &id).replace("{provider}", "google_drive");
    (!filled.contains('{')).then_some(filled)
}

/// One server-function call: its body (and encoding) and the expectation.
struct FnCall {
    body: String,
    json: bool,
    expect: Expect,
}

/// The server-function matrix, by registered path.
fn fn_call(path: &str, alice: &Alice) -> Option<FnCall> {
    use Expect::*;
    let form = |pairs: &[(&str, String)]| -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let conn = alice.connection.to_string();
    let config = alice.config.id.to_string();
    let job = alice.job.to_string();
    let (body, json, expect) = match path.strip_prefix("/_fn/")? {
        "server_info" | "setup_state" | "current_user" | "list_providers" | "list_connections"
        | "list_api_tokens" | "sync_cards" | "list_configs" | "run_all" | "dashboard"
        | "sync_connections" => (String::new(), false, Own),
        "create_api_token" => (form(&[("name", "bob's".into())]), false, Own),
        "create_connection" | "test_credentials" => (
            json!({"input": {"provider": "owncloud", "display_name": "mine", "auth_type": "password", "credentials": {}}}).to_string(),
            true,
            Own,
        ),
        "schedule_preview" => (json!({"schedule": Schedule::default()}).to_string(), true, Own),
        "get_connection" | "test_connection" | "connection_impact" | "delete_connection"
        | "browse_connection" => (form(&[("id", conn)]), false, NotFound),
        "rename_connection" => {
            (form(&[("id", conn), ("display_name", "pwned".into())]), false, NotFound)
        }
        "revoke_api_token" => (form(&[("id", alice.token.to_string())]), false, NotFound),
        "get_config" | "delete_config" | "pause_config" | "resume_config" | "cancel_config" => {
            (form(&[("id", config)]), false, NotFound)
        }
        "run_config" => (form(&[("id", config), ("full", "true".into())]), false, NotFound),
        "job_history" => (form(&[("id", config), ("page", "1".into())]), false, NotFound),
        "job_detail" | "cancel_job" => (form(&[("id", job)]), false, NotFound),
        "get_document" => (form(&[("id", alice.document.to_string())]), false, NotFound),
        "create_config" | "preview_config" => {
            (json!({"input": config_input(alice)}).to_string(), true, NoSuchConnection)
        }
        "update_config" => {
            (json!({"id": config, "input": config_input(alice)}).to_string(), true, NotFound)
        }
        "list_documents" => (
            json!({"query": {"config_id": config, "search": null, "page": 1, "per_page": 50}})
                .to_string(),
            true,
            NotFound,
        ),
        _ => return None,
    };
    Some(FnCall { body, json, expect })
}

async fn openapi_operations(app: &TestApp) -> Vec<(String, String)> {
    let doc: Value =
        reqwest::get(app.url(&format!("{API}/openapi.json"))).await.unwrap().json().await.unwrap();
    let mut out = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            out.push((method.clone(), path.clone()));
        }
    }
    out
}

fn server_fn_paths() -> Vec<String> {
    let mut paths: Vec<String> =
        leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()).collect();
    paths.sort();
    paths
}

async fn sign_in(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = app.browser();
    let response = browser
        .post(app.url("/login"))
        .form(&[("username", username), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/", "{username} signed in");
    browser
}

async fn rest(
    client: &reqwest::Client,
    app: &TestApp,
    method: &str,
    path: &str,
    call: &RestCall,
) -> (u16, String) {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut request = client.request(method, app.url(&format!("{API}{path}{}", call.query)));
    if let Some(body) = &call.body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    // Event streams stay open; their status and first bytes are enough.
    let text = if response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/event-stream"))
    {
        String::from("<event stream>")
    } else {
        response.text().await.unwrap()
    };
    (status, text)
}

async fn server_fn(client: &reqwest::Client, app: &TestApp, path: &str, call: &FnCall) -> String {
    let content_type =
        if call.json { "application/json" } else { "application/x-www-form-urlencoded" };
    client
        .post(app.url(path))
        .header("content-type", content_type)
        .header("accept", "application/json")
        .body(call.body.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn assert_no_leak(what: &str, text: &str, markers: &[String]) {
    for marker in markers {
        assert!(!text.contains(marker.as_str()), "{what} leaked {marker:?}: {text}");
    }
}

#[tokio::test]
async fn every_operation_has_a_matrix_entry() {
    let world = cloud_world(ProviderId::GoogleDrive, Cloud::Google).await;
    let alice = alice(&world).await;
    let mut missing = Vec::new();
    for (method, path) in openapi_operations(&world.app).await {
        if rest_call(&method, &path, &alice).is_none() || concrete(&path, &alice).is_none() {
            missing.push(format!("REST {} {path}", method.to_uppercase()));
        }
    }
    let paths = server_fn_paths();
    assert!(paths.len() >= 30, "the server-function registry lists only {paths:?}");
    for path in paths {
        if fn_call(&path, &alice).is_none() {
            missing.push(format!("server function {path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "operations without an authorization-matrix entry (add them to authz_matrix.rs): {missing:#?}"
    );
}

#[tokio::test]
async fn a_second_user_with_the_first_users_ids_gets_404_and_changes_nothing() {
    let world = cloud_world(ProviderId::GoogleDrive, Cloud::Google).await;
    let app = &world.app;
    let alice = alice(&world).await;
    let before = snapshot(&world, &alice).await;
    let markers = alice_markers(&alice);
    app.service.create_user("bob", Some(PASSWORD), false).await.unwrap();
    let bob = sign_in(app, "bob").await;

    let mut checked = 0;
    for (method, path) in openapi_operations(app).await {
        let call = rest_call(&method, &path, &alice).expect("matrix entry");
        let url = concrete(&path, &alice).expect("ids");
        let (status, text) = rest(&bob, app, &method, &url, &call).await;
        let what = format!("{} {path} as bob", method.to_uppercase());
        match call.expect {
            Expect::NotFound => {
                assert_eq!(status, 404, "{what}: {text}");
                let body: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(body["error"]["code"], "not_found", "{what}: {text}");
            }
            Expect::NoSuchConnection => {
                assert_eq!(status, 400, "{what}: {text}");
                assert!(text.contains("connection_id: no such connection"), "{what}: {text}");
            }
            Expect::Own => assert!(status < 500, "{what}: {status} {text}"),
            Expect::Callback => assert_eq!(status, 303, "{what}: {text}"),
        }
        assert_no_leak(&what, &text, &markers);
        checked += 1;
    }
    for path in server_fn_paths() {
        let call = fn_call(&path, &alice).expect("matrix entry");
        let text = server_fn(&bob, app, &path, &call).await;
        let what = format!("server function {path} as bob");
        let expected = match call.expect {
            Expect::NotFound => Some(AppError::NotFound),
            Expect::NoSuchConnection => {
                Some(AppError::bad_request("connection_id: no such connection"))
            }
            Expect::Own | Expect::Callback => None,
        };
        if let Some(expected) = expected {
            let error: AppError = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{what}: not an error ({e}): {text}"));
            assert_eq!(error, expected, "{what}");
        }
        assert_no_leak(&what, &text, &markers);
        checked += 1;
    }
    assert!(checked >= 70, "only {checked} operations checked");
    assert_eq!(snapshot(&world, &alice).await, before, "bob changed alice's data");
    // Bob's calls to creating operations made nothing in alice's account either.
    let connections = ServicePort::list_connections(&*app.service, &alice.caller).await.unwrap();
    assert_eq!(connections.len(), 1);
}

#[tokio::test]
async fn without_credentials_every_operation_answers_401_and_changes_nothing() {
    let world = cloud_world(ProviderId::GoogleDrive, Cloud::Google).await;
    let app = &world.app;
    let alice = alice(&world).await;
    let before = snapshot(&world, &alice).await;
    let markers = alice_markers(&alice);
    let anonymous = app.browser();
    for (method, path) in openapi_operations(app).await {
        let call = rest_call(&method, &path, &alice).expect("matrix entry");
        let url = concrete(&path, &alice).expect("ids");
        let (status, text) = rest(&anonymous, app, &method, &url, &call).await;
        let what = format!("{} {path} without credentials", method.to_uppercase());
        if call.expect == Expect::Callback {
            assert_eq!(status, 303, "{what}: {text}");
        } else {
            assert_eq!(status, 401, "{what}: {text}");
        }
        assert_no_leak(&what, &text, &markers);
    }
    // A revoked-looking or made-up bearer token is no better than none.
    let forged = app
        .browser()
        .get(app.url(&format!("{API}/connections/{}", alice.connection)))
        .bearer_auth("csk_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    // Server functions: only the two the sign-in page needs answer without a session.
    let public = BTreeSet::from(["/_fn/server_info", "/_fn/setup_state"]);
    for path in server_fn_paths() {
        let call = fn_call(&path, &alice).expect("matrix entry");
        let text = server_fn(&anonymous, app, &path, &call).await;
        let what = format!("server function {path} without credentials");
        if !public.contains(path.as_str()) {
            let error: AppError = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{what}: not an error ({e}): {text}"));
            assert_eq!(error, AppError::Unauthorized, "{what}");
        }
        assert_no_leak(&what, &text, &markers);
    }
    assert_eq!(snapshot(&world, &alice).await, before, "an anonymous call changed alice's data");
}
