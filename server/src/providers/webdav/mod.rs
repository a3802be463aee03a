//! ownCloud / Nextcloud / generic WebDAV (provider id `owncloud`).
//!
//! - [`WebdavFactory`]: credentials (password or app token over Basic auth, or a
//!   TLS client certificate with an optional extra CA) and connections; every
//!   request goes through the SSRF guard, since users type the server in.
//! - [`WebdavProvider`]: finds the DAV root once ([`core::root_candidates`]),
//!   lists with `PROPFIND Depth: 1` ([`walk`]), detects changes by comparing
//!   with a snapshot cursor, skipping subtrees whose propagated folder ETag is
//!   unchanged, and keys items by `oc:fileid` where the server has one.
//! - [`core`]: URLs, requests and `parse_error`; [`propfind`]: the XML.

pub mod core;
pub mod propfind;
pub mod walk;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::model::{
    AuthType, Capabilities, CertificateCredentials, EntryKind, FolderEntry, PasswordCredentials,
    ProviderId, ProviderInfo, SecretText, SourcePath,
};
use async_trait::async_trait;
use tokio::sync::OnceCell;

use self::core::{
    DavRoot, Depth, PROPFIND_BODY, PROPFIND_PICKER_BODY, RootPlan, WebdavCore, normalize_path,
    parse_error_certificate, parse_error_password, parse_server_url, root_candidates,
};
use self::propfind::DavEntry;
use self::walk::{Scope, list_folder, remote_item};
use super::http::{HttpClient, RequestAuth, limited_stream};
use super::{
    AccountInfo, ByteStream, ChangePage, Credentials, ErrorKind, ListPage, Provider, ProviderAuth,
    ProviderContext, ProviderError, ProviderFactory, ProviderResult, RemoteItem, ScopeCursor,
    provider_info,
};

/// Remembered `oc:fileid` → path pairs, so `metadata(id)` can find a file by
/// its id (WebDAV addresses files by path only). Bounded: cleared when full.
const MAX_REMEMBERED_IDS: usize = 200_000;

/// The `owncloud` provider kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebdavFactory;

impl WebdavFactory {
    pub fn new() -> Self {
        Self
    }
}

fn capabilities() -> Capabilities {
    Capabilities {
        delta: false,
        reports_deletions: true,
        // ownCloud / Nextcloud `oc:fileid`; plain WebDAV servers fall back to paths.
        stable_ids: true,
        // Only Nextcloud reports per-folder counts.
        folder_counts: false,
        revocation: false,
        structured_content: false,
    }
}

fn required(value: &str, field: &str) -> Result<(), String> {
    if value.trim().is_empty() { Err(format!("{field} is required")) } else { Ok(()) }
}

/// The PEM checks of a certificate connection, each naming its field.
fn certificate_identity(cert_pem: &str, key_pem: &SecretText) -> Result<reqwest::Identity, String> {
    if !cert_pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err("client_cert_pem must be a PEM certificate".to_string());
    }
    if !key_pem.expose().contains("PRIVATE KEY-----") {
        return Err("client_key_pem must be a PEM private key".to_string());
    }
    let mut pem = Vec::with_capacity(cert_pem.len() + key_pem.expose().len() + 1);
    pem.extend_from_slice(cert_pem.as_bytes());
    pem.push(b'\n');
    pem.extend_from_slice(key_pem.expose().as_bytes());
    reqwest::Identity::from_pem(&pem).map_err(|_| {
        "client_cert_pem and client_key_pem must be a PEM certificate and its private key"
            .to_string()
    })
}

fn extra_ca(ca_pem: Option<&str>) -> Result<Option<reqwest::Certificate>, String> {
    match ca_pem.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => {
            reqwest::Certificate::from_pem(pem.as_bytes())
                .map(Some)
                .map_err(|_| "ca_pem must be a PEM certificate".to_string())
        }
        Some(_) => Err("ca_pem must be a PEM certificate".to_string()),
    }
}

impl ProviderFactory for WebdavFactory {
    fn id(&self) -> ProviderId {
        ProviderId::OwnCloud
    }

    fn info(&self) -> ProviderInfo {
        provider_info(
            ProviderId::OwnCloud,
            "Files on ownCloud, Nextcloud or any WebDAV server, with a password, an app token or a client certificate.",
            &[AuthType::Password, AuthType::Certificate],
            capabilities(),
            false,
            "Folders",
        )
    }

    fn parse_credentials(
        &self,
        auth_type: AuthType,
        credentials: &serde_json::Value,
    ) -> Result<Credentials, String> {
        match auth_type {
            AuthType::Password => {
                let c: PasswordCredentials = serde_json::from_value(credentials.clone())
                    .map_err(|e| format!("credentials: {e}"))?;
                parse_server_url(&c.server_url)?;
                required(&c.username, "username")?;
                if c.password.is_empty() {
                    return Err("password is required".to_string());
                }
                Ok(Credentials::Password {
                    server_url: c.server_url.trim().to_string(),
                    username: c.username.trim().to_string(),
                    password: c.password,
                })
            }
            AuthType::Certificate => {
                let c: CertificateCredentials = serde_json::from_value(credentials.clone())
                    .map_err(|e| format!("credentials: {e}"))?;
                parse_server_url(&c.server_url)?;
                certificate_identity(&c.client_cert_pem, &c.client_key_pem)?;
                extra_ca(c.ca_pem.as_deref())?;
                Ok(Credentials::Certificate {
                    server_url: c.server_url.trim().to_string(),
                    username: c.username.trim().to_string(),
                    client_cert_pem: c.client_cert_pem,
                    client_key_pem: c.client_key_pem,
                    ca_pem: c.ca_pem.filter(|p| !p.trim().is_empty()),
                })
            }
            other => Err(format!(
                "ownCloud / WebDAV connections use password or certificate authentication, not {}",
                other.as_str()
            )),
        }
    }

    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>> {
        let guard = context.http.guard.clone();
        let account = context.connection_id.as_str();
        let (server_url, username, http) = match &context.auth {
            ProviderAuth::Static(Credentials::Password { server_url, username, password }) => {
                let client = guard.client_builder().build().map_err(|e| {
                    ProviderError::invalid(format!("cannot set up HTTPS: {}", e.without_url()))
                })?;
                let auth =
                    RequestAuth::Basic { username: username.clone(), password: password.clone() };
                let http = HttpClient::new(
                    &context.http,
                    ProviderId::OwnCloud,
                    account,
                    auth,
                    parse_error_password,
                )
                .guarded(guard.clone(), client);
                (server_url, username, http)
            }
            ProviderAuth::Static(Credentials::Certificate {
                server_url,
                username,
                client_cert_pem,
                client_key_pem,
                ca_pem,
            }) => {
                let identity = certificate_identity(client_cert_pem, client_key_pem)
                    .map_err(ProviderError::invalid)?;
                let mut builder = guard.client_builder().identity(identity);
                if let Some(ca) = extra_ca(ca_pem.as_deref()).map_err(ProviderError::invalid)? {
                    builder = builder.add_root_certificate(ca);
                }
                let client = builder.build().map_err(|e| {
                    ProviderError::invalid(format!(
                        "cannot set up the client certificate: {}",
                        e.without_url()
                    ))
                })?;
                let http = HttpClient::new(
                    &context.http,
                    ProviderId::OwnCloud,
                    account,
                    RequestAuth::None,
                    parse_error_certificate,
                )
                .guarded(guard.clone(), client);
                (server_url, username, http)
            }
            _ => {
                return Err(ProviderError::invalid(
                    "ownCloud / WebDAV connections need password or certificate credentials",
                ));
            }
        };
        let plan = root_candidates(server_url, username).map_err(ProviderError::invalid)?;
        let host = parse_server_url(server_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let label = if username.is_empty() { host } else { format!("{username} @ {host}") };
        Ok(Arc::new(WebdavProvider {
            core: WebdavCore::new(http)?,
            plan,
            root: OnceCell::new(),
            label,
            ids: Mutex::default(),
        }))
    }
}

/// One ownCloud / Nextcloud / WebDAV account.
pub struct WebdavProvider {
    core: WebdavCore,
    plan: RootPlan,
    root: OnceCell<Arc<DavRoot>>,
    label: String,
    ids: Mutex<HashMap<String, String>>,
}

impl WebdavProvider {
    /// The DAV root, found on first use: a URL that names one is used as is;
    /// otherwise the candidates are probed with PROPFIND Depth 0.
    pub async fn dav_root(&self) -> ProviderResult<Arc<DavRoot>> {
        self.root.get_or_try_init(|| self.discover_root()).await.cloned()
    }

    async fn discover_root(&self) -> ProviderResult<Arc<DavRoot>> {
        let candidates = match &self.plan {
            RootPlan::Known(url) => return Ok(Arc::new(DavRoot::new(url.clone()))),
            RootPlan::Probe(candidates) => candidates,
        };
        let mut last = None;
        for url in candidates {
            let root = DavRoot::new(url.clone());
            match self.core.webdav_propfind(&root, root.url(), Depth::Zero, PROPFIND_BODY).await {
                Ok(entries) if entries.iter().any(|e| e.path == "/" && e.is_folder) => {
                    tracing::debug!(root = %root.url(), "found the WebDAV root");
                    return Ok(Arc::new(root));
                }
                Ok(_) => {
                    last = Some(ProviderError::invalid("the server URL is not a WebDAV folder"));
                }
                // Try the next convention only when this one does not exist here.
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::NotFound
                            | ErrorKind::ParseError
                            | ErrorKind::Invalid
                            | ErrorKind::AccessDenied
                    ) =>
                {
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last
            .unwrap_or_else(|| ProviderError::invalid("no WebDAV folder found at the server URL")))
    }

    fn remember(&self, entry: &DavEntry) {
        if let Some(id) = &entry.file_id {
            let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            if ids.len() >= MAX_REMEMBERED_IDS && !ids.contains_key(id) {
                ids.clear();
            }
            ids.insert(id.clone(), entry.path.clone());
        }
    }

    fn scope_of(selection: &[SourcePath], scope: &str) -> ProviderResult<Scope> {
        for source in selection {
            let candidate = Scope::of(source)?;
            if candidate.path == scope {
                return Ok(candidate);
            }
        }
        Err(ProviderError::new(ErrorKind::CursorInvalid, format!("{scope} is no longer selected")))
    }
}

#[async_trait]
impl Provider for WebdavProvider {
    fn id(&self) -> ProviderId {
        ProviderId::OwnCloud
    }

    async fn test(&self) -> ProviderResult<AccountInfo> {
        let root = self.dav_root().await?;
        let entries =
            self.core.webdav_propfind(&root, root.url(), Depth::Zero, PROPFIND_BODY).await?;
        if !entries.iter().any(|e| e.path == "/" && e.is_folder) {
            return Err(ProviderError::invalid("the server URL is not a WebDAV folder"));
        }
        Ok(AccountInfo { label: self.label.clone() })
    }

    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>> {
        let root = self.dav_root().await?;
        let path = normalize_path(parent.unwrap_or("/"))
            .ok_or_else(|| ProviderError::invalid("not a valid folder path"))?;
        let listing = list_folder(&self.core, &root, &path, PROPFIND_PICKER_BODY).await?;
        let mut folders: Vec<FolderEntry> = listing
            .children
            .into_iter()
            .filter(|e| e.is_folder)
            .map(|e| FolderEntry {
                remote_id: e.path.clone(),
                name: core::file_name(&e.path).to_string(),
                path: e.path.clone(),
                kind: EntryKind::Folder,
                selectable: true,
                // Only what this one PROPFIND told us (Nextcloud's counts).
                has_children: e.folder_count.map(|n| n > 0),
                file_count: e.file_count,
                size: e.oc_size,
                modified_at: e.modified,
            })
            .collect();
        folders.sort_by_key(|f| f.name.to_lowercase());
        Ok(folders)
    }

    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage> {
        let root = self.dav_root().await?;
        let scope = Scope::of(selection)?;
        walk::list_page(&self.core, &root, &scope, page, |e| self.remember(e)).await
    }

    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>> {
        let root = self.dav_root().await?;
        let mut cursors = Vec::with_capacity(selection.len());
        for source in selection {
            let scope = Scope::of(source)?;
            let cursor = walk::start_cursor(&self.core, &root, &scope, &mut |_| {}).await?;
            cursors.push(ScopeCursor { scope: scope.path, cursor });
        }
        Ok(cursors)
    }

    async fn changes(
        &self,
        selection: &[SourcePath],
        scope: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage> {
        let root = self.dav_root().await?;
        let scope = Self::scope_of(selection, scope)?;
        walk::changes(&self.core, &root, &scope, cursor, &mut |e| self.remember(e)).await
    }

    async fn download(&self, item: &RemoteItem, max_bytes: u64) -> ProviderResult<ByteStream> {
        let root = self.dav_root().await?;
        let url = root.url_for(&item.path, false)?;
        let response = self.core.webdav_get(&url).await?;
        limited_stream(response, max_bytes)
    }

    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem> {
        let root = self.dav_root().await?;
        let path = if id.starts_with('/') {
            normalize_path(id).ok_or_else(|| ProviderError::invalid("not a valid path"))?
        } else {
            let ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            ids.get(id).cloned().ok_or_else(|| {
                ProviderError::not_found(format!(
                    "file id {id} has not been seen by this connection yet"
                ))
            })?
        };
        let entries = self
            .core
            .webdav_propfind(&root, &root.url_for(&path, false)?, Depth::Zero, PROPFIND_BODY)
            .await?;
        let entry = entries
            .into_iter()
            .find(|e| e.path == path)
            .ok_or_else(|| ProviderError::not_found(format!("{path} is not on the server")))?;
        if !id.starts_with('/') && entry.file_id.as_deref() != Some(id) {
            return Err(ProviderError::not_found(format!("file id {id} is no longer at {path}")));
        }
        self.remember(&entry);
        Ok(remote_item(&entry, &root))
    }
}
