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
use axum::routing::get;
use serde::Deserialize;
use utoipa::openapi::security::SecurityScheme;
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiCaller, ApiError, ApiJson, ApiResult, ErrorBody, events, oauth};
use crate::service::Service;

/// The REST API and its OpenAPI description, built together from the handlers'
/// `#[utoipa::path]` attributes so the document cannot drift from the routes.
pub fn router() -> Router<Arc<Service>> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .routes(routes!(providers))
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(test_credentials))
        .routes(routes!(get_connection, rename_connection, delete_connection))
        .routes(routes!(connection_impact))
        .routes(routes!(test_connection))
        .routes(routes!(browse))
        .routes(routes!(list_configs, create_config))
        .routes(routes!(preview_config))
        .routes(routes!(run_all))
        .routes(routes!(get_config, update_config, delete_config))
        .routes(routes!(run_config))
        .routes(routes!(config_status))
        .routes(routes!(pause_config))
        .routes(routes!(resume_config))
        .routes(routes!(cancel_config))
        .routes(routes!(history))
        .routes(routes!(schedule_preview))
        .routes(routes!(job_detail))
        .routes(routes!(cancel_job))
        .routes(routes!(events::job_logs))
        .routes(routes!(events::job_events))
        .routes(routes!(list_documents))
        .routes(routes!(get_document))
        .routes(routes!(dashboard))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(oauth::authorize))
        .routes(routes!(oauth::callback))
        .routes(routes!(oauth::refresh))
        .split_for_parts();
    let openapi = Arc::new(openapi);
    router.route("/openapi.json", get(move || std::future::ready(Json(openapi.clone()))))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "RecallHub Cloud Sources API",
        description = "Connections, sync configurations, jobs and documents. Authenticate with the \
                       session cookie or `Authorization: Bearer <personal API token>`."
    ),
    servers((url = "/api/v1/cloud-sources")),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("cs_session"))),
        );
    }
}

#[utoipa::path(get, path = "/me", tag = "account", summary = "The signed-in user", responses((status = 200, description = "The user", body = User), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn me(ApiCaller(caller): ApiCaller) -> ApiResult<User> {
    Ok(Json(caller.user))
}

#[utoipa::path(get, path = "/providers", tag = "connections", summary = "Provider catalogue with capabilities", responses((status = 200, description = "Providers this server offers", body = Vec<ProviderInfo>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn providers(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<ProviderInfo>> {
    Ok(Json(service.list_providers(&caller).await?))
}

#[utoipa::path(get, path = "/connections", tag = "connections", summary = "List connections (never secrets)", responses((status = 200, description = "Connections", body = Vec<Connection>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn list_connections(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<Connection>> {
    Ok(Json(service.list_connections(&caller).await?))
}

#[utoipa::path(post, path = "/connections", tag = "connections", summary = "Create a password, API-key or certificate connection", request_body = NewConnection, responses((status = 201, description = "Created", body = Connection), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn create_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<NewConnection>,
) -> Result<(StatusCode, Json<Connection>), ApiError> {
    Ok((StatusCode::CREATED, Json(service.create_connection(&caller, input).await?)))
}

#[utoipa::path(post, path = "/connections/test", tag = "connections", summary = "Test credentials without saving them", request_body = NewConnection, responses((status = 200, description = "Result of the test", body = ConnectionTest), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn test_credentials(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<NewConnection>,
) -> ApiResult<ConnectionTest> {
    Ok(Json(service.test_credentials(&caller, input).await?))
}

#[utoipa::path(get, path = "/connections/{id}", tag = "connections", summary = "Get a connection", params(("id" = String, Path, description = "Connection id")), responses((status = 200, description = "The connection", body = Connection), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn get_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
) -> ApiResult<Connection> {
    Ok(Json(service.get_connection(&caller, &id).await?))
}

#[derive(Deserialize, ToSchema)]
struct Rename {
    display_name: String,
}

#[utoipa::path(patch, path = "/connections/{id}", tag = "connections", summary = "Rename a connection", request_body = Rename, params(("id" = String, Path, description = "Connection id")), responses((status = 200, description = "Renamed", body = Connection), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn rename_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
    ApiJson(body): ApiJson<Rename>,
) -> ApiResult<Connection> {
    Ok(Json(service.rename_connection(&caller, &id, body.display_name).await?))
}

#[utoipa::path(get, path = "/connections/{id}/impact", tag = "connections", summary = "What deleting the connection would remove", params(("id" = String, Path, description = "Connection id")), responses((status = 200, description = "What would be removed", body = DeletionImpact), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn connection_impact(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
) -> ApiResult<DeletionImpact> {
    Ok(Json(service.connection_impact(&caller, &id).await?))
}

#[utoipa::path(delete, path = "/connections/{id}", tag = "connections", summary = "Delete a connection: cancels its jobs, removes its configurations and documents, revokes tokens", params(("id" = String, Path, description = "Connection id")), responses((status = 200, description = "What was removed", body = DeletionImpact), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn delete_connection(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
) -> ApiResult<DeletionImpact> {
    Ok(Json(service.delete_connection(&caller, &id).await?))
}

#[utoipa::path(post, path = "/connections/{id}/test", tag = "connections", summary = "Test a saved connection", params(("id" = String, Path, description = "Connection id")), responses((status = 200, description = "Result of the test", body = ConnectionTest), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
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

#[utoipa::path(get, path = "/connections/{id}/browse", tag = "connections", summary = "List one folder level for the folder picker", params(("id" = String, Path, description = "Connection id"), ("folder" = Option<String>, Query, description = "Remote id of the folder; the root when absent"), ("path" = Option<String>, Query, description = "Alias of `folder`")), responses((status = 200, description = "Folders and files of one level", body = BrowseResult), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn browse(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConnectionId>,
    Query(query): Query<BrowseQuery>,
) -> ApiResult<BrowseResult> {
    let folder = query.folder.or(query.path).filter(|f| !f.is_empty() && f != "/");
    Ok(Json(service.browse(&caller, &id, folder).await?))
}

#[utoipa::path(get, path = "/tokens", tag = "account", summary = "List personal API tokens (never the secret)", responses((status = 200, description = "Tokens", body = Vec<ApiTokenInfo>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn list_tokens(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<ApiTokenInfo>> {
    Ok(Json(service.list_api_tokens(&caller).await?))
}

#[derive(Deserialize, ToSchema)]
struct NewToken {
    name: String,
}

#[utoipa::path(post, path = "/tokens", tag = "account", summary = "Create a personal API token; the secret is shown once", request_body = NewToken, responses((status = 201, description = "The token, shown once", body = CreatedApiToken), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn create_token(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    Ok((StatusCode::CREATED, Json(service.create_api_token(&caller, body.name).await?)))
}

#[utoipa::path(delete, path = "/tokens/{id}", tag = "account", summary = "Revoke a personal API token", params(("id" = String, Path, description = "Token id")), responses((status = 204, description = "Revoked"), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn revoke_token(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<TokenId>,
) -> Result<StatusCode, ApiError> {
    service.revoke_api_token(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/sync-configs", tag = "sync", summary = "List sync configurations", responses((status = 200, description = "Configurations", body = Vec<SyncConfiguration>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn list_configs(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Vec<SyncConfiguration>> {
    Ok(Json(service.list_configs(&caller).await?))
}

#[utoipa::path(post, path = "/sync-configs", tag = "sync", summary = "Create a sync configuration", request_body = SyncConfigInput, responses((status = 201, description = "Created", body = SyncConfiguration), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn create_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<SyncConfigInput>,
) -> Result<(StatusCode, Json<SyncConfiguration>), ApiError> {
    Ok((StatusCode::CREATED, Json(ServicePort::create_config(&*service, &caller, input).await?)))
}

#[utoipa::path(get, path = "/sync-configs/{id}", tag = "sync", summary = "Get a sync configuration", params(("id" = String, Path, description = "Configuration id")), responses((status = 200, description = "The configuration", body = SyncConfiguration), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn get_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::get_config(&*service, &caller, &id).await?))
}

#[utoipa::path(put, path = "/sync-configs/{id}", tag = "sync", summary = "Replace a sync configuration", request_body = SyncConfigInput, params(("id" = String, Path, description = "Configuration id")), responses((status = 200, description = "Updated", body = SyncConfiguration), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn update_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
    ApiJson(input): ApiJson<SyncConfigInput>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::update_config(&*service, &caller, &id, input).await?))
}

#[utoipa::path(delete, path = "/sync-configs/{id}", tag = "sync", summary = "Delete a configuration and its documents", params(("id" = String, Path, description = "Configuration id")), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn delete_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> Result<StatusCode, ApiError> {
    ServicePort::delete_config(&*service, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/sync-configs/preview", tag = "sync", summary = "Dry run: what a configuration would sync and skip, without downloading", request_body = SyncConfigInput, responses((status = 200, description = "Counts and bytes by type, skipped items with reasons", body = SyncPreview), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn preview_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<SyncConfigInput>,
) -> ApiResult<SyncPreview> {
    Ok(Json(service.preview_config(&caller, input).await?))
}

#[utoipa::path(post, path = "/schedule/preview", tag = "sync", summary = "The next runs of a schedule", request_body = Schedule, responses((status = 200, description = "Next run times", body = SchedulePreview), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
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

#[utoipa::path(post, path = "/sync-configs/{id}/run", tag = "sync", summary = "Queue a run now", params(("id" = String, Path, description = "Configuration id"), ("full" = Option<bool>, Query, description = "Full listing with mark-and-sweep instead of the change feed")), responses((status = 202, description = "Queued (or the already pending job)", body = SyncJob), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
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

#[utoipa::path(post, path = "/sync-configs/run-all", tag = "sync", summary = "Queue a run of every active configuration of the caller", responses((status = 202, description = "Queued jobs", body = Vec<SyncJob>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn run_all(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> Result<(StatusCode, Json<Vec<SyncJob>>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(ServicePort::run_all(&*service, &caller).await?)))
}

#[utoipa::path(get, path = "/sync-configs/{id}/status", tag = "sync", summary = "Current status and progress", params(("id" = String, Path, description = "Configuration id")), responses((status = 200, description = "Status", body = SyncStatus), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn config_status(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncStatus> {
    Ok(Json(ServicePort::config_status(&*service, &caller, &id).await?))
}

#[utoipa::path(post, path = "/sync-configs/{id}/pause", tag = "sync", summary = "Pause: no scheduled runs, a running job stops at the next file", params(("id" = String, Path, description = "Configuration id")), responses((status = 200, description = "Paused", body = SyncConfiguration), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn pause_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::pause_config(&*service, &caller, &id).await?))
}

#[utoipa::path(post, path = "/sync-configs/{id}/resume", tag = "sync", summary = "Resume a paused configuration", params(("id" = String, Path, description = "Configuration id")), responses((status = 200, description = "Resumed", body = SyncConfiguration), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn resume_config(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
) -> ApiResult<SyncConfiguration> {
    Ok(Json(ServicePort::resume_config(&*service, &caller, &id).await?))
}

#[utoipa::path(post, path = "/sync-configs/{id}/cancel", tag = "sync", summary = "Cancel the pending or running job", params(("id" = String, Path, description = "Configuration id")), responses((status = 200, description = "The cancelled job, if there was one", body = Option<SyncJob>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
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

#[utoipa::path(get, path = "/sync-configs/{id}/history", tag = "sync", summary = "Job history, newest first", params(("id" = String, Path, description = "Configuration id"), ("page" = Option<u32>, Query, description = "Page number, from 0"), ("per_page" = Option<u32>, Query, description = "Page size")), responses((status = 200, description = "One page of jobs", body = Page<SyncJob>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn history(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<ConfigId>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Page<SyncJob>> {
    Ok(Json(service.job_history(&caller, &id, query.page, query.per_page).await?))
}

#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", summary = "A job with its file list and errors", params(("id" = String, Path, description = "Job id")), responses((status = 200, description = "The job", body = JobDetail), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn job_detail(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<JobId>,
) -> ApiResult<JobDetail> {
    Ok(Json(ServicePort::job_detail(&*service, &caller, &id).await?))
}

#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs", summary = "Cancel a job", params(("id" = String, Path, description = "Job id")), responses((status = 200, description = "The job", body = SyncJob), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn cancel_job(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<JobId>,
) -> ApiResult<SyncJob> {
    Ok(Json(ServicePort::cancel_job(&*service, &caller, &id).await?))
}

#[utoipa::path(get, path = "/documents", tag = "documents", summary = "Indexed documents", params(("config_id" = Option<String>, Query, description = "Only this configuration"), ("search" = Option<String>, Query, description = "Substring of name or path"), ("page" = Option<u32>, Query, description = "Page number, from 0"), ("per_page" = Option<u32>, Query, description = "Page size")), responses((status = 200, description = "One page of documents", body = Page<DocumentSummary>), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn list_documents(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<DocumentQuery>,
) -> ApiResult<Page<DocumentSummary>> {
    Ok(Json(service.list_documents(&caller, query).await?))
}

#[utoipa::path(get, path = "/documents/{id}", tag = "documents", summary = "One document with its chunks", params(("id" = String, Path, description = "Document id")), responses((status = 200, description = "The document", body = SourceDocument), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn get_document(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<DocumentId>,
) -> ApiResult<SourceDocument> {
    Ok(Json(ServicePort::get_document(&*service, &caller, &id).await?))
}

#[utoipa::path(get, path = "/dashboard", tag = "dashboard", summary = "Overview for the dashboard", responses((status = 200, description = "Overview", body = Dashboard), (status = "4XX", description = "Error: `{\"error\": {\"code\", \"message\"}}`", body = ErrorBody)))]
async fn dashboard(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Dashboard> {
    Ok(Json(ServicePort::dashboard(&*service, &caller).await?))
}
