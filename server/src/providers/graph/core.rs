//! Microsoft Graph requests: remote ids that name a drive and an item
//! ([`ItemRef`]), URLs under `api_base` + `/v1.0`, collection paging by
//! `@odata.nextLink` (links are checked to stay on the API origin, since they
//! are sent with our token), the two-step download (`/content` answers 302 to
//! a pre-authenticated URL that must be fetched without the token), and
//! [`parse_error`], the one place Graph answers are classified.

use app::model::Timestamp;
use http::StatusCode;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::de::DeserializeOwned;
use url::Url;

use super::model::{GraphErrorResponse, GraphItem, GraphPage};
use crate::providers::http::{ErrorResponse, HttpClient};
use crate::providers::{ErrorKind, ProviderError, ProviderResult, RemoteItem};

/// Children per page: the most the API hands out at once.
pub const CHILDREN_PAGE_SIZE: u32 = 999;

/// Characters kept as they are in an id path segment: unreserved, and `!`
/// (Graph drive ids look like `b!…`; the docs show them unencoded).
const ID_SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'!');

/// An item addressed by drive and item id, the form of every remote id this
/// provider hands out: `<driveId>!<itemId>`, with `root` for a drive's root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemRef {
    pub drive: String,
    pub item: String,
}

impl ItemRef {
    pub fn new(drive: impl Into<String>, item: impl Into<String>) -> Self {
        Self { drive: drive.into(), item: item.into() }
    }

    /// Splits `<driveId>!<itemId>`. Business drive ids contain a `!` of their
    /// own (`b!…`) and OneDrive Personal item ids do too (`D4648F06C91D9D3D!54927`),
    /// so a `b!` drive id ends at its second `!`, any other at its first.
    pub fn parse(remote_id: &str) -> Option<Self> {
        let skip = if remote_id.starts_with("b!") { 2 } else { 0 };
        let at = remote_id.get(skip..)?.find('!')? + skip;
        let (drive, item) = (&remote_id[..at], &remote_id[at + 1..]);
        (!drive.is_empty() && !item.is_empty() && !drive.ends_with('!'))
            .then(|| Self::new(drive, item))
    }

    pub fn encode(&self) -> String {
        format!("{}!{}", self.drive, self.item)
    }

    pub fn is_root(&self) -> bool {
        self.item == "root"
    }

    /// `/drives/{d}/root` or `/drives/{d}/items/{i}`, relative to `/v1.0`.
    pub fn path(&self) -> String {
        let drive = utf8_percent_encode(&self.drive, ID_SEGMENT);
        if self.is_root() {
            format!("/drives/{drive}/root")
        } else {
            format!("/drives/{drive}/items/{}", utf8_percent_encode(&self.item, ID_SEGMENT))
        }
    }
}

/// Encodes an id for use in a URL path (`/sites/{id}`, `/drives/{id}`).
pub fn encode_id(id: &str) -> String {
    utf8_percent_encode(id, ID_SEGMENT).to_string()
}

/// `parent` + `/` + `name`, where the root path is `""` or `/`.
pub fn join_path(parent: &str, name: &str) -> String {
    format!("{}/{name}", parent.trim_end_matches('/'))
}

/// A selected folder's path in its one form: `/Docs`, or `""` for a drive root.
pub fn normalize_path(path: &str) -> String {
    path.trim().trim_end_matches('/').to_string()
}

/// The drive-relative path of an item's parent from `parentReference.path`
/// (`/drive/root:/Docs%20A` → `/Docs A`, `/drives/b!x/root:` → `""`).
pub fn parent_path(item: &GraphItem) -> Option<String> {
    let path = item.parent_reference.as_ref()?.path.as_deref()?;
    let (_, rest) = path.split_once("root:")?;
    Some(percent_decode_str(rest).decode_utf8_lossy().trim_end_matches('/').to_string())
}

/// The document's view of a file; `None` for folders, packages and items
/// without an id or name.
pub fn remote_item(drive: &str, item: &GraphItem, path: String) -> Option<RemoteItem> {
    let id = item.id.as_deref()?;
    let name = item.name.clone()?;
    let file = item.file.as_ref()?;
    let mut metadata = serde_json::Map::new();
    if let Some(e_tag) = &item.e_tag {
        metadata.insert("etag".into(), e_tag.clone().into());
    }
    Some(RemoteItem {
        id: ItemRef::new(drive, id).encode(),
        name,
        path,
        is_folder: false,
        mime_type: file
            .mime_type
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "application/octet-stream".to_string()),
        size: item.size.unwrap_or(0),
        modified_at: item.last_modified_date_time.as_deref().and_then(Timestamp::parse),
        version: item.version(),
        web_url: item.web_url.clone(),
        metadata,
    })
}

/// Requests to one Microsoft account.
#[derive(Clone)]
pub struct GraphCore {
    /// Bearer-authenticated, follows no redirects.
    api: HttpClient,
    /// No `Authorization` at all: for pre-authenticated download URLs.
    download: HttpClient,
    /// `api_base` + `/v1.0`, parsed.
    base: Url,
}

impl GraphCore {
    pub fn new(api: HttpClient, download: HttpClient, api_base: &str) -> ProviderResult<Self> {
        let base = Url::parse(&format!("{}/v1.0", api_base.trim_end_matches('/')))
            .map_err(|e| ProviderError::invalid(format!("providers.*.api_base: {e}")))?;
        Ok(Self { api, download, base })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// A link from an answer (`@odata.nextLink`, `@odata.deltaLink`, stored
    /// cursors): only ever sent with our token if it points back at the API.
    pub fn check_link(&self, link: &str) -> ProviderResult<Url> {
        let url = Url::parse(link).map_err(|_| {
            ProviderError::new(ErrorKind::CursorInvalid, "the Graph link is not a URL")
        })?;
        let prefix = self.base.path().trim_end_matches('/');
        let under_base = url.path() == prefix || url.path().starts_with(&format!("{prefix}/"));
        if url.origin() != self.base.origin() || !under_base {
            return Err(ProviderError::new(
                ErrorKind::CursorInvalid,
                "a Graph link points outside the configured API",
            )
            .with_context("host", url.host_str().unwrap_or("")));
        }
        Ok(url)
    }

    /// `GET {base}{path}` as JSON.
    pub async fn graph_get<T: DeserializeOwned>(&self, path: &str) -> ProviderResult<T> {
        let url = self.url(path);
        self.api.json(|c| c.get(&url)).await
    }

    /// `GET` of a link the API handed out, as JSON.
    pub async fn graph_follow<T: DeserializeOwned>(&self, link: &str) -> ProviderResult<T> {
        let url = self.check_link(link)?;
        self.api.json(|c| c.get(url.clone())).await
    }

    /// Every element of a collection, following `@odata.nextLink`.
    pub async fn graph_all<T: DeserializeOwned>(&self, path: &str) -> ProviderResult<Vec<T>> {
        let mut page: GraphPage<T> = self.graph_get(path).await?;
        let mut all = std::mem::take(&mut page.value);
        while let Some(next) = page.next_link.take() {
            page = self.graph_follow(&next).await?;
            all.append(&mut page.value);
        }
        Ok(all)
    }

    /// The first page of a folder's children.
    pub async fn graph_children(&self, folder: &ItemRef) -> ProviderResult<GraphPage<GraphItem>> {
        self.graph_get(&children_path(folder)).await
    }

    /// All children of a folder.
    pub async fn graph_all_children(&self, folder: &ItemRef) -> ProviderResult<Vec<GraphItem>> {
        self.graph_all(&children_path(folder)).await
    }

    /// The content of a file: `/content` answers 302 to a pre-authenticated
    /// URL, fetched here without our token. A URL that expired before we got
    /// to it is asked for again, once.
    pub async fn graph_content(&self, item: &ItemRef) -> ProviderResult<reqwest::Response> {
        let url = self.url(&format!("{}/content", item.path()));
        let mut fresh_url_asked = false;
        loop {
            let response = self.api.send(|c| c.get(&url)).await?;
            if !response.status().is_redirection() {
                return Ok(response);
            }
            let target = download_target(&response, &self.base)?;
            match self.download.send(|c| c.get(target.clone())).await {
                Err(e)
                    if !fresh_url_asked
                        && matches!(e.kind(), ErrorKind::AuthExpired | ErrorKind::AccessDenied) =>
                {
                    fresh_url_asked = true;
                }
                other => return other,
            }
        }
    }
}

fn children_path(folder: &ItemRef) -> String {
    format!("{}/children?$top={CHILDREN_PAGE_SIZE}", folder.path())
}

/// Where a 302 from `/content` points: an absolute http(s) URL (or one
/// relative to the API).
fn download_target(response: &reqwest::Response, base: &Url) -> ProviderResult<Url> {
    let location =
        response.headers().get(http::header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(
            || ProviderError::parse("Graph answered a download with a redirect but no Location"),
        )?;
    let url = base
        .join(location)
        .map_err(|_| ProviderError::parse("Graph redirected a download to an invalid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ProviderError::parse("Graph redirected a download to a non-HTTP URL"));
    }
    Ok(url)
}

/// The one place Graph error answers are classified:
/// `{"error": {"code", "message", "innererror": {"code"}}}`.
pub fn parse_error(answer: &ErrorResponse) -> ProviderError {
    let body: Option<GraphErrorResponse> = serde_json::from_slice(&answer.body).ok();
    let (code, message, inner) = match &body {
        Some(b) => (
            b.error.code.as_str(),
            b.error.message.as_str(),
            b.error.innererror.as_ref().and_then(|i| i.code.as_deref()).unwrap_or(""),
        ),
        None => ("", "", ""),
    };
    let status = answer.status.as_u16();
    let resync = [code, inner].iter().any(|c| c.to_ascii_lowercase().starts_with("resync"));
    let kind = match answer.status {
        StatusCode::UNAUTHORIZED => ErrorKind::AuthExpired,
        StatusCode::FORBIDDEN => ErrorKind::AccessDenied,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        StatusCode::GONE if resync => ErrorKind::CursorInvalid,
        StatusCode::GONE => ErrorKind::NotFound,
        // 509 is SharePoint's "bandwidth limit exceeded".
        StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
        s if s.as_u16() == 509 => ErrorKind::RateLimited,
        StatusCode::BAD_REQUEST => ErrorKind::Invalid,
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => ErrorKind::Transient,
        _ => return answer.default_error(),
    };
    let what = match kind {
        ErrorKind::CursorInvalid => "the change feed must start over",
        ErrorKind::AuthExpired => "Microsoft rejected the sign-in",
        ErrorKind::AccessDenied => "access denied",
        ErrorKind::NotFound => "not found",
        ErrorKind::RateLimited => "Microsoft Graph asks us to slow down",
        ErrorKind::Transient => "Microsoft Graph is unavailable",
        _ => "Microsoft Graph refused the request",
    };
    let detail: String = message.chars().take(200).collect();
    let text = match (code.is_empty(), detail.is_empty()) {
        (true, _) => format!("{what} (HTTP {status})"),
        (false, true) => format!("{what} ({code}, HTTP {status})"),
        (false, false) => format!("{what}: {detail} ({code}, HTTP {status})"),
    };
    let mut error = ProviderError::new(kind, text)
        .with_retry_after(answer.retry_after())
        .with_context("status", status);
    if !code.is_empty() {
        error = error.with_context("code", code);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_ids_carry_the_drive_whatever_its_format() {
        let business = ItemRef::parse("b!AbC-d_9!01ABCDEF").unwrap();
        assert_eq!((business.drive.as_str(), business.item.as_str()), ("b!AbC-d_9", "01ABCDEF"));
        let personal = ItemRef::parse("d4648f06c91d9d3d!D4648F06C91D9D3D!54927").unwrap();
        assert_eq!(personal.drive, "d4648f06c91d9d3d");
        assert_eq!(personal.item, "D4648F06C91D9D3D!54927");
        assert_eq!(personal.encode(), "d4648f06c91d9d3d!D4648F06C91D9D3D!54927");
        let root = ItemRef::parse("b!x!root").unwrap();
        assert!(root.is_root());
        assert_eq!(root.path(), "/drives/b!x/root");
        assert_eq!(ItemRef::new("b!x", "01A/B").path(), "/drives/b!x/items/01A%2FB");
        for bad in ["", "b!", "b!x", "nobang", "!item", "b!!item", "drive!"] {
            assert_eq!(ItemRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn parent_paths_come_from_the_reference_path() {
        let item = |path: &str| GraphItem {
            parent_reference: Some(super::super::model::GraphItemReference {
                path: Some(path.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(parent_path(&item("/drive/root:")).as_deref(), Some(""));
        assert_eq!(parent_path(&item("/drive/root:/Docs%20A/B")).as_deref(), Some("/Docs A/B"));
        assert_eq!(parent_path(&item("/drives/b!x/root:/Brand")).as_deref(), Some("/Brand"));
        assert_eq!(parent_path(&GraphItem::default()), None);
        assert_eq!(join_path("", "a.txt"), "/a.txt");
        assert_eq!(join_path("/Docs/", "a.txt"), "/Docs/a.txt");
    }
}
