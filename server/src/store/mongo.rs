//! The MongoDB store: the official driver, one collection per record type, named
//! and shaped as in the client design (`user_connections`, `sync_configurations`,
//! `sync_jobs`, …). Records are stored as their serde form with the record id as
//! a string `_id` and every timestamp as a native BSON date (TTL indexes and date
//! comparisons depend on it).
//!
//! Every guarantee rests on single-document atomic operations and unique indexes,
//! never on multi-document transactions, so it works on a standalone `mongod` as
//! well as on a replica set, and with several server instances at once:
//! - job claims are one `findOneAndUpdate` with a sort;
//! - at most one pending or running job per configuration: `active_config` is
//!   present only while a job is active, under a unique partial index;
//! - credential refreshes and scheduler claims compare-and-swap on a field;
//! - a worker's writes to its job are filtered on its lease.

use std::collections::HashMap;
use std::time::Duration;

use app::model::{
    ConfigId, ConfigStats, ConfigStatus, ConnectionId, ConnectionStatus, DashboardStats,
    DocumentId, DocumentQuery, DocumentSummary, JobError, JobFile, JobId, JobLogLine, JobStatus,
    LogLevel, MAX_JOB_ERRORS, MAX_JOB_FILES, MAX_JOB_LOG_LINES, Page, Progress, ProviderInfo,
    SourceDocument, SyncConfiguration, SyncJob, Timestamp, TokenId, UserId, clamp_paging,
};
use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{self, Bson, Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions, ReturnDocument};
use mongodb::{Client, Collection, Database, IndexModel};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    ApiTokenRecord, ConnectionRecord, CredentialsUpdate, DEFAULT_PER_PAGE, Enqueued, Heartbeat,
    IndexedItem, JobEnd, JobFileRecord, JobOutcome, JobRecord, MAX_PER_PAGE, OAuthStateRecord,
    SCHEMA_VERSION, SessionRecord, Store, StoreError, StoreResult, SyncStateRecord,
    TOKEN_USE_RESOLUTION_SECS, UpsertCounts, UserRecord, VaultKeyRecord,
};

/// The database used when the URI names none (`mongodb://host:27017/`).
pub const DEFAULT_DATABASE: &str = "cloud_sources";

/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;
/// An index exists with the same name or keys but other options (a newer schema).
const INDEX_CONFLICT_CODES: [i32; 2] = [85, 86];

pub struct MongoStore {
    db: Database,
    users: Collection<Document>,
    sessions: Collection<Document>,
    api_tokens: Collection<Document>,
    oauth_states: Collection<Document>,
    providers: Collection<Document>,
    connections: Collection<Document>,
    configs: Collection<Document>,
    jobs: Collection<Document>,
    job_logs: Collection<Document>,
    job_files: Collection<Document>,
    sync_state: Collection<Document>,
    documents: Collection<Document>,
    vault_keys: Collection<Document>,
    meta: Collection<Document>,
}

impl MongoStore {
    /// Connects to `uri` (`mongodb://host:port/dbname`; the database defaults to
    /// [`DEFAULT_DATABASE`]), checks the schema version and creates the indexes.
    pub async fn connect(uri: &str) -> StoreResult<MongoStore> {
        let mut options = ClientOptions::parse(uri).await?;
        options.app_name.get_or_insert_with(|| "cloud-sources".to_string());
        // Acknowledged means journaled unless the URI says otherwise: a sync saves
        // its cursor after the documents it covers, and a database that crashes
        // and forgets acknowledged documents would leave them out of the index
        // for good (found by the chaos test restarting secantusdb with SIGKILL).
        let concern = options.write_concern.get_or_insert_with(Default::default);
        if concern.journal.is_none() {
            concern.journal = Some(true);
        }
        let name = options.default_database.clone().unwrap_or_else(|| DEFAULT_DATABASE.into());
        let client = Client::with_options(options)?;
        let store = Self::new(client.database(&name));
        store.ping().await?;
        // Checked before touching indexes: a newer schema may define them differently.
        let stored = store.schema_version().await?;
        store.create_indexes().await?;
        if stored.is_none() {
            store.record_schema_version().await?;
        }
        Ok(store)
    }

    /// Claims the oldest pending job matching `filter`.
    async fn claim(
        &self,
        filter: Document,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>> {
        // One findOneAndUpdate, atomic on the document: when two claimers pick the
        // same job, the server retries the loser, whose filter (`pending`) then no
        // longer matches, so it takes the next one. A pipeline update, so that
        // `started_at` is set on the first attempt only.
        let claimed = self
            .jobs
            .find_one_and_update(
                filter,
                vec![doc! { "$set": {
                    "status": JobStatus::Running.as_str(),
                    "attempts": { "$add": ["$attempts", 1] },
                    "started_at": { "$ifNull": ["$started_at", date(now)] },
                    // `$literal`: in a pipeline a string starting with `$` is a field path.
                    "lease_owner": { "$literal": worker },
                    "lease_expires_at": date(now + lease),
                    "updated_at": date(now),
                } }],
            )
            .sort(doc! { "created_at": 1, "_id": 1 })
            .return_document(ReturnDocument::After)
            .await?;
        claimed.map(job_record).transpose()
    }

    fn new(db: Database) -> Self {
        let c = |name: &str| db.collection::<Document>(name);
        Self {
            users: c("users"),
            sessions: c("sessions"),
            api_tokens: c("api_tokens"),
            oauth_states: c("oauth_states"),
            providers: c("data_source_providers"),
            connections: c("user_connections"),
            configs: c("sync_configurations"),
            jobs: c("sync_jobs"),
            job_logs: c("job_logs"),
            job_files: c("job_files"),
            sync_state: c("sync_state"),
            documents: c("source_documents"),
            vault_keys: c("vault_keys"),
            meta: c("meta"),
            db,
        }
    }

    /// The stored schema version; `Incompatible` when it is newer than this binary
    /// understands or not a version at all.
    async fn schema_version(&self) -> StoreResult<Option<u32>> {
        let Some(meta) = self.meta.find_one(doc! { "_id": "schema_version" }).await? else {
            return Ok(None);
        };
        let version = match meta.get("value") {
            Some(Bson::Int32(v)) => u32::try_from(*v).ok(),
            Some(Bson::Int64(v)) => u32::try_from(*v).ok(),
            _ => None,
        };
        match version {
            Some(v) if v == SCHEMA_VERSION => Ok(Some(v)),
            Some(v) if v > SCHEMA_VERSION => Err(StoreError::Incompatible(format!(
                "the store has schema version {v}, this binary understands up to {SCHEMA_VERSION}: upgrade cloud-sources"
            ))),
            _ => Err(StoreError::Incompatible(format!(
                "unknown schema version {:?} in database {}",
                meta.get("value"),
                self.db.name()
            ))),
        }
    }

    async fn record_schema_version(&self) -> StoreResult<()> {
        let version = doc! { "_id": "schema_version", "value": i64::from(SCHEMA_VERSION) };
        match self.meta.insert_one(version).await {
            Ok(_) => Ok(()),
            // Another instance started at the same moment and wrote it: check theirs.
            Err(e) if is_duplicate_key(&e) => self.schema_version().await.map(|_| ()),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates every index; a no-op when they exist with the same options.
    async fn create_indexes(&self) -> StoreResult<()> {
        let ttl = || IndexOptions::builder().expire_after(Duration::ZERO);
        let sets: [(&Collection<Document>, Vec<IndexModel>); 13] = [
            (&self.users, vec![index("username_unique", doc! { "username_lower": 1 }, unique())]),
            (
                &self.vault_keys,
                // Only one key can be the ring's first: instances starting at once agree on it.
                vec![index(
                    "one_initial_key",
                    doc! { "initial": 1 },
                    IndexOptions::builder()
                        .unique(true)
                        .partial_filter_expression(doc! { "initial": { "$exists": true } })
                        .build(),
                )],
            ),
            (&self.sessions, vec![index("expires_ttl", doc! { "expires_at": 1 }, ttl().build())]),
            (
                &self.api_tokens,
                vec![
                    index("token_hash_unique", doc! { "token_hash": 1 }, unique()),
                    index("user", doc! { "user_id": 1 }, plain()),
                ],
            ),
            (
                &self.oauth_states,
                vec![index("expires_ttl", doc! { "expires_at": 1 }, ttl().build())],
            ),
            (&self.providers, vec![index("position", doc! { "position": 1 }, plain())]),
            (
                &self.connections,
                vec![index("user", doc! { "user_id": 1, "created_at": 1 }, plain())],
            ),
            (
                &self.configs,
                vec![
                    index("user", doc! { "user_id": 1, "created_at": 1 }, plain()),
                    index(
                        "due",
                        doc! { "status": 1, "schedule.enabled": 1, "schedule.next_run_at": 1 },
                        plain(),
                    ),
                ],
            ),
            (
                &self.jobs,
                vec![
                    index("claim", doc! { "status": 1, "created_at": 1, "_id": 1 }, plain()),
                    index("lease", doc! { "status": 1, "lease_expires_at": 1 }, plain()),
                    // `active_config` is present only while the job is pending or
                    // running. `$exists` rather than `status: {$in: […]}`, which
                    // partial filters accept only from MongoDB 6.0.
                    index(
                        "one_active_per_config",
                        doc! { "active_config": 1 },
                        IndexOptions::builder()
                            .unique(true)
                            .partial_filter_expression(
                                doc! { "active_config": { "$exists": true } },
                            )
                            .build(),
                    ),
                    index("config_history", doc! { "config_id": 1, "created_at": -1 }, plain()),
                    index("user_history", doc! { "user_id": 1, "created_at": -1 }, plain()),
                    index("user_changes", doc! { "user_id": 1, "updated_at": 1 }, plain()),
                ],
            ),
            (&self.job_logs, vec![index("job_seq", doc! { "job_id": 1, "seq": 1 }, unique())]),
            (&self.job_files, vec![index("job_seq", doc! { "job_id": 1, "seq": 1 }, plain())]),
            (
                &self.sync_state,
                vec![index("config_scope", doc! { "config_id": 1, "scope": 1 }, unique())],
            ),
            (
                &self.documents,
                vec![
                    index("config_remote_id", doc! { "config_id": 1, "remote_id": 1 }, unique()),
                    index("user_path", doc! { "user_id": 1, "path": 1, "_id": 1 }, plain()),
                ],
            ),
        ];
        for (collection, indexes) in sets {
            collection.create_indexes(indexes).await?;
        }
        Ok(())
    }

    /// Reads a job, scoped to its user.
    async fn find_job(&self, user_id: &UserId, id: &str) -> StoreResult<Option<Document>> {
        Ok(self.jobs.find_one(user_filter(user_id, id)).await?)
    }

    /// `NotFound` unless the job exists and is the user's (for job sub-records).
    async fn check_job_owner(&self, user_id: &UserId, job_id: &JobId) -> StoreResult<()> {
        let owned = self
            .jobs
            .find_one(user_filter(user_id, job_id.as_str()))
            .projection(doc! { "_id": 1 })
            .await?;
        owned.map(|_| ()).ok_or(StoreError::NotFound)
    }

    /// Applies `update` to a job only while `worker` holds its lease.
    async fn update_leased_job(
        &self,
        job_id: &JobId,
        worker: &str,
        update: Document,
    ) -> StoreResult<bool> {
        let result = self.jobs.update_one(leased(job_id, worker), update).await?;
        Ok(result.matched_count == 1)
    }

    async fn collect_records<T: DeserializeOwned>(
        cursor: mongodb::Cursor<Document>,
        id_field: &str,
    ) -> StoreResult<Vec<T>> {
        let docs: Vec<Document> = cursor.try_collect().await?;
        docs.into_iter().map(|d| from_record(d, id_field)).collect()
    }
}

// ----- documents as stored -------------------------------------------------------

fn incompatible(e: impl std::fmt::Display) -> StoreError {
    StoreError::Incompatible(format!("stored record does not match the schema: {e}"))
}

/// A value as the driver itself writes typed records: bson's raw serializer,
/// which is not human-readable, so every `Timestamp` becomes a BSON date
/// (`bson::to_document` would write RFC 3339 strings).
fn to_fields<T: Serialize>(value: &T) -> StoreResult<Document> {
    let raw = bson::to_raw_document_buf(value).map_err(incompatible)?;
    raw.to_document().map_err(incompatible)
}

/// Any serializable value (a struct, list or enum) as BSON.
fn to_bson<T: Serialize + ?Sized>(value: &T) -> StoreResult<Bson> {
    // The raw serializer only writes documents: wrap the value in one.
    #[derive(Serialize)]
    struct Wrapped<'a, T: ?Sized> {
        v: &'a T,
    }
    to_fields(&Wrapped { v: value })?.remove("v").ok_or_else(|| incompatible("empty value"))
}

/// A record as stored: its `id_field` becomes `_id`.
fn to_record<T: Serialize>(value: &T, id_field: &str) -> StoreResult<Document> {
    let mut fields = to_fields(value)?;
    let id = fields.remove(id_field).ok_or_else(|| incompatible(format!("no {id_field}")))?;
    let mut record = doc! { "_id": id };
    record.extend(fields);
    Ok(record)
}

/// A stored record read back: `_id` becomes `id_field`; fields the type does not
/// know (index helpers such as `username_lower`) are ignored.
fn from_record<T: DeserializeOwned>(mut record: Document, id_field: &str) -> StoreResult<T> {
    if let Some(id) = record.remove("_id") {
        record.insert(id_field, id);
    }
    from_fields(record)
}

/// A stored value without an id of its own (log lines, file list entries, cursors).
fn from_fields<T: DeserializeOwned>(fields: Document) -> StoreResult<T> {
    bson::from_document(fields).map_err(incompatible)
}

fn date(t: Timestamp) -> Bson {
    Bson::DateTime(bson::DateTime::from_millis(t.millis()))
}

fn opt_date(t: Option<Timestamp>) -> Bson {
    t.map_or(Bson::Null, date)
}

fn get_date(doc: &Document, key: &str) -> Option<Timestamp> {
    doc.get_datetime(key).ok().map(|d| Timestamp::from_millis(d.timestamp_millis()))
}

/// Counts and sums come back as 32- or 64-bit integers (or doubles) depending on size.
fn get_count(doc: &Document, key: &str) -> u64 {
    match doc.get(key) {
        Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Bson::Double(n)) if *n >= 0.0 => *n as u64,
        _ => 0,
    }
}

fn int(n: u64) -> Bson {
    Bson::Int64(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A `limit` for the driver. Callers answer `limit == 0` themselves: the driver
/// reads 0 as "no limit".
fn limit_of(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A job as stored: the DTO plus queue bookkeeping.
fn job_record(mut doc: Document) -> StoreResult<JobRecord> {
    let lease_owner = doc.get_str("lease_owner").ok().map(str::to_string);
    let lease_expires_at = get_date(&doc, "lease_expires_at");
    let checkpoint = match doc.remove("checkpoint") {
        None | Some(Bson::Null) => None,
        Some(value) => Some(bson::from_bson(value).map_err(incompatible)?),
    };
    Ok(JobRecord { job: from_record(doc, "id")?, lease_owner, lease_expires_at, checkpoint })
}

fn job_status(outcome: JobOutcome) -> JobStatus {
    match outcome {
        JobOutcome::Completed => JobStatus::Completed,
        JobOutcome::Failed => JobStatus::Failed,
        JobOutcome::Cancelled => JobStatus::Cancelled,
    }
}

/// Escapes a user's search text for a `$regex`, so it matches literally.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ----- filters -------------------------------------------------------------------

/// The record `id` if it is `user`'s: every user-facing read and write goes through it.
fn user_filter(user: &UserId, id: &str) -> Document {
    doc! { "_id": id, "user_id": user.as_str() }
}

/// A configuration's records (documents, sync state), if the configuration is `user`'s.
fn config_filter(user: &UserId, config: &ConfigId) -> Document {
    doc! { "user_id": user.as_str(), "config_id": config.as_str() }
}

/// Matches the given remote ids and the documents derived from them
/// (`<id>#<part>`), with literal range queries rather than regexes.
fn with_derived(remote_ids: &[String]) -> Vec<Document> {
    let mut alternatives = vec![doc! { "remote_id": { "$in": remote_ids } }];
    for id in remote_ids {
        // '#' + 1 is '$': the range holds exactly the ids starting with "<id>#".
        alternatives
            .push(doc! { "remote_id": { "$gte": format!("{id}#"), "$lt": format!("{id}$") } });
    }
    alternatives
}

/// A job while `worker` holds its lease.
fn leased(job_id: &JobId, worker: &str) -> Document {
    doc! { "_id": job_id.as_str(), "lease_owner": worker, "status": JobStatus::Running.as_str() }
}

/// `NotFound` when an update or delete matched nothing.
fn found(matched: u64) -> StoreResult<()> {
    if matched == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

fn index(name: &str, keys: Document, mut options: IndexOptions) -> IndexModel {
    options.name = Some(name.to_string());
    IndexModel::builder().keys(keys).options(options).build()
}

fn unique() -> IndexOptions {
    IndexOptions::builder().unique(true).build()
}

fn plain() -> IndexOptions {
    IndexOptions::default()
}

// ----- errors --------------------------------------------------------------------

fn error_code(e: &mongodb::error::Error) -> Option<i32> {
    match e.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => Some(w.code),
        ErrorKind::InsertMany(m) => m.write_errors.as_ref().and_then(|w| w.first()).map(|w| w.code),
        _ => None,
    }
}

fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    error_code(e) == Some(DUPLICATE_KEY)
}

/// The one mapping from driver errors: duplicate key → `Conflict`, records or
/// indexes this binary cannot read → `Incompatible`, everything else (network,
/// server selection, timeouts, server errors) → `Unavailable`, retryable.
fn store_error(e: mongodb::error::Error) -> StoreError {
    match e.kind.as_ref() {
        _ if is_duplicate_key(&e) => {
            // The server's message names the database and the key's value: it stays
            // in the log, since a `Conflict` message may reach the user.
            tracing::debug!(error = %e, "duplicate key");
            StoreError::Conflict("a record with the same key already exists".into())
        }
        ErrorKind::BsonDeserialization(_) | ErrorKind::BsonSerialization(_) => incompatible(e),
        _ if error_code(&e).is_some_and(|c| INDEX_CONFLICT_CODES.contains(&c)) => {
            StoreError::Incompatible(format!("the indexes differ from this version's: {e}"))
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

impl From<mongodb::error::Error> for StoreError {
    fn from(e: mongodb::error::Error) -> Self {
        store_error(e)
    }
}

// ----- the store -----------------------------------------------------------------

#[async_trait]
impl Store for MongoStore {
    fn kind(&self) -> &'static str {
        "mongodb"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.run_command(doc! { "ping": 1 }).await?;
        Ok(())
    }

    // ----- accounts -------------------------------------------------------------

    async fn create_user(&self, user: UserRecord) -> StoreResult<()> {
        let mut record = to_record(&user, "id")?;
        // Usernames are unique ignoring case: the unique index is on the folded name.
        record.insert("username_lower", user.username.to_lowercase());
        match self.users.insert_one(record).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => {
                Err(StoreError::Conflict(format!("the username {:?} is taken", user.username)))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn find_user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let found = self.users.find_one(doc! { "username_lower": username.to_lowercase() }).await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn get_user(&self, user_id: &UserId) -> StoreResult<Option<UserRecord>> {
        let found = self.users.find_one(doc! { "_id": user_id.as_str() }).await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn set_password_hash(&self, user_id: &UserId, hash: &str) -> StoreResult<()> {
        let result = self
            .users
            .update_one(
                doc! { "_id": user_id.as_str() },
                doc! { "$set": { "password_hash": hash } },
            )
            .await?;
        found(result.matched_count)
    }

    async fn count_users(&self) -> StoreResult<u64> {
        Ok(self.users.count_documents(doc! {}).await?)
    }

    async fn create_session(&self, session: SessionRecord) -> StoreResult<()> {
        self.sessions.insert_one(to_record(&session, "id_hash")?).await?;
        Ok(())
    }

    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>> {
        // The TTL monitor runs about once a minute: expiry is checked here too.
        let found = self
            .sessions
            .find_one(doc! { "_id": id_hash, "expires_at": { "$gt": date(now) } })
            .await?;
        found.map(|d| from_record(d, "id_hash")).transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.sessions.delete_one(doc! { "_id": id_hash }).await?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        let expired = doc! { "expires_at": { "$lte": date(now) } };
        let sessions = self.sessions.delete_many(expired.clone()).await?;
        let states = self.oauth_states.delete_many(expired).await?;
        Ok(sessions.deleted_count + states.deleted_count)
    }

    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()> {
        self.api_tokens.insert_one(to_record(&token, "id")?).await?;
        Ok(())
    }

    async fn use_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ApiTokenRecord>> {
        let found = self.api_tokens.find_one(doc! { "token_hash": token_hash }).await?;
        let Some(mut token) = found.map(|d| from_record::<ApiTokenRecord>(d, "id")).transpose()?
        else {
            return Ok(None);
        };
        if token
            .last_used_at
            .is_some_and(|t| now.millis() - t.millis() < TOKEN_USE_RESOLUTION_SECS * 1000)
        {
            return Ok(Some(token));
        }
        self.api_tokens
            .update_one(
                doc! { "token_hash": token_hash },
                doc! { "$set": { "last_used_at": date(now) } },
            )
            .await?;
        token.last_used_at = Some(now);
        Ok(Some(token))
    }

    async fn list_api_tokens(&self, user_id: &UserId) -> StoreResult<Vec<ApiTokenRecord>> {
        let cursor = self
            .api_tokens
            .find(doc! { "user_id": user_id.as_str() })
            .sort(doc! { "_id": 1 })
            .await?;
        Self::collect_records(cursor, "id").await
    }

    async fn delete_api_token(&self, user_id: &UserId, token_id: &TokenId) -> StoreResult<()> {
        let result = self.api_tokens.delete_one(user_filter(user_id, token_id.as_str())).await?;
        found(result.deleted_count)
    }

    async fn put_oauth_state(&self, state: OAuthStateRecord) -> StoreResult<()> {
        self.oauth_states.insert_one(to_record(&state, "state_hash")?).await?;
        Ok(())
    }

    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OAuthStateRecord>> {
        // Removed whether or not it expired: a state is never good twice.
        let taken = self.oauth_states.find_one_and_delete(doc! { "_id": state_hash }).await?;
        let state: Option<OAuthStateRecord> =
            taken.map(|d| from_record(d, "state_hash")).transpose()?;
        Ok(state.filter(|s| s.expires_at > now))
    }

    // ----- vault key ring ----------------------------------------------------------

    async fn list_vault_keys(&self) -> StoreResult<Vec<VaultKeyRecord>> {
        let cursor = self.vault_keys.find(doc! {}).sort(doc! { "_id": 1 }).await?;
        Self::collect_records(cursor, "id").await
    }

    async fn add_vault_key(&self, key: VaultKeyRecord, only_if_empty: bool) -> StoreResult<bool> {
        let mut record = to_record(&key, "id")?;
        if only_if_empty {
            if self.vault_keys.count_documents(doc! {}).await? > 0 {
                return Ok(false);
            }
            record.insert("initial", true);
            match self.vault_keys.insert_one(record).await {
                Ok(_) => return Ok(true),
                Err(e) if is_duplicate_key(&e) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        // Inserted first, then the others retired: in between two keys are
        // active and readers take the newest, which is this one.
        self.vault_keys.insert_one(record).await?;
        if key.active {
            self.vault_keys
                .update_many(
                    doc! { "_id": { "$ne": key.id.as_str() } },
                    doc! { "$set": { "active": false } },
                )
                .await?;
        }
        Ok(true)
    }

    async fn delete_vault_key(&self, id: &str) -> StoreResult<()> {
        self.vault_keys.delete_one(doc! { "_id": id }).await?;
        Ok(())
    }

    // ----- provider catalogue ---------------------------------------------------

    async fn put_providers(&self, providers: &[ProviderInfo]) -> StoreResult<()> {
        // Replaced one by one, then the rest removed: readers never see an empty catalogue.
        for (position, provider) in providers.iter().enumerate() {
            let mut record = to_record(provider, "id")?;
            record.insert("position", int(position as u64));
            self.providers
                .replace_one(doc! { "_id": provider.id.as_str() }, record)
                .upsert(true)
                .await?;
        }
        let ids: Vec<&str> = providers.iter().map(|p| p.id.as_str()).collect();
        self.providers.delete_many(doc! { "_id": { "$nin": ids } }).await?;
        Ok(())
    }

    async fn list_providers(&self) -> StoreResult<Vec<ProviderInfo>> {
        let cursor = self.providers.find(doc! {}).sort(doc! { "position": 1 }).await?;
        Self::collect_records(cursor, "id").await
    }

    // ----- connections ----------------------------------------------------------

    async fn insert_connection(&self, connection: ConnectionRecord) -> StoreResult<()> {
        self.connections.insert_one(to_record(&connection, "id")?).await?;
        Ok(())
    }

    async fn get_connection(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
    ) -> StoreResult<Option<ConnectionRecord>> {
        let found = self.connections.find_one(user_filter(user_id, id.as_str())).await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn list_connections(&self, user_id: &UserId) -> StoreResult<Vec<ConnectionRecord>> {
        let cursor = self
            .connections
            .find(doc! { "user_id": user_id.as_str() })
            .sort(doc! { "created_at": 1, "_id": 1 })
            .await?;
        Self::collect_records(cursor, "id").await
    }

    async fn update_credentials(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        update: CredentialsUpdate,
        now: Timestamp,
    ) -> StoreResult<ConnectionRecord> {
        let mut filter = user_filter(user_id, id.as_str());
        filter.insert("credentials_version", int(update.expected_version));
        let mut change = doc! {
            "$set": {
                "credentials": to_bson(&update.credentials)?,
                "oauth_metadata": to_bson(&update.oauth_metadata)?,
                "updated_at": date(now),
            },
            "$inc": { "credentials_version": 1_i64 },
        };
        if update.reactivate
            && let Ok(set) = change.get_document_mut("$set")
        {
            set.insert("status", ConnectionStatus::Active.as_str());
            set.insert("status_message", Bson::Null);
        }
        let written = self
            .connections
            .find_one_and_update(filter, change)
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(record) = written {
            return from_record(record, "id");
        }
        // Nothing matched: tell a lost race from a connection that is not there.
        match self.get_connection(user_id, id).await? {
            Some(_) => {
                Err(StoreError::Conflict("the credentials were changed by another writer".into()))
            }
            None => Err(StoreError::NotFound),
        }
    }

    async fn set_connection_status(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        status: ConnectionStatus,
        message: Option<String>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let result = self
            .connections
            .update_one(
                user_filter(user_id, id.as_str()),
                doc! { "$set": {
                    "status": status.as_str(),
                    "status_message": message,
                    "updated_at": date(now),
                } },
            )
            .await?;
        found(result.matched_count)
    }

    async fn rename_connection(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        display_name: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let result = self
            .connections
            .update_one(
                user_filter(user_id, id.as_str()),
                doc! { "$set": { "display_name": display_name, "updated_at": date(now) } },
            )
            .await?;
        found(result.matched_count)
    }

    async fn mark_connection_validated(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        account: Option<String>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut set = doc! {
            "last_validated_at": date(now),
            "status": ConnectionStatus::Active.as_str(),
            "status_message": Bson::Null,
        };
        // An account the provider did not name keeps the one we knew.
        if let Some(account) = account {
            set.insert("account", account);
        }
        let result = self
            .connections
            .update_one(user_filter(user_id, id.as_str()), doc! { "$set": set })
            .await?;
        found(result.matched_count)
    }

    async fn delete_connection(&self, user_id: &UserId, id: &ConnectionId) -> StoreResult<()> {
        let result = self.connections.delete_one(user_filter(user_id, id.as_str())).await?;
        found(result.deleted_count)
    }

    async fn connections_not_sealed_with(
        &self,
        key_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<ConnectionRecord>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // A refresh token sealed with an old key counts too; `$exists` keeps
        // connections without one out (`$ne` alone matches a missing field).
        let filter = doc! { "$or": [
            { "credentials.encryption_key_id": { "$ne": key_id } },
            { "oauth_metadata.refresh_token_encrypted.encryption_key_id": { "$exists": true, "$ne": key_id } },
        ] };
        let cursor =
            self.connections.find(filter).sort(doc! { "_id": 1 }).limit(limit_of(limit)).await?;
        Self::collect_records(cursor, "id").await
    }

    // ----- sync configurations --------------------------------------------------

    async fn insert_config(&self, config: SyncConfiguration) -> StoreResult<()> {
        self.configs.insert_one(to_record(&config, "id")?).await?;
        Ok(())
    }

    async fn get_config(
        &self,
        user_id: &UserId,
        id: &ConfigId,
    ) -> StoreResult<Option<SyncConfiguration>> {
        let found = self.configs.find_one(user_filter(user_id, id.as_str())).await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn list_configs(&self, user_id: &UserId) -> StoreResult<Vec<SyncConfiguration>> {
        let cursor = self
            .configs
            .find(doc! { "user_id": user_id.as_str() })
            .sort(doc! { "created_at": 1, "_id": 1 })
            .await?;
        Self::collect_records(cursor, "id").await
    }

    async fn update_config(&self, config: &SyncConfiguration) -> StoreResult<()> {
        let result = self
            .configs
            .update_one(
                user_filter(&config.user_id, config.id.as_str()),
                doc! { "$set": {
                    "name": &config.name,
                    "profile_key": &config.profile_key,
                    "source_paths": to_bson(&config.source_paths)?,
                    "filters": to_bson(&config.filters)?,
                    "schedule": to_bson(&config.schedule)?,
                    "sync_options": to_bson(&config.sync_options)?,
                    "updated_at": date(config.updated_at),
                } },
            )
            .await?;
        found(result.matched_count)
    }

    async fn set_config_status(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        status: ConfigStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        let result = self
            .configs
            .update_one(
                user_filter(user_id, id.as_str()),
                doc! { "$set": { "status": status.as_str(), "updated_at": date(now) } },
            )
            .await?;
        found(result.matched_count)
    }

    async fn set_config_stats(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        stats: &ConfigStats,
        now: Timestamp,
    ) -> StoreResult<()> {
        let result = self
            .configs
            .update_one(
                user_filter(user_id, id.as_str()),
                doc! { "$set": { "stats": to_bson(stats)?, "updated_at": date(now) } },
            )
            .await?;
        found(result.matched_count)
    }

    async fn set_next_run(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        next_run_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        let result = self
            .configs
            .update_one(
                user_filter(user_id, id.as_str()),
                doc! { "$set": { "schedule.next_run_at": opt_date(next_run_at) } },
            )
            .await?;
        found(result.matched_count)
    }

    async fn delete_config(&self, user_id: &UserId, id: &ConfigId) -> StoreResult<()> {
        if self.get_config(user_id, id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        // What it owns goes first and the configuration last, so an interrupted
        // delete leaves a configuration that can be deleted again, not orphans.
        let config_id = id.as_str();
        self.documents.delete_many(doc! { "config_id": config_id }).await?;
        self.sync_state.delete_many(doc! { "config_id": config_id }).await?;
        let job_ids: Vec<Bson> = self
            .jobs
            .find(doc! { "config_id": config_id })
            .projection(doc! { "_id": 1 })
            .await?
            .try_collect::<Vec<Document>>()
            .await?
            .into_iter()
            .filter_map(|mut d| d.remove("_id"))
            .collect();
        if !job_ids.is_empty() {
            let of_jobs = doc! { "job_id": { "$in": job_ids } };
            self.job_logs.delete_many(of_jobs.clone()).await?;
            self.job_files.delete_many(of_jobs).await?;
        }
        self.jobs.delete_many(doc! { "config_id": config_id }).await?;
        let result = self.configs.delete_one(user_filter(user_id, config_id)).await?;
        found(result.deleted_count)
    }

    async fn due_configs(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<SyncConfiguration>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // `$lte` on a date never matches null: unscheduled configurations stay out.
        let cursor = self
            .configs
            .find(doc! {
                "status": ConfigStatus::Active.as_str(),
                "schedule.enabled": true,
                "schedule.next_run_at": { "$lte": date(now) },
            })
            .sort(doc! { "schedule.next_run_at": 1 })
            .limit(limit_of(limit))
            .await?;
        Self::collect_records(cursor, "id").await
    }

    async fn advance_schedule(
        &self,
        id: &ConfigId,
        expected: Timestamp,
        next: Option<Timestamp>,
    ) -> StoreResult<bool> {
        // Compare-and-swap on `next_run_at`: one document, so one winner.
        let result = self
            .configs
            .update_one(
                doc! { "_id": id.as_str(), "schedule.next_run_at": date(expected) },
                doc! { "$set": { "schedule.next_run_at": opt_date(next) } },
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    // ----- jobs -----------------------------------------------------------------

    async fn enqueue_job(&self, job: SyncJob) -> StoreResult<Enqueued> {
        let mut record = to_record(&job, "id")?;
        record.insert("updated_at", date(job.created_at));
        if job.status.is_active() {
            record.insert("active_config", job.config_id.as_str());
        }
        // The unique partial index on `active_config` decides between concurrent
        // enqueues. The loser returns the winner's job; if that one ended in the
        // meantime, it tries again.
        for _ in 0..3 {
            match self.jobs.insert_one(&record).await {
                Ok(_) => return Ok(Enqueued::Created(job)),
                Err(e) if is_duplicate_key(&e) => {
                    let active = self
                        .jobs
                        .find_one(doc! { "active_config": job.config_id.as_str() })
                        .await?;
                    if let Some(active) = active {
                        return Ok(Enqueued::AlreadyActive(from_record(active, "id")?));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(format!("job {} could not be queued", job.id)))
    }

    async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>> {
        self.claim(doc! { "status": JobStatus::Pending.as_str() }, worker, lease, now).await
    }

    async fn claim_job_by_id(
        &self,
        job_id: &JobId,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>> {
        self.claim(
            doc! { "_id": job_id.as_str(), "status": JobStatus::Pending.as_str() },
            worker,
            lease,
            now,
        )
        .await
    }

    async fn operator_find_connection(
        &self,
        id: &ConnectionId,
    ) -> StoreResult<Option<ConnectionRecord>> {
        let found = self.connections.find_one(doc! { "_id": id.as_str() }).await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn operator_find_config(&self, id: &ConfigId) -> StoreResult<Option<SyncConfiguration>> {
        let found = self.configs.find_one(doc! { "_id": id.as_str() }).await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn heartbeat(
        &self,
        job_id: &JobId,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Heartbeat> {
        let held = self
            .jobs
            .find_one_and_update(
                leased(job_id, worker),
                doc! { "$set": { "lease_expires_at": date(now + lease) } },
            )
            .projection(doc! { "cancel_requested": 1 })
            .return_document(ReturnDocument::After)
            .await?;
        Ok(match held {
            None => Heartbeat::Lost,
            Some(job) if job.get_bool("cancel_requested").unwrap_or(false) => {
                Heartbeat::CancelRequested
            }
            Some(_) => Heartbeat::Extended,
        })
    }

    async fn save_progress(
        &self,
        job_id: &JobId,
        worker: &str,
        progress: &Progress,
    ) -> StoreResult<bool> {
        let update = doc! { "$set": {
            "progress": to_bson(progress)?,
            "updated_at": date(Timestamp::now()),
        } };
        self.update_leased_job(job_id, worker, update).await
    }

    async fn save_checkpoint(
        &self,
        job_id: &JobId,
        worker: &str,
        checkpoint: &serde_json::Value,
        progress: &Progress,
    ) -> StoreResult<bool> {
        let update = doc! { "$set": {
            "checkpoint": to_bson(checkpoint)?,
            "progress": to_bson(progress)?,
            "updated_at": date(Timestamp::now()),
        } };
        self.update_leased_job(job_id, worker, update).await
    }

    async fn add_job_errors(
        &self,
        job_id: &JobId,
        worker: &str,
        errors: &[JobError],
    ) -> StoreResult<bool> {
        // `$slice` keeps the first MAX_JOB_ERRORS: later errors are only counted.
        let update = doc! {
            "$push": { "errors": {
                "$each": to_bson(errors)?,
                "$slice": limit_of(MAX_JOB_ERRORS),
            } },
            "$set": { "updated_at": date(Timestamp::now()) },
        };
        self.update_leased_job(job_id, worker, update).await
    }

    async fn finish_job(
        &self,
        job_id: &JobId,
        worker: &str,
        end: JobEnd,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let JobEnd { outcome, mut progress, delta_token, message } = end;
        progress.current_file = None;
        let mut set = doc! {
            "status": job_status(outcome).as_str(),
            "progress": to_bson(&progress)?,
            "completed_at": date(now),
            "updated_at": date(Timestamp::now()),
        };
        if let Some(delta_token) = delta_token {
            set.insert("delta_token", delta_token);
        }
        if let Some(message) = message {
            set.insert("message", message);
        }
        let update = doc! {
            "$set": set,
            // Unsetting `active_config` lets the configuration queue its next job.
            "$unset": { "lease_owner": "", "lease_expires_at": "", "checkpoint": "", "active_config": "" },
        };
        self.update_leased_job(job_id, worker, update).await
    }

    async fn release_job(&self, job_id: &JobId, worker: &str, now: Timestamp) -> StoreResult<bool> {
        let released = self
            .jobs
            .update_one(
                leased(job_id, worker),
                doc! {
                    "$set": { "status": JobStatus::Pending.as_str(), "updated_at": date(now) },
                    "$inc": { "attempts": -1_i64 },
                    "$unset": { "lease_owner": "", "lease_expires_at": "" },
                },
            )
            .await?;
        Ok(released.matched_count == 1)
    }

    async fn request_cancel(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        message: &str,
        now: Timestamp,
    ) -> StoreResult<SyncJob> {
        // Each step is conditional on the status it expects, so a job claimed or
        // finished in between is handled by the next step.
        let mut pending = user_filter(user_id, job_id.as_str());
        pending.insert("status", JobStatus::Pending.as_str());
        let cancelled = self
            .jobs
            .find_one_and_update(
                pending,
                doc! {
                    "$set": {
                        "status": JobStatus::Cancelled.as_str(),
                        "completed_at": date(now),
                        "message": message,
                        "updated_at": date(now),
                    },
                    "$unset": { "active_config": "" },
                },
            )
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(job) = cancelled {
            return from_record(job, "id");
        }
        let mut running = user_filter(user_id, job_id.as_str());
        running.insert("status", JobStatus::Running.as_str());
        let requested = self
            .jobs
            .find_one_and_update(
                running,
                doc! { "$set": {
                    "cancel_requested": true,
                    "message": message,
                    "updated_at": date(now),
                } },
            )
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(job) = requested {
            return from_record(job, "id");
        }
        let ended = self.find_job(user_id, job_id.as_str()).await?.ok_or(StoreError::NotFound)?;
        from_record(ended, "id")
    }

    async fn reap_expired_leases(
        &self,
        now: Timestamp,
        max_attempts: u32,
    ) -> StoreResult<Vec<SyncJob>> {
        let expired: Vec<Document> = self
            .jobs
            .find(doc! {
                "status": JobStatus::Running.as_str(),
                "lease_expires_at": { "$lt": date(now) },
            })
            .projection(doc! {
                "attempts": 1, "cancel_requested": 1, "lease_owner": 1, "lease_expires_at": 1,
            })
            .await?
            .try_collect()
            .await?;
        let mut changed = Vec::new();
        for job in expired {
            let (Some(id), Some(owner), Some(expires)) =
                (job.get("_id"), job.get("lease_owner"), job.get("lease_expires_at"))
            else {
                continue;
            };
            // Only the lease we saw expire: a heartbeat or another reaper in
            // between makes this a no-op.
            let filter = doc! {
                "_id": id.clone(),
                "status": JobStatus::Running.as_str(),
                "lease_owner": owner.clone(),
                "lease_expires_at": expires.clone(),
            };
            let attempts = get_count(&job, "attempts");
            let mut set = doc! { "updated_at": date(now) };
            let mut unset = doc! { "lease_owner": "", "lease_expires_at": "" };
            if job.get_bool("cancel_requested").unwrap_or(false) {
                set.insert("status", JobStatus::Cancelled.as_str());
                set.insert("completed_at", date(now));
                unset.insert("active_config", "");
            } else if attempts >= u64::from(max_attempts) {
                set.insert("status", JobStatus::Failed.as_str());
                set.insert("completed_at", date(now));
                set.insert(
                    "message",
                    format!(
                        "gave up after {attempts} attempts: the worker running it stopped responding"
                    ),
                );
                unset.insert("active_config", "");
            } else {
                // Back in the queue with its checkpoint, so the next worker resumes.
                set.insert("status", JobStatus::Pending.as_str());
            }
            let reaped = self
                .jobs
                .find_one_and_update(filter, doc! { "$set": set, "$unset": unset })
                .return_document(ReturnDocument::After)
                .await?;
            if let Some(job) = reaped {
                changed.push(from_record(job, "id")?);
            }
        }
        Ok(changed)
    }

    async fn get_job(&self, user_id: &UserId, id: &JobId) -> StoreResult<Option<JobRecord>> {
        self.find_job(user_id, id.as_str()).await?.map(job_record).transpose()
    }

    async fn list_jobs(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        page: u32,
        per_page: u32,
    ) -> StoreResult<Page<SyncJob>> {
        let (page, per_page) = clamp_paging(page, per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE);
        let filter = config_filter(user_id, config_id);
        let total = self.jobs.count_documents(filter.clone()).await?;
        let cursor = self
            .jobs
            .find(filter)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .skip(u64::from(page - 1) * u64::from(per_page))
            .limit(i64::from(per_page))
            .await?;
        Ok(Page { items: Self::collect_records(cursor, "id").await?, total, page, per_page })
    }

    async fn recent_jobs(&self, user_id: &UserId, limit: usize) -> StoreResult<Vec<SyncJob>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let cursor = self
            .jobs
            .find(doc! { "user_id": user_id.as_str() })
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(limit_of(limit))
            .await?;
        Self::collect_records(cursor, "id").await
    }

    async fn active_job(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<Option<SyncJob>> {
        let found = self
            .jobs
            .find_one(doc! { "active_config": config_id.as_str(), "user_id": user_id.as_str() })
            .await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn jobs_changed_since(
        &self,
        user_id: Option<&UserId>,
        since: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<SyncJob>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut filter = doc! { "updated_at": { "$gt": date(since) } };
        if let Some(user) = user_id {
            filter.insert("user_id", user.as_str());
        }
        let cursor =
            self.jobs.find(filter).sort(doc! { "updated_at": 1 }).limit(limit as i64).await?;
        Self::collect_records(cursor, "id").await
    }

    async fn job_counts(&self) -> StoreResult<Vec<(JobStatus, u64)>> {
        let groups: Vec<Document> = self
            .jobs
            .aggregate([
                doc! { "$group": { "_id": "$status", "count": { "$sum": 1 } } },
                doc! { "$sort": { "_id": 1 } },
            ])
            .await?
            .try_collect()
            .await?;
        groups
            .into_iter()
            .map(|group| {
                let status = group.get("_id").cloned().unwrap_or(Bson::Null);
                let status: JobStatus = bson::from_bson(status).map_err(incompatible)?;
                Ok((status, get_count(&group, "count")))
            })
            .collect()
    }

    async fn add_job_files(&self, files: &[JobFileRecord]) -> StoreResult<()> {
        let Some(first) = files.first() else { return Ok(()) };
        // One worker writes a job's files, so counting then inserting keeps the bound.
        let stored =
            self.job_files.count_documents(doc! { "job_id": first.job_id.as_str() }).await?;
        let room = MAX_JOB_FILES.saturating_sub(usize::try_from(stored).unwrap_or(usize::MAX));
        let mut records = Vec::new();
        for (offset, file) in files.iter().take(room).enumerate() {
            records.push(doc! {
                "job_id": file.job_id.as_str(),
                "seq": int(stored + offset as u64 + 1),
                "path": &file.path,
                "remote_id": &file.remote_id,
                "action": to_bson(&file.action)?,
                "bytes": int(file.bytes),
                "at": date(file.at),
            });
        }
        if !records.is_empty() {
            self.job_files.insert_many(records).await?;
        }
        Ok(())
    }

    async fn list_job_files(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        limit: usize,
    ) -> StoreResult<(Vec<JobFile>, u64)> {
        self.check_job_owner(user_id, job_id).await?;
        let of_job = doc! { "job_id": job_id.as_str() };
        let total = self.job_files.count_documents(of_job.clone()).await?;
        if limit == 0 {
            return Ok((Vec::new(), total));
        }
        let records: Vec<Document> = self
            .job_files
            .find(of_job)
            .sort(doc! { "seq": 1 })
            .limit(limit_of(limit))
            .await?
            .try_collect()
            .await?;
        let files = records.into_iter().map(from_fields).collect::<StoreResult<_>>()?;
        Ok((files, total))
    }

    async fn append_job_log(
        &self,
        job_id: &JobId,
        lines: &[(Timestamp, LogLevel, String)],
    ) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let last = self
            .job_logs
            .find_one(doc! { "job_id": job_id.as_str() })
            .sort(doc! { "seq": -1 })
            .projection(doc! { "seq": 1 })
            .await?
            .map_or(0, |line| get_count(&line, "seq"));
        let newest = last + lines.len() as u64;
        let oldest_kept = newest.saturating_sub(MAX_JOB_LOG_LINES as u64) + 1;
        // Lines that would be trimmed at once are not written at all. Two writers
        // racing on one job collide on the unique (job_id, seq) index.
        let records: Vec<Document> = lines
            .iter()
            .enumerate()
            .map(|(offset, line)| (last + offset as u64 + 1, line))
            .filter(|(seq, _)| *seq >= oldest_kept)
            .map(|(seq, (at, level, message))| {
                doc! {
                    "job_id": job_id.as_str(),
                    "seq": int(seq),
                    "at": date(*at),
                    "level": super::level_str(*level),
                    "message": message,
                }
            })
            .collect();
        self.job_logs.insert_many(records).await?;
        if oldest_kept > 1 {
            self.job_logs
                .delete_many(doc! { "job_id": job_id.as_str(), "seq": { "$lt": int(oldest_kept) } })
                .await?;
        }
        Ok(())
    }

    async fn job_log(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<JobLogLine>> {
        self.check_job_owner(user_id, job_id).await?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lines: Vec<Document> = self
            .job_logs
            .find(doc! { "job_id": job_id.as_str(), "seq": { "$gt": int(after) } })
            .sort(doc! { "seq": 1 })
            .limit(limit_of(limit))
            .await?
            .try_collect()
            .await?;
        lines.into_iter().map(from_fields).collect()
    }

    // ----- sync state ------------------------------------------------------------

    async fn get_sync_states(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<Vec<SyncStateRecord>> {
        let states: Vec<Document> = self
            .sync_state
            .find(config_filter(user_id, config_id))
            .sort(doc! { "scope": 1 })
            .await?
            .try_collect()
            .await?;
        states.into_iter().map(from_fields).collect()
    }

    async fn put_sync_state(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        state: &SyncStateRecord,
    ) -> StoreResult<()> {
        // Keyed by (config_id, scope) under a unique index: another user's write
        // matches nothing, tries to insert, and fails with `Conflict`.
        let mut filter = config_filter(user_id, config_id);
        filter.insert("scope", &state.scope);
        self.sync_state
            .update_one(
                filter,
                doc! { "$set": { "cursor": &state.cursor, "updated_at": date(state.updated_at) } },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    async fn clear_sync_states(&self, user_id: &UserId, config_id: &ConfigId) -> StoreResult<()> {
        self.sync_state.delete_many(config_filter(user_id, config_id)).await?;
        Ok(())
    }

    // ----- documents --------------------------------------------------------------

    async fn upsert_documents(&self, documents: &[SourceDocument]) -> StoreResult<UpsertCounts> {
        let mut counts = UpsertCounts::default();
        // One at a time, so a batch naming the same item twice cannot race itself.
        for document in documents {
            let mut fields = to_fields(document)?;
            fields.remove("id");
            let result = self
                .documents
                .update_one(
                    doc! { "config_id": document.config_id.as_str(), "remote_id": &document.remote_id },
                    // The id only on insert: an existing document keeps its first id.
                    doc! { "$set": fields, "$setOnInsert": { "_id": document.id.as_str() } },
                )
                .upsert(true)
                .await?;
            if result.upserted_id.is_some() {
                counts.inserted += 1;
            } else {
                counts.updated += 1;
            }
        }
        Ok(counts)
    }

    async fn indexed_items(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_ids: &[String],
    ) -> StoreResult<Vec<IndexedItem>> {
        if remote_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut filter = config_filter(user_id, config_id);
        filter.insert("remote_id", doc! { "$in": remote_ids });
        let found: Vec<Document> = self
            .documents
            .find(filter)
            .projection(doc! {
                "_id": 0, "remote_id": 1, "path": 1, "version": 1, "content_hash": 1, "size_bytes": 1,
            })
            .await?
            .try_collect()
            .await?;
        let mut by_id: HashMap<String, IndexedItem> = HashMap::with_capacity(found.len());
        for fields in found {
            let item: IndexedItem = from_fields(fields)?;
            by_id.insert(item.remote_id.clone(), item);
        }
        // In the order asked for, like the embedded store.
        Ok(remote_ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
    }

    async fn move_document(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_id: &str,
        path: &str,
        name: &str,
    ) -> StoreResult<()> {
        let mut filter = config_filter(user_id, config_id);
        filter.insert("remote_id", remote_id);
        let result = self
            .documents
            .update_one(filter, doc! { "$set": { "path": path, "name": name } })
            .await?;
        found(result.matched_count)
    }

    async fn delete_documents(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_ids: &[String],
    ) -> StoreResult<u64> {
        if remote_ids.is_empty() {
            return Ok(0);
        }
        let mut filter = config_filter(user_id, config_id);
        filter.insert("$or", with_derived(remote_ids));
        Ok(self.documents.delete_many(filter).await?.deleted_count)
    }

    async fn mark_seen(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_ids: &[String],
        mark: &str,
    ) -> StoreResult<()> {
        if remote_ids.is_empty() {
            return Ok(());
        }
        let mut filter = config_filter(user_id, config_id);
        filter.insert("$or", with_derived(remote_ids));
        self.documents.update_many(filter, doc! { "$set": { "sweep_mark": mark } }).await?;
        Ok(())
    }

    async fn sweep_unmarked(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        mark: &str,
    ) -> StoreResult<Vec<String>> {
        let mut filter = config_filter(user_id, config_id);
        filter.insert("sweep_mark", doc! { "$ne": mark });
        let found: Vec<Document> = self
            .documents
            .find(filter.clone())
            .projection(doc! { "remote_id": 1 })
            .await?
            .try_collect()
            .await?;
        let ids: Vec<String> =
            found.iter().filter_map(|d| d.get_str("remote_id").ok().map(str::to_string)).collect();
        self.documents.delete_many(filter).await?;
        Ok(ids)
    }

    async fn remote_ids_page(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<String>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut filter = config_filter(user_id, config_id);
        if let Some(after) = after {
            filter.insert("remote_id", doc! { "$gt": after });
        }
        let found: Vec<Document> = self
            .documents
            .find(filter)
            .projection(doc! { "_id": 0, "remote_id": 1 })
            .sort(doc! { "remote_id": 1 })
            .limit(limit_of(limit))
            .await?
            .try_collect()
            .await?;
        Ok(found.iter().filter_map(|d| d.get_str("remote_id").ok().map(str::to_string)).collect())
    }

    async fn remote_ids_under(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        path_prefix: &str,
    ) -> StoreResult<Vec<String>> {
        // A range rather than a regex: literal (paths may hold regex characters)
        // and index-friendly. Strings compare by code point, and '0' follows '/',
        // so [folder + "/", folder + "0") is exactly the paths under the folder.
        let folder = path_prefix.trim_end_matches('/');
        let mut filter = config_filter(user_id, config_id);
        filter.insert("path", doc! { "$gte": format!("{folder}/"), "$lt": format!("{folder}0") });
        let found: Vec<Document> = self
            .documents
            .find(filter)
            .projection(doc! { "_id": 0, "remote_id": 1 })
            .await?
            .try_collect()
            .await?;
        Ok(found.iter().filter_map(|d| d.get_str("remote_id").ok().map(str::to_string)).collect())
    }

    async fn document_stats(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<(u64, u64)> {
        let totals: Vec<Document> = self
            .documents
            .aggregate([
                doc! { "$match": config_filter(user_id, config_id) },
                doc! { "$group": {
                    "_id": Bson::Null,
                    "count": { "$sum": 1 },
                    "bytes": { "$sum": "$size_bytes" },
                } },
            ])
            .await?
            .try_collect()
            .await?;
        Ok(totals.first().map_or((0, 0), |t| (get_count(t, "count"), get_count(t, "bytes"))))
    }

    async fn list_documents(
        &self,
        user_id: &UserId,
        query: &DocumentQuery,
    ) -> StoreResult<Page<DocumentSummary>> {
        let (page, per_page) =
            clamp_paging(query.page, query.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE);
        let mut filter = doc! { "user_id": user_id.as_str() };
        if let Some(config_id) = &query.config_id {
            filter.insert("config_id", config_id.as_str());
        }
        if let Some(search) = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = regex_escape(search);
            filter.insert(
                "$or",
                vec![
                    doc! { "name": { "$regex": &pattern, "$options": "i" } },
                    doc! { "path": { "$regex": &pattern, "$options": "i" } },
                ],
            );
        }
        let total = self.documents.count_documents(filter.clone()).await?;
        // Summaries only: the text and chunks stay on the server, counted there.
        let found: Vec<Document> = self
            .documents
            .aggregate([
                doc! { "$match": filter },
                doc! { "$sort": { "path": 1, "_id": 1 } },
                doc! { "$skip": int(u64::from(page - 1) * u64::from(per_page)) },
                doc! { "$limit": i64::from(per_page) },
                doc! { "$project": {
                    "config_id": 1, "provider": 1, "remote_id": 1, "path": 1, "name": 1,
                    "mime_type": 1, "size_bytes": 1, "modified_at": 1, "indexed_at": 1,
                    "web_url": 1,
                    "chunk_count": { "$size": { "$ifNull": ["$chunks", []] } },
                } },
            ])
            .await?
            .try_collect()
            .await?;
        let items = found.into_iter().map(|d| from_record(d, "id")).collect::<StoreResult<_>>()?;
        Ok(Page { items, total, page, per_page })
    }

    async fn get_document(
        &self,
        user_id: &UserId,
        id: &DocumentId,
    ) -> StoreResult<Option<SourceDocument>> {
        let found = self.documents.find_one(user_filter(user_id, id.as_str())).await?;
        found.map(|d| from_record(d, "id")).transpose()
    }

    async fn dashboard_stats(&self, user_id: &UserId) -> StoreResult<DashboardStats> {
        let user = user_id.as_str();
        let total_connections = self.connections.count_documents(doc! { "user_id": user }).await?;
        let active_syncs = self
            .jobs
            .count_documents(doc! {
                "user_id": user,
                "status": { "$in": [JobStatus::Pending.as_str(), JobStatus::Running.as_str()] },
            })
            .await?;
        let totals: Vec<Document> = self
            .documents
            .aggregate([
                doc! { "$match": { "user_id": user } },
                doc! { "$group": {
                    "_id": Bson::Null,
                    "count": { "$sum": 1 },
                    "bytes": { "$sum": "$size_bytes" },
                } },
            ])
            .await?
            .try_collect()
            .await?;
        let (files, bytes) =
            totals.first().map_or((0, 0), |t| (get_count(t, "count"), get_count(t, "bytes")));
        let next = self
            .configs
            .find_one(doc! {
                "user_id": user,
                "status": ConfigStatus::Active.as_str(),
                "schedule.enabled": true,
                "schedule.next_run_at": { "$ne": Bson::Null },
            })
            .sort(doc! { "schedule.next_run_at": 1 })
            .projection(doc! { "schedule.next_run_at": 1 })
            .await?;
        let next_scheduled_sync = next
            .as_ref()
            .and_then(|c| c.get_document("schedule").ok())
            .and_then(|s| get_date(s, "next_run_at"));
        Ok(DashboardStats {
            total_connections,
            active_syncs,
            total_files_indexed: files,
            total_size_bytes: bytes,
            next_scheduled_sync,
        })
    }
}

#[cfg(test)]
mod tests {
    use app::model::{ProviderId, Schedule, SyncJob};

    use super::*;

    #[test]
    fn timestamps_are_stored_as_bson_dates_and_read_back() {
        let t = Timestamp::from_millis(1_795_000_000_123);
        let session = SessionRecord {
            id_hash: "h".into(),
            user_id: UserId("u".into()),
            created_at: t,
            expires_at: t.plus_secs(60),
        };
        let record = to_record(&session, "id_hash").unwrap();
        assert_eq!(record.get("_id"), Some(&Bson::String("h".into())));
        assert_eq!(
            record.get("expires_at"),
            Some(&Bson::DateTime(bson::DateTime::from_millis(1_795_000_060_123)))
        );
        assert_eq!(from_record::<SessionRecord>(record.clone(), "id_hash").unwrap(), session);

        // What the driver reads back from the wire goes through bson's raw deserializer.
        let bytes = bson::to_vec(&record).unwrap();
        let raw: Document = bson::from_slice(&bytes).unwrap();
        assert_eq!(from_record::<SessionRecord>(raw, "id_hash").unwrap(), session);
        let read: SessionRecord = bson::from_slice(&bson::to_vec(&session).unwrap()).unwrap();
        assert_eq!(read, session);
        // And a struct serialized by the driver itself (raw serializer) writes dates too.
        let raw = bson::to_raw_document_buf(&session).unwrap();
        assert!(matches!(raw.get("expires_at").unwrap(), Some(bson::RawBsonRef::DateTime(_))));
    }

    #[test]
    fn nested_and_optional_timestamps_are_dates_or_null() {
        let now = Timestamp::from_millis(1_795_000_000_000);
        let user = UserId("u".into());
        let connection = crate::store::ConnectionRecord {
            id: ConnectionId("c".into()),
            user_id: user.clone(),
            provider: ProviderId::Dropbox,
            display_name: "d".into(),
            auth_type: app::model::AuthType::OAuth2,
            credentials: crate::store::EncryptedBlob {
                encrypted_data: "x".into(),
                encryption_key_id: "k".into(),
            },
            oauth_metadata: Some(crate::store::OAuthMetadata {
                access_token_expires_at: Some(now),
                refresh_token_encrypted: None,
                scopes: vec!["a".into()],
            }),
            status: ConnectionStatus::Active,
            status_message: None,
            account: None,
            last_validated_at: None,
            credentials_version: 3,
            created_at: now,
            updated_at: now,
        };
        let record = to_record(&connection, "id").unwrap();
        let metadata = record.get_document("oauth_metadata").unwrap();
        assert!(matches!(metadata.get("access_token_expires_at"), Some(Bson::DateTime(_))));
        assert_eq!(record.get("last_validated_at"), Some(&Bson::Null));
        assert_eq!(
            record.get_document("credentials").unwrap().get_str("encryption_key_id"),
            Ok("k")
        );
        assert_eq!(from_record::<ConnectionRecord>(record, "id").unwrap(), connection);

        let schedule = Schedule { enabled: true, next_run_at: Some(now), ..Default::default() };
        let bson = to_bson(&schedule).unwrap();
        let doc = bson.as_document().unwrap();
        assert!(matches!(doc.get("next_run_at"), Some(Bson::DateTime(_))));
    }

    #[test]
    fn jobs_keep_the_design_field_names() {
        let now = Timestamp::from_millis(1_795_000_000_000);
        let job = SyncJob {
            id: JobId("j".into()),
            config_id: ConfigId("c".into()),
            user_id: UserId("u".into()),
            connection_id: ConnectionId("n".into()),
            job_type: app::model::JobType::Full,
            status: JobStatus::Pending,
            created_at: now,
            started_at: None,
            completed_at: None,
            progress: Progress::default(),
            errors: vec![],
            delta_token: None,
            message: None,
            attempts: 0,
            cancel_requested: false,
        };
        let record = to_record(&job, "id").unwrap();
        assert_eq!(record.get_str("type"), Ok("full"));
        assert_eq!(record.get_str("status"), Ok("pending"));
        let mut stored = record.clone();
        stored.insert("lease_owner", "w");
        stored.insert("checkpoint", doc! { "page_token": "p2" });
        let back = job_record(stored).unwrap();
        assert_eq!(back.job, job);
        assert_eq!(back.lease_owner.as_deref(), Some("w"));
        assert_eq!(back.checkpoint, Some(serde_json::json!({ "page_token": "p2" })));
    }

    #[test]
    fn search_text_is_escaped_for_regex() {
        assert_eq!(regex_escape("Q1 (draft).pdf"), r"Q1 \(draft\)\.pdf");
        assert_eq!(regex_escape("a+b*c?"), r"a\+b\*c\?");
    }
}
