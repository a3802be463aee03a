//! Google Drive (provider id `google_drive`), over the Drive v3 REST API.
//!
//! - [`GdriveFactory`]: OAuth 2.0 only; connects a [`GdriveProvider`] to the
//!   configured `api_base` (`https://www.googleapis.com`, or the sandbox).
//! - [`GdriveProvider`]: the folder picker (My Drive and every shared drive,
//!   then child folders), listings ([`lister`]: a breadth-first walk of the
//!   selected folder), the change feed ([`changes`]: `changes.list` per drive,
//!   filtered to the selection by a folder ancestry cache kept in the cursor),
//!   downloads (`alt=media` for blobs, `files.export` to text for Google Docs,
//!   Sheets and Slides) and metadata.
//! - [`core`]: requests, `fields` selectors and `parse_error`; [`model`]: the
//!   Drive resources and how Google-native files are exported.
//!
//! Every request goes through the shared HTTP layer (pacing, retries with
//! `Retry-After`, one token refresh on 401); nothing here retries.

pub mod changes;
pub mod core;
pub mod lister;
pub mod model;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::model::{
    AuthType, Capabilities, EntryKind, FolderEntry, ProviderId, ProviderInfo, SourcePath, Timestamp,
};
use async_trait::async_trait;
use tokio::sync::OnceCell;

use self::core::{
    FILE_FIELDS, FOLDER_LIST_FIELDS, GdriveCore, PARENT_FIELDS, join_path, parse_error,
    q_child_folders, remote_item,
};
use self::model::{GdriveFile, native_export};
use super::config::{ResolvedProvider, resolve};
use super::http::{HttpClient, RequestAuth, limited_stream};
use super::{
    AccountInfo, ByteStream, ChangePage, Credentials, ErrorKind, ListPage, Provider, ProviderAuth,
    ProviderContext, ProviderError, ProviderFactory, ProviderResult, RemoteItem, ScopeCursor,
    provider_info,
};
use crate::config::Settings;

/// Where My Drive's tree starts in paths.
pub const MY_DRIVE_PATH: &str = "/My Drive";
/// Where shared drives start in paths: `/Shared drives/Engineering/Specs`.
pub const SHARED_DRIVES_PATH: &str = "/Shared drives";
/// Items whose parent the user cannot see (shared with them directly).
const SHARED_WITH_ME_PATH: &str = "/Shared with me";
/// Deeper folder chains are cut short in paths (Drive allows 100 levels).
const MAX_DEPTH: usize = 100;

/// The `google_drive` provider kind.
#[derive(Debug, Clone)]
pub struct GdriveFactory {
    api_base: String,
}

impl GdriveFactory {
    pub fn new(resolved: &ResolvedProvider) -> Self {
        Self { api_base: resolved.api_base.clone() }
    }

    /// From the settings: documented defaults, the sandbox in demo mode, then
    /// `providers.google_drive.*`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(&resolve(settings, ProviderId::GoogleDrive))
    }

    /// Straight at an API origin (tests against a sandbox).
    pub fn with_api_base(api_base: &str) -> Self {
        Self { api_base: api_base.trim_end_matches('/').to_string() }
    }
}

fn capabilities() -> Capabilities {
    Capabilities {
        delta: true,
        reports_deletions: true,
        stable_ids: true,
        folder_counts: false,
        // Google's token revocation endpoint.
        revocation: true,
        structured_content: false,
    }
}

impl ProviderFactory for GdriveFactory {
    fn id(&self) -> ProviderId {
        ProviderId::GoogleDrive
    }

    fn info(&self) -> ProviderInfo {
        provider_info(
            ProviderId::GoogleDrive,
            "Files in My Drive and shared drives; Google Docs, Sheets and Slides are indexed as text.",
            &[AuthType::OAuth2],
            capabilities(),
            false,
            "Folders",
        )
    }

    fn parse_credentials(
        &self,
        auth_type: AuthType,
        _credentials: &serde_json::Value,
    ) -> Result<Credentials, String> {
        Err(format!(
            "Google Drive connections are made with \"Connect\" (OAuth 2.0), not with {} credentials",
            auth_type.as_str()
        ))
    }

    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>> {
        let ProviderAuth::OAuth { tokens, .. } = context.auth else {
            return Err(ProviderError::invalid("Google Drive connections use OAuth 2.0 tokens"));
        };
        if self.api_base.is_empty() {
            return Err(ProviderError::invalid("providers.google_drive.api_base is not set"));
        }
        let http = HttpClient::new(
            &context.http,
            ProviderId::GoogleDrive,
            context.connection_id.as_str(),
            RequestAuth::Bearer(tokens),
            parse_error,
        );
        Ok(Arc::new(GdriveProvider::new(GdriveCore::new(http, &self.api_base))))
    }
}

/// One Google Drive account.
pub struct GdriveProvider {
    core: GdriveCore,
    /// My Drive's root folder id (`root` resolved), asked once.
    root_id: OnceCell<String>,
    /// Shared drive names by id, for paths.
    drive_names: Mutex<HashMap<String, String>>,
}

impl GdriveProvider {
    pub fn new(core: GdriveCore) -> Self {
        Self { core, root_id: OnceCell::new(), drive_names: Mutex::default() }
    }

    async fn my_root_id(&self) -> ProviderResult<&str> {
        let id = self
            .root_id
            .get_or_try_init(|| async {
                Ok::<_, ProviderError>(self.core.gdrive_get("root", "id").await?.id)
            })
            .await?;
        Ok(id.as_str())
    }

    async fn drive_name(&self, drive_id: &str) -> ProviderResult<String> {
        if let Some(name) = self.drive_names.lock().unwrap_or_else(|e| e.into_inner()).get(drive_id)
        {
            return Ok(name.clone());
        }
        let drive = self.core.gdrive_drive(drive_id).await?;
        self.drive_names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(drive_id.to_string(), drive.name.clone());
        Ok(drive.name)
    }

    /// The human-readable path of an item: its ancestors up to My Drive, a
    /// shared drive, or the first ancestor the user cannot see.
    async fn path_of(&self, file: &GdriveFile) -> ProviderResult<String> {
        let mut names: Vec<String> = Vec::new();
        let mut current = file.clone();
        let prefix = loop {
            if names.len() >= MAX_DEPTH {
                break SHARED_WITH_ME_PATH.to_string();
            }
            let Some(parent) = current.parent().map(str::to_string) else {
                break self.top_path(&current, &mut names).await?;
            };
            names.push(current.name.clone());
            current = match self.core.gdrive_get(&parent, PARENT_FIELDS).await {
                Ok(parent) => parent,
                // A parent the user cannot see: the item was shared directly.
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::AccessDenied) => {
                    break SHARED_WITH_ME_PATH.to_string();
                }
                Err(e) => return Err(e),
            };
        };
        Ok(names.iter().rev().fold(prefix, |path, name| join_path(&path, name)))
    }

    /// The path of an item without a parent: My Drive's root, a shared
    /// drive's root, or something shared with the user (then part of `names`).
    async fn top_path(&self, top: &GdriveFile, names: &mut Vec<String>) -> ProviderResult<String> {
        if let Some(drive) = top.drive_id.as_deref().filter(|d| *d == top.id) {
            let name = self.drive_name(drive).await?;
            return Ok(join_path(SHARED_DRIVES_PATH, &name));
        }
        if top.drive_id.is_none() && top.id == self.my_root_id().await? {
            return Ok(MY_DRIVE_PATH.to_string());
        }
        names.push(top.name.clone());
        Ok(SHARED_WITH_ME_PATH.to_string())
    }

    /// Every shared drive the user can see, across pages.
    async fn shared_drives(&self) -> ProviderResult<Vec<model::GdriveDrive>> {
        let mut drives = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let listed = self.core.gdrive_drives(page.as_deref()).await?;
            drives.extend(listed.drives.into_iter().filter(|d| !d.id.is_empty()));
            match listed.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page = Some(next),
                None => return Ok(drives),
            }
        }
    }

    /// The folders directly inside `folder`, across pages.
    async fn child_folders(&self, folder: &GdriveFile) -> ProviderResult<Vec<GdriveFile>> {
        let q = q_child_folders(&folder.id)?;
        let mut folders = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let listed = self
                .core
                .gdrive_list(&q, folder.drive_id.as_deref(), FOLDER_LIST_FIELDS, page.as_deref())
                .await?;
            folders.extend(listed.files.into_iter().filter(|f| !f.id.is_empty()));
            match listed.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page = Some(next),
                None => return Ok(folders),
            }
        }
    }
}

fn drive_entry(remote_id: String, name: &str, path: String) -> FolderEntry {
    FolderEntry {
        remote_id,
        name: name.to_string(),
        path,
        kind: EntryKind::Drive,
        selectable: true,
        has_children: None,
        file_count: None,
        size: None,
        modified_at: None,
    }
}

#[async_trait]
impl Provider for GdriveProvider {
    fn id(&self) -> ProviderId {
        ProviderId::GoogleDrive
    }

    async fn test(&self) -> ProviderResult<AccountInfo> {
        let about = self.core.gdrive_about().await?;
        let user = about.user.unwrap_or_default();
        let label =
            user.email_address.or(user.display_name).filter(|l| !l.trim().is_empty()).ok_or_else(
                || ProviderError::parse("Google Drive did not say whose account this is"),
            )?;
        Ok(AccountInfo { label })
    }

    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>> {
        let Some(parent) = parent else {
            let (root, mut drives) = tokio::try_join!(self.my_root_id(), self.shared_drives())?;
            drives.sort_by_key(|d| d.name.to_lowercase());
            let mut entries = vec![drive_entry(root.to_string(), "My Drive", MY_DRIVE_PATH.into())];
            for drive in drives {
                let path = join_path(SHARED_DRIVES_PATH, &drive.name);
                self.drive_names
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(drive.id.clone(), drive.name.clone());
                entries.push(drive_entry(drive.id, &drive.name, path));
            }
            return Ok(entries);
        };
        let folder = self.core.gdrive_get(parent, PARENT_FIELDS).await?;
        if !folder.is_folder() {
            return Err(ProviderError::invalid("not a folder"));
        }
        let (path, children) =
            tokio::try_join!(self.path_of(&folder), self.child_folders(&folder))?;
        let mut entries: Vec<FolderEntry> = children
            .into_iter()
            .map(|child| FolderEntry {
                path: join_path(&path, &child.name),
                remote_id: child.id,
                name: child.name,
                kind: EntryKind::Folder,
                selectable: true,
                has_children: None,
                file_count: None,
                size: None,
                modified_at: child.modified_time.as_deref().and_then(Timestamp::parse),
            })
            .collect();
        entries.sort_by_key(|a| a.name.to_lowercase());
        Ok(entries)
    }

    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage> {
        lister::list_page(&self.core, selection, page).await
    }

    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>> {
        changes::start_cursors(&self.core, selection).await
    }

    async fn changes(
        &self,
        selection: &[SourcePath],
        scope: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage> {
        changes::changes(&self.core, selection, scope, cursor).await
    }

    async fn download(&self, item: &RemoteItem, max_bytes: u64) -> ProviderResult<ByteStream> {
        let native = item
            .metadata
            .get("google_mime_type")
            .and_then(|m| m.as_str())
            .or_else(|| model::is_native(&item.mime_type).then_some(item.mime_type.as_str()));
        let response = match native {
            None => self.core.gdrive_media(&item.id).await?,
            Some(native) => match native_export(native) {
                Some(export) => self.core.gdrive_export(&item.id, export).await?,
                None => {
                    return Err(ProviderError::new(
                        ErrorKind::Unsupported,
                        format!("Google Drive has no text export for {native}"),
                    ));
                }
            },
        };
        limited_stream(response, max_bytes)
    }

    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem> {
        let file = self.core.gdrive_get(id, FILE_FIELDS).await?;
        if file.trashed {
            return Err(ProviderError::not_found("the item is in the Google Drive trash"));
        }
        let path = self.path_of(&file).await?;
        Ok(remote_item(&file, path))
    }
}
