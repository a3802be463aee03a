//! The REST API under `/api/v1/cloud-sources/`, as the client design lists it.
//! Handlers are thin: they call the same [`ServicePort`] operations the server
//! functions call.

use std::sync::Arc;

use app::model::*;
use app::port::ServicePort;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;

use super::{ApiCaller, ApiError, ApiJson, ApiResult, oauth};
use crate::service::Service;

pub fn router() -> Router<Arc<Service>> {
    Router::new()
        .route("/me", get(me))
        .route("/providers", get(providers))
        .route("/connections", get(list_connections).post(create_connection))
        .route("/connections/test", post(test_credentials))
        .route(
            "/connections/{id}",
            get(get_connection).patch(rename_connection).delete(delete_connection),
        )
        .route("/connections/{id}/impact", get(connection_impact))
        .route("/connections/{id}/test", post(test_connection))
        .route("/connections/{id}/browse", get(browse))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/oauth/{provider}/authorize", get(oauth::authorize))
        .route("/oauth/{provider}/callback", get(oauth::callback))
        .route("/oauth/{provider}/refresh", post(oauth::refresh))
}

async fn me(ApiCaller(caller): ApiCaller) -> ApiResult<User> {
    Ok(Json(caller.user))
}

async fn providers(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<ProviderInfo>> {
    Ok(Json(service.list_providers(&caller).await?))
}

async fn list_connections(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<Connection>> {
    Ok(Json(service.list_connections(&caller).await?))
}

async fn create_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<NewConnection>,
) -> Result<(StatusCode, Json<Connection>), ApiError> {
    Ok((StatusCode::CREATED, Json(service.create_connection(&caller, input).await?)))
}

async fn test_credentials(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<NewConnection>,
) -> ApiResult<ConnectionTest> {
    Ok(Json(service.test_credentials(&caller, input).await?))
}

async fn get_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
) -> ApiResult<Connection> {
    Ok(Json(service.get_connection(&caller, &id).await?))
}

#[derive(Deserialize)]
struct Rename {
    display_name: String,
}

async fn rename_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
    ApiJson(body): ApiJson<Rename>,
) -> ApiResult<Connection> {
    Ok(Json(service.rename_connection(&caller, &id, body.display_name).await?))
}

async fn connection_impact(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
) -> ApiResult<DeletionImpact> {
    Ok(Json(service.connection_impact(&caller, &id).await?))
}

async fn delete_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
) -> ApiResult<DeletionImpact> {
    Ok(Json(service.delete_connection(&caller, &id).await?))
}

async fn test_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
) -> ApiResult<ConnectionTest> {
    Ok(Json(service.test_connection(&caller, &id).await?))
}

#[derive(Deserialize)]
struct BrowseQuery {
    /// The folder's remote id (`path` is accepted as the client design's name for it).
    folder: Option<String>,
    path: Option<String>,
}

async fn browse(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
    Query(query): Query<BrowseQuery>,
) -> ApiResult<BrowseResult> {
    let folder = query.folder.or(query.path).filter(|f| !f.is_empty() && f != "/");
    Ok(Json(service.browse(&caller, &id, folder).await?))
}

async fn list_tokens(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<ApiTokenInfo>> {
    Ok(Json(service.list_api_tokens(&caller).await?))
}

#[derive(Deserialize)]
struct NewToken {
    name: String,
}

async fn create_token(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    Ok((StatusCode::CREATED, Json(service.create_api_token(&caller, body.name).await?)))
}

async fn revoke_token(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<TokenId>,
) -> Result<StatusCode, ApiError> {
    service.revoke_api_token(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
