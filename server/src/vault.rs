//! The credential vault: AES-256-GCM with a key ring.
//!
//! - Every blob is `base64(nonce || ciphertext || tag)` with a fresh random
//!   96-bit nonce, and names the key that sealed it (`encryption_key_id`).
//! - Associated data binds a blob to its user, its record and its purpose, so a
//!   blob copied into another user's connection (or used for another purpose)
//!   fails to open.
//! - Data keys live in the store, each wrapped (sealed) by the master key, so
//!   every server instance and the CLI share one ring. One key is active (new
//!   blobs); older keys stay to open old blobs until `vault rotate` has
//!   re-sealed everything under a new key.
//! - The master key comes from `vault.master_key`, `vault.master_key_file`, or
//!   (development only) a key generated into the data directory.
//!
//! Opened secrets come back in [`Zeroizing`] buffers; nothing here logs or
//! prints key material.

use std::collections::HashMap;
use std::path::Path;
use std::sync::RwLock;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::config::Settings;
use crate::store::{EncryptedBlob, VaultKeyRecord as StoredKey};

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "the vault master key is missing: set vault.master_key or vault.master_key_file (64 hex characters)"
    )]
    MissingMasterKey,
    #[error("the vault master key must be 64 hex characters (32 bytes)")]
    BadMasterKey,
    #[error("no vault key {0:?} in the key ring")]
    UnknownKey(String),
    /// Tampered, truncated, or bound to another record or purpose.
    #[error("the sealed data cannot be opened (tampered, truncated, or moved to another record)")]
    Corrupt,
    #[error("cannot read or write the vault key file: {0}")]
    Io(String),
}

/// What a blob is bound to: its user, the record it belongs to, and what it is.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub user_id: &'a str,
    /// The connection id, OAuth state hash… of the record holding the blob.
    pub record_id: &'a str,
    pub purpose: Purpose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A connection's credentials (tokens, passwords, keys, server URL).
    Credentials,
    /// A connection's OAuth refresh token.
    RefreshToken,
    /// A pending OAuth flow's PKCE verifier.
    PkceVerifier,
    /// A data key wrapped by the master key.
    DataKey,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Credentials => "credentials",
            Purpose::RefreshToken => "refresh_token",
            Purpose::PkceVerifier => "pkce_verifier",
            Purpose::DataKey => "data_key",
        }
    }
}

impl Binding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        let mut aad = b"recallhub-cloud-sources/v1".to_vec();
        for part in [self.user_id, self.record_id, self.purpose.as_str()] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

/// One AES-256-GCM key.
struct DataKey {
    cipher: Aes256Gcm,
}

impl DataKey {
    fn new(bytes: &[u8; KEY_LEN]) -> Self {
        Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes)) }
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .unwrap_or_default(); // only fails for inputs beyond 64 GiB
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        BASE64.encode(out)
    }

    fn open(&self, data: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let bytes = BASE64.decode(data).map_err(|_| VaultError::Corrupt)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(VaultError::Corrupt);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Corrupt)
    }
}

/// The master key: wraps the data keys.
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    pub fn from_hex(text: &str) -> Result<Self, VaultError> {
        let text = text.trim();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(text, key.as_mut_slice()).map_err(|_| VaultError::BadMasterKey)?;
        Ok(Self(key))
    }

    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(key.as_mut_slice());
        Self(key)
    }

    fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_slice()))
    }

    /// The master key from configuration. In development, when none is
    /// configured, one is generated into `data_dir/vault-master.key` (mode 0600)
    /// and a warning logged; in production a missing key is an error.
    pub fn load(settings: &Settings) -> Result<Self, VaultError> {
        if let Some(key) = &settings.vault.master_key {
            return Self::from_hex(key.expose_secret());
        }
        if let Some(path) = &settings.vault.master_key_file {
            let text = Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| VaultError::Io(format!("{}: {e}", path.display())))?,
            );
            return Self::from_hex(&text);
        }
        if settings.production {
            return Err(VaultError::MissingMasterKey);
        }
        let path = settings.data_dir.join("vault-master.key");
        if path.exists() {
            let text = Zeroizing::new(
                std::fs::read_to_string(&path)
                    .map_err(|e| VaultError::Io(format!("{}: {e}", path.display())))?,
            );
            return Self::from_hex(&text);
        }
        let key = Self::generate();
        write_private(&path, key.to_hex().as_bytes())?;
        tracing::warn!(
            path = %path.display(),
            "no vault master key configured: generated one for development; set vault.master_key_file in production and keep a backup"
        );
        Ok(key)
    }
}

fn write_private(path: &Path, contents: &[u8]) -> Result<(), VaultError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file =
        options.open(path).map_err(|e| VaultError::Io(format!("{}: {e}", path.display())))?;
    file.write_all(contents).map_err(|e| VaultError::Io(e.to_string()))
}

/// The key ring: seals with the active key, opens with any key it knows.
pub struct Vault {
    master: DataKey,
    /// Key id of the master key (for wrapped data keys).
    master_id: String,
    ring: RwLock<Ring>,
}

#[derive(Default)]
struct Ring {
    keys: HashMap<String, DataKey>,
    active: Option<String>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ring = self.ring.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Vault")
            .field("active_key", &ring.active)
            .field("keys", &ring.keys.len())
            .finish()
    }
}

/// A key id that says nothing about the key: a random 16-hex string.
fn new_key_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn master_key_id(master: &MasterKey) -> String {
    // A fingerprint, so a wrong master key is reported as such rather than as corrupt data.
    let digest =
        Sha256::digest([b"cloud-sources master key id".as_slice(), master.0.as_slice()].concat());
    format!("master-{}", hex::encode(&digest[..6]))
}

impl Vault {
    pub fn new(master: &MasterKey) -> Self {
        Self {
            master: DataKey::new(&master.0),
            master_id: master_key_id(master),
            ring: RwLock::new(Ring::default()),
        }
    }

    /// Loads the stored data keys, unwrapping each with the master key.
    pub fn load_keys(&self, stored: &[StoredKey]) -> Result<(), VaultError> {
        let mut ring = Ring::default();
        let mut newest_active: Option<&StoredKey> = None;
        for key in stored {
            if key.wrapped.encryption_key_id != self.master_id {
                return Err(VaultError::UnknownKey(format!(
                    "{} (data key {} is wrapped by another master key: is vault.master_key right?)",
                    key.wrapped.encryption_key_id, key.id
                )));
            }
            let bytes = self
                .master
                .open(&key.wrapped.encrypted_data, &wrap_binding(&key.id).associated_data())?;
            let bytes: [u8; KEY_LEN] =
                bytes.as_slice().try_into().map_err(|_| VaultError::Corrupt)?;
            let bytes = Zeroizing::new(bytes);
            ring.keys.insert(key.id.clone(), DataKey::new(&bytes));
            // During a rotation two keys may briefly be active: the newest wins.
            if key.active
                && newest_active.is_none_or(|n| (n.created_at, &n.id) < (key.created_at, &key.id))
            {
                newest_active = Some(key);
            }
        }
        ring.active = newest_active.map(|k| k.id.clone());
        *self.ring.write().unwrap_or_else(|e| e.into_inner()) = ring;
        Ok(())
    }

    /// Makes a new data key, wrapped for storage. The caller stores it and
    /// reloads the ring.
    pub fn new_data_key(&self) -> StoredKey {
        let id = new_key_id();
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(bytes.as_mut_slice());
        let wrapped = EncryptedBlob {
            encrypted_data: self
                .master
                .seal(bytes.as_slice(), &wrap_binding(&id).associated_data()),
            encryption_key_id: self.master_id.clone(),
        };
        StoredKey { id, wrapped, active: true, created_at: app::model::Timestamp::now() }
    }

    pub fn active_key_id(&self) -> Option<String> {
        self.ring.read().unwrap_or_else(|e| e.into_inner()).active.clone()
    }

    pub fn knows_key(&self, id: &str) -> bool {
        self.ring.read().unwrap_or_else(|e| e.into_inner()).keys.contains_key(id)
    }

    pub fn seal(
        &self,
        plaintext: &[u8],
        binding: Binding<'_>,
    ) -> Result<EncryptedBlob, VaultError> {
        let ring = self.ring.read().unwrap_or_else(|e| e.into_inner());
        let id =
            ring.active.clone().ok_or_else(|| VaultError::UnknownKey("(no active key)".into()))?;
        let key = ring.keys.get(&id).ok_or_else(|| VaultError::UnknownKey(id.clone()))?;
        Ok(EncryptedBlob {
            encrypted_data: key.seal(plaintext, &binding.associated_data()),
            encryption_key_id: id,
        })
    }

    pub fn open(
        &self,
        blob: &EncryptedBlob,
        binding: Binding<'_>,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let ring = self.ring.read().unwrap_or_else(|e| e.into_inner());
        let key = ring
            .keys
            .get(&blob.encryption_key_id)
            .ok_or_else(|| VaultError::UnknownKey(blob.encryption_key_id.clone()))?;
        key.open(&blob.encrypted_data, &binding.associated_data())
    }

    pub fn seal_json<T: Serialize>(
        &self,
        value: &T,
        binding: Binding<'_>,
    ) -> Result<EncryptedBlob, VaultError> {
        let json = Zeroizing::new(serde_json::to_vec(value).map_err(|_| VaultError::Corrupt)?);
        self.seal(&json, binding)
    }

    pub fn open_json<T: DeserializeOwned>(
        &self,
        blob: &EncryptedBlob,
        binding: Binding<'_>,
    ) -> Result<T, VaultError> {
        let bytes = self.open(blob, binding)?;
        serde_json::from_slice(&bytes).map_err(|_| VaultError::Corrupt)
    }
}

/// Opens the vault for a store: loads the master key and the key ring, creating
/// the first data key when the ring is empty.
pub async fn open(
    settings: &Settings,
    store: &dyn crate::store::Store,
) -> anyhow::Result<std::sync::Arc<Vault>> {
    let master = MasterKey::load(settings)?;
    let vault = Vault::new(&master);
    if store.list_vault_keys().await?.is_empty() {
        // Several instances may start at once: only the first key is kept.
        store.add_vault_key(vault.new_data_key(), true).await?;
    }
    vault.reload(store).await?;
    Ok(std::sync::Arc::new(vault))
}

impl Vault {
    /// Reloads the key ring from the store (after a rotation by the CLI or another instance).
    pub async fn reload(&self, store: &dyn crate::store::Store) -> anyhow::Result<()> {
        let keys = store.list_vault_keys().await?;
        self.load_keys(&keys)?;
        Ok(())
    }
}

fn wrap_binding(key_id: &str) -> Binding<'_> {
    Binding { user_id: "", record_id: key_id, purpose: Purpose::DataKey }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        let vault = Vault::new(&MasterKey::generate());
        let key = vault.new_data_key();
        vault.load_keys(&[key]).unwrap();
        vault
    }

    fn binding<'a>(user: &'a str, record: &'a str) -> Binding<'a> {
        Binding { user_id: user, record_id: record, purpose: Purpose::Credentials }
    }

    #[test]
    fn sealed_data_opens_only_with_its_binding() {
        let vault = vault();
        let blob = vault.seal(b"hunter2", binding("alice", "conn-1")).unwrap();
        assert!(!blob.encrypted_data.contains("hunter2"));
        assert_eq!(vault.open(&blob, binding("alice", "conn-1")).unwrap().as_slice(), b"hunter2");
        // Moved to another user's or another connection's record: refused.
        assert!(matches!(vault.open(&blob, binding("bob", "conn-1")), Err(VaultError::Corrupt)));
        assert!(matches!(vault.open(&blob, binding("alice", "conn-2")), Err(VaultError::Corrupt)));
        let other_purpose =
            Binding { purpose: Purpose::RefreshToken, ..binding("alice", "conn-1") };
        assert!(matches!(vault.open(&blob, other_purpose), Err(VaultError::Corrupt)));
    }

    #[test]
    fn tampered_truncated_and_swapped_blobs_fail() {
        let vault = vault();
        let blob = vault.seal(b"secret value", binding("alice", "c")).unwrap();
        let mut bytes = BASE64.decode(&blob.encrypted_data).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = EncryptedBlob { encrypted_data: BASE64.encode(&bytes), ..blob.clone() };
        assert!(matches!(vault.open(&tampered, binding("alice", "c")), Err(VaultError::Corrupt)));
        let truncated =
            EncryptedBlob { encrypted_data: BASE64.encode(&bytes[..10]), ..blob.clone() };
        assert!(matches!(vault.open(&truncated, binding("alice", "c")), Err(VaultError::Corrupt)));
        let garbage = EncryptedBlob { encrypted_data: "not base64!".into(), ..blob.clone() };
        assert!(matches!(vault.open(&garbage, binding("alice", "c")), Err(VaultError::Corrupt)));
        let unknown = EncryptedBlob { encryption_key_id: "nope".into(), ..blob };
        assert!(matches!(
            vault.open(&unknown, binding("alice", "c")),
            Err(VaultError::UnknownKey(_))
        ));
    }

    #[test]
    fn nonces_are_fresh_for_every_seal() {
        let vault = vault();
        let a = vault.seal(b"same", binding("u", "r")).unwrap();
        let b = vault.seal(b"same", binding("u", "r")).unwrap();
        assert_ne!(a.encrypted_data, b.encrypted_data);
    }

    #[test]
    fn old_keys_still_open_after_a_new_key_becomes_active() {
        let master = MasterKey::generate();
        let vault = Vault::new(&master);
        let mut first = vault.new_data_key();
        vault.load_keys(std::slice::from_ref(&first)).unwrap();
        let old_blob = vault.seal(b"v1", binding("u", "r")).unwrap();
        first.active = false;
        let second = vault.new_data_key();
        vault.load_keys(&[first.clone(), second.clone()]).unwrap();
        assert_eq!(vault.active_key_id(), Some(second.id.clone()));
        let new_blob = vault.seal(b"v2", binding("u", "r")).unwrap();
        assert_eq!(new_blob.encryption_key_id, second.id);
        assert_eq!(vault.open(&old_blob, binding("u", "r")).unwrap().as_slice(), b"v1");

        // Another master key cannot unwrap the ring.
        let stranger = Vault::new(&MasterKey::generate());
        assert!(matches!(stranger.load_keys(&[first, second]), Err(VaultError::UnknownKey(_))));
    }

    #[test]
    fn master_keys_are_64_hex_characters() {
        assert!(MasterKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(matches!(MasterKey::from_hex("abc"), Err(VaultError::BadMasterKey)));
        assert!(matches!(MasterKey::from_hex(&"zz".repeat(32)), Err(VaultError::BadMasterKey)));
        assert_eq!(format!("{:?}", MasterKey::generate()), "MasterKey([redacted])");
    }
}
