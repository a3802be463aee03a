//! The one error type the UI, the server functions and the REST API share.
//!
//! Every variant has a stable machine-readable `code` and an HTTP status, so a
//! server function and its REST twin fail the same way.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "message", rename_all = "snake_case")]
pub enum AppError {
    /// The request is malformed or fails validation; the message says which field and why.
    #[error("{0}")]
    BadRequest(String),
    /// No valid session or API token.
    #[error("sign in required")]
    Unauthorized,
    /// Authenticated, but the action is not allowed (e.g. cross-site request, admin only).
    #[error("{0}")]
    Forbidden(String),
    /// The record does not exist *for this user*. Another user's id also answers this.
    #[error("not found")]
    NotFound,
    /// The action conflicts with the current state (e.g. a sync is already running).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many attempts, try again in {0} s")]
    RateLimited(u64),
    /// A remote system (provider, store) failed; the message is safe to show.
    #[error("{0}")]
    Upstream(String),
    /// The server is not ready to serve this request (e.g. the service is not wired in).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed on the server; details are in the server log, not here.
    #[error("internal error")]
    Internal,
    /// The server function transport itself failed (network, encoding).
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// Stable machine-readable code, used as `{"error": {"code": …}}` in the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Upstream(_) => "upstream",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }

    /// HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::RateLimited(_) => 429,
            AppError::Upstream(_) => 502,
            AppError::Unavailable(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
