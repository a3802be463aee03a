//! The token manager: hands out valid access tokens for OAuth connections.
//!
//! - Refreshes when less than five minutes remain, or when the provider
//!   rejected a token (401).
//! - Single flight per connection: every provider instance of a connection
//!   shares one [`ConnectionTokens`], whose lock makes concurrent callers wait
//!   for one refresh instead of starting their own.
//! - Rotated refresh tokens are written with compare-and-swap on the
//!   connection's `credentials_version`; if another instance refreshed first,
//!   its tokens are used rather than refreshing again (which would reuse a
//!   rotated-away refresh token and look like theft to the provider).
//! - `invalid_grant` marks the connection `expired`, so the UI offers "Reconnect".

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::model::{ConnectionId, ConnectionStatus, ProviderId, SecretText, Timestamp, UserId};
use async_trait::async_trait;

use super::client::{OAuthClient, OAuthError, TokenSet};
use crate::alerts::Alerts;
use crate::providers::{AccessTokens, Credentials, ErrorKind, ProviderError, ProviderResult};
use crate::secrets;
use crate::store::{ConnectionRecord, CredentialsUpdate, OAuthMetadata, Store, StoreError};
use crate::vault::Vault;

/// Refresh when less than this remains.
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct TokenCounters {
    pub refreshes: AtomicU64,
    pub failures: AtomicU64,
}

pub struct TokenManager {
    store: Arc<dyn Store>,
    vault: Arc<Vault>,
    clients: HashMap<ProviderId, Arc<OAuthClient>>,
    alerts: Arc<Alerts>,
    connections: Mutex<HashMap<ConnectionId, Arc<ConnectionTokens>>>,
    pub counters: Arc<TokenCounters>,
}

impl TokenManager {
    pub fn new(
        store: Arc<dyn Store>,
        vault: Arc<Vault>,
        clients: HashMap<ProviderId, Arc<OAuthClient>>,
        alerts: Arc<Alerts>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            vault,
            clients,
            alerts,
            connections: Mutex::default(),
            counters: Arc::default(),
        })
    }

    pub fn client(&self, provider: ProviderId) -> Option<&Arc<OAuthClient>> {
        self.clients.get(&provider)
    }

    /// The shared token source of one connection.
    pub fn tokens(self: &Arc<Self>, record: &ConnectionRecord) -> Arc<ConnectionTokens> {
        let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        connections
            .entry(record.id.clone())
            .or_insert_with(|| {
                Arc::new(ConnectionTokens {
                    manager: self.clone(),
                    user_id: record.user_id.clone(),
                    connection_id: record.id.clone(),
                    provider: record.provider,
                    cached: tokio::sync::Mutex::new(None),
                })
            })
            .clone()
    }

    /// Forgets a deleted connection.
    pub fn forget(&self, connection_id: &ConnectionId) {
        self.connections.lock().unwrap_or_else(|e| e.into_inner()).remove(connection_id);
    }

    /// Seals a fresh token set into a new or existing connection's fields.
    pub fn seal(
        &self,
        user_id: &UserId,
        connection_id: &ConnectionId,
        tokens: &TokenSet,
        extra: std::collections::BTreeMap<String, String>,
        previous_refresh: Option<&SecretText>,
        previous_scopes: &[String],
    ) -> ProviderResult<(crate::store::EncryptedBlob, OAuthMetadata)> {
        let credentials = Credentials::OAuth { access_token: tokens.access_token.clone(), extra };
        let sealed = secrets::seal_credentials(&self.vault, user_id, connection_id, &credentials)
            .map_err(vault_error)?;
        let refresh = tokens.refresh_token.as_ref().or(previous_refresh);
        let refresh_token_encrypted = refresh
            .map(|token| secrets::seal_refresh_token(&self.vault, user_id, connection_id, token))
            .transpose()
            .map_err(vault_error)?;
        let metadata = OAuthMetadata {
            access_token_expires_at: tokens.expires_in.map(|d| Timestamp::now() + d),
            refresh_token_encrypted,
            scopes: tokens.scopes.clone().unwrap_or_else(|| previous_scopes.to_vec()),
        };
        Ok((sealed, metadata))
    }
}

fn vault_error(e: crate::vault::VaultError) -> ProviderError {
    tracing::error!(error = %e, "cannot use sealed credentials");
    ProviderError::new(
        ErrorKind::AuthExpired,
        "the stored credentials cannot be read; reconnect this source",
    )
}

fn store_error(e: StoreError) -> ProviderError {
    ProviderError::transient(format!("the store is unavailable: {e}"))
}

#[derive(Clone)]
struct Cached {
    token: SecretText,
    expires_at: Option<Timestamp>,
}

impl Cached {
    fn fresh(&self) -> bool {
        self.expires_at.is_none_or(|at| at > Timestamp::now() + REFRESH_AHEAD)
    }
}

/// The token source of one connection.
pub struct ConnectionTokens {
    manager: Arc<TokenManager>,
    user_id: UserId,
    connection_id: ConnectionId,
    provider: ProviderId,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl ConnectionTokens {
    async fn load(&self) -> ProviderResult<(ConnectionRecord, Cached)> {
        let record = self
            .manager
            .store
            .get_connection(&self.user_id, &self.connection_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                ProviderError::new(ErrorKind::AuthExpired, "the connection was deleted")
            })?;
        let Credentials::OAuth { access_token, .. } =
            secrets::open_credentials(&self.manager.vault, &record).map_err(vault_error)?
        else {
            return Err(ProviderError::invalid("not an OAuth connection"));
        };
        let expires_at = record.oauth_metadata.as_ref().and_then(|m| m.access_token_expires_at);
        Ok((record, Cached { token: access_token, expires_at }))
    }

    /// Refreshes with the stored refresh token and saves the result.
    async fn refresh(&self, record: ConnectionRecord) -> ProviderResult<Cached> {
        let manager = &self.manager;
        let client = manager.client(self.provider).ok_or_else(|| {
            ProviderError::new(
                ErrorKind::AuthExpired,
                "OAuth is not configured for this provider on this server",
            )
        })?;
        let Some(refresh_token) =
            secrets::open_refresh_token(&manager.vault, &record).map_err(vault_error)?
        else {
            return Err(self
                .expire(
                    &record,
                    "the access token expired and there is no refresh token; reconnect",
                )
                .await);
        };
        manager.counters.refreshes.fetch_add(1, Ordering::Relaxed);
        match client.refresh(&refresh_token).await {
            Ok(tokens) => {
                let Credentials::OAuth { extra, .. } =
                    secrets::open_credentials(&manager.vault, &record).map_err(vault_error)?
                else {
                    return Err(ProviderError::invalid("not an OAuth connection"));
                };
                let scopes =
                    record.oauth_metadata.as_ref().map(|m| m.scopes.clone()).unwrap_or_default();
                let (credentials, metadata) = manager.seal(
                    &self.user_id,
                    &self.connection_id,
                    &tokens,
                    extra,
                    Some(&refresh_token),
                    &scopes,
                )?;
                let update = CredentialsUpdate {
                    credentials,
                    oauth_metadata: Some(metadata.clone()),
                    expected_version: record.credentials_version,
                    reactivate: true,
                };
                match manager
                    .store
                    .update_credentials(
                        &self.user_id,
                        &self.connection_id,
                        update,
                        Timestamp::now(),
                    )
                    .await
                {
                    Ok(_) => {
                        tracing::info!(connection_id = %self.connection_id, provider = %self.provider, "access token refreshed");
                        Ok(Cached {
                            token: tokens.access_token,
                            expires_at: metadata.access_token_expires_at,
                        })
                    }
                    // Another instance refreshed at the same time: use its tokens.
                    Err(StoreError::Conflict(_)) => Ok(self.load().await?.1),
                    Err(e) => Err(store_error(e)),
                }
            }
            Err(OAuthError::InvalidGrant(detail)) => {
                // If another instance refreshed meanwhile, our refresh token was
                // rotated away: that is not a revoked grant.
                let (current, cached) = self.load().await?;
                if current.credentials_version != record.credentials_version && cached.fresh() {
                    return Ok(cached);
                }
                manager.counters.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(connection_id = %self.connection_id, provider = %self.provider, %detail, "refresh token rejected");
                Err(self
                    .expire(&current, &format!(
                        "{} no longer accepts this connection's sign-in (it expired or was revoked); reconnect",
                        self.provider.display_name()
                    ))
                    .await)
            }
            Err(e @ OAuthError::Rejected(_)) => {
                manager.counters.failures.fetch_add(1, Ordering::Relaxed);
                let message = format!("refreshing the sign-in failed: {e}");
                let _ = manager
                    .store
                    .set_connection_status(
                        &self.user_id,
                        &self.connection_id,
                        ConnectionStatus::Error,
                        Some(message.clone()),
                        Timestamp::now(),
                    )
                    .await;
                if record.status == ConnectionStatus::Active {
                    manager.alerts.connection(&record, ConnectionStatus::Error, &message);
                }
                Err(ProviderError::new(ErrorKind::AuthExpired, message))
            }
            Err(e @ OAuthError::Unavailable(_)) => {
                manager.counters.failures.fetch_add(1, Ordering::Relaxed);
                Err(ProviderError::transient(e.to_string()))
            }
        }
    }

    /// Marks the connection expired; `record` is its latest state, so the alert
    /// goes out once, when it stops working.
    async fn expire(&self, record: &ConnectionRecord, message: &str) -> ProviderError {
        if let Err(e) = self
            .manager
            .store
            .set_connection_status(
                &self.user_id,
                &self.connection_id,
                ConnectionStatus::Expired,
                Some(message.to_string()),
                Timestamp::now(),
            )
            .await
        {
            tracing::error!(error = %e, "cannot mark the connection expired");
        } else if !record.status.needs_reconnect() {
            self.manager.alerts.connection(record, ConnectionStatus::Expired, message);
        }
        ProviderError::new(ErrorKind::AuthExpired, message)
    }

    /// Refreshes now, whatever the expiry says (`POST /oauth/{provider}/refresh`).
    pub async fn force_refresh(&self) -> ProviderResult<()> {
        let mut cached = self.cached.lock().await;
        let (record, _) = self.load().await?;
        *cached = Some(self.refresh(record).await?);
        Ok(())
    }
}

#[async_trait]
impl AccessTokens for ConnectionTokens {
    async fn access_token(&self) -> ProviderResult<SecretText> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref().filter(|c| c.fresh()) {
            return Ok(current.token.clone());
        }
        let (record, stored) = self.load().await?;
        let current = if stored.fresh() { stored } else { self.refresh(record).await? };
        let token = current.token.clone();
        *cached = Some(current);
        Ok(token)
    }

    async fn refresh_rejected(&self, rejected: &SecretText) -> ProviderResult<SecretText> {
        let mut cached = self.cached.lock().await;
        let (record, stored) = self.load().await?;
        // Someone refreshed since this token was handed out: use theirs.
        let current = if stored.token != *rejected { stored } else { self.refresh(record).await? };
        let token = current.token.clone();
        *cached = Some(current);
        Ok(token)
    }
}
