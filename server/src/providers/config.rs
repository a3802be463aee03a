//! Provider endpoints and OAuth clients: each provider's documented defaults,
//! the sandbox's in demo mode, and the operator's `providers.<id>.*` settings
//! on top.

use app::model::ProviderId;
use secrecy::SecretString;

use super::OAuthSpec;
use crate::config::{ProviderSettings, Settings};

/// The OAuth client the sandbox registers for a provider in demo mode.
#[cfg(feature = "sandbox")]
fn demo_client(id: ProviderId) -> Option<(&'static str, &'static str)> {
    use crate::sandbox::{Provider, demo_client};
    let provider = match id {
        ProviderId::GoogleDrive => Provider::Google,
        ProviderId::OneDrive | ProviderId::SharePoint => Provider::Microsoft,
        ProviderId::Dropbox => Provider::Dropbox,
        _ => return None,
    };
    let client = demo_client(provider);
    Some((client.client_id, client.client_secret))
}

#[cfg(not(feature = "sandbox"))]
fn demo_client(_id: ProviderId) -> Option<(&'static str, &'static str)> {
    None
}

/// A provider's documented endpoints and OAuth parameters.
struct Defaults {
    api_base: &'static str,
    content_base: Option<&'static str>,
    auth_url: Option<&'static str>,
    token_url: Option<&'static str>,
    revoke_url: Option<&'static str>,
    scopes: &'static [&'static str],
    extra_auth_params: &'static [(&'static str, &'static str)],
    /// Where the sandbox serves this provider, under `/sandbox`.
    sandbox: Option<SandboxPaths>,
    /// Requests per second per account (0: unlimited).
    requests_per_second: f64,
}

struct SandboxPaths {
    api: &'static str,
    content: Option<&'static str>,
    auth: &'static str,
    token: &'static str,
    revoke: Option<&'static str>,
}

fn defaults(id: ProviderId) -> Defaults {
    match id {
        ProviderId::GoogleDrive => Defaults {
            api_base: "https://www.googleapis.com",
            content_base: None,
            auth_url: Some("https://accounts.google.com/o/oauth2/v2/auth"),
            token_url: Some("https://oauth2.googleapis.com/token"),
            revoke_url: Some("https://oauth2.googleapis.com/revoke"),
            scopes: &["https://www.googleapis.com/auth/drive.readonly"],
            // offline + consent: Google only returns a refresh token this way.
            extra_auth_params: &[("access_type", "offline"), ("prompt", "consent")],
            sandbox: Some(SandboxPaths {
                api: "/google",
                content: None,
                auth: "/google/o/oauth2/v2/auth",
                token: "/google/token",
                revoke: Some("/google/revoke"),
            }),
            requests_per_second: 20.0,
        },
        ProviderId::OneDrive | ProviderId::SharePoint => Defaults {
            api_base: "https://graph.microsoft.com",
            content_base: None,
            auth_url: Some("https://login.microsoftonline.com/common/oauth2/v2.0/authorize"),
            token_url: Some("https://login.microsoftonline.com/common/oauth2/v2.0/token"),
            // Microsoft has no token revocation endpoint for these tokens.
            revoke_url: None,
            scopes: if id == ProviderId::SharePoint {
                &["offline_access", "User.Read", "Files.Read.All", "Sites.Read.All"]
            } else {
                &["offline_access", "User.Read", "Files.Read.All"]
            },
            extra_auth_params: &[],
            sandbox: Some(SandboxPaths {
                api: "/microsoft",
                content: None,
                auth: "/microsoft/common/oauth2/v2.0/authorize",
                token: "/microsoft/common/oauth2/v2.0/token",
                revoke: None,
            }),
            requests_per_second: 20.0,
        },
        ProviderId::Dropbox => Defaults {
            api_base: "https://api.dropboxapi.com",
            content_base: Some("https://content.dropboxapi.com"),
            auth_url: Some("https://www.dropbox.com/oauth2/authorize"),
            token_url: Some("https://api.dropboxapi.com/oauth2/token"),
            revoke_url: Some("https://api.dropboxapi.com/2/auth/token/revoke"),
            scopes: &["account_info.read", "files.metadata.read", "files.content.read"],
            extra_auth_params: &[("token_access_type", "offline")],
            sandbox: Some(SandboxPaths {
                api: "/dropbox/api",
                content: Some("/dropbox/content"),
                auth: "/dropbox/oauth2/authorize",
                token: "/dropbox/api/oauth2/token",
                revoke: Some("/dropbox/api/2/auth/token/revoke"),
            }),
            requests_per_second: 20.0,
        },
        ProviderId::Confluence | ProviderId::Jira => Defaults {
            api_base: "https://api.atlassian.com",
            content_base: None,
            auth_url: Some("https://auth.atlassian.com/authorize"),
            token_url: Some("https://auth.atlassian.com/oauth/token"),
            revoke_url: None,
            scopes: if id == ProviderId::Jira {
                &["read:jira-work", "read:jira-user", "offline_access"]
            } else {
                &[
                    "read:confluence-content.all",
                    "read:confluence-space.summary",
                    "search:confluence",
                    "offline_access",
                ]
            },
            extra_auth_params: &[("audience", "api.atlassian.com"), ("prompt", "consent")],
            sandbox: Some(SandboxPaths {
                api: "/atlassian",
                content: None,
                auth: "/atlassian/authorize",
                token: "/atlassian/oauth/token",
                revoke: None,
            }),
            requests_per_second: 10.0,
        },
        ProviderId::OwnCloud => Defaults {
            api_base: "",
            content_base: None,
            auth_url: None,
            token_url: None,
            revoke_url: None,
            scopes: &[],
            extra_auth_params: &[],
            sandbox: None,
            // Self-hosted servers: as fast as the server answers.
            requests_per_second: 0.0,
        },
        ProviderId::Email => Defaults {
            api_base: "",
            content_base: None,
            // XOAUTH2 needs an operator-configured identity provider.
            auth_url: None,
            token_url: None,
            revoke_url: None,
            scopes: &[],
            extra_auth_params: &[],
            sandbox: None,
            requests_per_second: 0.0,
        },
    }
}

/// A provider's effective endpoints and OAuth client.
#[derive(Debug, Clone)]
pub struct ResolvedProvider {
    pub id: ProviderId,
    pub api_base: String,
    pub content_base: Option<String>,
    pub oauth: Option<OAuthSpec>,
    pub requests_per_second: f64,
}

/// Resolves a provider's configuration: documented defaults, then the sandbox
/// (demo mode), then `providers.<id>.*`.
pub fn resolve(settings: &Settings, id: ProviderId) -> ResolvedProvider {
    let d = defaults(id);
    let empty = ProviderSettings::default();
    let custom = settings.providers.get(id.as_str()).unwrap_or(&empty);
    let sandbox_base = format!("{}/sandbox", settings.public_url());
    // Demo mode points providers at the sandbox when this build has one.
    let sandbox = d.sandbox.as_ref().filter(|_| settings.demo && cfg!(feature = "sandbox"));
    let pick = |configured: &Option<String>, sandboxed: Option<String>, default: Option<&str>| {
        configured.clone().or(sandboxed).or(default.map(str::to_string))
    };

    let api_base = pick(
        &custom.api_base,
        sandbox.map(|s| format!("{sandbox_base}{}", s.api)),
        Some(d.api_base),
    )
    .unwrap_or_default();
    let content_base = pick(
        &custom.content_base,
        sandbox.and_then(|s| s.content).map(|c| format!("{sandbox_base}{c}")),
        d.content_base,
    );
    let auth_url =
        pick(&custom.auth_url, sandbox.map(|s| format!("{sandbox_base}{}", s.auth)), d.auth_url);
    let token_url =
        pick(&custom.token_url, sandbox.map(|s| format!("{sandbox_base}{}", s.token)), d.token_url);
    let revoke_url = pick(
        &custom.revoke_url,
        sandbox.and_then(|s| s.revoke).map(|r| format!("{sandbox_base}{r}")),
        d.revoke_url,
    );
    let (client_id, client_secret) = match (&custom.client_id, sandbox.and(demo_client(id))) {
        (Some(id), _) => (Some(id.clone()), custom.client_secret.clone()),
        (None, Some((demo_id, demo_secret))) => {
            (Some(demo_id.to_string()), Some(SecretString::from(demo_secret)))
        }
        (None, None) => (None, None),
    };
    let oauth = match (client_id, auth_url, token_url) {
        (Some(client_id), Some(auth_url), Some(token_url)) => Some(OAuthSpec {
            client_id,
            client_secret,
            auth_url,
            token_url,
            revoke_url,
            scopes: custom
                .scopes
                .clone()
                .unwrap_or_else(|| d.scopes.iter().map(|s| s.to_string()).collect()),
            extra_auth_params: d
                .extra_auth_params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }),
        _ => None,
    };
    ResolvedProvider {
        id,
        api_base: api_base.trim_end_matches('/').to_string(),
        content_base: content_base.map(|c| c.trim_end_matches('/').to_string()),
        oauth,
        requests_per_second: custom.requests_per_second.unwrap_or(if settings.demo {
            0.0
        } else {
            d.requests_per_second
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_without_a_client_mean_no_oauth() {
        let settings = Settings::for_tests(std::path::Path::new("/tmp"));
        let drive = resolve(&settings, ProviderId::GoogleDrive);
        assert_eq!(drive.api_base, "https://www.googleapis.com");
        assert!(drive.oauth.is_none(), "no client configured");
    }

    #[test]
    fn demo_mode_points_at_the_sandbox_and_configuration_wins() {
        let mut settings = Settings::for_tests(std::path::Path::new("/tmp"));
        settings.demo = true;
        settings.server.public_url = "http://127.0.0.1:3000".into();
        let dropbox = resolve(&settings, ProviderId::Dropbox);
        assert_eq!(dropbox.api_base, "http://127.0.0.1:3000/sandbox/dropbox/api");
        assert_eq!(
            dropbox.content_base.as_deref(),
            Some("http://127.0.0.1:3000/sandbox/dropbox/content")
        );
        let oauth = dropbox.oauth.unwrap();
        assert_eq!(oauth.client_id, "sandboxdropboxapp");
        assert_eq!(oauth.token_url, "http://127.0.0.1:3000/sandbox/dropbox/api/oauth2/token");
        assert_eq!(
            oauth.extra_auth_params,
            vec![("token_access_type".to_string(), "offline".to_string())]
        );

        settings.providers.insert(
            "dropbox".into(),
            ProviderSettings {
                client_id: Some("real-app".into()),
                token_url: Some("https://idp.example.com/token".into()),
                scopes: Some(vec!["files.content.read".into()]),
                ..Default::default()
            },
        );
        let oauth = resolve(&settings, ProviderId::Dropbox).oauth.unwrap();
        assert_eq!(oauth.client_id, "real-app");
        assert_eq!(oauth.token_url, "https://idp.example.com/token");
        assert_eq!(oauth.scopes, vec!["files.content.read".to_string()]);
        assert_eq!(oauth.auth_url, "http://127.0.0.1:3000/sandbox/dropbox/oauth2/authorize");
    }
}
