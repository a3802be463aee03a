//! Liveness, readiness and metrics.

use std::sync::Arc;

use app::port::ServicePort;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// `GET /metrics`: Prometheus text format (see [`crate::metrics`]).
pub async fn metrics(State(service): State<Arc<Service>>) -> Response {
    match crate::metrics::render(&service).await {
        Ok(body) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body)
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot render metrics");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}
