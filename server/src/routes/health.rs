//! Liveness and readiness.

use std::sync::Arc;

use app::port::ServicePort;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::service::Service;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the store answers.
pub async fn readyz(State(service): State<Arc<Service>>) -> impl IntoResponse {
    match service.server_info().await {
        Ok(info) => (StatusCode::OK, Json(json!({ "status": "ready", "store": info.store_kind }))),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "error": e.to_string() })),
        ),
    }
}
