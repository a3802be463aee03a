//! The OpenAPI document at `/api/v1/cloud-sources/openapi.json` is generated from
//! the handlers; these tests hold it to the router it describes.

mod support;

use serde_json::Value;
use support::app::TestApp;

const API: &str = "/api/v1/cloud-sources";

async fn openapi(app: &TestApp) -> Value {
    let response = app.browser().get(app.url(&format!("{API}/openapi.json"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    response.json().await.unwrap()
}

#[tokio::test]
async fn document_is_openapi_3_and_lists_the_client_designs_endpoints() {
    let app = TestApp::spawn().await;
    let doc = openapi(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/providers", "get"),
        ("/connections", "post"),
        ("/connections/{id}", "delete"),
        ("/connections/{id}/test", "post"),
        ("/connections/{id}/browse", "get"),
        ("/sync-configs", "post"),
        ("/sync-configs/{id}", "put"),
        ("/sync-configs/preview", "post"),
        ("/sync-configs/{id}/run", "post"),
        ("/sync-configs/{id}/status", "get"),
        ("/sync-configs/{id}/pause", "post"),
        ("/sync-configs/{id}/resume", "post"),
        ("/sync-configs/{id}/cancel", "post"),
        ("/sync-configs/{id}/history", "get"),
        ("/jobs/{id}", "get"),
        ("/jobs/{id}/logs", "get"),
        ("/dashboard", "get"),
        ("/oauth/{provider}/authorize", "get"),
        ("/oauth/{provider}/callback", "get"),
        ("/oauth/{provider}/refresh", "post"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing");
    }
    // Request bodies are described by the model's own schemas, serde names included.
    let input = &doc["components"]["schemas"]["SyncConfigInput"]["properties"];
    for field in ["connection_id", "profile_key", "name", "source_paths", "filters", "schedule"] {
        assert!(input.get(field).is_some(), "SyncConfigInput.{field} missing: {input}");
    }
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert!(error["properties"]["error"].is_object(), "{error}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// Every documented operation exists in the router: asked without credentials it
/// answers 401 (or sends the browser to sign in), never 404 or 405.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let doc = openapi(&app).await;
    let client = app.browser();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "missing-id").replace("{provider}", "google_drive");
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut request = client.request(method.clone(), app.url(&format!("{API}{concrete}")));
            if method != reqwest::Method::GET {
                request = request.header("content-type", "application/json").body("{}");
            }
            let status = request.send().await.unwrap().status().as_u16();
            assert!(
                status == 401 || (path.ends_with("/callback") && status == 303),
                "{method} {path} answered {status}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 35, "only {checked} operations documented");
}
