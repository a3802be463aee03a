//! An accessible modal dialog on the native `<dialog>` element.
//!
//! `showModal()` gives us the top layer, an inert page behind the dialog and the
//! `cancel` event on Escape; on top of that the dialog keeps Tab and Shift+Tab
//! inside itself (the browser would otherwise let focus escape to its own UI),
//! focuses the first field (or the element marked `autofocus`) when it opens,
//! and gives focus back to whatever opened it when it closes. The content is
//! rendered only while open, so a form inside starts empty every time and its
//! secrets leave the DOM when the dialog closes.

use leptos::prelude::*;

use super::icons::{Icon, IconName};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DialogSize {
    /// Confirmations.
    Sm,
    /// Forms.
    #[default]
    Md,
    /// Wide forms (certificates).
    Lg,
}

fn size_class(size: DialogSize) -> &'static str {
    match size {
        DialogSize::Sm => "max-w-md",
        DialogSize::Md => "max-w-lg",
        DialogSize::Lg => "max-w-2xl",
    }
}

/// A modal dialog, open while `open` is true; closing it (Escape, the close
/// button) sets `open` to false. `id` prefixes the ids of the title
/// (`{id}-title`) and description (`{id}-description`) it is labelled by.
#[component]
pub fn Dialog(
    id: &'static str,
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(optional, into)] description: MaybeProp<String>,
    #[prop(optional)] size: DialogSize,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog_ref = NodeRef::<leptos::html::Dialog>::new();
    let title_id = format!("{id}-title");
    let description_id = format!("{id}-description");
    let has_description = move || description.get().is_some();

    #[cfg(feature = "hydrate")]
    browser::sync_with_signal(dialog_ref, open);

    let children = StoredValue::new(children);
    view! {
        <dialog
            node_ref=dialog_ref
            id=id
            aria-labelledby=title_id.clone()
            aria-describedby=move || has_description().then(|| description_id.clone())
            aria-modal="true"
            class=format!(
                "m-auto max-h-[calc(100dvh-2rem)] w-[calc(100%-2rem)] overflow-y-auto rounded-2xl bg-white p-0 text-slate-900 shadow-2xl ring-1 ring-slate-900/10 backdrop:bg-slate-950/40 backdrop:backdrop-blur-[2px] {}",
                size_class(size),
            )
            on:cancel=move |ev: leptos::ev::Event| {
                // Escape: close through the signal, so state and element agree.
                ev.prevent_default();
                open.set(false);
            }
            on:close=move |_| open.set(false)
            on:keydown=move |ev| {
                #[cfg(feature = "hydrate")]
                browser::trap_tab(dialog_ref, &ev);
                #[cfg(not(feature = "hydrate"))]
                let _ = ev;
            }
        >
            <Show when=move || open.get()>
                <div class="flex items-start justify-between gap-4 px-6 pt-5">
                    <div class="min-w-0">
                        <h2 id=format!("{id}-title") class="text-lg font-semibold tracking-tight">
                            {move || title.get()}
                        </h2>
                        {move || {
                            description
                                .get()
                                .map(|d| {
                                    view! {
                                        <p id=format!("{id}-description") class="mt-1 text-sm text-slate-500">
                                            {d}
                                        </p>
                                    }
                                })
                        }}
                    </div>
                    <button
                        type="button"
                        class="-mr-2 rounded-lg p-1.5 text-slate-400 hover:bg-slate-100 hover:text-slate-600"
                        aria-label="Close"
                        data-dialog-close=""
                        on:click=move |_| open.set(false)
                    >
                        <Icon icon=IconName::XMark class="size-5"/>
                    </button>
                </div>
                <div class="px-6 pt-4 pb-6">{children.with_value(|c| c())}</div>
            </Show>
        </dialog>
    }
}

/// The button row at the bottom of a dialog: stacked on phones (main action on
/// top), right-aligned from `sm` up.
#[component]
pub fn DialogFooter(children: Children) -> impl IntoView {
    view! {
        <div class="-mx-6 -mb-6 mt-6 flex flex-col-reverse gap-2 rounded-b-2xl border-t border-slate-100 bg-slate-50/70 px-6 py-4 sm:flex-row sm:items-center sm:justify-end">
            {children()}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlDialogElement, HtmlElement, KeyboardEvent};

    const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex=\"-1\"])";

    fn focusables(dialog: &HtmlDialogElement) -> Vec<HtmlElement> {
        let Ok(list) = dialog.query_selector_all(FOCUSABLE) else { return Vec::new() };
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
            // Hidden elements (display: none) have no layout box.
            .filter(|el| el.offset_parent().is_some())
            .collect()
    }

    /// Keeps Tab and Shift+Tab inside the dialog.
    pub fn trap_tab(dialog_ref: NodeRef<leptos::html::Dialog>, ev: &KeyboardEvent) {
        if ev.key() != "Tab" {
            return;
        }
        let Some(dialog) = dialog_ref.get_untracked() else { return };
        let items = focusables(&dialog);
        let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
        let active = document().active_element();
        let active = active.as_ref().map(|a| a.unchecked_ref::<web_sys::Node>());
        let is = |el: &HtmlElement| active.is_some_and(|a| a.is_same_node(Some(el)));
        if ev.shift_key() && is(first) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && is(last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }

    /// Opens and closes the element as the signal says, moving focus in and back.
    pub fn sync_with_signal(dialog_ref: NodeRef<leptos::html::Dialog>, open: RwSignal<bool>) {
        let opener = StoredValue::new_local(None::<HtmlElement>);
        Effect::new(move |_| {
            let is_open = open.get();
            let Some(dialog) = dialog_ref.get() else { return };
            if is_open && !dialog.open() {
                opener.set_value(
                    document().active_element().and_then(|el| el.dyn_into::<HtmlElement>().ok()),
                );
                if dialog.show_modal().is_err() {
                    return;
                }
                let target = dialog
                    .query_selector("[autofocus]")
                    .ok()
                    .flatten()
                    .and_then(|el| el.dyn_into::<HtmlElement>().ok())
                    .or_else(|| {
                        // The first field to type in (not a radio of a segmented control).
                        focusables(&dialog).into_iter().find(|el| match el.tag_name().as_str() {
                            "INPUT" => !matches!(
                                el.get_attribute("type").as_deref(),
                                Some("radio" | "checkbox" | "file")
                            ),
                            tag => matches!(tag, "SELECT" | "TEXTAREA"),
                        })
                    });
                if let Some(target) = target {
                    let _ = target.focus();
                }
            } else if !is_open && dialog.open() {
                dialog.close();
                if let Some(opener) = opener.get_value() {
                    let _ = opener.focus();
                }
            }
        });
    }
}
