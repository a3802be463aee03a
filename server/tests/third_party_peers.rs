//! The providers against HTTP peers that follow the public APIs but were not
//! written here, reached only through the configurable base URLs
//! (`providers.google_drive.api_base`, a Jira Data Center `site_url`) and the
//! operator CLI (`connection add` / `test` / `browse`), then synced through the
//! engine. Seed data goes in through each peer's own API.
//!
//! **google-drive-mock 1.2.0** (npm, MIT; started by
//! `end2end/peers/google-drive-mock.mjs`). Implements `about.get`,
//! `files.list` (a `q` subset: `'id' in parents`, `mimeType =`, `trashed =`,
//! `name`, `modifiedTime`; `orderBy`; `pageSize`/`pageToken`), `files.get`
//! (with `fields` and `alt=media`), `files.create` / `update` / `delete`,
//! multipart and media uploads, `changes.getStartPageToken` and
//! `changes.list`. It accepts only the bearer tokens `valid-token` and
//! `another-valid-token` and has no OAuth server. What it lacks, and where it
//! departs from the Drive v3 discovery document
//! (`shared/reference/api-specs/google-drive/`):
//! - no `root` alias: `files.get("root")` is a 404 until a folder with the id
//!   `root` is created, which the seed below does (real Drive has an implicit
//!   root, and its children's `parents` name the root's real id);
//! - no `drives.list` / `drives.get` (shared drives): the answer is Express's
//!   HTML 404 page, so the picker's top level (My Drive + shared drives) fails
//!   and the test browses from `root` instead;
//! - no `files.export`, so Google Docs cannot be exported (none are seeded);
//! - uploads are parsed as text (`multipart/related` and `text/*`): binary
//!   content such as a PDF cannot be seeded;
//! - `changes.list` returns every change since the token in one page and
//!   ignores `pageSize`, `driveId`, `includeItemsFromAllDrives`; an unknown
//!   page token restarts from the first change instead of a 400/404;
//! - `files.list` ignores `corpora`, `driveId`, `supportsAllDrives`, and
//!   treats any `q` clause it does not know as true;
//! - `File.version` is a JSON number (the spec's int64 is a string), folders
//!   carry `size` and `md5Checksum`, and there is no `headRevisionId` or
//!   `webViewLink`; error bodies lack the spec's `errors[]` and `status`.
//!
//! **jira820 0.12.0** (PyPI, MIT), a stateful Jira Data Center 8.20 imitation
//! (REST v2) with one configurable project seeded with generated issues. It
//! accepts any credentials (the PAT sent as `Bearer` is never checked).
//! Implements `myself`, `serverInfo`, `project` (a list), `project/{key}`,
//! `GET search` (JQL subset, `startAt` paging), `issue/{key}`, `POST issue`,
//! comments, transitions, attachments (`/secure/attachment/{id}/{name}`), and
//! the Agile API. What it lacks for our provider, which only the connection
//! test survives:
//! - `POST /rest/api/2/search` answers 405: jira820 has only `GET search`,
//!   while Jira Data Center documents both. Every listing and change window
//!   of ours is a POST, so no sync can list an issue (asserted below: the run
//!   fails with the reason, and nothing is indexed);
//! - (found here and fixed in our provider: Data Center has no Cloud-only
//!   `project/search`; the picker now lists projects with `GET /project`, and
//!   attachments are downloaded from `/secure/attachment/{id}/{name}`);
//! - `issue/{id}` knows issue keys only (numeric ids are a 404; Jira takes
//!   either), and `fields=comment` is not returned;
//! - JQL: `id in (…)` is ignored (every issue matches) and
//!   `updated >= <epoch ms>` is a 500;
//! - `/rest/api/2/attachment/content/{id}` does not exist (nor does it on
//!   Jira Data Center, which downloads from `/secure/attachment/…`, as we do).

mod support;

use std::time::Instant;

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::config::ProviderSettings;
use serde_json::{Value, json};
use support::app::{PASSWORD, TestApp};
use support::cli::{cli, cli_with_env, stdout};
use support::peers::{GoogleDriveMock, Jira820};
use support::sync::{index, run_and_wait};

const FOLDER: &str = "application/vnd.google-apps.folder";

/// Creates `name` for the operator's user through the CLI and a caller for it.
async fn user(app: &TestApp, name: &str) -> Caller {
    stdout(&cli(
        app.data_dir.path(),
        &["user", "add", name, "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    ));
    Caller {
        user: app.service.user_by_name(name).await.expect("the CLI's user"),
        session_hash: None,
    }
}

/// A selection of `entry` (from `connection browse --json`) with its subfolders.
fn selection(entry: &FolderEntry) -> SourcePath {
    SourcePath {
        path: entry.path.clone(),
        remote_id: entry.remote_id.clone(),
        include_subfolders: true,
    }
}

async fn configure(
    app: &TestApp,
    caller: &Caller,
    connection: &str,
    source: SourcePath,
) -> ConfigId {
    let input = SyncConfigInput {
        connection_id: ConnectionId(connection.to_string()),
        profile_key: "peers".into(),
        name: "Third-party peer".into(),
        source_paths: vec![source],
        filters: Filters::default(),
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    };
    ServicePort::create_config(&*app.service, caller, input).await.expect("config").id
}

/// Seeds google-drive-mock through its own Drive v3 API.
struct DriveSeed {
    http: reqwest::Client,
    origin: String,
}

impl DriveSeed {
    async fn answer(request: reqwest::RequestBuilder) -> Value {
        let response =
            request.bearer_auth(GoogleDriveMock::TOKEN).send().await.expect("mock answers");
        let status = response.status();
        let body = response.text().await.expect("body");
        assert!(status.is_success(), "google-drive-mock refused: {status} {body}");
        serde_json::from_str(&body).expect("a JSON File")
    }

    /// `files.create` of a folder; `id` only for the `root` the mock lacks.
    async fn folder(&self, id: Option<&str>, name: &str, parent: Option<&str>) -> String {
        let mut body = json!({"name": name, "mimeType": FOLDER, "parents": parent.into_iter().collect::<Vec<_>>()});
        if let Some(id) = id {
            body["id"] = json!(id);
        }
        let file =
            Self::answer(self.http.post(format!("{}/drive/v3/files", self.origin)).json(&body))
                .await;
        file["id"].as_str().expect("an id").to_string()
    }

    /// A multipart upload (`uploadType=multipart`): metadata and text content.
    async fn file(&self, parent: &str, name: &str, mime: &str, text: &str) -> String {
        let boundary = "peer-test-boundary";
        let metadata = json!({"name": name, "mimeType": mime, "parents": [parent]});
        let body = format!(
            "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n\
             --{boundary}\r\nContent-Type: {mime}\r\n\r\n{text}\r\n--{boundary}--\r\n"
        );
        let file = Self::answer(
            self.http
                .post(format!("{}/upload/drive/v3/files?uploadType=multipart", self.origin))
                .header("Content-Type", format!("multipart/related; boundary={boundary}"))
                .body(body),
        )
        .await;
        file["id"].as_str().expect("an id").to_string()
    }

    /// New content (`uploadType=media`), as an editor saving the file.
    async fn edit(&self, id: &str, text: &str) {
        Self::answer(
            self.http
                .patch(format!("{}/upload/drive/v3/files/{id}?uploadType=media", self.origin))
                .header("Content-Type", "text/plain")
                .body(text.to_string()),
        )
        .await;
    }

    async fn trash(&self, id: &str) {
        Self::answer(
            self.http
                .patch(format!("{}/drive/v3/files/{id}", self.origin))
                .json(&json!({"trashed": true})),
        )
        .await;
    }
}

#[tokio::test]
async fn google_drive_mock_is_browsed_from_the_cli_and_synced_with_its_change_feed() {
    let started = Instant::now();
    let mock = GoogleDriveMock::start();
    let seed = DriveSeed { http: reqwest::Client::new(), origin: mock.origin.clone() };
    let root = seed.folder(Some("root"), "My Drive", None).await;
    let projects = seed.folder(None, "Projects", Some(&root)).await;
    let specs = seed.folder(None, "specs", Some(&projects)).await;
    let other = seed.folder(None, "Other", Some(&root)).await;
    let readme = seed
        .file(
            &projects,
            "readme.md",
            "text/markdown",
            "# Project Atlas\n\nThe atlas project maps every river.",
        )
        .await;
    let notes =
        seed.file(&projects, "notes.txt", "text/plain", "Meeting notes: budget approved.").await;
    seed.file(
        &specs,
        "design.txt",
        "text/plain",
        "Design overview: the river index uses glacier data.",
    )
    .await;
    seed.file(&other, "secret.txt", "text/plain", "not selected").await;

    let api_base = mock.origin.clone();
    let app = TestApp::spawn_with(|settings| {
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
        settings.providers.insert(
            "google_drive".into(),
            ProviderSettings { api_base: Some(api_base), ..Default::default() },
        );
    })
    .await;
    let alice = user(&app, "alice").await;
    let data = app.data_dir.path();
    let env = [("CLOUD_SOURCES__PROVIDERS__GOOGLE_DRIVE__API_BASE", mock.origin.as_str())];
    let run = |args: &[&str]| cli_with_env(data, args, None, &env);

    // An imported access token, tested and browsed as an operator would.
    let connection = stdout(&run(&[
        "connection",
        "add",
        "--user",
        "alice",
        "--provider",
        "google_drive",
        "--access-token",
        GoogleDriveMock::TOKEN,
    ]))
    .trim()
    .to_string();
    let tested = stdout(&run(&["connection", "test", &connection]));
    assert!(tested.contains("mock@example.com"), "the account is named: {tested}");

    // The top level lists shared drives too, which the mock does not serve:
    // a clear failure, not an empty picker or an HTML page.
    let top = run(&["connection", "browse", &connection]);
    let error = String::from_utf8_lossy(&top.stderr);
    assert!(!top.status.success(), "the mock has no drives.list: {error}");
    assert!(error.contains("404") || error.to_lowercase().contains("not found"), "{error}");
    assert!(!error.contains("<html") && !error.contains(GoogleDriveMock::TOKEN), "{error}");

    let browsed = stdout(&run(&["connection", "browse", &connection, "--folder", &root, "--json"]));
    let entries: Vec<FolderEntry> = serde_json::from_str(&browsed).expect("entries");
    let names: Vec<(&str, &str)> =
        entries.iter().map(|e| (e.name.as_str(), e.path.as_str())).collect();
    assert_eq!(names, [("Other", "/My Drive/Other"), ("Projects", "/My Drive/Projects")]);
    let picked = entries.iter().find(|e| e.name == "Projects").expect("Projects");
    let inside =
        stdout(&run(&["connection", "browse", &connection, "--folder", &picked.remote_id]));
    assert!(inside.contains("/My Drive/Projects/specs"), "{inside}");

    // A full sync of /My Drive/Projects through the engine.
    let config = configure(&app, &alice, &connection, selection(picked)).await;
    let full = run_and_wait(&app.service, &alice, &config, false).await;
    assert_eq!(full.status, JobStatus::Completed, "{:?} {:?}", full.message, full.errors);
    assert_eq!(full.progress.files_failed, 0, "{:?}", full.errors);
    let indexed = index(&app.service, &alice, &config).await;
    assert_eq!(
        indexed.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "/My Drive/Projects/notes.txt",
            "/My Drive/Projects/readme.md",
            "/My Drive/Projects/specs/design.txt"
        ]
    );
    assert!(indexed["/My Drive/Projects/readme.md"].contains("maps every river"));
    assert!(indexed["/My Drive/Projects/specs/design.txt"].contains("glacier data"));

    // An edit, a new file and a trashed file, followed through changes.list.
    seed.edit(&notes, "Meeting notes: budget approved. Update: travel cancelled.").await;
    seed.file(&specs, "lakes.md", "text/markdown", "# Lakes\n\nNow with lakes.").await;
    seed.trash(&readme).await;
    let incremental = run_and_wait(&app.service, &alice, &config, false).await;
    assert_eq!(incremental.status, JobStatus::Completed, "{:?}", incremental.message);
    assert_eq!(incremental.progress.files_failed, 0, "{:?}", incremental.errors);
    assert_eq!(incremental.progress.files_processed, 2, "only the edit and the new file");
    assert_eq!(incremental.progress.files_deleted, 1, "the trashed file");
    let indexed = index(&app.service, &alice, &config).await;
    assert_eq!(
        indexed.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "/My Drive/Projects/notes.txt",
            "/My Drive/Projects/specs/design.txt",
            "/My Drive/Projects/specs/lakes.md"
        ]
    );
    assert!(indexed["/My Drive/Projects/notes.txt"].contains("travel cancelled"));
    assert!(indexed["/My Drive/Projects/specs/lakes.md"].contains("Now with lakes"));
    eprintln!("google-drive-mock test: {:?}", started.elapsed());
}

/// A Data Center personal access token (jira820 checks none; sent as `Bearer`).
const JIRA_PAT: &str = "jira820-personal-access-token-5b1e";

/// Seeds jira820 through its own REST v2 API.
async fn jira_issue(
    http: &reqwest::Client,
    origin: &str,
    summary: &str,
    description: &str,
) -> String {
    let response = http
        .post(format!("{origin}/rest/api/2/issue"))
        .json(&json!({"fields": {
            "project": {"key": "ATLAS"},
            "issuetype": {"name": "Task"},
            "summary": summary,
            "description": description,
        }}))
        .send()
        .await
        .expect("jira820 answers");
    assert_eq!(response.status(), 201, "issue created");
    let created: Value = response.json().await.expect("JSON");
    created["key"].as_str().expect("a key").to_string()
}

#[tokio::test]
async fn jira820_data_center_connection_is_tested_from_the_cli_and_a_sync_it_cannot_serve_fails_clearly()
 {
    let started = Instant::now();
    support::recording::register_secret(JIRA_PAT);
    let jira = Jira820::start("ATLAS", "Atlas Rivers");
    let http = reqwest::Client::new();
    let key = jira_issue(
        &http,
        &jira.origin,
        "Glacier index rebuild",
        "The river index uses glacier data.",
    )
    .await;
    let commented = http
        .post(format!("{}/rest/api/2/issue/{key}/comment", jira.origin))
        .json(&json!({"body": "Budget approved for the glacier survey."}))
        .send()
        .await
        .expect("jira820 answers");
    assert_eq!(commented.status(), 201);

    let app = TestApp::spawn_with(|settings| {
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    let alice = user(&app, "alice").await;
    let data = app.data_dir.path();

    // A Data Center connection: site URL and personal access token (no e-mail), on stdin.
    let credentials =
        json!({"site_url": jira.origin, "email": "", "api_token": JIRA_PAT}).to_string();
    let connection = stdout(&cli(
        data,
        &[
            "connection",
            "add",
            "--user",
            "alice",
            "--provider",
            "jira",
            "--name",
            "Tracker",
            "--auth-type",
            "api_key",
            "--credentials-stdin",
        ],
        Some(&credentials),
    ))
    .trim()
    .to_string();
    let tested = stdout(&cli(data, &["connection", "test", &connection], None));
    assert!(tested.contains("admin@example.com @ 127.0.0.1"), "the account is named: {tested}");
    assert!(
        jira.requests().iter().any(|r| r == "GET /rest/api/2/myself"),
        "Data Center is asked through REST v2: {:?}",
        jira.requests()
    );

    // The picker lists the project through Data Center's `GET /project`.
    let browsed = stdout(&cli(data, &["connection", "browse", &connection, "--json"], None));
    let entries: Vec<FolderEntry> = serde_json::from_str(&browsed).expect("entries");
    let project = entries.iter().find(|e| e.remote_id == "project:ATLAS").unwrap_or_else(|| {
        panic!("the project is in the picker: {entries:?}");
    });
    assert_eq!(project.name, "Atlas Rivers");
    assert!(
        jira.requests().iter().any(|r| r == "GET /rest/api/2/project"),
        "{:?}",
        jira.requests()
    );

    // jira820 refuses our POST search, and the run says so rather than
    // completing with nothing.
    let config = configure(&app, &alice, &connection, selection(project)).await;
    let job = run_and_wait(&app.service, &alice, &config, false).await;
    assert_eq!(job.status, JobStatus::Failed, "{:?}", job.message);
    let message = job.message.clone().unwrap_or_default();
    assert!(message.contains("405"), "the reason is given: {message}");
    assert!(!message.contains(JIRA_PAT));
    assert!(
        jira.requests().iter().any(|r| r == "POST /rest/api/2/search"),
        "{:?}",
        jira.requests()
    );
    assert!(index(&app.service, &alice, &config).await.is_empty(), "nothing is indexed");
    eprintln!("jira820 test: {:?}", started.elapsed());
}
