//! The service: the one implementation of every operation the UI (server
//! functions) and the REST API offer. [`Service`] implements
//! [`app::port::ServicePort`] in `port.rs`; the operations live in one module
//! per area.

mod accounts;
mod configs;
mod connections;
mod dashboard;
mod oauth_flow;
mod port;
mod vault_rotation;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::error::AppError;
use app::model::{ProviderId, Timestamp};

use crate::auth::limiter::LoginLimiter;
use crate::config::Settings;
use crate::oauth::client::OAuthClient;
use crate::oauth::tokens::TokenManager;
use crate::providers::http::{HttpDeps, RetryPolicy};
use crate::providers::net::HostGuard;
use crate::providers::registry::Providers;
use crate::providers::{ErrorKind, ProviderError, ProviderFactory};
use crate::store::{self, Store};
use crate::vault::{self, Vault};

pub use accounts::LoginError;
pub use oauth_flow::CallbackQuery;
pub use vault_rotation::RotationReport;

pub struct Service {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    pub vault: Arc<Vault>,
    pub providers: Arc<Providers>,
    pub tokens: Arc<TokenManager>,
    pub alerts: Arc<crate::alerts::Alerts>,
    pub limiter: LoginLimiter,
    /// Live job events for the UI.
    pub events: Arc<crate::sync::events::EventBus>,
    /// Wakes idle workers of this instance when a job is enqueued here.
    pub job_wakeup: tokio::sync::Notify,
    /// Flags of the jobs this instance runs, so a cancel request made here
    /// stops its job at once (other instances learn it from the heartbeat).
    pub running: std::sync::Mutex<
        std::collections::HashMap<app::model::JobId, Arc<crate::sync::run::Flags>>,
    >,
    /// Cancelled when the server shuts down: ends workers and event streams.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Wall times of the jobs this instance finished, for `/metrics`.
    pub sync_durations: crate::metrics::SyncDurations,
    started_at: Instant,
}

impl Service {
    /// Opens the store and the vault and builds the providers from `settings`.
    pub async fn open(settings: Settings) -> anyhow::Result<Arc<Self>> {
        let factories = Providers::standard_factories(&settings)?;
        Self::open_with(settings, factories).await
    }

    /// Like [`Service::open`] with a chosen set of provider implementations (tests).
    pub async fn open_with(
        settings: Settings,
        factories: Vec<Arc<dyn ProviderFactory>>,
    ) -> anyhow::Result<Arc<Self>> {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!("cannot create the data directory {}", settings.data_dir.display())
        })?;
        let store = store::open(&settings).await.context("cannot open the store")?;
        let vault =
            vault::open(&settings, store.as_ref()).await.context("cannot open the vault")?;
        let guard =
            Arc::new(HostGuard::new(&settings.security.allow_hosts).map_err(anyhow::Error::msg)?);
        let client = HttpDeps::default_client_builder()
            .read_timeout(Duration::from_secs(settings.sync.request_timeout_secs.max(1)))
            .build()
            .context("cannot build the HTTP client")?;
        let http_client = client.clone();
        let retry =
            RetryPolicy { max_retries: settings.sync.request_retries, ..RetryPolicy::default() };
        let http = HttpDeps::new(client, retry).with_guard(guard);
        let providers = Providers::new(&settings, http, factories);
        store
            .put_providers(&providers.catalogue())
            .await
            .context("cannot write the provider catalogue")?;

        // OAuth token endpoints must not redirect: a code is for the endpoint it was sent to.
        let oauth_http = HttpDeps::default_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the OAuth HTTP client")?;
        let clients = ProviderId::ALL
            .into_iter()
            .filter_map(|id| {
                let spec = providers.oauth(id)?.clone();
                let redirect = format!(
                    "{}/api/v1/cloud-sources/oauth/{}/callback",
                    settings.public_url(),
                    id.as_str()
                );
                Some((id, Arc::new(OAuthClient::new(spec, redirect, oauth_http.clone()))))
            })
            .collect();
        let alerts =
            Arc::new(crate::alerts::Alerts::new(&settings.alerts.webhook_url, http_client.clone()));
        let tokens = TokenManager::new(store.clone(), vault.clone(), clients, alerts.clone());

        let service = Arc::new(Self {
            settings: Arc::new(settings),
            store,
            vault,
            providers: Arc::new(providers),
            tokens,
            alerts,
            limiter: LoginLimiter::default(),
            events: Arc::default(),
            job_wakeup: tokio::sync::Notify::new(),
            stopping: tokio_util::sync::CancellationToken::new(),
            running: Default::default(),
            sync_durations: Default::default(),
            started_at: Instant::now(),
        });
        service.bootstrap_admin().await?;
        Ok(service)
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started_at.elapsed().as_secs()
    }

    /// Tells a job running on this instance to stop at its next file.
    pub fn signal_cancel(&self, job_id: &app::model::JobId) {
        if let Some(flags) = self.running.lock().unwrap_or_else(|e| e.into_inner()).get(job_id) {
            flags.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Reloads the vault key ring (after a rotation elsewhere).
    pub async fn reload_vault(&self) -> anyhow::Result<()> {
        self.vault.reload(self.store.as_ref()).await
    }
}

/// Maps a provider failure to what the user sees.
pub(crate) fn provider_error(provider: ProviderId, e: &ProviderError) -> AppError {
    let name = provider.display_name();
    match e.kind() {
        ErrorKind::Invalid => AppError::BadRequest(e.message().to_string()),
        ErrorKind::NotFound => AppError::NotFound,
        ErrorKind::AuthExpired => {
            AppError::Upstream(format!("{name} rejected the credentials: {}", e.message()))
        }
        ErrorKind::AccessDenied => {
            AppError::Upstream(format!("{name} denied access: {}", e.message()))
        }
        ErrorKind::RateLimited => {
            AppError::Upstream(format!("{name} is rate limiting requests; try again shortly"))
        }
        _ => AppError::Upstream(format!("{name}: {}", e.message())),
    }
}

/// Logs an unexpected failure once, where it is handled, and hides its details.
pub(crate) fn internal(context: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "{context}");
    AppError::Internal
}

pub(crate) fn now() -> Timestamp {
    Timestamp::now()
}
