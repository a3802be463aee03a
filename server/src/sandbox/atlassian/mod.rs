//! Confluence Cloud and Jira Cloud, as one Atlassian site per sandbox account.
//!
//! URL layout (under the sandbox mount, e.g. `/sandbox`):
//! - `/atlassian/authorize`, `/atlassian/oauth/token`: the OAuth 2.0 (3LO) authorization
//!   server (the shared one in [`super::oauth`]), with `audience=api.atlassian.com` required
//!   and rotating refresh tokens with reuse detection;
//! - `/atlassian/oauth/token/accessible-resources`: the sites an access token reaches
//!   (`api.atlassian.com` equivalent; `/atlassian` is the OAuth `api_base`);
//! - `/atlassian/ex/confluence/{cloudId}/wiki/rest/api/…` and
//!   `/atlassian/ex/jira/{cloudId}/rest/api/{2|3}/…`: the APIs for OAuth bearer tokens;
//! - `/atlassian/sites/{site}/wiki/rest/api/…` and `/atlassian/sites/{site}/rest/api/{2|3}/…`:
//!   the same APIs on a per-site base for API tokens (HTTP Basic `e-mail:token`, as Cloud does)
//!   or personal access tokens (`Bearer`, as Server / Data Center does). `{site}` is the
//!   account's username;
//! - `/_control/atlassian/{username}/…`: the control API ([`control`]).
//!
//! A site switched to Data Center ([`site::SiteSettings::data_center`]) behaves as Server /
//! Data Center does: personal access tokens only, Jira REST v2 only, Confluence search paged
//! with `start`.
//!
//! Every answer carries a `Date` header from the sandbox clock (clients anchor their change
//! windows on it). Request counters, faults (latency, 429 with `Retry-After`, 5xx bursts,
//! hangs, failing downloads) and token expiry are the shared ones ([`super::faults`]).

mod confluence;
pub mod control;
mod jira;
pub(crate) mod query;
pub mod site;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use super::accounts::{AccountHandle, AccountKey};
use super::faults::{self, Denial};
use super::util::{self, BaseUrl, Refusal};
use super::{Provider, Sandbox};

pub use control::{AtlassianAccount, IssueInfo, PageInfo};
pub use site::{ContentType, SiteSettings};

/// Which product answers a request (each has its own error envelope).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Product {
    Confluence,
    Jira,
}

impl Product {
    fn as_str(self) -> &'static str {
        match self {
            Product::Confluence => "confluence",
            Product::Jira => "jira",
        }
    }

    /// The product's error body.
    pub(crate) fn error(self, status: StatusCode, message: &str) -> Response {
        let body = match self {
            Product::Confluence => json!({
                "statusCode": status.as_u16(),
                "data": {"authorized": status != StatusCode::UNAUTHORIZED, "valid": true, "errors": [], "successful": false},
                "message": message,
            }),
            Product::Jira => json!({"errorMessages": [message], "errors": {}}),
        };
        (status, axum::Json(body)).into_response()
    }
}

/// How a request reached the site.
pub(crate) struct Access {
    pub account: Arc<AccountHandle>,
    /// The absolute API root of this request: `{base}/atlassian/ex/{product}/{cloudId}` or
    /// `{base}/atlassian/sites/{site}` (for `self` links and redirects).
    pub root: String,
    /// What links to the site's UI start with: `https://{site}.atlassian.net` through OAuth,
    /// the per-site root for API tokens.
    pub site_url: String,
}

/// Authenticates a request (OAuth bearer on `/ex/…`, Basic or PAT on `/sites/…`), counts it
/// under `endpoint` and applies the account's faults.
pub(crate) async fn gate(
    sb: &Sandbox,
    product: Product,
    endpoint: &'static str,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    base: &BaseUrl,
) -> Result<Access, Refusal> {
    if let Some(cloud) = params.get("cloud") {
        let account = faults::admit(sb, Provider::Atlassian, endpoint, headers)
            .await
            .map_err(|d| denial(product, d, true))?;
        let (cloud_id, site_url) = match account.site() {
            Some(site) => (site.cloud_id.clone(), site.url()),
            None => return Err(gateway(StatusCode::NOT_FOUND, "Not Found")),
        };
        if &cloud_id != cloud {
            return Err(gateway(StatusCode::NOT_FOUND, "Not Found"));
        }
        let token = util::bearer(headers).unwrap_or_default();
        let scoped = util::lock(&sb.inner.oauth)
            .access_scope(token)
            .is_some_and(|s| s.split_whitespace().any(|s| s.contains(product.as_str())));
        if !scoped {
            return Err(gateway(StatusCode::UNAUTHORIZED, "Unauthorized; scope does not match"));
        }
        return Ok(Access {
            account,
            root: format!("{}/atlassian/ex/{}/{cloud}", base.0, product.as_str()),
            site_url,
        });
    }
    let site = params.get("site").map(String::as_str).unwrap_or_default();
    let key = AccountKey::new(Provider::Atlassian, site)
        .map_err(|_| Refusal::from(product.error(StatusCode::NOT_FOUND, "Site not found")))?;
    let Some(account) = sb.existing_account(&key) else {
        return Err(product.error(StatusCode::NOT_FOUND, "Site not found").into());
    };
    account.counters().record(endpoint);
    let authorized = {
        let Some(site) = account.site() else {
            return Err(product.error(StatusCode::NOT_FOUND, "Site not found").into());
        };
        match credentials(headers) {
            Some(Credential::Basic(email, token)) => {
                !site.settings.data_center
                    && email.eq_ignore_ascii_case(&site.email)
                    && site.api_tokens.contains(&token)
            }
            Some(Credential::Bearer(token)) => site.api_tokens.contains(&token),
            None => false,
        }
    };
    if !authorized {
        account.counters().unauthorized += 1;
        let mut refusal = product.error(
            StatusCode::UNAUTHORIZED,
            "Client must be authenticated to access this resource.",
        );
        refusal.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"protected\""),
        );
        return Err(refusal.into());
    }
    faults::apply_faults(&account).await.map_err(|d| denial(product, d, false))?;
    let root = format!("{}/atlassian/sites/{site}", base.0);
    Ok(Access { account, root: root.clone(), site_url: root })
}

enum Credential {
    Basic(String, String),
    Bearer(String),
}

fn credentials(headers: &HeaderMap) -> Option<Credential> {
    if let Some(token) = util::bearer(headers) {
        return Some(Credential::Bearer(token.to_string()));
    }
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (email, token) = decoded.split_once(':')?;
    Some(Credential::Basic(email.to_string(), token.to_string()))
}

/// The `api.atlassian.com` gateway's own error body.
fn gateway(status: StatusCode, message: &str) -> Refusal {
    (status, axum::Json(json!({"code": status.as_u16(), "message": message})))
        .into_response()
        .into()
}

fn denial(product: Product, denial: Denial, via_gateway: bool) -> Refusal {
    match denial {
        Denial::MissingToken | Denial::InvalidToken | Denial::ExpiredToken if via_gateway => {
            gateway(StatusCode::UNAUTHORIZED, "Unauthorized")
        }
        Denial::MissingToken | Denial::InvalidToken | Denial::ExpiredToken => {
            product.error(StatusCode::UNAUTHORIZED, "Unauthorized").into()
        }
        Denial::Throttled { retry_after, .. } => {
            Refusal::from(product.error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded."))
                .with_header(http::header::RETRY_AFTER, HeaderValue::from(retry_after))
        }
        Denial::ServerError { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            product.error(status, "The service is temporarily unavailable.").into()
        }
    }
}

/// Stamps the sandbox clock on an answer (`Date`, second precision, as HTTP has it).
pub(crate) fn finish(sb: &Sandbox, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    let now = chrono::DateTime::from_timestamp_millis(sb.now_ms()).unwrap_or_default();
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    response.headers_mut().insert(http::header::DATE, util::header_value(&date));
    response
}

pub(crate) fn routes() -> Router<Sandbox> {
    let router = Router::new()
        .route("/atlassian/oauth/token/accessible-resources", get(accessible_resources));
    let router = confluence::routes(router);
    let router = jira::routes(router);
    control::routes(router)
}

/// `GET /oauth/token/accessible-resources`: the sites the token's grant reaches.
async fn accessible_resources(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let account =
        match faults::admit(&sb, Provider::Atlassian, "accessible-resources", &headers).await {
            Ok(account) => account,
            Err(d) => return finish(&sb, denial(Product::Jira, d, true)),
        };
    let token = util::bearer(&headers).unwrap_or_default();
    let scope = util::lock(&sb.inner.oauth).access_scope(token).unwrap_or_default().to_string();
    let scopes: Vec<&str> = scope.split_whitespace().filter(|s| *s != "offline_access").collect();
    let body: Value = match account.site() {
        Some(site) => json!([{
            "id": site.cloud_id,
            "name": site.name,
            "url": site.url(),
            "scopes": scopes,
            "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
        }]),
        None => json!([]),
    };
    finish(&sb, axum::Json(body))
}
