//! `make bench` (scripts/bench.sh): the release `cloud-sources` binary driven as a separate
//! process over its REST API and CLI, against real peers (wsgidav, Dovecot) and the provider
//! simulators served by `cloud-sources sandbox` in their own process, so the server's peak
//! RSS (`VmHWM`) holds only the server. Prints one table.
//!
//! ```text
//! cargo run --release -p server --example bench -- --bin target/release/cloud-sources \
//!     [--webdav-files 10000] [--imap-messages 5000] [--drive-files 10000,30000] [--only webdav,nextcloud,drive,incremental,web]
//!     [--hold]   # wait before the web load, printing the server PID and wrk commands
//! ```
//!
//! Provider requests are the server's own `cloud_sources_provider_requests_total` counters
//! (`/metrics`, every retry counted) and, for the simulators, the sandbox's per-account counters.

#[path = "../tests/fixtures/ingest/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../tests/support/peers.rs"]
mod peers;
/// The peers register their passwords for the test suite's secret scan; a
/// benchmark run is not scanned, so registering is a no-op here.
mod recording {
    pub fn register_secret(_secret: &str) {}
}

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::model::*;
use cloud_sources::sandbox::nextcloud::NextcloudSim;
use corpus::{PdfFont, Prose, WordGaps};
use futures::StreamExt;
use peers::{Dovecot, WEBDAV_PASSWORD, WEBDAV_USER, WebdavKind, WebdavServer, free_port};
use serde_json::{Value, json};

const USER: &str = "bench";
const PASSWORD: &str = "bench-password-123";
const CLIENT_SECRET: &str = "bench-client-secret";

/// One table row: scenario, what was measured, the figure, the target.
struct Row(String, String, String, String);

#[derive(Default)]
struct Table(Vec<Row>);

impl Table {
    fn add(&mut self, scenario: &str, measure: &str, value: String, target: &str) {
        println!("  {scenario} | {measure}: {value}");
        self.0.push(Row(scenario.into(), measure.into(), value, target.into()));
    }

    fn print(&self) {
        let w = |f: fn(&Row) -> &String| self.0.iter().map(|r| f(r).len()).max().unwrap_or(0);
        let (a, b, c, d) = (w(|r| &r.0), w(|r| &r.1), w(|r| &r.2), w(|r| &r.3));
        let line = |r: &Row| println!("| {:a$} | {:b$} | {:c$} | {:d$} |", r.0, r.1, r.2, r.3);
        let header = Row("Scenario".into(), "Measure".into(), "Result".into(), "Target".into());
        line(&header);
        println!(
            "|{}|{}|{}|{}|",
            "-".repeat(a + 2),
            "-".repeat(b + 2),
            "-".repeat(c + 2),
            "-".repeat(d + 2)
        );
        for row in &self.0 {
            line(row);
        }
    }
}

struct Args {
    bin: PathBuf,
    ingest_bin: Option<PathBuf>,
    site: Option<PathBuf>,
    webdav_files: usize,
    imap_messages: usize,
    drive_files: Vec<usize>,
    changes: Vec<usize>,
    only: Option<Vec<String>>,
    /// `--hold`: before the web load, print how to reach the server and wait for
    /// Enter, so it can be profiled by hand (`perf record -p PID`, `wrk`).
    hold: bool,
}

impl Args {
    fn parse() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let flag =
            |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
        let list =
            |s: String| -> Vec<usize> { s.split(',').filter_map(|n| n.parse().ok()).collect() };
        Args {
            bin: flag("--bin").map(PathBuf::from).expect("--bin PATH of the release cloud-sources"),
            ingest_bin: flag("--ingest-bin").map(PathBuf::from),
            site: flag("--site").map(PathBuf::from),
            webdav_files: flag("--webdav-files").and_then(|n| n.parse().ok()).unwrap_or(10_000),
            imap_messages: flag("--imap-messages").and_then(|n| n.parse().ok()).unwrap_or(5_000),
            drive_files: flag("--drive-files").map(list).unwrap_or_else(|| vec![10_000, 100_000]),
            changes: flag("--changes").map(list).unwrap_or_else(|| vec![1, 10, 100]),
            only: flag("--only").map(|s| s.split(',').map(str::to_string).collect()),
            hold: args.iter().any(|a| a == "--hold"),
        }
    }

    fn wants(&self, scenario: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.iter().any(|s| s == scenario))
    }
}

/// The sandbox in its own process (`cloud-sources sandbox --addr`).
struct SandboxProcess {
    base: String,
    http: reqwest::Client,
    _child: peers::ChildGuard,
}

impl SandboxProcess {
    async fn start(bin: &Path) -> Self {
        let port = free_port();
        let child = Command::new(bin)
            .args(["sandbox", "--addr", &format!("127.0.0.1:{port}")])
            .env("CLOUD_SOURCES__LOG__FILTER", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cloud-sources sandbox starts");
        assert!(peers::wait_for_port(port, Duration::from_secs(30)), "the sandbox listens");
        let sandbox = SandboxProcess {
            base: format!("http://127.0.0.1:{port}/sandbox"),
            http: reqwest::Client::new(),
            _child: peers::ChildGuard(child),
        };
        for provider in ["google", "microsoft", "dropbox"] {
            sandbox
                .control(
                    "/_control/clients",
                    json!({"provider": provider, "client_id": client_id(provider),
                           "client_secret": CLIENT_SECRET, "redirect_uris": [], "name": "Benchmark"}),
                )
                .await;
        }
        sandbox
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let response = self.http.post(format!("{}{path}", self.base)).json(&body).send().await;
        let response = response.expect("sandbox control request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "sandbox {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn requests(&self, provider: &str, user: &str) -> u64 {
        let url = format!("{}/_control/accounts/{provider}/{user}/requests", self.base);
        let counts: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        counts["total"].as_u64().unwrap_or(0)
    }

    /// An account with a `Bench` folder of `files` generated text and Markdown files, 1,000
    /// per subfolder; returns the first subfolder's id.
    async fn account_with_files(&self, provider: &str, user: &str, files: usize) -> String {
        let account = self
            .control("/_control/accounts", json!({"provider": provider, "username": user}))
            .await;
        let root = account["root_id"].as_str().unwrap().to_string();
        let items = format!("/_control/accounts/{provider}/{user}/items");
        let folder =
            self.control(&items, json!({"parent": root, "name": "Bench", "kind": "folder"})).await;
        let report = self
            .control(
                &format!("/_control/accounts/{provider}/{user}/generate"),
                json!({"folder": folder["id"], "count": files, "options": {"files_per_folder": 1000}}),
            )
            .await;
        report["folder_ids"][0].as_str().unwrap().to_string()
    }

    /// `k` changes: new files in `folder`.
    async fn add_files(&self, provider: &str, user: &str, folder: &str, k: usize, round: usize) {
        let items = format!("/_control/accounts/{provider}/{user}/items");
        for i in 0..k {
            let name = format!("change-{round}-{i}.txt");
            let text = format!("Added in round {round}: file {i}.");
            self.control(&items, json!({"parent": folder, "name": name, "content": text})).await;
        }
    }
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn client_id(provider: &str) -> String {
    format!("bench-{provider}")
}

/// The server under test: `cloud-sources serve` on a fresh data directory.
struct Server {
    bin: PathBuf,
    env: Vec<(String, String)>,
    base: String,
    child: Child,
    token: String,
    http: reqwest::Client,
    _data: tempfile::TempDir,
}

impl Server {
    async fn start(bin: &Path, sandbox: Option<&SandboxProcess>, site: Option<&Path>) -> Self {
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut env: Vec<(String, String)> = vec![
            ("CLOUD_SOURCES__DATA_DIR".into(), data.path().to_string_lossy().into()),
            ("CLOUD_SOURCES__SERVER__ADDR".into(), format!("127.0.0.1:{port}")),
            ("CLOUD_SOURCES__SECURITY__ALLOW_HOSTS".into(), "[\"127.0.0.1\"]".into()),
            ("CLOUD_SOURCES__LOG__FILTER".into(), "warn".into()),
            ("CLOUD_SOURCES__VAULT__MASTER_KEY".into(), "ab".repeat(32)),
        ];
        if let Some(site) = site {
            env.push(("LEPTOS_SITE_ROOT".into(), site.to_string_lossy().into()));
        }
        if let Some(sandbox) = sandbox {
            for (id, cloud, api, content) in [
                ("GOOGLE_DRIVE", "google", "google", None),
                ("ONEDRIVE", "microsoft", "microsoft", None),
                ("DROPBOX", "dropbox", "dropbox/api", Some("dropbox/content")),
            ] {
                let key = |k: &str| format!("CLOUD_SOURCES__PROVIDERS__{id}__{k}");
                let base = &sandbox.base;
                env.push((key("CLIENT_ID"), client_id(cloud)));
                env.push((key("CLIENT_SECRET"), CLIENT_SECRET.into()));
                env.push((key("API_BASE"), format!("{base}/{api}")));
                if let Some(content) = content {
                    env.push((key("CONTENT_BASE"), format!("{base}/{content}")));
                }
                let token_url = match cloud {
                    "google" => format!("{base}/google/token"),
                    "microsoft" => format!("{base}/microsoft/common/oauth2/v2.0/token"),
                    _ => format!("{base}/dropbox/api/oauth2/token"),
                };
                env.push((key("TOKEN_URL"), token_url));
                // The simulators answer at once; the default pacing models the real clouds' quotas.
                env.push((key("REQUESTS_PER_SECOND"), "0".into()));
            }
        }
        let run = |args: &[&str], stdin: Option<&str>| -> String {
            let mut child = Command::new(bin)
                .args(args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap();
            if let Some(input) = stdin {
                child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            }
            drop(child.stdin.take());
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "cloud-sources {args:?} failed");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        run(&["user", "add", USER, "--password-stdin"], Some(PASSWORD));
        let token = run(&["token", "create", "--user", USER], None);
        let child = Command::new(bin)
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        assert!(peers::wait_for_port(port, Duration::from_secs(60)), "the server listens");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().unwrap();
        Server {
            bin: bin.to_path_buf(),
            env,
            base: format!("http://127.0.0.1:{port}"),
            child,
            token,
            http,
            _data: data,
        }
    }

    /// Runs a CLI tool against the same data directory and returns its stdout.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), "cloud-sources {args:?} failed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size so far, in MB (`VmHWM`).
    fn peak_rss_mb(&self) -> f64 {
        proc_status_kb(self.pid(), "VmHWM") as f64 / 1024.0
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1/cloud-sources{path}", self.base)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self.http.get(self.api(path)).bearer_auth(&self.token).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "GET {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> T {
        let response = self
            .http
            .post(self.api(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {path}: {e}: {text}"))
    }

    /// The server's provider request counters (`/metrics`), by provider id.
    async fn provider_requests(&self) -> BTreeMap<String, u64> {
        let text = self.http.get(format!("{}/metrics", self.base)).send().await.unwrap();
        let text = text.text().await.unwrap();
        text.lines()
            .filter_map(|l| l.strip_prefix("cloud_sources_provider_requests_total{provider=\""))
            .filter_map(|l| {
                let (provider, value) = l.split_once("\"} ")?;
                Some((provider.to_string(), value.trim().parse().ok()?))
            })
            .collect()
    }

    async fn requests_of(&self, provider: &str) -> u64 {
        self.provider_requests().await.get(provider).copied().unwrap_or(0)
    }

    /// A sync configuration of the folder at `path` (folder names from the top level down),
    /// found through the folder picker's API.
    async fn configure(
        &self,
        connection: &ConnectionId,
        path: &[&str],
        subfolders: bool,
    ) -> ConfigId {
        let mut parent: Option<String> = None;
        let mut found = None;
        for name in path {
            let query =
                parent.as_deref().map(|p| format!("?folder={}", urlencode(p))).unwrap_or_default();
            let listed: BrowseResult =
                self.get(&format!("/connections/{}/browse{query}", connection.0)).await;
            let entry = listed.entries.into_iter().find(|e| e.name == *name);
            let entry = entry.unwrap_or_else(|| panic!("no {name} in the picker"));
            parent = Some(entry.remote_id.clone());
            found = Some(entry);
        }
        let entry = found.expect("a path");
        let folder = entry.name.clone();
        let input = SyncConfigInput {
            connection_id: connection.clone(),
            profile_key: "bench".into(),
            name: folder,
            source_paths: vec![SourcePath {
                path: entry.path.clone(),
                remote_id: entry.remote_id.clone(),
                include_subfolders: subfolders,
            }],
            filters: Filters::default(),
            schedule: Schedule::default(),
            sync_options: SyncOptions::default(),
        };
        let config: SyncConfiguration = self.post("/sync-configs", &input).await;
        config.id
    }

    /// Runs a configuration and waits for the job to end: the job and the wall time from the
    /// request to the end the server recorded.
    async fn sync(&self, config: &ConfigId, full: bool) -> (SyncJob, Duration) {
        let started = Instant::now();
        let queued: SyncJob =
            self.post(&format!("/sync-configs/{}/run?full={full}", config.0), &json!({})).await;
        let requested_ms = Timestamp::now().millis() - started.elapsed().as_millis() as i64;
        loop {
            // The status, not `/jobs/{id}`: that lists every file of the job.
            let status: SyncStatus = self.get(&format!("/sync-configs/{}/status", config.0)).await;
            if let Some(job) = status.job.filter(|j| j.id == queued.id && !j.status.is_active()) {
                assert_eq!(
                    job.status,
                    JobStatus::Completed,
                    "sync failed: {:?} {:?}",
                    job.message,
                    job.errors
                );
                let ended = job.completed_at.map(|t| t.millis()).unwrap_or(requested_ms);
                let wall = Duration::from_millis((ended - requested_ms).max(0) as u64);
                return (job, wall);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proc_status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

// ---------------------------------------------------------------- WebDAV vs rclone

/// `count` files of 1–20 KB below `root/bench`, 100 per folder: text, Markdown and PDF.
fn write_tree(root: &Path, count: usize) -> u64 {
    let mut prose = Prose::new(42);
    let mut bytes = 0u64;
    for i in 0..count {
        let dir = root.join("bench").join(format!("folder-{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let target = 1024 + prose.below(19 * 1024) as usize;
        let (name, data) = match i % 5 {
            0 => {
                let mut lines = Vec::new();
                let mut size = 0;
                while size < target / 3 {
                    let line = prose.sentence();
                    size += line.len();
                    lines.push(line);
                }
                let pages: Vec<Vec<String>> = lines.chunks(40).map(<[String]>::to_vec).collect();
                (
                    format!("doc-{i:05}.pdf"),
                    corpus::pdf(&pages, PdfFont::Helvetica, WordGaps::Spaces, Some("Report")),
                )
            }
            1 | 2 => (format!("note-{i:05}.md"), fill(&mut prose, target, true)),
            _ => (format!("text-{i:05}.txt"), fill(&mut prose, target, false)),
        };
        bytes += data.len() as u64;
        std::fs::write(dir.join(name), data).unwrap();
    }
    bytes
}

fn fill(prose: &mut Prose, target: usize, markdown: bool) -> Vec<u8> {
    let mut out = String::new();
    if markdown {
        out.push_str("# Notes\n\n");
    }
    while out.len() < target {
        out.push_str(&prose.sentence());
        out.push(if out.len().is_multiple_of(7) { '\n' } else { ' ' });
    }
    out.into_bytes()
}

fn rclone_copy(dav: &WebdavServer, dest: &Path) -> Duration {
    let obscured = Command::new("rclone").args(["obscure", WEBDAV_PASSWORD]).output().unwrap();
    let obscured = String::from_utf8_lossy(&obscured.stdout).trim().to_string();
    let config = dest.with_extension("conf");
    std::fs::write(&config, "").unwrap();
    let start = Instant::now();
    let status = Command::new("rclone")
        .args(["copy", "benchdav:bench"])
        .arg(dest)
        .arg("--config")
        .arg(&config)
        .env("RCLONE_CONFIG_BENCHDAV_TYPE", "webdav")
        .env("RCLONE_CONFIG_BENCHDAV_URL", &dav.url)
        .env("RCLONE_CONFIG_BENCHDAV_VENDOR", "other")
        .env("RCLONE_CONFIG_BENCHDAV_USER", WEBDAV_USER)
        .env("RCLONE_CONFIG_BENCHDAV_PASS", obscured)
        .status()
        .expect("rclone runs (scripts/install.sh bench)");
    let took = start.elapsed();
    assert!(status.success(), "rclone copy failed");
    took
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn webdav(args: &Args, table: &mut Table) {
    let n = args.webdav_files;
    let scenario = format!("WebDAV full sync, {n} files (wsgidav)");
    let tree = tempfile::tempdir().unwrap();
    let bytes = write_tree(tree.path(), n);
    println!("WebDAV tree: {n} files, {:.1} MB", bytes as f64 / 1e6);
    let dav = WebdavServer::start(WebdavKind::Wsgidav, tree.path());

    let copy = tempfile::tempdir().unwrap();
    let rclone = rclone_copy(&dav, &copy.path().join("out"));
    let copied = walk(&copy.path().join("out")).len();
    assert_eq!(copied, n, "rclone copied every file");

    let server = Server::start(&args.bin, None, None).await;
    let connection = password_connection(
        &server,
        ProviderId::OwnCloud,
        "wsgidav",
        json!({"server_url": dav.url, "username": WEBDAV_USER, "password": WEBDAV_PASSWORD}),
    )
    .await;
    let config = server.configure(&connection, &["bench"], true).await;
    let before = server.requests_of("owncloud").await;
    let (job, ours) = server.sync(&config, false).await;
    let full_requests = server.requests_of("owncloud").await - before;
    assert_eq!(job.progress.files_processed as usize, n, "every file indexed: {:?}", job.progress);
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    table.add(
        &scenario,
        "rclone copy (defaults)",
        format!("{} ({:.0} files/s)", secs(rclone), rate(rclone)),
        "",
    );
    table.add(
        &scenario,
        "ours: list+download+extract+index",
        format!("{} ({:.0} files/s, {full_requests} requests)", secs(ours), rate(ours)),
        "",
    );
    table.add(
        &scenario,
        "our time / rclone time",
        format!("{:.2}x", ours.as_secs_f64() / rclone.as_secs_f64()),
        "<= 1.0x",
    );
    table.add(&scenario, "server peak RSS", format!("{:.0} MB", server.peak_rss_mb()), "");

    incremental_rows(&server, &config, "owncloud", None, table, "WebDAV (wsgidav)", ours).await;
    // k changed files: wsgidav's ETags have one-second resolution.
    let mut texts: Vec<PathBuf> = walk(&tree.path().join("bench"));
    texts.retain(|p| p.extension().is_some_and(|x| x == "txt"));
    texts.sort();
    for &k in &args.changes {
        for (i, file) in texts.iter().take(k).enumerate() {
            std::fs::write(file, format!("changed {k} {i}")).unwrap();
        }
        std::thread::sleep(Duration::from_millis(1100));
        let before = server.requests_of("owncloud").await;
        let (job, took) = server.sync(&config, false).await;
        let used = server.requests_of("owncloud").await - before;
        table.add(
            "WebDAV (wsgidav) incremental",
            &format!("{k} changed of {n}"),
            format!(
                "{used} requests, {} files indexed, {}",
                job.progress.files_processed,
                secs(took)
            ),
            "grows with k",
        );
    }
}

/// A connection signed in with a username and password (WebDAV, IMAP), made
/// through the REST API as the web UI makes it.
async fn password_connection(
    server: &Server,
    provider: ProviderId,
    name: &str,
    credentials: Value,
) -> ConnectionId {
    let connection: Connection = server
        .post(
            "/connections",
            &NewConnection {
                provider,
                display_name: name.into(),
                auth_type: AuthType::Password,
                credentials,
            },
        )
        .await;
    connection.id
}

/// The same tree on the sandbox's Nextcloud simulator, which (like Nextcloud and
/// ownCloud, unlike wsgidav) gives folders ETags that change when anything below
/// them does: the walk skips unchanged subtrees.
async fn nextcloud(args: &Args, table: &mut Table) {
    let n = args.webdav_files;
    let tree = tempfile::tempdir().unwrap();
    write_tree(tree.path(), n);
    let sim = NextcloudSim::new();
    sim.add_user(WEBDAV_USER, WEBDAV_PASSWORD);
    let mut files: Vec<String> = Vec::new();
    for path in walk(&tree.path().join("bench")) {
        let relative = path.strip_prefix(tree.path()).unwrap().to_string_lossy().into_owned();
        sim.put_file(WEBDAV_USER, &relative, std::fs::read(&path).unwrap()).unwrap();
        files.push(relative);
    }
    files.sort();
    let (origin, _) = sim.spawn().await.unwrap();
    let url = format!("{origin}/remote.php/dav/files/{WEBDAV_USER}/");

    let server = Server::start(&args.bin, None, None).await;
    let connection = password_connection(
        &server,
        ProviderId::OwnCloud,
        "nextcloud",
        json!({"server_url": url, "username": WEBDAV_USER, "password": WEBDAV_PASSWORD}),
    )
    .await;
    let config = server.configure(&connection, &["bench"], true).await;
    let (job, full) = server.sync(&config, false).await;
    assert_eq!(job.progress.files_processed as usize, n, "every file indexed: {:?}", job.progress);
    table.add(
        &format!("WebDAV full sync, {n} files (Nextcloud simulator)"),
        "ours: list+download+extract+index",
        format!("{} ({:.0} files/s)", secs(full), n as f64 / full.as_secs_f64()),
        "",
    );
    sim.reset_counts();
    incremental_rows(&server, &config, "owncloud", None, table, "WebDAV (Nextcloud)", full).await;
    table.add(
        "WebDAV (Nextcloud) incremental",
        "no change: requests the simulator answered",
        sim.counts().total.to_string(),
        "",
    );
    for &k in &args.changes {
        for (i, file) in files.iter().filter(|f| f.ends_with(".txt")).take(k).enumerate() {
            sim.put_file(WEBDAV_USER, file, format!("changed {k} {i}")).unwrap();
        }
        sim.reset_counts();
        let (job, took) = server.sync(&config, false).await;
        let counts = sim.counts();
        table.add(
            "WebDAV (Nextcloud) incremental",
            &format!("{k} changed of {n}"),
            format!(
                "{} requests ({} PROPFIND, {} GET), {} files indexed, {}",
                counts.total,
                counts.propfind,
                counts.get,
                job.progress.files_processed,
                secs(took)
            ),
            "grows with k",
        );
    }
}

/// A no-change incremental run: requests (server counters, and the sandbox's when given) and
/// wall time against the full sync's.
async fn incremental_rows(
    server: &Server,
    config: &ConfigId,
    provider: &str,
    sandbox: Option<(&SandboxProcess, &str, &str)>,
    table: &mut Table,
    label: &str,
    full: Duration,
) {
    let before = server.requests_of(provider).await;
    let sandbox_before = match sandbox {
        Some((s, cloud, user)) => s.requests(cloud, user).await,
        None => 0,
    };
    let (job, took) = server.sync(config, false).await;
    let used = server.requests_of(provider).await - before;
    let seen = match sandbox {
        Some((s, cloud, user)) => {
            format!(", sandbox saw {}", s.requests(cloud, user).await - sandbox_before)
        }
        None => String::new(),
    };
    assert_eq!(job.progress.files_processed, 0, "nothing changed: {:?}", job.progress);
    let target = if matches!(provider, "google_drive" | "onedrive" | "dropbox") {
        "<= 3 requests"
    } else {
        ""
    };
    table.add(
        &format!("{label} incremental"),
        "no change: provider requests",
        format!("{used}{seen}"),
        target,
    );
    table.add(
        &format!("{label} incremental"),
        "no change: wall time (share of full sync)",
        format!(
            "{} ({:.2}% of {})",
            secs(took),
            100.0 * took.as_secs_f64() / full.as_secs_f64(),
            secs(full)
        ),
        "<= 1%",
    );
}

// ---------------------------------------------------------------- sandbox clouds

async fn import_oauth(
    server: &Server,
    sandbox: &SandboxProcess,
    cloud: &str,
    provider: &str,
    user: &str,
) -> ConnectionId {
    let tokens = sandbox
        .control(
            &format!("/_control/accounts/{cloud}/{user}/tokens"),
            json!({"client_id": client_id(cloud)}),
        )
        .await;
    let id = server.cli(&[
        "connection",
        "add",
        "--user",
        USER,
        "--provider",
        provider,
        "--access-token",
        tokens["access_token"].as_str().unwrap(),
        "--refresh-token",
        tokens["refresh_token"].as_str().unwrap_or("none"),
        "--expires-in",
        "3600",
    ]);
    ConnectionId(id)
}

/// Drive at several sizes: one fresh server per size, so `VmHWM` is that sync's peak.
async fn drive_scale(args: &Args, sandbox: &SandboxProcess, table: &mut Table) {
    for &n in &args.drive_files {
        let user = format!("scale{n}");
        let started = Instant::now();
        let batch = sandbox.account_with_files("google", &user, n).await;
        println!("sandbox: {n} Drive files generated in {}", secs(started.elapsed()));
        let server = Server::start(&args.bin, Some(sandbox), None).await;
        let rss_idle = server.peak_rss_mb();
        let connection = import_oauth(&server, sandbox, "google", "google_drive", &user).await;
        let config = server.configure(&connection, &["My Drive", "Bench"], true).await;
        let (job, took) = server.sync(&config, false).await;
        assert_eq!(job.progress.files_processed as usize, n, "{:?}", job.progress);
        let scenario = format!("Drive (sandbox) full sync, {n} files");
        table.add(
            &scenario,
            "files/s",
            format!("{:.0} ({})", n as f64 / took.as_secs_f64(), secs(took)),
            "",
        );
        table.add(
            &scenario,
            "server peak RSS (VmHWM)",
            format!("{:.0} MB (idle {:.0} MB)", server.peak_rss_mb(), rss_idle),
            "<= 120 MB, flat",
        );
        incremental_rows(
            &server,
            &config,
            "google_drive",
            Some((sandbox, "google", user.as_str())),
            table,
            &format!("Drive {n}"),
            took,
        )
        .await;
        let changes = Changes { sandbox, cloud: "google", user: &user, batch: &batch, n };
        changes_rows(
            args,
            &server,
            &config,
            "google_drive",
            &changes,
            &format!("Drive {n}"),
            table,
        )
        .await;
        table.add(
            &scenario,
            "server peak RSS after incrementals",
            format!("{:.0} MB", server.peak_rss_mb()),
            "",
        );
    }
}

/// Where `changes_rows` adds files: a sandbox account with a generated tree of `n` files.
struct Changes<'a> {
    sandbox: &'a SandboxProcess,
    cloud: &'a str,
    user: &'a str,
    batch: &'a str,
    n: usize,
}

/// One incremental run per `--changes` k, after adding k files: requests and files indexed.
async fn changes_rows(
    args: &Args,
    server: &Server,
    config: &ConfigId,
    provider: &str,
    changes: &Changes<'_>,
    label: &str,
    table: &mut Table,
) {
    let n = changes.n;
    for (round, &k) in args.changes.iter().enumerate() {
        changes.sandbox.add_files(changes.cloud, changes.user, changes.batch, k, round).await;
        let before = server.requests_of(provider).await;
        let (job, took) = server.sync(config, false).await;
        let used = server.requests_of(provider).await - before;
        table.add(
            &format!("{label} incremental"),
            &format!("{k} files added to {n}"),
            format!(
                "{used} requests, {} files indexed, {}",
                job.progress.files_processed,
                secs(took)
            ),
            "grows with k",
        );
    }
}

/// Graph and Dropbox: no-change incremental runs over a generated tree.
async fn clouds(
    args: &Args,
    sandbox: &SandboxProcess,
    server: &Server,
    table: &mut Table,
) -> Vec<ConfigId> {
    let mut configs = Vec::new();
    for (cloud, provider, label) in
        [("microsoft", "onedrive", "Graph (OneDrive)"), ("dropbox", "dropbox", "Dropbox")]
    {
        let user = format!("inc-{cloud}");
        let n = 2000;
        let batch = sandbox.account_with_files(cloud, &user, n).await;
        let connection = import_oauth(server, sandbox, cloud, provider, &user).await;
        let config = server.configure(&connection, &["Bench"], true).await;
        let (job, took) = server.sync(&config, false).await;
        assert_eq!(job.progress.files_processed as usize, n, "{:?}", job.progress);
        table.add(
            &format!("{label} full sync, {n} files"),
            "files/s",
            format!("{:.0} ({})", n as f64 / took.as_secs_f64(), secs(took)),
            "",
        );
        incremental_rows(
            server,
            &config,
            provider,
            Some((sandbox, cloud, user.as_str())),
            table,
            label,
            took,
        )
        .await;
        let changes = Changes { sandbox, cloud, user: &user, batch: &batch, n };
        changes_rows(args, server, &config, provider, &changes, label, table).await;
        configs.push(config);
    }
    configs
}

fn email(n: usize, prose: &mut Prose) -> Vec<u8> {
    let body: Vec<String> = (0..5).map(|_| prose.sentence()).collect();
    format!(
        "From: sender{n}@example.com\r\nTo: alice@example.com\r\nSubject: Message {n}\r\nMessage-ID: <m{n}@example.com>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        body.join("\r\n")
    )
    .into_bytes()
}

async fn imap(args: &Args, server: &Server, table: &mut Table) {
    let n = args.imap_messages;
    let dovecot = Dovecot::start(&[("alice", "secret")]);
    let mut prose = Prose::new(5);
    let messages: Vec<Vec<u8>> = (0..n).map(|i| email(i, &mut prose)).collect();
    dovecot.deliver_to_inbox("alice", &messages);
    let connection = password_connection(
        server,
        ProviderId::Email,
        "Dovecot",
        json!({"host": "127.0.0.1", "port": dovecot.imaps_port, "security": "tls",
                    "username": "alice", "password": "secret", "ca_pem": dovecot.ca_pem}),
    )
    .await;
    let config = server.configure(&connection, &["INBOX"], false).await;
    let (job, full) = server.sync(&config, false).await;
    assert_eq!(job.progress.files_processed as usize, n, "{:?}", job.progress);
    table.add(
        &format!("IMAP (Dovecot) full sync, {n} messages"),
        "messages/s",
        format!("{:.0} ({})", n as f64 / full.as_secs_f64(), secs(full)),
        "",
    );
    let before = server.requests_of("email").await;
    let (job, took) = server.sync(&config, false).await;
    assert_eq!(job.progress.files_processed, 0);
    let commands = server.requests_of("email").await - before;
    table.add(
        "IMAP (Dovecot) incremental",
        "no change: IMAP commands, wall time (share of full sync)",
        format!(
            "{commands} commands, {} ({:.2}% of {})",
            secs(took),
            100.0 * took.as_secs_f64() / full.as_secs_f64(),
            secs(full)
        ),
        "<= 1%",
    );
}

// ---------------------------------------------------------------- web

/// `wrk -c50` for 15 s: requests/s and p99 latency.
fn wrk(url: &str, header: &str) -> (f64, String) {
    let out = Command::new("wrk")
        .args(["-t2", "-c50", "-d15s", "--latency", "-H", header, url])
        .output()
        .expect("wrk runs (scripts/install.sh bench)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "?".into());
    let non2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map(|l| format!(" ({})", l.trim()))
        .unwrap_or_default();
    (rps, format!("{p99}{non2xx}"))
}

async fn session_cookie(server: &Server) -> String {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client
        .post(format!("{}/login", server.base))
        .header("origin", &server.base)
        .form(&[("username", USER), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "sign-in");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("cs_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string()
}

/// Prints the server's PID, address and credentials, then waits for Enter.
async fn hold(server: &Server) {
    let cookie = session_cookie(server).await;
    println!("server pid {} at {}", server.pid(), server.base);
    println!("  wrk -t2 -c50 -d15s --latency -H 'Cookie: {cookie}' {}/", server.base);
    println!(
        "  wrk -t2 -c50 -d15s --latency -H 'Authorization: Bearer {}' {}",
        server.token,
        server.api("/dashboard")
    );
    println!("press Enter to go on");
    let _ = std::io::stdin().read_line(&mut String::new());
}

async fn web(server: &Server, sse_config: &ConfigId, table: &mut Table) {
    let cookie = session_cookie(server).await;
    let (rps, p99) = wrk(&format!("{}/", server.base), &format!("Cookie: {cookie}"));
    table.add(
        "Web: SSR dashboard `/`, wrk 50 connections",
        "p99 latency (requests/s)",
        format!("{p99} ({rps:.0}/s)"),
        "p99 <= 50 ms",
    );
    let (rps, p99) =
        wrk(&server.api("/dashboard"), &format!("Authorization: Bearer {}", server.token));
    table.add(
        "Web: GET /api/v1/cloud-sources/dashboard, wrk 50",
        "p99 latency (requests/s)",
        format!("{p99} ({rps:.0}/s)"),
        "p99 <= 50 ms",
    );
    table.add("Web", "server peak RSS after wrk", format!("{:.0} MB", server.peak_rss_mb()), "");

    // 500 subscribers of the job event stream, then one full sync they all follow.
    let subscribers = 500;
    let connected = Arc::new(AtomicUsize::new(0));
    let progress_events = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let last_end_ms = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..subscribers {
        let (client, url, token) = (client.clone(), server.api("/events"), server.token.clone());
        let (connected, progress_events, finished, last_end_ms) =
            (connected.clone(), progress_events.clone(), finished.clone(), last_end_ms.clone());
        let config = sse_config.0.clone();
        tasks.push(tokio::spawn(async move {
            let Ok(response) = client.get(url).bearer_auth(token).send().await else { return };
            if !response.status().is_success() {
                return;
            }
            connected.fetch_add(1, Ordering::SeqCst);
            let mut stream = response.bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) else {
                        continue;
                    };
                    let Ok(event) = serde_json::from_str::<JobEvent>(data.trim()) else { continue };
                    if event.config_id.0 != config {
                        continue;
                    }
                    progress_events.fetch_add(1, Ordering::Relaxed);
                    if !event.status.is_active() {
                        finished.fetch_add(1, Ordering::SeqCst);
                        last_end_ms.fetch_max(Timestamp::now().millis() as u64, Ordering::SeqCst);
                        return;
                    }
                }
            }
        }));
    }
    let start = Instant::now();
    while connected.load(Ordering::SeqCst) < subscribers
        && start.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_connected = server.peak_rss_mb();
    let (job, _) = server.sync(sse_config, true).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while finished.load(Ordering::SeqCst) < connected.load(Ordering::SeqCst)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let completed_ms = job.completed_at.map(|t| t.millis()).unwrap_or_default() as u64;
    let lag = last_end_ms.load(Ordering::SeqCst).saturating_sub(completed_ms);
    for task in tasks {
        task.abort();
    }
    table.add(
        &format!("Web: {subscribers} SSE subscribers of /events"),
        "connected / received the end of the run",
        format!(
            "{} / {} ({} events in all, last end event {lag} ms after the job ended)",
            connected.load(Ordering::SeqCst),
            finished.load(Ordering::SeqCst),
            progress_events.load(Ordering::SeqCst)
        ),
        "all 500",
    );
    table.add("Web", "server peak RSS with 500 subscribers", format!("{rss_connected:.0} MB"), "");
}

fn wasm(site: &Path, table: &mut Table) {
    let file = site.join("pkg/cloud-sources.wasm");
    let Ok(raw) = std::fs::read(&file) else {
        table.add("WASM", "hydrate bundle", format!("no {}", file.display()), "<= 250 KB gzip");
        return;
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw).unwrap();
    let gzipped = gz.finish().unwrap().len();
    let kb = |bytes: usize| format!("{:.0} KB", bytes as f64 / 1024.0);
    table.add(
        "WASM",
        "hydrate bundle raw / gzip -9",
        format!("{} / {}", kb(raw.len()), kb(gzipped)),
        "<= 250 KB gzip",
    );
    // What a browser downloads: the files `cargo leptos build --precompress` wrote,
    // which the static file handler serves by Accept-Encoding.
    let precompressed = |ext: &str| {
        std::fs::metadata(site.join(format!("pkg/cloud-sources.wasm.{ext}")))
            .map(|m| kb(m.len() as usize))
            .unwrap_or_else(|_| "not built".into())
    };
    table.add(
        "WASM",
        "served precompressed: brotli / gzip",
        format!("{} / {}", precompressed("br"), precompressed("gz")),
        "",
    );
}

fn ingest(bin: &Path) {
    println!("\n== Extraction (examples/ingest_bench, best of 3) ==");
    let status = Command::new(bin).args(["--files", "300"]).status();
    if !status.is_ok_and(|s| s.success()) {
        println!("ingest_bench failed");
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut table = Table::default();
    let started = Instant::now();
    if args.wants("webdav") {
        println!("== WebDAV against rclone ==");
        webdav(&args, &mut table).await;
    }
    if args.wants("nextcloud") {
        println!("== WebDAV with folder ETags (Nextcloud simulator) ==");
        nextcloud(&args, &mut table).await;
    }
    let sandbox = SandboxProcess::start(&args.bin).await;
    if args.wants("drive") {
        println!("== Drive scale ==");
        drive_scale(&args, &sandbox, &mut table).await;
    }
    if args.wants("incremental") || args.wants("web") {
        println!("== Graph, Dropbox, IMAP; web ==");
        let server = Server::start(&args.bin, Some(&sandbox), args.site.as_deref()).await;
        let configs = clouds(&args, &sandbox, &server, &mut table).await;
        if args.wants("incremental") {
            imap(&args, &server, &mut table).await;
        }
        if args.wants("web") {
            if args.hold {
                hold(&server).await;
            }
            web(&server, &configs[0], &mut table).await;
        }
    }
    if let Some(site) = &args.site {
        wasm(site, &mut table);
    }
    println!("\n== Results ({:.0} s) ==", started.elapsed().as_secs_f64());
    table.print();
    if let Some(ingest_bin) = &args.ingest_bin {
        ingest(ingest_bin);
    }
}
