//! OAuth providers against the sandbox simulators: a conformance backend that
//! changes the simulated cloud through its control API, and access tokens
//! minted by the sandbox's authorization server (refreshing mints new ones).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use app::model::SecretText;
use async_trait::async_trait;
use cloud_sources::providers::http::{HttpDeps, RetryPolicy};
use cloud_sources::providers::{AccessTokens, ProviderResult};
use cloud_sources::sandbox::SandboxAccount;

use super::provider_conformance::ConformanceBackend;

/// Retries quick enough for tests but many enough to ride out a 429 storm.
pub fn test_deps() -> HttpDeps {
    let retry = RetryPolicy {
        max_retries: 12,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(100),
        budget: Duration::from_secs(60),
    };
    HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), retry)
}

/// Tokens of one sandbox account, as the token manager would hand them out.
pub struct SandboxTokens {
    account: SandboxAccount,
    current: Mutex<String>,
    refreshes: AtomicUsize,
}

impl SandboxTokens {
    pub fn new(account: &SandboxAccount) -> Self {
        let token = account.issue_tokens("provider-tests").access_token;
        Self {
            account: account.clone(),
            current: Mutex::new(token),
            refreshes: AtomicUsize::new(0),
        }
    }

    pub fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl AccessTokens for SandboxTokens {
    async fn access_token(&self) -> ProviderResult<SecretText> {
        Ok(SecretText::new(self.current.lock().unwrap().clone()))
    }

    async fn refresh_rejected(&self, rejected: &SecretText) -> ProviderResult<SecretText> {
        let mut current = self.current.lock().unwrap();
        if *current == rejected.expose() {
            *current = self.account.issue_tokens("provider-tests").access_token;
            self.refreshes.fetch_add(1, Ordering::SeqCst);
        }
        Ok(SecretText::new(current.clone()))
    }
}

/// The simulated cloud changed through the sandbox's control API; paths are
/// in the account's default drive.
pub struct SandboxBackend {
    pub account: SandboxAccount,
}

impl SandboxBackend {
    /// The folder at `path`, created with its parents when missing.
    fn ensure_folder(&self, path: &str) -> String {
        let mut parent = self.account.root_id();
        let mut at = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            at = format!("{at}/{segment}");
            parent = match self.account.item(&at) {
                Some(found) => found.id,
                None => self.account.add_folder(&parent, segment).unwrap().id,
            };
        }
        parent
    }
}

fn split_path(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap()
}

#[async_trait]
impl ConformanceBackend for SandboxBackend {
    fn stable_ids(&self) -> bool {
        true
    }

    async fn write(&self, path: &str, content: &[u8]) {
        if let Some(found) = self.account.item(path) {
            self.account.set_content(&found.id, content.to_vec()).unwrap();
            return;
        }
        let (parent, name) = split_path(path);
        let parent = self.ensure_folder(parent);
        self.account.add_file(&parent, name, content.to_vec()).unwrap();
    }

    async fn mkdir(&self, path: &str) {
        self.ensure_folder(path);
    }

    async fn rename(&self, from: &str, to: &str) {
        let item = self.account.item(from).unwrap_or_else(|| panic!("{from} exists"));
        let ((from_parent, from_name), (to_parent, to_name)) = (split_path(from), split_path(to));
        if from_parent != to_parent {
            let parent = self.ensure_folder(to_parent);
            self.account.move_item(&item.id, &parent).unwrap();
        }
        if from_name != to_name {
            self.account.rename(&item.id, to_name).unwrap();
        }
    }

    async fn remove(&self, path: &str) {
        let item = self.account.item(path).unwrap_or_else(|| panic!("{path} exists"));
        self.account.delete(&item.id).unwrap();
    }
}
