//! Drive v3 requests ([`GdriveCore`]): `files.list` / `get` / `export`,
//! `changes.getStartPageToken` / `list`, `drives.list` / `get`, `about.get`,
//! each with the narrowest `fields` selector the provider needs; `parse_error`,
//! the one place Drive's answers are classified; and the small helpers every
//! part of the provider shares (id checks, opaque token encoding, the
//! document view of a `File`).
//!
//! Tokens only ever travel in the `Authorization` header (the shared HTTP
//! layer sets it); URLs carry ids and parameters, never credentials.

use std::borrow::Cow;
use std::io::{Read, Write};

use app::model::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::{
    FOLDER_MIME, GdriveAbout, GdriveChangeList, GdriveDrive, GdriveDriveList, GdriveErrorResponse,
    GdriveFile, GdriveFileList, GdriveStartPageToken, is_native, native_export,
};
use crate::providers::http::{ErrorResponse, HttpClient};
use crate::providers::{ErrorKind, ProviderError, ProviderResult, RemoteItem};

/// The `File` fields every listing, change and lookup asks for: what the
/// document, change detection and the ancestry cache need, nothing more
/// (checksums cost Drive a content read, so only `md5Checksum` is asked for).
pub const FILE_FIELDS: &str = "id,name,mimeType,parents,size,modifiedTime,md5Checksum,\
                               headRevisionId,version,webViewLink,trashed,driveId";
/// `files.list` pages of documents.
pub const LIST_FIELDS: &str = "nextPageToken,incompleteSearch,files(id,name,mimeType,parents,\
                               size,modifiedTime,md5Checksum,headRevisionId,version,\
                               webViewLink,trashed,driveId)";
/// `files.list` pages of folders (picker, folder snapshot).
pub const FOLDER_LIST_FIELDS: &str = "nextPageToken,files(id,name,parents,modifiedTime)";
/// `changes.list` pages.
pub const CHANGE_FIELDS: &str = "nextPageToken,newStartPageToken,changes(changeType,fileId,\
                                 removed,driveId,time,file(id,name,mimeType,parents,size,\
                                 modifiedTime,md5Checksum,headRevisionId,version,webViewLink,\
                                 trashed,driveId))";
/// Ancestry walks and root checks.
pub const PARENT_FIELDS: &str = "id,name,mimeType,parents,trashed,driveId";

/// Drive's largest page.
pub const PAGE_SIZE: &str = "1000";

/// Where a listing or change feed looks: the user's corpus (My Drive) or one
/// shared drive.
pub type DriveScope<'a> = Option<&'a str>;

/// Requests to one Drive account.
#[derive(Clone)]
pub struct GdriveCore {
    pub http: HttpClient,
    /// `https://www.googleapis.com`, or the sandbox's `…/sandbox/google`.
    api_base: String,
}

impl GdriveCore {
    pub fn new(http: HttpClient, api_base: &str) -> Self {
        Self { http, api_base: api_base.trim_end_matches('/').to_string() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/drive/v3/{path}", self.api_base)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> ProviderResult<T> {
        let url = self.url(path);
        self.http.json(|c| c.get(&url).query(query)).await
    }

    /// `about.get?fields=user`: who the token belongs to.
    pub async fn gdrive_about(&self) -> ProviderResult<GdriveAbout> {
        self.get_json("about", &[("fields", "user(displayName,emailAddress)")]).await
    }

    /// `files.get` with a `fields` selector (`root` names My Drive's root).
    pub async fn gdrive_get(&self, id: &str, fields: &str) -> ProviderResult<GdriveFile> {
        let id = check_id(id)?;
        self.get_json(&format!("files/{id}"), &[("fields", fields), ("supportsAllDrives", "true")])
            .await
            .map_err(|e| e.with_context("file_id", id))
    }

    /// One page of `files.list` for the query `q` in `scope`.
    pub async fn gdrive_list(
        &self,
        q: &str,
        scope: DriveScope<'_>,
        fields: &str,
        page_token: Option<&str>,
    ) -> ProviderResult<GdriveFileList> {
        let mut query: Vec<(&str, &str)> = vec![
            ("q", q),
            ("fields", fields),
            ("pageSize", PAGE_SIZE),
            ("supportsAllDrives", "true"),
        ];
        if let Some(drive) = scope {
            query.extend([
                ("corpora", "drive"),
                ("driveId", drive),
                ("includeItemsFromAllDrives", "true"),
            ]);
        }
        if let Some(token) = page_token {
            query.push(("pageToken", token));
        }
        self.get_json("files", &query).await
    }

    /// `changes.getStartPageToken` of `scope`.
    pub async fn gdrive_start_page_token(&self, scope: DriveScope<'_>) -> ProviderResult<String> {
        let mut query = vec![("supportsAllDrives", "true")];
        if let Some(drive) = scope {
            query.push(("driveId", drive));
        }
        let answer: GdriveStartPageToken = self.get_json("changes/startPageToken", &query).await?;
        answer
            .start_page_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ProviderError::parse("Google Drive sent no start page token"))
    }

    /// One page of `changes.list` of `scope` since `page_token`.
    ///
    /// The user corpus is asked *without* shared-drive items: each shared drive
    /// has its own feed (`driveId`), and an item seen in two feeds could be
    /// upserted by one and deleted by the other.
    pub async fn gdrive_changes(
        &self,
        scope: DriveScope<'_>,
        page_token: &str,
    ) -> ProviderResult<GdriveChangeList> {
        let mut query = vec![
            ("pageToken", page_token),
            ("pageSize", PAGE_SIZE),
            ("includeRemoved", "true"),
            ("supportsAllDrives", "true"),
            ("fields", CHANGE_FIELDS),
        ];
        match scope {
            Some(drive) => {
                query.extend([("driveId", drive), ("includeItemsFromAllDrives", "true")]);
            }
            None => query.push(("includeItemsFromAllDrives", "false")),
        }
        self.get_json("changes", &query).await
    }

    /// One page of `drives.list` (the shared drives the user can see).
    pub async fn gdrive_drives(&self, page_token: Option<&str>) -> ProviderResult<GdriveDriveList> {
        let mut query =
            vec![("pageSize", "100"), ("fields", "nextPageToken,drives(id,name,hidden)")];
        if let Some(token) = page_token {
            query.push(("pageToken", token));
        }
        self.get_json("drives", &query).await
    }

    /// `drives.get`: a shared drive's name.
    pub async fn gdrive_drive(&self, id: &str) -> ProviderResult<GdriveDrive> {
        let id = check_id(id)?;
        self.get_json(&format!("drives/{id}"), &[("fields", "id,name,hidden")]).await
    }

    /// `files.get?alt=media`: the bytes of a blob.
    pub async fn gdrive_media(&self, id: &str) -> ProviderResult<reqwest::Response> {
        let id = check_id(id)?;
        let url = self.url(&format!("files/{id}"));
        self.http
            .send(|c| c.get(&url).query(&[("alt", "media"), ("supportsAllDrives", "true")]))
            .await
            .map_err(|e| e.with_context("file_id", id))
    }

    /// `files.export`: a Google-native file converted to `mime_type`.
    pub async fn gdrive_export(
        &self,
        id: &str,
        mime_type: &str,
    ) -> ProviderResult<reqwest::Response> {
        let id = check_id(id)?;
        let url = self.url(&format!("files/{id}/export"));
        self.http
            .send(|c| c.get(&url).query(&[("mimeType", mime_type)]))
            .await
            .map_err(|e| e.with_context("file_id", id))
    }
}

/// Drive ids are URL-safe base64 characters (`root` is an alias); anything
/// else cannot name a Drive item, and must not reach a URL path or a query.
pub fn check_id(id: &str) -> ProviderResult<&str> {
    let ok = !id.is_empty()
        && id.len() <= 256
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(id) } else { Err(ProviderError::not_found("not a Google Drive item id")) }
}

/// `'<id>' in parents` (ids are checked, so no quoting issues).
pub fn q_children(id: &str, with_trashed: bool) -> ProviderResult<String> {
    let id = check_id(id)?;
    Ok(if with_trashed {
        format!("'{id}' in parents")
    } else {
        format!("'{id}' in parents and trashed = false")
    })
}

/// The folders directly inside `id`.
pub fn q_child_folders(id: &str) -> ProviderResult<String> {
    let id = check_id(id)?;
    Ok(format!("'{id}' in parents and mimeType = '{FOLDER_MIME}' and trashed = false"))
}

/// Every folder of a corpus.
pub fn q_all_folders() -> String {
    format!("mimeType = '{FOLDER_MIME}' and trashed = false")
}

/// The one place Drive's error answers are classified.
///
/// - 401 → `AuthExpired` (the HTTP layer has already refreshed once);
/// - 429, and 403 `userRateLimitExceeded` / `rateLimitExceeded` → `RateLimited`
///   (temporary); 403 `dailyLimitExceeded` → `RateLimited` but permanent for now;
/// - 403 `fileNotDownloadable` / `cannotExportFile` / `fileNotExportable` →
///   `Unsupported`; 403 `exportSizeLimitExceeded` → `TooLarge`; other 403 →
///   `AccessDenied`;
/// - 400 or 404 about the `pageToken` parameter → `CursorInvalid` (Drive says
///   to start over from the first page); other 404 → `NotFound`; other 400 →
///   `Invalid` (a request Drive does not accept);
/// - 5xx and 408 → `Transient`.
pub fn parse_error(answer: &ErrorResponse) -> ProviderError {
    let body: Option<GdriveErrorResponse> = serde_json::from_slice(&answer.body).ok();
    let errors = body.as_ref().map(|b| b.error.errors.as_slice()).unwrap_or_default();
    let reason = errors.iter().find_map(|e| e.reason.as_deref()).unwrap_or("");
    let about_page_token = errors.iter().any(|e| e.location.as_deref() == Some("pageToken"));
    let status = answer.status.as_u16();
    let detail = body
        .as_ref()
        .and_then(|b| b.error.message.as_deref())
        .map(|m| m.chars().take(300).collect::<String>())
        .filter(|m| !m.trim().is_empty())
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    let error = match answer.status {
        StatusCode::UNAUTHORIZED => ProviderError::new(
            ErrorKind::AuthExpired,
            "Google Drive did not accept the access token (HTTP 401)",
        ),
        StatusCode::TOO_MANY_REQUESTS => ProviderError::new(
            ErrorKind::RateLimited,
            "Google Drive asks us to slow down (HTTP 429)",
        ),
        StatusCode::FORBIDDEN => match reason {
            "userRateLimitExceeded" | "rateLimitExceeded" | "sharingRateLimitExceeded" => {
                ProviderError::new(
                    ErrorKind::RateLimited,
                    format!("Google Drive asks us to slow down (HTTP 403 {reason})"),
                )
            }
            "dailyLimitExceeded" => ProviderError::new(
                ErrorKind::RateLimited,
                "the Google Drive API quota for today is used up (HTTP 403 dailyLimitExceeded)",
            )
            .permanent(),
            "fileNotDownloadable" | "cannotExportFile" | "fileNotExportable" => ProviderError::new(
                ErrorKind::Unsupported,
                format!("Google Drive cannot download this file as content ({reason}){detail}"),
            ),
            "exportSizeLimitExceeded" => ProviderError::new(
                ErrorKind::TooLarge,
                "the document is too large for Google Drive to export (exportSizeLimitExceeded)",
            ),
            _ => ProviderError::new(
                ErrorKind::AccessDenied,
                format!("Google Drive denied access (HTTP 403{}){detail}", reason_suffix(reason)),
            ),
        },
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND if about_page_token => ProviderError::new(
            ErrorKind::CursorInvalid,
            format!("Google Drive no longer accepts the page token (HTTP {status})"),
        ),
        StatusCode::NOT_FOUND => {
            ProviderError::not_found(format!("not found in Google Drive (HTTP 404){detail}"))
        }
        StatusCode::BAD_REQUEST => ProviderError::invalid(format!(
            "Google Drive refused the request (HTTP 400{}){detail}",
            reason_suffix(reason)
        )),
        StatusCode::REQUEST_TIMEOUT => {
            ProviderError::transient("Google Drive timed out (HTTP 408)")
        }
        s if s.is_server_error() => {
            ProviderError::transient(format!("Google Drive is unavailable (HTTP {status}){detail}"))
        }
        _ => answer.default_error(),
    };
    let error = error.with_retry_after(answer.retry_after()).with_context("status", status);
    if reason.is_empty() { error } else { error.with_context("reason", reason) }
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() { String::new() } else { format!(" {reason}") }
}

/// A name as a path segment: Drive allows `/` in names, paths use it as the
/// separator, so it becomes `∕` (U+2215) in paths (the name itself is kept).
pub fn path_segment(name: &str) -> Cow<'_, str> {
    if name.contains('/') { Cow::Owned(name.replace('/', "\u{2215}")) } else { Cow::Borrowed(name) }
}

/// `parent` + `/` + `name`.
pub fn join_path(parent: &str, name: &str) -> String {
    let parent = parent.trim_end_matches('/');
    format!("{parent}/{}", path_segment(name))
}

/// A selection's path in its one form: `/My Drive/Projects`.
pub fn normalize_path(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.starts_with('/') { trimmed.to_string() } else { format!("/{trimmed}") }
}

/// The document's view of a Drive file at `path`.
///
/// - Google Docs, Sheets and Slides are reported with the MIME type of their
///   text export (so the engine extracts them as text); the native type is
///   kept in `metadata.google_mime_type`. Other Google-native files (Forms,
///   Drawings, shortcuts…) keep their native type, which the engine skips as
///   unsupported.
/// - The version changes exactly when the content does: `md5Checksum` for
///   blobs (else `headRevisionId`); for native files Drive has neither, so
///   their `version` (which also moves on renames: a renamed Doc is exported
///   again, never missed).
pub fn remote_item(file: &GdriveFile, path: String) -> RemoteItem {
    let native = is_native(&file.mime_type);
    let export = native_export(&file.mime_type);
    let mut metadata = serde_json::Map::new();
    if native {
        metadata.insert("google_mime_type".into(), file.mime_type.clone().into());
    }
    if let Some(drive) = &file.drive_id {
        metadata.insert("drive_id".into(), drive.clone().into());
    }
    let version = if native {
        file.version.map(|v| format!("v{v}"))
    } else {
        file.md5_checksum
            .clone()
            .or_else(|| file.head_revision_id.clone())
            .or_else(|| file.version.map(|v| format!("v{v}")))
    };
    RemoteItem {
        id: file.id.clone(),
        name: file.name.clone(),
        path,
        is_folder: file.is_folder(),
        mime_type: export.map(str::to_string).unwrap_or_else(|| file.mime_type.clone()),
        size: file.size.unwrap_or(0),
        modified_at: file.modified_time.as_deref().and_then(Timestamp::parse),
        version,
        web_url: file.web_view_link.clone(),
        metadata,
    }
}

/// Encodes a cursor or page token: JSON, deflated, URL-safe base64, behind a
/// prefix naming its kind and format version.
pub fn encode_token<T: Serialize>(prefix: &str, value: &T) -> ProviderResult<String> {
    let json = serde_json::to_vec(value)?;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let compressed = encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|e| ProviderError::parse(format!("cannot compress a token: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(compressed)))
}

/// Largest decoded token we accept (a cursor of a very large selection).
const MAX_TOKEN_BYTES: u64 = 64 * 1024 * 1024;

/// The inverse of [`encode_token`]; `None` for anything else.
pub fn decode_token<T: DeserializeOwned>(prefix: &str, text: &str) -> Option<T> {
    let compressed = URL_SAFE_NO_PAD.decode(text.strip_prefix(prefix)?).ok()?;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .take(MAX_TOKEN_BYTES)
        .read_to_end(&mut json)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderMap;

    fn answer(status: u16, body: &str) -> ErrorResponse {
        ErrorResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_string()),
        }
    }

    fn drive_error(status: u16, reason: &str, location: Option<&str>) -> String {
        serde_json::json!({"error": {"code": status, "message": "Some message",
            "errors": [{"domain": "global", "reason": reason, "message": "Some message",
                        "location": location, "locationType": "parameter"}]}})
        .to_string()
    }

    #[test]
    fn status_codes_and_reasons_are_classified_once() {
        let kind = |status, reason, location| {
            let e = parse_error(&answer(status, &drive_error(status, reason, location)));
            (e.kind(), e.is_temporary())
        };
        assert_eq!(kind(401, "authError", None), (ErrorKind::AuthExpired, false));
        assert_eq!(kind(429, "rateLimitExceeded", None), (ErrorKind::RateLimited, true));
        assert_eq!(kind(403, "userRateLimitExceeded", None), (ErrorKind::RateLimited, true));
        assert_eq!(kind(403, "rateLimitExceeded", None), (ErrorKind::RateLimited, true));
        assert_eq!(kind(403, "dailyLimitExceeded", None), (ErrorKind::RateLimited, false));
        assert_eq!(kind(403, "fileNotDownloadable", None), (ErrorKind::Unsupported, false));
        assert_eq!(kind(403, "cannotExportFile", None), (ErrorKind::Unsupported, false));
        assert_eq!(kind(403, "exportSizeLimitExceeded", None), (ErrorKind::TooLarge, false));
        assert_eq!(
            kind(403, "insufficientFilePermissions", None),
            (ErrorKind::AccessDenied, false)
        );
        assert_eq!(kind(404, "notFound", Some("fileId")), (ErrorKind::NotFound, false));
        assert_eq!(kind(400, "invalid", Some("pageToken")), (ErrorKind::CursorInvalid, false));
        assert_eq!(kind(404, "notFound", Some("pageToken")), (ErrorKind::CursorInvalid, false));
        assert_eq!(kind(400, "badRequest", Some("q")), (ErrorKind::Invalid, false));
        assert_eq!(kind(500, "backendError", None), (ErrorKind::Transient, true));
        assert_eq!(kind(503, "backendError", None), (ErrorKind::Transient, true));
        // Not JSON at all (a proxy's page): still classified by status.
        assert_eq!(
            parse_error(&answer(502, "<html>bad gateway</html>")).kind(),
            ErrorKind::Transient
        );
        assert_eq!(parse_error(&answer(403, "")).kind(), ErrorKind::AccessDenied);
    }

    #[test]
    fn retry_after_is_kept_and_messages_name_the_reason() {
        let mut a = answer(403, &drive_error(403, "userRateLimitExceeded", None));
        a.headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("7"));
        let e = parse_error(&a);
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
        assert!(e.message().contains("userRateLimitExceeded"), "{}", e.message());
        assert!(e.to_string().contains("status=403"));
    }

    #[test]
    fn ids_are_checked_before_they_reach_a_url() {
        assert!(check_id("1AbC-_x9").is_ok());
        assert!(check_id("root").is_ok());
        for bad in ["", "../about", "a/b", "a b", "a'b", "a?b", "é"] {
            assert_eq!(check_id(bad).unwrap_err().kind(), ErrorKind::NotFound, "{bad}");
        }
        assert_eq!(q_children("abc", false).unwrap(), "'abc' in parents and trashed = false");
        assert!(q_children("x' or '1'='1", false).is_err());
    }

    #[test]
    fn names_with_slashes_stay_one_path_segment() {
        assert_eq!(join_path("/My Drive", "Q1/Q2 plan"), "/My Drive/Q1\u{2215}Q2 plan");
        assert_eq!(join_path("/My Drive/", "a.txt"), "/My Drive/a.txt");
        assert_eq!(normalize_path("My Drive/Projects/"), "/My Drive/Projects");
    }

    #[test]
    fn versions_follow_content_and_docs_report_their_export_type() {
        let blob = GdriveFile {
            id: "1".into(),
            name: "a.pdf".into(),
            mime_type: "application/pdf".into(),
            md5_checksum: Some("abc".into()),
            head_revision_id: Some("0Bxyz".into()),
            version: Some(4),
            ..Default::default()
        };
        let item = remote_item(&blob, "/My Drive/a.pdf".into());
        assert_eq!(
            (item.version.as_deref(), item.mime_type.as_str()),
            (Some("abc"), "application/pdf")
        );
        assert!(item.metadata.is_empty());

        let doc = GdriveFile {
            id: "2".into(),
            name: "Plan".into(),
            mime_type: "application/vnd.google-apps.document".into(),
            version: Some(9),
            drive_id: Some("0AXYZ".into()),
            ..Default::default()
        };
        let item = remote_item(&doc, "/Shared drives/Eng/Plan".into());
        assert_eq!(item.mime_type, "text/plain");
        assert_eq!(item.version.as_deref(), Some("v9"));
        assert_eq!(item.metadata["google_mime_type"], "application/vnd.google-apps.document");
        assert_eq!(item.metadata["drive_id"], "0AXYZ");

        let form =
            GdriveFile { mime_type: "application/vnd.google-apps.form".into(), ..doc.clone() };
        assert_eq!(remote_item(&form, "/x".into()).mime_type, "application/vnd.google-apps.form");
    }

    #[test]
    fn tokens_round_trip_and_refuse_other_kinds() {
        let text = encode_token("gt1.", &vec!["a", "b"]).unwrap();
        assert_eq!(decode_token::<Vec<String>>("gt1.", &text).unwrap(), vec!["a", "b"]);
        assert!(decode_token::<Vec<String>>("gx1.", &text).is_none());
        assert!(decode_token::<Vec<String>>("gt1.", "gt1.!!!").is_none());
    }
}
