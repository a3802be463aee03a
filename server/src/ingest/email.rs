//! E-mail (`message/rfc822`) with `mail-parser`: headers into metadata and a short header
//! block, the text body (or the HTML body converted, when there is no text part), and the
//! attachments handed back so the engine indexes each as its own document.

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};
use serde_json::Value;

use super::{Attachment, ExtractError, Output, html, text};

pub(crate) fn extract(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let message = MessageParser::default()
        .parse(input)
        .ok_or_else(|| ExtractError::parse("not an RFC 5322 message"))?;

    let from = message.from().map(addresses).unwrap_or_default();
    let to = message.to().map(addresses).unwrap_or_default();
    let cc = message.cc().map(addresses).unwrap_or_default();
    let subject = message.subject().unwrap_or("").trim().to_string();
    let date = message.date().map(|d| d.to_rfc3339());
    let message_id = message.message_id().map(str::to_string);

    let meta = &mut out.metadata;
    if let Some(first) = from.first() {
        meta.insert("from".into(), Value::String(first.clone()));
    }
    meta.insert("to".into(), Value::from(to.clone()));
    meta.insert("cc".into(), Value::from(cc.clone()));
    if !subject.is_empty() {
        meta.insert("subject".into(), Value::String(subject.clone()));
    }
    if let Some(date) = &date {
        meta.insert("date".into(), Value::String(date.clone()));
    }
    if let Some(id) = &message_id {
        meta.insert("message_id".into(), Value::String(id.clone()));
    }
    out.set_title(&subject);

    // The headers a reader would search by, as text too.
    for (label, values) in [("From", from), ("To", to), ("Cc", cc)] {
        if !values.is_empty() {
            out.text.push(&format!("{label}: {}", values.join(", ")));
            out.text.newline();
        }
    }
    if let Some(date) = &date {
        out.text.push(&format!("Date: {date}"));
        out.text.newline();
    }
    if !subject.is_empty() {
        out.text.push(&format!("Subject: {subject}"));
        out.text.newline();
    }
    out.text.paragraph();

    // mail-parser lists the HTML alternative under text_body when there is no text part.
    let body_ids =
        if message.text_body.is_empty() { &message.html_body } else { &message.text_body };
    for &id in body_ids {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Text(body) => text::push_lines(body, out)?,
            PartType::Html(body) => html::extract_html(body, out)?,
            _ => continue,
        }
        out.text.paragraph();
    }
    // An HTML body's <title> is not the message's title.
    out.title = (!subject.is_empty()).then_some(subject);

    for (n, &id) in message.attachments.iter().enumerate() {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let mime_type = match part.content_type() {
            Some(ct) => match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            },
            None if matches!(part.body, PartType::Message(_)) => "message/rfc822".into(),
            None => "application/octet-stream".into(),
        };
        let name = part
            .attachment_name()
            .map(safe_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", n + 1));
        out.attachments.push(Attachment { name, mime_type, bytes: part.contents().to_vec() });
    }
    out.metadata.insert("attachment_count".into(), Value::from(out.attachments.len()));
    Ok(())
}

fn addresses(address: &Address<'_>) -> Vec<String> {
    address
        .iter()
        .filter_map(|addr| match (addr.name(), addr.address()) {
            (Some(name), Some(email)) if !name.trim().is_empty() => {
                Some(format!("{} <{email}>", name.trim()))
            }
            (_, Some(email)) => Some(email.to_string()),
            (Some(name), None) => Some(name.to_string()),
            (None, None) => None,
        })
        .collect()
}

/// Attachment names come from the sender: keep the last path component only.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    last.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string()
}
