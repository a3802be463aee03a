//! Confluence Cloud and Server / Data Center (provider id `confluence`).
//!
//! - [`ConfluenceFactory`]: API-token credentials (checked against the SSRF guard) and OAuth
//!   (3LO) connections, both through [`AtlassianClient`].
//! - [`ConfluenceProvider`]: the picker lists spaces, then page trees one level at a time;
//!   a selection is a space (pages, blog posts, attachments) or a page with its descendants
//!   and their attachments. Listings page through CQL search with its `next` link.
//! - Changes: a CQL `lastmodified` window that starts [`atlassian::OVERLAP`] before the
//!   previous run ended (on the server's clock), then an ID sweep of the whole scope with
//!   versions only: what vanished is deleted (trashed, moved out of the selection), what the
//!   window missed (the search index lags behind edits) is fetched by id. The cursor keeps
//!   every known id with its version, plus the pagination link of the step in progress.

pub mod model;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use app::model::{
    AuthType, Capabilities, EntryKind, FolderEntry, ProviderId, ProviderInfo, SourcePath, Timestamp,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use self::model::{ConfluenceArray, ConfluenceContent, ConfluenceSpace, ConfluenceUser};
use super::atlassian::{
    self, AtlassianClient, Product, ResolvedSite, decode_cursor, encode_cursor, relative_link,
    window_start,
};
use super::http::{ErrorResponse, limited_stream};
use super::net::HostGuard;
use super::{
    AccountInfo, ByteStream, Change, ChangePage, Credentials, ListPage, Provider, ProviderContext,
    ProviderError, ProviderFactory, ProviderResult, RemoteItem, ScopeCursor, provider_info,
};
use crate::ingest::Format;

const SEARCH: &str = "/rest/api/content/search";
/// Results per page (Confluence allows up to 250 without bodies).
const LIMIT: usize = 100;
/// What an item needs to become a [`RemoteItem`].
const ITEM_EXPAND: &str = "space,version,ancestors,container";
/// Ids fetched per `id in (…)` query when the sweep finds what the window missed.
const FETCH_BATCH: usize = 50;
const CURSOR_PREFIX: &str = "cf1.";

/// The `confluence` provider kind.
pub struct ConfluenceFactory {
    guard: Arc<HostGuard>,
    /// `api.atlassian.com` (or the sandbox's): accessible-resources and `/ex/confluence/…`.
    api_base: String,
}

impl ConfluenceFactory {
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

/// Every Confluence answer is classified here.
fn parse_error(answer: &ErrorResponse) -> ProviderError {
    atlassian::classify("Confluence", answer)
}

impl ProviderFactory for ConfluenceFactory {
    fn id(&self) -> ProviderId {
        ProviderId::Confluence
    }

    fn info(&self) -> ProviderInfo {
        provider_info(
            ProviderId::Confluence,
            "Pages, blog posts and attachments from Confluence Cloud or Data Center spaces.",
            &[AuthType::OAuth2, AuthType::ApiKey],
            capabilities(),
            false,
            "Spaces",
        )
    }

    fn parse_credentials(
        &self,
        auth_type: AuthType,
        credentials: &serde_json::Value,
    ) -> Result<Credentials, String> {
        match auth_type {
            AuthType::ApiKey => atlassian::parse_api_token(credentials, &self.guard),
            other => Err(format!(
                "Confluence connections use an API token or OAuth, not {}",
                other.as_str()
            )),
        }
    }

    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>> {
        let client =
            AtlassianClient::connect(&context, Product::Confluence, &self.api_base, parse_error)?;
        Ok(Arc::new(ConfluenceProvider { client }))
    }
}

/// A selection: a whole space, a page subtree, or one page with its attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Space(String),
    Page(String),
    PageOnly(String),
}

impl Scope {
    fn of(source: &SourcePath) -> ProviderResult<Self> {
        Ok(match Self::parse(&source.remote_id)? {
            Scope::Page(id) if !source.include_subfolders => Scope::PageOnly(id),
            scope => scope,
        })
    }

    fn parse(remote_id: &str) -> ProviderResult<Self> {
        let valid =
            |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '~');
        match remote_id.split_once(':') {
            Some(("space", key)) if valid(key) => Ok(Scope::Space(key.to_string())),
            Some(("page", id)) if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) => {
                Ok(Scope::Page(id.to_string()))
            }
            _ => Err(ProviderError::invalid(format!(
                "{remote_id:?} is not a Confluence space or page"
            ))),
        }
    }

    /// The CQL restriction of this scope.
    fn cql(&self) -> String {
        match self {
            Scope::Space(key) => {
                format!("space = \"{key}\" and type in (page, blogpost, attachment)")
            }
            Scope::Page(id) => {
                format!("(id = {id} or ancestor = {id}) and type in (page, attachment)")
            }
            Scope::PageOnly(id) => format!("(id = {id} or container = {id})"),
        }
    }
}

/// The change cursor of one scope.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    /// Server time (ms) when the last completed run started; the next window opens an
    /// overlap before it.
    end: i64,
    /// Every id of the scope with its version, as last reported.
    seen: BTreeMap<String, u64>,
    /// The run in progress, if a run stopped between pages.
    run: Option<Run>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Run {
    /// Server time of the run's first answer (becomes `end`).
    started: i64,
    step: Step,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Step {
    /// The `lastmodified` window; `next` is the pagination link (`None`: first page).
    Window { next: Option<String> },
    /// The ID sweep; `present` collects the ids seen so far.
    Sweep { next: Option<String>, present: BTreeSet<String> },
}

/// One Confluence account (a site).
pub struct ConfluenceProvider {
    client: AtlassianClient,
}

impl ConfluenceProvider {
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> ProviderResult<(T, Option<i64>)> {
        let site = self.client.site().await?;
        self.client.get_json_dated(&format!("{}{path_and_query}", site.api_root)).await
    }

    /// One page of a CQL search: the first page for `cql`, or the page behind `next`.
    async fn search(
        &self,
        cql: &str,
        expand: &str,
        next: Option<&str>,
    ) -> ProviderResult<(ConfluenceArray<ConfluenceContent>, Option<i64>)> {
        let path = match next {
            Some(link) => relative_link(link, SEARCH)?,
            None => format!("{SEARCH}?cql={}&limit={LIMIT}&expand={}", encode(cql), encode(expand)),
        };
        self.get(&path).await
    }

    fn item(site: &ResolvedSite, c: &ConfluenceContent) -> RemoteItem {
        let mut path = String::new();
        let space_name = c.space.as_ref().map(space_label).unwrap_or_default();
        path.push('/');
        path.push_str(&clean(&space_name));
        for ancestor in c.ancestors.iter().flatten() {
            path.push('/');
            path.push_str(&clean(ancestor.title.as_deref().unwrap_or(&ancestor.id)));
        }
        path.push('/');
        path.push_str(&clean(&c.title));
        let is_attachment = c.kind == "attachment";
        let mime_type = if is_attachment {
            c.extensions
                .as_ref()
                .and_then(|e| e.media_type.clone())
                .or_else(|| c.metadata.as_ref().and_then(|m| m.media_type.clone()))
                .unwrap_or_else(|| "application/octet-stream".to_string())
        } else {
            Format::ConfluenceStorage.mime_type().to_string()
        };
        let mut metadata = serde_json::Map::new();
        metadata.insert("content_type".into(), c.kind.clone().into());
        if let Some(space) = &c.space {
            metadata.insert("space_key".into(), space.key.clone().into());
        }
        if is_attachment {
            if let Some(page) = &c.container {
                metadata.insert("page_id".into(), page.id.clone().into());
            }
            if let Some(download) = &c.links.download {
                metadata.insert("download".into(), download.clone().into());
            }
        }
        RemoteItem {
            id: c.id.clone(),
            name: c.title.clone(),
            path,
            is_folder: false,
            mime_type,
            // Page bodies are fetched on download; their size is not known before.
            size: c.extensions.as_ref().and_then(|e| e.file_size).unwrap_or(0),
            modified_at: c
                .version
                .as_ref()
                .and_then(|v| v.when.as_deref())
                .and_then(atlassian::parse_time)
                .map(Timestamp::from),
            version: c.version.as_ref().map(|v| v.number.to_string()),
            web_url: c.links.webui.as_ref().map(|w| format!("{}{w}", site.web_root)),
            metadata,
        }
    }

    /// The ID sweep of a whole scope (all pages), for `start_cursors`.
    async fn sweep_all(&self, scope: &Scope) -> ProviderResult<(BTreeMap<String, u64>, i64)> {
        let mut seen = BTreeMap::new();
        let mut next: Option<String> = None;
        let mut started = None;
        loop {
            let (page, date) = self.search(&scope.cql(), "version", next.as_deref()).await?;
            started = started.or(date);
            for c in &page.results {
                seen.insert(c.id.clone(), version_of(c));
            }
            match page.links.next {
                Some(link) => next = Some(link),
                None => return Ok((seen, started.unwrap_or_else(atlassian::local_now))),
            }
        }
    }

    /// Items by id with everything a [`RemoteItem`] needs.
    async fn fetch(&self, ids: &[String]) -> ProviderResult<Vec<ConfluenceContent>> {
        let mut out = Vec::with_capacity(ids.len());
        for batch in ids.chunks(FETCH_BATCH) {
            let numeric: Vec<&str> =
                batch.iter().map(|id| id.strip_prefix("att").unwrap_or(id)).collect();
            let cql = format!("id in ({})", numeric.join(", "));
            let mut next: Option<String> = None;
            loop {
                let (page, _) = self.search(&cql, ITEM_EXPAND, next.as_deref()).await?;
                out.extend(page.results.into_iter().filter(|c| batch.contains(&c.id)));
                match page.links.next {
                    Some(link) => next = Some(link),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    async fn folder_entries(&self, path: &str) -> ProviderResult<Vec<FolderEntry>> {
        let mut entries = Vec::new();
        let mut next = Some(path.to_string());
        while let Some(path) = next.take() {
            let (page, _): (ConfluenceArray<ConfluenceContent>, _) = self.get(&path).await?;
            for c in &page.results {
                let site = self.client.site().await?;
                let item = Self::item(site, c);
                entries.push(FolderEntry {
                    remote_id: format!("page:{}", c.id),
                    name: c.title.clone(),
                    path: item.path,
                    kind: EntryKind::Page,
                    selectable: true,
                    has_children: None,
                    file_count: None,
                    size: None,
                    modified_at: item.modified_at,
                });
            }
            next = page.links.next.map(|link| relative_link(&link, "/rest/api/")).transpose()?;
        }
        entries.sort_by_key(|e| e.name.to_lowercase());
        Ok(entries)
    }
}

fn version_of(c: &ConfluenceContent) -> u64 {
    c.version.as_ref().map(|v| v.number).unwrap_or(0)
}

fn space_label(space: &ConfluenceSpace) -> String {
    if space.name.trim().is_empty() { space.key.clone() } else { space.name.clone() }
}

/// Titles may contain `/`; paths must not split them.
fn clean(segment: &str) -> String {
    segment.replace('/', "∕")
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[async_trait]
impl Provider for ConfluenceProvider {
    fn id(&self) -> ProviderId {
        ProviderId::Confluence
    }

    async fn test(&self) -> ProviderResult<AccountInfo> {
        let (user, _): (ConfluenceUser, _) = self.get("/rest/api/user/current").await?;
        let site = self.client.site().await?;
        let who = user
            .email
            .filter(|e| !e.is_empty())
            .or(user.display_name)
            .or(user.public_name)
            .or(user.username)
            .unwrap_or_else(|| "Confluence user".to_string());
        Ok(AccountInfo { label: format!("{who} @ {}", site.host) })
    }

    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>> {
        let Some(parent) = parent else {
            let mut spaces = Vec::new();
            let mut next = Some(format!("/rest/api/space?limit={LIMIT}"));
            while let Some(path) = next.take() {
                let (page, _): (ConfluenceArray<ConfluenceSpace>, _) = self.get(&path).await?;
                for space in page.results {
                    let name = space_label(&space);
                    spaces.push(FolderEntry {
                        remote_id: format!("space:{}", space.key),
                        path: format!("/{}", clean(&name)),
                        name,
                        kind: EntryKind::Space,
                        selectable: true,
                        has_children: None,
                        file_count: None,
                        size: None,
                        modified_at: None,
                    });
                }
                next = page
                    .links
                    .next
                    .map(|link| relative_link(&link, "/rest/api/space"))
                    .transpose()?;
            }
            spaces.sort_by_key(|e| e.name.to_lowercase());
            return Ok(spaces);
        };
        let path = match Scope::parse(parent)? {
            Scope::Space(key) => format!(
                "/rest/api/space/{key}/content/page?depth=root&limit={LIMIT}&expand=space,version,ancestors"
            ),
            Scope::Page(id) | Scope::PageOnly(id) => format!(
                "/rest/api/content/{id}/child/page?limit={LIMIT}&expand=space,version,ancestors"
            ),
        };
        self.folder_entries(&path).await
    }

    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage> {
        let scope = Scope::of(selection)?;
        let (found, _) = self.search(&scope.cql(), ITEM_EXPAND, page).await?;
        let site = self.client.site().await?;
        Ok(ListPage {
            items: found.results.iter().map(|c| Self::item(site, c)).collect(),
            next: found.links.next,
        })
    }

    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>> {
        let mut cursors = Vec::with_capacity(selection.len());
        for source in selection {
            let scope = Scope::of(source)?;
            let (seen, end) = self.sweep_all(&scope).await?;
            let cursor = Cursor { end, seen, run: None };
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
        scope_id: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage> {
        let Some(source) = selection.iter().find(|s| s.remote_id == scope_id) else {
            return Err(ProviderError::new(
                super::ErrorKind::CursorInvalid,
                format!("{scope_id} is no longer selected"),
            ));
        };
        let scope = Scope::of(source)?;
        let mut state: Cursor = decode_cursor(CURSOR_PREFIX, cursor)?;
        let mut run =
            state.run.take().unwrap_or(Run { started: 0, step: Step::Window { next: None } });
        let mut changes = Vec::new();
        let site = self.client.site().await?;
        match run.step {
            Step::Window { next } => {
                let since = window_start(state.end);
                let cql = format!(
                    "{} and lastmodified >= \"{}\" order by lastmodified asc",
                    scope.cql(),
                    cql_time(since)
                );
                let (page, date) = self.search(&cql, ITEM_EXPAND, next.as_deref()).await?;
                if run.started == 0 {
                    run.started = date.unwrap_or_else(atlassian::local_now);
                }
                for c in &page.results {
                    let version = version_of(c);
                    if state.seen.get(&c.id) != Some(&version) {
                        state.seen.insert(c.id.clone(), version);
                        changes.push(Change::Upsert(Box::new(Self::item(site, c))));
                    }
                }
                run.step = match page.links.next {
                    Some(link) => Step::Window { next: Some(link) },
                    None => Step::Sweep { next: None, present: BTreeSet::new() },
                };
            }
            Step::Sweep { next, mut present } => {
                let (page, _) = self.search(&scope.cql(), "version", next.as_deref()).await?;
                let stale: Vec<String> = page
                    .results
                    .iter()
                    .filter(|c| state.seen.get(&c.id) != Some(&version_of(c)))
                    .map(|c| c.id.clone())
                    .collect();
                present.extend(page.results.iter().map(|c| c.id.clone()));
                for c in self.fetch(&stale).await? {
                    state.seen.insert(c.id.clone(), version_of(&c));
                    changes.push(Change::Upsert(Box::new(Self::item(site, &c))));
                }
                match page.links.next {
                    Some(link) => run.step = Step::Sweep { next: Some(link), present },
                    None => {
                        let gone: Vec<String> = state
                            .seen
                            .keys()
                            .filter(|id| !present.contains(*id))
                            .cloned()
                            .collect();
                        for id in gone {
                            state.seen.remove(&id);
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
        if item.id.starts_with("att") {
            let link = match item.metadata.get("download").and_then(|d| d.as_str()) {
                Some(link) => link.to_string(),
                None => {
                    let fetched = self.fetch(std::slice::from_ref(&item.id)).await?;
                    let found = fetched.into_iter().next().ok_or_else(|| {
                        ProviderError::not_found(format!("attachment {} is gone", item.id))
                    })?;
                    found.links.download.ok_or_else(|| {
                        ProviderError::parse("the attachment has no download link")
                    })?
                }
            };
            // Download links are relative to the wiki; never follow one elsewhere.
            let link = relative_link(&link, "/download/")?;
            let url = format!("{}{link}", site.api_root);
            let response = self.client.http.send(|c| c.get(&url)).await?;
            return limited_stream(response, max_bytes);
        }
        if !item.id.chars().all(|c| c.is_ascii_digit()) || item.id.is_empty() {
            return Err(ProviderError::invalid(format!(
                "{:?} is not a Confluence page id",
                item.id
            )));
        }
        let (content, _): (ConfluenceContent, _) =
            self.get(&format!("/rest/api/content/{}?expand=body.storage", item.id)).await?;
        let body = content.body.and_then(|b| b.storage).map(|s| s.value).unwrap_or_default();
        if body.len() as u64 > max_bytes {
            return Err(ProviderError::new(
                super::ErrorKind::TooLarge,
                format!("the page is larger than {max_bytes} bytes"),
            ));
        }
        let bytes = bytes::Bytes::from(body);
        Ok(Box::pin(futures::stream::once(async move { Ok(bytes) })))
    }

    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem> {
        // Selections (`space:KEY`, `page:ID`) are folders; content ids are documents.
        if id.contains(':') {
            let site = self.client.site().await?;
            let scope = Scope::parse(id)?;
            let (path, name, web) = match &scope {
                Scope::Space(key) => {
                    let (space, _): (ConfluenceSpace, _) =
                        self.get(&format!("/rest/api/space/{key}")).await?;
                    let name = space_label(&space);
                    (format!("/{}", clean(&name)), name, space.links.webui)
                }
                Scope::Page(page) | Scope::PageOnly(page) => {
                    let (content, _): (ConfluenceContent, _) =
                        self.get(&format!("/rest/api/content/{page}?expand={ITEM_EXPAND}")).await?;
                    let item = Self::item(site, &content);
                    (item.path, item.name, content.links.webui)
                }
            };
            return Ok(RemoteItem {
                id: id.to_string(),
                name,
                path,
                is_folder: true,
                mime_type: String::new(),
                size: 0,
                modified_at: None,
                version: None,
                web_url: web.map(|w| format!("{}{w}", site.web_root)),
                metadata: serde_json::Map::new(),
            });
        }
        let numeric = id.strip_prefix("att").unwrap_or(id);
        if numeric.is_empty() || !numeric.chars().all(|c| c.is_ascii_digit()) {
            return Err(ProviderError::invalid(format!("{id:?} is not a Confluence content id")));
        }
        let (content, _): (ConfluenceContent, _) =
            self.get(&format!("/rest/api/content/{id}?expand={ITEM_EXPAND}")).await?;
        let site = self.client.site().await?;
        Ok(Self::item(site, &content))
    }
}

/// CQL's date format, minute precision. Confluence reads it in the user's time zone; for a
/// zone behind UTC the window opens late, and the sweep still finds what it missed.
fn cql_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
