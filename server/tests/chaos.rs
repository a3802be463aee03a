//! Crash test, run by `make chaos` (minutes, so not part of `make test`): the
//! real `cloud-sources serve` process is killed with SIGKILL at random points
//! while it syncs a WebDAV tree (wsgidav) that keeps changing, and restarted,
//! ten times. Afterwards the index must equal the source exactly: nothing lost,
//! nothing indexed twice, no job left pending or running.
//!
//! Setup and checks go through a second, in-process service on the same data
//! directory, the way the CLI works next to a running server.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::config::Settings;
use cloud_sources::service::Service;
use rand::{Rng, SeedableRng};
use support::peers::{
    WEBDAV_PASSWORD, WEBDAV_USER, WebdavKind, WebdavServer, free_port, wait_for_port,
};
use support::sync::{caller, index};

const KILLS: usize = 10;

fn write(root: &Path, path: &str, contents: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, contents).unwrap();
}

/// The source as the index should see it: relative path → text.
fn source(root: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn text(folder: usize, n: usize, version: usize) -> String {
    format!("Report {n} in area {folder}, revision {version}. ").repeat(40)
}

/// The server under test: a child process, killed with SIGKILL on purpose.
struct Server {
    child: Child,
}

impl Server {
    fn start(data_dir: &Path, site: &Path) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_cloud-sources"))
            .arg("serve")
            .env("CLOUD_SOURCES__DATA_DIR", data_dir)
            .env("CLOUD_SOURCES__SERVER__ADDR", format!("127.0.0.1:{port}"))
            .env("CLOUD_SOURCES__SECURITY__ALLOW_HOSTS", "[\"127.0.0.1\"]")
            .env("CLOUD_SOURCES__SYNC__LEASE_SECS", "3")
            .env("CLOUD_SOURCES__LOG__FILTER", "warn")
            .env("LEPTOS_SITE_ROOT", site)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        assert!(wait_for_port(port, Duration::from_secs(30)), "the server listens");
        Server { child }
    }

    fn kill_9(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn active_jobs(service: &Service) -> u64 {
    let counts = service.store.job_counts().await.unwrap();
    counts.iter().filter(|(status, _)| status.is_active()).map(|(_, n)| n).sum()
}

async fn wait_until_idle(service: &Service, timeout: Duration) {
    let start = Instant::now();
    while active_jobs(service).await > 0 {
        assert!(start.elapsed() < timeout, "jobs still pending or running after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the configuration's job is running (or already over).
async fn running_within(service: &Service, alice: &Caller, config: &ConfigId, timeout: Duration) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        let status = service.config_status(alice, config).await.expect("status");
        if status.job.is_none_or(|job| job.status != JobStatus::Pending) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn configure(service: &Service, alice: &Caller, dav: &WebdavServer) -> ConfigId {
    let connection = service
        .create_connection(
            alice,
            NewConnection {
                provider: ProviderId::OwnCloud,
                display_name: "Reports".into(),
                auth_type: AuthType::Password,
                credentials: serde_json::json!({ "server_url": dav.url, "username": WEBDAV_USER, "password": WEBDAV_PASSWORD }),
            },
        )
        .await
        .expect("connection");
    let root = service.browse(alice, &connection.id, None).await.expect("browse");
    let reports = root.entries.iter().find(|e| e.name == "reports").expect("reports folder");
    let input = SyncConfigInput {
        connection_id: connection.id,
        profile_key: "chaos".into(),
        name: "Reports".into(),
        source_paths: vec![SourcePath {
            path: reports.path.clone(),
            remote_id: reports.remote_id.clone(),
            include_subfolders: true,
        }],
        filters: Filters::default(),
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    };
    ServicePort::create_config(service, alice, input).await.expect("config").id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes long; run by `make chaos`"]
async fn sigkill_during_syncs_loses_and_duplicates_nothing() {
    let seed: u64 =
        std::env::var("CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("chaos seed {seed} (CHAOS_SEED={seed} reproduces the kill times)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let tree = tempfile::tempdir().unwrap();
    let files = tree.path().join("reports");
    for folder in 0..10 {
        for n in 0..80 {
            write(&files, &format!("area-{folder}/report-{n}.txt"), &text(folder, n, 0));
        }
    }
    let dav = WebdavServer::start(WebdavKind::Wsgidav, tree.path());

    let data = tempfile::tempdir().unwrap();
    let site = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(data.path());
    settings.security.allow_hosts = vec!["127.0.0.1".into()];
    let service = Service::open(settings).await.expect("service on the same data directory");
    let alice = caller(&service, "alice").await;
    let config = configure(&service, &alice, &dav).await;

    let mut next_file = 1000;
    let mut version = 1;
    let mut killed_mid_job = 0;
    let started = Instant::now();
    for round in 0..KILLS {
        let server = Server::start(data.path(), site.path());
        ServicePort::run_config(&*service, &alice, &config, round % 3 == 2).await.expect("run");
        // Kill at a random point after a worker has claimed the job (the
        // server notices jobs enqueued by another process on its next poll).
        running_within(&service, &alice, &config, Duration::from_secs(10)).await;
        let wait = Duration::from_millis(rng.random_range(0..600));
        tokio::time::sleep(wait).await;
        if active_jobs(&service).await > 0 {
            killed_mid_job += 1;
        }
        server.kill_9();

        // The source keeps changing while the server is down.
        for _ in 0..80 {
            let folder = rng.random_range(0..10);
            write(
                &files,
                &format!("area-{folder}/report-{next_file}.txt"),
                &text(folder, next_file, 0),
            );
            next_file += 1;
        }
        let current: Vec<String> = source(&files).into_keys().collect();
        for _ in 0..5 {
            let victim = &current[rng.random_range(0..current.len())];
            let _ = std::fs::remove_file(files.join(victim));
        }
        std::thread::sleep(Duration::from_millis(1100)); // wsgidav ETags have one-second resolution
        for _ in 0..5 {
            let current: Vec<String> = source(&files).into_keys().collect();
            let edited = &current[rng.random_range(0..current.len())];
            write(&files, edited, &text(99, version, version));
            version += 1;
        }
        println!("round {}: killed {} ms into the run", round + 1, wait.as_millis());
    }

    // Restart once more: the interrupted job is taken over after its lease,
    // then one more run catches up with the last changes.
    let server = Server::start(data.path(), site.path());
    wait_until_idle(&service, Duration::from_secs(180)).await;
    ServicePort::run_config(&*service, &alice, &config, false).await.expect("run");
    wait_until_idle(&service, Duration::from_secs(180)).await;
    drop(server);

    let expected = source(&files);
    let indexed: BTreeMap<String, String> = index(&service, &alice, &config)
        .await
        .into_iter()
        .map(|(path, text)| {
            let relative = path.split_once("reports/").map_or(path.as_str(), |(_, rest)| rest);
            (relative.to_string(), text)
        })
        .collect();
    let lost: Vec<&String> = expected.keys().filter(|p| !indexed.contains_key(*p)).collect();
    let extra: Vec<&String> = indexed.keys().filter(|p| !expected.contains_key(*p)).collect();
    let stale: Vec<&String> = expected
        .iter()
        .filter(|(p, text)| indexed.get(*p).is_some_and(|t| t.trim() != text.trim()))
        .map(|(p, _)| p)
        .collect();
    let documents = ServicePort::list_documents(
        &*service,
        &alice,
        DocumentQuery { config_id: Some(config.clone()), search: None, page: 1, per_page: 1 },
    )
    .await
    .unwrap()
    .total;
    println!(
        "{KILLS}/{KILLS} SIGKILLs ({killed_mid_job} during a job) in {:.0} s: {} files in the source, {} indexed, {} lost, {} extra, {} stale, {} duplicated, {} jobs pending or running",
        started.elapsed().as_secs_f64(),
        expected.len(),
        indexed.len(),
        lost.len(),
        extra.len(),
        stale.len(),
        documents.saturating_sub(indexed.len() as u64),
        active_jobs(&service).await,
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(extra.is_empty(), "indexed but deleted at the source: {extra:?}");
    assert!(stale.is_empty(), "old text indexed: {stale:?}");
    assert_eq!(documents, indexed.len() as u64, "a file is indexed twice");
    assert!(killed_mid_job >= KILLS / 2, "too few kills landed during a job: {killed_mid_job}");
}
