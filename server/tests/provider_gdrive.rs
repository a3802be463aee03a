//! The Google Drive provider against the Drive v3 simulator: the shared
//! conformance checks, then what is particular to Drive: shared drives,
//! Google Docs exported as text (and Drive's 10 MB export limit), renames and
//! moves of files and folders, the trash, rate-limit storms in both of Drive's
//! styles, and token expiry and revocation through a real refresh.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{EntryKind, FileErrorType, SecretText, SourcePath};
use async_trait::async_trait;
use cloud_sources::oauth::client::{OAuthClient, OAuthError};
use cloud_sources::providers::gdrive::GdriveFactory;
use cloud_sources::providers::http::{HttpDeps, RetryPolicy};
use cloud_sources::providers::{
    AccessTokens, Change, ErrorKind, OAuthSpec, Provider, ProviderAuth, ProviderContext,
    ProviderError, ProviderFactory, ProviderResult, RemoteItem,
};
use cloud_sources::sandbox::{
    DriveRateLimitStyle, FaultConfig, GoogleApp, Provider as Cloud, SandboxAccount, SandboxOptions,
    SandboxServer, demo_client, spawn,
};
use support::provider_conformance::{
    self as conformance, ConformanceBackend, download, drain, list_all, split,
};

// ---------------------------------------------------------------- helpers

/// Tokens minted by the sandbox, refreshed through its real token endpoint.
struct SandboxTokens {
    client: OAuthClient,
    access: Mutex<SecretText>,
    refresh: SecretText,
    refreshes: AtomicUsize,
}

#[async_trait]
impl AccessTokens for SandboxTokens {
    async fn access_token(&self) -> ProviderResult<SecretText> {
        Ok(self.access.lock().unwrap().clone())
    }

    async fn refresh_rejected(&self, _rejected: &SecretText) -> ProviderResult<SecretText> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        match self.client.refresh(&self.refresh).await {
            Ok(tokens) => {
                *self.access.lock().unwrap() = tokens.access_token.clone();
                Ok(tokens.access_token)
            }
            Err(OAuthError::InvalidGrant(detail)) => {
                Err(ProviderError::new(ErrorKind::AuthExpired, format!("revoked: {detail}")))
            }
            Err(e) => Err(ProviderError::transient(e.to_string())),
        }
    }
}

struct Drive {
    /// Kept alive for the test.
    _server: SandboxServer,
    account: SandboxAccount,
    tokens: Arc<SandboxTokens>,
    provider: Arc<dyn Provider>,
}

fn retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 10,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(200),
        budget: Duration::from_secs(60),
    }
}

/// A sandbox whose Google account starts empty (or seeded), and a provider for it.
async fn drive_with(seed_accounts: bool) -> Drive {
    let server = spawn(SandboxOptions { seed_accounts, ..Default::default() }).await.unwrap();
    let demo = demo_client(Cloud::Google);
    server.sandbox().register_client(demo.registration("http://127.0.0.1:1"));
    let account = server.account(Cloud::Google, "alice").unwrap();
    let issued = account.issue_tokens(demo.client_id);
    let endpoints = server.endpoints(Cloud::Google);
    let spec = OAuthSpec {
        client_id: demo.client_id.to_string(),
        client_secret: Some(demo.client_secret.to_string().into()),
        auth_url: endpoints.auth_url.clone(),
        token_url: endpoints.token_url.clone(),
        revoke_url: endpoints.revoke_url.clone(),
        scopes: vec!["https://www.googleapis.com/auth/drive.readonly".into()],
        extra_auth_params: vec![],
    };
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
    let tokens = Arc::new(SandboxTokens {
        client: OAuthClient::new(spec, "http://127.0.0.1:1/callback".into(), http.unwrap()),
        access: Mutex::new(issued.access_token.as_str().into()),
        refresh: issued.refresh_token.expect("offline grant").as_str().into(),
        refreshes: AtomicUsize::new(0),
    });
    let deps = HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), retries());
    let provider = GdriveFactory::with_api_base(&endpoints.api_base)
        .connect(ProviderContext {
            connection_id: "conn-gdrive".into(),
            auth: ProviderAuth::OAuth { tokens: tokens.clone(), extra: Default::default() },
            http: deps,
        })
        .expect("connect");
    Drive { _server: server, account, tokens, provider }
}

async fn drive() -> Drive {
    drive_with(false).await
}

impl Drive {
    fn id(&self, path: &str) -> String {
        self.account.item(path).unwrap_or_else(|| panic!("{path} exists")).id
    }

    /// A selection of a My Drive folder, as the picker would make it.
    fn select(&self, path: &str) -> SourcePath {
        SourcePath {
            path: format!("/My Drive{path}"),
            remote_id: self.id(path),
            include_subfolders: true,
        }
    }

    /// The only scope of a selection and its cursor.
    async fn cursor(&self, selection: &[SourcePath]) -> (String, String) {
        let cursors = self.provider.start_cursors(selection).await.expect("start_cursors");
        assert_eq!(cursors.len(), 1, "{cursors:?}");
        (cursors[0].scope.clone(), cursors[0].cursor.clone())
    }
}

/// Folders of the default drive are created on the way (like `mkdir -p`).
fn ensure_folder(account: &SandboxAccount, path: &str) -> String {
    let mut current = account.root_id();
    let mut walked = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        walked.push('/');
        walked.push_str(segment);
        current = match account.item(&walked) {
            Some(found) => found.id,
            None => account.add_folder(&current, segment).unwrap().id,
        };
    }
    current
}

fn split_path(path: &str) -> (&str, &str) {
    path.rsplit_once('/').expect("an absolute path")
}

/// My Drive through the simulator's Rust API.
struct DriveBackend {
    account: SandboxAccount,
}

#[async_trait]
impl ConformanceBackend for DriveBackend {
    fn stable_ids(&self) -> bool {
        true
    }
    async fn write(&self, path: &str, content: &[u8]) {
        match self.account.item(path) {
            Some(existing) => {
                self.account.set_content(&existing.id, content.to_vec()).unwrap();
            }
            None => {
                let (parent, name) = split_path(path);
                let parent = ensure_folder(&self.account, parent);
                self.account.add_file(&parent, name, content.to_vec()).unwrap();
            }
        }
    }
    async fn mkdir(&self, path: &str) {
        ensure_folder(&self.account, path);
    }
    async fn rename(&self, from: &str, to: &str) {
        let item = self.account.item(from).unwrap();
        let (from_parent, from_name) = split_path(from);
        let (to_parent, to_name) = split_path(to);
        if from_parent != to_parent {
            let parent = ensure_folder(&self.account, to_parent);
            self.account.move_item(&item.id, &parent).unwrap();
        }
        if from_name != to_name {
            self.account.rename(&item.id, to_name).unwrap();
        }
    }
    async fn remove(&self, path: &str) {
        self.account.delete(path).unwrap();
    }
    fn root_path(&self) -> &str {
        "/My Drive"
    }
}

fn upserted_paths(changes: &[Change]) -> Vec<String> {
    split(changes).0.into_keys().collect()
}

fn deleted_ids(changes: &[Change]) -> BTreeSet<String> {
    split(changes).1
}

fn ids(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------- conformance

#[tokio::test]
async fn drive_passes_the_provider_conformance_checks() {
    let d = drive().await;
    conformance::run(d.provider.clone(), &DriveBackend { account: d.account.clone() }).await;
    assert_eq!(d.tokens.refreshes.load(Ordering::SeqCst), 0, "no 401 on the way");
}

// ---------------------------------------------------------------- Drive specifics

#[tokio::test]
async fn the_picker_shows_my_drive_and_shared_drives_and_shared_drive_items_sync() {
    let d = drive().await;
    let drive_id = d.account.add_shared_drive("Engineering").unwrap();
    let specs = d.account.add_folder(&drive_id, "Specs").unwrap();
    d.account.add_file(&specs.id, "design.md", b"# Design\nShared drive text".to_vec()).unwrap();
    let nested = d.account.add_folder(&specs.id, "Nested").unwrap();
    d.account.add_file(&nested.id, "deep.txt", b"deep".to_vec()).unwrap();
    ensure_folder(&d.account, "/Mine");

    let roots = d.provider.list_folders(None).await.unwrap();
    let shown: Vec<(&str, &str, EntryKind)> =
        roots.iter().map(|f| (f.name.as_str(), f.path.as_str(), f.kind)).collect();
    assert_eq!(
        shown,
        [
            ("My Drive", "/My Drive", EntryKind::Drive),
            ("Engineering", "/Shared drives/Engineering", EntryKind::Drive)
        ]
    );
    let in_drive = d.provider.list_folders(Some(&roots[1].remote_id)).await.unwrap();
    let shown: Vec<(&str, &str)> =
        in_drive.iter().map(|f| (f.name.as_str(), f.path.as_str())).collect();
    assert_eq!(shown, [("Specs", "/Shared drives/Engineering/Specs")]);
    let in_mine = d.provider.list_folders(Some(&roots[0].remote_id)).await.unwrap();
    assert_eq!(in_mine.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["/My Drive/Mine"]);

    let selection = vec![SourcePath {
        path: in_drive[0].path.clone(),
        remote_id: in_drive[0].remote_id.clone(),
        include_subfolders: true,
    }];
    let (scope, cursor) = d.cursor(&selection).await;
    assert_eq!(scope, format!("drive:{drive_id}"), "a shared drive has its own feed");
    let listed = list_all(d.provider.as_ref(), &selection[0]).await;
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        [
            "/Shared drives/Engineering/Specs/Nested/deep.txt",
            "/Shared drives/Engineering/Specs/design.md"
        ]
    );
    let design = &listed["/Shared drives/Engineering/Specs/design.md"];
    assert_eq!(design.metadata["drive_id"], drive_id.as_str());
    assert_eq!(
        download(d.provider.as_ref(), design, 1 << 20).await.unwrap(),
        b"# Design\nShared drive text"
    );

    // Changes in the shared drive come through its feed; My Drive's do not.
    d.account.add_file(&specs.id, "new.txt", b"new in the shared drive".to_vec()).unwrap();
    d.account.add_file(&d.id("/Mine"), "mine.txt", b"elsewhere".to_vec()).unwrap();
    d.account.delete(&nested.id).unwrap();
    let deep_id = listed["/Shared drives/Engineering/Specs/Nested/deep.txt"].id.clone();
    let (changes, cursor) = drain(d.provider.as_ref(), &selection, &scope, &cursor).await;
    assert_eq!(upserted_paths(&changes), ["/Shared drives/Engineering/Specs/new.txt"]);
    assert_eq!(deleted_ids(&changes), ids(&[&deep_id]));
    let (again, _) = drain(d.provider.as_ref(), &selection, &scope, &cursor).await;
    assert!(again.is_empty(), "{again:?}");

    let meta = d.provider.metadata(&design.id).await.unwrap();
    assert_eq!(meta.path, "/Shared drives/Engineering/Specs/design.md");
}

/// Sheets export as CSV and Slides as text, each reported with its export
/// type; a Form (no text export) downloads as a typed `unsupported_type`.
#[tokio::test]
async fn sheets_export_as_csv_slides_as_text_and_forms_are_unsupported() {
    let d = drive().await;
    let folder = ensure_folder(&d.account, "/Office");
    let sheet = d
        .account
        .add_google_file(
            &folder,
            "Budget",
            GoogleApp::Spreadsheet,
            "Item,Cost\n\"Sensors, glacier\",12000",
        )
        .unwrap();
    let deck = d
        .account
        .add_google_file(&folder, "Kickoff", GoogleApp::Presentation, "Kickoff\nShip it in May")
        .unwrap();
    let form = d.account.add_google_file(&folder, "Survey", GoogleApp::Form, "Q1").unwrap();

    let selection = d.select("/Office");
    let listed = list_all(d.provider.as_ref(), &selection).await;
    let budget = &listed["/My Drive/Office/Budget"];
    assert_eq!((budget.id.as_str(), budget.mime_type.as_str()), (sheet.id.as_str(), "text/csv"));
    assert_eq!(budget.metadata["google_mime_type"], "application/vnd.google-apps.spreadsheet");
    let csv = String::from_utf8(download(d.provider.as_ref(), budget, 1 << 20).await.unwrap());
    assert_eq!(csv.unwrap(), "Item,Cost\r\n\"Sensors, glacier\",12000\r\n");

    let kickoff = &listed["/My Drive/Office/Kickoff"];
    assert_eq!((kickoff.id.as_str(), kickoff.mime_type.as_str()), (deck.id.as_str(), "text/plain"));
    assert_eq!(kickoff.metadata["google_mime_type"], "application/vnd.google-apps.presentation");
    let text = String::from_utf8(download(d.provider.as_ref(), kickoff, 1 << 20).await.unwrap());
    assert!(text.unwrap().contains("Ship it in May"));

    let survey = &listed["/My Drive/Office/Survey"];
    assert_eq!(survey.id, form.id);
    assert_eq!(
        survey.mime_type, "application/vnd.google-apps.form",
        "kept native: not extractable"
    );
    let err = match d.provider.download(survey, 1 << 20).await {
        Ok(_) => panic!("a Form has no text export"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert_eq!(err.kind().file_error_type(), FileErrorType::UnsupportedType);
    assert_eq!(
        d.account.request_counts().endpoint("files.export"),
        2,
        "the Form is refused without asking Drive"
    );
}

#[tokio::test]
async fn google_docs_are_exported_as_text_and_an_oversized_export_is_a_clear_per_file_error() {
    let d = drive().await;
    let folder = ensure_folder(&d.account, "/Docs");
    let doc =
        d.account.add_google_doc(&folder, "Roadmap", "Quarter one\nShip the sync engine").unwrap();
    d.account.add_file(&folder, "plain.txt", b"plain bytes".to_vec()).unwrap();
    // Drive exports at most 10 MB; this Doc's text alone is larger.
    let huge = "lorem ipsum dolor sit amet ".repeat(420_000);
    let big = d.account.add_google_doc(&folder, "Huge", &huge).unwrap();

    let selection = vec![d.select("/Docs")];
    let (scope, cursor) = d.cursor(&selection).await;
    let listed = list_all(d.provider.as_ref(), &selection[0]).await;
    let roadmap = &listed["/My Drive/Docs/Roadmap"];
    assert_eq!(roadmap.id, doc.id);
    assert_eq!(roadmap.mime_type, "text/plain", "reported as its export format");
    assert_eq!(roadmap.metadata["google_mime_type"], "application/vnd.google-apps.document");
    let text = download(d.provider.as_ref(), roadmap, 1 << 20).await.unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("Quarter one") && text.contains("Ship the sync engine"), "{text:?}");
    let plain = &listed["/My Drive/Docs/plain.txt"];
    assert_eq!(download(d.provider.as_ref(), plain, 1 << 20).await.unwrap(), b"plain bytes");
    // "A file that always fails", here a Doc whose export always fails.
    d.account.set_faults(FaultConfig {
        failing_downloads: [doc.id.clone()].into(),
        ..Default::default()
    });
    conformance::expect_failing_download(d.provider.as_ref(), roadmap, plain).await;
    d.account.set_faults(FaultConfig::default());

    let huge_item = &listed["/My Drive/Docs/Huge"];
    assert_eq!(huge_item.id, big.id);
    let err = match d.provider.download(huge_item, 64 << 20).await {
        Ok(_) => panic!("an export over 10 MB must fail"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    assert!(err.message().contains("too large for Google Drive to export"), "{}", err.message());
    assert!(!err.is_temporary(), "retrying cannot help");
    // The size cap applies to exports too.
    assert_eq!(download(d.provider.as_ref(), roadmap, 5).await.unwrap_err(), ErrorKind::TooLarge);

    // Editing a Doc is a change with a new version.
    d.account.set_content(&doc.id, b"Quarter two\nIndex the docs".to_vec()).unwrap();
    let (changes, _) = drain(d.provider.as_ref(), &selection, &scope, &cursor).await;
    let (up, del) = split(&changes);
    assert!(del.is_empty(), "{changes:?}");
    let edited = &up["/My Drive/Docs/Roadmap"];
    assert_ne!(edited.version, roadmap.version);
    let text = download(d.provider.as_ref(), edited, 1 << 20).await.unwrap();
    assert!(String::from_utf8(text).unwrap().contains("Index the docs"));
}

#[tokio::test]
async fn renames_and_moves_of_files_and_folders_come_through_the_change_feed() {
    let d = drive().await;
    let backend = DriveBackend { account: d.account.clone() };
    backend.write("/Work/a.txt", b"a").await;
    backend.write("/Work/Reports/r1.txt", b"r1").await;
    backend.write("/Work/Reports/Old/r0.txt", b"r0").await;
    backend.write("/Outside/o.txt", b"o").await;
    backend.write("/Outside/Incoming/i.txt", b"i").await;
    let selection = vec![d.select("/Work")];
    let (scope, mut cursor) = d.cursor(&selection).await;
    let listed = list_all(d.provider.as_ref(), &selection[0]).await;
    assert_eq!(listed.len(), 3);
    let id_of = |path: &str| listed[path].id.clone();

    let mut step = async |what: &str| {
        let (changes, next) = drain(d.provider.as_ref(), &selection, &scope, &cursor).await;
        let (again, next) = drain(d.provider.as_ref(), &selection, &scope, &next).await;
        assert!(again.is_empty(), "{what}: nothing more: {again:?}");
        cursor = next;
        let (up, del) = split(&changes);
        (up, del, what.to_string())
    };

    // A file renamed: one upsert, same id, new path.
    backend.rename("/Work/a.txt", "/Work/a-renamed.txt").await;
    let (up, del, _) = step("rename a file").await;
    assert_eq!(up.keys().collect::<Vec<_>>(), ["/My Drive/Work/a-renamed.txt"]);
    assert_eq!(up["/My Drive/Work/a-renamed.txt"].id, id_of("/My Drive/Work/a.txt"));
    assert!(del.is_empty());

    // A file moved between folders of the selection.
    backend.rename("/Work/Reports/r1.txt", "/Work/r1.txt").await;
    let (up, del, _) = step("move a file").await;
    assert_eq!(up.keys().collect::<Vec<_>>(), ["/My Drive/Work/r1.txt"]);
    assert!(del.is_empty());

    // A folder renamed: everything below it has a new path (Drive reports only the folder).
    backend.rename("/Work/Reports", "/Work/Archive").await;
    let (up, del, _) = step("rename a folder").await;
    assert_eq!(up.keys().collect::<Vec<_>>(), ["/My Drive/Work/Archive/Old/r0.txt"]);
    assert_eq!(
        up["/My Drive/Work/Archive/Old/r0.txt"].id,
        id_of("/My Drive/Work/Reports/Old/r0.txt")
    );
    assert!(del.is_empty());

    // A folder moved in from outside the selection: its files appear.
    backend.rename("/Outside/Incoming", "/Work/Archive/Incoming").await;
    let (up, del, _) = step("move a folder in").await;
    assert_eq!(up.keys().collect::<Vec<_>>(), ["/My Drive/Work/Archive/Incoming/i.txt"]);
    let i_id = up["/My Drive/Work/Archive/Incoming/i.txt"].id.clone();
    assert!(del.is_empty());

    // A folder moved out: every file below it is deleted.
    backend.rename("/Work/Archive", "/Outside/Archive").await;
    let (up, del, _) = step("move a folder out").await;
    assert!(up.is_empty(), "{up:?}");
    assert_eq!(del, ids(&[&id_of("/My Drive/Work/Reports/Old/r0.txt"), &i_id]));

    let left = list_all(d.provider.as_ref(), &selection[0]).await;
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        ["/My Drive/Work/a-renamed.txt", "/My Drive/Work/r1.txt"]
    );
}

#[tokio::test]
async fn trashed_files_and_folders_are_deletions_and_restores_bring_them_back() {
    let d = drive().await;
    let backend = DriveBackend { account: d.account.clone() };
    backend.write("/Work/keep.txt", b"keep").await;
    backend.write("/Work/bin.txt", b"bin").await;
    backend.write("/Work/Folder/f1.txt", b"f1").await;
    backend.write("/Work/Folder/Sub/f2.txt", b"f2").await;
    let selection = vec![d.select("/Work")];
    let (scope, cursor) = d.cursor(&selection).await;
    let listed = list_all(d.provider.as_ref(), &selection[0]).await;
    let id_of = |path: &str| listed[&format!("/My Drive/Work{path}")].id.clone();

    d.account.trash(&id_of("/bin.txt")).unwrap();
    d.account.trash(&d.id("/Work/Folder")).unwrap();
    let (changes, cursor) = drain(d.provider.as_ref(), &selection, &scope, &cursor).await;
    assert!(upserted_paths(&changes).is_empty(), "{changes:?}");
    assert_eq!(
        deleted_ids(&changes),
        ids(&[&id_of("/bin.txt"), &id_of("/Folder/f1.txt"), &id_of("/Folder/Sub/f2.txt")])
    );
    let left = list_all(d.provider.as_ref(), &selection[0]).await;
    assert_eq!(left.keys().collect::<Vec<_>>(), ["/My Drive/Work/keep.txt"]);
    assert_eq!(
        d.provider.metadata(&id_of("/bin.txt")).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    d.account.untrash(&d.id("/Work/Folder")).unwrap();
    let (changes, _) = drain(d.provider.as_ref(), &selection, &scope, &cursor).await;
    assert_eq!(
        upserted_paths(&changes),
        ["/My Drive/Work/Folder/Sub/f2.txt", "/My Drive/Work/Folder/f1.txt"]
    );
    assert!(deleted_ids(&changes).is_empty(), "{changes:?}");
}

/// Lists and follows changes under a rate-limit storm; returns how long it took.
async fn survive_storm(style: DriveRateLimitStyle) {
    let d = drive().await;
    let backend = DriveBackend { account: d.account.clone() };
    for folder in ["A", "B", "C", "D", "E"] {
        for n in 0..3 {
            backend
                .write(&format!("/Storm/{folder}/f{n}.txt"), format!("{folder}{n}").as_bytes())
                .await;
        }
    }
    let selection = vec![d.select("/Storm")];
    let (scope, cursor) = d.cursor(&selection).await;
    let calm = list_all(d.provider.as_ref(), &selection[0]).await;
    assert_eq!(calm.len(), 15);

    d.account.set_faults(FaultConfig {
        rate_limit_share: 0.3,
        retry_after_secs: 1,
        drive_rate_limit: style,
        seed: Some(7),
        ..Default::default()
    });
    d.account.reset_request_counts();
    let started = Instant::now();
    let stormy = list_all(d.provider.as_ref(), &selection[0]).await;
    backend.write("/Storm/A/f0.txt", b"changed in the storm").await;
    let (changes, _) = drain(d.provider.as_ref(), &selection, &scope, &cursor).await;
    let item: &RemoteItem = &stormy["/My Drive/Storm/A/f0.txt"];
    let bytes = download(d.provider.as_ref(), item, 1024).await.unwrap();
    let elapsed = started.elapsed();
    let counts = d.account.request_counts();
    d.account.clear_faults();

    assert_eq!(stormy.keys().collect::<Vec<_>>(), calm.keys().collect::<Vec<_>>(), "same listing");
    assert_eq!(upserted_paths(&changes), ["/My Drive/Storm/A/f0.txt"]);
    assert_eq!(bytes, b"changed in the storm");
    assert!(counts.throttled >= 3, "the storm hit: {counts:?}");
    // Requests are sequential here, so honouring `Retry-After: 1` costs a second per 429.
    assert!(
        elapsed >= Duration::from_secs(counts.throttled),
        "retried before Retry-After: {} throttled in {elapsed:?}",
        counts.throttled
    );
    println!("{style:?}: {} requests, {} throttled, {elapsed:?}", counts.total, counts.throttled);
}

#[tokio::test]
async fn a_storm_of_429_rate_limit_exceeded_is_survived() {
    survive_storm(DriveRateLimitStyle::TooManyRequests429).await;
}

#[tokio::test]
async fn a_storm_of_403_user_rate_limit_exceeded_is_survived() {
    survive_storm(DriveRateLimitStyle::UserRateLimit403).await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_mid_listing_and_a_revoked_grant_is_auth_expired() {
    let d = drive().await;
    let backend = DriveBackend { account: d.account.clone() };
    // More folders than one listing page walks, so the listing spans pages.
    for n in 0..14 {
        backend.write(&format!("/T/S{n:02}/f.txt"), b"x").await;
    }
    let selection = d.select("/T");
    let first = d.provider.list_page(&selection, None).await.unwrap();
    let mut next = first.next.expect("the listing continues on a second page");
    let mut count = first.items.len();
    assert!(d.account.expire_tokens() > 0);
    loop {
        let page = d.provider.list_page(&selection, Some(&next)).await.unwrap();
        count += page.items.len();
        match page.next {
            Some(more) => next = more,
            None => break,
        }
    }
    assert_eq!(count, 14, "the listing completes after the refresh");
    assert_eq!(d.tokens.refreshes.load(Ordering::SeqCst), 1, "one refresh for the expired token");

    d.account.revoke_tokens();
    let err = d.provider.list_page(&selection, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthExpired, "{err}");
    assert!(!err.is_temporary());
    assert_eq!(d.tokens.refreshes.load(Ordering::SeqCst), 2, "one refresh attempt, then stop");
}

#[tokio::test]
async fn a_rejected_page_token_is_cursor_invalid_and_the_seeded_tree_lists() {
    let d = drive_with(true).await;
    let manifest = d.account.manifest().unwrap();
    let roots = d.provider.list_folders(None).await.unwrap();
    assert!(
        roots.iter().any(|r| r.path.starts_with("/Shared drives/")),
        "seeded shared drive: {roots:?}"
    );
    let my = &roots[0];
    let top = d.provider.list_folders(Some(&my.remote_id)).await.unwrap();
    assert!(!top.is_empty());
    let selection = SourcePath {
        path: my.path.clone(),
        remote_id: my.remote_id.clone(),
        include_subfolders: true,
    };
    let (scope, cursor) = d.cursor(std::slice::from_ref(&selection)).await;
    let listed = list_all(d.provider.as_ref(), &selection).await;
    let seeded_in_my_drive = manifest
        .items
        .iter()
        .filter(|i| i.drive_id == d.account.drive_id() && i.kind != "folder")
        .count();
    assert_eq!(listed.len(), seeded_in_my_drive, "every seeded My Drive file is listed");
    assert!(
        listed.values().any(|i| i.metadata.contains_key("google_mime_type")),
        "the seeded Google Doc"
    );

    // Drive rejects page tokens issued before the invalidation once the feed moved on.
    d.account.add_file(&d.account.root_id(), "after.txt", b"after".to_vec()).unwrap();
    d.account.invalidate_cursors();
    let err = d.provider.changes(&[selection], &scope, &cursor).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CursorInvalid, "{err}");
}
