//! Sandbox simulators of the Google Drive v3, Microsoft Graph (OneDrive + SharePoint),
//! Dropbox v2, Confluence Cloud and Jira Cloud APIs and of their OAuth authorization servers.
//!
//! The tests, the benchmarks and the demo mode talk to these instead of the real clouds, so
//! they follow the providers' documented wire formats: field names and types, pagination,
//! change feeds, error envelopes and status codes (see `shared/reference/api-specs/`).
//!
//! Layout: one file group per concern, and one file per provider with the same shape
//! (serde types named after the provider, `routes()`, handlers, error builders):
//! - [`state`]: the provider-neutral account model (tree, versions, change log);
//! - `accounts`: the account registry, identities and provider-shaped ids;
//! - [`seed`]: the realistic seeded tree and the bulk generator; [`formats`]: file bytes;
//! - [`hashes`]: QuickXorHash and Dropbox's content hash;
//! - [`oauth`]: the shared authorization server with per-provider behaviour (authorization in
//!   `mod.rs`, HTML in `pages.rs`, the token endpoint in `token.rs`);
//! - [`faults`]: fault injection, request counters and the gate every API request passes;
//! - [`control`]: the control surface, as Rust methods and as JSON under `/_control`;
//! - [`atlassian`]: Confluence and Jira Cloud (one Atlassian site per account, OAuth 2.0 3LO
//!   through `api.atlassian.com`-style `/ex/{product}/{cloudId}` paths and API tokens on a
//!   per-site base), with its own model of spaces, pages, projects and issues;
//! - [`drive`], [`graph`], [`dropbox`]: the provider APIs, each a `mod.rs` (routes, error
//!   envelopes, rendering, handlers) and a `model.rs` (the wire types, named after the
//!   provider: `DriveFile`, `GraphItem`, `DropboxEntry`); Drive adds `query.rs` (`q`, `fields`).
//!
//! Mount [`Sandbox::router`] at `/sandbox`; [`spawn`] serves it alone on a loopback port.
//!
//! ```no_run
//! # use cloud_sources::sandbox::{Provider, Sandbox, SandboxOptions, demo_client, endpoints};
//! # let public_url = "http://127.0.0.1:3000";
//! // Demo mode: the app's OAuth callbacks are registered for the demo clients, and each
//! // provider's configurable URLs point at the sandbox.
//! let sandbox = Sandbox::new(SandboxOptions {
//!     public_base_url: Some(format!("{public_url}/sandbox")),
//!     demo_app_url: Some(public_url.to_string()),
//!     ..Default::default()
//! });
//! let app: axum::Router = axum::Router::new().nest("/sandbox", sandbox.router());
//! let google = endpoints(&format!("{public_url}/sandbox"), Provider::Google);
//! let client = demo_client(Provider::Google); // client_id / client_secret
//! ```

mod accounts;
pub mod atlassian;
pub mod control;
pub mod drive;
pub mod dropbox;
pub mod faults;
pub mod formats;
pub mod graph;
pub mod hashes;
/// A Nextcloud-like WebDAV server (folder ETags, `oc:fileid`), for the WebDAV provider.
pub mod nextcloud;
pub mod oauth;
pub mod seed;
pub mod state;
mod util;

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use control::{ItemInfo, SandboxAccount};
pub use faults::{DriveRateLimitStyle, FaultConfig, RequestCounts};
pub use oauth::{DemoClient, OAuthClient, RefreshRotation, TokenSet, demo_client};
pub use seed::{GenerateOptions, GenerateReport, ManifestDrive, ManifestItem, SeedManifest};
pub use state::{GoogleApp, SandboxError};

use accounts::Accounts;
use oauth::OAuthState;

/// The simulated providers. Each username is a separate account per provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Google,
    Microsoft,
    Dropbox,
    /// Confluence and Jira Cloud: one Atlassian account, one site with both products.
    Atlassian,
}

impl Provider {
    pub const ALL: [Provider; 4] =
        [Provider::Google, Provider::Microsoft, Provider::Dropbox, Provider::Atlassian];
    /// The simulators whose accounts hold a tree of files (Atlassian accounts hold a site).
    pub const FILES: [Provider; 3] = [Provider::Google, Provider::Microsoft, Provider::Dropbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Microsoft => "microsoft",
            Provider::Dropbox => "dropbox",
            Provider::Atlassian => "atlassian",
        }
    }

    /// The product name shown on the sandbox's sign-in and consent pages.
    pub fn brand(self) -> &'static str {
        match self {
            Provider::Google => "Google",
            Provider::Microsoft => "Microsoft",
            Provider::Dropbox => "Dropbox",
            Provider::Atlassian => "Atlassian",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = SandboxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "google" | "google_drive" => Ok(Provider::Google),
            "microsoft" | "onedrive" | "sharepoint" => Ok(Provider::Microsoft),
            "dropbox" => Ok(Provider::Dropbox),
            "atlassian" | "confluence" | "jira" => Ok(Provider::Atlassian),
            other => Err(SandboxError::Invalid(format!("unknown provider {other:?}"))),
        }
    }
}

/// How a sandbox behaves. `Default` is what tests and the demo want.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxOptions {
    /// Seeds ids, seeded content and fault RNGs, so runs are reproducible.
    pub seed: u64,
    /// The externally visible base URL of the sandbox (e.g. `http://127.0.0.1:3000/sandbox`),
    /// used in absolute links (Graph nextLink/deltaLink/downloadUrl). When unset it is derived
    /// from each request's `Host` header and mount point.
    pub public_base_url: Option<String>,
    /// Whether new accounts get the realistic seeded tree (otherwise only empty drive roots).
    pub seed_accounts: bool,
    pub access_token_lifetime_secs: u64,
    pub authorization_code_lifetime_secs: u64,
    /// How long a Graph pre-authenticated download URL stays valid.
    pub download_url_lifetime_secs: u64,
    /// Microsoft's documented behaviour keeps rotated-away refresh tokens usable; set
    /// [`RefreshRotation::RotateRevokeOld`] to test a client against strict rotation.
    pub microsoft_refresh_rotation: RefreshRotation,
    /// When set, the demo OAuth clients ([`demo_client`]) are registered with redirect URIs
    /// `{app_url}/api/v1/cloud-sources/oauth/{provider_id}/callback`.
    pub demo_app_url: Option<String>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            seed: 0x5EED_CAFE,
            public_base_url: None,
            seed_accounts: true,
            access_token_lifetime_secs: 3600,
            authorization_code_lifetime_secs: 600,
            download_url_lifetime_secs: 300,
            microsoft_refresh_rotation: RefreshRotation::RotateKeepOld,
            demo_app_url: None,
        }
    }
}

/// The simulators' shared state. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    options: SandboxOptions,
    /// Added to the wall clock; tests move time forward to expire codes and tokens.
    clock_offset_ms: AtomicI64,
    accounts: RwLock<Accounts>,
    oauth: Mutex<OAuthState>,
    /// Signs Graph's pre-authenticated download URLs (stateless, so they cost no memory).
    download_key: [u8; 32],
}

impl Sandbox {
    pub fn new(options: SandboxOptions) -> Self {
        let mut oauth = OAuthState::default();
        if let Some(app_url) = &options.demo_app_url {
            for provider in Provider::ALL {
                oauth.register(demo_client(provider).registration(app_url));
            }
        }
        Self {
            inner: Arc::new(Inner {
                options,
                clock_offset_ms: AtomicI64::new(0),
                accounts: RwLock::new(Accounts::default()),
                oauth: Mutex::new(oauth),
                download_key: rand::random(),
            }),
        }
    }

    pub fn options(&self) -> &SandboxOptions {
        &self.inner.options
    }

    /// Every simulator and the control API, with paths relative to the mount point
    /// (`/google/...`, `/microsoft/...`, `/dropbox/...`, `/_control/...`).
    pub fn router(&self) -> Router {
        Router::new()
            .merge(oauth::routes())
            .merge(drive::routes())
            .merge(graph::routes())
            .merge(dropbox::routes())
            .merge(atlassian::routes())
            .merge(control::routes())
            .with_state(self.clone())
    }

    /// The sandbox clock in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        wall + self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Moves the sandbox clock forward (codes, tokens and download URLs expire by it).
    pub fn advance_clock(&self, by: Duration) {
        self.inner.clock_offset_ms.fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    /// Registers (or replaces) an OAuth client. Redirect URIs must later match exactly.
    pub fn register_client(&self, client: OAuthClient) {
        util::lock(&self.inner.oauth).register(client);
    }

    /// The control handle of an account, created (and seeded) on first use.
    pub fn account(
        &self,
        provider: Provider,
        username: &str,
    ) -> Result<SandboxAccount, SandboxError> {
        let handle = self.account_handle(provider, username)?;
        Ok(SandboxAccount::new(self.clone(), handle))
    }

    pub(crate) fn account_handle(
        &self,
        provider: Provider,
        username: &str,
    ) -> Result<Arc<accounts::AccountHandle>, SandboxError> {
        let key = accounts::AccountKey::new(provider, username)?;
        if let Some(found) = util::read(&self.inner.accounts).get(&key) {
            return Ok(found);
        }
        let mut accounts = util::write(&self.inner.accounts);
        Ok(accounts.get_or_create(key, &self.inner.options, self.now_ms()))
    }

    pub(crate) fn existing_account(
        &self,
        key: &accounts::AccountKey,
    ) -> Option<Arc<accounts::AccountHandle>> {
        util::read(&self.inner.accounts).get(key)
    }
}

/// Where a provider's endpoints live under a sandbox base URL, in the shape of the app's
/// `providers.<id>.*` settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderEndpoints {
    pub api_base: String,
    pub content_base: Option<String>,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
}

/// The endpoints of `provider` under `base` (e.g. `http://127.0.0.1:3000/sandbox`).
pub fn endpoints(base: &str, provider: Provider) -> ProviderEndpoints {
    let base = base.trim_end_matches('/');
    match provider {
        Provider::Google => ProviderEndpoints {
            api_base: format!("{base}/google"),
            content_base: None,
            auth_url: format!("{base}/google/o/oauth2/v2/auth"),
            token_url: format!("{base}/google/token"),
            revoke_url: Some(format!("{base}/google/revoke")),
        },
        Provider::Microsoft => ProviderEndpoints {
            api_base: format!("{base}/microsoft"),
            content_base: None,
            auth_url: format!("{base}/microsoft/common/oauth2/v2.0/authorize"),
            token_url: format!("{base}/microsoft/common/oauth2/v2.0/token"),
            revoke_url: Some(format!("{base}/microsoft/v1.0/me/revokeSignInSessions")),
        },
        Provider::Dropbox => ProviderEndpoints {
            api_base: format!("{base}/dropbox/api"),
            content_base: Some(format!("{base}/dropbox/content")),
            auth_url: format!("{base}/dropbox/oauth2/authorize"),
            token_url: format!("{base}/dropbox/api/oauth2/token"),
            revoke_url: Some(format!("{base}/dropbox/api/2/auth/token/revoke")),
        },
        // `api_base` is the `api.atlassian.com` equivalent: `/oauth/token/accessible-resources`
        // and `/ex/{confluence|jira}/{cloudId}/…` live under it.
        Provider::Atlassian => ProviderEndpoints {
            api_base: format!("{base}/atlassian"),
            content_base: None,
            auth_url: format!("{base}/atlassian/authorize"),
            token_url: format!("{base}/atlassian/oauth/token"),
            revoke_url: None,
        },
    }
}

/// A sandbox served alone on `127.0.0.1:<random port>` under `/sandbox`; stops when dropped.
pub struct SandboxServer {
    sandbox: Sandbox,
    addr: SocketAddr,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SandboxServer {
    /// `http://127.0.0.1:PORT/sandbox`
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    pub fn endpoints(&self, provider: Provider) -> ProviderEndpoints {
        endpoints(&self.base_url, provider)
    }

    /// Shorthand for `self.sandbox().account(provider, username)`.
    pub fn account(
        &self,
        provider: Provider,
        username: &str,
    ) -> Result<SandboxAccount, SandboxError> {
        self.sandbox.account(provider, username)
    }
}

impl Drop for SandboxServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Hanging-request faults would hold a graceful shutdown open forever.
        self.task.abort();
    }
}

/// Serves a fresh sandbox on a loopback port (for tests and benchmarks).
pub async fn spawn(options: SandboxOptions) -> std::io::Result<SandboxServer> {
    spawn_on(SocketAddr::from(([127, 0, 0, 1], 0)), options).await
}

/// Serves a fresh sandbox on `addr` (`cloud-sources sandbox`: the simulators in their own
/// process, so a benchmark measures the server's memory without the simulated clouds').
pub async fn spawn_on(addr: SocketAddr, options: SandboxOptions) -> std::io::Result<SandboxServer> {
    let sandbox = Sandbox::new(options);
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = Router::new().nest("/sandbox", sandbox.router());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = rx.await;
        };
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::warn!(%error, "sandbox server stopped with an error");
        }
    });
    Ok(SandboxServer {
        sandbox,
        addr,
        base_url: format!("http://{addr}/sandbox"),
        shutdown: Some(tx),
        task,
    })
}
