//! The engine under interruption: a worker that dies mid-run (its runtime
//! dropped) is taken over by a new one on the same store and every file is
//! indexed exactly once; pause, resume and cancel; and scheduled runs enqueued
//! once by two engines sharing one MongoDB.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::config::Settings;
use cloud_sources::service::Service;
use cloud_sources::sync::engine::{Engine, EngineOptions};
use support::app::TestApp;
use support::peers::{WEBDAV_PASSWORD, WEBDAV_USER, WebdavKind, WebdavServer};
use support::sync::{index, wait_for_job};

const FILES: usize = 240;

fn tree(root: &Path) {
    for i in 0..FILES {
        let folder = root.join(format!("Library/shelf-{}", i % 6));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join(format!("book-{i:03}.md")),
            format!("# Book {i}\n\nChapter one of book number {i}."),
        )
        .unwrap();
    }
}

fn settings_for(data: &Path) -> impl FnOnce(&mut Settings) {
    let data = data.to_path_buf();
    move |settings: &mut Settings| {
        settings.data_dir = data;
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
        settings.sync.lease_secs = 3;
        // One file at a time, so a run takes long enough to interrupt.
        settings.sync.download_concurrency = 1;
        settings.sync.max_workers = 1;
    }
}

async fn setup(service: &Service, dav: &WebdavServer) -> (Caller, SyncConfiguration) {
    let user = service.create_user("alice", Some(support::app::PASSWORD), false).await.unwrap();
    let alice = Caller { user, session_hash: None };
    let input = NewConnection {
        provider: ProviderId::OwnCloud,
        display_name: "Library".into(),
        auth_type: AuthType::Password,
        credentials: serde_json::json!({ "server_url": dav.url, "username": WEBDAV_USER, "password": WEBDAV_PASSWORD }),
    };
    let connection = ServicePort::create_connection(service, &alice, input).await.unwrap();
    let top = ServicePort::browse(service, &alice, &connection.id, None).await.unwrap();
    let library = top.entries.iter().find(|e| e.name == "Library").unwrap();
    let input = SyncConfigInput {
        connection_id: connection.id,
        profile_key: "library".into(),
        name: "Library".into(),
        source_paths: vec![SourcePath {
            path: library.path.clone(),
            remote_id: library.remote_id.clone(),
            include_subfolders: true,
        }],
        filters: Filters::default(),
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    };
    let config = ServicePort::create_config(service, &alice, input).await.unwrap();
    (alice, config)
}

async fn processed(service: &Service, caller: &Caller, job: &JobId) -> u64 {
    service
        .store
        .get_job(caller.user_id(), job)
        .await
        .unwrap()
        .unwrap()
        .job
        .progress
        .files_processed
}

#[test]
fn a_job_whose_worker_dies_is_resumed_elsewhere_and_indexes_every_file_exactly_once() {
    let files = tempfile::tempdir().unwrap();
    tree(files.path());
    let dav = WebdavServer::start(WebdavKind::Wsgidav, files.path());
    let data = tempfile::tempdir().unwrap();

    // First instance: starts the job, then its whole runtime dies mid-run.
    let first =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (alice, config, job) = first.block_on(async {
        let app = TestApp::spawn_with(settings_for(data.path())).await;
        let (alice, config) = setup(&app.service, &dav).await;
        let job = ServicePort::run_config(&*app.service, &alice, &config.id, false).await.unwrap();
        let start = Instant::now();
        while processed(&app.service, &alice, &job.id).await < 30 {
            assert!(start.elapsed() < Duration::from_secs(60), "the first worker made no progress");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (alice, config, job)
    });
    first.shutdown_background();

    // Second instance on the same store: takes the job over once the lease expires.
    let second =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    second.block_on(async {
        let app = TestApp::spawn_with(settings_for(data.path())).await;
        let ended = wait_for_job(&app.service, &alice, &config.id, Duration::from_secs(120)).await;
        assert_eq!(ended.id, job.id, "the same job finished");
        assert_eq!(ended.status, JobStatus::Completed, "{:?}", ended.message);
        assert_eq!(ended.attempts, 2, "resumed once");
        let indexed = index(&app.service, &alice, &config.id).await;
        assert_eq!(indexed.len(), FILES, "every file indexed exactly once");
        // Finished files were not downloaded again: at most the last second's
        // work (one index batch) is redone, and no file more than twice.
        let mut downloads: std::collections::BTreeMap<String, usize> = Default::default();
        for request in
            dav.requests().iter().filter(|r| r.starts_with("GET ") && r.contains("book-"))
        {
            *downloads.entry(request.clone()).or_default() += 1;
        }
        assert_eq!(downloads.len(), FILES, "every file downloaded");
        let repeated = downloads.values().filter(|n| **n > 1).count();
        assert!(downloads.values().all(|n| *n <= 2), "{downloads:?}");
        assert!(repeated <= 50, "{repeated} files downloaded twice");
        let detail = ServicePort::job_detail(&*app.service, &alice, &job.id).await.unwrap();
        let added: Vec<&str> = detail
            .files
            .iter()
            .filter(|f| f.action == FileAction::Added)
            .map(|f| f.path.as_str())
            .collect();
        let unique: std::collections::BTreeSet<&str> = added.iter().copied().collect();
        assert_eq!(added.len(), unique.len(), "no file recorded twice");
        let log = ServicePort::job_log(&*app.service, &alice, &job.id, 0).await.unwrap();
        assert!(
            log.iter().any(|l| l.message.contains("resuming after an interruption")),
            "{log:?}"
        );
    });
    second.shutdown_background();
}

#[tokio::test]
async fn pause_stops_the_run_and_the_schedule_resume_allows_runs_again_and_cancel_stops_a_run() {
    let files = tempfile::tempdir().unwrap();
    tree(files.path());
    let dav = WebdavServer::start(WebdavKind::Wsgidav, files.path());
    let data = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(settings_for(data.path())).await;
    let service = &*app.service;
    let (alice, config) = setup(service, &dav).await;

    let job = ServicePort::run_config(service, &alice, &config.id, false).await.unwrap();
    while processed(service, &alice, &job.id).await < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let paused = ServicePort::pause_config(service, &alice, &config.id).await.unwrap();
    assert_eq!(paused.status, ConfigStatus::Paused);
    let ended = wait_for_job(service, &alice, &config.id, Duration::from_secs(30)).await;
    assert_eq!(ended.status, JobStatus::Cancelled);
    assert_eq!(ended.message.as_deref(), Some("paused by the user"));
    assert!(ended.progress.files_processed < FILES as u64, "it stopped early");
    assert_eq!(
        ServicePort::run_config(service, &alice, &config.id, false).await.unwrap_err(),
        app::error::AppError::Conflict("the configuration is paused; resume it first".into())
    );

    ServicePort::resume_config(service, &alice, &config.id).await.unwrap();
    let job = ServicePort::run_config(service, &alice, &config.id, false).await.unwrap();
    while processed(service, &alice, &job.id).await < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cancelled = ServicePort::cancel_config(service, &alice, &config.id)
        .await
        .unwrap()
        .expect("a run to cancel");
    assert!(cancelled.cancel_requested);
    let ended = wait_for_job(service, &alice, &config.id, Duration::from_secs(30)).await;
    assert_eq!((ended.id.clone(), ended.status), (job.id.clone(), JobStatus::Cancelled));

    // Nothing is lost by stopping: a full run afterwards completes the index.
    let job = ServicePort::run_config(service, &alice, &config.id, true).await.unwrap();
    let ended = wait_for_job(service, &alice, &config.id, Duration::from_secs(120)).await;
    assert_eq!((ended.id, ended.status), (job.id, JobStatus::Completed));
    assert_eq!(index(service, &alice, &config.id).await.len(), FILES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_runs_are_enqueued_once_by_two_engines_sharing_mongodb() {
    let uri =
        format!("{}{}", support::peers::mongodb_uri(), support::peers::unique_db_name("scheduler"));
    // Instances sharing a store share the vault's master key.
    let master_key = "7f".repeat(32);
    let open = |dir: &Path| {
        let mut settings = Settings::for_tests(dir);
        settings.store.uri = uri.clone().into();
        settings.vault.master_key = Some(master_key.clone().into());
        settings.sync.engine = false;
        Service::open(settings)
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let service_a = open(dir_a.path()).await.unwrap();
    let service_b = open(dir_b.path()).await.unwrap();
    let user = service_a.create_user("alice", Some(support::app::PASSWORD), false).await.unwrap();

    // Three configurations, all due a minute ago (inserted directly: no provider needed).
    let mut ids = Vec::new();
    for n in 0..3 {
        let connection = support::fixtures::connection(&user.id, ProviderId::OwnCloud);
        service_a.store.insert_connection(connection.clone()).await.unwrap();
        let mut config = support::fixtures::config(&user.id, &connection.id);
        config.name = format!("due {n}");
        config.schedule = Schedule {
            enabled: true,
            frequency: Some(Frequency::Hourly),
            cron_expression: None,
            next_run_at: Some(Timestamp::now().plus_secs(-60)),
        };
        service_a.store.insert_config(config.clone()).await.unwrap();
        ids.push(config.id);
    }
    let engine_a = Engine::new(service_a.clone(), EngineOptions::default());
    let engine_b = Engine::new(service_b.clone(), EngineOptions::default());
    let mut total = 0;
    for _ in 0..3 {
        let (a, b) = tokio::join!(engine_a.schedule_due(), engine_b.schedule_due());
        total += a.unwrap() + b.unwrap();
    }
    assert_eq!(total, 3, "each due run enqueued exactly once across both engines");
    let caller = Caller { user, session_hash: None };
    for id in &ids {
        let history = ServicePort::job_history(&*service_a, &caller, id, 1, 10).await.unwrap();
        assert_eq!(history.total, 1);
        assert_eq!(history.items[0].job_type, JobType::Incremental);
        let config = ServicePort::get_config(&*service_b, &caller, id).await.unwrap();
        let next = config.schedule.next_run_at.unwrap();
        assert!(next > Timestamp::now().plus_secs(3000), "the next run moved an hour ahead");
    }
}
