//! What a list shows when it has nothing in it.

use leptos::prelude::*;

use super::icons::{Icon, IconName};

#[component]
pub fn EmptyState(
    icon: IconName,
    #[prop(into)] title: String,
    #[prop(optional, into)] description: Option<String>,
    /// Actions (e.g. a button that adds the first item).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="flex flex-col items-center rounded-xl border border-dashed border-slate-300 bg-white/60 px-6 py-10 text-center">
            <span class="flex size-11 items-center justify-center rounded-full bg-slate-100 text-slate-500">
                <Icon icon class="size-6"/>
            </span>
            <h3 class="mt-3 text-sm font-semibold text-slate-900">{title}</h3>
            {description.map(|d| view! { <p class="mt-1 max-w-md text-sm text-slate-500">{d}</p> })}
            {children.map(|c| view! { <div class="mt-4 flex flex-wrap justify-center gap-2">{c()}</div> })}
        </div>
    }
}
