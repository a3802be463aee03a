//! A provider's mark: a coloured tile with a glyph (no third-party logos).

use leptos::prelude::*;

use crate::components::icons::{Icon, IconName};
use crate::model::ProviderId;

fn tile_class(provider: ProviderId) -> &'static str {
    match provider {
        ProviderId::GoogleDrive => "bg-linear-to-br from-emerald-500 to-sky-600",
        ProviderId::OneDrive => "bg-linear-to-br from-sky-500 to-blue-700",
        ProviderId::SharePoint => "bg-linear-to-br from-teal-500 to-cyan-700",
        ProviderId::Dropbox => "bg-linear-to-br from-blue-500 to-blue-700",
        ProviderId::OwnCloud => "bg-linear-to-br from-slate-600 to-sky-800",
        ProviderId::Confluence => "bg-linear-to-br from-blue-600 to-indigo-700",
        ProviderId::Jira => "bg-linear-to-br from-sky-500 to-indigo-600",
        ProviderId::Email => "bg-linear-to-br from-amber-500 to-orange-600",
    }
}

fn glyph(provider: ProviderId) -> IconName {
    match provider {
        ProviderId::GoogleDrive | ProviderId::OneDrive | ProviderId::Dropbox => IconName::Cloud,
        ProviderId::SharePoint => IconName::Stack,
        ProviderId::OwnCloud => IconName::Server,
        ProviderId::Confluence => IconName::Document,
        ProviderId::Jira => IconName::Ticket,
        ProviderId::Email => IconName::Envelope,
    }
}

/// The provider's tile; `small` for list rows.
#[component]
pub fn ProviderMark(provider: ProviderId, #[prop(optional)] small: bool) -> impl IntoView {
    let (box_class, icon_class) =
        if small { ("size-9 rounded-lg", "size-5") } else { ("size-11 rounded-xl", "size-6") };
    view! {
        <span
            class=format!(
                "flex shrink-0 items-center justify-center text-white shadow-sm ring-1 ring-black/5 {box_class} {}",
                tile_class(provider),
            )
            aria-hidden="true"
        >
            <Icon icon=glyph(provider) class=icon_class/>
        </span>
    }
}
