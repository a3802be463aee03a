//! WebDAV requests: where the DAV root is ([`DavRoot`], [`root_candidates`]),
//! how user-visible paths become URLs and hrefs become paths again, the
//! PROPFIND and GET requests, and `parse_error`, the one place HTTP answers of a
//! WebDAV server are classified.

use bytes::Bytes;
use http::StatusCode;
use percent_encoding::percent_decode_str;
use url::Url;

use super::propfind::{DavEntry, parse_multistatus};
use crate::providers::http::{ErrorResponse, HttpClient, encode_segment, read_body};
use crate::providers::{ErrorKind, ProviderError, ProviderResult};

pub const DAV_NS: &str = "DAV:";
pub const OC_NS: &str = "http://owncloud.org/ns";
pub const NC_NS: &str = "http://nextcloud.org/ns";

/// What the walk asks for: only what change detection and the document need.
/// Servers answer unknown properties (the `oc:` ones on plain WebDAV servers)
/// with a 404 propstat, which the parser ignores.
pub const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">
  <d:prop>
    <d:getetag/>
    <d:getlastmodified/>
    <d:getcontentlength/>
    <d:getcontenttype/>
    <d:resourcetype/>
    <oc:fileid/>
    <oc:size/>
    <oc:permissions/>
  </d:prop>
</d:propfind>"#;

/// The folder picker also asks Nextcloud for per-folder counts, which it
/// computes per child from its file cache (cheap, unlike a deeper walk).
pub const PROPFIND_PICKER_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">
  <d:prop>
    <d:getetag/>
    <d:getlastmodified/>
    <d:resourcetype/>
    <oc:fileid/>
    <oc:size/>
    <nc:contained-file-count/>
    <nc:contained-folder-count/>
  </d:prop>
</d:propfind>"#;

/// A user-visible path in its one form: `/`, `/Docs`, `/Docs/a b.txt`.
/// `None` for `.` or `..` segments (never let a path leave the root).
pub fn normalize_path(path: &str) -> Option<String> {
    let mut out = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return None;
        }
        out.push('/');
        out.push_str(segment);
    }
    Some(if out.is_empty() { "/".to_string() } else { out })
}

/// `parent` + `/` + `name` in the normalized form.
pub fn join_path(parent: &str, name: &str) -> String {
    if parent == "/" { format!("/{name}") } else { format!("{parent}/{name}") }
}

/// The last segment of a normalized path (`""` for the root).
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The collection every path is relative to, e.g.
/// `https://cloud.example.com/remote.php/dav/files/alice/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavRoot {
    url: Url,
    /// The root's path, decoded segment by segment, to compare hrefs against.
    segments: Vec<String>,
}

impl DavRoot {
    pub fn new(mut url: Url) -> Self {
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_query(None);
        url.set_fragment(None);
        let segments = decoded_segments(url.path()).unwrap_or_default();
        Self { url, segments }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL of a normalized path; folders end with `/` (servers redirect
    /// otherwise, and a redirected PROPFIND may turn into a GET).
    pub fn url_for(&self, path: &str, folder: bool) -> ProviderResult<Url> {
        let mut text = self.url.as_str().to_string();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for (i, segment) in segments.iter().enumerate() {
            if *segment == "." || *segment == ".." {
                return Err(ProviderError::invalid(format!("{path:?} is not a valid path")));
            }
            if i > 0 {
                text.push('/');
            }
            text.push_str(&encode_segment(segment));
        }
        if folder && !segments.is_empty() {
            text.push('/');
        }
        Url::parse(&text)
            .map_err(|e| ProviderError::invalid(format!("{path:?} is not a valid path: {e}")))
    }

    /// The user-visible path of an href from a multistatus answer: absolute
    /// URL or absolute path, percent-encoded. `None` for hrefs outside the
    /// root or with `.`/`..` segments. Hrefs are only ever turned into paths
    /// (requests are built from paths under the root), so a hostile href cannot
    /// make us fetch anything else.
    pub fn path_of_href(&self, href: &str) -> Option<String> {
        let href = href.trim();
        let raw_path = if href.starts_with('/') {
            href.split(['?', '#']).next().unwrap_or(href).to_string()
        } else {
            // Absolute URLs (some servers, RFC 4918 examples) or, rarely, relative ones.
            self.url.join(href).ok()?.path().to_string()
        };
        let segments = decoded_segments(&raw_path)?;
        let rest = segments.strip_prefix(self.segments.as_slice())?;
        let mut path = String::new();
        for segment in rest {
            path.push('/');
            path.push_str(segment);
        }
        Some(if path.is_empty() { "/".to_string() } else { path })
    }
}

/// Decodes `/a/b%20c/` into `["a", "b c"]`; `None` for a segment that decodes
/// to `.`, `..`, something with a `/`, or invalid UTF-8.
fn decoded_segments(path: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode_str(raw).decode_utf8().ok()?;
        if segment == "." || segment == ".." || segment.contains('/') || segment.contains('\0') {
            return None;
        }
        out.push(segment.into_owned());
    }
    Some(out)
}

/// Where to look for the DAV root of what the user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootPlan {
    /// The URL names a DAV root already: use it without probing.
    Known(Url),
    /// Try these in order (PROPFIND Depth 0); the first WebDAV collection wins.
    Probe(Vec<Url>),
}

/// Checks a server URL the way `parse_credentials` reports it.
pub fn parse_server_url(server_url: &str) -> Result<Url, String> {
    let url = Url::parse(server_url.trim())
        .map_err(|_| "server_url must be an http(s) URL".to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("server_url must be an http(s) URL".to_string());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("server_url must not contain a user name or password".to_string());
    }
    Ok(url)
}

/// The ownCloud / Nextcloud conventions: a bare host means
/// `/remote.php/dav/files/USER/`; `/remote.php/dav` lacks `files/USER/`;
/// `/remote.php/dav/files/USER/` and the legacy `/remote.php/webdav/` are DAV
/// roots already; any other path is a plain WebDAV root, or an ownCloud /
/// Nextcloud installed below that path.
pub fn root_candidates(server_url: &str, username: &str) -> Result<RootPlan, String> {
    let mut url = parse_server_url(server_url)?;
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_string();
    let with_path = |p: &str| {
        let mut u = url.clone();
        u.set_path(p);
        u
    };
    let user = encode_segment(username);
    let nextcloud = |base: &str| {
        (!username.is_empty()).then(|| with_path(&format!("{base}/remote.php/dav/files/{user}/")))
    };
    if let Some(at) = path.find("/remote.php/dav/files/")
        && path.len() > at + "/remote.php/dav/files/".len()
    {
        return Ok(RootPlan::Known(with_path(&format!("{path}/"))));
    }
    if path.ends_with("/remote.php/webdav") {
        return Ok(RootPlan::Known(with_path(&format!("{path}/"))));
    }
    if let Some(base) =
        path.strip_suffix("/remote.php/dav").or(path.strip_suffix("/remote.php/dav/files"))
    {
        return match nextcloud(base) {
            Some(url) => Ok(RootPlan::Known(url)),
            None => Err("username is needed for an ownCloud / Nextcloud server URL".to_string()),
        };
    }
    let as_given = with_path(&format!("{path}/"));
    let candidates = if path.is_empty() {
        nextcloud("").into_iter().chain([as_given]).collect()
    } else {
        [as_given].into_iter().chain(nextcloud(&path)).collect()
    };
    Ok(RootPlan::Probe(candidates))
}

/// `Depth` header values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    Zero,
    One,
}

impl Depth {
    fn header(self) -> &'static str {
        match self {
            Depth::Zero => "0",
            Depth::One => "1",
        }
    }
}

/// How the connection authenticates, for messages that say what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebdavAuthKind {
    Password,
    Certificate,
}

/// Requests to one WebDAV account.
#[derive(Clone)]
pub struct WebdavCore {
    pub http: HttpClient,
    propfind: reqwest::Method,
}

impl WebdavCore {
    pub fn new(http: HttpClient) -> ProviderResult<Self> {
        let propfind = reqwest::Method::from_bytes(b"PROPFIND")
            .map_err(|e| ProviderError::invalid(format!("PROPFIND: {e}")))?;
        Ok(Self { http, propfind })
    }

    /// PROPFIND `url` and parse the multistatus answer into entries under `root`.
    pub async fn webdav_propfind(
        &self,
        root: &DavRoot,
        url: &Url,
        depth: Depth,
        body: &'static str,
    ) -> ProviderResult<Vec<DavEntry>> {
        let method = self.propfind.clone();
        let response = self
            .http
            .send(|c| {
                c.request(method.clone(), url.clone())
                    .header("Depth", depth.header())
                    .header(http::header::CONTENT_TYPE, "application/xml; charset=utf-8")
                    .body(body)
            })
            .await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = read_body(response).await?;
        if status != StatusCode::MULTI_STATUS {
            return Err(not_webdav(status, &content_type, &body).with_context("path", url.path()));
        }
        parse_multistatus(&body, root).map_err(|e| e.with_context("path", url.path()))
    }

    /// GET a file; the caller streams the body.
    pub async fn webdav_get(&self, url: &Url) -> ProviderResult<reqwest::Response> {
        self.http.send(|c| c.get(url.clone())).await
    }
}

/// A success answer to PROPFIND that is not a multistatus: a login page, a
/// redirect that turned the PROPFIND into a GET, a file.
fn not_webdav(status: StatusCode, content_type: &str, body: &Bytes) -> ProviderError {
    let html = content_type.contains("html") || looks_like_html(body);
    let message = if html {
        format!(
            "the server answered PROPFIND with an HTML page (HTTP {}), not WebDAV XML: \
             check the server URL (a login page or a web UI answers here)",
            status.as_u16()
        )
    } else {
        format!(
            "the server answered PROPFIND with HTTP {} and no WebDAV multistatus: \
             check that the server URL is a WebDAV folder",
            status.as_u16()
        )
    };
    ProviderError::parse(message).with_context("status", status.as_u16())
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    head.contains("<!doctype html") || head.contains("<html")
}

/// The one place WebDAV error answers are classified.
pub fn parse_error(answer: &ErrorResponse, auth: WebdavAuthKind) -> ProviderError {
    let detail = sabre_message(&answer.body).map(|m| format!(": {m}")).unwrap_or_default();
    let status = answer.status.as_u16();
    let error = match answer.status {
        StatusCode::UNAUTHORIZED => ProviderError::new(
            ErrorKind::AuthExpired,
            match auth {
                WebdavAuthKind::Password => {
                    "the WebDAV server rejected the username or password: wrong password or app \
                     token (HTTP 401)"
                }
                WebdavAuthKind::Certificate => {
                    "the WebDAV server did not accept the client certificate (HTTP 401)"
                }
            },
        ),
        StatusCode::FORBIDDEN => {
            ProviderError::new(ErrorKind::AccessDenied, format!("access denied (HTTP 403){detail}"))
        }
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            ProviderError::not_found(format!("not found on the WebDAV server (HTTP {status})"))
        }
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED => {
            ProviderError::invalid(format!(
                "the server refused PROPFIND (HTTP {status}): not a WebDAV server, or not a WebDAV folder at this URL"
            ))
        }
        StatusCode::LOCKED => {
            ProviderError::transient(format!("the item is locked on the server (HTTP 423){detail}"))
        }
        StatusCode::TOO_MANY_REQUESTS => ProviderError::new(
            ErrorKind::RateLimited,
            "the WebDAV server asks us to slow down (HTTP 429)",
        ),
        StatusCode::SERVICE_UNAVAILABLE => {
            // Nextcloud answers 503 in maintenance mode, with Retry-After when set.
            ProviderError::transient(format!("the WebDAV server is unavailable (HTTP 503){detail}"))
        }
        _ if looks_like_html(&answer.body) && answer.status.is_client_error() => {
            ProviderError::parse(format!(
                "the server answered with an HTML page (HTTP {status}), not WebDAV: check the server URL"
            ))
        }
        _ => answer.default_error(),
    };
    error.with_retry_after(answer.retry_after()).with_context("status", status)
}

pub fn parse_error_password(answer: &ErrorResponse) -> ProviderError {
    parse_error(answer, WebdavAuthKind::Password)
}

pub fn parse_error_certificate(answer: &ErrorResponse) -> ProviderError {
    parse_error(answer, WebdavAuthKind::Certificate)
}

/// `<s:message>` of a SabreDAV (ownCloud / Nextcloud) error body, shortened.
fn sabre_message(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<s:message>")? + "<s:message>".len();
    let end = text[start..].find("</s:message>")? + start;
    let message: String = text[start..end].trim().chars().take(200).collect();
    (!message.is_empty()).then_some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(url: &str) -> DavRoot {
        DavRoot::new(Url::parse(url).unwrap())
    }

    #[test]
    fn hrefs_become_paths_relative_to_the_root() {
        let r = root("https://cloud.example.com/remote.php/dav/files/alice%40example.com");
        assert_eq!(
            r.url().as_str(),
            "https://cloud.example.com/remote.php/dav/files/alice%40example.com/"
        );
        assert_eq!(
            r.path_of_href("/remote.php/dav/files/alice%40example.com/").as_deref(),
            Some("/")
        );
        assert_eq!(
            r.path_of_href("/remote.php/dav/files/alice@example.com/Docs/").as_deref(),
            Some("/Docs")
        );
        assert_eq!(
            r.path_of_href(
                "https://cloud.example.com/remote.php/dav/files/alice%40example.com/A%20b/c%2Bd.txt"
            )
            .as_deref(),
            Some("/A b/c+d.txt")
        );
        assert_eq!(
            r.path_of_href("/remote.php/dav/files/bob/secret.txt"),
            None,
            "outside the root"
        );
        assert_eq!(r.path_of_href("/remote.php/dav/files/alice%40example.com/../bob/x"), None);
        assert_eq!(r.path_of_href("/remote.php/dav/files/alice%40example.com/%2e%2e/x"), None);
        assert_eq!(r.path_of_href("/remote.php/dav/files/alice%40example.com/a%2Fb"), None);
    }

    #[test]
    fn paths_become_encoded_urls() {
        let r = root("https://dav.example.com/share/");
        assert_eq!(r.url_for("/", true).unwrap().as_str(), "https://dav.example.com/share/");
        assert_eq!(
            r.url_for("/A b/ü#?.txt", false).unwrap().as_str(),
            "https://dav.example.com/share/A%20b/%C3%BC%23%3F.txt"
        );
        assert_eq!(
            r.url_for("/Docs", true).unwrap().as_str(),
            "https://dav.example.com/share/Docs/"
        );
        assert!(r.url_for("/Docs/../..", true).is_err());
        assert_eq!(normalize_path("Docs//Sub/").as_deref(), Some("/Docs/Sub"));
        assert_eq!(normalize_path("").as_deref(), Some("/"));
        assert_eq!(normalize_path("/a/../b"), None);
    }

    #[test]
    fn server_urls_follow_the_owncloud_and_nextcloud_conventions() {
        let known = |u: &str| match root_candidates(u, "alice@example.com").unwrap() {
            RootPlan::Known(url) => url.to_string(),
            other => panic!("{u}: {other:?}"),
        };
        let probe = |u: &str| match root_candidates(u, "alice").unwrap() {
            RootPlan::Probe(urls) => urls.iter().map(Url::to_string).collect::<Vec<_>>(),
            other => panic!("{u}: {other:?}"),
        };
        assert_eq!(
            known("https://cloud.example.com/remote.php/dav/files/alice/"),
            "https://cloud.example.com/remote.php/dav/files/alice/"
        );
        assert_eq!(
            known("https://cloud.example.com/remote.php/webdav"),
            "https://cloud.example.com/remote.php/webdav/"
        );
        assert_eq!(
            known("https://cloud.example.com/nc/remote.php/dav/"),
            "https://cloud.example.com/nc/remote.php/dav/files/alice%40example.com/"
        );
        assert_eq!(
            probe("https://cloud.example.com"),
            ["https://cloud.example.com/remote.php/dav/files/alice/", "https://cloud.example.com/"]
        );
        assert_eq!(
            probe("https://dav.example.com/share/"),
            [
                "https://dav.example.com/share/",
                "https://dav.example.com/share/remote.php/dav/files/alice/"
            ]
        );
        assert_eq!(
            root_candidates("ftp://x", "a").unwrap_err(),
            "server_url must be an http(s) URL"
        );
        assert_eq!(
            root_candidates("cloud.example.com", "a").unwrap_err(),
            "server_url must be an http(s) URL"
        );
        assert!(
            root_candidates("https://bob:pw@cloud.example.com", "a")
                .unwrap_err()
                .contains("password")
        );
    }
}
