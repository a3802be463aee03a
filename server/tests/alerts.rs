//! Alerts ("Monitoring and alerts" in the client design): a connection that
//! expires and a configuration that fails repeatedly are flagged on the
//! dashboard and POSTed once per incident to the configured webhook — here a
//! real HTTP receiver on port 0 — with a useful body and no secrets.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::*;
use axum::Json;
use axum::extract::State;
use cloud_sources::providers::Credentials;
use cloud_sources::sandbox::Provider as Cloud;
use serde_json::Value;
use support::JsonAnswer;
use support::cloud_sync::cloud_world_with;
use support::sync::{caller, run_and_wait};

/// A webhook receiver: every JSON body POSTed to `/hook`, in order.
struct Webhook {
    url: String,
    received: Arc<Mutex<Vec<Value>>>,
}

impl Webhook {
    async fn start() -> Self {
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        async fn hook(State(received): State<Arc<Mutex<Vec<Value>>>>, Json(body): Json<Value>) {
            received.lock().unwrap().push(body);
        }
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, received }
    }

    fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for `count` alerts, then a little longer to catch duplicates.
    async fn wait_for(&self, count: usize) -> Vec<Value> {
        let start = Instant::now();
        while self.received().len() < count {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "expected {count} alerts, got {:?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.received()
    }
}

fn keys(body: &Value) -> BTreeSet<&str> {
    body.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn an_expired_connection_and_a_failing_sync_are_flagged_and_posted_once_each() {
    let hook = Webhook::start().await;
    let url = hook.url.clone();
    let world = cloud_world_with(ProviderId::GoogleDrive, Cloud::Google, |settings| {
        settings.alerts.webhook_url = url;
    })
    .await;
    let service = &world.app.service;
    let alice = caller(service, "alice").await;
    let (connection, config) = world.configure(&alice).await;
    let record = service.store.get_connection(alice.user_id(), &connection.id).await.unwrap();
    let Credentials::OAuth { access_token, .. } =
        cloud_sources::secrets::open_credentials(&service.vault, &record.unwrap()).unwrap()
    else {
        panic!("an OAuth connection")
    };

    let ok = run_and_wait(service, &alice, &config.id, true).await;
    assert_eq!(ok.status, JobStatus::Completed, "{ok:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.received(), Vec::<Value>::new(), "a healthy sync sends nothing");

    // The user revokes the app at the provider: every run from now on fails.
    world.account.revoke_tokens();
    for _ in 0..4 {
        let failed = run_and_wait(service, &alice, &config.id, false).await;
        assert_eq!(failed.status, JobStatus::Failed, "{failed:?}");
    }

    // One alert for the connection (not one per failed run), one when the
    // failures reach the threshold (the third), none for the fourth.
    let alerts = hook.wait_for(2).await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let expired = &alerts[0];
    assert_eq!(
        keys(expired),
        BTreeSet::from([
            "kind",
            "user_id",
            "connection_id",
            "connection_name",
            "provider",
            "status",
            "message"
        ]),
        "{expired}"
    );
    assert_eq!(expired["kind"], "connection_needs_attention");
    assert_eq!(expired["connection_id"], connection.id.to_string());
    assert_eq!(expired["connection_name"], "Cloud files");
    assert_eq!(expired["provider"], "google_drive");
    assert_eq!(expired["status"], "expired");
    assert!(expired["message"].as_str().unwrap().contains("reconnect"), "{expired}");

    let failing = &alerts[1];
    assert_eq!(failing["kind"], "sync_failing", "{failing}");
    assert_eq!(failing["config_id"], config.id.to_string());
    assert_eq!(failing["config_name"], "Projects");
    assert_eq!(failing["consecutive_failures"], 3);
    assert!(failing["last_error"].as_str().unwrap().contains("reconnect"), "{failing}");

    for alert in &alerts {
        let text = alert.to_string();
        assert!(!text.contains(access_token.expose()), "access token in {text}");
        assert!(!text.contains("cloud-sync-secret"), "client secret in {text}");
        assert!(!text.to_lowercase().contains("bearer"), "{text}");
    }

    // The dashboard flags both, over the REST API and on the rendered page.
    let browser = world.app.browser();
    let login = browser
        .post(world.app.url("/login"))
        .form(&[("username", "alice"), ("password", support::app::PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers()["location"], "/");
    let dashboard: Dashboard =
        browser.get(world.app.url("/api/v1/cloud-sources/dashboard")).json_answer().await;
    assert!(
        dashboard.alerts.iter().any(|a| a == "Cloud files needs to be reconnected"),
        "{:?}",
        dashboard.alerts
    );
    assert!(
        dashboard.alerts.iter().any(|a| a.starts_with("\"Projects\" failed 4 times in a row")),
        "{:?}",
        dashboard.alerts
    );
    let source = &dashboard.sources[0];
    assert_eq!(source.status, Health::Error);
    assert_eq!(source.connection_status, ConnectionStatus::Expired);
    let page = browser.get(world.app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Needs your attention"), "{page}");
    assert!(page.contains("Cloud files needs to be reconnected"), "{page}");
}
