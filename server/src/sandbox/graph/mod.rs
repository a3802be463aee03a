//! Microsoft Graph v1.0 for OneDrive (for Business) and SharePoint (`/microsoft/v1.0/...`):
//! `/me`, drives, items, children, delta, content and sites, following the OneDrive docs
//! in `shared/reference/api-specs/microsoft-graph/`.
//!
//! Faithful details a client relies on: paging by `@odata.nextLink` (children: `$top`);
//! delta pages end with `@odata.deltaLink`, `token=latest` returns only a deltaLink, items
//! deleted since the token carry the `deleted` facet (and, as in OneDrive for Business, no
//! `name` or `cTag`), `parentReference.path` is never returned in delta, and an item
//! changed several times appears several times (the last occurrence wins); an invalidated
//! token answers 410 Gone with `resyncRequired` and a `Location` to a fresh enumeration;
//! `/content` answers 302 to a pre-authenticated, expiring download URL on the sandbox
//! that needs no `Authorization` header. `$select` is accepted and ignored.

mod model;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::sandbox::accounts::{AccountHandle, AccountKey};
use crate::sandbox::faults::{self, Denial};
use crate::sandbox::state::{
    Account, ChangeKind, DriveIdx, DriveKind, HashKind, ItemIdx, ItemKind,
};
use crate::sandbox::util::{self, BaseUrl, Refusal};
use crate::sandbox::{Provider, Sandbox};

pub use model::*;

pub(crate) fn routes() -> Router<Sandbox> {
    let mut router = Router::new()
        .route("/microsoft/v1.0/me", get(me))
        .route("/microsoft/v1.0/me/revokeSignInSessions", post(revoke_sign_in_sessions))
        .route("/microsoft/v1.0/me/drives", get(my_drives))
        .route("/microsoft/v1.0/sites", get(sites_search))
        .route("/microsoft/v1.0/sites/{site_id}", get(site_get))
        .route("/microsoft/v1.0/sites/{site_id}/drives", get(site_drives))
        .route("/microsoft/download/{token}", get(download));
    // The same drive API under each way of addressing a drive.
    for prefix in [
        "/microsoft/v1.0/me/drive",
        "/microsoft/v1.0/drives/{drive_id}",
        "/microsoft/v1.0/sites/{site_id}/drive",
    ] {
        router = router
            .route(prefix, get(drive_get))
            .route(&format!("{prefix}/root"), get(item_get))
            .route(&format!("{prefix}/root/children"), get(children))
            .route(&format!("{prefix}/root/delta"), get(delta))
            .route(&format!("{prefix}/items/{{item_id}}"), get(item_get))
            .route(&format!("{prefix}/items/{{item_id}}/children"), get(children))
            .route(&format!("{prefix}/items/{{item_id}}/content"), get(content));
    }
    router
}

type Params = HashMap<String, String>;
type Answer = Result<Response, Refusal>;

fn inner_error(code: Option<&str>) -> GraphInnerError {
    let mut rng = rand::rng();
    GraphInnerError {
        code: code.map(str::to_string),
        date: Some(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()),
        request_id: Some(util::guid(&mut rng).to_lowercase()),
        client_request_id: Some(util::guid(&mut rng).to_lowercase()),
    }
}

fn graph_error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Refusal {
    let body = GraphErrorResponse {
        error: GraphError {
            code: code.to_string(),
            message: message.to_string(),
            innererror: Some(inner_error(inner)),
        },
    };
    (status, axum::Json(body)).into_response().into()
}

fn item_not_found() -> Refusal {
    graph_error(StatusCode::NOT_FOUND, "itemNotFound", "The resource could not be found.", None)
}

fn denial(denial: Denial) -> Refusal {
    match denial {
        Denial::MissingToken | Denial::InvalidToken | Denial::ExpiredToken => {
            let message = match denial {
                Denial::MissingToken => "Access token is empty.",
                Denial::ExpiredToken => "Access token has expired or is not yet valid.",
                _ => "Access token validation failure. Invalid audience.",
            };
            graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message, None).with_header(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
                ),
            )
        }
        Denial::Throttled { retry_after, .. } => graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "activityLimitReached",
            "The request has been throttled",
            Some("throttledRequest"),
        )
        .with_header(http::header::RETRY_AFTER, HeaderValue::from(retry_after)),
        Denial::ServerError { status } => server_error(status),
    }
}

fn server_error(status: u16) -> Refusal {
    match status {
        503 => graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is not available. Try the request again after a delay.",
            None,
        ),
        other => graph_error(
            StatusCode::from_u16(other).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "generalException",
            "An unspecified error has occurred.",
            None,
        ),
    }
}

async fn admit(
    sb: &Sandbox,
    endpoint: &'static str,
    headers: &HeaderMap,
) -> Result<Arc<AccountHandle>, Refusal> {
    faults::admit(sb, Provider::Microsoft, endpoint, headers).await.map_err(denial)
}

fn guid_for(id: &str) -> String {
    let d = Sha256::digest(id.as_bytes());
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode_upper(&d[0..4]),
        hex::encode_upper(&d[4..6]),
        hex::encode_upper(&d[6..8]),
        hex::encode_upper(&d[8..10]),
        hex::encode_upper(&d[10..16])
    )
}

fn drive_type(kind: DriveKind) -> &'static str {
    match kind {
        DriveKind::DocumentLibrary => "documentLibrary",
        _ => "business",
    }
}

fn me_identity(acct: &Account) -> GraphIdentitySet {
    GraphIdentitySet {
        user: Some(GraphIdentity {
            display_name: Some(acct.profile.display_name.clone()),
            id: Some(acct.profile.user_id.clone()),
            email: Some(acct.profile.email.clone()),
        }),
        group: None,
    }
}

fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            url::form_urlencoded::byte_serialize(segment.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn drive_web_url(acct: &Account, drive: DriveIdx) -> String {
    let d = acct.drive(drive);
    match d.site {
        Some(site) => {
            format!("{}/{}", acct.sites[site].web_url, encode_path(&d.name.replace(' ', "")))
        }
        None => {
            let user: String = acct
                .profile
                .email
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            format!("https://contoso-my.sharepoint.com/personal/{user}/Documents")
        }
    }
}

/// How a request addressed the drive: `/me/drive`, `/drives/{id}` or `/sites/{id}/drive`.
fn resolve_drive(acct: &Account, path: &HashMap<String, String>) -> Result<DriveIdx, Refusal> {
    if let Some(id) = path.get("drive_id") {
        return acct.drive_by_id(id).ok_or_else(|| {
            graph_error(
                StatusCode::NOT_FOUND,
                "itemNotFound",
                "The drive you are trying to access does not exist.",
                None,
            )
        });
    }
    if let Some(site_id) = path.get("site_id") {
        let site = acct.sites.iter().find(|s| s.id == *site_id).ok_or_else(site_not_found)?;
        return site.drives.first().copied().ok_or_else(item_not_found);
    }
    Ok(acct.default_drive())
}

fn site_not_found() -> Refusal {
    graph_error(StatusCode::NOT_FOUND, "itemNotFound", "Requested site could not be found", None)
}

fn resolve_item(
    acct: &Account,
    drive: DriveIdx,
    path: &HashMap<String, String>,
) -> Result<ItemIdx, Refusal> {
    match path.get("item_id") {
        None => Ok(acct.drive(drive).root),
        Some(id) => acct
            .find_live(id)
            .filter(|&idx| acct.item(idx).drive == drive)
            .ok_or_else(item_not_found),
    }
}

/// What a rendering is for: delta omits `parentReference.path`, and deleted items lose
/// `name`, `cTag` and `size` (OneDrive for Business).
#[derive(Clone, Copy, PartialEq)]
enum View {
    Plain,
    Delta,
}

fn folder_size(acct: &Account, idx: ItemIdx) -> u64 {
    acct.walk(idx, true, false, false).into_iter().filter_map(|i| acct.item(i).size()).sum()
}

fn render(
    sb: &Sandbox,
    acct: &mut Account,
    key: &AccountKey,
    idx: ItemIdx,
    base: &str,
    view: View,
) -> GraphItem {
    let quick_xor = acct.hash(idx, HashKind::QuickXor);
    let item = acct.item(idx);
    let drive_idx = item.drive;
    let drive = acct.drive(drive_idx);
    let id = item.id.to_string();
    let guid = guid_for(&id);
    let deleted = item.deleted && view == View::Delta;
    let parent_reference = Some(GraphItemReference {
        drive_id: Some(drive.id.clone()),
        drive_type: Some(drive_type(drive.kind).to_string()),
        id: item.parent.map(|p| acct.item(p).id.to_string()),
        name: None,
        path: match (view, item.parent) {
            (View::Plain, Some(parent)) => {
                let prefix = if drive_idx == acct.default_drive() {
                    "/drive/root:".to_string()
                } else {
                    format!("/drives/{}/root:", drive.id)
                };
                Some(format!("{prefix}{}", encode_path(&acct.path(parent))))
            }
            _ => None,
        },
        site_id: drive.site.map(|s| acct.sites[s].id.clone()),
    });
    let web_url = format!("{}{}", drive_web_url(acct, drive_idx), encode_path(&acct.path(idx)));
    let (file, folder, size, c_tag, download_url) = match &item.kind {
        ItemKind::Folder(f) => (
            None,
            Some(GraphFolderFacet {
                child_count: (!deleted).then_some(u64::from(f.live_children)),
            }),
            (!deleted).then(|| folder_size(acct, idx)),
            None,
            None,
        ),
        ItemKind::File { mime, content } => (
            Some(GraphFileFacet {
                mime_type: (!deleted).then(|| mime.to_string()),
                hashes: (!deleted)
                    .then(|| GraphHashes { quick_xor_hash: quick_xor, ..Default::default() }),
            }),
            None,
            (!deleted).then(|| content.len()),
            (view == View::Plain).then(|| format!("\"c:{{{guid}}},{}\"", item.content_seq)),
            (!item.deleted).then(|| download_url(sb, base, key, &id)),
        ),
        // Graph has no native Google Docs; never stored in a Microsoft account.
        ItemKind::GoogleDoc { .. } => (None, None, None, None, None),
    };
    GraphItem {
        download_url,
        id: Some(id.clone()),
        name: (!deleted).then(|| item.name.to_string()),
        e_tag: Some(format!("\"{{{guid}}},{}\"", item.version)),
        c_tag,
        size,
        created_date_time: Some(util::rfc3339_secs(item.created_ms)),
        last_modified_date_time: Some(util::rfc3339_secs(item.modified_ms)),
        web_url: (!deleted).then_some(web_url),
        created_by: Some(me_identity(acct)),
        last_modified_by: Some(me_identity(acct)),
        parent_reference: if item.is_root() {
            parent_reference.map(|r| GraphItemReference { id: None, path: None, ..r })
        } else {
            parent_reference
        },
        file,
        folder,
        root: item.is_root().then_some(GraphRootFacet {}),
        deleted: deleted.then(|| GraphDeletedFacet { state: Some("deleted".into()) }),
        file_system_info: (!deleted).then(|| GraphFileSystemInfo {
            created_date_time: Some(util::rfc3339_secs(item.created_ms)),
            last_modified_date_time: Some(util::rfc3339_secs(item.modified_ms)),
        }),
    }
}

fn render_drive(acct: &Account, drive: DriveIdx) -> GraphDrive {
    let d = acct.drive(drive);
    let used: u64 =
        acct.items.iter().filter(|i| i.drive == drive && !i.deleted).filter_map(|i| i.size()).sum();
    let total = 1_099_511_627_776;
    GraphDrive {
        id: d.id.clone(),
        drive_type: drive_type(d.kind).to_string(),
        name: d.name.clone(),
        description: Some(String::new()),
        web_url: Some(drive_web_url(acct, drive)),
        created_date_time: Some(util::rfc3339_secs(d.created_ms)),
        last_modified_date_time: Some(util::rfc3339_secs(d.created_ms)),
        owner: Some(match d.site {
            Some(site) => GraphIdentitySet {
                user: None,
                group: Some(GraphIdentity {
                    display_name: Some(format!("{} Owners", acct.sites[site].display_name)),
                    id: Some(guid_for(&acct.sites[site].id).to_lowercase()),
                    email: None,
                }),
            },
            None => me_identity(acct),
        }),
        quota: Some(GraphQuota {
            deleted: 0,
            remaining: total - used,
            state: "normal".into(),
            total,
            used,
        }),
    }
}

fn render_site(site: &crate::sandbox::state::Site) -> GraphSite {
    GraphSite {
        id: site.id.clone(),
        name: site.name.clone(),
        display_name: site.display_name.clone(),
        web_url: site.web_url.clone(),
        description: Some(format!("{} team site", site.display_name)),
        created_date_time: Some(util::rfc3339_secs(site.created_ms)),
        last_modified_date_time: Some(util::rfc3339_secs(site.created_ms)),
        site_collection: Some(GraphSiteCollection {
            hostname: crate::sandbox::accounts::SHAREPOINT_HOST.to_string(),
        }),
    }
}

fn json<T: Serialize>(body: &T) -> Answer {
    Ok(axum::Json(body).into_response())
}

async fn me(State(sb): State<Sandbox>, BaseUrl(base): BaseUrl, headers: HeaderMap) -> Answer {
    let account = admit(&sb, "me", &headers).await?;
    let acct = account.data();
    let user = GraphUser {
        id: acct.profile.user_id.clone(),
        display_name: acct.profile.display_name.clone(),
        given_name: Some(acct.profile.given_name.clone()),
        surname: Some(acct.profile.surname.clone()),
        mail: Some(acct.profile.email.clone()),
        user_principal_name: Some(acct.profile.email.clone()),
    };
    let mut value = serde_json::to_value(user).unwrap_or_default();
    value["@odata.context"] = json!(format!("{base}/microsoft/v1.0/$metadata#users/$entity"));
    json(&value)
}

/// Invalidates the user's refresh tokens and (as Continuous Access Evaluation does) their
/// access tokens.
async fn revoke_sign_in_sessions(State(sb): State<Sandbox>, headers: HeaderMap) -> Answer {
    let account = admit(&sb, "revokeSignInSessions", &headers).await?;
    util::lock(&sb.inner.oauth).revoke_account(&account.key);
    json(
        &json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", "value": true}),
    )
}

async fn my_drives(State(sb): State<Sandbox>, headers: HeaderMap) -> Answer {
    let account = admit(&sb, "drives.list", &headers).await?;
    let acct = account.data();
    let drives = vec![render_drive(&acct, acct.default_drive())];
    json(&GraphCollection { value: drives, ..Default::default() })
}

async fn drive_get(
    State(sb): State<Sandbox>,
    Path(path): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Answer {
    let account = admit(&sb, "drive.get", &headers).await?;
    let acct = account.data();
    let drive = resolve_drive(&acct, &path)?;
    json(&render_drive(&acct, drive))
}

async fn item_get(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    Path(path): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Answer {
    let account = admit(&sb, "item.get", &headers).await?;
    let mut acct = account.data();
    let drive = resolve_drive(&acct, &path)?;
    let idx = resolve_item(&acct, drive, &path)?;
    let item = render(&sb, &mut acct, &account.key, idx, &base, View::Plain);
    json(&item)
}

fn top(q: &Params, default: usize) -> Result<usize, Refusal> {
    match q.get("$top").or(q.get("top")) {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(graph_error(
                StatusCode::BAD_REQUEST,
                "invalidRequest",
                &format!(
                    "Invalid page size specified: '{text}'. Must be between 1 and 1000 inclusive."
                ),
                None,
            )),
        },
    }
}

#[derive(Serialize, Deserialize)]
struct SkipToken {
    /// The folder being listed and the last child returned.
    p: String,
    a: ItemIdx,
}

async fn children(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    Path(path): Path<HashMap<String, String>>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "children", &headers).await?;
    let size = top(&q, 200)?;
    let mut acct = account.data();
    let drive = resolve_drive(&acct, &path)?;
    let folder = resolve_item(&acct, drive, &path)?;
    let folder_id = acct.item(folder).id.to_string();
    if !acct.item(folder).is_folder() {
        return json(&GraphCollection::<GraphItem> { value: Vec::new(), ..Default::default() });
    }
    let after = match q.get("$skiptoken").or(q.get("skiptoken")) {
        None => None,
        Some(token) => match util::decode_token::<SkipToken>(token) {
            Some(t) if t.p == folder_id => Some(t.a),
            _ => {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "Invalid skip token.",
                    None,
                ));
            }
        },
    };
    let candidates: Vec<ItemIdx> = acct
        .item(folder)
        .folder()
        .map(|f| {
            f.children
                .range(after.map_or(0, |a| a.saturating_add(1))..)
                .copied()
                .filter(|&c| !acct.item(c).deleted)
                .take(size + 1)
                .collect()
        })
        .unwrap_or_default();
    let more = candidates.len() > size;
    let page = &candidates[..candidates.len().min(size)];
    let drive_id = acct.drive(drive).id.clone();
    let next_link = match (more, page.last()) {
        (true, Some(&last)) => Some(format!(
            "{base}/microsoft/v1.0/drives/{drive_id}/items/{folder_id}/children?$top={size}&$skiptoken={}",
            util::encode_token(&SkipToken { p: folder_id.clone(), a: last })
        )),
        _ => None,
    };
    let value = page
        .iter()
        .map(|&idx| render(&sb, &mut acct, &account.key, idx, &base, View::Plain))
        .collect();
    json(&GraphCollection {
        context: Some(format!(
            "{base}/microsoft/v1.0/$metadata#drives('{drive_id}')/items('{folder_id}')/children"
        )),
        value,
        next_link,
        delta_link: None,
    })
}

/// A delta token: where an enumeration or change feed stands, for one drive.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct DeltaToken {
    /// The account's cursor epoch when issued.
    e: u32,
    d: DriveIdx,
    /// Page size.
    t: usize,
    m: DeltaMode,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum DeltaMode {
    /// Start a fresh enumeration of the drive's current state.
    Fresh,
    /// Inside an enumeration snapshot; `base` is the log position it was taken at.
    Snapshot { id: u64, offset: usize, base: u64 },
    /// Changes after log position `pos`.
    Changes { pos: u64 },
}

fn delta_link(base: &str, acct: &Account, token: &DeltaToken) -> String {
    format!(
        "{base}/microsoft/v1.0/drives/{}/root/delta?token={}",
        acct.drive(token.d).id,
        util::encode_token(token)
    )
}

fn resync(base: &str, acct: &Account, drive: DriveIdx, size: usize) -> Refusal {
    let fresh = DeltaToken { e: acct.epoch, d: drive, t: size, m: DeltaMode::Fresh };
    graph_error(
        StatusCode::GONE,
        "resyncRequired",
        "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
        Some("resyncChangesApplyDifferences"),
    )
    .with_header(http::header::LOCATION, util::header_value(&delta_link(base, acct, &fresh)))
}

async fn delta(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    Path(path): Path<HashMap<String, String>>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "delta", &headers).await?;
    let mut acct = account.data();
    let drive = resolve_drive(&acct, &path)?;
    let explicit_top = q.contains_key("$top") || q.contains_key("top");
    let size = top(&q, 200)?;
    let mut token = match q.get("token").map(String::as_str) {
        None => DeltaToken { e: acct.epoch, d: drive, t: size, m: DeltaMode::Fresh },
        Some("latest") => {
            let latest = DeltaToken {
                e: acct.epoch,
                d: drive,
                t: size,
                m: DeltaMode::Changes { pos: acct.seq() },
            };
            let link = delta_link(&base, &acct, &latest);
            return json(&GraphCollection::<GraphItem> {
                delta_link: Some(link),
                ..Default::default()
            });
        }
        Some(text) => match util::decode_token::<DeltaToken>(text) {
            Some(token) if token.d == drive && token.e == acct.epoch => token,
            Some(token) if token.d == drive => return Err(resync(&base, &acct, drive, token.t)),
            Some(_) => {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "invalidRequest",
                    "The delta token belongs to another drive.",
                    None,
                ));
            }
            // OneDrive for Business and SharePoint also accept a timestamp as the token.
            None => match chrono::DateTime::parse_from_rfc3339(text) {
                Ok(at) => {
                    let at = at.timestamp_millis();
                    let pos = acct.log.partition_point(|r| r.time_ms < at) as u64;
                    DeltaToken { e: acct.epoch, d: drive, t: size, m: DeltaMode::Changes { pos } }
                }
                Err(_) => {
                    return Err(graph_error(
                        StatusCode::BAD_REQUEST,
                        "invalidRequest",
                        "Invalid delta token.",
                        None,
                    ));
                }
            },
        },
    };
    if explicit_top {
        token.t = size;
    }
    let size = token.t.clamp(1, 1000);
    let (items, next) = match token.m {
        DeltaMode::Fresh | DeltaMode::Snapshot { .. } => {
            let (id, snapshot, offset, base_seq) = match token.m {
                DeltaMode::Snapshot { id, offset, base: base_seq } => {
                    match acct.enumerations.get(id) {
                        Some(snapshot) => (id, snapshot, offset, base_seq),
                        None => return Err(resync(&base, &acct, drive, size)),
                    }
                }
                _ => {
                    let root = acct.drive(drive).root;
                    let base_seq = acct.seq();
                    let order = acct.walk(root, true, true, false);
                    let (id, snapshot) = acct.enumerations.start(order);
                    (id, snapshot, 0, base_seq)
                }
            };
            let end = offset.saturating_add(size).min(snapshot.len());
            let items = snapshot[offset.min(end)..end].to_vec();
            let next = if end < snapshot.len() {
                DeltaMode::Snapshot { id, offset: end, base: base_seq }
            } else {
                DeltaMode::Changes { pos: base_seq }
            };
            (items, next)
        }
        DeltaMode::Changes { pos } => {
            let pos = pos.min(acct.seq());
            let mut items = Vec::new();
            let mut reached = acct.seq();
            for seq in pos + 1..=acct.seq() {
                let record = &acct.log[(seq - 1) as usize];
                if record.kind == ChangeKind::PathOnly
                    || acct.item(record.item).drive != drive
                    || acct.item(record.item).is_root()
                {
                    continue;
                }
                if items.len() == size {
                    reached = seq - 1;
                    break;
                }
                items.push(record.item);
            }
            (items, DeltaMode::Changes { pos: reached })
        }
    };
    let more = match next {
        DeltaMode::Snapshot { .. } => true,
        DeltaMode::Changes { pos } => {
            pos < acct.seq() && matches!(token.m, DeltaMode::Changes { .. })
        }
        DeltaMode::Fresh => false,
    };
    let next_token = DeltaToken { e: acct.epoch, d: drive, t: size, m: next };
    let link = delta_link(&base, &acct, &next_token);
    let value = items
        .into_iter()
        .map(|idx| render(&sb, &mut acct, &account.key, idx, &base, View::Delta))
        .collect();
    json(&GraphCollection {
        context: Some(format!("{base}/microsoft/v1.0/$metadata#Collection(driveItem)")),
        value,
        next_link: more.then(|| link.clone()),
        delta_link: (!more).then_some(link),
    })
}

/// The claims of a pre-authenticated download URL.
#[derive(Serialize, Deserialize)]
struct DownloadClaims {
    u: String,
    i: String,
    /// Expiry, sandbox clock milliseconds.
    x: i64,
}

fn sign(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    // HMAC-SHA256 (RFC 2104).
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner_hash = Sha256::new().chain_update(&inner).chain_update(message).finalize();
    Sha256::new().chain_update(&outer).chain_update(inner_hash).finalize().into()
}

fn download_url(sb: &Sandbox, base: &str, key: &AccountKey, item_id: &str) -> String {
    let claims = DownloadClaims {
        u: key.username.clone(),
        i: item_id.to_string(),
        x: sb.now_ms() + sb.options().download_url_lifetime_secs as i64 * 1000,
    };
    let body = util::encode_token(&claims);
    let mac = URL_SAFE_NO_PAD.encode(&sign(&sb.inner.download_key, body.as_bytes())[..16]);
    format!("{base}/microsoft/download/{body}.{mac}")
}

async fn content(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    Path(path): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Answer {
    let account = admit(&sb, "content", &headers).await?;
    let acct = account.data();
    let drive = resolve_drive(&acct, &path)?;
    let idx = resolve_item(&acct, drive, &path)?;
    let item = acct.item(idx);
    if !matches!(item.kind, ItemKind::File { .. }) {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Only files can be downloaded.",
            None,
        ));
    }
    let guid = guid_for(&item.id);
    let tags = [
        format!("\"{{{guid}}},{}\"", item.version),
        format!("\"c:{{{guid}}},{}\"", item.content_seq),
    ];
    let if_none_match = headers.get(http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    // Graph tags contain commas ("{GUID},1"), so match whole quoted tags, not split pieces.
    if if_none_match
        .is_some_and(|v| v.trim() == "*" || tags.iter().any(|tag| v.contains(tag.as_str())))
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let location = download_url(&sb, &base, &account.key, &item.id);
    let mut response = StatusCode::FOUND.into_response();
    response.headers_mut().insert(http::header::LOCATION, util::header_value(&location));
    Ok(response)
}

/// The pre-authenticated download URL: no `Authorization` needed, but it expires.
async fn download(
    State(sb): State<Sandbox>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let unauthenticated = || {
        graph_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "The download URL is invalid or has expired.",
            None,
        )
    };
    let (body, mac) = token.rsplit_once('.').ok_or_else(unauthenticated)?;
    let expected = URL_SAFE_NO_PAD.encode(&sign(&sb.inner.download_key, body.as_bytes())[..16]);
    if mac != expected {
        return Err(unauthenticated());
    }
    let claims: DownloadClaims = util::decode_token(body).ok_or_else(unauthenticated)?;
    if claims.x <= sb.now_ms() {
        return Err(unauthenticated());
    }
    let key = AccountKey { provider: Provider::Microsoft, username: claims.u };
    let account = sb.existing_account(&key).ok_or_else(item_not_found)?;
    account.counters().total += 1;
    *account.counters().by_endpoint.entry("download".into()).or_default() += 1;
    faults::apply_faults(&account).await.map_err(denial)?;
    if account.faults().download_fails(&claims.i) {
        account.counters().server_errors += 1;
        return Err(server_error(500));
    }
    let acct = account.data();
    let idx = acct.find_live(&claims.i).ok_or_else(item_not_found)?;
    let ItemKind::File { mime, content } = &acct.item(idx).kind else {
        return Err(item_not_found());
    };
    let (mime, content, name) =
        (mime.to_string(), content.clone(), acct.item(idx).name.to_string());
    drop(acct);
    let disposition = format!("attachment; filename=\"{}\"", name.replace('"', ""));
    Ok(util::bytes_response(
        &headers,
        content.bytes().to_vec(),
        &mime,
        vec![("content-disposition", disposition)],
    ))
}

async fn sites_search(
    State(sb): State<Sandbox>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Answer {
    let account = admit(&sb, "sites.search", &headers).await?;
    let acct = account.data();
    let needle =
        q.get("search").map(|s| s.trim().trim_matches('"').to_lowercase()).unwrap_or_default();
    let value: Vec<GraphSite> = acct
        .sites
        .iter()
        .filter(|s| {
            needle.is_empty()
                || needle == "*"
                || s.name.to_lowercase().contains(&needle)
                || s.display_name.to_lowercase().contains(&needle)
        })
        .map(render_site)
        .collect();
    json(&GraphCollection {
        context: Some(format!("{base}/microsoft/v1.0/$metadata#sites")),
        value,
        ..Default::default()
    })
}

async fn site_get(
    State(sb): State<Sandbox>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let account = admit(&sb, "sites.get", &headers).await?;
    let acct = account.data();
    let site = acct.sites.iter().find(|s| s.id == site_id).ok_or_else(site_not_found)?;
    json(&render_site(site))
}

async fn site_drives(
    State(sb): State<Sandbox>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let account = admit(&sb, "sites.drives", &headers).await?;
    let acct = account.data();
    let site = acct.sites.iter().find(|s| s.id == site_id).ok_or_else(site_not_found)?;
    let value = site.drives.iter().map(|&d| render_drive(&acct, d)).collect();
    json(&GraphCollection::<GraphDrive> { value, ..Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        // Key "Jefe" padded with zeros is the same HMAC key as "Jefe" itself.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = sign(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
