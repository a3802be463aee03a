//! Sign-in page: a plain HTML form posted to `/login`, so it works before the
//! page hydrates (and without JavaScript). The server redirects back here with
//! `?error=invalid|locked&retry=N|unavailable`, or `?signed_out=1` after sign-out.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::get_setup_state;
use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{ButtonSize, ButtonVariant, button_class};
use crate::components::form_field::{FieldKind, FormField};
use crate::components::layout::LogoMark;
use crate::model::SetupState;

/// The account demo mode creates.
pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";
/// How an operator creates the first account.
pub const FIRST_ADMIN_COMMAND: &str = "cloud-sources user add NAME --admin --password-stdin";

/// "30 seconds", "1 minute", "5 minutes" (rounded up).
pub fn wait_text(secs: u64) -> String {
    match secs {
        0..=1 => "a second".to_string(),
        2..=59 => format!("{secs} seconds"),
        60..=119 => "a minute".to_string(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// The message for the `error` the sign-in form was sent back with.
pub fn error_message(code: &str, retry: Option<u64>) -> (&'static str, String) {
    match code {
        "invalid" => (
            "Wrong user name or password",
            "Check both and try again. User names are case-sensitive.".to_string(),
        ),
        "locked" => (
            "Too many attempts",
            match retry {
                Some(secs) => format!("Sign-in is paused. Try again in {}.", wait_text(secs)),
                None => "Sign-in is paused for a while. Try again later.".to_string(),
            },
        ),
        "unavailable" => (
            "Sign-in is unavailable",
            "The server cannot check accounts right now. Try again in a moment.".to_string(),
        ),
        _ => ("Could not sign in", "Try again.".to_string()),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with_untracked(|q| q.get(name)).filter(|v| !v.is_empty());
    let next = param("next").unwrap_or_else(|| "/".to_string());
    let username = param("username");
    let error = param("error");
    let retry = param("retry").and_then(|r| r.parse::<u64>().ok());
    let signed_out = param("signed_out").is_some();
    let setup = Resource::new(|| (), |_| get_setup_state());
    let username_ref = NodeRef::<leptos::html::Input>::new();
    let password_ref = NodeRef::<leptos::html::Input>::new();

    view! {
        <Title text="Sign in · Cloud Sources"/>
        <main class="flex min-h-screen flex-col items-center justify-center bg-slate-50 bg-[radial-gradient(ellipse_at_top,var(--color-indigo-100),transparent_60%)] px-4 py-12">
            <div class="w-full max-w-sm">
                <div class="mb-8 flex flex-col items-center text-center">
                    <LogoMark large=true/>
                    <h1 class="mt-4 text-2xl font-semibold tracking-tight text-slate-900">
                        "Sign in to Cloud Sources"
                    </h1>
                    <p class="mt-1 text-sm text-slate-500">
                        "Connect your cloud accounts to RecallHub."
                    </p>
                </div>
                <div class="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
                    <div class="mb-5 space-y-3 empty:hidden">
                        {error.clone().map(|code| {
                            let (title, detail) = error_message(&code, retry);
                            view! {
                                <Alert tone=Tone::Danger title=title>
                                    <span data-testid="login-error">{detail}</span>
                                </Alert>
                            }
                        })}
                        {(signed_out && error.is_none()).then(|| view! {
                            <Alert tone=Tone::Success>"You have been signed out."</Alert>
                        })}
                    </div>
                    <form method="post" action="/login" class="space-y-5">
                        <input type="hidden" name="next" value=next/>
                        <FormField
                            id="username"
                            name="username"
                            label="User name"
                            required=true
                            autocomplete="username"
                            autofocus=username.is_none()
                            node_ref=username_ref
                            nostrip:default_value=username.clone()
                        />
                        <FormField
                            id="password"
                            name="password"
                            label="Password"
                            kind=FieldKind::Password
                            required=true
                            autocomplete="current-password"
                            autofocus=username.is_some()
                            node_ref=password_ref
                        />
                        <button
                            type="submit"
                            class=format!("{} w-full", button_class(ButtonVariant::Primary, ButtonSize::Md))
                        >
                            "Sign in"
                        </button>
                    </form>
                </div>
                <Suspense fallback=|| ()>
                    {move || {
                        setup.get()
                            .and_then(Result::ok)
                            .map(|state| view! { <SetupHints state username_ref password_ref/> })
                    }}
                </Suspense>
            </div>
        </main>
    }
    .into_any()
}

/// Demo-mode account and first-run instructions under the form.
#[component]
fn SetupHints(
    state: SetupState,
    username_ref: NodeRef<leptos::html::Input>,
    password_ref: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    let fill_demo = move |_| {
        if let (Some(user), Some(password)) = (username_ref.get(), password_ref.get()) {
            user.set_value(DEMO_USERNAME);
            password.set_value(DEMO_PASSWORD);
            let _ = password.focus();
        }
    };
    view! {
        {state.demo.then(|| view! {
            <div class="mt-4 rounded-xl border border-dashed border-violet-300 bg-violet-50/70 p-4 text-sm text-violet-900" data-testid="demo-hint">
                <p class="font-semibold">"Demo mode"</p>
                <p class="mt-1">
                    "Sign in as " <code class="rounded bg-white px-1.5 py-0.5 font-mono text-xs whitespace-nowrap ring-1 ring-violet-200">{DEMO_USERNAME}</code>
                    " with the password " <code class="rounded bg-white px-1.5 py-0.5 font-mono text-xs whitespace-nowrap ring-1 ring-violet-200">{DEMO_PASSWORD}</code>
                    ". Providers talk to the built-in sandbox, so no cloud account is needed."
                </p>
                <button
                    type="button"
                    class="mt-3 text-sm font-medium text-violet-700 underline decoration-violet-300 underline-offset-2 hover:text-violet-900"
                    on:click=fill_demo
                >
                    "Fill in the demo account"
                </button>
            </div>
        })}
        {(!state.has_users).then(|| view! {
            <div class="mt-4 rounded-xl border border-slate-200 bg-white p-4 text-sm text-slate-700 shadow-xs" data-testid="first-run-hint">
                <p class="font-semibold text-slate-900">"No account yet"</p>
                <p class="mt-1">"Create the first administrator on the server, then sign in:"</p>
                <pre class="mt-2 overflow-x-auto rounded-lg bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100"><code>{FIRST_ADMIN_COMMAND}</code></pre>
                <p class="mt-2 text-xs text-slate-500">"The password is read from standard input."</p>
            </div>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait_text(1), "a second");
        assert_eq!(wait_text(45), "45 seconds");
        assert_eq!(wait_text(60), "a minute");
        assert_eq!(wait_text(121), "3 minutes");
    }

    #[test]
    fn each_error_code_has_its_message() {
        assert_eq!(error_message("invalid", None).0, "Wrong user name or password");
        assert_eq!(
            error_message("locked", Some(300)).1,
            "Sign-in is paused. Try again in 5 minutes."
        );
        assert_eq!(error_message("unavailable", None).0, "Sign-in is unavailable");
    }
}
