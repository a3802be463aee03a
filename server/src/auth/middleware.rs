//! Request authentication and same-origin (CSRF) checks.
//!
//! Every request passes [`authenticate`]: a personal API token
//! (`Authorization: Bearer csk_…`), a session cookie, or — when configured and
//! only from a trusted proxy address — the SSO header names the caller, who is
//! put into the request extensions for handlers and server functions.
//!
//! State-changing requests that rely on the cookie (everything but bearer-token
//! calls) must come from our own origin: `Origin` (or, without it, `Referer`)
//! must match, and `Sec-Fetch-Site: cross-site` is refused. This covers forms,
//! the REST API and server functions alike.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::error::AppError;
use app::port::Caller;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use ipnet::IpNet;

use crate::routes::api_error;
use crate::service::Service;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cs_session";

/// The session cookie's value in a request, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// `Set-Cookie` for a new session (or, with `None`, one that clears it).
pub fn session_set_cookie(service: &Service, value: Option<&str>) -> String {
    let secure =
        if service.settings.public_url().starts_with("https://") { "; Secure" } else { "" };
    match value {
        Some(value) => format!(
            "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            service.settings.security.session_hours.max(1) * 3600
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// Paths that are not app pages: no sign-in redirect for them.
fn is_public_path(path: &str) -> bool {
    path == "/login"
        || path == "/favicon.ico"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.starts_with("/_fn/")
        || path.starts_with("/sandbox/")
        || path == "/sandbox"
}

fn trusted_proxy(service: &Service, peer: IpAddr) -> bool {
    service.settings.security.trusted_proxies.iter().any(|entry| {
        entry
            .parse::<IpNet>()
            .map(|net| net.contains(&peer))
            .unwrap_or_else(|_| entry.parse::<IpAddr>() == Ok(peer))
    })
}

async fn resolve_caller(
    service: &Service,
    headers: &HeaderMap,
    peer: IpAddr,
) -> Result<(Option<Caller>, bool), AppError> {
    if let Some(token) = bearer_token(headers) {
        return Ok((service.caller_from_api_token(token).await?, true));
    }
    if let Some(secret) = session_cookie(headers)
        && let Some(caller) = service.caller_from_session(&secret).await?
    {
        return Ok((Some(caller), false));
    }
    let header_name = &service.settings.security.trusted_header;
    if !header_name.is_empty()
        && trusted_proxy(service, peer)
        && let Some(user) = headers.get(header_name.as_str()).and_then(|v| v.to_str().ok())
    {
        return Ok((service.caller_from_trusted_header(user.trim()).await?, false));
    }
    Ok((None, false))
}

/// The origins our own pages are served from.
fn expected_origins(service: &Service, headers: &HeaderMap) -> Vec<String> {
    if !service.settings.server.public_url.is_empty() {
        return vec![service.settings.public_url()];
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| vec![format!("http://{host}"), format!("https://{host}")])
        .unwrap_or_default()
}

fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    Some(url.origin().ascii_serialization())
}

/// Whether a state-changing request comes from our own pages.
pub fn same_origin(service: &Service, headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return false;
    }
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null")
        .map(str::to_string)
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(origin_of));
    let Some(claimed) = claimed else { return false };
    expected_origins(service, headers).contains(&claimed)
}

pub async fn authenticate(
    State(service): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    // The sandbox simulates third-party services: it has its own accounts.
    if path.starts_with("/sandbox/") {
        return next.run(request).await;
    }
    let (caller, by_token) = match resolve_caller(&service, request.headers(), peer.ip()).await {
        Ok(found) => found,
        Err(e) => return api_error(e),
    };
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !by_token && !same_origin(&service, request.headers()) {
        tracing::warn!(%path, "refused a cross-origin state-changing request");
        return api_error(AppError::Forbidden("cross-site request refused".into()));
    }
    if caller.is_none() && !is_public_path(&path) && *request.method() == Method::GET {
        let next_path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = format!("/login?next={}", urlencode(next_path));
        return Redirect::to(&target).into_response();
    }
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    next.run(request).await
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A local path to go to after sign-in; anything else becomes `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; cs_session=abc123; b=2".parse().unwrap());
        assert_eq!(session_cookie(&headers).as_deref(), Some("abc123"));
        headers.insert(header::COOKIE, "cs_session=".parse().unwrap());
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/connections?x=1")), "/connections?x=1");
        assert_eq!(safe_next(Some("//evil.example.com/")), "/");
        assert_eq!(safe_next(Some("https://evil.example.com/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example.com")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
