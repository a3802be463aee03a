//! The sync engine end to end against the Google Drive simulator, configured
//! through `providers.google_drive.*` only: a connection from imported OAuth
//! tokens, a full sync of a Drive folder (a Google Doc exported as text, a
//! PDF, Markdown), then an edit, a rename, a move and a trashed file picked up
//! incrementally through the Changes API; and a revoked grant that leaves the
//! connection expired with a clear message.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::config::ProviderSettings;
use cloud_sources::sandbox::{
    GoogleApp, Provider as Cloud, SandboxAccount, SandboxOptions, SandboxServer, demo_client, spawn,
};
use support::app::TestApp;
use support::sync::{caller, index, run_and_wait};

const PDF: &[u8] = include_bytes!("fixtures/ingest/ghostscript-memo.pdf");

struct World {
    _sandbox: SandboxServer,
    account: SandboxAccount,
    app: TestApp,
    alice: Caller,
    connection: Connection,
}

impl World {
    fn id(&self, path: &str) -> String {
        self.account.item(path).unwrap_or_else(|| panic!("{path} exists")).id
    }
}

/// A Drive with `/Projects` (nested, with a Google Doc) and `/Other`, and an
/// app whose Google Drive provider points at it.
async fn world() -> World {
    let sandbox =
        spawn(SandboxOptions { seed_accounts: false, ..Default::default() }).await.unwrap();
    let demo = demo_client(Cloud::Google);
    sandbox.sandbox().register_client(demo.registration("http://127.0.0.1:1"));
    let account = sandbox.account(Cloud::Google, "alice").unwrap();
    let root = account.root_id();
    let projects = account.add_folder(&root, "Projects").unwrap().id;
    account
        .add_file(
            &projects,
            "readme.md",
            b"# Project Atlas\n\nThe atlas project maps every river.".to_vec(),
        )
        .unwrap();
    account.add_file(&projects, "notes.txt", b"Meeting notes: budget approved.".to_vec()).unwrap();
    let specs = account.add_folder(&projects, "specs").unwrap().id;
    account.add_file(&specs, "memo.pdf", PDF.to_vec()).unwrap();
    account
        .add_google_doc(&specs, "Design doc", "Design overview\nThe river index uses glacier data.")
        .unwrap();
    let other = account.add_folder(&root, "Other").unwrap().id;
    account.add_file(&other, "secret.txt", b"not selected".to_vec()).unwrap();

    let endpoints = sandbox.endpoints(Cloud::Google);
    let app = TestApp::spawn_with(|settings| {
        settings.providers.insert(
            "google_drive".into(),
            ProviderSettings {
                client_id: Some(demo.client_id.into()),
                client_secret: Some(demo.client_secret.into()),
                api_base: Some(endpoints.api_base.clone()),
                auth_url: Some(endpoints.auth_url.clone()),
                token_url: Some(endpoints.token_url.clone()),
                revoke_url: endpoints.revoke_url.clone(),
                ..Default::default()
            },
        );
    })
    .await;
    let alice = caller(&app.service, "alice").await;
    let issued = account.issue_tokens(demo.client_id);
    let tokens = cloud_sources::oauth::client::TokenSet {
        access_token: issued.access_token.as_str().into(),
        refresh_token: issued.refresh_token.as_deref().map(Into::into),
        expires_in: Some(Duration::from_secs(issued.expires_in)),
        scopes: None,
    };
    let connection = app
        .service
        .import_oauth(&alice, ProviderId::GoogleDrive, "Google Drive", &tokens, BTreeMap::new())
        .await
        .expect("connection from imported tokens");
    World { _sandbox: sandbox, account, app, alice, connection }
}

/// Picks `/My Drive/<name>` through the picker, as the UI does.
async fn pick(world: &World, name: &str) -> SourcePath {
    let service = &*world.app.service;
    let roots = service.browse(&world.alice, &world.connection.id, None).await.expect("browse");
    let my_drive = roots.entries.iter().find(|e| e.name == "My Drive").expect("My Drive");
    let inside = service
        .browse(&world.alice, &world.connection.id, Some(my_drive.remote_id.clone()))
        .await
        .expect("browse My Drive");
    let entry = inside.entries.iter().find(|e| e.name == name).expect("the folder");
    SourcePath {
        path: entry.path.clone(),
        remote_id: entry.remote_id.clone(),
        include_subfolders: true,
    }
}

async fn configure(world: &World) -> SyncConfiguration {
    configure_with(world, Filters::default()).await
}

async fn configure_with(world: &World, filters: Filters) -> SyncConfiguration {
    let projects = pick(world, "Projects").await;
    assert_eq!(projects.path, "/My Drive/Projects");
    let input = SyncConfigInput {
        connection_id: world.connection.id.clone(),
        profile_key: "engineering".into(),
        name: "Drive projects".into(),
        source_paths: vec![projects],
        filters,
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    };
    ServicePort::create_config(&*world.app.service, &world.alice, input).await.expect("config")
}

fn paths(index: &BTreeMap<String, String>) -> Vec<&str> {
    index.keys().map(String::as_str).collect()
}

#[tokio::test]
async fn a_drive_folder_syncs_fully_then_follows_edits_renames_moves_and_deletes() {
    let world = world().await;
    assert_eq!(world.connection.status, ConnectionStatus::Active);
    let config = configure(&world).await;
    let service = &world.app.service;

    let job = run_and_wait(service, &world.alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    assert_eq!(job.progress.files_failed, 0, "{:?}", job.errors);
    let indexed = index(service, &world.alice, &config.id).await;
    assert_eq!(
        paths(&indexed),
        [
            "/My Drive/Projects/notes.txt",
            "/My Drive/Projects/readme.md",
            "/My Drive/Projects/specs/Design doc",
            "/My Drive/Projects/specs/memo.pdf",
        ]
    );
    assert!(indexed["/My Drive/Projects/readme.md"].contains("maps every river"));
    assert!(
        indexed["/My Drive/Projects/specs/Design doc"]
            .contains("The river index uses glacier data"),
        "the Google Doc is exported as text: {:?}",
        indexed["/My Drive/Projects/specs/Design doc"]
    );
    assert!(!indexed["/My Drive/Projects/specs/memo.pdf"].trim().is_empty());

    // Nothing changed: nothing is downloaded again.
    let again = run_and_wait(service, &world.alice, &config.id, false).await;
    assert_eq!(again.status, JobStatus::Completed, "{:?}", again.message);
    assert_eq!(again.progress.files_processed, 0);

    // An edit, a rename, a move, a Doc edit, a trashed file, and a file outside the selection.
    let notes = world.id("/Projects/notes.txt");
    world
        .account
        .set_content(&notes, b"Meeting notes: budget approved. Update: travel cancelled.".to_vec())
        .unwrap();
    world.account.rename(&world.id("/Projects/readme.md"), "README-renamed.md").unwrap();
    let archive = world.account.add_folder(&world.id("/Projects"), "archive").unwrap().id;
    world.account.move_item(&world.id("/Projects/specs/memo.pdf"), &archive).unwrap();
    world
        .account
        .set_content(
            &world.id("/Projects/specs/Design doc"),
            b"Design overview v2\nNow with lakes.".to_vec(),
        )
        .unwrap();
    world.account.trash(&notes).unwrap();
    world
        .account
        .add_file(&world.id("/Other"), "more.txt", b"still not selected".to_vec())
        .unwrap();

    world.account.reset_request_counts();
    let incremental = run_and_wait(service, &world.alice, &config.id, false).await;
    let counts = world.account.request_counts();
    assert!(counts.endpoint("changes.list") >= 1, "read through the Changes API: {counts:?}");
    assert_eq!(incremental.status, JobStatus::Completed, "{:?}", incremental.message);
    assert_eq!(incremental.progress.files_failed, 0, "{:?}", incremental.errors);
    let indexed = index(service, &world.alice, &config.id).await;
    assert_eq!(
        paths(&indexed),
        [
            "/My Drive/Projects/README-renamed.md",
            "/My Drive/Projects/archive/memo.pdf",
            "/My Drive/Projects/specs/Design doc",
        ]
    );
    assert!(indexed["/My Drive/Projects/specs/Design doc"].contains("Now with lakes"));
    assert!(indexed["/My Drive/Projects/README-renamed.md"].contains("maps every river"));
    assert!(incremental.progress.files_deleted >= 1, "{:?}", incremental.progress);

    let stored = ServicePort::get_config(&**service, &world.alice, &config.id).await.unwrap();
    assert_eq!(stored.stats.total_files, 3);
}

#[tokio::test]
async fn a_revoked_grant_leaves_the_connection_expired_with_a_clear_message() {
    let world = world().await;
    let config = configure(&world).await;
    let service = &world.app.service;
    let job = run_and_wait(service, &world.alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);

    // The user removed the app's access in their Google account.
    assert!(world.account.revoke_tokens() >= 2, "the access and the refresh token");
    world.account.add_file(&world.id("/Projects"), "later.txt", b"later".to_vec()).unwrap();
    let failed = run_and_wait(service, &world.alice, &config.id, false).await;
    assert_eq!(failed.status, JobStatus::Failed);
    let message = failed.message.unwrap_or_default();
    assert!(message.contains("reconnect"), "{message}");

    let connection =
        ServicePort::get_connection(&**service, &world.alice, &world.connection.id).await.unwrap();
    assert_eq!(connection.status, ConnectionStatus::Expired);
    let why = connection.status_message.unwrap_or_default();
    assert!(why.contains("Google Drive no longer accepts"), "{why}");
    // Nothing indexed was lost.
    let indexed = index(service, &world.alice, &config.id).await;
    assert_eq!(indexed.len(), 4);
}

/// Over the size limit, caught two ways: a blob whose metadata says so, and a
/// Google Doc, for which Drive reports no size, stopped by the cap while its
/// export streams. Both are typed `too_large` per-file errors; the rest is indexed.
#[tokio::test]
async fn oversized_files_are_typed_too_large_errors_and_the_rest_is_indexed() {
    let world = world().await;
    let projects = world.id("/Projects");
    let big = "glacier ".repeat(200_000); // 1.6 MB
    world.account.add_file(&projects, "big.txt", big.clone().into_bytes()).unwrap();
    world.account.add_google_doc(&projects, "Huge notes", &big).unwrap();
    let filters = Filters { max_file_size_mb: Some(1), ..Default::default() };
    let config = configure_with(&world, filters).await;
    let service = &world.app.service;

    let job = run_and_wait(service, &world.alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    assert_eq!(job.progress.files_failed, 2, "{:?}", job.errors);
    let mut failed: Vec<(&str, FileErrorType)> =
        job.errors.iter().map(|e| (e.file_path.as_str(), e.error_type)).collect();
    failed.sort_by_key(|(path, _)| *path);
    assert_eq!(
        failed,
        [
            ("/My Drive/Projects/Huge notes", FileErrorType::TooLarge),
            ("/My Drive/Projects/big.txt", FileErrorType::TooLarge),
        ]
    );
    let indexed = index(service, &world.alice, &config.id).await;
    assert_eq!(
        paths(&indexed),
        [
            "/My Drive/Projects/notes.txt",
            "/My Drive/Projects/readme.md",
            "/My Drive/Projects/specs/Design doc",
            "/My Drive/Projects/specs/memo.pdf",
        ]
    );
    let detail = ServicePort::job_detail(&**service, &world.alice, &job.id).await.unwrap();
    let failed_files = detail.files.iter().filter(|f| f.action == FileAction::Failed).count();
    assert_eq!(failed_files, 2, "{:?}", detail.files);
}

/// Sheets and Slides are exported (CSV, text) and indexed; a Form, which has
/// no text export, is skipped as an unsupported type without failing anything.
#[tokio::test]
async fn sheets_and_slides_are_indexed_and_forms_are_skipped() {
    let world = world().await;
    let projects = world.id("/Projects");
    world
        .account
        .add_google_file(&projects, "Budget", GoogleApp::Spreadsheet, "Item,Cost\nSensors,12000")
        .unwrap();
    world
        .account
        .add_google_file(&projects, "Deck", GoogleApp::Presentation, "Kickoff\nShip in May")
        .unwrap();
    world.account.add_google_file(&projects, "Survey", GoogleApp::Form, "Q1").unwrap();
    let config = configure(&world).await;
    let service = &world.app.service;

    let job = run_and_wait(service, &world.alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    assert_eq!(job.progress.files_failed, 0, "{:?}", job.errors);
    assert_eq!(job.progress.files_skipped, 1, "the Form: {:?}", job.progress);
    let indexed = index(service, &world.alice, &config.id).await;
    assert!(indexed["/My Drive/Projects/Budget"].contains("Sensors"), "{indexed:?}");
    assert!(indexed["/My Drive/Projects/Deck"].contains("Ship in May"), "{indexed:?}");
    assert!(!indexed.contains_key("/My Drive/Projects/Survey"));
    assert_eq!(indexed.len(), 6);
}
