//! The change feed: Drive's `changes.list`, one scope per drive the selection
//! touches (`drive:my` for My Drive, `drive:<sharedDriveId>` for each shared
//! drive), filtered to the selection by folder ancestry.
//!
//! # The cursor
//! Drive reports each changed item once, at its latest state, with its
//! current parent only. To tell whether a file is inside the selection, the
//! cursor carries a compact **folder ancestry cache**: every folder inside
//! the selected trees (id → parent, name), the selected roots, and Drive's
//! page token. It is seeded by [`start_cursors`] from one paged query for all
//! folders of the drive (1000 per request, kept when they lie below a
//! selected folder), taken right *after* the start page token and before the
//! engine's listing, and then kept current from the folder changes in the
//! feed itself. No change ever needs a parent walk.
//!
//! # What a change becomes
//! - `removed` (deleted for good or access lost): a cached folder leaves the
//!   cache with its subtree (Drive reports its files one by one); anything
//!   else is a [`Change::Delete`].
//! - A file whose parent is in the cache and that is not trashed is an
//!   upsert, with its path from the cache; any other file (trashed, moved out
//!   of the selection, or never in it) is a delete. Drive does not say where
//!   a file was before, so files changed *outside* the selection are reported
//!   as deletes too; the engine ignores deletes of ids it does not hold.
//! - A folder that **moves in** (or is restored from the trash) joins the
//!   cache and is *walked*: its files are listed and upserted, its subfolders
//!   join the cache. A folder that is **renamed or moved within** the
//!   selection is walked the same way, because the paths of everything below
//!   it changed (the engine sees unchanged versions and only moves the
//!   documents). A folder that **moves out** (or is trashed) leaves the cache
//!   with its subtree and is walked to delete every file below it, since
//!   Drive reports only the folder itself. Selected roots stay selected
//!   wherever they move (they are chosen by id), and walks never cross into
//!   another selected root.
//! - Walks are part of the cursor: a page does at most
//!   [`MAX_WALK_REQUESTS`] listing requests, and the rest is done by the next
//!   pages before the next Drive page is read, so huge moves stay paged and
//!   ordered. `CursorInvalid` is never needed for moves.
//!
//! A rejected page token (Drive's 400/404 about `pageToken`, the sandbox's
//! `invalidate_cursors`) or a shared drive that is gone is `CursorInvalid`:
//! the engine lists everything again.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use app::model::SourcePath;
use serde::{Deserialize, Serialize};

use super::core::{
    FOLDER_LIST_FIELDS, GdriveCore, LIST_FIELDS, PARENT_FIELDS, check_id, decode_token,
    encode_token, join_path, normalize_path, q_all_folders, q_children, remote_item,
};
use super::model::{GdriveChangeList, GdriveFile};
use crate::providers::{Change, ChangePage, ErrorKind, ProviderError, ProviderResult, ScopeCursor};

/// Listing requests one `changes` call may spend on folder walks.
pub const MAX_WALK_REQUESTS: usize = 20;
/// A call stops walking once it holds this many changes.
const MAX_CHANGES_PER_CALL: usize = 5000;
const CURSOR_PREFIX: &str = "gc1.";
/// The scope of My Drive (the user's corpus).
pub const MY_DRIVE_SCOPE: &str = "drive:my";

/// The change feed scope of a drive.
pub fn scope_name(drive: Option<&str>) -> String {
    match drive {
        None => MY_DRIVE_SCOPE.to_string(),
        Some(id) => format!("drive:{id}"),
    }
}

fn drive_of_scope(scope: &str) -> ProviderResult<Option<String>> {
    if scope == MY_DRIVE_SCOPE {
        return Ok(None);
    }
    scope
        .strip_prefix("drive:")
        .and_then(|id| check_id(id).ok())
        .map(|id| Some(id.to_string()))
        .ok_or_else(|| {
            ProviderError::new(ErrorKind::CursorInvalid, format!("{scope} is not a Drive scope"))
        })
}

fn cursor_invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::CursorInvalid, message)
}

/// A selected folder, as the cursor remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Root {
    /// Drive's id (`root` resolved).
    #[serde(rename = "i")]
    id: String,
    /// The remote id as selected (may be the `root` alias).
    #[serde(rename = "s")]
    selected: String,
    /// The selection's path: the base of every path below it.
    #[serde(rename = "p")]
    path: String,
    #[serde(rename = "r")]
    recursive: bool,
}

/// A folder in the ancestry cache.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FolderNode {
    parent: Option<String>,
    name: String,
}

/// A folder listing the feed still owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Walk {
    #[serde(rename = "i")]
    id: String,
    /// Moved out: delete what is below. Otherwise upsert it.
    #[serde(rename = "o", default, skip_serializing_if = "std::ops::Not::not")]
    out: bool,
    /// Drive's page token inside this folder.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    page: Option<String>,
}

/// The cursor of one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    /// Drive's `nextPageToken` (when `more`) or `newStartPageToken`.
    token: String,
    more: bool,
    drive: Option<String>,
    roots: Vec<Root>,
    folders: HashMap<String, FolderNode>,
    pending: VecDeque<Walk>,
}

/// The cursor as stored: folders as `[id, parent index + 1 (0: none), name]`,
/// sorted by id, so the same state always encodes to the same text.
#[derive(Serialize, Deserialize)]
struct CursorWire {
    #[serde(rename = "t")]
    token: String,
    #[serde(rename = "m", default, skip_serializing_if = "std::ops::Not::not")]
    more: bool,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    drive: Option<String>,
    #[serde(rename = "r")]
    roots: Vec<Root>,
    #[serde(rename = "f")]
    folders: Vec<(String, u32, String)>,
    /// Parents that are not cached folders (the parents of selected roots).
    #[serde(rename = "x", default, skip_serializing_if = "BTreeMap::is_empty")]
    outer_parents: BTreeMap<u32, String>,
    #[serde(rename = "q", default, skip_serializing_if = "VecDeque::is_empty")]
    pending: VecDeque<Walk>,
}

impl Cursor {
    fn encode(&self) -> ProviderResult<String> {
        let mut ids: Vec<&String> = self.folders.keys().collect();
        ids.sort();
        let index: HashMap<&str, u32> =
            ids.iter().enumerate().map(|(i, id)| (id.as_str(), i as u32 + 1)).collect();
        let mut outer_parents = BTreeMap::new();
        let folders = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let node = &self.folders[*id];
                let parent = match node.parent.as_deref() {
                    None => 0,
                    Some(p) => index.get(p).copied().unwrap_or_else(|| {
                        outer_parents.insert(i as u32, p.to_string());
                        0
                    }),
                };
                ((*id).clone(), parent, node.name.clone())
            })
            .collect();
        let wire = CursorWire {
            token: self.token.clone(),
            more: self.more,
            drive: self.drive.clone(),
            roots: self.roots.clone(),
            folders,
            outer_parents,
            pending: self.pending.clone(),
        };
        encode_token(CURSOR_PREFIX, &wire)
    }

    fn decode(text: &str) -> Option<Self> {
        let wire: CursorWire = decode_token(CURSOR_PREFIX, text)?;
        let mut folders = HashMap::with_capacity(wire.folders.len());
        for (i, (id, parent, name)) in wire.folders.iter().enumerate() {
            let parent = match *parent {
                0 => wire.outer_parents.get(&(i as u32)).cloned(),
                n => Some(wire.folders.get(n as usize - 1)?.0.clone()),
            };
            folders.insert(id.clone(), FolderNode { parent, name: name.clone() });
        }
        Some(Self {
            token: wire.token,
            more: wire.more,
            drive: wire.drive,
            roots: wire.roots,
            folders,
            pending: wire.pending,
        })
    }

    fn root(&self, id: &str) -> Option<&Root> {
        self.roots.iter().find(|r| r.id == id)
    }

    /// Whether the subfolders of a cached folder are part of the selection:
    /// always below a recursive root; for a flat root, only when it lies
    /// inside another, recursive, selection.
    fn children_selected(&self, id: &str) -> bool {
        let mut current = id;
        for _ in 0..=self.folders.len() {
            match self.root(current) {
                None => return self.folders.contains_key(current),
                Some(root) if root.recursive => return true,
                Some(_) => {}
            }
            match self.folders.get(current).and_then(|n| n.parent.as_deref()) {
                Some(parent) if self.folders.contains_key(parent) => current = parent,
                _ => return false,
            }
        }
        false
    }

    /// The path of a cached folder: its nearest selected root's path and the
    /// names below it.
    fn folder_path(&self, id: &str) -> Option<String> {
        let mut names: Vec<&str> = Vec::new();
        let mut current = id;
        for _ in 0..=self.folders.len() {
            if let Some(root) = self.root(current) {
                let mut path = root.path.clone();
                for name in names.iter().rev() {
                    path = join_path(&path, name);
                }
                return Some(path);
            }
            let node = self.folders.get(current)?;
            names.push(node.name.as_str());
            current = node.parent.as_deref()?;
        }
        None
    }

    /// Removes a folder and every cached folder below it, except selected
    /// roots (they stay selected wherever they are); returns the removed ids.
    fn drop_subtree(&mut self, id: &str) -> Vec<String> {
        if self.root(id).is_some() {
            return Vec::new();
        }
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for (child, node) in &self.folders {
            if let Some(parent) = node.parent.as_deref() {
                children.entry(parent).or_default().push(child.as_str());
            }
        }
        let mut gone = vec![id.to_string()];
        let mut stack = vec![id];
        while let Some(folder) = stack.pop() {
            for child in children.get(folder).into_iter().flatten() {
                if self.root(child).is_none() {
                    gone.push((*child).to_string());
                    stack.push(child);
                }
            }
        }
        for folder in &gone {
            self.folders.remove(folder);
        }
        gone
    }

    fn queue(&mut self, id: &str, out: bool) {
        if !self.pending.iter().any(|w| w.id == id && w.out == out && w.page.is_none()) {
            self.pending.push_back(Walk { id: id.to_string(), out, page: None });
        }
    }

    /// Whether the selection still contains every root this cursor follows.
    fn matches(&self, selection: &[SourcePath]) -> bool {
        self.roots.iter().all(|root| {
            selection.iter().any(|s| {
                s.remote_id == root.selected
                    && s.include_subfolders == root.recursive
                    && normalize_path(&s.path) == root.path
            })
        })
    }
}

/// The changes of one call, one per id: the latest wins.
#[derive(Default)]
struct ChangeSet {
    order: Vec<String>,
    changes: HashMap<String, Change>,
}

impl ChangeSet {
    fn put(&mut self, id: &str, change: Change) {
        if self.changes.insert(id.to_string(), change).is_none() {
            self.order.push(id.to_string());
        }
    }

    fn upsert(&mut self, file: &GdriveFile, path: String) {
        self.put(&file.id, Change::Upsert(Box::new(remote_item(file, path))));
    }

    fn delete(&mut self, id: &str) {
        self.put(id, Change::Delete { id: id.to_string() });
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    fn into_vec(mut self) -> Vec<Change> {
        self.order.iter().filter_map(|id| self.changes.remove(id)).collect()
    }
}

/// The selected folders grouped by drive, then a start token and a folder
/// snapshot per drive. Selected folders that are gone are left out (the
/// listing reports them).
pub async fn start_cursors(
    core: &GdriveCore,
    selection: &[SourcePath],
) -> ProviderResult<Vec<ScopeCursor>> {
    let mut drives: BTreeMap<Option<String>, Vec<(Root, GdriveFile)>> = BTreeMap::new();
    for source in selection {
        let folder = match core.gdrive_get(&source.remote_id, PARENT_FIELDS).await {
            Ok(folder) if folder.is_folder() && !folder.trashed => folder,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                tracing::info!(remote_id = %source.remote_id, "a selected Drive folder is gone; no change feed for it");
                continue;
            }
            Err(e) => return Err(e),
        };
        let root = Root {
            id: folder.id.clone(),
            selected: source.remote_id.clone(),
            path: normalize_path(&source.path),
            recursive: source.include_subfolders,
        };
        drives.entry(folder.drive_id.clone()).or_default().push((root, folder));
    }
    let mut cursors = Vec::with_capacity(drives.len());
    for (drive, roots) in drives {
        // The token first: whatever changes while the snapshot and the
        // listing run is in the feed.
        let token = core.gdrive_start_page_token(drive.as_deref()).await?;
        let folders = snapshot(core, drive.as_deref(), &roots).await?;
        let cursor = Cursor {
            token,
            more: false,
            drive: drive.clone(),
            roots: roots.into_iter().map(|(root, _)| root).collect(),
            folders,
            pending: VecDeque::new(),
        };
        cursors.push(ScopeCursor { scope: scope_name(drive.as_deref()), cursor: cursor.encode()? });
    }
    Ok(cursors)
}

/// The folders of the selected trees in one drive: the roots, and (for
/// recursive roots) every folder below them, from one paged query for all
/// folders of the drive.
async fn snapshot(
    core: &GdriveCore,
    drive: Option<&str>,
    roots: &[(Root, GdriveFile)],
) -> ProviderResult<HashMap<String, FolderNode>> {
    let mut folders: HashMap<String, FolderNode> = roots
        .iter()
        .map(|(root, file)| {
            let node =
                FolderNode { parent: file.parent().map(str::to_string), name: file.name.clone() };
            (root.id.clone(), node)
        })
        .collect();
    if !roots.iter().any(|(root, _)| root.recursive) {
        return Ok(folders);
    }
    let mut children: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut page: Option<String> = None;
    loop {
        let listed =
            core.gdrive_list(&q_all_folders(), drive, FOLDER_LIST_FIELDS, page.as_deref()).await?;
        for folder in listed.files {
            if let Some(parent) = folder.parent() {
                children.entry(parent.to_string()).or_default().push((folder.id, folder.name));
            }
        }
        match listed.next_page_token.filter(|t| !t.is_empty()) {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack: Vec<String> =
        roots.iter().filter(|(r, _)| r.recursive).map(|(r, _)| r.id.clone()).collect();
    while let Some(folder) = stack.pop() {
        if !seen.insert(folder.clone()) {
            continue;
        }
        for (child, name) in children.remove(&folder).unwrap_or_default() {
            folders
                .entry(child.clone())
                .or_insert_with(|| FolderNode { parent: Some(folder.clone()), name });
            stack.push(child);
        }
    }
    Ok(folders)
}

/// One page of changes of `scope` since `cursor_text`.
pub async fn changes(
    core: &GdriveCore,
    selection: &[SourcePath],
    scope: &str,
    cursor_text: &str,
) -> ProviderResult<ChangePage> {
    let drive = drive_of_scope(scope)?;
    let mut cursor = Cursor::decode(cursor_text)
        .ok_or_else(|| cursor_invalid("the Google Drive change cursor is not valid"))?;
    if cursor.drive != drive {
        return Err(cursor_invalid("the change cursor belongs to another drive"));
    }
    if !cursor.matches(selection) {
        return Err(cursor_invalid("the selected folders changed"));
    }
    let before = cursor.clone();
    let mut out = ChangeSet::default();
    if cursor.pending.is_empty() {
        let page = match core.gdrive_changes(drive.as_deref(), &cursor.token).await {
            Ok(page) => page,
            Err(e) if e.kind() == ErrorKind::NotFound && drive.is_some() => {
                return Err(cursor_invalid(format!(
                    "the shared drive is no longer available: {}",
                    e.message()
                )));
            }
            Err(e) => return Err(e),
        };
        apply_page(&mut cursor, page, &mut out)?;
    }
    walk(core, &mut cursor, &mut out).await?;
    let done = cursor.pending.is_empty() && !cursor.more;
    let text = if cursor == before { cursor_text.to_string() } else { cursor.encode()? };
    Ok(ChangePage { changes: out.into_vec(), cursor: text, done })
}

/// Applies one Drive page to the cache and collects its changes: removals
/// first, then folders in feed order, then files against the updated cache.
fn apply_page(
    cursor: &mut Cursor,
    page: GdriveChangeList,
    out: &mut ChangeSet,
) -> ProviderResult<()> {
    let (token, more) = match (page.next_page_token, page.new_start_page_token) {
        (Some(next), _) if !next.is_empty() => (next, true),
        (_, Some(start)) if !start.is_empty() => (start, false),
        _ => return Err(ProviderError::parse("Google Drive sent a change page without a token")),
    };
    let mut folders = Vec::new();
    let mut files = Vec::new();
    // Folders that left the cache with a removed ancestor: their own removal,
    // later in the page, is not a file deletion.
    let mut dropped: HashSet<String> = HashSet::new();
    for change in page.changes {
        if change.change_type.as_deref().is_some_and(|t| t != "file") {
            continue;
        }
        match change.file {
            Some(file) if !change.removed && !file.id.is_empty() => {
                // Never act on another drive's items (a deletion here would
                // undo an upsert reported by that drive's own feed).
                if file.drive_id != cursor.drive {
                    continue;
                }
                if file.is_folder() { folders.push(file) } else { files.push(file) }
            }
            _ => {
                let Some(id) = change.file_id.filter(|id| !id.is_empty()) else { continue };
                if change.drive_id.is_some() && change.drive_id != cursor.drive {
                    continue;
                }
                if cursor.folders.contains_key(&id) {
                    // Drive reports the files of a deleted folder one by one.
                    dropped.extend(cursor.drop_subtree(&id));
                } else if !dropped.contains(&id) {
                    out.delete(&id);
                }
            }
        }
    }
    for folder in folders {
        apply_folder(cursor, folder);
    }
    for file in files {
        match (!file.trashed).then(|| file.parent()).flatten().and_then(|p| cursor.folder_path(p)) {
            Some(parent_path) => {
                let path = join_path(&parent_path, &file.name);
                out.upsert(&file, path);
            }
            None => out.delete(&file.id),
        }
    }
    cursor.token = token;
    cursor.more = more;
    Ok(())
}

/// A folder's new state against the cache (see the module docs).
fn apply_folder(cursor: &mut Cursor, folder: GdriveFile) {
    let parent = folder.parent().map(str::to_string);
    if cursor.root(&folder.id).is_some() {
        // Chosen by id: a selected folder stays selected wherever it moves;
        // its files, when trashed, come through the feed one by one.
        cursor.folders.insert(folder.id, FolderNode { parent, name: folder.name });
        return;
    }
    let inside = !folder.trashed
        && parent
            .as_deref()
            .is_some_and(|p| cursor.folders.contains_key(p) && cursor.children_selected(p));
    let node = FolderNode { parent, name: folder.name };
    match (cursor.folders.get(&folder.id), inside) {
        (None, false) => {}
        (None, true) => {
            cursor.folders.insert(folder.id.clone(), node);
            cursor.queue(&folder.id, false);
        }
        (Some(_), false) => {
            cursor.drop_subtree(&folder.id);
            cursor.queue(&folder.id, true);
        }
        (Some(old), true) => {
            if *old != node {
                cursor.folders.insert(folder.id.clone(), node);
                cursor.queue(&folder.id, false);
            }
        }
    }
}

/// Runs queued folder walks until the budget is spent.
async fn walk(core: &GdriveCore, cursor: &mut Cursor, out: &mut ChangeSet) -> ProviderResult<()> {
    let drive = cursor.drive.clone();
    let mut requests = 0;
    while requests < MAX_WALK_REQUESTS && out.len() < MAX_CHANGES_PER_CALL {
        let Some(current) = cursor.pending.front().cloned() else { break };
        // A folder walked in has left the selection since: its own move out
        // is queued and does the deleting.
        let base = if current.out { None } else { cursor.folder_path(&current.id) };
        if !current.out && base.is_none() {
            cursor.pending.pop_front();
            continue;
        }
        requests += 1;
        let q = q_children(&current.id, current.out)?;
        let listed = match core
            .gdrive_list(&q, drive.as_deref(), LIST_FIELDS, current.page.as_deref())
            .await
        {
            Ok(listed) => listed,
            Err(e) if e.kind() == ErrorKind::CursorInvalid && current.page.is_some() => {
                // Drive: start that listing over from its first page.
                if let Some(front) = cursor.pending.front_mut() {
                    front.page = None;
                }
                continue;
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                cursor.pending.pop_front();
                continue;
            }
            Err(e) => return Err(e.with_context("folder_id", &current.id)),
        };
        let descend = !current.out && cursor.children_selected(&current.id);
        for file in listed.files {
            if file.id.is_empty() || file.drive_id != cursor.drive {
                continue;
            }
            match (&base, file.is_folder()) {
                // Another selected tree: it keeps its own files.
                (_, true) if cursor.root(&file.id).is_some() => {}
                (None, true) => cursor.queue(&file.id, true),
                (None, false) => out.delete(&file.id),
                (Some(_), true) => {
                    if descend && !file.trashed {
                        let node = FolderNode {
                            parent: Some(current.id.clone()),
                            name: file.name.clone(),
                        };
                        cursor.folders.insert(file.id.clone(), node);
                        cursor.queue(&file.id, false);
                    }
                }
                (Some(base), false) if !file.trashed => {
                    let path = join_path(base, &file.name);
                    out.upsert(&file, path);
                }
                (Some(_), false) => out.delete(&file.id),
            }
        }
        match listed.next_page_token.filter(|t| !t.is_empty()) {
            Some(next) => {
                if let Some(front) = cursor.pending.front_mut() {
                    front.page = Some(next);
                }
            }
            None => {
                cursor.pending.pop_front();
            }
        }
    }
    Ok(())
}

/// How many folders a cursor holds and its encoded size (for tests and logs).
pub fn cursor_stats(cursor_text: &str) -> Option<(usize, usize)> {
    Cursor::decode(cursor_text).map(|c| (c.folders.len(), cursor_text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(id: &str, path: &str, recursive: bool) -> Root {
        Root { id: id.into(), selected: id.into(), path: path.into(), recursive }
    }

    fn node(parent: Option<&str>, name: &str) -> FolderNode {
        FolderNode { parent: parent.map(str::to_string), name: name.into() }
    }

    /// /My Drive/A (selected, recursive) ⊃ B ⊃ C; /My Drive/F (selected, flat) ⊃ G.
    fn cursor() -> Cursor {
        let folders = [
            ("A", node(Some("myroot"), "A")),
            ("B", node(Some("A"), "B")),
            ("C", node(Some("B"), "C/D")),
            ("F", node(Some("myroot"), "F")),
        ]
        .into_iter()
        .map(|(id, n)| (id.to_string(), n))
        .collect();
        Cursor {
            token: "42".into(),
            more: false,
            drive: None,
            roots: vec![root("A", "/My Drive/A", true), root("F", "/My Drive/F", false)],
            folders,
            pending: VecDeque::new(),
        }
    }

    fn folder(id: &str, parent: &str, name: &str, trashed: bool) -> GdriveFile {
        GdriveFile {
            id: id.into(),
            name: name.into(),
            mime_type: super::super::model::FOLDER_MIME.into(),
            parents: vec![parent.into()],
            trashed,
            ..Default::default()
        }
    }

    #[test]
    fn cursors_round_trip_with_outer_parents_and_walks() {
        let mut c = cursor();
        c.pending.push_back(Walk { id: "B".into(), out: false, page: Some("p2".into()) });
        c.more = true;
        let text = c.encode().unwrap();
        assert!(text.starts_with(CURSOR_PREFIX));
        let back = Cursor::decode(&text).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.encode().unwrap(), text, "the same state encodes to the same text");
        assert!(Cursor::decode("gc1.garbage").is_none());
        assert!(Cursor::decode(&text.replace("gc1.", "gl1.")).is_none());
    }

    #[test]
    fn paths_and_membership_follow_the_cache() {
        let c = cursor();
        assert_eq!(c.folder_path("C").as_deref(), Some("/My Drive/A/B/C\u{2215}D"));
        assert_eq!(c.folder_path("F").as_deref(), Some("/My Drive/F"));
        assert_eq!(c.folder_path("elsewhere"), None);
        assert!(c.children_selected("A") && c.children_selected("C"));
        assert!(!c.children_selected("F"), "a flat selection has no subfolders");
    }

    #[test]
    fn folders_moving_in_out_and_within_queue_walks() {
        let mut c = cursor();
        // Renamed within the selection: walked again for the new paths.
        apply_folder(&mut c, folder("B", "A", "B2", false));
        assert_eq!(c.folder_path("C").as_deref(), Some("/My Drive/A/B2/C\u{2215}D"));
        // Moved in from elsewhere.
        apply_folder(&mut c, folder("N", "C", "New", false));
        // Moved out: leaves with its subtree.
        apply_folder(&mut c, folder("B", "myroot", "B2", false));
        assert!(!c.folders.contains_key("B") && !c.folders.contains_key("C"));
        assert!(!c.folders.contains_key("N"), "below a folder that left");
        // Into a flat selection: its files are not selected.
        apply_folder(&mut c, folder("G", "F", "G", false));
        assert!(!c.folders.contains_key("G"));
        // Unchanged folder: nothing to do.
        apply_folder(&mut c, folder("A", "myroot", "A", false));
        let walks: Vec<(&str, bool)> = c.pending.iter().map(|w| (w.id.as_str(), w.out)).collect();
        assert_eq!(walks, [("B", false), ("N", false), ("B", true)]);
    }

    #[test]
    fn a_page_turns_files_into_upserts_and_deletes_by_ancestry() {
        let mut c = cursor();
        let file = |id: &str, parent: &str, trashed: bool| GdriveFile {
            id: id.into(),
            name: format!("{id}.txt"),
            mime_type: "text/plain".into(),
            parents: vec![parent.into()],
            trashed,
            md5_checksum: Some("m".into()),
            ..Default::default()
        };
        let change = |file: Option<GdriveFile>, id: &str| super::super::model::GdriveChange {
            change_type: Some("file".into()),
            file_id: Some(id.into()),
            removed: file.is_none(),
            file,
            ..Default::default()
        };
        let page = GdriveChangeList {
            next_page_token: None,
            new_start_page_token: Some("50".into()),
            changes: vec![
                change(Some(file("in", "C", false)), "in"),
                change(Some(file("flat", "F", false)), "flat"),
                change(Some(file("trashed", "B", true)), "trashed"),
                change(Some(file("out", "elsewhere", false)), "out"),
                change(None, "gone"),
                // A removed cached folder leaves the cache, no delete.
                change(None, "B"),
                change(
                    Some(GdriveFile {
                        drive_id: Some("0Ashared".into()),
                        ..file("other", "A", false)
                    }),
                    "other",
                ),
            ],
        };
        let mut out = ChangeSet::default();
        apply_page(&mut c, page, &mut out).unwrap();
        let changes = out.into_vec();
        let mut upserts = Vec::new();
        let mut deletes = Vec::new();
        for change in &changes {
            match change {
                Change::Upsert(item) => upserts.push(item.path.clone()),
                Change::Delete { id } => deletes.push(id.clone()),
            }
        }
        // `in` lies below B, which was removed earlier in the page.
        assert_eq!(upserts, ["/My Drive/F/flat.txt"]);
        assert_eq!(deletes, ["gone", "in", "trashed", "out"]);
        assert!(!c.folders.contains_key("B") && !c.folders.contains_key("C"));
        assert_eq!((c.token.as_str(), c.more), ("50", false));
    }

    #[test]
    fn scopes_name_their_drive() {
        assert_eq!(scope_name(None), "drive:my");
        assert_eq!(scope_name(Some("0AbC")), "drive:0AbC");
        assert_eq!(drive_of_scope("drive:my").unwrap(), None);
        assert_eq!(drive_of_scope("drive:0AbC").unwrap().as_deref(), Some("0AbC"));
        assert_eq!(drive_of_scope("/Docs").unwrap_err().kind(), ErrorKind::CursorInvalid);
    }
}
