//! Fault injection and request counting, per account, and the gate every provider API
//! request passes before its handler: bearer token → account, count, faults, token validity.
//!
//! Each provider turns a [`Denial`] into its own error envelope. Fault shares draw from a
//! seeded RNG that is reset whenever the configuration changes, so runs are reproducible.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::accounts::AccountHandle;
use super::oauth::TokenStatus;
use super::{Provider, Sandbox, util};

/// Which rate-limit answer Drive gives: 429 `rateLimitExceeded` or 403 `userRateLimitExceeded`
/// (both are documented and retryable).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriveRateLimitStyle {
    #[default]
    TooManyRequests429,
    UserRateLimit403,
}

/// Faults for one account. `Default` is no faults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// Added to every API request.
    pub latency_ms: u64,
    /// Share (0.0–1.0) of API requests answered with the provider's rate-limit error.
    pub rate_limit_share: f64,
    /// `Retry-After` seconds sent with rate-limit errors (0 means 1).
    pub retry_after_secs: u64,
    pub drive_rate_limit: DriveRateLimitStyle,
    /// The next N API requests fail with `server_error_status`.
    pub server_error_burst: u32,
    /// 500, 502, 503 or 504 (0 means 503).
    pub server_error_status: u16,
    /// The next N API requests hang until the faults are cleared (or 10 minutes pass).
    pub hang_requests: u32,
    /// Item ids whose download always answers 500.
    pub failing_downloads: BTreeSet<String>,
    /// Seeds the rate-limit draws (defaults to the account's seed).
    pub seed: Option<u64>,
}

impl FaultConfig {
    pub fn retry_after(&self) -> u64 {
        self.retry_after_secs.max(1)
    }

    pub fn server_error_status(&self) -> u16 {
        match self.server_error_status {
            500 | 502 | 503 | 504 => self.server_error_status,
            _ => 503,
        }
    }
}

pub(crate) struct FaultState {
    pub config: FaultConfig,
    account_seed: u64,
    rng: StdRng,
    burst_left: u32,
    hang_left: u32,
}

impl FaultState {
    pub fn new(account_seed: u64) -> Self {
        Self {
            config: FaultConfig::default(),
            account_seed,
            rng: StdRng::seed_from_u64(account_seed),
            burst_left: 0,
            hang_left: 0,
        }
    }

    pub fn set(&mut self, config: FaultConfig) {
        self.rng = StdRng::seed_from_u64(config.seed.unwrap_or(self.account_seed));
        self.burst_left = config.server_error_burst;
        self.hang_left = config.hang_requests;
        self.config = config;
    }

    pub fn download_fails(&self, item_id: &str) -> bool {
        self.config.failing_downloads.contains(item_id)
    }
}

/// Requests an account's API endpoints received (benchmarks count provider calls).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Every request that reached an account (whatever its answer): API calls, downloads
    /// and successful token-endpoint grants (`oauth.token`). Requests with an unknown token
    /// reach no account and are not counted.
    pub total: u64,
    /// Per endpoint, e.g. `files.list`, `delta`, `files/list_folder/continue`, `oauth.token`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Answered with a rate-limit error by the fault injector.
    pub throttled: u64,
    /// Answered with a 5xx by the fault injector (bursts and failing downloads).
    pub server_errors: u64,
    /// Answered 401 because the token was expired or revoked.
    pub unauthorized: u64,
}

/// Why the gate refused a request; each provider renders its own error body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Denial {
    MissingToken,
    InvalidToken,
    ExpiredToken,
    Throttled { retry_after: u64, drive_style: DriveRateLimitStyle },
    ServerError { status: u16 },
}

const HANG_LIMIT: Duration = Duration::from_secs(600);

/// Admits an API request for `endpoint`: resolves the bearer token to its account, counts
/// the request and applies the account's faults.
pub(crate) async fn admit(
    sandbox: &Sandbox,
    provider: Provider,
    endpoint: &'static str,
    headers: &HeaderMap,
) -> Result<Arc<AccountHandle>, Denial> {
    let token = util::bearer(headers).ok_or(Denial::MissingToken)?;
    let (key, status) = util::lock(&sandbox.inner.oauth)
        .lookup_access(provider, token, sandbox.now_ms())
        .ok_or(Denial::InvalidToken)?;
    let account = sandbox.existing_account(&key).ok_or(Denial::InvalidToken)?;
    account.counters().record(endpoint);
    match status {
        TokenStatus::Valid => {}
        TokenStatus::Expired | TokenStatus::Revoked => {
            account.counters().unauthorized += 1;
            return Err(if status == TokenStatus::Expired {
                Denial::ExpiredToken
            } else {
                Denial::InvalidToken
            });
        }
    }
    apply_faults(&account).await?;
    Ok(account)
}

/// Latency, hangs, 5xx bursts and the rate-limit share, in that order.
pub(crate) async fn apply_faults(account: &AccountHandle) -> Result<(), Denial> {
    let latency = account.faults().config.latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let hang = {
        let mut faults = account.faults();
        if faults.hang_left > 0 {
            faults.hang_left -= 1;
            // Registered while the faults lock is held, so a concurrent clear cannot be missed.
            let notified = account.release.notified();
            Some(notified)
        } else {
            None
        }
    };
    if let Some(notified) = hang {
        let mut notified = std::pin::pin!(notified);
        notified.as_mut().enable();
        let _ = tokio::time::timeout(HANG_LIMIT, notified).await;
    }
    let denial = {
        let mut faults = account.faults();
        if faults.burst_left > 0 {
            faults.burst_left -= 1;
            Some(Denial::ServerError { status: faults.config.server_error_status() })
        } else if faults.config.rate_limit_share > 0.0
            && faults.rng.random::<f64>() < faults.config.rate_limit_share
        {
            Some(Denial::Throttled {
                retry_after: faults.config.retry_after(),
                drive_style: faults.config.drive_rate_limit,
            })
        } else {
            None
        }
    };
    match denial {
        Some(denial) => {
            let mut counters = account.counters();
            match denial {
                Denial::ServerError { .. } => counters.server_errors += 1,
                _ => counters.throttled += 1,
            }
            Err(denial)
        }
        None => Ok(()),
    }
}

impl RequestCounts {
    pub(crate) fn record(&mut self, endpoint: &str) {
        self.total += 1;
        *self.by_endpoint.entry(endpoint.to_string()).or_default() += 1;
    }

    pub fn endpoint(&self, endpoint: &str) -> u64 {
        self.by_endpoint.get(endpoint).copied().unwrap_or(0)
    }
}
