//! What each fuzz target does with its input, in one place: the targets in
//! `fuzz_targets/` call these under libFuzzer, and
//! `server/tests/fuzz_regressions.rs` includes this file and calls them on the
//! inputs kept in `regressions/` and `corpus/` under stable Rust.
//!
//! Each function feeds the bytes to the product's own entry points, as the
//! product would (same roots, hints and [`Limits`]), and returns the product's
//! answer: `Ok` with a short summary, or `Err` with its error message. A bug is
//! a panic, a hang or unbounded memory, never an `Err`.

use app::model::{Filters, Schedule, Timestamp};
use bytes::Bytes;
use cloud_sources::ingest::{self, DocumentHint, Limits};
use cloud_sources::providers::atlassian;
use cloud_sources::providers::confluence::model::{ConfluenceArray, ConfluenceContent};
use cloud_sources::providers::dropbox::{core as dropbox, model as dropbox_model};
use cloud_sources::providers::gdrive::{core as gdrive, model as gdrive_model};
use cloud_sources::providers::graph::{core as graph, model as graph_model};
use cloud_sources::providers::http::ErrorResponse;
use cloud_sources::providers::imap::{message as imap_message, parse as imap_parse};
use cloud_sources::providers::jira::model::{JiraProjectPage, JiraSearch};
use cloud_sources::providers::webdav::core::DavRoot;
use cloud_sources::providers::webdav::propfind;
use cloud_sources::providers::{ProviderError, RemoteItem};
use cloud_sources::sync::{filters, schedule};
use http::{HeaderMap, HeaderValue, StatusCode};

/// One fuzz target: reads an input and says what it made of it, or why it
/// refused it.
pub type Target = fn(&[u8]) -> Result<String, String>;

/// The targets, by name (the binaries in `fuzz_targets/`, the folders of
/// `corpus/` and `regressions/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("webdav_propfind", webdav_propfind),
    ("provider_json", provider_json),
    ("imap_response", imap_response),
    ("email_extract", email_extract),
    ("schedule_cron", schedule_cron),
    ("filter_globs", filter_globs),
    ("extract_pdf", extract_pdf),
    ("extract_office", extract_office),
];

fn provider_error(e: ProviderError) -> String {
    e.to_string()
}

/// A PROPFIND answer, read against a Nextcloud user root and a server root.
pub fn webdav_propfind(data: &[u8]) -> Result<String, String> {
    let mut found = 0;
    for root in [
        "https://cloud.example.com/remote.php/dav/files/alice%40example.com/",
        "http://www.example.com/",
    ] {
        let root = DavRoot::new(url::Url::parse(root).expect("a valid root"));
        let entries = propfind::parse_multistatus(data, &root).map_err(provider_error)?;
        for entry in &entries {
            // Every entry must be addressable again under the root it was read from.
            root.url_for(&entry.path, entry.is_folder).map_err(provider_error)?;
        }
        found += entries.len();
    }
    let text = String::from_utf8_lossy(data);
    let _ = propfind::normalize_etag(&text);
    let _ = propfind::parse_http_date(&text);
    Ok(format!("{found} entries"))
}

fn error_answer(status: u16, data: &[u8]) -> ErrorResponse {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("7"));
    ErrorResponse {
        status: StatusCode::from_u16(status).expect("a valid status"),
        headers,
        body: Bytes::copy_from_slice(data),
    }
}

/// A JSON body read as every model the cloud providers answer with, then
/// turned into items and errors the way the providers do.
pub fn provider_json(data: &[u8]) -> Result<String, String> {
    let mut parsed = Vec::new();
    let mut items: Vec<RemoteItem> = Vec::new();

    if let Ok(list) = serde_json::from_slice::<gdrive_model::GdriveFileList>(data) {
        parsed.push("drive files");
        for file in &list.files {
            items.push(gdrive::remote_item(file, gdrive::join_path("/", &file.name)));
            let _ = file.parent();
            let _ = gdrive_model::native_export(&file.mime_type);
        }
    }
    if let Ok(changes) = serde_json::from_slice::<gdrive_model::GdriveChangeList>(data) {
        parsed.push("drive changes");
        for file in changes.changes.iter().filter_map(|c| c.file.as_ref()) {
            let path = gdrive::normalize_path(&gdrive::join_path("/Shared", &file.name));
            items.push(gdrive::remote_item(file, path));
        }
    }
    if let Ok(page) = serde_json::from_slice::<graph_model::GraphPage<graph_model::GraphItem>>(data)
    {
        parsed.push("graph items");
        for item in &page.value {
            let parent = graph::parent_path(item).unwrap_or_else(|| "/".into());
            let path = graph::join_path(&parent, item.name.as_deref().unwrap_or_default());
            items.extend(graph::remote_item("b!drive", item, graph::normalize_path(&path)));
            let _ = item.version();
        }
    }
    if let Ok(result) = serde_json::from_slice::<dropbox_model::DropboxListFolderResult>(data) {
        parsed.push("dropbox entries");
        for entry in &result.entries {
            let _ = entry.path_lower().map(dropbox::lower_path);
            if let dropbox_model::DropboxEntry::File(file) = entry {
                items.extend(dropbox::remote_item(file));
            }
        }
    }
    if let Ok(error) = serde_json::from_slice::<dropbox_model::DropboxErrorResponse>(data) {
        parsed.push("dropbox error");
        let _ = (error.tags(), error.retry_after());
    }
    if serde_json::from_slice::<ConfluenceArray<ConfluenceContent>>(data).is_ok() {
        parsed.push("confluence content");
    }
    if serde_json::from_slice::<JiraSearch>(data).is_ok() {
        parsed.push("jira search");
    }
    if serde_json::from_slice::<JiraProjectPage>(data).is_ok() {
        parsed.push("jira projects");
    }
    let _ = atlassian::error_message(data);

    // Error bodies, as each provider classifies them.
    for status in [400, 401, 403, 404, 409, 429, 500] {
        let answer = error_answer(status, data);
        let _ = gdrive::parse_error(&answer);
        let _ = graph::parse_error(&answer);
        let _ = dropbox::parse_error(&answer);
        let _ = atlassian::classify("Confluence", &answer);
    }

    for item in &items {
        if !item.path.starts_with('/') {
            return Err(format!("an item path that is not absolute: {:?}", item.path));
        }
    }
    Ok(format!("{} items; parsed as {}", items.len(), parsed.join(", ")))
}

/// One IMAP response (with its literals), and the items and mailboxes read from it.
pub fn imap_response(data: &[u8]) -> Result<String, String> {
    let _ = imap_parse::may_carry_literals(data);
    let _ = imap_parse::trailing_literal(data);
    let _ = imap_message::decode_words(&String::from_utf8_lossy(data));
    let response = imap_parse::parse_response(data).map_err(provider_error)?;
    match &response {
        imap_parse::Response::Untagged(imap_parse::Untagged::Fetch { attributes, .. }) => {
            let _ = imap_message::fetch_uid(attributes);
            if let Some(message) = imap_message::FetchedMessage::from_fetch(attributes) {
                let item = imap_message::remote_item("INBOX", "/INBOX", 7, &message);
                if imap_message::parse_item_id(&item.id).is_none() {
                    return Err(format!("an item id that does not parse back: {:?}", item.id));
                }
            }
        }
        imap_parse::Response::Untagged(imap_parse::Untagged::List(entry)) => {
            let name = imap_message::decode_mailbox_name(&entry.name);
            let _ = imap_message::display_path(&name, entry.delimiter);
        }
        _ => {}
    }
    Ok(format!("{response:?}").chars().take(80).collect())
}

fn extract(data: &[u8], name: &str, mime_type: Option<&str>) -> Result<String, String> {
    let limits = Limits::default();
    let hint = DocumentHint { name, mime_type };
    let extracted = ingest::extract(data, &hint, &limits).map_err(|e| e.to_string())?;
    if extracted.text.chars().count() > limits.max_text_chars {
        return Err(format!("{} characters extracted past the limit", extracted.text.len()));
    }
    let mut summary = format!("{} chars of {}", extracted.text.len(), extracted.mime_type);
    // Attachments are extracted on their own, as the sync executor does.
    for attachment in &extracted.attachments {
        let hint = DocumentHint { name: &attachment.name, mime_type: Some(&attachment.mime_type) };
        match ingest::extract(&attachment.bytes, &hint, &limits) {
            Ok(part) => summary.push_str(&format!("; {} chars", part.text.len())),
            Err(e) => summary.push_str(&format!("; {e}")),
        }
    }
    Ok(summary)
}

/// A message as the IMAP provider downloads it.
pub fn email_extract(data: &[u8]) -> Result<String, String> {
    extract(data, "Quarterly report.eml", Some("message/rfc822"))
}

/// A PDF, as a provider declares it.
pub fn extract_pdf(data: &[u8]) -> Result<String, String> {
    extract(data, "report.pdf", Some("application/pdf"))
}

/// A zip-based office file (DOCX, XLSX, PPTX, ODT: detected from the content).
pub fn extract_office(data: &[u8]) -> Result<String, String> {
    extract(data, "document.docx", None)
}

/// The first line as a schedule's cron expression: validated, and when valid,
/// its next three runs from a fixed instant.
pub fn schedule_cron(data: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(data);
    let expression = text.lines().next().unwrap_or_default().to_string();
    let schedule = Schedule {
        enabled: true,
        frequency: None,
        cron_expression: Some(expression),
        next_run_at: None,
    };
    schedule::validate(&schedule)?;
    let after = Timestamp::parse("2026-11-27T09:00:00Z").expect("a valid instant");
    let runs = schedule::next_runs(&schedule, after, 3);
    if runs.windows(2).any(|w| w[0] >= w[1]) || runs.first().is_some_and(|r| *r <= after) {
        return Err(format!("runs not strictly after each other: {runs:?}"));
    }
    Ok(format!("{} runs", runs.len()))
}

/// Every line as an exclude glob, compiled as a configuration's filters and
/// matched against paths (the lines themselves among them).
pub fn filter_globs(data: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let filters = Filters {
        file_types: lines.iter().take(3).cloned().collect(),
        exclude_patterns: lines.clone(),
        max_file_size_mb: Some(u64::from(data.first().copied().unwrap_or(1)).max(1)),
        modified_after: None,
    };
    filters::validate(&filters)?;
    let compiled = filters::CompiledFilters::new(&filters)?;
    let mut skipped = 0;
    let paths = ["/Projects/Alpha/README.md", "/node_modules/a/b.js", "/.git/HEAD", "/x"];
    for path in paths.iter().map(|p| p.to_string()).chain(lines.iter().map(|l| format!("/{l}"))) {
        let item = RemoteItem {
            id: path.clone(),
            name: path.rsplit('/').next().unwrap_or_default().to_string(),
            path: path.clone(),
            is_folder: false,
            mime_type: "text/plain".into(),
            size: 1024,
            modified_at: None,
            version: None,
            web_url: None,
            metadata: Default::default(),
        };
        let _ = filters::file_type(&item.name);
        if compiled.skip_reason(&item).is_some() {
            skipped += 1;
        }
    }
    Ok(format!("{skipped} skipped"))
}
