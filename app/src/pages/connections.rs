//! The connection manager: the user's connections (test, rename, reconnect,
//! delete) and the provider catalogue to add new ones (OAuth or a credential form).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{list_connections, list_providers};
use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{Button, ButtonVariant};
use crate::components::card::{PageHeader, SectionHeader};
use crate::components::connections::credentials::CredentialKind;
use crate::components::connections::{
    ConnectionRow, CredentialDialog, CredentialTarget, DeleteConnectionDialog, ProviderCard,
};
use crate::components::empty_state::EmptyState;
use crate::components::icons::IconName;
use crate::components::spinner::Skeleton;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{Connection, ConnectionId, DeletionImpact, ProviderInfo};

type ConnectionsResource = Resource<Result<Vec<Connection>, AppError>>;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let toasts = use_toasts();
    let providers = Resource::new(|| (), |_| list_providers());
    let connections: ConnectionsResource = Resource::new(|| (), |_| list_connections());
    let reload = Callback::new(move |_| connections.refetch());

    let form_target = RwSignal::new(None::<CredentialTarget>);
    let form_open = RwSignal::new(false);
    let open_form = Callback::new(move |(provider, kind): (ProviderInfo, CredentialKind)| {
        form_target.set(Some(CredentialTarget { provider, kind }));
        form_open.set(true);
    });
    let on_saved = Callback::new(move |connection: Connection| {
        form_open.set(false);
        form_target.set(None);
        toasts.success(format!("Connected “{}”.", connection.display_name));
        connections.refetch();
    });

    let delete_target = RwSignal::new(None::<Connection>);
    let delete_open = RwSignal::new(false);
    let ask_delete = Callback::new(move |connection: Connection| {
        delete_target.set(Some(connection));
        delete_open.set(true);
    });
    let on_deleted = Callback::new(move |(connection, impact): (Connection, DeletionImpact)| {
        delete_open.set(false);
        delete_target.set(None);
        toasts.success(deleted_message(&connection, &impact));
        connections.refetch();
    });

    view! {
        <Title text="Connections · Cloud Sources"/>
        <PageHeader
            title="Connections"
            description="Connect the accounts RecallHub reads from. Credentials are encrypted on the server and never shown again."
        />
        <OAuthOutcome connections/>
        <section aria-labelledby="your-connections" class="space-y-4">
            <SectionHeader id="your-connections" title="Your connections">
                <Transition fallback=|| ()>
                    {move || {
                        connections.get().and_then(Result::ok).filter(|list| !list.is_empty()).map(|list| {
                            view! {
                                <span class="text-sm text-slate-500" data-testid="connection-count">
                                    {match list.len() {
                                        1 => "1 connection".to_string(),
                                        n => format!("{n} connections"),
                                    }}
                                </span>
                            }
                        })
                    }}
                </Transition>
            </SectionHeader>
            <ConnectionList connections reload ask_delete/>
        </section>
        <section aria-labelledby="add-source" class="mt-12 space-y-4">
            <SectionHeader
                id="add-source"
                title="Add a source"
                description="Sign in with the provider (OAuth) or enter the server's details."
            />
            <ProviderCatalogue providers open_form/>
        </section>
        <CredentialDialog target=form_target open=form_open on_saved/>
        <DeleteConnectionDialog target=delete_target open=delete_open on_deleted/>
    }
    .into_any()
}

fn deleted_message(connection: &Connection, impact: &DeletionImpact) -> String {
    let mut parts = Vec::new();
    if impact.sync_configurations > 0 {
        parts.push(format!("{} sync configuration(s)", impact.sync_configurations));
    }
    if impact.documents > 0 {
        parts.push(format!("{} document(s)", impact.documents));
    }
    if parts.is_empty() {
        format!("Deleted “{}”.", connection.display_name)
    } else {
        format!("Deleted “{}” with {}.", connection.display_name, parts.join(" and "))
    }
}

/// The banner after the OAuth round trip: `?connected=ID` or `?oauth_error=…`.
/// Dismissing it drops the query, so a reload does not show it again.
#[component]
fn OAuthOutcome(connections: ConnectionsResource) -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let dismiss = Callback::new(move |_| {
        navigate("/connections", NavigateOptions { replace: true, ..Default::default() })
    });
    let connected = move || query.with(|q| q.get("connected")).filter(|v| !v.is_empty());
    let oauth_error = move || query.with(|q| q.get("oauth_error")).filter(|v| !v.is_empty());
    view! {
        {move || {
            oauth_error()
                .map(|message| {
                    view! {
                        <Alert tone=Tone::Danger title="The connection was not made" on_dismiss=dismiss class="mb-6">
                            <span data-testid="oauth-error">{message}</span>
                        </Alert>
                    }
                })
        }}
        <Transition fallback=|| ()>
            {move || {
                connected()
                    .map(|id| {
                        let id = ConnectionId(id);
                        let name = connections
                            .get()
                            .and_then(Result::ok)
                            .and_then(|list| list.into_iter().find(|c| c.id == id))
                            .map(|c| c.display_name);
                        view! {
                            <Alert tone=Tone::Success title="Connected" on_dismiss=dismiss class="mb-6">
                                {match name {
                                    Some(name) => format!("“{name}” is connected. Pick the folders to sync in Sync configurations."),
                                    None => "Your account is connected.".to_string(),
                                }}
                            </Alert>
                        }
                    })
            }}
        </Transition>
    }
}

/// The user's connections: skeleton while loading, an empty state, or the rows.
#[component]
fn ConnectionList(
    connections: ConnectionsResource,
    reload: Callback<()>,
    ask_delete: Callback<Connection>,
) -> impl IntoView {
    let rows = move || connections.get().and_then(Result::ok).unwrap_or_default();
    view! {
        <Transition fallback=ConnectionListSkeleton>
            <ErrorBoundary fallback=move |errors| {
                view! {
                    <Alert tone=Tone::Danger title="Your connections could not be loaded">
                        <p>
                            {move || {
                                errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")
                            }}
                        </p>
                        <Button
                            variant=ButtonVariant::Secondary
                            icon=IconName::Refresh
                            class="mt-3"
                            on_click=Callback::new(move |_| connections.refetch())
                        >
                            "Try again"
                        </Button>
                    </Alert>
                }
            }>
                {move || {
                    connections.get().map(|result| {
                        result.map(|list| {
                            list.is_empty().then(|| view! {
                                <EmptyState
                                    icon=IconName::Link
                                    title="No connections yet"
                                    description="Pick a source below to connect your first account. Nothing is synced until you choose folders."
                                />
                            })
                        })
                    })
                }}
                <ul
                    class="divide-y divide-slate-100 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-xs empty:hidden"
                    aria-label="Your connections"
                >
                    <For each=rows key=|c| c.id.clone() let:initial>
                        {
                            let id = initial.id.clone();
                            let connection = Signal::derive(move || {
                                connections
                                    .get()
                                    .and_then(Result::ok)
                                    .and_then(|list| list.into_iter().find(|c| c.id == id))
                                    .unwrap_or_else(|| initial.clone())
                            });
                            view! { <ConnectionRow connection on_changed=reload on_delete=ask_delete/> }
                        }
                    </For>
                </ul>
            </ErrorBoundary>
        </Transition>
    }
    .into_any()
}

#[component]
fn ConnectionListSkeleton() -> impl IntoView {
    view! {
        <div class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white" aria-busy="true">
            <span class="sr-only" role="status">"Loading your connections…"</span>
            {(0..2)
                .map(|_| view! {
                    <div class="flex items-center gap-3 px-5 py-4">
                        <Skeleton class="size-9 rounded-lg"/>
                        <div class="flex-1 space-y-2">
                            <Skeleton class="h-4 w-48"/>
                            <Skeleton class="h-3 w-72 max-w-full"/>
                        </div>
                    </div>
                })
                .collect_view()}
        </div>
    }
}

/// The provider cards.
#[component]
fn ProviderCatalogue(
    providers: Resource<Result<Vec<ProviderInfo>, AppError>>,
    open_form: Callback<(ProviderInfo, CredentialKind)>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! {
            <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-busy="true">
                <span class="sr-only" role="status">"Loading providers…"</span>
                {(0..3).map(|_| view! { <Skeleton class="h-52 rounded-xl"/> }).collect_view()}
            </div>
        }>
            <ErrorBoundary fallback=move |errors| {
                view! {
                    <Alert tone=Tone::Danger title="The providers could not be loaded">
                        {move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")}
                    </Alert>
                }
            }>
                {move || {
                    providers.get().map(|result| {
                        result.map(|list| {
                            if list.is_empty() {
                                view! {
                                    <EmptyState
                                        icon=IconName::Cloud
                                        title="No providers available"
                                        description="This server has no provider enabled. Ask your administrator."
                                    />
                                }
                                .into_any()
                            } else {
                                view! {
                                    <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                                        {list
                                            .into_iter()
                                            .map(|info| view! { <ProviderCard info on_form=open_form/> })
                                            .collect_view()}
                                    </div>
                                }
                                .into_any()
                            }
                        })
                    })
                }}
            </ErrorBoundary>
        </Transition>
    }
    .into_any()
}
