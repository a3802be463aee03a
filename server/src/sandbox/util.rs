//! Small helpers shared by the simulators: poison-tolerant locks, timestamps, random ids,
//! opaque tokens, HTML escaping, byte-range responses and the sandbox's own base URL.

use std::convert::Infallible;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::extract::{FromRequestParts, OriginalUri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use http::header::{ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, HOST, RANGE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Sandbox;

/// A panic while a lock was held must not take the whole sandbox down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn datetime(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// `2024-01-08T09:00:00.000Z` (Drive).
pub(crate) fn rfc3339_millis(ms: i64) -> String {
    datetime(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2024-01-08T09:00:00Z` (Graph, Dropbox).
pub(crate) fn rfc3339_secs(ms: i64) -> String {
    datetime(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const URL_SAFE: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(crate) fn random_string(rng: &mut impl Rng, alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect()
}

/// An unguessable token for codes, access and refresh tokens.
pub(crate) fn secret_token(prefix: &str, len: usize) -> String {
    format!("{prefix}{}", random_string(&mut rand::rng(), URL_SAFE, len))
}

pub(crate) fn guid(rng: &mut impl Rng) -> String {
    let b: [u8; 16] = rng.random();
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]),
        u16::from_be_bytes([b[8], b[9]]),
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]]),
    )
}

/// Page tokens, cursors and delta tokens are opaque to clients: base64url of a small JSON.
pub(crate) fn encode_token<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

pub(crate) fn decode_token<T: DeserializeOwned>(token: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A provider's error answer. Boxed: error paths are rare and `Response` is large, so the
/// `Result`s that carry it stay small.
pub(crate) struct Refusal(Box<Response>);

impl Refusal {
    pub fn with_header(mut self, name: http::HeaderName, value: HeaderValue) -> Self {
        self.0.headers_mut().insert(name, value);
        self
    }
}

impl From<Response> for Refusal {
    fn from(response: Response) -> Self {
        Refusal(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// A file body, honouring a single `Range: bytes=…` (206, or 416 when unsatisfiable).
pub(crate) fn bytes_response(
    headers: &HeaderMap,
    bytes: Vec<u8>,
    content_type: &str,
    extra: Vec<(&'static str, String)>,
) -> Response {
    let total = bytes.len() as u64;
    let range = headers.get(RANGE).and_then(|v| v.to_str().ok()).map(|r| parse_range(r, total));
    let (status, body, content_range) = match range {
        None => (StatusCode::OK, bytes, None),
        Some(Some((start, end))) => (
            StatusCode::PARTIAL_CONTENT,
            bytes[start as usize..=end as usize].to_vec(),
            Some(format!("bytes {start}-{end}/{total}")),
        ),
        Some(None) => {
            (StatusCode::RANGE_NOT_SATISFIABLE, Vec::new(), Some(format!("bytes */{total}")))
        }
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, header_value(content_type));
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(content_range) = content_range {
        h.insert(CONTENT_RANGE, header_value(&content_range));
    }
    for (name, value) in extra {
        h.insert(name, header_value(&value));
    }
    response
}

/// `Some(None)` = a range header that cannot be satisfied.
fn parse_range(header: &str, total: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || total == 0 {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (start, end) = if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        (total.saturating_sub(suffix), total - 1)
    } else {
        let start: u64 = first.parse().ok()?;
        let end =
            if last.is_empty() { total - 1 } else { last.parse::<u64>().ok()?.min(total - 1) };
        (start, end)
    };
    (start <= end && start < total).then_some((start, end))
}

/// A header value from text that may contain anything: invalid bytes become `?`.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| {
        let cleaned: String = text
            .chars()
            .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
            .collect();
        HeaderValue::from_str(&cleaned).unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}

/// The sandbox's externally visible base URL (`http://host:port/sandbox`), for absolute links.
pub(crate) struct BaseUrl(pub String);

impl FromRequestParts<Sandbox> for BaseUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, sandbox: &Sandbox) -> Result<Self, Infallible> {
        if let Some(base) = &sandbox.options().public_base_url {
            return Ok(BaseUrl(base.trim_end_matches('/').to_string()));
        }
        let host = parts.headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
        let scheme =
            parts.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
        // When nested (e.g. at /sandbox) the router sees the path without the mount point.
        let inner = parts.uri.path();
        let full = parts.extensions.get::<OriginalUri>().map(|o| o.0.path()).unwrap_or(inner);
        let prefix = full.strip_suffix(inner).unwrap_or("");
        Ok(BaseUrl(format!("{scheme}://{host}{prefix}")))
    }
}

/// Reads a query flag the way Google and Microsoft do (`true`/`false`, case-insensitive).
pub(crate) fn flag(value: Option<&String>) -> Option<bool> {
    value.map(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_7233() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=95-200", 100), Some((95, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 100), None);
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = encode_token(&(7u32, "x"));
        assert_eq!(decode_token::<(u32, String)>(&token), Some((7, "x".to_string())));
        assert_eq!(decode_token::<(u32, String)>("not a token"), None);
    }
}
