//! The provider catalogue (`data_source_providers`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Provider ids, as in the client design. These strings are a stable interface.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProviderId {
    #[serde(rename = "google_drive")]
    GoogleDrive,
    #[serde(rename = "onedrive")]
    OneDrive,
    #[serde(rename = "sharepoint")]
    SharePoint,
    #[serde(rename = "dropbox")]
    Dropbox,
    #[serde(rename = "owncloud")]
    OwnCloud,
    #[serde(rename = "confluence")]
    Confluence,
    #[serde(rename = "jira")]
    Jira,
    #[serde(rename = "email")]
    Email,
}

impl ProviderId {
    pub const ALL: [ProviderId; 8] = [
        ProviderId::GoogleDrive,
        ProviderId::OneDrive,
        ProviderId::SharePoint,
        ProviderId::Dropbox,
        ProviderId::OwnCloud,
        ProviderId::Confluence,
        ProviderId::Jira,
        ProviderId::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderId::GoogleDrive => "google_drive",
            ProviderId::OneDrive => "onedrive",
            ProviderId::SharePoint => "sharepoint",
            ProviderId::Dropbox => "dropbox",
            ProviderId::OwnCloud => "owncloud",
            ProviderId::Confluence => "confluence",
            ProviderId::Jira => "jira",
            ProviderId::Email => "email",
        }
    }

    /// The name users see.
    pub fn display_name(self) -> &'static str {
        match self {
            ProviderId::GoogleDrive => "Google Drive",
            ProviderId::OneDrive => "OneDrive",
            ProviderId::SharePoint => "SharePoint",
            ProviderId::Dropbox => "Dropbox",
            ProviderId::OwnCloud => "ownCloud / Nextcloud",
            ProviderId::Confluence => "Confluence",
            ProviderId::Jira => "Jira",
            ProviderId::Email => "E-mail (IMAP)",
        }
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderId::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown provider {s:?}"))
    }
}

/// How a connection authenticates.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthType {
    #[serde(rename = "oauth2")]
    OAuth2,
    Password,
    ApiKey,
    Certificate,
}

impl AuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::OAuth2 => "oauth2",
            AuthType::Password => "password",
            AuthType::ApiKey => "api_key",
            AuthType::Certificate => "certificate",
        }
    }
}

/// What a provider can do; drives both the engine and the UI.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// A native change feed (delta/changes/cursor) rather than a tree walk.
    pub delta: bool,
    /// Deletions are reported by the change feed (otherwise found by a sweep).
    pub reports_deletions: bool,
    /// Items keep their id across renames and moves.
    pub stable_ids: bool,
    /// The folder picker can show a file count per folder cheaply.
    pub folder_counts: bool,
    /// Tokens can be revoked at the provider when a connection is deleted.
    pub revocation: bool,
    /// Documents that are not files (pages, issues, messages) are synced.
    pub structured_content: bool,
}

/// One entry of the provider catalogue.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    pub id: ProviderId,
    pub name: String,
    pub description: String,
    pub auth_types: Vec<AuthType>,
    pub capabilities: Capabilities,
    /// True when the operator configured an OAuth client, so "Connect" can work.
    pub oauth_configured: bool,
    /// What the folder picker calls its top-level items ("Folders", "Spaces", "Mailboxes").
    pub container_label: String,
}
