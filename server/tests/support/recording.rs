//! What the test suite produced, kept for the secret scan (`scripts/scan-secrets.py`,
//! the last step of `scripts/test.sh`): under `$CARGO_TARGET_DIR/test-logs/rust/`
//! each test binary writes its server log (`<binary>.log`) and every HTTP answer
//! of its test apps (`<binary>.responses`); the secrets its tests use are
//! registered in `test-logs/secrets/<binary>.txt`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use cloud_sources::config::{LogFormat, LogSettings, Settings};
use secrecy::ExposeSecret;

/// `$CARGO_TARGET_DIR/test-logs`: test binaries live in `<target>/debug/deps/`.
pub fn logs_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe.ancestors().nth(3).expect("target directory").to_path_buf();
    target.join("test-logs")
}

/// The test binary's name without Cargo's hash (`oauth_flow-0123abcd` → `oauth_flow`).
fn binary_name() -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let stem = exe.file_stem().unwrap().to_string_lossy().into_owned();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
        _ => stem,
    }
}

fn open_append(dir: &str, extension: &str) -> Arc<Mutex<File>> {
    let dir = logs_dir().join(dir);
    std::fs::create_dir_all(&dir).expect("test-logs directory");
    let path = dir.join(format!("{}.{extension}", binary_name()));
    let file = OpenOptions::new().create(true).append(true).open(&path).expect("test log file");
    Arc::new(Mutex::new(file))
}

fn secrets_file() -> &'static Arc<Mutex<File>> {
    static FILE: OnceLock<Arc<Mutex<File>>> = OnceLock::new();
    FILE.get_or_init(|| open_append("secrets", "txt"))
}

fn responses_file() -> &'static Arc<Mutex<File>> {
    static FILE: OnceLock<Arc<Mutex<File>>> = OnceLock::new();
    FILE.get_or_init(|| open_append("rust", "responses"))
}

/// Registers a secret a test uses; the scan fails if it shows up in any log or answer.
pub fn register_secret(secret: &str) {
    let secret = secret.trim();
    // Short values ("alice", "secret") would match ordinary text.
    if secret.len() < 8 || secret.contains('\n') {
        return;
    }
    let mut file = secrets_file().lock().unwrap();
    let _ = writeln!(file, "{secret}");
}

/// Registers every secret in the app's settings.
pub fn register_settings_secrets(settings: &Settings) {
    for provider in settings.providers.values() {
        if let Some(secret) = &provider.client_secret {
            register_secret(secret.expose_secret());
        }
    }
    if let Some(password) = &settings.bootstrap.admin_password {
        register_secret(password.expose_secret());
    }
    if let Some(key) = &settings.vault.master_key {
        register_secret(key.expose_secret());
    }
}

/// Server logs of this test binary at debug level: kept in memory (for tests
/// that look at them) and written to `test-logs/rust/<binary>.log`.
pub fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Tee { buffer: buffer.clone(), file: open_append("rust", "log") };
        let settings = LogSettings { filter: "debug".into(), format: LogFormat::Text };
        cloud_sources::telemetry::init(&settings, move || writer.clone());
        buffer
    })
    .clone()
}

#[derive(Clone)]
struct Tee {
    buffer: Arc<Mutex<Vec<u8>>>,
    file: Arc<Mutex<File>>,
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.lock().unwrap().extend_from_slice(buf);
        self.file.lock().unwrap().write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Middleware around a test app: appends every answer (status, headers, body)
/// to `test-logs/rust/<binary>.responses`. Event streams are noted, not read.
pub async fn record_response(request: Request, next: Next) -> Response {
    let what = format!("{} {}", request.method(), request.uri().path());
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let mut entry = format!("=== {what} -> {}\n", parts.status);
    for (name, value) in &parts.headers {
        entry.push_str(&format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes())));
    }
    let streaming = parts
        .headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let body = if streaming {
        body
    } else {
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
        entry.push_str(&String::from_utf8_lossy(&bytes));
        Body::from(bytes)
    };
    entry.push('\n');
    let _ = responses_file().lock().unwrap().write_all(entry.as_bytes());
    Response::from_parts(parts, body)
}
