//! `ProviderCard` and `OAuthButton`: one card per provider in the catalogue,
//! with the ways to connect it.

use leptos::prelude::*;

use super::ProviderMark;
use super::credentials::{CredentialKind, auth_label};
use crate::components::badge::Badge;
use crate::components::button::{Button, ButtonSize, ButtonVariant, LinkButton};
use crate::components::icons::{Icon, IconName};
use crate::model::{AuthType, ConnectionId, ProviderId, ProviderInfo};

/// Where "Connect" (or "Reconnect", with the connection's id) starts the OAuth flow.
pub fn authorize_url(provider: ProviderId, connection_id: Option<&ConnectionId>) -> String {
    let base = format!("/api/v1/cloud-sources/oauth/{}/authorize", provider.as_str());
    match connection_id {
        Some(id) => format!("{base}?connection_id={}", encode_query_value(id.as_str())),
        None => base,
    }
}

/// Percent-encodes a query value (ids are plain, but nothing here assumes it).
fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Starts the provider's OAuth consent flow: a plain link to our authorize
/// endpoint, which redirects to the provider. When the operator has not
/// configured an OAuth client it is a disabled button with the reason next to it.
#[component]
pub fn OAuthButton(
    provider: ProviderId,
    configured: bool,
    #[prop(optional)] connection_id: Option<ConnectionId>,
    #[prop(into)] label: String,
    #[prop(optional)] variant: ButtonVariant,
    #[prop(optional)] size: ButtonSize,
) -> impl IntoView {
    if configured {
        view! {
            <LinkButton
                href=authorize_url(provider, connection_id.as_ref())
                external=true
                variant
                size
                icon=IconName::Link
            >
                {label}
            </LinkButton>
        }
        .into_any()
    } else {
        // The reason sits next to the button (see `OAuthUnavailableNote`).
        view! {
            <Button
                variant
                size
                disabled=true
                icon=IconName::Lock
                attr:aria-describedby=oauth_note_id(provider)
            >
                {label}
            </Button>
        }
        .into_any()
    }
}

fn oauth_note_id(provider: ProviderId) -> String {
    format!("oauth-note-{}", provider.as_str())
}

/// Why "Connect" is disabled: the operator has not configured an OAuth client.
/// Its id is the one a disabled [`OAuthButton`] is described by.
#[component]
pub fn OAuthUnavailableNote(provider: ProviderId) -> impl IntoView {
    view! {
        <p id=oauth_note_id(provider) class="flex gap-1.5 text-xs text-slate-500">
            <Icon icon=IconName::Information class="mt-px size-4 shrink-0 text-slate-400"/>
            <span>
                "OAuth is not set up on this server: an administrator adds a "
                <code class="rounded bg-slate-100 px-1 py-0.5 text-[11px]">
                    {format!("providers.{}", provider.as_str())}
                </code>
                " client id and secret."
            </span>
        </p>
    }
}

/// A provider from the catalogue: mark, name, description, auth types, and the
/// ways to connect (OAuth and/or a credential form, opened with `on_form`).
#[component]
pub fn ProviderCard(
    info: ProviderInfo,
    /// Opens the credential form for this provider with the chosen form.
    on_form: Callback<(ProviderInfo, CredentialKind)>,
) -> impl IntoView {
    let provider = info.id;
    let heading_id = format!("provider-{}", provider.as_str());
    let labelled_by = heading_id.clone();
    let oauth = info.auth_types.contains(&AuthType::OAuth2);
    let first_form =
        info.auth_types.iter().find_map(|auth| CredentialKind::for_auth(provider, *auth));
    let chips = info
        .auth_types
        .iter()
        .copied()
        .map(|auth| view! { <Badge>{auth_label(provider, auth)}</Badge> })
        .collect_view();
    let features = [
        (info.capabilities.delta, "Incremental changes"),
        (info.capabilities.reports_deletions, "Follows deletions"),
        (info.capabilities.revocation, "Revokes access on disconnect"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, text)| {
        view! {
            <li class="flex items-center gap-1">
                <Icon icon=IconName::Check class="size-3.5 text-emerald-500"/>
                {text}
            </li>
        }
    })
    .collect_view();
    let form_label = match (oauth, first_form) {
        (false, _) => "Connect",
        (true, Some(CredentialKind::ApiToken)) => "Use an API token",
        (true, Some(CredentialKind::WebdavCertificate)) => "Use a certificate",
        (true, _) => "Use a password",
    };
    // The main action is the one that works: OAuth when it is configured.
    let oauth_ready = oauth && info.oauth_configured;
    let form_button = first_form.map(|kind| {
        let info = info.clone();
        let variant = if oauth_ready { ButtonVariant::Secondary } else { ButtonVariant::Primary };
        view! {
            <Button
                variant
                icon=if oauth { IconName::Key } else { IconName::Plus }
                aria_label=if oauth {
                    format!("{form_label} for {}", info.name)
                } else {
                    format!("{form_label} {}", info.name)
                }
                on_click=Callback::new(move |_| on_form.run((info.clone(), kind)))
            >
                {form_label}
            </Button>
        }
    });
    let oauth_button = oauth.then(|| {
        view! {
            <OAuthButton
                provider
                configured=info.oauth_configured
                label=if first_form.is_some() { "Sign in with OAuth".to_string() } else { "Connect".to_string() }
                variant=if oauth_ready || first_form.is_none() { ButtonVariant::Primary } else { ButtonVariant::Secondary }
            />
        }
    });

    view! {
        <article
            class="flex flex-col rounded-xl border border-slate-200 bg-white p-5 shadow-xs transition hover:border-slate-300 hover:shadow-sm"
            aria-labelledby=labelled_by
            data-testid="provider-card"
            data-provider=provider.as_str()
        >
            <div class="flex items-start gap-3">
                <ProviderMark provider/>
                <div class="min-w-0">
                    <h3 id=heading_id class="font-semibold text-slate-900">{info.name.clone()}</h3>
                    <div class="mt-1 flex flex-wrap gap-1">{chips}</div>
                </div>
            </div>
            <p class="mt-3 text-sm text-slate-600">{info.description.clone()}</p>
            <ul class="mt-3 flex flex-wrap gap-x-3 gap-y-1 text-xs text-slate-500" aria-label="Features">
                {features}
            </ul>
            <div class="mt-auto space-y-3 pt-5">
                <div class="flex flex-wrap items-center gap-2">{form_button} {oauth_button}</div>
                {(oauth && !info.oauth_configured).then(|| view! { <OAuthUnavailableNote provider/> })}
            </div>
        </article>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_reconnects_a_given_connection() {
        assert_eq!(
            authorize_url(ProviderId::GoogleDrive, None),
            "/api/v1/cloud-sources/oauth/google_drive/authorize"
        );
        assert_eq!(
            authorize_url(ProviderId::Dropbox, Some(&ConnectionId::from("a b&c"))),
            "/api/v1/cloud-sources/oauth/dropbox/authorize?connection_id=a%20b%26c"
        );
    }
}
