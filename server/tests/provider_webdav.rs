//! The ownCloud / Nextcloud / WebDAV provider against real WebDAV servers
//! (wsgidav, `rclone serve webdav`) and the Nextcloud simulator (folder ETags,
//! `oc:fileid`), plus mutual TLS, the SSRF guard and recorded XML bodies.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use app::model::{AuthType, ProviderId};
use async_trait::async_trait;
use cloud_sources::providers::http::{HttpDeps, RetryPolicy};
use cloud_sources::providers::net::HostGuard;
use cloud_sources::providers::webdav::WebdavFactory;
use cloud_sources::providers::webdav::core::DavRoot;
use cloud_sources::providers::webdav::propfind::{normalize_etag, parse_multistatus};
use cloud_sources::providers::webdav::walk::{Scope, cursor_file_count};
use cloud_sources::providers::{
    Change, ErrorKind, Provider, ProviderAuth, ProviderContext, ProviderFactory,
};
use cloud_sources::sandbox::nextcloud::NextcloudSim;
use serde_json::json;
use support::peers::{WEBDAV_PASSWORD, WEBDAV_USER, WebdavKind, WebdavServer};
use support::provider_conformance::{
    self as conformance, ConformanceBackend, drain, list_all, source, split,
};

// ---------------------------------------------------------------- helpers

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        budget: Duration::from_secs(5),
    }
}

/// HTTP dependencies whose guard admits loopback, as an operator's allow-list would.
fn loopback_deps() -> HttpDeps {
    let guard = HostGuard::new(&["127.0.0.1".to_string()]).unwrap();
    HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), fast_retries())
        .with_guard(Arc::new(guard))
}

fn connect(
    deps: &HttpDeps,
    auth_type: AuthType,
    credentials: serde_json::Value,
) -> Arc<dyn Provider> {
    let factory = WebdavFactory::new();
    let credentials =
        factory.parse_credentials(auth_type, &credentials).expect("valid credentials");
    factory
        .connect(ProviderContext {
            connection_id: "conn-webdav".into(),
            auth: ProviderAuth::Static(credentials),
            http: deps.clone(),
        })
        .expect("connect")
}

fn password_provider(deps: &HttpDeps, server_url: &str, password: &str) -> Arc<dyn Provider> {
    connect(
        deps,
        AuthType::Password,
        json!({"server_url": server_url, "username": WEBDAV_USER, "password": password}),
    )
}

/// Files on disk behind wsgidav or rclone.
struct DiskBackend {
    root: PathBuf,
}

impl DiskBackend {
    fn at(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }
}

#[async_trait]
impl ConformanceBackend for DiskBackend {
    fn stable_ids(&self) -> bool {
        false
    }
    async fn write(&self, path: &str, content: &[u8]) {
        let file = self.at(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    async fn mkdir(&self, path: &str) {
        std::fs::create_dir_all(self.at(path)).unwrap();
    }
    async fn rename(&self, from: &str, to: &str) {
        let target = self.at(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::rename(self.at(from), target).unwrap();
    }
    async fn remove(&self, path: &str) {
        let at = self.at(path);
        if at.is_dir() { std::fs::remove_dir_all(at) } else { std::fs::remove_file(at) }.unwrap();
    }
}

/// The simulator's Rust API.
struct SimBackend {
    sim: NextcloudSim,
}

#[async_trait]
impl ConformanceBackend for SimBackend {
    fn stable_ids(&self) -> bool {
        true
    }
    async fn write(&self, path: &str, content: &[u8]) {
        self.sim.put_file(WEBDAV_USER, path, content.to_vec()).unwrap();
    }
    async fn mkdir(&self, path: &str) {
        self.sim.mkdir(WEBDAV_USER, path).unwrap();
    }
    async fn rename(&self, from: &str, to: &str) {
        self.sim.move_item(WEBDAV_USER, from, to).unwrap();
    }
    async fn remove(&self, path: &str) {
        self.sim.delete(WEBDAV_USER, path).unwrap();
    }
}

async fn nextcloud() -> (NextcloudSim, String) {
    let sim = NextcloudSim::new();
    sim.add_user(WEBDAV_USER, WEBDAV_PASSWORD);
    let (origin, _) = sim.spawn().await.unwrap();
    (sim, origin)
}

fn dav_url(origin: &str) -> String {
    format!("{origin}/remote.php/dav/files/{WEBDAV_USER}/")
}

// ---------------------------------------------------------------- conformance

#[tokio::test]
async fn wsgidav_passes_the_provider_conformance_checks() {
    let dir = tempfile::tempdir().unwrap();
    let server = WebdavServer::start(WebdavKind::Wsgidav, dir.path());
    let provider = password_provider(&loopback_deps(), &server.url, WEBDAV_PASSWORD);
    conformance::run(provider, &DiskBackend { root: dir.path().to_path_buf() }).await;
}

#[tokio::test]
async fn rclone_serve_webdav_passes_the_provider_conformance_checks() {
    let dir = tempfile::tempdir().unwrap();
    let server = WebdavServer::start(WebdavKind::Rclone, dir.path());
    let provider = password_provider(&loopback_deps(), &server.url, WEBDAV_PASSWORD);
    conformance::run(provider, &DiskBackend { root: dir.path().to_path_buf() }).await;
}

#[tokio::test]
async fn the_nextcloud_simulator_passes_the_provider_conformance_checks() {
    let (sim, origin) = nextcloud().await;
    let provider = password_provider(&loopback_deps(), &dav_url(&origin), WEBDAV_PASSWORD);
    conformance::run(provider, &SimBackend { sim }).await;
}

// ---------------------------------------------------------------- change detection

/// /Docs/a.txt, /Docs/L1/b.txt, /Docs/L1/L2/c.txt, /Docs/L1/L2/L3/d.txt, /Docs/Side/e.txt
const TREE: [&str; 5] = [
    "/Docs/a.txt",
    "/Docs/L1/b.txt",
    "/Docs/L1/L2/c.txt",
    "/Docs/L1/L2/L3/d.txt",
    "/Docs/Side/e.txt",
];
const TREE_FOLDERS: u64 = 5;

#[tokio::test]
async fn unchanged_subtrees_are_skipped_where_folder_etags_propagate() {
    let (sim, origin) = nextcloud().await;
    for path in TREE {
        sim.put_file(WEBDAV_USER, path, format!("content of {path}")).unwrap();
    }
    let provider = password_provider(&loopback_deps(), &dav_url(&origin), WEBDAV_PASSWORD);
    let selection = vec![source("/Docs")];

    sim.reset_counts();
    let cursors = provider.start_cursors(&selection).await.unwrap();
    assert_eq!(sim.counts().propfind, TREE_FOLDERS, "the first snapshot lists every folder once");
    sim.reset_counts();
    let listed = list_all(provider.as_ref(), &selection[0]).await;
    assert_eq!(listed.len(), TREE.len());
    assert_eq!(sim.counts().propfind, TREE_FOLDERS, "the listing lists every folder once");

    // Nothing changed: one PROPFIND of the selected folder answers it.
    sim.reset_counts();
    let (changes, cursor) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(sim.counts().total, 1, "a no-change incremental costs one request");
    assert_eq!(cursor, cursors[0].cursor, "and keeps the cursor");

    // A change three levels down: only the folders on its path are listed.
    sim.put_file(WEBDAV_USER, "/Docs/L1/L2/L3/d.txt", "changed, and longer").unwrap();
    sim.reset_counts();
    let (changes, cursor) = drain(provider.as_ref(), &selection, &cursors[0].scope, &cursor).await;
    let (upserts, deletes) = split(&changes);
    assert_eq!(upserts.keys().collect::<Vec<_>>(), ["/Docs/L1/L2/L3/d.txt"]);
    assert!(deletes.is_empty());
    assert_eq!(sim.counts().propfind, 4, "Docs, L1, L2, L3 - not Side");

    sim.reset_counts();
    let (changes, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, &cursor).await;
    assert!(changes.is_empty());
    assert_eq!(sim.counts().total, 1);
}

#[tokio::test]
async fn without_folder_etags_every_folder_is_listed_and_files_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    let backend = DiskBackend { root: dir.path().to_path_buf() };
    for path in TREE {
        backend.write(path, format!("content of {path}").as_bytes()).await;
    }
    let server = WebdavServer::start(WebdavKind::Wsgidav, dir.path());
    let deps = loopback_deps();
    let provider = password_provider(&deps, &server.url, WEBDAV_PASSWORD);
    let selection = vec![source("/Docs")];
    let cursors = provider.start_cursors(&selection).await.unwrap();

    let before = deps.sent.load(Ordering::SeqCst);
    let (changes, cursor) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(deps.sent.load(Ordering::SeqCst) - before, TREE_FOLDERS, "one PROPFIND per folder");

    backend.write("/Docs/L1/L2/L3/d.txt", b"changed, and longer").await;
    let (changes, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, &cursor).await;
    let (upserts, deletes) = split(&changes);
    assert_eq!(upserts.keys().collect::<Vec<_>>(), ["/Docs/L1/L2/L3/d.txt"]);
    assert!(deletes.is_empty());
}

#[tokio::test]
async fn a_rename_keeps_the_id_with_oc_fileid_and_is_delete_plus_add_without() {
    // Nextcloud: the id is oc:fileid and survives the rename.
    let (sim, origin) = nextcloud().await;
    let id = sim.put_file(WEBDAV_USER, "/Docs/old.txt", "text").unwrap();
    let provider = password_provider(&loopback_deps(), &dav_url(&origin), WEBDAV_PASSWORD);
    let selection = vec![source("/Docs")];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    sim.move_item(WEBDAV_USER, "/Docs/old.txt", "/Docs/new.txt").unwrap();
    let (changes, _) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    match changes.as_slice() {
        [Change::Upsert(item)] => assert_eq!(
            (item.id.as_str(), item.path.as_str()),
            (id.to_string().as_str(), "/Docs/new.txt")
        ),
        other => panic!("expected one upsert: {other:#?}"),
    }

    // wsgidav: no oc:fileid, the id is the path.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("Docs")).unwrap();
    std::fs::write(dir.path().join("Docs/old.txt"), "text").unwrap();
    let server = WebdavServer::start(WebdavKind::Wsgidav, dir.path());
    let provider = password_provider(&loopback_deps(), &server.url, WEBDAV_PASSWORD);
    let cursors = provider.start_cursors(&selection).await.unwrap();
    std::fs::rename(dir.path().join("Docs/old.txt"), dir.path().join("Docs/new.txt")).unwrap();
    let (changes, _) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (upserts, deletes) = split(&changes);
    assert_eq!(upserts["/Docs/new.txt"].id, "/Docs/new.txt");
    assert_eq!(deletes.into_iter().collect::<Vec<_>>(), ["/Docs/old.txt"]);
}

#[tokio::test]
async fn a_folder_moved_within_the_selection_keeps_its_file_ids() {
    let (sim, origin) = nextcloud().await;
    let b = sim.put_file(WEBDAV_USER, "/Docs/A/Sub/b.txt", "bee").unwrap();
    let c = sim.put_file(WEBDAV_USER, "/Docs/A/Sub/Deep/c.txt", "sea").unwrap();
    sim.mkdir(WEBDAV_USER, "/Docs/B").unwrap();
    let provider = password_provider(&loopback_deps(), &dav_url(&origin), WEBDAV_PASSWORD);
    let selection = vec![source("/Docs")];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    sim.move_item(WEBDAV_USER, "/Docs/A/Sub", "/Docs/B/Moved").unwrap();
    let (changes, _) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (upserts, deletes) = split(&changes);
    assert!(deletes.is_empty(), "a move is no delete: {changes:#?}");
    assert_eq!(upserts["/Docs/B/Moved/b.txt"].id, b.to_string());
    assert_eq!(upserts["/Docs/B/Moved/Deep/c.txt"].id, c.to_string());
    assert_eq!(upserts.len(), 2);
}

#[tokio::test]
async fn etags_quoted_or_not_are_normalized_to_the_get_etag() {
    for kind in [WebdavKind::Wsgidav, WebdavKind::Rclone] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file.txt"), "some content").unwrap();
        let server = WebdavServer::start(kind, dir.path());
        let provider = password_provider(&loopback_deps(), &server.url, WEBDAV_PASSWORD);
        let listed = list_all(provider.as_ref(), &source("/")).await;
        let version = listed["/file.txt"].version.clone().unwrap();
        assert!(!version.contains('"'), "{kind:?}: {version}");
        let header = reqwest::Client::new()
            .get(format!("{}file.txt", server.url))
            .basic_auth(WEBDAV_USER, Some(WEBDAV_PASSWORD))
            .send()
            .await
            .unwrap()
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(header.starts_with('"'), "{kind:?} quotes the ETag header: {header}");
        assert_eq!(normalize_etag(&header).as_deref(), Some(version.as_str()), "{kind:?}");
    }
}

#[tokio::test]
async fn a_ten_thousand_file_cursor_is_compact_and_a_no_change_sync_is_one_request() {
    let (sim, origin) = nextcloud().await;
    for folder in 0..100 {
        for file in 0..100 {
            sim.put_file(
                WEBDAV_USER,
                &format!("/Archive/folder-{folder:03}/report-{file:04}.pdf"),
                vec![b'x'; 10],
            )
            .unwrap();
        }
    }
    let provider = password_provider(&loopback_deps(), &dav_url(&origin), WEBDAV_PASSWORD);
    let selection = vec![source("/Archive")];
    sim.reset_counts();
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let cursor = &cursors[0].cursor;
    let scope = Scope { path: "/Archive".into(), recursive: true };
    assert_eq!(cursor_file_count(cursor, &scope).unwrap(), 10_000);
    println!(
        "cursor for 10,000 files: {} bytes; snapshot PROPFINDs: {}",
        cursor.len(),
        sim.counts().propfind
    );
    assert!(cursor.len() < 300_000, "cursor is {} bytes", cursor.len());
    assert_eq!(sim.counts().propfind, 101);

    sim.reset_counts();
    let (changes, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, cursor).await;
    assert!(changes.is_empty());
    assert_eq!(sim.counts().total, 1);

    // One change in every folder: the pass is paged, and a page's cursor resumes it.
    for folder in 0..100 {
        sim.put_file(
            WEBDAV_USER,
            &format!("/Archive/folder-{folder:03}/report-0007.pdf"),
            vec![b'y'; 11],
        )
        .unwrap();
    }
    let mut cursor = cursor.clone();
    let mut pages = 0;
    let mut upserts = std::collections::BTreeSet::new();
    loop {
        let page = provider.changes(&selection, &cursors[0].scope, &cursor).await.unwrap();
        pages += 1;
        for change in page.changes {
            match change {
                Change::Upsert(item) => {
                    assert!(upserts.insert(item.path.clone()), "{} twice", item.path)
                }
                Change::Delete { id } => panic!("unexpected delete of {id}"),
            }
        }
        cursor = page.cursor;
        if page.done {
            break;
        }
    }
    assert!(pages >= 2, "101 folders take more than one page, got {pages}");
    assert_eq!(upserts.len(), 100);
}

// ---------------------------------------------------------------- server URLs, auth, errors

#[tokio::test]
async fn a_bare_host_url_finds_the_nextcloud_dav_root() {
    let (sim, origin) = nextcloud().await;
    sim.put_file(WEBDAV_USER, "/Docs/a.txt", "alpha").unwrap();
    let provider = password_provider(&loopback_deps(), &origin, WEBDAV_PASSWORD);
    let account = provider.test().await.unwrap();
    assert_eq!(account.label, "alice @ 127.0.0.1");
    let folders = provider.list_folders(None).await.unwrap();
    assert_eq!(folders.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["/Docs"]);
    assert_eq!(folders[0].file_count, Some(1), "Nextcloud counts come with the listing");
    assert_eq!(folders[0].has_children, Some(false));

    // A plain WebDAV root is used as typed; a bare wsgidav host is probed too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("Shared")).unwrap();
    let server = WebdavServer::start(WebdavKind::Wsgidav, dir.path());
    let provider = password_provider(&loopback_deps(), &server.origin, WEBDAV_PASSWORD);
    let folders = provider.list_folders(None).await.unwrap();
    assert_eq!(folders.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["/Shared"]);
    assert_eq!(folders[0].file_count, None, "no counts a Depth 1 PROPFIND did not give");
    assert_eq!(folders[0].has_children, None);
}

#[tokio::test]
async fn a_wrong_password_is_auth_expired_and_says_so() {
    let (_sim, origin) = nextcloud().await;
    let dir = tempfile::tempdir().unwrap();
    let server = WebdavServer::start(WebdavKind::Wsgidav, dir.path());
    for url in [dav_url(&origin), server.url.clone()] {
        let provider = password_provider(&loopback_deps(), &url, "not-the-password");
        let err = provider.test().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AuthExpired, "{url}: {err}");
        assert!(err.message().contains("wrong password"), "{}", err.message());
        assert!(!format!("{err:?}").contains("not-the-password"), "no secret in errors");
    }
}

#[tokio::test]
async fn the_ssrf_guard_refuses_loopback_unless_allow_listed() {
    let (sim, origin) = nextcloud().await;
    let strict = HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), fast_retries());
    let provider = password_provider(&strict, &dav_url(&origin), WEBDAV_PASSWORD);
    let err = provider.test().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    assert!(err.message().contains("internal address"), "{}", err.message());
    // A bare host is probed, and each probe is refused too.
    let provider = password_provider(&strict, &origin, WEBDAV_PASSWORD);
    assert_eq!(provider.test().await.unwrap_err().kind(), ErrorKind::Invalid);
    assert_eq!(sim.counts().total, 0, "nothing reached the server");

    let provider = password_provider(&loopback_deps(), &dav_url(&origin), WEBDAV_PASSWORD);
    provider.test().await.unwrap();
    assert_eq!(sim.counts().total, 1);
}

#[tokio::test]
async fn html_pages_and_non_webdav_servers_are_explained() {
    // An HTTP server that is no WebDAV server: 405 for every PROPFIND.
    let router = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::METHOD_NOT_ALLOWED, "no") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let provider = password_provider(
        &loopback_deps(),
        &format!("http://{addr}/remote.php/dav/files/alice/"),
        "pw",
    );
    let err = provider.test().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.message().contains("not a WebDAV server"), "{}", err.message());

    // A web UI answering every request with a login page.
    let html = axum::Router::new().fallback(|| async {
        axum::response::Html("<!DOCTYPE html><html><body>Log in</body></html>")
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, html).await.unwrap() });
    let provider = password_provider(
        &loopback_deps(),
        &format!("http://{addr}/remote.php/dav/files/alice/"),
        "pw",
    );
    let err = provider.test().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ParseError);
    assert!(err.message().contains("HTML page"), "{}", err.message());
}

#[tokio::test]
async fn metadata_finds_files_by_path_and_by_file_id() {
    let (sim, origin) = nextcloud().await;
    let id = sim.put_file(WEBDAV_USER, "/Docs/Read me.md", "# hi").unwrap();
    let provider = password_provider(&loopback_deps(), &dav_url(&origin), WEBDAV_PASSWORD);
    let by_path = provider.metadata("/Docs/Read me.md").await.unwrap();
    assert_eq!(
        (by_path.id.as_str(), by_path.mime_type.as_str(), by_path.size),
        (id.to_string().as_str(), "text/markdown", 4)
    );
    assert!(by_path.web_url.unwrap().ends_with(&format!("/index.php/f/{id}")));
    sim.move_item(WEBDAV_USER, "/Docs/Read me.md", "/Docs/README.md").unwrap();
    list_all(provider.as_ref(), &source("/Docs")).await;
    let by_id = provider.metadata(&id.to_string()).await.unwrap();
    assert_eq!(by_id.path, "/Docs/README.md");
    assert_eq!(
        provider.metadata("/Docs/missing.txt").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn credentials_are_checked_field_by_field() {
    let factory = WebdavFactory::new();
    assert_eq!(factory.id(), ProviderId::OwnCloud);
    let check =
        |auth, value: serde_json::Value| factory.parse_credentials(auth, &value).unwrap_err();
    assert_eq!(
        check(
            AuthType::Password,
            json!({"server_url": "cloud.example.com", "username": "a", "password": "p"})
        ),
        "server_url must be an http(s) URL"
    );
    assert_eq!(
        check(
            AuthType::Password,
            json!({"server_url": "https://c.example.com", "username": " ", "password": "p"})
        ),
        "username is required"
    );
    assert_eq!(
        check(
            AuthType::Password,
            json!({"server_url": "https://c.example.com", "username": "a", "password": ""})
        ),
        "password is required"
    );
    assert!(
        check(AuthType::Password, json!({"server_url": "https://c.example.com"}))
            .contains("username")
    );
    assert_eq!(
        check(
            AuthType::Certificate,
            json!({"server_url": "https://c.example.com", "client_cert_pem": "nope", "client_key_pem": "k"})
        ),
        "client_cert_pem must be a PEM certificate"
    );
    let debug = format!(
        "{:?}",
        factory
            .parse_credentials(AuthType::Password, &json!({"server_url": "https://c.example.com", "username": "a", "password": "hunter2"}))
            .unwrap()
    );
    assert!(!debug.contains("hunter2"), "{debug}");
}

// ---------------------------------------------------------------- recorded bodies

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webdav").join(name))
        .unwrap()
}

#[test]
fn the_rfc_4918_examples_parse() {
    // §9.1.5: absolute-path hrefs, a quoted ETag, a folder and a file.
    let root = DavRoot::new(url::Url::parse("http://www.example.com/").unwrap());
    let entries = parse_multistatus(&fixture("rfc4918-9.1.5-allprop.xml"), &root).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[0].path.as_str(), entries[0].is_folder), ("/container", true));
    let file = &entries[1];
    assert_eq!((file.path.as_str(), file.is_folder), ("/container/front.html", false));
    assert_eq!(file.etag.as_deref(), Some("zzyzx"));
    assert_eq!(file.length, Some(4525));
    assert_eq!(file.content_type.as_deref(), Some("text/html"));
    assert_eq!(file.modified.unwrap().to_rfc3339(), "1998-01-12T09:25:56.000Z");

    // §9.1.3: an absolute-URL href and a 403 propstat that must be ignored.
    let entries = parse_multistatus(&fixture("rfc4918-9.1.3-forbidden-prop.xml"), &root).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].path, "/file");
}

#[test]
fn a_recorded_nextcloud_answer_parses() {
    let root = DavRoot::new(
        url::Url::parse("https://cloud.example.com/remote.php/dav/files/alice%40example.com/")
            .unwrap(),
    );
    let entries = parse_multistatus(&fixture("nextcloud-propfind-depth1.xml"), &root).unwrap();
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/Documents", "/Documents/Example & Co.md", "/Documents/Photos été"]);
    let folder = &entries[0];
    assert_eq!(
        (folder.is_folder, folder.etag.as_deref(), folder.file_id.as_deref()),
        (true, Some("6436d084d4805"), Some("7"))
    );
    assert_eq!(
        (folder.oc_size, folder.length),
        (Some(3_050_237), None),
        "the 404 propstat is ignored"
    );
    let file = &entries[1];
    assert_eq!(file.etag.as_deref(), Some("50ef2eba7b74aa84feff013efee2a5ef"));
    assert_eq!(
        (file.file_id.as_deref(), file.length, file.permissions.as_deref()),
        (Some("259"), Some(20_000), Some("RGDNVW"))
    );
    assert_eq!(file.content_type.as_deref(), Some("text/markdown"));
    assert!(entries[2].is_folder);

    let err = parse_multistatus(b"<!DOCTYPE html><html></html>", &root).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ParseError);
    let err = parse_multistatus(b"{\"json\": true}", &root).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ParseError);
}

// ---------------------------------------------------------------- client certificates

struct Pki {
    ca_pem: String,
    server_cert: rustls::pki_types::CertificateDer<'static>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
    client_cert_pem: String,
    client_key_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client_cert = CertificateParams::new(vec!["alice".to_string()])
        .unwrap()
        .signed_by(&client_key, &issuer)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        server_cert: server_cert.der().clone(),
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// A TLS listener that requires a client certificate signed by the CA.
struct MutualTls {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for MutualTls {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else { continue };
            // Handshakes without a valid client certificate fail here.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

async fn serve_mutual_tls(pki: &Pki, router: axum::Router) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
        .unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = MutualTls { tcp, acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)) };
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("https://127.0.0.1:{port}/remote.php/dav/files/{WEBDAV_USER}/")
}

#[tokio::test]
async fn a_client_certificate_and_a_private_ca_connect_over_mutual_tls() {
    let pki = pki();
    let sim = NextcloudSim::new();
    sim.add_user(WEBDAV_USER, WEBDAV_PASSWORD);
    // The TLS layer authenticates; the server behind it maps the certificate to alice.
    sim.set_open(true);
    sim.put_file(WEBDAV_USER, "/Docs/a.txt", "alpha").unwrap();
    let url = serve_mutual_tls(&pki, sim.router()).await;
    let credentials = |cert: &str, key: &str, ca: Option<&str>| json!({"server_url": url, "username": WEBDAV_USER, "client_cert_pem": cert, "client_key_pem": key, "ca_pem": ca});

    let provider = connect(
        &loopback_deps(),
        AuthType::Certificate,
        credentials(&pki.client_cert_pem, &pki.client_key_pem, Some(&pki.ca_pem)),
    );
    provider.test().await.unwrap();
    let listed = list_all(provider.as_ref(), &source("/Docs")).await;
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["/Docs/a.txt"]);
    let bytes =
        conformance::download(provider.as_ref(), &listed["/Docs/a.txt"], 100).await.unwrap();
    assert_eq!(bytes, b"alpha");
    let served = sim.counts().total;

    // Without the private CA the server certificate is not trusted.
    let provider = connect(
        &loopback_deps(),
        AuthType::Certificate,
        credentials(&pki.client_cert_pem, &pki.client_key_pem, None),
    );
    assert!(provider.test().await.is_err(), "an unknown issuer must be refused");

    // A certificate from another CA is refused by the server.
    let other = self::pki();
    let provider = connect(
        &loopback_deps(),
        AuthType::Certificate,
        credentials(&other.client_cert_pem, &other.client_key_pem, Some(&pki.ca_pem)),
    );
    assert!(provider.test().await.is_err(), "a foreign client certificate must be refused");
    assert_eq!(sim.counts().total, served, "no request got through without a valid certificate");
}

/// Requests of a full sync's metadata (snapshot + listing) and of a no-change
/// incremental sync over [`TREE`], by server. Downloads add one GET per file.
#[tokio::test]
async fn request_counts_of_full_and_no_change_syncs_per_server() {
    let dir = tempfile::tempdir().unwrap();
    let backend = DiskBackend { root: dir.path().to_path_buf() };
    for path in TREE {
        backend.write(path, format!("content of {path}").as_bytes()).await;
    }
    let wsgidav = WebdavServer::start(WebdavKind::Wsgidav, dir.path());
    let rclone = WebdavServer::start(WebdavKind::Rclone, dir.path());
    let (sim, origin) = nextcloud().await;
    for path in TREE {
        sim.put_file(WEBDAV_USER, path, format!("content of {path}")).unwrap();
    }
    let selection = vec![source("/Docs")];
    // (server, snapshot, listing, no-change incremental)
    let expected = [("wsgidav", 5, 5, 5), ("rclone", 5, 5, 5), ("nextcloud-sim", 5, 5, 1)];
    for ((name, snapshot, listing, incremental), url) in
        expected.into_iter().zip([wsgidav.url.clone(), rclone.url.clone(), dav_url(&origin)])
    {
        let deps = loopback_deps();
        let sent = || deps.sent.load(Ordering::SeqCst);
        let provider = password_provider(&deps, &url, WEBDAV_PASSWORD);
        let cursors = provider.start_cursors(&selection).await.unwrap();
        let after_snapshot = sent();
        let listed = list_all(provider.as_ref(), &selection[0]).await;
        assert_eq!(listed.len(), TREE.len());
        let after_listing = sent();
        let (changes, _) =
            drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
        assert!(changes.is_empty(), "{name}: {changes:#?}");
        let counts = (after_snapshot, after_listing - after_snapshot, sent() - after_listing);
        println!(
            "{name}: snapshot {} + listing {} requests; no-change incremental {}",
            counts.0, counts.1, counts.2
        );
        assert_eq!(counts, (snapshot, listing, incremental), "{name}");
    }
}
