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

#[derive(Deserialize)]
pub struct RefreshBody {
    connection_id: ConnectionId,
}

/// `POST /oauth/{provider}/refresh`.
pub async fn refresh(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(provider): Path<String>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Connection> {
    let provider = provider_id(&provider)?;
    Ok(Json(service.oauth_refresh(&caller, provider, &body.connection_id).await?))
}
