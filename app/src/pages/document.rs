//! `/documents/{id}`: one indexed document as a RAG profile reads it: its
//! metadata, the extracted text and the chunks cut from it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{ButtonVariant, LinkButton};
use crate::components::card::{Card, PageHeader, SectionHeader};
use crate::components::empty_state::EmptyState;
use crate::components::icons::{Icon, IconName};
use crate::components::spinner::Skeleton;
use crate::components::sync_status::format_bytes;
use crate::components::time::{RelativeTime, absolute};
use crate::error::AppError;
use crate::model::{DocumentId, SourceDocument};
use crate::pages::documents::documents_href;
use crate::sync_api::get_document;

#[component]
pub fn DocumentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || DocumentId::from(params.with(|p| p.get("id").unwrap_or_default()));
    let document = Resource::new(id, get_document);
    view! {
        <Title text="Document · Cloud Sources"/>
        <Suspense fallback=|| view! { <Skeleton class="h-96 w-full"/> }>
            {move || document.get().map(|result| match result {
                Ok(doc) => view! { <DocumentView doc/> }.into_any(),
                Err(AppError::NotFound) => view! {
                    <EmptyState icon=IconName::Document title="No such document" description="It may have been removed from its source, or belong to a configuration that was deleted.">
                        <LinkButton href="/documents">"Back to documents"</LinkButton>
                    </EmptyState>
                }.into_any(),
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load the document">{e.to_string()}</Alert> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn DocumentView(doc: SourceDocument) -> impl IntoView {
    let chunk_count = doc.chunks.len();
    let characters = doc.text.chars().count();
    let back = documents_href(Some(doc.config_id.as_str()), None);
    view! {
        <nav aria-label="Back" class="mb-2 text-sm">
            <a href=back class="inline-flex items-center gap-1 font-medium text-indigo-700 hover:underline">
                <Icon icon=IconName::ChevronRight class="size-3.5 rotate-180"/>
                "Documents"
            </a>
        </nav>
        <PageHeader title=doc.name.clone() description=doc.path.clone()>
            {doc.web_url.clone().map(|url| view! {
                <a href=url target="_blank" rel="noopener noreferrer" class="inline-flex items-center gap-1 text-sm font-medium text-indigo-700 hover:underline">
                    "Open in source" <Icon icon=IconName::ExternalLink class="size-3.5"/>
                </a>
            })}
            <LinkButton href=format!("/syncs/{}", doc.config_id) variant=ButtonVariant::Secondary icon=IconName::Stack>"Configuration"</LinkButton>
        </PageHeader>
        <div class="space-y-6">
            <Card class="p-5">
                <dl class="grid grid-cols-2 gap-4 text-sm sm:grid-cols-4" data-testid="document-facts">
                    <Fact label="Type" value=doc.mime_type.clone()/>
                    <Fact label="Size" value=format_bytes(doc.size_bytes)/>
                    <Fact label="Chunks" value=chunk_count.to_string()/>
                    <Fact label="Characters" value=characters.to_string()/>
                    <Fact label="Profile" value=doc.profile_key.clone()/>
                    <Fact label="Modified" value=doc.modified_at.map(absolute).unwrap_or_else(|| "unknown".into())/>
                    <div>
                        <dt class="text-xs text-slate-500">"Indexed"</dt>
                        <dd class="mt-0.5 font-semibold text-slate-900"><RelativeTime at=doc.indexed_at/></dd>
                    </div>
                    {doc.job_id.clone().map(|job| view! {
                        <div>
                            <dt class="text-xs text-slate-500">"Written by"</dt>
                            <dd class="mt-0.5"><a class="font-semibold text-indigo-700 hover:underline" href=format!("/jobs/{job}")>"Job details"</a></dd>
                        </div>
                    })}
                </dl>
            </Card>

            <section aria-labelledby="document-text" class="space-y-3">
                <SectionHeader id="document-text" title="Extracted text" description="What the sync read out of the file, before chunking."/>
                {if doc.text.trim().is_empty() {
                    view! { <p class="text-sm text-slate-500" data-testid="document-text">"No text was extracted from this file."</p> }.into_any()
                } else {
                    view! {
                        <Card class="overflow-hidden">
                            <pre class="max-h-96 overflow-auto p-4 font-mono text-xs leading-relaxed break-words whitespace-pre-wrap text-slate-800" data-testid="document-text" tabindex="0" aria-label="Extracted text">{doc.text.clone()}</pre>
                        </Card>
                    }.into_any()
                }}
            </section>

            <section aria-labelledby="document-chunks" class="space-y-3">
                <SectionHeader
                    id="document-chunks"
                    title="Chunks"
                    description=match chunk_count { 1 => "1 chunk, as embedded for search.".to_string(), n => format!("{n} chunks, as embedded for search.") }
                />
                {if doc.chunks.is_empty() {
                    view! { <p class="text-sm text-slate-500">"No chunks: there was no text to cut."</p> }.into_any()
                } else {
                    view! {
                        <ol class="space-y-3" data-testid="document-chunks">
                            {doc.chunks.into_iter().map(|chunk| {
                                let length = chunk.text.chars().count();
                                view! {
                                    <li data-testid="chunk">
                                        <Card class="p-4">
                                            <p class="mb-2 flex flex-wrap gap-x-3 text-xs text-slate-500">
                                                <span class="font-semibold text-slate-700">{format!("Chunk {}", chunk.index + 1)}</span>
                                                <span>{format!("from character {}", chunk.char_start)}</span>
                                                <span>{format!("{length} characters")}</span>
                                            </p>
                                            <p class="text-sm break-words whitespace-pre-wrap text-slate-800">{chunk.text}</p>
                                        </Card>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn Fact(label: &'static str, #[prop(into)] value: String) -> impl IntoView {
    let title = value.clone();
    view! {
        <div class="min-w-0">
            <dt class="text-xs text-slate-500">{label}</dt>
            <dd class="mt-0.5 truncate font-semibold text-slate-900" title=title data-testid=format!("stat-{}", label.to_lowercase())>{value}</dd>
        </div>
    }
    .into_any()
}
