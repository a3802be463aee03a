//! Layered, typed configuration: built-in defaults, then an optional TOML file
//! (`--config`), then environment variables `CLOUD_SOURCES__SECTION__KEY`.
//!
//! Secrets are held in [`SecretString`], whose `Debug` prints `[REDACTED]`, so a
//! `Settings` can be logged or shown in an error without leaking anything.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Prefix of the environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "CLOUD_SOURCES__";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    /// Where the embedded store, the development vault key and other state live.
    pub data_dir: PathBuf,
    pub store: StoreSettings,
    pub vault: VaultSettings,
    /// Mount the provider sandbox and point the cloud providers at it.
    pub demo: bool,
    /// Production mode: refuse to start without a vault master key.
    pub production: bool,
    pub sync: SyncSettings,
    pub alerts: AlertSettings,
    pub security: SecuritySettings,
    pub bootstrap: BootstrapSettings,
    pub log: LogSettings,
    /// Per provider id (`google_drive`, `onedrive`, …): endpoints and OAuth client.
    pub providers: BTreeMap<String, ProviderSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// The URL users reach the server at; OAuth redirect URIs are built from it.
    /// Empty means `http://{addr}`.
    pub public_url: String,
    /// Directory holding the compiled site (`pkg/` with the WASM bundle and CSS).
    pub site_root: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// Empty: the embedded store in `data_dir`. `mongodb://…`: MongoDB.
    pub uri: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSettings {
    /// 64 hex characters (32 bytes).
    pub master_key: Option<SecretString>,
    /// A file holding the 64 hex characters.
    pub master_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// Jobs run at once by this instance.
    pub max_workers: usize,
    /// Files downloaded and extracted at once per job.
    pub download_concurrency: usize,
    /// Chunk size and overlap, in characters, for the RAG index.
    pub chunk_chars: usize,
    pub chunk_overlap: usize,
    /// Run the workers and the scheduler in this process (off: web only).
    pub engine: bool,
    /// A job whose worker stops heartbeating for this long is taken over by another.
    pub lease_secs: u64,
    /// A provider request that receives nothing for this long fails (and is retried).
    pub request_timeout_secs: u64,
    /// Retries of a provider request that failed temporarily (429, 5xx, timeout)
    /// before the file or the run gives up.
    pub request_retries: u32,
}

/// Where alerts about failing syncs and expired connections go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// A URL that receives a JSON POST per alert; empty: alerts only on the dashboard and in the log.
    pub webhook_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Hosts or CIDR ranges that user-supplied servers may resolve to even though
    /// they are loopback, private or link-local (the SSRF guard's allow-list).
    pub allow_hosts: Vec<String>,
    /// How long a browser session lasts.
    pub session_hours: u64,
    /// Single sign-on behind RecallHub's proxy: the header carrying the user
    /// name (empty: off). Honoured only from `trusted_proxies`.
    pub trusted_header: String,
    /// Addresses or CIDR ranges of the proxies allowed to set `trusted_header`.
    pub trusted_proxies: Vec<String>,
}

/// Creates the first admin on start when no account exists (unattended installs).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSettings {
    pub admin_username: String,
    pub admin_password: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter directives; `RUST_LOG` overrides it.
    pub filter: String,
    /// `text` or `json`.
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Endpoints and OAuth client of one provider. Unset fields take the provider's
/// documented defaults (or the sandbox's in demo mode).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub api_base: Option<String>,
    pub content_base: Option<String>,
    pub auth_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// Requests per second per account; 0 means unlimited.
    pub requests_per_second: Option<f64>,
}

/// Built-in defaults, as a TOML document so that they read like the file an operator writes.
const DEFAULTS: &str = r#"
data_dir = "data"
demo = false
production = false

[server]
addr = "127.0.0.1:3000"
public_url = ""
site_root = "target/site"

[store]
uri = ""

[vault]

[sync]
max_workers = 4
download_concurrency = 8
chunk_chars = 1000
chunk_overlap = 150
engine = true
lease_secs = 60
request_timeout_secs = 120
request_retries = 10

[alerts]
webhook_url = ""

[security]
allow_hosts = []
session_hours = 168
trusted_header = ""
trusted_proxies = []

[bootstrap]
admin_username = ""

[log]
filter = "info,tower_http=info"
format = "text"

[providers]
"#;

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Settings {
    /// Loads defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, Env::prefixed(ENV_PREFIX).split("__"))
    }

    fn load_from(file: Option<&Path>, env: Env) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(site_root) = std::env::var_os("LEPTOS_SITE_ROOT") {
            // cargo-leptos tells the server where it put the site.
            figment =
                figment.merge(Serialized::default("server.site_root", PathBuf::from(site_root)));
        }
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment.merge(env).extract().map_err(|e| ConfigError(Box::new(e)))
    }

    /// The externally visible base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        let url = self.server.public_url.trim_end_matches('/');
        if url.is_empty() { format!("http://{}", self.server.addr) } else { url.to_string() }
    }

    /// Settings for tests: embedded store in `data_dir`, port 0, quiet logs.
    pub fn for_tests(data_dir: &Path) -> Self {
        let mut settings = Self::load_from(None, Env::prefixed("CLOUD_SOURCES_TEST_NEVER_SET__"))
            .expect("built-in defaults are valid");
        settings.data_dir = data_dir.to_path_buf();
        settings.server.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        settings
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Error is what Jail works with
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// Runs `f` in a figment jail (private env and cwd) and returns what it returns.
    fn in_jail<T>(f: impl FnOnce(&mut figment::Jail) -> Result<T, figment::Error>) -> T {
        let mut out = None;
        figment::Jail::expect_with(|jail| {
            out = Some(f(jail)?);
            Ok(())
        });
        out.expect("jail ran")
    }

    fn load_with_env(vars: &[(&str, &str)]) -> Result<Settings, String> {
        in_jail(|jail| {
            for (key, value) in vars {
                jail.set_env(key, value);
            }
            Ok(Settings::load(None).map_err(|e| e.to_string()))
        })
    }

    #[test]
    fn defaults_need_no_file_and_no_environment() {
        let settings = load_with_env(&[]).unwrap();
        assert_eq!(settings.server.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.data_dir, PathBuf::from("data"));
        assert!(settings.store.uri.expose_secret().is_empty());
        assert!(!settings.demo);
        assert_eq!(settings.public_url(), "http://127.0.0.1:3000");
    }

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        let settings = in_jail(|jail| {
            jail.create_file(
                "cloud-sources.toml",
                r#"
                data_dir = "/var/lib/cloud-sources"
                demo = true
                [server]
                addr = "0.0.0.0:8080"
                public_url = "https://sources.example.com/"
                [providers.google_drive]
                client_id = "from-file"
                "#,
            )?;
            jail.set_env("CLOUD_SOURCES__SERVER__ADDR", "127.0.0.1:9000");
            jail.set_env("CLOUD_SOURCES__STORE__URI", "mongodb://db:27017/cloud");
            jail.set_env("CLOUD_SOURCES__PROVIDERS__GOOGLE_DRIVE__CLIENT_SECRET", "s3cr3t-value");
            Ok(Settings::load(Some(Path::new("cloud-sources.toml"))).map_err(|e| e.to_string()))
        })
        .unwrap();
        assert_eq!(settings.server.addr.to_string(), "127.0.0.1:9000");
        assert_eq!(settings.data_dir, PathBuf::from("/var/lib/cloud-sources"));
        assert!(settings.demo);
        assert_eq!(settings.public_url(), "https://sources.example.com");
        assert_eq!(settings.store.uri.expose_secret(), "mongodb://db:27017/cloud");
        let drive = &settings.providers["google_drive"];
        assert_eq!(drive.client_id.as_deref(), Some("from-file"));
        assert_eq!(
            drive.client_secret.as_ref().map(|s| s.expose_secret().to_string()),
            Some("s3cr3t-value".to_string())
        );
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let key = "ab".repeat(32);
        let settings = load_with_env(&[
            ("CLOUD_SOURCES__STORE__URI", "mongodb://user:hunter2@db/x"),
            ("CLOUD_SOURCES__VAULT__MASTER_KEY", key.as_str()),
            ("CLOUD_SOURCES__PROVIDERS__DROPBOX__CLIENT_SECRET", "dropbox-secret"),
        ])
        .unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains(&key), "{debug}");
        assert!(!debug.contains("dropbox-secret"), "{debug}");
        assert!(debug.contains("REDACTED"), "{debug}");
    }

    #[test]
    fn misspelt_keys_and_bad_values_are_reported_not_ignored() {
        let err = load_with_env(&[("CLOUD_SOURCES__SERVER__ADR", "127.0.0.1:1")]).unwrap_err();
        assert!(err.contains("adr"), "{err}");
        let err = load_with_env(&[("CLOUD_SOURCES__SERVER__ADDR", "not-an-address")]).unwrap_err();
        assert!(err.contains("addr"), "{err}");
    }
}
