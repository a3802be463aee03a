//! Random secrets for sessions, API tokens and OAuth states, and their hashes.
//! Only SHA-256 hashes of these ever reach the store.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of personal API tokens, so they are recognisable in secret scanners.
pub const API_TOKEN_PREFIX: &str = "csk_";

/// 256 random bits, URL-safe base64.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_secret())
}

/// SHA-256 hex: what is stored for sessions, tokens and states. These are
/// high-entropy random values, so a fast hash is the right tool.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let a = random_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_secret());
        assert!(new_api_token().starts_with("csk_"));
        assert_eq!(hash("x").len(), 64);
        assert_ne!(hash(&a), a);
    }
}
