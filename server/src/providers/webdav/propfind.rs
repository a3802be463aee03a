//! The PROPFIND answer (RFC 4918 `multistatus`) as [`DavEntry`]s.
//!
//! Namespace-aware (prefixes differ: `d:`, `D:`, `ns0:`, a default
//! namespace), tolerant of properties a server does not know (a 404
//! `propstat`, ignored), of absolute-URL and absolute-path hrefs, and of
//! quoted, unquoted and weak ETags, which [`normalize_etag`] maps to one form.

use app::model::Timestamp;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use super::core::{DAV_NS, DavRoot, NC_NS, OC_NS};
use crate::providers::{ProviderError, ProviderResult};

/// One `response` of a multistatus answer, with the properties of its 2xx propstats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DavEntry {
    /// The user-visible path: decoded, `/`-separated, relative to the DAV root.
    pub path: String,
    pub is_folder: bool,
    /// Normalized ([`normalize_etag`]).
    pub etag: Option<String>,
    pub modified: Option<Timestamp>,
    pub length: Option<u64>,
    pub content_type: Option<String>,
    /// `oc:fileid`: stable across renames and moves (ownCloud / Nextcloud).
    pub file_id: Option<String>,
    /// `oc:size`: also for folders (everything below).
    pub oc_size: Option<u64>,
    pub permissions: Option<String>,
    /// `nc:contained-file-count` / `nc:contained-folder-count` (Nextcloud, folders).
    pub file_count: Option<u64>,
    pub folder_count: Option<u64>,
}

/// `"abc"`, `abc`, `W/"abc"` and ` "abc" ` are one ETag: `abc`.
pub fn normalize_etag(raw: &str) -> Option<String> {
    let mut tag = raw.trim();
    if let Some(rest) = tag.strip_prefix("W/").or_else(|| tag.strip_prefix("w/")) {
        tag = rest.trim_start();
    }
    let tag = tag.strip_prefix('"').unwrap_or(tag);
    let tag = tag.strip_suffix('"').unwrap_or(tag);
    (!tag.is_empty()).then(|| tag.to_string())
}

/// `Wed, 20 Jul 2022 05:12:23 GMT` (RFC 1123, what `getlastmodified` holds).
pub fn parse_http_date(text: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|t| Timestamp::from(t.with_timezone(&chrono::Utc)))
}

/// The properties we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    Etag,
    LastModified,
    ContentLength,
    ContentType,
    ResourceType,
    FileId,
    OcSize,
    Permissions,
    FileCount,
    FolderCount,
}

/// Where the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Multistatus,
    Response,
    Href,
    Propstat,
    PropContainer,
    Status,
    Prop(Prop),
    Collection,
    Other,
}

fn classify(ns: &ResolveResult<'_>, local: &str) -> Node {
    let ns = match ns {
        ResolveResult::Bound(Namespace(ns)) => *ns,
        _ => "",
    };
    match (ns, local) {
        (DAV_NS, "multistatus") => Node::Multistatus,
        (DAV_NS, "response") => Node::Response,
        (DAV_NS, "href") => Node::Href,
        (DAV_NS, "propstat") => Node::Propstat,
        (DAV_NS, "prop") => Node::PropContainer,
        (DAV_NS, "status") => Node::Status,
        (DAV_NS, "collection") => Node::Collection,
        (DAV_NS, "getetag") => Node::Prop(Prop::Etag),
        (DAV_NS, "getlastmodified") => Node::Prop(Prop::LastModified),
        (DAV_NS, "getcontentlength") => Node::Prop(Prop::ContentLength),
        (DAV_NS, "getcontenttype") => Node::Prop(Prop::ContentType),
        (DAV_NS, "resourcetype") => Node::Prop(Prop::ResourceType),
        (OC_NS, "fileid") => Node::Prop(Prop::FileId),
        (OC_NS, "size") => Node::Prop(Prop::OcSize),
        (OC_NS, "permissions") => Node::Prop(Prop::Permissions),
        (NC_NS, "contained-file-count") => Node::Prop(Prop::FileCount),
        (NC_NS, "contained-folder-count") => Node::Prop(Prop::FolderCount),
        _ => Node::Other,
    }
}

/// Properties of one propstat, kept only if its status is 2xx.
#[derive(Debug, Default)]
struct Props {
    values: Vec<(Prop, String)>,
    collection: bool,
    resourcetype_seen: bool,
}

#[derive(Debug, Default)]
struct ResponseAcc {
    href: String,
    /// A response-level status (RFC 4918 §14.24): set for members that failed.
    status: Option<String>,
    props: Props,
}

/// `HTTP/1.1 200 OK` → 200.
fn status_code(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Parses a multistatus body. Responses outside `root`, with a non-2xx
/// response status, or with an unusable href are skipped.
pub fn parse_multistatus(body: &[u8], root: &DavRoot) -> ProviderResult<Vec<DavEntry>> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
    let trimmed = body[start..].strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&body[start..]);
    if !trimmed.starts_with(b"<") {
        return Err(ProviderError::parse(
            "the WebDAV server answered with something that is not XML",
        ));
    }
    let mut reader = NsReader::from_reader(trimmed);
    let mut buf = Vec::new();
    let mut stack: Vec<Node> = Vec::new();
    let mut text = String::new();
    let mut entries = Vec::new();
    let mut response: Option<ResponseAcc> = None;
    let mut propstat: Option<(Props, Option<String>)> = None;
    let mut saw_root = false;

    loop {
        let (ns, event) = reader.read_resolved_event_into(&mut buf).map_err(|e| {
            ProviderError::parse(format!("the WebDAV server sent malformed XML: {e}"))
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let node = classify(&ns, e.local_name().as_ref());
                let empty = matches!(event, Event::Empty(_));
                if stack.is_empty() {
                    if node != Node::Multistatus {
                        return Err(ProviderError::parse(
                            "the WebDAV server's answer is XML but not a multistatus",
                        ));
                    }
                    saw_root = true;
                }
                let parent = stack.last().copied();
                text.clear();
                match node {
                    Node::Response if parent == Some(Node::Multistatus) => {
                        response = Some(ResponseAcc::default());
                    }
                    Node::Propstat if parent == Some(Node::Response) => {
                        propstat = Some((Props::default(), None));
                    }
                    Node::Collection if parent == Some(Node::Prop(Prop::ResourceType)) => {
                        if let Some((props, _)) = propstat.as_mut() {
                            props.collection = true;
                        }
                    }
                    _ => {}
                }
                if empty {
                    close(node, parent, "", &mut response, &mut propstat, &mut entries, root);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().unwrap_or(Node::Other);
                let parent = stack.last().copied();
                close(node, parent, &text, &mut response, &mut propstat, &mut entries, root);
                text.clear();
            }
            Event::Text(t) => {
                text.push_str(&t.xml10_content());
            }
            Event::CData(t) => {
                text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_xml_entity(&r).map(str::to_string),
                };
                match resolved {
                    Some(s) => text.push_str(&s),
                    None => {
                        return Err(ProviderError::parse(
                            "the WebDAV server sent an unknown XML entity",
                        ));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(ProviderError::parse("the WebDAV server sent an empty answer"));
    }
    Ok(entries)
}

/// Handles the end of an element.
fn close(
    node: Node,
    parent: Option<Node>,
    text: &str,
    response: &mut Option<ResponseAcc>,
    propstat: &mut Option<(Props, Option<String>)>,
    entries: &mut Vec<DavEntry>,
    root: &DavRoot,
) {
    match node {
        Node::Href if parent == Some(Node::Response) => {
            if let Some(r) = response.as_mut() {
                r.href = text.trim().to_string();
            }
        }
        Node::Status if parent == Some(Node::Propstat) => {
            if let Some((_, status)) = propstat.as_mut() {
                *status = Some(text.to_string());
            }
        }
        Node::Status if parent == Some(Node::Response) => {
            if let Some(r) = response.as_mut() {
                r.status = Some(text.to_string());
            }
        }
        Node::Prop(prop) if parent == Some(Node::PropContainer) => {
            if let Some((props, _)) = propstat.as_mut() {
                if prop == Prop::ResourceType {
                    props.resourcetype_seen = true;
                } else {
                    props.values.push((prop, text.trim().to_string()));
                }
            }
        }
        Node::Propstat if parent == Some(Node::Response) => {
            if let (Some((props, status)), Some(r)) = (propstat.take(), response.as_mut()) {
                let ok = status
                    .as_deref()
                    .and_then(status_code)
                    .is_some_and(|c| (200..300).contains(&c));
                if ok {
                    r.props.values.extend(props.values);
                    r.props.collection |= props.collection;
                    r.props.resourcetype_seen |= props.resourcetype_seen;
                }
            }
        }
        Node::Response if parent == Some(Node::Multistatus) => {
            if let Some(r) = response.take()
                && let Some(entry) = build_entry(r, root)
            {
                entries.push(entry);
            }
        }
        _ => {}
    }
}

fn build_entry(r: ResponseAcc, root: &DavRoot) -> Option<DavEntry> {
    if r.status.as_deref().and_then(status_code).is_some_and(|c| !(200..300).contains(&c)) {
        return None;
    }
    let path = root.path_of_href(&r.href)?;
    let mut entry = DavEntry {
        path,
        // Without a resourcetype, the trailing slash is the only hint left.
        is_folder: r.props.collection || (!r.props.resourcetype_seen && r.href.ends_with('/')),
        ..DavEntry::default()
    };
    for (prop, value) in r.props.values {
        let number = || value.parse::<u64>().ok();
        match prop {
            Prop::Etag => entry.etag = normalize_etag(&value),
            Prop::LastModified => entry.modified = parse_http_date(&value),
            Prop::ContentLength => entry.length = number(),
            Prop::ContentType => entry.content_type = (!value.is_empty()).then_some(value),
            Prop::FileId => entry.file_id = (!value.is_empty()).then_some(value),
            Prop::OcSize => entry.oc_size = number(),
            Prop::Permissions => entry.permissions = (!value.is_empty()).then_some(value),
            Prop::FileCount => entry.file_count = number(),
            Prop::FolderCount => entry.folder_count = number(),
            Prop::ResourceType => {}
        }
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_in_every_spelling_are_one() {
        for raw in
            ["\"6436d084d4805\"", "6436d084d4805", "W/\"6436d084d4805\"", " \"6436d084d4805\" "]
        {
            assert_eq!(normalize_etag(raw).as_deref(), Some("6436d084d4805"), "{raw}");
        }
        assert_eq!(normalize_etag("\"\""), None);
        assert_eq!(normalize_etag(""), None);
    }

    #[test]
    fn http_dates_parse() {
        let t = parse_http_date("Wed, 20 Jul 2022 05:12:23 GMT").unwrap();
        assert_eq!(t.to_rfc3339(), "2022-07-20T05:12:23.000Z");
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
