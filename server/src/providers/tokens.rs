//! Opaque page tokens and change cursors: a provider's serde state as JSON,
//! base64url, and for cursors that carry a snapshot of what was seen (WebDAV's
//! tree, Graph's folder map, Dropbox's path map) deflated behind a short
//! version prefix, so a format change is recognised instead of misread.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{ProviderError, ProviderResult};

/// A decompressed cursor larger than this is refused (a corrupt or hostile
/// cursor must not exhaust memory); 100,000 files take a few megabytes.
const MAX_INFLATED_BYTES: u64 = 512 * 1024 * 1024;

/// A small page token: JSON, base64url.
pub fn encode_plain<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

/// The value of a token made by [`encode_plain`]; `None` for anything else.
pub fn decode_plain<T: DeserializeOwned>(token: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A cursor: `prefix` + base64url(deflate(JSON)).
pub fn encode_compressed<T: Serialize>(prefix: &str, value: &T) -> ProviderResult<String> {
    let json = serde_json::to_vec(value)?;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|e| ProviderError::parse(format!("cannot compress the cursor: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(compressed)))
}

/// The value of a cursor made by [`encode_compressed`] with the same prefix;
/// `None` for anything else.
pub fn decode_compressed<T: DeserializeOwned>(prefix: &str, text: &str) -> Option<T> {
    let compressed = URL_SAFE_NO_PAD.decode(text.strip_prefix(prefix)?).ok()?;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .take(MAX_INFLATED_BYTES)
        .read_to_end(&mut json)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_other_formats() {
        let value = vec![("a".to_string(), 1u32), ("b".to_string(), 2)];
        let plain = encode_plain(&value);
        assert_eq!(decode_plain::<Vec<(String, u32)>>(&plain), Some(value.clone()));
        assert_eq!(decode_plain::<Vec<(String, u32)>>("not base64!"), None);

        let cursor = encode_compressed("x1.", &value).unwrap();
        assert!(cursor.starts_with("x1."));
        assert_eq!(decode_compressed::<Vec<(String, u32)>>("x1.", &cursor), Some(value));
        assert_eq!(decode_compressed::<Vec<(String, u32)>>("y1.", &cursor), None);
        assert_eq!(decode_compressed::<Vec<(String, u32)>>("x1.", "x1.garbage"), None);
    }
}
