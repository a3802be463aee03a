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
