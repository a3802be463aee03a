//! The one HTTP layer every provider goes through.
//!
//! - **Pacing**: a token bucket per provider account ([`Pacer`]), shared by every
//!   job on that account through the [`PacerRegistry`], and paused for everyone
//!   when the provider says "slow down".
//! - **Retries**: temporary failures (429, 5xx, timeouts, connection resets) are
//!   retried with decorrelated-jitter backoff inside a total time budget. A
//!   `Retry-After` (seconds or HTTP date) is honoured: we never retry sooner.
//! - **Auth**: bearer tokens from [`AccessTokens`]; a 401 triggers exactly one
//!   refresh and retry. Basic auth for password providers.
//! - **Classification**: non-success answers are handed to the provider's own
//!   `parse_error`, the one place each provider maps its error bodies.
//!
//! Retries live here and nowhere else.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use app::model::{ProviderId, SecretText};
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::net::HostGuard;
use super::{AccessTokens, ByteStream, ErrorKind, ProviderError, ProviderResult};

/// Largest error or JSON body we read into memory.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Largest error body kept for classification.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// How hard to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// First backoff and the lower bound of every backoff.
    pub base: Duration,
    /// Upper bound of one backoff.
    pub cap: Duration,
    /// Give up when the next wait would end after this much time in total.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 10,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
            budget: Duration::from_secs(300),
        }
    }
}

/// Decorrelated jitter ("Exponential Backoff and Jitter", AWS architecture blog):
/// `sleep = min(cap, random(base, previous * 3))`.
#[derive(Debug)]
struct Backoff {
    policy: RetryPolicy,
    previous: Duration,
}

impl Backoff {
    fn new(policy: RetryPolicy) -> Self {
        Self { policy, previous: policy.base }
    }

    fn next(&mut self) -> Duration {
        let low = self.policy.base.as_secs_f64();
        let high = (self.previous.as_secs_f64() * 3.0).max(low);
        let pick = low + rand::random::<f64>() * (high - low);
        let next = Duration::from_secs_f64(pick).min(self.policy.cap);
        self.previous = next;
        next
    }
}

/// A token bucket for one provider account.
#[derive(Debug)]
pub struct Pacer {
    /// Requests per second; `0` means unlimited.
    rate: f64,
    burst: f64,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
}

impl Pacer {
    pub fn new(requests_per_second: f64) -> Self {
        let burst = requests_per_second.max(1.0);
        Self {
            rate: requests_per_second,
            burst,
            state: Mutex::new(PacerState {
                tokens: burst,
                last: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// Waits until a request may be sent.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                match state.paused_until {
                    Some(until) if until > now => until - now,
                    _ if self.rate <= 0.0 => return,
                    _ => {
                        let elapsed = now.duration_since(state.last).as_secs_f64();
                        state.tokens = (state.tokens + elapsed * self.rate).min(self.burst);
                        state.last = now;
                        if state.tokens >= 1.0 {
                            state.tokens -= 1.0;
                            return;
                        }
                        Duration::from_secs_f64((1.0 - state.tokens) / self.rate)
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Holds every request on this account for `duration` (the provider throttled us).
    pub fn pause_for(&self, duration: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + duration;
        if state.paused_until.is_none_or(|current| current < until) {
            state.paused_until = Some(until);
        }
    }
}

/// Pacers by account, so that two jobs on one account share one request rate.
#[derive(Debug, Default)]
pub struct PacerRegistry {
    pacers: Mutex<HashMap<String, Weak<Pacer>>>,
}

impl PacerRegistry {
    pub fn pacer(&self, account: &str, requests_per_second: f64) -> Arc<Pacer> {
        let mut pacers = self.pacers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pacer) = pacers.get(account).and_then(Weak::upgrade) {
            return pacer;
        }
        pacers.retain(|_, weak| weak.strong_count() > 0);
        let pacer = Arc::new(Pacer::new(requests_per_second));
        pacers.insert(account.to_string(), Arc::downgrade(&pacer));
        pacer
    }
}

/// Request counters per provider, for `/metrics` and benchmarks.
#[derive(Debug, Default)]
pub struct RequestCounters {
    counters: Mutex<HashMap<ProviderId, ProviderCounts>>,
}

/// Counts for one provider.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProviderCounts {
    pub requests: u64,
    pub errors: u64,
    pub throttled: u64,
    pub retries: u64,
    /// The shortest and the longest wait before retrying a rate-limited request
    /// (0: none yet): with `Retry-After`, both are what the provider asked for.
    pub shortest_throttle_wait_ms: u64,
    pub longest_throttle_wait_ms: u64,
}

impl RequestCounters {
    /// Counts one request of a provider that does not speak HTTP (an IMAP command).
    pub fn count_request(&self, provider: ProviderId) {
        self.record(provider, |c| c.requests += 1);
    }

    fn record(&self, provider: ProviderId, change: impl FnOnce(&mut ProviderCounts)) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        change(counters.entry(provider).or_default());
    }

    pub fn snapshot(&self) -> Vec<(ProviderId, ProviderCounts)> {
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = counters.iter().map(|(k, v)| (*k, *v)).collect();
        out.sort_by_key(|(k, _)| *k);
        out
    }
}

/// Process-wide HTTP dependencies handed to every provider.
#[derive(Clone)]
pub struct HttpDeps {
    /// For operator-configured endpoints (cloud APIs, the sandbox).
    pub client: reqwest::Client,
    pub pacers: Arc<PacerRegistry>,
    pub counters: Arc<RequestCounters>,
    pub retry: RetryPolicy,
    /// Requests per second per account, by provider; missing means unlimited.
    pub rates: HashMap<ProviderId, f64>,
    /// Total requests sent (all providers), a cheap global counter for tests.
    pub sent: Arc<AtomicU64>,
    /// The SSRF guard for servers users type in (WebDAV, IMAP, self-hosted
    /// Confluence/Jira), built from `security.allow_hosts`.
    pub guard: Arc<HostGuard>,
}

impl RetryPolicy {
    /// For a person waiting on a "Test" button: a couple of quick retries within seconds,
    /// not the minutes a background sync may spend riding out an outage.
    pub fn interactive() -> Self {
        Self {
            max_retries: 2,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(2),
            budget: Duration::from_secs(8),
        }
    }
}

impl HttpDeps {
    /// The same dependencies with the [`RetryPolicy::interactive`] retries.
    pub fn interactive(&self) -> Self {
        Self { retry: RetryPolicy::interactive(), ..self.clone() }
    }

    pub fn new(client: reqwest::Client, retry: RetryPolicy) -> Self {
        Self {
            client,
            pacers: Arc::default(),
            counters: Arc::default(),
            retry,
            rates: HashMap::new(),
            sent: Arc::default(),
            // Strict until the operator's allow-list is set with `with_guard`.
            guard: Arc::new(HostGuard::default()),
        }
    }

    /// Replaces the SSRF guard (the operator's `security.allow_hosts`).
    pub fn with_guard(mut self, guard: Arc<HostGuard>) -> Self {
        self.guard = guard;
        self
    }

    /// A reqwest client with the timeouts every provider wants.
    pub fn default_client_builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("recallhub-cloud-sources/", env!("CARGO_PKG_VERSION")))
    }
}

/// How requests are authenticated.
#[derive(Clone)]
pub enum RequestAuth {
    None,
    Bearer(Arc<dyn AccessTokens>),
    Basic { username: String, password: SecretText },
}

/// A non-success answer, for the provider's `parse_error`.
#[derive(Debug)]
pub struct ErrorResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ErrorResponse {
    /// The body as text, for messages (never logged whole).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).chars().take(500).collect()
    }

    /// The `Retry-After` header: seconds, or an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(self.headers.get(http::header::RETRY_AFTER)?.to_str().ok()?)
    }

    /// The classification every provider starts from: by status code alone. The
    /// message does not name the provider: whoever shows it (the job, the API) does.
    pub fn default_error(&self) -> ProviderError {
        let kind = match self.status {
            StatusCode::UNAUTHORIZED => ErrorKind::AuthExpired,
            StatusCode::FORBIDDEN => ErrorKind::AccessDenied,
            StatusCode::NOT_FOUND | StatusCode::GONE => ErrorKind::NotFound,
            StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorKind::TooLarge,
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => ErrorKind::Transient,
            _ => ErrorKind::ParseError,
        };
        let reason = self.status.canonical_reason().unwrap_or("unexpected status");
        ProviderError::new(
            kind,
            format!("unexpected answer HTTP {} {reason}", self.status.as_u16()),
        )
        .with_retry_after(self.retry_after())
        .with_context("status", self.status.as_u16())
    }
}

/// Characters kept as they are in a path segment: RFC 3986 unreserved.
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes one URL path segment (a file name, a user name).
pub fn encode_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

/// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Maps a provider's error answers to [`ProviderError`]s.
pub type Classifier = fn(&ErrorResponse) -> ProviderError;

/// The HTTP client of one provider instance (one account).
#[derive(Clone)]
pub struct HttpClient {
    provider: ProviderId,
    client: reqwest::Client,
    auth: RequestAuth,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
    counters: Arc<RequestCounters>,
    sent: Arc<AtomicU64>,
    classify: Classifier,
    /// Set for user-supplied hosts: every request URL is checked first.
    guard: Option<Arc<HostGuard>>,
}

impl HttpClient {
    /// `account` keys the pacer: every client of one account shares one rate.
    pub fn new(
        deps: &HttpDeps,
        provider: ProviderId,
        account: &str,
        auth: RequestAuth,
        classify: Classifier,
    ) -> Self {
        let rate = deps.rates.get(&provider).copied().unwrap_or(0.0);
        Self {
            provider,
            client: deps.client.clone(),
            auth,
            pacer: deps.pacers.pacer(&format!("{provider}:{account}"), rate),
            retry: deps.retry,
            counters: deps.counters.clone(),
            sent: deps.sent.clone(),
            classify,
            guard: None,
        }
    }

    /// For servers users type in: requests go through `client` (built from
    /// [`HostGuard::client_builder`], possibly with a client certificate or CA)
    /// and every URL is checked against `guard` before it is sent.
    pub fn guarded(mut self, guard: Arc<HostGuard>, client: reqwest::Client) -> Self {
        self.guard = Some(guard);
        self.client = client;
        self
    }

    /// Sends through `client` instead of the shared one: a client with other
    /// settings, e.g. one that follows no redirects (Graph's `/content` answers
    /// 302 to a pre-authenticated URL that must never see our token).
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request built by `build` (called again for every attempt) and
    /// returns the first successful response (2xx or 3xx), retrying temporary
    /// failures and refreshing the token once on 401.
    pub async fn send<F>(&self, build: F) -> ProviderResult<reqwest::Response>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let started = Instant::now();
        let mut backoff = Backoff::new(self.retry);
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            self.pacer.acquire().await;
            let (request, token) = self.authorize(build(&self.client)).await?;
            let request = request.build().map_err(|e| {
                ProviderError::invalid(format!("cannot build the request: {}", e.without_url()))
            })?;
            if let Some(guard) = &self.guard {
                guard.check_url(request.url())?;
            }
            self.sent.fetch_add(1, Ordering::Relaxed);
            self.counters.record(self.provider, |c| c.requests += 1);
            let error = match self.client.execute(request).await {
                Ok(response)
                    if response.status().is_success() || response.status().is_redirection() =>
                {
                    return Ok(response);
                }
                Ok(response) => {
                    let answer = read_error(response).await;
                    if answer.status == StatusCode::UNAUTHORIZED
                        && !refreshed
                        && let (RequestAuth::Bearer(tokens), Some(token)) = (&self.auth, &token)
                    {
                        refreshed = true;
                        tokens.refresh_rejected(token).await?;
                        continue;
                    }
                    let mut error = (self.classify)(&answer);
                    if error.retry_after().is_none() {
                        error = error.with_retry_after(answer.retry_after());
                    }
                    error
                }
                Err(e) => transport_error(e),
            };

            self.counters.record(self.provider, |c| {
                c.errors += 1;
                if error.kind() == ErrorKind::RateLimited {
                    c.throttled += 1;
                }
            });
            if let Some(after) = error.retry_after() {
                self.pacer.pause_for(after);
            }
            if !error.is_temporary() {
                return Err(error);
            }
            attempt += 1;
            // The provider said when: wait that long, not longer (backoff that
            // grew on earlier failures would make a storm slower than needed).
            let wait = match error.retry_after() {
                Some(after) => after.max(self.retry.base),
                None => backoff.next(),
            };
            if attempt > self.retry.max_retries || started.elapsed() + wait > self.retry.budget {
                return Err(error.persistent().with_context("attempts", attempt));
            }
            tracing::debug!(provider = %self.provider, kind = error.kind().as_str(), attempt, wait_ms = wait.as_millis() as u64, "retrying");
            let throttled = error.kind() == ErrorKind::RateLimited;
            self.counters.record(self.provider, |c| {
                c.retries += 1;
                if throttled {
                    let ms = wait.as_millis() as u64;
                    if c.shortest_throttle_wait_ms == 0 || ms < c.shortest_throttle_wait_ms {
                        c.shortest_throttle_wait_ms = ms;
                    }
                    c.longest_throttle_wait_ms = c.longest_throttle_wait_ms.max(ms);
                }
            });
            tokio::time::sleep(wait).await;
        }
    }

    async fn authorize(
        &self,
        request: reqwest::RequestBuilder,
    ) -> ProviderResult<(reqwest::RequestBuilder, Option<SecretText>)> {
        Ok(match &self.auth {
            RequestAuth::None => (request, None),
            RequestAuth::Bearer(tokens) => {
                let token = tokens.access_token().await?;
                (request.bearer_auth(token.expose()), Some(token))
            }
            RequestAuth::Basic { username, password } => {
                (request.basic_auth(username, Some(password.expose())), None)
            }
        })
    }

    /// Sends and decodes a JSON answer.
    pub async fn json<T, F>(&self, build: F) -> ProviderResult<T>
    where
        T: DeserializeOwned,
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let response = self.send(build).await?;
        let body = read_body(response).await?;
        serde_json::from_slice(&body).map_err(|e| {
            ProviderError::parse(format!("unexpected answer from {}: {e}", self.provider))
                .with_source(e)
        })
    }
}

/// Reads a whole (bounded) body.
pub async fn read_body(response: reqwest::Response) -> ProviderResult<Bytes> {
    if response.content_length().is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(ProviderError::new(ErrorKind::TooLarge, "the answer is too large"));
    }
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(transport_error)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ProviderError::new(ErrorKind::TooLarge, "the answer is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

async fn read_error(response: reqwest::Response) -> ErrorResponse {
    let status = response.status();
    let headers = response.headers().clone();
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = MAX_ERROR_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    ErrorResponse { status, headers, body: body.into() }
}

/// A transport failure (no HTTP answer): connection refused, reset, timeout.
pub fn transport_error(e: reqwest::Error) -> ProviderError {
    // The URL may carry tokens in its query on some providers: never print it.
    let e = e.without_url();
    if let Some(blocked) = super::net::find_blocked(&e) {
        return ProviderError::invalid(blocked.to_string()).with_source(e);
    }
    let message = if e.is_timeout() {
        "the server did not answer in time".to_string()
    } else if e.is_connect() {
        "could not connect to the server".to_string()
    } else {
        format!("network error: {e}")
    };
    ProviderError::transient(message).with_source(e)
}

/// Turns a response body into a [`ByteStream`] that fails with `TooLarge` once
/// more than `max_bytes` have arrived (and at once when `Content-Length` says so).
pub fn limited_stream(response: reqwest::Response, max_bytes: u64) -> ProviderResult<ByteStream> {
    if response.content_length().is_some_and(|len| len > max_bytes) {
        return Err(too_large(max_bytes));
    }
    let mut seen = 0u64;
    let stream = response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(transport_error)?;
        seen += chunk.len() as u64;
        if seen > max_bytes { Err(too_large(max_bytes)) } else { Ok(chunk) }
    });
    Ok(stream.boxed())
}

fn too_large(max_bytes: u64) -> ProviderError {
    ProviderError::new(ErrorKind::TooLarge, format!("larger than the limit of {max_bytes} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 1.5 "), Some(Duration::from_millis(1500)));
        let future = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let parsed = parse_retry_after(&future.replace("+0000", "GMT")).unwrap();
        assert!(
            parsed > Duration::from_secs(27) && parsed <= Duration::from_secs(30),
            "{parsed:?}"
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }

    #[test]
    fn backoff_stays_between_base_and_cap() {
        let policy = RetryPolicy {
            max_retries: 100,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            budget: Duration::from_secs(60),
        };
        let mut backoff = Backoff::new(policy);
        let waits: Vec<Duration> = (0..50).map(|_| backoff.next()).collect();
        assert!(waits.iter().all(|w| *w >= policy.base && *w <= policy.cap), "{waits:?}");
        assert!(waits.iter().any(|w| *w > Duration::from_millis(500)), "it grows: {waits:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_limits_the_rate_and_pauses_when_throttled() {
        let pacer = Pacer::new(10.0);
        let start = Instant::now();
        for _ in 0..30 {
            pacer.acquire().await;
        }
        // 10 in the initial burst, then 20 more at 10/s.
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_millis(2200),
            "{elapsed:?}"
        );

        pacer.pause_for(Duration::from_secs(5));
        let paused = Instant::now();
        pacer.acquire().await;
        assert!(paused.elapsed() >= Duration::from_secs(5));
    }

    #[test]
    fn one_pacer_per_account() {
        let registry = PacerRegistry::default();
        let a = registry.pacer("drive:conn-1", 5.0);
        let b = registry.pacer("drive:conn-1", 5.0);
        let c = registry.pacer("drive:conn-2", 5.0);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
