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
