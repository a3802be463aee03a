//! Login rate limits per account and per client address.
//!
//! Failures are counted in a sliding window; once a key has too many, further
//! attempts are refused until the oldest failure leaves the window. Kept in
//! memory: each instance limits what it sees, which bounds guessing to
//! (instances × limit) per window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

impl LoginLimiter {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        Self { window, per_account, per_address, failures: Mutex::default() }
    }

    fn keys(username: &str, address: &str) -> [(String, bool); 2] {
        [(format!("user:{}", username.to_lowercase()), true), (format!("addr:{address}"), false)]
    }

    /// `Err(seconds)` to wait when either the account or the address is locked.
    pub fn check(&self, username: &str, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, account) in Self::keys(username, address) {
            let limit = if account { self.per_account } else { self.per_address };
            if let Some(times) = failures.get_mut(&key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                    times.pop_front();
                }
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window - now.duration_since(*oldest));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait.as_secs().max(1)) }
    }

    pub fn record_failure(&self, username: &str, address: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > 100_000 {
            // Bound memory under a spray of distinct names.
            failures.retain(|_, times| {
                times.back().is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for (key, _) in Self::keys(username, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&format!("user:{}", username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_repeated_failures_from_anywhere() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 3, 100);
        for i in 0..3 {
            assert!(limiter.check("alice", &format!("10.0.0.{i}")).is_ok());
            limiter.record_failure("Alice", &format!("10.0.0.{i}"));
        }
        let wait = limiter.check("ALICE", "10.9.9.9").unwrap_err();
        assert!(wait > 0 && wait <= 60);
        assert!(limiter.check("bob", "10.9.9.9").is_ok(), "other accounts are not affected");
    }

    #[test]
    fn locks_an_address_that_sprays_many_accounts() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 100, 4);
        for i in 0..4 {
            limiter.record_failure(&format!("user{i}"), "203.0.113.9");
        }
        assert!(limiter.check("someone-else", "203.0.113.9").is_err());
        assert!(limiter.check("someone-else", "203.0.113.10").is_ok());
    }

    #[test]
    fn success_clears_the_account_counter() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 2, 100);
        limiter.record_failure("alice", "a");
        limiter.record_success("alice");
        limiter.record_failure("alice", "a");
        assert!(limiter.check("alice", "a").is_ok());
    }
}
