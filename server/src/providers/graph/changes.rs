//! The Graph change feed: `delta` per drive, filtered to the selection.
//!
//! Delta items carry no paths (`parentReference.path` is never returned) and
//! renaming or moving a folder reports only the folder, so the cursor keeps a
//! compact map of the selection: every tracked folder (id → parent id, name)
//! and every tracked file (id → folder). It is seeded by walking the selected
//! folders right after taking `?token=latest`, and kept up to date by each
//! page:
//! - the last occurrence of an item in a page wins;
//! - folders are placed first: a folder that leaves the selection (moved out,
//!   deleted) takes its whole subtree with it; a folder that enters it (moved
//!   in, created with children) or whose path changed (renamed, moved within)
//!   is queued to be walked with `children`, which reports its files at their
//!   new paths;
//! - then files: inside a tracked folder → upsert with the path built from the
//!   map; deleted, or moved to an untracked folder → delete, if it was tracked;
//! - deletes are held until the feed ends, so a file that leaves on one page
//!   and comes back on a later one (or in a walk) is not deleted.
//!
//! Between pages the cursor carries the `@odata.nextLink`, the folders still
//! to walk and the held deletes; when done, the `@odata.deltaLink`.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use app::model::SourcePath;
use serde::{Deserialize, Serialize};

use super::core::{GraphCore, ItemRef, join_path, normalize_path, remote_item};
use super::model::{GraphItem, GraphPage};
use crate::providers::tokens::{decode_compressed, encode_compressed};
use crate::providers::{Change, ChangePage, ErrorKind, ProviderError, ProviderResult, ScopeCursor};

const CURSOR_PREFIX: &str = "gd1.";
/// A change page walks at most this many folders...
const WALK_FOLDERS_PER_PAGE: usize = 32;
/// ...and stops early once it has this many changes.
const CHANGES_PER_PAGE: usize = 2000;
/// Parent chains longer than this are treated as broken (a cycle in bad data).
const MAX_DEPTH: usize = 4096;

/// The change feed scope of a drive.
pub fn scope_of(drive: &str) -> String {
    format!("drive:{drive}")
}

fn invalid(message: &str) -> ProviderError {
    ProviderError::new(ErrorKind::CursorInvalid, message.to_string())
}

/// A selected folder of the drive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Root {
    /// The selection's remote id (`<drive>!<item>` or `<drive>!root`).
    #[serde(rename = "s")]
    selection: String,
    /// The folder's item id (a drive root resolved from `root`).
    #[serde(rename = "i")]
    id: String,
    #[serde(rename = "r")]
    recursive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Folder {
    /// `None` for selected folders.
    parent: Option<String>,
    name: String,
}

/// The cursor as stored: folders as a table with parent indexes and the ids
/// of their files, so 100,000 files cost an id each.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "d")]
    drive: String,
    #[serde(rename = "l")]
    link: String,
    /// Whether `link` is the deltaLink (the feed is at its end).
    #[serde(rename = "e")]
    at_end: bool,
    #[serde(rename = "r")]
    roots: Vec<Root>,
    /// Folder id, parent index, name, file ids.
    #[serde(rename = "f")]
    folders: Vec<(String, Option<u32>, String, Vec<String>)>,
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    held_deletes: Vec<String>,
    #[serde(rename = "w", default, skip_serializing_if = "Vec::is_empty")]
    walk: Vec<String>,
}

/// The feed's state for one drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaState {
    drive: String,
    link: String,
    at_end: bool,
    roots: Vec<Root>,
    folders: HashMap<String, Folder>,
    /// File id → folder id.
    files: HashMap<String, String>,
    /// File ids that left the selection during the feed under way.
    held_deletes: BTreeSet<String>,
    /// Folders whose subtree must be listed (entered the selection or moved).
    walk: VecDeque<String>,
}

impl DeltaState {
    fn new(drive: &str, delta_link: String) -> Self {
        Self {
            drive: drive.to_string(),
            link: delta_link,
            at_end: true,
            roots: Vec::new(),
            folders: HashMap::new(),
            files: HashMap::new(),
            held_deletes: BTreeSet::new(),
            walk: VecDeque::new(),
        }
    }

    pub fn encode(&self) -> ProviderResult<String> {
        let mut ids: Vec<&String> = self.folders.keys().collect();
        ids.sort();
        let index: HashMap<&str, u32> =
            ids.iter().enumerate().map(|(i, id)| (id.as_str(), i as u32)).collect();
        let mut files: Vec<Vec<String>> = vec![Vec::new(); ids.len()];
        for (file, folder) in &self.files {
            if let Some(&i) = index.get(folder.as_str()) {
                files[i as usize].push(file.clone());
            }
        }
        let folders = ids
            .iter()
            .zip(files)
            .map(|(id, mut files)| {
                files.sort();
                let folder = &self.folders[*id];
                let parent = folder.parent.as_deref().and_then(|p| index.get(p).copied());
                ((*id).clone(), parent, folder.name.clone(), files)
            })
            .collect();
        let wire = Wire {
            drive: self.drive.clone(),
            link: self.link.clone(),
            at_end: self.at_end,
            roots: self.roots.clone(),
            folders,
            held_deletes: self.held_deletes.iter().cloned().collect(),
            walk: self.walk.iter().cloned().collect(),
        };
        encode_compressed(CURSOR_PREFIX, &wire)
    }

    pub fn decode(text: &str) -> ProviderResult<Self> {
        let wire: Wire = decode_compressed(CURSOR_PREFIX, text)
            .ok_or_else(|| invalid("the OneDrive / SharePoint change cursor is not valid"))?;
        let mut state = Self::new(&wire.drive, wire.link);
        state.at_end = wire.at_end;
        state.roots = wire.roots;
        let ids: Vec<String> = wire.folders.iter().map(|f| f.0.clone()).collect();
        for (id, parent, name, files) in wire.folders {
            let parent = match parent {
                Some(i) => Some(
                    ids.get(i as usize)
                        .cloned()
                        .ok_or_else(|| invalid("the change cursor is damaged"))?,
                ),
                None => None,
            };
            for file in files {
                state.files.insert(file, id.clone());
            }
            state.folders.insert(id, Folder { parent, name });
        }
        state.held_deletes = wire.held_deletes.into_iter().collect();
        state.walk = wire.walk.into();
        Ok(state)
    }

    /// Files the cursor tracks (for tests and logs).
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    fn root(&self, id: &str) -> Option<&Root> {
        self.roots.iter().find(|r| r.id == id)
    }

    /// The selected folders of this drive must be the ones the cursor was made
    /// for; otherwise the engine must list again.
    fn check_selection(&self, selection: &[SourcePath]) -> ProviderResult<HashMap<String, String>> {
        let wanted: BTreeSet<(&str, bool)> = selection
            .iter()
            .filter(|s| ItemRef::parse(&s.remote_id).is_some_and(|r| r.drive == self.drive))
            .map(|s| (s.remote_id.as_str(), s.include_subfolders))
            .collect();
        let have: BTreeSet<(&str, bool)> =
            self.roots.iter().map(|r| (r.selection.as_str(), r.recursive)).collect();
        if wanted != have {
            return Err(invalid("the selected folders changed since the cursor was taken"));
        }
        let mut paths = HashMap::new();
        for root in &self.roots {
            if let Some(source) = selection.iter().find(|s| s.remote_id == root.selection) {
                paths.insert(root.id.clone(), normalize_path(&source.path));
            }
        }
        Ok(paths)
    }

    /// The path of a tracked folder, built from the map.
    fn path_of(
        &self,
        folder: &str,
        roots: &HashMap<String, String>,
        memo: &mut HashMap<String, String>,
    ) -> Option<String> {
        let mut chain = Vec::new();
        let mut current = folder.to_string();
        let base = loop {
            if let Some(known) = memo.get(&current) {
                break known.clone();
            }
            if let Some(path) = roots.get(&current) {
                break path.clone();
            }
            let node = self.folders.get(&current)?;
            chain.push(current.clone());
            current = node.parent.clone()?;
            if chain.len() > MAX_DEPTH {
                return None;
            }
        };
        let mut path = base;
        for id in chain.into_iter().rev() {
            let name = &self.folders.get(&id)?.name;
            path = join_path(&path, name);
            memo.insert(id, path.clone());
        }
        Some(path)
    }

    /// Removes a folder's subtree (the folder itself unless it is selected)
    /// and holds deletes for its files.
    fn drop_subtree(&mut self, folder: &str) {
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for (id, node) in &self.folders {
            if let Some(parent) = &node.parent {
                children.entry(parent.as_str()).or_default().push(id.as_str());
            }
        }
        let mut gone: HashSet<String> = HashSet::new();
        let mut stack = vec![folder];
        while let Some(id) = stack.pop() {
            if gone.insert(id.to_string()) {
                stack.extend(children.get(id).into_iter().flatten().copied());
            }
        }
        let files: Vec<String> = self
            .files
            .iter()
            .filter(|(_, f)| gone.contains(*f))
            .map(|(id, _)| id.clone())
            .collect();
        for file in files {
            self.files.remove(&file);
            self.held_deletes.insert(file);
        }
        for id in gone {
            if self.root(&id).is_none() {
                self.folders.remove(&id);
            }
        }
    }

    /// Whether any tracked file lies below `folder`.
    fn has_files_below(&self, folder: &str) -> bool {
        let mut below: HashSet<&str> = HashSet::from([folder]);
        let mut grew = true;
        while grew {
            grew = false;
            for (id, node) in &self.folders {
                if node.parent.as_deref().is_some_and(|p| below.contains(p))
                    && below.insert(id.as_str())
                {
                    grew = true;
                }
            }
        }
        self.files.values().any(|f| below.contains(f.as_str()))
    }

    /// Applies one delta page; returns the upserts (deletes are held).
    fn apply(&mut self, items: Vec<GraphItem>, roots: &HashMap<String, String>) -> Vec<Change> {
        let items = last_occurrences(items);
        let root_ids: HashSet<String> = self.roots.iter().map(|r| r.id.clone()).collect();

        // Folders first: where each one is now.
        let mut placed: Vec<(String, Option<String>, String, Option<u64>)> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        for item in &items {
            let Some(id) = item.id.as_deref() else { continue };
            if !(item.is_folder() || self.folders.contains_key(id)) {
                continue;
            }
            if root_ids.contains(id) || item.root.is_some() {
                // Selected folders stay selected wherever they go; a deleted one
                // takes everything below it.
                if item.is_deleted() && root_ids.contains(id) {
                    removed.push(id.to_string());
                }
                continue;
            }
            if item.is_deleted() {
                if self.folders.contains_key(id) {
                    removed.push(id.to_string());
                }
                continue;
            }
            let known = self.folders.get(id);
            let parent = item
                .parent_id()
                .map(str::to_string)
                .or_else(|| known.and_then(|k| k.parent.clone()));
            let name = item.name.clone().or_else(|| known.map(|k| k.name.clone()));
            let Some(name) = name else { continue };
            let count = item.folder.as_ref().and_then(|f| f.child_count);
            placed.push((id.to_string(), parent, name, count));
        }
        for id in removed {
            self.drop_subtree(&id);
        }
        let moved: HashMap<&str, Option<&str>> =
            placed.iter().map(|(id, parent, ..)| (id.as_str(), parent.as_deref())).collect();
        let inside = |state: &Self, id: &str| -> bool {
            let mut current = id;
            for _ in 0..MAX_DEPTH {
                let parent = match moved.get(current) {
                    Some(parent) => *parent,
                    None => match state.folders.get(current) {
                        Some(node) => node.parent.as_deref(),
                        None => return false,
                    },
                };
                let Some(parent) = parent else { return false };
                if let Some(root) = state.root(parent) {
                    // Only a recursive selection tracks subfolders.
                    return root.recursive;
                }
                current = parent;
            }
            false
        };
        let mut to_walk: Vec<String> = Vec::new();
        for (id, parent, name, count) in &placed {
            let before = self.folders.get(id).cloned();
            if inside(self, id) {
                let node = Folder { parent: parent.clone(), name: name.clone() };
                let changed = before.as_ref() != Some(&node);
                self.folders.insert(id.clone(), node);
                let walk = match before {
                    None => *count != Some(0),
                    Some(_) => changed && self.has_files_below(id),
                };
                if walk {
                    to_walk.push(id.clone());
                }
            } else if before.is_some() {
                self.drop_subtree(id);
            }
        }
        self.queue_walks(to_walk);

        // Then files.
        let mut changes = Vec::new();
        let mut memo = HashMap::new();
        for item in &items {
            let Some(id) = item.id.as_deref() else { continue };
            if item.is_folder() || self.folders.contains_key(id) || root_ids.contains(id) {
                continue;
            }
            if item.is_deleted() || item.file.is_none() {
                self.forget_file(id);
                continue;
            }
            let parent =
                item.parent_id().map(str::to_string).or_else(|| self.files.get(id).cloned());
            let placed = parent.as_deref().and_then(|parent| {
                let path = self.path_of(parent, roots, &mut memo)?;
                let name = item.name.as_deref()?;
                remote_item(&self.drive, item, join_path(&path, name))
            });
            match (placed, parent) {
                (Some(remote), Some(parent)) => {
                    self.files.insert(id.to_string(), parent);
                    self.held_deletes.remove(id);
                    changes.push(Change::Upsert(Box::new(remote)));
                }
                _ => self.forget_file(id),
            }
        }
        changes
    }

    /// A file that is gone or left the selection: delete it when the feed ends.
    fn forget_file(&mut self, id: &str) {
        if self.files.remove(id).is_some() {
            self.held_deletes.insert(id.to_string());
        }
    }

    /// Queues subtrees to walk, skipping those inside another one queued.
    fn queue_walks(&mut self, folders: Vec<String>) {
        let queued: HashSet<String> = folders.iter().chain(self.walk.iter()).cloned().collect();
        for folder in folders {
            let mut current = self.folders.get(&folder).and_then(|f| f.parent.clone());
            let mut covered = false;
            for _ in 0..MAX_DEPTH {
                let Some(id) = current else { break };
                if queued.contains(&id) {
                    covered = true;
                    break;
                }
                current = self.folders.get(&id).and_then(|f| f.parent.clone());
            }
            if !covered && !self.walk.contains(&folder) {
                self.walk.push_back(folder);
            }
        }
    }

    /// Lists queued folders with `children`: their files become tracked (and,
    /// when `report`, upserts at their current paths), their subfolders are
    /// queued in turn.
    async fn walk_some(
        &mut self,
        core: &GraphCore,
        roots: &HashMap<String, String>,
        max_folders: usize,
        report: bool,
    ) -> ProviderResult<Vec<Change>> {
        let mut changes = Vec::new();
        let mut listed = 0;
        while listed < max_folders && changes.len() < CHANGES_PER_PAGE {
            let Some(folder) = self.walk.pop_front() else { break };
            if !self.folders.contains_key(&folder) {
                continue;
            }
            listed += 1;
            let children = match core.graph_all_children(&ItemRef::new(&self.drive, &folder)).await
            {
                Ok(children) => children,
                // Deleted meanwhile: the feed reports it.
                Err(e) if e.kind() == ErrorKind::NotFound && self.root(&folder).is_none() => {
                    continue;
                }
                Err(e) => return Err(e),
            };
            let descend = self.root(&folder).is_none_or(|r| r.recursive);
            let mut memo = HashMap::new();
            let Some(path) = self.path_of(&folder, roots, &mut memo) else { continue };
            for child in children.iter().filter(|c| !c.is_deleted()) {
                let (Some(id), Some(name)) = (&child.id, &child.name) else { continue };
                if child.is_folder() {
                    if descend && self.root(id).is_none() {
                        let node = Folder { parent: Some(folder.clone()), name: name.clone() };
                        self.folders.insert(id.clone(), node);
                        self.walk.push_back(id.clone());
                    }
                } else if let Some(item) = remote_item(&self.drive, child, join_path(&path, name)) {
                    self.files.insert(id.clone(), folder.clone());
                    self.held_deletes.remove(id);
                    if report {
                        changes.push(Change::Upsert(Box::new(item)));
                    }
                }
            }
        }
        Ok(changes)
    }
}

/// Keeps the last occurrence of every id, in the order of last occurrences.
fn last_occurrences(items: Vec<GraphItem>) -> Vec<GraphItem> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Option<GraphItem>> = Vec::with_capacity(items.len());
    for item in items {
        let Some(id) = item.id.clone() else { continue };
        if let Some(previous) = at.insert(id, out.len()) {
            out[previous] = None;
        }
        out.push(Some(item));
    }
    out.into_iter().flatten().collect()
}

/// The cursors of a selection: one per drive, each taken with
/// `?token=latest` and then seeded by walking that drive's selected folders.
pub async fn graph_start_cursors(
    core: &GraphCore,
    selection: &[SourcePath],
) -> ProviderResult<Vec<ScopeCursor>> {
    let mut drives: Vec<String> = Vec::new();
    for source in selection {
        let item = ItemRef::parse(&source.remote_id).ok_or_else(|| {
            ProviderError::invalid(format!(
                "{:?} is not a OneDrive or SharePoint folder",
                source.path
            ))
        })?;
        if !drives.contains(&item.drive) {
            drives.push(item.drive);
        }
    }
    let mut cursors = Vec::with_capacity(drives.len());
    for drive in drives {
        let latest: GraphPage<GraphItem> = core
            .graph_get(&format!("{}/delta?token=latest", ItemRef::new(&drive, "root").path()))
            .await?;
        let link = latest
            .delta_link
            .ok_or_else(|| ProviderError::parse("delta?token=latest answered no deltaLink"))?;
        core.check_link(&link)?;
        let mut state = DeltaState::new(&drive, link);
        for source in selection {
            let Some(item) = ItemRef::parse(&source.remote_id).filter(|r| r.drive == drive) else {
                continue;
            };
            let id = if item.is_root() {
                let root: GraphItem = core.graph_get(&item.path()).await?;
                root.id.ok_or_else(|| ProviderError::parse("the drive root has no id"))?
            } else {
                item.item.clone()
            };
            state.roots.push(Root {
                selection: source.remote_id.clone(),
                id: id.clone(),
                recursive: source.include_subfolders,
            });
            state.folders.insert(id.clone(), Folder { parent: None, name: String::new() });
            state.walk.push_back(id);
        }
        let roots = state.check_selection(selection)?;
        while !state.walk.is_empty() {
            state.walk_some(core, &roots, usize::MAX, false).await?;
        }
        cursors.push(ScopeCursor { scope: scope_of(&drive), cursor: state.encode()? });
    }
    Ok(cursors)
}

/// One page of changes of a drive since `cursor`.
pub async fn graph_changes(
    core: &GraphCore,
    selection: &[SourcePath],
    scope: &str,
    cursor: &str,
) -> ProviderResult<ChangePage> {
    let mut state = DeltaState::decode(cursor)?;
    if scope != scope_of(&state.drive) {
        return Err(invalid("the change cursor belongs to another drive"));
    }
    let roots = state.check_selection(selection)?;
    let mut changes = if !state.walk.is_empty() {
        state.walk_some(core, &roots, WALK_FOLDERS_PER_PAGE, true).await?
    } else {
        let page: GraphPage<GraphItem> = core.graph_follow(&state.link).await?;
        let changes = state.apply(page.value, &roots);
        match (page.next_link, page.delta_link) {
            (Some(next), _) => {
                state.link = next;
                state.at_end = false;
            }
            (None, Some(delta)) => {
                state.link = delta;
                state.at_end = true;
            }
            (None, None) => {
                return Err(ProviderError::parse(
                    "a delta page has neither nextLink nor deltaLink",
                ));
            }
        }
        changes
    };
    let done = state.at_end && state.walk.is_empty();
    if done {
        let drive = state.drive.clone();
        changes.extend(
            std::mem::take(&mut state.held_deletes)
                .into_iter()
                .map(|id| Change::Delete { id: ItemRef::new(&drive, id).encode() }),
        );
    }
    Ok(ChangePage { changes, cursor: state.encode()?, done })
}

/// The state of a cursor (tests measure what it tracks and how big it is).
pub fn graph_cursor_state(cursor: &str) -> ProviderResult<DeltaState> {
    DeltaState::decode(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::graph::model::{GraphFileFacet, GraphFolderFacet, GraphItemReference};

    const DRIVE: &str = "b!drive";

    fn state() -> (DeltaState, HashMap<String, String>) {
        let mut state = DeltaState::new(DRIVE, "https://graph/delta?token=1".into());
        state.roots.push(Root { selection: format!("{DRIVE}!R"), id: "R".into(), recursive: true });
        state.folders.insert("R".into(), Folder { parent: None, name: String::new() });
        state.folders.insert("S".into(), Folder { parent: Some("R".into()), name: "Sub".into() });
        state.files.insert("a".into(), "R".into());
        state.files.insert("b".into(), "S".into());
        (state, HashMap::from([("R".to_string(), "/Docs".to_string())]))
    }

    fn item(id: &str, name: Option<&str>, parent: Option<&str>) -> GraphItem {
        GraphItem {
            id: Some(id.into()),
            name: name.map(str::to_string),
            parent_reference: parent
                .map(|p| GraphItemReference { id: Some(p.into()), ..Default::default() }),
            ..Default::default()
        }
    }

    fn file(id: &str, name: &str, parent: &str, hash: &str) -> GraphItem {
        let mut item = item(id, Some(name), Some(parent));
        item.file = Some(GraphFileFacet {
            mime_type: Some("text/plain".into()),
            hashes: Some(super::super::model::GraphHashes {
                quick_xor_hash: Some(hash.into()),
                ..Default::default()
            }),
        });
        item
    }

    fn folder(id: &str, name: &str, parent: &str, children: u64) -> GraphItem {
        let mut item = item(id, Some(name), Some(parent));
        item.folder = Some(GraphFolderFacet { child_count: Some(children) });
        item
    }

    fn deleted(id: &str) -> GraphItem {
        let mut item = item(id, None, None);
        item.deleted = Some(serde_json::json!({}));
        item
    }

    fn upserted(changes: &[Change]) -> Vec<(String, String, Option<String>)> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::Upsert(i) => Some((i.id.clone(), i.path.clone(), i.version.clone())),
                Change::Delete { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_last_occurrence_of_an_item_wins_and_paths_come_from_the_map() {
        let (mut state, roots) = state();
        let changes = state.apply(
            vec![
                file("c", "c.txt", "S", "v1"),
                file("a", "a.txt", "R", "v2"),
                file("c", "c-renamed.txt", "S", "v3"),
            ],
            &roots,
        );
        assert_eq!(
            upserted(&changes),
            [
                (format!("{DRIVE}!a"), "/Docs/a.txt".into(), Some("v2".into())),
                (format!("{DRIVE}!c"), "/Docs/Sub/c-renamed.txt".into(), Some("v3".into())),
            ]
        );
        assert_eq!(state.files.get("c").map(String::as_str), Some("S"));
    }

    #[test]
    fn a_deleted_folder_deletes_what_was_in_it_even_when_its_files_are_not_listed() {
        let (mut state, roots) = state();
        let mut gone = deleted("S");
        gone.folder = Some(GraphFolderFacet::default());
        assert!(state.apply(vec![gone], &roots).is_empty());
        assert_eq!(state.held_deletes, BTreeSet::from(["b".to_string()]));
        assert!(!state.folders.contains_key("S"));
        assert_eq!(state.files.len(), 1);
    }

    #[test]
    fn a_folder_moved_out_takes_its_files_and_one_moved_in_is_walked() {
        let (mut state, roots) = state();
        state.apply(vec![folder("S", "Sub", "ELSEWHERE", 1)], &roots);
        assert_eq!(state.held_deletes, BTreeSet::from(["b".to_string()]));
        state.apply(vec![folder("S", "Sub", "R", 1)], &roots);
        assert_eq!(state.walk, VecDeque::from(["S".to_string()]));
        // An empty new folder costs no walk.
        state.apply(vec![folder("E", "Empty", "R", 0)], &roots);
        assert_eq!(state.walk.len(), 1);
        assert!(state.folders.contains_key("E"));
    }

    #[test]
    fn items_outside_the_selection_are_ignored_and_unknown_deletes_too() {
        let (mut state, roots) = state();
        let changes = state.apply(
            vec![file("z", "z.txt", "ELSEWHERE", "v"), deleted("unknown"), deleted("a")],
            &roots,
        );
        assert!(changes.is_empty());
        assert_eq!(state.held_deletes, BTreeSet::from(["a".to_string()]));
    }

    #[test]
    fn cursors_round_trip() {
        let (mut state, _) = state();
        state.held_deletes.insert("gone".into());
        state.walk.push_back("S".into());
        let text = state.encode().unwrap();
        assert_eq!(DeltaState::decode(&text).unwrap(), state);
        assert_eq!(DeltaState::decode("gd1.xyz").unwrap_err().kind(), ErrorKind::CursorInvalid);
    }

    /// 100,000 files in 1,000 folders, with OneDrive for Business-shaped ids
    /// (`01` + 32 base32 characters): what a cursor of that selection weighs.
    #[test]
    fn a_cursor_for_100k_files_stays_a_few_megabytes() {
        use rand::{Rng, SeedableRng};
        const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut id = || -> String {
            let tail: String = (0..32).map(|_| BASE32[rng.random_range(0..32)] as char).collect();
            format!("01{tail}")
        };
        let mut state = DeltaState::new(DRIVE, "https://graph.microsoft.com/v1.0/drives/b!x/root/delta?token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into());
        let root = id();
        state.roots.push(Root {
            selection: format!("{DRIVE}!{root}"),
            id: root.clone(),
            recursive: true,
        });
        state.folders.insert(root.clone(), Folder { parent: None, name: String::new() });
        for f in 0..1000 {
            let folder = id();
            state.folders.insert(
                folder.clone(),
                Folder { parent: Some(root.clone()), name: format!("batch-{f:04}") },
            );
            for _ in 0..100 {
                state.files.insert(id(), folder.clone());
            }
        }
        let text = state.encode().unwrap();
        eprintln!("graph cursor for 100,000 files: {} bytes", text.len());
        assert!(text.len() < 4_000_000, "{} bytes", text.len());
        assert_eq!(DeltaState::decode(&text).unwrap().file_count(), 100_000);
    }
}
