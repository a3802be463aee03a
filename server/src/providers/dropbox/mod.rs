//! Dropbox (provider id `dropbox`) through API v2.
//!
//! - [`DropboxFactory`]: OAuth only (offline access for a refresh token).
//! - [`DropboxProvider`]: remote ids are Dropbox's `id:…`, which every route
//!   used here accepts in place of a path; listings are `list_folder`
//!   (recursive when subfolders are included) and `continue` ([`lister`]);
//!   the change feed is `continue` from a `get_latest_cursor` taken before the
//!   listing that seeds it, one scope per selected folder, with a path → id map
//!   in the cursor to resolve deleted entries ([`changes`]); downloads stream
//!   `files/download`.
//! - [`core`]: requests and `parse_error`; [`model`]: the wire types.

pub mod changes;
pub mod core;
pub mod lister;
pub mod model;

use std::sync::Arc;

use app::model::{
    AuthType, Capabilities, EntryKind, FolderEntry, ProviderId, ProviderInfo, SourcePath,
};
use async_trait::async_trait;

use self::core::{DropboxCore, parse_error, remote_item};
use self::lister::{dropbox_continue, dropbox_list_folder};
use self::model::{DropboxAccount, DropboxEntry, DropboxPathArg};
use super::http::{HttpClient, RequestAuth, limited_stream};
use super::{
    AccountInfo, ByteStream, ChangePage, Credentials, ErrorKind, ListPage, Provider, ProviderAuth,
    ProviderContext, ProviderError, ProviderFactory, ProviderResult, RemoteItem, ScopeCursor,
    provider_info,
};

/// The `dropbox` provider kind.
#[derive(Debug, Clone)]
pub struct DropboxFactory {
    api_base: String,
    content_base: String,
}

impl DropboxFactory {
    /// `api_base` is `https://api.dropboxapi.com`, `content_base`
    /// `https://content.dropboxapi.com` (or the sandbox's).
    pub fn new(api_base: &str, content_base: &str) -> Self {
        Self { api_base: api_base.to_string(), content_base: content_base.to_string() }
    }
}

impl ProviderFactory for DropboxFactory {
    fn id(&self) -> ProviderId {
        ProviderId::Dropbox
    }

    fn info(&self) -> ProviderInfo {
        provider_info(
            ProviderId::Dropbox,
            "Files in your Dropbox, kept in sync with Dropbox's list_folder cursors.",
            &[AuthType::OAuth2],
            Capabilities {
                delta: true,
                reports_deletions: true,
                stable_ids: true,
                folder_counts: false,
                revocation: true,
                structured_content: false,
            },
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
            "Dropbox connections are made with \"Connect\" (OAuth), not with {} credentials",
            auth_type.as_str()
        ))
    }

    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>> {
        let ProviderAuth::OAuth { tokens, .. } = context.auth else {
            return Err(ProviderError::invalid("Dropbox connections need a Dropbox sign-in"));
        };
        let http = HttpClient::new(
            &context.http,
            ProviderId::Dropbox,
            context.connection_id.as_str(),
            RequestAuth::Bearer(tokens),
            parse_error,
        );
        Ok(Arc::new(DropboxProvider {
            core: DropboxCore::new(http, &self.api_base, &self.content_base),
        }))
    }
}

/// One Dropbox account.
pub struct DropboxProvider {
    core: DropboxCore,
}

#[async_trait]
impl Provider for DropboxProvider {
    fn id(&self) -> ProviderId {
        ProviderId::Dropbox
    }

    async fn test(&self) -> ProviderResult<AccountInfo> {
        let account: DropboxAccount =
            self.core.dropbox_rpc_no_arg("users/get_current_account").await?;
        let label = account
            .email
            .or_else(|| account.name.and_then(|n| n.display_name))
            .unwrap_or_else(|| "Dropbox account".to_string());
        Ok(AccountInfo { label })
    }

    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>> {
        let mut page = dropbox_list_folder(&self.core, parent.unwrap_or(""), false, false).await?;
        let mut entries = Vec::new();
        loop {
            for entry in std::mem::take(&mut page.entries) {
                let DropboxEntry::Folder(folder) = entry else { continue };
                let Some(path) = folder.path_display.or(folder.path_lower) else { continue };
                entries.push(FolderEntry {
                    remote_id: folder.id,
                    name: folder.name,
                    path,
                    kind: EntryKind::Folder,
                    selectable: true,
                    has_children: None,
                    file_count: None,
                    size: None,
                    modified_at: None,
                });
            }
            if !page.has_more {
                break;
            }
            page = dropbox_continue(&self.core, &page.cursor).await?;
        }
        entries.sort_by_key(|e| e.name.to_lowercase());
        Ok(entries)
    }

    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage> {
        lister::dropbox_list_page(&self.core, selection, page).await
    }

    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>> {
        changes::dropbox_start_cursors(&self.core, selection).await
    }

    async fn changes(
        &self,
        selection: &[SourcePath],
        scope: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage> {
        changes::dropbox_changes(&self.core, selection, scope, cursor).await
    }

    async fn download(&self, item: &RemoteItem, max_bytes: u64) -> ProviderResult<ByteStream> {
        let (metadata, response) = self.core.dropbox_download(&item.id).await?;
        if metadata.is_some_and(|m| m.size > max_bytes) {
            return Err(ProviderError::new(
                ErrorKind::TooLarge,
                format!("larger than the limit of {max_bytes} bytes"),
            ));
        }
        limited_stream(response, max_bytes)
    }

    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem> {
        let entry: DropboxEntry =
            self.core.dropbox_rpc("files/get_metadata", &DropboxPathArg { path: id }).await?;
        match entry {
            DropboxEntry::File(file) => remote_item(&file).ok_or_else(|| {
                ProviderError::new(ErrorKind::Unsupported, "this Dropbox file cannot be downloaded")
            }),
            DropboxEntry::Folder(folder) => Ok(RemoteItem {
                id: folder.id,
                path: folder.path_display.or(folder.path_lower).unwrap_or_default(),
                name: folder.name,
                is_folder: true,
                mime_type: "application/octet-stream".to_string(),
                size: 0,
                modified_at: None,
                version: None,
                web_url: None,
                metadata: serde_json::Map::new(),
            }),
            DropboxEntry::Deleted(_) | DropboxEntry::Other => {
                Err(ProviderError::not_found(format!("{id} is not in this Dropbox")))
            }
        }
    }
}
