//! Builders for model records with sensible defaults.

use app::model::*;
use cloud_sources::store::{ConnectionRecord, EncryptedBlob, UserRecord, new_id};

pub fn user(name: &str) -> UserRecord {
    UserRecord {
        id: UserId(new_id()),
        username: name.to_string(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into()),
        is_admin: false,
        created_at: Timestamp::now(),
    }
}

pub fn blob(key_id: &str) -> EncryptedBlob {
    EncryptedBlob {
        encrypted_data: "bm9uY2VjaXBoZXJ0ZXh0".into(),
        encryption_key_id: key_id.into(),
    }
}

pub fn connection(user: &UserId, provider: ProviderId) -> ConnectionRecord {
    let now = Timestamp::now();
    ConnectionRecord {
        id: ConnectionId(new_id()),
        user_id: user.clone(),
        provider,
        display_name: format!("My {}", provider.display_name()),
        auth_type: AuthType::OAuth2,
        credentials: blob("k1"),
        oauth_metadata: None,
        status: ConnectionStatus::Active,
        status_message: None,
        account: Some("alice@example.com".into()),
        last_validated_at: None,
        credentials_version: 0,
        created_at: now,
        updated_at: now,
    }
}

pub fn config(user: &UserId, connection: &ConnectionId) -> SyncConfiguration {
    let now = Timestamp::now();
    SyncConfiguration {
        id: ConfigId(new_id()),
        user_id: user.clone(),
        connection_id: connection.clone(),
        profile_key: "engineering".into(),
        name: "Project documents".into(),
        source_paths: vec![SourcePath {
            path: "/Engineering".into(),
            remote_id: "folder-1".into(),
            include_subfolders: true,
        }],
        filters: Filters::default(),
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
        status: ConfigStatus::Active,
        stats: ConfigStats::default(),
        created_at: now,
        updated_at: now,
    }
}

pub fn job(config: &SyncConfiguration, job_type: JobType) -> SyncJob {
    SyncJob {
        id: JobId(new_id()),
        config_id: config.id.clone(),
        user_id: config.user_id.clone(),
        connection_id: config.connection_id.clone(),
        job_type,
        status: JobStatus::Pending,
        created_at: Timestamp::now(),
        started_at: None,
        completed_at: None,
        progress: Progress::default(),
        errors: Vec::new(),
        delta_token: None,
        message: None,
        attempts: 0,
        cancel_requested: false,
    }
}

pub fn document(config: &SyncConfiguration, remote_id: &str, path: &str) -> SourceDocument {
    let name = path.rsplit('/').next().unwrap_or(path).to_string();
    SourceDocument {
        id: DocumentId(new_id()),
        user_id: config.user_id.clone(),
        profile_key: config.profile_key.clone(),
        config_id: config.id.clone(),
        connection_id: config.connection_id.clone(),
        provider: ProviderId::GoogleDrive,
        remote_id: remote_id.to_string(),
        path: path.to_string(),
        name,
        mime_type: "text/plain".into(),
        size_bytes: 100,
        modified_at: Some(Timestamp::now()),
        version: Some("v1".into()),
        content_hash: "aa".repeat(32),
        web_url: None,
        metadata: Default::default(),
        text: format!("contents of {path}"),
        chunks: vec![Chunk { index: 0, text: format!("contents of {path}"), char_start: 0 }],
        indexed_at: Timestamp::now(),
        job_id: None,
    }
}
