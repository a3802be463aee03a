//! The service port: the UI's and the REST API's entry to the service.

use app::error::AppResult;
use app::model::*;
use app::port::{Caller, ServicePort};
use async_trait::async_trait;

use super::Service;

#[async_trait]
impl ServicePort for Service {
    async fn server_info(&self) -> AppResult<ServerInfo> {
        self.store.ping().await?;
        Ok(ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            store_kind: self.store.kind().to_string(),
            uptime_secs: self.uptime_secs(),
            demo: self.settings.demo,
        })
    }

    async fn setup_state(&self) -> AppResult<SetupState> {
        Ok(SetupState { has_users: self.store.count_users().await? > 0, demo: self.settings.demo })
    }

    async fn list_providers(&self, _caller: &Caller) -> AppResult<Vec<ProviderInfo>> {
        Ok(self.providers.catalogue())
    }

    async fn list_connections(&self, caller: &Caller) -> AppResult<Vec<Connection>> {
        Ok(self
            .store
            .list_connections(caller.user_id())
            .await?
            .iter()
            .map(|c| c.to_connection())
            .collect())
    }

    async fn get_connection(&self, caller: &Caller, id: &ConnectionId) -> AppResult<Connection> {
        Ok(self.connection_record(caller.user_id(), id).await?.to_connection())
    }

    async fn create_connection(
        &self,
        caller: &Caller,
        input: NewConnection,
    ) -> AppResult<Connection> {
        self.create(caller.user_id(), input).await
    }

    async fn test_credentials(
        &self,
        caller: &Caller,
        input: NewConnection,
    ) -> AppResult<ConnectionTest> {
        self.test_new(caller.user_id(), &input).await
    }

    async fn test_connection(
        &self,
        caller: &Caller,
        id: &ConnectionId,
    ) -> AppResult<ConnectionTest> {
        self.test_stored(caller.user_id(), id).await
    }

    async fn rename_connection(
        &self,
        caller: &Caller,
        id: &ConnectionId,
        display_name: String,
    ) -> AppResult<Connection> {
        self.rename(caller.user_id(), id, &display_name).await
    }

    async fn connection_impact(
        &self,
        caller: &Caller,
        id: &ConnectionId,
    ) -> AppResult<DeletionImpact> {
        self.impact(caller.user_id(), id).await
    }

    async fn delete_connection(
        &self,
        caller: &Caller,
        id: &ConnectionId,
    ) -> AppResult<DeletionImpact> {
        self.delete(caller.user_id(), id).await
    }

    async fn browse(
        &self,
        caller: &Caller,
        id: &ConnectionId,
        folder: Option<String>,
    ) -> AppResult<BrowseResult> {
        self.browse_folder(caller.user_id(), id, folder).await
    }

    async fn list_configs(&self, caller: &Caller) -> AppResult<Vec<SyncConfiguration>> {
        Ok(self.store.list_configs(caller.user_id()).await?)
    }

    async fn get_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncConfiguration> {
        self.config(caller, id).await
    }

    async fn create_config(
        &self,
        caller: &Caller,
        input: SyncConfigInput,
    ) -> AppResult<SyncConfiguration> {
        Service::create_config(self, caller, input).await
    }

    async fn update_config(
        &self,
        caller: &Caller,
        id: &ConfigId,
        input: SyncConfigInput,
    ) -> AppResult<SyncConfiguration> {
        Service::update_config(self, caller, id, input).await
    }

    async fn delete_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<()> {
        Service::delete_config(self, caller, id).await
    }

    async fn preview_config(
        &self,
        caller: &Caller,
        input: SyncConfigInput,
    ) -> AppResult<SyncPreview> {
        self.preview(caller, input).await
    }

    async fn schedule_preview(
        &self,
        _caller: &Caller,
        schedule: Schedule,
    ) -> AppResult<SchedulePreview> {
        Service::schedule_preview(self, &schedule)
    }

    async fn run_config(&self, caller: &Caller, id: &ConfigId, full: bool) -> AppResult<SyncJob> {
        Service::run_config(self, caller, id, full).await
    }

    async fn run_all(&self, caller: &Caller) -> AppResult<Vec<SyncJob>> {
        Service::run_all(self, caller).await
    }

    async fn config_status(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncStatus> {
        Service::config_status(self, caller, id).await
    }

    async fn pause_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncConfiguration> {
        Service::pause_config(self, caller, id).await
    }

    async fn resume_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncConfiguration> {
        Service::resume_config(self, caller, id).await
    }

    async fn cancel_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<Option<SyncJob>> {
        Service::cancel_config(self, caller, id).await
    }

    async fn job_history(
        &self,
        caller: &Caller,
        id: &ConfigId,
        page: u32,
        per_page: u32,
    ) -> AppResult<Page<SyncJob>> {
        self.history(caller, id, page, per_page).await
    }

    async fn job_detail(&self, caller: &Caller, id: &JobId) -> AppResult<JobDetail> {
        Service::job_detail(self, caller, id).await
    }

    async fn job_log(&self, caller: &Caller, id: &JobId, after: u64) -> AppResult<Vec<JobLogLine>> {
        Service::job_log(self, caller, id, after).await
    }

    async fn cancel_job(&self, caller: &Caller, id: &JobId) -> AppResult<SyncJob> {
        Service::cancel_job(self, caller, id).await
    }

    async fn list_documents(
        &self,
        caller: &Caller,
        query: DocumentQuery,
    ) -> AppResult<Page<DocumentSummary>> {
        self.documents(caller, &query).await
    }

    async fn get_document(&self, caller: &Caller, id: &DocumentId) -> AppResult<SourceDocument> {
        self.document(caller, id).await
    }

    async fn dashboard(&self, caller: &Caller) -> AppResult<Dashboard> {
        Service::dashboard(self, caller).await
    }

    async fn list_api_tokens(&self, caller: &Caller) -> AppResult<Vec<ApiTokenInfo>> {
        self.api_tokens(caller.user_id()).await
    }

    async fn create_api_token(&self, caller: &Caller, name: String) -> AppResult<CreatedApiToken> {
        self.new_api_token(caller.user_id(), &name).await
    }

    async fn revoke_api_token(&self, caller: &Caller, id: &TokenId) -> AppResult<()> {
        self.delete_api_token(caller.user_id(), id).await
    }
}
