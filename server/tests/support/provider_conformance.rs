//! The checks every provider must pass, written once over a
//! [`ConformanceBackend`] that changes the remote tree (files on disk behind a
//! WebDAV server, a simulator's Rust API, a sandbox's control surface…).
//!
//! [`run`] seeds a small tree, lists it, then changes it step by step and
//! checks that the change feed reports exactly each change, with the right ids
//! and paths, and nothing on a second call.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use app::model::SourcePath;
use async_trait::async_trait;
use cloud_sources::providers::{Change, ErrorKind, Provider, RemoteItem};
use futures::StreamExt;

/// Changes the remote tree. Paths are the provider's user-visible paths
/// (`/Docs/a.txt`).
#[async_trait]
pub trait ConformanceBackend: Send + Sync {
    /// Whether an item keeps its id across rename and move.
    fn stable_ids(&self) -> bool;
    /// Creates or overwrites a file (parents are created).
    async fn write(&self, path: &str, content: &[u8]);
    async fn mkdir(&self, path: &str);
    /// Renames or moves a file or folder.
    async fn rename(&self, from: &str, to: &str);
    /// Deletes a file or a folder with everything in it.
    async fn remove(&self, path: &str);
    /// Where the backend's paths sit in the provider's paths, for providers
    /// whose picker starts with drives (`/My Drive`); empty when the backend's
    /// top folders are the picker's roots.
    fn root_path(&self) -> &str {
        ""
    }
}

pub fn source(path: &str) -> SourcePath {
    SourcePath { path: path.to_string(), remote_id: path.to_string(), include_subfolders: true }
}

/// Every file of a selection, by path, across all pages.
pub async fn list_all(
    provider: &dyn Provider,
    selection: &SourcePath,
) -> BTreeMap<String, RemoteItem> {
    let mut items = BTreeMap::new();
    let mut page: Option<String> = None;
    for _ in 0..10_000 {
        let listed = provider.list_page(selection, page.as_deref()).await.expect("list_page");
        for item in listed.items {
            assert!(!item.is_folder, "listings return files only: {}", item.path);
            assert!(items.insert(item.path.clone(), item).is_none(), "listed twice");
        }
        match listed.next {
            Some(next) => page = Some(next),
            None => return items,
        }
    }
    panic!("the listing never ended");
}

/// All pages of changes since `cursor`; returns them and the next cursor.
pub async fn drain(
    provider: &dyn Provider,
    selection: &[SourcePath],
    scope: &str,
    cursor: &str,
) -> (Vec<Change>, String) {
    let mut cursor = cursor.to_string();
    let mut all = Vec::new();
    for _ in 0..10_000 {
        let page = provider.changes(selection, scope, &cursor).await.expect("changes");
        all.extend(page.changes);
        cursor = page.cursor;
        if page.done {
            return (all, cursor);
        }
    }
    panic!("the change feed never finished");
}

/// Splits changes into upserts (by path) and deletes (ids), failing on duplicates.
pub fn split(changes: &[Change]) -> (BTreeMap<String, RemoteItem>, BTreeSet<String>) {
    let mut upserts = BTreeMap::new();
    let mut deletes = BTreeSet::new();
    for change in changes {
        match change {
            Change::Upsert(item) => {
                assert!(
                    upserts.insert(item.path.clone(), (**item).clone()).is_none(),
                    "{changes:#?}"
                )
            }
            Change::Delete { id } => assert!(deletes.insert(id.clone()), "{changes:#?}"),
        }
    }
    (upserts, deletes)
}

fn paths(items: &BTreeMap<String, RemoteItem>) -> Vec<&str> {
    items.keys().map(String::as_str).collect()
}

/// The items keyed by their path below `prefix` (see [`ConformanceBackend::root_path`]).
fn below(prefix: &str, items: BTreeMap<String, RemoteItem>) -> BTreeMap<String, RemoteItem> {
    items
        .into_iter()
        .map(|(path, item)| match path.strip_prefix(prefix) {
            Some(rest) => (rest.to_string(), item),
            None => panic!("{path} is not below {prefix:?}"),
        })
        .collect()
}

/// One step: apply a change, then expect exactly these upserted paths and
/// deleted ids, and nothing more on a second call.
struct Feed<'a> {
    provider: &'a dyn Provider,
    prefix: String,
    selection: Vec<SourcePath>,
    scope: String,
    cursor: String,
}

impl Feed<'_> {
    async fn expect(
        &mut self,
        what: &str,
        upserts: &[&str],
        deletes: &[&str],
    ) -> BTreeMap<String, RemoteItem> {
        let (changes, cursor) =
            drain(self.provider, &self.selection, &self.scope, &self.cursor).await;
        let (up, del) = split(&changes);
        let up = below(&self.prefix, up);
        assert_eq!(paths(&up), upserts, "{what}: upserted paths; changes: {changes:#?}");
        let deletes: BTreeSet<String> = deletes.iter().map(|d| d.to_string()).collect();
        assert_eq!(del, deletes, "{what}: deleted ids; changes: {changes:#?}");
        let (again, cursor) = drain(self.provider, &self.selection, &self.scope, &cursor).await;
        assert!(
            again.is_empty(),
            "{what}: a second call with the new cursor reports nothing: {again:#?}"
        );
        self.cursor = cursor;
        up
    }
}

/// Runs every check against a provider whose backend starts empty.
pub async fn run(provider: Arc<dyn Provider>, backend: &dyn ConformanceBackend) {
    let provider = provider.as_ref();
    backend.write("/Docs/a.txt", b"alpha").await;
    backend.write("/Docs/Sub/b.txt", b"bravo!").await;
    backend.write("/Docs/Sub/Deep/c.txt", b"charlie..").await;
    backend.mkdir("/Docs/Empty").await;
    backend.write("/Other/x.txt", b"x-ray").await;

    // The folder picker (below the backend's drive, when the picker starts with drives).
    let prefix = backend.root_path().to_string();
    let mut roots = provider.list_folders(None).await.expect("list_folders(None)");
    if !prefix.is_empty() {
        let drive = roots
            .iter()
            .find(|f| f.path == prefix)
            .unwrap_or_else(|| panic!("{prefix} among the picker's roots: {roots:?}"));
        assert!(drive.selectable);
        roots = provider.list_folders(Some(&drive.remote_id)).await.expect("list_folders(drive)");
        for folder in &mut roots {
            folder.path = folder.path.strip_prefix(&prefix).expect("below the drive").to_string();
        }
    }
    let names: Vec<(&str, &str)> =
        roots.iter().map(|f| (f.name.as_str(), f.path.as_str())).collect();
    assert_eq!(names, [("Docs", "/Docs"), ("Other", "/Other")], "top-level folders");
    let docs = &roots[0];
    let children = provider.list_folders(Some(&docs.remote_id)).await.expect("list_folders(Docs)");
    let names: Vec<(&str, &str)> = children
        .iter()
        .map(|f| (f.name.as_str(), f.path.strip_prefix(&prefix).unwrap_or(&f.path)))
        .collect();
    assert_eq!(names, [("Empty", "/Docs/Empty"), ("Sub", "/Docs/Sub")], "folders in /Docs");
    assert!(children.iter().all(|f| f.selectable));

    // Cursors first, then the listing (the engine's order for a full sync).
    // Selected as the picker names it (a path for WebDAV, an id for Graph and Drive).
    let selection = vec![SourcePath {
        path: format!("{prefix}{}", docs.path),
        remote_id: docs.remote_id.clone(),
        include_subfolders: true,
    }];
    let cursors = provider.start_cursors(&selection).await.expect("start_cursors");
    assert_eq!(cursors.len(), 1);
    let listed = below(&prefix, list_all(provider, &selection[0]).await);
    assert_eq!(
        paths(&listed),
        ["/Docs/Sub/Deep/c.txt", "/Docs/Sub/b.txt", "/Docs/a.txt"],
        "listing equals the tree"
    );
    let ids: BTreeSet<&str> = listed.values().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "ids are distinct");
    let a = &listed["/Docs/a.txt"];
    assert_eq!((a.name.as_str(), a.size), ("a.txt", 5));
    assert!(a.version.is_some());

    // Downloads return the bytes and respect the size cap.
    let bytes = download(provider, a, 1024).await.expect("download");
    assert_eq!(bytes, b"alpha");
    let err = download(provider, a, 3).await.expect_err("over the cap");
    assert_eq!(err, ErrorKind::TooLarge);

    let mut feed = Feed {
        provider,
        prefix: prefix.clone(),
        selection: selection.clone(),
        scope: cursors[0].scope.clone(),
        cursor: cursors[0].cursor.clone(),
    };
    feed.expect("nothing changed", &[], &[]).await;

    let added = feed
        .expect_after(
            backend,
            Step::Write("/Docs/Sub/new.txt", b"november"),
            &["/Docs/Sub/new.txt"],
            &[],
        )
        .await;
    let new_id = added["/Docs/Sub/new.txt"].id.clone();

    let modified = feed
        .expect_after(
            backend,
            Step::Write("/Docs/a.txt", b"alpha, modified"),
            &["/Docs/a.txt"],
            &[],
        )
        .await;
    assert_eq!(modified["/Docs/a.txt"].id, a.id, "a modification keeps the id");
    assert_ne!(modified["/Docs/a.txt"].version, a.version, "a modification changes the version");

    let b_id = listed["/Docs/Sub/b.txt"].id.clone();
    let b2_id =
        feed.expect_moved(backend, "/Docs/Sub/b.txt", "/Docs/Sub/b2.txt", &b_id, "rename").await;
    let c_id = listed["/Docs/Sub/Deep/c.txt"].id.clone();
    let c_id =
        feed.expect_moved(backend, "/Docs/Sub/Deep/c.txt", "/Docs/c.txt", &c_id, "move").await;

    feed.expect_after(backend, Step::Remove("/Docs/a.txt"), &[], &[&a.id]).await;
    // /Docs/Sub now holds b2.txt, new.txt and the empty Deep.
    feed.expect_after(backend, Step::Remove("/Docs/Sub"), &[], &[&b2_id, &new_id]).await;
    // Moving out of the selection is a delete.
    feed.expect_after(backend, Step::Rename("/Docs/c.txt", "/Other/c.txt"), &[], &[&c_id]).await;

    let left = list_all(provider, &selection[0]).await;
    assert!(left.is_empty(), "nothing left under /Docs: {:?}", paths(&left));
}

enum Step<'a> {
    Write(&'a str, &'a [u8]),
    Rename(&'a str, &'a str),
    Remove(&'a str),
}

impl Feed<'_> {
    async fn expect_after(
        &mut self,
        backend: &dyn ConformanceBackend,
        step: Step<'_>,
        upserts: &[&str],
        deletes: &[&str],
    ) -> BTreeMap<String, RemoteItem> {
        let what = match step {
            Step::Write(path, content) => {
                backend.write(path, content).await;
                format!("write {path}")
            }
            Step::Rename(from, to) => {
                backend.rename(from, to).await;
                format!("rename {from} -> {to}")
            }
            Step::Remove(path) => {
                backend.remove(path).await;
                format!("remove {path}")
            }
        };
        self.expect(&what, upserts, deletes).await
    }

    /// A rename or move: one upsert of the same id where ids are stable,
    /// otherwise a delete of the old id and an upsert with a new one. Returns
    /// the id after the move.
    async fn expect_moved(
        &mut self,
        backend: &dyn ConformanceBackend,
        from: &str,
        to: &str,
        id: &str,
        what: &str,
    ) -> String {
        backend.rename(from, to).await;
        if backend.stable_ids() {
            let up = self.expect(what, &[to], &[]).await;
            assert_eq!(up[to].id, id, "{what}: the id survives");
            id.to_string()
        } else {
            let up = self.expect(what, &[to], &[id]).await;
            assert_ne!(up[to].id, id, "{what}: a new id without stable ids");
            up[to].id.clone()
        }
    }
}

/// Downloads a whole file, or the kind of the error.
pub async fn download(
    provider: &dyn Provider,
    item: &RemoteItem,
    max: u64,
) -> Result<Vec<u8>, ErrorKind> {
    let mut stream = provider.download(item, max).await.map_err(|e| e.kind())?;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.map_err(|e| e.kind())?);
    }
    Ok(out)
}

/// "A file that always fails" (the simulators' `failing_downloads` fault, set by
/// the caller on `failing`): every download of it fails with the same error,
/// retried as temporary and then recorded as a `network` per-file error, while
/// `healthy`, beside it, still downloads.
pub async fn expect_failing_download(
    provider: &dyn Provider,
    failing: &RemoteItem,
    healthy: &RemoteItem,
) {
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let kind = download(provider, failing, 1 << 20).await.expect_err("the file always fails");
        kinds.push(kind);
    }
    assert_eq!(kinds, [ErrorKind::Transient, ErrorKind::Transient], "{}", failing.path);
    assert_eq!(kinds[0].file_error_type(), app::model::FileErrorType::Network);
    let bytes = download(provider, healthy, 1 << 20).await;
    assert!(bytes.is_ok_and(|b| !b.is_empty()), "{} still downloads", healthy.path);
}

/// Changes the documents of a provider whose documents live in flat containers (Confluence
/// spaces, Jira projects) rather than a file tree. Ids are the provider's.
#[async_trait]
pub trait ContainerBackend: Send + Sync {
    /// Creates an empty container shown in the picker as `name`.
    async fn add_container(&self, name: &str);
    /// Adds a document titled `title` whose text includes `text`; returns its id.
    async fn add(&self, container: &str, title: &str, text: &str) -> String;
    async fn edit(&self, id: &str, text: &str);
    async fn retitle(&self, id: &str, title: &str);
    /// Moves a document to another container; returns its id there.
    async fn move_to(&self, id: &str, container: &str) -> String;
    async fn remove(&self, id: &str);
    /// Documents a new container starts with (a Confluence space's home page).
    async fn existing(&self, _container: &str) -> Vec<String> {
        Vec::new()
    }
}

/// All pages of changes, as upserted items by id and deleted ids; a second call with the
/// returned cursor must report nothing.
async fn expect_ids(
    provider: &dyn Provider,
    selection: &[SourcePath],
    scope: &str,
    cursor: &mut String,
    what: &str,
    upserts: &[&str],
    deletes: &[&str],
) -> BTreeMap<String, RemoteItem> {
    let (changes, next) = drain(provider, selection, scope, cursor).await;
    let mut up = BTreeMap::new();
    let mut del = BTreeSet::new();
    for change in &changes {
        match change {
            Change::Upsert(item) => {
                assert!(up.insert(item.id.clone(), (**item).clone()).is_none(), "{changes:#?}")
            }
            Change::Delete { id } => assert!(del.insert(id.clone()), "{changes:#?}"),
        }
    }
    let ids: Vec<&str> = up.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = upserts.to_vec();
    expected.sort();
    assert_eq!(ids, expected, "{what}: upserted ids; changes: {changes:#?}");
    let deletes: BTreeSet<String> = deletes.iter().map(|d| d.to_string()).collect();
    assert_eq!(del, deletes, "{what}: deleted ids; changes: {changes:#?}");
    let (again, next) = drain(provider, selection, scope, &next).await;
    assert!(again.is_empty(), "{what}: a second call reports nothing: {again:#?}");
    *cursor = next;
    up
}

/// The conformance checks for container-shaped providers: the picker, the listing,
/// downloads with the size cap, and a change feed that reports exactly each addition, edit,
/// retitle, move out of the selection and deletion, then nothing more.
pub async fn run_containers(provider: Arc<dyn Provider>, backend: &dyn ContainerBackend) {
    let provider = provider.as_ref();
    backend.add_container("Docs").await;
    backend.add_container("Other").await;
    let alpha = backend.add("Docs", "Alpha plan", "alpha text of the plan").await;
    let bravo = backend.add("Docs", "Bravo notes", "bravo text").await;
    backend.add("Other", "X-ray", "not selected").await;

    let roots = provider.list_folders(None).await.expect("list_folders(None)");
    let docs = roots.iter().find(|f| f.name == "Docs").expect("Docs in the picker");
    assert_eq!(docs.path, "/Docs");
    assert!(docs.selectable);
    assert!(roots.iter().any(|f| f.name == "Other" && f.path == "/Other"), "{roots:?}");

    let selection = vec![SourcePath {
        path: docs.path.clone(),
        remote_id: docs.remote_id.clone(),
        include_subfolders: true,
    }];
    let cursors = provider.start_cursors(&selection).await.expect("start_cursors");
    assert_eq!(cursors.len(), 1);
    let listed = list_all(provider, &selection[0]).await;
    let baseline = backend.existing("Docs").await;
    let ids: BTreeSet<&str> = listed.values().map(|i| i.id.as_str()).collect();
    let mut expected = BTreeSet::from([alpha.as_str(), bravo.as_str()]);
    expected.extend(baseline.iter().map(String::as_str));
    assert_eq!(ids, expected, "listing: {listed:#?}");
    let a = listed.values().find(|i| i.id == alpha).unwrap();
    assert!(a.name.contains("Alpha plan") && a.path.starts_with("/Docs/"), "{a:?}");
    assert!(a.version.is_some() && a.modified_at.is_some() && a.web_url.is_some(), "{a:?}");

    let bytes = download(provider, a, 1 << 20).await.expect("download");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("alpha text of the plan"), "{text}");
    assert_eq!(download(provider, a, 3).await.expect_err("over the cap"), ErrorKind::TooLarge);

    let scope = cursors[0].scope.clone();
    let mut cursor = cursors[0].cursor.clone();
    expect_ids(provider, &selection, &scope, &mut cursor, "nothing changed", &[], &[]).await;

    let charlie = backend.add("Docs", "Charlie draft", "charlie text").await;
    expect_ids(provider, &selection, &scope, &mut cursor, "add", &[&charlie], &[]).await;

    backend.edit(&alpha, "alpha text, edited").await;
    let up = expect_ids(provider, &selection, &scope, &mut cursor, "edit", &[&alpha], &[]).await;
    assert_ne!(up[&alpha].version, a.version, "an edit changes the version");
    let bytes = download(provider, &up[&alpha], 1 << 20).await.expect("download");
    assert!(String::from_utf8_lossy(&bytes).contains("alpha text, edited"));

    backend.retitle(&bravo, "Bravo final").await;
    let up = expect_ids(provider, &selection, &scope, &mut cursor, "retitle", &[&bravo], &[]).await;
    assert!(up[&bravo].name.contains("Bravo final"), "{:?}", up[&bravo]);

    backend.move_to(&charlie, "Other").await;
    expect_ids(provider, &selection, &scope, &mut cursor, "move out", &[], &[&charlie]).await;

    backend.remove(&alpha).await;
    expect_ids(provider, &selection, &scope, &mut cursor, "remove", &[], &[&alpha]).await;

    let left = list_all(provider, &selection[0]).await;
    let ids: BTreeSet<&str> = left.values().map(|i| i.id.as_str()).collect();
    let mut expected = BTreeSet::from([bravo.as_str()]);
    expected.extend(baseline.iter().map(String::as_str));
    assert_eq!(ids, expected, "only bravo is left (and what the container started with)");
}
