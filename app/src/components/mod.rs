//! Reusable UI pieces: the app frame and a small design system (buttons, badges,
//! cards, dialogs, alerts and toasts, empty states, spinners, form fields), plus the
//! cloud-source components of the connection manager. Styling is Tailwind classes
//! written out in full here, so the Tailwind scanner sees every one.

pub mod alert;
pub mod badge;
pub mod button;
pub mod card;
pub mod connections;
pub mod dialog;
pub mod empty_state;
pub mod folder_picker;
pub mod form_field;
pub mod icons;
pub mod layout;
pub mod live;
pub mod pager;
pub mod spinner;
pub mod sync_status;
pub mod time;
pub mod toast;

/// The colour of a message, badge or toast, by what it means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tone {
    #[default]
    Neutral,
    Info,
    Success,
    Warning,
    Danger,
}
