//! Sealing and opening the secrets of one connection, with the vault bindings
//! that tie each blob to its user, its connection and its purpose.

use app::model::{ConnectionId, SecretText, UserId};

use crate::providers::Credentials;
use crate::store::{ConnectionRecord, EncryptedBlob};
use crate::vault::{Binding, Purpose, Vault, VaultError};

fn binding<'a>(
    user_id: &'a UserId,
    connection_id: &'a ConnectionId,
    purpose: Purpose,
) -> Binding<'a> {
    Binding { user_id: user_id.as_str(), record_id: connection_id.as_str(), purpose }
}

pub fn seal_credentials(
    vault: &Vault,
    user_id: &UserId,
    connection_id: &ConnectionId,
    credentials: &Credentials,
) -> Result<EncryptedBlob, VaultError> {
    vault.seal_json(credentials, binding(user_id, connection_id, Purpose::Credentials))
}

pub fn open_credentials(
    vault: &Vault,
    record: &ConnectionRecord,
) -> Result<Credentials, VaultError> {
    vault.open_json(&record.credentials, binding(&record.user_id, &record.id, Purpose::Credentials))
}

pub fn seal_refresh_token(
    vault: &Vault,
    user_id: &UserId,
    connection_id: &ConnectionId,
    token: &SecretText,
) -> Result<EncryptedBlob, VaultError> {
    vault.seal(token.expose().as_bytes(), binding(user_id, connection_id, Purpose::RefreshToken))
}

pub fn open_refresh_token(
    vault: &Vault,
    record: &ConnectionRecord,
) -> Result<Option<SecretText>, VaultError> {
    let Some(blob) =
        record.oauth_metadata.as_ref().and_then(|m| m.refresh_token_encrypted.as_ref())
    else {
        return Ok(None);
    };
    let bytes = vault.open(blob, binding(&record.user_id, &record.id, Purpose::RefreshToken))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::Corrupt)?;
    Ok(Some(SecretText::new(text)))
}
