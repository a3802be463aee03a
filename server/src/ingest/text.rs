//! Plain text (with encoding detection), CSV/TSV and JSON.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{ExtractError, Output};

/// Decodes text bytes: BOM first, then the declared charset, then UTF-8, then UTF-16 without
/// BOM (NUL in every other byte), and finally Windows-1252, which maps every byte, so text is
/// never rejected for its encoding.
pub(crate) fn decode<'a>(input: &'a [u8], mime_type: Option<&str>) -> Cow<'a, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(input) {
        return encoding.decode_without_bom_handling(&input[bom_len..]).0;
    }
    if let Some(encoding) = declared_charset(mime_type)
        && encoding != UTF_8
    {
        return encoding.decode_without_bom_handling(input).0;
    }
    // Before the UTF-8 check: ASCII in UTF-16 is valid UTF-8 full of NULs.
    if let Some(encoding) = utf16_without_bom(input) {
        return encoding.decode_without_bom_handling(input).0;
    }
    if let Ok(text) = std::str::from_utf8(input) {
        return Cow::Borrowed(text);
    }
    // Invalid UTF-8 that is mostly valid (a few stray bytes) stays UTF-8; otherwise it is
    // most likely a legacy single-byte encoding.
    let valid = valid_utf8_prefix(input);
    if valid * 10 >= input.len() * 9 && input.len() - valid < 16 {
        return String::from_utf8_lossy(input);
    }
    WINDOWS_1252.decode_without_bom_handling(input).0
}

fn valid_utf8_prefix(input: &[u8]) -> usize {
    match std::str::from_utf8(input) {
        Ok(_) => input.len(),
        Err(e) => e.valid_up_to(),
    }
}

fn declared_charset(mime_type: Option<&str>) -> Option<&'static Encoding> {
    let params = mime_type?.split_once(';')?.1;
    params.split(';').find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches('"').as_bytes())
    })
}

pub(crate) fn utf16_without_bom(input: &[u8]) -> Option<&'static Encoding> {
    let head = &input[..input.len().min(512) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let even_nuls = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nuls = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nuls * 10 >= pairs * 7 && even_nuls * 10 < pairs {
        Some(UTF_16LE)
    } else if even_nuls * 10 >= pairs * 7 && odd_nuls * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The prefix of `input` that can still produce `max_chars` characters: no encoding needs more
/// than four bytes per character, so decoding a 100 MB file for a 5 M character cap is avoided.
fn useful_prefix(input: &[u8], max_chars: usize) -> &[u8] {
    let keep = max_chars.saturating_mul(4).saturating_add(4);
    &input[..input.len().min(keep)]
}

pub(crate) fn extract_plain(
    input: &[u8],
    mime_type: Option<&str>,
    out: &mut Output<'_>,
) -> Result<(), ExtractError> {
    let text = decode(useful_prefix(input, out.limits.max_text_chars), mime_type);
    push_lines(&text, out)
}

/// Writes text line by line: line ends normalised, trailing blanks and control characters
/// dropped, runs of blank lines kept as one paragraph break.
pub(crate) fn push_lines(text: &str, out: &mut Output<'_>) -> Result<(), ExtractError> {
    for line in text.lines() {
        out.text.tick()?;
        if out.text.is_full() {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            out.text.paragraph();
            continue;
        }
        if line.bytes().any(|b| b < 0x20 && b != b'\t') {
            let clean: String = line.chars().filter(|c| !c.is_control() || *c == '\t').collect();
            out.text.push(&clean);
        } else {
            out.text.push(line);
        }
        out.text.newline();
    }
    Ok(())
}

/// CSV/TSV: one line per record with cells separated by tabs; quoted fields may hold the
/// delimiter, doubled quotes and line breaks (which become spaces).
pub(crate) fn extract_delimited(
    input: &[u8],
    mime_type: Option<&str>,
    delimiter: u8,
    out: &mut Output<'_>,
) -> Result<(), ExtractError> {
    let text = decode(useful_prefix(input, out.limits.max_text_chars), mime_type);
    let delimiter = char::from(delimiter);
    let mut cell = String::new();
    let mut first_cell = true;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let end_cell = |cell: &mut String, first: &mut bool, out: &mut Output<'_>| {
        let value = cell.trim();
        if !*first {
            out.text.push("\t");
        }
        out.text.push(value);
        cell.clear();
        *first = false;
    };
    while let Some(c) = chars.next() {
        if out.text.is_full() {
            break;
        }
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' if in_quotes => in_quotes = false,
            '"' if cell.trim().is_empty() => {
                cell.clear();
                in_quotes = true;
            }
            '\r' | '\n' if in_quotes => {
                if !cell.ends_with(' ') {
                    cell.push(' ');
                }
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => {
                out.text.tick()?;
                if !(first_cell && cell.trim().is_empty()) {
                    end_cell(&mut cell, &mut first_cell, out);
                }
                out.text.newline();
                first_cell = true;
            }
            c if c == delimiter && !in_quotes => end_cell(&mut cell, &mut first_cell, out),
            c => cell.push(c),
        }
    }
    if !(first_cell && cell.trim().is_empty()) {
        end_cell(&mut cell, &mut first_cell, out);
    }
    Ok(())
}

/// JSON: one `path: value` line per scalar, streamed from the parser (no document tree is
/// built), so a large file costs no more memory than its text. Nesting is bounded by
/// `serde_json`'s recursion limit.
pub(crate) fn extract_json(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let text = decode(input, None);
    let mut path = String::new();
    let mut de = serde_json::Deserializer::from_str(&text);
    let walked = JsonWalk { out: &mut *out, path: &mut path }.deserialize(&mut de);
    match walked {
        Ok(()) => de.end().map_err(|e| ExtractError::parse(format!("invalid JSON: {e}"))),
        Err(_) if out.text.is_full() => Ok(()),
        Err(e) if e.to_string().starts_with(TIMEOUT_MARK) => {
            Err(ExtractError::timeout(out.limits.timeout))
        }
        Err(e) => Err(ExtractError::parse(format!("invalid JSON: {e}"))),
    }
}

const FULL_MARK: &str = "ingest: text cap reached";
const TIMEOUT_MARK: &str = "ingest: timeout";
/// Long keys are cut in paths; the value is what matters.
const MAX_KEY_CHARS: usize = 64;

struct JsonWalk<'a, 'o> {
    out: &'a mut Output<'o>,
    path: &'a mut String,
}

impl JsonWalk<'_, '_> {
    fn emit<E: de::Error>(self, value: &str) -> Result<(), E> {
        if self.out.text.tick().is_err() {
            return Err(E::custom(TIMEOUT_MARK));
        }
        if !self.path.is_empty() {
            self.out.text.push(self.path);
            self.out.text.push(": ");
        }
        self.out.text.push(value);
        self.out.text.newline();
        if self.out.text.is_full() { Err(E::custom(FULL_MARK)) } else { Ok(()) }
    }
}

impl<'de> DeserializeSeed<'de> for JsonWalk<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonWalk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.emit(if v { "true" } else { "false" })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.emit(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.emit(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.emit(&v.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if v.trim().is_empty() { Ok(()) } else { self.emit(v) }
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let base = self.path.len();
        let mut index = 0usize;
        loop {
            self.path.truncate(base);
            self.path.push_str(&format!("[{index}]"));
            let walk = JsonWalk { out: &mut *self.out, path: &mut *self.path };
            if seq.next_element_seed(walk)?.is_none() {
                break;
            }
            index += 1;
        }
        self.path.truncate(base);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let base = self.path.len();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            self.path.truncate(base);
            if base > 0 {
                self.path.push('.');
            }
            self.path.extend(key.chars().take(MAX_KEY_CHARS));
            map.next_value_seed(JsonWalk { out: &mut *self.out, path: &mut *self.path })?;
        }
        self.path.truncate(base);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend("Grüße".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&bytes, None), "Grüße");
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let bytes: Vec<u8> = "plain words here".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&bytes, None), "plain words here");
    }

    #[test]
    fn invalid_utf8_falls_back_to_windows_1252() {
        assert_eq!(decode(b"caf\xe9 \x80 na\xefve", None), "café € naïve");
    }

    #[test]
    fn a_declared_charset_is_honoured() {
        assert_eq!(decode(b"\xc4\xe4", Some("text/plain; charset=\"ISO-8859-1\"")), "Ää");
    }
}
