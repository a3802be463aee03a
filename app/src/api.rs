//! Server functions: the UI's door to the service port. Each one is thin: fetch the
//! service from context, call it, map the error to its HTTP status.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ServerInfo;

/// Version, store kind and uptime of the server.
#[server(prefix = "/_fn", endpoint = "server_info")]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    use crate::port::{respond_with, service};
    async { service()?.server_info().await }.await.map_err(respond_with)
}
