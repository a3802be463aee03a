//! The shared provider HTTP layer against a real local HTTP server: retries,
//! Retry-After, one token refresh on 401, classification, the SSRF guard.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{ProviderId, SecretText};
use async_trait::async_trait;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cloud_sources::providers::http::{
    ErrorResponse, HttpClient, HttpDeps, RequestAuth, RetryPolicy,
};
use cloud_sources::providers::net::HostGuard;
use cloud_sources::providers::{AccessTokens, ErrorKind, ProviderError, ProviderResult, Retry};

#[derive(Default)]
struct Peer {
    hits: AtomicUsize,
    /// Arrival times, to check that Retry-After was respected.
    arrivals: Mutex<Vec<Instant>>,
    /// Authorization headers seen.
    auth: Mutex<Vec<String>>,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn record(peer: &Peer, headers: &HeaderMap) -> usize {
    peer.arrivals.lock().unwrap().push(Instant::now());
    if let Some(auth) = headers.get("authorization") {
        peer.auth.lock().unwrap().push(auth.to_str().unwrap().to_string());
    }
    peer.hits.fetch_add(1, Ordering::SeqCst) + 1
}

fn peer_router(peer: Arc<Peer>) -> Router {
    Router::new()
        // Fails twice with 503, then answers.
        .route(
            "/flaky",
            get(|State(p): State<Arc<Peer>>, h: HeaderMap| async move {
                if record(&p, &h) <= 2 {
                    StatusCode::SERVICE_UNAVAILABLE.into_response()
                } else {
                    "ok".into_response()
                }
            }),
        )
        // Throttles once with Retry-After: 1.
        .route(
            "/throttled",
            get(|State(p): State<Arc<Peer>>, h: HeaderMap| async move {
                if record(&p, &h) == 1 {
                    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "slow down")
                        .into_response()
                } else {
                    "ok".into_response()
                }
            }),
        )
        // Accepts only the refreshed token.
        .route(
            "/needs-fresh-token",
            get(|State(p): State<Arc<Peer>>, h: HeaderMap| async move {
                record(&p, &h);
                if h.get("authorization").is_some_and(|v| v == "Bearer fresh") {
                    "ok".into_response()
                } else {
                    StatusCode::UNAUTHORIZED.into_response()
                }
            }),
        )
        .route(
            "/always-401",
            get(|State(p): State<Arc<Peer>>, h: HeaderMap| async move {
                record(&p, &h);
                StatusCode::UNAUTHORIZED
            }),
        )
        .route(
            "/missing",
            get(|State(p): State<Arc<Peer>>, h: HeaderMap| async move {
                record(&p, &h);
                StatusCode::NOT_FOUND
            }),
        )
        .route(
            "/down",
            get(|State(p): State<Arc<Peer>>, h: HeaderMap| async move {
                record(&p, &h);
                StatusCode::BAD_GATEWAY
            }),
        )
        .with_state(peer)
}

/// Tokens: "stale" until refreshed, then "fresh". Counts refreshes.
#[derive(Default)]
struct Tokens {
    refreshed: AtomicUsize,
}

#[async_trait]
impl AccessTokens for Tokens {
    async fn access_token(&self) -> ProviderResult<SecretText> {
        Ok(if self.refreshed.load(Ordering::SeqCst) > 0 { "fresh" } else { "stale" }.into())
    }
    async fn refresh_rejected(&self, _rejected: &SecretText) -> ProviderResult<SecretText> {
        self.refreshed.fetch_add(1, Ordering::SeqCst);
        Ok("fresh".into())
    }
}

fn classify(answer: &ErrorResponse) -> ProviderError {
    answer.default_error()
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 5,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        budget: Duration::from_secs(10),
    }
}

fn client(auth: RequestAuth, retry: RetryPolicy) -> HttpClient {
    let deps = HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), retry);
    HttpClient::new(&deps, ProviderId::GoogleDrive, "test-account", auth, classify)
}

#[tokio::test]
async fn temporary_failures_are_retried_until_they_pass() {
    let peer = Arc::new(Peer::default());
    let base = serve(peer_router(peer.clone())).await;
    let http = client(RequestAuth::None, policy());
    let response = http.send(|c| c.get(format!("{base}/flaky"))).await.unwrap();
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(peer.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_never_sooner() {
    let peer = Arc::new(Peer::default());
    let base = serve(peer_router(peer.clone())).await;
    let http = client(RequestAuth::None, policy());
    http.send(|c| c.get(format!("{base}/throttled"))).await.unwrap();
    let arrivals = peer.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1] - arrivals[0];
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}, before Retry-After");
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries() {
    let peer = Arc::new(Peer::default());
    let base = serve(peer_router(peer.clone())).await;
    let tokens = Arc::new(Tokens::default());
    let http = client(RequestAuth::Bearer(tokens.clone()), policy());
    http.send(|c| c.get(format!("{base}/needs-fresh-token"))).await.unwrap();
    assert_eq!(tokens.refreshed.load(Ordering::SeqCst), 1);
    assert_eq!(
        *peer.auth.lock().unwrap(),
        vec!["Bearer stale".to_string(), "Bearer fresh".to_string()]
    );

    // A token the provider keeps rejecting after one refresh means: reconnect.
    let tokens = Arc::new(Tokens::default());
    let http = client(RequestAuth::Bearer(tokens.clone()), policy());
    let err = http.send(|c| c.get(format!("{base}/always-401"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthExpired);
    assert_eq!(tokens.refreshed.load(Ordering::SeqCst), 1, "refreshes exactly once");
}

#[tokio::test]
async fn permanent_errors_are_not_retried_and_retries_end_in_a_persistent_error() {
    let peer = Arc::new(Peer::default());
    let base = serve(peer_router(peer.clone())).await;
    let http = client(RequestAuth::None, policy());
    let err = http.send(|c| c.get(format!("{base}/missing"))).await.unwrap_err();
    assert_eq!((err.kind(), err.retry()), (ErrorKind::NotFound, Retry::Permanent));
    assert_eq!(peer.hits.load(Ordering::SeqCst), 1);

    let err = http.send(|c| c.get(format!("{base}/down"))).await.unwrap_err();
    assert_eq!((err.kind(), err.retry()), (ErrorKind::Transient, Retry::Persistent));
    assert_eq!(peer.hits.load(Ordering::SeqCst), 1 + 6, "one try and five retries");
}

#[tokio::test]
async fn the_time_budget_bounds_retries() {
    let peer = Arc::new(Peer::default());
    let base = serve(peer_router(peer.clone())).await;
    let tight = RetryPolicy { max_retries: 100, budget: Duration::from_millis(300), ..policy() };
    let http = client(RequestAuth::None, tight);
    let started = Instant::now();
    let err = http.send(|c| c.get(format!("{base}/down"))).await.unwrap_err();
    assert_eq!(err.retry(), Retry::Persistent);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn connection_failures_are_transient() {
    let http = client(RequestAuth::None, RetryPolicy { max_retries: 1, ..policy() });
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = http.send(|c| c.get(format!("http://127.0.0.1:{port}/"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert!(err.message().contains("could not connect"), "{}", err.message());
}

async fn redirect_to(target: String) -> String {
    serve(Router::new().route(
        "/go",
        get(move || {
            let target = target.clone();
            async move {
                Response::builder()
                    .status(302)
                    .header("location", target)
                    .body(axum::body::Body::empty())
                    .unwrap()
            }
        }),
    ))
    .await
}

#[tokio::test]
async fn the_guard_refuses_internal_hosts_before_and_after_redirects() {
    let peer = Arc::new(Peer::default());
    let internal = serve(peer_router(peer.clone())).await;
    let guard = Arc::new(HostGuard::default());
    let guarded_client = guard.client_builder().build().unwrap();
    let http = client(RequestAuth::None, policy()).guarded(guard.clone(), guarded_client.clone());

    let err = http.send(|c| c.get(format!("{internal}/flaky"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.message().contains("internal address"), "{}", err.message());
    assert_eq!(peer.hits.load(Ordering::SeqCst), 0, "nothing reached the internal server");

    // A name resolving to loopback is refused at DNS time.
    let port = internal.rsplit(':').next().unwrap();
    let err = http.send(|c| c.get(format!("http://localhost:{port}/flaky"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    assert_eq!(peer.hits.load(Ordering::SeqCst), 0);

    // An allowed host that redirects to a blocked one is refused at the redirect.
    let redirector = redirect_to("http://169.254.169.254/latest/meta-data/".to_string()).await;
    let redirector_port: u16 = redirector.rsplit(':').next().unwrap().parse().unwrap();
    let allow = Arc::new(HostGuard::new(&["127.0.0.1/32".to_string()]).unwrap());
    let http = client(RequestAuth::None, policy())
        .guarded(allow.clone(), allow.client_builder().build().unwrap());
    let err =
        http.send(|c| c.get(format!("http://127.0.0.1:{redirector_port}/go"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");

    // With the allow-list, the internal server is reachable.
    let ok = http.send(|c| c.get(format!("{internal}/flaky"))).await.unwrap();
    assert_eq!(ok.text().await.unwrap(), "ok");
}
