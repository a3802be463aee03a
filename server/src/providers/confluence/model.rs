//! The Confluence REST v1 shapes the provider reads (`Content`, `ContentArray`, `Space`,
//! `SpaceArray`, `User` in the v1 OpenAPI); unknown fields are ignored.

use serde::{Deserialize, Deserializer};

/// Content ids are strings; space ids (a space can be a `container`) are numbers.
fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfluenceLinks {
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub webui: Option<String>,
    #[serde(default)]
    pub download: Option<String>,
}

/// `ContentArray` and `SpaceArray`.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfluenceArray<T> {
    pub results: Vec<T>,
    #[serde(default, rename = "_links")]
    pub links: ConfluenceLinks,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfluenceSpace {
    pub key: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "_links")]
    pub links: ConfluenceLinks,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfluenceVersion {
    pub number: u64,
    #[serde(default)]
    pub when: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfluenceRef {
    #[serde(deserialize_with = "id")]
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfluenceStorage {
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfluenceBody {
    #[serde(default)]
    pub storage: Option<ConfluenceStorage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfluenceExtensions {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfluenceMetadata {
    #[serde(default)]
    pub media_type: Option<String>,
}

/// `Content`: a page, blog post or attachment, with what `expand` asked for.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfluenceContent {
    #[serde(deserialize_with = "id")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub space: Option<ConfluenceSpace>,
    #[serde(default)]
    pub version: Option<ConfluenceVersion>,
    #[serde(default)]
    pub ancestors: Option<Vec<ConfluenceRef>>,
    #[serde(default)]
    pub container: Option<ConfluenceRef>,
    #[serde(default)]
    pub body: Option<ConfluenceBody>,
    #[serde(default)]
    pub extensions: Option<ConfluenceExtensions>,
    #[serde(default)]
    pub metadata: Option<ConfluenceMetadata>,
    #[serde(default, rename = "_links")]
    pub links: ConfluenceLinks,
}

/// `GET /wiki/rest/api/user/current`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfluenceUser {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub public_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}
