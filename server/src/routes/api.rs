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

use super::{ApiCaller, ApiError, ApiJson, ApiResult, events, oauth};
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
        .route("/sync-configs", get(list_configs).post(create_config))
        .route("/sync-configs/preview", post(preview_config))
        .route("/sync-configs/run-all", post(run_all))
        .route("/sync-configs/{id}", get(get_config).put(update_config).delete(delete_config))
        .route("/sync-configs/{id}/run", post(run_config))
        .route("/sync-configs/{id}/status", get(config_status))
        .route("/sync-configs/{id}/pause", post(pause_config))
        .route("/sync-configs/{id}/resume", post(resume_config))
        .route("/sync-configs/{id}/cancel", post(cancel_config))
        .route("/sync-configs/{id}/history", get(history))
        .route("/schedule/preview", post(schedule_preview))
        .route("/jobs/{id}", get(job_detail))
        .route("/jobs/{id}/cancel", post(cancel_job))
        .route("/jobs/{id}/logs", get(events::job_logs))
        .route("/events", get(events::job_events))
        .route("/documents", get(list_documents))
        .route("/documents/{id}", get(get_document))
        .route("/dashboard", get(dashboard))
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

async fn list_configs(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<SyncConfiguration>> {
    Ok(Json(service.list_configs(&caller).await?))
}

async fn create_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<SyncConfigInput>,
) -> Result<(StatusCode, Json<SyncConfiguration>), ApiError> {
    Ok((StatusCode::CREATED, Json(ServicePort::create_config(&*service, &caller, input).await?)))
}

async fn get_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::get_config(&*service, &caller, &id).await?))
}

async fn update_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
    ApiJson(input): ApiJson<SyncConfigInput>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::update_config(&*service, &caller, &id, input).await?))
}

async fn delete_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> Result<StatusCode, ApiError> {
    ServicePort::delete_config(&*service, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn preview_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<SyncConfigInput>,
) -> ApiResult<SyncPreview> {
    Ok(Json(service.preview_config(&caller, input).await?))
}

async fn schedule_preview(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(schedule): ApiJson<Schedule>,
) -> ApiResult<SchedulePreview> {
    Ok(Json(ServicePort::schedule_preview(&*service, &caller, schedule).await?))
}

#[derive(Deserialize, Default)]
struct RunQuery {
    /// `true` for a full listing with mark-and-sweep instead of the change feed.
    #[serde(default)]
    full: bool,
}

async fn run_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
    Query(query): Query<RunQuery>,
) -> Result<(StatusCode, Json<SyncJob>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(ServicePort::run_config(&*service, &caller, &id, query.full).await?),
    ))
}

async fn run_all(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> Result<(StatusCode, Json<Vec<SyncJob>>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(ServicePort::run_all(&*service, &caller).await?)))
}

async fn config_status(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncStatus> {
    Ok(Json(ServicePort::config_status(&*service, &caller, &id).await?))
}

async fn pause_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::pause_config(&*service, &caller, &id).await?))
}

async fn resume_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::resume_config(&*service, &caller, &id).await?))
}

async fn cancel_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<Option<SyncJob>> {
    Ok(Json(ServicePort::cancel_config(&*service, &caller, &id).await?))
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    page: u32,
    #[serde(default)]
    per_page: u32,
}

async fn history(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Page<SyncJob>> {
    Ok(Json(service.job_history(&caller, &id, query.page, query.per_page).await?))
}

async fn job_detail(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<JobId>,
) -> ApiResult<JobDetail> {
    Ok(Json(ServicePort::job_detail(&*service, &caller, &id).await?))
}

async fn cancel_job(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<JobId>,
) -> ApiResult<SyncJob> {
    Ok(Json(ServicePort::cancel_job(&*service, &caller, &id).await?))
}

async fn list_documents(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<DocumentQuery>,
) -> ApiResult<Page<DocumentSummary>> {
    Ok(Json(service.list_documents(&caller, query).await?))
}

async fn get_document(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<DocumentId>,
) -> ApiResult<SourceDocument> {
    Ok(Json(ServicePort::get_document(&*service, &caller, &id).await?))
}

async fn dashboard(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Dashboard> {
    Ok(Json(ServicePort::dashboard(&*service, &caller).await?))
}
