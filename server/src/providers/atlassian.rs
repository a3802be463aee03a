//! What the Confluence and Jira providers share:
//!
//! - **Credentials**: `{site_url, email, api_token}`. Cloud: e-mail + API token over HTTP
//!   Basic; Server / Data Center: a personal access token as `Bearer` (e-mail left empty).
//!   `site_url` must be `https`, except for hosts the operator admitted in
//!   `security.allow_hosts` (internal Data Center servers, the sandbox).
//! - **Reaching the site** ([`AtlassianClient`]): API tokens go to the site itself through the
//!   SSRF guard; OAuth (3LO) goes through `api.atlassian.com/ex/{product}/{cloudId}`, the cloud
//!   id found once with `GET /oauth/token/accessible-resources` and cached.
//! - **Change windows**: the server's `Date` anchors every window (so our clock's skew does not
//!   matter); a window starts [`OVERLAP`] before the previous one ended, floored to the minute
//!   (CQL dates have minute precision), because search indexes lag behind edits. Each
//!   provider's cursor keeps every known id with its version, so what the overlap shows again
//!   is not reported twice, and an ID sweep finds deletions and what the window missed.
//! - **Cursors**: JSON, deflated, base64url, with a prefix naming the provider and format.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use app::model::{ProviderId, SecretText};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use url::Url;

use super::http::{Classifier, HttpClient, RequestAuth, read_body};
use super::net::HostGuard;
use super::{
    AccessTokens, Credentials, ErrorKind, ProviderAuth, ProviderContext, ProviderError,
    ProviderResult,
};

/// How far back a change window reaches before the previous window's end.
pub const OVERLAP: Duration = Duration::from_secs(5 * 60);

/// Cloud (Basic e-mail:token or OAuth) or Server / Data Center (personal access token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    Cloud,
    DataCenter,
}

/// Checks `{site_url, email, api_token}`; messages name the bad field.
pub fn parse_api_token(
    credentials: &serde_json::Value,
    guard: &HostGuard,
) -> Result<Credentials, String> {
    let c: app::model::ApiTokenCredentials =
        serde_json::from_value(credentials.clone()).map_err(|e| format!("credentials: {e}"))?;
    let url = parse_site_url(&c.site_url, guard)?;
    let email = c.email.trim();
    if !email.is_empty()
        && (!email.contains('@')
            || email.starts_with('@')
            || email.ends_with('@')
            || email.contains(char::is_whitespace))
    {
        return Err("email must be an e-mail address (leave it empty for a Data Center personal access token)".into());
    }
    if c.api_token.expose().trim().is_empty() {
        return Err("api_token is required".into());
    }
    Ok(Credentials::ApiToken {
        site_url: url.as_str().trim_end_matches('/').to_string(),
        email: email.to_string(),
        api_token: SecretText::new(c.api_token.expose().trim().to_string()),
    })
}

/// An `https` site URL without credentials, query or fragment; `http` only for a host the
/// operator allowed explicitly.
pub fn parse_site_url(site_url: &str, guard: &HostGuard) -> Result<Url, String> {
    const MESSAGE: &str = "site_url must be an https URL, e.g. https://your-domain.atlassian.net";
    let mut url = Url::parse(site_url.trim()).map_err(|_| MESSAGE.to_string())?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(MESSAGE.into());
    }
    // Literal internal addresses are refused first, so that the message says
    // why; names are vetted when they resolve.
    guard.check_url(&url).map_err(|e| format!("site_url: {}", e.message()))?;
    match url.scheme() {
        "https" => {}
        "http" if guard.admits(&url) => {}
        _ => return Err(MESSAGE.into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("site_url must not contain a user name or password".into());
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// A personal access token that cannot be refreshed.
struct StaticToken(SecretText);

#[async_trait]
impl AccessTokens for StaticToken {
    async fn access_token(&self) -> ProviderResult<SecretText> {
        Ok(self.0.clone())
    }

    async fn refresh_rejected(&self, _rejected: &SecretText) -> ProviderResult<SecretText> {
        Err(ProviderError::new(
            ErrorKind::AuthExpired,
            "the server rejected the personal access token (HTTP 401)",
        ))
    }
}

/// The product an [`AtlassianClient`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Confluence,
    Jira,
}

impl Product {
    fn path(self) -> &'static str {
        match self {
            Product::Confluence => "confluence",
            Product::Jira => "jira",
        }
    }

    fn provider(self) -> ProviderId {
        match self {
            Product::Confluence => ProviderId::Confluence,
            Product::Jira => ProviderId::Jira,
        }
    }
}

/// Where a connection's API and web pages are, once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSite {
    /// What the product's documented paths are appended to: Confluence
    /// `https://x.atlassian.net/wiki` or `{api}/ex/confluence/{cloudId}/wiki`; Jira
    /// `https://x.atlassian.net` or `{api}/ex/jira/{cloudId}`.
    pub api_root: String,
    /// Where web links start: `https://x.atlassian.net/wiki` (Confluence), `https://x.atlassian.net`.
    pub web_root: String,
    /// The site's host, for account labels.
    pub host: String,
}

enum Route {
    Direct(ResolvedSite),
    OAuth { api_base: String, preferred: Option<String> },
}

/// The HTTP client of one Confluence or Jira connection and the way to its site.
pub struct AtlassianClient {
    pub http: HttpClient,
    pub deployment: Deployment,
    product: Product,
    route: Route,
    resolved: OnceCell<ResolvedSite>,
}

/// One entry of `accessible-resources`.
#[derive(Debug, Deserialize)]
struct AccessibleResource {
    id: String,
    #[serde(default)]
    name: String,
    url: String,
    #[serde(default)]
    scopes: Vec<String>,
}

impl AtlassianClient {
    /// Builds the client for a connection: API token (Basic or PAT, guarded) or OAuth.
    pub fn connect(
        context: &ProviderContext,
        product: Product,
        api_base: &str,
        classify: Classifier,
    ) -> ProviderResult<Self> {
        let account = context.connection_id.as_str();
        let provider = product.provider();
        match &context.auth {
            ProviderAuth::Static(Credentials::ApiToken { site_url, email, api_token }) => {
                let guard = context.http.guard.clone();
                let url = parse_site_url(site_url, &guard).map_err(ProviderError::invalid)?;
                let (auth, deployment) = if email.is_empty() {
                    let tokens: Arc<dyn AccessTokens> = Arc::new(StaticToken(api_token.clone()));
                    (RequestAuth::Bearer(tokens), Deployment::DataCenter)
                } else {
                    (
                        RequestAuth::Basic { username: email.clone(), password: api_token.clone() },
                        Deployment::Cloud,
                    )
                };
                let client = guard.client_builder().build().map_err(|e| {
                    ProviderError::invalid(format!("cannot set up HTTPS: {}", e.without_url()))
                })?;
                let http = HttpClient::new(&context.http, provider, account, auth, classify)
                    .guarded(guard, client);
                let site = url.as_str().trim_end_matches('/').to_string();
                let host = url.host_str().unwrap_or_default().to_string();
                let resolved = match product {
                    // Cloud serves Confluence under /wiki; Data Center at its context path,
                    // which is part of what the user typed.
                    Product::Confluence
                        if deployment == Deployment::Cloud && !site.ends_with("/wiki") =>
                    {
                        ResolvedSite {
                            api_root: format!("{site}/wiki"),
                            web_root: format!("{site}/wiki"),
                            host,
                        }
                    }
                    _ => ResolvedSite { api_root: site.clone(), web_root: site, host },
                };
                Ok(Self {
                    http,
                    deployment,
                    product,
                    route: Route::Direct(resolved),
                    resolved: OnceCell::new(),
                })
            }
            ProviderAuth::OAuth { tokens, extra } => {
                let http = HttpClient::new(
                    &context.http,
                    provider,
                    account,
                    RequestAuth::Bearer(tokens.clone()),
                    classify,
                );
                let preferred = extra
                    .get("cloud_id")
                    .or_else(|| extra.get("site_url"))
                    .filter(|v| !v.trim().is_empty())
                    .cloned();
                Ok(Self {
                    http,
                    deployment: Deployment::Cloud,
                    product,
                    route: Route::OAuth {
                        api_base: api_base.trim_end_matches('/').to_string(),
                        preferred,
                    },
                    resolved: OnceCell::new(),
                })
            }
            ProviderAuth::Static(_) => Err(ProviderError::invalid(format!(
                "{} connections need an API token or OAuth",
                provider.display_name()
            ))),
        }
    }

    /// The site, resolved through accessible-resources on first use for OAuth.
    pub async fn site(&self) -> ProviderResult<&ResolvedSite> {
        match &self.route {
            Route::Direct(site) => Ok(site),
            Route::OAuth { api_base, preferred } => {
                self.resolved.get_or_try_init(|| self.resolve(api_base, preferred.as_deref())).await
            }
        }
    }

    async fn resolve(
        &self,
        api_base: &str,
        preferred: Option<&str>,
    ) -> ProviderResult<ResolvedSite> {
        let url = format!("{api_base}/oauth/token/accessible-resources");
        let resources: Vec<AccessibleResource> = self.http.json(|c| c.get(&url)).await?;
        let product = self.product.path();
        let usable = |r: &&AccessibleResource| r.scopes.iter().any(|s| s.contains(product));
        let chosen = match preferred {
            Some(wanted) => resources.iter().filter(usable).find(|r| {
                r.id == wanted || r.url.trim_end_matches('/') == wanted.trim_end_matches('/')
            }),
            None => resources.iter().find(usable),
        };
        let Some(resource) = chosen else {
            return Err(ProviderError::new(
                ErrorKind::AccessDenied,
                format!(
                    "this sign-in grants access to no {} site{}",
                    self.product.provider().display_name(),
                    preferred.map(|p| format!(" matching {p}")).unwrap_or_default()
                ),
            ));
        };
        tracing::debug!(cloud_id = %resource.id, site = %resource.name, "resolved the Atlassian site");
        let site = resource.url.trim_end_matches('/').to_string();
        let host =
            Url::parse(&site).ok().and_then(|u| u.host_str().map(String::from)).unwrap_or_default();
        let cloud = &resource.id;
        Ok(match self.product {
            Product::Confluence => ResolvedSite {
                api_root: format!("{api_base}/ex/confluence/{cloud}/wiki"),
                web_root: format!("{site}/wiki"),
                host,
            },
            Product::Jira => ResolvedSite {
                api_root: format!("{api_base}/ex/jira/{cloud}"),
                web_root: site,
                host,
            },
        })
    }

    /// GET `url` as JSON, with the server's clock (`Date`) in epoch milliseconds.
    pub async fn get_json_dated<T: DeserializeOwned>(
        &self,
        url: &str,
    ) -> ProviderResult<(T, Option<i64>)> {
        let response = self.http.send(|c| c.get(url)).await?;
        let date = server_time(response.headers());
        let body = read_body(response).await?;
        let value = serde_json::from_slice(&body).map_err(|e| {
            ProviderError::parse(format!("unexpected answer from {}: {e}", self.product.provider()))
        })?;
        Ok((value, date))
    }

    /// POST a JSON body, read JSON and the server's clock.
    pub async fn post_json_dated<T: DeserializeOwned>(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> ProviderResult<(T, Option<i64>)> {
        let response = self.http.send(|c| c.post(url).json(body)).await?;
        let date = server_time(response.headers());
        let body = read_body(response).await?;
        let value = serde_json::from_slice(&body).map_err(|e| {
            ProviderError::parse(format!("unexpected answer from {}: {e}", self.product.provider()))
        })?;
        Ok((value, date))
    }
}

/// The `Date` header in epoch milliseconds.
pub fn server_time(headers: &http::HeaderMap) -> Option<i64> {
    let value = headers.get(http::header::DATE)?.to_str().ok()?;
    chrono::DateTime::parse_from_rfc2822(value.trim().replace("GMT", "+0000").as_str())
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Our clock, when a server sends no `Date`.
pub fn local_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Floors to the minute (CQL's date precision).
pub fn floor_minute(ms: i64) -> i64 {
    ms.div_euclid(60_000) * 60_000
}

/// Where the window after one that ended at `end` starts.
pub fn window_start(end: i64) -> i64 {
    floor_minute(end - OVERLAP.as_millis() as i64)
}

/// Parses Atlassian timestamps: `2024-01-08T09:00:00.000Z`, `…+0000`, `…+00:00`.
pub fn parse_time(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let value = value.trim();
    chrono::DateTime::parse_from_rfc3339(value)
        .or_else(|_| chrono::DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// `prefix` + base64url(deflate(JSON)).
pub fn encode_cursor<T: Serialize>(prefix: &str, value: &T) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = match encoder.write_all(&json) {
        Ok(()) => encoder.finish().unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// The inverse of [`encode_cursor`]; anything else is [`ErrorKind::CursorInvalid`].
pub fn decode_cursor<T: DeserializeOwned>(prefix: &str, cursor: &str) -> ProviderResult<T> {
    let invalid =
        || ProviderError::new(ErrorKind::CursorInvalid, "the change cursor is not one of ours");
    let encoded = cursor.strip_prefix(prefix).ok_or_else(invalid)?;
    let compressed = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| invalid())?;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .take(64 * 1024 * 1024)
        .read_to_end(&mut json)
        .map_err(|_| invalid())?;
    serde_json::from_slice(&json).map_err(|_| invalid())
}

/// The path and query of a `next` link, relative to the product's API root: links are only
/// ever appended to our own base, so a hostile answer cannot send us (and our token)
/// elsewhere. `expected` is the resource the link must point at.
pub fn relative_link(link: &str, expected: &str) -> ProviderResult<String> {
    let path = match Url::parse(link) {
        Ok(url) => {
            let full = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            match full.find("/rest/api/") {
                Some(at) => full[at..].to_string(),
                None => full,
            }
        }
        Err(_) => link.to_string(),
    };
    if !path.starts_with(expected) || path.contains("..") {
        return Err(ProviderError::parse(format!("unexpected pagination link {path:?}")));
    }
    Ok(path)
}

/// The error message of a Confluence (`message`) or Jira (`errorMessages`, `errors`) body.
pub fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let Some(message) = value.get("message").and_then(|m| m.as_str()) {
        return Some(message.chars().take(300).collect());
    }
    let mut parts: Vec<String> = value
        .get("errorMessages")
        .and_then(|m| m.as_array())
        .map(|list| list.iter().filter_map(|m| m.as_str().map(String::from)).collect())
        .unwrap_or_default();
    if let Some(errors) = value.get("errors").and_then(|e| e.as_object()) {
        parts.extend(errors.iter().filter_map(|(k, v)| v.as_str().map(|v| format!("{k}: {v}"))));
    }
    (!parts.is_empty()).then(|| parts.join("; ").chars().take(300).collect())
}

/// The classification both products share: 401 AuthExpired, 403 AccessDenied, 404 NotFound,
/// 429 RateLimited (with `Retry-After`), 5xx Transient; the body's message is kept.
pub fn classify(product: &str, answer: &super::http::ErrorResponse) -> ProviderError {
    let detail = error_message(&answer.body).map(|m| format!(": {m}")).unwrap_or_default();
    let status = answer.status.as_u16();
    let error = match status {
        401 => ProviderError::new(
            ErrorKind::AuthExpired,
            format!("{product} rejected the credentials (HTTP 401){detail}"),
        ),
        403 => ProviderError::new(
            ErrorKind::AccessDenied,
            format!("{product} denied access (HTTP 403){detail}"),
        ),
        404 => ProviderError::not_found(format!("not found on {product} (HTTP 404){detail}")),
        429 => ProviderError::new(
            ErrorKind::RateLimited,
            format!("{product} asks us to slow down (HTTP 429)"),
        ),
        500..=599 => {
            ProviderError::transient(format!("{product} is unavailable (HTTP {status}){detail}"))
        }
        _ => answer.default_error(),
    };
    error.with_retry_after(answer.retry_after()).with_context("status", status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_reaches_back_the_overlap_and_floors_to_the_minute() {
        // 2024-01-08 09:07:42.500 UTC
        let end = 1_704_704_862_500;
        assert_eq!(window_start(end), 1_704_704_820_000 - 5 * 60_000);
        assert_eq!(window_start(end) % 60_000, 0);
    }

    #[test]
    fn pagination_links_stay_on_our_own_base() {
        let link = "https://evil.example/wiki/rest/api/content/search?cql=x&cursor=abc";
        assert_eq!(
            relative_link(link, "/rest/api/content/search").unwrap(),
            "/rest/api/content/search?cql=x&cursor=abc"
        );
        assert!(relative_link("/rest/api/space?start=1", "/rest/api/content/search").is_err());
        assert!(
            relative_link("/rest/api/content/search/../../x", "/rest/api/content/search").is_err()
        );
    }

    #[test]
    fn a_foreign_cursor_means_start_over() {
        let cursor = encode_cursor("cf1.", &vec![1, 2, 3]);
        assert_eq!(decode_cursor::<Vec<u32>>("cf1.", &cursor).unwrap(), [1, 2, 3]);
        for bad in ["jr1.AAAA", "cf1.!!!", "cf1.AAAA", "", "drive-token"] {
            let err = decode_cursor::<Vec<u32>>("cf1.", bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CursorInvalid, "{bad}");
        }
    }

    #[test]
    fn site_urls_must_be_https_and_public_unless_admitted() {
        let strict = HostGuard::default();
        assert!(parse_site_url("https://acme.atlassian.net/", &strict).is_ok());
        for bad in [
            "http://acme.atlassian.net",
            "https://user:pw@acme.atlassian.net",
            "acme",
            "https://10.1.2.3",
        ] {
            assert!(parse_site_url(bad, &strict).is_err(), "{bad}");
        }
        let admitting = HostGuard::new(&["10.1.2.3".to_string()]).unwrap();
        assert!(parse_site_url("http://10.1.2.3:8090/confluence", &admitting).is_ok());
    }

    #[test]
    fn credentials_are_checked_field_by_field() {
        let guard = HostGuard::default();
        let parse = |v: serde_json::Value| parse_api_token(&v, &guard);
        let ok = parse(
            serde_json::json!({"site_url": "https://acme.atlassian.net/", "email": " a@b.co ", "api_token": " tok "}),
        );
        match ok.unwrap() {
            Credentials::ApiToken { site_url, email, api_token } => {
                assert_eq!(
                    (site_url.as_str(), email.as_str(), api_token.expose()),
                    ("https://acme.atlassian.net", "a@b.co", "tok")
                );
            }
            other => panic!("{other:?}"),
        }
        let err = parse(serde_json::json!({"site_url": "https://acme.atlassian.net", "email": "nobody", "api_token": "t"})).unwrap_err();
        assert!(err.starts_with("email"), "{err}");
        let err = parse(serde_json::json!({"site_url": "https://acme.atlassian.net", "email": "a@b.co", "api_token": " "})).unwrap_err();
        assert!(err.starts_with("api_token"), "{err}");
    }
}
