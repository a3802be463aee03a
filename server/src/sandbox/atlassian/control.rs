//! Controlling an Atlassian site: API tokens, settings (search lag), spaces, pages, blog posts
//! and attachments, projects, issues, comments and issue attachments — as Rust methods
//! ([`AtlassianAccount`]) and as JSON under `/_control/atlassian/{username}/…`. Faults,
//! counters, token expiry and OAuth tokens are the generic account controls
//! (`/_control/accounts/atlassian/{username}/…`, [`AtlassianAccount::account`]).

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::confluence::content_id;
use super::site::{AtlassianSite, ContentType, SiteSettings};
use crate::sandbox::accounts::AccountHandle;
use crate::sandbox::control::SandboxAccount;
use crate::sandbox::state::SandboxError;
use crate::sandbox::{Provider, Sandbox, util};

/// A page, blog post or attachment as the control API reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    /// `123` for pages and blog posts, `att123` for attachments (as the REST API has them).
    pub id: String,
    pub kind: ContentType,
    pub space_key: String,
    pub title: String,
    /// The parent page, or an attachment's page.
    pub parent_id: Option<String>,
    pub version: u32,
    pub modified_ms: i64,
}

/// An issue as the control API reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueInfo {
    pub id: String,
    pub key: String,
    pub summary: String,
    pub updated_ms: i64,
    /// `(id, filename)` of each attachment.
    pub attachments: Vec<(String, String)>,
}

/// Control handle of one Atlassian account and its site.
#[derive(Clone)]
pub struct AtlassianAccount {
    sandbox: Sandbox,
    handle: Arc<AccountHandle>,
}

impl Sandbox {
    /// The Atlassian account `username` (created and seeded on first use).
    pub fn atlassian(&self, username: &str) -> Result<AtlassianAccount, SandboxError> {
        let handle = self.account_handle(Provider::Atlassian, username)?;
        Ok(AtlassianAccount { sandbox: self.clone(), handle })
    }
}

fn numeric(id: &str) -> Result<u64, SandboxError> {
    id.strip_prefix("att").unwrap_or(id).parse().map_err(|_| SandboxError::NotFound(id.to_string()))
}

impl AtlassianAccount {
    /// The generic controls: faults, request counters, OAuth tokens, token expiry.
    pub fn account(&self) -> SandboxAccount {
        SandboxAccount::new(self.sandbox.clone(), self.handle.clone())
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut AtlassianSite, i64) -> Result<T, SandboxError>,
    ) -> Result<T, SandboxError> {
        let now = self.sandbox.now_ms();
        let mut site = self
            .handle
            .site()
            .ok_or_else(|| SandboxError::Invalid("not an Atlassian account".into()))?;
        f(&mut site, now)
    }

    fn read<T>(&self, f: impl FnOnce(&AtlassianSite) -> T) -> Option<T> {
        self.handle.site().map(|site| f(&site))
    }

    /// The site name: `/sites/{name}` in the sandbox, `https://{name}.atlassian.net` as shown.
    pub fn site_name(&self) -> String {
        self.read(|s| s.name.clone()).unwrap_or_default()
    }

    pub fn cloud_id(&self) -> String {
        self.read(|s| s.cloud_id.clone()).unwrap_or_default()
    }

    /// `https://{name}.atlassian.net`, as accessible-resources reports it.
    pub fn site_url(&self) -> String {
        self.read(AtlassianSite::url).unwrap_or_default()
    }

    /// The e-mail address API-token requests authenticate with.
    pub fn email(&self) -> String {
        self.read(|s| s.email.clone()).unwrap_or_default()
    }

    pub fn account_id(&self) -> String {
        self.read(|s| s.account_id.clone()).unwrap_or_default()
    }

    /// A new API token (Cloud: Basic `e-mail:token`; Data Center style: `Bearer token`).
    pub fn issue_api_token(&self) -> String {
        let token = util::secret_token("ATATT3x", 40);
        let _ = self.with(|site, _| {
            site.api_tokens.push(token.clone());
            Ok(())
        });
        token
    }

    pub fn settings(&self) -> SiteSettings {
        self.read(|s| s.settings.clone()).unwrap_or_default()
    }

    pub fn set_settings(&self, settings: SiteSettings) {
        let _ = self.with(|site, _| {
            site.settings = settings;
            Ok(())
        });
    }

    /// Rejects every search cursor and page token issued so far.
    pub fn invalidate_cursors(&self) {
        let _ = self.with(|site, _| {
            site.epoch += 1;
            Ok(())
        });
    }

    fn page_info(site: &AtlassianSite, id: u64) -> Result<PageInfo, SandboxError> {
        let c = site.contents.get(&id).ok_or_else(|| SandboxError::NotFound(id.to_string()))?;
        Ok(PageInfo {
            id: content_id(c),
            kind: c.kind,
            space_key: site.spaces[c.space].key.clone(),
            title: c.title.clone(),
            parent_id: c.parent.map(|p| p.to_string()),
            version: c.version,
            modified_ms: c.modified_ms,
        })
    }

    pub fn add_space(&self, key: &str, name: &str) -> Result<PageInfo, SandboxError> {
        self.with(|site, now| {
            site.add_space(key, name, now)?;
            let home = site.spaces.last().and_then(|s| s.homepage).unwrap_or_default();
            Self::page_info(site, home)
        })
    }

    /// The space's home page.
    pub fn homepage(&self, space_key: &str) -> Option<PageInfo> {
        self.read(|site| {
            let space = site.space_index(space_key)?;
            Self::page_info(site, site.spaces[space].homepage?).ok()
        })
        .flatten()
    }

    /// A page under `parent` (a page id), or at the top of the space.
    pub fn add_page(
        &self,
        space_key: &str,
        parent: Option<&str>,
        title: &str,
        body: &str,
    ) -> Result<PageInfo, SandboxError> {
        self.with(|site, now| {
            let parent = parent.map(numeric).transpose()?;
            let id = site.add_content(space_key, parent, ContentType::Page, title, body, now)?;
            Self::page_info(site, id)
        })
    }

    pub fn add_blogpost(
        &self,
        space_key: &str,
        title: &str,
        body: &str,
    ) -> Result<PageInfo, SandboxError> {
        self.with(|site, now| {
            let id = site.add_content(space_key, None, ContentType::Blogpost, title, body, now)?;
            Self::page_info(site, id)
        })
    }

    pub fn update_page(
        &self,
        id: &str,
        title: Option<&str>,
        body: Option<&str>,
    ) -> Result<PageInfo, SandboxError> {
        self.with(|site, now| {
            let id = numeric(id)?;
            site.update_content(id, title, body, now)?;
            Self::page_info(site, id)
        })
    }

    /// Moves a page under another page, or to the top of `space_key`.
    pub fn move_page(
        &self,
        id: &str,
        space_key: Option<&str>,
        parent: Option<&str>,
    ) -> Result<PageInfo, SandboxError> {
        self.with(|site, now| {
            let id = numeric(id)?;
            let parent = parent.map(numeric).transpose()?;
            site.move_page(id, space_key, parent, now)?;
            Self::page_info(site, id)
        })
    }

    /// Trashes a page, blog post or attachment.
    pub fn delete_content(&self, id: &str) -> Result<(), SandboxError> {
        self.with(|site, now| site.trash(numeric(id)?, now))
    }

    pub fn attach(
        &self,
        page: &str,
        filename: &str,
        media_type: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<PageInfo, SandboxError> {
        let bytes = bytes.into();
        self.with(|site, now| {
            let id = site.attach(numeric(page)?, filename, media_type, bytes, now)?;
            Self::page_info(site, id)
        })
    }

    pub fn content(&self, id: &str) -> Option<PageInfo> {
        let id = numeric(id).ok()?;
        self.read(|site| site.live(id).and_then(|_| Self::page_info(site, id).ok())).flatten()
    }

    /// The live pages, blog posts and attachments of a space, by id.
    pub fn contents(&self, space_key: &str) -> Vec<PageInfo> {
        self.read(|site| {
            let Some(space) = site.space_index(space_key) else { return Vec::new() };
            site.contents
                .values()
                .filter(|c| !c.trashed && c.space == space)
                .filter_map(|c| Self::page_info(site, c.id).ok())
                .collect()
        })
        .unwrap_or_default()
    }

    pub fn add_project(&self, key: &str, name: &str) -> Result<String, SandboxError> {
        self.with(|site, _| site.add_project(key, name).map(|id| id.to_string()))
    }

    /// A new issue (the description's lines become ADF paragraphs); returns its key.
    pub fn add_issue(
        &self,
        project: &str,
        summary: &str,
        description: &str,
    ) -> Result<String, SandboxError> {
        self.with(|site, now| site.add_issue(project, summary, description, now))
    }

    pub fn update_issue(
        &self,
        key: &str,
        summary: Option<&str>,
        description: Option<&str>,
    ) -> Result<(), SandboxError> {
        self.with(|site, now| site.update_issue(key, summary, description, now))
    }

    pub fn add_comment(&self, key: &str, text: &str) -> Result<String, SandboxError> {
        self.with(|site, now| site.add_comment(key, text, now).map(|id| id.to_string()))
    }

    pub fn attach_to_issue(
        &self,
        key: &str,
        filename: &str,
        mime_type: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<String, SandboxError> {
        let bytes = bytes.into();
        self.with(|site, now| {
            site.attach_to_issue(key, filename, mime_type, bytes, now).map(|id| id.to_string())
        })
    }

    pub fn remove_issue_attachment(&self, id: &str) -> Result<(), SandboxError> {
        self.with(|site, now| site.remove_issue_attachment(numeric(id)?, now))
    }

    /// Moves an issue to another project; returns its new key.
    pub fn move_issue(&self, key: &str, project: &str) -> Result<String, SandboxError> {
        self.with(|site, now| site.move_issue(key, project, now))
    }

    pub fn delete_issue(&self, key: &str) -> Result<(), SandboxError> {
        self.with(|site, _| site.delete_issue(key))
    }

    /// A saved filter; returns its id.
    pub fn add_filter(
        &self,
        name: &str,
        jql: &str,
        favourite: bool,
    ) -> Result<String, SandboxError> {
        self.with(|site, _| site.add_filter(name, jql, favourite).map(|id| id.to_string()))
    }

    pub fn update_filter(&self, id: &str, jql: &str) -> Result<(), SandboxError> {
        self.with(|site, _| site.update_filter(numeric(id)?, jql))
    }

    pub fn delete_filter(&self, id: &str) -> Result<(), SandboxError> {
        self.with(|site, _| site.delete_filter(numeric(id)?))
    }

    pub fn issue(&self, key: &str) -> Option<IssueInfo> {
        self.read(|site| {
            let id = site.issue_id(key)?;
            site.issues.get(&id).map(|issue| issue_info(site, issue))
        })
        .flatten()
    }

    /// The live issues of a project, by id.
    pub fn issues(&self, project: &str) -> Vec<IssueInfo> {
        self.read(|site| {
            let Some(p) = site.project_index(project) else { return Vec::new() };
            site.issues
                .values()
                .filter(|i| !i.deleted && i.project == p)
                .map(|i| issue_info(site, i))
                .collect()
        })
        .unwrap_or_default()
    }
}

fn issue_info(site: &AtlassianSite, issue: &super::site::Issue) -> IssueInfo {
    IssueInfo {
        id: issue.id.to_string(),
        key: site.issue_key(issue),
        summary: issue.summary.clone(),
        updated_ms: issue.updated_ms,
        attachments: issue
            .attachments
            .iter()
            .map(|a| (a.id.to_string(), a.filename.clone()))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// JSON endpoints.

pub(super) fn routes(router: Router<Sandbox>) -> Router<Sandbox> {
    const SITE: &str = "/_control/atlassian/{username}";
    router
        .route(SITE, get(get_site))
        .route(&format!("{SITE}/api-tokens"), post(api_token))
        .route(&format!("{SITE}/settings"), get(get_settings).put(put_settings))
        .route(&format!("{SITE}/invalidate-cursors"), post(invalidate))
        .route(&format!("{SITE}/spaces"), post(new_space))
        .route(&format!("{SITE}/spaces/{{key}}/contents"), get(space_contents))
        .route(&format!("{SITE}/pages"), post(new_page))
        .route(&format!("{SITE}/pages/{{id}}"), put(edit_page).delete(delete_page))
        .route(&format!("{SITE}/pages/{{id}}/move"), post(move_page))
        .route(&format!("{SITE}/pages/{{id}}/attachments"), post(attach_page))
        .route(&format!("{SITE}/projects"), post(new_project))
        .route(&format!("{SITE}/projects/{{key}}/issues"), get(project_issues))
        .route(&format!("{SITE}/issues"), post(new_issue))
        .route(&format!("{SITE}/issues/{{key}}"), put(edit_issue).delete(delete_issue))
        .route(&format!("{SITE}/issues/{{key}}/comments"), post(comment_issue))
        .route(&format!("{SITE}/issues/{{key}}/attachments"), post(attach_issue))
        .route(&format!("{SITE}/issues/{{key}}/move"), post(move_issue))
        .route(&format!("{SITE}/issue-attachments/{{id}}"), delete(remove_issue_attachment))
        .route(&format!("{SITE}/filters"), post(new_filter))
        .route(&format!("{SITE}/filters/{{id}}"), put(edit_filter).delete(delete_filter))
}

struct ControlError(StatusCode, String, String);

impl From<SandboxError> for ControlError {
    fn from(error: SandboxError) -> Self {
        let (status, code) = match &error {
            SandboxError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            SandboxError::NameConflict(_) => (StatusCode::CONFLICT, "name_conflict"),
            SandboxError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
        };
        ControlError(status, code.to_string(), error.to_string())
    }
}

impl From<JsonRejection> for ControlError {
    fn from(rejection: JsonRejection) -> Self {
        ControlError(StatusCode::BAD_REQUEST, "invalid_json".into(), rejection.body_text())
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": {"code": self.1, "message": self.2}}))).into_response()
    }
}

type ControlResult = Result<Response, ControlError>;

fn ok<T: Serialize>(body: T) -> ControlResult {
    Ok(Json(body).into_response())
}

fn created<T: Serialize>(body: T) -> ControlResult {
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn site(sb: &Sandbox, username: &str) -> Result<AtlassianAccount, ControlError> {
    Ok(sb.atlassian(username)?)
}

fn bytes(text: Option<String>, base64: Option<String>) -> Result<Vec<u8>, ControlError> {
    match (text, base64) {
        (_, Some(encoded)) => STANDARD.decode(encoded.trim()).map_err(|_| {
            ControlError(
                StatusCode::BAD_REQUEST,
                "invalid".into(),
                "content_base64 is not base64".into(),
            )
        }),
        (Some(text), None) => Ok(text.into_bytes()),
        (None, None) => Ok(Vec::new()),
    }
}

async fn get_site(State(sb): State<Sandbox>, Path(user): Path<String>) -> ControlResult {
    let site = site(&sb, &user)?;
    ok(json!({
        "site": site.site_name(),
        "cloud_id": site.cloud_id(),
        "url": site.site_url(),
        "email": site.email(),
        "account_id": site.account_id(),
    }))
}

async fn api_token(State(sb): State<Sandbox>, Path(user): Path<String>) -> ControlResult {
    let site = site(&sb, &user)?;
    created(json!({"token": site.issue_api_token(), "email": site.email()}))
}

async fn get_settings(State(sb): State<Sandbox>, Path(user): Path<String>) -> ControlResult {
    ok(site(&sb, &user)?.settings())
}

async fn put_settings(
    State(sb): State<Sandbox>,
    Path(user): Path<String>,
    body: Result<Json<SiteSettings>, JsonRejection>,
) -> ControlResult {
    let Json(settings) = body?;
    let site = site(&sb, &user)?;
    site.set_settings(settings);
    ok(site.settings())
}

async fn invalidate(State(sb): State<Sandbox>, Path(user): Path<String>) -> ControlResult {
    site(&sb, &user)?.invalidate_cursors();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct NewSpace {
    key: String,
    name: String,
}

async fn new_space(
    State(sb): State<Sandbox>,
    Path(user): Path<String>,
    body: Result<Json<NewSpace>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    created(site(&sb, &user)?.add_space(&body.key, &body.name)?)
}

async fn space_contents(
    State(sb): State<Sandbox>,
    Path((user, key)): Path<(String, String)>,
) -> ControlResult {
    ok(site(&sb, &user)?.contents(&key))
}

#[derive(Deserialize)]
struct NewPage {
    space: String,
    #[serde(default)]
    parent: Option<String>,
    title: String,
    #[serde(default)]
    body: String,
    /// `page` (default) or `blogpost`.
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

async fn new_page(
    State(sb): State<Sandbox>,
    Path(user): Path<String>,
    body: Result<Json<NewPage>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let site = site(&sb, &user)?;
    let info = match body.kind.as_deref().unwrap_or("page") {
        "page" => site.add_page(&body.space, body.parent.as_deref(), &body.title, &body.body)?,
        "blogpost" => site.add_blogpost(&body.space, &body.title, &body.body)?,
        other => return Err(SandboxError::Invalid(format!("unknown type {other:?}")).into()),
    };
    created(info)
}

#[derive(Deserialize)]
struct EditPage {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

async fn edit_page(
    State(sb): State<Sandbox>,
    Path((user, id)): Path<(String, String)>,
    body: Result<Json<EditPage>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    ok(site(&sb, &user)?.update_page(&id, body.title.as_deref(), body.body.as_deref())?)
}

async fn delete_page(
    State(sb): State<Sandbox>,
    Path((user, id)): Path<(String, String)>,
) -> ControlResult {
    site(&sb, &user)?.delete_content(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct MovePage {
    #[serde(default)]
    space: Option<String>,
    #[serde(default)]
    parent: Option<String>,
}

async fn move_page(
    State(sb): State<Sandbox>,
    Path((user, id)): Path<(String, String)>,
    body: Result<Json<MovePage>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    ok(site(&sb, &user)?.move_page(&id, body.space.as_deref(), body.parent.as_deref())?)
}

#[derive(Deserialize)]
struct NewAttachment {
    filename: String,
    #[serde(default, alias = "mime_type")]
    media_type: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
}

async fn attach_page(
    State(sb): State<Sandbox>,
    Path((user, id)): Path<(String, String)>,
    body: Result<Json<NewAttachment>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let data = bytes(body.content, body.content_base64)?;
    let mime = body
        .media_type
        .unwrap_or_else(|| crate::sandbox::formats::mime_for_name(&body.filename).to_string());
    created(site(&sb, &user)?.attach(&id, &body.filename, &mime, data)?)
}

#[derive(Deserialize)]
struct NewProject {
    key: String,
    name: String,
}

async fn new_project(
    State(sb): State<Sandbox>,
    Path(user): Path<String>,
    body: Result<Json<NewProject>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    created(json!({"id": site(&sb, &user)?.add_project(&body.key, &body.name)?}))
}

async fn project_issues(
    State(sb): State<Sandbox>,
    Path((user, key)): Path<(String, String)>,
) -> ControlResult {
    ok(site(&sb, &user)?.issues(&key))
}

#[derive(Deserialize)]
struct NewIssue {
    project: String,
    summary: String,
    #[serde(default)]
    description: String,
}

async fn new_issue(
    State(sb): State<Sandbox>,
    Path(user): Path<String>,
    body: Result<Json<NewIssue>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let site = site(&sb, &user)?;
    let key = site.add_issue(&body.project, &body.summary, &body.description)?;
    created(site.issue(&key))
}

#[derive(Deserialize)]
struct EditIssue {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

async fn edit_issue(
    State(sb): State<Sandbox>,
    Path((user, key)): Path<(String, String)>,
    body: Result<Json<EditIssue>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let site = site(&sb, &user)?;
    site.update_issue(&key, body.summary.as_deref(), body.description.as_deref())?;
    ok(site.issue(&key))
}

async fn delete_issue(
    State(sb): State<Sandbox>,
    Path((user, key)): Path<(String, String)>,
) -> ControlResult {
    site(&sb, &user)?.delete_issue(&key)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct NewComment {
    body: String,
}

async fn comment_issue(
    State(sb): State<Sandbox>,
    Path((user, key)): Path<(String, String)>,
    body: Result<Json<NewComment>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    created(json!({"id": site(&sb, &user)?.add_comment(&key, &body.body)?}))
}

async fn attach_issue(
    State(sb): State<Sandbox>,
    Path((user, key)): Path<(String, String)>,
    body: Result<Json<NewAttachment>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    let data = bytes(body.content, body.content_base64)?;
    let mime = body
        .media_type
        .unwrap_or_else(|| crate::sandbox::formats::mime_for_name(&body.filename).to_string());
    created(json!({"id": site(&sb, &user)?.attach_to_issue(&key, &body.filename, &mime, data)?}))
}

#[derive(Deserialize)]
struct MoveIssue {
    project: String,
}

async fn move_issue(
    State(sb): State<Sandbox>,
    Path((user, key)): Path<(String, String)>,
    body: Result<Json<MoveIssue>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    ok(json!({"key": site(&sb, &user)?.move_issue(&key, &body.project)?}))
}

async fn remove_issue_attachment(
    State(sb): State<Sandbox>,
    Path((user, id)): Path<(String, String)>,
) -> ControlResult {
    site(&sb, &user)?.remove_issue_attachment(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct NewFilter {
    name: String,
    jql: String,
    #[serde(default = "starred")]
    favourite: bool,
}

fn starred() -> bool {
    true
}

async fn new_filter(
    State(sb): State<Sandbox>,
    Path(user): Path<String>,
    body: Result<Json<NewFilter>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    created(json!({"id": site(&sb, &user)?.add_filter(&body.name, &body.jql, body.favourite)?}))
}

#[derive(Deserialize)]
struct EditFilter {
    jql: String,
}

async fn edit_filter(
    State(sb): State<Sandbox>,
    Path((user, id)): Path<(String, String)>,
    body: Result<Json<EditFilter>, JsonRejection>,
) -> ControlResult {
    let Json(body) = body?;
    site(&sb, &user)?.update_filter(&id, &body.jql)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_filter(
    State(sb): State<Sandbox>,
    Path((user, id)): Path<(String, String)>,
) -> ControlResult {
    site(&sb, &user)?.delete_filter(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
