//! The OAuth authorization-code flow with PKCE, bound to the browser session
//! that started it.

use app::error::{AppError, AppResult};
use app::model::{AuthType, Connection, ConnectionId, ConnectionStatus, ProviderId, SecretText};
use app::port::Caller;
use serde::Deserialize;

use super::{Service, internal, now};
use crate::auth::tokens;
use crate::oauth::client::OAuthError;
use crate::providers::Credentials;
use crate::secrets;
use crate::store::{ConnectionRecord, CredentialsUpdate, OAuthStateRecord, new_id};
use crate::vault::{Binding, Purpose};

/// How long a started sign-in stays valid.
const STATE_LIFETIME_SECS: i64 = 10 * 60;

/// The query string a provider redirects back with.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn pkce_binding<'a>(caller: &'a Caller, state_hash: &'a str) -> Binding<'a> {
    Binding {
        user_id: caller.user_id().as_str(),
        record_id: state_hash,
        purpose: Purpose::PkceVerifier,
    }
}

impl Service {
    /// Starts a sign-in: returns the provider URL to send the browser to.
    pub async fn oauth_start(
        &self,
        caller: &Caller,
        provider: ProviderId,
        reconnect: Option<ConnectionId>,
    ) -> AppResult<String> {
        let Some(session_hash) = caller.session_hash.clone() else {
            return Err(AppError::bad_request(
                "OAuth connections are started from the web app, in a browser session",
            ));
        };
        let client = self.tokens.client(provider).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{} sign-in is not configured on this server: an administrator sets providers.{}.client_id and client_secret",
                provider.display_name(),
                provider.as_str()
            ))
        })?;
        if let Some(id) = &reconnect {
            let record = self.connection_record(caller.user_id(), id).await?;
            if record.provider != provider {
                return Err(AppError::NotFound);
            }
        }
        let state = tokens::random_secret();
        let state_hash = tokens::hash(&state);
        let (url, verifier) = client
            .authorize_url(&state)
            .map_err(|e| internal("building an authorization URL", e))?;
        let sealed = self
            .vault
            .seal(verifier.expose().as_bytes(), pkce_binding(caller, &state_hash))
            .map_err(|e| internal("sealing a PKCE verifier", e))?;
        let created_at = now();
        self.store
            .put_oauth_state(OAuthStateRecord {
                state_hash,
                user_id: caller.user_id().clone(),
                session_hash,
                provider,
                pkce_verifier: sealed,
                connection_id: reconnect,
                site_url: None,
                created_at,
                expires_at: created_at.plus_secs(STATE_LIFETIME_SECS),
            })
            .await?;
        Ok(url)
    }

    /// Finishes a sign-in: checks the state, exchanges the code, stores the
    /// tokens sealed. On any failure nothing is stored and the error says why.
    pub async fn oauth_finish(
        &self,
        caller: &Caller,
        provider: ProviderId,
        query: CallbackQuery,
    ) -> AppResult<Connection> {
        let name = provider.display_name();
        let state = query.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
            AppError::bad_request("the sign-in answer has no state; start the connection again")
        })?;
        let state_hash = tokens::hash(state);
        let record = self.store.take_oauth_state(&state_hash, now()).await?.ok_or_else(|| {
            AppError::bad_request(
                "this sign-in link was already used or has expired; start the connection again",
            )
        })?;
        if record.user_id != *caller.user_id()
            || caller.session_hash.as_deref() != Some(record.session_hash.as_str())
            || record.provider != provider
        {
            tracing::warn!(%provider, "OAuth callback with a state from another session");
            return Err(AppError::Forbidden(
                "this sign-in was started in another browser session; start the connection again"
                    .into(),
            ));
        }
        if let Some(error) = &query.error {
            return Err(AppError::BadRequest(if error == "access_denied" {
                format!("you declined access to {name}; nothing was saved")
            } else {
                let detail = query.error_description.as_deref().unwrap_or(error);
                format!("{name} reported an error ({detail}); nothing was saved")
            }));
        }
        let code = query.code.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| {
            AppError::bad_request("the sign-in answer has no authorization code; nothing was saved")
        })?;
        let verifier = self
            .vault
            .open(&record.pkce_verifier, pkce_binding(caller, &state_hash))
            .map_err(|e| internal("opening a PKCE verifier", e))?;
        let verifier = SecretText::new(String::from_utf8_lossy(&verifier));
        let client = self.tokens.client(provider).ok_or(AppError::NotFound)?;
        let tokens = client.exchange_code(code, &verifier).await.map_err(|e| match e {
            OAuthError::Unavailable(_) => AppError::Upstream(format!(
                "{name} could not be reached to finish the sign-in; nothing was saved"
            )),
            other => AppError::Upstream(format!(
                "{name} did not accept the sign-in ({other}); nothing was saved"
            )),
        })?;

        let connection = match record.connection_id {
            Some(id) => self.oauth_reconnect(caller, &id, &tokens).await?,
            None => {
                self.oauth_connect(
                    caller,
                    provider,
                    &tokens,
                    Default::default(),
                    provider.display_name(),
                )
                .await?
            }
        };
        self.label_new_oauth_connection(caller, &connection).await;
        Ok(self.connection_record(caller.user_id(), &connection.id).await?.to_connection())
    }

    /// Asks the provider who signed in and puts it in the label. Best effort: a
    /// provider API that is down right now must not undo a good sign-in.
    async fn label_new_oauth_connection(&self, caller: &Caller, connection: &Connection) {
        let name = connection.provider.display_name();
        let account = match self
            .connection_record(caller.user_id(), &connection.id)
            .await
            .and_then(|r| self.provider_for(&r))
        {
            Ok(provider) => provider.test().await,
            Err(e) => {
                tracing::warn!(connection_id = %connection.id, error = %e, "no provider to ask for the account name");
                return;
            }
        };
        match account {
            Ok(account) => {
                let _ = self
                    .store
                    .mark_connection_validated(
                        caller.user_id(),
                        &connection.id,
                        Some(account.label.clone()),
                        now(),
                    )
                    .await;
                if record_is_new_label(connection, name) {
                    let _ = self
                        .rename(
                            caller.user_id(),
                            &connection.id,
                            &format!("{name} ({})", account.label),
                        )
                        .await;
                }
            }
            Err(e) => {
                tracing::warn!(connection_id = %connection.id, error = %e, "cannot ask the provider who signed in")
            }
        }
    }

    /// Creates an OAuth connection from existing tokens (`cloud-sources
    /// connection add --access-token`), labelled like a browser sign-in.
    pub async fn import_oauth(
        &self,
        caller: &Caller,
        provider: ProviderId,
        display_name: &str,
        tokens: &crate::oauth::client::TokenSet,
        extra: std::collections::BTreeMap<String, String>,
    ) -> AppResult<Connection> {
        let display_name = super::connections::check_display_name(display_name)?;
        let connection = self.oauth_connect(caller, provider, tokens, extra, &display_name).await?;
        self.label_new_oauth_connection(caller, &connection).await;
        Ok(self.connection_record(caller.user_id(), &connection.id).await?.to_connection())
    }

    async fn oauth_connect(
        &self,
        caller: &Caller,
        provider: ProviderId,
        tokens: &crate::oauth::client::TokenSet,
        extra: std::collections::BTreeMap<String, String>,
        display_name: &str,
    ) -> AppResult<Connection> {
        let id = ConnectionId(new_id());
        let requested =
            self.providers.oauth(provider).map(|o| o.scopes.clone()).unwrap_or_default();
        let (credentials, metadata) = self
            .tokens
            .seal(caller.user_id(), &id, tokens, extra, None, &requested)
            .map_err(|e| internal("sealing tokens", e))?;
        let at = now();
        let record = ConnectionRecord {
            id,
            user_id: caller.user_id().clone(),
            provider,
            display_name: display_name.to_string(),
            auth_type: AuthType::OAuth2,
            credentials,
            oauth_metadata: Some(metadata),
            status: ConnectionStatus::Active,
            status_message: None,
            account: None,
            last_validated_at: None,
            credentials_version: 0,
            created_at: at,
            updated_at: at,
        };
        self.store.insert_connection(record.clone()).await?;
        tracing::info!(connection_id = %record.id, %provider, "connection created through OAuth");
        Ok(record.to_connection())
    }

    async fn oauth_reconnect(
        &self,
        caller: &Caller,
        id: &ConnectionId,
        tokens: &crate::oauth::client::TokenSet,
    ) -> AppResult<Connection> {
        let record = self.connection_record(caller.user_id(), id).await?;
        let extra = match secrets::open_credentials(&self.vault, &record) {
            Ok(Credentials::OAuth { extra, .. }) => extra.clone(),
            _ => Default::default(),
        };
        let scopes = record.oauth_metadata.as_ref().map(|m| m.scopes.clone()).unwrap_or_default();
        let (credentials, metadata) = self
            .tokens
            .seal(caller.user_id(), id, tokens, extra, None, &scopes)
            .map_err(|e| internal("sealing tokens", e))?;
        let update = CredentialsUpdate {
            credentials,
            oauth_metadata: Some(metadata),
            expected_version: record.credentials_version,
            reactivate: true,
        };
        let updated = self.store.update_credentials(caller.user_id(), id, update, now()).await?;
        self.tokens.forget(id);
        tracing::info!(connection_id = %id, "connection reconnected through OAuth");
        Ok(updated.to_connection())
    }

    /// Refreshes a connection's access token now.
    pub async fn oauth_refresh(
        &self,
        caller: &Caller,
        provider: ProviderId,
        id: &ConnectionId,
    ) -> AppResult<Connection> {
        let record = self.connection_record(caller.user_id(), id).await?;
        if record.provider != provider || record.auth_type != AuthType::OAuth2 {
            return Err(AppError::NotFound);
        }
        self.tokens
            .tokens(&record)
            .force_refresh()
            .await
            .map_err(|e| super::provider_error(provider, &e))?;
        Ok(self.connection_record(caller.user_id(), id).await?.to_connection())
    }
}

/// A connection still named after its provider alone gets the account added.
fn record_is_new_label(connection: &Connection, provider_name: &str) -> bool {
    connection.display_name == provider_name
}
