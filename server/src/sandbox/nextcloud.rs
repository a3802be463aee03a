//! A small Nextcloud-like WebDAV server: the folder-ETag path that wsgidav and
//! rclone lack.
//!
//! It serves `/remote.php/dav/files/{user}/…` with Basic auth and answers
//! `PROPFIND` (Depth 0 and 1; `infinity` is treated as 1, as SabreDAV does
//! when infinite depth is disabled, Nextcloud's default) with the properties
//! of `nextcloud-webdav-properties.json`: quoted `getetag`, `oc:fileid`,
//! `oc:size` (recursive for folders), `oc:permissions`,
//! `nc:contained-file-count`, `nc:contained-folder-count`; unknown properties
//! come back in a 404 propstat. Like Nextcloud, a folder's ETag changes
//! whenever anything below it changes, and ids survive renames and moves.
//! `GET` downloads files. Tests change the tree through the Rust API and count
//! requests.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

const FILES_PREFIX: &str = "/remote.php/dav/files/";
/// `rawurlencode`: everything but RFC 3986 unreserved characters.
const RAW: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Requests the simulator answered, by method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NextcloudCounts {
    pub total: u64,
    pub propfind: u64,
    pub get: u64,
}

#[derive(Debug, Clone)]
enum Kind {
    Folder(BTreeMap<String, u64>),
    File { content: Bytes, content_type: String },
}

#[derive(Debug, Clone)]
struct Node {
    name: String,
    parent: Option<u64>,
    etag: String,
    mtime: i64,
    kind: Kind,
}

struct Account {
    password: String,
    root: u64,
}

#[derive(Default)]
struct State_ {
    accounts: BTreeMap<String, Account>,
    nodes: HashMap<u64, Node>,
    next_id: u64,
    etags: u64,
    counts: NextcloudCounts,
    /// Whether requests need Basic auth (off behind a client-certificate proxy).
    open: bool,
    /// Modification time given to changes; advances one second per change.
    clock: i64,
}

/// The simulator; clones share one server state. No `Debug`: it holds passwords.
#[derive(Clone, Default)]
pub struct NextcloudSim {
    state: Arc<Mutex<State_>>,
}

/// What a tree operation can fail with.
pub type SimResult<T> = Result<T, String>;

impl NextcloudSim {
    pub fn new() -> Self {
        let sim = Self::default();
        sim.lock().clock = 1_700_000_000;
        sim.lock().next_id = 100;
        sim
    }

    fn lock(&self) -> MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a user with an empty home folder.
    pub fn add_user(&self, user: &str, password: &str) {
        let mut s = self.lock();
        let root = s.new_node(String::new(), None, Kind::Folder(BTreeMap::new()));
        s.accounts.insert(user.to_string(), Account { password: password.to_string(), root });
    }

    /// Serves requests without Basic auth (a TLS client-certificate proxy in front).
    pub fn set_open(&self, open: bool) {
        self.lock().open = open;
    }

    pub fn counts(&self) -> NextcloudCounts {
        self.lock().counts
    }

    pub fn reset_counts(&self) {
        self.lock().counts = NextcloudCounts::default();
    }

    /// Creates a folder and its missing parents; returns its file id.
    pub fn mkdir(&self, user: &str, path: &str) -> SimResult<u64> {
        let mut s = self.lock();
        let root = s.root_of(user)?;
        s.ensure_folder(root, &segments(path))
    }

    /// Creates or overwrites a file (parents are created); returns its file id.
    pub fn put_file(&self, user: &str, path: &str, content: impl Into<Bytes>) -> SimResult<u64> {
        let mut s = self.lock();
        let root = s.root_of(user)?;
        let mut parts = segments(path);
        let name = parts.pop().ok_or("a file needs a name")?;
        let parent = s.ensure_folder(root, &parts)?;
        let content = content.into();
        let content_type = content_type_of(&name);
        let existing = s.children(parent)?.get(&name).copied();
        let id = match existing {
            Some(id) => {
                let node = s.nodes.get_mut(&id).ok_or("lost node")?;
                match &mut node.kind {
                    Kind::File { content: c, .. } => *c = content,
                    Kind::Folder(_) => return Err(format!("{path} is a folder")),
                }
                id
            }
            None => {
                let id =
                    s.new_node(name.clone(), Some(parent), Kind::File { content, content_type });
                s.children_mut(parent)?.insert(name, id);
                id
            }
        };
        s.touch(id);
        Ok(id)
    }

    /// Moves or renames a file or folder to `to` (whose parent must exist).
    pub fn move_item(&self, user: &str, from: &str, to: &str) -> SimResult<()> {
        let mut s = self.lock();
        let root = s.root_of(user)?;
        let id = s.resolve(root, &segments(from)).ok_or_else(|| format!("{from} not found"))?;
        let mut target = segments(to);
        let name = target.pop().ok_or("the target needs a name")?;
        let new_parent = s.resolve(root, &target).ok_or_else(|| format!("{to}: no parent"))?;
        if s.children(new_parent)?.contains_key(&name) {
            return Err(format!("{to} exists"));
        }
        let (old_parent, old_name) = {
            let node = s.nodes.get(&id).ok_or("lost node")?;
            (node.parent.ok_or("cannot move the root")?, node.name.clone())
        };
        s.children_mut(old_parent)?.remove(&old_name);
        s.touch(old_parent);
        s.children_mut(new_parent)?.insert(name.clone(), id);
        if let Some(node) = s.nodes.get_mut(&id) {
            node.name = name;
            node.parent = Some(new_parent);
        }
        // Nextcloud gives a moved node a new ETag, and its new parents too.
        s.touch(id);
        Ok(())
    }

    /// Deletes a file or a folder with everything in it.
    pub fn delete(&self, user: &str, path: &str) -> SimResult<()> {
        let mut s = self.lock();
        let root = s.root_of(user)?;
        let id = s.resolve(root, &segments(path)).ok_or_else(|| format!("{path} not found"))?;
        let node = s.nodes.get(&id).cloned().ok_or("lost node")?;
        let parent = node.parent.ok_or("cannot delete the root")?;
        s.children_mut(parent)?.remove(&node.name);
        s.remove_subtree(id);
        s.touch(parent);
        Ok(())
    }

    /// The `oc:fileid` of a path.
    pub fn file_id(&self, user: &str, path: &str) -> Option<u64> {
        let s = self.lock();
        let root = s.root_of(user).ok()?;
        s.resolve(root, &segments(path))
    }

    /// The (unquoted) ETag of a path.
    pub fn etag(&self, user: &str, path: &str) -> Option<String> {
        let s = self.lock();
        let root = s.root_of(user).ok()?;
        let id = s.resolve(root, &segments(path))?;
        s.nodes.get(&id).map(|n| n.etag.clone())
    }

    /// The WebDAV routes: mount at `/` (the paths are Nextcloud's).
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Serves the simulator alone on a loopback port; returns its origin
    /// (`http://127.0.0.1:PORT`). The server stops with the runtime.
    pub async fn spawn(&self) -> std::io::Result<(String, SocketAddr)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "nextcloud simulator stopped");
            }
        });
        Ok((format!("http://{addr}"), addr))
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn content_type_of(name: &str) -> String {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "pdf" => "application/pdf",
        "html" => "text/html",
        "json" => "application/json",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
    .to_string()
}

impl State_ {
    fn new_node(&mut self, name: String, parent: Option<u64>, kind: Kind) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let etag = self.new_etag();
        let mtime = self.clock;
        self.nodes.insert(id, Node { name, parent, etag, mtime, kind });
        id
    }

    fn new_etag(&mut self) -> String {
        self.etags += 1;
        // Nextcloud's ETags look like `6436d084d4805` (uniqid).
        format!("{:08x}{:05x}", self.clock, self.etags)
    }

    /// A change at `id`: new ETag and mtime for it and every folder above.
    fn touch(&mut self, id: u64) {
        self.clock += 1;
        let mut current = Some(id);
        while let Some(id) = current {
            let etag = self.new_etag();
            let clock = self.clock;
            match self.nodes.get_mut(&id) {
                Some(node) => {
                    node.etag = etag;
                    node.mtime = clock;
                    current = node.parent;
                }
                None => break,
            }
        }
    }

    fn root_of(&self, user: &str) -> SimResult<u64> {
        self.accounts.get(user).map(|a| a.root).ok_or_else(|| format!("no user {user}"))
    }

    fn children(&self, id: u64) -> SimResult<&BTreeMap<String, u64>> {
        match self.nodes.get(&id).map(|n| &n.kind) {
            Some(Kind::Folder(children)) => Ok(children),
            _ => Err("not a folder".to_string()),
        }
    }

    fn children_mut(&mut self, id: u64) -> SimResult<&mut BTreeMap<String, u64>> {
        match self.nodes.get_mut(&id).map(|n| &mut n.kind) {
            Some(Kind::Folder(children)) => Ok(children),
            _ => Err("not a folder".to_string()),
        }
    }

    fn resolve(&self, root: u64, parts: &[String]) -> Option<u64> {
        let mut id = root;
        for part in parts {
            id = *self.children(id).ok()?.get(part)?;
        }
        Some(id)
    }

    fn ensure_folder(&mut self, root: u64, parts: &[String]) -> SimResult<u64> {
        let mut id = root;
        for part in parts {
            id = match self.children(id)?.get(part).copied() {
                Some(child) => child,
                None => {
                    let child =
                        self.new_node(part.clone(), Some(id), Kind::Folder(BTreeMap::new()));
                    self.children_mut(id)?.insert(part.clone(), child);
                    self.touch(child);
                    child
                }
            };
        }
        Ok(id)
    }

    fn remove_subtree(&mut self, id: u64) {
        if let Some(node) = self.nodes.remove(&id)
            && let Kind::Folder(children) = node.kind
        {
            for child in children.into_values() {
                self.remove_subtree(child);
            }
        }
    }

    /// (recursive size, files directly inside, folders directly inside).
    fn sizes(&self, id: u64) -> (u64, u64, u64) {
        match self.nodes.get(&id).map(|n| &n.kind) {
            Some(Kind::File { content, .. }) => (content.len() as u64, 0, 0),
            Some(Kind::Folder(children)) => {
                let mut total = (0, 0, 0);
                for child in children.values() {
                    total.0 += self.sizes(*child).0;
                    match self.nodes.get(child).map(|n| &n.kind) {
                        Some(Kind::Folder(_)) => total.2 += 1,
                        _ => total.1 += 1,
                    }
                }
                total
            }
            None => (0, 0, 0),
        }
    }
}

// ---------------------------------------------------------------- HTTP

fn sabre_error(status: StatusCode, exception: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">\n  <s:exception>Sabre\\DAV\\Exception\\{exception}</s:exception>\n  <s:message>{}</s:message>\n</d:error>\n",
        xml_escape(message)
    );
    let mut response =
        (status, [("content-type", "application/xml; charset=utf-8")], body).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            "www-authenticate",
            axum::http::HeaderValue::from_static("Basic realm=\"Nextcloud\", charset=\"UTF-8\""),
        );
    }
    response
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The user a Basic `Authorization` header proves, if any.
fn basic_user(headers: &HeaderMap, state: &State_) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    let account = state.accounts.get(user)?;
    (account.password == password).then(|| user.to_string())
}

async fn handle(
    State(sim): State<NextcloudSim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = sim.lock();
    s.counts.total += 1;
    let Some(rest) = uri.path().strip_prefix(FILES_PREFIX) else {
        return sabre_error(StatusCode::NOT_FOUND, "NotFound", "File not found");
    };
    let mut raw = rest.split('/').filter(|p| !p.is_empty());
    let Some(user) =
        raw.next().and_then(|u| percent_decode_str(u).decode_utf8().ok()).map(|u| u.into_owned())
    else {
        return sabre_error(StatusCode::NOT_FOUND, "NotFound", "File not found");
    };
    let mut parts = Vec::new();
    for part in raw {
        match percent_decode_str(part).decode_utf8() {
            Ok(p) => parts.push(p.into_owned()),
            Err(_) => return sabre_error(StatusCode::BAD_REQUEST, "BadRequest", "Invalid path"),
        }
    }
    if !s.open {
        match basic_user(&headers, &s) {
            None => {
                return sabre_error(
                    StatusCode::UNAUTHORIZED,
                    "NotAuthenticated",
                    "No public access to this resource., Username or password was incorrect, No 'Authorization: Bearer' header found. Either the client didn't send one, or the server didn't receive it.",
                );
            }
            Some(authenticated) if authenticated != user => {
                return sabre_error(StatusCode::NOT_FOUND, "NotFound", "Principal not found");
            }
            Some(_) => {}
        }
    }
    let Ok(root) = s.root_of(&user) else {
        return sabre_error(StatusCode::NOT_FOUND, "NotFound", "Principal not found");
    };
    let Some(id) = s.resolve(root, &parts) else {
        let name = parts.last().cloned().unwrap_or_default();
        return sabre_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("File with name {name} could not be located"),
        );
    };
    match method.as_str() {
        "PROPFIND" => {
            s.counts.propfind += 1;
            let depth = match headers.get("depth").and_then(|d| d.to_str().ok()).map(str::trim) {
                Some("0") => 0,
                // `infinity` (and no header, which means infinity) become 1, as in SabreDAV.
                _ => 1,
            };
            let Some(requested) = requested_props(&body) else {
                return sabre_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "The request body is not valid XML",
                );
            };
            let base = format!("{FILES_PREFIX}{}/", utf8_percent_encode(&user, RAW));
            let mut out = String::from(
                "<?xml version=\"1.0\"?>\n<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" xmlns:oc=\"http://owncloud.org/ns\" xmlns:nc=\"http://nextcloud.org/ns\">",
            );
            let href = href_of(&base, &parts);
            write_response(&s, id, &href, &requested, &mut out);
            if depth == 1
                && let Ok(children) = s.children(id)
            {
                for (name, child) in children {
                    let mut child_parts = parts.clone();
                    child_parts.push(name.clone());
                    write_response(&s, *child, &href_of(&base, &child_parts), &requested, &mut out);
                }
            }
            out.push_str("</d:multistatus>\n");
            (StatusCode::MULTI_STATUS, [("content-type", "application/xml; charset=utf-8")], out)
                .into_response()
        }
        "GET" | "HEAD" => {
            s.counts.get += 1;
            let Some(node) = s.nodes.get(&id) else {
                return sabre_error(StatusCode::NOT_FOUND, "NotFound", "File not found");
            };
            match &node.kind {
                Kind::File { content, content_type } => {
                    let body = if method == Method::HEAD {
                        Body::empty()
                    } else {
                        Body::from(content.clone())
                    };
                    Response::builder()
                        .status(StatusCode::OK)
                        .header("content-type", content_type.as_str())
                        .header("content-length", content.len())
                        .header("etag", format!("\"{}\"", node.etag))
                        .header("oc-etag", format!("\"{}\"", node.etag))
                        .body(body)
                        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
                }
                Kind::Folder(_) => sabre_error(
                    StatusCode::NOT_IMPLEMENTED,
                    "NotImplemented",
                    "GET is only implemented on File objects",
                ),
            }
        }
        _ => sabre_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The simulator is read-only over HTTP",
        ),
    }
}

fn href_of(base: &str, parts: &[String]) -> String {
    let mut href = base.to_string();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            href.push('/');
        }
        href.push_str(&utf8_percent_encode(part, RAW).to_string());
    }
    href
}

/// A requested property: namespace and local name.
type PropName = (String, String);

fn default_props() -> Vec<PropName> {
    ["getlastmodified", "getcontentlength", "resourcetype", "getetag", "getcontenttype"]
        .iter()
        .map(|n| ("DAV:".to_string(), n.to_string()))
        .collect()
}

/// The properties a PROPFIND body asks for (`allprop` and an empty body: the defaults).
fn requested_props(body: &[u8]) -> Option<Vec<PropName>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(default_props());
    }
    let mut reader = NsReader::from_reader(body);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut prop_depth = None;
    let mut props = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event_into(&mut buf).ok()?;
        let ns = match ns {
            ResolveResult::Bound(Namespace(ns)) => ns.to_string(),
            _ => String::new(),
        };
        match event {
            Event::Start(e) => {
                let local = e.local_name().as_ref().to_string();
                if prop_depth == Some(depth) {
                    props.push((ns, local));
                } else if ns == "DAV:" && local == "prop" {
                    prop_depth = Some(depth + 1);
                }
                depth += 1;
            }
            Event::Empty(e) => {
                let local = e.local_name().as_ref().to_string();
                if prop_depth == Some(depth) {
                    props.push((ns, local));
                } else if ns == "DAV:" && local == "allprop" {
                    return Some(default_props());
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Some(props)
}

fn prefix_of(ns: &str) -> Option<&'static str> {
    match ns {
        "DAV:" => Some("d"),
        "http://owncloud.org/ns" => Some("oc"),
        "http://nextcloud.org/ns" => Some("nc"),
        _ => None,
    }
}

fn write_response(s: &State_, id: u64, href: &str, requested: &[PropName], out: &mut String) {
    let Some(node) = s.nodes.get(&id) else { return };
    let folder = matches!(node.kind, Kind::Folder(_));
    let href = if folder && !href.ends_with('/') { format!("{href}/") } else { href.to_string() };
    let (size, files, folders) = s.sizes(id);
    let mut found = String::new();
    let mut missing = String::new();
    for (ns, name) in requested {
        let value: Option<String> = match (ns.as_str(), name.as_str()) {
            ("DAV:", "getetag") => Some(format!("&quot;{}&quot;", node.etag)),
            ("DAV:", "getlastmodified") => chrono::DateTime::from_timestamp(node.mtime, 0)
                .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
            ("DAV:", "getcontentlength") if !folder => Some(size.to_string()),
            ("DAV:", "getcontenttype") => match &node.kind {
                Kind::File { content_type, .. } => Some(xml_escape(content_type)),
                Kind::Folder(_) => None,
            },
            ("DAV:", "resourcetype") => {
                Some(if folder { "<d:collection/>".into() } else { String::new() })
            }
            ("http://owncloud.org/ns", "fileid") => Some(id.to_string()),
            ("http://owncloud.org/ns", "size") => Some(size.to_string()),
            ("http://owncloud.org/ns", "permissions") => {
                Some(if folder { "RGDNVCK" } else { "RGDNVW" }.to_string())
            }
            ("http://nextcloud.org/ns", "contained-file-count") if folder => {
                Some(files.to_string())
            }
            ("http://nextcloud.org/ns", "contained-folder-count") if folder => {
                Some(folders.to_string())
            }
            _ => None,
        };
        let (open, close) = match prefix_of(ns) {
            Some(p) => (format!("<{p}:{name}"), format!("</{p}:{name}>")),
            None => {
                (format!("<x1:{name} xmlns:x1=\"{}\"", xml_escape(ns)), format!("</x1:{name}>"))
            }
        };
        match value {
            Some(v) if v.is_empty() => {
                let _ = write!(found, "{open}/>");
            }
            Some(v) => {
                let _ = write!(found, "{open}>{v}{close}");
            }
            None => {
                let _ = write!(missing, "{open}/>");
            }
        }
    }
    let _ = write!(out, "<d:response><d:href>{href}</d:href>");
    if !found.is_empty() {
        let _ = write!(
            out,
            "<d:propstat><d:prop>{found}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
        );
    }
    if !missing.is_empty() {
        let _ = write!(
            out,
            "<d:propstat><d:prop>{missing}</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"
        );
    }
    out.push_str("</d:response>");
}
