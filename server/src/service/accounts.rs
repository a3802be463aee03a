//! Accounts, sessions and personal API tokens.

use app::error::{AppError, AppResult};
use app::model::{ApiTokenInfo, CreatedApiToken, SecretText, TokenId, User, UserId};
use app::port::Caller;
use secrecy::ExposeSecret;

use super::{Service, internal, now};
use crate::auth::{password, tokens};
use crate::store::{ApiTokenRecord, SessionRecord, StoreError, UserRecord, new_id};

/// The account demo mode creates on an empty store (shown on the sign-in page).
pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";

/// Why a sign-in failed. The message never says whether the user exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    Invalid,
    /// Too many failures; retry after this many seconds.
    RateLimited(u64),
    Unavailable,
}

fn check_username(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if valid {
        Ok(())
    } else {
        Err("user names have 1 to 64 letters, digits, '.', '_', '-' or '@'".into())
    }
}

impl Service {
    /// Creates a local account (CLI `user add`, bootstrap).
    pub async fn create_user(
        &self,
        username: &str,
        password: Option<&str>,
        is_admin: bool,
    ) -> AppResult<User> {
        check_username(username).map_err(AppError::BadRequest)?;
        let password_hash = match password {
            Some(password) => {
                password::check_new_password(password).map_err(AppError::BadRequest)?;
                Some(password::hash(password).map_err(|e| internal("hashing a password", e))?)
            }
            None => None,
        };
        let record = UserRecord {
            id: UserId(new_id()),
            username: username.to_string(),
            password_hash,
            is_admin,
            created_at: now(),
        };
        self.store.create_user(record.clone()).await?;
        tracing::info!(user_id = %record.id, username, is_admin, "account created");
        Ok(record.to_user())
    }

    /// Creates the first admin from `bootstrap.*` when there is no account yet.
    pub(super) async fn bootstrap_admin(&self) -> anyhow::Result<()> {
        let bootstrap = &self.settings.bootstrap;
        if self.store.count_users().await? > 0 {
            return Ok(());
        }
        if bootstrap.admin_username.is_empty() {
            if self.settings.demo {
                // Demo mode is for trying the product: a known account, shown on the sign-in page.
                match self.create_user(DEMO_USERNAME, Some(DEMO_PASSWORD), true).await {
                    Ok(_) | Err(AppError::Conflict(_)) => {
                        tracing::info!("demo mode: sign in as {DEMO_USERNAME} / {DEMO_PASSWORD}");
                    }
                    Err(e) => anyhow::bail!("cannot create the demo account: {e}"),
                }
            }
            return Ok(());
        }
        let Some(password) = &bootstrap.admin_password else {
            anyhow::bail!("bootstrap.admin_username is set but bootstrap.admin_password is not");
        };
        match self
            .create_user(&bootstrap.admin_username, Some(password.expose_secret()), true)
            .await
        {
            Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
            Err(e) => anyhow::bail!("cannot create the first admin: {e}"),
        }
    }

    /// Checks a password, with rate limits per account and per client address.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        address: &str,
    ) -> Result<User, LoginError> {
        self.limiter.check(username, address).map_err(LoginError::RateLimited)?;
        let user = self.store.find_user_by_name(username).await.map_err(|e| {
            tracing::error!(error = %e, "store error during sign-in");
            LoginError::Unavailable
        })?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        // Verify against a decoy when there is no hash, so timing does not tell.
        let against = stored.clone().unwrap_or_else(|| password::decoy_hash().to_string());
        let attempt = SecretText::new(password);
        let matches =
            tokio::task::spawn_blocking(move || password::verify(attempt.expose(), &against))
                .await
                .unwrap_or(false);
        let ok = matches && stored.is_some();
        match user {
            Some(user) if ok => {
                self.limiter.record_success(username);
                Ok(user.to_user())
            }
            _ => {
                self.limiter.record_failure(username, address);
                tracing::info!(username, address, "sign-in failed");
                Err(LoginError::Invalid)
            }
        }
    }

    /// Starts a browser session; returns the cookie value (only its hash is stored).
    pub async fn start_session(&self, user_id: &UserId) -> AppResult<String> {
        let secret = tokens::random_secret();
        let created_at = now();
        let hours = self.settings.security.session_hours.max(1) as i64;
        let record = SessionRecord {
            id_hash: tokens::hash(&secret),
            user_id: user_id.clone(),
            created_at,
            expires_at: created_at.plus_secs(hours * 3600),
        };
        self.store.create_session(record).await?;
        Ok(secret)
    }

    pub async fn end_session(&self, secret: &str) -> AppResult<()> {
        Ok(self.store.delete_session(&tokens::hash(secret)).await?)
    }

    /// The caller behind a session cookie, if it is valid.
    pub async fn caller_from_session(&self, secret: &str) -> AppResult<Option<Caller>> {
        let hash = tokens::hash(secret);
        let Some(session) = self.store.find_session(&hash, now()).await? else { return Ok(None) };
        let Some(user) = self.store.get_user(&session.user_id).await? else { return Ok(None) };
        Ok(Some(Caller { user: user.to_user(), session_hash: Some(hash) }))
    }

    /// The caller behind a personal API token, if it is valid.
    pub async fn caller_from_api_token(&self, token: &str) -> AppResult<Option<Caller>> {
        if !token.starts_with(tokens::API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(record) = self.store.use_api_token(&tokens::hash(token), now()).await? else {
            return Ok(None);
        };
        let Some(user) = self.store.get_user(&record.user_id).await? else { return Ok(None) };
        Ok(Some(Caller { user: user.to_user(), session_hash: None }))
    }

    /// The caller named by the trusted SSO header; the account is created on
    /// first sight (no password: it can only sign in through the proxy).
    pub async fn caller_from_trusted_header(&self, username: &str) -> AppResult<Option<Caller>> {
        if check_username(username).is_err() {
            return Ok(None);
        }
        let user = match self.store.find_user_by_name(username).await? {
            Some(user) => user.to_user(),
            None => match self.create_user(username, None, false).await {
                Ok(user) => user,
                Err(AppError::Conflict(_)) => self
                    .store
                    .find_user_by_name(username)
                    .await?
                    .ok_or(AppError::Internal)?
                    .to_user(),
                Err(e) => return Err(e),
            },
        };
        Ok(Some(Caller { user, session_hash: None }))
    }

    pub async fn api_tokens(&self, user_id: &UserId) -> AppResult<Vec<ApiTokenInfo>> {
        Ok(self.store.list_api_tokens(user_id).await?.iter().map(ApiTokenRecord::to_info).collect())
    }

    /// Creates a personal API token; the token itself is returned this once.
    pub async fn new_api_token(&self, user_id: &UserId, name: &str) -> AppResult<CreatedApiToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::bad_request("give the token a name of 1 to 100 characters"));
        }
        let token = tokens::new_api_token();
        let record = ApiTokenRecord {
            id: TokenId(new_id()),
            user_id: user_id.clone(),
            name: name.to_string(),
            prefix: token.chars().take(tokens::API_TOKEN_PREFIX.len() + 4).collect(),
            token_hash: tokens::hash(&token),
            created_at: now(),
            last_used_at: None,
        };
        self.store.create_api_token(record.clone()).await?;
        Ok(CreatedApiToken { info: record.to_info(), token: SecretText::new(token) })
    }

    pub async fn delete_api_token(&self, user_id: &UserId, id: &TokenId) -> AppResult<()> {
        match self.store.delete_api_token(user_id, id).await {
            Err(StoreError::NotFound) => Err(AppError::NotFound),
            other => Ok(other?),
        }
    }

    /// Finds an account by name (CLI).
    pub async fn user_by_name(&self, username: &str) -> AppResult<User> {
        Ok(self.store.find_user_by_name(username).await?.ok_or(AppError::NotFound)?.to_user())
    }
}
