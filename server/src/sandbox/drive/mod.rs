//! Google Drive v3 (`/google/drive/v3/...`): files.list / get (`alt=media`) / export,
//! changes.getStartPageToken / list, drives.list / get and about.get, following the
//! discovery document in `shared/reference/api-specs/google-drive/`.
//!
//! Faithful details a client relies on: int64 fields (`size`, `version`) are JSON strings;
//! without `fields` only `kind,id,name,mimeType` of a file come back (and about.get requires
//! `fields`); shared-drive items need `supportsAllDrives` (+ `includeItemsFromAllDrives` to
//! be listed); `changes` reports each file once at its latest state, permanent deletions as
//! `removed: true` without `file`, trashing as `file.trashed: true`; Google Docs, Sheets,
//! Slides and Forms have no bytes (`alt=media` answers 403 `fileNotDownloadable`);
//! `files.export` converts Docs (text, HTML, …), Sheets (CSV) and Slides (text), never Forms.

mod model;
mod query;

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::sandbox::accounts::AccountHandle;
use crate::sandbox::faults::{self, Denial, DriveRateLimitStyle};
use crate::sandbox::formats;
use crate::sandbox::state::{Account, DriveIdx, DriveKind, GoogleApp, HashKind, ItemIdx, ItemKind};
use crate::sandbox::util::{self, BaseUrl, Refusal, flag};
use crate::sandbox::{Provider, Sandbox};

pub const FOLDER_MIME: &str = "application/vnd.google-apps.folder";

pub use model::*;
use query::{FieldMask, Schema, Term, matches, parse_fields, parse_q};

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/google/drive/v3/files", get(files_list))
        .route("/google/drive/v3/files/{file_id}", get(files_get))
        .route("/google/drive/v3/files/{file_id}/export", get(files_export))
        .route("/google/drive/v3/changes/startPageToken", get(start_page_token))
        .route("/google/drive/v3/changes", get(changes_list))
        .route("/google/drive/v3/drives", get(drives_list))
        .route("/google/drive/v3/drives/{drive_id}", get(drives_get))
        .route("/google/drive/v3/about", get(about_get))
}

type Params = HashMap<String, String>;
type Answer = Result<Response, Refusal>;

fn drive_error(
    status: StatusCode,
    reason: &str,
    message: &str,
    location: Option<(&str, &str)>,
) -> Refusal {
    drive_error_in("global", status, reason, message, location)
}

fn drive_error_in(
    domain: &str,
    status: StatusCode,
    reason: &str,
    message: &str,
    location: Option<(&str, &str)>,
) -> Refusal {
    let body = DriveErrorResponse {
        error: DriveErrorBody {
            code: status.as_u16(),
            message: message.to_string(),
            errors: vec![DriveErrorItem {
                domain: domain.to_string(),
                reason: reason.to_string(),
                message: message.to_string(),
                location: location.map(|(l, _)| l.to_string()),
                location_type: location.map(|(_, t)| t.to_string()),
            }],
            status: None,
        },
    };
    (status, axum::Json(body)).into_response().into()
}

fn invalid_parameter(name: &str, message: &str) -> Refusal {
    drive_error(StatusCode::BAD_REQUEST, "invalid", message, Some((name, "parameter")))
}

fn not_found(id: &str) -> Refusal {
    drive_error(
        StatusCode::NOT_FOUND,
        "notFound",
        &format!("File not found: {id}."),
        Some(("fileId", "parameter")),
    )
}

fn denial(denial: Denial) -> Refusal {
    const SEE: &str = "Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
    match denial {
        Denial::MissingToken | Denial::InvalidToken | Denial::ExpiredToken => {
            let (message, reason, item_message) = if denial == Denial::MissingToken {
                (
                    format!("Request is missing required authentication credential. {SEE}"),
                    "required",
                    "Login Required.",
                )
            } else {
                (
                    format!("Request had invalid authentication credentials. {SEE}"),
                    "authError",
                    "Invalid Credentials",
                )
            };
            let body = DriveErrorResponse {
                error: DriveErrorBody {
                    code: 401,
                    message,
                    errors: vec![DriveErrorItem {
                        domain: "global".into(),
                        reason: reason.into(),
                        message: item_message.into(),
                        location: Some("Authorization".into()),
                        location_type: Some("header".into()),
                    }],
                    status: Some("UNAUTHENTICATED".into()),
                },
            };
            Refusal::from((StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()).with_header(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
                ),
            )
        }
        Denial::Throttled { retry_after, drive_style } => {
            let refusal = match drive_style {
                DriveRateLimitStyle::TooManyRequests429 => drive_error_in(
                    "usageLimits",
                    StatusCode::TOO_MANY_REQUESTS,
                    "rateLimitExceeded",
                    "Rate Limit Exceeded",
                    None,
                ),
                DriveRateLimitStyle::UserRateLimit403 => drive_error_in(
                    "usageLimits",
                    StatusCode::FORBIDDEN,
                    "userRateLimitExceeded",
                    "User Rate Limit Exceeded",
                    None,
                ),
            };
            refusal.with_header(http::header::RETRY_AFTER, HeaderValue::from(retry_after))
        }
        Denial::ServerError { status } => server_error(status),
    }
}

fn server_error(status: u16) -> Refusal {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match status.as_u16() {
        500 => "Internal Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Backend Error",
    };
    drive_error(status, "backendError", message, None)
}

async fn admit(
    sb: &Sandbox,
    endpoint: &'static str,
    headers: &HeaderMap,
) -> Result<std::sync::Arc<AccountHandle>, Refusal> {
    faults::admit(sb, Provider::Google, endpoint, headers).await.map_err(denial)
}

/// Which items a request may see: My Drive always; shared drives only when the caller
/// supports them, and for listings only when it also asks for their items.
#[derive(Clone, Copy)]
struct Scope {
    shared_drives: bool,
    only: Option<DriveIdx>,
}

impl Scope {
    fn admits(&self, acct: &Account, idx: ItemIdx) -> bool {
        let drive = acct.item(idx).drive;
        match self.only {
            Some(only) => drive == only,
            None => acct.drive(drive).kind == DriveKind::MyDrive || self.shared_drives,
        }
    }
}

fn list_scope(acct: &Account, q: &Params) -> Result<Scope, Refusal> {
    let supports =
        flag(q.get("supportsAllDrives")).or(flag(q.get("supportsTeamDrives"))).unwrap_or(false);
    let include = flag(q.get("includeItemsFromAllDrives"))
        .or(flag(q.get("includeTeamDriveItems")))
        .unwrap_or(false);
    let drive_id = q.get("driveId").or(q.get("teamDriveId"));
    let corpora = q.get("corpora").map(String::as_str).unwrap_or(if drive_id.is_some() {
        "drive"
    } else {
        "user"
    });
    match corpora {
        "user" | "domain" => {
            if drive_id.is_some() {
                return Err(invalid_parameter(
                    "corpora",
                    "The driveId parameter must be specified if and only if corpora is set to drive.",
                ));
            }
            Ok(Scope { shared_drives: supports && include, only: None })
        }
        "allDrives" => {
            if !(supports && include) {
                return Err(invalid_parameter(
                    "includeItemsFromAllDrives",
                    "The includeItemsFromAllDrives parameter must be set to true when corpora is set to allDrives.",
                ));
            }
            Ok(Scope { shared_drives: true, only: None })
        }
        "drive" => {
            let Some(drive_id) = drive_id else {
                return Err(invalid_parameter(
                    "driveId",
                    "The driveId parameter must be specified if and only if corpora is set to drive.",
                ));
            };
            if !(supports && include) {
                return Err(invalid_parameter(
                    "includeItemsFromAllDrives",
                    "The includeItemsFromAllDrives parameter must be set to true when driveId is specified.",
                ));
            }
            let drive = shared_drive(acct, drive_id)?;
            Ok(Scope { shared_drives: true, only: Some(drive) })
        }
        other => Err(invalid_parameter("corpora", &format!("Invalid Value: {other}"))),
    }
}

fn shared_drive(acct: &Account, id: &str) -> Result<DriveIdx, Refusal> {
    acct.drive_by_id(id).filter(|&d| acct.drive(d).kind == DriveKind::SharedDrive).ok_or_else(
        || {
            drive_error(
                StatusCode::NOT_FOUND,
                "notFound",
                &format!("Shared drive not found: {id}"),
                Some(("driveId", "parameter")),
            )
        },
    )
}

fn page_size(q: &Params, default: usize, max: usize) -> Result<usize, Refusal> {
    match q.get("pageSize") {
        None => Ok(default),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok((n as usize).min(max)),
            _ => Err(invalid_parameter(
                "pageSize",
                &format!("Invalid value '{text}'. Values must be within the range: [1, {max}]"),
            )),
        },
    }
}

pub(super) fn mime_of(item: &crate::sandbox::state::Item) -> String {
    match &item.kind {
        ItemKind::Folder(_) => FOLDER_MIME.to_string(),
        ItemKind::File { mime, .. } => mime.to_string(),
        ItemKind::GoogleDoc { app, .. } => app.mime().to_string(),
    }
}

/// The export formats the sandbox can produce for each Google-native type: a subset of
/// Drive's (`about.exportFormats`). Forms have no document export.
fn export_formats(app: GoogleApp) -> &'static [&'static str] {
    match app {
        GoogleApp::Document => &[
            "text/plain",
            "text/html",
            "text/markdown",
            "application/rtf",
            "application/pdf",
            formats::MIME_DOCX,
        ],
        GoogleApp::Spreadsheet => &["text/csv", "application/pdf"],
        GoogleApp::Presentation => &["text/plain", "application/pdf"],
        GoogleApp::Form => &[],
    }
}

fn user(acct: &Account) -> DriveUser {
    DriveUser {
        kind: Some("drive#user".into()),
        display_name: Some(acct.profile.display_name.clone()),
        email_address: Some(acct.profile.email.clone()),
        me: Some(true),
        permission_id: Some(acct.profile.user_id.clone()),
    }
}

/// Which checksums a response selects: computing them means reading the content.
#[derive(Clone, Copy)]
struct Checksums {
    md5: bool,
    sha256: bool,
}

impl Checksums {
    fn selected(mask: &FieldMask, file: &[&str]) -> Self {
        let wants = |field: &str| mask.wants(&[file, &[field]].concat());
        Checksums { md5: wants("md5Checksum"), sha256: wants("sha256Checksum") }
    }
}

fn render_file(acct: &mut Account, idx: ItemIdx, base: &str, checksums: Checksums) -> DriveFile {
    let md5 = if checksums.md5 { acct.hash(idx, HashKind::Md5) } else { None };
    let sha256 = if checksums.sha256 { acct.hash(idx, HashKind::Sha256) } else { None };
    let item = acct.item(idx);
    let drive = acct.drive(item.drive);
    let in_my_drive = drive.kind == DriveKind::MyDrive;
    let id = item.id.to_string();
    let mime = mime_of(item);
    let is_blob = matches!(item.kind, ItemKind::File { .. });
    let extension = item.name.rsplit_once('.').map(|(_, e)| e.to_string()).filter(|_| is_blob);
    let web_view_link = match &item.kind {
        ItemKind::Folder(_) => format!("https://drive.google.com/drive/folders/{id}"),
        ItemKind::GoogleDoc { app, .. } => {
            let editor = match app {
                GoogleApp::Document => "document",
                GoogleApp::Spreadsheet => "spreadsheets",
                GoogleApp::Presentation => "presentation",
                GoogleApp::Form => "forms",
            };
            format!("https://docs.google.com/{editor}/d/{id}/edit?usp=drivesdk")
        }
        ItemKind::File { .. } => format!("https://drive.google.com/file/d/{id}/view?usp=drivesdk"),
    };
    let export_links = match item.kind {
        ItemKind::GoogleDoc { app, .. } => Some(app),
        _ => None,
    }
    .map(|app| {
        export_formats(app)
            .iter()
            .map(|m| {
                let encoded: String = url::form_urlencoded::byte_serialize(m.as_bytes()).collect();
                (
                    m.to_string(),
                    format!("{base}/google/drive/v3/files/{id}/export?mimeType={encoded}"),
                )
            })
            .collect()
    });
    let capabilities: BTreeMap<String, bool> = [
        ("canDownload", true),
        ("canEdit", true),
        ("canRename", true),
        ("canTrash", true),
        ("canListChildren", item.is_folder()),
        ("canAddChildren", item.is_folder()),
        ("canReadRevisions", is_blob),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let me = user(acct);
    DriveFile {
        kind: Some("drive#file".into()),
        id: Some(id.clone()),
        name: Some(item.name.to_string()),
        mime_type: Some(mime.clone()),
        parents: item.parent.map(|p| vec![acct.item(p).id.to_string()]),
        drive_id: (!in_my_drive).then(|| drive.id.clone()),
        starred: Some(false),
        trashed: Some(item.trashed),
        explicitly_trashed: Some(item.explicitly_trashed),
        version: Some(item.version),
        created_time: Some(util::rfc3339_millis(item.created_ms)),
        modified_time: Some(util::rfc3339_millis(item.modified_ms)),
        size: item.size(),
        quota_bytes_used: Some(item.size().unwrap_or(0)),
        md5_checksum: md5,
        sha256_checksum: sha256,
        head_revision_id: is_blob.then(|| head_revision_id(&id, item.content_seq)),
        original_filename: is_blob.then(|| item.name.to_string()),
        full_file_extension: extension.clone(),
        file_extension: extension,
        owned_by_me: in_my_drive.then_some(true),
        owners: in_my_drive.then(|| vec![me.clone()]),
        last_modifying_user: Some(me),
        shared: in_my_drive.then_some(false),
        spaces: Some(vec!["drive".into()]),
        web_view_link: Some(web_view_link),
        web_content_link: is_blob
            .then(|| format!("https://drive.google.com/uc?id={id}&export=download")),
        icon_link: Some(format!("https://drive-thirdparty.googleusercontent.com/16/type/{mime}")),
        export_links,
        capabilities: Some(capabilities),
    }
}

/// An opaque revision id that changes with the content, like Drive's `0B…` ids.
fn head_revision_id(id: &str, content_seq: u64) -> String {
    let digest = Sha256::new().chain_update(id).chain_update(content_seq.to_le_bytes()).finalize();
    format!("0B{}", URL_SAFE_NO_PAD.encode(&digest[..24]))
}

/// The `fields` selector of a request, or Drive's default selection for the method.
fn field_mask(q: &Params, schema: Schema, default: &str) -> Result<FieldMask, Refusal> {
    let selector = q.get("fields").map(String::as_str).unwrap_or(default);
    parse_fields(selector).and_then(|m| m.validate(schema).map(|()| m)).map_err(|message| {
        drive_error(
            StatusCode::BAD_REQUEST,
            "invalidParameter",
            &message,
            Some(("fields", "parameter")),
        )
    })
}

/// Serializes `body` keeping only the selected fields.
fn respond<T: Serialize>(mask: &FieldMask, body: &T) -> Answer {
    let mut value = serde_json::to_value(body).unwrap_or(Value::Null);
    mask.apply(&mut value);
    Ok(axum::Json(value).into_response())
}

#[derive(Serialize, Deserialize)]
struct FilesPageToken {
    /// Fingerprint of the query the token belongs to.
    f: String,
    /// The last item index returned.
    a: ItemIdx,
}

fn fingerprint(q: &Params) -> String {
    let mut hasher = Sha256::new();
    for key in
        ["q", "corpora", "driveId", "includeItemsFromAllDrives", "supportsAllDrives", "spaces"]
    {
        hasher.update(key);
        hasher.update(q.get(key).map(String::as_str).unwrap_or("\u{0}"));
    }
    hex::encode(&hasher.finalize()[..8])
}

async fn files_list(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "files.list", &headers).await?;
    let mask = field_mask(
        &q,
        Schema::FileList,
        "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)",
    )?;
    let size = page_size(&q, 100, 1000)?;
    let terms = match q.get("q").filter(|s| !s.trim().is_empty()) {
        Some(text) => parse_q(text).map_err(|message| {
            drive_error(
                StatusCode::BAD_REQUEST,
                "invalid",
                &format!("Invalid Value: {message}"),
                Some(("q", "parameter")),
            )
        })?,
        None => Vec::new(),
    };
    let fp = fingerprint(&q);
    let after = match q.get("pageToken").filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => match util::decode_token::<FilesPageToken>(token) {
            Some(t) if t.f == fp => Some(t.a),
            _ => return Err(invalid_parameter("pageToken", "Invalid Value")),
        },
    };
    let mut acct = account.data();
    let scope = list_scope(&acct, &q)?;
    let parent = terms.iter().find_map(|t| match t {
        Term::InParents(id) if id == "root" => Some(acct.drive(acct.default_drive()).root),
        Term::InParents(id) => acct.find_live(id),
        _ => None,
    });
    let has_parent_term = terms.iter().any(|t| matches!(t, Term::InParents(_)));
    // Candidates in index order, after the page token.
    let candidates: Box<dyn Iterator<Item = ItemIdx>> = match (has_parent_term, parent) {
        (true, None) => Box::new(std::iter::empty()),
        (true, Some(parent)) => {
            let children: Vec<ItemIdx> = acct
                .item(parent)
                .folder()
                .map(|f| {
                    f.children.range(after.map_or(0, |a| a.saturating_add(1))..).copied().collect()
                })
                .unwrap_or_default();
            Box::new(children.into_iter())
        }
        (false, _) => {
            Box::new(after.map_or(0, |a| a.saturating_add(1))..acct.items.len() as ItemIdx)
        }
    };
    let mut page = Vec::with_capacity(size.min(1000));
    let mut more = false;
    for idx in candidates {
        let item = acct.item(idx);
        if item.deleted
            || item.is_root()
            || !scope.admits(&acct, idx)
            || !matches(&acct, idx, &terms)
        {
            continue;
        }
        if page.len() == size {
            more = true;
            break;
        }
        page.push(idx);
    }
    let next_page_token = match (more, page.last()) {
        (true, Some(&last)) => Some(util::encode_token(&FilesPageToken { f: fp, a: last })),
        _ => None,
    };
    let checksums = Checksums::selected(&mask, &["files"]);
    let files = page.into_iter().map(|idx| render_file(&mut acct, idx, &base, checksums)).collect();
    drop(acct);
    let body = DriveFileList {
        kind: "drive#fileList".into(),
        next_page_token,
        incomplete_search: false,
        files,
    };
    respond(&mask, &body)
}

/// The item a `fileId` names, honouring the `root` alias and shared-drive support.
fn lookup(acct: &Account, file_id: &str, q: &Params) -> Result<ItemIdx, Refusal> {
    let supports =
        flag(q.get("supportsAllDrives")).or(flag(q.get("supportsTeamDrives"))).unwrap_or(false);
    let idx = if file_id == "root" {
        Some(acct.drive(acct.default_drive()).root)
    } else {
        acct.find_live(file_id)
    };
    let idx = idx.ok_or_else(|| not_found(file_id))?;
    if acct.drive(acct.item(idx).drive).kind == DriveKind::SharedDrive && !supports {
        return Err(not_found(file_id));
    }
    Ok(idx)
}

async fn files_get(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let media = q.get("alt").is_some_and(|a| a == "media");
    let account = admit(&sb, if media { "files.get.media" } else { "files.get" }, &headers).await?;
    let mut acct = account.data();
    let idx = lookup(&acct, &file_id, &q)?;
    if !media {
        let mask = field_mask(&q, Schema::File, "kind,id,name,mimeType")?;
        let file = render_file(&mut acct, idx, &base, Checksums::selected(&mask, &[]));
        drop(acct);
        return respond(&mask, &file);
    }
    let item = acct.item(idx);
    let ItemKind::File { mime, content } = &item.kind else {
        return Err(drive_error(
            StatusCode::FORBIDDEN,
            "fileNotDownloadable",
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            Some(("alt", "parameter")),
        ));
    };
    let (mime, content, id) = (mime.to_string(), content.clone(), item.id.to_string());
    drop(acct);
    if account.faults().download_fails(&id) {
        account.counters().server_errors += 1;
        return Err(server_error(500));
    }
    Ok(util::bytes_response(&headers, content.bytes().to_vec(), &mime, Vec::new()))
}

async fn files_export(
    State(sb): State<Sandbox>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "files.export", &headers).await?;
    let acct = account.data();
    let idx = lookup(&acct, &file_id, &q)?;
    let ItemKind::GoogleDoc { app, text } = &acct.item(idx).kind else {
        return Err(drive_error(
            StatusCode::FORBIDDEN,
            "fileNotExportable",
            "Export only supports Docs Editors files.",
            None,
        ));
    };
    let (app, title, text) = (*app, acct.item(idx).name.to_string(), text.clone());
    let id = acct.item(idx).id.to_string();
    drop(acct);
    let Some(target) = q.get("mimeType") else {
        return Err(drive_error(
            StatusCode::BAD_REQUEST,
            "required",
            "Required parameter: mimeType",
            Some(("mimeType", "parameter")),
        ));
    };
    if account.faults().download_fails(&id) {
        account.counters().server_errors += 1;
        return Err(server_error(500));
    }
    let paragraphs: Vec<&str> = text.split('\n').collect();
    let supported = export_formats(app).contains(&target.as_str());
    let body = match target.as_str() {
        _ if !supported => None,
        // Drive's plain-text export starts with a byte-order mark and uses CRLF.
        "text/plain" => Some(format!("\u{feff}{}", paragraphs.join("\r\n")).into_bytes()),
        // A spreadsheet's CSV export is its first sheet, rows ending in CRLF.
        "text/csv" => Some(format!("{}\r\n", paragraphs.join("\r\n")).into_bytes()),
        "text/html" => Some(formats::html(&title, &paragraphs)),
        "text/markdown" => Some(format!("# {title}\n\n{}\n", paragraphs.join("\n\n")).into_bytes()),
        "application/rtf" => Some(formats::rtf(&title, &paragraphs)),
        "application/pdf" => Some(formats::pdf(&title, &paragraphs)),
        formats::MIME_DOCX => Some(formats::docx(&title, &paragraphs)),
        _ => None,
    };
    let Some(body) = body else {
        return Err(drive_error(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "The requested conversion is not supported.",
            Some(("mimeType", "parameter")),
        ));
    };
    if body.len() as u64 > EXPORT_LIMIT_BYTES {
        return Err(drive_error(
            StatusCode::FORBIDDEN,
            "exportSizeLimitExceeded",
            "This file is too large to be exported.",
            None,
        ));
    }
    Ok(util::bytes_response(&headers, body, target, Vec::new()))
}

/// "Note that the exported content is limited to 10 MB" (`files.export`).
pub const EXPORT_LIMIT_BYTES: u64 = 10 * 1024 * 1024;

/// Scope of a changes request: one shared drive (`driveId`), or the user's corpus.
fn changes_scope(acct: &Account, q: &Params) -> Result<Scope, Refusal> {
    let supports =
        flag(q.get("supportsAllDrives")).or(flag(q.get("supportsTeamDrives"))).unwrap_or(false);
    let include = flag(q.get("includeItemsFromAllDrives"))
        .or(flag(q.get("includeTeamDriveItems")))
        .unwrap_or(false);
    match q.get("driveId").or(q.get("teamDriveId")) {
        Some(drive_id) => {
            Ok(Scope { shared_drives: true, only: Some(shared_drive(acct, drive_id)?) })
        }
        None => Ok(Scope { shared_drives: supports && include, only: None }),
    }
}

async fn start_page_token(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "changes.getStartPageToken", &headers).await?;
    let acct = account.data();
    changes_scope(&acct, &q)?;
    let body = DriveStartPageToken {
        kind: "drive#startPageToken".into(),
        start_page_token: (acct.seq() + 1).to_string(),
    };
    drop(acct);
    respond(&field_mask(&q, Schema::StartPageToken, "*")?, &body)
}

async fn changes_list(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "changes.list", &headers).await?;
    let mask = field_mask(
        &q,
        Schema::ChangeList,
        "kind,nextPageToken,newStartPageToken,changes(kind,changeType,time,removed,fileId,driveId,file(kind,id,name,mimeType))",
    )?;
    let checksums = Checksums::selected(&mask, &["changes", "file"]);
    let with_file = mask.wants(&["changes", "file"]);
    let size = page_size(&q, 100, 1000)?;
    let include_removed = flag(q.get("includeRemoved")).unwrap_or(true);
    let Some(token) = q.get("pageToken") else {
        return Err(drive_error(
            StatusCode::BAD_REQUEST,
            "required",
            "Required parameter: pageToken",
            Some(("pageToken", "parameter")),
        ));
    };
    let mut acct = account.data();
    let scope = changes_scope(&acct, &q)?;
    let start = match token.parse::<u64>() {
        Ok(start)
            if start >= acct.drive_tokens_valid_from && start >= 1 && start <= acct.seq() + 1 =>
        {
            start
        }
        _ => return Err(invalid_parameter("pageToken", "Invalid Value")),
    };
    let mut picked: Vec<(u64, ItemIdx)> = Vec::new();
    let mut next = None;
    let end = acct.seq();
    for seq in start..=end {
        let record = &acct.log[(seq - 1) as usize];
        let item = acct.item(record.item);
        // Each file is reported once, at its latest change.
        if record.kind == crate::sandbox::state::ChangeKind::PathOnly
            || item.last_change != seq
            || !scope.admits(&acct, record.item)
        {
            continue;
        }
        if item.deleted && !include_removed {
            continue;
        }
        if picked.len() == size {
            next = Some(seq);
            break;
        }
        picked.push((seq, record.item));
    }
    let changes = picked
        .into_iter()
        .map(|(seq, idx)| {
            let time = util::rfc3339_millis(acct.log[(seq - 1) as usize].time_ms);
            let item = acct.item(idx);
            let drive = acct.drive(item.drive);
            let drive_id = (drive.kind == DriveKind::SharedDrive).then(|| drive.id.clone());
            let file_id = item.id.to_string();
            let removed = item.deleted;
            DriveChange {
                kind: "drive#change".into(),
                change_type: "file".into(),
                time,
                removed,
                file_id,
                file: (!removed && with_file)
                    .then(|| render_file(&mut acct, idx, &base, checksums)),
                drive_id,
            }
        })
        .collect();
    drop(acct);
    let body = DriveChangeList {
        kind: "drive#changeList".into(),
        next_page_token: next.map(|n| n.to_string()),
        new_start_page_token: next.is_none().then(|| (end + 1).to_string()),
        changes,
    };
    respond(&mask, &body)
}

fn render_shared_drive(acct: &Account, drive: DriveIdx) -> DriveSharedDrive {
    let d = acct.drive(drive);
    DriveSharedDrive {
        kind: "drive#drive".into(),
        id: d.id.clone(),
        name: d.name.clone(),
        created_time: Some(util::rfc3339_millis(d.created_ms)),
        hidden: Some(false),
    }
}

async fn drives_list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "drives.list", &headers).await?;
    let size = page_size(&q, 10, 100)?;
    let offset = match q.get("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => util::decode_token::<usize>(token)
            .ok_or_else(|| invalid_parameter("pageToken", "Invalid Value"))?,
    };
    let acct = account.data();
    let shared: Vec<DriveIdx> = (0..acct.drives.len() as DriveIdx)
        .filter(|&d| acct.drive(d).kind == DriveKind::SharedDrive)
        .collect();
    let drives =
        shared.iter().skip(offset).take(size).map(|&d| render_shared_drive(&acct, d)).collect();
    let next_page_token =
        (offset.saturating_add(size) < shared.len()).then(|| util::encode_token(&(offset + size)));
    drop(acct);
    let body = DriveSharedDriveList { kind: "drive#driveList".into(), next_page_token, drives };
    respond(&field_mask(&q, Schema::DriveList, "kind,nextPageToken,drives(kind,id,name)")?, &body)
}

async fn drives_get(
    State(sb): State<Sandbox>,
    Path(drive_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "drives.get", &headers).await?;
    let acct = account.data();
    let drive = shared_drive(&acct, &drive_id)?;
    let body = render_shared_drive(&acct, drive);
    drop(acct);
    respond(&field_mask(&q, Schema::Drive, "kind,id,name")?, &body)
}

async fn about_get(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "about.get", &headers).await?;
    if q.get("fields").is_none_or(|f| f.is_empty()) {
        return Err(drive_error(
            StatusCode::BAD_REQUEST,
            "required",
            "The 'fields' parameter is required for this method.",
            Some(("fields", "parameter")),
        ));
    }
    let acct = account.data();
    let used: u64 = acct.items.iter().filter(|i| !i.deleted).filter_map(|i| i.size()).sum();
    let export_formats_by_type: serde_json::Map<String, Value> =
        [GoogleApp::Document, GoogleApp::Spreadsheet, GoogleApp::Presentation]
            .into_iter()
            .map(|app| (app.mime().to_string(), serde_json::json!(export_formats(app))))
            .collect();
    let body = serde_json::json!({
        "kind": "drive#about",
        "user": user(&acct),
        "storageQuota": {
            "limit": "16106127360",
            "usage": used.to_string(),
            "usageInDrive": used.to_string(),
            "usageInDriveTrash": "0",
        },
        "canCreateDrives": true,
        "maxUploadSize": "5242880000000",
        "exportFormats": export_formats_by_type,
    });
    drop(acct);
    respond(&field_mask(&q, Schema::About, "*")?, &body)
}
