//! Providers: one object-safe [`Provider`] trait for every cloud source, a
//! [`ProviderFactory`] per provider id that knows its OAuth settings and
//! credential shapes, and the shared pieces every provider uses: one error
//! type ([`error`]), one HTTP layer with pacing, retries and token refresh
//! ([`http`]), and the SSRF guard for user-supplied hosts ([`net`]).
//!
//! Every provider module has the same files, so a reader who knows one knows
//! all: `mod.rs` (factory + `Provider` impl), `core.rs` (request building and
//! `parse_error`), `model.rs` (serde types of the API), and where needed
//! `lister.rs` / `changes.rs`.

pub mod atlassian;
pub mod config;
pub mod confluence;
pub mod dropbox;
pub mod error;
pub mod gdrive;
pub mod graph;
pub mod http;
pub mod imap;
pub mod jira;
pub mod net;
pub mod registry;
pub mod tokens;
pub mod webdav;

use std::collections::BTreeMap;
use std::sync::Arc;

use app::model::{
    AuthType, Capabilities, ConnectionId, FolderEntry, ProviderId, ProviderInfo, SecretText,
    SourcePath, Timestamp,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

pub use error::{ErrorKind, ProviderError, ProviderResult, Retry};

/// A file (or folder) as a provider reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteItem {
    /// The provider's stable id (Drive file id, Graph item id, Dropbox `id:…`,
    /// WebDAV `oc:fileid` or path, `INBOX/<uidvalidity>/<uid>`, page id, issue key…).
    pub id: String,
    pub name: String,
    /// Human-readable path from the provider root, `/`-separated, starting with `/`.
    pub path: String,
    pub is_folder: bool,
    pub mime_type: String,
    pub size: u64,
    pub modified_at: Option<Timestamp>,
    /// Changes exactly when the content changes: md5 / headRevisionId, quickXorHash
    /// or cTag, Dropbox `content_hash`, ETag, version number, MODSEQ.
    pub version: Option<String>,
    /// Link back to the item in the provider's UI.
    pub web_url: Option<String>,
    /// Provider-specific facts worth keeping on the document (Message-ID, issue key…).
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// One page of a recursive listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Files (folders are walked, not returned).
    pub items: Vec<RemoteItem>,
    /// Opaque token for the next page; `None` when the listing is complete.
    pub next: Option<String>,
}

/// One change from a change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Added, modified, renamed or moved *within* the selection.
    Upsert(Box<RemoteItem>),
    /// Deleted, trashed, lost access, or moved *out of* the selection.
    Delete { id: String },
}

/// One page of a change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// Where to continue: the next page while `done` is false, the cursor for the
    /// next sync once `done` is true.
    pub cursor: String,
    pub done: bool,
}

/// A change feed scope and its cursor (a drive, a site's library, a mailbox, a space).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeCursor {
    pub scope: String,
    pub cursor: String,
}

/// Who the credentials belong to, as the provider says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// An e-mail address, `user @ server`, a display name.
    pub label: String,
}

/// A stream of downloaded bytes.
pub type ByteStream = BoxStream<'static, ProviderResult<Bytes>>;

/// One connected account of one provider.
///
/// # Behavior
/// - Implementations are cheap to call concurrently; pacing and retries happen
///   in the shared HTTP layer, so a method returns only after retries ran out.
/// - Listings and change feeds are paged: the engine checkpoints between pages,
///   so a job that crashes resumes from its last page instead of the start.
/// - `changes` filters to the selection itself: an item moved out of the
///   selected folders comes back as [`Change::Delete`].
/// - A cursor the provider rejects (410, `reset`, UIDVALIDITY change) fails
///   with [`ErrorKind::CursorInvalid`]; the engine then lists everything and
///   removes what was not seen (mark and sweep).
#[async_trait]
pub trait Provider: Send + Sync {
    fn id(&self) -> ProviderId;

    /// Checks the credentials with one cheap call and says whose they are.
    async fn test(&self) -> ProviderResult<AccountInfo>;

    /// The children of one folder for the picker; `None` lists the roots (My
    /// Drive and shared drives, sites, spaces, projects, mailboxes…).
    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>>;

    /// One page of the files under a selected folder (recursively when the
    /// selection includes subfolders). `page` is `None` for the first page.
    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage>;

    /// The change feed scopes of a selection with their current cursors.
    /// # Behavior
    /// Called *before* a full listing, so that nothing changed during the
    /// listing is missed.
    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>>;

    /// One page of changes of one scope since `cursor`, restricted to `selection`.
    async fn changes(
        &self,
        selection: &[SourcePath],
        scope: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage>;

    /// Streams the content of a file. The stream fails with
    /// [`ErrorKind::TooLarge`] as soon as more than `max_bytes` arrive.
    async fn download(&self, item: &RemoteItem, max_bytes: u64) -> ProviderResult<ByteStream>;

    /// Metadata of one item.
    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem>;
}

/// Secrets and endpoints of a connection, decrypted from the vault. Stored
/// sealed as JSON; `Debug` prints no secret; the secret fields are
/// [`SecretText`]s, which wipe themselves on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credentials {
    /// OAuth 2.0: the access token (the refresh token is sealed separately).
    /// `extra` holds what a provider needs besides the token (Atlassian cloud
    /// id and site URL, IMAP host and user for XOAUTH2).
    OAuth { access_token: SecretText, extra: BTreeMap<String, String> },
    /// WebDAV with a password or app token.
    Password { server_url: String, username: String, password: SecretText },
    /// IMAP with a password.
    Imap {
        host: String,
        port: u16,
        security: app::model::ImapSecurity,
        username: String,
        password: SecretText,
        ca_pem: Option<String>,
    },
    /// Confluence / Jira API token (Cloud: e-mail + token; Data Center: token only).
    ApiToken { site_url: String, email: String, api_token: SecretText },
    /// WebDAV with a TLS client certificate.
    Certificate {
        server_url: String,
        username: String,
        client_cert_pem: String,
        client_key_pem: SecretText,
        ca_pem: Option<String>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Credentials::OAuth { .. } => "oauth",
            Credentials::Password { .. } => "password",
            Credentials::Imap { .. } => "imap",
            Credentials::ApiToken { .. } => "api_token",
            Credentials::Certificate { .. } => "certificate",
        };
        write!(f, "Credentials::{kind}([redacted])")
    }
}

/// Hands out a valid access token, refreshing it when needed.
#[async_trait]
pub trait AccessTokens: Send + Sync {
    /// A token valid for at least a few more minutes.
    async fn access_token(&self) -> ProviderResult<SecretText>;
    /// The provider rejected `rejected` (401): refresh once and return the new one.
    /// Concurrent callers with the same rejected token share one refresh.
    async fn refresh_rejected(&self, rejected: &SecretText) -> ProviderResult<SecretText>;
}

/// Endpoints and OAuth client of a provider, from configuration with the
/// provider's documented defaults (or the sandbox's in demo mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub api_base: String,
    pub content_base: Option<String>,
}

/// OAuth 2.0 settings of a provider.
#[derive(Clone)]
pub struct OAuthSpec {
    pub client_id: String,
    pub client_secret: Option<secrecy::SecretString>,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
    /// Read-only, minimal.
    pub scopes: Vec<String>,
    /// Provider quirks: `access_type=offline`, `token_access_type=offline`,
    /// `audience=api.atlassian.com`, `prompt=consent`.
    pub extra_auth_params: Vec<(String, String)>,
}

impl std::fmt::Debug for OAuthSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSpec")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "[redacted]"))
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("revoke_url", &self.revoke_url)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// How a provider instance authenticates its requests.
#[derive(Clone)]
pub enum ProviderAuth {
    /// Bearer tokens from the token manager.
    OAuth { tokens: Arc<dyn AccessTokens>, extra: BTreeMap<String, String> },
    /// Everything else: the decrypted credentials.
    Static(Credentials),
}

/// What a factory needs to build a provider for one connection.
#[derive(Clone)]
pub struct ProviderContext {
    pub connection_id: ConnectionId,
    pub auth: ProviderAuth,
    pub http: http::HttpDeps,
}

/// A provider kind: its catalogue entry, credential checks, and how to build a
/// [`Provider`] for a connection. (OAuth settings come from configuration, see
/// [`config`]; the [`registry::Providers`] holds both.)
pub trait ProviderFactory: Send + Sync {
    fn id(&self) -> ProviderId;

    /// The catalogue entry (`data_source_providers`); `oauth_configured` is
    /// filled in by the registry.
    fn info(&self) -> ProviderInfo;

    /// Checks user-supplied credentials for `auth_type` and turns them into
    /// [`Credentials`], with a message naming the bad field on failure.
    fn parse_credentials(
        &self,
        auth_type: AuthType,
        credentials: &serde_json::Value,
    ) -> Result<Credentials, String>;

    /// A provider for one connection.
    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>>;
}

/// Convenience for catalogue entries.
pub fn provider_info(
    id: ProviderId,
    description: &str,
    auth_types: &[AuthType],
    capabilities: Capabilities,
    oauth_configured: bool,
    container_label: &str,
) -> ProviderInfo {
    ProviderInfo {
        id,
        name: id.display_name().to_string(),
        description: description.to_string(),
        auth_types: auth_types.to_vec(),
        capabilities,
        oauth_configured,
        container_label: container_label.to_string(),
    }
}
