//! Sync configurations page.

use leptos::prelude::*;

#[component]
pub fn SyncsPage() -> impl IntoView {
    view! { <h1 class="text-2xl font-semibold mb-4">"Sync configurations"</h1> }
}
