//! Seed data: every new account gets a realistic tree (nested folders, PDF / DOCX / XLSX /
//! PPTX / Markdown / text files with readable content, Google Docs, a shared drive or
//! SharePoint sites), described by a [`SeedManifest`] so tests know what to expect.
//!
//! [`generate`] adds N files fast and lean enough for 100,000-file benchmarks: their bytes
//! are regenerated on demand from a per-file seed instead of being stored.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::Provider;
use super::accounts::default_drive_name;
use super::formats;
use super::state::{
    Account, Content, DriveIdx, DriveKind, Folder, GoogleApp, ItemIdx, ItemKind, SandboxError,
};

/// What a new account contains, for tests to assert against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedManifest {
    pub provider: Provider,
    pub username: String,
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    /// Every drive: Drive's My Drive and shared drives, OneDrive and SharePoint document
    /// libraries, the Dropbox home. The first one is the default drive.
    pub drives: Vec<ManifestDrive>,
    /// Seeded folders and files (not drive roots). Paths in the default drive look like
    /// `/Projects/Apollo`; elsewhere they carry the drive's label: `Engineering:/Specs`.
    pub items: Vec<ManifestItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestDrive {
    pub id: String,
    pub name: String,
    /// `my_drive`, `shared_drive`, `onedrive`, `document_library` or `dropbox`.
    pub kind: String,
    pub root_id: String,
    /// The prefix of this drive's item paths (empty for the default drive).
    pub label: String,
    pub site_id: Option<String>,
    pub site_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestItem {
    pub id: String,
    pub drive_id: String,
    pub path: String,
    /// `folder`, `file`, `google_doc`, `google_sheet`, `google_slides` or `google_form`.
    pub kind: String,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    /// A sentence the extracted text of this document contains.
    pub expected_text: Option<String>,
}

impl SeedManifest {
    pub fn item(&self, path: &str) -> Option<&ManifestItem> {
        self.items.iter().find(|i| i.path == path)
    }

    /// The id of the seeded item at `path` (`/Projects/Apollo`, `Engineering:/Specs`).
    pub fn id(&self, path: &str) -> Option<&str> {
        self.item(path).map(|i| i.id.as_str())
    }

    pub fn default_drive(&self) -> Option<&ManifestDrive> {
        self.drives.first()
    }

    /// The default drive's root folder id.
    pub fn root_id(&self) -> &str {
        self.drives.first().map(|d| d.root_id.as_str()).unwrap_or("")
    }

    pub fn drive(&self, name_or_label: &str) -> Option<&ManifestDrive> {
        self.drives.iter().find(|d| d.name == name_or_label || d.label == name_or_label)
    }

    /// Items in the drive with this id.
    pub fn items_in(&self, drive_id: &str) -> impl Iterator<Item = &ManifestItem> {
        self.items.iter().filter(move |i| i.drive_id == drive_id)
    }

    pub fn files(&self) -> impl Iterator<Item = &ManifestItem> {
        self.items.iter().filter(|i| i.kind != "folder")
    }

    pub fn folders(&self) -> impl Iterator<Item = &ManifestItem> {
        self.items.iter().filter(|i| i.kind == "folder")
    }
}

/// 2024-01-08T09:00:00Z: seeded timestamps are fixed so manifests are reproducible.
const SEED_EPOCH_MS: i64 = 1_704_704_400_000;
const HOUR_MS: i64 = 3_600_000;

struct Seeder<'a> {
    acct: &'a mut Account,
    paths: HashMap<(DriveIdx, String), ItemIdx>,
    items: Vec<ManifestItem>,
    clock: i64,
}

impl Seeder<'_> {
    fn label(&self, drive: DriveIdx) -> String {
        let d = self.acct.drive(drive);
        match (drive, d.site) {
            (0, _) => String::new(),
            (_, Some(site)) => format!("{}/{}", self.acct.sites[site].name, d.name),
            (_, None) => d.name.clone(),
        }
    }

    fn parent_of(&self, drive: DriveIdx, path: &str) -> Option<(ItemIdx, String)> {
        let (parent, name) = path.rsplit_once('/')?;
        let parent_idx = if parent.is_empty() {
            self.acct.drive(drive).root
        } else {
            *self.paths.get(&(drive, parent.to_string()))?
        };
        Some((parent_idx, name.to_string()))
    }

    fn add(&mut self, drive: DriveIdx, path: &str, kind: ItemKind, expected_text: Option<&str>) {
        let Some((parent, name)) = self.parent_of(drive, path) else {
            tracing::error!(path, "seed path has no parent");
            return;
        };
        self.clock += 29 * HOUR_MS + 17 * 60_000;
        let created = self.clock;
        let modified = created + 3 * HOUR_MS;
        let manifest_kind = match &kind {
            ItemKind::Folder(_) => "folder",
            ItemKind::File { .. } => "file",
            ItemKind::GoogleDoc { app, .. } => app.kind(),
        };
        let mime = match &kind {
            ItemKind::File { mime, .. } => Some(mime.to_string()),
            ItemKind::GoogleDoc { app, .. } => Some(app.mime().to_string()),
            ItemKind::Folder(_) => None,
        };
        let idx = match self.acct.insert(parent, &name, kind, created, modified) {
            Ok(idx) => idx,
            Err(error) => {
                tracing::error!(%error, path, "cannot seed an item");
                return;
            }
        };
        self.paths.insert((drive, path.to_string()), idx);
        let label = self.label(drive);
        let item = self.acct.item(idx);
        self.items.push(ManifestItem {
            id: item.id.to_string(),
            drive_id: self.acct.drive(drive).id.clone(),
            path: if label.is_empty() { path.to_string() } else { format!("{label}:{path}") },
            kind: manifest_kind.to_string(),
            mime_type: mime,
            size: item.size(),
            expected_text: expected_text.map(str::to_string),
        });
    }

    fn folder(&mut self, drive: DriveIdx, path: &str) {
        self.add(drive, path, new_folder(), None);
    }

    fn file(&mut self, drive: DriveIdx, path: &str, bytes: Vec<u8>, expected: &str) {
        let mime = formats::mime_for_name(path);
        let kind =
            ItemKind::File { mime: Cow::Borrowed(mime), content: Content::Bytes(bytes.into()) };
        self.add(drive, path, kind, Some(expected));
    }

    fn text(&mut self, drive: DriveIdx, path: &str, text: &str, expected: &str) {
        self.file(drive, path, text.as_bytes().to_vec(), expected);
    }

    fn google_doc(&mut self, drive: DriveIdx, path: &str, paragraphs: &[&str], expected: &str) {
        self.google(drive, path, GoogleApp::Document, paragraphs, Some(expected));
    }

    /// A Google-native file of any type; `lines` are paragraphs, slide texts or CSV rows.
    fn google(
        &mut self,
        drive: DriveIdx,
        path: &str,
        app: GoogleApp,
        lines: &[&str],
        expected: Option<&str>,
    ) {
        let kind = ItemKind::GoogleDoc { app, text: Arc::from(lines.join("\n")) };
        self.add(drive, path, kind, expected);
    }
}

pub(crate) fn new_folder() -> ItemKind {
    ItemKind::Folder(Folder { children: BTreeSet::new(), live_children: 0 })
}

/// Creates the account's drives and the seeded tree, and records the manifest.
pub(crate) fn seed_account(acct: &mut Account) {
    let provider = acct.provider;
    let home_kind = match provider {
        Provider::Google => DriveKind::MyDrive,
        Provider::Microsoft => DriveKind::OneDrive,
        // Atlassian accounts are never seeded with files (their site is seeded instead).
        Provider::Dropbox | Provider::Atlassian => DriveKind::DropboxHome,
    };
    let home = acct.add_drive(default_drive_name(provider), home_kind, None, SEED_EPOCH_MS);
    let mut s = Seeder { acct, paths: HashMap::new(), items: Vec::new(), clock: SEED_EPOCH_MS };
    seed_home(&mut s, home);
    match provider {
        Provider::Google => {
            let engineering =
                s.acct.add_drive("Engineering", DriveKind::SharedDrive, None, SEED_EPOCH_MS);
            seed_engineering_shared_drive(&mut s, engineering);
            s.acct.add_drive("Design Assets", DriveKind::SharedDrive, None, SEED_EPOCH_MS);
        }
        Provider::Microsoft => {
            let marketing = s.acct.add_site(
                "Marketing",
                "Marketing",
                &["Documents", "Campaign Assets"],
                SEED_EPOCH_MS,
            );
            let hub =
                s.acct.add_site("EngineeringHub", "Engineering Hub", &["Documents"], SEED_EPOCH_MS);
            let documents = s.acct.sites[marketing].drives[0];
            let campaigns = s.acct.sites[marketing].drives[1];
            let hub_documents = s.acct.sites[hub].drives[0];
            seed_sharepoint(&mut s, documents, campaigns, hub_documents);
        }
        Provider::Dropbox | Provider::Atlassian => {}
    }
    let items = std::mem::take(&mut s.items);
    let acct = s.acct;
    let drives = (0..acct.drives.len())
        .map(|d| {
            let drive = acct.drive(d as DriveIdx);
            let site = drive.site.map(|s| &acct.sites[s]);
            ManifestDrive {
                id: drive.id.clone(),
                name: drive.name.clone(),
                kind: match drive.kind {
                    DriveKind::MyDrive => "my_drive",
                    DriveKind::SharedDrive => "shared_drive",
                    DriveKind::OneDrive => "onedrive",
                    DriveKind::DocumentLibrary => "document_library",
                    DriveKind::DropboxHome => "dropbox",
                }
                .to_string(),
                root_id: acct.item(drive.root).id.to_string(),
                label: match (d, site) {
                    (0, _) => String::new(),
                    (_, Some(site)) => format!("{}/{}", site.name, drive.name),
                    (_, None) => drive.name.clone(),
                },
                site_id: site.map(|s| s.id.clone()),
                site_name: site.map(|s| s.name.clone()),
            }
        })
        .collect();
    acct.manifest = Some(SeedManifest {
        provider,
        username: acct.profile.username.clone(),
        account_id: acct.profile.user_id.clone(),
        email: acct.profile.email.clone(),
        display_name: acct.profile.display_name.clone(),
        drives,
        items,
    });
}

fn seed_home(s: &mut Seeder<'_>, d: DriveIdx) {
    s.folder(d, "/Projects");
    s.folder(d, "/Projects/Apollo");
    s.folder(d, "/Projects/Apollo/Design");
    s.file(
        d,
        "/Projects/Apollo/Design/Architecture Overview.pdf",
        formats::pdf(
            "Apollo Architecture Overview",
            &[
                "The Apollo platform ingests events through a queue and stores them in shards.",
                "Apollo uses a write-ahead log so that every shard can be rebuilt after a crash.",
                "Open question: should the search index be rebuilt nightly or incrementally?",
            ],
        ),
        "Apollo uses a write-ahead log so that every shard can be rebuilt after a crash.",
    );
    s.file(
        d,
        "/Projects/Apollo/Design/Requirements.docx",
        formats::docx(
            "Apollo Requirements",
            &[
                "R1. Users can connect several cloud sources to one workspace.",
                "R2. Incremental sync must finish within five minutes for ten thousand files.",
                "R3. Deleted documents disappear from search results within one sync cycle.",
            ],
        ),
        "Incremental sync must finish within five minutes for ten thousand files.",
    );
    s.folder(d, "/Projects/Apollo/Design/Wireframes");
    s.file(
        d,
        "/Projects/Apollo/Budget 2024.xlsx",
        formats::xlsx(
            "Apollo Budget 2024",
            "Budget",
            &[
                vec!["Category".into(), "Q1".into(), "Q2".into(), "Owner".into()],
                vec![
                    "Cloud hosting".into(),
                    12500.0.into(),
                    13100.0.into(),
                    "Dana Whitfield".into(),
                ],
                vec!["Contractors".into(), 30000.0.into(), 22000.0.into(), "Ravi Menon".into()],
                vec![
                    "Conference travel for the platform team".into(),
                    4200.0.into(),
                    0.0.into(),
                    "Lena Okafor".into(),
                ],
            ],
        ),
        "Conference travel for the platform team",
    );
    s.text(
        d,
        "/Projects/Apollo/Meeting Notes.md",
        "# Apollo weekly sync\n\n## 2024-02-05\n\n- Agreed to ship the ingestion service behind a feature flag.\n- Ravi to benchmark shard rebalancing with 100k documents.\n\n## Action items\n\n1. Dana: draft the rollout plan.\n",
        "Agreed to ship the ingestion service behind a feature flag.",
    );
    s.folder(d, "/Projects/Hermes");
    s.text(
        d,
        "/Projects/Hermes/README.md",
        "# Hermes\n\nHermes delivers notifications by e-mail, chat and push.\n\nRun `make dev` to start the local stack.\n",
        "Hermes delivers notifications by e-mail, chat and push.",
    );
    s.text(
        d,
        "/Projects/Hermes/Roadmap.txt",
        "Hermes roadmap\n\nQ1: retry queue with exponential backoff\nQ2: digest e-mails for low-priority notifications\nQ3: per-tenant rate limits\n",
        "Q2: digest e-mails for low-priority notifications",
    );
    s.file(
        d,
        "/Projects/Hermes/Launch Deck.pptx",
        formats::pptx(
            "Hermes Launch",
            &[
                ("Hermes launch plan", &["Beta with three design partners in March"]),
                (
                    "Success metrics",
                    &["Ninety-nine percent of notifications delivered within ten seconds"],
                ),
            ],
        ),
        "Ninety-nine percent of notifications delivered within ten seconds",
    );
    s.folder(d, "/Finance");
    s.file(
        d,
        "/Finance/Q1 Report.pdf",
        formats::pdf(
            "Q1 Financial Report",
            &[
                "Revenue grew eleven percent quarter over quarter.",
                "Operating costs were flat; hosting costs fell after the storage migration.",
            ],
        ),
        "Revenue grew eleven percent quarter over quarter.",
    );
    s.file(
        d,
        "/Finance/Expenses 2024.xlsx",
        formats::xlsx(
            "Expenses 2024",
            "Expenses",
            &[
                vec!["Date".into(), "Vendor".into(), "Amount".into()],
                vec!["2024-01-15".into(), "Northwind Office Supplies".into(), 318.4.into()],
                vec!["2024-02-02".into(), "Contoso Cloud".into(), 12500.0.into()],
            ],
        ),
        "Northwind Office Supplies",
    );
    s.folder(d, "/Finance/Invoices");
    s.file(
        d,
        "/Finance/Invoices/Invoice 2024-001.pdf",
        formats::pdf(
            "Invoice 2024-001",
            &["Bill to: Fabrikam Ltd.", "Total due: 4,850.00 EUR by 2024-03-31"],
        ),
        "Total due: 4,850.00 EUR by 2024-03-31",
    );
    s.folder(d, "/Personal");
    s.folder(d, "/Personal/Recipes");
    s.text(
        d,
        "/Personal/Recipes/Pancakes.md",
        "# Buttermilk pancakes\n\n- 2 cups flour\n- 2 cups buttermilk\n- 2 eggs\n\nRest the batter for ten minutes before cooking.\n",
        "Rest the batter for ten minutes before cooking.",
    );
    s.text(
        d,
        "/Personal/todo.txt",
        "Renew passport\nBook dentist appointment\nCall the bank about the mortgage offer\n",
        "Call the bank about the mortgage offer",
    );
    s.file(
        d,
        "/Welcome.docx",
        formats::docx(
            "Welcome to your sandbox drive",
            &[
                "This drive is simulated by the RecallHub sandbox.",
                "Connect it to see an incremental sync in action.",
            ],
        ),
        "This drive is simulated by the RecallHub sandbox.",
    );
    s.text(
        d,
        "/notes.txt",
        "Ideas\n- A dark mode for the dashboard\n- Show sync progress per folder\n",
        "Show sync progress per folder",
    );
    if s.acct.provider == Provider::Google {
        s.google_doc(
            d,
            "/Team Handbook",
            &[
                "Team Handbook",
                "We write things down: decisions live in documents, not in chat.",
                "On-call engineers hand over every Monday at ten.",
            ],
            "We write things down: decisions live in documents, not in chat.",
        );
        s.google_doc(
            d,
            "/Projects/Apollo/Design Review",
            &["Design Review", "Reviewers approved the shard layout with two follow-ups."],
            "Reviewers approved the shard layout with two follow-ups.",
        );
    }
}

fn seed_engineering_shared_drive(s: &mut Seeder<'_>, d: DriveIdx) {
    s.folder(d, "/Specs");
    s.text(
        d,
        "/Specs/API Guidelines.md",
        "# API guidelines\n\nEvery list endpoint is paginated with an opaque cursor.\n",
        "Every list endpoint is paginated with an opaque cursor.",
    );
    s.file(
        d,
        "/Specs/Onboarding.docx",
        formats::docx(
            "Engineering Onboarding",
            &["Your first week: pair with a buddy on a small bug fix."],
        ),
        "Your first week: pair with a buddy on a small bug fix.",
    );
    s.folder(d, "/Architecture Decisions");
    s.text(
        d,
        "/Architecture Decisions/ADR-001 Use Rust.md",
        "# ADR-001: Use Rust for the sync engine\n\nStatus: accepted. Memory safety without a garbage collector.\n",
        "Memory safety without a garbage collector.",
    );
    s.google_doc(
        d,
        "/Release Plan",
        &["Release Plan", "Version 2.0 ships after the security review signs off."],
        "Version 2.0 ships after the security review signs off.",
    );
}

fn seed_sharepoint(s: &mut Seeder<'_>, documents: DriveIdx, campaigns: DriveIdx, hub: DriveIdx) {
    s.folder(documents, "/Brand");
    s.file(
        documents,
        "/Brand/Brand Guidelines.pdf",
        formats::pdf("Brand Guidelines", &["Use the teal logo on light backgrounds only."]),
        "Use the teal logo on light backgrounds only.",
    );
    s.text(
        documents,
        "/Brand/Logo Usage.md",
        "# Logo usage\n\nKeep clear space equal to the height of the letter R.\n",
        "Keep clear space equal to the height of the letter R.",
    );
    s.file(
        documents,
        "/Press Release.docx",
        formats::docx("Press Release", &["Contoso announces RecallHub for teams of every size."]),
        "Contoso announces RecallHub for teams of every size.",
    );
    s.folder(campaigns, "/Spring Campaign");
    s.file(
        campaigns,
        "/Spring Campaign/Campaign Plan.xlsx",
        formats::xlsx(
            "Spring Campaign Plan",
            "Plan",
            &[
                vec!["Channel".into(), "Budget".into()],
                vec!["Newsletter to existing customers".into(), 1500.0.into()],
            ],
        ),
        "Newsletter to existing customers",
    );
    s.text(
        campaigns,
        "/Spring Campaign/Copy.txt",
        "Headline: Find anything your team ever wrote down.\n",
        "Find anything your team ever wrote down.",
    );
    s.folder(hub, "/Runbooks");
    s.text(
        hub,
        "/Runbooks/Incident Response.md",
        "# Incident response\n\nPage the incident commander before posting in the status channel.\n",
        "Page the incident commander before posting in the status channel.",
    );
}

/// Options for [`generate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerateOptions {
    /// Seeds names, sizes and content; the default derives one from the account.
    pub seed: Option<u64>,
    /// When non-zero, files go into new subfolders (`batch-0001`, …) of this many files each.
    pub files_per_folder: usize,
    pub min_size: u32,
    pub max_size: u32,
    /// Share of Markdown files; the rest are plain text.
    pub markdown_share: f64,
    pub name_prefix: String,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            seed: None,
            files_per_folder: 0,
            min_size: 256,
            max_size: 2048,
            markdown_share: 0.5,
            name_prefix: "note".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerateReport {
    pub files: usize,
    pub folders: usize,
    /// The subfolders created (empty unless `files_per_folder` was set).
    pub folder_ids: Vec<String>,
    pub total_bytes: u64,
}

/// Content regenerated on demand: a header line with a per-file marker, then words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GeneratedContent {
    pub seed: u64,
    pub len: u32,
    pub markdown: bool,
}

const WORDS: &[&str] = &[
    "sync",
    "folder",
    "budget",
    "roadmap",
    "customer",
    "release",
    "meeting",
    "design",
    "review",
    "invoice",
    "quarter",
    "platform",
    "search",
    "index",
    "cursor",
    "delta",
    "archive",
    "draft",
    "report",
    "team",
    "launch",
    "metrics",
    "storage",
    "policy",
    "contract",
    "summary",
    "notes",
    "backlog",
    "incident",
    "deploy",
    "shard",
    "queue",
    "latency",
    "throughput",
    "approval",
];

impl GeneratedContent {
    pub fn marker(&self) -> String {
        format!("sandbox-{:016x}", self.seed)
    }

    /// The header line with the marker, then a seeded window of a fixed text of words: as
    /// cheap as a copy, so hashing 100,000 generated files stays fast.
    pub fn materialize(&self) -> Vec<u8> {
        let len = self.len as usize;
        let mut out = if self.markdown {
            format!("# Generated note {}\n\n", self.marker())
        } else {
            format!("Generated document {}\n", self.marker())
        }
        .into_bytes();
        let soup = word_soup();
        let mut offset = (self.seed % soup.len() as u64) as usize;
        while out.len() < len {
            let take = (len - out.len()).min(soup.len() - offset);
            out.extend_from_slice(&soup[offset..offset + take]);
            offset = 0;
        }
        out.truncate(len);
        out
    }
}

/// 64 KiB of words in sentences of twelve, generated once from a fixed seed.
fn word_soup() -> &'static [u8] {
    static SOUP: OnceLock<Vec<u8>> = OnceLock::new();
    SOUP.get_or_init(|| {
        let mut state = 0x5EED_50FA;
        let mut text = String::with_capacity(64 * 1024 + 16);
        let mut words_in_line = 0;
        while text.len() < 64 * 1024 {
            text.push_str(WORDS[(splitmix64(&mut state) % WORDS.len() as u64) as usize]);
            words_in_line += 1;
            if words_in_line == 12 {
                text.push_str(".\n");
                words_in_line = 0;
            } else {
                text.push(' ');
            }
        }
        text.into_bytes()
    })
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Adds `count` generated text/Markdown files under `folder`.
pub(crate) fn generate(
    acct: &mut Account,
    folder: ItemIdx,
    count: usize,
    options: &GenerateOptions,
    now: i64,
) -> Result<GenerateReport, SandboxError> {
    if acct.item(folder).deleted || !acct.item(folder).is_folder() {
        return Err(SandboxError::Invalid(format!("{} is not a folder", acct.item(folder).id)));
    }
    if count > 1_000_000 {
        return Err(SandboxError::Invalid("generate at most 1,000,000 files at a time".into()));
    }
    let min = options.min_size.max(64);
    let max = options.max_size.max(min);
    let mut state = options.seed.unwrap_or_else(|| acct.rng.random());
    // One scan of the target folder, so the unchecked inserts below stay unique.
    let mut taken: HashSet<String> =
        acct.live_children(folder).map(|c| acct.item(c).name.to_lowercase()).collect();
    let mut unique = |base: String, ext: &str| -> String {
        let mut name = format!("{base}{ext}");
        let mut n = 1;
        while !taken.insert(name.to_lowercase()) {
            n += 1;
            name = format!("{base} ({n}){ext}");
        }
        name
    };
    let mut report =
        GenerateReport { files: 0, folders: 0, folder_ids: Vec::new(), total_bytes: 0 };
    let mut target = folder;
    for i in 0..count {
        if options.files_per_folder > 0 && i % options.files_per_folder == 0 {
            let name = unique(format!("batch-{:04}", i / options.files_per_folder + 1), "");
            target = acct.insert_unchecked(folder, &name, new_folder(), now, now);
            report.folders += 1;
            report.folder_ids.push(acct.item(target).id.to_string());
        }
        let r = splitmix64(&mut state);
        let markdown = (r % 10_000) as f64 / 10_000.0 < options.markdown_share;
        let len = min + (splitmix64(&mut state) % u64::from(max - min + 1)) as u32;
        let content = GeneratedContent { seed: splitmix64(&mut state), len, markdown };
        let word = WORDS[(r >> 32) as usize % WORDS.len()];
        let ext = if markdown { ".md" } else { ".txt" };
        let base = format!("{}-{word}-{:06}", options.name_prefix, i + 1);
        let name =
            if options.files_per_folder > 0 { format!("{base}{ext}") } else { unique(base, ext) };
        // Spread modification times over the past year.
        let modified = now - (splitmix64(&mut state) % (365 * 24 * HOUR_MS as u64)) as i64;
        let mime = if markdown { formats::MIME_MARKDOWN } else { formats::MIME_TEXT };
        let kind =
            ItemKind::File { mime: Cow::Borrowed(mime), content: Content::Generated(content) };
        acct.insert_dated(target, &name, kind, modified, modified, now);
        report.files += 1;
        report.total_bytes += u64::from(len);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_content_is_deterministic_and_exactly_sized() {
        let content = GeneratedContent { seed: 42, len: 300, markdown: true };
        let a = content.materialize();
        assert_eq!(a.len(), 300);
        assert_eq!(a, content.materialize());
        assert!(
            String::from_utf8(a).unwrap().starts_with("# Generated note sandbox-000000000000002a")
        );
    }
}
