//! The account registry: one account per (provider, username), created and seeded on first
//! use, with a provider-looking identity and provider-shaped ids.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::faults::{FaultState, RequestCounts};
use super::state::{Account, DriveKind, SandboxError};
use super::util::{self, ALNUM, URL_SAFE};
use super::{Provider, SandboxOptions, seed};

pub(crate) const SHAREPOINT_HOST: &str = "contoso.sharepoint.com";

/// Usernames are case-insensitive: `Alice` and `alice` are the same sandbox account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct AccountKey {
    pub provider: Provider,
    pub username: String,
}

impl AccountKey {
    pub fn new(provider: Provider, username: &str) -> Result<Self, SandboxError> {
        let username = username.trim().to_lowercase();
        let valid = !username.is_empty()
            && username.len() <= 64
            && username.chars().all(|c| c.is_ascii_alphanumeric() || "._@+-".contains(c));
        if !valid {
            return Err(SandboxError::Invalid(
                "a username has 1 to 64 letters, digits or . _ @ + -".into(),
            ));
        }
        Ok(Self { provider, username })
    }
}

/// One account's state. The tree, the faults and the counters have separate locks so a
/// request waiting on a fault never blocks the control API.
pub(crate) struct AccountHandle {
    pub key: AccountKey,
    data: Mutex<Account>,
    faults: Mutex<FaultState>,
    counters: Mutex<RequestCounts>,
    /// Wakes requests held by the "hang" fault when faults are cleared.
    pub release: Notify,
}

impl AccountHandle {
    pub fn data(&self) -> MutexGuard<'_, Account> {
        util::lock(&self.data)
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultState> {
        util::lock(&self.faults)
    }

    pub fn counters(&self) -> MutexGuard<'_, RequestCounts> {
        util::lock(&self.counters)
    }
}

#[derive(Default)]
pub(crate) struct Accounts {
    by_key: HashMap<AccountKey, Arc<AccountHandle>>,
}

impl Accounts {
    pub fn get(&self, key: &AccountKey) -> Option<Arc<AccountHandle>> {
        self.by_key.get(key).cloned()
    }

    pub fn get_or_create(
        &mut self,
        key: AccountKey,
        options: &SandboxOptions,
        now: i64,
    ) -> Arc<AccountHandle> {
        if let Some(found) = self.by_key.get(&key) {
            return found.clone();
        }
        let seed = account_seed(options.seed, &key);
        let mut rng = StdRng::seed_from_u64(seed);
        let profile = profile(key.provider, &key.username, &mut rng);
        let mut account = Account::new(key.provider, profile, rng);
        if options.seed_accounts {
            seed::seed_account(&mut account);
        } else {
            let kind = match key.provider {
                Provider::Google => DriveKind::MyDrive,
                Provider::Microsoft => DriveKind::OneDrive,
                Provider::Dropbox => DriveKind::DropboxHome,
            };
            account.add_drive(default_drive_name(key.provider), kind, None, now);
        }
        let handle = Arc::new(AccountHandle {
            data: Mutex::new(account),
            faults: Mutex::new(FaultState::new(seed)),
            counters: Mutex::new(RequestCounts::default()),
            release: Notify::new(),
            key: key.clone(),
        });
        self.by_key.insert(key, handle.clone());
        handle
    }
}

pub(crate) fn default_drive_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Google => "My Drive",
        Provider::Microsoft => "OneDrive",
        Provider::Dropbox => "Dropbox",
    }
}

/// A stable per-account seed (std's hasher is randomised per process).
fn account_seed(seed: u64, key: &AccountKey) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(key.provider.as_str())
        .chain_update([0])
        .chain_update(&key.username)
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Who the account belongs to, as the provider's "current user" endpoints report it.
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    pub username: String,
    pub user_id: String,
    pub display_name: String,
    pub given_name: String,
    pub surname: String,
    pub email: String,
}

pub(crate) fn profile(provider: Provider, username: &str, rng: &mut StdRng) -> Profile {
    let local = username.split('@').next().unwrap_or(username);
    let mut words = local.split(['.', '_', '-', '+']).filter(|w| !w.is_empty()).map(capitalize);
    let given_name = words.next().unwrap_or_else(|| "Sandbox".to_string());
    let rest: Vec<String> = words.collect();
    let surname = if rest.is_empty() { "Example".to_string() } else { rest.join(" ") };
    let email = if username.contains('@') {
        username.to_string()
    } else {
        match provider {
            Provider::Microsoft => format!("{username}@contoso.onmicrosoft.com"),
            _ => format!("{username}@example.com"),
        }
    };
    let user_id = match provider {
        Provider::Google => (0..20).map(|_| char::from(b'0' + rng.random_range(0..10))).collect(),
        Provider::Microsoft => util::guid(rng).to_lowercase(),
        Provider::Dropbox => format!("dbid:AA{}", util::random_string(rng, URL_SAFE, 41)),
    };
    Profile {
        username: username.to_string(),
        user_id,
        display_name: format!("{given_name} {surname}"),
        given_name,
        surname,
        email,
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// An item id in the provider's style: Drive `1…` (33 chars), OneDrive for Business `01…`
/// (34 chars, base32), Dropbox `id:…`.
pub(crate) fn item_id(provider: Provider, rng: &mut StdRng) -> String {
    match provider {
        Provider::Google => format!("1{}", util::random_string(rng, URL_SAFE, 32)),
        Provider::Microsoft => format!("01{}", util::random_string(rng, BASE32, 32)),
        Provider::Dropbox => format!("id:{}", util::random_string(rng, URL_SAFE, 22)),
    }
}

/// A drive id: Drive root/shared drive ids end in `Uk9PVA`, Graph drive ids start with `b!`,
/// and Dropbox's root namespace id is numeric.
pub(crate) fn drive_id(provider: Provider, rng: &mut StdRng) -> String {
    match provider {
        Provider::Google => format!("0A{}Uk9PVA", util::random_string(rng, ALNUM, 11)),
        Provider::Microsoft => format!("b!{}", util::random_string(rng, URL_SAFE, 64)),
        Provider::Dropbox => (0..10).map(|_| char::from(b'1' + rng.random_range(0..9))).collect(),
    }
}

/// A SharePoint site id: `{hostname},{site collection id},{web id}`.
pub(crate) fn site_id(rng: &mut StdRng) -> String {
    format!(
        "{SHAREPOINT_HOST},{},{}",
        util::guid(rng).to_lowercase(),
        util::guid(rng).to_lowercase()
    )
}
