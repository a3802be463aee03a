//! Microsoft Graph wire types: only the fields the provider reads, every one
//! optional where the docs say a field may be missing (delta omits
//! `parentReference.path`; deleted items lose `name`, `cTag` and `size`).

use serde::Deserialize;

/// A `driveItem`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphItem {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "eTag")]
    pub e_tag: Option<String>,
    #[serde(rename = "cTag")]
    pub c_tag: Option<String>,
    pub size: Option<u64>,
    pub last_modified_date_time: Option<String>,
    pub web_url: Option<String>,
    pub parent_reference: Option<GraphItemReference>,
    pub file: Option<GraphFileFacet>,
    pub folder: Option<GraphFolderFacet>,
    /// Present (empty) on a drive's root folder.
    pub root: Option<serde_json::Value>,
    /// Present on items deleted since the delta token.
    pub deleted: Option<serde_json::Value>,
    /// OneNote notebooks and other packages: folders to the user, not files we can read.
    pub package: Option<serde_json::Value>,
}

impl GraphItem {
    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }

    pub fn is_folder(&self) -> bool {
        self.folder.is_some() || self.root.is_some()
    }

    pub fn parent_id(&self) -> Option<&str> {
        self.parent_reference.as_ref()?.id.as_deref()
    }

    /// What changes exactly when the content changes: the QuickXorHash (the one
    /// hash on both OneDrive for Business and Personal), else the cTag, else the eTag.
    pub fn version(&self) -> Option<String> {
        self.file
            .as_ref()
            .and_then(|f| f.hashes.as_ref())
            .and_then(|h| h.quick_xor_hash.clone())
            .or_else(|| self.c_tag.clone())
            .or_else(|| self.e_tag.clone())
    }
}

/// `itemReference`: where an item sits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphItemReference {
    pub drive_id: Option<String>,
    pub id: Option<String>,
    /// `/drive/root:/Docs` or `/drives/{id}/root:/Docs`; never returned by delta.
    pub path: Option<String>,
    pub site_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphFileFacet {
    pub mime_type: Option<String>,
    pub hashes: Option<GraphHashes>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphHashes {
    pub quick_xor_hash: Option<String>,
    pub sha1_hash: Option<String>,
    pub sha256_hash: Option<String>,
    pub crc32_hash: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphFolderFacet {
    /// Files and folders directly inside.
    pub child_count: Option<u64>,
}

/// A page of a collection: children, delta, sites, drives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphPage<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

/// A drive: the user's OneDrive or a SharePoint document library.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphDrive {
    pub id: String,
    pub name: Option<String>,
    pub drive_type: Option<String>,
    pub web_url: Option<String>,
    pub last_modified_date_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphSite {
    pub id: String,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub web_url: Option<String>,
    pub last_modified_date_time: Option<String>,
}

impl GraphSite {
    pub fn label(&self) -> String {
        self.display_name.clone().or_else(|| self.name.clone()).unwrap_or_else(|| self.id.clone())
    }
}

/// `GET /me`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphUser {
    pub display_name: Option<String>,
    pub mail: Option<String>,
    pub user_principal_name: Option<String>,
}

/// `{"error": {"code", "message", "innererror"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphErrorResponse {
    pub error: GraphError,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    /// Spelled `innererror` in the docs and `innerError` in real answers.
    #[serde(alias = "innerError")]
    pub innererror: Option<GraphInnerError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphInnerError {
    pub code: Option<String>,
}
