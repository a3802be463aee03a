//! The Dropbox change feed: `list_folder/continue` per selected folder.
//!
//! Dropbox's cursor is already scoped to the folder, but deleted entries carry
//! only a path, and a rename or move arrives as a deleted entry for the old
//! path plus the new state under the same id. So the cursor also keeps the
//! selection's path → id map (front-coded, deflated), seeded by a listing made
//! just after `get_latest_cursor` starts the feed, and entries are applied in
//! order:
//! - a deleted path removes that entry and everything below it, and holds a
//!   delete for each file id removed;
//! - a file upserts its id at its new path (leaving its old path if it moved)
//!   and releases a held delete of that id, so a rename or move is one upsert;
//! - a folder that moved leaves its old subtree, whose files come back under
//!   the new path (Dropbox reports them) or are deleted;
//! - held deletes are reported when the feed ends, so a delete and re-add that
//!   straddle pages stay an upsert.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use app::model::SourcePath;
use serde::{Deserialize, Serialize};

use super::core::{DropboxCore, lower_path, remote_item};
use super::lister::{dropbox_continue, dropbox_latest_cursor, dropbox_list_folder};
use super::model::DropboxEntry;
use crate::providers::tokens::{decode_compressed, encode_compressed};
use crate::providers::{
    Change, ChangePage, ErrorKind, ProviderError, ProviderResult, RemoteItem, ScopeCursor,
};

const CURSOR_PREFIX: &str = "dc1.";

/// The change feed scope of a selected folder.
pub fn scope_of(selection: &SourcePath) -> String {
    format!("path:{}", lower_path(&selection.path))
}

fn invalid(message: &str) -> ProviderError {
    ProviderError::new(ErrorKind::CursorInvalid, message.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    id: String,
    folder: bool,
}

/// The cursor as stored: paths sorted and front-coded (bytes shared with the
/// previous path, the rest), each with its id and 1 for folders.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "s")]
    selection: String,
    #[serde(rename = "r")]
    recursive: bool,
    #[serde(rename = "c")]
    cursor: String,
    #[serde(rename = "p")]
    paths: Vec<(u32, String, String, u8)>,
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    held_deletes: Vec<String>,
}

/// The feed's state for one selected folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropboxState {
    selection: String,
    recursive: bool,
    cursor: String,
    /// `path_lower` → item.
    paths: BTreeMap<String, Node>,
    /// Id → `path_lower`.
    ids: HashMap<String, String>,
    /// File ids removed during the feed under way.
    held_deletes: BTreeSet<String>,
}

impl DropboxState {
    fn new(selection: &SourcePath, cursor: String) -> Self {
        Self {
            selection: selection.remote_id.clone(),
            recursive: selection.include_subfolders,
            cursor,
            paths: BTreeMap::new(),
            ids: HashMap::new(),
            held_deletes: BTreeSet::new(),
        }
    }

    pub fn encode(&self) -> ProviderResult<String> {
        let mut previous = "";
        let mut paths = Vec::with_capacity(self.paths.len());
        for (path, node) in &self.paths {
            let shared = common_prefix(previous, path);
            paths.push((
                shared as u32,
                path[shared..].to_string(),
                node.id.clone(),
                node.folder as u8,
            ));
            previous = path;
        }
        let wire = Wire {
            selection: self.selection.clone(),
            recursive: self.recursive,
            cursor: self.cursor.clone(),
            paths,
            held_deletes: self.held_deletes.iter().cloned().collect(),
        };
        encode_compressed(CURSOR_PREFIX, &wire)
    }

    pub fn decode(text: &str) -> ProviderResult<Self> {
        let wire: Wire = decode_compressed(CURSOR_PREFIX, text)
            .ok_or_else(|| invalid("the Dropbox change cursor is not valid"))?;
        let mut state = Self {
            selection: wire.selection,
            recursive: wire.recursive,
            cursor: wire.cursor,
            paths: BTreeMap::new(),
            ids: HashMap::new(),
            held_deletes: wire.held_deletes.into_iter().collect(),
        };
        let mut previous = String::new();
        for (shared, rest, id, folder) in wire.paths {
            let shared = shared as usize;
            if shared > previous.len() || !previous.is_char_boundary(shared) {
                return Err(invalid("the Dropbox change cursor is damaged"));
            }
            let path = format!("{}{rest}", &previous[..shared]);
            state.ids.insert(id.clone(), path.clone());
            state.paths.insert(path.clone(), Node { id, folder: folder != 0 });
            previous = path;
        }
        Ok(state)
    }

    /// Files the cursor tracks (for tests and logs).
    pub fn file_count(&self) -> usize {
        self.paths.values().filter(|n| !n.folder).count()
    }

    /// Removes `path` and everything below it; holds deletes for their files.
    fn remove_subtree(&mut self, path: &str) -> Vec<String> {
        let mut gone: Vec<String> = self
            .paths
            .range(format!("{path}/")..format!("{path}0"))
            .map(|(p, _)| p.clone())
            .collect();
        if self.paths.contains_key(path) {
            gone.push(path.to_string());
        }
        let mut files = Vec::new();
        for p in gone {
            if let Some(node) = self.paths.remove(&p) {
                self.ids.remove(&node.id);
                if !node.folder {
                    self.held_deletes.insert(node.id.clone());
                    files.push(node.id);
                }
            }
        }
        files
    }

    /// Puts `id` at `path`, leaving wherever it was before.
    fn place(&mut self, path: &str, id: &str, folder: bool) {
        match self.ids.get(id).cloned() {
            Some(old) if old == path => {}
            // A folder that moved: its old subtree goes (its files come back
            // under the new path, reported by Dropbox).
            Some(old) if folder => {
                self.remove_subtree(&old);
            }
            Some(old) => {
                self.paths.remove(&old);
            }
            None => {}
        }
        if self.paths.get(path).is_some_and(|n| n.id != id) {
            // Another item had this name: it is gone.
            self.remove_subtree(path);
        }
        self.paths.insert(path.to_string(), Node { id: id.to_string(), folder });
        self.ids.insert(id.to_string(), path.to_string());
    }

    /// Applies entries in order; returns the upserts (deletes are held).
    fn apply(&mut self, entries: Vec<DropboxEntry>) -> Vec<Change> {
        let mut upserts: Vec<Option<RemoteItem>> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        for entry in entries {
            match entry {
                DropboxEntry::Deleted(deleted) => {
                    let Some(path) = deleted.path_lower else { continue };
                    for id in self.remove_subtree(&path) {
                        if let Some(i) = at.remove(&id) {
                            upserts[i] = None;
                        }
                    }
                }
                DropboxEntry::Folder(folder) => {
                    if let Some(path) = folder.path_lower {
                        self.place(&path, &folder.id, true);
                    }
                }
                DropboxEntry::File(file) => {
                    let (Some(path), Some(item)) = (file.path_lower.clone(), remote_item(&file))
                    else {
                        // Not downloadable as it is: treat it as absent.
                        if let Some(path) = file.path_lower.as_deref()
                            && self.paths.get(path).is_some_and(|n| n.id == file.id)
                        {
                            self.remove_subtree(path);
                        }
                        continue;
                    };
                    self.place(&path, &file.id, false);
                    self.held_deletes.remove(&file.id);
                    if let Some(i) = at.insert(file.id.clone(), upserts.len()) {
                        upserts[i] = None;
                    }
                    upserts.push(Some(item));
                }
                DropboxEntry::Other => {}
            }
        }
        upserts.into_iter().flatten().map(|item| Change::Upsert(Box::new(item))).collect()
    }

    /// Seeds the map from a listing page (tombstones are not items).
    fn seed(&mut self, entries: Vec<DropboxEntry>) {
        for entry in entries {
            match entry {
                DropboxEntry::Folder(folder) => {
                    if let Some(path) = folder.path_lower {
                        self.place(&path, &folder.id, true);
                    }
                }
                DropboxEntry::File(file) => {
                    if let (Some(path), Some(_)) = (file.path_lower.as_deref(), remote_item(&file))
                    {
                        self.place(path, &file.id, false);
                    }
                }
                DropboxEntry::Deleted(_) | DropboxEntry::Other => {}
            }
        }
        self.held_deletes.clear();
    }
}

/// Bytes `a` and `b` share at their start, cut at a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| a.len().min(b.len()))
}

/// The cursors of a selection: one per selected folder, each taken with
/// `list_folder/get_latest_cursor` (`include_deleted`, so the feed reports
/// deletions) *before* a listing whose entries seed the path map.
///
/// The spec promises nothing about what a listing's own final cursor covers
/// when the folder changes while it is paged, so, as with Drive's start page
/// token, the feed starts from before the listing: changes made meanwhile are
/// replayed over the map, which converges because entries apply in order.
pub async fn dropbox_start_cursors(
    core: &DropboxCore,
    selection: &[SourcePath],
) -> ProviderResult<Vec<ScopeCursor>> {
    let mut cursors = Vec::with_capacity(selection.len());
    for source in selection {
        let latest =
            dropbox_latest_cursor(core, &source.remote_id, source.include_subfolders).await?.cursor;
        let mut page =
            dropbox_list_folder(core, &source.remote_id, source.include_subfolders, true).await?;
        let mut state = DropboxState::new(source, latest);
        loop {
            state.seed(std::mem::take(&mut page.entries));
            if !page.has_more {
                break;
            }
            page = dropbox_continue(core, &page.cursor).await?;
        }
        cursors.push(ScopeCursor { scope: scope_of(source), cursor: state.encode()? });
    }
    Ok(cursors)
}

/// One page of changes of a selected folder since `cursor`.
pub async fn dropbox_changes(
    core: &DropboxCore,
    selection: &[SourcePath],
    scope: &str,
    cursor: &str,
) -> ProviderResult<ChangePage> {
    let mut state = DropboxState::decode(cursor)?;
    let selected = selection.iter().any(|s| {
        scope_of(s) == scope
            && s.remote_id == state.selection
            && s.include_subfolders == state.recursive
    });
    if !selected {
        return Err(invalid("the selected folders changed since the cursor was taken"));
    }
    let page = dropbox_continue(core, &state.cursor).await?;
    let mut changes = state.apply(page.entries);
    state.cursor = page.cursor;
    let done = !page.has_more;
    if done {
        changes.extend(
            std::mem::take(&mut state.held_deletes).into_iter().map(|id| Change::Delete { id }),
        );
    }
    Ok(ChangePage { changes, cursor: state.encode()?, done })
}

/// The state of a cursor (tests measure what it tracks and how big it is).
pub fn dropbox_cursor_state(cursor: &str) -> ProviderResult<DropboxState> {
    DropboxState::decode(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::dropbox::model::{
        DropboxDeletedMetadata, DropboxFileMetadata, DropboxFolderMetadata,
    };

    fn file(id: &str, path: &str, hash: &str) -> DropboxEntry {
        DropboxEntry::File(DropboxFileMetadata {
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            id: id.into(),
            server_modified: Some("2024-01-08T09:00:00Z".into()),
            rev: Some("015000000001".into()),
            size: 3,
            path_lower: Some(path.to_lowercase()),
            path_display: Some(path.into()),
            is_downloadable: true,
            content_hash: Some(hash.into()),
        })
    }

    fn folder(id: &str, path: &str) -> DropboxEntry {
        DropboxEntry::Folder(DropboxFolderMetadata {
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            id: id.into(),
            path_lower: Some(path.to_lowercase()),
            path_display: Some(path.into()),
        })
    }

    fn deleted(path: &str) -> DropboxEntry {
        DropboxEntry::Deleted(DropboxDeletedMetadata {
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            path_lower: Some(path.to_lowercase()),
            path_display: Some(path.into()),
        })
    }

    fn seeded() -> DropboxState {
        let source = SourcePath {
            path: "/Docs".into(),
            remote_id: "id:docs".into(),
            include_subfolders: true,
        };
        let mut state = DropboxState::new(&source, "c0".into());
        state.seed(vec![
            folder("id:docs", "/Docs"),
            file("id:a", "/Docs/a.txt", "h1"),
            folder("id:sub", "/Docs/Sub"),
            file("id:b", "/Docs/Sub/b.txt", "h2"),
            deleted("/Docs/old.txt"),
        ]);
        state
    }

    fn summary(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match c {
                Change::Upsert(i) => format!("+{} {}", i.id, i.path),
                Change::Delete { id } => format!("-{id}"),
            })
            .collect()
    }

    #[test]
    fn deleted_entries_resolve_to_ids_through_the_path_map() {
        let mut state = seeded();
        assert_eq!(state.file_count(), 2);
        assert!(state.apply(vec![deleted("/DOCS/a.txt")]).is_empty());
        assert_eq!(state.held_deletes, BTreeSet::from(["id:a".to_string()]));
        // A deleted folder deletes everything below its path.
        state.apply(vec![deleted("/Docs/Sub")]);
        assert_eq!(state.held_deletes.len(), 2);
        assert_eq!(state.paths.keys().collect::<Vec<_>>(), ["/docs"]);
    }

    #[test]
    fn a_rename_is_one_upsert_of_the_same_id_in_either_order() {
        let mut state = seeded();
        let changes = state.apply(vec![deleted("/Docs/a.txt"), file("id:a", "/Docs/a2.txt", "h1")]);
        assert_eq!(summary(&changes), ["+id:a /Docs/a2.txt"]);
        assert!(state.held_deletes.is_empty());
        let changes =
            state.apply(vec![file("id:a", "/Docs/a3.txt", "h1"), deleted("/Docs/a2.txt")]);
        assert_eq!(summary(&changes), ["+id:a /Docs/a3.txt"]);
        assert!(state.held_deletes.is_empty());
        // A renamed folder: old path deleted, then the folder and its files anew.
        let changes = state.apply(vec![
            deleted("/Docs/Sub"),
            folder("id:sub", "/Docs/Renamed"),
            file("id:b", "/Docs/Renamed/b.txt", "h2"),
        ]);
        assert_eq!(summary(&changes), ["+id:b /Docs/Renamed/b.txt"]);
        assert!(state.held_deletes.is_empty());
    }

    #[test]
    fn the_last_entry_of_an_id_wins_within_a_page() {
        let mut state = seeded();
        let changes = state.apply(vec![
            file("id:n", "/Docs/n.txt", "x"),
            file("id:n", "/Docs/n.txt", "y"),
            file("id:m", "/Docs/m.txt", "x"),
            deleted("/Docs/m.txt"),
        ]);
        assert_eq!(summary(&changes), ["+id:n /Docs/n.txt"]);
        assert_eq!(state.held_deletes, BTreeSet::from(["id:m".to_string()]));
    }

    #[test]
    fn cursors_round_trip_with_front_coded_paths() {
        let mut state = seeded();
        state.apply(vec![file("id:u", "/Docs/Sub/Ünïcode ü.txt", "h")]);
        state.held_deletes.insert("id:gone".into());
        let text = state.encode().unwrap();
        assert_eq!(DropboxState::decode(&text).unwrap(), state);
        assert_eq!(DropboxState::decode("dc1.x").unwrap_err().kind(), ErrorKind::CursorInvalid);
    }

    /// 100,000 files in 1,000 folders, with Dropbox-shaped ids (`id:` + 22
    /// base64url characters): what a cursor of that selection weighs.
    #[test]
    fn a_cursor_for_100k_files_stays_a_few_megabytes() {
        use rand::{Rng, SeedableRng};
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut id = || -> String {
            let tail: String = (0..22).map(|_| ALPHABET[rng.random_range(0..64)] as char).collect();
            format!("id:{tail}")
        };
        let source = SourcePath {
            path: "/Projects".into(),
            remote_id: "id:projects".into(),
            include_subfolders: true,
        };
        let mut state = DropboxState::new(&source, "A".repeat(200));
        let mut entries = vec![folder("id:projects", "/Projects")];
        for f in 0..1000 {
            let dir = format!("/Projects/batch-{f:04}");
            entries.push(folder(&id(), &dir));
            for n in 0..100 {
                entries.push(file(&id(), &format!("{dir}/note-{f:04}-{n:03}.md"), "h"));
            }
        }
        state.seed(entries);
        let text = state.encode().unwrap();
        eprintln!("dropbox cursor for 100,000 files: {} bytes", text.len());
        assert!(text.len() < 4_000_000, "{} bytes", text.len());
        assert_eq!(DropboxState::decode(&text).unwrap().file_count(), 100_000);
    }
}
