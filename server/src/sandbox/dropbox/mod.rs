//! Dropbox API v2: RPC routes under `/dropbox/api/2/...` (files/list_folder, continue,
//! get_latest_cursor, get_metadata, users/get_current_account, auth/token/revoke) and the
//! content route `/dropbox/content/2/files/download`, following the Stone spec in
//! `shared/reference/api-specs/dropbox/`.
//!
//! Faithful details a client relies on: entries are tagged `file` / `folder` / `deleted` and
//! keyed by path; `list_folder` pages by `limit` / `has_more` / `cursor` and the final
//! cursor is the delta token; `continue` reports a move or rename as a deleted entry for the
//! old path followed by the new state (a renamed folder's descendants reappear under the new
//! path) and deletions as deleted entries; an invalidated cursor answers 409 `reset`; route
//! errors are 409 with `error_summary` + tagged `error`, bad input is a plain-text 400; the
//! download answers bytes with the metadata in the `Dropbox-API-Result` header.

mod model;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sandbox::accounts::AccountHandle;
use crate::sandbox::faults::{self, Denial};
use crate::sandbox::state::{Account, ChangeKind, HashKind, ItemIdx, ItemKind};
use crate::sandbox::util::{self, Refusal};
use crate::sandbox::{Provider, Sandbox};

pub use model::*;

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/dropbox/api/2/files/list_folder", post(list_folder))
        .route("/dropbox/api/2/files/list_folder/continue", post(list_folder_continue))
        .route("/dropbox/api/2/files/list_folder/get_latest_cursor", post(get_latest_cursor))
        .route("/dropbox/api/2/files/get_metadata", post(get_metadata))
        .route("/dropbox/api/2/users/get_current_account", post(get_current_account))
        .route("/dropbox/api/2/auth/token/revoke", post(token_revoke))
        .route("/dropbox/content/2/files/download", post(download).get(download))
}

type Answer = Result<Response, Refusal>;

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Bad input: plain text 400, like the real API.
fn bad_input(route: &str, message: &str) -> Refusal {
    let text = format!("Error in call to API function \"{route}\": {message}");
    Refusal::from((StatusCode::BAD_REQUEST, text).into_response())
        .with_header(http::header::CONTENT_TYPE, TEXT_PLAIN)
}

fn route_error(summary: &str, error: Value) -> Refusal {
    let body =
        DropboxErrorResponse { error_summary: summary.to_string(), error, user_message: None };
    (StatusCode::CONFLICT, axum::Json(body)).into_response().into()
}

fn lookup_error(tag: &str) -> Refusal {
    route_error(&format!("path/{tag}/..."), json!({".tag": "path", "path": {".tag": tag}}))
}

fn reset() -> Refusal {
    route_error("reset/...", json!({".tag": "reset"}))
}

fn denial(route: &str, denial: Denial) -> Refusal {
    match denial {
        Denial::MissingToken => bad_input(
            route,
            "Must provide HTTP header \"Authorization\" or URL parameter \"authorization\".",
        ),
        Denial::InvalidToken | Denial::ExpiredToken => {
            let tag = if denial == Denial::ExpiredToken {
                "expired_access_token"
            } else {
                "invalid_access_token"
            };
            let body = json!({"error_summary": format!("{tag}/..."), "error": {".tag": tag}});
            (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response().into()
        }
        Denial::Throttled { retry_after, .. } => {
            let body = json!({
                "error_summary": "too_many_requests/...",
                "error": {"reason": {".tag": "too_many_requests"}, "retry_after": retry_after},
            });
            Refusal::from((StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response())
                .with_header(http::header::RETRY_AFTER, HeaderValue::from(retry_after))
        }
        Denial::ServerError { status } => server_error(status),
    }
}

fn server_error(status: u16) -> Refusal {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = status.canonical_reason().unwrap_or("Server Error").to_string();
    Refusal::from((status, text).into_response())
        .with_header(http::header::CONTENT_TYPE, TEXT_PLAIN)
}

async fn admit(
    sb: &Sandbox,
    route: &'static str,
    headers: &HeaderMap,
) -> Result<Arc<AccountHandle>, Refusal> {
    faults::admit(sb, Provider::Dropbox, route, headers).await.map_err(|d| denial(route, d))
}

/// An RPC argument: a JSON body with a JSON content type.
fn rpc_arg<T: DeserializeOwned>(
    route: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, Refusal> {
    let content_type =
        headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let accepted = [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain; charset=dropbox-cors-hack",
    ];
    if !accepted.iter().any(|a| a.eq_ignore_ascii_case(content_type.trim())) {
        return Err(bad_input(
            route,
            &format!(
                "Bad HTTP \"Content-Type\" header: \"{content_type}\".  Expecting one of \"application/json\", \"application/json; charset=utf-8\", \"text/plain; charset=dropbox-cors-hack\"."
            ),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| bad_input(route, "request body: could not decode input as JSON"))?;
    serde_json::from_value(value).map_err(|e| bad_input(route, &format!("request body: {e}")))
}

/// Routes without an argument take no body, or `null`.
fn no_arg(route: &str, body: &Bytes) -> Result<(), Refusal> {
    let text = std::str::from_utf8(body).unwrap_or("?").trim();
    if text.is_empty() || text == "null" {
        Ok(())
    } else {
        Err(bad_input(route, "request body: expected null, got value"))
    }
}

#[derive(Debug, PartialEq)]
enum Target {
    Item(ItemIdx),
    NotFound,
}

/// Resolves `""` (root), `/path/to` (case-insensitive) or `id:…`.
fn resolve(route: &str, acct: &Account, path: &str) -> Result<Target, Refusal> {
    let root = acct.drive(acct.default_drive()).root;
    if path.is_empty() {
        return Ok(Target::Item(root));
    }
    if path == "/" {
        return Err(bad_input(
            route,
            "request body: path: Specify the root folder as an empty string rather than as \"/\".",
        ));
    }
    if path.starts_with("id:") {
        return Ok(acct.find_live(path).map_or(Target::NotFound, Target::Item));
    }
    if !path.starts_with('/') {
        return Err(bad_input(
            route,
            &format!(
                "request body: path: '{path}' did not match pattern '(/(.|[\\r\\n])*)?|id:.*|(ns:[0-9]+(/(.|[\\r\\n])*)?)'"
            ),
        ));
    }
    if path.ends_with('/') {
        return Ok(Target::NotFound);
    }
    let mut current = root;
    for segment in path[1..].split('/') {
        let lower = segment.to_lowercase();
        match acct.live_children(current).find(|&c| acct.item(c).name.to_lowercase() == lower) {
            Some(child) => current = child,
            None => return Ok(Target::NotFound),
        }
    }
    Ok(Target::Item(current))
}

fn rev(content_seq: u64) -> String {
    format!("015{content_seq:09x}")
}

fn render(acct: &mut Account, idx: ItemIdx) -> DropboxEntry {
    let content_hash = acct.hash(idx, HashKind::Dropbox);
    let item = acct.item(idx);
    let path = acct.path(idx);
    match &item.kind {
        ItemKind::Folder(_) => DropboxEntry::Folder(DropboxFolderMetadata {
            name: item.name.to_string(),
            id: item.id.to_string(),
            path_lower: Some(path.to_lowercase()),
            path_display: Some(path),
        }),
        ItemKind::File { content, .. } => DropboxEntry::File(DropboxFileMetadata {
            name: item.name.to_string(),
            id: item.id.to_string(),
            client_modified: util::rfc3339_secs(item.modified_ms),
            server_modified: util::rfc3339_secs(item.modified_ms),
            rev: rev(item.content_seq),
            size: content.len(),
            path_lower: Some(path.to_lowercase()),
            path_display: Some(path),
            is_downloadable: true,
            content_hash,
        }),
        // Dropbox accounts never hold Google Docs.
        ItemKind::GoogleDoc { .. } => deleted_entry(&path),
    }
}

fn deleted_entry(path: &str) -> DropboxEntry {
    DropboxEntry::Deleted(DropboxDeletedMetadata {
        name: path.rsplit('/').next().unwrap_or(path).to_string(),
        path_lower: Some(path.to_lowercase()),
        path_display: Some(path.to_string()),
    })
}

/// Where a cursor stands.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum CursorMode {
    /// Inside the first listing's snapshot; `base` is the log position it was taken at.
    Snapshot { id: u64, offset: usize, base: u64 },
    /// Changes after log position `pos`.
    Changes { pos: u64 },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Cursor {
    /// The account's cursor epoch when issued.
    e: u32,
    /// The listed folder's id.
    f: String,
    r: bool,
    d: bool,
    l: u32,
    m: CursorMode,
}

const DEFAULT_LIMIT: u32 = 500;

fn validate_limit(route: &str, limit: Option<u32>) -> Result<u32, Refusal> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=2000).contains(&l) => Ok(l),
        Some(l) => Err(bad_input(
            route,
            &format!("request body: limit: {l} is not within range [1, 2000]"),
        )),
    }
}

fn folder_target(route: &str, acct: &Account, path: &str) -> Result<ItemIdx, Refusal> {
    match resolve(route, acct, path)? {
        Target::NotFound => Err(lookup_error("not_found")),
        Target::Item(idx) if !acct.item(idx).is_folder() => Err(lookup_error("not_folder")),
        Target::Item(idx) => Ok(idx),
    }
}

async fn list_folder(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    const ROUTE: &str = "files/list_folder";
    let account = admit(&sb, ROUTE, &headers).await?;
    let arg: DropboxListFolderArg = rpc_arg(ROUTE, &headers, &body)?;
    let limit = validate_limit(ROUTE, arg.limit)?;
    let mut acct = account.data();
    let folder = folder_target(ROUTE, &acct, &arg.path)?;
    let include_self = arg.recursive && !acct.item(folder).is_root();
    let order = acct.walk(folder, arg.recursive, include_self, arg.include_deleted);
    let base = acct.seq();
    let (id, snapshot) = acct.enumerations.start(order);
    let cursor = Cursor {
        e: acct.epoch,
        f: acct.item(folder).id.to_string(),
        r: arg.recursive,
        d: arg.include_deleted,
        l: limit,
        m: CursorMode::Snapshot { id, offset: 0, base },
    };
    let result = snapshot_page(&mut acct, &snapshot, cursor, 0, base);
    Ok(axum::Json(result).into_response())
}

fn snapshot_page(
    acct: &mut Account,
    snapshot: &[ItemIdx],
    mut cursor: Cursor,
    offset: usize,
    base: u64,
) -> DropboxListFolderResult {
    let end = offset.saturating_add(cursor.l as usize).min(snapshot.len());
    let entries = snapshot[offset.min(end)..end]
        .iter()
        .map(|&idx| {
            if acct.item(idx).deleted { deleted_entry(&acct.path(idx)) } else { render(acct, idx) }
        })
        .collect();
    let has_more = end < snapshot.len();
    cursor.m = match (has_more, cursor.m) {
        (true, CursorMode::Snapshot { id, .. }) => CursorMode::Snapshot { id, offset: end, base },
        _ => CursorMode::Changes { pos: base },
    };
    DropboxListFolderResult { entries, cursor: util::encode_token(&cursor), has_more }
}

/// Whether a path lies in a cursor's scope: the folder itself and everything below it
/// when recursive, its direct children otherwise.
fn in_scope(scope: &str, recursive: bool, path_lower: &str) -> bool {
    let Some(rest) = path_lower.strip_prefix(scope) else {
        return false;
    };
    if recursive {
        (rest.is_empty() && !scope.is_empty()) || rest.starts_with('/')
    } else {
        rest.starts_with('/') && !rest[1..].contains('/')
    }
}

async fn list_folder_continue(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    const ROUTE: &str = "files/list_folder/continue";
    let account = admit(&sb, ROUTE, &headers).await?;
    let arg: DropboxListFolderContinueArg = rpc_arg(ROUTE, &headers, &body)?;
    let mut cursor: Cursor = util::decode_token(&arg.cursor)
        .ok_or_else(|| bad_input(ROUTE, "request body: cursor: invalid cursor"))?;
    // Cursors are opaque but not tamper-proof: keep what they carry in range.
    cursor.l = cursor.l.clamp(1, 2000);
    let mut acct = account.data();
    if cursor.e != acct.epoch {
        return Err(reset());
    }
    let Some(folder) = acct.find(&cursor.f) else {
        return Err(reset());
    };
    match cursor.m {
        CursorMode::Snapshot { id, offset, base } => {
            let snapshot = acct.enumerations.get(id).ok_or_else(reset)?;
            let result = snapshot_page(&mut acct, &snapshot, cursor, offset, base);
            Ok(axum::Json(result).into_response())
        }
        CursorMode::Changes { pos } => {
            let scope = acct.path(folder).to_lowercase();
            let end = acct.seq();
            let pos = pos.min(end);
            let mut entries = Vec::new();
            let mut reached = pos;
            for seq in pos + 1..=end {
                if entries.len() >= cursor.l as usize {
                    break;
                }
                reached = seq;
                let record = &acct.log[(seq - 1) as usize];
                let idx = record.item;
                if acct.item(idx).is_root() {
                    continue;
                }
                // The old path of a moved or deleted item is reported as deleted.
                if let Some(old) = &record.old_path
                    && in_scope(&scope, cursor.r, &old.to_lowercase())
                {
                    entries.push(deleted_entry(old));
                }
                let item = acct.item(idx);
                if record.kind == ChangeKind::Removed || item.deleted || item.last_any != seq {
                    continue;
                }
                if in_scope(&scope, cursor.r, &acct.path(idx).to_lowercase()) {
                    entries.push(render(&mut acct, idx));
                }
            }
            let has_more = reached < end;
            let next = Cursor { m: CursorMode::Changes { pos: reached }, ..cursor };
            Ok(axum::Json(DropboxListFolderResult {
                entries,
                cursor: util::encode_token(&next),
                has_more,
            })
            .into_response())
        }
    }
}

async fn get_latest_cursor(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    const ROUTE: &str = "files/list_folder/get_latest_cursor";
    let account = admit(&sb, ROUTE, &headers).await?;
    let arg: DropboxListFolderArg = rpc_arg(ROUTE, &headers, &body)?;
    let limit = validate_limit(ROUTE, arg.limit)?;
    let acct = account.data();
    let folder = folder_target(ROUTE, &acct, &arg.path)?;
    let cursor = Cursor {
        e: acct.epoch,
        f: acct.item(folder).id.to_string(),
        r: arg.recursive,
        d: arg.include_deleted,
        l: limit,
        m: CursorMode::Changes { pos: acct.seq() },
    };
    Ok(axum::Json(DropboxCursorResult { cursor: util::encode_token(&cursor) }).into_response())
}

async fn get_metadata(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    const ROUTE: &str = "files/get_metadata";
    let account = admit(&sb, ROUTE, &headers).await?;
    let arg: DropboxGetMetadataArg = rpc_arg(ROUTE, &headers, &body)?;
    if arg.path.is_empty() {
        return Err(bad_input(ROUTE, "request body: path: The root folder is unsupported."));
    }
    let mut acct = account.data();
    match resolve(ROUTE, &acct, &arg.path)? {
        Target::Item(idx) => Ok(axum::Json(render(&mut acct, idx)).into_response()),
        Target::NotFound if arg.include_deleted && arg.path.starts_with('/') => {
            let lower = arg.path.to_lowercase();
            let was_here = (0..acct.items.len() as ItemIdx)
                .any(|i| acct.item(i).deleted && acct.path(i).to_lowercase() == lower);
            if was_here {
                Ok(axum::Json(deleted_entry(&arg.path)).into_response())
            } else {
                Err(lookup_error("not_found"))
            }
        }
        Target::NotFound => Err(lookup_error("not_found")),
    }
}

async fn get_current_account(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    const ROUTE: &str = "users/get_current_account";
    let account = admit(&sb, ROUTE, &headers).await?;
    no_arg(ROUTE, &body)?;
    let acct = account.data();
    let p = &acct.profile;
    let namespace = acct.drive(acct.default_drive()).id.clone();
    let initials: String =
        [&p.given_name, &p.surname].iter().filter_map(|n| n.chars().next()).collect();
    let body = DropboxAccount {
        account_id: p.user_id.clone(),
        name: DropboxName {
            given_name: p.given_name.clone(),
            surname: p.surname.clone(),
            familiar_name: p.given_name.clone(),
            display_name: p.display_name.clone(),
            abbreviated_name: initials,
        },
        email: p.email.clone(),
        email_verified: true,
        disabled: false,
        locale: "en".into(),
        referral_link: "https://db.tt/sandbox".into(),
        is_paired: false,
        account_type: json!({".tag": "basic"}),
        root_info: json!({".tag": "user", "root_namespace_id": namespace, "home_namespace_id": namespace}),
        country: "US".into(),
    };
    Ok(axum::Json(body).into_response())
}

/// Disables the access token used, its refresh token and that refresh token's other
/// access tokens (auth.stone `token/revoke`).
async fn token_revoke(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    const ROUTE: &str = "auth/token/revoke";
    admit(&sb, ROUTE, &headers).await?;
    no_arg(ROUTE, &body)?;
    let token = util::bearer(&headers).unwrap_or_default().to_string();
    let mut oauth = util::lock(&sb.inner.oauth);
    if let Some(grant) = oauth.grant_of(&token) {
        oauth.revoke_grant(grant);
    }
    Ok(axum::Json(Value::Null).into_response())
}

/// The JSON in `Dropbox-API-Result` must be header-safe: non-ASCII becomes `\uXXXX`.
fn header_safe_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

async fn download(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    const ROUTE: &str = "files/download";
    let account = admit(&sb, ROUTE, &headers).await?;
    if let Some(content_type) =
        headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
    {
        let accepted = [
            "",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/octet-stream",
            "application/octet-stream; charset=utf-8",
            "text/plain; charset=dropbox-cors-hack",
        ];
        if !accepted.iter().any(|a| a.eq_ignore_ascii_case(content_type.trim())) {
            return Err(bad_input(
                ROUTE,
                &format!(
                    "Bad HTTP \"Content-Type\" header: \"{content_type}\".  Expecting one of \"text/plain\", \"text/plain; charset=utf-8\", \"application/octet-stream\", \"application/octet-stream; charset=utf-8\", \"text/plain; charset=dropbox-cors-hack\"."
                ),
            ));
        }
    }
    let raw = headers
        .get("dropbox-api-arg")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("arg").cloned())
        .ok_or_else(|| {
            bad_input(
                ROUTE,
                "Must provide HTTP header \"Dropbox-API-Arg\" or URL parameter \"arg\".",
            )
        })?;
    let arg: DropboxDownloadArg = serde_json::from_str(&raw)
        .map_err(|e| bad_input(ROUTE, &format!("HTTP header \"Dropbox-API-Arg\": {e}")))?;
    let mut acct = account.data();
    let idx = match resolve(ROUTE, &acct, &arg.path)? {
        Target::NotFound => return Err(lookup_error("not_found")),
        Target::Item(idx) if !matches!(acct.item(idx).kind, ItemKind::File { .. }) => {
            return Err(lookup_error("not_file"));
        }
        Target::Item(idx) => idx,
    };
    let DropboxEntry::File(metadata) = render(&mut acct, idx) else {
        return Err(lookup_error("not_file"));
    };
    let ItemKind::File { content, .. } = &acct.item(idx).kind else {
        return Err(lookup_error("not_file"));
    };
    let content = content.clone();
    drop(acct);
    if account.faults().download_fails(&metadata.id) {
        account.counters().server_errors += 1;
        return Err(server_error(500));
    }
    let result = header_safe_json(&metadata);
    Ok(util::bytes_response(
        &headers,
        content.bytes().to_vec(),
        "application/octet-stream",
        vec![("dropbox-api-result", result)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_recursion() {
        assert!(in_scope("", true, "/a/b.txt"));
        assert!(in_scope("", false, "/a"));
        assert!(!in_scope("", false, "/a/b.txt"));
        assert!(in_scope("/a", true, "/a"));
        assert!(in_scope("/a", true, "/a/b/c"));
        assert!(!in_scope("/a", true, "/ab"));
        assert!(!in_scope("/a", false, "/a"));
    }

    #[test]
    fn result_header_escapes_non_ascii() {
        assert_eq!(
            header_safe_json(&json!({"name": "café 😀"})),
            r#"{"name":"caf\u00e9 \ud83d\ude00"}"#
        );
    }
}
