//! The dashboard: overview cards, quick actions, the sources grid with each
//! configuration's health, and the recent runs.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_server_info;
use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::badge::Badge;
use crate::components::button::{Button, ButtonVariant, LinkButton};
use crate::components::card::{Card, PageHeader, SectionHeader};
use crate::components::empty_state::EmptyState;
use crate::components::icons::{Icon, IconName};
use crate::components::spinner::Skeleton;
use crate::components::sync_status::{JobStatusBadge, format_bytes, health_label, health_tone};
use crate::components::time::{RelativeTime, absolute};
use crate::components::toast::use_toasts;
use crate::model::{Dashboard, Health, SourceSummary};
use crate::sync_api::{get_dashboard, run_all};

/// The numbers on the overview cards: configurations and failing ones are
/// counted from the sources grid.
pub fn overview(data: &Dashboard) -> (u64, u64) {
    let configs = data.sources.iter().map(|s| s.configs.len() as u64).sum();
    let failing =
        data.sources.iter().flat_map(|s| &s.configs).filter(|c| c.health == Health::Error).count()
            as u64;
    (configs, failing)
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let toasts = use_toasts();
    let data = Resource::new(|| (), |_| get_dashboard());
    let run_everything = Action::new(|_: &()| run_all());
    Effect::new(move |_| match run_everything.value().get() {
        Some(Ok(jobs)) => {
            toasts.success(match jobs.len() {
                0 => "Nothing to run: you have no active sync configuration.".to_string(),
                1 => "Started 1 sync.".to_string(),
                n => format!("Started {n} syncs."),
            });
            data.refetch();
        }
        Some(Err(e)) => toasts.error(format!("Could not start the syncs: {e}")),
        None => {}
    });
    view! {
        <Title text="Dashboard · Cloud Sources"/>
        <PageHeader title="Dashboard" description="What your sources are doing, at a glance.">
            <Button
                variant=ButtonVariant::Secondary
                icon=IconName::Refresh
                loading=run_everything.pending()
                on_click=Callback::new(move |_| { run_everything.dispatch(()); })
            >
                "Run all my syncs"
            </Button>
            <LinkButton href="/syncs/new" icon=IconName::Plus>"New sync"</LinkButton>
        </PageHeader>
        <Transition fallback=|| view! {
            <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
                <Skeleton class="h-24"/><Skeleton class="h-24"/><Skeleton class="h-24"/><Skeleton class="h-24"/>
            </div>
        }>
            {move || data.get().map(|result| match result {
                Ok(data) => view! { <DashboardBody data/> }.into_any(),
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load the dashboard">{e.to_string()}</Alert> }.into_any(),
            })}
        </Transition>
        <ServerCheck/>
    }
    .into_any()
}

#[component]
fn DashboardBody(data: Dashboard) -> impl IntoView {
    let (configs, failing) = overview(&data);
    let stats = data.stats.clone();
    view! {
        <div class="space-y-8">
            {(!data.alerts.is_empty()).then(|| view! {
                <Alert tone=Tone::Warning title="Needs your attention">
                    <ul class="list-disc pl-4">{data.alerts.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul>
                </Alert>
            })}
            <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="overview">
                <StatCard label="Connections" value=stats.total_connections.to_string() icon=IconName::Link href="/connections"/>
                <StatCard
                    label="Sync configurations"
                    value=configs.to_string()
                    icon=IconName::Refresh
                    href="/syncs"
                    note=match stats.active_syncs { 0 => "none running".to_string(), n => format!("{n} running now") }
                />
                <StatCard
                    label="Documents"
                    value=stats.total_files_indexed.to_string()
                    icon=IconName::Document
                    href="/documents"
                    note=format_bytes(stats.total_size_bytes)
                />
                <StatCard
                    label="Failing syncs"
                    value=failing.to_string()
                    icon={if failing > 0 { IconName::ExclamationTriangle } else { IconName::CheckCircle }}
                    href="/syncs"
                    note=stats.next_scheduled_sync.map(|at| format!("next run {}", absolute(at))).unwrap_or_else(|| "nothing scheduled".into())
                />
            </div>
            <section aria-labelledby="sources" class="space-y-4">
                <SectionHeader id="sources" title="Sources" description="Each connection with its configurations."/>
                {if data.sources.is_empty() {
                    view! {
                        <EmptyState icon=IconName::Cloud title="No sources yet" description="Connect an account, then choose which of its folders to sync.">
                            <LinkButton href="/connections" icon=IconName::Link>"Add a source"</LinkButton>
                        </EmptyState>
                    }.into_any()
                } else {
                    view! {
                        <div class="grid grid-cols-1 gap-4 lg:grid-cols-2">
                            {data.sources.into_iter().map(|source| view! { <SourceCard source/> }).collect_view()}
                        </div>
                    }.into_any()
                }}
            </section>
            <section aria-labelledby="activity" class="space-y-4">
                <SectionHeader id="activity" title="Recent activity"/>
                {if data.recent_jobs.is_empty() {
                    view! { <p class="text-sm text-slate-500">"No runs yet."</p> }.into_any()
                } else {
                    view! {
                        <Card>
                            <ol class="divide-y divide-slate-100" data-testid="recent-activity">
                                {data.recent_jobs.into_iter().map(|job| {
                                    let name = job.config_id.clone();
                                    view! {
                                        <li class="flex flex-wrap items-center gap-3 px-4 py-3 text-sm">
                                            <JobStatusBadge status=job.status/>
                                            <a href=format!("/jobs/{}", job.id) class="font-medium text-slate-900 hover:underline">
                                                {format!("{} run", job.job_type.as_str())}
                                            </a>
                                            <span class="text-slate-500">
                                                {format!("{} processed · {} failed", job.progress.files_processed, job.progress.files_failed)}
                                            </span>
                                            <a href=format!("/syncs/{name}") class="text-indigo-700 hover:underline">"history"</a>
                                            <span class="ml-auto text-slate-500"><RelativeTime at=job.started_at.unwrap_or(job.created_at)/></span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        </Card>
                    }.into_any()
                }}
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn StatCard(
    label: &'static str,
    value: String,
    icon: IconName,
    href: &'static str,
    #[prop(optional, into)] note: Option<String>,
) -> impl IntoView {
    view! {
        <a href=href class="block rounded-xl border border-slate-200 bg-white p-4 shadow-xs transition hover:border-indigo-300 hover:shadow-sm">
            <div class="flex items-center justify-between text-sm text-slate-500">
                <span>{label}</span>
                <Icon icon class="size-5 text-slate-400"/>
            </div>
            <p class="mt-2 text-2xl font-semibold text-slate-900" data-testid=format!("overview-{}", label.to_lowercase().replace(' ', "-"))>{value}</p>
            {note.map(|n| view! { <p class="mt-1 text-xs text-slate-500">{n}</p> })}
        </a>
    }
    .into_any()
}

#[component]
fn SourceCard(source: SourceSummary) -> impl IntoView {
    view! {
        <Card class="p-5">
            <div class="flex items-start justify-between gap-3">
                <div class="min-w-0">
                    <h3 class="truncate font-semibold text-slate-900">{source.display_name.clone()}</h3>
                    <p class="text-sm text-slate-500">{source.provider.display_name()}</p>
                </div>
                <Badge tone=health_tone(source.status) dot=true title=source.status_reason.clone().unwrap_or_default()>
                    {health_label(source.status)}
                </Badge>
            </div>
            {source.status_reason.clone().map(|r| view! { <p class="mt-2 text-sm text-amber-800">{r}</p> })}
            {if source.configs.is_empty() {
                let href = format!("/syncs/new?connection={}", source.id);
                view! {
                    <div class="mt-4 flex items-center justify-between gap-3 rounded-lg bg-slate-50 px-3 py-2 text-sm text-slate-600">
                        "No folders synced from this connection yet."
                        <LinkButton href variant=ButtonVariant::Secondary>"Choose folders"</LinkButton>
                    </div>
                }.into_any()
            } else {
                view! {
                    <ul class="mt-4 divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
                        {source.configs.into_iter().map(|c| view! {
                            <li class="grid grid-cols-2 gap-2 px-3 py-2 text-sm sm:grid-cols-4" data-testid="source-config">
                                <a href=format!("/syncs/{}", c.id) class="col-span-2 flex items-center gap-2 font-medium text-slate-900 hover:underline sm:col-span-1">
                                    <Badge tone=health_tone(c.health) dot=true>{health_label(c.health)}</Badge>
                                    <span class="truncate">{c.name.clone()}</span>
                                </a>
                                <span class="text-slate-600">{format!("{} docs", c.files_count)}</span>
                                <span class="text-slate-500">"Last: "{match c.last_sync {
                                    Some(at) => view! { <RelativeTime at/> }.into_any(),
                                    None => "never".into_any(),
                                }}</span>
                                <span class="text-slate-500">{match c.next_sync {
                                    Some(at) => format!("Next: {}", absolute(at)),
                                    None => "Manual".to_string(),
                                }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </Card>
    }
    .into_any()
}

/// Checks that the server and its store answer.
#[component]
fn ServerCheck() -> impl IntoView {
    let check = Action::new(|_: &()| get_server_info());
    view! {
        <Card class="mt-8 p-5">
            <h2 class="font-semibold text-slate-900">"Server"</h2>
            <p class="mt-1 text-sm text-slate-500">"Check that the server and its store answer."</p>
            <div class="mt-4 flex flex-wrap items-center gap-3">
                <Button
                    variant=ButtonVariant::Secondary
                    icon=IconName::Bolt
                    loading=check.pending()
                    on_click=Callback::new(move |_| {
                        check.dispatch(());
                    })
                >
                    "Check server"
                </Button>
                <p class="text-sm text-slate-700" data-testid="server-status" aria-live="polite">
                    {move || match check.value().get() {
                        None => String::new(),
                        Some(Ok(info)) => {
                            format!("Server {} is up ({} s, {} store)", info.version, info.uptime_secs, info.store_kind)
                        }
                        Some(Err(e)) => format!("Server check failed: {e}"),
                    }}
                </p>
            </div>
        </Card>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConfigStatus, ConfigSummary, ConnectionStatus, ProviderId};

    fn summary(health: Health) -> ConfigSummary {
        ConfigSummary {
            id: "c".into(),
            name: "n".into(),
            status: ConfigStatus::Active,
            health,
            files_count: 0,
            size_bytes: 0,
            last_sync: None,
            next_sync: None,
            last_job_status: None,
        }
    }

    #[test]
    fn overview_counts_configurations_and_failing_ones() {
        let source = |configs| SourceSummary {
            id: "s".into(),
            provider: ProviderId::Dropbox,
            display_name: "d".into(),
            connection_status: ConnectionStatus::Active,
            status: Health::Healthy,
            status_reason: None,
            files_count: 0,
            last_sync: None,
            next_sync: None,
            configs,
        };
        let data = Dashboard {
            sources: vec![
                source(vec![summary(Health::Healthy), summary(Health::Error)]),
                source(vec![summary(Health::Warning), summary(Health::Error)]),
                source(vec![]),
            ],
            ..Dashboard::default()
        };
        assert_eq!(overview(&data), (4, 2));
        assert_eq!(overview(&Dashboard::default()), (0, 0));
    }
}
