//! Connections (`user_connections`) as the UI and the REST API see them: never a secret.

use serde::{Deserialize, Serialize};

use super::{AuthType, ConnectionId, ProviderId, SecretText, Timestamp, UserId};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    /// Tokens expired and could not be refreshed: the user must reconnect.
    Expired,
    /// Access was revoked at the provider (or by the user).
    Revoked,
    /// The last attempt to use the connection failed for another reason.
    Error,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::Expired => "expired",
            ConnectionStatus::Revoked => "revoked",
            ConnectionStatus::Error => "error",
        }
    }

    /// Whether the UI should offer "Reconnect".
    pub fn needs_reconnect(self) -> bool {
        matches!(self, ConnectionStatus::Expired | ConnectionStatus::Revoked)
    }
}

/// OAuth facts that are not secret.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthInfo {
    pub access_token_expires_at: Option<Timestamp>,
    pub scopes: Vec<String>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub user_id: UserId,
    pub provider: ProviderId,
    pub display_name: String,
    pub auth_type: AuthType,
    pub status: ConnectionStatus,
    /// Why the status is not `active`, in words a user understands.
    pub status_message: Option<String>,
    /// Who or where: an e-mail address, `alice @ cloud.example.com`, a server URL.
    pub account: Option<String>,
    pub oauth: Option<OAuthInfo>,
    pub last_validated_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /connections` body. `credentials` is checked against the provider and
/// auth type on the server (see the credential structs below).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewConnection {
    pub provider: ProviderId,
    pub display_name: String,
    pub auth_type: AuthType,
    pub credentials: serde_json::Value,
}

/// ownCloud / Nextcloud / WebDAV with a password or app token.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordCredentials {
    pub server_url: String,
    pub username: String,
    pub password: SecretText,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapSecurity {
    /// TLS from the first byte (usually port 993).
    #[default]
    Tls,
    /// Plain connection upgraded with STARTTLS (usually port 143).
    Starttls,
}

/// IMAP with a password.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapCredentials {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub username: String,
    pub password: SecretText,
    /// PEM of an extra CA to trust (self-hosted servers with their own CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

/// Confluence / Jira with an e-mail address and API token (Cloud) or a
/// personal access token (Server / Data Center, `email` empty).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenCredentials {
    pub site_url: String,
    #[serde(default)]
    pub email: String,
    pub api_token: SecretText,
}

/// WebDAV with a TLS client certificate.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateCredentials {
    pub server_url: String,
    /// Needed for the `/remote.php/dav/files/USER/` convention; optional otherwise.
    #[serde(default)]
    pub username: String,
    pub client_cert_pem: String,
    pub client_key_pem: SecretText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

/// Existing OAuth tokens imported by an operator (`connection add --access-token`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCredentials {
    pub access_token: SecretText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<SecretText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Server of a self-hosted provider (Confluence/Jira Data Center, IMAP host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
}

/// Result of "Test connection".
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTest {
    pub ok: bool,
    pub message: String,
    /// The account the credentials belong to, when the provider says.
    pub account: Option<String>,
    pub latency_ms: u64,
}

/// Kinds of items in the folder picker.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Folder,
    File,
    /// A shared drive or document library.
    Drive,
    /// A SharePoint site.
    Site,
    /// A Confluence space.
    Space,
    /// A Confluence page (pages can have child pages).
    Page,
    /// A Jira project.
    Project,
    /// A saved Jira filter (its JQL chooses the issues).
    Filter,
    /// An IMAP mailbox.
    Mailbox,
}

/// One child in the folder picker.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderEntry {
    pub remote_id: String,
    pub name: String,
    /// Human-readable path from the root, `/`-separated.
    pub path: String,
    pub kind: EntryKind,
    /// Whether the entry can be selected as a source path.
    pub selectable: bool,
    /// Whether expanding it can show children (`None`: unknown until asked).
    pub has_children: Option<bool>,
    /// Files directly inside, when the provider gives it cheaply.
    pub file_count: Option<u64>,
    pub size: Option<u64>,
    pub modified_at: Option<Timestamp>,
}

/// A breadcrumb: where the listed folder sits.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crumb {
    pub remote_id: Option<String>,
    pub name: String,
}

/// `GET /connections/{id}/browse`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowseResult {
    /// The folder listed (`None`: the root).
    pub folder: Option<String>,
    pub breadcrumbs: Vec<Crumb>,
    pub entries: Vec<FolderEntry>,
}

/// What deleting a connection removes; shown in the confirmation dialog.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionImpact {
    pub sync_configurations: u64,
    pub documents: u64,
    /// Running or pending jobs that will be cancelled.
    pub active_jobs: u64,
    /// Whether the provider will be asked to revoke our tokens.
    pub revokes_tokens: bool,
}
