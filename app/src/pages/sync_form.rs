//! The sync configuration form (`/syncs/new`, `/syncs/{id}/edit`): connection,
//! folders (the picker), filters, schedule with its next three runs, options,
//! and a dry-run preview before saving. Server validation errors land on the
//! field they name.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{Button, ButtonVariant, LinkButton};
use crate::components::card::{Card, PageHeader, SectionHeader};
use crate::components::empty_state::EmptyState;
use crate::components::folder_picker::FolderPicker;
use crate::components::form_field::{FormField, input_class};
use crate::components::icons::IconName;
use crate::components::spinner::Skeleton;
use crate::components::sync_status::format_bytes;
use crate::components::time::absolute;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{
    ConfigId, Connection, ConnectionId, Filters, Frequency, Schedule, SourcePath, SyncConfigInput,
    SyncConfiguration, SyncOptions, SyncPreview, Timestamp,
};
use crate::sync_api::{
    create_config, get_config, preview_config, preview_schedule, sync_connections, update_config,
};

/// How often the configuration runs by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleKind {
    Manual,
    Hourly,
    Daily,
    Weekly,
    Cron,
}

impl ScheduleKind {
    fn value(self) -> &'static str {
        match self {
            ScheduleKind::Manual => "manual",
            ScheduleKind::Hourly => "hourly",
            ScheduleKind::Daily => "daily",
            ScheduleKind::Weekly => "weekly",
            ScheduleKind::Cron => "cron",
        }
    }

    fn parse(value: &str) -> Self {
        match value {
            "hourly" => ScheduleKind::Hourly,
            "daily" => ScheduleKind::Daily,
            "weekly" => ScheduleKind::Weekly,
            "cron" => ScheduleKind::Cron,
            _ => ScheduleKind::Manual,
        }
    }

    fn of(schedule: &Schedule) -> Self {
        if !schedule.enabled {
            return ScheduleKind::Manual;
        }
        if schedule.cron_expression.as_deref().is_some_and(|c| !c.trim().is_empty()) {
            return ScheduleKind::Cron;
        }
        match schedule.frequency {
            Some(Frequency::Hourly) => ScheduleKind::Hourly,
            Some(Frequency::Daily) => ScheduleKind::Daily,
            Some(Frequency::Weekly) => ScheduleKind::Weekly,
            None => ScheduleKind::Manual,
        }
    }
}

/// The schedule the form describes.
pub fn schedule_of(kind: ScheduleKind, cron: &str) -> Schedule {
    let frequency = match kind {
        ScheduleKind::Hourly => Some(Frequency::Hourly),
        ScheduleKind::Daily => Some(Frequency::Daily),
        ScheduleKind::Weekly => Some(Frequency::Weekly),
        ScheduleKind::Manual | ScheduleKind::Cron => None,
    };
    Schedule {
        enabled: kind != ScheduleKind::Manual,
        frequency,
        cron_expression: (kind == ScheduleKind::Cron).then(|| cron.trim().to_string()),
        next_run_at: None,
    }
}

/// A comma- or whitespace-separated list; file types lose a leading dot and are lowercased.
pub fn split_list(text: &str, file_types: bool) -> Vec<String> {
    let separators: &[char] = if file_types { &[',', ' ', '\n'] } else { &[',', '\n'] };
    text.split(separators)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| if file_types { s.trim_start_matches('.').to_lowercase() } else { s.to_string() })
        .collect()
}

/// The form fields an error can be shown on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Connection,
    ProfileKey,
    Folders,
    FileTypes,
    Exclude,
    MaxSize,
    ModifiedAfter,
    Schedule,
    /// Not about one field: shown above the buttons.
    Form,
}

/// Which field a server validation message is about: the service starts its
/// messages with the field's name (`"profile_key is …"`, `"schedule.cron_expression …"`).
pub fn field_of_error(message: &str) -> Field {
    let prefixes: [(&str, Field); 10] = [
        ("name", Field::Name),
        ("connection_id", Field::Connection),
        ("profile_key", Field::ProfileKey),
        ("source_paths", Field::Folders),
        ("filters.file_types", Field::FileTypes),
        ("filters.exclude_patterns", Field::Exclude),
        ("filters.max_file_size_mb", Field::MaxSize),
        ("filters.modified_after", Field::ModifiedAfter),
        ("schedule", Field::Schedule),
        ("filters", Field::Exclude),
    ];
    prefixes
        .into_iter()
        .find(|(prefix, _)| {
            message
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ', '.', ',']))
        })
        .map(|(_, field)| field)
        .unwrap_or(Field::Form)
}

/// What the user typed, before it becomes a [`SyncConfigInput`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormValues {
    pub name: String,
    pub connection_id: String,
    pub profile_key: String,
    pub source_paths: Vec<SourcePath>,
    pub file_types: String,
    pub exclude_patterns: String,
    pub max_size_mb: String,
    /// `YYYY-MM-DD` from a date input, or empty.
    pub modified_after: String,
    pub schedule: Schedule,
    pub delete_removed: bool,
    pub process_updates: bool,
}

/// Checks what the browser can check and builds the input; the server checks the rest.
pub fn build_input(values: &FormValues) -> Result<SyncConfigInput, Vec<(Field, String)>> {
    let mut errors = Vec::new();
    if values.name.trim().is_empty() {
        errors.push((Field::Name, "Give the configuration a name.".to_string()));
    }
    if values.connection_id.is_empty() {
        errors.push((Field::Connection, "Choose the connection to read from.".to_string()));
    }
    if values.profile_key.trim().is_empty() {
        errors.push((
            Field::ProfileKey,
            "Enter the RAG profile key the documents go into.".to_string(),
        ));
    }
    if values.source_paths.is_empty() {
        errors.push((Field::Folders, "Select at least one folder.".to_string()));
    }
    let max_file_size_mb = match values.max_size_mb.trim() {
        "" => None,
        text => match text.parse::<u64>() {
            Ok(mb) if mb > 0 => Some(mb),
            _ => {
                errors.push((
                    Field::MaxSize,
                    "Enter a whole number of megabytes (1 or more).".to_string(),
                ));
                None
            }
        },
    };
    let modified_after = match values.modified_after.trim() {
        "" => None,
        date => match Timestamp::parse(&format!("{date}T00:00:00Z")) {
            Some(at) => Some(at),
            None => {
                errors.push((Field::ModifiedAfter, "Enter a date as YYYY-MM-DD.".to_string()));
                None
            }
        },
    };
    if values.schedule.cron_expression.as_deref().is_some_and(str::is_empty) {
        errors.push((Field::Schedule, "Enter a cron expression (5 fields, UTC).".to_string()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SyncConfigInput {
        connection_id: ConnectionId::from(values.connection_id.clone()),
        profile_key: values.profile_key.trim().to_string(),
        name: values.name.trim().to_string(),
        source_paths: values.source_paths.clone(),
        filters: Filters {
            file_types: split_list(&values.file_types, true),
            exclude_patterns: split_list(&values.exclude_patterns, false),
            max_file_size_mb,
            modified_after,
        },
        schedule: values.schedule.clone(),
        sync_options: SyncOptions {
            delete_removed: values.delete_removed,
            process_updates: values.process_updates,
        },
    })
}

#[derive(Clone, Copy)]
struct Errors(RwSignal<Vec<(Field, String)>>);

impl Errors {
    fn of(self, field: Field) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0.with(|e| e.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone()))
        })
    }

    fn show(self, error: AppError) {
        let message = error.to_string();
        let field = match error {
            AppError::BadRequest(_) => field_of_error(&message),
            _ => Field::Form,
        };
        self.0.set(vec![(field, message)]);
    }
}

/// `/syncs/new` (`?connection=ID` preselects a connection).
#[component]
pub fn NewSyncPage() -> impl IntoView {
    let query = use_query_map();
    let preselect = query.with_untracked(|q| q.get("connection"));
    view! {
        <Title text="New sync configuration · Cloud Sources"/>
        <PageHeader
            title="New sync configuration"
            description="Choose folders of a connection, what to skip and how often to sync them."
        />
        <ConfigFormLoader initial=None preselect/>
    }
    .into_any()
}

/// `/syncs/{id}/edit`.
#[component]
pub fn EditSyncPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || ConfigId::from(params.with(|p| p.get("id").unwrap_or_default()));
    let config = Resource::new(id, get_config);
    view! {
        <Title text="Edit sync configuration · Cloud Sources"/>
        <PageHeader title="Edit sync configuration" description="Changes apply from the next run."/>
        <Suspense fallback=|| view! { <Skeleton class="h-96 w-full"/> }>
            {move || config.get().map(|result| match result {
                Ok(config) => view! { <ConfigFormLoader initial=Some(config) preselect=None/> }.into_any(),
                Err(AppError::NotFound) => view! {
                    <EmptyState icon=IconName::Refresh title="No such configuration" description="It may have been deleted.">
                        <LinkButton href="/syncs">"Back to sync configurations"</LinkButton>
                    </EmptyState>
                }.into_any(),
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load the configuration">{e.to_string()}</Alert> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

/// Loads the connections, then shows the form (or says to connect a source first).
#[component]
fn ConfigFormLoader(
    initial: Option<SyncConfiguration>,
    preselect: Option<String>,
) -> impl IntoView {
    let connections = Resource::new(|| (), |_| sync_connections());
    let initial = StoredValue::new(initial);
    let preselect = StoredValue::new(preselect);
    view! {
        <Suspense fallback=|| view! { <Skeleton class="h-96 w-full"/> }>
            {move || connections.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <EmptyState
                        icon=IconName::Link
                        title="No connections yet"
                        description="A sync configuration reads from a connection. Connect a source first."
                    >
                        <LinkButton href="/connections" icon=IconName::Link>"Go to connections"</LinkButton>
                    </EmptyState>
                }.into_any(),
                Ok(list) => view! {
                    <ConfigForm connections=list initial=initial.get_value() preselect=preselect.get_value()/>
                }.into_any(),
                Err(e) => view! { <Alert tone=Tone::Danger title="Could not load your connections">{e.to_string()}</Alert> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn ConfigForm(
    connections: Vec<Connection>,
    initial: Option<SyncConfiguration>,
    preselect: Option<String>,
) -> impl IntoView {
    let toasts = use_toasts();
    let navigate = use_navigate();
    let editing = initial.as_ref().map(|c| c.id.clone());
    let start = initial.clone();
    let first_connection = start
        .as_ref()
        .map(|c| c.connection_id.to_string())
        .or(preselect.filter(|p| connections.iter().any(|c| c.id.as_str() == p)))
        .or_else(|| (connections.len() == 1).then(|| connections[0].id.to_string()))
        .unwrap_or_default();

    let name = RwSignal::new(start.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let connection_id = RwSignal::new(first_connection);
    let profile_key = RwSignal::new(
        start.as_ref().map(|c| c.profile_key.clone()).unwrap_or_else(|| "default".into()),
    );
    let source_paths =
        RwSignal::new(start.as_ref().map(|c| c.source_paths.clone()).unwrap_or_default());
    let filters = start.as_ref().map(|c| c.filters.clone()).unwrap_or_default();
    let file_types = RwSignal::new(filters.file_types.join(", "));
    let exclude = RwSignal::new(filters.exclude_patterns.join(", "));
    let max_size =
        RwSignal::new(filters.max_file_size_mb.map(|m| m.to_string()).unwrap_or_default());
    let modified_after = RwSignal::new(
        filters
            .modified_after
            .map(|t| t.as_datetime().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    );
    let schedule = start.as_ref().map(|c| c.schedule.clone()).unwrap_or_default();
    let schedule_kind = RwSignal::new(ScheduleKind::of(&schedule));
    let cron =
        RwSignal::new(schedule.cron_expression.clone().unwrap_or_else(|| "0 6 * * 1-5".into()));
    let options = start.as_ref().map(|c| c.sync_options).unwrap_or_default();
    let delete_removed = RwSignal::new(options.delete_removed);
    let process_updates = RwSignal::new(options.process_updates);
    let errors = Errors(RwSignal::new(Vec::new()));

    // The picker keeps the saved selection when editing: it only clears it when
    // the user switches to another connection.
    let selected_connection = Signal::derive(move || {
        let id = connection_id.get();
        (!id.is_empty()).then(|| ConnectionId::from(id))
    });

    let values = move || FormValues {
        name: name.get_untracked(),
        connection_id: connection_id.get_untracked(),
        profile_key: profile_key.get_untracked(),
        source_paths: source_paths.get_untracked(),
        file_types: file_types.get_untracked(),
        exclude_patterns: exclude.get_untracked(),
        max_size_mb: max_size.get_untracked(),
        modified_after: modified_after.get_untracked(),
        schedule: schedule_of(schedule_kind.get_untracked(), &cron.get_untracked()),
        delete_removed: delete_removed.get_untracked(),
        process_updates: process_updates.get_untracked(),
    };

    // Schedule preview: asked again whenever the schedule changes; a slower
    // answer to an older schedule is dropped.
    let next_runs = RwSignal::new(None::<Result<Vec<Timestamp>, String>>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let schedule = schedule_of(schedule_kind.get(), &cron.get());
        if !schedule.enabled {
            next_runs.set(None);
            return;
        }
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        leptos::task::spawn_local(async move {
            let answer = preview_schedule(schedule).await;
            if asked.get_value() == ticket {
                next_runs.set(Some(answer.map(|p| p.next_runs).map_err(|e| e.to_string())));
            }
        });
    });

    let preview = Action::new(move |input: &SyncConfigInput| preview_config(input.clone()));
    let run_preview = move |_| {
        errors.0.set(Vec::new());
        match build_input(&values()) {
            Ok(input) => {
                preview.dispatch(input);
            }
            Err(list) => errors.0.set(list),
        }
    };
    Effect::new(move |_| {
        if let Some(Err(e)) = preview.value().get() {
            errors.show(e);
        }
    });

    let editing_id = StoredValue::new(editing.clone());
    let save = Action::new(move |input: &SyncConfigInput| {
        let input = input.clone();
        let id = editing_id.get_value();
        async move {
            match id {
                Some(id) => update_config(id, input).await,
                None => create_config(input).await,
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        errors.0.set(Vec::new());
        match build_input(&values()) {
            Ok(input) => {
                save.dispatch(input);
            }
            Err(list) => errors.0.set(list),
        }
    };
    let navigate_saved = navigate.clone();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(config)) => {
            toasts.success(format!("Saved “{}”.", config.name));
            navigate_saved("/syncs", Default::default());
        }
        Some(Err(e)) => errors.show(e),
        None => {}
    });

    let connection_options = connections
        .iter()
        .map(|c| {
            let label = format!("{} · {}", c.display_name, c.provider.display_name());
            view! { <option value=c.id.to_string()>{label}</option> }
        })
        .collect_view();
    let connection_error = errors.of(Field::Connection);
    let schedule_error = errors.of(Field::Schedule);
    let form_error = errors.of(Field::Form);

    view! {
        <form class="space-y-6" novalidate=true on:submit=on_submit data-testid="sync-form">
            <Card class="space-y-5 p-5">
                <SectionHeader title="Source" description="Where the files come from and where the documents go."/>
                <div class="grid gap-5 sm:grid-cols-2">
                    <FormField id="sync-name" label="Name" value=name error=errors.of(Field::Name) required=true placeholder="Engineering docs"/>
                    <FormField
                        id="sync-profile"
                        label="RAG profile key"
                        value=profile_key
                        error=errors.of(Field::ProfileKey)
                        required=true
                        hint="The profile the documents are indexed into (letters, digits, - _ . :)."
                    />
                </div>
                <div class="space-y-1.5">
                    <label for="sync-connection" class="block text-sm font-medium text-slate-800">"Connection"</label>
                    <select
                        id="sync-connection"
                        class=move || input_class(connection_error.get().is_some())
                        aria-invalid=move || connection_error.get().is_some().then_some("true")
                        prop:value=move || connection_id.get()
                        on:change=move |ev| connection_id.set(event_target_value(&ev))
                    >
                        <option value="" disabled=true selected=connection_id.get_untracked().is_empty()>"Choose a connection…"</option>
                        {connection_options}
                    </select>
                    {move || connection_error.get().map(|e| view! { <p class="text-xs font-medium text-red-600">{e}</p> })}
                </div>
                <fieldset class="space-y-1.5">
                    <legend class="text-sm font-medium text-slate-800">"Folders"</legend>
                    <FolderPicker connection=selected_connection selected=source_paths error=errors.of(Field::Folders)/>
                </fieldset>
            </Card>

            <Card class="space-y-5 p-5">
                <SectionHeader title="Filters" description="Leave a field empty to not filter by it."/>
                <div class="grid gap-5 sm:grid-cols-2">
                    <FormField id="sync-types" label="File types" value=file_types error=errors.of(Field::FileTypes) optional=true placeholder="pdf, docx, md" hint="Extensions, separated by commas; empty means every type."/>
                    <FormField id="sync-exclude" label="Exclude patterns" value=exclude error=errors.of(Field::Exclude) optional=true placeholder="**/node_modules/**, **/*.tmp" hint="Glob patterns over the path, separated by commas."/>
                    <FormField id="sync-max-size" label="Max file size (MB)" kind=crate::components::form_field::FieldKind::Number value=max_size error=errors.of(Field::MaxSize) optional=true/>
                    <DateField value=modified_after error=errors.of(Field::ModifiedAfter)/>
                </div>
            </Card>

            <Card class="space-y-5 p-5">
                <SectionHeader title="Schedule and options"/>
                <div class="grid gap-5 sm:grid-cols-2">
                    <div class="space-y-1.5">
                        <label for="sync-schedule" class="block text-sm font-medium text-slate-800">"Runs"</label>
                        <select
                            id="sync-schedule"
                            class=input_class(false)
                            prop:value=move || schedule_kind.get().value()
                            on:change=move |ev| schedule_kind.set(ScheduleKind::parse(&event_target_value(&ev)))
                        >
                            <option value="manual">"Only when I run it"</option>
                            <option value="hourly">"Every hour"</option>
                            <option value="daily">"Every day"</option>
                            <option value="weekly">"Every week"</option>
                            <option value="cron">"Custom (cron)"</option>
                        </select>
                    </div>
                    <Show when=move || schedule_kind.get() == ScheduleKind::Cron>
                        <FormField
                            id="sync-cron"
                            label="Cron expression"
                            value=cron
                            error=Signal::derive(move || {
                                schedule_error.get().or_else(|| match next_runs.get() {
                                    Some(Err(e)) => Some(e),
                                    _ => None,
                                })
                            })
                            hint="Five fields in UTC: minute hour day-of-month month day-of-week."
                        />
                    </Show>
                </div>
                <NextRuns next_runs schedule_kind/>
                <fieldset class="space-y-2">
                    <legend class="text-sm font-medium text-slate-800">"Options"</legend>
                    <Checkbox id="sync-delete-removed" value=delete_removed label="Remove documents whose file was deleted or left the selection"/>
                    <Checkbox id="sync-process-updates" value=process_updates label="Re-index files whose content changed"/>
                </fieldset>
            </Card>

            <PreviewPanel preview/>

            {move || form_error.get().map(|e| view! { <Alert tone=Tone::Danger title="Could not save">{e}</Alert> })}
            <div class="flex flex-wrap items-center justify-end gap-2">
                <LinkButton href="/syncs" variant=ButtonVariant::Ghost>"Cancel"</LinkButton>
                <Button variant=ButtonVariant::Secondary icon=IconName::Information loading=preview.pending() on_click=Callback::new(run_preview)>
                    "Preview"
                </Button>
                <Button button_type="submit" icon=IconName::Check loading=save.pending()>
                    {if editing.is_some() { "Save changes" } else { "Create configuration" }}
                </Button>
            </div>
        </form>
    }
    .into_any()
}

#[component]
fn DateField(value: RwSignal<String>, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="space-y-1.5">
            <label for="sync-modified-after" class="block text-sm font-medium text-slate-800">
                "Modified after" <span class="font-normal text-slate-400">" (optional)"</span>
            </label>
            <input
                id="sync-modified-after"
                type="date"
                class=move || input_class(error.get().is_some())
                aria-invalid=move || error.get().is_some().then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {move || error.get().map(|e| view! { <p class="text-xs font-medium text-red-600">{e}</p> })}
        </div>
    }
    .into_any()
}

#[component]
fn Checkbox(id: &'static str, value: RwSignal<bool>, label: &'static str) -> impl IntoView {
    view! {
        <label for=id class="flex items-center gap-2 text-sm text-slate-700">
            <input
                id=id
                type="checkbox"
                class="size-4 rounded border-slate-300 text-indigo-600"
                checked=value.get_untracked()
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
            />
            {label}
        </label>
    }
    .into_any()
}

#[component]
fn NextRuns(
    next_runs: RwSignal<Option<Result<Vec<Timestamp>, String>>>,
    schedule_kind: RwSignal<ScheduleKind>,
) -> impl IntoView {
    view! {
        <div data-testid="next-runs" aria-live="polite">
            {move || match (schedule_kind.get(), next_runs.get()) {
                (ScheduleKind::Manual, _) => view! {
                    <p class="text-sm text-slate-500">"No schedule: it runs when you press Run."</p>
                }.into_any(),
                (_, Some(Ok(runs))) => view! {
                    <p class="text-sm font-medium text-slate-800">"Next runs"</p>
                    <ol class="mt-1 space-y-0.5 text-sm text-slate-600">
                        {runs.into_iter().map(|at| view! {
                            <li data-testid="next-run"><time datetime=at.to_rfc3339()>{absolute(at)}</time></li>
                        }).collect_view()}
                    </ol>
                }.into_any(),
                (_, Some(Err(_))) => view! {
                    <p class="text-sm text-slate-500">"Fix the schedule to see when it runs."</p>
                }.into_any(),
                (_, None) => view! { <p class="text-sm text-slate-500">"Working out the next runs…"</p> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

#[component]
fn PreviewPanel(preview: Action<SyncConfigInput, Result<SyncPreview, AppError>>) -> impl IntoView {
    move || {
        preview.value().get().and_then(Result::ok).map(|p| {
            let skipped_total: u64 = p.skipped.iter().map(|s| s.files).sum();
            view! {
                <Card class="space-y-4 p-5">
                    <div data-testid="sync-preview">
                        <SectionHeader
                            title="Preview"
                            description="What a run would sync now, from the listings alone (nothing is downloaded)."
                        />
                        <p class="mt-3 text-sm text-slate-800" data-testid="preview-summary">
                            {format!(
                                "{} {} to sync ({}){}, {} skipped",
                                p.files,
                                if p.files == 1 { "file" } else { "files" },
                                format_bytes(p.bytes),
                                if p.truncated { " or more" } else { "" },
                                skipped_total,
                            )}
                        </p>
                        <div class="mt-3 grid gap-4 sm:grid-cols-2">
                            <div>
                                <h3 class="text-xs font-semibold tracking-wide text-slate-500 uppercase">"By type"</h3>
                                <table class="mt-1 w-full text-sm">
                                    <tbody>
                                        {p.by_type.into_iter().map(|t| view! {
                                            <tr class="border-b border-slate-100">
                                                <td class="py-1 font-mono text-xs">{t.file_type}</td>
                                                <td class="py-1 text-right">{t.files}" files"</td>
                                                <td class="py-1 text-right text-slate-500">{format_bytes(t.bytes)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <div>
                                <h3 class="text-xs font-semibold tracking-wide text-slate-500 uppercase">"Skipped"</h3>
                                {if p.skipped.is_empty() {
                                    view! { <p class="mt-1 text-sm text-slate-500">"Nothing is skipped."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="mt-1 space-y-0.5 text-sm">
                                            {p.skipped.into_iter().map(|s| view! {
                                                <li>{format!("{} files: {}", s.files, s.reason.describe())}</li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </div>
                        </div>
                        {(!p.sample.is_empty()).then(|| view! {
                            <details class="mt-3 text-sm">
                                <summary class="cursor-pointer text-slate-600">"Some of the files"</summary>
                                <ul class="mt-1 space-y-0.5 font-mono text-xs text-slate-600">
                                    {p.sample.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                                </ul>
                            </details>
                        })}
                    </div>
                </Card>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> FormValues {
        FormValues {
            name: " Team docs ".into(),
            connection_id: "c1".into(),
            profile_key: "team".into(),
            source_paths: vec![SourcePath {
                path: "/Projects".into(),
                remote_id: "p".into(),
                include_subfolders: true,
            }],
            schedule: schedule_of(ScheduleKind::Daily, ""),
            delete_removed: true,
            process_updates: false,
            ..FormValues::default()
        }
    }

    #[test]
    fn a_filled_form_builds_the_input_with_parsed_filters() {
        let mut values = filled();
        values.file_types = ".PDF, docx md".into();
        values.exclude_patterns = "**/tmp/**,\n*.bak".into();
        values.max_size_mb = "25".into();
        values.modified_after = "2026-01-31".into();
        let input = build_input(&values).unwrap();
        assert_eq!(input.name, "Team docs");
        assert_eq!(input.filters.file_types, vec!["pdf", "docx", "md"]);
        assert_eq!(input.filters.exclude_patterns, vec!["**/tmp/**", "*.bak"]);
        assert_eq!(input.filters.max_file_size_mb, Some(25));
        assert_eq!(
            input.filters.modified_after.unwrap().to_rfc3339(),
            Timestamp::parse("2026-01-31T00:00:00Z").unwrap().to_rfc3339()
        );
        assert_eq!(input.schedule.frequency, Some(Frequency::Daily));
        assert!(input.schedule.enabled);
        assert!(!input.sync_options.process_updates);
    }

    #[test]
    fn missing_and_malformed_fields_are_each_reported() {
        let values = FormValues {
            max_size_mb: "ten".into(),
            modified_after: "31/01/2026".into(),
            ..FormValues::default()
        };
        let fields: Vec<Field> =
            build_input(&values).unwrap_err().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                Field::Name,
                Field::Connection,
                Field::ProfileKey,
                Field::Folders,
                Field::MaxSize,
                Field::ModifiedAfter
            ]
        );
        let mut values = filled();
        values.schedule = schedule_of(ScheduleKind::Cron, "  ");
        assert_eq!(build_input(&values).unwrap_err()[0].0, Field::Schedule);
    }

    #[test]
    fn schedules_round_trip_through_the_form() {
        assert!(!schedule_of(ScheduleKind::Manual, "").enabled);
        let cron = schedule_of(ScheduleKind::Cron, " */15 * * * * ");
        assert_eq!(cron.cron_expression.as_deref(), Some("*/15 * * * *"));
        assert_eq!(cron.frequency, None);
        for kind in [
            ScheduleKind::Manual,
            ScheduleKind::Hourly,
            ScheduleKind::Daily,
            ScheduleKind::Weekly,
            ScheduleKind::Cron,
        ] {
            assert_eq!(ScheduleKind::of(&schedule_of(kind, "0 6 * * *")), kind);
            assert_eq!(ScheduleKind::parse(kind.value()), kind);
        }
    }

    #[test]
    fn server_messages_land_on_the_field_they_name() {
        assert_eq!(field_of_error("profile_key is the RAG profile's key: …"), Field::ProfileKey);
        assert_eq!(field_of_error("source_paths: select at least one folder"), Field::Folders);
        assert_eq!(
            field_of_error("schedule.cron_expression \"x\" is not valid: …"),
            Field::Schedule
        );
        assert_eq!(
            field_of_error("filters.exclude_patterns: \"[\" is not a valid glob"),
            Field::Exclude
        );
        assert_eq!(field_of_error("filters.max_file_size_mb must be at least 1"), Field::MaxSize);
        assert_eq!(field_of_error("connection_id: no such connection"), Field::Connection);
        assert_eq!(field_of_error("name: too long"), Field::Name);
        // A word that merely starts like a field is not that field.
        assert_eq!(field_of_error("namespace missing"), Field::Form);
        assert_eq!(field_of_error("the provider refused"), Field::Form);
    }
}
