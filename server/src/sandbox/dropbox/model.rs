//! Dropbox v2 structures as JSON (tagged `Metadata` entries, route arguments and results,
//! the account) and the route-error envelope.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A `Metadata` union member as it appears in `ListFolderResult.entries`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = ".tag", rename_all = "lowercase")]
pub enum DropboxEntry {
    File(DropboxFileMetadata),
    Folder(DropboxFolderMetadata),
    Deleted(DropboxDeletedMetadata),
}

impl DropboxEntry {
    pub fn path_lower(&self) -> Option<&str> {
        match self {
            DropboxEntry::File(f) => f.path_lower.as_deref(),
            DropboxEntry::Folder(f) => f.path_lower.as_deref(),
            DropboxEntry::Deleted(d) => d.path_lower.as_deref(),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            DropboxEntry::File(f) => &f.name,
            DropboxEntry::Folder(f) => &f.name,
            DropboxEntry::Deleted(d) => &d.name,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxFileMetadata {
    pub name: String,
    pub id: String,
    pub client_modified: String,
    pub server_modified: String,
    pub rev: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_lower: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_display: Option<String>,
    #[serde(default = "default_true")]
    pub is_downloadable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
}

fn default_true() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxFolderMetadata {
    pub name: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_lower: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_display: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxDeletedMetadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_lower: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_display: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxListFolderResult {
    pub entries: Vec<DropboxEntry>,
    pub cursor: String,
    pub has_more: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DropboxListFolderArg {
    pub path: String,
    pub recursive: bool,
    pub include_deleted: bool,
    pub include_mounted_folders: bool,
    pub include_non_downloadable_files: bool,
    pub include_media_info: bool,
    pub include_has_explicit_shared_members: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl Default for DropboxListFolderArg {
    fn default() -> Self {
        Self {
            path: String::new(),
            recursive: false,
            include_deleted: false,
            include_mounted_folders: true,
            include_non_downloadable_files: true,
            include_media_info: false,
            include_has_explicit_shared_members: false,
            limit: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxListFolderContinueArg {
    pub cursor: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxCursorResult {
    pub cursor: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DropboxGetMetadataArg {
    pub path: String,
    pub include_deleted: bool,
    pub include_media_info: bool,
    pub include_has_explicit_shared_members: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxDownloadArg {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
}

/// A route error: HTTP 409 with `{"error_summary", "error": {".tag": …}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxErrorResponse {
    pub error_summary: String,
    pub error: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxName {
    pub given_name: String,
    pub surname: String,
    pub familiar_name: String,
    pub display_name: String,
    pub abbreviated_name: String,
}

/// `users/get_current_account` (FullAccount, the fields the sandbox fills in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropboxAccount {
    pub account_id: String,
    pub name: DropboxName,
    pub email: String,
    pub email_verified: bool,
    pub disabled: bool,
    pub locale: String,
    pub referral_link: String,
    pub is_paired: bool,
    pub account_type: Value,
    pub root_info: Value,
    pub country: String,
}
