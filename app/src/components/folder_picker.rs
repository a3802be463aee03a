//! The folder picker: a lazily loaded tree of a connection's folders (children
//! are fetched through the browse operation when a folder is expanded), with
//! checkboxes to select several folders, an include-subfolders toggle per
//! selection, a filter over the loaded folders and breadcrumbs to open a folder
//! as the tree's root. Everything is a native button or checkbox, so it works
//! with the keyboard.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::Tone;
use super::alert::Alert;
use super::button::{Button, ButtonSize, ButtonVariant};
use super::form_field::input_class;
use super::icons::{Icon, IconName};
use super::spinner::Spinner;
use crate::model::{BrowseResult, ConnectionId, EntryKind, FolderEntry, SourcePath};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Listing {
    Loading,
    Loaded(BrowseResult),
    Failed(String),
}

/// Loaded listings by folder (`None`: the top level).
type Listings = RwSignal<HashMap<Option<String>, Listing>>;

#[derive(Clone, Copy)]
struct Tree {
    connection: Signal<Option<ConnectionId>>,
    listings: Listings,
    expanded: RwSignal<HashSet<String>>,
    filter: RwSignal<String>,
    selected: RwSignal<Vec<SourcePath>>,
}

impl Tree {
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
}

/// Whether an entry is shown under the filter: its name matches, or a loaded
/// descendant's does.
fn matches_filter(
    listings: &HashMap<Option<String>, Listing>,
    entry: &FolderEntry,
    needle: &str,
    depth: u8,
) -> bool {
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
        EntryKind::Folder | EntryKind::Space => IconName::Folder,
    }
}

#[component]
pub fn FolderPicker(
    #[prop(into)] connection: Signal<Option<ConnectionId>>,
    selected: RwSignal<Vec<SourcePath>>,
    /// Shown under the picker (e.g. "select at least one folder").
    #[prop(optional, into)]
    error: MaybeProp<String>,
) -> impl IntoView {
    let tree = Tree {
        connection,
        listings: RwSignal::new(HashMap::new()),
        expanded: RwSignal::new(HashSet::new()),
        filter: RwSignal::new(String::new()),
        selected,
    };
    // The folder shown as the tree's root (changed through the breadcrumbs).
    let root = RwSignal::new(None::<String>);

    // A new connection starts from its top level. Effects run only in the
    // browser, so the server renders the loading state the browser starts in.
    Effect::new(move |previous: Option<Option<ConnectionId>>| {
        let current = connection.get();
        if previous.as_ref().is_some_and(|p| *p != current) {
            tree.listings.set(HashMap::new());
            tree.expanded.set(HashSet::new());
            selected.set(Vec::new());
            root.set(None);
        }
        current
    });
    Effect::new(move |_| {
        let folder = root.get();
        if connection.get().is_some() {
            tree.load(folder, false);
        }
    });

    let crumbs = move || {
        tree.listings.with(|l| match l.get(&root.get()) {
            Some(Listing::Loaded(listing)) => listing.breadcrumbs.clone(),
            _ => Vec::new(),
        })
    };

    view! {
        <div class="rounded-lg ring-1 ring-slate-300" data-testid="folder-picker">
            <div class="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-slate-50 px-3 py-2">
                <nav aria-label="Folder path" class="min-w-0 flex-1">
                    <ol class="flex flex-wrap items-center gap-1 text-sm">
                        <li>
                            <button
                                type="button"
                                class="rounded px-1 font-medium text-indigo-700 hover:bg-indigo-50"
                                on:click=move |_| root.set(None)
                            >
                                "All folders"
                            </button>
                        </li>
                        {move || {
                            crumbs()
                                .into_iter()
                                .filter(|c| c.remote_id.is_some())
                                .map(|crumb| {
                                    let id = crumb.remote_id.clone();
                                    view! {
                                        <li class="flex items-center gap-1">
                                            <Icon icon=IconName::ChevronRight class="size-3 text-slate-400"/>
                                            <button
                                                type="button"
                                                class="rounded px-1 text-slate-700 hover:bg-slate-100"
                                                on:click=move |_| root.set(id.clone())
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
                    placeholder="Filter loaded folders"
                    class=format!("{} max-w-56", input_class(false))
                    prop:value=move || tree.filter.get()
                    on:input=move |ev| tree.filter.set(event_target_value(&ev))
                />
            </div>
            <div class="max-h-80 overflow-y-auto px-2 py-2">
                {move || match connection.get() {
                    None => view! { <p class="px-2 py-6 text-center text-sm text-slate-500">"Choose a connection to see its folders."</p> }.into_any(),
                    Some(_) => view! { <FolderLevel tree folder=root.get() depth=0/> }.into_any(),
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

/// The children of one folder: loading, error, empty, or the rows.
#[component]
fn FolderLevel(tree: Tree, folder: Option<String>, depth: u16) -> impl IntoView {
    let key = folder.clone();
    move || {
        let listing = tree.listings.with(|l| l.get(&key).cloned());
        match listing {
            None | Some(Listing::Loading) => view! {
                <div class="px-2 py-2"><Spinner label="Loading folders…"/></div>
            }
            .into_any(),
            Some(Listing::Failed(message)) => {
                let retry = key.clone();
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
            Some(Listing::Loaded(listing)) => {
                let needle = tree.filter.get().trim().to_lowercase();
                let files = listing.entries.iter().filter(|e| e.kind == EntryKind::File).count();
                let rows: Vec<FolderEntry> = tree.listings.with(|l| {
                    listing
                        .entries
                        .iter()
                        .filter(|e| e.kind != EntryKind::File)
                        .filter(|e| matches_filter(l, e, &needle, 0))
                        .cloned()
                        .collect()
                });
                if rows.is_empty() {
                    let text = match (files, needle.is_empty()) {
                        (_, false) => "No loaded folder matches the filter.".to_string(),
                        (0, true) => "This folder is empty.".to_string(),
                        (1, true) => "No subfolders (1 file).".to_string(),
                        (n, true) => format!("No subfolders ({n} files)."),
                    };
                    return view! { <p class="px-2 py-1.5 text-sm text-slate-500" style=format!("padding-left: {}rem", 0.5 + f32::from(depth) * 1.25)>{text}</p> }.into_any();
                }
                view! {
                    <ul class="space-y-0.5">
                        {rows.into_iter().map(|entry| view! { <FolderRow tree entry depth/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }
        }
    }
}

#[component]
fn FolderRow(tree: Tree, entry: FolderEntry, depth: u16) -> impl IntoView {
    let id = entry.remote_id.clone();
    let expandable = entry.has_children != Some(false);
    let open = {
        let id = id.clone();
        move || tree.expanded.with(|e| e.contains(&id))
    };
    let toggle_open = {
        let id = id.clone();
        move |_| {
            let now_open = tree.expanded.with_untracked(|e| e.contains(&id));
            tree.expanded.update(|e| {
                if now_open {
                    e.remove(&id);
                } else {
                    e.insert(id.clone());
                }
            });
            if !now_open {
                tree.load(Some(id.clone()), false);
            }
        }
    };
    let checkbox_id =
        format!("folder-{}", entry.remote_id.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    let checked = {
        let id = id.clone();
        move || tree.is_selected(&id)
    };
    let toggle_entry = entry.clone();
    let child_folder = Some(id.clone());
    let name = entry.name.clone();
    let open_for_label = open.clone();
    let open_for_icon = open.clone();
    let open_for_aria = open.clone();
    view! {
        <li data-testid="folder-row" data-name=entry.name.clone()>
            <div
                class="flex items-center gap-2 rounded-md py-1 pr-2 hover:bg-slate-50"
                style=format!("padding-left: {}rem", 0.25 + f32::from(depth) * 1.25)
            >
                {if expandable {
                    view! {
                        <button
                            type="button"
                            class="rounded p-0.5 text-slate-500 hover:bg-slate-200"
                            aria-expanded=move || open_for_aria().to_string()
                            aria-label=move || format!("{} {}", if open_for_label() { "Collapse" } else { "Expand" }, name)
                            on:click=toggle_open
                        >
                            <span class=move || if open_for_icon() { "block rotate-90 transition-transform" } else { "block transition-transform" }>
                                <Icon icon=IconName::ChevronRight class="size-4"/>
                            </span>
                        </button>
                    }
                    .into_any()
                } else {
                    view! { <span class="w-5"></span> }.into_any()
                }}
                <input
                    id=checkbox_id.clone()
                    type="checkbox"
                    class="size-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
                    disabled=!entry.selectable
                    prop:checked=checked
                    on:change=move |_| tree.toggle(&toggle_entry)
                />
                <label for=checkbox_id class="flex min-w-0 flex-1 cursor-pointer items-center gap-2 text-sm text-slate-800">
                    <Icon icon=kind_icon(entry.kind) class="size-4 shrink-0 text-slate-400"/>
                    <span class="truncate">{entry.name.clone()}</span>
                </label>
                {entry.file_count.map(|n| view! {
                    <span class="shrink-0 text-xs text-slate-500" data-testid="folder-count">
                        {if n == 1 { "1 file".to_string() } else { format!("{n} files") }}
                    </span>
                })}
            </div>
            {move || open().then(|| view! { <FolderLevel tree folder=child_folder.clone() depth=depth + 1/> }.into_any())}
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
