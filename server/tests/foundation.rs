//! The HTTP pipeline end to end: the app is spawned on port 0 and spoken to over HTTP.

mod support;

use support::app::TestApp;

#[tokio::test]
async fn dashboard_is_rendered_on_the_server_with_hydration_scripts() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let response = alice.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(">Dashboard</h1>"), "{html}");
    assert!(html.contains("/pkg/cloud-sources.js"), "hydration script missing: {html}");
    assert!(
        html.contains("/pkg/cloud-sources.wasm"),
        "WASM bundle name must match cargo-leptos's: {html}"
    );
    assert!(html.contains("data-hydrated=\"false\""), "{html}");
}

#[tokio::test]
async fn pages_redirect_to_sign_in_until_signed_in() {
    let app = TestApp::spawn().await;
    let anonymous = app.browser();
    let response = anonymous.get(app.url("/connections?x=1")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?next=%2Fconnections%3Fx%3D1");
    let login = anonymous.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.text().await.unwrap().contains("Sign in"));
}

#[tokio::test]
async fn server_function_answers_over_http_with_server_info() {
    let app = TestApp::spawn().await;
    let response = app
        .browser()
        .post(app.url("/_fn/server_info"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let info: serde_json::Value = response.json().await.unwrap();
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["store_kind"], "embedded");
    assert!(info["uptime_secs"].is_u64());
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn unknown_page_answers_404_with_a_way_back() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let response = alice.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Back to the dashboard"));
}

#[tokio::test]
async fn server_function_without_the_service_in_context_fails_cleanly() {
    // Called outside a request, nothing provides the service: an error, not a panic.
    let result = app::api::get_server_info().await;
    assert_eq!(
        result,
        Err(app::error::AppError::Unavailable("the cloud sources service is not available".into()))
    );
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_every_response_has_security_headers() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let page = alice.get(app.url("/")).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {policy}"))
        .to_string();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
    assert!(!scripts.contains("unsafe-inline"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "hydration script lacks the nonce");

    // A second render gets a different nonce.
    let again = alice.get(app.url("/")).send().await.unwrap();
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(&nonce));
    again.text().await.unwrap();

    for path in ["/api/v1/cloud-sources/me", "/healthz", "/no-such-page"] {
        let response = alice.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
        assert!(!policy.contains("script-src 'unsafe-inline'"), "{path}: {policy}");
    }
}
