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
use cloud_sources::store::JobRecord;
use rand::{Rng, SeedableRng};
use support::peers::{
    WEBDAV_PASSWORD, WEBDAV_USER, WebdavKind, WebdavServer, free_port, venv, wait_for_port,
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

/// Changes the source between rounds: 80 files added, 5 deleted, 5 edited.
fn churn(files: &Path, rng: &mut rand::rngs::StdRng, next_file: &mut usize, version: &mut usize) {
    for _ in 0..80 {
        let folder = rng.random_range(0..10);
        write(
            files,
            &format!("area-{folder}/report-{next_file}.txt"),
            &text(folder, *next_file, 0),
        );
        *next_file += 1;
    }
    let current: Vec<String> = source(files).into_keys().collect();
    for _ in 0..5 {
        let victim = &current[rng.random_range(0..current.len())];
        let _ = std::fs::remove_file(files.join(victim));
    }
    std::thread::sleep(Duration::from_millis(1100)); // wsgidav ETags have one-second resolution
    for _ in 0..5 {
        let current: Vec<String> = source(files).into_keys().collect();
        let edited = &current[rng.random_range(0..current.len())];
        write(files, edited, &text(99, *version, *version));
        *version += 1;
    }
}

/// The server under test: a child process, killed with SIGKILL on purpose.
struct Server {
    child: Child,
}

impl Server {
    fn start(data_dir: &Path, site: &Path) -> Self {
        Self::start_with(data_dir, site, &[])
    }

    /// With more `CLOUD_SOURCES__…` settings (a MongoDB store, the vault key…).
    fn start_with(data_dir: &Path, site: &Path, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_cloud-sources"))
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
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
    configure_folder(service, alice, dav, "reports", Schedule::default()).await
}

/// A configuration of the top-level `folder` of the WebDAV tree.
async fn configure_folder(
    service: &Service,
    alice: &Caller,
    dav: &WebdavServer,
    folder: &str,
    schedule: Schedule,
) -> ConfigId {
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
    let reports = root.entries.iter().find(|e| e.name == folder).expect("the folder");
    let input = SyncConfigInput {
        connection_id: connection.id,
        profile_key: "chaos".into(),
        name: folder.into(),
        source_paths: vec![SourcePath {
            path: reports.path.clone(),
            remote_id: reports.remote_id.clone(),
            include_subfolders: true,
        }],
        filters: Filters::default(),
        schedule,
        sync_options: SyncOptions::default(),
    };
    ServicePort::create_config(service, alice, input).await.expect("config").id
}

/// The index of a configuration compared with the WebDAV folder it syncs.
struct Comparison {
    source: usize,
    indexed: usize,
    lost: Vec<String>,
    extra: Vec<String>,
    stale: Vec<String>,
    duplicated: u64,
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} files in the source, {} indexed, {} lost, {} extra, {} stale, {} duplicated",
            self.source,
            self.indexed,
            self.lost.len(),
            self.extra.len(),
            self.stale.len(),
            self.duplicated
        )
    }
}

impl Comparison {
    fn assert_exact(&self) {
        assert!(self.lost.is_empty(), "lost: {:?}", self.lost);
        assert!(self.extra.is_empty(), "indexed but deleted at the source: {:?}", self.extra);
        assert!(self.stale.is_empty(), "old text indexed: {:?}", self.stale);
        assert_eq!(self.duplicated, 0, "a file is indexed twice");
    }
}

/// Compares the index of `config` with the folder `files` (the folder the
/// configuration selected) on disk.
async fn compare(service: &Service, alice: &Caller, config: &ConfigId, files: &Path) -> Comparison {
    let folder = format!("{}/", files.file_name().unwrap().to_string_lossy());
    let expected = source(files);
    let indexed: BTreeMap<String, String> = index(service, alice, config)
        .await
        .into_iter()
        .map(|(path, text)| {
            let relative = path.split_once(&folder).map_or(path.as_str(), |(_, rest)| rest);
            (relative.to_string(), text)
        })
        .collect();
    let documents = ServicePort::list_documents(
        service,
        alice,
        DocumentQuery { config_id: Some(config.clone()), search: None, page: 1, per_page: 1 },
    )
    .await
    .unwrap()
    .total;
    Comparison {
        source: expected.len(),
        indexed: indexed.len(),
        lost: expected.keys().filter(|p| !indexed.contains_key(*p)).cloned().collect(),
        extra: indexed.keys().filter(|p| !expected.contains_key(*p)).cloned().collect(),
        stale: expected
            .iter()
            .filter(|(p, text)| indexed.get(*p).is_some_and(|t| t.trim() != text.trim()))
            .map(|(p, _)| p.clone())
            .collect(),
        duplicated: documents.saturating_sub(indexed.len() as u64),
    }
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

    let (mut next_file, mut version) = (1000, 1);
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
        churn(&files, &mut rng, &mut next_file, &mut version);
        println!("round {}: killed {} ms into the run", round + 1, wait.as_millis());
    }

    // Restart once more: the interrupted job is taken over after its lease,
    // then one more run catches up with the last changes.
    let server = Server::start(data.path(), site.path());
    wait_until_idle(&service, Duration::from_secs(180)).await;
    ServicePort::run_config(&*service, &alice, &config, false).await.expect("run");
    wait_until_idle(&service, Duration::from_secs(180)).await;
    drop(server);

    let check = compare(&service, &alice, &config, &files).await;
    println!(
        "{KILLS}/{KILLS} SIGKILLs ({killed_mid_job} during a job) in {:.0} s: {check}, {} jobs pending or running",
        started.elapsed().as_secs_f64(),
        active_jobs(&service).await,
    );
    check.assert_exact();
    assert!(killed_mid_job >= KILLS / 2, "too few kills landed during a job: {killed_mid_job}");
}

/// secantusdb with its data in a directory, on a fixed port, so that it can be
/// stopped (SIGTERM or SIGKILL) and started again as the same database.
struct Mongo {
    port: u16,
    data: tempfile::TempDir,
    logs: tempfile::TempDir,
    child: Option<Child>,
}

impl Mongo {
    fn start() -> Self {
        let mut mongo = Mongo {
            port: free_port(),
            data: tempfile::tempdir().unwrap(),
            logs: tempfile::tempdir().unwrap(),
            child: None,
        };
        mongo.restart();
        mongo
    }

    fn uri(&self, database: &str) -> String {
        format!("mongodb://127.0.0.1:{}/{database}", self.port)
    }

    fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.path().join("secantusdb.log"))
            .unwrap();
        let child = Command::new(venv().join("bin").join("secantusd-py"))
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string(), "--storage-path"])
            .arg(self.data.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("secantusdb starts (scripts/install.sh test)");
        self.child = Some(child);
        if !wait_for_port(self.port, Duration::from_secs(60)) {
            let log = std::fs::read_to_string(self.logs.path().join("secantusdb.log"));
            panic!("secantusdb did not listen on {}: {log:?}", self.port);
        }
    }

    /// Stops the server with `signal` (`TERM` or `KILL`) and waits until it is gone.
    fn stop(&mut self, signal: &str) {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        child.wait().unwrap();
    }
}

impl Drop for Mongo {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Settings of the in-process service and the server processes sharing one MongoDB.
fn on_mongo(data: &Path, uri: &str, master_key: &str) -> Settings {
    let mut settings = Settings::for_tests(data);
    settings.security.allow_hosts = vec!["127.0.0.1".into()];
    settings.store.uri = uri.to_string().into();
    settings.vault.master_key = Some(master_key.to_string().into());
    settings
}

fn mongo_env(uri: &str, master_key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CLOUD_SOURCES__STORE__URI", uri.to_string()),
        ("CLOUD_SOURCES__VAULT__MASTER_KEY", master_key.to_string()),
        // One file at a time, so that runs last long enough to interrupt.
        ("CLOUD_SOURCES__SYNC__DOWNLOAD_CONCURRENCY", "1".to_string()),
    ]
}

/// Waits for a job to end, riding out store errors (the database may be restarting).
async fn job_end(service: &Service, alice: &Caller, job: &JobId, timeout: Duration) -> JobRecord {
    let start = Instant::now();
    loop {
        if let Ok(Some(record)) = service.store.get_job(alice.user_id(), job).await
            && !record.job.status.is_active()
        {
            return record;
        }
        assert!(start.elapsed() < timeout, "job {job} did not end within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn files_processed(service: &Service, alice: &Caller, job: &JobId) -> u64 {
    let record = service.store.get_job(alice.user_id(), job).await.unwrap().unwrap();
    record.job.progress.files_processed
}

fn reports_tree(files: &Path, folders: usize, per_folder: usize) {
    for folder in 0..folders {
        for n in 0..per_folder {
            write(files, &format!("area-{folder}/report-{n}.txt"), &text(folder, n, 0));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute long; run by `make chaos`"]
async fn mongodb_restarted_mid_sync_the_job_recovers_and_loses_nothing() {
    let seed: u64 =
        std::env::var("CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("chaos seed {seed} (CHAOS_SEED={seed} reproduces the restart times)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let tree = tempfile::tempdir().unwrap();
    let files = tree.path().join("reports");
    reports_tree(&files, 10, 40);
    let dav = WebdavServer::start(WebdavKind::Wsgidav, tree.path());

    let mut mongo = Mongo::start();
    let uri = mongo.uri("chaos_restart");
    let master_key = "5e".repeat(32);
    let (data, site) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let service = Service::open(on_mongo(data.path(), &uri, &master_key)).await.unwrap();
    let alice = caller(&service, "alice").await;
    let config = configure(&service, &alice, &dav).await;
    let server = Server::start_with(data.path(), site.path(), &mongo_env(&uri, &master_key));

    let started = Instant::now();
    let (mut next_file, mut version) = (1000, 1);
    let mut recovered = 0;
    let signals = ["TERM", "KILL", "KILL"];
    for (round, signal) in signals.iter().enumerate() {
        let job = ServicePort::run_config(&*service, &alice, &config, round == 1).await.unwrap();
        let start = Instant::now();
        while files_processed(&service, &alice, &job.id).await < 10 {
            assert!(start.elapsed() < Duration::from_secs(30), "the job made no progress");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..500))).await;
        let before = files_processed(&service, &alice, &job.id).await;
        mongo.stop(signal);
        let down = Duration::from_millis(rng.random_range(500..3000));
        tokio::time::sleep(down).await;
        mongo.restart();
        let ended = job_end(&service, &alice, &job.id, Duration::from_secs(120)).await.job;
        println!(
            "round {}: secantusdb stopped with SIG{signal} after {before} files, down {} ms; the job ended {} after {} attempt(s): {:?}",
            round + 1,
            down.as_millis(),
            ended.status.as_str(),
            ended.attempts,
            ended.message
        );
        if ended.status == JobStatus::Completed {
            recovered += 1;
        }
        churn(&files, &mut rng, &mut next_file, &mut version);
    }

    let job = ServicePort::run_config(&*service, &alice, &config, false).await.unwrap();
    let last = job_end(&service, &alice, &job.id, Duration::from_secs(120)).await.job;
    assert_eq!(last.status, JobStatus::Completed, "{:?}", last.message);
    let check = compare(&service, &alice, &config, &files).await;
    let active = active_jobs(&service).await;
    println!(
        "{}/{} restarts of secantusdb mid-sync recovered (job completed) in {:.0} s: {check}, {active} jobs pending or running",
        recovered,
        signals.len(),
        started.elapsed().as_secs_f64()
    );
    drop(server);
    check.assert_exact();
    assert_eq!(active, 0);
    assert_eq!(recovered, signals.len(), "every interrupted job completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute long; run by `make chaos`"]
async fn two_instances_run_each_due_job_once_and_take_over_a_killed_ones_job() {
    const TEAMS: usize = 4;
    let tree = tempfile::tempdir().unwrap();
    for team in 0..TEAMS {
        reports_tree(&tree.path().join(format!("team-{team}")), 3, 10);
    }
    let big = tree.path().join("big");
    reports_tree(&big, 10, 40);
    let dav = WebdavServer::start(WebdavKind::Wsgidav, tree.path());

    let mongo = Mongo::start();
    let uri = mongo.uri("chaos_instances");
    let master_key = "6a".repeat(32);
    let (data, site) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let service = Service::open(on_mongo(data.path(), &uri, &master_key)).await.unwrap();
    let alice = caller(&service, "alice").await;
    let hourly = Schedule {
        enabled: true,
        frequency: Some(Frequency::Hourly),
        cron_expression: None,
        next_run_at: None,
    };
    let mut teams = Vec::new();
    for team in 0..TEAMS {
        let name = format!("team-{team}");
        teams.push(configure_folder(&service, &alice, &dav, &name, hourly.clone()).await);
    }
    let big_config = configure_folder(&service, &alice, &dav, "big", Schedule::default()).await;
    make_due(&service, &alice, &teams).await;

    // Two instances, each with its own data directory, started together: both
    // schedulers see the same due runs at once.
    let instance = |name: &str, data: &Path| {
        let mut env = mongo_env(&uri, &master_key);
        env.push(("HOSTNAME", name.to_string()));
        Server::start_with(data, site.path(), &env)
    };
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut servers =
        vec![instance("instance-a", data_a.path()), instance("instance-b", data_b.path())];
    let started = Instant::now();

    // Which instance runs which job, seen from the lease owners.
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    watch_runs(&service, &alice, &teams, &mut owners, TEAMS as u64).await;
    // Once more while both run: due again, picked up by the next scheduler pass.
    make_due(&service, &alice, &teams).await;
    watch_runs(&service, &alice, &teams, &mut owners, 2 * TEAMS as u64).await;
    // A few more scheduler passes must not enqueue anything else.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut runs = 0;
    for config in &teams {
        let history = ServicePort::job_history(&*service, &alice, config, 1, 10).await.unwrap();
        assert_eq!(history.total, 2, "each due run executed exactly once: {:?}", history.items);
        for job in &history.items {
            assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
            assert_eq!(job.attempts, 1, "{job:?}");
            runs += 1;
        }
        let team = teams.iter().position(|c| c == config).unwrap();
        compare(&service, &alice, config, &tree.path().join(format!("team-{team}")))
            .await
            .assert_exact();
    }
    let by_a = owners.values().filter(|o| o.as_str() == "instance-a").count();
    let by_b = owners.values().filter(|o| o.as_str() == "instance-b").count();
    println!(
        "2 instances, {} due runs of {TEAMS} configurations: {runs} executed, each once ({by_a} seen on instance A, {by_b} on B) in {:.0} s",
        2 * TEAMS,
        started.elapsed().as_secs_f64()
    );

    // A long job: SIGKILL the instance that runs it; the other takes it over.
    let job = ServicePort::run_config(&*service, &alice, &big_config, false).await.unwrap();
    let start = Instant::now();
    let owner = loop {
        let record = service.store.get_job(alice.user_id(), &job.id).await.unwrap().unwrap();
        if let Some(owner) = record.lease_owner
            && record.job.progress.files_processed >= 30
        {
            break owner;
        }
        assert!(record.job.status.is_active(), "ended before the kill: {:?}", record.job);
        assert!(start.elapsed() < Duration::from_secs(30), "no instance made progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let victim = if owner.starts_with("instance-a") { 0 } else { 1 };
    let processed_before = files_processed(&service, &alice, &job.id).await;
    servers.remove(victim).kill_9();
    let killed = Instant::now();
    let mut successor = None;
    let ended = loop {
        let record = service.store.get_job(alice.user_id(), &job.id).await.unwrap().unwrap();
        if let Some(owner) = &record.lease_owner
            && successor.is_none()
            && !owner.starts_with(&owner_prefix(victim))
        {
            successor = Some((owner.clone(), killed.elapsed()));
        }
        if !record.job.status.is_active() {
            break record.job;
        }
        assert!(killed.elapsed() < Duration::from_secs(120), "the job was not finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (successor, takeover) = successor.expect("another instance took the job");
    assert_eq!(ended.status, JobStatus::Completed, "{:?}", ended.message);
    assert_eq!(ended.attempts, 2, "resumed once");
    assert!(successor.starts_with(&owner_prefix(1 - victim)), "{successor}");
    let check = compare(&service, &alice, &big_config, &big).await;
    println!(
        "{} SIGKILLed after {processed_before} files: {} took the job over {:.1} s later (lease 3 s) and finished it ({} attempts, {:.1} s after the kill): {check}",
        owner_prefix(victim),
        owner_prefix(1 - victim),
        takeover.as_secs_f64(),
        ended.attempts,
        killed.elapsed().as_secs_f64()
    );
    check.assert_exact();
    drop(servers);
    drop(mongo);
}

async fn make_due(service: &Service, alice: &Caller, configs: &[ConfigId]) {
    for config in configs {
        let past = Some(Timestamp::now().plus_secs(-60));
        service.store.set_next_run(alice.user_id(), config, past).await.unwrap();
    }
}

/// Waits until `configs` have `runs` jobs in all and none is active, noting
/// which instance held each job's lease.
async fn watch_runs(
    service: &Service,
    alice: &Caller,
    configs: &[ConfigId],
    owners: &mut BTreeMap<String, String>,
    runs: u64,
) {
    let start = Instant::now();
    loop {
        let mut total = 0;
        for config in configs {
            let history = ServicePort::job_history(service, alice, config, 1, 10).await.unwrap();
            total += history.total;
            for job in &history.items {
                let record = service.store.get_job(alice.user_id(), &job.id).await.unwrap();
                if let Some(owner) = record.and_then(|r| r.lease_owner) {
                    owners.insert(job.id.to_string(), owner.chars().take(10).collect());
                }
            }
        }
        if total >= runs && active_jobs(service).await == 0 {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "{total} of {runs} runs so far");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn owner_prefix(instance: usize) -> String {
    if instance == 0 { "instance-a".into() } else { "instance-b".into() }
}
