//! The service port: everything the UI asks of the engine, as one object-safe trait.
//!
//! `server` implements it and provides an `Arc<dyn ServicePort>` through Leptos context;
//! server functions fetch it with [`service`] and the REST API calls the same
//! implementation, so every operation has one implementation and two front doors.
//! Every user-scoped operation takes the [`Caller`]; another user's id answers
//! [`AppError::NotFound`].

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;

use crate::error::{AppError, AppResult};
use crate::model::*;

/// The signed-in user a request acts for, put into the request by the server's
/// authentication middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: User,
    /// SHA-256 of the session id when signed in with a browser session (OAuth
    /// flows are bound to it); `None` for API tokens.
    pub session_hash: Option<String>,
}

impl Caller {
    pub fn user_id(&self) -> &UserId {
        &self.user.id
    }
}

#[async_trait]
pub trait ServicePort: Send + Sync + 'static {
    async fn server_info(&self) -> AppResult<ServerInfo>;
    /// Whether any account exists and whether the server runs in demo mode
    /// (asked by the sign-in page, before anyone is signed in).
    async fn setup_state(&self) -> AppResult<SetupState>;

    // ----- providers and connections -----
    async fn list_providers(&self, caller: &Caller) -> AppResult<Vec<ProviderInfo>>;
    async fn list_connections(&self, caller: &Caller) -> AppResult<Vec<Connection>>;
    async fn get_connection(&self, caller: &Caller, id: &ConnectionId) -> AppResult<Connection>;
    /// Creates a password, API-key or certificate connection after testing it.
    async fn create_connection(
        &self,
        caller: &Caller,
        input: NewConnection,
    ) -> AppResult<Connection>;
    /// Tests credentials without saving anything (the form's "Test" button).
    async fn test_credentials(
        &self,
        caller: &Caller,
        input: NewConnection,
    ) -> AppResult<ConnectionTest>;
    async fn test_connection(
        &self,
        caller: &Caller,
        id: &ConnectionId,
    ) -> AppResult<ConnectionTest>;
    async fn rename_connection(
        &self,
        caller: &Caller,
        id: &ConnectionId,
        display_name: String,
    ) -> AppResult<Connection>;
    /// What deleting the connection would remove.
    async fn connection_impact(
        &self,
        caller: &Caller,
        id: &ConnectionId,
    ) -> AppResult<DeletionImpact>;
    /// Cancels its jobs, removes its configurations and documents, revokes its
    /// tokens at the provider, then deletes it.
    async fn delete_connection(
        &self,
        caller: &Caller,
        id: &ConnectionId,
    ) -> AppResult<DeletionImpact>;
    /// Children of a folder for the picker (`None`: the top level).
    async fn browse(
        &self,
        caller: &Caller,
        id: &ConnectionId,
        folder: Option<String>,
    ) -> AppResult<BrowseResult>;

    // ----- sync configurations -----
    async fn list_configs(&self, caller: &Caller) -> AppResult<Vec<SyncConfiguration>>;
    async fn get_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncConfiguration>;
    /// Validates (filters, cron, folders in the connection) and creates.
    async fn create_config(
        &self,
        caller: &Caller,
        input: SyncConfigInput,
    ) -> AppResult<SyncConfiguration>;
    async fn update_config(
        &self,
        caller: &Caller,
        id: &ConfigId,
        input: SyncConfigInput,
    ) -> AppResult<SyncConfiguration>;
    /// Deletes the configuration and its documents.
    async fn delete_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<()>;
    /// What a configuration would sync and skip, from listings alone.
    async fn preview_config(
        &self,
        caller: &Caller,
        input: SyncConfigInput,
    ) -> AppResult<SyncPreview>;
    /// The next three runs of a schedule (or why it is invalid).
    async fn schedule_preview(
        &self,
        caller: &Caller,
        schedule: Schedule,
    ) -> AppResult<SchedulePreview>;

    // ----- sync runs -----
    /// Queues a run now (a full one with `full`); an active run is returned as is.
    async fn run_config(&self, caller: &Caller, id: &ConfigId, full: bool) -> AppResult<SyncJob>;
    /// "Run all my syncs".
    async fn run_all(&self, caller: &Caller) -> AppResult<Vec<SyncJob>>;
    async fn config_status(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncStatus>;
    async fn pause_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncConfiguration>;
    async fn resume_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncConfiguration>;
    /// Cancels the active run, if any.
    async fn cancel_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<Option<SyncJob>>;
    async fn job_history(
        &self,
        caller: &Caller,
        id: &ConfigId,
        page: u32,
        per_page: u32,
    ) -> AppResult<Page<SyncJob>>;
    async fn job_detail(&self, caller: &Caller, id: &JobId) -> AppResult<JobDetail>;
    /// Log lines after sequence number `after`.
    async fn job_log(&self, caller: &Caller, id: &JobId, after: u64) -> AppResult<Vec<JobLogLine>>;
    async fn cancel_job(&self, caller: &Caller, id: &JobId) -> AppResult<SyncJob>;

    // ----- documents and dashboard -----
    async fn list_documents(
        &self,
        caller: &Caller,
        query: DocumentQuery,
    ) -> AppResult<Page<DocumentSummary>>;
    async fn get_document(&self, caller: &Caller, id: &DocumentId) -> AppResult<SourceDocument>;
    async fn dashboard(&self, caller: &Caller) -> AppResult<Dashboard>;

    // ----- personal API tokens -----
    async fn list_api_tokens(&self, caller: &Caller) -> AppResult<Vec<ApiTokenInfo>>;
    async fn create_api_token(&self, caller: &Caller, name: String) -> AppResult<CreatedApiToken>;
    async fn revoke_api_token(&self, caller: &Caller, id: &TokenId) -> AppResult<()>;
}

/// The service provided by the server through context.
///
/// Returns [`AppError::Unavailable`] rather than panicking when the context is
/// missing (a mis-wired router, or a render outside a request).
pub fn service() -> AppResult<Arc<dyn ServicePort>> {
    use_context::<Arc<dyn ServicePort>>()
        .ok_or_else(|| AppError::Unavailable("the cloud sources service is not available".into()))
}

/// The signed-in caller of the current request, or [`AppError::Unauthorized`].
pub fn caller() -> AppResult<Caller> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .ok_or(AppError::Unauthorized)
}

/// Runs a server function body with the service and the caller, and records the
/// error's HTTP status on the response, so a failed server function answers
/// 404/401/… like its REST twin rather than 500.
pub async fn with_caller<T, F, Fut>(f: F) -> AppResult<T>
where
    F: FnOnce(Arc<dyn ServicePort>, Caller) -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    let result = match (service(), caller()) {
        (Ok(service), Ok(caller)) => f(service, caller).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    result.map_err(respond_with)
}

/// Records the error's HTTP status on the response a server function is building.
pub fn respond_with(error: AppError) -> AppError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(error.status())
    {
        response.set_status(status);
    }
    error
}
