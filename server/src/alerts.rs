//! Alerts for things that need a person (a connection that must be reconnected,
//! a configuration that keeps failing): logged, shown on the dashboard, and
//! POSTed as JSON to `alerts.webhook_url` when one is configured.
//!
//! Senders call these only on the transition into the bad state, so the
//! webhook receives one POST per incident. Bodies carry ids, names and the
//! user-facing message, never credentials.

use app::model::{ConnectionStatus, SyncConfiguration};
use serde_json::{Value, json};

use crate::store::ConnectionRecord;

pub struct Alerts {
    webhook_url: String,
    /// The client for operator-configured endpoints (not the SSRF-guarded one:
    /// the webhook is set by the operator and is often on the internal network).
    client: reqwest::Client,
}

impl Alerts {
    pub fn new(webhook_url: &str, client: reqwest::Client) -> Self {
        Self { webhook_url: webhook_url.trim().to_string(), client }
    }

    /// A connection went from usable to `status` (expired, revoked, failing).
    pub fn connection(&self, record: &ConnectionRecord, status: ConnectionStatus, message: &str) {
        tracing::warn!(connection_id = %record.id, status = status.as_str(), "connection needs attention");
        self.send(json!({
            "kind": "connection_needs_attention",
            "user_id": record.user_id,
            "connection_id": record.id,
            "connection_name": record.display_name,
            "provider": record.provider.as_str(),
            "status": status.as_str(),
            "message": message,
        }));
    }

    /// A configuration reached `failures` failed runs in a row.
    pub fn sync_failing(
        &self,
        config: &SyncConfiguration,
        failures: u32,
        last_error: Option<&str>,
    ) {
        tracing::warn!(config_id = %config.id, failures, "sync keeps failing");
        self.send(json!({
            "kind": "sync_failing",
            "user_id": config.user_id,
            "config_id": config.id,
            "config_name": config.name,
            "connection_id": config.connection_id,
            "consecutive_failures": failures,
            "last_error": last_error,
        }));
    }

    fn send(&self, body: Value) {
        if self.webhook_url.is_empty() {
            return;
        }
        let (client, url) = (self.client.clone(), self.webhook_url.clone());
        tokio::spawn(async move {
            match client.post(&url).json(&body).send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => tracing::warn!(
                    status = response.status().as_u16(),
                    "the alert webhook refused an alert"
                ),
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), "the alert webhook cannot be reached")
                }
            }
        });
    }
}
