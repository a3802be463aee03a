//! Jira Cloud REST (`/rest/api/3/…`, and `/rest/api/2/…` as Server / Data Center has it),
//! shaped like the v3 OpenAPI: `search/jql` (`nextPageToken`, `isLast`, `fields` defaulting
//! to ids only, bounded JQL only), the `startAt` search, issues with ADF descriptions and
//! comments (plain text on v2), attachments (`attachment/content/{id}` answers 303), projects
//! (`PageBeanProject`) and `myself`.

use std::collections::{BTreeSet, HashMap};

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::query::{self, Op};
use super::site::{AtlassianSite, Issue, SavedFilter, adf_text};
use super::{Access, Product, finish, gate};
use crate::sandbox::Sandbox;
use crate::sandbox::util::{self, BaseUrl};

type Params = HashMap<String, String>;

fn both(router: Router<Sandbox>, suffix: &str, method: MethodRouter<Sandbox>) -> Router<Sandbox> {
    router
        .route(&format!("/atlassian/ex/jira/{{cloud}}/rest/api/{{v}}{suffix}"), method.clone())
        .route(&format!("/atlassian/sites/{{site}}/rest/api/{{v}}{suffix}"), method)
}

pub(super) fn routes(router: Router<Sandbox>) -> Router<Sandbox> {
    let router = both(router, "/myself", get(myself));
    let router = both(router, "/project/search", get(project_search));
    let router = both(router, "/project/{project}", get(project));
    let router = both(router, "/filter/favourite", get(favourite_filters));
    let router = both(router, "/filter/{filter}", get(filter));
    let router = both(router, "/search/jql", get(search_jql_get).post(search_jql_post));
    let router = both(router, "/search", get(search_get).post(search_post));
    let router = both(router, "/issue/{issue}", get(issue));
    let router = both(router, "/attachment/content/{id}", get(attachment_content));
    let router = both(router, "/project", get(all_projects));
    let router = both(router, "/attachment/{id}", get(attachment_meta));
    // Data Center serves attachment files from the web application, outside REST.
    router
        .route("/atlassian/sites/{site}/secure/attachment/{id}/{filename}", get(secure_attachment))
}

fn error(status: StatusCode, message: &str) -> Response {
    Product::Jira.error(status, message)
}

/// Jira's timestamps: `2023-06-24T19:24:50.000+0000`.
fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

struct Render<'a> {
    site: &'a AtlassianSite,
    access: &'a Access,
    version: u8,
    now: i64,
}

impl Render<'_> {
    fn api(&self) -> String {
        format!("{}/rest/api/{}", self.access.root, self.version)
    }

    fn user(&self) -> Value {
        json!({
            "accountId": self.site.account_id,
            "accountType": "atlassian",
            "active": true,
            "displayName": self.site.display_name,
            "self": format!("{}/user?accountId={}", self.api(), self.site.account_id),
        })
    }

    fn project(&self, index: usize) -> Value {
        let p = &self.site.projects[index];
        json!({
            "self": format!("{}/project/{}", self.api(), p.id),
            "id": p.id.to_string(),
            "key": p.key,
            "name": p.name,
            "projectTypeKey": "software",
            "simplified": false,
            "style": "classic",
            "isPrivate": false,
        })
    }

    fn filter(&self, filter: &SavedFilter) -> Value {
        let jql: String = url::form_urlencoded::byte_serialize(filter.jql.as_bytes()).collect();
        json!({
            "self": format!("{}/filter/{}", self.api(), filter.id),
            "id": filter.id.to_string(),
            "name": filter.name,
            "jql": filter.jql,
            "favourite": filter.favourite,
            "owner": self.user(),
            "viewUrl": format!("{}/issues/?filter={}", self.access.root, filter.id),
            "searchUrl": format!("{}/search?jql={jql}", self.api()),
        })
    }

    /// Rich text: ADF on v3, plain text on v2.
    fn rich(&self, value: &Value) -> Value {
        if self.version == 2 { Value::String(adf_text(value)) } else { value.clone() }
    }

    fn issue(&self, issue: &Issue, fields: &Fields) -> Value {
        let key = self.site.issue_key(issue);
        let mut out = json!({
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue.id.to_string(),
            "self": format!("{}/issue/{}", self.api(), issue.id),
            "key": key,
        });
        let mut f = Map::new();
        let mut put = |name: &str, value: Value| {
            if fields.wants(name) {
                f.insert(name.to_string(), value);
            }
        };
        put("summary", Value::String(issue.summary.clone()));
        put("description", self.rich(&issue.description));
        put("project", self.project(issue.project));
        put("issuetype", json!({"id": "10002", "name": issue.issue_type, "subtask": false}));
        put(
            "status",
            json!({"id": "10000", "name": issue.status, "statusCategory": {"id": 2, "key": "new", "name": "To Do"}}),
        );
        put("priority", json!({"id": "3", "name": "Medium"}));
        put("reporter", self.user());
        put("creator", self.user());
        put("assignee", Value::Null);
        put("labels", json!(issue.labels));
        put("created", Value::String(time(issue.created_ms)));
        put("updated", Value::String(time(issue.updated_ms)));
        let comments: Vec<Value> = issue
            .comments
            .iter()
            .map(|c| {
                json!({
                    "self": format!("{}/issue/{}/comment/{}", self.api(), issue.id, c.id),
                    "id": c.id.to_string(),
                    "author": self.user(),
                    "updateAuthor": self.user(),
                    "body": self.rich(&c.body),
                    "created": time(c.created_ms),
                    "updated": time(c.updated_ms),
                    "jsdPublic": true,
                })
            })
            .collect();
        let total = comments.len();
        put(
            "comment",
            json!({"comments": comments, "self": format!("{}/issue/{}/comment", self.api(), issue.id), "maxResults": total, "total": total, "startAt": 0}),
        );
        let attachments: Vec<Value> = issue
            .attachments
            .iter()
            .map(|a| {
                json!({
                    "self": format!("{}/attachment/{}", self.api(), a.id),
                    "id": a.id.to_string(),
                    "filename": a.filename,
                    "author": self.user(),
                    "created": time(a.created_ms),
                    "size": a.data.len(),
                    "mimeType": a.mime_type,
                    "content": format!("{}/attachment/content/{}", self.api(), a.id),
                })
            })
            .collect();
        put("attachment", Value::Array(attachments));
        if !f.is_empty() {
            out["fields"] = Value::Object(f);
        }
        out
    }
}

/// The `fields` selection: `*all`, `*navigable`, names, `-name` exclusions; `id` alone means
/// no fields.
struct Fields {
    all: bool,
    names: BTreeSet<String>,
    excluded: BTreeSet<String>,
}

impl Fields {
    fn parse(list: &[String], default_all: bool) -> Self {
        let mut fields = Fields { all: false, names: BTreeSet::new(), excluded: BTreeSet::new() };
        let items: Vec<String> = list
            .iter()
            .flat_map(|f| f.split(','))
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        if items.is_empty() {
            fields.all = default_all;
        }
        for item in items {
            if item == "*all" || item == "*navigable" {
                fields.all = true;
            } else if let Some(excluded) = item.strip_prefix('-') {
                fields.all = true;
                fields.excluded.insert(excluded.to_string());
            } else {
                fields.names.insert(item);
            }
        }
        fields
    }

    fn wants(&self, name: &str) -> bool {
        (self.all && !self.excluded.contains(name)) || self.names.contains(name)
    }

    /// Only ids and keys: Jira then allows up to 5,000 issues per page.
    fn ids_only(&self) -> bool {
        !self.all && self.names.iter().all(|n| n == "id" || n == "key")
    }
}

fn version(p: &Params) -> Option<u8> {
    match p.get("v").map(String::as_str) {
        Some("2") => Some(2),
        Some("3") => Some(3),
        _ => None,
    }
}

async fn with_site(
    sb: &Sandbox,
    endpoint: &'static str,
    params: &Params,
    headers: &HeaderMap,
    base: &BaseUrl,
    body: impl FnOnce(&Render<'_>) -> Response,
) -> Response {
    let Some(version) = version(params) else {
        return finish(sb, error(StatusCode::NOT_FOUND, "No such API version"));
    };
    let access = match gate(sb, Product::Jira, endpoint, params, headers, base).await {
        Ok(access) => access,
        Err(refusal) => return finish(sb, refusal),
    };
    let account = access.account.clone();
    let Some(site) = account.site() else {
        return finish(sb, error(StatusCode::NOT_FOUND, "Site not found"));
    };
    if site.settings.data_center && version != 2 {
        return finish(sb, error(StatusCode::NOT_FOUND, "No such API version"));
    }
    let render = Render { site: &site, access: &access, version, now: sb.now_ms() };
    finish(sb, body(&render))
}

async fn myself(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "jira.myself", &p, &headers, &base, |r| {
        let mut user = r.user();
        user["emailAddress"] = Value::String(r.site.email.clone());
        user["timeZone"] = Value::String("Etc/UTC".into());
        user["locale"] = Value::String("en_US".into());
        Json(user).into_response()
    })
    .await
}

async fn project_search(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "jira.project.search", &p, &headers, &base, |r| {
        if r.site.settings.data_center {
            return error(StatusCode::NOT_FOUND, "null for uri: /rest/api/2/project/search");
        }
        let start: usize = q.get("startAt").and_then(|s| s.parse().ok()).unwrap_or(0);
        let max: usize = q
            .get("maxResults")
            .and_then(|s| s.parse().ok())
            .filter(|m| *m > 0)
            .unwrap_or(50)
            .min(100);
        let mut indexes: Vec<usize> = (0..r.site.projects.len()).collect();
        indexes.sort_by(|a, b| r.site.projects[*a].key.cmp(&r.site.projects[*b].key));
        let values: Vec<Value> =
            indexes.iter().skip(start).take(max).map(|&i| r.project(i)).collect();
        let is_last = start + max >= indexes.len();
        let mut body = json!({
            "self": format!("{}/project/search?startAt={start}&maxResults={max}", r.api()),
            "maxResults": max,
            "startAt": start,
            "total": indexes.len(),
            "isLast": is_last,
            "values": values,
        });
        if !is_last {
            body["nextPage"] = Value::String(format!(
                "{}/project/search?startAt={}&maxResults={max}",
                r.api(),
                start + max
            ));
        }
        Json(body).into_response()
    })
    .await
}

async fn project(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let key = p.get("project").cloned().unwrap_or_default();
    with_site(&sb, "jira.project", &p, &headers, &base, |r| match r.site.project_index(&key) {
        Some(index) => Json(r.project(index)).into_response(),
        None => {
            error(StatusCode::NOT_FOUND, &format!("No project could be found with key '{key}'."))
        }
    })
    .await
}

/// `GET /project`: every project as one array (Data Center's listing; deprecated on Cloud
/// in favour of `project/search`, but still served).
async fn all_projects(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "jira.project.all", &p, &headers, &base, |r| {
        let mut indexes: Vec<usize> = (0..r.site.projects.len()).collect();
        indexes.sort_by(|a, b| r.site.projects[*a].key.cmp(&r.site.projects[*b].key));
        Json(indexes.iter().map(|&i| r.project(i)).collect::<Vec<Value>>()).into_response()
    })
    .await
}

/// `filter/favourite`: the saved filters the user starred, as an array (not paged).
async fn favourite_filters(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "jira.filter.favourite", &p, &headers, &base, |r| {
        let filters: Vec<Value> =
            r.site.filters.iter().filter(|f| f.favourite).map(|f| r.filter(f)).collect();
        Json(filters).into_response()
    })
    .await
}

async fn filter(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let id = p.get("filter").cloned().unwrap_or_default();
    with_site(&sb, "jira.filter", &p, &headers, &base, |r| {
        match r.site.filters.iter().find(|f| f.id.to_string() == id) {
            Some(filter) => Json(r.filter(filter)).into_response(),
            None => error(
                StatusCode::NOT_FOUND,
                &format!("The selected filter with id '{id}' does not exist."),
            ),
        }
    })
    .await
}

/// A search request, from query parameters or a JSON body.
#[derive(Default)]
struct SearchRequest {
    jql: String,
    fields: Vec<String>,
    max_results: Option<usize>,
    next_page_token: Option<String>,
    start_at: Option<usize>,
}

impl SearchRequest {
    fn from_query(q: &Params) -> Self {
        SearchRequest {
            jql: q.get("jql").cloned().unwrap_or_default(),
            fields: q.get("fields").map(|f| vec![f.clone()]).unwrap_or_default(),
            max_results: q.get("maxResults").and_then(|m| m.parse().ok()),
            next_page_token: q.get("nextPageToken").cloned(),
            start_at: q.get("startAt").and_then(|s| s.parse().ok()),
        }
    }

    fn from_json(body: &Value) -> Self {
        let fields = match body.get("fields") {
            Some(Value::Array(list)) => {
                list.iter().filter_map(Value::as_str).map(String::from).collect()
            }
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        SearchRequest {
            jql: body.get("jql").and_then(Value::as_str).unwrap_or_default().to_string(),
            fields,
            max_results: body.get("maxResults").and_then(Value::as_u64).map(|m| m as usize),
            next_page_token: body.get("nextPageToken").and_then(Value::as_str).map(String::from),
            start_at: body.get("startAt").and_then(Value::as_u64).map(|m| m as usize),
        }
    }
}

/// The issues matching `jql`, ordered, or Jira's 400 message.
fn run_jql<'a>(r: &Render<'a>, jql: &str) -> Result<Vec<&'a Issue>, String> {
    let parsed = query::parse(jql).map_err(|e| format!("Error in the JQL Query: {e}"))?;
    let mut hits: Vec<(&Issue, i64)> = Vec::new();
    for issue in r.site.issues.values() {
        let Some(indexed) = r.site.issue_indexed_ms(issue, r.now) else { continue };
        let matched = match &parsed.filter {
            None => true,
            Some(filter) => filter
                .eval(&mut |field, op, values| clause(r.site, issue, indexed, field, op, values))?,
        };
        if matched {
            hits.push((issue, indexed));
        }
    }
    for (field, ascending) in parsed.order.iter().rev() {
        hits.sort_by(|(a, ai), (b, bi)| {
            let ordering = match field.as_str() {
                "updated" => ai.cmp(bi),
                "created" => a.created_ms.cmp(&b.created_ms),
                "key" | "issuekey" => (a.project, a.number).cmp(&(b.project, b.number)),
                _ => a.id.cmp(&b.id),
            };
            if *ascending { ordering } else { ordering.reverse() }
        });
    }
    Ok(hits.into_iter().map(|(i, _)| i).collect())
}

fn clause(
    site: &AtlassianSite,
    issue: &Issue,
    indexed: i64,
    field: &str,
    op: Op,
    values: &[String],
) -> Result<bool, String> {
    match field {
        "project" => {
            for v in values {
                if site.project_index(v).is_none() {
                    return Err(format!("The value '{v}' does not exist for the field 'project'."));
                }
            }
            let p = &site.projects[issue.project];
            let hit =
                values.iter().any(|v| v.eq_ignore_ascii_case(&p.key) || *v == p.id.to_string());
            match op {
                Op::Eq | Op::In => Ok(hit),
                Op::Ne | Op::NotIn => Ok(!hit),
                _ => Err("project supports =, !=, IN and NOT IN".into()),
            }
        }
        "key" | "issuekey" => query::matches_any(&site.issue_key(issue), op, values),
        "id" => {
            if matches!(op, Op::Eq | Op::In | Op::Ne | Op::NotIn) {
                query::matches_any(&issue.id.to_string(), op, values)
            } else {
                let v: u64 =
                    values[0].parse().map_err(|_| format!("{} is not an id", values[0]))?;
                Ok(query::compare(issue.id, op, v))
            }
        }
        "updated" | "created" => {
            let v = query::parse_date(&values[0]).ok_or_else(|| {
                format!("Date value '{}' for field '{field}' is invalid.", values[0])
            })?;
            let actual = if field == "created" { issue.created_ms } else { indexed };
            Ok(query::compare(actual, op, v))
        }
        "summary" | "text" => query::matches_any(&issue.summary, op, values),
        "labels" => {
            Ok(issue.labels.iter().any(|l| values.contains(l)) == matches!(op, Op::Eq | Op::In))
        }
        other => {
            Err(format!("Field '{other}' does not exist or you do not have permission to view it."))
        }
    }
}

fn page_token(token: &str, epoch: u32) -> Option<usize> {
    let (issued, offset): (u32, usize) = util::decode_token(token)?;
    (issued == epoch).then_some(offset)
}

/// `search/jql`: bounded JQL, `nextPageToken`, `isLast`; fields default to ids only.
fn search_jql(r: &Render<'_>, request: SearchRequest) -> Response {
    if r.version != 3 {
        return error(StatusCode::NOT_FOUND, "search/jql is a Jira Cloud v3 resource");
    }
    let bounded = query::parse(&request.jql).map(|q| q.filter.is_some()).unwrap_or(true);
    if !bounded {
        return error(
            StatusCode::BAD_REQUEST,
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
        );
    }
    let hits = match run_jql(r, &request.jql) {
        Ok(hits) => hits,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let fields = Fields::parse(&request.fields, false);
    let cap = if fields.ids_only() { 5000 } else { 100 };
    let max = request.max_results.filter(|m| *m > 0).unwrap_or(50).min(cap);
    let offset = match &request.next_page_token {
        None => 0,
        Some(token) => match page_token(token, r.site.epoch) {
            Some(offset) => offset,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "The provided next page token is invalid or expired.",
                );
            }
        },
    };
    let issues: Vec<Value> =
        hits.iter().skip(offset).take(max).map(|i| r.issue(i, &fields)).collect();
    let is_last = offset + max >= hits.len();
    let mut body = json!({"issues": issues, "isLast": is_last});
    if !is_last {
        body["nextPageToken"] = Value::String(util::encode_token(&(r.site.epoch, offset + max)));
    }
    Json(body).into_response()
}

/// The `startAt` search (v2 on Server / Data Center; deprecated on Cloud v3).
fn search_start_at(r: &Render<'_>, request: SearchRequest) -> Response {
    let hits = match run_jql(r, &request.jql) {
        Ok(hits) => hits,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let fields = Fields::parse(&request.fields, true);
    let max = request.max_results.filter(|m| *m > 0).unwrap_or(50).min(100);
    let start = request.start_at.unwrap_or(0);
    let issues: Vec<Value> =
        hits.iter().skip(start).take(max).map(|i| r.issue(i, &fields)).collect();
    Json(json!({
        "expand": "names,schema",
        "startAt": start,
        "maxResults": max,
        "total": hits.len(),
        "issues": issues,
    }))
    .into_response()
}

async fn search_jql_get(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "jira.search.jql", &p, &headers, &base, |r| {
        search_jql(r, SearchRequest::from_query(&q))
    })
    .await
}

async fn search_jql_post(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    with_site(&sb, "jira.search.jql", &p, &headers, &base, |r| match body {
        Ok(Json(body)) => search_jql(r, SearchRequest::from_json(&body)),
        Err(e) => error(StatusCode::BAD_REQUEST, &e.body_text()),
    })
    .await
}

async fn search_get(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    with_site(&sb, "jira.search", &p, &headers, &base, |r| {
        search_start_at(r, SearchRequest::from_query(&q))
    })
    .await
}

async fn search_post(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    with_site(&sb, "jira.search", &p, &headers, &base, |r| match body {
        Ok(Json(body)) => search_start_at(r, SearchRequest::from_json(&body)),
        Err(e) => error(StatusCode::BAD_REQUEST, &e.body_text()),
    })
    .await
}

async fn issue(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let key = p.get("issue").cloned().unwrap_or_default();
    with_site(&sb, "jira.issue", &p, &headers, &base, |r| {
        match r.site.issue_id(&key).and_then(|id| r.site.issues.get(&id)) {
            Some(issue) => {
                let fields =
                    Fields::parse(&q.get("fields").cloned().into_iter().collect::<Vec<_>>(), true);
                Json(r.issue(issue, &fields)).into_response()
            }
            None => error(
                StatusCode::NOT_FOUND,
                "Issue does not exist or you do not have permission to see it.",
            ),
        }
    })
    .await
}

fn find_attachment<'a>(site: &'a AtlassianSite, id: &str) -> Option<(&'a Issue, usize)> {
    let id: u64 = id.parse().ok()?;
    site.issues
        .values()
        .filter(|i| !i.deleted)
        .find_map(|issue| issue.attachments.iter().position(|a| a.id == id).map(|at| (issue, at)))
}

async fn attachment_content(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let id = p.get("id").cloned().unwrap_or_default();
    let request_headers = headers.clone();
    with_site(&sb, "jira.attachment.content", &p, &headers, &base, |r| {
        if r.site.settings.data_center {
            return error(StatusCode::NOT_FOUND, "null for uri: /rest/api/2/attachment/content");
        }
        if find_attachment(r.site, &id).is_none() {
            return error(StatusCode::NOT_FOUND, "The attachment does not exist.");
        }
        if q.get("redirect").is_none_or(|v| v != "false") {
            let location = format!("{}/attachment/content/{id}?redirect=false", r.api());
            return (
                StatusCode::SEE_OTHER,
                [(http::header::LOCATION, util::header_value(&location))],
            )
                .into_response();
        }
        attachment_bytes(r, &id, &request_headers)
    })
    .await
}

fn attachment_bytes(r: &Render<'_>, id: &str, request_headers: &HeaderMap) -> Response {
    let Some((issue, at)) = find_attachment(r.site, id) else {
        return error(StatusCode::NOT_FOUND, "The attachment does not exist.");
    };
    let attachment = &issue.attachments[at];
    if r.access.account.faults().download_fails(id) {
        r.access.account.counters().server_errors += 1;
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Download failed");
    }
    util::bytes_response(
        request_headers,
        attachment.data.to_vec(),
        &attachment.mime_type,
        Vec::new(),
    )
}

/// Data Center: `/secure/attachment/{id}/{filename}`, the file itself (Cloud's REST
/// `attachment/content` does not exist there).
async fn secure_attachment(
    State(sb): State<Sandbox>,
    Path(mut p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    p.insert("v".into(), "2".into());
    let id = p.get("id").cloned().unwrap_or_default();
    let filename = p.get("filename").cloned().unwrap_or_default();
    let request_headers = headers.clone();
    with_site(&sb, "jira.secure.attachment", &p, &headers, &base, |r| {
        match find_attachment(r.site, &id) {
            Some((issue, at))
                if r.site.settings.data_center && issue.attachments[at].filename == filename =>
            {
                attachment_bytes(r, &id, &request_headers)
            }
            _ => error(StatusCode::NOT_FOUND, "The attachment does not exist."),
        }
    })
    .await
}

async fn attachment_meta(
    State(sb): State<Sandbox>,
    Path(p): Path<Params>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Response {
    let id = p.get("id").cloned().unwrap_or_default();
    with_site(&sb, "jira.attachment", &p, &headers, &base, |r| {
        let Some((issue, at)) = find_attachment(r.site, &id) else {
            return error(StatusCode::NOT_FOUND, "The attachment does not exist.");
        };
        let a = &issue.attachments[at];
        Json(json!({
            "self": format!("{}/attachment/{}", r.api(), a.id),
            "id": a.id,
            "filename": a.filename,
            "author": r.user(),
            "created": time(a.created_ms),
            "size": a.data.len(),
            "mimeType": a.mime_type,
            "content": format!("{}/attachment/content/{}", r.api(), a.id),
            "properties": {},
        }))
        .into_response()
    })
    .await
}
