//! Buttons and links that look like buttons.

use leptos::ev::MouseEvent;
use leptos::prelude::*;

use super::icons::{Icon, IconName};
use super::spinner::Spinner;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ButtonVariant {
    /// The one main action of a view.
    #[default]
    Primary,
    /// Everything else.
    Secondary,
    /// Destroys something.
    Danger,
    /// Quiet actions in lists and toolbars.
    Ghost,
    /// A quiet action that destroys something (the confirmation is the loud one).
    GhostDanger,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ButtonSize {
    Sm,
    #[default]
    Md,
}

const BASE: &str = "inline-flex items-center justify-center gap-1.5 rounded-lg font-medium whitespace-nowrap transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 disabled:cursor-not-allowed disabled:opacity-50 aria-disabled:cursor-not-allowed aria-disabled:opacity-50";

fn variant_class(variant: ButtonVariant) -> &'static str {
    match variant {
        ButtonVariant::Primary => {
            "bg-indigo-600 text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-indigo-600"
        }
        ButtonVariant::Secondary => {
            "bg-white text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 hover:text-slate-900"
        }
        ButtonVariant::Danger => {
            "bg-red-600 text-white shadow-sm hover:bg-red-500 focus-visible:outline-red-600"
        }
        ButtonVariant::Ghost => "text-slate-600 hover:bg-slate-100 hover:text-slate-900",
        ButtonVariant::GhostDanger => "text-red-600 hover:bg-red-50 hover:text-red-700",
    }
}

fn size_class(size: ButtonSize) -> &'static str {
    match size {
        ButtonSize::Sm => "h-8 px-2.5 text-xs",
        ButtonSize::Md => "h-9 px-3.5 text-sm",
    }
}

/// The classes of a button; also used for links styled as buttons.
pub fn button_class(variant: ButtonVariant, size: ButtonSize) -> String {
    format!("{BASE} {} {}", variant_class(variant), size_class(size))
}

/// A button. While `loading`, it shows a spinner and is disabled, so an action
/// cannot be sent twice.
#[component]
pub fn Button(
    #[prop(optional)] variant: ButtonVariant,
    #[prop(optional)] size: ButtonSize,
    /// `button` (default) or `submit`.
    #[prop(default = "button")]
    button_type: &'static str,
    #[prop(optional, into)] disabled: MaybeProp<bool>,
    #[prop(optional, into)] loading: MaybeProp<bool>,
    #[prop(optional)] icon: Option<IconName>,
    /// The accessible name when the label is only an icon.
    #[prop(optional, into)]
    aria_label: MaybeProp<String>,
    #[prop(optional, into)] on_click: Option<Callback<MouseEvent>>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let busy = move || loading.get().unwrap_or(false);
    view! {
        <button
            type=button_type
            class=format!("{} {class}", button_class(variant, size))
            disabled=move || disabled.get().unwrap_or(false) || busy()
            aria-busy=move || busy().then_some("true")
            aria-label=move || aria_label.get()
            on:click=move |ev| {
                if let Some(on_click) = on_click {
                    on_click.run(ev);
                }
            }
        >
            {move || {
                if busy() {
                    view! { <Spinner class="size-4"/> }.into_any()
                } else if let Some(icon) = icon {
                    view! { <Icon icon class="size-4 shrink-0"/> }.into_any()
                } else {
                    ().into_any()
                }
            }}
            {children()}
        </button>
    }
}

/// A link styled as a button. `external` links leave the single-page app (the
/// router does not intercept them), e.g. the OAuth start URL.
#[component]
pub fn LinkButton(
    #[prop(into)] href: String,
    #[prop(optional)] variant: ButtonVariant,
    #[prop(optional)] size: ButtonSize,
    #[prop(optional)] external: bool,
    #[prop(optional)] icon: Option<IconName>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <a
            href=href
            rel=external.then_some("external")
            class=format!("{} {class}", button_class(variant, size))
        >
            {icon.map(|icon| view! { <Icon icon class="size-4 shrink-0"/> })}
            {children()}
        </a>
    }
}
