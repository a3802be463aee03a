//! The control surface tests, benchmarks and the demo use to shape the simulated clouds:
//! accounts, items (add / modify / rename / move / trash / delete), bulk generation, OAuth
//! clients, faults, token expiry and revocation, cursor invalidation and request counters.
//!
//! The same operations exist as Rust methods ([`SandboxAccount`]) and as JSON endpoints
//! under `/_control/...`. The control API has no authentication: it belongs to a sandbox
//! that is only mounted in demo mode and tests.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, extract::rejection::JsonRejection};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::accounts::AccountHandle;
use super::faults::{FaultConfig, RequestCounts};
use super::formats;
use super::oauth::{self, OAuthClient, TokenSet};
use super::seed::{self, GenerateOptions, GenerateReport, SeedManifest};
use super::state::{Account, Content, DriveKind, GoogleApp, ItemIdx, ItemKind, SandboxError};
use super::{Provider, Sandbox, util};

/// An item as the control API reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemInfo {
    pub id: String,
    pub name: String,
    /// The path below its drive's root (`/Projects/Apollo`).
    pub path: String,
    pub drive_id: String,
    pub parent_id: Option<String>,
    /// `folder`, `file`, `google_doc`, `google_sheet`, `google_slides` or `google_form`.
    pub kind: String,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub version: u64,
    pub trashed: bool,
    pub deleted: bool,
}

/// Control handle of one sandbox account.
#[derive(Clone)]
pub struct SandboxAccount {
    sandbox: Sandbox,
    handle: Arc<AccountHandle>,
}

impl SandboxAccount {
    pub(crate) fn new(sandbox: Sandbox, handle: Arc<AccountHandle>) -> Self {
        Self { sandbox, handle }
    }

    pub fn provider(&self) -> Provider {
        self.handle.key.provider
    }

    pub fn username(&self) -> &str {
        &self.handle.key.username
    }

    /// What the account was seeded with (`None` when `seed_accounts` is off).
    pub fn manifest(&self) -> Option<SeedManifest> {
        self.handle.data().manifest.clone()
    }

    /// The default drive's root folder id.
    pub fn root_id(&self) -> String {
        let acct = self.handle.data();
        acct.item(acct.drive(acct.default_drive()).root).id.to_string()
    }

    /// The default drive's id (Drive's My Drive root, the OneDrive id, Dropbox's namespace).
    pub fn drive_id(&self) -> String {
        let acct = self.handle.data();
        acct.drive(acct.default_drive()).id.clone()
    }

    /// The account id the provider reports (Drive permission id, Graph user id, Dropbox
    /// `dbid:`).
    pub fn account_id(&self) -> String {
        self.handle.data().profile.user_id.clone()
    }

    /// The current change-log position (every mutation advances it).
    pub fn change_position(&self) -> u64 {
        self.handle.data().seq()
    }

    fn now(&self) -> i64 {
        self.sandbox.now_ms()
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Account, i64) -> Result<T, SandboxError>,
    ) -> Result<T, SandboxError> {
        let now = self.now();
        f(&mut self.handle.data(), now)
    }

    pub fn item(&self, reference: &str) -> Option<ItemInfo> {
        let acct = self.handle.data();
        let idx = resolve(&acct, reference).ok()?;
        Some(info(&acct, idx))
    }

    /// A file's bytes (a Google Doc's text), as a download would return them.
    pub fn content(&self, reference: &str) -> Option<Vec<u8>> {
        let acct = self.handle.data();
        let idx = resolve(&acct, reference).ok()?;
        match &acct.item(idx).kind {
            ItemKind::File { content, .. } => Some(content.bytes().to_vec()),
            ItemKind::GoogleDoc { text, .. } => Some(text.as_bytes().to_vec()),
            ItemKind::Folder(_) => None,
        }
    }

    pub fn add_folder(&self, parent: &str, name: &str) -> Result<ItemInfo, SandboxError> {
        self.with(|acct, now| {
            let parent = resolve(acct, parent)?;
            let idx = acct.insert(parent, name, seed::new_folder(), now, now)?;
            Ok(info(acct, idx))
        })
    }

    /// Adds a file; its MIME type follows the extension.
    pub fn add_file(
        &self,
        parent: &str,
        name: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<ItemInfo, SandboxError> {
        self.add_file_with_mime(parent, name, bytes, formats::mime_for_name(name))
    }

    pub fn add_file_with_mime(
        &self,
        parent: &str,
        name: &str,
        bytes: impl Into<Vec<u8>>,
        mime: &str,
    ) -> Result<ItemInfo, SandboxError> {
        let bytes = bytes.into();
        self.with(|acct, now| {
            let parent = resolve(acct, parent)?;
            let kind = ItemKind::File {
                mime: Cow::Owned(mime.to_string()),
                content: Content::Bytes(bytes.into()),
            };
            let idx = acct.insert(parent, name, kind, now, now)?;
            Ok(info(acct, idx))
        })
    }

    /// Adds a native Google Doc (Google accounts only); paragraphs are separated by `\n`.
    pub fn add_google_doc(
        &self,
        parent: &str,
        name: &str,
        text: &str,
    ) -> Result<ItemInfo, SandboxError> {
        self.add_google_file(parent, name, GoogleApp::Document, text)
    }

    /// Adds a Google-native file (Google accounts only): for Docs and Slides `text` holds
    /// paragraphs separated by `\n`, for Sheets the first sheet as CSV rows.
    pub fn add_google_file(
        &self,
        parent: &str,
        name: &str,
        app: GoogleApp,
        text: &str,
    ) -> Result<ItemInfo, SandboxError> {
        if self.provider() != Provider::Google {
            return Err(SandboxError::Invalid(
                "Google-native files exist only in Google accounts".into(),
            ));
        }
        self.with(|acct, now| {
            let parent = resolve(acct, parent)?;
            let idx = acct.insert(
                parent,
                name,
                ItemKind::GoogleDoc { app, text: text.into() },
                now,
                now,
            )?;
            Ok(info(acct, idx))
        })
    }

    /// Replaces a file's bytes (or a Google Doc's text).
    pub fn set_content(
        &self,
        item: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<ItemInfo, SandboxError> {
        let bytes = bytes.into();
        self.with(|acct, now| {
            let idx = resolve(acct, item)?;
            acct.set_content(idx, bytes, None, now)?;
            Ok(info(acct, idx))
        })
    }

    pub fn rename(&self, item: &str, name: &str) -> Result<ItemInfo, SandboxError> {
        self.with(|acct, now| {
            let idx = resolve(acct, item)?;
            acct.rename(idx, name, now)?;
            Ok(info(acct, idx))
        })
    }

    pub fn move_item(&self, item: &str, new_parent: &str) -> Result<ItemInfo, SandboxError> {
        self.with(|acct, now| {
            let idx = resolve(acct, item)?;
            let parent = resolve(acct, new_parent)?;
            acct.move_to(idx, parent, now)?;
            Ok(info(acct, idx))
        })
    }

    /// Moves to the trash (Drive); elsewhere the providers' APIs only see a deletion.
    pub fn trash(&self, item: &str) -> Result<(), SandboxError> {
        self.with(|acct, now| acct.trash(resolve(acct, item)?, now))
    }

    pub fn untrash(&self, item: &str) -> Result<ItemInfo, SandboxError> {
        self.with(|acct, now| {
            let idx = resolve(acct, item)?;
            acct.untrash(idx, now)?;
            Ok(info(acct, idx))
        })
    }

    /// Deletes permanently (with everything below it).
    pub fn delete(&self, item: &str) -> Result<(), SandboxError> {
        self.with(|acct, now| acct.delete(resolve(acct, item)?, now))
    }

    /// Adds `count` generated text / Markdown files below `folder`.
    pub fn generate(
        &self,
        folder: &str,
        count: usize,
        options: &GenerateOptions,
    ) -> Result<GenerateReport, SandboxError> {
        self.with(|acct, now| {
            let folder = resolve(acct, folder)?;
            seed::generate(acct, folder, count, options, now)
        })
    }

    /// A new Google shared drive, or a SharePoint site with a "Documents" library; returns
    /// the new drive's id.
    pub fn add_shared_drive(&self, name: &str) -> Result<String, SandboxError> {
        self.with(|acct, now| {
            let drive = match acct.provider {
                Provider::Google => acct.add_drive(name, DriveKind::SharedDrive, None, now),
                Provider::Microsoft => {
                    let site = acct.add_site(name, name, &["Documents"], now);
                    acct.sites[site].drives[0]
                }
                Provider::Dropbox | Provider::Atlassian => {
                    return Err(SandboxError::Invalid(format!(
                        "{} has no shared drives",
                        acct.provider.brand()
                    )));
                }
            };
            Ok(acct.drive(drive).id.clone())
        })
    }

    /// Replaces the account's faults (and reseeds their RNG).
    pub fn set_faults(&self, faults: FaultConfig) {
        self.handle.faults().set(faults);
    }

    /// Removes every fault and releases hanging requests.
    pub fn clear_faults(&self) {
        let mut faults = self.handle.faults();
        faults.set(FaultConfig::default());
        self.handle.release.notify_waiters();
    }

    pub fn faults(&self) -> FaultConfig {
        self.handle.faults().config.clone()
    }

    /// Expires every access token of the account now (refresh tokens keep working).
    pub fn expire_tokens(&self) -> usize {
        util::lock(&self.sandbox.inner.oauth).expire_account(&self.handle.key, self.now())
    }

    /// Revokes every access and refresh token of the account.
    pub fn revoke_tokens(&self) -> usize {
        util::lock(&self.sandbox.inner.oauth).revoke_account(&self.handle.key)
    }

    /// Invalidates every page token, delta link and cursor issued so far: Drive rejects the
    /// page token (400), Graph answers 410 `resyncRequired`, Dropbox answers `reset`.
    pub fn invalidate_cursors(&self) {
        self.handle.data().invalidate_cursors();
    }

    pub fn request_counts(&self) -> RequestCounts {
        self.handle.counters().clone()
    }

    pub fn reset_request_counts(&self) {
        *self.handle.counters() = RequestCounts::default();
    }

    /// Mints an access token and a refresh token for `client_id` without the browser flow.
    pub fn issue_tokens(&self, client_id: &str) -> TokenSet {
        oauth::issue_direct(&self.sandbox, &self.handle.key, client_id, true)
    }
}

/// An item reference: `root` (or empty) for the default drive's root, a `/path` in the
/// default drive (case-insensitive), or a provider id.
fn resolve(acct: &Account, reference: &str) -> Result<ItemIdx, SandboxError> {
    let root = acct.drive(acct.default_drive()).root;
    if reference.is_empty() || reference == "root" || reference == "/" {
        return Ok(root);
    }
    if let Some(path) = reference.strip_prefix('/') {
        let mut current = root;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            let lower = segment.to_lowercase();
            current = acct
                .live_children(current)
                .find(|&c| acct.item(c).name.to_lowercase() == lower)
                .ok_or_else(|| SandboxError::NotFound(reference.to_string()))?;
        }
        return Ok(current);
    }
    acct.find_live(reference).ok_or_else(|| SandboxError::NotFound(reference.to_string()))
}

fn info(acct: &Account, idx: ItemIdx) -> ItemInfo {
    let item = acct.item(idx);
    let (kind, mime) = match &item.kind {
        ItemKind::Folder(_) => ("folder", None),
        ItemKind::File { mime, .. } => ("file", Some(mime.to_string())),
        ItemKind::GoogleDoc { app, .. } => (app.kind(), Some(app.mime().to_string())),
    };
    ItemInfo {
        id: item.id.to_string(),
        name: item.name.to_string(),
        path: acct.path(idx),
        drive_id: acct.drive(item.drive).id.clone(),
        parent_id: item.parent.map(|p| acct.item(p).id.to_string()),
        kind: kind.to_string(),
        mime_type: mime,
        size: item.size(),
        version: item.version,
        trashed: item.trashed,
        deleted: item.deleted,
    }
}

// ---------------------------------------------------------------------------------------
// JSON endpoints.

pub(crate) fn routes() -> Router<Sandbox> {
    const ACCOUNT: &str = "/_control/accounts/{provider}/{username}";
    Router::new()
        .route("/_control/clients", post(register_client))
        .route("/_control/clock/advance", post(advance_clock))
        .route("/_control/accounts", post(create_account))
        .route(ACCOUNT, get(get_account))
        .route(&format!("{ACCOUNT}/items"), post(add_item))
        .route(&format!("{ACCOUNT}/items/{{item}}"), get(get_item).delete(delete_item))
        .route(&format!("{ACCOUNT}/items/{{item}}/content"), put(set_item_content))
        .route(&format!("{ACCOUNT}/items/{{item}}/rename"), post(rename_item))
        .route(&format!("{ACCOUNT}/items/{{item}}/move"), post(move_item))
        .route(&format!("{ACCOUNT}/items/{{item}}/trash"), post(trash_item))
        .route(&format!("{ACCOUNT}/items/{{item}}/untrash"), post(untrash_item))
        .route(&format!("{ACCOUNT}/generate"), post(generate))
        .route(&format!("{ACCOUNT}/shared-drives"), post(add_shared_drive))
        .route(&format!("{ACCOUNT}/faults"), get(get_faults).put(put_faults).delete(clear_faults))
        .route(&format!("{ACCOUNT}/expire-tokens"), post(expire_tokens))
        .route(&format!("{ACCOUNT}/revoke-tokens"), post(revoke_tokens))
        .route(&format!("{ACCOUNT}/invalidate-cursors"), post(invalidate_cursors))
        .route(&format!("{ACCOUNT}/requests"), get(get_requests).delete(reset_requests))
        .route(&format!("{ACCOUNT}/tokens"), post(issue_tokens))
}

/// `{"error": {"code", "message"}}`, the app's error shape.
struct ControlError(StatusCode, String, String);

impl From<SandboxError> for ControlError {
    fn from(error: SandboxError) -> Self {
        let (status, code) = match &error {
            SandboxError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            SandboxError::NameConflict(_) => (StatusCode::CONFLICT, "name_conflict"),
            SandboxError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
        };
        ControlError(status, code.to_string(), error.to_string())
    }
}

impl From<JsonRejection> for ControlError {
    fn from(rejection: JsonRejection) -> Self {
        ControlError(StatusCode::BAD_REQUEST, "invalid_json".into(), rejection.body_text())
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": {"code": self.1, "message": self.2}}))).into_response()
    }
}

type ControlResult = Result<Response, ControlError>;

fn ok<T: Serialize>(body: T) -> ControlResult {
    Ok(Json(body).into_response())
}

fn account(sb: &Sandbox, provider: &str, username: &str) -> Result<SandboxAccount, ControlError> {
    Ok(sb.account(provider.parse()?, username)?)
}

#[derive(Deserialize)]
struct AccountPath {
    provider: String,
    username: String,
}

#[derive(Deserialize)]
struct ItemPath {
    provider: String,
    username: String,
    item: String,
}

async fn register_client(
    State(sb): State<Sandbox>,
    body: Result<Json<OAuthClient>, JsonRejection>,
) -> ControlResult {
    let Json(client) = body?;
    sb.register_client(client.clone());
    Ok((StatusCode::CREATED, Json(client)).into_response())
}

#[derive(Deserialize)]
struct AdvanceClock {
    seconds: u64,
}

async fn advance_clock(
    State(sb): State<Sandbox>,
    body: Result<Json<AdvanceClock>, JsonRejection>,
) -> ControlResult {
    let Json(advance) = body?;
    sb.advance_clock(Duration::from_secs(advance.seconds));
    ok(json!({"now_ms": sb.now_ms()}))
}

#[derive(Deserialize)]
struct CreateAccount {
    provider: String,
    username: String,
}

#[derive(Serialize)]
struct AccountSummary {
    provider: Provider,
    username: String,
    account_id: String,
    root_id: String,
    drive_id: String,
    change_position: u64,
    manifest: Option<SeedManifest>,
}

fn summary(account: &SandboxAccount) -> AccountSummary {
    AccountSummary {
        provider: account.provider(),
        username: account.username().to_string(),
        account_id: account.account_id(),
        root_id: account.root_id(),
        drive_id: account.drive_id(),
        change_position: account.change_position(),
        manifest: account.manifest(),
    }
}

async fn create_account(
    State(sb): State<Sandbox>,
    body: Result<Json<CreateAccount>, JsonRejection>,
) -> ControlResult {
    let Json(create) = body?;
    let account = account(&sb, &create.provider, &create.username)?;
    Ok((StatusCode::CREATED, Json(summary(&account))).into_response())
}

async fn get_account(State(sb): State<Sandbox>, Path(p): Path<AccountPath>) -> ControlResult {
    ok(summary(&account(&sb, &p.provider, &p.username)?))
}

#[derive(Deserialize)]
struct NewItem {
    parent: String,
    name: String,
    /// `folder`, `file` (default), `google_doc`, `google_sheet` (content: CSV rows),
    /// `google_slides` or `google_form`.
    #[serde(default)]
    kind: Option<String>,
    /// Text content, or `content_base64` for bytes.
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
}

fn content_bytes(text: Option<String>, base64: Option<String>) -> Result<Vec<u8>, ControlError> {
    match (text, base64) {
        (_, Some(encoded)) => STANDARD.decode(encoded.trim()).map_err(|_| {
            ControlError(
                StatusCode::BAD_REQUEST,
                "invalid".into(),
                "content_base64 is not base64".into(),
            )
        }),
        (Some(text), None) => Ok(text.into_bytes()),
        (None, None) => Ok(Vec::new()),
    }
}

async fn add_item(
    State(sb): State<Sandbox>,
    Path(p): Path<AccountPath>,
    body: Result<Json<NewItem>, JsonRejection>,
) -> ControlResult {
    let Json(new) = body?;
    let account = account(&sb, &p.provider, &p.username)?;
    let created = match new.kind.as_deref().unwrap_or("file") {
        "folder" => account.add_folder(&new.parent, &new.name)?,
        "file" => {
            let bytes = content_bytes(new.content, new.content_base64)?;
            let mime =
                new.mime_type.unwrap_or_else(|| formats::mime_for_name(&new.name).to_string());
            account.add_file_with_mime(&new.parent, &new.name, bytes, &mime)?
        }
        other => match GoogleApp::from_kind(other) {
            Some(app) => account.add_google_file(
                &new.parent,
                &new.name,
                app,
                &new.content.unwrap_or_default(),
            )?,
            None => return Err(SandboxError::Invalid(format!("unknown kind {other:?}")).into()),
        },
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn get_item(State(sb): State<Sandbox>, Path(p): Path<ItemPath>) -> ControlResult {
    let account = account(&sb, &p.provider, &p.username)?;
    ok(account.item(&p.item).ok_or(SandboxError::NotFound(p.item))?)
}

#[derive(Deserialize)]
struct NewContentBody {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
}

async fn set_item_content(
    State(sb): State<Sandbox>,
    Path(p): Path<ItemPath>,
    body: Result<Json<NewContentBody>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let bytes = content_bytes(body.content, body.content_base64)?;
    ok(account(&sb, &p.provider, &p.username)?.set_content(&p.item, bytes)?)
}

#[derive(Deserialize)]
struct Rename {
    name: String,
}

async fn rename_item(
    State(sb): State<Sandbox>,
    Path(p): Path<ItemPath>,
    body: Result<Json<Rename>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    ok(account(&sb, &p.provider, &p.username)?.rename(&p.item, &body.name)?)
}

#[derive(Deserialize)]
struct Move {
    parent: String,
}

async fn move_item(
    State(sb): State<Sandbox>,
    Path(p): Path<ItemPath>,
    body: Result<Json<Move>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    ok(account(&sb, &p.provider, &p.username)?.move_item(&p.item, &body.parent)?)
}

async fn trash_item(State(sb): State<Sandbox>, Path(p): Path<ItemPath>) -> ControlResult {
    account(&sb, &p.provider, &p.username)?.trash(&p.item)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn untrash_item(State(sb): State<Sandbox>, Path(p): Path<ItemPath>) -> ControlResult {
    ok(account(&sb, &p.provider, &p.username)?.untrash(&p.item)?)
}

async fn delete_item(State(sb): State<Sandbox>, Path(p): Path<ItemPath>) -> ControlResult {
    account(&sb, &p.provider, &p.username)?.delete(&p.item)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct Generate {
    folder: String,
    count: usize,
    #[serde(default)]
    options: GenerateOptions,
}

async fn generate(
    State(sb): State<Sandbox>,
    Path(p): Path<AccountPath>,
    body: Result<Json<Generate>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let account = account(&sb, &p.provider, &p.username)?;
    // 100,000 inserts take a moment; keep them off the async workers.
    let report = tokio::task::spawn_blocking(move || {
        account.generate(&body.folder, body.count, &body.options)
    })
    .await
    .map_err(|e| {
        ControlError(StatusCode::INTERNAL_SERVER_ERROR, "internal".into(), e.to_string())
    })??;
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

#[derive(Deserialize)]
struct SharedDrive {
    name: String,
}

async fn add_shared_drive(
    State(sb): State<Sandbox>,
    Path(p): Path<AccountPath>,
    body: Result<Json<SharedDrive>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let id = account(&sb, &p.provider, &p.username)?.add_shared_drive(&body.name)?;
    Ok((StatusCode::CREATED, Json(json!({"drive_id": id}))).into_response())
}

async fn get_faults(State(sb): State<Sandbox>, Path(p): Path<AccountPath>) -> ControlResult {
    ok(account(&sb, &p.provider, &p.username)?.faults())
}

async fn put_faults(
    State(sb): State<Sandbox>,
    Path(p): Path<AccountPath>,
    body: Result<Json<FaultConfig>, JsonRejection>,
) -> ControlResult {
    let Json(faults) = body?;
    let account = account(&sb, &p.provider, &p.username)?;
    account.set_faults(faults);
    ok(account.faults())
}

async fn clear_faults(State(sb): State<Sandbox>, Path(p): Path<AccountPath>) -> ControlResult {
    account(&sb, &p.provider, &p.username)?.clear_faults();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn expire_tokens(State(sb): State<Sandbox>, Path(p): Path<AccountPath>) -> ControlResult {
    ok(json!({"expired": account(&sb, &p.provider, &p.username)?.expire_tokens()}))
}

async fn revoke_tokens(State(sb): State<Sandbox>, Path(p): Path<AccountPath>) -> ControlResult {
    ok(json!({"revoked": account(&sb, &p.provider, &p.username)?.revoke_tokens()}))
}

async fn invalidate_cursors(
    State(sb): State<Sandbox>,
    Path(p): Path<AccountPath>,
) -> ControlResult {
    account(&sb, &p.provider, &p.username)?.invalidate_cursors();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn get_requests(State(sb): State<Sandbox>, Path(p): Path<AccountPath>) -> ControlResult {
    ok(account(&sb, &p.provider, &p.username)?.request_counts())
}

async fn reset_requests(State(sb): State<Sandbox>, Path(p): Path<AccountPath>) -> ControlResult {
    account(&sb, &p.provider, &p.username)?.reset_request_counts();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct IssueTokens {
    client_id: String,
}

async fn issue_tokens(
    State(sb): State<Sandbox>,
    Path(p): Path<AccountPath>,
    body: Result<Json<IssueTokens>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    ok(account(&sb, &p.provider, &p.username)?.issue_tokens(&body.client_id))
}
