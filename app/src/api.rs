//! Server functions: the UI's door to the service port. Each one is thin: fetch the
//! service and the signed-in caller from context ([`crate::port::with_caller`]), call
//! the port, and let the error carry its HTTP status. All live under `/_fn/`.
//!
//! Simple arguments travel URL-encoded (the default); the two that take a
//! [`NewConnection`] (nested credentials) travel as JSON.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{
    ApiTokenInfo, BrowseResult, Connection, ConnectionId, ConnectionTest, CreatedApiToken,
    DeletionImpact, NewConnection, ProviderInfo, ServerInfo, SetupState, TokenId, User,
};

/// Version, store kind and uptime of the server.
#[server(prefix = "/_fn", endpoint = "server_info")]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    use crate::port::{respond_with, service};
    async { service()?.server_info().await }.await.map_err(respond_with)
}

/// Whether any account exists and whether the server runs in demo mode. Public:
/// the sign-in page asks before anyone is signed in.
#[server(prefix = "/_fn", endpoint = "setup_state")]
pub async fn get_setup_state() -> Result<SetupState, AppError> {
    use crate::port::{respond_with, service};
    async { service()?.setup_state().await }.await.map_err(respond_with)
}

/// The signed-in user.
#[server(prefix = "/_fn", endpoint = "current_user")]
pub async fn current_user() -> Result<User, AppError> {
    crate::port::with_caller(|_, caller| async move { Ok(caller.user) }).await
}

/// The provider catalogue.
#[server(prefix = "/_fn", endpoint = "list_providers")]
pub async fn list_providers() -> Result<Vec<ProviderInfo>, AppError> {
    crate::port::with_caller(|s, c| async move { s.list_providers(&c).await }).await
}

/// The signed-in user's connections.
#[server(prefix = "/_fn", endpoint = "list_connections")]
pub async fn list_connections() -> Result<Vec<Connection>, AppError> {
    crate::port::with_caller(|s, c| async move { s.list_connections(&c).await }).await
}

#[server(prefix = "/_fn", endpoint = "get_connection")]
pub async fn get_connection(id: ConnectionId) -> Result<Connection, AppError> {
    crate::port::with_caller(|s, c| async move { s.get_connection(&c, &id).await }).await
}

/// Creates a password, API-token or certificate connection; the server tests it first.
#[server(prefix = "/_fn", endpoint = "create_connection", input = Json)]
pub async fn create_connection(input: NewConnection) -> Result<Connection, AppError> {
    crate::port::with_caller(|s, c| async move { s.create_connection(&c, input).await }).await
}

/// Tests credentials without saving anything (the form's "Test" button).
#[server(prefix = "/_fn", endpoint = "test_credentials", input = Json)]
pub async fn test_credentials(input: NewConnection) -> Result<ConnectionTest, AppError> {
    crate::port::with_caller(|s, c| async move { s.test_credentials(&c, input).await }).await
}

/// Tests a saved connection and records the outcome on it.
#[server(prefix = "/_fn", endpoint = "test_connection")]
pub async fn test_connection(id: ConnectionId) -> Result<ConnectionTest, AppError> {
    crate::port::with_caller(|s, c| async move { s.test_connection(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "rename_connection")]
pub async fn rename_connection(
    id: ConnectionId,
    display_name: String,
) -> Result<Connection, AppError> {
    crate::port::with_caller(|s, c| async move { s.rename_connection(&c, &id, display_name).await })
        .await
}

/// What deleting the connection would remove (for the confirmation dialog).
#[server(prefix = "/_fn", endpoint = "connection_impact")]
pub async fn connection_impact(id: ConnectionId) -> Result<DeletionImpact, AppError> {
    crate::port::with_caller(|s, c| async move { s.connection_impact(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "delete_connection")]
pub async fn delete_connection(id: ConnectionId) -> Result<DeletionImpact, AppError> {
    crate::port::with_caller(|s, c| async move { s.delete_connection(&c, &id).await }).await
}

/// Children of a folder for the folder picker (`None`: the top level).
#[server(prefix = "/_fn", endpoint = "browse_connection")]
pub async fn browse_connection(
    id: ConnectionId,
    folder: Option<String>,
) -> Result<BrowseResult, AppError> {
    crate::port::with_caller(|s, c| async move { s.browse(&c, &id, folder).await }).await
}

#[server(prefix = "/_fn", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    crate::port::with_caller(|s, c| async move { s.list_api_tokens(&c).await }).await
}

/// Creates a personal API token; the answer is the only time the token is shown.
#[server(prefix = "/_fn", endpoint = "create_api_token")]
pub async fn create_api_token(name: String) -> Result<CreatedApiToken, AppError> {
    crate::port::with_caller(|s, c| async move { s.create_api_token(&c, name).await }).await
}

#[server(prefix = "/_fn", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: TokenId) -> Result<(), AppError> {
    crate::port::with_caller(|s, c| async move { s.revoke_api_token(&c, &id).await }).await
}
