//! The folder picker: a lazily loaded tree of a connection's folders (children
//! are fetched through the browse operation when a folder is expanded), with
//! checkboxes to select several folders, an include-subfolders toggle per
//! selection, a filter over the loaded folders and breadcrumbs of the folder
//! being browsed (entered with Enter or the row's "Open" button).
//!
//! Keyboard: the tree follows the WAI-ARIA tree pattern with a roving tabindex
//! (one row is in the tab order): Up/Down move, Right expands or moves to the
//! first child, Left collapses or moves to the parent (at the top: up one
//! breadcrumb), Home/End, Space toggles the selection, Enter opens the folder.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::Tone;
use super::alert::Alert;
use super::button::{Button, ButtonSize, ButtonVariant};
use super::form_field::input_class;
use super::icons::{Icon, IconName};
use super::spinner::Spinner;
use crate::model::{BrowseResult, ConnectionId, Crumb, EntryKind, FolderEntry, SourcePath};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Listing {
    Loading,
    Loaded(BrowseResult),
    Failed(String),
}

/// Loaded listings by folder (`None`: the top level).
type Listings = HashMap<Option<String>, Listing>;

#[derive(Clone, Copy)]
struct Tree {
    connection: Signal<Option<ConnectionId>>,
    listings: RwSignal<Listings>,
    expanded: RwSignal<HashSet<String>>,
    filter: RwSignal<String>,
    selected: RwSignal<Vec<SourcePath>>,
    /// The folders entered, from the top (the breadcrumbs); the last is the tree's root.
    trail: RwSignal<Vec<Crumb>>,
    /// The row last focused.
    focused: RwSignal<Option<String>>,
    /// The row in the tab order: the focused one while it is shown, else the first.
    tab_stop: Memo<Option<String>>,
}

/// A row as keyboard navigation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Visible {
    id: String,
    parent: Option<String>,
    expandable: bool,
}

impl Tree {
    /// The folder shown as the tree's root (`None`: the top level).
    fn root(self) -> Option<String> {
        self.trail.with(|t| t.last().and_then(|c| c.remote_id.clone()))
    }

    fn root_untracked(self) -> Option<String> {
        self.trail.with_untracked(|t| t.last().and_then(|c| c.remote_id.clone()))
    }

    /// Fetches a folder's children unless they are loaded or loading.
    fn load(self, folder: Option<String>, force: bool) {
        let Some(connection) = self.connection.get_untracked() else { return };
        let known = self.listings.with_untracked(|l| l.get(&folder).cloned());
        if !force && matches!(known, Some(Listing::Loading | Listing::Loaded(_))) {
            return;
        }
        self.listings.update(|l| {
            l.insert(folder.clone(), Listing::Loading);
        });
        let listings = self.listings;
        leptos::task::spawn_local(async move {
            let result = crate::api::browse_connection(connection, folder.clone()).await;
            listings.update(|l| {
                l.insert(
                    folder,
                    match result {
                        Ok(listing) => Listing::Loaded(listing),
                        Err(e) => Listing::Failed(e.to_string()),
                    },
                );
            });
        });
    }

    fn is_selected(self, remote_id: &str) -> bool {
        self.selected.with(|s| s.iter().any(|p| p.remote_id == remote_id))
    }

    fn toggle(self, entry: &FolderEntry) {
        if !entry.selectable {
            return;
        }
        self.selected.update(|s| {
            if let Some(index) = s.iter().position(|p| p.remote_id == entry.remote_id) {
                s.remove(index);
            } else {
                s.push(SourcePath {
                    path: entry.path.clone(),
                    remote_id: entry.remote_id.clone(),
                    include_subfolders: true,
                });
            }
        });
    }

    fn is_open(self, id: &str) -> bool {
        self.expanded.with_untracked(|e| e.contains(id))
    }

    fn set_open(self, id: &str, open: bool) {
        self.expanded.update(|e| {
            if open {
                e.insert(id.to_string());
            } else {
                e.remove(id);
            }
        });
        if open {
            self.load(Some(id.to_string()), false);
        }
    }

    /// Makes a folder the tree's root: `ancestors` are the folders between the
    /// current root and it.
    fn enter(self, ancestors: &[Crumb], entry: &FolderEntry) {
        self.trail.update(|t| {
            t.extend(ancestors.iter().cloned());
            t.push(Crumb { remote_id: Some(entry.remote_id.clone()), name: entry.name.clone() });
        });
        self.focused.set(None);
    }

    /// The rows in display order, as the keyboard walks them.
    fn visible(self) -> Vec<Visible> {
        let needle = self.filter.get_untracked().trim().to_lowercase();
        let root = self.root_untracked();
        let mut out = Vec::new();
        self.listings.with_untracked(|l| {
            self.expanded.with_untracked(|open| walk(l, open, &root, &needle, &mut out, 0));
        });
        out
    }

    fn new(connection: Signal<Option<ConnectionId>>, selected: RwSignal<Vec<SourcePath>>) -> Self {
        let listings = RwSignal::new(HashMap::new());
        let expanded = RwSignal::new(HashSet::new());
        let filter = RwSignal::new(String::new());
        let trail = RwSignal::new(Vec::<Crumb>::new());
        let focused = RwSignal::new(None::<String>);
        let tab_stop = Memo::new(move |_| {
            let needle = filter.get().trim().to_lowercase();
            let root = trail.with(|t| t.last().and_then(|c| c.remote_id.clone()));
            let mut rows = Vec::new();
            listings.with(|l| expanded.with(|open| walk(l, open, &root, &needle, &mut rows, 0)));
            let focused = focused.get();
            match focused {
                Some(id) if rows.iter().any(|r| r.id == id) => Some(id),
                _ => rows.into_iter().next().map(|r| r.id),
            }
        });
        Self { connection, listings, expanded, filter, selected, trail, focused, tab_stop }
    }

    /// Moves the keyboard focus (and the tab stop) to a row.
    fn focus(self, id: &str) {
        self.focused.set(Some(id.to_string()));
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            if let Some(element) = document()
                .get_element_by_id(&row_dom_id(id))
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
            {
                let _ = element.focus();
            }
        }
    }
}

fn walk(
    listings: &Listings,
    open: &HashSet<String>,
    folder: &Option<String>,
    needle: &str,
    out: &mut Vec<Visible>,
    depth: u8,
) {
    if depth > 30 {
        return;
    }
    for entry in level_rows(listings, folder, needle) {
        let expandable = entry.has_children != Some(false);
        out.push(Visible { id: entry.remote_id.clone(), parent: folder.clone(), expandable });
        if expandable && open.contains(&entry.remote_id) {
            walk(listings, open, &Some(entry.remote_id), needle, out, depth + 1);
        }
    }
}

/// The folders of one loaded listing that the filter keeps (files are counted, not shown).
fn level_rows(listings: &Listings, folder: &Option<String>, needle: &str) -> Vec<FolderEntry> {
    match listings.get(folder) {
        Some(Listing::Loaded(listing)) => listing
            .entries
            .iter()
            .filter(|e| e.kind != EntryKind::File)
            .filter(|e| matches_filter(listings, e, needle, 0))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// A DOM id for a row: the remote id hex-encoded, so distinct ids never collide.
fn row_dom_id(remote_id: &str) -> String {
    let hex: String = remote_id.bytes().map(|b| format!("{b:02x}")).collect();
    format!("folder-{hex}")
}

/// Whether an entry is shown under the filter: its name matches, or a loaded
/// descendant's does.
fn matches_filter(listings: &Listings, entry: &FolderEntry, needle: &str, depth: u8) -> bool {
    if needle.is_empty() || entry.name.to_lowercase().contains(needle) {
        return true;
    }
    if depth > 20 {
        return false;
    }
    match listings.get(&Some(entry.remote_id.clone())) {
        Some(Listing::Loaded(listing)) => {
            listing.entries.iter().any(|child| matches_filter(listings, child, needle, depth + 1))
        }
        _ => false,
    }
}

fn kind_icon(kind: EntryKind) -> IconName {
    match kind {
        EntryKind::File | EntryKind::Page => IconName::Document,
        EntryKind::Mailbox => IconName::Envelope,
        EntryKind::Drive | EntryKind::Site => IconName::Server,
        EntryKind::Project => IconName::Ticket,
        EntryKind::Filter => IconName::Funnel,
        EntryKind::Folder | EntryKind::Space => IconName::Folder,
    }
}

/// What a key does on a row (the WAI-ARIA tree pattern); `true` when handled.
fn on_row_key(tree: Tree, key: &str, entry: &FolderEntry, ancestors: &[Crumb]) -> bool {
    let id = entry.remote_id.as_str();
    let rows = tree.visible();
    let Some(at) = rows.iter().position(|r| r.id == id) else { return false };
    let row = &rows[at];
    match key {
        "ArrowDown" => {
            if let Some(next) = rows.get(at + 1) {
                tree.focus(&next.id);
            }
        }
        "ArrowUp" => {
            if let Some(previous) = at.checked_sub(1).and_then(|i| rows.get(i)) {
                tree.focus(&previous.id);
            }
        }
        "Home" => {
            if let Some(first) = rows.first() {
                tree.focus(&first.id);
            }
        }
        "End" => {
            if let Some(last) = rows.last() {
                tree.focus(&last.id);
            }
        }
        "ArrowRight" if row.expandable => {
            if !tree.is_open(id) {
                tree.set_open(id, true);
            } else if let Some(child) = rows.get(at + 1).filter(|r| r.parent.as_deref() == Some(id))
            {
                tree.focus(&child.id);
            }
        }
        "ArrowLeft" => {
            if row.expandable && tree.is_open(id) {
                tree.set_open(id, false);
            } else if let Some(parent) = &row.parent
                && rows.iter().any(|r| &r.id == parent)
            {
                tree.focus(parent);
            } else if tree.trail.with_untracked(|t| !t.is_empty()) {
                // At the top of an entered folder: up one breadcrumb.
                tree.trail.update(|t| {
                    t.pop();
                });
                tree.focused.set(None);
            }
        }
        " " => tree.toggle(entry),
        "Enter" if row.expandable => tree.enter(ancestors, entry),
        "ArrowRight" | "Enter" => {}
        _ => return false,
    }
    true
}

#[component]
pub fn FolderPicker(
    #[prop(into)] connection: Signal<Option<ConnectionId>>,
    selected: RwSignal<Vec<SourcePath>>,
    /// Shown under the picker (e.g. "select at least one folder").
    #[prop(optional, into)]
    error: MaybeProp<String>,
) -> impl IntoView {
    let tree = Tree::new(connection, selected);
    let root = Memo::new(move |_| tree.root());

    // A new connection starts from its top level. Effects run only in the
    // browser, so the server renders the loading state the browser starts in.
    Effect::new(move |previous: Option<Option<ConnectionId>>| {
        let current = connection.get();
        if previous.as_ref().is_some_and(|p| *p != current) {
            tree.listings.set(HashMap::new());
            tree.expanded.set(HashSet::new());
            selected.set(Vec::new());
            tree.trail.set(Vec::new());
            tree.focused.set(None);
        }
        current
    });
    Effect::new(move |_| {
        let folder = root.get();
        if connection.get().is_some() {
            tree.load(folder, false);
        }
    });

    let crumb_class = |current: bool| {
        if current {
            "rounded px-1 font-medium text-slate-900"
        } else {
            "rounded px-1 font-medium text-indigo-700 hover:bg-indigo-50 hover:underline"
        }
    };
    let placeholder = move || {
        tree.trail.with(|t| match t.last() {
            Some(c) => format!("Filter in {}", c.name),
            None => "Filter loaded folders".to_string(),
        })
    };

    view! {
        <div class="rounded-lg ring-1 ring-slate-300" data-testid="folder-picker">
            <div class="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-slate-50 px-3 py-2">
                <nav aria-label="Folder path" class="min-w-0 flex-1" data-testid="folder-breadcrumbs">
                    <ol class="flex flex-wrap items-center gap-1 text-sm">
                        <li>
                            <button
                                type="button"
                                class=move || crumb_class(tree.trail.with(Vec::is_empty))
                                aria-current=move || tree.trail.with(Vec::is_empty).then_some("location")
                                on:click=move |_| {
                                    tree.trail.set(Vec::new());
                                    tree.focused.set(None);
                                }
                            >
                                "All folders"
                            </button>
                        </li>
                        {move || {
                            let trail = tree.trail.get();
                            let last = trail.len().saturating_sub(1);
                            trail
                                .into_iter()
                                .enumerate()
                                .map(|(index, crumb)| {
                                    let current = index == last;
                                    view! {
                                        <li class="flex min-w-0 items-center gap-1" data-testid="folder-crumb">
                                            <Icon icon=IconName::ChevronRight class="size-3 shrink-0 text-slate-400"/>
                                            <button
                                                type="button"
                                                class=format!("{} max-w-48 truncate", crumb_class(current))
                                                aria-current=current.then_some("location")
                                                on:click=move |_| {
                                                    tree.trail.update(|t| t.truncate(index + 1));
                                                    tree.focused.set(None);
                                                }
                                            >
                                                {crumb.name}
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ol>
                </nav>
                <label class="sr-only" for="folder-filter">"Filter folders"</label>
                <input
                    id="folder-filter"
                    type="search"
                    placeholder=placeholder
                    class=format!("{} sm:max-w-56", input_class(false))
                    prop:value=move || tree.filter.get()
                    on:input=move |ev| tree.filter.set(event_target_value(&ev))
                />
            </div>
            <div class="max-h-80 overflow-y-auto px-2 py-2">
                {move || match (connection.get(), root.get()) {
                    (None, _) => view! { <p class="px-2 py-6 text-center text-sm text-slate-500">"Choose a connection to see its folders."</p> }.into_any(),
                    (Some(_), folder) => view! { <FolderLevel tree folder ancestors=Vec::new() depth=0/> }.into_any(),
                }}
            </div>
        </div>
        {move || error.get().filter(|e| !e.is_empty()).map(|e| view! {
            <p id="folders-error" class="mt-1.5 text-xs font-medium text-red-600">{e}</p>
        })}
        <SelectedFolders selected/>
    }
    .into_any()
}

/// What one folder's listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LevelState {
    Loading,
    Failed(String),
    /// Loaded: whether no folder is shown, and how many files it holds directly.
    Loaded {
        empty: bool,
        files: usize,
    },
}

/// The children of one folder: loading, error, empty, or the rows. Rows are
/// keyed, so loading a subfolder does not re-create (and unfocus) its siblings.
#[component]
fn FolderLevel(
    tree: Tree,
    folder: Option<String>,
    ancestors: Vec<Crumb>,
    depth: u16,
) -> impl IntoView {
    let key = folder.clone();
    let rows = Memo::new(move |_| {
        let needle = tree.filter.get().trim().to_lowercase();
        tree.listings.with(|l| level_rows(l, &key, &needle))
    });
    let key = folder.clone();
    let state = Memo::new(move |_| {
        tree.listings.with(|l| match l.get(&key) {
            None | Some(Listing::Loading) => LevelState::Loading,
            Some(Listing::Failed(message)) => LevelState::Failed(message.clone()),
            Some(Listing::Loaded(listing)) => LevelState::Loaded {
                empty: rows.with(Vec::is_empty),
                files: listing.entries.iter().filter(|e| e.kind == EntryKind::File).count(),
            },
        })
    });
    let filtering = Memo::new(move |_| !tree.filter.with(|f| f.trim().is_empty()));
    let indent = format!("padding-left: {}rem", 0.5 + f32::from(depth) * 1.25);
    let ancestors = StoredValue::new(ancestors);
    move || match state.get() {
        LevelState::Loading => view! {
            <div class="px-2 py-2" style=indent.clone()><Spinner label="Loading folders…"/></div>
        }
        .into_any(),
        LevelState::Failed(message) => {
            let retry = folder.clone();
            view! {
                <Alert tone=Tone::Danger title="Could not list this folder" class="my-1">
                    <p>{message}</p>
                    <Button
                        size=ButtonSize::Sm
                        variant=ButtonVariant::Secondary
                        class="mt-2"
                        on_click=Callback::new(move |_| tree.load(retry.clone(), true))
                    >
                        "Try again"
                    </Button>
                </Alert>
            }
            .into_any()
        }
        LevelState::Loaded { empty: true, files } => {
            let text = match (files, filtering.get()) {
                (_, true) => "No loaded folder matches the filter.".to_string(),
                // Providers list folders only, so no file here does not mean empty.
                (0, false) => "No subfolders.".to_string(),
                (1, false) => "No subfolders (1 file).".to_string(),
                (n, false) => format!("No subfolders ({n} files)."),
            };
            view! { <p class="px-2 py-1.5 text-sm text-slate-500" style=indent.clone() data-testid="folder-empty">{text}</p> }.into_any()
        }
        LevelState::Loaded { empty: false, .. } => {
            let role = if depth == 0 { "tree" } else { "group" };
            view! {
                <ul
                    class="space-y-0.5"
                    role=role
                    aria-label=(depth == 0).then_some("Folders")
                    aria-multiselectable=(depth == 0).then_some("true")
                >
                    <For each=move || rows.get() key=|entry| entry.remote_id.clone() let:entry>
                        <FolderRow tree entry ancestors=ancestors.get_value() depth/>
                    </For>
                </ul>
            }
            .into_any()
        }
    }
}

#[component]
fn FolderRow(tree: Tree, entry: FolderEntry, ancestors: Vec<Crumb>, depth: u16) -> impl IntoView {
    let id = entry.remote_id.clone();
    let expandable = entry.has_children != Some(false);
    let open = {
        let id = id.clone();
        Memo::new(move |_| expandable && tree.expanded.with(|e| e.contains(&id)))
    };
    let checked = {
        let id = id.clone();
        Memo::new(move |_| tree.is_selected(&id))
    };
    let tab_stop = {
        let id = id.clone();
        Memo::new(move |_| tree.tab_stop.with(|t| t.as_deref() == Some(id.as_str())))
    };
    let dom_id = row_dom_id(&id);
    let name_id = format!("{dom_id}-name");
    let count_id = format!("{dom_id}-count");
    let name = entry.name.clone();
    let mut children_path = ancestors.clone();
    children_path.push(Crumb { remote_id: Some(id.clone()), name: name.clone() });
    let entry = StoredValue::new(entry);
    let ancestors = StoredValue::new(ancestors);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let handled = entry.with_value(|entry| {
            ancestors.with_value(|ancestors| on_row_key(tree, &ev.key(), entry, ancestors))
        });
        if handled {
            ev.prevent_default();
            ev.stop_propagation();
        }
    };
    let (file_count, selectable, kind) = entry.with_value(|e| (e.file_count, e.selectable, e.kind));
    let labelled_by = name_id.clone();
    let described_by = file_count.map(|_| count_id.clone());
    let focus_id = id.clone();
    let toggle_id = id.clone();
    let child_folder = Some(id.clone());
    view! {
        <li
            id=dom_id
            role="treeitem"
            tabindex=move || if tab_stop.get() { "0" } else { "-1" }
            aria-labelledby=labelled_by
            aria-describedby=described_by
            aria-expanded=move || expandable.then(|| open.get().to_string())
            aria-checked=move || selectable.then(|| checked.get().to_string())
            aria-disabled=(!selectable).then_some("true")
            class="rounded-md focus-visible:outline-none [&:focus-visible>div]:bg-indigo-50 [&:focus-visible>div]:ring-2 [&:focus-visible>div]:ring-indigo-500"
            data-testid="folder-row"
            data-name=name.clone()
            on:keydown=on_keydown
            on:focus=move |_| tree.focused.set(Some(focus_id.clone()))
        >
            <div
                class="flex items-center gap-2 rounded-md py-1 pr-2 hover:bg-slate-50"
                style=format!("padding-left: {}rem", 0.25 + f32::from(depth) * 1.25)
            >
                {if expandable {
                    let toggle_id = toggle_id.clone();
                    let name = name.clone();
                    view! {
                        <button
                            type="button"
                            tabindex="-1"
                            class="rounded p-0.5 text-slate-500 hover:bg-slate-200"
                            aria-label=move || format!("{} {}", if open.get() { "Collapse" } else { "Expand" }, name)
                            on:click=move |_| {
                                let now_open = tree.is_open(&toggle_id);
                                tree.set_open(&toggle_id, !now_open);
                                tree.focus(&toggle_id);
                            }
                        >
                            <span class=move || if open.get() { "block rotate-90 transition-transform" } else { "block transition-transform" }>
                                <Icon icon=IconName::ChevronRight class="size-4"/>
                            </span>
                        </button>
                    }
                    .into_any()
                } else {
                    view! { <span class="w-5"></span> }.into_any()
                }}
                // The row (treeitem) carries the checked state for assistive
                // technology; the box is its visual, mouse-operable twin.
                <input
                    type="checkbox"
                    tabindex="-1"
                    aria-hidden="true"
                    class="size-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
                    disabled=!selectable
                    prop:checked=move || checked.get()
                    on:change=move |_| entry.with_value(|e| tree.toggle(e))
                />
                <span
                    class="flex min-w-0 flex-1 cursor-pointer items-center gap-2 text-sm text-slate-800"
                    on:click=move |_| entry.with_value(|e| tree.toggle(e))
                >
                    <Icon icon=kind_icon(kind) class="size-4 shrink-0 text-slate-400"/>
                    <span class="truncate" id=name_id>{name.clone()}</span>
                </span>
                {file_count.map(|n| view! {
                    <span id=count_id class="shrink-0 text-xs text-slate-500" data-testid="folder-count">
                        {if n == 1 { "1 file".to_string() } else { format!("{n} files") }}
                    </span>
                })}
                {expandable.then(|| {
                    let name = name.clone();
                    view! {
                        <button
                            type="button"
                            tabindex="-1"
                            class="shrink-0 rounded px-1.5 py-0.5 text-xs font-medium text-indigo-700 hover:bg-indigo-50 sm:opacity-0 sm:[div:hover>&]:opacity-100 sm:[li:focus-visible>div>&]:opacity-100"
                            aria-label=format!("Open {name}")
                            on:click=move |_| entry.with_value(|e| ancestors.with_value(|a| tree.enter(a, e)))
                        >
                            "Open"
                        </button>
                    }
                })}
            </div>
            {move || open.get().then(|| view! { <FolderLevel tree folder=child_folder.clone() ancestors=children_path.clone() depth=depth + 1/> }.into_any())}
        </li>
    }
    .into_any()
}

/// The selection, with an include-subfolders toggle and a remove button each.
#[component]
fn SelectedFolders(selected: RwSignal<Vec<SourcePath>>) -> impl IntoView {
    view! {
        <div class="mt-3" data-testid="selected-folders">
            {move || {
                let list = selected.get();
                if list.is_empty() {
                    return view! { <p class="text-sm text-slate-500">"No folder selected yet."</p> }.into_any();
                }
                view! {
                    <p class="text-sm font-medium text-slate-800">
                        {match list.len() { 1 => "1 folder selected".to_string(), n => format!("{n} folders selected") }}
                    </p>
                    <ul class="mt-2 divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
                        {list
                            .into_iter()
                            .enumerate()
                            .map(|(index, path)| {
                                let toggle_id = format!("subfolders-{index}");
                                let remove_label = format!("Remove {}", path.path);
                                view! {
                                    <li class="flex flex-wrap items-center gap-3 px-3 py-2 text-sm">
                                        <Icon icon=IconName::Folder class="size-4 text-indigo-500"/>
                                        <span class="min-w-0 flex-1 truncate font-mono text-xs">{path.path.clone()}</span>
                                        <label for=toggle_id.clone() class="flex items-center gap-1.5 text-xs text-slate-600">
                                            <input
                                                id=toggle_id.clone()
                                                type="checkbox"
                                                class="size-4 rounded border-slate-300 text-indigo-600"
                                                prop:checked=path.include_subfolders
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    selected.update(|s| {
                                                        if let Some(p) = s.get_mut(index) {
                                                            p.include_subfolders = on;
                                                        }
                                                    });
                                                }
                                            />
                                            "Include subfolders"
                                        </label>
                                        <button
                                            type="button"
                                            class="rounded p-1 text-slate-400 hover:bg-red-50 hover:text-red-600"
                                            aria-label=remove_label
                                            on:click=move |_| selected.update(|s| {
                                                if index < s.len() {
                                                    s.remove(index);
                                                }
                                            })
                                        >
                                            <Icon icon=IconName::XMark class="size-4"/>
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </div>
    }
    .into_any()
}
