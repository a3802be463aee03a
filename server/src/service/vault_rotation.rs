//! `cloud-sources vault rotate`: a new data key, and every sealed secret
//! re-sealed under it, while servers keep running.

use app::error::AppError;

use super::{Service, internal, now};
use crate::secrets;
use crate::store::{CredentialsUpdate, StoreError};

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    pub active_key: String,
    pub resealed: u64,
    pub removed_keys: u64,
}

impl Service {
    pub async fn rotate_vault(&self) -> Result<RotationReport, AppError> {
        let previous = self.vault.active_key_id();
        let key = self.vault.new_data_key();
        let active = key.id.clone();
        self.store.add_vault_key(key, false).await?;
        self.reload_vault().await.map_err(|e| internal("reloading the key ring", e))?;

        let mut resealed = 0;
        loop {
            let batch = self.store.connections_not_sealed_with(&active, 100).await?;
            if batch.is_empty() {
                break;
            }
            for record in batch {
                // Servers refresh tokens meanwhile; compare-and-swap and retry on conflict.
                let credentials = secrets::open_credentials(&self.vault, &record)
                    .map_err(|e| internal("opening credentials", e))?;
                let sealed = secrets::seal_credentials(
                    &self.vault,
                    &record.user_id,
                    &record.id,
                    &credentials,
                )
                .map_err(|e| internal("sealing credentials", e))?;
                let mut metadata = record.oauth_metadata.clone();
                if let Some(metadata) = metadata.as_mut()
                    && let Some(token) = secrets::open_refresh_token(&self.vault, &record)
                        .map_err(|e| internal("opening a refresh token", e))?
                {
                    metadata.refresh_token_encrypted = Some(
                        secrets::seal_refresh_token(
                            &self.vault,
                            &record.user_id,
                            &record.id,
                            &token,
                        )
                        .map_err(|e| internal("sealing a refresh token", e))?,
                    );
                }
                let update = CredentialsUpdate {
                    credentials: sealed,
                    oauth_metadata: metadata,
                    expected_version: record.credentials_version,
                    reactivate: false,
                };
                match self
                    .store
                    .update_credentials(&record.user_id, &record.id, update, now())
                    .await
                {
                    Ok(_) => resealed += 1,
                    Err(StoreError::Conflict(_) | StoreError::NotFound) => {} // picked up again, or gone
                    Err(e) => return Err(e.into()),
                }
            }
        }

        // Keep the previous key (blobs sealed by servers that have not reloaded
        // yet, pending OAuth flows); remove anything older.
        let mut removed_keys = 0;
        for stored in self.store.list_vault_keys().await? {
            if stored.id != active && Some(&stored.id) != previous.as_ref() {
                self.store.delete_vault_key(&stored.id).await?;
                removed_keys += 1;
            }
        }
        tracing::info!(key = %active, resealed, removed_keys, "vault rotated");
        Ok(RotationReport { active_key: active, resealed, removed_keys })
    }
}
