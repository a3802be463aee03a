//! Drive v3 resources as the provider reads them (`File`, `FileList`, `Change`,
//! `ChangeList`, `StartPageToken`, `Drive`, `DriveList`, `About`) and the error
//! envelope, following the discovery document in
//! `shared/reference/api-specs/google-drive/`, plus how Google-native files are
//! exported ([`native_export`]).
//!
//! Only the fields the provider asks for are modelled; everything is optional
//! or defaulted, because `fields` selectors decide what comes back. int64
//! values (`size`, `version`) travel as JSON strings.

use serde::Deserialize;

/// The folder MIME type.
pub const FOLDER_MIME: &str = "application/vnd.google-apps.folder";
/// Prefix of every Google-native type (Docs, Sheets, Forms, shortcuts…).
pub const GOOGLE_APPS_PREFIX: &str = "application/vnd.google-apps.";

/// int64 fields: Drive sends strings; numbers are accepted too.
mod int64 {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Int64 {
        Text(String),
        Number(u64),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<Int64>::deserialize(d)? {
            None => Ok(None),
            Some(Int64::Number(n)) => Ok(Some(n)),
            Some(Int64::Text(text)) => {
                text.trim().parse().map(Some).map_err(|_| {
                    serde::de::Error::custom(format!("{text:?} is not an int64 string"))
                })
            }
        }
    }
}

/// A `File` resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveFile {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mime_type: String,
    /// Drive items have at most one parent (since 2020); absent for roots and
    /// for items whose parent the user cannot see.
    #[serde(default)]
    pub parents: Vec<String>,
    #[serde(default, with = "int64")]
    pub size: Option<u64>,
    #[serde(default)]
    pub modified_time: Option<String>,
    /// Binary content only (not for Google-native files or shortcuts).
    #[serde(default)]
    pub md5_checksum: Option<String>,
    /// Binary content only.
    #[serde(default)]
    pub head_revision_id: Option<String>,
    /// Grows with every change to the file, metadata included.
    #[serde(default, with = "int64")]
    pub version: Option<u64>,
    #[serde(default)]
    pub web_view_link: Option<String>,
    #[serde(default)]
    pub trashed: bool,
    /// Set for items in shared drives.
    #[serde(default)]
    pub drive_id: Option<String>,
}

impl GdriveFile {
    pub fn is_folder(&self) -> bool {
        self.mime_type == FOLDER_MIME
    }

    pub fn parent(&self) -> Option<&str> {
        self.parents.first().map(String::as_str)
    }
}

/// A page of `files.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveFileList {
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Drive could not search every corpus; only possible with `corpora=allDrives`,
    /// which the provider never uses.
    #[serde(default)]
    pub incomplete_search: bool,
    #[serde(default)]
    pub files: Vec<GdriveFile>,
}

/// One entry of `changes.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveChange {
    /// `file` or `drive` (a shared drive's own metadata changed).
    #[serde(default)]
    pub change_type: Option<String>,
    #[serde(default)]
    pub file_id: Option<String>,
    /// Deleted for good, or access lost; `file` is then absent.
    #[serde(default)]
    pub removed: bool,
    #[serde(default)]
    pub file: Option<GdriveFile>,
    #[serde(default)]
    pub drive_id: Option<String>,
    #[serde(default)]
    pub time: Option<String>,
}

/// A page of `changes.list`: `nextPageToken` while more pages follow,
/// `newStartPageToken` on the last one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveChangeList {
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub new_start_page_token: Option<String>,
    #[serde(default)]
    pub changes: Vec<GdriveChange>,
}

/// `changes.getStartPageToken`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveStartPageToken {
    #[serde(default)]
    pub start_page_token: Option<String>,
}

/// A shared drive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveDrive {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub hidden: bool,
}

/// A page of `drives.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveDriveList {
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub drives: Vec<GdriveDrive>,
}

/// `about.get?fields=user`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveAbout {
    #[serde(default)]
    pub user: Option<GdriveUser>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveUser {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
}

/// `{"error": {"code", "message", "errors": [{"domain", "reason", …}]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GdriveErrorResponse {
    pub error: GdriveErrorBody,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GdriveErrorBody {
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub errors: Vec<GdriveErrorItem>,
    /// The v2 error format's status (`UNAUTHENTICATED`, `PERMISSION_DENIED`…).
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GdriveErrorItem {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// The parameter the error is about (`pageToken`, `fileId`, `q`…).
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub location_type: Option<String>,
}

/// The text format a Google-native file is exported to, or `None` when it has
/// no text export we index (Forms, Drawings, Sites, shortcuts, folders…).
///
/// Docs and Slides go to plain text (every Docs Editors export supports it,
/// and Drive's limit of 10 MB per export goes furthest with text), Sheets to
/// CSV (Drive exports the first sheet).
pub fn native_export(mime_type: &str) -> Option<&'static str> {
    match mime_type {
        "application/vnd.google-apps.document" => Some("text/plain"),
        "application/vnd.google-apps.spreadsheet" => Some("text/csv"),
        "application/vnd.google-apps.presentation" => Some("text/plain"),
        _ => None,
    }
}

/// Whether a MIME type is Google-native (no bytes of its own to download).
pub fn is_native(mime_type: &str) -> bool {
    mime_type.starts_with(GOOGLE_APPS_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_strings_and_numbers_both_parse() {
        let file: GdriveFile = serde_json::from_str(
            r#"{"id":"1","size":"123","version":"7","parents":["p"],"trashed":true}"#,
        )
        .unwrap();
        assert_eq!(
            (file.size, file.version, file.parent(), file.trashed),
            (Some(123), Some(7), Some("p"), true)
        );
        let file: GdriveFile = serde_json::from_str(r#"{"id":"1","size":9}"#).unwrap();
        assert_eq!(file.size, Some(9));
        assert!(serde_json::from_str::<GdriveFile>(r#"{"id":"1","size":"many"}"#).is_err());
    }

    #[test]
    fn native_files_export_to_text_and_the_rest_is_unsupported() {
        assert_eq!(native_export("application/vnd.google-apps.document"), Some("text/plain"));
        assert_eq!(native_export("application/vnd.google-apps.spreadsheet"), Some("text/csv"));
        assert_eq!(native_export("application/vnd.google-apps.presentation"), Some("text/plain"));
        assert_eq!(native_export("application/vnd.google-apps.form"), None);
        assert_eq!(native_export("application/vnd.google-apps.shortcut"), None);
        assert_eq!(native_export("application/pdf"), None);
        assert!(is_native("application/vnd.google-apps.drawing"));
        assert!(!is_native("text/plain"));
    }
}
