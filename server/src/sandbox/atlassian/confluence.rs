//! Confluence Cloud REST v1 (`/wiki/rest/api/…`), shaped like the v1 OpenAPI: spaces
//! (`SpaceArray`), content (`Content`, `ContentArray` with `_links.next` relative to
//! `_links.base`), CQL search with cursor pagination, children, attachments and downloads,
//! and the current user.

use std::collections::{BTreeSet, HashMap};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::query::{self, Op};
use super::site::{AtlassianSite, Content, ContentType};
use super::{Access, Product, finish, gate};
use crate::sandbox::Sandbox;
use crate::sandbox::util::{self, BaseUrl};

type Params = HashMap<String, String>;

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 250;

fn both(router: Router<Sandbox>, suffix: &str, method: MethodRouter<Sandbox>) -> Router<Sandbox> {
    router
        .route(&format!("/atlassian/ex/confluence/{{cloud}}/wiki{suffix}"), method.clone())
        .route(&format!("/atlassian/sites/{{site}}/wiki{suffix}"), method)
}

pub(super) fn routes(router: Router<Sandbox>) -> Router<Sandbox> {
    let router = both(router, "/rest/api/user/current", get(current_user));
    let router = both(router, "/rest/api/space", get(spaces));
    let router = both(router, "/rest/api/space/{key}", get(space));
    let router = both(router, "/rest/api/space/{key}/content/{kind}", get(space_content));
    let router = both(router, "/rest/api/content", get(content_list));
    let router = both(router, "/rest/api/content/search", get(search));
    let router = both(router, "/rest/api/content/{id}", get(content_get));
    let router = both(router, "/rest/api/content/{id}/child/page", get(child_pages));
    let router = both(router, "/rest/api/content/{id}/child/attachment", get(child_attachments));
    let router = both(
        router,
        "/rest/api/content/{id}/child/attachment/{attachment}/download",
        get(attachment_download),
    );
    both(router, "/download/attachments/{id}/{filename}", get(download))
}

fn bad_request(message: &str) -> Response {
    Product::Confluence.error(StatusCode::BAD_REQUEST, message)
}

fn not_found(message: &str) -> Response {
    Product::Confluence.error(StatusCode::NOT_FOUND, message)
}

/// `123` for pages and blog posts, `att123` for attachments.
pub(super) fn content_id(content: &Content) -> String {
    match content.kind {
        ContentType::Attachment => format!("att{}", content.id),
        _ => content.id.to_string(),
    }
}

fn parse_id(id: &str) -> Option<u64> {
    id.strip_prefix("att").unwrap_or(id).parse().ok()
}

fn slug(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join("+")
}

fn time(ms: i64) -> String {
    util::rfc3339_millis(ms)
}

/// Which expansions a request asked for (`expand=body.storage,version,ancestors`).
struct Expand(BTreeSet<String>);

impl Expand {
    fn of(params: &Params) -> Self {
        Expand(
            params
                .get("expand")
                .map(|e| {
                    e.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
                })
                .unwrap_or_default(),
        )
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|e| e == name || e.starts_with(&format!("{name}.")))
    }

    fn query(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!("&expand={}", encode(&self.0.iter().cloned().collect::<Vec<_>>().join(",")))
        }
    }
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

struct Render<'a> {
    site: &'a AtlassianSite,
    access: &'a Access,
    now: i64,
}

impl Render<'_> {
    fn base(&self) -> String {
        format!("{}/wiki", self.access.site_url)
    }

    fn links(&self, self_path: &str) -> Map<String, Value> {
        let mut links = Map::new();
        links.insert("base".into(), Value::String(self.base()));
        links.insert("context".into(), Value::String("/wiki".into()));
        links.insert("self".into(), Value::String(format!("{}/wiki{self_path}", self.access.root)));
        links
    }

    fn user(&self) -> Value {
        json!({
            "type": "known",
            "accountId": self.site.account_id,
            "accountType": "atlassian",
            "email": self.site.email,
            "publicName": self.site.display_name,
            "displayName": self.site.display_name,
        })
    }

    fn space(&self, index: usize, expand: &Expand) -> Value {
        let space = &self.site.spaces[index];
        let mut out = json!({
            "id": space.id,
            "key": space.key,
            "name": space.name,
            "type": "global",
            "status": "current",
            "_expandable": {"description": "", "homepage": "", "icon": "", "metadata": ""},
            "_links": {
                "webui": format!("/spaces/{}", space.key),
                "self": format!("{}/wiki/rest/api/space/{}", self.access.root, space.key),
            },
        });
        if expand.has("homepage")
            && let Some(home) = space.homepage.and_then(|h| self.site.live(h))
        {
            out["homepage"] = self.content(home, &Expand(BTreeSet::new()));
        }
        out
    }

    fn webui(&self, c: &Content) -> String {
        let space = &self.site.spaces[c.space];
        match c.kind {
            ContentType::Page => format!("/spaces/{}/pages/{}/{}", space.key, c.id, slug(&c.title)),
            ContentType::Blogpost => {
                let day = chrono::DateTime::from_timestamp_millis(c.created_ms).unwrap_or_default();
                format!(
                    "/spaces/{}/blog/{}/{}/{}",
                    space.key,
                    day.format("%Y/%m/%d"),
                    c.id,
                    slug(&c.title)
                )
            }
            ContentType::Attachment => format!(
                "/pages/viewpageattachments.action?pageId={}&preview=%2F{}%2F{}",
                c.parent.unwrap_or_default(),
                c.parent.unwrap_or_default(),
                encode(&c.title)
            ),
        }
    }

    fn content(&self, c: &Content, expand: &Expand) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), Value::String(content_id(c)));
        out.insert("type".into(), Value::String(c.kind.as_str().into()));
        out.insert(
            "status".into(),
            Value::String(if c.trashed { "trashed" } else { "current" }.into()),
        );
        out.insert("title".into(), Value::String(c.title.clone()));
        let mut expandable = Map::new();
        for key in ["space", "version", "ancestors", "container", "body", "history", "children"] {
            if !expand.has(key) {
                expandable.insert(key.into(), Value::String(String::new()));
            }
        }
        if expand.has("space") {
            out.insert("space".into(), self.space(c.space, &Expand(BTreeSet::new())));
        }
        if expand.has("version") {
            out.insert(
                "version".into(),
                json!({
                    "by": self.user(),
                    "when": time(c.modified_ms),
                    "friendlyWhen": "just a moment ago",
                    "message": "",
                    "number": c.version,
                    "minorEdit": false,
                }),
            );
        }
        if expand.has("history") {
            out.insert(
                "history".into(),
                json!({"latest": true, "createdBy": self.user(), "createdDate": time(c.created_ms)}),
            );
        }
        if expand.has("ancestors") {
            let ancestors: Vec<Value> = self
                .site
                .ancestors(c.id)
                .into_iter()
                .filter_map(|id| self.site.contents.get(&id))
                .map(|a| {
                    json!({"id": content_id(a), "type": a.kind.as_str(), "status": "current", "title": a.title})
                })
                .collect();
            out.insert("ancestors".into(), Value::Array(ancestors));
        }
        if expand.has("container") {
            let container = match c.parent.and_then(|p| self.site.contents.get(&p)) {
                Some(parent) if c.kind == ContentType::Attachment => {
                    json!({"id": content_id(parent), "type": parent.kind.as_str(), "status": "current", "title": parent.title})
                }
                _ => self.space(c.space, &Expand(BTreeSet::new())),
            };
            out.insert("container".into(), container);
        }
        if expand.has("body") && c.kind != ContentType::Attachment {
            out.insert(
                "body".into(),
                json!({"storage": {"value": c.body, "representation": "storage", "embeddedContent": [], "_expandable": {"content": ""}}}),
            );
        }
        let mut links = Map::new();
        links.insert("webui".into(), Value::String(self.webui(c)));
        links.insert("tinyui".into(), Value::String(format!("/x/{}", c.id)));
        links.insert(
            "self".into(),
            Value::String(format!("{}/wiki/rest/api/content/{}", self.access.root, content_id(c))),
        );
        if c.kind == ContentType::Attachment {
            let page = c.parent.unwrap_or_default();
            links.insert(
                "download".into(),
                Value::String(format!(
                    "/download/attachments/{page}/{}?version={}&modificationDate={}&api=v2",
                    encode(&c.title),
                    c.version,
                    c.modified_ms
                )),
            );
            out.insert(
                "extensions".into(),
                json!({"mediaType": c.media_type, "fileSize": c.data.len(), "comment": ""}),
            );
            out.insert("metadata".into(), json!({"mediaType": c.media_type}));
        }
        out.insert("_expandable".into(), Value::Object(expandable));
        out.insert("_links".into(), Value::Object(links));
        Value::Object(out)
    }

    /// A `ContentArray` page over `items` with `start`/`limit` paging.
    fn array(&self, items: &[&Content], params: &Params, path: &str, expand: &Expand) -> Response {
        let start: usize = params.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
        let limit = limit(params);
        let page: Vec<Value> =
            items.iter().skip(start).take(limit).map(|c| self.content(c, expand)).collect();
        let mut links = self.links(path);
        if start + limit < items.len() {
            let separator = if path.contains('?') { '&' } else { '?' };
            links.insert(
                "next".into(),
                Value::String(format!(
                    "{path}{separator}limit={limit}&start={}{}",
                    start + limit,
                    expand.query()
                )),
            );
        }
        axum::Json(json!({
            "results": page,
            "start": start,
            "limit": limit,
            "size": page.len(),
            "_links": links,
        }))
        .into_response()
    }
}

fn limit(params: &Params) -> usize {
    params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT)
}

/// Runs `body` for an authenticated request with the site locked.
async fn with_site(
    sb: &Sandbox,
    endpoint: &'static str,
    params: &Params,
    headers: &HeaderMap,
    base: &BaseUrl,
    body: impl FnOnce(&Render<'_>) -> Response,
) -> Response {
    let access = match gate(sb, Product::Confluence, endpoint, params, headers, base).await {
        Ok(access) => access,
        Err(refusal) => return finish(sb, refusal),
    };
    let account = access.account.clone();
    let Some(site) = account.site() else {
        return finish(sb, not_found("Site not found"));
    };
    let render = Render { site: &site, access: &access, now: sb.now_ms() };
    finish(sb, body(&render))
}

async fn current_user(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "confluence.user.current", &p, &headers, &base, |r| {
        let mut user = r.user();
        user["timeZone"] = Value::String("Etc/UTC".into());
        user["_links"] = Value::Object(r.links("/rest/api/user/current"));
        axum::Json(user).into_response()
    })
    .await
}

async fn spaces(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "confluence.space", &p, &headers, &base, |r| {
        let keys: Vec<String> = q
            .get("spaceKey")
            .map(|k| k.split(',').map(|s| s.trim().to_ascii_uppercase()).collect())
            .unwrap_or_default();
        let mut indexes: Vec<usize> = (0..r.site.spaces.len())
            .filter(|&i| keys.is_empty() || keys.contains(&r.site.spaces[i].key))
            .collect();
        indexes.sort_by(|a, b| r.site.spaces[*a].key.cmp(&r.site.spaces[*b].key));
        let start: usize = q.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
        let limit = limit(&q);
        let expand = Expand::of(&q);
        let page: Vec<Value> =
            indexes.iter().skip(start).take(limit).map(|&i| r.space(i, &expand)).collect();
        let mut links = r.links("/rest/api/space");
        if start + limit < indexes.len() {
            links.insert(
                "next".into(),
                Value::String(format!("/rest/api/space?limit={limit}&start={}{}", start + limit, expand.query())),
            );
        }
        axum::Json(json!({"results": page, "start": start, "limit": limit, "size": page.len(), "_links": links}))
            .into_response()
    })
    .await
}

async fn space(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let key = p.get("key").cloned().unwrap_or_default();
    with_site(&sb, "confluence.space", &p, &headers, &base, |r| match r.site.space_index(&key) {
        Some(index) => axum::Json(r.space(index, &Expand::of(&q))).into_response(),
        None => not_found(&format!("No space with key : {key}")),
    })
    .await
}

async fn space_content(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let key = p.get("key").cloned().unwrap_or_default();
    let kind = p.get("kind").cloned().unwrap_or_default();
    with_site(&sb, "confluence.space.content", &p, &headers, &base, |r| {
        let Some(space) = r.site.space_index(&key) else {
            return not_found(&format!("No space with key : {key}"));
        };
        let Some(kind) = ContentType::parse(&kind).filter(|k| *k != ContentType::Attachment) else {
            return bad_request("type must be page or blogpost");
        };
        let root_only = q.get("depth").is_some_and(|d| d.eq_ignore_ascii_case("root"));
        let items: Vec<&Content> = r
            .site
            .contents
            .values()
            .filter(|c| !c.trashed && c.space == space && c.kind == kind)
            .filter(|c| !root_only || c.parent.is_none())
            .collect();
        let path = format!(
            "/rest/api/space/{key}/content/{}{}",
            kind.as_str(),
            if root_only { "?depth=root" } else { "" }
        );
        r.array(&items, &q, &path, &Expand::of(&q))
    })
    .await
}

async fn content_list(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "confluence.content", &p, &headers, &base, |r| {
        let kind = match q.get("type") {
            None => ContentType::Page,
            Some(t) => match ContentType::parse(t).filter(|k| *k != ContentType::Attachment) {
                Some(kind) => kind,
                None => return bad_request("type must be page or blogpost"),
            },
        };
        let space = match q.get("spaceKey") {
            Some(key) => match r.site.space_index(key) {
                Some(space) => Some(space),
                None => return not_found(&format!("No space with key : {key}")),
            },
            None => None,
        };
        let items: Vec<&Content> = r
            .site
            .contents
            .values()
            .filter(|c| !c.trashed && c.kind == kind && space.is_none_or(|s| c.space == s))
            .collect();
        let mut path = format!("/rest/api/content?type={}", kind.as_str());
        if let Some(key) = q.get("spaceKey") {
            path.push_str(&format!("&spaceKey={}", encode(key)));
        }
        r.array(&items, &q, &path, &Expand::of(&q))
    })
    .await
}

async fn content_get(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let id = p.get("id").cloned().unwrap_or_default();
    with_site(&sb, "confluence.content.get", &p, &headers, &base, |r| {
        let want_trashed = q.get("status").is_some_and(|s| s == "trashed" || s == "any");
        let found = parse_id(&id)
            .and_then(|i| r.site.contents.get(&i))
            .filter(|c| content_id(c) == id && (!c.trashed || want_trashed));
        match found {
            Some(c) => axum::Json(r.content(c, &Expand::of(&q))).into_response(),
            None => not_found(&format!("No content found with id : {id}")),
        }
    })
    .await
}

async fn child_pages(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    children(sb, p, q, headers, base, ContentType::Page, "confluence.child.page").await
}

async fn child_attachments(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    children(sb, p, q, headers, base, ContentType::Attachment, "confluence.child.attachment").await
}

async fn children(
    sb: Sandbox,
    p: Params,
    q: Params,
    headers: HeaderMap,
    base: BaseUrl,
    kind: ContentType,
    endpoint: &'static str,
) -> Response {
    let id = p.get("id").cloned().unwrap_or_default();
    with_site(&sb, endpoint, &p, &headers, &base, |r| {
        let Some(parent) = parse_id(&id).filter(|i| r.site.live(*i).is_some()) else {
            return not_found(&format!("No content found with id : {id}"));
        };
        let items: Vec<&Content> = r
            .site
            .contents
            .values()
            .filter(|c| !c.trashed && c.kind == kind && c.parent == Some(parent))
            .collect();
        let path = format!("/rest/api/content/{id}/child/{}", kind.as_str());
        r.array(&items, &q, &path, &Expand::of(&q))
    })
    .await
}

async fn attachment_download(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let id = p.get("id").cloned().unwrap_or_default();
    let attachment = p.get("attachment").cloned().unwrap_or_default();
    with_site(&sb, "confluence.attachment.download", &p, &headers, &base, |r| {
        let found = parse_id(&attachment).and_then(|a| r.site.live(a)).filter(|c| {
            c.kind == ContentType::Attachment
                && Some(c.parent.unwrap_or_default().to_string()) == Some(id.clone())
        });
        match found {
            Some(c) => {
                let location = format!(
                    "{}/wiki/download/attachments/{id}/{}?version={}&api=v2",
                    r.access.root,
                    encode(&c.title).replace('+', "%20"),
                    c.version
                );
                (StatusCode::FOUND, [(http::header::LOCATION, util::header_value(&location))])
                    .into_response()
            }
            None => not_found(&format!("No attachment found with id : {attachment}")),
        }
    })
    .await
}

async fn download(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let page = p.get("id").and_then(|i| i.parse::<u64>().ok());
    let filename = p.get("filename").cloned().unwrap_or_default();
    let request_headers = headers.clone();
    with_site(&sb, "confluence.download", &p, &headers, &base, |r| {
        let found = r.site.contents.values().find(|c| {
            !c.trashed
                && c.kind == ContentType::Attachment
                && c.parent == page
                && c.title == filename
        });
        let Some(c) = found else {
            return not_found("Attachment not found");
        };
        if r.access.account.faults().download_fails(&content_id(c)) {
            r.access.account.counters().server_errors += 1;
            return Product::Confluence.error(StatusCode::INTERNAL_SERVER_ERROR, "Download failed");
        }
        util::bytes_response(&request_headers, c.data.to_vec(), &c.media_type, Vec::new())
    })
    .await
}

/// A search cursor: the site's cursor epoch and an offset into the ordered results.
fn cursor(token: &str, epoch: u32) -> Option<usize> {
    let (issued, offset): (u32, usize) = util::decode_token(token)?;
    (issued == epoch).then_some(offset)
}

/// `GET /wiki/rest/api/content/search?cql=…&limit=…&cursor=…&expand=…`.
async fn search(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "confluence.content.search", &p, &headers, &base, |r| {
        let Some(cql) = q.get("cql").filter(|c| !c.trim().is_empty()) else {
            return bad_request("The CQL query parameter is required");
        };
        let parsed = match query::parse(cql) {
            Ok(parsed) => parsed,
            Err(e) => return bad_request(&format!("Could not parse cql : {cql} ({e})")),
        };
        let data_center = r.site.settings.data_center;
        let offset = match q.get("cursor") {
            // Data Center pages search results by `start`.
            _ if data_center => q.get("start").and_then(|s| s.parse().ok()).unwrap_or(0),
            None => 0,
            Some(token) => match cursor(token, r.site.epoch) {
                Some(offset) => offset,
                None => return bad_request("The cursor is invalid or has expired"),
            },
        };
        let mut hits: Vec<(&Content, i64)> = Vec::new();
        for c in r.site.contents.values() {
            let Some(indexed) = r.site.indexed_ms(c, r.now) else { continue };
            let matched = match &parsed.filter {
                None => Ok(true),
                Some(filter) => filter
                    .eval(&mut |field, op, values| clause(r.site, c, indexed, field, op, values)),
            };
            match matched {
                Ok(true) => hits.push((c, indexed)),
                Ok(false) => {}
                Err(e) => return bad_request(&format!("Could not parse cql : {cql} ({e})")),
            }
        }
        for (field, ascending) in parsed.order.iter().rev() {
            hits.sort_by(|(a, ai), (b, bi)| {
                let ordering = match field.as_str() {
                    "lastmodified" => ai.cmp(bi),
                    "created" => a.created_ms.cmp(&b.created_ms),
                    "title" => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
                    _ => a.id.cmp(&b.id),
                };
                if *ascending { ordering } else { ordering.reverse() }
            });
        }
        let limit = limit(&q);
        let expand = Expand::of(&q);
        let page: Vec<Value> =
            hits.iter().skip(offset).take(limit).map(|(c, _)| r.content(c, &expand)).collect();
        let link = |at: usize| {
            let position = if data_center {
                format!("start={at}")
            } else {
                format!("cursor={}", util::encode_token(&(r.site.epoch, at)))
            };
            format!(
                "/rest/api/content/search?cql={}&limit={limit}{}&{position}",
                encode(cql),
                expand.query(),
            )
        };
        let mut links = r.links(&format!("/rest/api/content/search?cql={}", encode(cql)));
        if offset + limit < hits.len() {
            links.insert("next".into(), Value::String(link(offset + limit)));
        }
        if offset > 0 {
            links.insert("prev".into(), Value::String(link(offset.saturating_sub(limit))));
        }
        axum::Json(json!({
            "results": page,
            "start": offset,
            "limit": limit,
            "size": page.len(),
            "_links": links,
        }))
        .into_response()
    })
    .await
}

/// One CQL clause against one content.
fn clause(
    site: &AtlassianSite,
    c: &Content,
    indexed: i64,
    field: &str,
    op: Op,
    values: &[String],
) -> Result<bool, String> {
    match field {
        "type" => query::matches_any(c.kind.as_str(), op, values),
        "space" | "space.key" => query::matches_any(&site.spaces[c.space].key, op, values),
        "title" => query::matches_any(&c.title, op, values),
        "id" | "content" => {
            if matches!(op, Op::Eq | Op::In | Op::Ne | Op::NotIn) {
                query::matches_any(&content_id(c), op, values).map(|hit| {
                    hit || (matches!(op, Op::Eq | Op::In)
                        && values.iter().any(|v| v == &c.id.to_string()))
                })
            } else {
                let v: u64 =
                    values[0].parse().map_err(|_| format!("{} is not an id", values[0]))?;
                Ok(query::compare(c.id, op, v))
            }
        }
        "ancestor" | "parent" | "container" => {
            let related: Vec<u64> = match field {
                "ancestor" => site.ancestors(c.id),
                "parent" if c.kind == ContentType::Page => c.parent.into_iter().collect(),
                "container" if c.kind == ContentType::Attachment => c.parent.into_iter().collect(),
                _ => Vec::new(),
            };
            let wanted: Vec<u64> = values.iter().filter_map(|v| parse_id(v)).collect();
            let hit = related.iter().any(|r| wanted.contains(r));
            match op {
                Op::Eq | Op::In => Ok(hit),
                Op::Ne | Op::NotIn => Ok(!hit),
                _ => Err(format!("{field} supports =, !=, IN and NOT IN")),
            }
        }
        "lastmodified" | "created" => {
            let v = query::parse_date(&values[0])
                .ok_or_else(|| format!("{} is not a date", values[0]))?;
            let actual = if field == "created" { c.created_ms } else { indexed };
            Ok(query::compare(actual, op, v))
        }
        other => Err(format!("unsupported field {other}")),
    }
}
