//! Real peers for tests. Each is a child process on a free loopback port and is
//! killed (by its PID) when the handle drops; processes the test binary shares
//! are tied to it through a watchdog pipe so they die with it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Waits until something accepts TCP connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The Python environment with the test peers (made by scripts/install.sh).
pub fn venv() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLOUD_SOURCES_VENV") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .expect("HOME is set");
    cache.join("cloud-sources").join("venv")
}

/// A child process killed when dropped.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program args…` under a shell watchdog that kills it when this test
/// process exits (its stdin, a pipe from us, closes). For peers shared by all
/// tests of a binary, which no destructor would stop.
fn spawn_tied_to_this_process(program: &str, args: &[String]) -> Child {
    let script =
        r#"prog="$1"; shift; "$prog" "$@" & pid=$!; read _; kill $pid 2>/dev/null; wait $pid"#;
    let mut command = Command::new("sh");
    command.arg("-c").arg(script).arg("sh").arg(program).args(args);
    command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    command.spawn().unwrap_or_else(|e| panic!("cannot start {program}: {e}"))
}

/// URI of a MongoDB-wire server for this test binary, ending in `/`.
///
/// Uses `CLOUD_SOURCES_TEST_MONGODB_URI` when set (scripts/test.sh starts one
/// secantusdb for the whole run); otherwise starts secantusdb from the test
/// venv. Panics when neither works: MongoDB tests are never skipped silently.
pub fn mongodb_uri() -> String {
    static URI: OnceLock<String> = OnceLock::new();
    URI.get_or_init(|| {
        if let Ok(uri) = std::env::var("CLOUD_SOURCES_TEST_MONGODB_URI") {
            return if uri.ends_with('/') { uri } else { format!("{uri}/") };
        }
        let server = venv().join("bin").join("secantusd-py");
        assert!(
            server.exists(),
            "MongoDB tests need secantusdb: run scripts/install.sh test, or set CLOUD_SOURCES_TEST_MONGODB_URI"
        );
        let port = free_port();
        let mut child = spawn_tied_to_this_process(
            &server.to_string_lossy(),
            &["--host".into(), "127.0.0.1".into(), "--port".into(), port.to_string(), "--storage-path".into(), ":memory:".into()],
        );
        if !wait_for_port(port, Duration::from_secs(60)) {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(stderr) = child.stderr.take() {
                for line in BufReader::new(stderr).lines().map_while(Result::ok).take(40) {
                    err.push_str(&line);
                    err.push('\n');
                }
            }
            panic!("secantusdb did not start on port {port}:\n{err}");
        }
        // Deliberately leaked: the watchdog stops the server when this process exits.
        std::mem::forget(child);
        format!("mongodb://127.0.0.1:{port}/")
    })
    .clone()
}

/// A fresh database name, so tests sharing one server never see each other's data.
pub fn unique_db_name(prefix: &str) -> String {
    let n: u64 = rand::random();
    format!("{prefix}_{n:016x}")
}

/// The account every WebDAV peer serves, under `/remote.php/dav/files/alice`
/// (the ownCloud / Nextcloud layout).
pub const WEBDAV_USER: &str = "alice";
pub const WEBDAV_PASSWORD: &str = "s3cret-app-token";

/// Which WebDAV server a [`WebdavServer`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebdavKind {
    /// wsgidav + cheroot (PyPI, from the test venv): unquoted ETags in
    /// PROPFIND, no folder ETags, no `oc:` properties.
    Wsgidav,
    /// Debian's `rclone serve webdav`: quoted MD5 ETags, no folder ETags.
    Rclone,
}

/// A real WebDAV server serving `dir` on a free loopback port, killed (by PID)
/// when dropped. `dir` is changed directly on disk by the tests.
pub struct WebdavServer {
    pub kind: WebdavKind,
    pub port: u16,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    /// The DAV root: `http://127.0.0.1:PORT/remote.php/dav/files/alice/`.
    pub url: String,
    // Fields drop in order: stop the server before its config dir goes.
    _child: ChildGuard,
    _config: tempfile::TempDir,
}

impl WebdavServer {
    pub fn start(kind: WebdavKind, dir: &std::path::Path) -> Self {
        let port = free_port();
        let config = tempfile::tempdir().expect("temp dir");
        let base = format!("/remote.php/dav/files/{WEBDAV_USER}");
        let mut command = match kind {
            WebdavKind::Wsgidav => {
                let program = venv().join("bin").join("wsgidav");
                assert!(
                    program.exists(),
                    "WebDAV tests need wsgidav: run scripts/install.sh test (looked in {})",
                    program.display()
                );
                let settings = serde_json::json!({
                    "host": "127.0.0.1",
                    "port": port,
                    "provider_mapping": { base.clone(): { "root": dir } },
                    "simple_dc": { "user_mapping": { "*": { WEBDAV_USER: { "password": WEBDAV_PASSWORD } } } },
                    "http_authenticator": {
                        "accept_basic": true, "accept_digest": false,
                        "default_to_digest": false, "domain_controller": null
                    },
                    "dir_browser": { "enable": false },
                    "lock_storage": true,
                    "verbose": 1,
                });
                let file = config.path().join("wsgidav.json");
                std::fs::write(&file, settings.to_string()).expect("write wsgidav.json");
                let mut command = Command::new(program);
                command.arg("-c").arg(file).current_dir(config.path());
                command
            }
            WebdavKind::Rclone => {
                let mut command = Command::new("rclone");
                command
                    .args(["serve", "webdav"])
                    .arg(dir)
                    .args(["--addr", &format!("127.0.0.1:{port}")])
                    .args(["--user", WEBDAV_USER, "--pass", WEBDAV_PASSWORD])
                    .args(["--baseurl", &base])
                    .args(["--etag-hash", "MD5", "--dir-cache-time", "0s"])
                    .arg("--config")
                    .arg(config.path().join("rclone.conf"));
                command
            }
        };
        // A file, not a pipe: nobody reads a pipe, and a full one would stall the server.
        let log_path = config.path().join("server.log");
        let log = std::fs::File::create(&log_path).expect("server log");
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start {kind:?} (is it installed? scripts/install.sh test): {e}")
        });
        if !wait_for_port(port, Duration::from_secs(30)) {
            let _ = child.kill();
            let _ = child.wait();
            let err = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("{kind:?} did not start on port {port}:\n{err}");
        }
        let origin = format!("http://127.0.0.1:{port}");
        Self {
            kind,
            port,
            url: format!("{origin}{base}/"),
            origin,
            _config: config,
            _child: ChildGuard(child),
        }
    }
}

/// The repository's `end2end/` directory (Node test tooling and peers).
pub fn end2end_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("end2end")
}

/// `oidc-provider` (npm), a certified OAuth 2.0 authorization server, on a free port.
pub struct OidcProvider {
    pub port: u16,
    pub issuer: String,
    _child: ChildGuard,
}

impl OidcProvider {
    pub const CLIENT_ID: &'static str = "cloud-sources-test";
    pub const CLIENT_SECRET: &'static str = "oidc-test-client-secret-9d1f";

    /// Starts it on `port` with one confidential client allowed `redirect_uris`.
    pub fn start(port: u16, redirect_uris: &[String]) -> Self {
        let dir = end2end_dir();
        assert!(
            dir.join("node_modules").join("oidc-provider").exists(),
            "oidc-provider is not installed: run scripts/install.sh test"
        );
        let mut child = Command::new("node")
            .arg("peers/oidc-server.mjs")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .env("CLIENT_ID", Self::CLIENT_ID)
            .env("CLIENT_SECRET", Self::CLIENT_SECRET)
            .env("REDIRECT_URIS", redirect_uris.join(","))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.next().and_then(Result::ok).unwrap_or_default();
        assert!(ready.starts_with("listening"), "oidc-provider did not start: {ready:?}");
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { port, issuer: format!("http://127.0.0.1:{port}"), _child: ChildGuard(child) }
    }
}
