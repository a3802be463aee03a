//! The service port: everything the UI asks of the engine, as one object-safe trait.
//!
//! `server` implements it and provides an `Arc<dyn ServicePort>` through Leptos context;
//! server functions fetch it with [`service`] and the REST API calls the same
//! implementation, so every operation has one implementation and two front doors.

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;

use crate::error::{AppError, AppResult};
use crate::model::ServerInfo;

#[async_trait]
pub trait ServicePort: Send + Sync + 'static {
    async fn server_info(&self) -> AppResult<ServerInfo>;
}

/// The service provided by the server through context.
///
/// Returns [`AppError::Unavailable`] rather than panicking when the context is
/// missing (a mis-wired router, or a render outside a request).
pub fn service() -> AppResult<Arc<dyn ServicePort>> {
    use_context::<Arc<dyn ServicePort>>()
        .ok_or_else(|| AppError::Unavailable("the cloud sources service is not available".into()))
}

/// Records the error's HTTP status on the response a server function is building,
/// so a failed server function answers 404/401/… like its REST twin, not 500.
pub fn respond_with(error: AppError) -> AppError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(error.status())
    {
        response.set_status(status);
    }
    error
}
