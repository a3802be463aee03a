//! Building and running the HTTP application.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use app::port::ServicePort;
use app::{App, shell};
use axum::Router;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;

use crate::auth::middleware::authenticate;
use crate::config::Settings;
use crate::providers::ProviderFactory;
use crate::routes;
use crate::service::Service;
use crate::sync::engine::{Engine, EngineOptions};

/// A bound, ready-to-run server. Binding happens in [`Application::build`], so
/// tests can ask for port 0 and read the real port before serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    local_addr: SocketAddr,
    service: Arc<Service>,
    engine: Option<Arc<Engine>>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let factories = crate::providers::registry::Providers::standard_factories(&settings)?;
        Self::build_with(settings, factories).await
    }

    /// Like [`Application::build`] with a chosen set of provider implementations.
    pub async fn build_with(
        mut settings: Settings,
        factories: Vec<Arc<dyn ProviderFactory>>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.server.addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.addr))?;
        let local_addr = listener.local_addr()?;
        if settings.server.public_url.is_empty() {
            // OAuth redirect URIs and same-origin checks need the real address.
            settings.server.public_url = format!("http://{local_addr}");
        }
        let service = Service::open_with(settings, factories).await?;
        let router = router(service.clone(), local_addr);
        let engine = service
            .settings
            .sync
            .engine
            .then(|| Engine::new(service.clone(), engine_options(&service.settings)));
        Ok(Self { listener, router, local_addr, service, engine })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// Wraps the whole HTTP application, e.g. in a layer that records every
    /// answer (the test suite's secret scan does).
    pub fn map_router(mut self, wrap: impl FnOnce(Router) -> Router) -> Self {
        self.router = wrap(self.router);
        self
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_with_shutdown(shutdown_signal()).await
    }

    pub fn engine(&self) -> Option<&Arc<Engine>> {
        self.engine.as_ref()
    }

    /// Serves (and runs the sync engine) until `shutdown` completes, then drains
    /// in-flight requests and hands running jobs back to the queue.
    pub async fn run_with_shutdown(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = self.service.stopping.clone();
        let mut tasks = self.engine.as_ref().map(|engine| engine.start(stop.clone()));
        tokio::spawn(follow_vault_rotations(self.service.clone()));
        let stop_serving = stop.clone();
        // Pages stream in several writes (the shell, then each resolved part): with
        // Nagle's algorithm the client's delayed ACK held every page back ~40 ms.
        let listener = self.listener.tap_io(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
            }
        });
        let served =
            axum::serve(listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    shutdown.await;
                    stop_serving.cancel();
                })
                .await
                .context("server error");
        stop.cancel();
        if let Some(tasks) = tasks.as_mut() {
            // Workers stop at their next page; give them a moment to hand jobs back.
            let drained = tokio::time::timeout(std::time::Duration::from_secs(20), async {
                while tasks.join_next().await.is_some() {}
            })
            .await;
            if drained.is_err() {
                tracing::warn!("some workers did not stop in time; their leases will expire");
            }
        }
        served
    }
}

fn engine_options(settings: &Settings) -> EngineOptions {
    let lease = std::time::Duration::from_secs(settings.sync.lease_secs.max(2));
    let mut options = EngineOptions {
        workers: settings.sync.max_workers.max(1),
        lease,
        heartbeat: lease / 4,
        reap_every: (lease / 4).min(std::time::Duration::from_secs(15)),
        ..Default::default()
    };
    options.executor.download_concurrency = settings.sync.download_concurrency.max(1);
    options.executor.chunking = crate::ingest::ChunkOptions {
        size_chars: settings.sync.chunk_chars.max(100),
        overlap_chars: settings.sync.chunk_overlap,
    };
    options
}

fn leptos_options(settings: &Settings, local_addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("cloud-sources")
        .site_root(settings.server.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(local_addr)
        .build()
}

/// The page routes, generated once per process. Generating them sets a
/// process-global flag in leptos_server under which any resource first polled
/// meanwhile waits forever (leptos issue #4773): a page rendering in another
/// application in the same process, as in parallel tests, hung now and then.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn router(service: Arc<Service>, local_addr: SocketAddr) -> Router {
    let options = leptos_options(&service.settings, local_addr);
    let port: Arc<dyn ServicePort> = service.clone();
    let page_context = move || {
        provide_context(port.clone());
        routes::headers::provide_page_policy();
    };
    let pages = Router::new()
        .leptos_routes_with_context(&options, page_routes(), page_context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(page_context, shell))
        .with_state(options);

    let app = Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .route("/login", post(routes::auth::login))
        .route("/logout", post(routes::auth::logout))
        .nest("/api/v1/cloud-sources", routes::api::router())
        .with_state(service.clone())
        .merge(pages);
    with_sandbox(app, &service.settings)
        .layer(axum::middleware::from_fn_with_state(service, authenticate))
        .layer(axum::middleware::from_fn(routes::headers::security_headers))
        .layer(routes::trace_layer())
}

/// In demo mode the provider simulators are served under `/sandbox`, with the
/// demo OAuth clients registered for this server's callbacks.
#[cfg(feature = "sandbox")]
fn with_sandbox(app: Router, settings: &Settings) -> Router {
    if !settings.demo {
        return app;
    }
    let public = settings.public_url();
    let sandbox = crate::sandbox::Sandbox::new(crate::sandbox::SandboxOptions {
        public_base_url: Some(format!("{public}/sandbox")),
        demo_app_url: Some(public),
        ..Default::default()
    });
    app.nest("/sandbox", sandbox.router())
}

#[cfg(not(feature = "sandbox"))]
fn with_sandbox(app: Router, settings: &Settings) -> Router {
    if settings.demo {
        tracing::warn!(
            "demo mode needs a build with the `sandbox` feature; serving without simulators"
        );
    }
    app
}

/// `vault rotate` may run in another process (the CLI, another instance): reload
/// the key ring now and then so blobs sealed under a new key open here too.
async fn follow_vault_rotations(service: Arc<Service>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        tokio::select! {
            () = service.stopping.cancelled() => return,
            _ = every.tick() => {}
        }
        if let Err(e) = service.reload_vault().await {
            tracing::warn!(error = %e, "cannot reload the vault key ring");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, draining connections");
}
