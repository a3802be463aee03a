//! Sign-in page.

use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <main class="min-h-screen flex items-center justify-center">
            <h1 class="text-2xl font-semibold">"Sign in"</h1>
        </main>
    }
}
