//! Documents page.

use leptos::prelude::*;

#[component]
pub fn DocumentsPage() -> impl IntoView {
    view! { <h1 class="text-2xl font-semibold mb-4">"Documents"</h1> }
}
