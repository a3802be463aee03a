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
    log_path: PathBuf,
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
        super::recording::register_secret(WEBDAV_PASSWORD);
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
                    // 3: one log line per request, which tests count.
                    "verbose": 3,
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
        let log_out = log.try_clone().expect("server log");
        command.stdin(Stdio::null()).stdout(log_out).stderr(log);
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
            log_path,
            url: format!("{origin}{base}/"),
            origin,
            _config: config,
            _child: ChildGuard(child),
        }
    }
}

impl WebdavServer {
    /// The requests wsgidav served so far, as `"METHOD /path"` (share-relative).
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        log.lines()
            .filter_map(|line| line.split('"').nth(1))
            .filter(|request| request.contains(' '))
            .map(str::to_string)
            .collect()
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

/// Spawns a peer that reports readiness on its first line of output: returns the child and
/// that line, and keeps draining the rest so the peer never blocks on a full pipe.
fn spawn_until_first_line(mut command: Command) -> (Child, String) {
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("the peer starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    std::thread::spawn(move || for _ in lines {});
    (child, first)
}

/// `node SCRIPT` in end2end/, once the npm `package` it runs is installed.
fn node_peer(package: &str, script: &str) -> Command {
    let dir = end2end_dir();
    assert!(
        dir.join("node_modules").join(package).exists(),
        "{package} is not installed: run scripts/install.sh test"
    );
    let mut command = Command::new("node");
    command.arg(script).current_dir(dir);
    command
}

impl OidcProvider {
    pub const CLIENT_ID: &'static str = "cloud-sources-test";
    pub const CLIENT_SECRET: &'static str = "oidc-test-client-secret-9d1f";

    /// Starts it on `port` with one confidential client allowed `redirect_uris`.
    pub fn start(port: u16, redirect_uris: &[String]) -> Self {
        let mut command = node_peer("oidc-provider", "peers/oidc-server.mjs");
        command
            .env("PORT", port.to_string())
            .env("CLIENT_ID", Self::CLIENT_ID)
            .env("CLIENT_SECRET", Self::CLIENT_SECRET)
            .env("REDIRECT_URIS", redirect_uris.join(","));
        let (child, ready) = spawn_until_first_line(command);
        assert!(ready.starts_with("listening"), "oidc-provider did not start: {ready:?}");
        Self { port, issuer: format!("http://127.0.0.1:{port}"), _child: ChildGuard(child) }
    }
}
/// PEM files of a throwaway CA and a `localhost` / `127.0.0.1` server
/// certificate it signed, made once per test process with `openssl`.
pub struct TestCerts {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn test_certs() -> &'static TestCerts {
    static CERTS: OnceLock<TestCerts> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        let run = |args: &[&str]| {
            let out = Command::new("openssl").args(args).output().expect("openssl runs");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let (ca_key, ca, key, csr, cert, ext) =
            (path("ca.key"), path("ca.pem"), path("key.pem"), path("leaf.csr"), path("cert.pem"), path("ext.cnf"));
        run(&[&["req", "-x509"][..], &ec, &["-keyout", &ca_key, "-out", &ca, "-days", "3650", "-subj", "/CN=Cloud Sources Test CA"]].concat());
        run(&[&["req"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", "/CN=localhost"]].concat());
        // webpki refuses a CA certificate as the server's own: a real leaf, signed by the CA.
        std::fs::write(
            &ext,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write ext");
        run(&["x509", "-req", "-in", &csr, "-CA", &ca, "-CAkey", &ca_key, "-CAcreateserial", "-out", &cert, "-days", "3650", "-extfile", &ext]);
        let read = |p: &str| std::fs::read_to_string(p).expect("read pem");
        TestCerts { ca_pem: read(&ca), cert_pem: read(&cert), key_pem: read(&key) }
    })
}

/// A real Dovecot IMAP server (Debian `dovecot-imapd`) in a temp dir, with
/// STARTTLS on `imap_port` and TLS on `imaps_port`, killed by PID on drop.
/// Mail is stored as Maildir owned by uid 65534; the test process must be
/// root to start it (Dovecot refuses to run mail processes as uid 0).
pub struct Dovecot {
    dir: tempfile::TempDir,
    conf: PathBuf,
    child: Child,
    pub imap_port: u16,
    pub imaps_port: u16,
    /// The CA that signed the server certificate.
    pub ca_pem: String,
}

impl Dovecot {
    /// Users as `(name, password)`; PLAIN and LOGIN mechanisms.
    pub fn start(users: &[(&str, &str)]) -> Self {
        Self::start_with(users, None)
    }

    /// With `capability`, Dovecot advertises exactly that after login
    /// (`imap_capability`), e.g. to play a server without QRESYNC.
    pub fn start_with(users: &[(&str, &str)], capability: Option<&str>) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dovecot = "/usr/sbin/dovecot";
        assert!(
            std::path::Path::new(dovecot).exists(),
            "IMAP tests need Dovecot: apt-get install dovecot-imapd"
        );
        let certs = test_certs();
        let dir = tempfile::Builder::new().prefix("dovecot-").tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        // Mail processes run as 65534 and must reach their home below this dir.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in ["mail", "run", "state"] {
            std::fs::create_dir(root.join(sub)).expect("mkdir");
        }
        std::os::unix::fs::chown(root.join("mail"), Some(65534), Some(65534))
            .expect("chown mail dir");
        std::fs::write(root.join("cert.pem"), &certs.cert_pem).expect("write cert");
        std::fs::write(root.join("key.pem"), &certs.key_pem).expect("write key");
        let passwd: String = users
            .iter()
            .map(|(user, password)| format!("{user}:{{PLAIN}}{password}::::::\n"))
            .collect();
        std::fs::write(root.join("users"), passwd).expect("write users");

        for _attempt in 0..3 {
            let (imap_port, imaps_port) = (free_port(), free_port());
            let d = root.to_string_lossy();
            let instance =
                root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // Paths must be literal: Dovecot rejects variables in these settings.
            let capability_line =
                capability.map(|c| format!("imap_capability = {c}")).unwrap_or_default();
            let conf_text = format!(
                r#"instance_name = {instance}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
{capability_line}
# Answer wrong passwords at once, and skip the per-IP penalty that would
# slow every later failure from 127.0.0.1 down to seconds.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {d}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={d}/mail/%n
}}
first_valid_uid = 1
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
"#
            );
            let conf = root.join("dovecot.conf");
            std::fs::write(&conf, conf_text).expect("write dovecot.conf");
            let mut child = Command::new(dovecot)
                .arg("-F")
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start dovecot");
            let up = greeted(imap_port, Duration::from_secs(10))
                && wait_for_port(imaps_port, Duration::from_secs(5))
                // A greeting from someone else's server on a reused port does not count.
                && matches!(child.try_wait(), Ok(None));
            if up {
                return Dovecot {
                    dir,
                    conf,
                    child,
                    imap_port,
                    imaps_port,
                    ca_pem: certs.ca_pem.clone(),
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            // Most likely a port was taken between choosing and binding it: try others.
        }
        let log = std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
        panic!("Dovecot did not start:\n{log}");
    }

    /// Runs `doveadm -c <conf> args…` and returns its output; panics on failure.
    pub fn doveadm(&self, args: &[&str]) -> String {
        self.doveadm_with_input(args, None)
    }

    fn doveadm_with_input(&self, args: &[&str], input: Option<&[u8]>) -> String {
        use std::io::Write;
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run doveadm");
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(input).expect("doveadm stdin");
        }
        let out = child.wait_with_output().expect("doveadm output");
        assert!(
            out.status.success(),
            "doveadm {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Delivers a message (the exact bytes) into `mailbox`.
    pub fn append(&self, user: &str, mailbox: &str, message: &[u8]) {
        self.doveadm_with_input(&["save", "-u", user, "-m", mailbox], Some(message));
    }

    /// Delivers many messages to `user`'s INBOX at once: the first through
    /// `doveadm save` (which creates the Maildir as the mail user), the rest written
    /// straight into its `new/` folder, where Dovecot picks them up at the next sync
    /// (thousands of `doveadm` runs take minutes).
    pub fn deliver_to_inbox(&self, user: &str, messages: &[Vec<u8>]) {
        let Some((first, rest)) = messages.split_first() else { return };
        self.append(user, "INBOX", first);
        let new = self.dir.path().join("mail").join(user).join("Maildir").join("new");
        for (i, message) in rest.iter().enumerate() {
            let name = format!("{}.M{i}P{}.bench", 1_700_000_000 + i, std::process::id());
            std::fs::write(new.join(name), message).expect("write into the Maildir");
        }
    }

    pub fn create_mailbox(&self, user: &str, mailbox: &str) {
        self.doveadm(&["mailbox", "create", "-u", user, mailbox]);
    }

    /// The UIDs in `mailbox`, ascending.
    pub fn uids(&self, user: &str, mailbox: &str) -> Vec<u32> {
        let out = self.doveadm(&["search", "-u", user, "mailbox", mailbox, "all"]);
        let mut uids: Vec<u32> =
            out.lines().filter_map(|line| line.split_whitespace().nth(1)?.parse().ok()).collect();
        uids.sort_unstable();
        uids
    }

    pub fn add_flags(&self, user: &str, mailbox: &str, uid: u32, flags: &str) {
        self.doveadm(&[
            "flags",
            "add",
            "-u",
            user,
            flags,
            "mailbox",
            mailbox,
            "uid",
            &uid.to_string(),
        ]);
    }

    /// The flags of one message, as doveadm prints them (`\Seen \Recent`).
    pub fn flags(&self, user: &str, mailbox: &str, uid: u32) -> String {
        let out = self.doveadm(&[
            "fetch",
            "-u",
            user,
            "flags",
            "mailbox",
            mailbox,
            "uid",
            &uid.to_string(),
        ]);
        out.lines().find_map(|l| l.strip_prefix("flags:")).unwrap_or_default().trim().to_string()
    }

    pub fn expunge(&self, user: &str, mailbox: &str, uid: u32) {
        self.doveadm(&["expunge", "-u", user, "mailbox", mailbox, "uid", &uid.to_string()]);
    }

    /// Moves one message: it gets a new UID in `to` and vanishes from `from`.
    pub fn move_message(&self, user: &str, from: &str, uid: u32, to: &str) {
        self.doveadm(&["move", "-u", user, to, "mailbox", from, "uid", &uid.to_string()]);
    }

    /// Forces a new UIDVALIDITY, as a server does when it rebuilds a mailbox.
    pub fn set_uid_validity(&self, user: &str, mailbox: &str, value: u32) {
        self.doveadm(&[
            "mailbox",
            "update",
            "-u",
            user,
            "--uid-validity",
            &value.to_string(),
            mailbox,
        ]);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGKILL to the master by PID; its children exit when the master's pipe closes.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for an IMAP greeting (`* OK`) on a plain loopback port.
fn greeted(port: u16, timeout: Duration) -> bool {
    use std::io::Read;
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 4];
            if stream.read_exact(&mut buf).is_ok() && &buf == b"* OK" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// `google-drive-mock` (npm, MIT), a Drive v3 imitation written outside this
/// project, on a free loopback port; killed by PID when dropped. Started by
/// `end2end/peers/google-drive-mock.mjs`, which reports the port it bound.
pub struct GoogleDriveMock {
    /// `http://127.0.0.1:PORT`: the `api_base` Drive paths are appended to.
    pub origin: String,
    _child: ChildGuard,
}

impl GoogleDriveMock {
    /// One of the two bearer tokens the mock accepts (it has no OAuth server).
    pub const TOKEN: &'static str = "another-valid-token";

    pub fn start() -> Self {
        super::recording::register_secret(Self::TOKEN);
        let mut command = node_peer("google-drive-mock", "peers/google-drive-mock.mjs");
        command.env("PORT", "0").stdin(Stdio::null());
        let (mut child, ready) = spawn_until_first_line(command);
        let Some(origin) = ready.strip_prefix("listening ").map(str::to_string) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("google-drive-mock did not start: {ready:?}");
        };
        Self { origin, _child: ChildGuard(child) }
    }
}

/// `jira820` (PyPI, MIT), a stateful imitation of Jira Data Center 8.20
/// (REST v2) written outside this project, on a free loopback port; killed by
/// PID when dropped. It serves one project (key and name chosen here) seeded
/// with generated issues, and accepts any credentials.
pub struct Jira820 {
    /// `http://127.0.0.1:PORT`: the site URL a Data Center connection names.
    pub origin: String,
    log_path: PathBuf,
    _child: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Jira820 {
    pub fn start(project_key: &str, project_name: &str) -> Self {
        let program = venv().join("bin").join("jira820");
        assert!(
            program.exists(),
            "Jira tests need jira820: run scripts/install.sh test (looked in {})",
            program.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let log_path = dir.path().join("jira820.log");
        for _attempt in 0..3 {
            let port = free_port();
            let log = std::fs::File::create(&log_path).expect("jira820 log");
            let log_out = log.try_clone().expect("jira820 log");
            let mut child = Command::new(&program)
                .current_dir(dir.path())
                // Its banner (which names the port) reaches the log at once.
                .env("PYTHONUNBUFFERED", "1")
                .env("JIRA820_HOST", "127.0.0.1")
                .env("JIRA820_PORT", port.to_string())
                .env("JIRA820_PROJECT_KEY", project_key)
                .env("JIRA820_PROJECT_NAME", project_name)
                .env_remove("JIRA820_CONFIG")
                .env_remove("JIRA820_PERSIST")
                .env_remove("JIRA820_READONLY")
                .stdin(Stdio::null())
                .stdout(log_out)
                .stderr(log)
                .spawn()
                .expect("start jira820");
            // Up only when it answers as itself (not someone else on a reused port).
            let up = wait_for_port(port, Duration::from_secs(30))
                && matches!(child.try_wait(), Ok(None))
                && std::fs::read_to_string(&log_path)
                    .is_ok_and(|l| l.contains(&format!("127.0.0.1:{port}")));
            if up {
                return Self {
                    origin: format!("http://127.0.0.1:{port}"),
                    log_path,
                    _child: ChildGuard(child),
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "jira820 did not start:\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
    }

    /// The requests it served so far, as `"METHOD /path?query"` (uvicorn's access log).
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        log.lines()
            .filter_map(|line| line.split('"').nth(1))
            .filter_map(|request| request.rsplit_once(' ').map(|(r, _)| r.to_string()))
            .collect()
    }
}
