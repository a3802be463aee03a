//! Cards: the white panels content sits in.

use leptos::prelude::*;

/// A white, bordered panel.
#[component]
pub fn Card(#[prop(optional)] class: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class=format!("rounded-xl border border-slate-200 bg-white shadow-xs {class}")>
            {children()}
        </div>
    }
}

/// The classes of a [`TableCard`]'s `<thead>`.
pub const TABLE_HEAD_CLASS: &str =
    "bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase";

/// A table in a card that scrolls sideways by itself on a narrow screen. The card is
/// positioned so that visually hidden labels (`sr-only` is absolutely positioned) in far
/// columns scroll with the table instead of widening the whole page.
#[component]
pub fn TableCard(
    /// What the table lists, for screen readers.
    #[prop(optional)]
    caption: Option<&'static str>,
    #[prop(optional)] testid: Option<&'static str>,
    /// The `<thead>` and `<tbody>`.
    children: Children,
) -> impl IntoView {
    view! {
        <Card class="relative overflow-x-auto">
            <table class="min-w-full text-sm" data-testid=testid>
                {caption.map(|caption| view! { <caption class="sr-only">{caption}</caption> })}
                {children()}
            </table>
        </Card>
    }
}

/// A section heading with an optional description and actions on the right.
/// Its heading is an `h2` with the given `id`, so a section can be labelled by it.
#[component]
pub fn SectionHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] description: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-end justify-between gap-3">
            <div class="min-w-0">
                <h2 id=id class="text-base font-semibold text-slate-900">{title}</h2>
                {description.map(|d| view! { <p class="mt-1 text-sm text-slate-500">{d}</p> })}
            </div>
            {children.map(|c| view! { <div class="flex flex-wrap items-center gap-2">{c()}</div> })}
        </div>
    }
}

/// The title block at the top of a page.
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] description: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-start justify-between gap-4 pb-6">
            <div class="min-w-0">
                <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
                {description.map(|d| view! { <p class="mt-1 max-w-2xl text-sm text-slate-500">{d}</p> })}
            </div>
            {children.map(|c| view! { <div class="flex flex-wrap items-center gap-2">{c()}</div> })}
        </div>
    }
}
