//! Loading indicators: a spinner for actions, skeletons for content.

use leptos::prelude::*;

/// A small spinning circle. With a `label` it is announced as a status
/// ("Loading connections…"); without one it is decorative (inside a busy button).
#[component]
pub fn Spinner(
    #[prop(optional)] class: Option<&'static str>,
    #[prop(optional, into)] label: Option<String>,
) -> impl IntoView {
    let svg = view! {
        <svg
            class=format!("animate-spin {}", class.unwrap_or("size-5"))
            xmlns="http://www.w3.org/2000/svg"
            fill="none"
            viewBox="0 0 24 24"
            aria-hidden="true"
        >
            <circle class="opacity-25" cx="12" cy="12" r="10" stroke="currentColor" stroke-width="4"></circle>
            <path class="opacity-75" fill="currentColor" d="M4 12a8 8 0 018-8v4a4 4 0 00-4 4H4z"></path>
        </svg>
    };
    match label {
        Some(label) => view! {
            <span role="status" class="inline-flex items-center gap-2 text-sm text-slate-500">
                {svg}
                <span>{label}</span>
            </span>
        }
        .into_any(),
        None => svg.into_any(),
    }
}

/// A grey placeholder block that pulses while content loads; size it with `class`.
#[component]
pub fn Skeleton(#[prop(optional)] class: &'static str) -> impl IntoView {
    view! { <div class=format!("animate-pulse rounded-md bg-slate-200/80 {class}") aria-hidden="true"></div> }
}
