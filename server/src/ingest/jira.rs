//! Jira issues (`GET /rest/api/3/issue/{key}` JSON) and Atlassian Document Format (ADF).
//!
//! The text is the key and summary, the description, then each comment with its author and
//! date. ADF nodes map to text the way a reader sees them: paragraphs and headings as blocks,
//! list items with their markers, code blocks line by line, table cells separated by tabs,
//! mentions, emoji, status lozenges, dates and smart links as their visible text, link marks
//! with their target when it differs from the text.

use serde_json::{Map, Value};

use super::{ExtractError, Output, text};

/// ADF nests shallowly in practice; this keeps a hostile document off the stack.
const MAX_DEPTH: usize = 64;

pub(crate) fn extract_issue(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let issue: Value = serde_json::from_slice(input)
        .map_err(|e| ExtractError::parse(format!("invalid Jira issue JSON: {e}")))?;
    let fields = issue
        .get("fields")
        .and_then(Value::as_object)
        .ok_or_else(|| ExtractError::parse("Jira issue JSON has no fields object"))?;

    let key = issue.get("key").and_then(Value::as_str).unwrap_or_default();
    let summary = fields.get("summary").and_then(Value::as_str).unwrap_or_default().trim();
    let meta = &mut out.metadata;
    if !key.is_empty() {
        meta.insert("issue_key".into(), Value::String(key.to_string()));
    }
    for (field, name_key, meta_key) in [
        ("project", "key", "project"),
        ("issuetype", "name", "issue_type"),
        ("status", "name", "status"),
        ("priority", "name", "priority"),
        ("reporter", "displayName", "reporter"),
        ("assignee", "displayName", "assignee"),
    ] {
        if let Some(value) = fields.get(field).and_then(|f| f.get(name_key)).and_then(Value::as_str)
        {
            meta.insert(meta_key.into(), Value::String(value.to_string()));
        }
    }
    for (field, meta_key) in [("created", "created"), ("updated", "updated")] {
        if let Some(value) = fields.get(field).and_then(Value::as_str) {
            meta.insert(meta_key.into(), Value::String(value.to_string()));
        }
    }
    if let Some(labels) = fields.get("labels").and_then(Value::as_array) {
        meta.insert("labels".into(), Value::Array(labels.clone()));
    }

    let heading = match (key.is_empty(), summary.is_empty()) {
        (false, false) => format!("{key}: {summary}"),
        (false, true) => key.to_string(),
        _ => summary.to_string(),
    };
    out.set_title(&heading);
    out.text.push(&heading);
    out.text.paragraph();

    if let Some(description) = fields.get("description") {
        rich_text(description, out)?;
        out.text.paragraph();
    }

    // v3 returns {"comments": [...]}; some payloads (and the published example) a bare array.
    let comments = match fields.get("comment") {
        Some(Value::Array(list)) => list.as_slice(),
        Some(Value::Object(page)) => {
            page.get("comments").and_then(Value::as_array).map_or(&[][..], Vec::as_slice)
        }
        _ => &[],
    };
    if !comments.is_empty() {
        out.text.push("Comments");
        out.text.paragraph();
    }
    for comment in comments {
        if out.text.is_full() {
            break;
        }
        let author = comment
            .get("author")
            .and_then(|a| a.get("displayName"))
            .and_then(Value::as_str)
            .unwrap_or("Unknown");
        let created = comment.get("created").and_then(Value::as_str).unwrap_or_default();
        let byline =
            if created.is_empty() { author.to_string() } else { format!("{author} ({created}):") };
        out.text.push(&byline);
        out.text.newline();
        if let Some(body) = comment.get("body") {
            rich_text(body, out)?;
        }
        out.text.paragraph();
    }
    Ok(())
}

/// A v3 field is an ADF document; v2 (and some custom fields) carry wiki text as a string.
fn rich_text(value: &Value, out: &mut Output<'_>) -> Result<(), ExtractError> {
    match value {
        Value::String(s) => text::push_lines(s, out),
        Value::Object(_) => adf(value, out, 0),
        _ => Ok(()),
    }
}

/// Writes an ADF node and its children.
pub(crate) fn adf(node: &Value, out: &mut Output<'_>, depth: usize) -> Result<(), ExtractError> {
    out.text.tick()?;
    if depth > MAX_DEPTH || out.text.is_full() {
        return Ok(());
    }
    let Some(node) = node.as_object() else {
        return Ok(());
    };
    let kind = node.get("type").and_then(Value::as_str).unwrap_or_default();
    let attrs = node.get("attrs").and_then(Value::as_object);
    let attr = |key: &str| attrs.and_then(|a| a.get(key)).and_then(Value::as_str);

    match kind {
        "text" => {
            let text = node.get("text").and_then(Value::as_str).unwrap_or_default();
            out.text.push(text);
            if let Some(href) = link_target(node)
                && href != text
            {
                out.text.push(&format!(" ({href})"));
            }
            return Ok(());
        }
        "hardBreak" => {
            out.text.newline();
            return Ok(());
        }
        "mention" => {
            let text = attr("text").unwrap_or("@someone");
            let text = if text.starts_with('@') { text.to_string() } else { format!("@{text}") };
            out.text.push(&text);
            return Ok(());
        }
        "emoji" => {
            if let Some(text) = attr("text").or(attr("shortName")) {
                out.text.push(text);
            }
            return Ok(());
        }
        "status" => {
            if let Some(text) = attr("text") {
                out.text.push(&format!("[{text}]"));
            }
            return Ok(());
        }
        "date" => {
            if let Some(date) = attr("timestamp").and_then(format_timestamp) {
                out.text.push(&date);
            }
            return Ok(());
        }
        "inlineCard" | "blockCard" | "embedCard" => {
            if let Some(url) = attr("url") {
                out.text.space();
                out.text.push(url);
                out.text.space();
            }
            return Ok(());
        }
        "media" | "mediaInline" | "placeholder" => return Ok(()),
        "rule" => {
            out.text.paragraph();
            return Ok(());
        }
        _ => {}
    }

    let children = node.get("content").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let block = matches!(
        kind,
        "paragraph"
            | "heading"
            | "codeBlock"
            | "blockquote"
            | "panel"
            | "expand"
            | "nestedExpand"
            | "table"
            | "bulletList"
            | "orderedList"
            | "taskList"
            | "decisionList"
            | "mediaSingle"
            | "mediaGroup"
    );
    if block {
        out.text.paragraph();
    }
    if matches!(kind, "expand" | "nestedExpand")
        && let Some(title) = attr("title")
    {
        out.text.push(title);
        out.text.newline();
    }
    match kind {
        "bulletList" | "orderedList" => {
            let start = attrs.and_then(|a| a.get("order")).and_then(Value::as_u64).unwrap_or(1);
            for (i, item) in children.iter().enumerate() {
                out.text.newline();
                if kind == "orderedList" {
                    out.text.push(&format!("{}. ", start.saturating_add(i as u64)));
                } else {
                    out.text.push("- ");
                }
                adf(item, out, depth + 1)?;
            }
        }
        "taskItem" => {
            out.text.newline();
            out.text.push(if attr("state") == Some("DONE") { "[x] " } else { "[ ] " });
            children_of(children, out, depth)?;
        }
        "tableRow" => {
            out.text.newline();
            for cell in children {
                adf(cell, out, depth + 1)?;
                out.text.tab();
            }
            out.text.newline();
        }
        "codeBlock" => {
            // Code text carries its own line breaks.
            for child in children {
                if let Some(code) = child.get("text").and_then(Value::as_str) {
                    let mut lines = code.lines().peekable();
                    while let Some(line) = lines.next() {
                        out.text.push(line.trim_end());
                        if lines.peek().is_some() {
                            out.text.newline();
                        }
                    }
                }
            }
        }
        // Paragraphs inside list items and cells stay on the item's line.
        "listItem" | "tableCell" | "tableHeader" => {
            for (i, child) in children.iter().enumerate() {
                if i > 0 {
                    out.text.newline();
                }
                inline_block(child, out, depth + 1)?;
            }
        }
        _ => children_of(children, out, depth)?,
    }
    if block {
        out.text.paragraph();
    }
    Ok(())
}

fn children_of(children: &[Value], out: &mut Output<'_>, depth: usize) -> Result<(), ExtractError> {
    for child in children {
        adf(child, out, depth + 1)?;
    }
    Ok(())
}

/// A paragraph written without the blank lines around it.
fn inline_block(node: &Value, out: &mut Output<'_>, depth: usize) -> Result<(), ExtractError> {
    if node.get("type").and_then(Value::as_str) == Some("paragraph") {
        let children = node.get("content").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        children_of(children, out, depth)
    } else {
        adf(node, out, depth)
    }
}

fn link_target(node: &Map<String, Value>) -> Option<&str> {
    node.get("marks")?.as_array()?.iter().find_map(|mark| {
        (mark.get("type")?.as_str()? == "link").then(|| mark.get("attrs")?.get("href")?.as_str())?
    })
}

/// ADF dates are milliseconds since the epoch, as a string.
fn format_timestamp(ms: &str) -> Option<String> {
    let ms: i64 = ms.trim().parse().ok()?;
    let date = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(date.format("%Y-%m-%d").to_string())
}
