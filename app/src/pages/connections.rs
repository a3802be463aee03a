//! Connections page.

use leptos::prelude::*;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    view! { <h1 class="text-2xl font-semibold mb-4">"Connections"</h1> }
}
