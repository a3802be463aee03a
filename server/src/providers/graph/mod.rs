//! OneDrive (`onedrive`) and SharePoint (`sharepoint`) through Microsoft Graph:
//! one implementation, two factories.
//!
//! - [`GraphFactory`]: OAuth only; OneDrive browses the user's drive,
//!   SharePoint browses sites → document libraries → folders.
//! - [`GraphProvider`]: remote ids name a drive and an item
//!   (`<driveId>!<itemId>`, [`core::ItemRef`]), so any item is addressable
//!   whatever drive it is in; listings walk `children` ([`lister`]); the change
//!   feed is `delta`, one scope per drive, filtered to the selection through a
//!   folder map kept in the cursor ([`changes`]); downloads follow the 302 of
//!   `/content` without our token.
//! - [`core`]: requests and `parse_error`; [`model`]: the wire types.

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
    CHILDREN_PAGE_SIZE, GraphCore, ItemRef, encode_id, join_path, parent_path, parse_error,
    remote_item,
};
use self::model::{GraphDrive, GraphItem, GraphSite, GraphUser};
use super::http::{HttpClient, RequestAuth, limited_stream};
use super::{
    AccountInfo, ByteStream, ChangePage, Credentials, ListPage, Provider, ProviderAuth,
    ProviderContext, ProviderError, ProviderFactory, ProviderResult, RemoteItem, ScopeCursor,
    provider_info,
};

/// Where a Graph connection browses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GraphFlavor {
    /// The signed-in user's drive (`/me/drive`).
    OneDrive,
    /// SharePoint sites and their document libraries.
    SharePoint,
}

/// The `onedrive` and `sharepoint` provider kinds.
pub struct GraphFactory {
    flavor: GraphFlavor,
    api_base: String,
    /// API requests follow no redirects: a 302 must never carry our token on.
    no_redirects: reqwest::Client,
}

impl GraphFactory {
    /// `api_base` is `https://graph.microsoft.com` (or a national cloud, or the sandbox).
    pub fn onedrive(api_base: &str) -> Result<Self, reqwest::Error> {
        Self::new(GraphFlavor::OneDrive, api_base)
    }

    pub fn sharepoint(api_base: &str) -> Result<Self, reqwest::Error> {
        Self::new(GraphFlavor::SharePoint, api_base)
    }

    fn new(flavor: GraphFlavor, api_base: &str) -> Result<Self, reqwest::Error> {
        let no_redirects = super::http::HttpDeps::default_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { flavor, api_base: api_base.trim_end_matches('/').to_string(), no_redirects })
    }

    /// How long a request on the redirect-less client (downloads) may receive nothing,
    /// like the shared client's `sync.request_timeout_secs`.
    pub fn with_read_timeout(
        mut self,
        timeout: std::time::Duration,
    ) -> Result<Self, reqwest::Error> {
        self.no_redirects = super::http::HttpDeps::default_client_builder()
            .read_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(self)
    }

    fn provider_id(&self) -> ProviderId {
        match self.flavor {
            GraphFlavor::OneDrive => ProviderId::OneDrive,
            GraphFlavor::SharePoint => ProviderId::SharePoint,
        }
    }
}

fn capabilities() -> Capabilities {
    Capabilities {
        delta: true,
        reports_deletions: true,
        stable_ids: true,
        // `folder.childCount` comes with every folder.
        folder_counts: true,
        // Microsoft has no revocation endpoint for these tokens.
        revocation: false,
        structured_content: false,
    }
}

impl ProviderFactory for GraphFactory {
    fn id(&self) -> ProviderId {
        self.provider_id()
    }

    fn info(&self) -> ProviderInfo {
        match self.flavor {
            GraphFlavor::OneDrive => provider_info(
                ProviderId::OneDrive,
                "Files in your OneDrive, kept in sync with Microsoft Graph delta.",
                &[AuthType::OAuth2],
                capabilities(),
                false,
                "Folders",
            ),
            GraphFlavor::SharePoint => provider_info(
                ProviderId::SharePoint,
                "Document libraries of your SharePoint sites, kept in sync with Microsoft Graph delta.",
                &[AuthType::OAuth2],
                capabilities(),
                false,
                "Sites",
            ),
        }
    }

    fn parse_credentials(
        &self,
        auth_type: AuthType,
        _credentials: &serde_json::Value,
    ) -> Result<Credentials, String> {
        Err(format!(
            "{} connections are made with \"Connect\" (OAuth), not with {} credentials",
            self.provider_id().display_name(),
            auth_type.as_str()
        ))
    }

    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>> {
        let id = self.provider_id();
        let ProviderAuth::OAuth { tokens, .. } = context.auth else {
            return Err(ProviderError::invalid(format!(
                "{} connections need a Microsoft sign-in",
                id.display_name()
            )));
        };
        let account = context.connection_id.as_str();
        let api =
            HttpClient::new(&context.http, id, account, RequestAuth::Bearer(tokens), parse_error)
                .with_client(self.no_redirects.clone());
        let download = HttpClient::new(&context.http, id, account, RequestAuth::None, parse_error);
        Ok(Arc::new(GraphProvider {
            id,
            flavor: self.flavor,
            core: GraphCore::new(api, download, &self.api_base)?,
            prefixes: Mutex::default(),
            my_drive: OnceCell::new(),
        }))
    }
}

/// One Microsoft account, as OneDrive or as SharePoint.
pub struct GraphProvider {
    id: ProviderId,
    flavor: GraphFlavor,
    core: GraphCore,
    /// Drive id → what paths in it start with (`/Site/Library` on SharePoint).
    prefixes: Mutex<HashMap<String, String>>,
    my_drive: OnceCell<String>,
}

impl GraphProvider {
    pub fn core(&self) -> &GraphCore {
        &self.core
    }

    async fn my_drive_id(&self) -> ProviderResult<String> {
        self.my_drive
            .get_or_try_init(|| async {
                let drive: GraphDrive = self.core.graph_get("/me/drive").await?;
                Ok(drive.id)
            })
            .await
            .cloned()
    }

    /// What the human-readable paths of a drive start with: nothing on
    /// OneDrive, `/<site>/<library>` on SharePoint.
    async fn prefix(&self, drive: &str) -> ProviderResult<String> {
        if self.flavor == GraphFlavor::OneDrive {
            return Ok(String::new());
        }
        if let Some(known) = self.prefixes.lock().unwrap_or_else(|e| e.into_inner()).get(drive) {
            return Ok(known.clone());
        }
        let (drive_path, root_path) =
            (format!("/drives/{}", encode_id(drive)), ItemRef::new(drive, "root").path());
        let (library, root) = futures::try_join!(
            self.core.graph_get::<GraphDrive>(&drive_path),
            self.core.graph_get::<GraphItem>(&root_path),
        )?;
        let site = match root.parent_reference.and_then(|r| r.site_id) {
            Some(site) => Some(
                self.core.graph_get::<GraphSite>(&format!("/sites/{}", encode_id(&site))).await?,
            ),
            None => None,
        };
        let library = library.name.unwrap_or(library.id);
        let prefix = match site {
            Some(site) => format!("/{}/{library}", site.label()),
            None => format!("/{library}"),
        };
        self.remember_prefix(drive, &prefix);
        Ok(prefix)
    }

    fn remember_prefix(&self, drive: &str, prefix: &str) {
        self.prefixes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(drive.to_string(), prefix.to_string());
    }

    /// Folder entries for the picker from a folder's children.
    async fn folder_entries(
        &self,
        parent: Option<&ItemRef>,
        children: Vec<GraphItem>,
    ) -> ProviderResult<Vec<FolderEntry>> {
        let folders: Vec<GraphItem> =
            children.into_iter().filter(|c| c.folder.is_some() && !c.is_deleted()).collect();
        let mut entries = Vec::with_capacity(folders.len());
        // Asked for at most once, when the answer lacks `parentReference.path`.
        let mut parent_base: Option<String> = None;
        for folder in folders {
            let (Some(id), Some(name)) = (folder.id.clone(), folder.name.clone()) else { continue };
            let drive = match folder.parent_reference.as_ref().and_then(|r| r.drive_id.clone()) {
                Some(drive) => drive,
                None => match parent {
                    Some(parent) => parent.drive.clone(),
                    None => self.my_drive_id().await?,
                },
            };
            let prefix = self.prefix(&drive).await?;
            let base = match (parent_path(&folder), parent) {
                (Some(path), _) => path,
                (None, None) => String::new(),
                (None, Some(parent)) => match &parent_base {
                    Some(base) => base.clone(),
                    None => {
                        let base = self.drive_path(parent).await?;
                        parent_base = Some(base.clone());
                        base
                    }
                },
            };
            let count = folder.folder.as_ref().and_then(|f| f.child_count);
            entries.push(FolderEntry {
                remote_id: ItemRef::new(&drive, &id).encode(),
                path: format!("{prefix}{}", join_path(&base, &name)),
                name,
                kind: EntryKind::Folder,
                selectable: true,
                has_children: (count == Some(0)).then_some(false),
                file_count: count,
                size: folder.size,
                modified_at: folder.last_modified_date_time.as_deref().and_then(Timestamp::parse),
            });
        }
        entries.sort_by_key(|e| e.name.to_lowercase());
        Ok(entries)
    }

    /// The drive-relative path of a folder (`""` for the root).
    async fn drive_path(&self, item: &ItemRef) -> ProviderResult<String> {
        let folder: GraphItem = self.core.graph_get(&item.path()).await?;
        if folder.root.is_some() {
            return Ok(String::new());
        }
        let parent = parent_path(&folder).unwrap_or_default();
        Ok(join_path(&parent, folder.name.as_deref().unwrap_or_default()))
    }

    async fn sites(&self) -> ProviderResult<Vec<FolderEntry>> {
        let sites: Vec<GraphSite> = self.core.graph_all("/sites?search=*").await?;
        let mut entries: Vec<FolderEntry> = sites
            .into_iter()
            .map(|site| {
                let label = site.label();
                FolderEntry {
                    remote_id: format!("site:{}", site.id),
                    path: format!("/{label}"),
                    name: label,
                    kind: EntryKind::Site,
                    selectable: false,
                    has_children: Some(true),
                    file_count: None,
                    size: None,
                    modified_at: site.last_modified_date_time.as_deref().and_then(Timestamp::parse),
                }
            })
            .collect();
        entries.sort_by_key(|e| e.name.to_lowercase());
        Ok(entries)
    }

    async fn libraries(&self, site_id: &str) -> ProviderResult<Vec<FolderEntry>> {
        let site_path = format!("/sites/{}", encode_id(site_id));
        let drives_path = format!("{site_path}/drives");
        let (site, drives) = futures::try_join!(
            self.core.graph_get::<GraphSite>(&site_path),
            self.core.graph_all::<GraphDrive>(&drives_path),
        )?;
        let site = site.label();
        let mut entries: Vec<FolderEntry> = drives
            .into_iter()
            .map(|drive| {
                let name = drive.name.clone().unwrap_or_else(|| drive.id.clone());
                let path = format!("/{site}/{name}");
                self.remember_prefix(&drive.id, &path);
                FolderEntry {
                    remote_id: ItemRef::new(&drive.id, "root").encode(),
                    name,
                    path,
                    kind: EntryKind::Drive,
                    selectable: true,
                    has_children: None,
                    file_count: None,
                    size: None,
                    modified_at: drive
                        .last_modified_date_time
                        .as_deref()
                        .and_then(Timestamp::parse),
                }
            })
            .collect();
        entries.sort_by_key(|e| e.name.to_lowercase());
        Ok(entries)
    }
}

fn not_a_folder(id: &str) -> ProviderError {
    ProviderError::not_found(format!("{id:?} is not a OneDrive or SharePoint item"))
}

#[async_trait]
impl Provider for GraphProvider {
    fn id(&self) -> ProviderId {
        self.id
    }

    async fn test(&self) -> ProviderResult<AccountInfo> {
        let me: GraphUser = self.core.graph_get("/me").await?;
        let label = me
            .user_principal_name
            .or(me.mail)
            .or(me.display_name)
            .unwrap_or_else(|| "Microsoft account".to_string());
        Ok(AccountInfo { label })
    }

    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>> {
        match (self.flavor, parent) {
            (GraphFlavor::OneDrive, None) => {
                let children = self
                    .core
                    .graph_all(&format!("/me/drive/root/children?$top={CHILDREN_PAGE_SIZE}"))
                    .await?;
                self.folder_entries(None, children).await
            }
            (GraphFlavor::SharePoint, None) => self.sites().await,
            (GraphFlavor::SharePoint, Some(site)) if site.starts_with("site:") => {
                self.libraries(&site["site:".len()..]).await
            }
            (_, Some(parent)) => {
                let folder = ItemRef::parse(parent).ok_or_else(|| not_a_folder(parent))?;
                let children = self.core.graph_all_children(&folder).await?;
                self.folder_entries(Some(&folder), children).await
            }
        }
    }

    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage> {
        lister::graph_list_page(&self.core, selection, page).await
    }

    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>> {
        changes::graph_start_cursors(&self.core, selection).await
    }

    async fn changes(
        &self,
        selection: &[SourcePath],
        scope: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage> {
        changes::graph_changes(&self.core, selection, scope, cursor).await
    }

    async fn download(&self, item: &RemoteItem, max_bytes: u64) -> ProviderResult<ByteStream> {
        let file = ItemRef::parse(&item.id).ok_or_else(|| not_a_folder(&item.id))?;
        let response = self.core.graph_content(&file).await?;
        limited_stream(response, max_bytes)
    }

    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem> {
        if id.starts_with("site:") {
            return Err(ProviderError::not_found(
                "a SharePoint site is not a folder: choose one of its document libraries",
            ));
        }
        let target = ItemRef::parse(id).ok_or_else(|| not_a_folder(id))?;
        let item: GraphItem = self.core.graph_get(&target.path()).await?;
        let prefix = self.prefix(&target.drive).await?;
        let name = item.name.clone().unwrap_or_default();
        let path = if item.root.is_some() {
            if prefix.is_empty() { "/".to_string() } else { prefix }
        } else {
            format!("{prefix}{}", join_path(&parent_path(&item).unwrap_or_default(), &name))
        };
        if let Some(file) = remote_item(&target.drive, &item, path.clone()) {
            return Ok(file);
        }
        Ok(RemoteItem {
            id: target.encode(),
            name,
            path,
            is_folder: item.is_folder(),
            mime_type: "application/octet-stream".to_string(),
            size: item.size.unwrap_or(0),
            modified_at: item.last_modified_date_time.as_deref().and_then(Timestamp::parse),
            version: item.version(),
            web_url: item.web_url.clone(),
            metadata: serde_json::Map::new(),
        })
    }
}
