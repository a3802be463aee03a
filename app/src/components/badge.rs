//! Small labels for statuses and kinds.

use leptos::prelude::*;

use super::Tone;

fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral => "bg-slate-100 text-slate-700 ring-slate-500/20",
        Tone::Info => "bg-sky-50 text-sky-700 ring-sky-600/20",
        Tone::Success => "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
        Tone::Warning => "bg-amber-50 text-amber-800 ring-amber-600/25",
        Tone::Danger => "bg-red-50 text-red-700 ring-red-600/20",
    }
}

fn dot_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral => "bg-slate-400",
        Tone::Info => "bg-sky-500",
        Tone::Success => "bg-emerald-500",
        Tone::Warning => "bg-amber-500",
        Tone::Danger => "bg-red-500",
    }
}

/// A pill with text; `dot` adds a coloured status dot in front.
#[component]
pub fn Badge(
    #[prop(optional)] tone: Tone,
    #[prop(optional)] dot: bool,
    /// A longer explanation shown on hover.
    #[prop(optional, into)]
    title: MaybeProp<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <span
            class=format!(
                "inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {}",
                tone_class(tone),
            )
            title=move || title.get()
        >
            {dot.then(|| view! { <span class=format!("size-1.5 rounded-full {}", dot_class(tone)) aria-hidden="true"></span> })}
            {children()}
        </span>
    }
}
