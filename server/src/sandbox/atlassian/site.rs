//! One Atlassian site (an account's): Confluence spaces with page trees, blog posts and
//! attachments; Jira projects with issues, comments and attachments; the API tokens that
//! authenticate on the per-site base; and the search index lag.
//!
//! Every change stamps the content with the sandbox clock. Search (CQL, JQL) sees an item as
//! of its *indexed* time: a change younger than `search_lag_ms` is not indexed yet, so search
//! still shows the previous modification time (a brand-new item is not found at all). That is
//! the eventual consistency that makes clients use overlapping windows.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sandbox::accounts::Profile;
use crate::sandbox::state::SandboxError;
use crate::sandbox::util;

/// Confluence content types the simulator has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    Page,
    Blogpost,
    Attachment,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Page => "page",
            ContentType::Blogpost => "blogpost",
            ContentType::Attachment => "attachment",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "page" => Some(ContentType::Page),
            "blogpost" => Some(ContentType::Blogpost),
            "attachment" => Some(ContentType::Attachment),
            _ => None,
        }
    }
}

pub(crate) struct Space {
    pub id: u64,
    pub key: String,
    pub name: String,
    pub homepage: Option<u64>,
}

pub(crate) struct Content {
    pub id: u64,
    pub kind: ContentType,
    pub space: usize,
    pub title: String,
    /// Pages: the parent page (`None` at the top of the space). Attachments: the page or blog
    /// post they belong to.
    pub parent: Option<u64>,
    /// Storage format (pages and blog posts).
    pub body: String,
    /// Attachments.
    pub data: Arc<[u8]>,
    pub media_type: String,
    pub version: u32,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// What search shows while `modified_ms` is not indexed yet (`None`: not found at all).
    pub indexed_before_ms: Option<i64>,
    pub trashed: bool,
}

pub(crate) struct Project {
    pub id: u64,
    pub key: String,
    pub name: String,
    pub next_number: u32,
}

/// A saved Jira filter: a named JQL query the user can mark as a favourite.
pub(crate) struct SavedFilter {
    pub id: u64,
    pub name: String,
    pub jql: String,
    pub favourite: bool,
}

pub(crate) struct Comment {
    pub id: u64,
    pub body: Value,
    pub created_ms: i64,
    pub updated_ms: i64,
}

pub(crate) struct IssueAttachment {
    pub id: u64,
    pub filename: String,
    pub mime_type: String,
    pub data: Arc<[u8]>,
    pub created_ms: i64,
}

pub(crate) struct Issue {
    pub id: u64,
    pub project: usize,
    pub number: u32,
    pub summary: String,
    /// Atlassian Document Format.
    pub description: Value,
    pub issue_type: String,
    pub status: String,
    pub labels: Vec<String>,
    pub comments: Vec<Comment>,
    pub attachments: Vec<IssueAttachment>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub indexed_before_ms: Option<i64>,
    pub deleted: bool,
}

/// Behaviour switches of a site.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSettings {
    /// How long a change takes to reach the search index (CQL and JQL).
    pub search_lag_ms: i64,
    /// Server / Data Center instead of Cloud: personal access tokens as `Bearer` only (no
    /// e-mail + API token over Basic), Jira REST v2 only (no v3, so no `search/jql`, and
    /// descriptions and comments are wiki-markup strings, not ADF), Confluence search paged
    /// with `start` / `limit` instead of a cursor; Jira projects listed by `GET /project`
    /// (no `project/search`) and attachment files served from `/secure/attachment/{id}/{name}`
    /// (no REST `attachment/content`).
    pub data_center: bool,
}

pub struct AtlassianSite {
    /// The site's name: `https://{name}.atlassian.net`, and `/sites/{name}` in the sandbox.
    pub(crate) name: String,
    pub(crate) cloud_id: String,
    pub(crate) account_id: String,
    pub(crate) display_name: String,
    pub(crate) email: String,
    pub(crate) api_tokens: Vec<String>,
    pub(crate) spaces: Vec<Space>,
    pub(crate) contents: BTreeMap<u64, Content>,
    pub(crate) projects: Vec<Project>,
    pub(crate) issues: BTreeMap<u64, Issue>,
    pub(crate) filters: Vec<SavedFilter>,
    pub(crate) settings: SiteSettings,
    /// Bumped by "invalidate cursors": page tokens carry the epoch they were issued in.
    pub(crate) epoch: u32,
    next_content: u64,
    next_issue: u64,
    next_other: u64,
}

/// Where the seeded content starts (2024-01-08T09:00:00Z).
const SEED_MS: i64 = 1_704_704_400_000;

impl AtlassianSite {
    pub(crate) fn new(
        username: &str,
        profile: &Profile,
        seeded: bool,
        rng: &mut StdRng,
        _now: i64,
    ) -> Self {
        let mut site = Self {
            name: username.to_string(),
            cloud_id: util::guid(rng).to_lowercase(),
            account_id: format!("5b10{}", util::random_string(rng, b"0123456789abcdef", 20)),
            display_name: profile.display_name.clone(),
            email: profile.email.clone(),
            api_tokens: Vec::new(),
            spaces: Vec::new(),
            contents: BTreeMap::new(),
            projects: Vec::new(),
            issues: BTreeMap::new(),
            filters: Vec::new(),
            settings: SiteSettings::default(),
            epoch: 1,
            next_content: 65_000 + rng.random_range(0..1000),
            next_issue: 10_000,
            next_other: 10_000,
        };
        if seeded {
            site.seed();
        }
        site
    }

    /// `https://{name}.atlassian.net`, the URL users know the site by.
    pub fn url(&self) -> String {
        let host: String =
            self.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        format!("https://{host}.atlassian.net")
    }

    fn id(&mut self) -> u64 {
        self.next_content += 1;
        self.next_content
    }

    fn other_id(&mut self) -> u64 {
        self.next_other += 1;
        self.next_other
    }

    // -----------------------------------------------------------------------------------
    // Confluence

    pub(crate) fn space_index(&self, key: &str) -> Option<usize> {
        self.spaces.iter().position(|s| s.key.eq_ignore_ascii_case(key))
    }

    fn space_of(&self, key: &str) -> Result<usize, SandboxError> {
        self.space_index(key).ok_or_else(|| SandboxError::NotFound(format!("space {key}")))
    }

    /// A live (not trashed) content.
    pub(crate) fn live(&self, id: u64) -> Option<&Content> {
        self.contents.get(&id).filter(|c| !c.trashed)
    }

    fn live_mut(&mut self, id: u64) -> Result<&mut Content, SandboxError> {
        self.contents
            .get_mut(&id)
            .filter(|c| !c.trashed)
            .ok_or_else(|| SandboxError::NotFound(id.to_string()))
    }

    /// A new space with its (empty) home page; returns the space id.
    pub fn add_space(&mut self, key: &str, name: &str, now: i64) -> Result<u64, SandboxError> {
        let valid =
            !key.is_empty() && key.len() <= 255 && key.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid {
            return Err(SandboxError::Invalid("a space key has letters and digits only".into()));
        }
        if self.space_index(key).is_some() {
            return Err(SandboxError::NameConflict(key.to_string()));
        }
        let id = self.other_id() * 1000 + 7;
        self.spaces.push(Space {
            id,
            key: key.to_ascii_uppercase(),
            name: name.to_string(),
            homepage: None,
        });
        let home = self.add_content(
            &key.to_ascii_uppercase(),
            None,
            ContentType::Page,
            &format!("{name} Home"),
            "",
            now,
        )?;
        if let Some(space) = self.spaces.last_mut() {
            space.homepage = Some(home);
        }
        Ok(id)
    }

    /// A page or blog post. Pages may have a parent page in the same space.
    pub fn add_content(
        &mut self,
        space_key: &str,
        parent: Option<u64>,
        kind: ContentType,
        title: &str,
        body: &str,
        now: i64,
    ) -> Result<u64, SandboxError> {
        let space = self.space_of(space_key)?;
        if kind == ContentType::Attachment {
            return Err(SandboxError::Invalid("attachments are added to a page".into()));
        }
        if title.trim().is_empty() {
            return Err(SandboxError::Invalid("a title is required".into()));
        }
        if let Some(parent) = parent {
            let p = self.live(parent).ok_or_else(|| SandboxError::NotFound(parent.to_string()))?;
            if p.kind != ContentType::Page || p.space != space || kind != ContentType::Page {
                return Err(SandboxError::Invalid(
                    "a parent must be a page of the same space (blog posts have none)".into(),
                ));
            }
        }
        self.check_title(space, kind, title, None)?;
        let id = self.id();
        self.contents.insert(
            id,
            Content {
                id,
                kind,
                space,
                title: title.to_string(),
                parent,
                body: body.to_string(),
                data: Arc::from(&[][..]),
                media_type: String::new(),
                version: 1,
                created_ms: now,
                modified_ms: now,
                indexed_before_ms: None,
                trashed: false,
            },
        );
        Ok(id)
    }

    /// Confluence keeps page titles unique within a space.
    fn check_title(
        &self,
        space: usize,
        kind: ContentType,
        title: &str,
        except: Option<u64>,
    ) -> Result<(), SandboxError> {
        let clash = kind == ContentType::Page
            && self.contents.values().any(|c| {
                !c.trashed
                    && c.kind == ContentType::Page
                    && c.space == space
                    && Some(c.id) != except
                    && c.title.eq_ignore_ascii_case(title)
            });
        if clash { Err(SandboxError::NameConflict(title.to_string())) } else { Ok(()) }
    }

    fn touch(content: &mut Content, now: i64) {
        content.indexed_before_ms = Some(content.modified_ms);
        content.modified_ms = now;
        content.version += 1;
    }

    /// Edits a page or blog post: a new version.
    pub fn update_content(
        &mut self,
        id: u64,
        title: Option<&str>,
        body: Option<&str>,
        now: i64,
    ) -> Result<(), SandboxError> {
        let (space, kind) = {
            let c = self.live(id).ok_or_else(|| SandboxError::NotFound(id.to_string()))?;
            (c.space, c.kind)
        };
        if let Some(title) = title {
            self.check_title(space, kind, title, Some(id))?;
        }
        let content = self.live_mut(id)?;
        if content.kind == ContentType::Attachment {
            return Err(SandboxError::Invalid("attachments are replaced by uploading".into()));
        }
        if let Some(title) = title {
            content.title = title.to_string();
        }
        if let Some(body) = body {
            content.body = body.to_string();
        }
        Self::touch(content, now);
        Ok(())
    }

    /// Moves a page (with its subtree and attachments) under another page, or to the top of
    /// a space (`parent: None`). Moving is recorded as a new version of the moved page only.
    pub fn move_page(
        &mut self,
        id: u64,
        space_key: Option<&str>,
        parent: Option<u64>,
        now: i64,
    ) -> Result<(), SandboxError> {
        let page = self.live(id).ok_or_else(|| SandboxError::NotFound(id.to_string()))?;
        if page.kind != ContentType::Page {
            return Err(SandboxError::Invalid("only pages move".into()));
        }
        let (old_space, title) = (page.space, page.title.clone());
        let space = match (space_key, parent) {
            (_, Some(parent)) => {
                let p =
                    self.live(parent).ok_or_else(|| SandboxError::NotFound(parent.to_string()))?;
                if p.kind != ContentType::Page {
                    return Err(SandboxError::Invalid("the new parent must be a page".into()));
                }
                if parent == id || self.ancestors(parent).contains(&id) {
                    return Err(SandboxError::Invalid("a page cannot move below itself".into()));
                }
                p.space
            }
            (Some(key), None) => self.space_of(key)?,
            (None, None) => old_space,
        };
        if space != old_space {
            self.check_title(space, ContentType::Page, &title, Some(id))?;
            let moving: Vec<u64> = self
                .contents
                .values()
                .filter(|c| c.id == id || self.ancestors(c.id).contains(&id))
                .map(|c| c.id)
                .collect();
            for m in moving {
                if let Some(c) = self.contents.get_mut(&m) {
                    c.space = space;
                }
            }
        }
        let page = self.live_mut(id)?;
        page.parent = parent;
        Self::touch(page, now);
        Ok(())
    }

    /// Moves a page, blog post or attachment to the trash. A trashed page's attachments go
    /// with it and its child pages move up to its parent, as Confluence does.
    pub fn trash(&mut self, id: u64, now: i64) -> Result<(), SandboxError> {
        let parent = self.live(id).ok_or_else(|| SandboxError::NotFound(id.to_string()))?.parent;
        if self.spaces.iter().any(|s| s.homepage == Some(id)) {
            return Err(SandboxError::Invalid("a space's home page cannot be deleted".into()));
        }
        for c in self.contents.values_mut() {
            if c.trashed || c.parent != Some(id) {
                continue;
            }
            match c.kind {
                ContentType::Attachment => {
                    c.trashed = true;
                    c.modified_ms = now;
                }
                _ => c.parent = parent,
            }
        }
        let content = self.live_mut(id)?;
        content.trashed = true;
        content.modified_ms = now;
        Ok(())
    }

    /// Uploads an attachment to a page or blog post; a file of the same name gets a new version.
    pub fn attach(
        &mut self,
        container: u64,
        filename: &str,
        media_type: &str,
        data: Vec<u8>,
        now: i64,
    ) -> Result<u64, SandboxError> {
        let space = {
            let c = self
                .live(container)
                .ok_or_else(|| SandboxError::NotFound(container.to_string()))?;
            if c.kind == ContentType::Attachment {
                return Err(SandboxError::Invalid("attachments belong to pages".into()));
            }
            c.space
        };
        if filename.trim().is_empty() || filename.contains('/') {
            return Err(SandboxError::Invalid("a file name without slashes is required".into()));
        }
        let existing = self
            .contents
            .values()
            .find(|c| {
                !c.trashed
                    && c.kind == ContentType::Attachment
                    && c.parent == Some(container)
                    && c.title == filename
            })
            .map(|c| c.id);
        if let Some(id) = existing {
            let c = self.live_mut(id)?;
            c.data = data.into();
            c.media_type = media_type.to_string();
            Self::touch(c, now);
            return Ok(id);
        }
        let id = self.id();
        self.contents.insert(
            id,
            Content {
                id,
                kind: ContentType::Attachment,
                space,
                title: filename.to_string(),
                parent: Some(container),
                body: String::new(),
                data: data.into(),
                media_type: media_type.to_string(),
                version: 1,
                created_ms: now,
                modified_ms: now,
                indexed_before_ms: None,
                trashed: false,
            },
        );
        Ok(id)
    }

    /// Page ids from the top of the space down to the content's parent (for attachments: down
    /// to their page, included).
    pub(crate) fn ancestors(&self, id: u64) -> Vec<u64> {
        let mut chain = Vec::new();
        let mut current = self.contents.get(&id).and_then(|c| c.parent);
        while let Some(parent) = current {
            if chain.contains(&parent) || chain.len() > 100 {
                break;
            }
            chain.push(parent);
            current = self.contents.get(&parent).and_then(|c| c.parent);
        }
        chain.reverse();
        chain
    }

    /// When search sees this content as last modified (`None`: not indexed yet, or trashed).
    pub(crate) fn indexed_ms(&self, content: &Content, now: i64) -> Option<i64> {
        if content.trashed {
            return None;
        }
        if content.modified_ms <= now - self.settings.search_lag_ms {
            Some(content.modified_ms)
        } else {
            content.indexed_before_ms
        }
    }

    // -----------------------------------------------------------------------------------
    // Jira

    pub(crate) fn project_index(&self, key_or_id: &str) -> Option<usize> {
        self.projects
            .iter()
            .position(|p| p.key.eq_ignore_ascii_case(key_or_id) || p.id.to_string() == key_or_id)
    }

    pub fn add_project(&mut self, key: &str, name: &str) -> Result<u64, SandboxError> {
        let valid = (2..=10).contains(&key.len())
            && key.chars().all(|c| c.is_ascii_alphanumeric())
            && key.starts_with(|c: char| c.is_ascii_alphabetic());
        if !valid {
            return Err(SandboxError::Invalid(
                "a project key has 2 to 10 letters and digits, starting with a letter".into(),
            ));
        }
        if self.project_index(key).is_some() {
            return Err(SandboxError::NameConflict(key.to_string()));
        }
        let id = 10_000 + self.projects.len() as u64;
        self.projects.push(Project {
            id,
            key: key.to_ascii_uppercase(),
            name: name.to_string(),
            next_number: 1,
        });
        Ok(id)
    }

    /// A saved filter; its JQL must parse (Jira refuses to save one that does not).
    pub fn add_filter(
        &mut self,
        name: &str,
        jql: &str,
        favourite: bool,
    ) -> Result<u64, SandboxError> {
        if name.trim().is_empty() {
            return Err(SandboxError::Invalid("a filter needs a name".into()));
        }
        super::query::parse(jql).map_err(|e| SandboxError::Invalid(format!("JQL: {e}")))?;
        if self.filters.iter().any(|f| f.name == name) {
            return Err(SandboxError::NameConflict(name.to_string()));
        }
        // One past the highest id, so a deleted filter's id is not handed to another.
        let id = self.filters.iter().map(|f| f.id + 1).max().unwrap_or(10_000);
        self.filters.push(SavedFilter {
            id,
            name: name.to_string(),
            jql: jql.to_string(),
            favourite,
        });
        Ok(id)
    }

    /// Changes a saved filter's JQL.
    pub fn update_filter(&mut self, id: u64, jql: &str) -> Result<(), SandboxError> {
        super::query::parse(jql).map_err(|e| SandboxError::Invalid(format!("JQL: {e}")))?;
        let filter = self
            .filters
            .iter_mut()
            .find(|f| f.id == id)
            .ok_or_else(|| SandboxError::NotFound(format!("filter {id}")))?;
        filter.jql = jql.to_string();
        Ok(())
    }

    /// Deletes a saved filter.
    pub fn delete_filter(&mut self, id: u64) -> Result<(), SandboxError> {
        let before = self.filters.len();
        self.filters.retain(|f| f.id != id);
        if self.filters.len() == before {
            return Err(SandboxError::NotFound(format!("filter {id}")));
        }
        Ok(())
    }

    /// An issue by id or (current) key.
    pub(crate) fn issue_id(&self, id_or_key: &str) -> Option<u64> {
        if let Ok(id) = id_or_key.parse::<u64>() {
            return self.issues.get(&id).filter(|i| !i.deleted).map(|i| i.id);
        }
        let (key, number) = id_or_key.rsplit_once('-')?;
        let number: u32 = number.parse().ok()?;
        let project = self.project_index(key)?;
        self.issues
            .values()
            .find(|i| !i.deleted && i.project == project && i.number == number)
            .map(|i| i.id)
    }

    pub(crate) fn issue_key(&self, issue: &Issue) -> String {
        format!("{}-{}", self.projects[issue.project].key, issue.number)
    }

    fn issue_mut(&mut self, id_or_key: &str) -> Result<&mut Issue, SandboxError> {
        let id =
            self.issue_id(id_or_key).ok_or_else(|| SandboxError::NotFound(id_or_key.into()))?;
        self.issues.get_mut(&id).ok_or_else(|| SandboxError::NotFound(id_or_key.into()))
    }

    fn touch_issue(issue: &mut Issue, now: i64) {
        issue.indexed_before_ms = Some(issue.updated_ms);
        issue.updated_ms = now;
    }

    /// A new issue; returns its key.
    pub fn add_issue(
        &mut self,
        project_key: &str,
        summary: &str,
        description: &str,
        now: i64,
    ) -> Result<String, SandboxError> {
        let project = self
            .project_index(project_key)
            .ok_or_else(|| SandboxError::NotFound(format!("project {project_key}")))?;
        if summary.trim().is_empty() {
            return Err(SandboxError::Invalid("a summary is required".into()));
        }
        self.next_issue += 1;
        let id = self.next_issue;
        let number = self.projects[project].next_number;
        self.projects[project].next_number += 1;
        self.issues.insert(
            id,
            Issue {
                id,
                project,
                number,
                summary: summary.to_string(),
                description: adf(description),
                issue_type: "Task".into(),
                status: "To Do".into(),
                labels: Vec::new(),
                comments: Vec::new(),
                attachments: Vec::new(),
                created_ms: now,
                updated_ms: now,
                indexed_before_ms: None,
                deleted: false,
            },
        );
        Ok(format!("{}-{number}", self.projects[project].key))
    }

    pub fn update_issue(
        &mut self,
        key: &str,
        summary: Option<&str>,
        description: Option<&str>,
        now: i64,
    ) -> Result<(), SandboxError> {
        let issue = self.issue_mut(key)?;
        if let Some(summary) = summary {
            issue.summary = summary.to_string();
        }
        if let Some(description) = description {
            issue.description = adf(description);
        }
        Self::touch_issue(issue, now);
        Ok(())
    }

    pub fn add_comment(&mut self, key: &str, text: &str, now: i64) -> Result<u64, SandboxError> {
        let id = self.other_id();
        let issue = self.issue_mut(key)?;
        issue.comments.push(Comment { id, body: adf(text), created_ms: now, updated_ms: now });
        Self::touch_issue(issue, now);
        Ok(id)
    }

    pub fn attach_to_issue(
        &mut self,
        key: &str,
        filename: &str,
        mime_type: &str,
        data: Vec<u8>,
        now: i64,
    ) -> Result<u64, SandboxError> {
        let id = self.other_id();
        let issue = self.issue_mut(key)?;
        issue.attachments.push(IssueAttachment {
            id,
            filename: filename.to_string(),
            mime_type: mime_type.to_string(),
            data: data.into(),
            created_ms: now,
        });
        Self::touch_issue(issue, now);
        Ok(id)
    }

    /// Removes an issue attachment (the issue counts as updated).
    pub fn remove_issue_attachment(
        &mut self,
        attachment: u64,
        now: i64,
    ) -> Result<(), SandboxError> {
        let issue = self
            .issues
            .values_mut()
            .find(|i| !i.deleted && i.attachments.iter().any(|a| a.id == attachment))
            .ok_or_else(|| SandboxError::NotFound(attachment.to_string()))?;
        issue.attachments.retain(|a| a.id != attachment);
        Self::touch_issue(issue, now);
        Ok(())
    }

    /// Moves an issue to another project: same id, a new key.
    pub fn move_issue(
        &mut self,
        key: &str,
        project_key: &str,
        now: i64,
    ) -> Result<String, SandboxError> {
        let project = self
            .project_index(project_key)
            .ok_or_else(|| SandboxError::NotFound(format!("project {project_key}")))?;
        let number = self.projects[project].next_number;
        self.projects[project].next_number += 1;
        let issue = self.issue_mut(key)?;
        issue.project = project;
        issue.number = number;
        Self::touch_issue(issue, now);
        Ok(format!("{}-{number}", self.projects[project].key))
    }

    pub fn delete_issue(&mut self, key: &str) -> Result<(), SandboxError> {
        self.issue_mut(key)?.deleted = true;
        Ok(())
    }

    pub(crate) fn issue_indexed_ms(&self, issue: &Issue, now: i64) -> Option<i64> {
        if issue.deleted {
            return None;
        }
        if issue.updated_ms <= now - self.settings.search_lag_ms {
            Some(issue.updated_ms)
        } else {
            issue.indexed_before_ms
        }
    }

    // -----------------------------------------------------------------------------------
    // Seed

    fn seed(&mut self) {
        let mut t = SEED_MS;
        let mut tick = || {
            t += 3_600_000;
            t
        };
        let seeded = (|| -> Result<(), SandboxError> {
            self.add_space("ENG", "Engineering", tick())?;
            let home = self.spaces[0].homepage.unwrap_or_default();
            self.update_content(
                home,
                None,
                Some("<p>Welcome to the <strong>Engineering</strong> space. Start with the architecture overview.</p>"),
                tick(),
            )?;
            let arch = self.add_content(
                "ENG",
                Some(home),
                ContentType::Page,
                "Architecture Overview",
                "<h2>Components</h2><p>The ingestion pipeline feeds the vector index.</p>\
                 <ul><li><p>Gateway</p></li><li><p>Workers</p></li></ul>\
                 <ac:structured-macro ac:name=\"info\"><ac:rich-text-body><p>Diagrams live in the design folder.</p></ac:rich-text-body></ac:structured-macro>",
                tick(),
            )?;
            let storage = self.add_content(
                "ENG",
                Some(arch),
                ContentType::Page,
                "Storage Layer",
                "<p>We shard the document store by tenant and replicate every shard three times.</p>\
                 <table><tbody><tr><th><p>Tier</p></th><th><p>Engine</p></th></tr>\
                 <tr><td><p>Hot</p></td><td><p>NVMe</p></td></tr></tbody></table>",
                tick(),
            )?;
            self.attach(
                storage,
                "capacity-notes.txt",
                "text/plain",
                b"Capacity plan: each shard holds 200 GB before we split it.".to_vec(),
                tick(),
            )?;
            self.attach(storage, "rack-photo.png", "image/png", PNG.to_vec(), tick())?;
            let runbooks = self.add_content(
                "ENG",
                Some(home),
                ContentType::Page,
                "Runbooks",
                "<p>Operational runbooks for the platform team.</p>",
                tick(),
            )?;
            self.add_content(
                "ENG",
                Some(runbooks),
                ContentType::Page,
                "On-call Guide",
                "<p>Page the secondary after fifteen minutes without an acknowledgement.</p>\
                 <ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[kubectl rollout restart deploy/gateway]]></ac:plain-text-body></ac:structured-macro>",
                tick(),
            )?;
            self.add_content(
                "ENG",
                None,
                ContentType::Blogpost,
                "Release 2.4 shipped",
                "<p>Release 2.4 brings incremental sync for every source.</p>",
                tick(),
            )?;

            self.add_space("HR", "People Team", tick())?;
            let hr_home = self.spaces[1].homepage.unwrap_or_default();
            let travel = self.add_content(
                "HR",
                Some(hr_home),
                ContentType::Page,
                "Travel Policy",
                "<p>Book economy class for flights under six hours.</p>",
                tick(),
            )?;
            self.attach(
                travel,
                "per-diem.csv",
                "text/csv",
                b"city,rate\nBerlin,42\nLisbon,38\n".to_vec(),
                tick(),
            )?;

            self.add_project("ENG", "Engineering")?;
            self.add_project("OPS", "Operations")?;
            let k1 = self.add_issue(
                "ENG",
                "Checkout fails for carts over 100 items",
                "Customers with large carts see a timeout at payment.\nThe gateway drops the request after 30 seconds.",
                tick(),
            )?;
            self.add_comment(&k1, "Reproduced with 120 items on staging.", tick())?;
            self.attach_to_issue(
                &k1,
                "gateway.log",
                "text/plain",
                b"ERROR upstream timed out while reading the payment response".to_vec(),
                tick(),
            )?;
            let k2 = self.add_issue(
                "ENG",
                "Add retry budget to the sync worker",
                "Retries should stop after five minutes in total.",
                tick(),
            )?;
            self.add_comment(&k2, "Use decorrelated jitter for the backoff.", tick())?;
            self.add_issue(
                "ENG",
                "Document the index schema",
                "Describe every field of the chunk table.",
                tick(),
            )?;
            self.add_issue(
                "OPS",
                "Rotate the TLS certificates",
                "The wildcard certificate expires in March.",
                tick(),
            )?;
            // A favourite filter across both projects, and one the user has not starred
            // (the picker lists favourites only).
            self.add_filter(
                "Reliability work",
                "project = OPS OR summary ~ \"retry\" ORDER BY updated DESC",
                true,
            )?;
            self.add_filter("Schema questions", "summary ~ \"schema\"", false)?;
            Ok(())
        })();
        debug_assert!(seeded.is_ok(), "{seeded:?}");
    }
}

/// A 1x1 PNG (an attachment without text).
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
];

/// Text to Atlassian Document Format: one paragraph per line.
pub(crate) fn adf(text: &str) -> Value {
    let content: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| json!({"type": "paragraph", "content": [{"type": "text", "text": line}]}))
        .collect();
    json!({"type": "doc", "version": 1, "content": content})
}

/// ADF back to plain text (what Jira's v2 API returns for rich-text fields).
pub(crate) fn adf_text(value: &Value) -> String {
    fn walk(value: &Value, out: &mut String) {
        if let Some(text) = value.get("text").and_then(Value::as_str) {
            out.push_str(text);
        }
        if let Some(children) = value.get("content").and_then(Value::as_array) {
            for child in children {
                walk(child, out);
            }
            if value.get("type").and_then(Value::as_str) == Some("paragraph") {
                out.push('\n');
            }
        }
    }
    let mut out = String::new();
    walk(value, &mut out);
    out.trim_end().to_string()
}
