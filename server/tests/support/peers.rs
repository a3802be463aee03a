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
