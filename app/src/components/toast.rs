//! Toasts: short confirmations ("Connection deleted") that disappear by themselves.
//!
//! The app frame provides a [`Toasts`] handle through context and renders the
//! [`Toaster`]; any component pushes with `use_toasts().success(…)`.

use std::time::Duration;

use leptos::prelude::*;

use super::Tone;
use super::alert::tone_icon;
use super::icons::{Icon, IconName};

/// How long a toast stays on screen.
const TOAST_TTL: Duration = Duration::from_secs(6);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    tone: Tone,
    message: String,
}

/// Handle to the toast queue; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Default for Toasts {
    fn default() -> Self {
        Self::new()
    }
}

impl Toasts {
    pub fn new() -> Self {
        Self { items: RwSignal::new(Vec::new()), next_id: StoredValue::new(0) }
    }

    pub fn push(&self, tone: Tone, message: impl Into<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| items.push(Toast { id, tone, message: message.into() }));
        let items = self.items;
        set_timeout(move || items.update(|items| items.retain(|t| t.id != id)), TOAST_TTL);
    }

    pub fn success(&self, message: impl Into<String>) {
        self.push(Tone::Success, message);
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(Tone::Danger, message);
    }

    fn dismiss(&self, id: u64) {
        self.items.update(|items| items.retain(|t| t.id != id));
    }
}

/// The toast queue of the app frame (or a detached one outside it, which shows nothing).
pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().unwrap_or_default()
}

fn accent(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral | Tone::Info => "size-5 shrink-0 text-sky-500",
        Tone::Success => "size-5 shrink-0 text-emerald-500",
        Tone::Warning => "size-5 shrink-0 text-amber-500",
        Tone::Danger => "size-5 shrink-0 text-red-500",
    }
}

/// Renders the toasts of `toasts` bottom-right (bottom, full width, on phones),
/// in a live region so screen readers read them out.
#[component]
pub fn Toaster(toasts: Toasts) -> impl IntoView {
    view! {
        <div
            class="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col items-center gap-2 p-4 sm:items-end"
            aria-live="polite"
            aria-atomic="false"
            data-testid="toasts"
        >
            <For each=move || toasts.items.get() key=|t| t.id let:toast>
                <div
                    role="status"
                    class="pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-xl bg-white p-4 text-sm text-slate-800 shadow-lg ring-1 ring-slate-900/10"
                >
                    <Icon icon=tone_icon(toast.tone) class=accent(toast.tone)/>
                    <p class="min-w-0 flex-1 break-words">{toast.message.clone()}</p>
                    <button
                        type="button"
                        class="-m-1 rounded-md p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600"
                        aria-label="Dismiss notification"
                        on:click=move |_| toasts.dismiss(toast.id)
                    >
                        <Icon icon=IconName::XMark class="size-4"/>
                    </button>
                </div>
            </For>
        </div>
    }
}
