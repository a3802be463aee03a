//! Model and DTO types shared by the server, the REST API and the browser.
//!
//! These compile to WebAssembly; storage-only types (encrypted blobs, leases,
//! checkpoints) stay in the `server` crate.

mod auth;
mod config;
mod connection;
mod dashboard;
mod document;
mod ids;
mod job;
mod page;
mod provider;
mod secret;
mod time;

pub use auth::*;
pub use config::*;
pub use connection::*;
pub use dashboard::*;
pub use document::*;
pub use ids::*;
pub use job::*;
pub use page::*;
pub use provider::*;
pub use secret::*;
pub use time::*;

use serde::{Deserialize, Serialize};

/// What the server says about itself: shown in the UI footer and the health endpoints.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    /// `embedded` or `mongodb`.
    pub store_kind: String,
    pub uptime_secs: u64,
    /// True when the provider sandbox is mounted and providers point at it.
    pub demo: bool,
}
