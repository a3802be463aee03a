//! One OAuth 2.0 authorization server for the three providers, with each provider's
//! documented behaviour (`shared/reference/api-specs/oauth/oauth-endpoints.json`):
//!
//! - a sign-in page (any username is its own sandbox account) and a consent page
//!   (Allow / Deny → `error=access_denied`), plain HTML forms a browser test can click;
//! - registered clients with exact redirect URIs: an unknown client or a redirect URI that
//!   does not match is shown an error page, never redirected;
//! - PKCE S256 is required; codes are single use (a replay also revokes what the code
//!   issued) and short-lived;
//! - refresh tokens: Google never rotates them (and issues one only with
//!   `access_type=offline`); Microsoft returns a new one on every refresh (with
//!   `offline_access`) and by default keeps the old one valid, as documented; Dropbox
//!   issues long-lived ones with `token_access_type=offline` and never rotates;
//! - revocation: Google's `/revoke`, Dropbox's `auth/token/revoke`, Graph's
//!   `revokeSignInSessions` (see `graph.rs`, `dropbox.rs`).

mod pages;
mod token;

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{OriginalUri, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::sandbox::accounts::AccountKey;
use crate::sandbox::util;
use crate::sandbox::{Provider, Sandbox};
use pages::{code_page, consent_page, error_page, login_page};
use token::token;

/// A registered OAuth client (app).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub provider: Provider,
    pub client_id: String,
    /// `None` for a public client (Dropbox PKCE apps need no secret).
    pub client_secret: Option<String>,
    /// Exact redirect URIs; anything else is refused with an error page.
    pub redirect_uris: Vec<String>,
    /// Shown on the consent page.
    #[serde(default = "default_client_name")]
    pub name: String,
}

fn default_client_name() -> String {
    "RecallHub Cloud Sources".to_string()
}

/// What a refresh does to the refresh token that was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshRotation {
    /// The response carries no refresh token; the old one stays valid (Google, Dropbox).
    None,
    /// A new refresh token each time; the old one stays valid (Microsoft, as documented).
    RotateKeepOld,
    /// A new refresh token each time; reusing the old one is `invalid_grant`.
    RotateRevokeOld,
}

/// The pre-registered demo client of a provider (see `SandboxOptions::demo_app_url`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoClient {
    pub provider: Provider,
    pub client_id: &'static str,
    pub client_secret: &'static str,
    /// The app's provider ids whose callback URIs are registered.
    pub app_provider_ids: &'static [&'static str],
}

impl DemoClient {
    /// The registration for an app at `app_url`: one callback per app provider id,
    /// `{app_url}/api/v1/cloud-sources/oauth/{id}/callback`.
    pub fn registration(&self, app_url: &str) -> OAuthClient {
        let app_url = app_url.trim_end_matches('/');
        OAuthClient {
            provider: self.provider,
            client_id: self.client_id.to_string(),
            client_secret: Some(self.client_secret.to_string()),
            redirect_uris: self
                .app_provider_ids
                .iter()
                .map(|id| format!("{app_url}/api/v1/cloud-sources/oauth/{id}/callback"))
                .collect(),
            name: "RecallHub Cloud Sources (demo)".to_string(),
        }
    }
}

pub fn demo_client(provider: Provider) -> DemoClient {
    match provider {
        Provider::Google => DemoClient {
            provider,
            client_id: "sandbox-google-client.apps.googleusercontent.com",
            client_secret: "sandbox-google-secret",
            app_provider_ids: &["google_drive"],
        },
        Provider::Microsoft => DemoClient {
            provider,
            client_id: "00000000-5a4d-4b0c-8e1f-000000000001",
            client_secret: "sandbox-microsoft-secret",
            app_provider_ids: &["onedrive", "sharepoint"],
        },
        Provider::Dropbox => DemoClient {
            provider,
            client_id: "sandboxdropboxapp",
            client_secret: "sandbox-dropbox-secret",
            app_provider_ids: &["dropbox"],
        },
    }
}

/// Tokens minted directly (tests, benchmarks) or by the token endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: u64,
    pub scope: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenStatus {
    Valid,
    Expired,
    Revoked,
}

struct Policy {
    rotation: RefreshRotation,
    access_prefix: &'static str,
    refresh_prefix: &'static str,
    code_prefix: &'static str,
}

fn policy(sandbox: &Sandbox, provider: Provider) -> Policy {
    match provider {
        Provider::Google => Policy {
            rotation: RefreshRotation::None,
            access_prefix: "ya29.sbx-",
            refresh_prefix: "1//0sbx-",
            code_prefix: "4/0sbx-",
        },
        Provider::Microsoft => Policy {
            rotation: sandbox.options().microsoft_refresh_rotation,
            access_prefix: "EwBsbx",
            refresh_prefix: "M.C5sbx-",
            code_prefix: "M.C5code-",
        },
        Provider::Dropbox => Policy {
            rotation: RefreshRotation::None,
            access_prefix: "sl.sbx-",
            refresh_prefix: "",
            code_prefix: "",
        },
    }
}

struct Pending {
    provider: Provider,
    client_id: String,
    /// `None` only in Dropbox's no-redirect flow (the code is shown on a page).
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: String,
    code_challenge: String,
    offline: bool,
    login_hint: String,
    account: Option<AccountKey>,
    expires_at: i64,
}

struct AuthCode {
    provider: Provider,
    client_id: String,
    redirect_uri: Option<String>,
    code_challenge: String,
    account: AccountKey,
    scope: String,
    offline: bool,
    expires_at: i64,
    /// Set on first use; a second use revokes this grant.
    redeemed_grant: Option<u64>,
}

struct AccessToken {
    provider: Provider,
    account: AccountKey,
    grant: u64,
    expires_at: i64,
    revoked: bool,
}

struct RefreshToken {
    provider: Provider,
    client_id: String,
    account: AccountKey,
    scope: String,
    grant: u64,
    revoked: bool,
}

#[derive(Default)]
pub(crate) struct OAuthState {
    clients: HashMap<(Provider, String), OAuthClient>,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    next_grant: u64,
}

const PENDING_LIFETIME_MS: i64 = 30 * 60_000;

impl OAuthState {
    pub fn register(&mut self, client: OAuthClient) {
        self.clients.insert((client.provider, client.client_id.clone()), client);
    }

    pub fn lookup_access(
        &self,
        provider: Provider,
        token: &str,
        now: i64,
    ) -> Option<(AccountKey, TokenStatus)> {
        let entry = self.access.get(token).filter(|t| t.provider == provider)?;
        let status = if entry.revoked {
            TokenStatus::Revoked
        } else if entry.expires_at <= now {
            TokenStatus::Expired
        } else {
            TokenStatus::Valid
        };
        Some((entry.account.clone(), status))
    }

    fn new_grant(&mut self) -> u64 {
        self.next_grant += 1;
        self.next_grant
    }

    fn mint_access(
        &mut self,
        provider: Provider,
        prefix: &str,
        account: &AccountKey,
        grant: u64,
        expires_at: i64,
    ) -> String {
        let token = util::secret_token(prefix, 48);
        self.access.insert(
            token.clone(),
            AccessToken { provider, account: account.clone(), grant, expires_at, revoked: false },
        );
        token
    }

    fn mint_refresh(
        &mut self,
        provider: Provider,
        prefix: &str,
        client_id: &str,
        account: &AccountKey,
        scope: &str,
        grant: u64,
    ) -> String {
        let token = util::secret_token(prefix, 64);
        self.refresh.insert(
            token.clone(),
            RefreshToken {
                provider,
                client_id: client_id.to_string(),
                account: account.clone(),
                scope: scope.to_string(),
                grant,
                revoked: false,
            },
        );
        token
    }

    /// Revokes every access and refresh token of a grant (one consent).
    pub fn revoke_grant(&mut self, grant: u64) {
        self.access.values_mut().filter(|t| t.grant == grant).for_each(|t| t.revoked = true);
        self.refresh.values_mut().filter(|t| t.grant == grant).for_each(|t| t.revoked = true);
    }

    /// Revokes every token of an account; returns how many were live.
    pub fn revoke_account(&mut self, account: &AccountKey) -> usize {
        let mut count = 0;
        for token in self.access.values_mut().filter(|t| &t.account == account && !t.revoked) {
            token.revoked = true;
            count += 1;
        }
        for token in self.refresh.values_mut().filter(|t| &t.account == account && !t.revoked) {
            token.revoked = true;
            count += 1;
        }
        count
    }

    /// Expires every access token of an account now; returns how many were still valid.
    pub fn expire_account(&mut self, account: &AccountKey, now: i64) -> usize {
        let mut count = 0;
        for token in self.access.values_mut().filter(|t| &t.account == account) {
            if token.expires_at > now && !token.revoked {
                count += 1;
            }
            token.expires_at = token.expires_at.min(now);
        }
        count
    }

    /// The grant an access token belongs to.
    pub fn grant_of(&self, access_token: &str) -> Option<u64> {
        self.access.get(access_token).map(|t| t.grant)
    }

    fn prune(&mut self, now: i64) {
        if self.pending.len() > 1_000 {
            self.pending.retain(|_, p| p.expires_at > now);
        }
        if self.codes.len() > 1_000 {
            self.codes.retain(|_, c| c.expires_at > now - PENDING_LIFETIME_MS);
        }
    }
}

/// Mints tokens for an account without the browser flow (tests and benchmarks).
pub(crate) fn issue_direct(
    sandbox: &Sandbox,
    account: &AccountKey,
    client_id: &str,
    offline: bool,
) -> TokenSet {
    let policy = policy(sandbox, account.provider);
    let lifetime = sandbox.options().access_token_lifetime_secs;
    let now = sandbox.now_ms();
    let scope = default_scope(account.provider, offline);
    let mut state = util::lock(&sandbox.inner.oauth);
    let grant = state.new_grant();
    let access_token = state.mint_access(
        account.provider,
        policy.access_prefix,
        account,
        grant,
        now + lifetime as i64 * 1000,
    );
    let refresh_token = offline.then(|| {
        state.mint_refresh(
            account.provider,
            policy.refresh_prefix,
            client_id,
            account,
            &scope,
            grant,
        )
    });
    TokenSet { access_token, refresh_token, expires_in: lifetime, scope }
}

fn default_scope(provider: Provider, offline: bool) -> String {
    match provider {
        Provider::Google => "https://www.googleapis.com/auth/drive.readonly".to_string(),
        Provider::Microsoft if offline => {
            "offline_access Files.Read.All Sites.Read.All User.Read".to_string()
        }
        Provider::Microsoft => "Files.Read.All Sites.Read.All User.Read".to_string(),
        Provider::Dropbox => "account_info.read files.content.read files.metadata.read".to_string(),
    }
}

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/google/o/oauth2/v2/auth", get(google_authorize).post(google_authorize_step))
        // The legacy path google-auth-oauthlib still uses.
        .route("/google/o/oauth2/auth", get(google_authorize).post(google_authorize_step))
        .route("/google/token", post(google_token))
        .route("/google/revoke", post(google_revoke))
        .route(
            "/microsoft/{tenant}/oauth2/v2.0/authorize",
            get(microsoft_authorize).post(microsoft_authorize_step),
        )
        .route("/microsoft/{tenant}/oauth2/v2.0/token", post(microsoft_token))
        .route("/dropbox/oauth2/authorize", get(dropbox_authorize).post(dropbox_authorize_step))
        .route("/dropbox/api/oauth2/token", post(dropbox_token))
}

type Params = HashMap<String, String>;

async fn google_authorize(
    State(sb): State<Sandbox>,
    uri: OriginalUri,
    Query(q): Query<Params>,
) -> Response {
    authorize(&sb, Provider::Google, uri.0.path(), &q)
}
async fn microsoft_authorize(
    State(sb): State<Sandbox>,
    uri: OriginalUri,
    Query(q): Query<Params>,
) -> Response {
    authorize(&sb, Provider::Microsoft, uri.0.path(), &q)
}
async fn dropbox_authorize(
    State(sb): State<Sandbox>,
    uri: OriginalUri,
    Query(q): Query<Params>,
) -> Response {
    authorize(&sb, Provider::Dropbox, uri.0.path(), &q)
}
async fn google_authorize_step(
    State(sb): State<Sandbox>,
    uri: OriginalUri,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    authorize_step(&sb, Provider::Google, uri.0.path(), form)
}
async fn microsoft_authorize_step(
    State(sb): State<Sandbox>,
    uri: OriginalUri,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    authorize_step(&sb, Provider::Microsoft, uri.0.path(), form)
}
async fn dropbox_authorize_step(
    State(sb): State<Sandbox>,
    uri: OriginalUri,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    authorize_step(&sb, Provider::Dropbox, uri.0.path(), form)
}
async fn google_token(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    token(&sb, Provider::Google, &headers, form)
}
async fn microsoft_token(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    token(&sb, Provider::Microsoft, &headers, form)
}
async fn dropbox_token(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    token(&sb, Provider::Dropbox, &headers, form)
}

/// GET authorize: validate the client and redirect URI, then show the sign-in page.
fn authorize(sb: &Sandbox, provider: Provider, action: &str, q: &Params) -> Response {
    let client_id = q.get("client_id").map(String::as_str).unwrap_or("");
    let client =
        util::lock(&sb.inner.oauth).clients.get(&(provider, client_id.to_string())).cloned();
    let Some(client) = client else {
        return error_page(
            provider,
            StatusCode::UNAUTHORIZED,
            unknown_client_message(provider, client_id),
        );
    };
    let redirect_uri = q.get("redirect_uri").filter(|r| !r.is_empty()).cloned();
    match &redirect_uri {
        Some(uri) if !client.redirect_uris.contains(uri) => {
            return error_page(
                provider,
                StatusCode::BAD_REQUEST,
                redirect_mismatch_message(provider, uri),
            );
        }
        None if provider != Provider::Dropbox => {
            return error_page(
                provider,
                StatusCode::BAD_REQUEST,
                "invalid_request: Missing required parameter: redirect_uri".to_string(),
            );
        }
        _ => {}
    }
    let state = q.get("state").cloned();
    // From here on the redirect URI is trusted: errors go back to the client (RFC 6749 4.1.2.1).
    let fail = |error: &str, description: &str| {
        finish_with_error(provider, redirect_uri.as_deref(), state.as_deref(), error, description)
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    let Some(challenge) = q.get("code_challenge").filter(|c| !c.is_empty()) else {
        return fail(
            "invalid_request",
            "code_challenge is required: the sandbox enforces PKCE (S256)",
        );
    };
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if provider == Provider::Microsoft && q.get("response_mode").is_some_and(|m| m != "query") {
        return fail("invalid_request", "the sandbox supports response_mode=query only");
    }
    let scope = q.get("scope").cloned().unwrap_or_default();
    if scope.trim().is_empty() && provider != Provider::Dropbox {
        return fail("invalid_request", "Missing required parameter: scope");
    }
    let offline = match provider {
        Provider::Google => q.get("access_type").is_some_and(|a| a == "offline"),
        Provider::Microsoft => scope.split_whitespace().any(|s| s == "offline_access"),
        Provider::Dropbox => q.get("token_access_type").is_some_and(|a| a == "offline"),
    };
    let now = sb.now_ms();
    let request_id = util::secret_token("", 32);
    let login_hint = q.get("login_hint").cloned().unwrap_or_default();
    {
        let mut oauth = util::lock(&sb.inner.oauth);
        oauth.prune(now);
        oauth.pending.insert(
            request_id.clone(),
            Pending {
                provider,
                client_id: client.client_id.clone(),
                redirect_uri,
                state,
                scope,
                code_challenge: challenge.clone(),
                offline,
                login_hint: login_hint.clone(),
                account: None,
                expires_at: now + PENDING_LIFETIME_MS,
            },
        );
    }
    login_page(provider, action, &request_id, &client.name, &login_hint, None)
}

/// POST authorize: the sign-in form (`step=login`) or the consent form (`step=consent`).
fn authorize_step(
    sb: &Sandbox,
    provider: Provider,
    action: &str,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error_page(
            provider,
            StatusCode::BAD_REQUEST,
            "The form could not be read.".to_string(),
        );
    };
    let request_id = form.get("request_id").cloned().unwrap_or_default();
    let now = sb.now_ms();
    let pending = {
        let oauth = util::lock(&sb.inner.oauth);
        oauth.pending.get(&request_id).filter(|p| p.provider == provider && p.expires_at > now).map(
            |p| (p.client_id.clone(), p.account.clone(), p.scope.clone(), p.login_hint.clone()),
        )
    };
    let Some((client_id, account, scope, login_hint)) = pending else {
        return error_page(
            provider,
            StatusCode::BAD_REQUEST,
            "This sign-in request has expired or is unknown. Start again from the app.".to_string(),
        );
    };
    let client_name = util::lock(&sb.inner.oauth)
        .clients
        .get(&(provider, client_id))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    match form.get("step").map(String::as_str) {
        Some("login") => {
            let username = form.get("username").map(String::as_str).unwrap_or("");
            let handle = match sb.account_handle(provider, username) {
                Ok(handle) => handle,
                Err(error) => {
                    return login_page(
                        provider,
                        action,
                        &request_id,
                        &client_name,
                        &login_hint,
                        Some(&error.to_string()),
                    );
                }
            };
            let profile = handle.data().profile.clone();
            if let Some(p) = util::lock(&sb.inner.oauth).pending.get_mut(&request_id) {
                p.account = Some(handle.key.clone());
            }
            consent_page(
                provider,
                action,
                &request_id,
                &client_name,
                &profile.display_name,
                &profile.email,
                &scope,
            )
        }
        Some("consent") => {
            let Some(account) = account else {
                return login_page(
                    provider,
                    action,
                    &request_id,
                    &client_name,
                    &login_hint,
                    Some("Sign in first."),
                );
            };
            let Some(pending) = util::lock(&sb.inner.oauth).pending.remove(&request_id) else {
                return error_page(
                    provider,
                    StatusCode::BAD_REQUEST,
                    "This sign-in request was already used.".into(),
                );
            };
            let redirect = pending.redirect_uri.clone();
            let state = pending.state.clone();
            if form.get("decision").map(String::as_str) != Some("allow") {
                let description = "The user denied the request";
                return finish_with_error(
                    provider,
                    redirect.as_deref(),
                    state.as_deref(),
                    "access_denied",
                    description,
                );
            }
            let code = issue_code(sb, provider, pending, account);
            match redirect {
                Some(uri) => {
                    let mut pairs = vec![("code", code.as_str())];
                    if let Some(state) = &state {
                        pairs.push(("state", state));
                    }
                    if provider == Provider::Google {
                        pairs.push(("scope", scope.as_str()));
                    }
                    redirect_with(provider, &uri, &pairs)
                }
                None => code_page(provider, &client_name, &code),
            }
        }
        _ => error_page(provider, StatusCode::BAD_REQUEST, "Unknown step.".to_string()),
    }
}

fn issue_code(sb: &Sandbox, provider: Provider, pending: Pending, account: AccountKey) -> String {
    let policy = policy(sb, provider);
    let code = util::secret_token(policy.code_prefix, 43);
    let expires_at = sb.now_ms() + sb.options().authorization_code_lifetime_secs as i64 * 1000;
    util::lock(&sb.inner.oauth).codes.insert(
        code.clone(),
        AuthCode {
            provider,
            client_id: pending.client_id,
            redirect_uri: pending.redirect_uri,
            code_challenge: pending.code_challenge,
            account,
            scope: pending.scope,
            offline: pending.offline,
            expires_at,
            redeemed_grant: None,
        },
    );
    code
}

fn redirect_with(provider: Provider, redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            // The providers answer 302 Found (axum's `Redirect::to` would be 303).
            (StatusCode::FOUND, [(http::header::LOCATION, util::header_value(url.as_str()))])
                .into_response()
        }
        Err(_) => error_page(
            provider,
            StatusCode::BAD_REQUEST,
            "The registered redirect URI is not a URL.".into(),
        ),
    }
}

fn finish_with_error(
    provider: Provider,
    redirect_uri: Option<&str>,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    match redirect_uri {
        Some(uri) => {
            let mut pairs = vec![("error", error)];
            // Google sends only the error code; Microsoft and Dropbox add a description.
            if provider != Provider::Google {
                pairs.push(("error_description", description));
            }
            if let Some(state) = state {
                pairs.push(("state", state));
            }
            redirect_with(provider, uri, &pairs)
        }
        None => error_page(provider, StatusCode::BAD_REQUEST, format!("{error}: {description}")),
    }
}

fn unknown_client_message(provider: Provider, client_id: &str) -> String {
    match provider {
        Provider::Google => {
            "Error 401: invalid_client. The OAuth client was not found.".to_string()
        }
        Provider::Microsoft => format!(
            "AADSTS700016: Application with identifier '{client_id}' was not found in the directory."
        ),
        Provider::Dropbox => "Invalid client_id. This app does not exist.".to_string(),
    }
}

fn redirect_mismatch_message(provider: Provider, uri: &str) -> String {
    match provider {
        Provider::Google => format!(
            "Error 400: redirect_uri_mismatch. The redirect URI {uri} is not registered for this client."
        ),
        Provider::Microsoft => format!(
            "AADSTS50011: The redirect URI '{uri}' specified in the request does not match the redirect URIs configured for the application."
        ),
        Provider::Dropbox => format!(
            "Invalid redirect_uri. It must exactly match one of the redirect URIs registered for the app: {uri}"
        ),
    }
}

/// Google's revocation endpoint: an access or refresh token; either revokes the whole grant.
async fn google_revoke(
    State(sb): State<Sandbox>,
    Query(query): Query<Params>,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    let token = form
        .ok()
        .and_then(|Form(f)| f.get("token").cloned())
        .or_else(|| query.get("token").cloned());
    let mut oauth = util::lock(&sb.inner.oauth);
    let grant = token.as_deref().and_then(|t| {
        oauth
            .access
            .get(t)
            .filter(|a| a.provider == Provider::Google && !a.revoked)
            .map(|a| a.grant)
            .or_else(|| {
                oauth
                    .refresh
                    .get(t)
                    .filter(|r| r.provider == Provider::Google && !r.revoked)
                    .map(|r| r.grant)
            })
    });
    match grant {
        Some(grant) => {
            oauth.revoke_grant(grant);
            axum::Json(json!({})).into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": "invalid_token", "error_description": "Token expired or revoked"}),
            ),
        )
            .into_response(),
    }
}
