//! The dashboard: overview of the user's sources.

use leptos::prelude::*;

use crate::api::get_server_info;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let check = Action::new(|_: &()| get_server_info());
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Dashboard"</h1>
        <section class="rounded-lg bg-white p-4 shadow-sm">
            <h2 class="font-medium mb-2">"Server"</h2>
            <button
                type="button"
                class="rounded bg-indigo-600 px-3 py-1.5 text-sm text-white hover:bg-indigo-700"
                on:click=move |_| {
                    check.dispatch(());
                }
            >
                "Check server"
            </button>
            <p class="mt-2 text-sm" data-testid="server-status" aria-live="polite">
                {move || match check.value().get() {
                    None => String::new(),
                    Some(Ok(info)) => {
                        format!("Server {} is up ({} s, {} store)", info.version, info.uptime_secs, info.store_kind)
                    }
                    Some(Err(e)) => format!("Server check failed: {e}"),
                }}
            </p>
        </section>
    }
}
