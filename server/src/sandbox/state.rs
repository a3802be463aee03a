//! The provider-neutral model of one sandbox account: drives (My Drive, shared drives,
//! OneDrive, SharePoint document libraries, the Dropbox home), a tree of folders and files
//! with stable ids and version markers, and one append-only change log.
//!
//! Every change feed is a view of the log: position `seq` is `index + 1`, so positions
//! increase monotonically per account, and per-drive feeds filter by the item's drive.
//! Each item remembers the position of its latest change, which is how Drive and Dropbox
//! report an item once at its latest state while Graph may report it once per change.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use rand::rngs::StdRng;

use super::Provider;
use super::accounts::{self, Profile};
use super::hashes;
use super::seed::{GeneratedContent, SeedManifest};

pub(crate) type ItemIdx = u32;
pub(crate) type DriveIdx = u16;

/// Why a control operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    #[error("no item with id {0:?}")]
    NotFound(String),
    #[error("an item named {0:?} already exists in that folder")]
    NameConflict(String),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DriveKind {
    /// Google "My Drive".
    MyDrive,
    /// A Google shared drive.
    SharedDrive,
    /// The user's OneDrive (for Business).
    OneDrive,
    /// A SharePoint document library.
    DocumentLibrary,
    /// The Dropbox home namespace.
    DropboxHome,
}

pub(crate) struct DriveSpace {
    pub id: String,
    pub name: String,
    pub kind: DriveKind,
    pub root: ItemIdx,
    pub created_ms: i64,
    pub site: Option<usize>,
}

/// A SharePoint site; its document libraries are drives.
pub(crate) struct Site {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub web_url: String,
    pub created_ms: i64,
    pub drives: Vec<DriveIdx>,
}

/// File bytes: stored, or regenerated on demand from a seed (bulk-generated files).
#[derive(Clone, Debug)]
pub(crate) enum Content {
    Bytes(Arc<[u8]>),
    Generated(GeneratedContent),
}

impl Content {
    pub fn len(&self) -> u64 {
        match self {
            Content::Bytes(bytes) => bytes.len() as u64,
            Content::Generated(generated) => u64::from(generated.len),
        }
    }

    pub fn bytes(&self) -> Arc<[u8]> {
        match self {
            Content::Bytes(bytes) => bytes.clone(),
            Content::Generated(generated) => generated.materialize().into(),
        }
    }
}

pub(crate) struct Folder {
    /// Live and deleted children, in creation order (listings skip the deleted ones).
    pub children: BTreeSet<ItemIdx>,
    pub live_children: u32,
}

pub(crate) enum ItemKind {
    Folder(Folder),
    File {
        mime: Cow<'static, str>,
        content: Content,
    },
    /// A native Google Docs Editors file: no bytes of its own, only exports. For Docs and
    /// Slides, paragraphs separated by `\n`; for Sheets, the first sheet as CSV rows.
    GoogleDoc {
        app: GoogleApp,
        text: Arc<str>,
    },
}

/// Which Google-native type a [`ItemKind::GoogleDoc`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoogleApp {
    Document,
    Spreadsheet,
    Presentation,
    /// Google Forms: Drive lists them but `files.export` has no text format for them.
    Form,
}

impl GoogleApp {
    pub fn mime(self) -> &'static str {
        match self {
            GoogleApp::Document => "application/vnd.google-apps.document",
            GoogleApp::Spreadsheet => "application/vnd.google-apps.spreadsheet",
            GoogleApp::Presentation => "application/vnd.google-apps.presentation",
            GoogleApp::Form => "application/vnd.google-apps.form",
        }
    }

    pub fn from_kind(kind: &str) -> Option<Self> {
        [Self::Document, Self::Spreadsheet, Self::Presentation, Self::Form]
            .into_iter()
            .find(|app| app.kind() == kind)
    }

    /// The seed manifest's and control API's `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            GoogleApp::Document => "google_doc",
            GoogleApp::Spreadsheet => "google_sheet",
            GoogleApp::Presentation => "google_slides",
            GoogleApp::Form => "google_form",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashKind {
    Md5,
    Sha256,
    QuickXor,
    Dropbox,
}

#[derive(Default)]
pub(crate) struct HashCache {
    md5: Option<Box<str>>,
    sha256: Option<Box<str>>,
    quick_xor: Option<Box<str>>,
    dropbox: Option<Box<str>>,
}

impl HashCache {
    fn slot(&mut self, kind: HashKind) -> &mut Option<Box<str>> {
        match kind {
            HashKind::Md5 => &mut self.md5,
            HashKind::Sha256 => &mut self.sha256,
            HashKind::QuickXor => &mut self.quick_xor,
            HashKind::Dropbox => &mut self.dropbox,
        }
    }
}

pub(crate) struct Item {
    pub id: Box<str>,
    pub drive: DriveIdx,
    /// `None` only for drive roots.
    pub parent: Option<ItemIdx>,
    pub name: Box<str>,
    pub kind: ItemKind,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Bumped on every change (Drive `version`, Graph `eTag`).
    pub version: u64,
    /// Log position of the latest content change (Drive `headRevisionId`, Graph `cTag`,
    /// Dropbox `rev`).
    pub content_seq: u64,
    pub trashed: bool,
    pub explicitly_trashed: bool,
    pub deleted: bool,
    /// Log position of the latest change other than a path-only one.
    pub last_change: u64,
    /// Log position of the latest change of any kind.
    pub last_any: u64,
    hashes: Option<Box<HashCache>>,
}

impl Item {
    pub fn is_folder(&self) -> bool {
        matches!(self.kind, ItemKind::Folder(_))
    }

    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    pub fn folder(&self) -> Option<&Folder> {
        match &self.kind {
            ItemKind::Folder(folder) => Some(folder),
            _ => None,
        }
    }

    /// Byte size of a file with content of its own (`None` for folders and Google Docs).
    pub fn size(&self) -> Option<u64> {
        match &self.kind {
            ItemKind::File { content, .. } => Some(content.len()),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    /// Created, modified, renamed, moved, trashed or restored.
    Upsert,
    /// Permanently deleted.
    Removed,
    /// Only the path changed, because an ancestor was renamed or moved. Only path-keyed
    /// feeds (Dropbox) report these; Drive and Graph track items by id.
    PathOnly,
}

pub(crate) struct ChangeRecord {
    pub item: ItemIdx,
    pub kind: ChangeKind,
    pub time_ms: i64,
    /// Dropbox only: the path the item had before a move/rename, or at deletion.
    pub old_path: Option<Box<str>>,
}

/// Snapshots of a tree taken at the first page of a Graph delta or Dropbox list_folder
/// enumeration, so later pages are stable while the tree changes underneath.
#[derive(Default)]
pub(crate) struct Enumerations {
    next_id: u64,
    entries: VecDeque<(u64, Arc<[ItemIdx]>)>,
}

const MAX_ENUMERATIONS: usize = 32;

impl Enumerations {
    pub fn start(&mut self, items: Vec<ItemIdx>) -> (u64, Arc<[ItemIdx]>) {
        self.next_id += 1;
        let items: Arc<[ItemIdx]> = items.into();
        if self.entries.len() == MAX_ENUMERATIONS {
            self.entries.pop_front();
        }
        self.entries.push_back((self.next_id, items.clone()));
        (self.next_id, items)
    }

    /// `None` once evicted: the provider then asks the client to start over.
    pub fn get(&self, id: u64) -> Option<Arc<[ItemIdx]>> {
        self.entries.iter().find(|(i, _)| *i == id).map(|(_, items)| items.clone())
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

pub(crate) struct Account {
    pub provider: Provider,
    pub profile: Profile,
    /// Drives ids and generated names; seeded per account so ids are reproducible.
    pub rng: StdRng,
    pub drives: Vec<DriveSpace>,
    pub sites: Vec<Site>,
    pub items: Vec<Item>,
    by_id: HashMap<Box<str>, ItemIdx>,
    pub log: Vec<ChangeRecord>,
    /// Bumped by the "invalidate cursors" fault; opaque cursors carry the epoch they were
    /// issued in.
    pub epoch: u32,
    /// Drive page tokens are plain positions; those below this one were invalidated.
    pub drive_tokens_valid_from: u64,
    pub enumerations: Enumerations,
    pub manifest: Option<SeedManifest>,
}

impl Account {
    pub fn new(provider: Provider, profile: Profile, rng: StdRng) -> Self {
        Self {
            provider,
            profile,
            rng,
            drives: Vec::new(),
            sites: Vec::new(),
            items: Vec::new(),
            by_id: HashMap::new(),
            log: Vec::new(),
            epoch: 1,
            drive_tokens_valid_from: 1,
            enumerations: Enumerations::default(),
            manifest: None,
        }
    }

    /// The latest log position (0 before any change).
    pub fn seq(&self) -> u64 {
        self.log.len() as u64
    }

    pub fn item(&self, idx: ItemIdx) -> &Item {
        &self.items[idx as usize]
    }

    pub fn find(&self, id: &str) -> Option<ItemIdx> {
        self.by_id.get(id).copied()
    }

    pub fn find_live(&self, id: &str) -> Option<ItemIdx> {
        self.find(id).filter(|&idx| !self.item(idx).deleted)
    }

    pub fn drive(&self, drive: DriveIdx) -> &DriveSpace {
        &self.drives[drive as usize]
    }

    pub fn drive_by_id(&self, id: &str) -> Option<DriveIdx> {
        self.drives.iter().position(|d| d.id == id).map(|i| i as DriveIdx)
    }

    pub fn default_drive(&self) -> DriveIdx {
        0
    }

    fn fresh_id(&mut self) -> String {
        loop {
            let id = accounts::item_id(self.provider, &mut self.rng);
            if !self.by_id.contains_key(id.as_str()) {
                return id;
            }
        }
    }

    /// A new drive with an (unlogged) root folder.
    pub fn add_drive(
        &mut self,
        name: &str,
        kind: DriveKind,
        site: Option<usize>,
        now: i64,
    ) -> DriveIdx {
        let drive = self.drives.len() as DriveIdx;
        let drive_id = accounts::drive_id(self.provider, &mut self.rng);
        // A Google shared drive's id is also the id of its top-level folder.
        let root_id = match kind {
            DriveKind::SharedDrive | DriveKind::MyDrive => drive_id.clone(),
            _ => self.fresh_id(),
        };
        let root_name = match kind {
            DriveKind::MyDrive => "My Drive",
            DriveKind::SharedDrive => name,
            DriveKind::OneDrive | DriveKind::DocumentLibrary => "root",
            DriveKind::DropboxHome => "",
        };
        let root = self.push_item(Item {
            id: root_id.into(),
            drive,
            parent: None,
            name: root_name.into(),
            kind: ItemKind::Folder(Folder { children: BTreeSet::new(), live_children: 0 }),
            created_ms: now,
            modified_ms: now,
            version: 1,
            content_seq: 0,
            trashed: false,
            explicitly_trashed: false,
            deleted: false,
            last_change: 0,
            last_any: 0,
            hashes: None,
        });
        self.drives.push(DriveSpace {
            id: drive_id,
            name: name.to_string(),
            kind,
            root,
            created_ms: now,
            site,
        });
        drive
    }

    /// A SharePoint site with document libraries named `libraries`.
    pub fn add_site(
        &mut self,
        name: &str,
        display_name: &str,
        libraries: &[&str],
        now: i64,
    ) -> usize {
        let site = self.sites.len();
        let id = accounts::site_id(&mut self.rng);
        let host = accounts::SHAREPOINT_HOST;
        let slug: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        self.sites.push(Site {
            id,
            name: name.to_string(),
            display_name: display_name.to_string(),
            web_url: format!("https://{host}/sites/{slug}"),
            created_ms: now,
            drives: Vec::new(),
        });
        for library in libraries {
            let drive = self.add_drive(library, DriveKind::DocumentLibrary, Some(site), now);
            self.sites[site].drives.push(drive);
        }
        site
    }

    fn push_item(&mut self, item: Item) -> ItemIdx {
        let idx = self.items.len() as ItemIdx;
        self.by_id.insert(item.id.clone(), idx);
        self.items.push(item);
        idx
    }

    fn record(
        &mut self,
        item: ItemIdx,
        kind: ChangeKind,
        old_path: Option<String>,
        now: i64,
    ) -> u64 {
        self.log.push(ChangeRecord {
            item,
            kind,
            time_ms: now,
            old_path: old_path.map(Into::into),
        });
        let seq = self.seq();
        let entry = &mut self.items[item as usize];
        entry.last_any = seq;
        if kind != ChangeKind::PathOnly {
            entry.last_change = seq;
        }
        seq
    }

    /// Path keyed feeds (Dropbox) need old paths; the others track items by id only.
    fn tracks_paths(&self) -> bool {
        self.provider == Provider::Dropbox
    }

    fn validate_name(&self, name: &str) -> Result<(), SandboxError> {
        if name.trim().is_empty() || name.chars().count() > 255 {
            return Err(SandboxError::Invalid("a name must have 1 to 255 characters".into()));
        }
        if self.provider != Provider::Google
            && (name.contains(['/', '\\']) || name == "." || name == "..")
        {
            return Err(SandboxError::Invalid(format!("{name:?} is not a valid name")));
        }
        Ok(())
    }

    /// Graph and Dropbox names are unique per folder, case-insensitively; Drive's are not.
    fn check_unique(
        &self,
        parent: ItemIdx,
        name: &str,
        except: Option<ItemIdx>,
    ) -> Result<(), SandboxError> {
        if self.provider == Provider::Google {
            return Ok(());
        }
        let lower = name.to_lowercase();
        let clash = self
            .live_children(parent)
            .any(|child| Some(child) != except && self.item(child).name.to_lowercase() == lower);
        if clash { Err(SandboxError::NameConflict(name.to_string())) } else { Ok(()) }
    }

    pub fn live_children(&self, folder: ItemIdx) -> impl Iterator<Item = ItemIdx> + '_ {
        self.item(folder)
            .folder()
            .into_iter()
            .flat_map(|f| f.children.iter().copied())
            .filter(|&child| !self.item(child).deleted)
    }

    fn live_folder(&self, idx: ItemIdx) -> Result<(), SandboxError> {
        let item = self.item(idx);
        if item.deleted || !item.is_folder() {
            return Err(SandboxError::Invalid(format!("{} is not a folder", item.id)));
        }
        Ok(())
    }

    /// Creates a folder or file under `parent`, validating the name.
    pub fn insert(
        &mut self,
        parent: ItemIdx,
        name: &str,
        kind: ItemKind,
        created_ms: i64,
        now: i64,
    ) -> Result<ItemIdx, SandboxError> {
        self.live_folder(parent)?;
        self.validate_name(name)?;
        self.check_unique(parent, name, None)?;
        Ok(self.insert_dated(parent, name, kind, created_ms, now, now))
    }

    /// Creates an item without the per-folder uniqueness scan (the bulk generator ensures
    /// unique names itself, which keeps 100,000 inserts linear).
    pub fn insert_unchecked(
        &mut self,
        parent: ItemIdx,
        name: &str,
        kind: ItemKind,
        created_ms: i64,
        now: i64,
    ) -> ItemIdx {
        self.insert_dated(parent, name, kind, created_ms, now, now)
    }

    /// Like [`Account::insert_unchecked`] with a modification time in the past (generated
    /// files); the change itself is logged at `now`.
    pub fn insert_dated(
        &mut self,
        parent: ItemIdx,
        name: &str,
        kind: ItemKind,
        created_ms: i64,
        modified_ms: i64,
        now: i64,
    ) -> ItemIdx {
        let id = self.fresh_id();
        let drive = self.item(parent).drive;
        let trashed = self.item(parent).trashed;
        let next_seq = self.seq() + 1;
        let idx = self.push_item(Item {
            id: id.into(),
            drive,
            parent: Some(parent),
            name: name.into(),
            kind,
            created_ms,
            modified_ms,
            version: 1,
            content_seq: next_seq,
            trashed,
            explicitly_trashed: false,
            deleted: false,
            last_change: 0,
            last_any: 0,
            hashes: None,
        });
        if let ItemKind::Folder(folder) = &mut self.items[parent as usize].kind {
            folder.children.insert(idx);
            folder.live_children += 1;
        }
        self.record(idx, ChangeKind::Upsert, None, now);
        idx
    }

    /// Replaces the content of a file (and optionally its MIME type) or the text of a
    /// Google Doc.
    pub fn set_content(
        &mut self,
        idx: ItemIdx,
        bytes: Vec<u8>,
        new_mime: Option<String>,
        now: i64,
    ) -> Result<(), SandboxError> {
        let next_seq = self.seq() + 1;
        let item = &mut self.items[idx as usize];
        if item.deleted {
            return Err(SandboxError::NotFound(item.id.to_string()));
        }
        match &mut item.kind {
            ItemKind::File { content, mime } => {
                *content = Content::Bytes(bytes.into());
                if let Some(new_mime) = new_mime {
                    *mime = Cow::Owned(new_mime);
                }
            }
            ItemKind::GoogleDoc { text, .. } => {
                *text = String::from_utf8_lossy(&bytes).into_owned().into()
            }
            ItemKind::Folder(_) => {
                return Err(SandboxError::Invalid("a folder has no content".into()));
            }
        }
        item.version += 1;
        item.content_seq = next_seq;
        item.modified_ms = now;
        item.hashes = None;
        self.record(idx, ChangeKind::Upsert, None, now);
        Ok(())
    }

    pub fn rename(&mut self, idx: ItemIdx, name: &str, now: i64) -> Result<(), SandboxError> {
        let parent = self.live_non_root(idx)?;
        self.validate_name(name)?;
        self.check_unique(parent, name, Some(idx))?;
        self.relocate(idx, parent, name, now);
        Ok(())
    }

    pub fn move_to(
        &mut self,
        idx: ItemIdx,
        new_parent: ItemIdx,
        now: i64,
    ) -> Result<(), SandboxError> {
        self.live_non_root(idx)?;
        self.live_folder(new_parent)?;
        if self.item(new_parent).drive != self.item(idx).drive {
            return Err(SandboxError::Invalid("moving between drives is not simulated".into()));
        }
        if self.is_within(new_parent, idx) {
            return Err(SandboxError::Invalid("cannot move a folder into itself".into()));
        }
        let name = self.item(idx).name.to_string();
        self.check_unique(new_parent, &name, Some(idx))?;
        self.relocate(idx, new_parent, &name, now);
        Ok(())
    }

    fn live_non_root(&self, idx: ItemIdx) -> Result<ItemIdx, SandboxError> {
        let item = self.item(idx);
        match item.parent {
            _ if item.deleted => Err(SandboxError::NotFound(item.id.to_string())),
            None => Err(SandboxError::Invalid(
                "a drive root cannot be renamed, moved or deleted".into(),
            )),
            Some(parent) => Ok(parent),
        }
    }

    fn relocate(&mut self, idx: ItemIdx, new_parent: ItemIdx, name: &str, now: i64) {
        let old_path = self.tracks_paths().then(|| self.path(idx));
        let old_parent = self.item(idx).parent;
        if old_parent != Some(new_parent) {
            if let Some(old) = old_parent
                && let ItemKind::Folder(folder) = &mut self.items[old as usize].kind
            {
                folder.children.remove(&idx);
                folder.live_children = folder.live_children.saturating_sub(1);
            }
            if let ItemKind::Folder(folder) = &mut self.items[new_parent as usize].kind {
                folder.children.insert(idx);
                folder.live_children += 1;
            }
        }
        let item = &mut self.items[idx as usize];
        item.parent = Some(new_parent);
        item.name = name.into();
        item.version += 1;
        self.record(idx, ChangeKind::Upsert, old_path, now);
        if self.tracks_paths() && self.item(idx).is_folder() {
            for descendant in self.walk(idx, true, false, false) {
                self.record(descendant, ChangeKind::PathOnly, None, now);
            }
        }
    }

    /// Moves to the trash. Only Drive has a trash in its API; elsewhere this deletes.
    pub fn trash(&mut self, idx: ItemIdx, now: i64) -> Result<(), SandboxError> {
        if self.provider != Provider::Google {
            return self.delete(idx, now);
        }
        self.live_non_root(idx)?;
        self.items[idx as usize].explicitly_trashed = true;
        for member in self.walk(idx, true, true, false) {
            let item = &mut self.items[member as usize];
            if !item.trashed || member == idx {
                item.trashed = true;
                item.version += 1;
                self.record(member, ChangeKind::Upsert, None, now);
            }
        }
        Ok(())
    }

    pub fn untrash(&mut self, idx: ItemIdx, now: i64) -> Result<(), SandboxError> {
        if self.provider != Provider::Google {
            return Err(SandboxError::Invalid("only Google Drive has a trash".into()));
        }
        self.live_non_root(idx)?;
        if !self.item(idx).explicitly_trashed {
            return Err(SandboxError::Invalid("the item is not explicitly trashed".into()));
        }
        self.items[idx as usize].explicitly_trashed = false;
        for member in self.walk(idx, true, true, false) {
            let item = &mut self.items[member as usize];
            if item.trashed && (member == idx || !item.explicitly_trashed) {
                item.trashed = false;
                item.version += 1;
                self.record(member, ChangeKind::Upsert, None, now);
            }
        }
        Ok(())
    }

    /// Permanently deletes an item and everything below it.
    pub fn delete(&mut self, idx: ItemIdx, now: i64) -> Result<(), SandboxError> {
        let parent = self.live_non_root(idx)?;
        let members = self.walk(idx, true, true, false);
        let paths: Vec<Option<String>> =
            members.iter().map(|&m| self.tracks_paths().then(|| self.path(m))).collect();
        if let ItemKind::Folder(folder) = &mut self.items[parent as usize].kind {
            folder.live_children = folder.live_children.saturating_sub(1);
        }
        for (member, path) in members.into_iter().zip(paths) {
            let item = &mut self.items[member as usize];
            item.deleted = true;
            item.version += 1;
            self.record(member, ChangeKind::Removed, path, now);
        }
        Ok(())
    }

    /// Whether `idx` is `ancestor` or lies below it.
    pub fn is_within(&self, mut idx: ItemIdx, ancestor: ItemIdx) -> bool {
        loop {
            if idx == ancestor {
                return true;
            }
            match self.item(idx).parent {
                Some(parent) => idx = parent,
                None => return false,
            }
        }
    }

    /// The display path below the drive root (`/Projects/Budget.xlsx`; the root is `""`).
    pub fn path(&self, idx: ItemIdx) -> String {
        let mut names = Vec::new();
        let mut current = idx;
        while let Some(parent) = self.item(current).parent {
            names.push(&*self.item(current).name);
            current = parent;
        }
        names.iter().rev().fold(String::new(), |mut path, name| {
            path.push('/');
            path.push_str(name);
            path
        })
    }

    /// Items below `root` in pre-order (parents before children), children in creation order.
    pub fn walk(
        &self,
        root: ItemIdx,
        recursive: bool,
        include_root: bool,
        include_deleted: bool,
    ) -> Vec<ItemIdx> {
        let mut out = Vec::new();
        if include_root {
            out.push(root);
        }
        let children = |idx: ItemIdx| -> Vec<ItemIdx> {
            self.item(idx)
                .folder()
                .map(|f| f.children.iter().rev().copied().collect())
                .unwrap_or_default()
        };
        let mut stack = children(root);
        while let Some(idx) = stack.pop() {
            let item = self.item(idx);
            if item.deleted && !include_deleted {
                continue;
            }
            out.push(idx);
            if recursive && item.is_folder() {
                stack.extend(children(idx));
            }
        }
        out
    }

    /// A content hash of a file, computed once per content version.
    pub fn hash(&mut self, idx: ItemIdx, kind: HashKind) -> Option<String> {
        let item = &mut self.items[idx as usize];
        let ItemKind::File { content, .. } = &item.kind else {
            return None;
        };
        let cache = item.hashes.get_or_insert_with(Default::default);
        if let Some(hash) = cache.slot(kind) {
            return Some(hash.to_string());
        }
        let bytes = content.bytes();
        let hash = match kind {
            HashKind::Md5 => hashes::md5_hex(&bytes),
            HashKind::Sha256 => hashes::sha256_hex(&bytes),
            HashKind::QuickXor => hashes::quick_xor_hash(&bytes),
            HashKind::Dropbox => hashes::dropbox_content_hash(&bytes),
        };
        *cache.slot(kind) = Some(hash.as_str().into());
        Some(hash)
    }

    /// Invalidates every outstanding cursor, page token and delta link.
    pub fn invalidate_cursors(&mut self) {
        self.epoch += 1;
        self.drive_tokens_valid_from = self.seq() + 1;
        self.enumerations.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn account(provider: Provider) -> (Account, ItemIdx) {
        let profile = accounts::profile(provider, "tester", &mut StdRng::seed_from_u64(1));
        let mut account = Account::new(provider, profile, StdRng::seed_from_u64(2));
        let drive = account.add_drive("Home", DriveKind::DropboxHome, None, 0);
        let root = account.drive(drive).root;
        (account, root)
    }

    fn folder() -> ItemKind {
        ItemKind::Folder(Folder { children: BTreeSet::new(), live_children: 0 })
    }

    fn file(text: &str) -> ItemKind {
        ItemKind::File {
            mime: "text/plain".into(),
            content: Content::Bytes(text.as_bytes().into()),
        }
    }

    #[test]
    fn renaming_a_folder_logs_path_changes_for_its_descendants_on_dropbox() {
        let (mut acct, root) = account(Provider::Dropbox);
        let a = acct.insert(root, "A", folder(), 0, 0).unwrap();
        let x = acct.insert(a, "x.txt", file("x"), 0, 0).unwrap();
        let before = acct.seq();
        acct.rename(a, "B", 1).unwrap();
        let new: Vec<_> = acct.log[before as usize..].iter().map(|r| (r.item, r.kind)).collect();
        assert_eq!(new, vec![(a, ChangeKind::Upsert), (x, ChangeKind::PathOnly)]);
        assert_eq!(acct.log[before as usize].old_path.as_deref(), Some("/A"));
        assert_eq!(acct.path(x), "/B/x.txt");
    }

    #[test]
    fn names_are_unique_per_folder_except_on_drive() {
        let (mut acct, root) = account(Provider::Dropbox);
        acct.insert(root, "Report.pdf", file("1"), 0, 0).unwrap();
        assert_eq!(
            acct.insert(root, "report.PDF", file("2"), 0, 0),
            Err(SandboxError::NameConflict("report.PDF".into()))
        );
        let (mut google, root) = account(Provider::Google);
        google.insert(root, "Report.pdf", file("1"), 0, 0).unwrap();
        assert!(google.insert(root, "Report.pdf", file("2"), 0, 0).is_ok());
    }

    #[test]
    fn deleting_a_folder_removes_the_subtree_and_cannot_move_into_itself() {
        let (mut acct, root) = account(Provider::Google);
        let a = acct.insert(root, "A", folder(), 0, 0).unwrap();
        let b = acct.insert(a, "B", folder(), 0, 0).unwrap();
        assert!(acct.move_to(a, b, 0).is_err());
        acct.delete(a, 1).unwrap();
        assert!(acct.item(b).deleted);
        assert_eq!(acct.live_children(root).count(), 0);
        assert_eq!(acct.item(root).folder().map(|f| f.live_children), Some(0));
    }
}
