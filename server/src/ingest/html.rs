//! HTML and Confluence storage format (XHTML with `ac:`/`ri:` macros) to text.
//!
//! A small lenient tokenizer rather than an HTML5 parser: real-world HTML and Confluence
//! storage are often not well-formed XML (`&nbsp;`, unclosed `<p>`), and for text we only need
//! tags, text and a few attributes. Scripts, styles and macro parameters are dropped, block
//! elements become line breaks, table cells tabs, `<pre>` and code macro bodies keep their
//! lines, and all HTML5 named entities are decoded.

use html_escape::decode_html_entities;

use super::{ExtractError, Output};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Html,
    Confluence,
}

pub(crate) fn extract_html(text: &str, out: &mut Output<'_>) -> Result<(), ExtractError> {
    convert(text, Dialect::Html, out)
}

pub(crate) fn extract_confluence(text: &str, out: &mut Output<'_>) -> Result<(), ExtractError> {
    convert(text, Dialect::Confluence, out)
}

/// Elements whose content is not text at all; the parser jumps to their end tag.
const RAW_SKIP: &[&str] = &["script", "style", "textarea", "xmp", "iframe", "noembed", "noframes"];

/// Elements whose content is left out (but may hold markup).
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "head"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "object"
            | "canvas"
            | "select"
            | "ac:parameter"
            | "ac:task-id"
            | "ac:task-status"
            | "ac:emoticon"
            | "ac:image"
            | "ac:placeholder"
    )
}

/// Elements that end a paragraph (a blank line around them).
fn is_paragraph(name: &str) -> bool {
    matches!(
        name,
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "blockquote"
            | "table"
            | "ul"
            | "ol"
            | "dl"
            | "hr"
            | "ac:structured-macro"
            | "ac:macro"
            | "ac:plain-text-body"
            | "ac:task-list"
    )
}

/// Elements that start on a new line.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "div"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "main"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "form"
            | "fieldset"
            | "figure"
            | "figcaption"
            | "address"
            | "details"
            | "summary"
            | "caption"
            | "thead"
            | "tbody"
            | "tfoot"
            | "body"
            | "ac:task"
            | "ac:layout-section"
            | "ac:layout-cell"
            | "ac:rich-text-body"
    )
}

struct State {
    dialect: Dialect,
    skip_depth: u32,
    pre_depth: u32,
    /// Inside a table cell, blocks only separate words: the row stays one line.
    cell_depth: u32,
    /// Inside `ac:link`: the target's name, shown when the link has no body of its own.
    link_fallback: Option<String>,
    link_has_body: bool,
    first_heading: Option<String>,
    heading_text: Option<String>,
}

fn convert(src: &str, dialect: Dialect, out: &mut Output<'_>) -> Result<(), ExtractError> {
    let mut st = State {
        dialect,
        skip_depth: 0,
        pre_depth: 0,
        cell_depth: 0,
        link_fallback: None,
        link_has_body: false,
        first_heading: None,
        heading_text: None,
    };
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        out.text.tick()?;
        if out.text.is_full() {
            break;
        }
        if bytes[i] != b'<' {
            let end = memchr(b'<', &bytes[i..]).map_or(bytes.len(), |n| i + n);
            text(&src[i..end], &mut st, out);
            i = end;
            continue;
        }
        let rest = &src[i..];
        if rest.starts_with("<!--") {
            i = find(src, i + 4, "-->").map_or(bytes.len(), |n| n + 3);
        } else if rest.starts_with("<![CDATA[") {
            let end = find(src, i + 9, "]]>").unwrap_or(bytes.len());
            if st.skip_depth == 0 {
                mark_link_body(&mut st);
                push_pre(&src[i + 9..end], out);
            }
            i = (end + 3).min(bytes.len());
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            i = find(src, i, ">").map_or(bytes.len(), |n| n + 1);
        } else if let Some(after) = rest.strip_prefix("</") {
            let name_len =
                after.find(|c: char| c == '>' || c.is_whitespace()).unwrap_or(after.len());
            let name = after[..name_len].to_ascii_lowercase();
            end_tag(&name, &mut st, out);
            i = find(src, i, ">").map_or(bytes.len(), |n| n + 1);
        } else if bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            let Some((tag_end, name, attrs, self_closing)) = parse_tag(src, i) else {
                break;
            };
            i = tag_end;
            if RAW_SKIP.contains(&name.as_str()) && !self_closing {
                i = find_end_tag(src, i, &name).unwrap_or(bytes.len());
                continue;
            }
            if name == "title" && !self_closing {
                let end = find_end_tag(src, i, "title").unwrap_or(bytes.len());
                out.set_title(&decode_html_entities(&src[i..end]));
                i = end;
                continue;
            }
            start_tag(&name, attrs, self_closing, &mut st, out);
        } else {
            text("<", &mut st, out);
            i += 1;
        }
    }
    if out.title.is_none()
        && let Some(heading) = st.first_heading.take()
    {
        out.set_title(&heading);
    }
    Ok(())
}

fn start_tag(name: &str, attrs: &str, self_closing: bool, st: &mut State, out: &mut Output<'_>) {
    // An unclosed <head> must not swallow the page.
    if name == "body" {
        st.skip_depth = 0;
    }
    if st.skip_depth > 0 {
        if is_skipped(name) && !self_closing {
            st.skip_depth += 1;
        }
        return;
    }
    if is_skipped(name) {
        if !self_closing {
            st.skip_depth = 1;
        }
        return;
    }
    match name {
        // Unclosed cells (valid HTML) must not leak into the next row.
        "tr" | "table" => st.cell_depth = 0,
        "td" | "th" => st.cell_depth += 1,
        _ => {}
    }
    separate(name, st, out);
    match name {
        "br" => out.text.newline(),
        "pre" | "ac:plain-text-body" => st.pre_depth += 1,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if st.first_heading.is_none() => {
            st.heading_text = Some(String::new());
        }
        "ac:link" => {
            st.link_fallback = None;
            st.link_has_body = false;
        }
        "ri:page" | "ri:attachment" | "ri:space" | "ri:url" | "ri:blog-post" => {
            let key = match name {
                "ri:page" | "ri:blog-post" => "ri:content-title",
                "ri:attachment" => "ri:filename",
                "ri:space" => "ri:space-key",
                _ => "ri:value",
            };
            if let Some(value) = attribute(attrs, key) {
                st.link_fallback.get_or_insert(value);
            }
        }
        "ac:plain-text-link-body" | "ac:link-body" => st.link_has_body = true,
        // Confluence dates: <time datetime="2024-05-01" />.
        "time" => {
            if let Some(value) = attribute(attrs, "datetime") {
                out.text.space();
                out.text.push(&value);
            }
        }
        "img" if st.dialect == Dialect::Html => {
            if let Some(alt) = attribute(attrs, "alt").filter(|a| !a.trim().is_empty()) {
                out.text.push_collapsed(&alt);
                out.text.space();
            }
        }
        _ => {}
    }
    if self_closing {
        end_tag(name, st, out);
    }
}

fn end_tag(name: &str, st: &mut State, out: &mut Output<'_>) {
    if st.skip_depth > 0 {
        if is_skipped(name) {
            st.skip_depth -= 1;
        }
        return;
    }
    match name {
        "td" | "th" => {
            st.cell_depth = st.cell_depth.saturating_sub(1);
            out.text.tab();
        }
        "tr" | "table" => st.cell_depth = 0,
        "pre" | "ac:plain-text-body" => st.pre_depth = st.pre_depth.saturating_sub(1),
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            if let Some(heading) = st.heading_text.take().filter(|h| !h.trim().is_empty()) {
                st.first_heading = Some(heading);
            }
        }
        "ac:link" => {
            if !st.link_has_body
                && let Some(fallback) = st.link_fallback.take()
            {
                out.text.push_collapsed(&fallback);
            }
            st.link_has_body = false;
        }
        _ => {}
    }
    separate(name, st, out);
}

/// The break a block element puts around itself.
fn separate(name: &str, st: &State, out: &mut Output<'_>) {
    if !is_paragraph(name) && !is_block(name) {
        return;
    }
    if st.cell_depth > 0 {
        out.text.space();
    } else if is_paragraph(name) {
        out.text.paragraph();
    } else {
        out.text.newline();
    }
}

fn mark_link_body(st: &mut State) {
    st.link_has_body = true;
}

fn text(raw: &str, st: &mut State, out: &mut Output<'_>) {
    if st.skip_depth > 0 || raw.is_empty() {
        return;
    }
    let decoded = decode_html_entities(raw);
    if !decoded.trim().is_empty() {
        mark_link_body(st);
    }
    if let Some(heading) = st.heading_text.as_mut()
        && heading.len() < 1024
    {
        heading.push_str(&decoded);
    }
    if st.pre_depth > 0 {
        push_pre(&decoded, out);
    } else {
        out.text.push_collapsed(&decoded);
    }
}

/// Preformatted text keeps its line breaks.
fn push_pre(text: &str, out: &mut Output<'_>) {
    let mut lines = text.trim_matches('\n').lines().peekable();
    while let Some(line) = lines.next() {
        out.text.push(line.trim_end());
        if lines.peek().is_some() {
            out.text.newline();
        }
    }
}

/// Parses `<name attrs… >` starting at `at`: (index after `>`, lower-case name, raw attributes,
/// self-closing). Quoted attribute values may contain `>`.
fn parse_tag(src: &str, at: usize) -> Option<(usize, String, &str, bool)> {
    let bytes = src.as_bytes();
    let name_start = at + 1;
    let mut j = name_start;
    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' && bytes[j] != b'/'
    {
        j += 1;
    }
    let name = src.get(name_start..j)?.to_ascii_lowercase();
    let attrs_start = j;
    let mut quote = None;
    while j < bytes.len() {
        match (quote, bytes[j]) {
            (None, b'"' | b'\'') => quote = Some(bytes[j]),
            (Some(q), b) if b == q => quote = None,
            (None, b'>') => break,
            _ => {}
        }
        j += 1;
    }
    let attrs = src.get(attrs_start..j)?;
    let self_closing = attrs.trim_end().ends_with('/');
    Some(((j + 1).min(bytes.len()), name, attrs, self_closing))
}

/// The decoded value of attribute `key` (case-insensitive) in a raw attribute string.
fn attribute(attrs: &str, key: &str) -> Option<String> {
    let bytes = attrs.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let name = &attrs[name_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            if name.is_empty() {
                i += 1;
            }
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let (value, next) = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = memchr(q, &bytes[i + 1..]).map_or(bytes.len(), |n| i + 1 + n);
                (&attrs[i + 1..end], end + 1)
            }
            _ => {
                let end = attrs[i..].find(char::is_whitespace).map_or(bytes.len(), |n| i + n);
                (&attrs[i..end], end)
            }
        };
        if name.eq_ignore_ascii_case(key) {
            return Some(decode_html_entities(value).into_owned());
        }
        i = next;
    }
    None
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

fn find(src: &str, from: usize, needle: &str) -> Option<usize> {
    src.get(from..)?.find(needle).map(|n| from + n)
}

/// The index of `</name` (case-insensitive) at or after `from`.
fn find_end_tag(src: &str, from: usize, name: &str) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut at = from;
    while let Some(n) = find(src, at, "</") {
        let candidate = bytes.get(n + 2..n + 2 + name.len())?;
        if candidate.eq_ignore_ascii_case(name.as_bytes()) {
            return Some(n);
        }
        at = n + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_found_case_insensitively_with_any_quoting() {
        let attrs = r#" ri:content-title="Q&amp;A" data-x='a>b' checked Href=plain"#;
        assert_eq!(attribute(attrs, "ri:content-title").as_deref(), Some("Q&A"));
        assert_eq!(attribute(attrs, "data-x").as_deref(), Some("a>b"));
        assert_eq!(attribute(attrs, "href").as_deref(), Some("plain"));
        assert_eq!(attribute(attrs, "missing"), None);
    }

    #[test]
    fn end_tags_are_found_case_insensitively() {
        assert_eq!(find_end_tag("x</b>y</SCRIPT>", 0, "script"), Some(6));
    }
}
