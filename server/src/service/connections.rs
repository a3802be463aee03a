//! Connections: create (test first), test, rename, browse, delete.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::error::{AppError, AppResult};
use app::model::{
    AuthType, BrowseResult, Connection, ConnectionId, ConnectionStatus, ConnectionTest,
    DeletionImpact, NewConnection, ProviderId, UserId,
};

use super::{Service, internal, now, provider_error};
use crate::providers::http::HttpDeps;
use crate::providers::{
    AccountInfo, Credentials, Provider, ProviderAuth, ProviderContext, ProviderError,
    ProviderFactory, ProviderResult,
};
use crate::secrets;
use crate::store::{ConnectionRecord, new_id};

const MAX_NAME_CHARS: usize = 100;

pub(super) fn check_display_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::bad_request(format!(
            "display_name must have 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_string())
}

impl Service {
    fn factory(&self, provider: ProviderId) -> AppResult<&Arc<dyn ProviderFactory>> {
        self.providers.factory(provider).ok_or_else(|| {
            AppError::bad_request(format!(
                "{} is not available on this server",
                provider.display_name()
            ))
        })
    }

    /// A connection record of this user, or `NotFound`.
    pub async fn connection_record(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
    ) -> AppResult<ConnectionRecord> {
        self.store.get_connection(user_id, id).await?.ok_or(AppError::NotFound)
    }

    /// A provider for a stored connection.
    pub fn provider_for(&self, record: &ConnectionRecord) -> AppResult<Arc<dyn Provider>> {
        self.provider_with(record, self.providers.http.clone())
    }

    fn provider_with(
        &self,
        record: &ConnectionRecord,
        http: HttpDeps,
    ) -> AppResult<Arc<dyn Provider>> {
        let factory = self.factory(record.provider)?;
        let credentials = secrets::open_credentials(&self.vault, record).map_err(|e| {
            // A damaged blob, one sealed for another record, or a key that is
            // gone: the user can fix it by reconnecting, so say so.
            tracing::error!(connection_id = %record.id, error = %e, "cannot open a connection's credentials");
            AppError::Conflict(
                "the stored credentials of this connection cannot be read; reconnect this source"
                    .into(),
            )
        })?;
        let auth = match credentials {
            Credentials::OAuth { extra, .. } => {
                ProviderAuth::OAuth { tokens: self.tokens.tokens(record), extra: extra.clone() }
            }
            other => ProviderAuth::Static(other),
        };
        let context = ProviderContext { connection_id: record.id.clone(), auth, http };
        factory.connect(context).map_err(|e| provider_error(record.provider, &e))
    }

    /// Parses user-entered credentials for a new connection.
    fn parse_new(&self, input: &NewConnection) -> AppResult<Credentials> {
        let factory = self.factory(input.provider)?;
        if input.auth_type == AuthType::OAuth2 {
            return Err(AppError::bad_request(format!(
                "{} connections are made with \"Connect\" (OAuth), not a form",
                input.provider.display_name()
            )));
        }
        if !factory.info().auth_types.contains(&input.auth_type) {
            return Err(AppError::bad_request(format!(
                "{} does not support {} authentication",
                input.provider.display_name(),
                input.auth_type.as_str()
            )));
        }
        factory.parse_credentials(input.auth_type, &input.credentials).map_err(AppError::BadRequest)
    }

    async fn probe(
        &self,
        provider: ProviderId,
        connection_id: &ConnectionId,
        credentials: Credentials,
    ) -> ConnectionTest {
        let started = Instant::now();
        let result = match self.factory(provider) {
            Ok(factory) => {
                let context = ProviderContext {
                    connection_id: connection_id.clone(),
                    auth: ProviderAuth::Static(credentials),
                    http: self.providers.http.interactive(),
                };
                match factory.connect(context) {
                    Ok(p) => answer_within(p.test()).await,
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(ProviderError::invalid(e.to_string())),
        };
        test_result(provider, result, started)
    }

    pub async fn test_new(
        &self,
        _user_id: &UserId,
        input: &NewConnection,
    ) -> AppResult<ConnectionTest> {
        let credentials = self.parse_new(input)?;
        Ok(self.probe(input.provider, &ConnectionId("unsaved".into()), credentials).await)
    }

    /// Creates a form-based connection; the credentials are tested first and
    /// nothing is stored when the test fails.
    pub async fn create(&self, user_id: &UserId, input: NewConnection) -> AppResult<Connection> {
        let display_name = check_display_name(&input.display_name)?;
        let credentials = self.parse_new(&input)?;
        let id = ConnectionId(new_id());
        let test = self.probe(input.provider, &id, credentials.clone()).await;
        if !test.ok {
            return Err(AppError::BadRequest(format!(
                "the connection test failed: {}",
                test.message
            )));
        }
        let sealed = secrets::seal_credentials(&self.vault, user_id, &id, &credentials)
            .map_err(|e| internal("cannot seal credentials", e))?;
        let at = now();
        let record = ConnectionRecord {
            id,
            user_id: user_id.clone(),
            provider: input.provider,
            display_name,
            auth_type: input.auth_type,
            credentials: sealed,
            oauth_metadata: None,
            status: ConnectionStatus::Active,
            status_message: None,
            account: test.account,
            last_validated_at: Some(at),
            credentials_version: 0,
            created_at: at,
            updated_at: at,
        };
        self.store.insert_connection(record.clone()).await?;
        tracing::info!(connection_id = %record.id, provider = %record.provider, "connection created");
        Ok(record.to_connection())
    }

    /// Tests a stored connection and records the outcome on it.
    pub async fn test_stored(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
    ) -> AppResult<ConnectionTest> {
        let record = self.connection_record(user_id, id).await?;
        let started = Instant::now();
        let result = match self.provider_with(&record, self.providers.http.interactive()) {
            Ok(provider) => answer_within(provider.test()).await,
            Err(e) => Err(ProviderError::invalid(e.to_string())),
        };
        let outcome = test_result(record.provider, result, started);
        if outcome.ok {
            self.store
                .mark_connection_validated(user_id, id, outcome.account.clone(), now())
                .await?;
        } else if record.status == ConnectionStatus::Active {
            // Expired/revoked statuses are set by the token manager; keep them.
            self.store
                .set_connection_status(
                    user_id,
                    id,
                    ConnectionStatus::Error,
                    Some(outcome.message.clone()),
                    now(),
                )
                .await?;
            self.alerts.connection(&record, ConnectionStatus::Error, &outcome.message);
        }
        Ok(outcome)
    }

    pub async fn rename(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        display_name: &str,
    ) -> AppResult<Connection> {
        let name = check_display_name(display_name)?;
        self.store.rename_connection(user_id, id, &name, now()).await?;
        Ok(self.connection_record(user_id, id).await?.to_connection())
    }

    pub async fn browse_folder(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        folder: Option<String>,
    ) -> AppResult<BrowseResult> {
        let record = self.connection_record(user_id, id).await?;
        let provider = self.provider_for(&record)?;
        let entries = provider
            .list_folders(folder.as_deref())
            .await
            .map_err(|e| provider_error(record.provider, &e))?;
        Ok(BrowseResult { folder, breadcrumbs: Vec::new(), entries })
    }

    pub async fn impact(&self, user_id: &UserId, id: &ConnectionId) -> AppResult<DeletionImpact> {
        let record = self.connection_record(user_id, id).await?;
        let mut impact = DeletionImpact {
            revokes_tokens: record.auth_type == AuthType::OAuth2
                && self.providers.oauth(record.provider).is_some_and(|o| o.revoke_url.is_some()),
            ..Default::default()
        };
        for config in
            self.store.list_configs(user_id).await?.iter().filter(|c| c.connection_id == *id)
        {
            impact.sync_configurations += 1;
            impact.documents += self.store.document_stats(user_id, &config.id).await?.0;
            if self.store.active_job(user_id, &config.id).await?.is_some() {
                impact.active_jobs += 1;
            }
        }
        Ok(impact)
    }

    /// Cancels the connection's jobs, removes its configurations and their
    /// documents, revokes its tokens at the provider, then deletes it.
    pub async fn delete(&self, user_id: &UserId, id: &ConnectionId) -> AppResult<DeletionImpact> {
        let record = self.connection_record(user_id, id).await?;
        let impact = self.impact(user_id, id).await?;
        for config in
            self.store.list_configs(user_id).await?.into_iter().filter(|c| c.connection_id == *id)
        {
            if let Some(job) = self.store.active_job(user_id, &config.id).await? {
                self.store
                    .request_cancel(user_id, &job.id, "the connection was deleted", now())
                    .await?;
                self.signal_cancel(&job.id);
            }
            self.store.delete_config(user_id, &config.id).await?;
        }
        if record.auth_type == AuthType::OAuth2 {
            self.revoke_tokens(&record).await;
        }
        self.store.delete_connection(user_id, id).await?;
        self.tokens.forget(id);
        tracing::info!(connection_id = %id, provider = %record.provider, "connection deleted");
        Ok(impact)
    }

    /// Best effort: a provider that cannot be reached must not keep a user from
    /// deleting the connection.
    async fn revoke_tokens(&self, record: &ConnectionRecord) {
        let Some(client) = self.tokens.client(record.provider) else { return };
        if client.spec().revoke_url.is_none() {
            return;
        }
        let refresh = secrets::open_refresh_token(&self.vault, record).ok().flatten();
        let access = match secrets::open_credentials(&self.vault, record) {
            Ok(Credentials::OAuth { access_token, .. }) => Some(access_token),
            _ => None,
        };
        // Revoking the refresh token ends the whole grant where supported.
        for token in refresh.iter().chain(access.iter()) {
            if let Err(e) = client.revoke(token).await {
                tracing::warn!(connection_id = %record.id, error = %e, "token revocation failed");
            }
        }
    }
}

fn test_result(
    provider: ProviderId,
    result: Result<AccountInfo, ProviderError>,
    started: Instant,
) -> ConnectionTest {
    let latency_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(account) => ConnectionTest {
            ok: true,
            message: format!("Connected to {} as {}", provider.display_name(), account.label),
            account: Some(account.label),
            latency_ms,
        },
        Err(e) => ConnectionTest {
            ok: false,
            message: provider_error(provider, &e).to_string(),
            account: None,
            latency_ms,
        },
    }
}

/// How long a person waits for "Test" before being told the server does not answer.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection test, given up after [`TEST_TIMEOUT`].
async fn answer_within(
    test: impl std::future::Future<Output = ProviderResult<AccountInfo>>,
) -> ProviderResult<AccountInfo> {
    tokio::time::timeout(TEST_TIMEOUT, test).await.unwrap_or_else(|_| {
        Err(ProviderError::transient(format!(
            "no answer within {} s; check the address and that the server is running",
            TEST_TIMEOUT.as_secs()
        )))
    })
}
