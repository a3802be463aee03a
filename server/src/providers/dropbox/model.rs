//! Dropbox API v2 wire types (Stone `files` namespace): tagged metadata
//! entries, list-folder arguments and results, the account, and the error
//! envelopes. Only the fields the provider reads.

use serde::{Deserialize, Serialize};

/// A `Metadata` union member as `ListFolderResult.entries` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = ".tag", rename_all = "lowercase")]
pub enum DropboxEntry {
    File(DropboxFileMetadata),
    Folder(DropboxFolderMetadata),
    Deleted(DropboxDeletedMetadata),
    /// A tag this client does not know: skipped.
    #[serde(other)]
    Other,
}

impl DropboxEntry {
    pub fn path_lower(&self) -> Option<&str> {
        match self {
            DropboxEntry::File(f) => f.path_lower.as_deref(),
            DropboxEntry::Folder(f) => f.path_lower.as_deref(),
            DropboxEntry::Deleted(d) => d.path_lower.as_deref(),
            DropboxEntry::Other => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxFileMetadata {
    pub name: String,
    pub id: String,
    pub server_modified: Option<String>,
    pub rev: Option<String>,
    #[serde(default)]
    pub size: u64,
    /// Missing for items outside the user's view (mounted elsewhere).
    pub path_lower: Option<String>,
    pub path_display: Option<String>,
    #[serde(default = "default_true")]
    pub is_downloadable: bool,
    pub content_hash: Option<String>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxFolderMetadata {
    pub name: String,
    pub id: String,
    pub path_lower: Option<String>,
    pub path_display: Option<String>,
}

/// Only a path: a deleted file or folder (a folder takes everything below).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxDeletedMetadata {
    pub name: String,
    pub path_lower: Option<String>,
    pub path_display: Option<String>,
}

/// `files/list_folder` and `files/list_folder/get_latest_cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DropboxListFolderArg<'a> {
    /// `""` for the root, a path, or `id:…`.
    pub path: &'a str,
    pub recursive: bool,
    pub include_deleted: bool,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DropboxCursorArg<'a> {
    pub cursor: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DropboxPathArg<'a> {
    pub path: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxListFolderResult {
    pub entries: Vec<DropboxEntry>,
    pub cursor: String,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxCursorResult {
    pub cursor: String,
}

/// `users/get_current_account` (the part we show).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxAccount {
    pub email: Option<String>,
    pub name: Option<DropboxName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxName {
    pub display_name: Option<String>,
}

/// A route error (409), and the body of 401 / 429 answers:
/// `{"error_summary", "error": {".tag": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxErrorResponse {
    #[serde(default)]
    pub error_summary: String,
    #[serde(default)]
    pub error: serde_json::Value,
    pub user_message: Option<DropboxUserMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DropboxUserMessage {
    pub text: String,
}

impl DropboxErrorResponse {
    /// The chain of tags, outermost first: `path/not_found` → `["path", "not_found"]`.
    pub fn tags(&self) -> Vec<String> {
        let mut tags = Vec::new();
        let mut current = &self.error;
        while let Some(tag) = current.get(".tag").and_then(|t| t.as_str()) {
            tags.push(tag.to_string());
            match current.get(tag) {
                Some(inner) if inner.is_object() => current = inner,
                _ => break,
            }
        }
        tags
    }

    /// `retry_after` of a 429's `RateLimitError`, in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.error.get("retry_after").and_then(|v| v.as_u64())
    }
}
