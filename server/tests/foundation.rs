//! The HTTP pipeline end to end: the app is spawned on port 0 and spoken to over HTTP.

use cloud_sources::config::Settings;
use cloud_sources::startup::Application;

struct TestApp {
    base: String,
    client: reqwest::Client,
    _data_dir: tempfile::TempDir,
}

async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings::for_tests(data_dir.path());
    let app = Application::build(settings).await.expect("app builds");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_with_shutdown(std::future::pending()));
    TestApp { base, client: reqwest::Client::new(), _data_dir: data_dir }
}

#[tokio::test]
async fn dashboard_is_rendered_on_the_server_with_hydration_scripts() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1 class=\"text-2xl font-semibold mb-4\">Dashboard</h1>"), "{html}");
    assert!(html.contains("/pkg/cloud-sources.js"), "hydration script missing: {html}");
    assert!(html.contains("data-hydrated=\"false\""), "{html}");
}

#[tokio::test]
async fn server_function_answers_over_http_with_server_info() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/_fn/server_info", app.base))
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
    let app = spawn_app().await;
    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn unknown_page_answers_404_with_a_way_back() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/no/such/page", app.base)).send().await.unwrap();
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
