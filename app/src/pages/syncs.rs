//! Sync configurations page: one live status card per configuration. Progress
//! comes from the user's event stream, so a run is followed without reloading.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::badge::Badge;
use crate::components::button::{Button, ButtonSize, ButtonVariant, LinkButton};
use crate::components::card::{Card, PageHeader};
use crate::components::dialog::{Dialog, DialogFooter, DialogSize};
use crate::components::empty_state::EmptyState;
use crate::components::icons::IconName;
use crate::components::live::use_job_events;
use crate::components::spinner::Skeleton;
use crate::components::sync_status::{
    ConfigStatusBadge, JobStatusBadge, ProgressBar, Sample, eta_secs, format_bytes,
    format_duration, format_rate, percent_done, push_sample, rate,
};
use crate::components::time::{RelativeTime, absolute, now_millis};
use crate::components::toast::use_toasts;
use crate::model::{
    ConfigId, ConfigStatus, JobEvent, JobId, JobStatus, Progress, SyncJob, Timestamp,
};
use crate::sync_api::{
    ConfigCard, cancel_config, delete_config, pause_config, resume_config, run_all, run_config,
    sync_cards,
};

/// What a status card shows of a job: the latest of the loaded job and the
/// stream's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownJob {
    pub id: JobId,
    pub status: JobStatus,
    pub progress: Progress,
    pub message: Option<String>,
    pub started_at: Option<Timestamp>,
}

/// Merges the job a card loaded (or a Run answered) with the latest stream
/// event: an event about the same job is newer; an event about another job
/// wins when it happened after the loaded job was created.
pub fn shown_job(job: Option<&SyncJob>, event: Option<&JobEvent>) -> Option<ShownJob> {
    let from_event = |e: &JobEvent, started_at| ShownJob {
        id: e.job_id.clone(),
        status: e.status,
        progress: e.progress.clone(),
        message: e.message.clone(),
        started_at,
    };
    match (job, event) {
        (Some(job), Some(event)) if event.job_id == job.id => {
            Some(from_event(event, job.started_at))
        }
        (Some(job), Some(event)) if event.at > job.created_at => Some(from_event(event, None)),
        (Some(job), _) => Some(ShownJob {
            id: job.id.clone(),
            status: job.status,
            progress: job.progress.clone(),
            message: job.message.clone(),
            started_at: job.started_at,
        }),
        (None, Some(event)) => Some(from_event(event, None)),
        (None, None) => None,
    }
}

#[component]
pub fn SyncsPage() -> impl IntoView {
    let toasts = use_toasts();
    let cards = Resource::new(|| (), |_| sync_cards());
    let live = use_job_events();
    // A run that ended changes the configuration's stats: load them again.
    let finished = Memo::new(move |_| {
        live.with(|m| {
            m.values()
                .filter(|e| !e.status.is_active())
                .map(|e| e.job_id.clone())
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |previous: Option<usize>| {
        let count = finished.with(Vec::len);
        if previous.is_some_and(|p| p != count) {
            cards.refetch();
        }
        count
    });
    let run_everything = Action::new(|_: &()| run_all());
    Effect::new(move |_| match run_everything.value().get() {
        Some(Ok(jobs)) => {
            toasts.success(match jobs.len() {
                0 => "Nothing to run: every configuration is paused.".to_string(),
                1 => "Started 1 sync.".to_string(),
                n => format!("Started {n} syncs."),
            });
            cards.refetch();
        }
        Some(Err(e)) => toasts.error(format!("Could not start the syncs: {e}")),
        None => {}
    });

    let delete_target = RwSignal::new(None::<DeleteTarget>);
    let delete_open = RwSignal::new(false);
    let ask_delete = Callback::new(move |target: DeleteTarget| {
        delete_target.set(Some(target));
        delete_open.set(true);
    });
    let delete = Action::new(|target: &DeleteTarget| {
        let target = target.clone();
        async move { delete_config(target.0.clone()).await.map(|()| target) }
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(target)) => {
            delete_open.set(false);
            toasts.success(format!("Deleted “{}” and its documents.", target.1));
            cards.refetch();
        }
        Some(Err(e)) => toasts.error(format!("Could not delete: {e}")),
        None => {}
    });
    let delete_title = Signal::derive(move || {
        delete_target.with(|t| t.as_ref().map(|t| format!("Delete “{}”?", t.1)).unwrap_or_default())
    });

    view! {
        <Title text="Sync configurations · Cloud Sources"/>
        <PageHeader
            title="Sync configurations"
            description="Which folders of a connection are kept in sync, how often, and into which profile."
        >
            <Button
                variant=ButtonVariant::Secondary
                icon=IconName::Refresh
                loading=run_everything.pending()
                on_click=Callback::new(move |_| { run_everything.dispatch(()); })
            >
                "Run all"
            </Button>
            <LinkButton href="/syncs/new" icon=IconName::Plus>"New sync"</LinkButton>
        </PageHeader>
        <Transition fallback=|| view! {
            <div class="grid grid-cols-1 gap-4 lg:grid-cols-2">
                <Skeleton class="h-48 w-full"/>
                <Skeleton class="h-48 w-full"/>
            </div>
        }>
            {move || cards.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <EmptyState
                        icon=IconName::Refresh
                        title="No sync configurations yet"
                        description="Pick folders of a connection to keep them in sync."
                    >
                        <LinkButton href="/syncs/new" icon=IconName::Plus>"New sync"</LinkButton>
                        <LinkButton href="/connections" variant=ButtonVariant::Secondary icon=IconName::Link>"Connections"</LinkButton>
                    </EmptyState>
                }.into_any(),
                Ok(list) => view! {
                    <div class="grid grid-cols-1 gap-4 lg:grid-cols-2">
                        {list.into_iter().map(|card| {
                            view! { <SyncCard card live ask_delete/> }
                        }).collect_view()}
                    </div>
                }.into_any(),
                Err(e) => view! {
                    <Alert tone=Tone::Danger title="Could not load your sync configurations">{e.to_string()}</Alert>
                }.into_any(),
            })}
        </Transition>
        <Dialog id="delete-sync" open=delete_open title=delete_title size=DialogSize::Sm>
            <p class="text-sm text-slate-600">
                {move || delete_target.get().map(|t| format!(
                    "This removes the configuration and the {} document(s) it indexed. Files at the source are not touched.",
                    t.2,
                ))}
            </p>
            <DialogFooter>
                <Button variant=ButtonVariant::Secondary on_click=Callback::new(move |_| delete_open.set(false))>"Keep it"</Button>
                <Button
                    variant=ButtonVariant::Danger
                    loading=delete.pending()
                    on_click=Callback::new(move |_| {
                        if let Some(target) = delete_target.get_untracked() {
                            delete.dispatch(target);
                        }
                    })
                >
                    "Delete configuration"
                </Button>
            </DialogFooter>
        </Dialog>
    }
    .into_any()
}

/// A configuration to delete: id, name and how many documents go with it.
type DeleteTarget = (ConfigId, String, u64);

#[component]
fn SyncCard(
    card: ConfigCard,
    live: RwSignal<HashMap<ConfigId, JobEvent>>,
    ask_delete: Callback<DeleteTarget>,
) -> impl IntoView {
    let toasts = use_toasts();
    let config = card.config.clone();
    let id = config.id.clone();
    let job = RwSignal::new(card.job.clone());
    let status = RwSignal::new(config.status);
    let shown = {
        let id = id.clone();
        Memo::new(move |_| live.with(|m| shown_job(job.get().as_ref(), m.get(&id))))
    };
    let active = move || shown.with(|s| s.as_ref().is_some_and(|s| s.status.is_active()));

    let run = {
        let id = id.clone();
        Action::new(move |_: &()| run_config(id.clone(), false))
    };
    Effect::new(move |_| match run.value().get() {
        Some(Ok(started)) => job.set(Some(started)),
        Some(Err(e)) => toasts.error(format!("Could not start the sync: {e}")),
        None => {}
    });
    let pause_or_resume = {
        let id = id.clone();
        Action::new(move |pause: &bool| {
            let (id, pause) = (id.clone(), *pause);
            async move { if pause { pause_config(id).await } else { resume_config(id).await } }
        })
    };
    Effect::new(move |_| match pause_or_resume.value().get() {
        Some(Ok(updated)) => status.set(updated.status),
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });
    let cancel = {
        let id = id.clone();
        Action::new(move |_: &()| cancel_config(id.clone()))
    };
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(_)) => toasts.success("Cancelling the run."),
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });

    let folders = config.source_paths.iter().map(|p| p.path.clone()).collect::<Vec<_>>().join(", ");
    let stats = config.stats.clone();
    let next_run = config.schedule.next_run_at;
    let name = config.name.clone();
    let target = (id.clone(), config.name.clone(), stats.total_files);
    let provider = card.provider.map(|p| p.display_name()).unwrap_or("");
    view! {
        <Card class="flex flex-col gap-4 p-5">
            <article data-testid="sync-card" data-name=config.name.clone() class="flex flex-col gap-4">
                <header class="flex flex-wrap items-start justify-between gap-3">
                    <div class="min-w-0">
                        <h2 class="truncate text-base font-semibold text-slate-900">
                            <a href=format!("/syncs/{}", id) class="hover:underline">{config.name.clone()}</a>
                        </h2>
                        <p class="mt-0.5 truncate text-sm text-slate-500">
                            {format!("{} · {}", card.connection_name, provider)}
                        </p>
                        <p class="mt-0.5 truncate font-mono text-xs text-slate-400" title=folders.clone()>{folders.clone()}</p>
                    </div>
                    <div class="flex items-center gap-2">
                        <ConfigStatusBadge status=status/>
                        {move || shown.get().map(|s| view! { <JobStatusBadge status=s.status/> })}
                    </div>
                </header>
                <LiveProgress shown/>
                <dl class="grid grid-cols-3 gap-3 text-sm">
                    <div>
                        <dt class="text-xs text-slate-500">"Documents"</dt>
                        <dd class="font-medium text-slate-900" data-testid="doc-count">{stats.total_files}</dd>
                    </div>
                    <div>
                        <dt class="text-xs text-slate-500">"Last run"</dt>
                        <dd class="text-slate-700">{match stats.last_sync_at {
                            Some(at) => view! { <RelativeTime at/> }.into_any(),
                            None => "never".into_any(),
                        }}</dd>
                    </div>
                    <div>
                        <dt class="text-xs text-slate-500">"Next run"</dt>
                        <dd class="text-slate-700">{match next_run {
                            Some(at) if config.status == ConfigStatus::Active => absolute(at).into_any(),
                            _ => "manual".into_any(),
                        }}</dd>
                    </div>
                </dl>
                {stats.last_error.clone().map(|e| view! { <Alert tone=Tone::Warning>{e}</Alert> })}
                <footer class="flex flex-wrap items-center gap-2 border-t border-slate-100 pt-3">
                    <Button
                        size=ButtonSize::Sm
                        icon=IconName::Refresh
                        disabled=Signal::derive(move || active() || status.get() == ConfigStatus::Paused)
                        loading=run.pending()
                        on_click=Callback::new(move |_| { run.dispatch(()); })
                    >
                        "Run now"
                    </Button>
                    {move || if active() {
                        view! {
                            <Button size=ButtonSize::Sm variant=ButtonVariant::Secondary icon=IconName::XCircle loading=cancel.pending() on_click=Callback::new(move |_| { cancel.dispatch(()); })>
                                "Cancel run"
                            </Button>
                        }.into_any()
                    } else { ().into_any() }}
                    {move || {
                        let paused = status.get() == ConfigStatus::Paused;
                        view! {
                            <Button
                                size=ButtonSize::Sm
                                variant=ButtonVariant::Secondary
                                loading=pause_or_resume.pending()
                                on_click=Callback::new(move |_| { pause_or_resume.dispatch(!paused); })
                            >
                                {if paused { "Resume" } else { "Pause" }}
                            </Button>
                        }
                    }}
                    <LinkButton size=ButtonSize::Sm variant=ButtonVariant::Ghost icon=IconName::Pencil href=format!("/syncs/{}/edit", id)>"Edit"</LinkButton>
                    <LinkButton size=ButtonSize::Sm variant=ButtonVariant::Ghost icon=IconName::Stack href=format!("/syncs/{}", id)>"History"</LinkButton>
                    <Button size=ButtonSize::Sm variant=ButtonVariant::GhostDanger icon=IconName::Trash class="ml-auto" aria_label=format!("Delete {name}") on_click=Callback::new(move |_| ask_delete.run(target.clone()))>
                        "Delete"
                    </Button>
                </footer>
            </article>
        </Card>
    }
    .into_any()
}

/// Phase, progress bar, counts, bytes, current file, throughput and ETA of the
/// shown job. Throughput is measured over the recent events (a sliding window),
/// so it follows the job's current pace.
#[component]
pub fn LiveProgress(#[prop(into)] shown: Signal<Option<ShownJob>>) -> impl IntoView {
    let samples = RwSignal::new(Vec::<Sample>::new());
    let sampled_job = StoredValue::new(None::<JobId>);
    // Effects run in the browser only: the server render has no live events.
    Effect::new(move |_| {
        let Some(job) = shown.get().filter(|j| j.status.is_active()) else { return };
        if sampled_job.with_value(|j| j.as_ref() != Some(&job.id)) {
            sampled_job.set_value(Some(job.id.clone()));
            samples.set(Vec::new());
        }
        samples.update(|s| push_sample(s, Sample::of(&job.progress, now_millis())));
    });
    move || {
        let Some(job) = shown.get() else {
            return view! { <p class="text-sm text-slate-500">"Not run yet."</p> }.into_any();
        };
        let p = job.progress.clone();
        let percent = percent_done(&p);
        let running = job.status.is_active();
        let measured = if running { samples.with(|s| rate(s)) } else { None };
        let eta = measured.and_then(|r| eta_secs(&p, r));
        view! {
            <div class="space-y-2" data-testid="sync-progress" data-job=job.id.to_string()>
                <div class="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-500">
                    <span>
                        {if running { format!("Phase: {}", p.phase.as_str()) } else { "Last run".to_string() }}
                    </span>
                    <a href=format!("/jobs/{}", job.id) class="font-medium text-indigo-700 hover:underline">"Job details"</a>
                </div>
                {running.then(|| view! { <ProgressBar percent=Signal::stored(percent)/> })}
                <p class="text-sm text-slate-700" data-testid="progress-counts">
                    {format!(
                        "{} processed · {} skipped · {} failed{} · {}",
                        p.files_processed,
                        p.files_skipped,
                        p.files_failed,
                        if p.files_discovered > 0 { format!(" of {}", p.files_discovered) } else { String::new() },
                        format_bytes(p.bytes_processed),
                    )}
                </p>
                {measured.map(|r| view! {
                    <p class="flex flex-wrap gap-x-3 text-xs text-slate-500">
                        <span data-testid="throughput">{format_rate(r)}</span>
                        {eta.map(|secs| view! {
                            <span data-testid="eta">
                                {if secs == 0 { "finishing".to_string() } else { format!("about {} left", format_duration(secs)) }}
                            </span>
                        })}
                    </p>
                })}
                {running.then(|| p.current_file.clone()).flatten().map(|f| view! {
                    <p class="truncate font-mono text-xs text-slate-500" title=f.clone()>{f.clone()}</p>
                })}
                {job.message.clone().filter(|_| !running).map(|m| view! {
                    <Badge tone=Tone::Warning>{m}</Badge>
                })}
            </div>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobType, SyncPhase, UserId};

    fn job(id: &str, status: JobStatus, created: i64) -> SyncJob {
        SyncJob {
            id: id.into(),
            config_id: "c".into(),
            user_id: UserId::from("u"),
            connection_id: "n".into(),
            job_type: JobType::Manual,
            status,
            created_at: Timestamp::from_millis(created),
            started_at: Some(Timestamp::from_millis(created + 10)),
            completed_at: None,
            progress: Progress::default(),
            errors: vec![],
            delta_token: None,
            message: None,
            attempts: 1,
            cancel_requested: false,
        }
    }

    fn event(id: &str, status: JobStatus, at: i64) -> JobEvent {
        JobEvent {
            job_id: id.into(),
            config_id: "c".into(),
            status,
            progress: Progress {
                phase: SyncPhase::Indexing,
                files_processed: 3,
                ..Progress::default()
            },
            message: None,
            at: Timestamp::from_millis(at),
        }
    }

    #[test]
    fn an_event_about_the_loaded_job_updates_it() {
        let shown = shown_job(
            Some(&job("j1", JobStatus::Pending, 1000)),
            Some(&event("j1", JobStatus::Completed, 500)),
        )
        .unwrap();
        assert_eq!(shown.status, JobStatus::Completed);
        assert_eq!(shown.progress.files_processed, 3);
        // The start time comes from the loaded job (events do not carry it).
        assert_eq!(shown.started_at, Some(Timestamp::from_millis(1010)));
    }

    #[test]
    fn an_older_event_about_another_job_does_not_hide_a_newer_run() {
        let loaded = job("j2", JobStatus::Pending, 2000);
        assert_eq!(
            shown_job(Some(&loaded), Some(&event("j1", JobStatus::Completed, 1500)))
                .unwrap()
                .id
                .as_str(),
            "j2"
        );
        assert_eq!(
            shown_job(Some(&loaded), Some(&event("j3", JobStatus::Running, 2500)))
                .unwrap()
                .id
                .as_str(),
            "j3"
        );
        assert_eq!(
            shown_job(None, Some(&event("j3", JobStatus::Running, 2500))).unwrap().status,
            JobStatus::Running
        );
        assert!(shown_job(None, None).is_none());
    }
}
