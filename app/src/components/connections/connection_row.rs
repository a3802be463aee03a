//! One of the user's connections in the list: status, account, last check, and
//! its actions (test, rename inline, reconnect, delete).

use leptos::prelude::*;

use super::credential_form::sentence;
use super::credentials::MAX_NAME_CHARS;
use super::{ConnectionStatusBadge, OAuthButton, ProviderMark};
use crate::api::{rename_connection, test_connection};
use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{Button, ButtonSize, ButtonVariant};
use crate::components::form_field::input_class;
use crate::components::icons::IconName;
use crate::components::time::RelativeTime;
use crate::components::toast::use_toasts;
use crate::model::{AuthType, Connection, ConnectionId, ConnectionStatus};

/// A connection row. `connection` follows the list as it is reloaded, so the
/// row keeps its own state (a test result, an open rename) across reloads.
#[component]
pub fn ConnectionRow(
    connection: Signal<Connection>,
    /// Called after something changed the connection (tested, renamed).
    on_changed: Callback<()>,
    /// Asks to delete it (the page shows the confirmation).
    on_delete: Callback<Connection>,
) -> impl IntoView {
    let id = Memo::new(move |_| connection.with(|c| c.id.clone()));
    let name = Memo::new(move |_| connection.with(|c| c.display_name.clone()));
    let editing = RwSignal::new(false);

    let test = Action::new(|id: &ConnectionId| test_connection(id.clone()));
    Effect::new(move |_| {
        if test.value().with(Option::is_some) {
            on_changed.run(());
        }
    });
    let run_test = move |_| {
        test.dispatch(id.get_untracked());
    };

    let heading_id = move || format!("connection-{}", id.get());
    let status = move || connection.with(|c| c.status);
    let reconnect = move || {
        connection.with(|c| {
            (c.auth_type == AuthType::OAuth2 && c.status.needs_reconnect())
                .then(|| (c.provider, c.id.clone()))
        })
    };

    view! {
        <li
            class="flex flex-col gap-4 px-4 py-4 sm:flex-row sm:items-start sm:px-5"
            aria-labelledby=heading_id
            data-testid="connection-row"
            data-connection-id=move || id.get().to_string()
            data-status=move || status().as_str()
        >
            <div class="flex min-w-0 flex-1 gap-3">
                <ProviderMark provider=connection.get_untracked().provider small=true/>
                <div class="min-w-0 flex-1">
                    <Show
                        when=move || editing.get()
                        fallback=move || {
                            view! {
                                <div class="flex flex-wrap items-center gap-x-2 gap-y-1">
                                    <h3 id=heading_id class="truncate font-medium text-slate-900">
                                        {move || name.get()}
                                    </h3>
                                    {move || {
                                        connection.with(|c| {
                                            view! {
                                                <ConnectionStatusBadge
                                                    status=c.status
                                                    message=c.status_message.clone()
                                                />
                                            }
                                        })
                                    }}
                                </div>
                            }
                        }
                    >
                        <RenameForm id=id.get_untracked() current=name.get_untracked() editing on_changed/>
                    </Show>
                    <ConnectionFacts connection/>
                    {move || {
                        connection.with(|c| {
                            (c.status != ConnectionStatus::Active)
                                .then(|| c.status_message.clone())
                                .flatten()
                                .map(|message| {
                                    let tone = if c.status == ConnectionStatus::Error {
                                        "text-red-700"
                                    } else {
                                        "text-amber-800"
                                    };
                                    view! { <p class=format!("mt-1 text-sm {tone}")>{sentence(&message)}</p> }
                                })
                        })
                    }}
                    <div aria-live="polite" class="empty:hidden mt-3">
                        {move || {
                            test.value()
                                .get()
                                .map(|outcome| {
                                    let dismiss = Callback::new(move |_| test.value().set(None));
                                    match outcome {
                                        Ok(result) if result.ok => {
                                            let account = result
                                                .account
                                                .map(|a| format!(" as {a}"))
                                                .unwrap_or_default();
                                            view! {
                                                <Alert tone=Tone::Success on_dismiss=dismiss>
                                                    {format!(
                                                        "Connection works: signed in{account} in {} ms.",
                                                        result.latency_ms,
                                                    )}
                                                </Alert>
                                            }
                                            .into_any()
                                        }
                                        Ok(result) => view! {
                                            <Alert tone=Tone::Danger title="Connection failed" on_dismiss=dismiss>
                                                {sentence(&result.message)}
                                            </Alert>
                                        }
                                        .into_any(),
                                        Err(e) => view! {
                                            <Alert tone=Tone::Danger title="Could not test" on_dismiss=dismiss>
                                                {sentence(&e.to_string())}
                                            </Alert>
                                        }
                                        .into_any(),
                                    }
                                })
                        }}
                    </div>
                </div>
            </div>
            <div class="flex flex-wrap items-center gap-1 pl-12 sm:pl-0">
                {move || {
                    reconnect()
                        .map(|(provider, id)| {
                            view! {
                                <OAuthButton
                                    provider
                                    configured=true
                                    connection_id=id
                                    label="Reconnect"
                                    variant=ButtonVariant::Primary
                                    size=ButtonSize::Sm
                                />
                            }
                        })
                }}
                <Button
                    variant=ButtonVariant::Ghost
                    size=ButtonSize::Sm
                    icon=IconName::Bolt
                    loading=test.pending()
                    aria_label=Signal::derive(move || format!("Test {}", name.get()))
                    on_click=Callback::new(run_test)
                >
                    {move || if test.pending().get() { "Testing…" } else { "Test" }}
                </Button>
                <Button
                    variant=ButtonVariant::Ghost
                    size=ButtonSize::Sm
                    icon=IconName::Pencil
                    disabled=editing
                    aria_label=Signal::derive(move || format!("Rename {}", name.get()))
                    on_click=Callback::new(move |_| editing.set(true))
                >
                    "Rename"
                </Button>
                <Button
                    variant=ButtonVariant::GhostDanger
                    size=ButtonSize::Sm
                    icon=IconName::Trash
                    aria_label=Signal::derive(move || format!("Delete {}", name.get()))
                    on_click=Callback::new(move |_| on_delete.run(connection.get_untracked()))
                >
                    "Delete"
                </Button>
            </div>
        </li>
    }
    .into_any()
}

/// Provider, account and when it was last checked.
#[component]
fn ConnectionFacts(connection: Signal<Connection>) -> impl IntoView {
    move || {
        connection.with(|c| {
            let account = c.account.clone();
            let validated = c.last_validated_at;
            view! {
                <p class="mt-0.5 flex flex-wrap items-center gap-x-1.5 text-sm text-slate-500">
                    <span>{c.provider.display_name()}</span>
                    {account.map(|a| view! { <span aria-hidden="true">"·"</span> <span class="truncate">{a}</span> })}
                    <span aria-hidden="true">"·"</span>
                    {match validated {
                        Some(at) => view! { <span>"Checked " <RelativeTime at/></span> }.into_any(),
                        None => view! { <span>"Not checked yet"</span> }.into_any(),
                    }}
                </p>
            }
        })
    }
}

/// The inline rename form: Enter saves, Escape cancels.
#[component]
fn RenameForm(
    id: ConnectionId,
    current: String,
    editing: RwSignal<bool>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let value = RwSignal::new(current.clone());
    let error = RwSignal::new(None::<String>);
    let input_id = format!("rename-{id}");
    let error_id = format!("rename-{id}-error");
    let rename = Action::new(|(id, name): &(ConnectionId, String)| {
        rename_connection(id.clone(), name.clone())
    });
    Effect::new(move |_| match rename.value().get() {
        Some(Ok(connection)) => {
            editing.set(false);
            toasts.success(format!("Renamed to “{}”.", connection.display_name));
            on_changed.run(());
        }
        Some(Err(e)) => error.set(Some(sentence(&e.to_string()))),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = value.get_untracked().trim().to_string();
        if name.is_empty() {
            error.set(Some("Enter a name".into()));
        } else if name.chars().count() > MAX_NAME_CHARS {
            error.set(Some(format!("Use at most {MAX_NAME_CHARS} characters")));
        } else {
            error.set(None);
            rename.dispatch((id.clone(), name));
        }
    };
    let invalid = move || error.with(Option::is_some);
    let input_ref = NodeRef::<leptos::html::Input>::new();
    // `autofocus` only works on page load; focus the field when it appears.
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
            input.select();
        }
    });
    let described_by = {
        let error_id = error_id.clone();
        move || invalid().then(|| error_id.clone())
    };
    view! {
        <form class="flex flex-wrap items-start gap-2" on:submit=on_submit>
            <div class="min-w-48 flex-1">
                <label for=input_id.clone() class="sr-only">"Connection name"</label>
                <input
                    id=input_id
                    type="text"
                    class=move || input_class(invalid())
                    value=current
                    node_ref=input_ref
                    aria-invalid=move || invalid().then_some("true")
                    aria-describedby=described_by
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            ev.prevent_default();
                            editing.set(false);
                        }
                    }
                />
                {move || {
                    error.get().map(|e| view! {
                        <p id=error_id.clone() class="mt-1 text-xs font-medium text-red-600">{e}</p>
                    })
                }}
            </div>
            <Button button_type="submit" size=ButtonSize::Sm loading=rename.pending()>"Save"</Button>
            <Button variant=ButtonVariant::Ghost size=ButtonSize::Sm on_click=Callback::new(move |_| editing.set(false))>
                "Cancel"
            </Button>
        </form>
    }
}
