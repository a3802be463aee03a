//! `/jobs/{id}`: one run: counts, phase, the typed per-file errors, the files it
//! touched and its log, followed live while the job runs.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::badge::Badge;
use crate::components::button::{Button, ButtonVariant, LinkButton};
use crate::components::card::{Card, PageHeader, SectionHeader, TABLE_HEAD_CLASS, TableCard};
use crate::components::empty_state::EmptyState;
use crate::components::icons::IconName;
use crate::components::live::{use_job_events, use_job_log};
use crate::components::spinner::{Skeleton, Spinner};
use crate::components::sync_status::{JobStatusBadge, format_bytes, job_duration};
use crate::components::time::{absolute, now_millis};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{JobDetail, JobId, LogLevel};
use crate::pages::syncs::{LiveProgress, shown_job};
use crate::sync_api::{cancel_job, get_job_detail};

#[component]
pub fn JobDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || JobId::from(params.with(|p| p.get("id").unwrap_or_default()));
    let detail = Resource::new(id, get_job_detail);
    view! {
        <Title text="Sync job · Cloud Sources"/>
        <Suspense fallback=|| view! { <Skeleton class="h-96 w-full"/> }>
            {move || detail.get().map(|result| match result {
                Ok(job) => view! { <JobView detail=job reload=Callback::new(move |_| detail.refetch())/> }.into_any(),
                Err(AppError::NotFound) => view! {
                    <EmptyState icon=IconName::Stack title="No such job" description="It may belong to a configuration that was deleted.">
                        <LinkButton href="/syncs">"Back to sync configurations"</LinkButton>
                    </EmptyState>
                }.into_any(),
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load the job">{e.to_string()}</Alert> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn JobView(detail: JobDetail, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let job = detail.job.clone();
    let loaded_active = job.status.is_active();
    let live = use_job_events();
    let log = use_job_log(job.id.clone());
    let config_id = job.config_id.clone();
    let loaded = job.clone();
    let shown = Memo::new(move |_| {
        live.with(|m| shown_job(Some(&loaded), m.get(&config_id).filter(|e| e.job_id == loaded.id)))
    });
    let status = Signal::derive(move || shown.get().map(|s| s.status).unwrap_or(job.status));
    // The run ended while watched: load the final counts, errors and files.
    Effect::new(move |_| {
        if loaded_active && !status.get().is_active() {
            reload.run(());
        }
    });
    let cancel = {
        let id = job.id.clone();
        Action::new(move |_: &()| cancel_job(id.clone()))
    };
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(_)) => toasts.success("Cancelling: the run stops at the next file."),
        Some(Err(e)) => toasts.error(format!("Could not cancel: {e}")),
        None => {}
    });

    let p = job.progress.clone();
    let now = now_millis();
    let title = format!("{} · {} run", detail.config_name, job.job_type.as_str());
    view! {
        <PageHeader title description=format!("Job {}", job.id)>
            <JobStatusBadge status/>
            {move || status.get().is_active().then(|| view! {
                <Button variant=ButtonVariant::Danger icon=IconName::XCircle loading=cancel.pending() on_click=Callback::new(move |_| { cancel.dispatch(()); })>
                    "Cancel run"
                </Button>
            })}
            <LinkButton href=format!("/syncs/{}", job.config_id) variant=ButtonVariant::Secondary icon=IconName::Stack>"History"</LinkButton>
        </PageHeader>
        <div class="space-y-6">
            <Card class="p-5">
                <dl class="grid grid-cols-2 gap-4 text-sm sm:grid-cols-4" data-testid="job-counts">
                    <Stat label="Discovered" value=p.files_discovered.to_string()/>
                    <Stat label="Processed" value=p.files_processed.to_string()/>
                    <Stat label="Skipped" value=p.files_skipped.to_string()/>
                    <Stat label="Failed" value=p.files_failed.to_string()/>
                    <Stat label="Removed" value=p.files_deleted.to_string()/>
                    <Stat label="Data" value=format_bytes(p.bytes_processed)/>
                    <Stat label="Started" value=job.started_at.map(absolute).unwrap_or_else(|| "not yet".into())/>
                    <Stat label="Duration" value=job_duration(job.started_at, job.completed_at, now).unwrap_or_else(|| "–".into())/>
                </dl>
                <div class="mt-4">
                    <LiveProgress shown/>
                </div>
                {job.message.clone().map(|m| view! { <Alert tone=Tone::Warning class="mt-4">{m}</Alert> })}
            </Card>

            <section aria-labelledby="job-errors" class="space-y-3">
                <SectionHeader id="job-errors" title="Errors" description="Files that could not be synced; the run went on without them."/>
                {if job.errors.is_empty() {
                    view! { <p class="text-sm text-slate-500" data-testid="no-errors">"No file failed."</p> }.into_any()
                } else {
                    view! {
                        <TableCard caption="Files that failed in this run" testid="job-errors-table">
                            <thead class=TABLE_HEAD_CLASS>
                                <tr>
                                    <th scope="col" class="px-4 py-2">"File"</th>
                                    <th scope="col" class="px-4 py-2">"Type"</th>
                                    <th scope="col" class="px-4 py-2">"Message"</th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">
                                {job.errors.clone().into_iter().map(|e| view! {
                                    <tr>
                                        <td class="px-4 py-2 font-mono text-xs">{e.file_path}</td>
                                        <td class="px-4 py-2"><Badge tone=Tone::Danger>{e.error_type.as_str()}</Badge></td>
                                        <td class="px-4 py-2 text-slate-600">{e.message}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </TableCard>
                    }.into_any()
                }}
            </section>

            <section aria-labelledby="job-log" class="space-y-3">
                <SectionHeader id="job-log" title="Log"/>
                <div
                    class="max-h-96 overflow-y-auto rounded-xl bg-slate-950 p-4 font-mono text-xs leading-relaxed text-slate-200"
                    data-testid="job-log"
                    role="log"
                    aria-live="polite"
                    tabindex="0"
                >
                    {move || log.with(|feed| {
                        if feed.lines.is_empty() {
                            return match &feed.ended {
                                Some(_) => view! { <p class="text-slate-400">"This run wrote no log lines."</p> }.into_any(),
                                None => view! { <span class="text-slate-400"><Spinner label="Waiting for log lines…"/></span> }.into_any(),
                            };
                        }
                        feed.lines.iter().map(|line| {
                            let colour = match line.level {
                                LogLevel::Info => "text-slate-200",
                                LogLevel::Warn => "text-amber-300",
                                LogLevel::Error => "text-red-300",
                            };
                            view! {
                                <p data-testid="log-line" class=colour>
                                    <span class="text-slate-500">{line.at.as_datetime().format("%H:%M:%S").to_string()}" "</span>
                                    {line.message.clone()}
                                </p>
                            }
                        }).collect_view().into_any()
                    })}
                </div>
            </section>

            <section aria-labelledby="job-files" class="space-y-3">
                <SectionHeader
                    id="job-files"
                    title="Files"
                    description=format!("{} file(s) touched by this run{}.", detail.files_total, if detail.files.len() as u64 > 200 { ", the first 200 shown" } else { "" })
                />
                {(!detail.files.is_empty()).then(|| view! {
                    <TableCard caption="Files this run touched">
                        <thead class=TABLE_HEAD_CLASS>
                            <tr>
                                <th scope="col" class="px-4 py-2">"Path"</th>
                                <th scope="col" class="px-4 py-2">"Action"</th>
                                <th scope="col" class="px-4 py-2 text-right">"Size"</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {detail.files.clone().into_iter().take(200).map(|f| view! {
                                <tr>
                                    <td class="px-4 py-1.5 font-mono text-xs">{f.path}</td>
                                    <td class="px-4 py-1.5">{format!("{:?}", f.action).to_lowercase()}</td>
                                    <td class="px-4 py-1.5 text-right">{format_bytes(f.bytes)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </TableCard>
                })}
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn Stat(label: &'static str, #[prop(into)] value: String) -> impl IntoView {
    view! {
        <div>
            <dt class="text-xs text-slate-500">{label}</dt>
            <dd class="mt-0.5 font-semibold text-slate-900" data-testid=format!("stat-{}", label.to_lowercase())>{value}</dd>
        </div>
    }
    .into_any()
}
