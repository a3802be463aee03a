//! The sync engine end to end against a real WebDAV server (wsgidav): full
//! sync, incremental sync after adds, edits, renames, moves and deletes, filters,
//! typed per-file errors, and crash recovery.

mod support;

use std::path::Path;
use std::time::Duration;

use app::model::*;
use app::port::{Caller, ServicePort};
use support::app::TestApp;
use support::peers::{WEBDAV_PASSWORD, WEBDAV_USER, WebdavKind, WebdavServer};
use support::sync::{caller, index, run_and_wait};

const PDF: &[u8] = include_bytes!("fixtures/ingest/ghostscript-memo.pdf");

fn write(root: &Path, path: &str, contents: &[u8]) {
    let full = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, contents).unwrap();
}

/// A tree on disk served by wsgidav, and an app allowed to reach it.
struct World {
    dir: tempfile::TempDir,
    dav: WebdavServer,
    app: TestApp,
}

async fn world(configure: impl FnOnce(&mut cloud_sources::config::Settings)) -> World {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "/Projects/readme.md",
        b"# Project Atlas\n\nThe atlas project maps every river.",
    );
    write(dir.path(), "/Projects/notes.txt", b"Meeting notes: budget approved.");
    write(dir.path(), "/Projects/specs/memo.pdf", PDF);
    write(dir.path(), "/Projects/specs/data.csv", b"name,value\nalpha,1\nbeta,2\n");
    write(
        dir.path(),
        "/Projects/photo.jpg",
        &[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F'],
    );
    write(dir.path(), "/Other/secret.txt", b"not selected");
    let dav = WebdavServer::start(WebdavKind::Wsgidav, dir.path());
    let app = TestApp::spawn_with(|settings| {
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
        configure(settings);
    })
    .await;
    World { dir, dav, app }
}

async fn connect(world: &World, caller: &Caller) -> Connection {
    let input = NewConnection {
        provider: ProviderId::OwnCloud,
        display_name: "Team files".into(),
        auth_type: AuthType::Password,
        credentials: serde_json::json!({ "server_url": world.dav.url, "username": WEBDAV_USER, "password": WEBDAV_PASSWORD }),
    };
    world.app.service.create_connection(caller, input).await.expect("connection")
}

async fn folder(world: &World, caller: &Caller, connection: &Connection, name: &str) -> SourcePath {
    let browsed = world.app.service.browse(caller, &connection.id, None).await.expect("browse");
    let entry = browsed
        .entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} in {browsed:?}"));
    SourcePath {
        path: entry.path.clone(),
        remote_id: entry.remote_id.clone(),
        include_subfolders: true,
    }
}

async fn configure(world: &World, caller: &Caller, filters: Filters) -> SyncConfiguration {
    let connection = connect(world, caller).await;
    let projects = folder(world, caller, &connection, "Projects").await;
    let input = SyncConfigInput {
        connection_id: connection.id.clone(),
        profile_key: "engineering".into(),
        name: "Projects".into(),
        source_paths: vec![projects],
        filters,
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    };
    ServicePort::create_config(&*world.app.service, caller, input).await.expect("config")
}

fn names(index: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    index.keys().map(|p| p.rsplit('/').next().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_full_sync_indexes_exactly_the_selected_tree_and_incremental_syncs_follow_changes() {
    let world = world(|_| {}).await;
    let alice = caller(&world.app.service, "alice").await;
    let config = configure(&world, &alice, Filters::default()).await;

    let job = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    assert_eq!(job.progress.files_failed, 0, "{:?}", job.errors);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    let mut found = names(&indexed);
    found.sort();
    assert_eq!(found, vec!["data.csv", "memo.pdf", "notes.txt", "readme.md"]);
    let readme = indexed.iter().find(|(p, _)| p.ends_with("readme.md")).unwrap().1;
    assert!(readme.contains("The atlas project maps every river"), "{readme}");
    let memo = indexed.iter().find(|(p, _)| p.ends_with("memo.pdf")).unwrap().1;
    assert!(!memo.trim().is_empty(), "the PDF's text is extracted");
    assert!(!indexed.keys().any(|p| p.contains("Other")), "only the selection");
    assert_eq!(job.progress.files_skipped, 1, "the photo has no text to index");

    // A second run with nothing changed downloads nothing.
    let again = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(again.status, JobStatus::Completed);
    assert_eq!(again.progress.files_processed, 0, "nothing changed, nothing indexed again");

    // Add, modify, rename, move and delete, then sync incrementally.
    let root = world.dir.path();
    write(root, "/Projects/new.md", b"A brand new page about glaciers.");
    std::thread::sleep(Duration::from_millis(1100)); // wsgidav ETags have one-second resolution
    write(
        root,
        "/Projects/notes.txt",
        b"Meeting notes: budget approved. Update: travel cancelled.",
    );
    std::fs::rename(root.join("Projects/readme.md"), root.join("Projects/README-renamed.md"))
        .unwrap();
    std::fs::create_dir_all(root.join("Projects/archive")).unwrap();
    std::fs::rename(root.join("Projects/specs/data.csv"), root.join("Projects/archive/data.csv"))
        .unwrap();
    std::fs::remove_file(root.join("Projects/specs/memo.pdf")).unwrap();

    let incremental = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(incremental.status, JobStatus::Completed, "{:?}", incremental.message);
    assert_eq!(incremental.job_type, JobType::Manual);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    let mut paths: Vec<&str> = indexed.keys().map(String::as_str).collect();
    paths.sort();
    assert!(paths.iter().any(|p| p.ends_with("/Projects/new.md")), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with("/Projects/README-renamed.md")), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with("/Projects/archive/data.csv")), "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.ends_with("memo.pdf")
            || p.ends_with("/readme.md")
            || p.ends_with("specs/data.csv")),
        "{paths:?}"
    );
    assert_eq!(paths.len(), 4, "{paths:?}");
    let notes = indexed.iter().find(|(p, _)| p.ends_with("notes.txt")).unwrap().1;
    assert!(notes.contains("travel cancelled"));
    assert!(incremental.progress.files_deleted >= 1);

    // The configuration's statistics follow the index.
    let stored = ServicePort::get_config(&*world.app.service, &alice, &config.id).await.unwrap();
    assert_eq!(stored.stats.total_files, 4);
    assert!(stored.stats.last_sync_at.is_some());
}

#[tokio::test]
async fn filters_exclude_by_type_and_glob_and_a_corrupt_pdf_is_a_typed_error() {
    let world = world(|_| {}).await;
    write(
        world.dir.path(),
        "/Projects/specs/broken.pdf",
        b"%PDF-1.7\n this is not really a pdf \x00\x01\x02",
    );
    write(world.dir.path(), "/Projects/drafts/ignore.md", b"draft");
    let alice = caller(&world.app.service, "alice").await;
    let filters = Filters {
        file_types: vec!["pdf".into(), "md".into()],
        exclude_patterns: vec!["**/drafts/**".into()],
        ..Default::default()
    };
    let config = configure(&world, &alice, filters).await;
    let job = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "a broken file does not fail the job");
    assert_eq!(job.progress.files_failed, 1);
    assert_eq!(job.errors.len(), 1);
    assert_eq!(job.errors[0].error_type, FileErrorType::ParseError);
    assert!(job.errors[0].file_path.ends_with("broken.pdf"));
    let indexed = index(&world.app.service, &alice, &config.id).await;
    let mut found = names(&indexed);
    found.sort();
    assert_eq!(found, vec!["memo.pdf", "readme.md"]);

    let detail = ServicePort::job_detail(&*world.app.service, &alice, &job.id).await.unwrap();
    assert!(
        detail
            .files
            .iter()
            .any(|f| f.action == FileAction::Failed && f.path.ends_with("broken.pdf"))
    );
    assert_eq!(detail.files.iter().filter(|f| f.action == FileAction::Added).count(), 2);
}

#[tokio::test]
async fn another_user_cannot_see_or_run_the_configuration() {
    let world = world(|_| {}).await;
    let alice = caller(&world.app.service, "alice").await;
    let mallory = caller(&world.app.service, "mallory").await;
    let config = configure(&world, &alice, Filters::default()).await;
    let service = &*world.app.service;
    assert_eq!(
        ServicePort::get_config(service, &mallory, &config.id).await,
        Err(app::error::AppError::NotFound)
    );
    assert_eq!(
        ServicePort::run_config(service, &mallory, &config.id, false).await.unwrap_err(),
        app::error::AppError::NotFound
    );
    assert_eq!(
        ServicePort::delete_config(service, &mallory, &config.id).await,
        Err(app::error::AppError::NotFound)
    );
    assert!(ServicePort::list_configs(service, &mallory).await.unwrap().is_empty());

    // The documents a run indexed (and their text, shown on the document page)
    // are the owner's only.
    run_and_wait(service, &alice, &config.id, false).await;
    let owned = index(service, &alice, &config.id).await;
    assert!(owned.contains_key("/Projects/notes.txt"), "{:?}", owned.keys());
    let query = DocumentQuery { config_id: None, search: None, page: 1, per_page: 50 };
    let listed = ServicePort::list_documents(service, &alice, query.clone()).await.unwrap();
    assert!(!listed.items.is_empty());
    for doc in &listed.items {
        assert_eq!(
            ServicePort::get_document(service, &mallory, &doc.id).await,
            Err(app::error::AppError::NotFound),
            "{} is readable by another user",
            doc.path
        );
    }
    assert_eq!(ServicePort::list_documents(service, &mallory, query).await.unwrap().total, 0);
}

/// What an operator's Prometheus sees after one sync: the job by status, its
/// duration, and the provider's requests, with no user data in any label.
#[tokio::test]
async fn metrics_report_jobs_durations_and_provider_requests() {
    let world = world(|_| {}).await;
    let alice = caller(&world.app.service, "alice").await;
    let config = configure(&world, &alice, Filters::default()).await;
    let scrape = || async {
        let response = reqwest::get(world.app.url("/metrics")).await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    };
    let before = scrape().await;
    assert!(before.contains("cloud_sources_jobs{status=\"completed\"} 0"), "{before}");

    let job = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    let after = scrape().await;
    let value = |name: &str| -> f64 {
        after
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("{name} missing:\n{after}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(value("cloud_sources_jobs{status=\"completed\"}"), 1.0);
    assert_eq!(value("cloud_sources_queue_depth"), 0.0);
    assert_eq!(value("cloud_sources_sync_duration_seconds_count{status=\"completed\"}"), 1.0);
    assert!(value("cloud_sources_provider_requests_total{provider=\"owncloud\"}") >= 2.0);
    assert!(!after.contains(world.dav.url.as_str()), "no server URL in metrics");
    assert!(!after.contains("alice") && !after.contains(config.id.as_str()), "no user data");
}
