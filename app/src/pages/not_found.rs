//! Fallback for unknown paths.

use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="min-h-screen flex flex-col items-center justify-center gap-2">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <a href="/" class="text-indigo-700 underline">"Back to the dashboard"</a>
        </main>
    }
}
