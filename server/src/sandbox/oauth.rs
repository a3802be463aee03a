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

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{OriginalUri, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::accounts::AccountKey;
use super::util::{self, html_escape};
use super::{Provider, Sandbox};

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

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:48px 16px}\
main{max-width:420px;margin:auto;background:#fff;border-radius:12px;padding:32px;box-shadow:0 1px 4px #0002}\
.brand{font-weight:600;margin:0 0 8px}.badge{font-size:12px;background:#fde68a;border-radius:6px;padding:2px 6px;margin-left:6px}\
label{display:block;font-weight:500;margin:16px 0 4px}input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #bbb;border-radius:6px;font-size:16px}\
.hint{color:#555;font-size:13px}.error{color:#b91c1c}.actions{display:flex;gap:12px;justify-content:flex-end;margin-top:24px}\
button{padding:10px 20px;border-radius:6px;border:0;background:#1d4ed8;color:#fff;font-size:15px;cursor:pointer}\
button.secondary{background:#e5e7eb;color:#111}code{font-size:18px;background:#eef;padding:6px 10px;border-radius:6px}";

fn page(provider: Provider, status: StatusCode, title: &str, body: &str) -> Response {
    let brand = provider.brand();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} – {brand} (sandbox)</title><style>{PAGE_STYLE}</style></head>\
         <body><main data-provider=\"{p}\"><p class=\"brand\">{brand}<span class=\"badge\">Sandbox</span></p>{body}</main></body></html>",
        title = html_escape(title),
        p = provider.as_str(),
    );
    (status, Html(html)).into_response()
}

fn error_page(provider: Provider, status: StatusCode, message: String) -> Response {
    let body = format!(
        "<h1>Sign-in error</h1><p class=\"error\" role=\"alert\">{}</p>",
        html_escape(&message)
    );
    page(provider, status, "Error", &body)
}

fn login_page(
    provider: Provider,
    action: &str,
    request_id: &str,
    client: &str,
    hint: &str,
    error: Option<&str>,
) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", html_escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in</h1><p>to continue to <strong>{client}</strong></p>{error}\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\
         <input type=\"hidden\" name=\"step\" value=\"login\">\
         <label for=\"username\">Username</label>\
         <input id=\"username\" name=\"username\" value=\"{hint}\" autocomplete=\"username\" required autofocus>\
         <p class=\"hint\">Any username works: each one is a separate sandbox account with its own files.</p>\
         <div class=\"actions\"><button type=\"submit\">Sign in</button></div></form>",
        client = html_escape(client),
        action = html_escape(action),
        hint = html_escape(hint),
    );
    page(provider, StatusCode::OK, "Sign in", &body)
}

fn consent_page(
    provider: Provider,
    action: &str,
    request_id: &str,
    client: &str,
    name: &str,
    email: &str,
    scope: &str,
) -> Response {
    let scopes = scope
        .split_whitespace()
        .map(|s| format!("<li>{}</li>", html_escape(s)))
        .collect::<String>();
    let body = format!(
        "<h1>{client} wants to access your {brand} account</h1>\
         <p>Signed in as <strong>{name}</strong> ({email})</p>\
         <p>This will allow {client} to:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\
         <input type=\"hidden\" name=\"step\" value=\"consent\">\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button></div></form>",
        client = html_escape(client),
        brand = provider.brand(),
        name = html_escape(name),
        email = html_escape(email),
        action = html_escape(action),
    );
    page(provider, StatusCode::OK, "Consent", &body)
}

/// Dropbox's no-redirect flow shows the code for the user to paste into the app.
fn code_page(provider: Provider, client: &str, code: &str) -> Response {
    let body = format!(
        "<h1>Access code generated</h1><p>Enter this code into {}:</p><p><code id=\"code\">{}</code></p>",
        html_escape(client),
        html_escape(code)
    );
    page(provider, StatusCode::OK, "Access code", &body)
}

/// The token endpoint's failure modes, rendered in each provider's style.
#[derive(Clone, Copy, Debug)]
enum TokenFailure {
    InvalidRequest(&'static str),
    InvalidClient,
    UnknownCode,
    ExpiredCode,
    ReusedCode,
    RedirectMismatch,
    BadVerifier,
    BadRefreshToken,
    UnsupportedGrant,
}

fn token_error(provider: Provider, failure: TokenFailure) -> Response {
    use TokenFailure::*;
    let (error, status) = match failure {
        InvalidRequest(_) => ("invalid_request", StatusCode::BAD_REQUEST),
        InvalidClient if provider == Provider::Dropbox => {
            ("invalid_client", StatusCode::BAD_REQUEST)
        }
        InvalidClient => ("invalid_client", StatusCode::UNAUTHORIZED),
        RedirectMismatch if provider == Provider::Google => {
            ("redirect_uri_mismatch", StatusCode::BAD_REQUEST)
        }
        UnsupportedGrant => ("unsupported_grant_type", StatusCode::BAD_REQUEST),
        _ => ("invalid_grant", StatusCode::BAD_REQUEST),
    };
    let body = match provider {
        Provider::Google => {
            let description = match failure {
                InvalidRequest(message) => message,
                InvalidClient => "Unauthorized",
                ExpiredCode | UnknownCode | ReusedCode => "Bad Request",
                BadVerifier => "Invalid code verifier.",
                BadRefreshToken => "Token has been expired or revoked.",
                RedirectMismatch => "Bad Request",
                UnsupportedGrant => "Invalid grant_type: ",
            };
            json!({"error": error, "error_description": description})
        }
        Provider::Microsoft => {
            let (code, message) = match failure {
                InvalidRequest(message) => (900144, message),
                InvalidClient => (
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                ),
                UnknownCode => (9002313, "Invalid request. Request is malformed or invalid."),
                ExpiredCode => (
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                ),
                ReusedCode => (
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                ),
                RedirectMismatch => (
                    500112,
                    "The reply address does not match the reply address provided when requesting Authorization code.",
                ),
                BadVerifier => (
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                ),
                BadRefreshToken => (
                    700082,
                    "The refresh token has expired or been revoked. The token was issued on a previous sign-in or was revoked by revokeSignInSessions.",
                ),
                UnsupportedGrant => (70003, "The app requested an unsupported grant type."),
            };
            microsoft_error_body(error, code, message)
        }
        Provider::Dropbox => {
            let description = match failure {
                InvalidRequest(message) => message,
                InvalidClient => "Invalid client_id or client_secret",
                UnknownCode | ExpiredCode | ReusedCode => "code doesn't exist or has expired",
                RedirectMismatch => "redirect_uri mismatch",
                BadVerifier => "invalid code verifier",
                BadRefreshToken => "refresh token is invalid or revoked",
                UnsupportedGrant => "unsupported grant_type",
            };
            json!({"error": error, "error_description": description})
        }
    };
    (status, axum::Json(body)).into_response()
}

fn microsoft_error_body(error: &str, code: u32, message: &str) -> Value {
    let mut rng = rand::rng();
    let trace = util::guid(&mut rng).to_lowercase();
    let correlation = util::guid(&mut rng).to_lowercase();
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
    })
}

/// Client credentials from HTTP Basic or from the form (RFC 6749 2.3.1).
fn client_credentials(headers: &HeaderMap, form: &Params) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some((decode(id), decode(secret)))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (form.get("client_id").cloned(), form.get("client_secret").cloned()),
    }
}

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let valid = (43..=128).contains(&verifier.len())
        && verifier.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    valid && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

fn token(
    sb: &Sandbox,
    provider: Provider,
    headers: &HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("the body must be application/x-www-form-urlencoded"),
        );
    };
    let (client_id, secret) = client_credentials(headers, &form);
    let Some(client_id) = client_id else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: client_id"),
        );
    };
    let client = util::lock(&sb.inner.oauth).clients.get(&(provider, client_id.clone())).cloned();
    let Some(client) = client else {
        return token_error(provider, TokenFailure::InvalidClient);
    };
    match (&client.client_secret, &secret) {
        (Some(expected), Some(given)) if expected != given => {
            return token_error(provider, TokenFailure::InvalidClient);
        }
        // Dropbox PKCE apps may leave the secret out; Google and Microsoft web apps may not.
        (Some(_), None) if provider != Provider::Dropbox => {
            return token_error(provider, TokenFailure::InvalidClient);
        }
        _ => {}
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => exchange_code(sb, provider, &client, &form),
        Some("refresh_token") => refresh(sb, provider, &client, &form),
        Some(_) => token_error(provider, TokenFailure::UnsupportedGrant),
        None => token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: grant_type"),
        ),
    }
}

fn exchange_code(
    sb: &Sandbox,
    provider: Provider,
    client: &OAuthClient,
    form: &Params,
) -> Response {
    let Some(code) = form.get("code") else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: code"),
        );
    };
    let now = sb.now_ms();
    let policy = policy(sb, provider);
    let lifetime = sb.options().access_token_lifetime_secs;
    let mut oauth = util::lock(&sb.inner.oauth);
    let Some(entry) = oauth.codes.get(code).filter(|c| c.provider == provider) else {
        return token_error(provider, TokenFailure::UnknownCode);
    };
    if let Some(grant) = entry.redeemed_grant {
        // RFC 6749 4.1.2: a replayed code revokes the tokens it issued.
        oauth.revoke_grant(grant);
        return token_error(provider, TokenFailure::ReusedCode);
    }
    if entry.expires_at <= now {
        return token_error(provider, TokenFailure::ExpiredCode);
    }
    if entry.client_id != client.client_id {
        return token_error(provider, TokenFailure::UnknownCode);
    }
    if form.get("redirect_uri") != entry.redirect_uri.as_ref() {
        return token_error(provider, TokenFailure::RedirectMismatch);
    }
    let Some(verifier) = form.get("code_verifier") else {
        return token_error(provider, TokenFailure::BadVerifier);
    };
    if !pkce_matches(verifier, &entry.code_challenge) {
        return token_error(provider, TokenFailure::BadVerifier);
    }
    let (account, scope, offline) = (entry.account.clone(), entry.scope.clone(), entry.offline);
    let grant = oauth.new_grant();
    if let Some(entry) = oauth.codes.get_mut(code) {
        entry.redeemed_grant = Some(grant);
    }
    let access = oauth.mint_access(
        provider,
        policy.access_prefix,
        &account,
        grant,
        now + lifetime as i64 * 1000,
    );
    let refresh = offline.then(|| {
        oauth.mint_refresh(
            provider,
            policy.refresh_prefix,
            &client.client_id,
            &account,
            &scope,
            grant,
        )
    });
    drop(oauth);
    count_grant(sb, &account);
    // Dropbox also names the account (`account_id`) and its numeric user id (`uid`).
    let (account_id, uid) = sb
        .existing_account(&account)
        .map(|a| {
            let data = a.data();
            (
                data.profile.user_id.clone(),
                data.drives.first().map(|d| d.id.clone()).unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let body = match provider {
        Provider::Google => json!({
            "access_token": access,
            "expires_in": lifetime,
            "refresh_token": refresh,
            "scope": scope,
            "token_type": "Bearer",
        }),
        Provider::Microsoft => json!({
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
            "refresh_token": refresh,
        }),
        Provider::Dropbox => json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": lifetime,
            "refresh_token": refresh,
            "scope": if scope.is_empty() { default_scope(provider, offline) } else { scope },
            "uid": uid,
            "account_id": account_id,
        }),
    };
    token_response(body)
}

fn refresh(sb: &Sandbox, provider: Provider, client: &OAuthClient, form: &Params) -> Response {
    let Some(old) = form.get("refresh_token") else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: refresh_token"),
        );
    };
    let now = sb.now_ms();
    let policy = policy(sb, provider);
    let lifetime = sb.options().access_token_lifetime_secs;
    let mut oauth = util::lock(&sb.inner.oauth);
    let Some(entry) = oauth
        .refresh
        .get(old)
        .filter(|t| t.provider == provider && t.client_id == client.client_id && !t.revoked)
    else {
        return token_error(provider, TokenFailure::BadRefreshToken);
    };
    let (account, scope, grant) = (entry.account.clone(), entry.scope.clone(), entry.grant);
    let access = oauth.mint_access(
        provider,
        policy.access_prefix,
        &account,
        grant,
        now + lifetime as i64 * 1000,
    );
    let rotated = match policy.rotation {
        RefreshRotation::None => None,
        RefreshRotation::RotateKeepOld | RefreshRotation::RotateRevokeOld => {
            if policy.rotation == RefreshRotation::RotateRevokeOld
                && let Some(entry) = oauth.refresh.get_mut(old)
            {
                entry.revoked = true;
            }
            Some(oauth.mint_refresh(
                provider,
                policy.refresh_prefix,
                &client.client_id,
                &account,
                &scope,
                grant,
            ))
        }
    };
    drop(oauth);
    count_grant(sb, &account);
    let body = match provider {
        Provider::Google => json!({
            "access_token": access,
            "expires_in": lifetime,
            "scope": scope,
            "token_type": "Bearer",
        }),
        Provider::Microsoft => json!({
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
            "refresh_token": rotated,
        }),
        Provider::Dropbox => json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": lifetime,
        }),
    };
    token_response(body)
}

/// Token grants count as provider requests of the account (benchmarks count refreshes).
fn count_grant(sb: &Sandbox, account: &AccountKey) {
    if let Some(handle) = sb.existing_account(account) {
        handle.counters().record("oauth.token");
    }
}

fn token_response(mut body: Value) -> Response {
    if let Some(map) = body.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
        assert!(!pkce_matches("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
}
