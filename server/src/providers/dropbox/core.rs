//! Dropbox requests: RPC calls (`POST` JSON to `api_base` + `/2/…`), the
//! content download (`content_base` + `/2/files/download`, argument in the
//! `Dropbox-API-Arg` header, metadata back in `Dropbox-API-Result`), and
//! [`parse_error`], the one place Dropbox answers are classified.

use app::model::Timestamp;
use http::StatusCode;
use http::header::CONTENT_TYPE;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::{DropboxErrorResponse, DropboxFileMetadata, DropboxPathArg};
use crate::providers::http::{ErrorResponse, HttpClient};
use crate::providers::{ErrorKind, ProviderError, ProviderResult, RemoteItem};

/// Characters escaped in the web link's path.
const WEB_PATH: &AsciiSet =
    &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'?').add(b'<').add(b'>');

/// Requests to one Dropbox account.
#[derive(Clone)]
pub struct DropboxCore {
    http: HttpClient,
    api_base: String,
    content_base: String,
}

impl DropboxCore {
    pub fn new(http: HttpClient, api_base: &str, content_base: &str) -> Self {
        Self {
            http,
            api_base: api_base.trim_end_matches('/').to_string(),
            content_base: content_base.trim_end_matches('/').to_string(),
        }
    }

    /// An RPC route (`files/list_folder`) with a JSON argument.
    pub async fn dropbox_rpc<A: Serialize, T: DeserializeOwned>(
        &self,
        route: &str,
        arg: &A,
    ) -> ProviderResult<T> {
        let body = serde_json::to_vec(arg)?;
        self.rpc_body(route, body).await
    }

    /// An RPC route without an argument (`users/get_current_account`).
    pub async fn dropbox_rpc_no_arg<T: DeserializeOwned>(&self, route: &str) -> ProviderResult<T> {
        self.rpc_body(route, b"null".to_vec()).await
    }

    async fn rpc_body<T: DeserializeOwned>(&self, route: &str, body: Vec<u8>) -> ProviderResult<T> {
        let url = format!("{}/2/{route}", self.api_base);
        self.http
            .json(|c| c.post(&url).header(CONTENT_TYPE, "application/json").body(body.clone()))
            .await
    }

    /// Starts a download of `path` (`id:…` works): the file's metadata, from
    /// `Dropbox-API-Result`, and the response to stream.
    pub async fn dropbox_download(
        &self,
        path: &str,
    ) -> ProviderResult<(Option<DropboxFileMetadata>, reqwest::Response)> {
        let url = format!("{}/2/files/download", self.content_base);
        let arg = header_safe_json(&DropboxPathArg { path })?;
        let response = self.http.send(|c| c.post(&url).header("Dropbox-API-Arg", &arg)).await?;
        let metadata = response
            .headers()
            .get("dropbox-api-result")
            .and_then(|v| v.to_str().ok())
            .and_then(|text| serde_json::from_str(text).ok());
        Ok((metadata, response))
    }
}

/// JSON for an HTTP header: everything outside ASCII becomes `\uXXXX`, as
/// Dropbox asks for `Dropbox-API-Arg`.
pub fn header_safe_json(value: &impl Serialize) -> ProviderResult<String> {
    let text = serde_json::to_string(value)?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    Ok(out)
}

/// `/Docs/A b` → `/docs/a b`, `""` for the root: the form of `path_lower`.
pub fn lower_path(path: &str) -> String {
    path.trim().trim_end_matches('/').to_lowercase()
}

/// The MIME type a file name suggests (Dropbox reports none).
fn mime_for(name: &str) -> String {
    crate::ingest::mime_for_name(name).unwrap_or("application/octet-stream").to_string()
}

/// The document's view of a file; `None` for files that cannot be downloaded
/// as they are (Dropbox Paper, cloud docs) or that have no path.
pub fn remote_item(file: &DropboxFileMetadata) -> Option<RemoteItem> {
    if !file.is_downloadable {
        return None;
    }
    let path = file.path_display.clone().or_else(|| file.path_lower.clone())?;
    let mut metadata = serde_json::Map::new();
    if let Some(rev) = &file.rev {
        metadata.insert("rev".into(), rev.clone().into());
    }
    Some(RemoteItem {
        id: file.id.clone(),
        name: file.name.clone(),
        web_url: Some(format!(
            "https://www.dropbox.com/home{}",
            utf8_percent_encode(&path, WEB_PATH)
        )),
        path,
        is_folder: false,
        mime_type: mime_for(&file.name),
        size: file.size,
        modified_at: file.server_modified.as_deref().and_then(Timestamp::parse),
        version: file.content_hash.clone().or_else(|| file.rev.clone()),
        metadata,
    })
}

/// The one place Dropbox error answers are classified: route errors are 409
/// `{"error_summary", "error": {".tag": …}}` matched on the tags, never on
/// the summary text; bad input is a plain-text 400.
pub fn parse_error(answer: &ErrorResponse) -> ProviderError {
    let body: Option<DropboxErrorResponse> = serde_json::from_slice(&answer.body).ok();
    let tags = body.as_ref().map(DropboxErrorResponse::tags).unwrap_or_default();
    let tag = |i: usize| tags.get(i).map(String::as_str).unwrap_or("");
    let status = answer.status.as_u16();
    let kind = match answer.status {
        StatusCode::CONFLICT => match (tag(0), tag(1)) {
            ("reset", _) => ErrorKind::CursorInvalid,
            ("path" | "path_lookup" | "from_lookup", "not_found") => ErrorKind::NotFound,
            ("path" | "path_lookup" | "from_lookup", "restricted_content") => {
                ErrorKind::AccessDenied
            }
            ("unsupported_file", _) | ("path", "unsupported_content_type") => {
                ErrorKind::Unsupported
            }
            ("path" | "path_lookup", "locked") => ErrorKind::Transient,
            _ => ErrorKind::Invalid,
        },
        StatusCode::UNAUTHORIZED => ErrorKind::AuthExpired,
        StatusCode::FORBIDDEN => ErrorKind::AccessDenied,
        StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ErrorKind::Invalid,
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => ErrorKind::Transient,
        _ => return answer.default_error(),
    };
    let detail = match &body {
        Some(b) => b
            .user_message
            .as_ref()
            .map(|m| m.text.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| b.error_summary.trim_end_matches(['/', '.']).to_string()),
        // Bad input and some 5xx answer plain text.
        None => answer.body_text().trim().to_string(),
    };
    let detail: String = detail.chars().take(200).collect();
    let what = match kind {
        ErrorKind::CursorInvalid => "the Dropbox cursor expired; listing everything again",
        ErrorKind::NotFound => "not found on Dropbox",
        ErrorKind::AuthExpired => "Dropbox rejected the sign-in",
        ErrorKind::AccessDenied => "Dropbox denied access",
        ErrorKind::RateLimited => "Dropbox asks us to slow down",
        ErrorKind::Transient => "Dropbox is unavailable",
        ErrorKind::Unsupported => "Dropbox cannot download this file",
        _ => "Dropbox refused the request",
    };
    let message = if detail.is_empty() {
        format!("{what} (HTTP {status})")
    } else {
        format!("{what}: {detail} (HTTP {status})")
    };
    let retry_after = body
        .as_ref()
        .and_then(DropboxErrorResponse::retry_after)
        .map(std::time::Duration::from_secs)
        .or_else(|| answer.retry_after());
    let mut error = ProviderError::new(kind, message)
        .with_retry_after(retry_after)
        .with_context("status", status);
    if !tags.is_empty() {
        error = error.with_context("error", tags.join("/"));
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_arg_headers_escape_everything_outside_ascii() {
        assert_eq!(
            header_safe_json(&DropboxPathArg { path: "/Café 😀.txt" }).unwrap(),
            r#"{"path":"/Caf\u00e9 \ud83d\ude00.txt"}"#
        );
        assert_eq!(lower_path("/Docs/Ünï/"), "/docs/ünï");
        assert_eq!(lower_path(""), "");
    }
}
