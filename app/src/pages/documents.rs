//! Documents page: what has been indexed, filterable by configuration and
//! searchable by name or path, each with a link back to its source. The filter
//! form is a plain GET form, so the URL holds the query and it works before
//! hydration too.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{Button, ButtonVariant};
use crate::components::card::{PageHeader, TABLE_HEAD_CLASS, TableCard};
use crate::components::empty_state::EmptyState;
use crate::components::form_field::input_class;
use crate::components::icons::{Icon, IconName};
use crate::components::pager::Pager;
use crate::components::spinner::Skeleton;
use crate::components::sync_status::format_bytes;
use crate::components::time::RelativeTime;
use crate::model::{ConfigId, DocumentQuery, SyncConfiguration};
use crate::sync_api::{list_configs, list_documents};

/// The `/documents` URL of a query (without the page).
pub fn documents_href(config: Option<&str>, search: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(config) = config.filter(|c| !c.is_empty()) {
        parts.push(format!("config={}", encode(config)));
    }
    if let Some(search) = search.filter(|s| !s.is_empty()) {
        parts.push(format!("q={}", encode(search)));
    }
    if parts.is_empty() {
        "/documents".to_string()
    } else {
        format!("/documents?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn DocumentsPage() -> impl IntoView {
    let query = use_query_map();
    let config = move || query.with(|q| q.get("config").filter(|c| !c.is_empty()));
    let search = move || query.with(|q| q.get("q").filter(|s| !s.trim().is_empty()));
    let page = move || {
        query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1))
    };
    let configs = Resource::new(|| (), |_| list_configs());
    let navigate = StoredValue::new(use_navigate());
    let navigate = move |href: &str, options| navigate.with_value(|n| n(href, options));
    let documents = Resource::new(
        move || DocumentQuery {
            config_id: config().map(ConfigId::from),
            search: search(),
            page: page(),
            per_page: 25,
        },
        list_documents,
    );
    let config_name = move |id: &ConfigId, list: &[SyncConfiguration]| {
        list.iter().find(|c| &c.id == id).map(|c| c.name.clone()).unwrap_or_default()
    };

    view! {
        <Title text="Documents · Cloud Sources"/>
        <PageHeader title="Documents" description="Everything synced into the document store, by source."/>
        <form method="get" action="/documents" class="mb-4 flex flex-wrap items-end gap-3" role="search">
            // On a phone each control takes the full row: a select is as wide as
            // its longest option, and configuration names can be long.
            <div class="w-full space-y-1.5 sm:w-64">
                <label for="documents-config" class="block text-sm font-medium text-slate-800">"Configuration"</label>
                <Transition fallback=|| view! { <select id="documents-config" name="config" class=input_class(false) disabled=true><option>"All configurations"</option></select> }>
                    {move || {
                        let list = configs.get().and_then(Result::ok).unwrap_or_default();
                        let current = config().unwrap_or_default();
                        view! {
                            <select
                                id="documents-config"
                                name="config"
                                class=input_class(false)
                                on:change=move |ev| {
                                    let chosen = event_target_value(&ev);
                                    navigate(&documents_href(Some(&chosen), search().as_deref()), Default::default());
                                }
                            >
                                <option value="" selected=current.is_empty()>"All configurations"</option>
                                {list.into_iter().map(|c| {
                                    let selected = c.id.as_str() == current;
                                    view! { <option value=c.id.to_string() selected=selected>{c.name}</option> }
                                }).collect_view()}
                            </select>
                        }
                    }}
                </Transition>
            </div>
            <div class="w-full space-y-1.5 sm:w-auto sm:min-w-56 sm:flex-1">
                <label for="documents-search" class="block text-sm font-medium text-slate-800">"Search"</label>
                <input id="documents-search" name="q" type="search" class=input_class(false) placeholder="Name or path" value=search/>
            </div>
            <Button button_type="submit" variant=ButtonVariant::Secondary>"Filter"</Button>
        </form>
        <Transition fallback=|| view! { <Skeleton class="h-64 w-full"/> }>
            {move || documents.get().map(|result| match result {
                Ok(page) if page.items.is_empty() => {
                    let filtered = config().is_some() || search().is_some();
                    view! {
                        <EmptyState
                            icon=IconName::Document
                            title=if filtered { "No documents match" } else { "No documents yet" }
                            description=if filtered { "Try another configuration or search." } else { "Documents appear here once a sync configuration has run." }
                        />
                    }.into_any()
                }
                Ok(page) => {
                    let names = configs.get().and_then(Result::ok).unwrap_or_default();
                    let base = documents_href(config().as_deref(), search().as_deref());
                    let (current, pages, total) = (page.page, page.pages(), page.total);
                    view! {
                        <p class="mb-2 text-sm text-slate-500" data-testid="documents-total">
                            {if total == 1 { "1 document".to_string() } else { format!("{total} documents") }}
                        </p>
                        <TableCard caption="Indexed documents" testid="documents-table">
                            <thead class=TABLE_HEAD_CLASS>
                                <tr>
                                    <th scope="col" class="px-4 py-2">"Name"</th>
                                    <th scope="col" class="px-4 py-2">"Configuration"</th>
                                    <th scope="col" class="px-4 py-2 text-right">"Size"</th>
                                    <th scope="col" class="px-4 py-2 text-right">"Chunks"</th>
                                    <th scope="col" class="px-4 py-2">"Indexed"</th>
                                    <th scope="col" class="px-4 py-2"><span class="sr-only">"Source"</span></th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">
                                {page.items.into_iter().map(|doc| {
                                    let config_label = config_name(&doc.config_id, &names);
                                    view! {
                                        <tr data-testid="document-row">
                                            <td class="px-4 py-2">
                                                <a class="font-medium text-indigo-700 hover:underline" href=format!("/documents/{}", doc.id)>{doc.name.clone()}</a>
                                                <p class="font-mono text-xs text-slate-500">{doc.path.clone()}</p>
                                            </td>
                                            <td class="px-4 py-2">
                                                <a class="text-indigo-700 hover:underline" href=format!("/syncs/{}", doc.config_id)>{config_label}</a>
                                            </td>
                                            <td class="px-4 py-2 text-right whitespace-nowrap">{format_bytes(doc.size_bytes)}</td>
                                            <td class="px-4 py-2 text-right">{doc.chunk_count}</td>
                                            <td class="px-4 py-2 whitespace-nowrap"><RelativeTime at=doc.indexed_at/></td>
                                            <td class="px-4 py-2 text-right">
                                                {doc.web_url.clone().map(|url| view! {
                                                    <a href=url target="_blank" rel="noopener noreferrer" class="inline-flex items-center gap-1 text-indigo-700 hover:underline">
                                                        "Open in source" <Icon icon=IconName::ExternalLink class="size-3.5"/>
                                                    </a>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </TableCard>
                        <Pager base current pages/>
                    }.into_any()
                }
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load the documents">{e.to_string()}</Alert> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::documents_href;

    #[test]
    fn document_links_carry_the_filters_encoded() {
        assert_eq!(documents_href(None, None), "/documents");
        assert_eq!(documents_href(Some("abc"), Some("")), "/documents?config=abc");
        assert_eq!(documents_href(Some(""), Some("q4 report&co")), "/documents?q=q4%20report%26co");
    }
}
