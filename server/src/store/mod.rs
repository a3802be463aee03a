//! Storage: one [`Store`] trait, two implementations chosen by URI.
//!
//! - [`sqlite::SqliteStore`]: the embedded default (a bundled SQLite file in the
//!   data directory, WAL mode, so the CLI can work next to a running server).
//! - [`mongo::MongoStore`]: MongoDB through the official driver, for production
//!   and several server instances.
//!
//! Everything a user owns is reached through operations that take the user id:
//! there is no way to read another user's record by its id alone. The queue
//! operations (claim, heartbeat, reap) are the exception by design: workers act
//! for every user, and they hold a lease rather than an id typed in by someone.
//!
//! The behaviour of both stores is pinned down by one conformance suite
//! (`tests/store_conformance.rs`).

pub mod mongo;
pub mod records;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::model::{
    ConfigId, ConfigStats, ConfigStatus, ConnectionId, ConnectionStatus, DashboardStats,
    DocumentId, DocumentQuery, DocumentSummary, JobError, JobFile, JobId, JobLogLine, JobType,
    LogLevel, Page, Progress, ProviderInfo, SourceDocument, SyncConfiguration, SyncJob, Timestamp,
    TokenId, UserId,
};
use async_trait::async_trait;
use secrecy::ExposeSecret;

pub use records::*;

/// Version of the stored schema; checked at start-up.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record for this user.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule or a compare-and-swap failed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store is unreachable or failed; the operation may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data does not match the schema this binary understands.
    #[error("incompatible store: {0}")]
    Incompatible(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(message) => AppError::Conflict(message),
            StoreError::Unavailable(_) | StoreError::Incompatible(_) => {
                tracing::error!(error = %e, "store error");
                AppError::Unavailable("the store is unavailable, try again shortly".into())
            }
        }
    }
}

/// Result of [`Store::enqueue_job`].
#[derive(Debug, Clone, PartialEq)]
pub enum Enqueued {
    /// A new pending job.
    Created(SyncJob),
    /// The configuration already had a pending or running job; that one is returned.
    AlreadyActive(SyncJob),
}

impl Enqueued {
    pub fn job(&self) -> &SyncJob {
        match self {
            Enqueued::Created(job) | Enqueued::AlreadyActive(job) => job,
        }
    }
}

/// Counts of an upsert batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
}

/// How precisely an API token's last use is kept, in seconds.
pub const TOKEN_USE_RESOLUTION_SECS: i64 = 60;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `embedded` or `mongodb`.
    fn kind(&self) -> &'static str;

    /// Cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;

    // ----- accounts -------------------------------------------------------------

    /// # Behavior
    /// Fails with `Conflict` when the username is taken (case-insensitively).
    async fn create_user(&self, user: UserRecord) -> StoreResult<()>;
    async fn find_user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>>;
    async fn get_user(&self, user_id: &UserId) -> StoreResult<Option<UserRecord>>;
    async fn set_password_hash(&self, user_id: &UserId, hash: &str) -> StoreResult<()>;
    async fn count_users(&self) -> StoreResult<u64>;

    async fn create_session(&self, session: SessionRecord) -> StoreResult<()>;
    /// Returns the session only while it has not expired at `now`.
    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes expired sessions and OAuth states (MongoDB also has TTL indexes).
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64>;

    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()>;
    /// Finds a token by hash and records `now` as its last use, unless it was last used
    /// less than [`TOKEN_USE_RESOLUTION_SECS`] before: a token that calls every second
    /// would otherwise turn every read request into a write.
    async fn use_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ApiTokenRecord>>;
    async fn list_api_tokens(&self, user_id: &UserId) -> StoreResult<Vec<ApiTokenRecord>>;
    /// `NotFound` when the token is not the user's.
    async fn delete_api_token(&self, user_id: &UserId, token_id: &TokenId) -> StoreResult<()>;

    async fn put_oauth_state(&self, state: OAuthStateRecord) -> StoreResult<()>;
    /// Removes and returns the state in one step, so a `state` works once only.
    /// An expired state is removed and `None` returned.
    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OAuthStateRecord>>;

    // ----- vault key ring ----------------------------------------------------------

    async fn list_vault_keys(&self) -> StoreResult<Vec<VaultKeyRecord>>;
    /// # Behavior
    /// Inserts `key`; when it is active, every other key becomes inactive in the
    /// same operation. When `only_if_empty` is set and a key exists already,
    /// nothing is written and `false` returned (two instances starting at once
    /// create one first key).
    async fn add_vault_key(&self, key: VaultKeyRecord, only_if_empty: bool) -> StoreResult<bool>;
    async fn delete_vault_key(&self, id: &str) -> StoreResult<()>;

    // ----- provider catalogue ---------------------------------------------------

    async fn put_providers(&self, providers: &[ProviderInfo]) -> StoreResult<()>;
    async fn list_providers(&self) -> StoreResult<Vec<ProviderInfo>>;

    // ----- connections ----------------------------------------------------------

    async fn insert_connection(&self, connection: ConnectionRecord) -> StoreResult<()>;
    async fn get_connection(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
    ) -> StoreResult<Option<ConnectionRecord>>;
    async fn list_connections(&self, user_id: &UserId) -> StoreResult<Vec<ConnectionRecord>>;
    /// # Behavior
    /// Writes new credentials only if the stored `credentials_version` equals
    /// `update.expected_version` (then increments it); otherwise `Conflict`.
    /// With `update.reactivate` the status also goes back to `active`.
    async fn update_credentials(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        update: CredentialsUpdate,
        now: Timestamp,
    ) -> StoreResult<ConnectionRecord>;
    async fn set_connection_status(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        status: ConnectionStatus,
        message: Option<String>,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn rename_connection(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        display_name: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn mark_connection_validated(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        account: Option<String>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Deletes the connection record only (the service removes its configurations,
    /// jobs and documents first).
    async fn delete_connection(&self, user_id: &UserId, id: &ConnectionId) -> StoreResult<()>;
    /// Every connection whose credentials are sealed with a key other than `key_id`
    /// (for `vault rotate`), at most `limit`.
    async fn connections_not_sealed_with(
        &self,
        key_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<ConnectionRecord>>;

    /// Operator tools only (`cloud-sources connection test ID`): a connection
    /// by id whoever owns it. Never reachable from the web API.
    async fn operator_find_connection(
        &self,
        id: &ConnectionId,
    ) -> StoreResult<Option<ConnectionRecord>>;

    // ----- sync configurations --------------------------------------------------

    async fn insert_config(&self, config: SyncConfiguration) -> StoreResult<()>;
    async fn get_config(
        &self,
        user_id: &UserId,
        id: &ConfigId,
    ) -> StoreResult<Option<SyncConfiguration>>;
    async fn list_configs(&self, user_id: &UserId) -> StoreResult<Vec<SyncConfiguration>>;
    /// Replaces the user-editable fields (name, profile, paths, filters, schedule, options).
    async fn update_config(&self, config: &SyncConfiguration) -> StoreResult<()>;
    async fn set_config_status(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        status: ConfigStatus,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn set_config_stats(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        stats: &ConfigStats,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Sets `schedule.next_run_at` unconditionally (after an edit or a resume).
    async fn set_next_run(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        next_run_at: Option<Timestamp>,
    ) -> StoreResult<()>;
    /// Deletes the configuration with its documents, jobs, job logs and sync state.
    async fn delete_config(&self, user_id: &UserId, id: &ConfigId) -> StoreResult<()>;

    /// Operator tools only (`cloud-sources sync run ID`): a configuration by id
    /// whoever owns it. Never reachable from the web API.
    async fn operator_find_config(&self, id: &ConfigId) -> StoreResult<Option<SyncConfiguration>>;

    /// Active, scheduled configurations whose next run is at or before `now`.
    async fn due_configs(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<SyncConfiguration>>;
    /// # Behavior
    /// The scheduler's claim: moves `next_run_at` from `expected` to `next` only if
    /// it still equals `expected`. Exactly one of several concurrent callers with
    /// the same `expected` gets `true`, so each due run is enqueued once.
    async fn advance_schedule(
        &self,
        id: &ConfigId,
        expected: Timestamp,
        next: Option<Timestamp>,
    ) -> StoreResult<bool>;

    // ----- jobs -----------------------------------------------------------------

    /// # Behavior
    /// At most one pending or running job per configuration: when one exists it
    /// is returned as `AlreadyActive` and nothing is created.
    async fn enqueue_job(&self, job: SyncJob) -> StoreResult<Enqueued>;
    /// # Behavior
    /// Atomically takes the oldest pending job, marks it running with a lease
    /// for `worker` until `now + lease`, counts the attempt, and sets
    /// `started_at` on the first attempt. Two concurrent claimers never get the
    /// same job.
    async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>>;
    /// Like [`Store::claim_job`] for one given job (the CLI's `sync run`), if it
    /// is still pending.
    async fn claim_job_by_id(
        &self,
        job_id: &JobId,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>>;
    /// Extends the lease if `worker` still holds it.
    async fn heartbeat(
        &self,
        job_id: &JobId,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Heartbeat>;
    /// Saves progress if `worker` holds the lease; `false` if it does not.
    async fn save_progress(
        &self,
        job_id: &JobId,
        worker: &str,
        progress: &Progress,
    ) -> StoreResult<bool>;
    /// Saves the resume point (and progress with it) if `worker` holds the lease.
    async fn save_checkpoint(
        &self,
        job_id: &JobId,
        worker: &str,
        checkpoint: &serde_json::Value,
        progress: &Progress,
    ) -> StoreResult<bool>;
    /// Appends per-file errors, keeping at most `MAX_JOB_ERRORS` per job.
    async fn add_job_errors(
        &self,
        job_id: &JobId,
        worker: &str,
        errors: &[JobError],
    ) -> StoreResult<bool>;
    /// Ends the job if `worker` holds the lease; the lease is released.
    async fn finish_job(
        &self,
        job_id: &JobId,
        worker: &str,
        end: JobEnd,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Hands a running job back to the queue (a worker shutting down): pending
    /// again with its checkpoint, this attempt not counted. `false` if `worker`
    /// does not hold it.
    async fn release_job(&self, job_id: &JobId, worker: &str, now: Timestamp) -> StoreResult<bool>;
    /// # Behavior
    /// A pending job is cancelled at once; a running job gets `cancel_requested`
    /// and its worker stops at the next heartbeat. Ended jobs are left alone.
    /// Returns the job as it is after the request.
    async fn request_cancel(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        message: &str,
        now: Timestamp,
    ) -> StoreResult<SyncJob>;
    /// # Behavior
    /// Running jobs whose lease expired before `now` go back to pending (their
    /// checkpoint kept, so they resume), or fail with a reason once they have
    /// had `max_attempts` attempts. Returns the jobs it changed.
    async fn reap_expired_leases(
        &self,
        now: Timestamp,
        max_attempts: u32,
    ) -> StoreResult<Vec<SyncJob>>;

    async fn get_job(&self, user_id: &UserId, id: &JobId) -> StoreResult<Option<JobRecord>>;
    /// Newest first.
    async fn list_jobs(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        page: u32,
        per_page: u32,
    ) -> StoreResult<Page<SyncJob>>;
    /// The user's newest jobs across configurations.
    async fn recent_jobs(&self, user_id: &UserId, limit: usize) -> StoreResult<Vec<SyncJob>>;
    /// The pending or running job of a configuration.
    async fn active_job(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<Option<SyncJob>>;
    /// Jobs changed after `since`, oldest change first: one user's (for a
    /// client catching up) or everyone's (`None`: the event relay between
    /// instances), at most `limit`.
    async fn jobs_changed_since(
        &self,
        user_id: Option<&UserId>,
        since: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<SyncJob>>;
    /// Counts of jobs by status over all users (metrics).
    async fn job_counts(&self) -> StoreResult<Vec<(app::model::JobStatus, u64)>>;

    async fn add_job_files(&self, files: &[JobFileRecord]) -> StoreResult<()>;
    async fn list_job_files(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        limit: usize,
    ) -> StoreResult<(Vec<JobFile>, u64)>;

    /// Appends log lines to a job, keeping the newest `MAX_JOB_LOG_LINES`.
    async fn append_job_log(
        &self,
        job_id: &JobId,
        lines: &[(Timestamp, LogLevel, String)],
    ) -> StoreResult<()>;
    /// Lines with `seq > after`, oldest first.
    async fn job_log(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<JobLogLine>>;

    // ----- sync state ------------------------------------------------------------

    async fn get_sync_states(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<Vec<SyncStateRecord>>;
    async fn put_sync_state(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        state: &SyncStateRecord,
    ) -> StoreResult<()>;
    async fn clear_sync_states(&self, user_id: &UserId, config_id: &ConfigId) -> StoreResult<()>;

    // ----- documents --------------------------------------------------------------

    /// # Behavior
    /// Inserts or replaces each document by (`config_id`, `remote_id`); an
    /// existing document keeps its `id`. Idempotent.
    async fn upsert_documents(&self, documents: &[SourceDocument]) -> StoreResult<UpsertCounts>;
    /// What is indexed for these remote ids (missing ids are absent from the result).
    async fn indexed_items(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_ids: &[String],
    ) -> StoreResult<Vec<IndexedItem>>;
    /// Updates path and name of an indexed item (a rename or move without new content).
    async fn move_document(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_id: &str,
        path: &str,
        name: &str,
    ) -> StoreResult<()>;
    /// Deletes by remote id, together with the documents derived from each
    /// (attachments, whose remote id is `<id>#<part>`); returns how many existed.
    async fn delete_documents(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_ids: &[String],
    ) -> StoreResult<u64>;
    /// Marks documents as seen by a full listing (`mark` names the listing).
    async fn mark_seen(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_ids: &[String],
        mark: &str,
    ) -> StoreResult<()>;
    /// # Behavior
    /// The sweep of mark-and-sweep: deletes the configuration's documents not
    /// marked with `mark` and returns their remote ids. Marks survive a crash,
    /// so a resumed listing sweeps correctly.
    async fn sweep_unmarked(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        mark: &str,
    ) -> StoreResult<Vec<String>>;
    /// Remote ids of a configuration in ascending order, `limit` after `after`
    /// (page through them for mark-and-sweep without loading every document).
    async fn remote_ids_page(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<String>>;
    /// Remote ids whose path starts with `prefix` (a folder moved out of the selection).
    async fn remote_ids_under(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        path_prefix: &str,
    ) -> StoreResult<Vec<String>>;
    /// (count, bytes) of a configuration's documents.
    async fn document_stats(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<(u64, u64)>;
    async fn list_documents(
        &self,
        user_id: &UserId,
        query: &DocumentQuery,
    ) -> StoreResult<Page<DocumentSummary>>;
    async fn get_document(
        &self,
        user_id: &UserId,
        id: &DocumentId,
    ) -> StoreResult<Option<SourceDocument>>;

    async fn dashboard_stats(&self, user_id: &UserId) -> StoreResult<DashboardStats>;
}

/// Opens the store named by `store.uri`: empty for the embedded store in
/// `data_dir`, `mongodb://` or `mongodb+srv://` for MongoDB. Creates indexes and
/// checks the schema version.
pub async fn open(settings: &crate::config::Settings) -> anyhow::Result<Arc<dyn Store>> {
    let uri = settings.store.uri.expose_secret();
    if uri.is_empty() {
        let path = settings.data_dir.join("cloud-sources.sqlite3");
        Ok(Arc::new(sqlite::SqliteStore::open(&path).await?))
    } else if uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://") {
        Ok(Arc::new(mongo::MongoStore::connect(uri).await?))
    } else {
        anyhow::bail!("store.uri must be empty (embedded store) or start with mongodb://")
    }
}

/// A fresh opaque id: 24 hex characters (12 bytes: milliseconds, a per-process
/// counter, random), so ids sort by creation time within a process.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let millis = Timestamp::now().millis().to_be_bytes();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes();
    let random: [u8; 3] = rand::random();
    let mut bytes = [0u8; 12];
    bytes[..6].copy_from_slice(&millis[2..]);
    bytes[6..9].copy_from_slice(&count[1..]);
    bytes[9..].copy_from_slice(&random);
    hex::encode(bytes)
}

/// Helper for list endpoints: default and maximum page sizes.
pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 200;

/// The log level names stored with job log lines.
pub fn level_str(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

/// Default job type for a configuration run when the caller did not insist.
pub fn default_job_type(has_cursor: bool) -> JobType {
    if has_cursor { JobType::Incremental } else { JobType::Full }
}
