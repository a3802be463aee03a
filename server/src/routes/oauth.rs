//! OAuth endpoints: start, callback, manual refresh.

use std::sync::Arc;

use app::model::{Connection, ConnectionId, ProviderId};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{ApiCaller, ApiError, ApiJson, ApiResult};
use crate::auth::middleware::urlencode;
use crate::service::{CallbackQuery, Service};

fn provider_id(text: &str) -> Result<ProviderId, ApiError> {
    text.parse().map_err(|_| ApiError(app::error::AppError::NotFound))
}

#[derive(Deserialize)]
pub struct AuthorizeQuery {
    /// Reconnect this connection instead of creating a new one.
    connection_id: Option<ConnectionId>,
}

/// `GET /oauth/{provider}/authorize`: redirects to the provider's consent page.
#[utoipa::path(get, path = "/oauth/{provider}/authorize", tag = "oauth", summary = "Redirect to the provider's consent page (PKCE, single-use state)", params(("provider" = String, Path, description = "Provider id, e.g. `google_drive`"), ("connection_id" = Option<String>, Query, description = "Reconnect this connection")), responses((status = 303, description = "Redirect to the provider"), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = super::ErrorBody)))]
pub async fn authorize(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(provider): Path<String>,
    Query(query): Query<AuthorizeQuery>,
) -> Result<Response, ApiError> {
    let provider = provider_id(&provider)?;
    let url = service.oauth_start(&caller, provider, query.connection_id).await?;
    Ok(Redirect::to(&url).into_response())
}

/// `GET /oauth/{provider}/callback`: back from the provider; always ends on the
/// connections page, with the new connection or a message saying what went wrong.
#[utoipa::path(get, path = "/oauth/{provider}/callback", tag = "oauth", summary = "Back from the provider; ends on the connections page", params(("provider" = String, Path, description = "Provider id, e.g. `google_drive`"), ("code" = Option<String>, Query, description = "Authorization code"), ("state" = Option<String>, Query, description = "The state sent with the request"), ("error" = Option<String>, Query, description = "Provider error, e.g. access_denied")), responses((status = 303, description = "Redirect into the UI"), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = super::ErrorBody)))]
pub async fn callback(
    State(service): State<Arc<Service>>,
    caller: Option<ApiCaller>,
    Path(provider): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(ApiCaller(caller)) = caller else {
        return Redirect::to("/login?next=%2Fconnections").into_response();
    };
    let provider = match provider_id(&provider) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match service.oauth_finish(&caller, provider, query).await {
        Ok(connection) => {
            Redirect::to(&format!("/connections?connected={}", connection.id)).into_response()
        }
        Err(e) => Redirect::to(&format!("/connections?oauth_error={}", urlencode(&e.to_string())))
            .into_response(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshBody {
    connection_id: ConnectionId,
}

/// `POST /oauth/{provider}/refresh`.
#[utoipa::path(post, path = "/oauth/{provider}/refresh", tag = "oauth", summary = "Refresh a connection's access token now", request_body = RefreshBody, params(("provider" = String, Path, description = "Provider id, e.g. `google_drive`")), responses((status = 200, description = "The connection", body = Connection), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = super::ErrorBody)))]
pub async fn refresh(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(provider): Path<String>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Connection> {
    let provider = provider_id(&provider)?;
    Ok(Json(service.oauth_refresh(&caller, provider, &body.connection_id).await?))
}
