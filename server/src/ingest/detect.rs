//! Type detection from the declared MIME type, the file extension and the bytes themselves.
//!
//! Magic bytes win for the container formats (a DOCX without extension, a PDF declared as
//! `application/octet-stream`); the declared type decides among text formats, which have no
//! magic; and a "binary" file whose bytes are plainly text is read as text.

use super::{DocumentHint, ExtractError, archive};

/// A format we can extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Pdf,
    Docx,
    Pptx,
    Xlsx,
    Odt,
    Html,
    Markdown,
    Text,
    Csv,
    Tsv,
    Json,
    Email,
    ConfluenceStorage,
    JiraIssue,
}

pub const CONFLUENCE_STORAGE_MIME: &str = "application/vnd.atlassian.confluence.storage+xml";
pub const JIRA_ISSUE_MIME: &str = "application/vnd.atlassian.jira.issue+json";

impl Format {
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Odt => "application/vnd.oasis.opendocument.text",
            Format::Html => "text/html",
            Format::Markdown => "text/markdown",
            Format::Text => "text/plain",
            Format::Csv => "text/csv",
            Format::Tsv => "text/tab-separated-values",
            Format::Json => "application/json",
            Format::Email => "message/rfc822",
            Format::ConfluenceStorage => CONFLUENCE_STORAGE_MIME,
            Format::JiraIssue => JIRA_ISSUE_MIME,
        }
    }

    /// Formats whose bytes are a binary container; the rest are text.
    fn is_binary(self) -> bool {
        matches!(self, Format::Pdf | Format::Docx | Format::Pptx | Format::Xlsx | Format::Odt)
    }
}

/// Whether a file would be extracted, judged from its name and declared MIME type alone (for
/// "skip: unsupported" decisions before downloading). Conservative: a file with neither a
/// known extension nor a known MIME type counts as unsupported, even though its bytes might
/// turn out to be a document.
pub fn is_supported(name: &str, mime_type: Option<&str>) -> bool {
    from_mime(mime_type).is_some() || from_extension(name).is_some()
}

/// Decides the format of `input`.
///
/// Returns `Unsupported` for known non-document binaries (images, archives, executables) and
/// for bytes that are neither a known container nor text.
pub fn detect_format(input: &[u8], hint: &DocumentHint<'_>) -> Result<Format, ExtractError> {
    let declared = from_mime(hint.mime_type).or_else(|| from_extension(hint.name));

    if looks_like_pdf(input) {
        return Ok(Format::Pdf);
    }
    if input.starts_with(b"PK\x03\x04") || input.starts_with(b"PK\x05\x06") {
        return match archive::sniff_office(input) {
            Some(format) => Ok(format),
            // A declared office file that is a broken zip: report the damage, not the type.
            None if declared.is_some_and(Format::is_binary) => Ok(declared.unwrap_or(Format::Pdf)),
            None => Err(ExtractError::unsupported("a zip archive that is not an office document")),
        };
    }
    if input.starts_with(b"{\\rtf") {
        return Err(ExtractError::unsupported("RTF files are not indexed"));
    }
    let texty = looks_like_text(input);
    // Some magic numbers are short enough to begin a text file ("MZ", "ID3"): text wins.
    if !texty && let Some(kind) = known_binary(input) {
        return Err(ExtractError::unsupported(format!("{kind} files are not indexed")));
    }

    match declared {
        // The bytes are not what the name says: text wins, anything else is a broken file.
        Some(format) if format.is_binary() => {
            if texty {
                Ok(sniff_text(input).unwrap_or(Format::Text))
            } else {
                Ok(format)
            }
        }
        Some(Format::Text) => {
            Ok(sniff_text(input).filter(|f| *f == Format::Html).unwrap_or(Format::Text))
        }
        Some(format) => Ok(format),
        None if texty => Ok(sniff_text(input).unwrap_or(Format::Text)),
        None => Err(ExtractError::unsupported("unrecognised binary content")),
    }
}

fn looks_like_pdf(input: &[u8]) -> bool {
    // Some producers put junk before the header; readers accept it within the first KiB.
    let head = &input[..input.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

/// Magic numbers of common files we deliberately do not index.
fn known_binary(input: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xff\xd8\xff", "JPEG"),
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"\x1f\x8b", "gzip"),
        (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
        (b"Rar!\x1a\x07", "RAR"),
        (b"\x7fELF", "ELF"),
        (b"MZ", "Windows executable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office (OLE2)"),
        (b"OggS", "Ogg"),
        (b"fLaC", "FLAC"),
        (b"ID3", "MP3"),
        (b"BZh", "bzip2"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
    ];
    if input.len() >= 12 && &input[..4] == b"RIFF" {
        return Some("RIFF media");
    }
    if input.len() >= 12 && &input[4..8] == b"ftyp" {
        return Some("MP4/HEIF media");
    }
    MAGIC.iter().find(|(magic, _)| input.starts_with(magic)).map(|(_, kind)| *kind)
}

/// Text if it has a Unicode BOM, or its first 8 KiB hold no NUL and few control bytes.
pub(crate) fn looks_like_text(input: &[u8]) -> bool {
    if input.starts_with(b"\xef\xbb\xbf")
        || input.starts_with(b"\xff\xfe")
        || input.starts_with(b"\xfe\xff")
    {
        return true;
    }
    if super::text::utf16_without_bom(input).is_some() {
        return true;
    }
    let head = &input[..input.len().min(8192)];
    if head.contains(&0) {
        return false;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    control * 100 <= head.len()
}

/// Recognises text formats by their first bytes.
fn sniff_text(input: &[u8]) -> Option<Format> {
    let head = &input[..input.len().min(1024)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let trimmed = head.trim_ascii_start();
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || (lower.starts_with(b"<?xml") && lower.windows(5).any(|w| w == b"<html"))
    {
        return Some(Format::Html);
    }
    if trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        return Some(Format::Json);
    }
    if looks_like_email(head) {
        return Some(Format::Email);
    }
    None
}

/// An RFC 5322 header block: the first line is a header, and the typical ones are present.
fn looks_like_email(head: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(head.get(..head.len().min(1024)).unwrap_or(head)) else {
        return false;
    };
    let first = text.lines().next().unwrap_or("");
    let is_header = |line: &str| {
        line.split_once(':').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    };
    if !is_header(first) {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    let known = ["\nfrom:", "\nsubject:", "\ndate:", "\nmessage-id:", "\nmime-version:", "\nto:"];
    let hits = known.iter().filter(|h| lower.contains(*h)).count()
        + usize::from(
            ["from:", "received:", "return-path:", "message-id:", "date:"]
                .iter()
                .any(|h| lower.starts_with(h)),
        );
    hits >= 2
}

fn from_mime(mime_type: Option<&str>) -> Option<Format> {
    let mime = mime_type?.split(';').next()?.trim().to_ascii_lowercase();
    let format = match mime.as_str() {
        "application/pdf" | "application/x-pdf" => Format::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.ms-word.document.macroenabled.12" => Format::Docx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        | "application/vnd.ms-powerpoint.presentation.macroenabled.12" => Format::Pptx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-excel.sheet.macroenabled.12" => Format::Xlsx,
        "application/vnd.oasis.opendocument.text" => Format::Odt,
        "text/html" | "application/xhtml+xml" => Format::Html,
        "text/markdown" | "text/x-markdown" => Format::Markdown,
        "text/csv" => Format::Csv,
        "text/tab-separated-values" => Format::Tsv,
        "application/json" | "text/json" => Format::Json,
        "message/rfc822" => Format::Email,
        CONFLUENCE_STORAGE_MIME => Format::ConfluenceStorage,
        JIRA_ISSUE_MIME => Format::JiraIssue,
        "application/xml"
        | "application/x-yaml"
        | "application/yaml"
        | "application/toml"
        | "application/x-sh"
        | "application/javascript"
        | "application/sql" => Format::Text,
        // RTF is markup, not text; reading it raw would index control words.
        "text/rtf" | "text/richtext" => return None,
        other if other.starts_with("text/") => Format::Text,
        _ => return None,
    };
    Some(format)
}

fn from_extension(name: &str) -> Option<Format> {
    let (_, ext) = name.rsplit_once('.')?;
    let format = match ext.to_ascii_lowercase().as_str() {
        "pdf" => Format::Pdf,
        "docx" | "docm" => Format::Docx,
        "pptx" | "pptm" => Format::Pptx,
        "xlsx" | "xlsm" => Format::Xlsx,
        "odt" => Format::Odt,
        "html" | "htm" | "xhtml" => Format::Html,
        "md" | "markdown" | "mdown" | "mkd" => Format::Markdown,
        "csv" => Format::Csv,
        "tsv" | "tab" => Format::Tsv,
        "json" => Format::Json,
        "eml" => Format::Email,
        "txt" | "text" | "log" | "rst" | "adoc" | "org" | "tex" | "xml" | "yaml" | "yml"
        | "toml" | "ini" | "cfg" | "conf" | "srt" | "vtt" | "rs" | "py" | "js" | "ts" | "java"
        | "go" | "c" | "h" | "cpp" | "hpp" | "cs" | "rb" | "php" | "sh" | "sql" | "css" | "kt"
        | "swift" => Format::Text,
        _ => return None,
    };
    Some(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint<'a>(name: &'a str, mime: Option<&'a str>) -> DocumentHint<'a> {
        DocumentHint { name, mime_type: mime }
    }

    #[test]
    fn a_pdf_named_as_text_is_a_pdf() {
        let f = detect_format(b"%PDF-1.7\n...", &hint("notes.txt", Some("text/plain")));
        assert_eq!(f, Ok(Format::Pdf));
    }

    #[test]
    fn a_pdf_that_is_really_text_is_text() {
        let f = detect_format(b"just some notes\n", &hint("notes.pdf", Some("application/pdf")));
        assert_eq!(f, Ok(Format::Text));
    }

    #[test]
    fn declared_pdf_with_binary_garbage_stays_pdf_so_it_fails_as_corrupt() {
        let f = detect_format(&[0u8, 1, 2, 3, 200, 201], &hint("x.pdf", None));
        assert_eq!(f, Ok(Format::Pdf));
    }

    #[test]
    fn mime_parameters_and_case_are_ignored() {
        assert_eq!(from_mime(Some("Text/HTML; charset=UTF-8")), Some(Format::Html));
    }

    #[test]
    fn octet_stream_html_is_sniffed() {
        let f = detect_format(
            b"  <!DOCTYPE html><html></html>",
            &hint("page", Some("application/octet-stream")),
        );
        assert_eq!(f, Ok(Format::Html));
    }

    #[test]
    fn images_are_unsupported() {
        let err = detect_format(b"\x89PNG\r\n\x1a\n....", &hint("a.png", Some("image/png")));
        assert_eq!(err.map_err(|e| e.kind), Err(super::super::ExtractErrorKind::Unsupported));
    }

    #[test]
    fn rtf_is_unsupported_rather_than_misread_as_json() {
        let err = detect_format(b"{\\rtf1\\ansi Hello}", &hint("letter", None));
        assert_eq!(err.map_err(|e| e.kind), Err(super::super::ExtractErrorKind::Unsupported));
    }

    #[test]
    fn support_is_judged_by_extension_or_mime() {
        assert!(is_supported("Report.PDF", None));
        assert!(is_supported("page", Some(CONFLUENCE_STORAGE_MIME)));
        assert!(is_supported("notes", Some("text/plain; charset=utf-8")));
        assert!(!is_supported("photo.jpg", Some("image/jpeg")));
        assert!(!is_supported("blob", Some("application/octet-stream")));
        assert!(!is_supported("archive.zip", None));
        assert!(!is_supported("letter.rtf", Some("text/rtf")));
        // A text file that happens to start like an executable is still text.
        assert_eq!(detect_format(b"MZ hotels: 3 rooms", &hint("list.txt", None)), Ok(Format::Text));
    }

    #[test]
    fn mail_headers_are_recognised_without_a_name() {
        let mail = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody";
        assert_eq!(detect_format(mail, &hint("12345", None)), Ok(Format::Email));
        assert_eq!(detect_format(b"Note: buy milk\nand eggs", &hint("x", None)), Ok(Format::Text));
    }
}
