//! Settings: the account and personal API tokens (create, shown once; revoke).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{create_api_token, current_user, list_api_tokens, revoke_api_token};
use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{Button, ButtonSize, ButtonVariant};
use crate::components::card::{Card, PageHeader, SectionHeader};
use crate::components::connections::credentials::MAX_NAME_CHARS;
use crate::components::dialog::{Dialog, DialogFooter, DialogSize};
use crate::components::empty_state::EmptyState;
use crate::components::form_field::{FormField, input_class};
use crate::components::icons::{Icon, IconName};
use crate::components::spinner::Skeleton;
use crate::components::time::{RelativeTime, absolute_date};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{ApiTokenInfo, CreatedApiToken, TokenId};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings · Cloud Sources"/>
        <PageHeader title="Settings" description="Your account and the tokens scripts use to call the REST API."/>
        <div class="space-y-10">
            <AccountSection/>
            <ApiTokensSection/>
        </div>
    }
    .into_any()
}

#[component]
fn AccountSection() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <section aria-labelledby="account" class="space-y-4">
            <SectionHeader id="account" title="Account"/>
            <Card class="p-5">
                <Transition fallback=|| view! { <Skeleton class="h-10 w-64"/> }>
                    {move || {
                        user.get().map(|result| match result {
                            Ok(user) => view! {
                                <dl class="grid gap-4 text-sm sm:grid-cols-3">
                                    <div>
                                        <dt class="text-slate-500">"User name"</dt>
                                        <dd class="mt-0.5 font-medium text-slate-900">{user.username.clone()}</dd>
                                    </div>
                                    <div>
                                        <dt class="text-slate-500">"Role"</dt>
                                        <dd class="mt-0.5 font-medium text-slate-900">
                                            {if user.is_admin { "Administrator" } else { "Member" }}
                                        </dd>
                                    </div>
                                    <div>
                                        <dt class="text-slate-500">"Member since"</dt>
                                        <dd class="mt-0.5 font-medium text-slate-900">{absolute_date(user.created_at)}</dd>
                                    </div>
                                </dl>
                            }
                            .into_any(),
                            Err(e) => view! { <Alert tone=Tone::Danger>{e.to_string()}</Alert> }.into_any(),
                        })
                    }}
                </Transition>
            </Card>
        </section>
    }
}

#[component]
fn ApiTokensSection() -> impl IntoView {
    let toasts = use_toasts();
    let tokens = Resource::new(|| (), |_| list_api_tokens());
    let created = RwSignal::new(None::<CreatedApiToken>);
    let revoke_target = RwSignal::new(None::<ApiTokenInfo>);
    let revoke_open = RwSignal::new(false);
    let on_created = Callback::new(move |token: CreatedApiToken| {
        created.set(Some(token));
        tokens.refetch();
    });
    let on_revoked = Callback::new(move |token: ApiTokenInfo| {
        revoke_open.set(false);
        revoke_target.set(None);
        // The token shown once may be the one just revoked.
        created.update(|c| {
            if c.as_ref().is_some_and(|c| c.info.id == token.id) {
                *c = None;
            }
        });
        toasts.success(format!("Revoked “{}”. Scripts using it are signed out.", token.name));
        tokens.refetch();
    });
    let ask_revoke = Callback::new(move |token: ApiTokenInfo| {
        revoke_target.set(Some(token));
        revoke_open.set(true);
    });

    view! {
        <section aria-labelledby="api-tokens" class="space-y-4">
            <SectionHeader
                id="api-tokens"
                title="Personal API tokens"
                description="A token acts as you on the REST API (Authorization: Bearer …). Give each script its own, and revoke it when it is no longer used."
            />
            <Card class="p-5">
                <CreateTokenForm on_created/>
                {move || created.get().map(|token| view! { <NewTokenPanel token created/> })}
            </Card>
            <Transition fallback=|| view! { <Skeleton class="h-32 rounded-xl"/> }>
                {move || {
                    tokens.get().map(|result| match result {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState
                                icon=IconName::Key
                                title="No API tokens"
                                description="Create one above to call the REST API from a script."
                            />
                        }
                        .into_any(),
                        Ok(list) => view! { <TokenTable tokens=list ask_revoke/> }.into_any(),
                        Err(e) => view! {
                            <Alert tone=Tone::Danger title="Your tokens could not be loaded">{e.to_string()}</Alert>
                        }
                        .into_any(),
                    })
                }}
            </Transition>
            <RevokeTokenDialog target=revoke_target open=revoke_open on_revoked/>
        </section>
    }
    .into_any()
}

#[component]
fn CreateTokenForm(on_created: Callback<CreatedApiToken>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = Action::new(|name: &String| create_api_token(name.clone()));
    Effect::new(move |_| match create.value().get() {
        Some(Ok(token)) => {
            name.set(String::new());
            create.value().set(None);
            on_created.run(token);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = name.get_untracked().trim().to_string();
        if value.is_empty() {
            error.set(Some("Name the token after what will use it, e.g. “nightly backup”".into()));
        } else if value.chars().count() > MAX_NAME_CHARS {
            error.set(Some(format!("Use at most {MAX_NAME_CHARS} characters")));
        } else {
            error.set(None);
            create.dispatch(value);
        }
    };
    view! {
        <form class="flex flex-col gap-3 sm:flex-row sm:items-start" on:submit=on_submit novalidate=true>
            <div class="flex-1">
                <FormField
                    id="token-name"
                    label="New token name"
                    value=name
                    error=error
                    placeholder="e.g. nightly export script"
                    required=true
                    autocomplete="off"
                />
            </div>
            <Button button_type="submit" icon=IconName::Plus loading=create.pending() class="sm:mt-7">
                "Create token"
            </Button>
        </form>
    }
}

/// The new token, shown once, with a copy button.
#[component]
fn NewTokenPanel(
    token: CreatedApiToken,
    created: RwSignal<Option<CreatedApiToken>>,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let secret = token.token.expose().to_string();
    let input_ref = NodeRef::<leptos::html::Input>::new();
    let copy = {
        let secret = secret.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            {
                let secret = secret.clone();
                let input = input_ref.get_untracked();
                leptos::task::spawn_local(async move {
                    let promise = window().navigator().clipboard().write_text(&secret);
                    let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                    if !ok && let Some(input) = input {
                        // No clipboard access: select it so Ctrl+C works.
                        input.select();
                    }
                    copied.set(Some(ok));
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (&secret, input_ref);
        }
    };
    view! {
        <div class="mt-5 rounded-xl border border-amber-200 bg-amber-50 p-4" role="region" aria-labelledby="new-token-title">
            <div class="flex gap-3">
                <Icon icon=IconName::ExclamationTriangle class="size-5 shrink-0 text-amber-500"/>
                <div class="min-w-0 flex-1 space-y-3">
                    <div>
                        <p id="new-token-title" class="text-sm font-semibold text-amber-900">
                            {format!("Copy your new token “{}” now", token.info.name)}
                        </p>
                        <p class="mt-0.5 text-sm text-amber-800">
                            "It is shown only this once. Store it in your password manager or the script's secret store."
                        </p>
                    </div>
                    <div class="flex flex-col gap-2 sm:flex-row">
                        <label for="new-token-value" class="sr-only">"New API token"</label>
                        <input
                            id="new-token-value"
                            node_ref=input_ref
                            type="text"
                            readonly=true
                            class=format!("{} font-mono", input_class(false))
                            value=secret.clone()
                            data-testid="new-token"
                            on:focus=move |_| {
                                if let Some(input) = input_ref.get_untracked() {
                                    input.select();
                                }
                            }
                        />
                        <Button variant=ButtonVariant::Secondary icon=IconName::Copy on_click=Callback::new(copy)>
                            {move || match copied.get() {
                                Some(true) => "Copied",
                                _ => "Copy",
                            }}
                        </Button>
                    </div>
                    <p class="text-xs text-amber-800" aria-live="polite">
                        {move || match copied.get() {
                            Some(true) => "Copied to the clipboard.",
                            Some(false) => "The browser did not allow copying: the token is selected, press Ctrl+C (⌘C).",
                            None => "",
                        }}
                    </p>
                    <Button
                        variant=ButtonVariant::Ghost
                        size=ButtonSize::Sm
                        class="-ml-2.5"
                        on_click=Callback::new(move |_| created.set(None))
                    >
                        "I have stored it, hide it"
                    </Button>
                </div>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn TokenTable(tokens: Vec<ApiTokenInfo>, ask_revoke: Callback<ApiTokenInfo>) -> impl IntoView {
    let rows = tokens
        .into_iter()
        .map(|token| {
            let label = format!("Revoke {}", token.name);
            let for_revoke = token.clone();
            view! {
                <tr data-testid="token-row">
                    <td class="py-3 pr-3 pl-5 font-medium text-slate-900">
                        {token.name.clone()}
                        <dl class="mt-1 font-normal text-slate-500 sm:hidden">
                            <dt class="sr-only">"Created"</dt>
                            <dd>"Created " <RelativeTime at=token.created_at/></dd>
                        </dl>
                    </td>
                    <td class="px-3 py-3">
                        <code class="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
                            {format!("{}…", token.prefix)}
                        </code>
                    </td>
                    <td class="hidden px-3 py-3 text-slate-500 sm:table-cell">
                        <RelativeTime at=token.created_at/>
                    </td>
                    <td class="hidden px-3 py-3 text-slate-500 md:table-cell">
                        {match token.last_used_at {
                            Some(at) => view! { <RelativeTime at/> }.into_any(),
                            None => view! { <span>"Never"</span> }.into_any(),
                        }}
                    </td>
                    <td class="py-3 pr-5 pl-3 text-right">
                        <Button
                            variant=ButtonVariant::GhostDanger
                            size=ButtonSize::Sm
                            icon=IconName::Trash
                            aria_label=label
                            on_click=Callback::new(move |_| ask_revoke.run(for_revoke.clone()))
                        >
                            "Revoke"
                        </Button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-xs">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Your API tokens"</caption>
                <thead class="bg-slate-50 text-left text-xs font-medium tracking-wide text-slate-500 uppercase">
                    <tr>
                        <th scope="col" class="py-2.5 pr-3 pl-5">"Name"</th>
                        <th scope="col" class="px-3 py-2.5">"Token"</th>
                        <th scope="col" class="hidden px-3 py-2.5 sm:table-cell">"Created"</th>
                        <th scope="col" class="hidden px-3 py-2.5 md:table-cell">"Last used"</th>
                        <th scope="col" class="py-2.5 pr-5 pl-3"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn RevokeTokenDialog(
    target: RwSignal<Option<ApiTokenInfo>>,
    open: RwSignal<bool>,
    on_revoked: Callback<ApiTokenInfo>,
) -> impl IntoView {
    let title = Signal::derive(move || {
        target.with(|t| t.as_ref().map(|t| format!("Revoke “{}”?", t.name))).unwrap_or_default()
    });
    let revoke = Action::new(|id: &TokenId| revoke_api_token(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            revoke.value().set(None);
            if let Some(token) = target.get_untracked() {
                on_revoked.run(token);
            }
        }
    });
    let error = move || revoke.value().get().and_then(Result::err).map(|e: AppError| e.to_string());
    view! {
        <Dialog
            id="revoke-token-dialog"
            open
            title
            description="Scripts using this token stop working at once. This cannot be undone."
            size=DialogSize::Sm
        >
            {move || error().map(|e| view! { <Alert tone=Tone::Danger title="Not revoked">{e}</Alert> })}
            <DialogFooter>
                <Button
                    variant=ButtonVariant::Secondary
                    attr:autofocus=true
                    on_click=Callback::new(move |_| open.set(false))
                >
                    "Cancel"
                </Button>
                <Button
                    variant=ButtonVariant::Danger
                    loading=revoke.pending()
                    on_click=Callback::new(move |_| {
                        if let Some(token) = target.get_untracked() {
                            revoke.dispatch(token.id);
                        }
                    })
                >
                    "Revoke token"
                </Button>
            </DialogFooter>
        </Dialog>
    }
}
