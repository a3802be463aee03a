//! The Jira platform REST shapes the provider reads (`SearchAndReconcileResults`,
//! `SearchResults`, `IssueBean`, `Attachment`, `PageBeanProject`, `User`); unknown fields are
//! ignored.

use serde::Deserialize;

/// `POST /rest/api/3/search/jql` (Cloud) and `POST /rest/api/2/search` (Data Center).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JiraSearch {
    #[serde(default)]
    pub issues: Vec<JiraIssue>,
    /// Cloud: the token of the next page.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Cloud: whether this is the last page.
    #[serde(default)]
    pub is_last: Option<bool>,
    /// Data Center: `startAt` paging.
    #[serde(default)]
    pub start_at: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JiraIssue {
    pub id: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub fields: JiraFields,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct JiraFields {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub updated: Option<String>,
    #[serde(default)]
    pub project: Option<JiraProject>,
    #[serde(default)]
    pub attachment: Option<Vec<JiraAttachment>>,
    #[serde(default)]
    pub issuetype: Option<JiraNamed>,
    #[serde(default)]
    pub status: Option<JiraNamed>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JiraNamed {
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JiraProject {
    #[serde(default)]
    pub id: String,
    pub key: String,
    #[serde(default)]
    pub name: String,
}

/// A saved filter (`GET /filter/favourite`, `GET /filter/{id}`).
#[derive(Debug, Deserialize)]
pub struct JiraFilter {
    /// A string in the spec; read leniently as attachment ids are.
    pub id: serde_json::Value,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub jql: String,
}

impl JiraFilter {
    pub fn id(&self) -> String {
        match &self.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JiraAttachment {
    pub id: serde_json::Value,
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
}

impl JiraAttachment {
    /// Ids are strings in search results and numbers in `GET /attachment/{id}`.
    pub fn id(&self) -> String {
        match &self.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// `GET /rest/api/3/project/search`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JiraProjectPage {
    #[serde(default)]
    pub values: Vec<JiraProject>,
    #[serde(default)]
    pub is_last: Option<bool>,
    #[serde(default)]
    pub start_at: u64,
}

/// `GET /rest/api/3/myself`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JiraUser {
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}
