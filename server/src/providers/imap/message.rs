//! What a message looks like to the rest of the engine: FETCH data (ENVELOPE,
//! BODYSTRUCTURE, INTERNALDATE) turned into a [`RemoteItem`], plus the text
//! decodings that needs (RFC 2047 encoded words in headers, modified UTF-7
//! in mailbox names).

use app::model::Timestamp;
use base64::Engine;
use serde_json::{Map, Value as Json};

use super::super::RemoteItem;
use super::parse::Value;

/// Longest item name kept (subjects can be kilobytes of spam).
const MAX_NAME_CHARS: usize = 200;
/// Attachment names kept per message in the metadata.
const MAX_ATTACHMENT_NAMES: usize = 50;
const NO_SUBJECT: &str = "(no subject)";

/// The FETCH items of a listing: everything an item needs, no body.
pub const ITEM_FETCH: &str = "(UID RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)";

/// One message as FETCH describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchedMessage {
    pub uid: u32,
    pub size: u64,
    pub internal_date: Option<Timestamp>,
    pub envelope: Envelope,
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The Date header as sent.
    pub date: Option<String>,
    /// Decoded.
    pub subject: Option<String>,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub in_reply_to: Option<String>,
    pub message_id: Option<String>,
}

impl FetchedMessage {
    /// Reads the items of one FETCH response; `None` without a UID or an
    /// ENVELOPE (an unsolicited flag update, not an answer to our FETCH).
    pub fn from_fetch(attributes: &[(String, Value)]) -> Option<Self> {
        let get = |name: &str| attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let uid = u32::try_from(get("UID")?.as_u64()?).ok().filter(|u| *u > 0)?;
        let envelope = parse_envelope(get("ENVELOPE")?);
        Some(Self {
            uid,
            size: get("RFC822.SIZE").and_then(Value::as_u64).unwrap_or(0),
            internal_date: get("INTERNALDATE")
                .and_then(Value::as_text)
                .and_then(|d| parse_internal_date(&d)),
            envelope,
            attachments: get("BODYSTRUCTURE").map(attachment_names).unwrap_or_default(),
        })
    }
}

/// A message's UID, read from its FETCH items.
pub fn fetch_uid(attributes: &[(String, Value)]) -> Option<u32> {
    let uid = attributes.iter().find(|(n, _)| n == "UID")?.1.as_u64()?;
    u32::try_from(uid).ok()
}

/// `<mailbox>/<uidvalidity>/<uid>`, with the mailbox as the server spells it.
pub fn item_id(mailbox: &str, uidvalidity: u32, uid: u32) -> String {
    format!("{mailbox}/{uidvalidity}/{uid}")
}

/// Splits an item id from the right, since mailbox names may contain `/`.
pub fn parse_item_id(id: &str) -> Option<(&str, u32, u32)> {
    let mut parts = id.rsplitn(3, '/');
    let uid = parts.next()?.parse().ok().filter(|u: &u32| *u > 0)?;
    let uidvalidity = parts.next()?.parse().ok()?;
    let mailbox = parts.next().filter(|m| !m.is_empty())?;
    Some((mailbox, uidvalidity, uid))
}

/// `/INBOX/Projects` for `INBOX.Projects` with delimiter `.`: components decoded
/// from modified UTF-7 and joined with `/`.
pub fn display_path(mailbox: &str, delimiter: Option<char>) -> String {
    let parts: Vec<String> = match delimiter {
        Some(d) => mailbox.split(d).map(decode_mailbox_name).collect(),
        None => vec![decode_mailbox_name(mailbox)],
    };
    format!("/{}", parts.join("/"))
}

/// The message as an item of `mailbox` (shown at `mailbox_path`).
pub fn remote_item(
    mailbox: &str,
    mailbox_path: &str,
    uidvalidity: u32,
    message: &FetchedMessage,
) -> RemoteItem {
    let envelope = &message.envelope;
    let name = item_name(envelope.subject.as_deref());
    let mut metadata = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            metadata.insert(key.to_string(), Json::String(value));
        }
    };
    put("message_id", envelope.message_id.clone());
    put("from", Some(envelope.from.join(", ")));
    put("to", Some(envelope.to.join(", ")));
    put("cc", Some(envelope.cc.join(", ")));
    put("date", envelope.date.as_deref().map(normalize_date));
    put("subject", envelope.subject.clone());
    put("in_reply_to", envelope.in_reply_to.clone());
    put("mailbox", Some(mailbox_path.trim_start_matches('/').to_string()));
    metadata.insert("uid".into(), Json::from(message.uid));
    metadata.insert("uidvalidity".into(), Json::from(uidvalidity));
    if !message.attachments.is_empty() {
        let names = message.attachments.iter().map(|n| Json::String(n.clone())).collect();
        metadata.insert("attachments".into(), Json::Array(names));
    }
    RemoteItem {
        id: item_id(mailbox, uidvalidity, message.uid),
        path: format!("{}/{name}", mailbox_path.trim_end_matches('/')),
        name,
        is_folder: false,
        mime_type: "message/rfc822".into(),
        size: message.size,
        modified_at: message.internal_date,
        // A UID names one immutable message for as long as UIDVALIDITY holds.
        version: Some(format!("{uidvalidity}.{}", message.uid)),
        web_url: None,
        metadata,
    }
}

/// The subject as a file name: one line, no `/`, not empty, not endless.
pub fn item_name(subject: Option<&str>) -> String {
    let cleaned: String = subject
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() || c == '/' || c == '\\' { ' ' } else { c })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = collapsed.chars().take(MAX_NAME_CHARS).collect();
    let name = name.trim().to_string();
    if name.is_empty() { NO_SUBJECT.to_string() } else { name }
}

/// RFC 2822 dates as RFC 3339 when they parse; as sent otherwise.
fn normalize_date(date: &str) -> String {
    let trimmed = date.trim();
    // chrono rejects the obsolete "(UTC)" comment some mailers append.
    let without_comment = trimmed.split(" (").next().unwrap_or(trimmed);
    match chrono::DateTime::parse_from_rfc2822(without_comment) {
        Ok(parsed) => Timestamp::from(parsed.with_timezone(&chrono::Utc)).to_rfc3339(),
        Err(_) => trimmed.to_string(),
    }
}

/// `27-Nov-2026 23:46:06 +0000` (the day may be space-padded).
pub fn parse_internal_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    chrono::DateTime::parse_from_str(text, "%d-%b-%Y %H:%M:%S %z")
        .or_else(|_| chrono::DateTime::parse_from_str(text, "%e-%b-%Y %H:%M:%S %z"))
        .ok()
        .map(|t| Timestamp::from(t.with_timezone(&chrono::Utc)))
}

fn nstring(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_text).map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// `(date subject from sender reply-to to cc bcc in-reply-to message-id)`.
fn parse_envelope(value: &Value) -> Envelope {
    let fields = value.as_list().unwrap_or_default();
    let field = |i: usize| fields.get(i);
    Envelope {
        date: nstring(field(0)),
        subject: nstring(field(1)).map(|s| decode_words(&s)),
        from: addresses(field(2)),
        to: addresses(field(5)),
        cc: addresses(field(6)),
        in_reply_to: nstring(field(8)),
        message_id: nstring(field(9)),
    }
}

/// An address list: `((name adl mailbox host) …)`; group markers are skipped.
fn addresses(value: Option<&Value>) -> Vec<String> {
    let Some(list) = value.and_then(Value::as_list) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|address| {
            let parts = address.as_list()?;
            let name = nstring(parts.first()).map(|n| decode_words(&n));
            let mailbox = nstring(parts.get(2))?;
            // A NIL host marks the start or end of a group (RFC 3501, 7.4.2).
            let host = nstring(parts.get(3))?;
            let email = format!("{mailbox}@{host}");
            Some(match name {
                Some(name) => format!("{name} <{email}>"),
                None => email,
            })
        })
        .collect()
}

/// File names of the parts that are attachments, from a BODYSTRUCTURE.
fn attachment_names(value: &Value) -> Vec<String> {
    let mut names = Vec::new();
    collect_attachments(value, &mut names, 0);
    names
}

fn collect_attachments(value: &Value, names: &mut Vec<String>, depth: usize) {
    let Some(fields) = value.as_list() else {
        return;
    };
    if names.len() >= MAX_ATTACHMENT_NAMES || depth > 32 {
        return;
    }
    if matches!(fields.first(), Some(Value::List(_))) {
        // multipart: the parts, then the subtype and extension data.
        for part in fields.iter().take_while(|f| matches!(f, Value::List(_))) {
            collect_attachments(part, names, depth + 1);
        }
        return;
    }
    let text = |i: usize| fields.get(i).and_then(Value::as_text).map(|t| t.to_ascii_lowercase());
    let (kind, subtype) = (text(0).unwrap_or_default(), text(1).unwrap_or_default());
    // Extension data starts after the type-specific fields (RFC 3501, 7.4.2).
    let extension = match (kind.as_str(), subtype.as_str()) {
        ("text", _) => 8,
        ("message", "rfc822") | ("message", "global") => 10,
        _ => 7,
    };
    let disposition = fields.get(extension + 1).and_then(Value::as_list);
    let disposition_kind = disposition
        .and_then(|d| d.first())
        .and_then(Value::as_text)
        .map(|k| k.to_ascii_lowercase());
    let filename = disposition
        .and_then(|d| param(d.get(1), "filename"))
        .or_else(|| param(fields.get(2), "name"));
    let is_attachment = disposition_kind.as_deref() == Some("attachment") || filename.is_some();
    if is_attachment {
        let name = filename.unwrap_or_else(|| format!("{kind}/{subtype}"));
        names.push(decode_words(&name));
    }
}

/// A parameter of a `("name" "value" …)` list, case-insensitively.
fn param(list: Option<&Value>, key: &str) -> Option<String> {
    let items = list?.as_list()?;
    items.chunks(2).find_map(|pair| match pair {
        [k, v] if k.as_text()?.eq_ignore_ascii_case(key) => nstring(Some(v)),
        _ => None,
    })
}

/// Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?iso-8859-1?Q?…?=`);
/// whitespace between two encoded words is dropped, as the RFC says.
pub fn decode_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut pending_space = String::new();
    let mut last_was_word = false;
    while !rest.is_empty() {
        if let Some((decoded, len)) = rest.strip_prefix("=?").and_then(encoded_word) {
            if !last_was_word {
                out.push_str(&pending_space);
            }
            pending_space.clear();
            out.push_str(&decoded);
            rest = &rest[len + 2..];
            last_was_word = true;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            pending_space.push(c);
        } else {
            out.push_str(&pending_space);
            pending_space.clear();
            out.push(c);
            last_was_word = false;
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(&pending_space);
    out
}

/// Decodes `charset?B?text?=` (after `=?`); returns the text and the bytes used.
fn encoded_word(after: &str) -> Option<(String, usize)> {
    let (charset, rest) = after.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let encoded = &rest[..end];
    let used = charset.len() + encoding.len() + end + 4;
    if charset.is_empty() || [charset, encoded].iter().any(|s| s.contains(char::is_whitespace)) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => LENIENT_BASE64.decode(encoded).ok()?,
        "Q" | "q" => decode_q(encoded)?,
        _ => return None,
    };
    // `charset*language` (RFC 2231) keeps only the charset.
    let charset = charset.split('*').next().unwrap_or(charset).to_ascii_lowercase();
    let text = match charset.as_str() {
        // windows-1252 differs from Latin-1 only in 0x80..0x9f, which are rare in headers.
        "iso-8859-1" | "latin1" | "iso8859-1" | "us-ascii" | "windows-1252" | "cp1252" => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    };
    Some((text, used))
}

/// Mailers drop base64 padding in encoded words now and then.
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn decode_q(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// Decodes one mailbox name component from modified UTF-7 (RFC 3501, 5.1.3):
/// `&AOQ-` is `ä`, `&-` is `&`. Malformed names are shown as sent.
pub fn decode_mailbox_name(name: &str) -> String {
    decode_mutf7(name).unwrap_or_else(|| name.to_string())
}

fn decode_mutf7(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('-')?;
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let standard = encoded.replace(',', "/");
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(standard).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> =
                bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_decode_and_join() {
        assert_eq!(decode_words("=?UTF-8?B?SGVsbG8gV8O2cmxk?="), "Hello Wörld");
        assert_eq!(decode_words("=?iso-8859-1?Q?Caf=E9_cr=E8me?= today"), "Café crème today");
        assert_eq!(decode_words("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
        assert_eq!(decode_words("Re: =?utf-8?b?w6TDtsO8?= x"), "Re: äöü x");
        assert_eq!(decode_words("plain  text"), "plain  text");
        assert_eq!(decode_words("=?bogus"), "=?bogus");
        assert_eq!(decode_words("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
        assert_eq!(decode_words("=?UTF-8?Q?=ZZ?="), "=?UTF-8?Q?=ZZ?=");
        assert_eq!(decode_words("=?UTF-8*en?Q?hi?="), "hi");
        assert_eq!(decode_words("=?UTF-8?B?w6Q?= end"), "ä end");
    }

    #[test]
    fn mailbox_names_decode_from_modified_utf7() {
        assert_eq!(decode_mailbox_name("Entw&APw-rfe"), "Entwürfe");
        assert_eq!(decode_mailbox_name("Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(decode_mailbox_name("&ZeVnLIqe-"), "日本語");
        assert_eq!(decode_mailbox_name("broken &AOQ"), "broken &AOQ");
        assert_eq!(display_path("INBOX.Entw&APw-rfe", Some('.')), "/INBOX/Entwürfe");
        assert_eq!(display_path("Projects/Sub", Some('/')), "/Projects/Sub");
        assert_eq!(display_path("Flat", None), "/Flat");
    }

    #[test]
    fn item_ids_round_trip_with_slashes_in_mailbox_names() {
        let id = item_id("Projects/Sub", 1795823166, 42);
        assert_eq!(id, "Projects/Sub/1795823166/42");
        assert_eq!(parse_item_id(&id), Some(("Projects/Sub", 1795823166, 42)));
        assert_eq!(parse_item_id("INBOX/1/0"), None);
        assert_eq!(parse_item_id("/1/2"), None);
        assert_eq!(parse_item_id("INBOX/x/2"), None);
        assert_eq!(parse_item_id("2"), None);
    }

    #[test]
    fn names_are_one_clean_line() {
        assert_eq!(item_name(Some("  Re: a/b\r\n\tc  ")), "Re: a b c");
        assert_eq!(item_name(Some(" \t ")), "(no subject)");
        assert_eq!(item_name(None), "(no subject)");
        assert_eq!(item_name(Some(&"x".repeat(1000))).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn internal_dates_parse_with_padded_days() {
        let t = parse_internal_date("27-Nov-2026 23:46:06 +0000").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-27T23:46:06.000Z");
        let t = parse_internal_date(" 1-Jan-2024 10:00:00 +0200").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-01T08:00:00.000Z");
        assert_eq!(parse_internal_date("yesterday"), None);
    }

    #[test]
    fn bodystructure_names_the_attachments() {
        let raw = b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"r.pdf\") NIL NIL \"base64\" 100 NIL (\"attachment\" (\"filename\" \"=?UTF-8?Q?Bericht_=C3=BC.pdf?=\")) NIL NIL)(\"image\" \"png\" NIL NIL NIL \"base64\" 10 NIL (\"inline\" NIL) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL))";
        let super::super::parse::Response::Untagged(super::super::parse::Untagged::Fetch {
            attributes,
            ..
        }) = super::super::parse::parse_response(raw).unwrap()
        else {
            panic!()
        };
        assert_eq!(attachment_names(&attributes[0].1), vec!["Bericht ü.pdf".to_string()]);
    }

    #[test]
    fn an_item_carries_the_envelope_as_metadata() {
        let message = FetchedMessage {
            uid: 7,
            size: 173,
            internal_date: parse_internal_date("27-Nov-2026 23:46:06 +0000"),
            envelope: Envelope {
                date: Some("Mon, 1 Jan 2024 10:00:00 +0000".into()),
                subject: Some("Hello Wörld".into()),
                from: vec!["Bob <bob@example.com>".into()],
                to: vec!["alice@example.com".into()],
                cc: vec![],
                in_reply_to: None,
                message_id: Some("<m1@example.com>".into()),
            },
            attachments: vec![],
        };
        let item = remote_item("Projects/Sub", "/Projects/Sub", 99, &message);
        assert_eq!(item.id, "Projects/Sub/99/7");
        assert_eq!(item.path, "/Projects/Sub/Hello Wörld");
        assert_eq!(item.name, "Hello Wörld");
        assert_eq!(item.mime_type, "message/rfc822");
        assert_eq!(item.version.as_deref(), Some("99.7"));
        assert_eq!(item.metadata["message_id"], "<m1@example.com>");
        assert_eq!(item.metadata["from"], "Bob <bob@example.com>");
        assert_eq!(item.metadata["date"], "2024-01-01T10:00:00.000Z");
        assert_eq!(item.metadata["mailbox"], "Projects/Sub");
        assert!(!item.metadata.contains_key("cc"));
    }
}
