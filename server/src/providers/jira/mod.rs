//! Jira Cloud and Server / Data Center (provider id `jira`).
//!
//! - [`JiraFactory`]: API-token credentials (checked against the SSRF guard) and OAuth (3LO)
//!   connections, both through [`AtlassianClient`].
//! - [`JiraProvider`]: the picker lists projects and the user's favourite saved filters
//!   (`filter:ID`, whose JQL is read again at every run, without its `ORDER BY`); each issue becomes a document (its JSON,
//!   which ingest turns into key, summary, fields, description from ADF, and comments) and
//!   each attachment a document of its own. Cloud searches with `POST /rest/api/3/search/jql`
//!   and `nextPageToken`; Data Center with `POST /rest/api/2/search` and `startAt`.
//! - Changes: a JQL `updated >=` window with epoch-millisecond bounds that starts
//!   [`atlassian::OVERLAP`] before the previous run ended (server clock), then an ID sweep of
//!   the project with `updated` only: vanished issues (deleted, moved to another project) are
//!   deleted with their attachments; issues the window missed (index lag) are fetched by id.

pub mod model;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use app::model::{
    AuthType, Capabilities, EntryKind, FolderEntry, ProviderId, ProviderInfo, SourcePath, Timestamp,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use self::model::{JiraFilter, JiraIssue, JiraProject, JiraProjectPage, JiraSearch, JiraUser};
use super::atlassian::{
    self, AtlassianClient, Deployment, Product, ResolvedSite, decode_cursor, encode_cursor,
    window_start,
};
use super::http::{ErrorResponse, encode_segment, limited_stream};
use super::net::HostGuard;
use super::{
    AccountInfo, ByteStream, Change, ChangePage, Credentials, ErrorKind, ListPage, Provider,
    ProviderContext, ProviderError, ProviderFactory, ProviderResult, RemoteItem, ScopeCursor,
    provider_info,
};
use crate::ingest::Format;

/// Issues per search page (Jira caps pages with fields at 100).
const LIMIT: usize = 100;
/// What a listed issue needs to become documents.
const LIST_FIELDS: &[&str] =
    &["summary", "updated", "project", "attachment", "issuetype", "status"];
/// What the issue document holds (ingest reads these).
const DOCUMENT_FIELDS: &str = "summary,description,comment,project,issuetype,status,priority,reporter,assignee,labels,created,updated";
const FETCH_BATCH: usize = 50;
const CURSOR_PREFIX: &str = "jr1.";

/// The `jira` provider kind.
pub struct JiraFactory {
    guard: Arc<HostGuard>,
    api_base: String,
}

impl JiraFactory {
    pub fn new(guard: Arc<HostGuard>, api_base: impl Into<String>) -> Self {
        Self { guard, api_base: api_base.into() }
    }
}

fn capabilities() -> Capabilities {
    Capabilities {
        delta: true,
        reports_deletions: true,
        stable_ids: true,
        folder_counts: false,
        revocation: false,
        structured_content: true,
    }
}

/// Every Jira answer is classified here.
fn parse_error(answer: &ErrorResponse) -> ProviderError {
    atlassian::classify("Jira", answer)
}

impl ProviderFactory for JiraFactory {
    fn id(&self) -> ProviderId {
        ProviderId::Jira
    }

    fn info(&self) -> ProviderInfo {
        provider_info(
            ProviderId::Jira,
            "Issues with their comments and attachments from Jira Cloud or Data Center projects.",
            &[AuthType::OAuth2, AuthType::ApiKey],
            capabilities(),
            false,
            "Projects and saved filters",
        )
    }

    fn parse_credentials(
        &self,
        auth_type: AuthType,
        credentials: &serde_json::Value,
    ) -> Result<Credentials, String> {
        match auth_type {
            AuthType::ApiKey => atlassian::parse_api_token(credentials, &self.guard),
            other => {
                Err(format!("Jira connections use an API token or OAuth, not {}", other.as_str()))
            }
        }
    }

    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>> {
        let client =
            AtlassianClient::connect(&context, Product::Jira, &self.api_base, parse_error)?;
        Ok(Arc::new(JiraProvider { client }))
    }
}

/// What one selection covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected<'a> {
    /// `project:KEY`
    Project(&'a str),
    /// `filter:ID`, a saved filter.
    Filter(&'a str),
}

fn selected(remote_id: &str) -> ProviderResult<Selected<'_>> {
    match remote_id.strip_prefix("filter:") {
        Some(id) if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) => {
            Ok(Selected::Filter(id))
        }
        Some(_) => Err(ProviderError::invalid(format!("{remote_id:?} is not a Jira saved filter"))),
        None => project_key(remote_id).map(Selected::Project),
    }
}

/// A saved filter's JQL without its `ORDER BY` tail (outside quotes), so that our own
/// conditions and ordering can be added to it.
fn without_order_by(jql: &str) -> &str {
    let bytes = jql.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(_) if c == b'\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None => {
                let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
                if starts_word
                    && bytes[i..].len() >= 5
                    && bytes[i..i + 5].eq_ignore_ascii_case(b"order")
                {
                    let rest = &jql[i + 5..];
                    let by = rest.trim_start();
                    let spaced = by.len() < rest.len();
                    let is_by = by.len() >= 2
                        && by.as_bytes()[..2].eq_ignore_ascii_case(b"by")
                        && by.as_bytes().get(2).is_none_or(|c| !c.is_ascii_alphanumeric());
                    if spaced && is_by {
                        return jql[..i].trim();
                    }
                }
            }
        }
        i += 1;
    }
    jql.trim()
}

/// `condition [AND extra] ORDER BY order`.
fn jql(condition: &str, extra: Option<&str>, order: &str) -> String {
    match extra {
        Some(extra) => format!("{condition} AND {extra} ORDER BY {order}"),
        None => format!("{condition} ORDER BY {order}"),
    }
}

fn project_entry(p: JiraProject) -> FolderEntry {
    let name = if p.name.trim().is_empty() { p.key.clone() } else { p.name.clone() };
    FolderEntry {
        remote_id: format!("project:{}", p.key),
        path: format!("/{}", name.replace('/', "∕")),
        name,
        kind: EntryKind::Project,
        selectable: true,
        has_children: Some(false),
        file_count: None,
        size: None,
        modified_at: None,
    }
}

/// `project:KEY` → `KEY`.
fn project_key(remote_id: &str) -> ProviderResult<&str> {
    match remote_id.strip_prefix("project:") {
        Some(key)
            if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(key)
        }
        _ => Err(ProviderError::invalid(format!("{remote_id:?} is not a Jira project"))),
    }
}

/// What the cursor remembers of an issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Known {
    /// The issue's `updated`, as reported.
    updated: String,
    /// Attachment ids (without the `att` prefix).
    attachments: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    /// Server time (ms) when the last completed run started.
    end: i64,
    seen: BTreeMap<String, Known>,
    run: Option<Run>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Run {
    started: i64,
    /// The selection's JQL condition, read once per run (a saved filter may change).
    #[serde(default)]
    condition: String,
    step: Step,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Step {
    Window { next: Option<String> },
    Sweep { next: Option<String>, present: BTreeSet<String> },
}

/// One Jira account (a site).
pub struct JiraProvider {
    client: AtlassianClient,
}

impl JiraProvider {
    fn api(&self, site: &ResolvedSite) -> String {
        let version = if self.client.deployment == Deployment::Cloud { 3 } else { 2 };
        format!("{}/rest/api/{version}", site.api_root)
    }

    /// One search page; `page` is our opaque token (`t:` + Cloud token, `s:` + startAt).
    async fn search(
        &self,
        jql: &str,
        fields: &[&str],
        page: Option<&str>,
    ) -> ProviderResult<(Vec<JiraIssue>, Option<String>, Option<i64>)> {
        let site = self.client.site().await?;
        let api = self.api(site);
        let cloud = self.client.deployment == Deployment::Cloud;
        let mut body = json!({"jql": jql, "fields": fields, "maxResults": LIMIT});
        match (page, cloud) {
            (None, _) => {}
            (Some(token), true) => {
                let token = token.strip_prefix("t:").ok_or_else(invalid_page)?;
                body["nextPageToken"] = json!(token);
            }
            (Some(token), false) => {
                let start: u64 = token
                    .strip_prefix("s:")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(invalid_page)?;
                body["startAt"] = json!(start);
            }
        }
        let url = if cloud { format!("{api}/search/jql") } else { format!("{api}/search") };
        let (found, date): (JiraSearch, _) = self.client.post_json_dated(&url, &body).await?;
        let next = if cloud {
            match (&found.next_page_token, found.is_last) {
                (Some(token), Some(false) | None) => Some(format!("t:{token}")),
                _ => None,
            }
        } else {
            let start = found.start_at.unwrap_or(0);
            let end = start + found.issues.len() as u64;
            (!found.issues.is_empty() && found.total.is_some_and(|t| end < t))
                .then(|| format!("s:{end}"))
        };
        Ok((found.issues, next, date))
    }

    /// The issue and its attachments as documents.
    fn items(site: &ResolvedSite, issue: &JiraIssue) -> Vec<RemoteItem> {
        let f = &issue.fields;
        let project = f.project.as_ref();
        let project_name = project
            .map(|p| if p.name.trim().is_empty() { p.key.clone() } else { p.name.clone() })
            .unwrap_or_default();
        let summary = f.summary.clone().unwrap_or_default();
        let name = format!("{} {}", issue.key, summary).trim().replace('/', "∕");
        let modified_at = f.updated.as_deref().and_then(atlassian::parse_time).map(Timestamp::from);
        let web_url = Some(format!("{}/browse/{}", site.web_root, issue.key));
        let mut metadata = serde_json::Map::new();
        metadata.insert("issue_key".into(), issue.key.clone().into());
        if let Some(p) = project {
            metadata.insert("project".into(), p.key.clone().into());
        }
        if let Some(t) = &f.issuetype {
            metadata.insert("issue_type".into(), t.name.clone().into());
        }
        if let Some(s) = &f.status {
            metadata.insert("status".into(), s.name.clone().into());
        }
        let mut items = vec![RemoteItem {
            id: issue.id.clone(),
            name: name.clone(),
            path: format!("/{}/{name}", project_name.replace('/', "∕")),
            is_folder: false,
            mime_type: Format::JiraIssue.mime_type().to_string(),
            size: 0,
            modified_at,
            version: f.updated.clone(),
            web_url: web_url.clone(),
            metadata: metadata.clone(),
        }];
        for a in f.attachment.iter().flatten() {
            let mut metadata = metadata.clone();
            metadata.insert("issue_id".into(), issue.id.clone().into());
            items.push(RemoteItem {
                id: format!("att{}", a.id()),
                name: a.filename.clone(),
                path: format!(
                    "/{}/{}/{}",
                    project_name.replace('/', "∕"),
                    issue.key,
                    a.filename.replace('/', "∕")
                ),
                is_folder: false,
                mime_type: a.mime_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
                size: a.size,
                modified_at: a
                    .created
                    .as_deref()
                    .and_then(atlassian::parse_time)
                    .map(Timestamp::from),
                // Attachments never change; a new upload is a new attachment.
                version: Some(a.id()),
                web_url: web_url.clone(),
                metadata,
            });
        }
        items
    }

    fn known(issue: &JiraIssue) -> Known {
        Known {
            updated: issue.fields.updated.clone().unwrap_or_default(),
            attachments: issue.fields.attachment.iter().flatten().map(|a| a.id()).collect(),
        }
    }

    /// Reports an issue whose state differs from what the cursor knows.
    fn report(
        site: &ResolvedSite,
        seen: &mut BTreeMap<String, Known>,
        issue: &JiraIssue,
        out: &mut Vec<Change>,
    ) {
        let known = Self::known(issue);
        let before = seen.get(&issue.id);
        if before == Some(&known) {
            return;
        }
        let old: Vec<String> = before.map(|b| b.attachments.clone()).unwrap_or_default();
        for id in old.iter().filter(|id| !known.attachments.contains(id)) {
            out.push(Change::Delete { id: format!("att{id}") });
        }
        for item in Self::items(site, issue) {
            let new_attachment =
                item.id.strip_prefix("att").is_none_or(|id| !old.iter().any(|o| o == id));
            if new_attachment {
                out.push(Change::Upsert(Box::new(item)));
            }
        }
        seen.insert(issue.id.clone(), known);
    }

    /// Every project the user can browse: paged `project/search` on Cloud, the one-array
    /// `GET /project` on Data Center (which has no `project/search`).
    async fn projects(&self) -> ProviderResult<Vec<JiraProject>> {
        let site = self.client.site().await?;
        let api = self.api(site);
        if self.client.deployment != Deployment::Cloud {
            let (projects, _) = self.client.get_json_dated(&format!("{api}/project")).await?;
            return Ok(projects);
        }
        let mut projects = Vec::new();
        let mut start = 0u64;
        loop {
            let url = format!("{api}/project/search?startAt={start}&maxResults=50&orderBy=key");
            let (page, _): (JiraProjectPage, _) = self.client.get_json_dated(&url).await?;
            let count = page.values.len() as u64;
            projects.extend(page.values);
            if page.is_last.unwrap_or(true) || count == 0 {
                return Ok(projects);
            }
            start = page.start_at + count;
        }
    }

    /// The JQL condition a selection stands for, without ordering.
    async fn condition(&self, remote_id: &str) -> ProviderResult<String> {
        match selected(remote_id)? {
            Selected::Project(key) => Ok(format!("project = \"{key}\"")),
            Selected::Filter(id) => {
                let filter = self.filter(id).await?;
                let condition = without_order_by(&filter.jql);
                if condition.is_empty() {
                    return Err(ProviderError::invalid(format!(
                        "the saved filter \"{}\" has no conditions and would match every issue; select projects instead",
                        filter.name
                    )));
                }
                Ok(format!("({condition})"))
            }
        }
    }

    async fn filter(&self, id: &str) -> ProviderResult<JiraFilter> {
        let site = self.client.site().await?;
        let url = format!("{}/filter/{id}", self.api(site));
        match self.client.get_json_dated::<JiraFilter>(&url).await {
            Ok((filter, _)) => Ok(filter),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(ProviderError::not_found(format!(
                "the saved filter {id} no longer exists or is no longer shared with you"
            ))),
            Err(e) => Err(e),
        }
    }

    /// The user's favourite (starred) saved filters, as picker entries. A server that
    /// does not offer them (or a token without access) leaves the picker with projects.
    async fn favourite_filters(&self) -> ProviderResult<Vec<FolderEntry>> {
        let site = self.client.site().await?;
        let url = format!("{}/filter/favourite", self.api(site));
        let filters: Vec<JiraFilter> = match self.client.get_json_dated(&url).await {
            Ok((filters, _)) => filters,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::AccessDenied) => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let mut entries: Vec<FolderEntry> = filters
            .into_iter()
            .filter(|f| !without_order_by(&f.jql).is_empty())
            .map(|f| {
                let name = if f.name.trim().is_empty() {
                    format!("Filter {}", f.id())
                } else {
                    f.name.clone()
                };
                FolderEntry {
                    remote_id: format!("filter:{}", f.id()),
                    path: format!("/Filters/{}", name.replace('/', "∕")),
                    name,
                    kind: EntryKind::Filter,
                    selectable: true,
                    has_children: Some(false),
                    file_count: None,
                    size: None,
                    modified_at: None,
                }
            })
            .collect();
        entries.sort_by_key(|f| f.name.to_lowercase());
        Ok(entries)
    }

    /// Issues by id with the listing fields.
    async fn fetch(&self, ids: &[String]) -> ProviderResult<Vec<JiraIssue>> {
        let mut out = Vec::with_capacity(ids.len());
        for batch in ids.chunks(FETCH_BATCH) {
            let jql = format!("id in ({}) ORDER BY id ASC", batch.join(", "));
            let mut page: Option<String> = None;
            loop {
                let (issues, next, _) = self.search(&jql, LIST_FIELDS, page.as_deref()).await?;
                out.extend(issues);
                match next {
                    Some(next) => page = Some(next),
                    None => break,
                }
            }
        }
        Ok(out)
    }
}

fn invalid_page() -> ProviderError {
    ProviderError::invalid("not a Jira page token of this connection")
}

fn issue_id(id: &str) -> ProviderResult<&str> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ProviderError::invalid(format!("{id:?} is not a Jira issue or attachment id")))
    }
}

#[async_trait]
impl Provider for JiraProvider {
    fn id(&self) -> ProviderId {
        ProviderId::Jira
    }

    async fn test(&self) -> ProviderResult<AccountInfo> {
        let site = self.client.site().await?;
        let url = format!("{}/myself", self.api(site));
        let (user, _): (JiraUser, _) = self.client.get_json_dated(&url).await?;
        let who = user
            .email_address
            .filter(|e| !e.is_empty())
            .or(user.display_name)
            .or(user.name)
            .unwrap_or_else(|| "Jira user".to_string());
        Ok(AccountInfo { label: format!("{who} @ {}", site.host) })
    }

    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>> {
        if parent.is_some() {
            // Projects hold issues, not folders.
            return Ok(Vec::new());
        }
        let mut projects: Vec<FolderEntry> =
            self.projects().await?.into_iter().map(project_entry).collect();
        projects.sort_by_key(|p| p.name.to_lowercase());
        projects.extend(self.favourite_filters().await?);
        Ok(projects)
    }

    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage> {
        let jql = jql(&self.condition(&selection.remote_id).await?, None, "id ASC");
        let (issues, next, _) = self.search(&jql, LIST_FIELDS, page).await?;
        let site = self.client.site().await?;
        Ok(ListPage { items: issues.iter().flat_map(|i| Self::items(site, i)).collect(), next })
    }

    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>> {
        let mut cursors = Vec::with_capacity(selection.len());
        for source in selection {
            let jql = jql(&self.condition(&source.remote_id).await?, None, "id ASC");
            let mut seen = BTreeMap::new();
            let mut page: Option<String> = None;
            let mut started = None;
            loop {
                let (issues, next, date) =
                    self.search(&jql, &["updated", "attachment"], page.as_deref()).await?;
                started = started.or(date);
                for issue in &issues {
                    seen.insert(issue.id.clone(), Self::known(issue));
                }
                match next {
                    Some(next) => page = Some(next),
                    None => break,
                }
            }
            let cursor =
                Cursor { end: started.unwrap_or_else(atlassian::local_now), seen, run: None };
            cursors.push(ScopeCursor {
                scope: source.remote_id.clone(),
                cursor: encode_cursor(CURSOR_PREFIX, &cursor),
            });
        }
        Ok(cursors)
    }

    async fn changes(
        &self,
        selection: &[SourcePath],
        scope: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage> {
        if !selection.iter().any(|s| s.remote_id == scope) {
            return Err(ProviderError::new(
                ErrorKind::CursorInvalid,
                format!("{scope} is no longer selected"),
            ));
        }
        let mut state: Cursor = decode_cursor(CURSOR_PREFIX, cursor)?;
        let mut run = state.run.take().unwrap_or(Run {
            started: 0,
            condition: String::new(),
            step: Step::Window { next: None },
        });
        if run.condition.is_empty() {
            run.condition = self.condition(scope).await?;
        }
        let site = self.client.site().await?;
        let mut changes = Vec::new();
        match run.step {
            Step::Window { next } => {
                let window = format!("updated >= {}", window_start(state.end));
                let jql = jql(&run.condition, Some(&window), "updated ASC");
                let (issues, next, date) = self.search(&jql, LIST_FIELDS, next.as_deref()).await?;
                if run.started == 0 {
                    run.started = date.unwrap_or_else(atlassian::local_now);
                }
                for issue in &issues {
                    Self::report(site, &mut state.seen, issue, &mut changes);
                }
                run.step = match next {
                    Some(next) => Step::Window { next: Some(next) },
                    None => Step::Sweep { next: None, present: BTreeSet::new() },
                };
            }
            Step::Sweep { next, mut present } => {
                let jql = jql(&run.condition, None, "id ASC");
                let (issues, next, _) = self.search(&jql, &["updated"], next.as_deref()).await?;
                let stale: Vec<String> = issues
                    .iter()
                    .filter(|i| {
                        state
                            .seen
                            .get(&i.id)
                            .is_none_or(|k| Some(&k.updated) != i.fields.updated.as_ref())
                    })
                    .map(|i| i.id.clone())
                    .collect();
                present.extend(issues.into_iter().map(|i| i.id));
                for issue in self.fetch(&stale).await? {
                    Self::report(site, &mut state.seen, &issue, &mut changes);
                }
                match next {
                    Some(next) => run.step = Step::Sweep { next: Some(next), present },
                    None => {
                        let gone: Vec<String> = state
                            .seen
                            .keys()
                            .filter(|id| !present.contains(*id))
                            .cloned()
                            .collect();
                        for id in gone {
                            if let Some(known) = state.seen.remove(&id) {
                                changes.extend(
                                    known
                                        .attachments
                                        .iter()
                                        .map(|a| Change::Delete { id: format!("att{a}") }),
                                );
                            }
                            changes.push(Change::Delete { id });
                        }
                        state.end = run.started;
                        return Ok(ChangePage {
                            changes,
                            cursor: encode_cursor(CURSOR_PREFIX, &state),
                            done: true,
                        });
                    }
                }
            }
        }
        state.run = Some(run);
        Ok(ChangePage { changes, cursor: encode_cursor(CURSOR_PREFIX, &state), done: false })
    }

    async fn download(&self, item: &RemoteItem, max_bytes: u64) -> ProviderResult<ByteStream> {
        let site = self.client.site().await?;
        let api = self.api(site);
        let url = match item.id.strip_prefix("att") {
            // Data Center serves the file from the web application, by id and name.
            Some(id) if self.client.deployment != Deployment::Cloud => format!(
                "{}/secure/attachment/{}/{}",
                site.web_root,
                issue_id(id)?,
                encode_segment(&item.name)
            ),
            Some(id) => format!("{api}/attachment/content/{}", issue_id(id)?),
            None => format!("{api}/issue/{}?fields={DOCUMENT_FIELDS}", issue_id(&item.id)?),
        };
        let response = self.client.http.send(|c| c.get(&url)).await?;
        limited_stream(response, max_bytes)
    }

    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem> {
        let site = self.client.site().await?;
        // A selection (`project:KEY`, `filter:ID`) is a folder.
        if let Some(filter) = id.strip_prefix("filter:") {
            let filter = self.filter(filter).await?;
            return Ok(RemoteItem {
                id: id.to_string(),
                path: format!("/Filters/{}", filter.name.replace('/', "∕")),
                name: filter.name.clone(),
                is_folder: true,
                mime_type: String::new(),
                size: 0,
                modified_at: None,
                version: None,
                web_url: Some(format!("{}/issues/?filter={}", site.web_root, filter.id())),
                metadata: serde_json::Map::new(),
            });
        }
        if id.starts_with("project:") {
            let url = format!("{}/project/{}", self.api(site), project_key(id)?);
            let (p, _): (JiraProject, _) = self.client.get_json_dated(&url).await?;
            let name = if p.name.trim().is_empty() { p.key.clone() } else { p.name.clone() };
            return Ok(RemoteItem {
                id: id.to_string(),
                path: format!("/{}", name.replace('/', "∕")),
                name,
                is_folder: true,
                mime_type: String::new(),
                size: 0,
                modified_at: None,
                version: None,
                web_url: Some(format!("{}/browse/{}", site.web_root, p.key)),
                metadata: serde_json::Map::new(),
            });
        }
        let (issue_id, attachment) = match id.strip_prefix("att") {
            Some(att) => {
                let url = format!("{}/attachment/{}", self.api(site), issue_id(att)?);
                let (meta, _): (serde_json::Value, _) = self.client.get_json_dated(&url).await?;
                let issue = meta.pointer("/issueId").and_then(|v| {
                    v.as_str().map(String::from).or_else(|| v.as_u64().map(|n| n.to_string()))
                });
                match issue {
                    Some(issue) => (issue, Some(format!("att{att}"))),
                    None => {
                        return Err(ProviderError::not_found(format!(
                            "attachment {att} does not say which issue it belongs to"
                        )));
                    }
                }
            }
            None => (issue_id(id)?.to_string(), None),
        };
        let issues = self.fetch(std::slice::from_ref(&issue_id)).await?;
        let issue = issues
            .first()
            .ok_or_else(|| ProviderError::not_found(format!("issue {issue_id} is gone")))?;
        let wanted = attachment.unwrap_or(issue_id);
        Self::items(site, issue)
            .into_iter()
            .find(|item| item.id == wanted)
            .ok_or_else(|| ProviderError::not_found(format!("{wanted} is gone")))
    }
}

#[cfg(test)]
mod tests {
    use super::{Selected, selected, without_order_by};

    #[test]
    fn a_saved_filter_loses_its_ordering_but_not_its_conditions() {
        assert_eq!(
            without_order_by("project = OPS OR summary ~ \"retry\" ORDER BY updated DESC"),
            "project = OPS OR summary ~ \"retry\""
        );
        assert_eq!(
            without_order_by("assignee = currentUser() order   by rank"),
            "assignee = currentUser()"
        );
        // Inside quotes and as part of a longer word "order by" is a condition.
        assert_eq!(
            without_order_by("summary ~ \"order by mail\" AND labels = reorder"),
            "summary ~ \"order by mail\" AND labels = reorder"
        );
        assert_eq!(
            without_order_by("text ~ 'it\\'s order by' ORDER BY key"),
            "text ~ 'it\\'s order by'"
        );
        assert_eq!(without_order_by("ORDER BY created"), "");
        assert_eq!(without_order_by("  "), "");
    }

    #[test]
    fn selections_are_projects_or_saved_filters() {
        assert_eq!(selected("project:ENG").unwrap(), Selected::Project("ENG"));
        assert_eq!(selected("filter:10001").unwrap(), Selected::Filter("10001"));
        assert!(selected("filter:1 OR 1=1").is_err());
        assert!(selected("project:EN\" OR x").is_err());
    }
}
