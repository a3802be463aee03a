//! Provider faults injected by the sandbox during real syncs, for Google Drive,
//! OneDrive (Graph) and Dropbox: a 30 % 429 storm, 5xx bursts, requests that
//! hang past the client timeout, a grant revoked in the middle of a full sync,
//! an invalidated change cursor, and a file whose download always fails.
//! Each run is checked the way a user would: the job's outcome and message,
//! the connection's state, and the index compared with the simulated cloud.
//! Part of `make test` (each case takes seconds).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::config::Settings;
use cloud_sources::sandbox::{FaultConfig, Provider as Cloud};
use support::cloud_sync::{CloudWorld, cloud_world_with};
use support::sync::{caller, index, run_and_wait, wait_for_job};

/// Text files added to the seeded `/Projects` tree, so that a run makes enough
/// requests for the faults to bite.
const REPORTS: usize = 12;

struct Faulty {
    world: CloudWorld,
    alice: Caller,
    connection: Connection,
    config: SyncConfiguration,
    /// What the index must hold: path below the drive → a text the document contains.
    model: BTreeMap<String, String>,
}

async fn faulty(provider: ProviderId, cloud: Cloud, more: impl FnOnce(&mut Settings)) -> Faulty {
    let world = cloud_world_with(provider, cloud, more).await;
    let alice = caller(&world.app.service, "alice").await;
    let manifest = world.account.manifest().expect("seeded");
    let mut model: BTreeMap<String, String> = manifest
        .files()
        .filter(|f| f.path.starts_with("/Projects/"))
        .map(|f| (f.path.clone(), f.expected_text.clone().unwrap_or_default()))
        .collect();
    let reports = world.account.add_folder(&world.id("/Projects"), "Reports").unwrap().id;
    for n in 0..REPORTS {
        let text = format!("Quarterly report {n} about river levels.");
        world
            .account
            .add_file(&reports, &format!("report-{n:02}.txt"), text.clone().into_bytes())
            .unwrap();
        model.insert(format!("/Projects/Reports/report-{n:02}.txt"), text);
    }
    let (connection, config) = world.configure(&alice).await;
    Faulty { world, alice, connection, config, model }
}

impl Faulty {
    fn service(&self) -> &cloud_sources::service::Service {
        &self.world.app.service
    }

    /// The index by path below the drive (Drive's paths start with `/My Drive`).
    async fn index(&self) -> BTreeMap<String, String> {
        index(self.service(), &self.alice, &self.config.id)
            .await
            .into_iter()
            .map(|(path, text)| match path.strip_prefix("/My Drive") {
                Some(rest) => (rest.to_string(), text),
                None => (path, text),
            })
            .collect()
    }

    /// Documents stored for the configuration (a duplicate counts twice).
    async fn documents(&self) -> u64 {
        let query = DocumentQuery {
            config_id: Some(self.config.id.clone()),
            search: None,
            page: 1,
            per_page: 1,
        };
        ServicePort::list_documents(self.service(), &self.alice, query).await.unwrap().total
    }

    async fn assert_index_equals_source(&self, when: &str) {
        let indexed = self.index().await;
        assert_eq!(
            indexed.keys().collect::<Vec<_>>(),
            self.model.keys().collect::<Vec<_>>(),
            "{when}: the indexed paths"
        );
        for (path, text) in &self.model {
            assert!(indexed[path].contains(text.as_str()), "{when}: {path} should say {text:?}");
        }
        assert_eq!(self.documents().await, indexed.len() as u64, "{when}: a duplicate");
    }

    async fn run(&self, full: bool) -> SyncJob {
        run_and_wait(self.service(), &self.alice, &self.config.id, full).await
    }

    /// An add, an edit, a rename, a move and two deletes, applied to the cloud and the model.
    fn change(&mut self) {
        let a = &self.world.account;
        let id = |path: &str| self.world.id(path);
        a.add_file(&id("/Projects/Hermes"), "Glaciers.md", b"A new page about glaciers.".to_vec())
            .unwrap();
        self.model.insert("/Projects/Hermes/Glaciers.md".into(), "about glaciers".into());
        a.set_content(&id("/Projects/Reports/report-03.txt"), b"Report 3, revised: dry.".to_vec())
            .unwrap();
        self.model.insert("/Projects/Reports/report-03.txt".into(), "revised: dry".into());
        a.rename(&id("/Projects/Apollo/Meeting Notes.md"), "Weekly Notes.md").unwrap();
        let text = self.model.remove("/Projects/Apollo/Meeting Notes.md").unwrap();
        self.model.insert("/Projects/Apollo/Weekly Notes.md".into(), text);
        a.move_item(&id("/Projects/Hermes/README.md"), &id("/Projects/Apollo")).unwrap();
        let text = self.model.remove("/Projects/Hermes/README.md").unwrap();
        self.model.insert("/Projects/Apollo/README.md".into(), text);
        a.delete(&id("/Projects/Apollo/Design/Requirements.docx")).unwrap();
        self.model.remove("/Projects/Apollo/Design/Requirements.docx");
        a.delete(&id("/Projects/Reports/report-05.txt")).unwrap();
        self.model.remove("/Projects/Reports/report-05.txt");
    }
}

fn assert_completed(job: &SyncJob, when: &str) {
    assert_eq!(job.status, JobStatus::Completed, "{when}: {:?}", job.message);
    assert_eq!(job.progress.files_failed, 0, "{when}: {:?}", job.errors);
}

/// 30 % of the API requests answered with the provider's rate-limit error and
/// `Retry-After: 1`, during a full and an incremental sync.
async fn a_429_storm(provider: ProviderId, cloud: Cloud) {
    let mut f = faulty(provider, cloud, |_| {}).await;
    f.world.account.set_faults(FaultConfig {
        rate_limit_share: 0.3,
        retry_after_secs: 1,
        seed: Some(30),
        ..Default::default()
    });
    let started = Instant::now();
    assert_completed(&f.run(true).await, "full sync in the storm");
    f.assert_index_equals_source("after the full sync").await;
    f.change();
    assert_completed(&f.run(false).await, "incremental sync in the storm");
    f.assert_index_equals_source("after the incremental sync").await;
    let elapsed = started.elapsed();

    let counts = f.world.account.request_counts();
    assert!(counts.throttled >= 3, "the storm happened: {counts:?}");
    let app = f.service().providers.http.counters.snapshot();
    let (_, ours) = app.iter().find(|(id, _)| *id == provider).expect("requests counted");
    // Every retry waited exactly what the provider asked: never less, never more.
    assert_eq!(ours.longest_throttle_wait_ms, 1000, "{ours:?}");
    assert_eq!(ours.shortest_throttle_wait_ms, 1000, "{ours:?}");
    println!(
        "{provider:?} 429 storm: {} requests, {} throttled, full + incremental sync in {:.1} s",
        counts.total,
        counts.throttled,
        elapsed.as_secs_f64()
    );
}

/// Bursts of 503 and 502 and requests that hang past the client's timeout
/// (2 s here), during a full and an incremental sync.
async fn server_errors_and_timeouts(provider: ProviderId, cloud: Cloud) {
    let mut f = faulty(provider, cloud, |s| s.sync.request_timeout_secs = 2).await;
    let account = &f.world.account;
    account.set_faults(FaultConfig {
        server_error_burst: 4,
        server_error_status: 503,
        hang_requests: 2,
        ..Default::default()
    });
    let started = Instant::now();
    assert_completed(&f.run(true).await, "full sync with 503s and hangs");
    assert!(started.elapsed() >= Duration::from_secs(2), "a hung request timed out");
    assert_eq!(account.request_counts().server_errors, 4);
    f.assert_index_equals_source("after the full sync").await;

    f.change();
    f.world.account.set_faults(FaultConfig {
        server_error_burst: 3,
        server_error_status: 502,
        hang_requests: 1,
        ..Default::default()
    });
    assert_completed(&f.run(false).await, "incremental sync with 502s and a hang");
    f.assert_index_equals_source("after the incremental sync").await;
    f.world.account.clear_faults();
    println!(
        "{provider:?} 5xx bursts and hung requests: full + incremental sync in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The user revokes the app while a full sync downloads: the job fails and
/// says to reconnect, the connection is marked expired, and nothing indexed is
/// deleted (a full sync sweeps what it did not see; this one must not).
async fn a_grant_revoked_mid_sync(provider: ProviderId, cloud: Cloud) {
    let f = faulty(provider, cloud, |s| s.sync.download_concurrency = 1).await;
    assert_completed(&f.run(true).await, "first sync");
    f.assert_index_equals_source("after the first sync").await;
    let before = f.index().await;

    // Every report changes, so the next run downloads them one at a time, slowly.
    for n in 0..REPORTS {
        let id = f.world.id(&format!("/Projects/Reports/report-{n:02}.txt"));
        let text = format!("Report {n}, second edition.");
        f.world.account.set_content(&id, text.into_bytes()).unwrap();
    }
    f.world.account.set_faults(FaultConfig { latency_ms: 150, ..Default::default() });
    let service = f.service();
    let job = ServicePort::run_config(service, &f.alice, &f.config.id, true).await.unwrap();
    let start = Instant::now();
    loop {
        let record = service.store.get_job(f.alice.user_id(), &job.id).await.unwrap().unwrap();
        assert!(record.job.status.is_active(), "ended before the revocation: {:?}", record.job);
        if record.job.progress.files_processed >= 2 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no download started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(f.world.account.revoke_tokens() >= 1);

    let ended = wait_for_job(service, &f.alice, &f.config.id, Duration::from_secs(60)).await;
    assert_eq!(ended.id, job.id);
    assert_eq!(ended.status, JobStatus::Failed, "{ended:?}");
    let message = ended.message.clone().unwrap_or_default();
    assert!(message.contains("Reconnect"), "the job says what to do: {message}");
    assert!(ended.progress.files_processed < REPORTS as u64, "revoked mid-run: {ended:?}");
    let connection =
        ServicePort::get_connection(service, &f.alice, &f.connection.id).await.unwrap();
    assert_eq!(connection.status, ConnectionStatus::Expired, "{connection:?}");
    let after = f.index().await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "nothing deleted"
    );
    assert_eq!(f.documents().await, before.len() as u64);
    println!(
        "{provider:?} grant revoked after {} of {REPORTS} downloads: job failed, connection expired, {} of {} documents kept",
        ended.progress.files_processed,
        after.len(),
        before.len()
    );
}

/// The change cursor is invalidated (Graph 410, Dropbox `reset`, Drive's page
/// token rejected) after changes: the run lists everything and sweeps.
async fn an_invalidated_cursor(provider: ProviderId, cloud: Cloud) {
    let mut f = faulty(provider, cloud, |_| {}).await;
    assert_completed(&f.run(true).await, "first sync");
    f.change();
    f.world.account.invalidate_cursors();
    let job = f.run(false).await;
    assert_completed(&job, "sync after the cursor was invalidated");
    assert_eq!(job.progress.files_deleted, 2, "the two deleted files swept: {:?}", job.progress);
    f.assert_index_equals_source("after the resync").await;
    let log = ServicePort::job_log(f.service(), &f.alice, &job.id, 0).await.unwrap();
    assert!(log.iter().any(|l| l.message.contains("must start over")), "{log:?}");
    // The new cursor works: nothing changed, nothing downloaded.
    let quiet = f.run(false).await;
    assert_completed(&quiet, "the next incremental sync");
    assert_eq!(quiet.progress.files_processed, 0, "{:?}", quiet.progress);
    f.assert_index_equals_source("after the next sync").await;
}

/// One file's download always answers 500: it becomes a typed per-file error
/// after a bounded number of attempts, everything else is indexed, and the
/// next run tries it again (once), until the provider serves it.
async fn a_file_that_always_fails(provider: ProviderId, cloud: Cloud) {
    const RETRIES: u32 = 2;
    let f = faulty(provider, cloud, |s| s.sync.request_retries = RETRIES).await;
    let path = "/Projects/Reports/report-07.txt";
    let victim = f.world.id(path);
    f.world.account.set_faults(FaultConfig {
        failing_downloads: BTreeSet::from([victim]),
        ..Default::default()
    });
    let mut rest = f.model.clone();
    rest.remove(path);
    for run in ["full sync", "next incremental sync"] {
        f.world.account.reset_request_counts();
        let job = f.run(run == "full sync").await;
        assert_eq!(job.status, JobStatus::Completed, "{run}: {:?}", job.message);
        assert_eq!(job.progress.files_failed, 1, "{run}: {:?}", job.errors);
        assert_eq!(job.errors.len(), 1, "{run}: {:?}", job.errors);
        assert!(job.errors[0].file_path.ends_with(path), "{run}: {:?}", job.errors);
        assert_eq!(job.errors[0].error_type, FileErrorType::Network, "{run}");
        let attempts = f.world.account.request_counts().server_errors;
        assert_eq!(attempts, 1 + u64::from(RETRIES), "{run}: bounded attempts");
        let indexed = f.index().await;
        assert_eq!(indexed.keys().collect::<Vec<_>>(), rest.keys().collect::<Vec<_>>(), "{run}");
    }
    f.world.account.clear_faults();
    assert_completed(&f.run(false).await, "the run after the provider recovered");
    f.assert_index_equals_source("after the provider recovered").await;
}

macro_rules! on_every_cloud {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn google_drive() {
                super::$scenario(ProviderId::GoogleDrive, Cloud::Google).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn onedrive() {
                super::$scenario(ProviderId::OneDrive, Cloud::Microsoft).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn dropbox() {
                super::$scenario(ProviderId::Dropbox, Cloud::Dropbox).await;
            }
        }
    )*};
}

on_every_cloud!(
    a_429_storm,
    server_errors_and_timeouts,
    a_grant_revoked_mid_sync,
    an_invalidated_cursor,
    a_file_that_always_fails,
);
