//! `ConnectionStatusBadge`: the health of a connection at a glance.

use leptos::prelude::*;

use crate::components::Tone;
use crate::components::badge::Badge;
use crate::model::ConnectionStatus;

pub fn status_label(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Active => "Active",
        ConnectionStatus::Expired => "Expired",
        ConnectionStatus::Revoked => "Revoked",
        ConnectionStatus::Error => "Error",
    }
}

pub fn status_tone(status: ConnectionStatus) -> Tone {
    match status {
        ConnectionStatus::Active => Tone::Success,
        ConnectionStatus::Expired => Tone::Warning,
        ConnectionStatus::Revoked => Tone::Neutral,
        ConnectionStatus::Error => Tone::Danger,
    }
}

/// A status pill; the status message (why it is not active) shows on hover.
#[component]
pub fn ConnectionStatusBadge(
    status: ConnectionStatus,
    #[prop(optional, into)] message: MaybeProp<String>,
) -> impl IntoView {
    view! {
        <span data-testid="connection-status" data-status=status.as_str()>
            <Badge tone=status_tone(status) dot=true title=message>
                {status_label(status)}
            </Badge>
        </span>
    }
}
