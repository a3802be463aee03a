//! The credential forms (WebDAV password or certificate, IMAP, Confluence/Jira
//! API token) in a dialog: fields checked in the browser, "Test connection"
//! before saving, and "Save connection", which the server tests again.

use leptos::prelude::*;

use super::credentials::{
    CredentialDraft, CredentialKind, Field, FieldErrors, MAX_NAME_CHARS, default_imap_port,
};
use crate::api::{create_connection, test_credentials};
use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{Button, ButtonVariant};
use crate::components::dialog::{Dialog, DialogFooter, DialogSize};
use crate::components::form_field::{FieldKind, FormField, SegmentedControl};
use crate::components::icons::IconName;
use crate::error::AppError;
use crate::model::{Connection, ConnectionTest, ImapSecurity, NewConnection, ProviderInfo};

/// Which provider the dialog connects, and the form it opens with.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialTarget {
    pub provider: ProviderInfo,
    pub kind: CredentialKind,
}

/// The dialog around [`CredentialForm`]; `on_saved` gets the new connection.
#[component]
pub fn CredentialDialog(
    target: RwSignal<Option<CredentialTarget>>,
    open: RwSignal<bool>,
    on_saved: Callback<Connection>,
) -> impl IntoView {
    let title = Signal::derive(move || {
        target
            .with(|t| t.as_ref().map(|t| format!("Connect {}", t.provider.name)))
            .unwrap_or_default()
    });
    let description = Signal::derive(move || {
        Some(
            "The credentials are tested, then encrypted on the server. They are never shown again."
                .to_string(),
        )
    });
    view! {
        <Dialog id="credential-dialog" open title description size=DialogSize::Lg>
            {move || {
                target
                    .get()
                    .map(|target| {
                        view! {
                            <CredentialForm
                                target
                                on_saved
                                on_cancel=Callback::new(move |_| open.set(false))
                            />
                        }
                    })
            }}
        </Dialog>
    }
}

/// One signal per field, so typing re-renders only that field.
#[derive(Clone, Copy)]
struct FormFields {
    display_name: RwSignal<String>,
    server_url: RwSignal<String>,
    username: RwSignal<String>,
    password: RwSignal<String>,
    client_cert_pem: RwSignal<String>,
    client_key_pem: RwSignal<String>,
    ca_pem: RwSignal<String>,
    host: RwSignal<String>,
    port: RwSignal<String>,
    security: RwSignal<ImapSecurity>,
    site_url: RwSignal<String>,
    email: RwSignal<String>,
    api_token: RwSignal<String>,
}

impl FormFields {
    fn new() -> Self {
        let text = || RwSignal::new(String::new());
        Self {
            display_name: text(),
            server_url: text(),
            username: text(),
            password: text(),
            client_cert_pem: text(),
            client_key_pem: text(),
            ca_pem: text(),
            host: text(),
            port: RwSignal::new(default_imap_port(ImapSecurity::Tls).to_string()),
            security: RwSignal::new(ImapSecurity::Tls),
            site_url: text(),
            email: text(),
            api_token: text(),
        }
    }

    /// What is typed now (tracked: an effect that calls this reruns on every change).
    fn draft(&self) -> CredentialDraft {
        CredentialDraft {
            display_name: self.display_name.get(),
            server_url: self.server_url.get(),
            username: self.username.get(),
            password: self.password.get(),
            client_cert_pem: self.client_cert_pem.get(),
            client_key_pem: self.client_key_pem.get(),
            ca_pem: self.ca_pem.get(),
            host: self.host.get(),
            port: self.port.get(),
            security: self.security.get(),
            site_url: self.site_url.get(),
            email: self.email.get(),
            api_token: self.api_token.get(),
        }
    }

    fn clear_secrets(&self) {
        self.password.set(String::new());
        self.client_key_pem.set(String::new());
        self.api_token.set(String::new());
    }
}

/// The form for one provider. Fields are checked when "Test" or "Save" is
/// pressed, then again as the user corrects them.
#[component]
pub fn CredentialForm(
    target: CredentialTarget,
    on_saved: Callback<Connection>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let provider = target.provider.id;
    let kinds: Vec<CredentialKind> = target
        .provider
        .auth_types
        .iter()
        .filter_map(|auth| CredentialKind::for_auth(provider, *auth))
        .collect();
    let kind = RwSignal::new(target.kind);
    let fields = FormFields::new();
    let errors = RwSignal::new(FieldErrors::new());
    let attempted = RwSignal::new(false);
    let form_ref = NodeRef::<leptos::html::Form>::new();

    let test = Action::new(|input: &NewConnection| test_credentials(input.clone()));
    let save = Action::new(|input: &NewConnection| create_connection(input.clone()));

    // Once the user has tried to send, errors follow the fields as they are fixed.
    Effect::new(move |_| {
        let draft = fields.draft();
        let kind = kind.get();
        if attempted.get_untracked() {
            errors.set(draft.validate(kind));
        }
    });
    // A test result or save error describes what was typed then: forget it on change.
    Effect::new(move |first_run: Option<()>| {
        fields.draft();
        kind.track();
        if first_run.is_some() {
            test.value().set(None);
            save.value().set(None);
        }
    });
    // Saved: wipe the secrets and hand the connection over.
    Effect::new(move |_| {
        if let Some(Ok(connection)) = save.value().get() {
            fields.clear_secrets();
            on_saved.run(connection);
        }
    });

    // Checks the fields; on success returns the request, else focuses the first bad field.
    let checked_request = move || -> Option<NewConnection> {
        attempted.set(true);
        let draft = fields.draft();
        let found = draft.validate(kind.get_untracked());
        let ok = found.is_empty();
        errors.set(found);
        if ok {
            Some(draft.to_new_connection(kind.get_untracked(), provider))
        } else {
            #[cfg(feature = "hydrate")]
            if let Some(form) = form_ref.get_untracked() {
                crate::components::form_field::focus_first_invalid(form.into());
            }
            None
        }
    };
    let run_test = move |_| {
        if let Some(request) = checked_request() {
            test.dispatch(request);
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if save.pending().get_untracked() {
            return;
        }
        if let Some(request) = checked_request() {
            save.dispatch(request);
        }
    };

    let error = move |field| field_error(errors, field);
    let suggested = move || fields.draft().suggested_name(kind.get(), provider);
    let kind_options: Vec<(CredentialKind, &'static str)> =
        kinds.iter().map(|k| (*k, k.label())).collect();

    view! {
        <form node_ref=form_ref novalidate=true class="space-y-5" on:submit=on_submit>
            {(kind_options.len() > 1)
                .then(|| {
                    view! {
                        <SegmentedControl
                            name="credential-kind"
                            legend="Sign in with"
                            options=kind_options.clone()
                            selected=kind
                        />
                    }
                })}
            {move || match kind.get() {
                CredentialKind::WebdavPassword => view! { <WebdavPasswordFields fields errors/> }.into_any(),
                CredentialKind::WebdavCertificate => {
                    view! { <WebdavCertificateFields fields errors/> }.into_any()
                }
                CredentialKind::Imap => view! { <ImapFields fields errors/> }.into_any(),
                CredentialKind::ApiToken => view! { <ApiTokenFields fields errors/> }.into_any(),
            }}
            <FormField
                id="cred-display-name"
                label="Name"
                optional=true
                value=fields.display_name
                error=error(Field::DisplayName)
                placeholder=Signal::derive(suggested)
                hint=format!(
                    "How the connection is listed. Leave empty to use the placeholder (at most {MAX_NAME_CHARS} characters).",
                )
            />
            <TestOutcome test/>
            {move || {
                save.value()
                    .get()
                    .and_then(Result::err)
                    .map(|e| {
                        view! {
                            <Alert tone=Tone::Danger title="Not saved">
                                {sentence(&e.to_string())}
                            </Alert>
                        }
                    })
            }}
            <DialogFooter>
                <Button variant=ButtonVariant::Ghost on_click=Callback::new(move |_| on_cancel.run(()))>
                    "Cancel"
                </Button>
                <Button
                    variant=ButtonVariant::Secondary
                    icon=IconName::Bolt
                    loading=test.pending()
                    on_click=Callback::new(run_test)
                >
                    {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                </Button>
                <Button button_type="submit" loading=save.pending()>
                    {move || if save.pending().get() { "Testing and saving…" } else { "Save connection" }}
                </Button>
            </DialogFooter>
        </form>
    }
    .into_any()
}

/// Capitalises the first letter and ends with a full stop: server messages are
/// lower-case fragments ("the connection test failed: …"). A first word with
/// capitals of its own ("ownCloud", "iCloud") is left as it is.
pub fn sentence(message: &str) -> String {
    let message = message.trim();
    if message.is_empty() {
        return String::new();
    }
    let first_word = message.split_whitespace().next().unwrap_or_default();
    let mut out = if first_word.chars().skip(1).any(char::is_uppercase) {
        message.to_string()
    } else {
        let mut chars = message.chars();
        chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn server_fragments_become_sentences() {
        assert_eq!(
            sentence("the connection test failed: timeout"),
            "The connection test failed: timeout."
        );
        assert_eq!(
            sentence("ownCloud rejected the credentials"),
            "ownCloud rejected the credentials."
        );
        assert_eq!(sentence("Already done."), "Already done.");
        assert_eq!(sentence("  "), "");
    }
}

/// The result of "Test connection", announced to screen readers.
#[component]
fn TestOutcome(test: Action<NewConnection, Result<ConnectionTest, AppError>>) -> impl IntoView {
    view! {
        <div aria-live="polite" data-testid="test-result">
            {move || {
                test.value()
                    .get()
                    .map(|outcome| match outcome {
                        Ok(result) if result.ok => {
                            let account = result
                                .account
                                .map(|a| format!("Signed in as {a}. "))
                                .unwrap_or_default();
                            view! {
                                <Alert tone=Tone::Success title="Connection works">
                                    {format!("{account}The server answered in {} ms.", result.latency_ms)}
                                </Alert>
                            }
                            .into_any()
                        }
                        Ok(result) => view! {
                            <Alert tone=Tone::Danger title="Connection failed">
                                {sentence(&result.message)}
                            </Alert>
                        }
                        .into_any(),
                        Err(e) => view! {
                            <Alert tone=Tone::Danger title="Could not test">
                                {sentence(&e.to_string())}
                            </Alert>
                        }
                        .into_any(),
                    })
            }}
        </div>
    }
}

/// The error of one field, as a signal for its [`FormField`].
fn field_error(errors: RwSignal<FieldErrors>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || errors.with(|e| e.get(&field).cloned()))
}

#[component]
fn WebdavPasswordFields(fields: FormFields, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let error = move |field| field_error(errors, field);
    view! {
        <FormField
            id="cred-server-url"
            label="Server URL"
            kind=FieldKind::Url
            required=true
            value=fields.server_url
            error=error(Field::ServerUrl)
            placeholder="https://cloud.example.com"
            hint="Your ownCloud or Nextcloud address, or the full WebDAV URL of your files."
            autocomplete="off"
        />
        <div class="grid gap-5 sm:grid-cols-2">
            <FormField
                id="cred-username"
                label="User name"
                required=true
                value=fields.username
                error=error(Field::Username)
                autocomplete="off"
            />
            <FormField
                id="cred-password"
                label="Password or app token"
                kind=FieldKind::Password
                required=true
                value=fields.password
                error=error(Field::Password)
                autocomplete="new-password"
            />
        </div>
        <p class="-mt-2 text-xs text-slate-500">
            "Tip: an app password (Nextcloud: Settings → Security) can be revoked on its own and is safer than your main password."
        </p>
    }
}

#[component]
fn WebdavCertificateFields(fields: FormFields, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let error = move |field| field_error(errors, field);
    view! {
        <FormField
            id="cred-server-url"
            label="Server URL"
            kind=FieldKind::Url
            required=true
            value=fields.server_url
            error=error(Field::ServerUrl)
            placeholder="https://dav.example.com/remote.php/dav/files/alice/"
            autocomplete="off"
        />
        <FormField
            id="cred-username"
            label="User name"
            optional=true
            value=fields.username
            error=error(Field::Username)
            hint="Needed when the URL is the server's address rather than your files' WebDAV folder."
            autocomplete="off"
        />
        <PemField
            id="cred-client-cert"
            label="Client certificate (PEM)"
            value=fields.client_cert_pem
            error=error(Field::ClientCert)
            placeholder="-----BEGIN CERTIFICATE-----"
        />
        <PemField
            id="cred-client-key"
            label="Private key (PEM)"
            value=fields.client_key_pem
            error=error(Field::ClientKey)
            placeholder="-----BEGIN PRIVATE KEY-----"
            hint="Stays on the server, encrypted; it is removed from this page once saved."
        />
        <PemField
            id="cred-ca"
            label="CA certificate (PEM)"
            optional=true
            value=fields.ca_pem
            error=error(Field::CaPem)
            placeholder="-----BEGIN CERTIFICATE-----"
            hint="Only for servers whose certificate is signed by your own CA."
        />
    }
}

#[component]
fn ImapFields(fields: FormFields, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let error = move |field| field_error(errors, field);
    // Switching TLS/STARTTLS moves the port along, unless the user chose another one.
    let security = RwSignal::new(fields.security.get_untracked());
    Effect::new(move |previous: Option<ImapSecurity>| {
        let now = security.get();
        if let Some(previous) = previous
            && previous != now
        {
            fields.security.set(now);
            let port = fields.port.get_untracked();
            if port.trim().is_empty() || port.trim() == default_imap_port(previous).to_string() {
                fields.port.set(default_imap_port(now).to_string());
            }
        }
        now
    });
    view! {
        <div class="grid gap-5 sm:grid-cols-[1fr_9rem]">
            <FormField
                id="cred-host"
                label="IMAP server"
                required=true
                value=fields.host
                error=error(Field::Host)
                placeholder="imap.example.com"
                autocomplete="off"
            />
            <FormField
                id="cred-port"
                label="Port"
                kind=FieldKind::Number
                required=true
                value=fields.port
                error=error(Field::Port)
            />
        </div>
        <SegmentedControl
            name="imap-security"
            legend="Security"
            options=vec![
                (ImapSecurity::Tls, "TLS (port 993)"),
                (ImapSecurity::Starttls, "STARTTLS (port 143)"),
            ]
            selected=security
        />
        <div class="grid gap-5 sm:grid-cols-2">
            <FormField
                id="cred-username"
                label="User name"
                required=true
                value=fields.username
                error=error(Field::Username)
                hint="Usually your e-mail address."
                autocomplete="off"
            />
            <FormField
                id="cred-password"
                label="Password"
                kind=FieldKind::Password
                required=true
                value=fields.password
                error=error(Field::Password)
                hint="Or an app password, if your provider requires one."
                autocomplete="new-password"
            />
        </div>
        <details class="group rounded-lg border border-slate-200 px-4 py-3 text-sm">
            <summary class="cursor-pointer font-medium text-slate-700 select-none">
                "Advanced: trust a custom CA"
            </summary>
            <div class="mt-3">
                <PemField
                    id="cred-ca"
                    label="CA certificate (PEM)"
                    optional=true
                    value=fields.ca_pem
                    error=error(Field::CaPem)
                    placeholder="-----BEGIN CERTIFICATE-----"
                    hint="For a self-hosted server with a certificate from your own CA."
                />
            </div>
        </details>
    }
}

#[component]
fn ApiTokenFields(fields: FormFields, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let error = move |field| field_error(errors, field);
    view! {
        <FormField
            id="cred-site-url"
            label="Site URL"
            kind=FieldKind::Url
            required=true
            value=fields.site_url
            error=error(Field::SiteUrl)
            placeholder="https://your-team.atlassian.net"
            autocomplete="off"
        />
        <FormField
            id="cred-email"
            label="Atlassian account e-mail"
            kind=FieldKind::Email
            optional=true
            value=fields.email
            error=error(Field::Email)
            hint="For Atlassian Cloud. Leave it empty when the token is a Server / Data Center personal access token (PAT)."
            autocomplete="off"
        />
        <FormField
            id="cred-api-token"
            label="API token"
            kind=FieldKind::Password
            required=true
            value=fields.api_token
            error=error(Field::ApiToken)
            hint="Cloud: create one at id.atlassian.com → Security → API tokens. Server / Data Center: Profile → Personal access tokens."
            autocomplete="new-password"
        />
    }
}

/// A PEM text area with a "Load file…" button that reads the file in the browser.
#[component]
fn PemField(
    id: &'static str,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(into)] placeholder: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] optional: bool,
) -> impl IntoView {
    let file_id = format!("{id}-file");
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        crate::components::form_field::read_chosen_file(&ev, value);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let label_text = label.clone();
    view! {
        <FormField
            id=id
            label=label
            kind=FieldKind::TextArea
            optional
            required=!optional
            rows=4
            value
            error
            placeholder
            nostrip:hint=hint
            label_extra=Box::new(move || {
                view! {
                    <label
                        for=file_id.clone()
                        class="cursor-pointer rounded-md px-2 py-1 text-xs font-medium text-indigo-600 hover:bg-indigo-50 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500"
                    >
                        "Load file…"
                        <input
                            id=file_id.clone()
                            type="file"
                            class="sr-only"
                            accept=".pem,.crt,.cer,.key,text/plain"
                            aria-label=format!("Load {label_text} from a file")
                            on:change=on_change
                        />
                    </label>
                }
                .into_any()
            })
        />
    }
}
