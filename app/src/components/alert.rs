//! Inline messages inside a page or form.

use leptos::prelude::*;

use super::Tone;
use super::icons::{Icon, IconName};

fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral => "border-slate-200 bg-slate-50 text-slate-700",
        Tone::Info => "border-sky-200 bg-sky-50 text-sky-800",
        Tone::Success => "border-emerald-200 bg-emerald-50 text-emerald-800",
        Tone::Warning => "border-amber-200 bg-amber-50 text-amber-900",
        Tone::Danger => "border-red-200 bg-red-50 text-red-800",
    }
}

fn icon_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral => "size-5 shrink-0 text-slate-400",
        Tone::Info => "size-5 shrink-0 text-sky-500",
        Tone::Success => "size-5 shrink-0 text-emerald-500",
        Tone::Warning => "size-5 shrink-0 text-amber-500",
        Tone::Danger => "size-5 shrink-0 text-red-500",
    }
}

pub fn tone_icon(tone: Tone) -> IconName {
    match tone {
        Tone::Neutral | Tone::Info => IconName::Information,
        Tone::Success => IconName::CheckCircle,
        Tone::Warning => IconName::ExclamationTriangle,
        Tone::Danger => IconName::XCircle,
    }
}

/// A message box. Warnings and errors are announced at once (`role="alert"`),
/// the others politely (`role="status"`). With `on_dismiss` it gets a close button.
#[component]
pub fn Alert(
    #[prop(optional)] tone: Tone,
    #[prop(optional, into)] title: Option<String>,
    #[prop(optional, into)] on_dismiss: Option<Callback<()>>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let role = match tone {
        Tone::Warning | Tone::Danger => "alert",
        _ => "status",
    };
    view! {
        <div
            role=role
            class=format!("flex gap-3 rounded-lg border px-4 py-3 text-sm {} {class}", tone_class(tone))
        >
            <Icon icon=tone_icon(tone) class=icon_class(tone)/>
            <div class="min-w-0 flex-1 space-y-1 break-words">
                {title.map(|t| view! { <p class="font-semibold">{t}</p> })}
                <div>{children()}</div>
            </div>
            {on_dismiss.map(|dismiss| view! {
                <button
                    type="button"
                    class="-m-1 h-fit rounded-md p-1 opacity-70 hover:bg-black/5 hover:opacity-100"
                    aria-label="Dismiss"
                    on:click=move |_| dismiss.run(())
                >
                    <Icon icon=IconName::XMark class="size-4"/>
                </button>
            })}
        </div>
    }
}
