//! Storage-only records: what the stores keep beyond the DTOs the UI sees
//! (password hashes, encrypted credentials, leases, checkpoints).

use app::model::{
    ApiTokenInfo, AuthType, Connection, ConnectionId, ConnectionStatus, FileAction, JobId,
    OAuthInfo, ProviderId, SyncJob, Timestamp, TokenId, User, UserId,
};
use serde::{Deserialize, Serialize};

/// An encrypted secret as stored: `encrypted_data` is base64 of `nonce || ciphertext || tag`,
/// `encryption_key_id` names the vault key that sealed it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedBlob {
    pub encrypted_data: String,
    pub encryption_key_id: String,
}

impl std::fmt::Debug for EncryptedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedBlob")
            .field("encryption_key_id", &self.encryption_key_id)
            .field("encrypted_data", &format_args!("[{} bytes]", self.encrypted_data.len()))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    /// argon2id PHC string; `None` for accounts that only sign in through the SSO proxy.
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub created_at: Timestamp,
}

impl UserRecord {
    pub fn to_user(&self) -> User {
        User {
            id: self.id.clone(),
            username: self.username.clone(),
            is_admin: self.is_admin,
            created_at: self.created_at,
        }
    }
}

/// A browser session. Only the SHA-256 of the cookie value is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A personal API token. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenRecord {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl ApiTokenRecord {
    pub fn to_info(&self) -> ApiTokenInfo {
        ApiTokenInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            prefix: self.prefix.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// A pending OAuth authorization: single use, bound to the session that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthStateRecord {
    /// SHA-256 of the `state` parameter.
    pub state_hash: String,
    pub user_id: UserId,
    /// SHA-256 of the session id that started the flow.
    pub session_hash: String,
    pub provider: ProviderId,
    /// The PKCE verifier, sealed by the vault.
    pub pkce_verifier: EncryptedBlob,
    /// Set when the flow reconnects an existing connection.
    pub connection_id: Option<ConnectionId>,
    /// Self-hosted providers: the site the flow is for.
    pub site_url: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// OAuth metadata of a connection, as in the client design.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthMetadata {
    pub access_token_expires_at: Option<Timestamp>,
    pub refresh_token_encrypted: Option<EncryptedBlob>,
    pub scopes: Vec<String>,
}

/// A connection as stored (`user_connections`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    pub id: ConnectionId,
    pub user_id: UserId,
    pub provider: ProviderId,
    pub display_name: String,
    pub auth_type: AuthType,
    /// Everything needed to reach the account (tokens, passwords, server URL), sealed.
    pub credentials: EncryptedBlob,
    pub oauth_metadata: Option<OAuthMetadata>,
    pub status: ConnectionStatus,
    pub status_message: Option<String>,
    pub account: Option<String>,
    pub last_validated_at: Option<Timestamp>,
    /// Bumped by every credential write; token refreshes compare-and-swap on it.
    pub credentials_version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ConnectionRecord {
    pub fn to_connection(&self) -> Connection {
        Connection {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            provider: self.provider,
            display_name: self.display_name.clone(),
            auth_type: self.auth_type,
            status: self.status,
            status_message: self.status_message.clone(),
            account: self.account.clone(),
            oauth: self.oauth_metadata.as_ref().map(|m| OAuthInfo {
                access_token_expires_at: m.access_token_expires_at,
                scopes: m.scopes.clone(),
            }),
            last_validated_at: self.last_validated_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// New credentials for a connection, written with compare-and-swap.
#[derive(Debug, Clone)]
pub struct CredentialsUpdate {
    pub credentials: EncryptedBlob,
    pub oauth_metadata: Option<OAuthMetadata>,
    /// The version read before the refresh; the write fails if another writer won.
    pub expected_version: u64,
    /// Fresh credentials from the user or the provider make the connection
    /// `active` again; a vault rotation re-seals the same ones and keeps the status.
    pub reactivate: bool,
}

/// A job as stored: the DTO plus the queue's bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job: SyncJob,
    /// The worker holding the job while it runs.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Timestamp>,
    /// Where to resume after a crash; opaque to the store.
    pub checkpoint: Option<serde_json::Value>,
}

/// Outcome of a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// The lease is extended; keep going.
    Extended,
    /// The lease is extended, and a user asked to cancel: stop at the next file.
    CancelRequested,
    /// The lease is gone (expired and taken by another worker, or the job ended):
    /// stop without writing anything more.
    Lost,
}

/// How a job ended, as recorded by its worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Completed,
    Failed,
    Cancelled,
}

/// What a worker records when its job ends.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEnd {
    pub outcome: JobOutcome,
    pub progress: app::model::Progress,
    /// The cursor the run ended with, if it has one.
    pub delta_token: Option<String>,
    /// Why it failed or was cancelled, in words.
    pub message: Option<String>,
}

/// The cursor of one change feed scope of a configuration (`sync_state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStateRecord {
    /// `drive:<id>`, `site:<id>`, `mailbox:<name>`, `space:<key>`, `root`…
    pub scope: String,
    pub cursor: String,
    pub updated_at: Timestamp,
}

/// What the store knows about an indexed item, for skip-if-unchanged and renames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedItem {
    pub remote_id: String,
    pub path: String,
    pub version: Option<String>,
    pub content_hash: String,
    pub size_bytes: u64,
}

/// One line for a job's file list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFileRecord {
    pub job_id: JobId,
    pub path: String,
    pub remote_id: String,
    pub action: FileAction,
    pub bytes: u64,
    pub at: Timestamp,
}

/// A vault data key as stored: wrapped (sealed) by the master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultKeyRecord {
    pub id: String,
    pub wrapped: EncryptedBlob,
    /// The one key new blobs are sealed with.
    pub active: bool,
    pub created_at: Timestamp,
}
