//! The credential forms' data, without any UI: which form a provider needs,
//! what the user typed, the checks run before sending, and the
//! [`NewConnection`] it becomes.

use std::collections::BTreeMap;

use crate::model::{
    ApiTokenCredentials, AuthType, CertificateCredentials, ImapCredentials, ImapSecurity,
    NewConnection, PasswordCredentials, ProviderId, SecretText,
};
use crate::validate;

/// Longest display name the server accepts.
pub const MAX_NAME_CHARS: usize = 100;

/// Which credential form a provider and auth type need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// WebDAV (ownCloud / Nextcloud): server URL, user, password or app token.
    WebdavPassword,
    /// WebDAV with a TLS client certificate.
    WebdavCertificate,
    /// IMAP: host, port, TLS or STARTTLS, user, password.
    Imap,
    /// Confluence / Jira: site URL, e-mail and API token (or a PAT).
    ApiToken,
}

impl CredentialKind {
    /// The form for `auth` on `provider`; `None` for OAuth (a redirect, not a form).
    pub fn for_auth(provider: ProviderId, auth: AuthType) -> Option<Self> {
        match (provider, auth) {
            (_, AuthType::OAuth2) => None,
            (ProviderId::Email, AuthType::Password) => Some(Self::Imap),
            (_, AuthType::Password) => Some(Self::WebdavPassword),
            (_, AuthType::Certificate) => Some(Self::WebdavCertificate),
            (_, AuthType::ApiKey) => Some(Self::ApiToken),
        }
    }

    pub fn auth_type(self) -> AuthType {
        match self {
            Self::WebdavPassword | Self::Imap => AuthType::Password,
            Self::WebdavCertificate => AuthType::Certificate,
            Self::ApiToken => AuthType::ApiKey,
        }
    }

    /// The tab label when a provider offers more than one form.
    pub fn label(self) -> &'static str {
        match self {
            Self::WebdavPassword => "Password",
            Self::WebdavCertificate => "Client certificate",
            Self::Imap => "Password",
            Self::ApiToken => "API token",
        }
    }
}

/// How users call an auth type on a provider card.
pub fn auth_label(provider: ProviderId, auth: AuthType) -> &'static str {
    match CredentialKind::for_auth(provider, auth) {
        None => "OAuth",
        Some(kind) => kind.label(),
    }
}

/// The form fields, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    DisplayName,
    ServerUrl,
    Username,
    Password,
    ClientCert,
    ClientKey,
    CaPem,
    Host,
    Port,
    SiteUrl,
    Email,
    ApiToken,
}

/// Field errors, in form order.
pub type FieldErrors = BTreeMap<Field, String>;

/// What the user typed into a credential form. Deliberately not `Debug`: it
/// holds passwords and keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CredentialDraft {
    pub display_name: String,
    pub server_url: String,
    pub username: String,
    pub password: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
    pub ca_pem: String,
    pub host: String,
    pub port: String,
    pub security: ImapSecurity,
    pub site_url: String,
    pub email: String,
    pub api_token: String,
}

/// The usual port for an IMAP security mode.
pub fn default_imap_port(security: ImapSecurity) -> u16 {
    match security {
        ImapSecurity::Tls => 993,
        ImapSecurity::Starttls => 143,
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or_default()
}

fn blank(value: &str) -> bool {
    value.trim().is_empty()
}

impl CredentialDraft {
    /// Problems with the draft, by field; empty when it can be sent.
    pub fn validate(&self, kind: CredentialKind) -> FieldErrors {
        let mut errors = FieldErrors::new();
        let mut check = |field: Field, result: Result<(), String>| {
            if let Err(message) = result {
                errors.entry(field).or_insert(message);
            }
        };
        let required = |value: &str, message: &str| {
            if blank(value) { Err(message.to_string()) } else { Ok(()) }
        };
        if self.display_name.trim().chars().count() > MAX_NAME_CHARS {
            check(Field::DisplayName, Err(format!("Use at most {MAX_NAME_CHARS} characters")));
        }
        match kind {
            CredentialKind::WebdavPassword => {
                check(Field::ServerUrl, required(&self.server_url, "Enter the server URL"));
                check(Field::ServerUrl, validate::http_url(&self.server_url));
                check(Field::Username, required(&self.username, "Enter your user name"));
                check(
                    Field::Password,
                    required(&self.password, "Enter the password or an app token"),
                );
            }
            CredentialKind::WebdavCertificate => {
                check(Field::ServerUrl, required(&self.server_url, "Enter the server URL"));
                check(Field::ServerUrl, validate::http_url(&self.server_url));
                check(
                    Field::ClientCert,
                    required(&self.client_cert_pem, "Paste or load the client certificate"),
                );
                check(Field::ClientCert, validate::pem(&self.client_cert_pem, "CERTIFICATE"));
                check(
                    Field::ClientKey,
                    required(&self.client_key_pem, "Paste or load the private key"),
                );
                check(Field::ClientKey, validate::pem(&self.client_key_pem, "PRIVATE KEY"));
                if !blank(&self.ca_pem) {
                    check(Field::CaPem, validate::pem(&self.ca_pem, "CERTIFICATE"));
                }
            }
            CredentialKind::Imap => {
                check(Field::Host, required(&self.host, "Enter the IMAP server's host name"));
                check(Field::Host, validate::host_name(&self.host));
                check(Field::Port, validate::port_number(&self.port).map(|_| ()));
                check(Field::Username, required(&self.username, "Enter your user name"));
                check(Field::Password, required(&self.password, "Enter the password"));
                if !blank(&self.ca_pem) {
                    check(Field::CaPem, validate::pem(&self.ca_pem, "CERTIFICATE"));
                }
            }
            CredentialKind::ApiToken => {
                check(Field::SiteUrl, required(&self.site_url, "Enter the site URL"));
                check(Field::SiteUrl, validate::http_url(&self.site_url));
                if !blank(&self.email) {
                    check(Field::Email, validate::email(&self.email));
                }
                check(Field::ApiToken, required(&self.api_token, "Enter the API token"));
            }
        }
        errors
    }

    /// The name used when the user leaves "Name" empty, e.g.
    /// `ownCloud / Nextcloud (cloud.example.com)`.
    pub fn suggested_name(&self, kind: CredentialKind, provider: ProviderId) -> String {
        let place = match kind {
            CredentialKind::WebdavPassword | CredentialKind::WebdavCertificate => {
                host_of(&self.server_url).to_string()
            }
            CredentialKind::Imap => self.host.trim().to_string(),
            CredentialKind::ApiToken => host_of(&self.site_url).to_string(),
        };
        let name = provider.display_name();
        if place.is_empty() { name.to_string() } else { format!("{name} ({place})") }
    }

    /// The request for `create_connection` / `test_credentials`. Call after
    /// [`CredentialDraft::validate`] found nothing.
    pub fn to_new_connection(&self, kind: CredentialKind, provider: ProviderId) -> NewConnection {
        let optional_pem =
            |pem: &str| (!blank(pem)).then(|| format!("{}\n", pem.trim_end_matches('\n')));
        let credentials = match kind {
            CredentialKind::WebdavPassword => serde_json::to_value(PasswordCredentials {
                server_url: self.server_url.trim().to_string(),
                username: self.username.trim().to_string(),
                password: SecretText::new(self.password.clone()),
            }),
            CredentialKind::WebdavCertificate => serde_json::to_value(CertificateCredentials {
                server_url: self.server_url.trim().to_string(),
                username: self.username.trim().to_string(),
                client_cert_pem: self.client_cert_pem.trim().to_string(),
                client_key_pem: SecretText::new(self.client_key_pem.trim().to_string()),
                ca_pem: optional_pem(&self.ca_pem),
            }),
            CredentialKind::Imap => serde_json::to_value(ImapCredentials {
                host: self.host.trim().to_string(),
                port: validate::port_number(&self.port)
                    .unwrap_or_else(|_| default_imap_port(self.security)),
                security: self.security,
                username: self.username.trim().to_string(),
                password: SecretText::new(self.password.clone()),
                ca_pem: optional_pem(&self.ca_pem),
            }),
            CredentialKind::ApiToken => serde_json::to_value(ApiTokenCredentials {
                site_url: self.site_url.trim().to_string(),
                email: self.email.trim().to_string(),
                api_token: SecretText::new(self.api_token.trim().to_string()),
            }),
        }
        .unwrap_or_default();
        let display_name = match self.display_name.trim() {
            "" => self.suggested_name(kind, provider),
            name => name.to_string(),
        };
        NewConnection { provider, display_name, auth_type: kind.auth_type(), credentials }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn webdav() -> CredentialDraft {
        CredentialDraft {
            server_url: " https://cloud.example.com/ ".into(),
            username: "alice".into(),
            password: "app-token".into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_auth_type_has_its_form_and_oauth_has_none() {
        use CredentialKind::*;
        assert_eq!(
            CredentialKind::for_auth(ProviderId::OwnCloud, AuthType::Password),
            Some(WebdavPassword)
        );
        assert_eq!(
            CredentialKind::for_auth(ProviderId::OwnCloud, AuthType::Certificate),
            Some(WebdavCertificate)
        );
        assert_eq!(CredentialKind::for_auth(ProviderId::Email, AuthType::Password), Some(Imap));
        assert_eq!(CredentialKind::for_auth(ProviderId::Jira, AuthType::ApiKey), Some(ApiToken));
        assert_eq!(CredentialKind::for_auth(ProviderId::GoogleDrive, AuthType::OAuth2), None);
    }

    #[test]
    fn an_empty_webdav_form_names_every_missing_field() {
        let errors = CredentialDraft::default().validate(CredentialKind::WebdavPassword);
        assert_eq!(errors.get(&Field::ServerUrl).map(String::as_str), Some("Enter the server URL"));
        assert_eq!(errors.get(&Field::Username).map(String::as_str), Some("Enter your user name"));
        assert!(errors.contains_key(&Field::Password));
        assert!(webdav().validate(CredentialKind::WebdavPassword).is_empty());
    }

    #[test]
    fn imap_checks_host_and_port() {
        let draft = CredentialDraft {
            host: "imap.example.com:993".into(),
            port: "70000".into(),
            username: "alice".into(),
            password: "secret".into(),
            ..Default::default()
        };
        let errors = draft.validate(CredentialKind::Imap);
        assert_eq!(
            errors.get(&Field::Host).map(String::as_str),
            Some("Enter the port in the Port field")
        );
        assert_eq!(
            errors.get(&Field::Port).map(String::as_str),
            Some("Enter a port between 1 and 65535")
        );
    }

    #[test]
    fn api_token_email_is_optional_but_checked_when_given() {
        let mut draft = CredentialDraft {
            site_url: "https://acme.atlassian.net".into(),
            api_token: "pat".into(),
            ..Default::default()
        };
        assert!(draft.validate(CredentialKind::ApiToken).is_empty());
        draft.email = "alice".into();
        assert!(draft.validate(CredentialKind::ApiToken).contains_key(&Field::Email));
    }

    #[test]
    fn webdav_draft_becomes_the_documented_request() {
        let request =
            webdav().to_new_connection(CredentialKind::WebdavPassword, ProviderId::OwnCloud);
        assert_eq!(request.display_name, "ownCloud / Nextcloud (cloud.example.com)");
        assert_eq!(request.auth_type, AuthType::Password);
        assert_eq!(
            request.credentials,
            json!({"server_url": "https://cloud.example.com/", "username": "alice", "password": "app-token"})
        );
    }

    #[test]
    fn imap_draft_uses_the_default_port_and_lowercase_security() {
        let draft = CredentialDraft {
            display_name: "Work mail".into(),
            host: "imap.example.com".into(),
            port: "143".into(),
            security: ImapSecurity::Starttls,
            username: "alice".into(),
            password: "secret".into(),
            ..Default::default()
        };
        let request = draft.to_new_connection(CredentialKind::Imap, ProviderId::Email);
        assert_eq!(request.display_name, "Work mail");
        assert_eq!(
            request.credentials,
            json!({"host": "imap.example.com", "port": 143, "security": "starttls",
                   "username": "alice", "password": "secret"})
        );
    }

    #[test]
    fn certificate_draft_sends_pem_blocks_and_omits_an_empty_ca() {
        let draft = CredentialDraft {
            server_url: "https://dav.example.com".into(),
            client_cert_pem: "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n".into(),
            client_key_pem: "-----BEGIN PRIVATE KEY-----\nB\n-----END PRIVATE KEY-----".into(),
            ..Default::default()
        };
        assert!(draft.validate(CredentialKind::WebdavCertificate).is_empty());
        let request =
            draft.to_new_connection(CredentialKind::WebdavCertificate, ProviderId::OwnCloud);
        assert_eq!(request.auth_type, AuthType::Certificate);
        assert!(request.credentials.get("ca_pem").is_none());
        assert_eq!(
            request.credentials["client_key_pem"],
            "-----BEGIN PRIVATE KEY-----\nB\n-----END PRIVATE KEY-----"
        );
    }
}
