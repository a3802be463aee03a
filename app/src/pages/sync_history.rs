//! `/syncs/{id}`: a configuration's runs, newest first, a page at a time.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{ButtonSize, ButtonVariant, LinkButton};
use crate::components::card::{PageHeader, TABLE_HEAD_CLASS, TableCard};
use crate::components::empty_state::EmptyState;
use crate::components::icons::IconName;
use crate::components::pager::Pager;
use crate::components::spinner::Skeleton;
use crate::components::sync_status::{JobStatusBadge, job_duration};
use crate::components::time::{RelativeTime, now_millis};
use crate::error::AppError;
use crate::model::ConfigId;
use crate::sync_api::{get_config, job_history};

#[component]
pub fn SyncHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || ConfigId::from(params.with(|p| p.get("id").unwrap_or_default()));
    let page = move || {
        query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1))
    };
    let config = Resource::new(id, get_config);
    let history = Resource::new(move || (id(), page()), |(id, page)| job_history(id, page));

    view! {
        <Title text="Sync history · Cloud Sources"/>
        <Suspense fallback=|| view! { <Skeleton class="h-10 w-64"/> }>
            {move || config.get().map(|result| match result {
                Ok(config) => view! {
                    <PageHeader title=config.name.clone() description="Every run of this configuration, newest first.">
                        <LinkButton href=format!("/syncs/{}/edit", config.id) variant=ButtonVariant::Secondary icon=IconName::Pencil>"Edit"</LinkButton>
                        <LinkButton href=format!("/documents?config={}", config.id) variant=ButtonVariant::Secondary icon=IconName::Document>"Documents"</LinkButton>
                    </PageHeader>
                }.into_any(),
                Err(AppError::NotFound) => view! {
                    <EmptyState icon=IconName::Refresh title="No such configuration" description="It may have been deleted.">
                        <LinkButton href="/syncs">"Back to sync configurations"</LinkButton>
                    </EmptyState>
                }.into_any(),
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load the configuration">{e.to_string()}</Alert> }.into_any(),
            })}
        </Suspense>
        <Transition fallback=|| view! { <Skeleton class="h-64 w-full"/> }>
            {move || history.get().map(|result| match result {
                Ok(page) if page.items.is_empty() => view! {
                    <EmptyState icon=IconName::Stack title="No runs yet" description="Runs appear here once the configuration has run."/>
                }.into_any(),
                Ok(page) => {
                    let base = format!("/syncs/{}", id());
                    let pages = page.pages();
                    let current = page.page;
                    let now = now_millis();
                    view! {
                        <TableCard caption="Runs of this configuration" testid="history-table">
                            <thead class=TABLE_HEAD_CLASS>
                                <tr>
                                    <th scope="col" class="px-4 py-2">"Started"</th>
                                    <th scope="col" class="px-4 py-2">"Type"</th>
                                    <th scope="col" class="px-4 py-2">"Status"</th>
                                    <th scope="col" class="px-4 py-2">"Duration"</th>
                                    <th scope="col" class="px-4 py-2 text-right">"Processed"</th>
                                    <th scope="col" class="px-4 py-2 text-right">"Skipped"</th>
                                    <th scope="col" class="px-4 py-2 text-right">"Failed"</th>
                                    <th scope="col" class="px-4 py-2"><span class="sr-only">"Details"</span></th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">
                                {page.items.into_iter().map(|job| view! {
                                    <tr data-testid="history-row">
                                        <td class="px-4 py-2 whitespace-nowrap"><RelativeTime at=job.started_at.unwrap_or(job.created_at)/></td>
                                        <td class="px-4 py-2">{job.job_type.as_str()}</td>
                                        <td class="px-4 py-2"><JobStatusBadge status=job.status/></td>
                                        <td class="px-4 py-2 whitespace-nowrap">{job_duration(job.started_at, job.completed_at, now).unwrap_or_else(|| "–".into())}</td>
                                        <td class="px-4 py-2 text-right">{job.progress.files_processed}</td>
                                        <td class="px-4 py-2 text-right">{job.progress.files_skipped}</td>
                                        <td class="px-4 py-2 text-right">{job.progress.files_failed}</td>
                                        <td class="px-4 py-2 text-right">
                                            <LinkButton href=format!("/jobs/{}", job.id) size=ButtonSize::Sm variant=ButtonVariant::Ghost>"Details"</LinkButton>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </TableCard>
                        <Pager base current pages/>
                    }.into_any()
                }
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load the history">{e.to_string()}</Alert> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}
