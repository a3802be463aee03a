//! Listing and change detection by walking folders with `PROPFIND Depth: 1`.
//!
//! WebDAV has no change feed, so the cursor of a selected folder is a compact
//! snapshot of what the last walk saw: per folder its ETag (only where ETags
//! propagate upwards, as on ownCloud / Nextcloud), per file its `oc:fileid`
//! (when the server has them) and a 64-bit hash of its version. A walk
//! compares the server with that snapshot:
//! - a folder whose propagated ETag is unchanged is skipped with its whole
//!   subtree (so a no-change sync of a Nextcloud folder is one PROPFIND);
//! - without folder ETags (wsgidav, rclone, Apache) every folder is listed and
//!   files are compared one by one;
//! - a file id seen in a new place is a rename or move: one upsert, same id;
//! - what disappeared is collected in `gone` and reported as deletes when the
//!   pass ends, because a file missing from one folder may show up in a folder
//!   listed later in the same pass (a move, not a delete).
//!
//! A pass is paged: the cursor between pages carries the snapshot, the folders
//! still to list and `gone`, so a crashed job resumes where it stopped.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use app::model::SourcePath;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::core::{
    DavRoot, Depth, PROPFIND_BODY, WebdavCore, file_name, join_path, normalize_path,
};
use super::propfind::DavEntry;
use crate::providers::tokens::{decode_compressed, decode_plain, encode_compressed, encode_plain};
use crate::providers::{
    Change, ChangePage, ErrorKind, ListPage, ProviderError, ProviderResult, RemoteItem,
};

/// A listing page lists at most this many folders...
const LIST_FOLDERS_PER_PAGE: usize = 4;
/// ...and stops early once it has this many files.
const LIST_ITEMS_PER_PAGE: usize = 500;
/// A change page lists at most this many folders...
const CHANGE_FOLDERS_PER_PAGE: usize = 64;
/// ...and stops early once it has this many changes.
const CHANGES_PER_PAGE: usize = 2000;

const CURSOR_PREFIX: &str = "wd1.";

/// A selected folder as the walk sees it.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Normalized (`/Docs`), also the change feed scope.
    pub path: String,
    pub recursive: bool,
}

impl Scope {
    pub fn of(selection: &SourcePath) -> ProviderResult<Self> {
        let path = normalize_path(&selection.path).ok_or_else(|| {
            ProviderError::invalid(format!("{:?} is not a valid folder path", selection.path))
        })?;
        Ok(Self { path, recursive: selection.include_subfolders })
    }
}

/// The entries of one folder listing: the folder itself and its direct children.
pub struct FolderListing {
    pub this: Option<DavEntry>,
    pub children: Vec<DavEntry>,
}

/// PROPFIND Depth 1 of a folder, split into the folder and its children.
pub async fn list_folder(
    core: &WebdavCore,
    root: &DavRoot,
    path: &str,
    body: &'static str,
) -> ProviderResult<FolderListing> {
    let url = root.url_for(path, true)?;
    let entries = core.webdav_propfind(root, &url, Depth::One, body).await?;
    let mut this = None;
    let mut children = Vec::new();
    for entry in entries {
        if entry.path == path {
            this = Some(entry);
        } else if parent_of(&entry.path) == path && !file_name(&entry.path).is_empty() {
            children.push(entry);
        }
    }
    Ok(FolderListing { this, children })
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The document's view of a file entry.
pub fn remote_item(entry: &DavEntry, root: &DavRoot) -> RemoteItem {
    let mut metadata = serde_json::Map::new();
    if let Some(permissions) = &entry.permissions {
        metadata.insert("permissions".into(), permissions.clone().into());
    }
    if let Some(etag) = &entry.etag {
        metadata.insert("etag".into(), etag.clone().into());
    }
    let mime_type = entry
        .content_type
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_string());
    RemoteItem {
        id: item_id(entry),
        name: file_name(&entry.path).to_string(),
        path: entry.path.clone(),
        is_folder: entry.is_folder,
        mime_type,
        size: entry.length.or(entry.oc_size).unwrap_or(0),
        modified_at: entry.modified,
        version: Some(version_of(entry)),
        web_url: web_url(entry, root),
        metadata,
    }
}

/// `oc:fileid` where the server has one (stable across rename and move),
/// otherwise the path.
pub fn item_id(entry: &DavEntry) -> String {
    entry.file_id.clone().unwrap_or_else(|| entry.path.clone())
}

/// The normalized ETag, else size and modification time.
fn version_of(entry: &DavEntry) -> String {
    match &entry.etag {
        Some(etag) => etag.clone(),
        None => format!(
            "{}-{}",
            entry.length.or(entry.oc_size).unwrap_or(0),
            entry.modified.map(|t| t.millis()).unwrap_or(0)
        ),
    }
}

/// ownCloud and Nextcloud open a file by id at `/index.php/f/{fileid}`.
fn web_url(entry: &DavEntry, root: &DavRoot) -> Option<String> {
    let id = entry.file_id.as_ref()?;
    let at = root.url().path().find("/remote.php/")?;
    let mut url = root.url().clone();
    let base = root.url().path()[..at].to_string();
    url.set_path(&format!("{base}/index.php/f/{}", crate::providers::http::encode_segment(id)));
    Some(url.to_string())
}

/// 64 bits of SHA-256: enough to notice a change, small in the cursor.
fn short_hash(text: &str) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

// ---------------------------------------------------------------- listing

#[derive(Serialize, Deserialize)]
struct ListToken {
    /// The selected folder, to refuse a token from another selection.
    root: String,
    /// Folders still to list.
    queue: VecDeque<String>,
}

/// One page of the files under a selected folder.
pub async fn list_page(
    core: &WebdavCore,
    root: &DavRoot,
    scope: &Scope,
    page: Option<&str>,
    mut seen: impl FnMut(&DavEntry) + Send,
) -> ProviderResult<ListPage> {
    let mut token = match page {
        None => ListToken { root: scope.path.clone(), queue: VecDeque::from([scope.path.clone()]) },
        Some(page) => decode_plain::<ListToken>(page)
            .filter(|t| t.root == scope.path)
            .ok_or_else(|| ProviderError::invalid("the listing page token is not valid"))?,
    };
    let mut items = Vec::new();
    let mut listed = 0;
    while listed < LIST_FOLDERS_PER_PAGE && items.len() < LIST_ITEMS_PER_PAGE {
        let Some(folder) = token.queue.pop_front() else { break };
        listed += 1;
        let listing = match list_folder(core, root, &folder, PROPFIND_BODY).await {
            Ok(listing) => listing,
            // A subfolder deleted while we walk: nothing left to list there.
            Err(e) if e.kind() == ErrorKind::NotFound && folder != scope.path => continue,
            Err(e) => return Err(e),
        };
        check_is_folder(&listing, &folder)?;
        for child in listing.children {
            if child.is_folder {
                if scope.recursive {
                    token.queue.push_back(child.path);
                }
            } else {
                seen(&child);
                items.push(remote_item(&child, root));
            }
        }
    }
    let next = (!token.queue.is_empty()).then(|| encode_plain(&token));
    Ok(ListPage { items, next })
}

fn check_is_folder(listing: &FolderListing, path: &str) -> ProviderResult<()> {
    match &listing.this {
        Some(this) if !this.is_folder => {
            Err(ProviderError::invalid(format!("{path} is a file, not a folder")))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- changes

/// A folder in the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Folder {
    /// Hash of the folder's ETag, kept only where ETags propagate.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    etag: Option<u64>,
    #[serde(rename = "f", default, skip_serializing_if = "BTreeMap::is_empty")]
    files: BTreeMap<String, FileRec>,
    #[serde(rename = "d", default, skip_serializing_if = "BTreeMap::is_empty")]
    dirs: BTreeMap<String, Folder>,
}

/// A file in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileRec {
    /// Hash of the version (ETag, else size and mtime).
    #[serde(rename = "v")]
    version: u64,
    /// `oc:fileid`; without it the id is the path, which the tree gives.
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

impl Folder {
    fn at_mut(&mut self, rel: &[&str]) -> &mut Folder {
        let mut node = self;
        for name in rel {
            node = node.dirs.entry((*name).to_string()).or_default();
        }
        node
    }

    #[cfg(test)]
    fn at(&self, rel: &[&str]) -> Option<&Folder> {
        let mut node = self;
        for name in rel {
            node = node.dirs.get(*name)?;
        }
        Some(node)
    }

    /// Every file below, as (path, id), for deletes.
    fn collect_files(&self, path: &str, out: &mut Vec<(String, Option<String>)>) {
        for (name, file) in &self.files {
            out.push((join_path(path, name), file.id.clone()));
        }
        for (name, dir) in &self.dirs {
            dir.collect_files(&join_path(path, name), out);
        }
    }

    fn count_files(&self) -> usize {
        self.files.len() + self.dirs.values().map(Folder::count_files).sum::<usize>()
    }
}

/// The change cursor of one selected folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    /// The selected folder and whether subfolders are included.
    root: String,
    sub: bool,
    tree: Folder,
    /// Folders still to list in the pass under way (empty between passes).
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    queue: VecDeque<String>,
    /// Ids of files that disappeared during the pass under way.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    gone: BTreeSet<String>,
}

impl Cursor {
    fn new(scope: &Scope) -> Self {
        Self {
            root: scope.path.clone(),
            sub: scope.recursive,
            tree: Folder::default(),
            queue: VecDeque::new(),
            gone: BTreeSet::new(),
        }
    }

    fn encode(&self) -> ProviderResult<String> {
        encode_compressed(CURSOR_PREFIX, self)
    }

    fn decode(text: &str, scope: &Scope) -> ProviderResult<Self> {
        let cursor: Cursor = decode_compressed(CURSOR_PREFIX, text).ok_or_else(|| {
            ProviderError::new(ErrorKind::CursorInvalid, "the WebDAV change cursor is not valid")
        })?;
        if cursor.root != scope.path || cursor.sub != scope.recursive {
            // The selection changed: start over with a full listing.
            return Err(ProviderError::new(
                ErrorKind::CursorInvalid,
                "the WebDAV change cursor is not valid",
            ));
        }
        Ok(cursor)
    }

    fn rel<'a>(&self, path: &'a str) -> Vec<&'a str> {
        let rest = if self.root == "/" {
            path
        } else {
            path.strip_prefix(self.root.as_str()).unwrap_or("")
        };
        rest.split('/').filter(|s| !s.is_empty()).collect()
    }
}

/// Where a file id sits in the snapshot, built only when a new id shows up.
type IdIndex = HashMap<String, (String, String)>;

fn build_index(cursor: &Cursor) -> IdIndex {
    fn walk(folder: &Folder, path: &str, index: &mut IdIndex) {
        for (name, file) in &folder.files {
            if let Some(id) = &file.id {
                index.insert(id.clone(), (path.to_string(), name.clone()));
            }
        }
        for (name, dir) in &folder.dirs {
            walk(dir, &join_path(path, name), index);
        }
    }
    let mut index = IdIndex::new();
    walk(&cursor.tree, &cursor.root, &mut index);
    index
}

/// The state of one page of a pass.
struct Pass<'a> {
    cursor: Cursor,
    index: Option<IdIndex>,
    changes: Vec<Change>,
    /// False while taking the first snapshot: everything is new, nothing is reported.
    report: bool,
    root: &'a DavRoot,
    /// The pass stopped at the selected folder: its propagated ETag is unchanged.
    unchanged: bool,
}

impl Pass<'_> {
    fn forget(&mut self, path: String, id: Option<String>) {
        match id {
            Some(id) => {
                if let Some(index) = self.index.as_mut() {
                    index.remove(&id);
                }
                self.cursor.gone.insert(id);
            }
            None => {
                self.cursor.gone.insert(path);
            }
        }
    }

    /// A file id not in this folder's snapshot: if the snapshot has it
    /// elsewhere (a move from a folder not listed yet), take it from there.
    /// `current` holds the files of the folder being compared, which are
    /// outside the tree meanwhile.
    fn claim(&mut self, id: &str, folder: &str, current: &BTreeMap<String, FileRec>) {
        if self.cursor.gone.remove(id) {
            return;
        }
        if self.index.is_none() {
            let mut index = build_index(&self.cursor);
            for (name, file) in current {
                if let Some(id) = &file.id {
                    index.insert(id.clone(), (folder.to_string(), name.clone()));
                }
            }
            self.index = Some(index);
        }
        let Some((old_folder, old_name)) = self.index.as_mut().and_then(|i| i.remove(id)) else {
            return;
        };
        if old_folder == folder {
            return;
        }
        let node = self.cursor.tree.at_mut(&self.cursor.rel(&old_folder));
        if node.files.get(&old_name).is_some_and(|f| f.id.as_deref() == Some(id)) {
            node.files.remove(&old_name);
        }
    }

    fn upsert(&mut self, entry: &DavEntry) {
        if self.report {
            self.changes.push(Change::Upsert(Box::new(remote_item(entry, self.root))));
        }
    }

    /// Compares one folder listing with the snapshot; queues what must be listed.
    fn apply(&mut self, folder: &str, listing: FolderListing) {
        let rel = self.cursor.rel(folder);
        // The folder's files leave the tree meanwhile, so that a move can take
        // a file from any other folder, this folder's subfolders included.
        let mut known = std::mem::take(&mut self.cursor.tree.at_mut(&rel).files);

        // Only ownCloud / Nextcloud promise that a folder's ETag changes when
        // anything below changes; they are the servers with `oc:fileid`.
        let propagates = |e: &DavEntry| e.file_id.is_some();
        let (dirs, files): (Vec<DavEntry>, Vec<DavEntry>) =
            listing.children.into_iter().partition(|e| e.is_folder);
        let names: BTreeSet<&str> = files.iter().map(|e| file_name(&e.path)).collect();

        // Gone first, so a rename within the folder finds its id in `gone`.
        let missing: Vec<String> =
            known.keys().filter(|n| !names.contains(n.as_str())).cloned().collect();
        for name in missing {
            if let Some(file) = known.remove(&name) {
                self.forget(join_path(folder, &name), file.id);
            }
        }
        for entry in &files {
            let name = file_name(&entry.path).to_string();
            let version = short_hash(&version_of(entry));
            let id = entry.file_id.clone();
            match known.get(&name) {
                Some(old) if old.id == id => {
                    if old.version != version {
                        self.upsert(entry);
                    }
                }
                old => {
                    // New here (added, renamed, moved in) or replaced by another file.
                    if let Some(old) = old {
                        self.forget(entry.path.clone(), old.id.clone());
                    }
                    if let Some(id) = &id {
                        self.claim(id, folder, &known);
                    }
                    self.upsert(entry);
                }
            }
            if let (Some(index), Some(id)) = (self.index.as_mut(), &id) {
                index.insert(id.clone(), (folder.to_string(), name.clone()));
            }
            known.insert(name, FileRec { version, id });
        }
        let node = self.cursor.tree.at_mut(&rel);
        node.files = known;
        node.etag = listing
            .this
            .as_ref()
            .filter(|e| propagates(e))
            .and_then(|e| e.etag.as_deref())
            .map(short_hash);
        if !self.cursor.sub {
            return;
        }

        let names: BTreeSet<&str> = dirs.iter().map(|e| file_name(&e.path)).collect();
        let missing: Vec<String> =
            node.dirs.keys().filter(|n| !names.contains(n.as_str())).cloned().collect();
        for entry in &dirs {
            let name = file_name(&entry.path);
            let etag = entry.etag.as_deref().filter(|_| propagates(entry)).map(short_hash);
            let unchanged = node.dirs.get(name).is_some_and(|d| d.etag.is_some() && d.etag == etag);
            if !unchanged {
                node.dirs.entry(name.to_string()).or_default();
                self.cursor.queue.push_back(entry.path.clone());
            }
        }
        for name in missing {
            self.drop_folder(&join_path(folder, &name));
        }
    }

    /// A folder that is gone: everything the snapshot has below it is gone too.
    fn drop_folder(&mut self, folder: &str) {
        let rel = self.cursor.rel(folder);
        let Some((name, parent)) = rel.split_last() else { return };
        let mut lost = Vec::new();
        if let Some(dir) = self.cursor.tree.at_mut(parent).dirs.remove(*name) {
            dir.collect_files(folder, &mut lost);
        }
        for (path, id) in lost {
            self.forget(path, id);
        }
    }

    /// Deletes for what disappeared and did not turn up elsewhere.
    fn finish(&mut self) {
        let gone = std::mem::take(&mut self.cursor.gone);
        if self.report {
            self.changes.extend(gone.into_iter().map(|id| Change::Delete { id }));
        }
    }
}

/// Whether the pass can stop at once: the selected folder's propagated ETag
/// is what the snapshot holds, so nothing below changed.
fn root_unchanged(cursor: &Cursor, listing: &FolderListing) -> bool {
    let now = listing
        .this
        .as_ref()
        .filter(|e| e.file_id.is_some())
        .and_then(|e| e.etag.as_deref())
        .map(short_hash);
    now.is_some() && now == cursor.tree.etag
}

/// Folders a pass lists at once. Servers without folder ETags make every walk a
/// PROPFIND per folder, each a round trip with the server's own work in it
/// (26 ms each on wsgidav); a few in flight overlap them.
const FOLDERS_IN_FLIGHT: usize = 4;

/// Runs (part of) a pass: lists folders from the queue until the page is full.
/// Folders are fetched [`FOLDERS_IN_FLIGHT`] at a time and applied in queue
/// order, so the outcome is that of listing them one by one; a page may end a
/// few folders past `max_changes`.
async fn run_pass(
    core: &WebdavCore,
    pass: &mut Pass<'_>,
    max_folders: usize,
    max_changes: usize,
    seen: &mut (dyn FnMut(&DavEntry) + Send),
) -> ProviderResult<bool> {
    let mut listed = 0;
    'page: while listed < max_folders && pass.changes.len() < max_changes {
        // The root goes alone: an unchanged root ends the pass without listing more.
        let take = if pass.cursor.queue.front() == Some(&pass.cursor.root) {
            1
        } else {
            FOLDERS_IN_FLIGHT.min(max_folders - listed)
        };
        let batch: Vec<String> =
            std::iter::from_fn(|| pass.cursor.queue.pop_front()).take(take).collect();
        if batch.is_empty() {
            break;
        }
        let root = pass.root;
        let listings = futures::future::join_all(
            batch.iter().map(|folder| list_folder(core, root, folder, PROPFIND_BODY)),
        )
        .await;
        for (folder, listing) in batch.into_iter().zip(listings) {
            listed += 1;
            let is_root = folder == pass.cursor.root;
            let listing = match listing {
                Ok(listing) => listing,
                Err(e) if e.kind() == ErrorKind::NotFound && !is_root => {
                    // Deleted since its parent was listed.
                    pass.drop_folder(&folder);
                    continue;
                }
                Err(e) => return Err(e),
            };
            check_is_folder(&listing, &folder)?;
            if is_root && root_unchanged(&pass.cursor, &listing) {
                pass.cursor.queue.clear();
                pass.unchanged = true;
                break 'page;
            }
            for child in &listing.children {
                if !child.is_folder {
                    seen(child);
                }
            }
            pass.apply(&folder, listing);
        }
    }
    let done = pass.cursor.queue.is_empty();
    if done {
        pass.finish();
    }
    Ok(done)
}

/// The snapshot a later `changes` call compares against: a whole pass, reporting nothing.
pub async fn start_cursor(
    core: &WebdavCore,
    root: &DavRoot,
    scope: &Scope,
    seen: &mut (dyn FnMut(&DavEntry) + Send),
) -> ProviderResult<String> {
    let mut cursor = Cursor::new(scope);
    cursor.queue.push_back(scope.path.clone());
    let mut pass =
        Pass { cursor, index: None, changes: Vec::new(), report: false, root, unchanged: false };
    run_pass(core, &mut pass, usize::MAX, usize::MAX, seen).await?;
    pass.cursor.encode()
}

/// One page of changes since `cursor`.
pub async fn changes(
    core: &WebdavCore,
    root: &DavRoot,
    scope: &Scope,
    cursor_text: &str,
    seen: &mut (dyn FnMut(&DavEntry) + Send),
) -> ProviderResult<ChangePage> {
    let mut cursor = Cursor::decode(cursor_text, scope)?;
    let starting = cursor.queue.is_empty();
    if starting {
        cursor.queue.push_back(scope.path.clone());
    }
    let mut pass =
        Pass { cursor, index: None, changes: Vec::new(), report: true, root, unchanged: false };
    let done = run_pass(core, &mut pass, CHANGE_FOLDERS_PER_PAGE, CHANGES_PER_PAGE, seen).await?;
    // Nothing changed: hand back the same cursor rather than re-encoding it.
    if starting && pass.unchanged {
        return Ok(ChangePage { changes: Vec::new(), cursor: cursor_text.to_string(), done });
    }
    Ok(ChangePage { changes: pass.changes, cursor: pass.cursor.encode()?, done })
}

/// Files the cursor remembers (for tests and logs).
pub fn cursor_file_count(cursor_text: &str, scope: &Scope) -> ProviderResult<usize> {
    Ok(Cursor::decode(cursor_text, scope)?.tree.count_files())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_selections() {
        let scope = Scope { path: "/Docs".into(), recursive: true };
        let mut cursor = Cursor::new(&scope);
        cursor.tree.etag = Some(7);
        cursor
            .tree
            .at_mut(&["Sub"])
            .files
            .insert("a.txt".into(), FileRec { version: 1, id: Some("42".into()) });
        let text = cursor.encode().unwrap();
        let back = Cursor::decode(&text, &scope).unwrap();
        assert_eq!(back.tree, cursor.tree);
        assert_eq!(back.tree.at(&["Sub"]).unwrap().files.len(), 1);
        let other = Scope { path: "/Other".into(), recursive: true };
        assert_eq!(Cursor::decode(&text, &other).unwrap_err().kind(), ErrorKind::CursorInvalid);
        let flat = Scope { path: "/Docs".into(), recursive: false };
        assert_eq!(Cursor::decode(&text, &flat).unwrap_err().kind(), ErrorKind::CursorInvalid);
        assert_eq!(Cursor::decode("garbage", &scope).unwrap_err().kind(), ErrorKind::CursorInvalid);
    }
}
