//! The cloud-source components of the connection manager (the client design's
//! `ProviderCard`, `OAuthButton`, `ConnectionStatusBadge`, credential forms),
//! reused by the dashboard and sync screens.

mod connection_row;
mod credential_form;
pub mod credentials;
mod delete_dialog;
mod provider_card;
mod provider_mark;
mod status_badge;

pub use connection_row::ConnectionRow;
pub use credential_form::{CredentialDialog, CredentialTarget};
pub use delete_dialog::DeleteConnectionDialog;
pub use provider_card::{OAuthButton, OAuthUnavailableNote, ProviderCard, authorize_url};
pub use provider_mark::ProviderMark;
pub use status_badge::ConnectionStatusBadge;
