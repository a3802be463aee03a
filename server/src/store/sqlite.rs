//! The embedded store: SQLite (bundled), one file in the data directory.
//!
//! Why SQLite: nothing to install, transactions and unique indexes give the
//! same guarantees the MongoDB store gets from its server, and WAL mode lets
//! the `cloud-sources` CLI read and write while a server runs on the same file.
//! Records are kept as JSON (`doc`) beside the columns the queries need; partial
//! updates use SQLite's JSON functions so they stay single statements.
//!
//! Every call runs on the blocking pool: one writer connection (SQLite allows
//! one writer at a time anyway) and a few readers.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::model::{
    ConfigId, ConfigStats, ConfigStatus, ConnectionId, ConnectionStatus, DashboardStats,
    DocumentId, DocumentQuery, DocumentSummary, JobError, JobFile, JobId, JobLogLine, JobStatus,
    LogLevel, MAX_JOB_ERRORS, MAX_JOB_FILES, MAX_JOB_LOG_LINES, Page, Progress, ProviderInfo,
    SourceDocument, SyncConfiguration, SyncJob, Timestamp, TokenId, UserId, clamp_paging,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    ApiTokenRecord, ConnectionRecord, CredentialsUpdate, DEFAULT_PER_PAGE, Enqueued, Heartbeat,
    IndexedItem, JobEnd, JobFileRecord, JobOutcome, JobRecord, MAX_PER_PAGE, OAuthStateRecord,
    SCHEMA_VERSION, SessionRecord, Store, StoreError, StoreResult, SyncStateRecord,
    TOKEN_USE_RESOLUTION_SECS, UpsertCounts, UserRecord, VaultKeyRecord,
};

const READERS: usize = 4;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_states (
    state_hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vault_keys (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS data_source_providers (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_connections (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS connections_user ON user_connections(user_id, created_at);
CREATE TABLE IF NOT EXISTS sync_configurations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- schedule.enabled and status = active: the scheduler may run it
    runnable INTEGER NOT NULL,
    next_run_at INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS configs_user ON sync_configurations(user_id, created_at);
CREATE INDEX IF NOT EXISTS configs_due ON sync_configurations(runnable, next_run_at);
CREATE TABLE IF NOT EXISTS sync_jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    status TEXT NOT NULL,
    -- the config id while pending or running, else NULL: at most one active job per config
    active_config TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    checkpoint TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON sync_jobs(status, created_at);
CREATE INDEX IF NOT EXISTS jobs_config ON sync_jobs(config_id, created_at);
CREATE INDEX IF NOT EXISTS jobs_user ON sync_jobs(user_id, updated_at);
CREATE TABLE IF NOT EXISTS job_files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    path TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    action TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_files_job ON job_files(job_id, seq);
CREATE TABLE IF NOT EXISTS job_logs (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS sync_state (
    config_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    user_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (config_id, scope)
);
CREATE TABLE IF NOT EXISTS source_documents (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT,
    content_hash TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    indexed_at INTEGER NOT NULL,
    -- the last full listing that saw it (mark-and-sweep)
    sweep_mark TEXT,
    doc TEXT NOT NULL,
    UNIQUE (config_id, remote_id)
);
CREATE INDEX IF NOT EXISTS documents_user ON source_documents(user_id, indexed_at);
-- Each configuration's document count and total size (the dashboard's totals,
-- and the configuration's after each run), kept by the triggers below in the same
-- transaction as every change to `source_documents`. Counting them per view read
-- an index entry per document (a quarter of a dashboard render's CPU with 4,000
-- documents, and growing with the index).
CREATE TABLE IF NOT EXISTS document_totals (
    config_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS document_totals_user ON document_totals(user_id);
CREATE TRIGGER IF NOT EXISTS document_totals_insert AFTER INSERT ON source_documents BEGIN
    INSERT INTO document_totals (config_id, user_id, files, bytes)
    VALUES (NEW.config_id, NEW.user_id, 1, NEW.size_bytes)
    ON CONFLICT (config_id) DO UPDATE SET files = files + 1, bytes = bytes + NEW.size_bytes;
END;
CREATE TRIGGER IF NOT EXISTS document_totals_delete AFTER DELETE ON source_documents BEGIN
    UPDATE document_totals SET files = files - 1, bytes = bytes - OLD.size_bytes
    WHERE config_id = OLD.config_id;
END;
CREATE TRIGGER IF NOT EXISTS document_totals_resize AFTER UPDATE OF size_bytes ON source_documents BEGIN
    UPDATE document_totals SET bytes = bytes - OLD.size_bytes + NEW.size_bytes
    WHERE config_id = NEW.config_id;
END;
-- Stores written before the totals existed: count once, when the table is new.
INSERT INTO document_totals (config_id, user_id, files, bytes)
    SELECT config_id, user_id, COUNT(*), SUM(size_bytes) FROM source_documents
    WHERE NOT EXISTS (SELECT 1 FROM document_totals) GROUP BY config_id;
-- It answered the count the totals table now keeps.
DROP INDEX IF EXISTS documents_user_size;
"#;

/// The documents of remote item `?3`: the item itself and those derived from it
/// (`<id>#…`, attachments). The range lets SQLite search the `(config_id, remote_id)`
/// index; without it every call read every document of the configuration, which made
/// a full sync quadratic (the exact test alone cannot use an index).
const SAME_ITEM: &str = "remote_id >= ?3 AND remote_id < ?3 || '$'
    AND (remote_id = ?3 OR substr(remote_id, 1, length(?3) + 1) = ?3 || '#')";

/// A user's indexed documents and their total size (kept in `document_totals`).
const DOCUMENT_TOTALS: &str = "SELECT COALESCE(SUM(files), 0), COALESCE(SUM(bytes), 0) FROM document_totals WHERE user_id = ?1";

pub struct SqliteStore {
    db: Arc<Db>,
}

struct Db {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Db {
    /// The first idle reader from a rotating start (waiting on a fixed one while
    /// others idled showed as tail latency).
    fn idle_reader(&self) -> Option<std::sync::MutexGuard<'_, Connection>> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let count = self.readers.len();
        (0..count).find_map(|i| self.readers[(start + i) % count].try_lock().ok())
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(err, _)
                if err.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict(e.to_string())
            }
            _ => unavailable(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Incompatible(format!("stored record does not match the schema: {e}"))
    }
}

fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Incompatible(e.to_string()))
}

fn from_json<T: DeserializeOwned>(text: &str) -> StoreResult<T> {
    Ok(serde_json::from_str(text)?)
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(15))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Requests repeat a few dozen statements; parsing them each time showed in profiles.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and checks its schema version.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let path = path.to_path_buf();
        let db = tokio::task::spawn_blocking(move || -> StoreResult<Db> {
            let mut writer = open_connection(&path)?;
            let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(SCHEMA)?;
            let stored: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
                .optional()?;
            match stored.map(|v| v.parse::<u32>()) {
                None => {
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                        [SCHEMA_VERSION.to_string()],
                    )?;
                }
                Some(Ok(v)) if v == SCHEMA_VERSION => {}
                Some(Ok(v)) if v > SCHEMA_VERSION => {
                    return Err(StoreError::Incompatible(format!(
                        "the store has schema version {v}, this binary understands up to {SCHEMA_VERSION}: upgrade cloud-sources"
                    )));
                }
                Some(v) => {
                    return Err(StoreError::Incompatible(format!(
                        "unknown schema version {v:?} in {}",
                        path.display()
                    )));
                }
            }
            tx.commit()?;
            let readers = (0..READERS)
                .map(|_| open_connection(&path).map(Mutex::new))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Db { writer: Mutex::new(writer), readers, next_reader: AtomicUsize::new(0) })
        })
        .await
        .map_err(unavailable)??;
        Ok(Self { db: Arc::new(db) })
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.writer.lock().map_err(|_| unavailable("writer poisoned"))?;
            f(&mut conn)
        })
        .await
        .map_err(unavailable)?
    }

    /// Runs `f` inside an immediate (write-locking) transaction.
    async fn transaction<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// Claims the oldest pending job, or the given one if it is pending.
    async fn claim(
        &self,
        only: Option<String>,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>> {
        let worker = worker.to_string();
        self.transaction(move |tx| {
            let id: Option<String> = tx
                .query_row(
                    "SELECT id FROM sync_jobs WHERE status = 'pending' AND (?1 IS NULL OR id = ?1)
                     ORDER BY created_at, id LIMIT 1",
                    [&only],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else { return Ok(None) };
            let Some(mut record) = job_row(tx, &id)? else { return Ok(None) };
            record.job.status = JobStatus::Running;
            record.job.attempts += 1;
            record.job.started_at.get_or_insert(now);
            record.lease_owner = Some(worker.clone());
            record.lease_expires_at = Some(now + lease);
            write_job(tx, &record.job, now)?;
            tx.execute(
                "UPDATE sync_jobs SET lease_owner = ?2, lease_expires_at = ?3 WHERE id = ?1",
                params![id, worker, record.lease_expires_at.map(Timestamp::millis)],
            )?;
            Ok(Some(record))
        })
        .await
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match db.idle_reader() {
                Some(conn) => conn,
                // All busy: wait for one.
                None => {
                    let start = db.next_reader.load(Ordering::Relaxed);
                    db.readers[start % db.readers.len()]
                        .lock()
                        .map_err(|_| unavailable("reader poisoned"))?
                }
            };
            f(&conn)
        })
        .await
        .map_err(unavailable)?
    }

    /// A read of a few small rows by key or a short index range (sessions, users,
    /// one user's connections and configurations, the dashboard's totals; not job
    /// records, whose error lists, or cursors, which can be large): run on the
    /// calling task when a reader is idle, since handing it to the blocking pool and
    /// back cost more than the read (a fifth of a page render's CPU went to thread
    /// switches); on the blocking pool otherwise. Scans and large documents use `read`.
    async fn read_small<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        if let Some(conn) = self.db.idle_reader() {
            return f(&conn);
        }
        self.read(f).await
    }
}

/// Reads one JSON `doc` column.
fn query_doc<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Option<T>> {
    let text: Option<String> =
        conn.prepare_cached(sql)?.query_row(params, |r| r.get(0)).optional()?;
    text.as_deref().map(from_json).transpose()
}

/// Reads many JSON `doc` columns.
fn query_docs<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(from_json(&row?)?);
    }
    Ok(out)
}

fn config_runnable(config: &SyncConfiguration) -> bool {
    config.schedule.enabled && config.status == ConfigStatus::Active
}

fn job_row(tx: &Connection, job_id: &str) -> StoreResult<Option<JobRecord>> {
    struct Row {
        doc: String,
        lease_owner: Option<String>,
        lease_expires_at: Option<i64>,
        checkpoint: Option<String>,
    }
    let row = tx
        .query_row(
            "SELECT doc, lease_owner, lease_expires_at, checkpoint FROM sync_jobs WHERE id = ?1",
            [job_id],
            |r| {
                Ok(Row {
                    doc: r.get(0)?,
                    lease_owner: r.get(1)?,
                    lease_expires_at: r.get(2)?,
                    checkpoint: r.get(3)?,
                })
            },
        )
        .optional()?;
    row.map(|row| {
        Ok(JobRecord {
            job: from_json(&row.doc)?,
            lease_owner: row.lease_owner,
            lease_expires_at: row.lease_expires_at.map(Timestamp::from_millis),
            checkpoint: row.checkpoint.as_deref().map(from_json).transpose()?,
        })
    })
    .transpose()
}

/// Writes a job's doc and derived columns.
fn write_job(tx: &Connection, job: &SyncJob, now: Timestamp) -> StoreResult<()> {
    let active = job.status.is_active().then(|| job.config_id.0.clone());
    tx.execute(
        "UPDATE sync_jobs SET status = ?2, active_config = ?3, updated_at = ?4, doc = ?5 WHERE id = ?1",
        params![job.id.0, job.status.as_str(), active, now.millis(), to_json(job)?],
    )?;
    Ok(())
}

/// Loads a job held by `worker`, applies `change`, writes it back. `false` when
/// the worker does not hold the lease.
fn with_leased_job(
    tx: &Connection,
    job_id: &JobId,
    worker: &str,
    change: impl FnOnce(&mut SyncJob),
) -> StoreResult<bool> {
    let Some(record) = job_row(tx, &job_id.0)? else { return Ok(false) };
    if record.job.status != JobStatus::Running || record.lease_owner.as_deref() != Some(worker) {
        return Ok(false);
    }
    let mut job = record.job;
    change(&mut job);
    write_job(tx, &job, Timestamp::now())?;
    Ok(true)
}

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read_small(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?)).await
    }

    // ----- accounts -------------------------------------------------------------

    async fn create_user(&self, user: UserRecord) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO users (id, username, doc) VALUES (?1, ?2, ?3)",
                params![user.id.0, user.username, to_json(&user)?],
            )
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("the username {:?} is taken", user.username))
                }
                other => other,
            })?;
            Ok(())
        })
        .await
    }

    async fn find_user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let username = username.to_string();
        self.read_small(move |conn| {
            query_doc(conn, "SELECT doc FROM users WHERE username = ?1", [username])
        })
        .await
    }

    async fn get_user(&self, user_id: &UserId) -> StoreResult<Option<UserRecord>> {
        let id = user_id.0.clone();
        self.read_small(move |conn| query_doc(conn, "SELECT doc FROM users WHERE id = ?1", [id]))
            .await
    }

    async fn set_password_hash(&self, user_id: &UserId, hash: &str) -> StoreResult<()> {
        let (id, hash) = (user_id.0.clone(), hash.to_string());
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE users SET doc = json_set(doc, '$.password_hash', ?2) WHERE id = ?1",
                params![id, hash],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.read(|conn| {
            Ok(conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    async fn create_session(&self, session: SessionRecord) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO sessions (id_hash, user_id, expires_at, doc) VALUES (?1, ?2, ?3, ?4)",
                params![
                    session.id_hash,
                    session.user_id.0,
                    session.expires_at.millis(),
                    to_json(&session)?
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>> {
        let id_hash = id_hash.to_string();
        self.read_small(move |conn| {
            query_doc(
                conn,
                "SELECT doc FROM sessions WHERE id_hash = ?1 AND expires_at > ?2",
                params![id_hash, now.millis()],
            )
        })
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        let id_hash = id_hash.to_string();
        self.write(move |conn| {
            conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
            Ok(())
        })
        .await
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        self.transaction(move |tx| {
            let sessions =
                tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now.millis()])?;
            let states =
                tx.execute("DELETE FROM oauth_states WHERE expires_at <= ?1", [now.millis()])?;
            Ok((sessions + states) as u64)
        })
        .await
    }

    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO api_tokens (id, user_id, token_hash, doc) VALUES (?1, ?2, ?3, ?4)",
                params![token.id.0, token.user_id.0, token.token_hash, to_json(&token)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn use_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ApiTokenRecord>> {
        let hash = token_hash.to_string();
        let found: Option<ApiTokenRecord> = self
            .read(move |conn| {
                query_doc(conn, "SELECT doc FROM api_tokens WHERE token_hash = ?1", [hash])
            })
            .await?;
        let Some(mut token) = found else { return Ok(None) };
        if token
            .last_used_at
            .is_some_and(|t| now.millis() - t.millis() < TOKEN_USE_RESOLUTION_SECS * 1000)
        {
            return Ok(Some(token));
        }
        let hash = token_hash.to_string();
        self.write(move |conn| {
            conn.execute(
                "UPDATE api_tokens SET doc = json_set(doc, '$.last_used_at', ?2) WHERE token_hash = ?1",
                params![hash, now.to_rfc3339()],
            )?;
            Ok(())
        })
        .await?;
        token.last_used_at = Some(now);
        Ok(Some(token))
    }

    async fn list_api_tokens(&self, user_id: &UserId) -> StoreResult<Vec<ApiTokenRecord>> {
        let id = user_id.0.clone();
        self.read(move |conn| {
            query_docs(conn, "SELECT doc FROM api_tokens WHERE user_id = ?1 ORDER BY id", [id])
        })
        .await
    }

    async fn delete_api_token(&self, user_id: &UserId, token_id: &TokenId) -> StoreResult<()> {
        let (user, id) = (user_id.0.clone(), token_id.0.clone());
        self.write(move |conn| {
            let n =
                conn.execute("DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2", [id, user])?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn put_oauth_state(&self, state: OAuthStateRecord) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO oauth_states (state_hash, expires_at, doc) VALUES (?1, ?2, ?3)",
                params![state.state_hash, state.expires_at.millis(), to_json(&state)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OAuthStateRecord>> {
        let state_hash = state_hash.to_string();
        self.transaction(move |tx| {
            let state: Option<OAuthStateRecord> =
                query_doc(tx, "SELECT doc FROM oauth_states WHERE state_hash = ?1", [&state_hash])?;
            tx.execute("DELETE FROM oauth_states WHERE state_hash = ?1", [&state_hash])?;
            Ok(state.filter(|s| s.expires_at > now))
        })
        .await
    }

    // ----- vault key ring ----------------------------------------------------------

    async fn list_vault_keys(&self) -> StoreResult<Vec<VaultKeyRecord>> {
        self.read(|conn| query_docs(conn, "SELECT doc FROM vault_keys ORDER BY id", [])).await
    }

    async fn add_vault_key(&self, key: VaultKeyRecord, only_if_empty: bool) -> StoreResult<bool> {
        self.transaction(move |tx| {
            let existing: i64 =
                tx.query_row("SELECT COUNT(*) FROM vault_keys", [], |r| r.get(0))?;
            if only_if_empty && existing > 0 {
                return Ok(false);
            }
            if key.active {
                tx.execute(
                    "UPDATE vault_keys SET doc = json_set(doc, '$.active', json('false'))",
                    [],
                )?;
            }
            tx.execute(
                "INSERT INTO vault_keys (id, doc) VALUES (?1, ?2)",
                params![key.id, to_json(&key)?],
            )?;
            Ok(true)
        })
        .await
    }

    async fn delete_vault_key(&self, id: &str) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |conn| {
            conn.execute("DELETE FROM vault_keys WHERE id = ?1", [id])?;
            Ok(())
        })
        .await
    }

    // ----- provider catalogue ---------------------------------------------------

    async fn put_providers(&self, providers: &[ProviderInfo]) -> StoreResult<()> {
        let providers = providers.to_vec();
        self.transaction(move |tx| {
            tx.execute("DELETE FROM data_source_providers", [])?;
            for (position, provider) in providers.iter().enumerate() {
                tx.execute(
                    "INSERT INTO data_source_providers (id, position, doc) VALUES (?1, ?2, ?3)",
                    params![provider.id.as_str(), position as i64, to_json(provider)?],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn list_providers(&self) -> StoreResult<Vec<ProviderInfo>> {
        self.read(|conn| {
            query_docs(conn, "SELECT doc FROM data_source_providers ORDER BY position", [])
        })
        .await
    }

    // ----- connections ----------------------------------------------------------

    async fn insert_connection(&self, c: ConnectionRecord) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO user_connections (id, user_id, key_id, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.id.0, c.user_id.0, c.credentials.encryption_key_id, c.created_at.millis(), to_json(&c)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_connection(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
    ) -> StoreResult<Option<ConnectionRecord>> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.read_small(move |conn| {
            query_doc(
                conn,
                "SELECT doc FROM user_connections WHERE id = ?1 AND user_id = ?2",
                [id, user],
            )
        })
        .await
    }

    async fn list_connections(&self, user_id: &UserId) -> StoreResult<Vec<ConnectionRecord>> {
        let user = user_id.0.clone();
        self.read_small(move |conn| {
            query_docs(
                conn,
                "SELECT doc FROM user_connections WHERE user_id = ?1 ORDER BY created_at, id",
                [user],
            )
        })
        .await
    }

    async fn update_credentials(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        update: CredentialsUpdate,
        now: Timestamp,
    ) -> StoreResult<ConnectionRecord> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.transaction(move |tx| {
            let mut record: ConnectionRecord = query_doc(
                tx,
                "SELECT doc FROM user_connections WHERE id = ?1 AND user_id = ?2",
                [&id, &user],
            )?
            .ok_or(StoreError::NotFound)?;
            if record.credentials_version != update.expected_version {
                return Err(StoreError::Conflict(
                    "the credentials were changed by another writer".into(),
                ));
            }
            record.credentials = update.credentials;
            record.oauth_metadata = update.oauth_metadata;
            record.credentials_version += 1;
            if update.reactivate {
                record.status = ConnectionStatus::Active;
                record.status_message = None;
            }
            record.updated_at = now;
            tx.execute(
                "UPDATE user_connections SET key_id = ?2, doc = ?3 WHERE id = ?1",
                params![id, record.credentials.encryption_key_id, to_json(&record)?],
            )?;
            Ok(record)
        })
        .await
    }

    async fn set_connection_status(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        status: ConnectionStatus,
        message: Option<String>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE user_connections SET doc = json_set(doc, '$.status', ?3, '$.status_message', ?4, '$.updated_at', ?5)
                 WHERE id = ?1 AND user_id = ?2",
                params![id, user, status.as_str(), message, now.to_rfc3339()],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn rename_connection(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        display_name: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (user, id, name) = (user_id.0.clone(), id.0.clone(), display_name.to_string());
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE user_connections SET doc = json_set(doc, '$.display_name', ?3, '$.updated_at', ?4)
                 WHERE id = ?1 AND user_id = ?2",
                params![id, user, name, now.to_rfc3339()],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn mark_connection_validated(
        &self,
        user_id: &UserId,
        id: &ConnectionId,
        account: Option<String>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE user_connections SET doc = json_set(doc,
                    '$.last_validated_at', ?3,
                    '$.account', COALESCE(?4, json_extract(doc, '$.account')),
                    '$.status', 'active', '$.status_message', NULL)
                 WHERE id = ?1 AND user_id = ?2",
                params![id, user, now.to_rfc3339(), account],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn delete_connection(&self, user_id: &UserId, id: &ConnectionId) -> StoreResult<()> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.write(move |conn| {
            let n = conn.execute(
                "DELETE FROM user_connections WHERE id = ?1 AND user_id = ?2",
                [id, user],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn connections_not_sealed_with(
        &self,
        key_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<ConnectionRecord>> {
        let key_id = key_id.to_string();
        self.read(move |conn| {
            // A refresh token sealed with an old key counts too.
            query_docs(
                conn,
                "SELECT doc FROM user_connections
                 WHERE key_id != ?1
                    OR COALESCE(json_extract(doc, '$.oauth_metadata.refresh_token_encrypted.encryption_key_id'), ?1) != ?1
                 ORDER BY id LIMIT ?2",
                params![key_id, limit as i64],
            )
        })
        .await
    }

    async fn operator_find_connection(
        &self,
        id: &ConnectionId,
    ) -> StoreResult<Option<ConnectionRecord>> {
        let id = id.0.clone();
        self.read(move |conn| {
            query_doc(conn, "SELECT doc FROM user_connections WHERE id = ?1", [id])
        })
        .await
    }

    // ----- sync configurations --------------------------------------------------

    async fn insert_config(&self, config: SyncConfiguration) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO sync_configurations (id, user_id, connection_id, created_at, runnable, next_run_at, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    config.id.0,
                    config.user_id.0,
                    config.connection_id.0,
                    config.created_at.millis(),
                    config_runnable(&config),
                    config.schedule.next_run_at.map(Timestamp::millis),
                    to_json(&config)?
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_config(
        &self,
        user_id: &UserId,
        id: &ConfigId,
    ) -> StoreResult<Option<SyncConfiguration>> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.read_small(move |conn| {
            query_doc(
                conn,
                "SELECT doc FROM sync_configurations WHERE id = ?1 AND user_id = ?2",
                [id, user],
            )
        })
        .await
    }

    async fn list_configs(&self, user_id: &UserId) -> StoreResult<Vec<SyncConfiguration>> {
        let user = user_id.0.clone();
        self.read_small(move |conn| {
            query_docs(
                conn,
                "SELECT doc FROM sync_configurations WHERE user_id = ?1 ORDER BY created_at, id",
                [user],
            )
        })
        .await
    }

    async fn update_config(&self, config: &SyncConfiguration) -> StoreResult<()> {
        let config = config.clone();
        self.transaction(move |tx| {
            let mut stored: SyncConfiguration = query_doc(
                tx,
                "SELECT doc FROM sync_configurations WHERE id = ?1 AND user_id = ?2",
                [&config.id.0, &config.user_id.0],
            )?
            .ok_or(StoreError::NotFound)?;
            stored.name = config.name;
            stored.profile_key = config.profile_key;
            stored.source_paths = config.source_paths;
            stored.filters = config.filters;
            stored.schedule = config.schedule;
            stored.sync_options = config.sync_options;
            stored.updated_at = config.updated_at;
            tx.execute(
                "UPDATE sync_configurations SET runnable = ?2, next_run_at = ?3, doc = ?4 WHERE id = ?1",
                params![
                    stored.id.0,
                    config_runnable(&stored),
                    stored.schedule.next_run_at.map(Timestamp::millis),
                    to_json(&stored)?
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_config_status(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        status: ConfigStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE sync_configurations SET
                    doc = json_set(doc, '$.status', ?3, '$.updated_at', ?4),
                    runnable = (?3 = 'active' AND json_extract(doc, '$.schedule.enabled') = 1)
                 WHERE id = ?1 AND user_id = ?2",
                params![id, user, status.as_str(), now.to_rfc3339()],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn set_config_stats(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        stats: &ConfigStats,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (user, id, stats) = (user_id.0.clone(), id.0.clone(), to_json(stats)?);
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE sync_configurations SET doc = json_set(doc, '$.stats', json(?3), '$.updated_at', ?4)
                 WHERE id = ?1 AND user_id = ?2",
                params![id, user, stats, now.to_rfc3339()],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn set_next_run(
        &self,
        user_id: &UserId,
        id: &ConfigId,
        next_run_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE sync_configurations SET next_run_at = ?3, doc = json_set(doc, '$.schedule.next_run_at', ?4)
                 WHERE id = ?1 AND user_id = ?2",
                params![id, user, next_run_at.map(Timestamp::millis), next_run_at.map(Timestamp::to_rfc3339)],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn delete_config(&self, user_id: &UserId, id: &ConfigId) -> StoreResult<()> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.transaction(move |tx| {
            let n = tx.execute("DELETE FROM sync_configurations WHERE id = ?1 AND user_id = ?2", [&id, &user])?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute("DELETE FROM source_documents WHERE config_id = ?1", [&id])?;
            tx.execute("DELETE FROM document_totals WHERE config_id = ?1", [&id])?;
            tx.execute("DELETE FROM sync_state WHERE config_id = ?1", [&id])?;
            tx.execute(
                "DELETE FROM job_logs WHERE job_id IN (SELECT id FROM sync_jobs WHERE config_id = ?1)",
                [&id],
            )?;
            tx.execute(
                "DELETE FROM job_files WHERE job_id IN (SELECT id FROM sync_jobs WHERE config_id = ?1)",
                [&id],
            )?;
            tx.execute("DELETE FROM sync_jobs WHERE config_id = ?1", [&id])?;
            Ok(())
        })
        .await
    }

    async fn operator_find_config(&self, id: &ConfigId) -> StoreResult<Option<SyncConfiguration>> {
        let id = id.0.clone();
        self.read(move |conn| {
            query_doc(conn, "SELECT doc FROM sync_configurations WHERE id = ?1", [id])
        })
        .await
    }

    async fn due_configs(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<SyncConfiguration>> {
        self.read(move |conn| {
            query_docs(
                conn,
                "SELECT doc FROM sync_configurations
                 WHERE runnable = 1 AND next_run_at IS NOT NULL AND next_run_at <= ?1
                 ORDER BY next_run_at LIMIT ?2",
                params![now.millis(), limit as i64],
            )
        })
        .await
    }

    async fn advance_schedule(
        &self,
        id: &ConfigId,
        expected: Timestamp,
        next: Option<Timestamp>,
    ) -> StoreResult<bool> {
        let id = id.0.clone();
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE sync_configurations SET next_run_at = ?3, doc = json_set(doc, '$.schedule.next_run_at', ?4)
                 WHERE id = ?1 AND next_run_at = ?2",
                params![id, expected.millis(), next.map(Timestamp::millis), next.map(Timestamp::to_rfc3339)],
            )?;
            Ok(n == 1)
        })
        .await
    }

    // ----- jobs -----------------------------------------------------------------

    async fn enqueue_job(&self, job: SyncJob) -> StoreResult<Enqueued> {
        self.transaction(move |tx| {
            let existing: Option<SyncJob> =
                query_doc(tx, "SELECT doc FROM sync_jobs WHERE active_config = ?1", [&job.config_id.0])?;
            if let Some(existing) = existing {
                return Ok(Enqueued::AlreadyActive(existing));
            }
            tx.execute(
                "INSERT INTO sync_jobs (id, user_id, config_id, status, active_config, created_at, updated_at, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                params![
                    job.id.0,
                    job.user_id.0,
                    job.config_id.0,
                    job.status.as_str(),
                    job.status.is_active().then(|| job.config_id.0.clone()),
                    job.created_at.millis(),
                    to_json(&job)?
                ],
            )?;
            Ok(Enqueued::Created(job))
        })
        .await
    }

    async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>> {
        self.claim(None, worker, lease, now).await
    }

    async fn claim_job_by_id(
        &self,
        job_id: &JobId,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Option<JobRecord>> {
        self.claim(Some(job_id.0.clone()), worker, lease, now).await
    }

    async fn heartbeat(
        &self,
        job_id: &JobId,
        worker: &str,
        lease: Duration,
        now: Timestamp,
    ) -> StoreResult<Heartbeat> {
        let (id, worker) = (job_id.0.clone(), worker.to_string());
        self.transaction(move |tx| {
            let n = tx.execute(
                "UPDATE sync_jobs SET lease_expires_at = ?3
                 WHERE id = ?1 AND lease_owner = ?2 AND status = 'running'",
                params![id, worker, (now + lease).millis()],
            )?;
            if n == 0 {
                return Ok(Heartbeat::Lost);
            }
            let cancel: bool = tx.query_row(
                "SELECT COALESCE(json_extract(doc, '$.cancel_requested'), 0) FROM sync_jobs WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            Ok(if cancel { Heartbeat::CancelRequested } else { Heartbeat::Extended })
        })
        .await
    }

    async fn save_progress(
        &self,
        job_id: &JobId,
        worker: &str,
        progress: &Progress,
    ) -> StoreResult<bool> {
        let (id, worker, progress) = (job_id.clone(), worker.to_string(), progress.clone());
        self.transaction(move |tx| with_leased_job(tx, &id, &worker, |job| job.progress = progress))
            .await
    }

    async fn save_checkpoint(
        &self,
        job_id: &JobId,
        worker: &str,
        checkpoint: &serde_json::Value,
        progress: &Progress,
    ) -> StoreResult<bool> {
        let (id, worker, progress) = (job_id.clone(), worker.to_string(), progress.clone());
        let checkpoint = to_json(checkpoint)?;
        self.transaction(move |tx| {
            if !with_leased_job(tx, &id, &worker, |job| job.progress = progress)? {
                return Ok(false);
            }
            tx.execute(
                "UPDATE sync_jobs SET checkpoint = ?2 WHERE id = ?1",
                params![id.0, checkpoint],
            )?;
            Ok(true)
        })
        .await
    }

    async fn add_job_errors(
        &self,
        job_id: &JobId,
        worker: &str,
        errors: &[JobError],
    ) -> StoreResult<bool> {
        let (id, worker, errors) = (job_id.clone(), worker.to_string(), errors.to_vec());
        self.transaction(move |tx| {
            with_leased_job(tx, &id, &worker, |job| {
                let room = MAX_JOB_ERRORS.saturating_sub(job.errors.len());
                job.errors.extend(errors.into_iter().take(room));
            })
        })
        .await
    }

    async fn finish_job(
        &self,
        job_id: &JobId,
        worker: &str,
        end: JobEnd,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let (id, worker) = (job_id.clone(), worker.to_string());
        let JobEnd { outcome, progress, delta_token, message } = end;
        self.transaction(move |tx| {
            let done = with_leased_job(tx, &id, &worker, |job| {
                job.status = match outcome {
                    JobOutcome::Completed => JobStatus::Completed,
                    JobOutcome::Failed => JobStatus::Failed,
                    JobOutcome::Cancelled => JobStatus::Cancelled,
                };
                job.progress = progress;
                job.progress.current_file = None;
                job.completed_at = Some(now);
                if delta_token.is_some() {
                    job.delta_token = delta_token;
                }
                if message.is_some() {
                    job.message = message;
                }
            })?;
            if done {
                tx.execute(
                    "UPDATE sync_jobs SET lease_owner = NULL, lease_expires_at = NULL, checkpoint = NULL WHERE id = ?1",
                    [&id.0],
                )?;
            }
            Ok(done)
        })
        .await
    }

    async fn release_job(&self, job_id: &JobId, worker: &str, now: Timestamp) -> StoreResult<bool> {
        let (id, worker) = (job_id.clone(), worker.to_string());
        self.transaction(move |tx| {
            let released = with_leased_job(tx, &id, &worker, |job| {
                job.status = JobStatus::Pending;
                job.attempts = job.attempts.saturating_sub(1);
            })?;
            if released {
                tx.execute(
                    "UPDATE sync_jobs SET lease_owner = NULL, lease_expires_at = NULL, updated_at = ?2 WHERE id = ?1",
                    params![id.0, now.millis()],
                )?;
            }
            Ok(released)
        })
        .await
    }

    async fn request_cancel(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        message: &str,
        now: Timestamp,
    ) -> StoreResult<SyncJob> {
        let (user, id, message) = (user_id.0.clone(), job_id.0.clone(), message.to_string());
        self.transaction(move |tx| {
            let mut job: SyncJob = query_doc(
                tx,
                "SELECT doc FROM sync_jobs WHERE id = ?1 AND user_id = ?2",
                [&id, &user],
            )?
            .ok_or(StoreError::NotFound)?;
            match job.status {
                JobStatus::Pending => {
                    job.status = JobStatus::Cancelled;
                    job.completed_at = Some(now);
                    job.message = Some(message);
                }
                JobStatus::Running => {
                    job.cancel_requested = true;
                    job.message = Some(message);
                }
                _ => return Ok(job),
            }
            write_job(tx, &job, now)?;
            Ok(job)
        })
        .await
    }

    async fn reap_expired_leases(
        &self,
        now: Timestamp,
        max_attempts: u32,
    ) -> StoreResult<Vec<SyncJob>> {
        self.transaction(move |tx| {
            let ids: Vec<String> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id FROM sync_jobs WHERE status = 'running' AND lease_expires_at < ?1",
                )?;
                stmt.query_map([now.millis()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            let mut changed = Vec::new();
            for id in ids {
                let Some(record) = job_row(tx, &id)? else { continue };
                let mut job = record.job;
                if job.cancel_requested {
                    job.status = JobStatus::Cancelled;
                    job.completed_at = Some(now);
                } else if job.attempts >= max_attempts {
                    job.status = JobStatus::Failed;
                    job.completed_at = Some(now);
                    job.message = Some(format!(
                        "gave up after {} attempts: the worker running it stopped responding",
                        job.attempts
                    ));
                } else {
                    job.status = JobStatus::Pending;
                }
                write_job(tx, &job, now)?;
                tx.execute(
                    "UPDATE sync_jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1",
                    [&id],
                )?;
                changed.push(job);
            }
            Ok(changed)
        })
        .await
    }

    async fn get_job(&self, user_id: &UserId, id: &JobId) -> StoreResult<Option<JobRecord>> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.read(move |conn| {
            let owned: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM sync_jobs WHERE id = ?1 AND user_id = ?2",
                    [&id, &user],
                    |r| r.get(0),
                )
                .optional()?;
            if owned.is_none() {
                return Ok(None);
            }
            job_row(conn, &id)
        })
        .await
    }

    async fn list_jobs(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        page: u32,
        per_page: u32,
    ) -> StoreResult<Page<SyncJob>> {
        let (user, config) = (user_id.0.clone(), config_id.0.clone());
        let (page, per_page) = clamp_paging(page, per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE);
        self.read(move |conn| {
            let total: i64 = conn.query_row(
                "SELECT COUNT(*) FROM sync_jobs WHERE user_id = ?1 AND config_id = ?2",
                [&user, &config],
                |r| r.get(0),
            )?;
            let items = query_docs(
                conn,
                "SELECT doc FROM sync_jobs WHERE user_id = ?1 AND config_id = ?2
                 ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4",
                params![user, config, per_page, (page - 1) * per_page],
            )?;
            Ok(Page { items, total: total as u64, page, per_page })
        })
        .await
    }

    async fn recent_jobs(&self, user_id: &UserId, limit: usize) -> StoreResult<Vec<SyncJob>> {
        let user = user_id.0.clone();
        self.read(move |conn| {
            query_docs(
                conn,
                "SELECT doc FROM sync_jobs WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
                params![user, limit as i64],
            )
        })
        .await
    }

    async fn active_job(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<Option<SyncJob>> {
        let (user, config) = (user_id.0.clone(), config_id.0.clone());
        self.read(move |conn| {
            query_doc(
                conn,
                "SELECT doc FROM sync_jobs WHERE active_config = ?1 AND user_id = ?2",
                [config, user],
            )
        })
        .await
    }

    async fn jobs_changed_since(
        &self,
        user_id: Option<&UserId>,
        since: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<SyncJob>> {
        let user = user_id.map(|u| u.0.clone());
        self.read(move |conn| {
            query_docs(
                conn,
                "SELECT doc FROM sync_jobs WHERE (?1 IS NULL OR user_id = ?1) AND updated_at > ?2
                 ORDER BY updated_at LIMIT ?3",
                params![user, since.millis(), limit as i64],
            )
        })
        .await
    }

    async fn job_counts(&self) -> StoreResult<Vec<(JobStatus, u64)>> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT status, COUNT(*) FROM sync_jobs GROUP BY status")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (status, count) = row?;
                let status: JobStatus = serde_json::from_value(serde_json::Value::String(status))?;
                out.push((status, count as u64));
            }
            Ok(out)
        })
        .await
    }

    async fn add_job_files(&self, files: &[JobFileRecord]) -> StoreResult<()> {
        if files.is_empty() {
            return Ok(());
        }
        let files = files.to_vec();
        self.transaction(move |tx| {
            let job_id = files[0].job_id.0.clone();
            let stored: i64 =
                tx.query_row("SELECT COUNT(*) FROM job_files WHERE job_id = ?1", [&job_id], |r| r.get(0))?;
            let room = MAX_JOB_FILES.saturating_sub(stored as usize);
            let mut insert = tx.prepare_cached(
                "INSERT INTO job_files (job_id, path, remote_id, action, bytes, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for file in files.iter().take(room) {
                let action = serde_json::to_value(file.action)?;
                insert.execute(params![
                    file.job_id.0,
                    file.path,
                    file.remote_id,
                    action.as_str().unwrap_or("unknown"),
                    file.bytes as i64,
                    file.at.millis()
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn list_job_files(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        limit: usize,
    ) -> StoreResult<(Vec<JobFile>, u64)> {
        let (user, id) = (user_id.0.clone(), job_id.0.clone());
        self.read(move |conn| {
            let owned: Option<i64> = conn
                .query_row("SELECT 1 FROM sync_jobs WHERE id = ?1 AND user_id = ?2", [&id, &user], |r| r.get(0))
                .optional()?;
            if owned.is_none() {
                return Err(StoreError::NotFound);
            }
            let total: i64 =
                conn.query_row("SELECT COUNT(*) FROM job_files WHERE job_id = ?1", [&id], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(
                "SELECT path, remote_id, action, bytes, at FROM job_files WHERE job_id = ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![id, limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?))
            })?;
            let mut files = Vec::new();
            for row in rows {
                let (path, remote_id, action, bytes, at) = row?;
                files.push(JobFile {
                    path,
                    remote_id,
                    action: serde_json::from_value(serde_json::Value::String(action))?,
                    bytes: bytes as u64,
                    at: Timestamp::from_millis(at),
                });
            }
            Ok((files, total as u64))
        })
        .await
    }

    async fn append_job_log(
        &self,
        job_id: &JobId,
        lines: &[(Timestamp, LogLevel, String)],
    ) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let (id, lines) = (job_id.0.clone(), lines.to_vec());
        self.transaction(move |tx| {
            let last: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM job_logs WHERE job_id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO job_logs (job_id, seq, at, level, message) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (offset, (at, level, message)) in lines.iter().enumerate() {
                insert.execute(params![id, last + 1 + offset as i64, at.millis(), super::level_str(*level), message])?;
            }
            let newest = last + lines.len() as i64;
            tx.execute(
                "DELETE FROM job_logs WHERE job_id = ?1 AND seq <= ?2",
                params![id, newest - MAX_JOB_LOG_LINES as i64],
            )?;
            Ok(())
        })
        .await
    }

    async fn job_log(
        &self,
        user_id: &UserId,
        job_id: &JobId,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<JobLogLine>> {
        let (user, id) = (user_id.0.clone(), job_id.0.clone());
        self.read(move |conn| {
            let owned: Option<i64> = conn
                .query_row("SELECT 1 FROM sync_jobs WHERE id = ?1 AND user_id = ?2", [&id, &user], |r| r.get(0))
                .optional()?;
            if owned.is_none() {
                return Err(StoreError::NotFound);
            }
            let mut stmt = conn.prepare_cached(
                "SELECT seq, at, level, message FROM job_logs WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![id, after as i64, limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })?;
            let mut lines = Vec::new();
            for row in rows {
                let (seq, at, level, message) = row?;
                lines.push(JobLogLine {
                    job_id: JobId(id.clone()),
                    seq: seq as u64,
                    at: Timestamp::from_millis(at),
                    level: serde_json::from_value(serde_json::Value::String(level))?,
                    message,
                });
            }
            Ok(lines)
        })
        .await
    }

    // ----- sync state ------------------------------------------------------------

    async fn get_sync_states(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<Vec<SyncStateRecord>> {
        let (user, config) = (user_id.0.clone(), config_id.0.clone());
        self.read(move |conn| {
            query_docs(
                conn,
                "SELECT doc FROM sync_state WHERE config_id = ?1 AND user_id = ?2 ORDER BY scope",
                [config, user],
            )
        })
        .await
    }

    async fn put_sync_state(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        state: &SyncStateRecord,
    ) -> StoreResult<()> {
        let (user, config, state) = (user_id.0.clone(), config_id.0.clone(), state.clone());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO sync_state (config_id, scope, user_id, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (config_id, scope) DO UPDATE SET doc = excluded.doc
                 WHERE sync_state.user_id = excluded.user_id",
                params![config, state.scope, user, to_json(&state)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn clear_sync_states(&self, user_id: &UserId, config_id: &ConfigId) -> StoreResult<()> {
        let (user, config) = (user_id.0.clone(), config_id.0.clone());
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM sync_state WHERE config_id = ?1 AND user_id = ?2",
                [config, user],
            )?;
            Ok(())
        })
        .await
    }

    // ----- documents --------------------------------------------------------------

    async fn upsert_documents(&self, documents: &[SourceDocument]) -> StoreResult<UpsertCounts> {
        if documents.is_empty() {
            return Ok(UpsertCounts::default());
        }
        let documents = documents.to_vec();
        self.transaction(move |tx| {
            let mut counts = UpsertCounts::default();
            let mut existing_id = tx.prepare_cached(
                "SELECT id FROM source_documents WHERE config_id = ?1 AND remote_id = ?2",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO source_documents
                   (id, user_id, config_id, remote_id, path, name, version, content_hash, size_bytes, indexed_at, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (id) DO UPDATE SET
                   path = excluded.path, name = excluded.name, version = excluded.version,
                   content_hash = excluded.content_hash, size_bytes = excluded.size_bytes,
                   indexed_at = excluded.indexed_at, doc = excluded.doc",
            )?;
            for mut doc in documents {
                let id: Option<String> = existing_id
                    .query_row([&doc.config_id.0, &doc.remote_id], |r| r.get(0))
                    .optional()?;
                match id {
                    Some(id) => {
                        doc.id = DocumentId(id);
                        counts.updated += 1;
                    }
                    None => counts.inserted += 1,
                }
                insert.execute(params![
                    doc.id.0,
                    doc.user_id.0,
                    doc.config_id.0,
                    doc.remote_id,
                    doc.path,
                    doc.name,
                    doc.version,
                    doc.content_hash,
                    doc.size_bytes as i64,
                    doc.indexed_at.millis(),
                    to_json(&doc)?
                ])?;
            }
            Ok(counts)
        })
        .await
    }

    async fn indexed_items(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_ids: &[String],
    ) -> StoreResult<Vec<IndexedItem>> {
        let (user, config, ids) = (user_id.0.clone(), config_id.0.clone(), remote_ids.to_vec());
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT remote_id, path, version, content_hash, size_bytes FROM source_documents
                 WHERE config_id = ?1 AND remote_id = ?2 AND user_id = ?3",
            )?;
            let mut out = Vec::with_capacity(ids.len());
            for remote_id in &ids {
                let item = stmt
                    .query_row(params![config, remote_id, user], |r| {
                        Ok(IndexedItem {
                            remote_id: r.get(0)?,
                            path: r.get(1)?,
                            version: r.get(2)?,
                            content_hash: r.get(3)?,
                            size_bytes: r.get::<_, i64>(4)? as u64,
                        })
                    })
                    .optional()?;
                out.extend(item);
            }
            Ok(out)
        })
        .await
    }

    async fn move_document(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        remote_id: &str,
        path: &str,
        name: &str,
    ) -> StoreResult<()> {
        let (user, config, remote_id, path, name) = (
            user_id.0.clone(),
            config_id.0.clone(),
            remote_id.to_string(),
            path.to_string(),
            name.to_string(),
        );
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE source_documents SET path = ?4, name = ?5, doc = json_set(doc, '$.path', ?4, '$.name', ?5)
                 WHERE config_id = ?1 AND remote_id = ?2 AND user_id = ?3",
                params![config, remote_id, user, path, name],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
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
        let (user, config, ids) = (user_id.0.clone(), config_id.0.clone(), remote_ids.to_vec());
        self.transaction(move |tx| {
            // `<id>#…` are documents derived from `<id>` (attachments).
            let mut stmt = tx.prepare_cached(&format!(
                "DELETE FROM source_documents WHERE config_id = ?1 AND user_id = ?2 AND {SAME_ITEM}"
            ))?;
            let mut deleted = 0;
            for id in &ids {
                deleted += stmt.execute(params![config, user, id])? as u64;
            }
            Ok(deleted)
        })
        .await
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
        let (user, config, ids, mark) =
            (user_id.0.clone(), config_id.0.clone(), remote_ids.to_vec(), mark.to_string());
        self.transaction(move |tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE source_documents SET sweep_mark = ?4 WHERE config_id = ?1 AND user_id = ?2 AND {SAME_ITEM}"
            ))?;
            for id in &ids {
                stmt.execute(params![config, user, id, mark])?;
            }
            Ok(())
        })
        .await
    }

    async fn sweep_unmarked(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        mark: &str,
    ) -> StoreResult<Vec<String>> {
        let (user, config, mark) = (user_id.0.clone(), config_id.0.clone(), mark.to_string());
        self.transaction(move |tx| {
            let ids: Vec<String> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT remote_id FROM source_documents
                     WHERE config_id = ?1 AND user_id = ?2 AND (sweep_mark IS NULL OR sweep_mark != ?3)",
                )?;
                stmt.query_map(params![config, user, mark], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            tx.execute(
                "DELETE FROM source_documents
                 WHERE config_id = ?1 AND user_id = ?2 AND (sweep_mark IS NULL OR sweep_mark != ?3)",
                params![config, user, mark],
            )?;
            Ok(ids)
        })
        .await
    }

    async fn remote_ids_page(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<String>> {
        let (user, config, after) =
            (user_id.0.clone(), config_id.0.clone(), after.unwrap_or("").to_string());
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT remote_id FROM source_documents WHERE config_id = ?1 AND user_id = ?2 AND remote_id > ?3
                 ORDER BY remote_id LIMIT ?4",
            )?;
            let ids = stmt
                .query_map(params![config, user, after, limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(ids)
        })
        .await
    }

    async fn remote_ids_under(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
        path_prefix: &str,
    ) -> StoreResult<Vec<String>> {
        let (user, config) = (user_id.0.clone(), config_id.0.clone());
        let prefix = format!("{}/", path_prefix.trim_end_matches('/'));
        self.read(move |conn| {
            // substr comparison rather than LIKE: paths may contain % and _.
            let mut stmt = conn.prepare_cached(
                "SELECT remote_id FROM source_documents
                 WHERE config_id = ?1 AND user_id = ?2 AND substr(path, 1, length(?3)) = ?3",
            )?;
            let ids = stmt
                .query_map(params![config, user, prefix], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(ids)
        })
        .await
    }

    async fn document_stats(
        &self,
        user_id: &UserId,
        config_id: &ConfigId,
    ) -> StoreResult<(u64, u64)> {
        let (user, config) = (user_id.0.clone(), config_id.0.clone());
        self.read(move |conn| {
            let totals = conn
                .prepare_cached(
                    "SELECT files, bytes FROM document_totals WHERE config_id = ?1 AND user_id = ?2",
                )?
                .query_row([config, user], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
                })
                .optional()?;
            Ok(totals.unwrap_or_default())
        })
        .await
    }

    async fn list_documents(
        &self,
        user_id: &UserId,
        query: &DocumentQuery,
    ) -> StoreResult<Page<DocumentSummary>> {
        let user = user_id.0.clone();
        let query = query.clone();
        let (page, per_page) =
            clamp_paging(query.page, query.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE);
        self.read(move |conn| {
            let config = query.config_id.map(|c| c.0);
            let search =
                query.search.filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_lowercase());
            let filter = "user_id = ?1 AND (?2 IS NULL OR config_id = ?2)
                 AND (?3 IS NULL OR instr(lower(name), ?3) > 0 OR instr(lower(path), ?3) > 0)";
            let total: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM source_documents WHERE {filter}"),
                params![user, config, search],
                |r| r.get(0),
            )?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT json_remove(doc, '$.text', '$.chunks'), json_array_length(doc, '$.chunks')
                 FROM source_documents WHERE {filter} ORDER BY path, id LIMIT ?4 OFFSET ?5"
            ))?;
            let rows = stmt
                .query_map(params![user, config, search, per_page, (page - 1) * per_page], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?;
            let mut items = Vec::new();
            for row in rows {
                let (doc, chunks) = row?;
                let mut value: serde_json::Value = serde_json::from_str(&doc)?;
                value["text"] = serde_json::Value::String(String::new());
                value["chunks"] = serde_json::Value::Array(Vec::new());
                let doc: SourceDocument = serde_json::from_value(value)?;
                let mut summary = DocumentSummary::from(&doc);
                summary.chunk_count = chunks as u32;
                items.push(summary);
            }
            Ok(Page { items, total: total as u64, page, per_page })
        })
        .await
    }

    async fn get_document(
        &self,
        user_id: &UserId,
        id: &DocumentId,
    ) -> StoreResult<Option<SourceDocument>> {
        let (user, id) = (user_id.0.clone(), id.0.clone());
        self.read(move |conn| {
            query_doc(
                conn,
                "SELECT doc FROM source_documents WHERE id = ?1 AND user_id = ?2",
                [id, user],
            )
        })
        .await
    }

    async fn dashboard_stats(&self, user_id: &UserId) -> StoreResult<DashboardStats> {
        let user = user_id.0.clone();
        self.read_small(move |conn| {
            let count = |sql: &str| -> rusqlite::Result<i64> {
                conn.prepare_cached(sql)?.query_row([&user], |r| r.get(0))
            };
            let total_connections = count("SELECT COUNT(*) FROM user_connections WHERE user_id = ?1")?;
            let active_syncs = count(
                "SELECT COUNT(*) FROM sync_jobs WHERE user_id = ?1 AND status IN ('pending', 'running')",
            )?;
            let (files, bytes): (i64, i64) = conn
                .prepare_cached(DOCUMENT_TOTALS)?
                .query_row([&user], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let next: Option<i64> = conn
                .prepare_cached(
                    "SELECT MIN(next_run_at) FROM sync_configurations WHERE user_id = ?1 AND runnable = 1",
                )?
                .query_row([&user], |r| r.get(0))?;
            Ok(DashboardStats {
                total_connections: total_connections as u64,
                active_syncs: active_syncs as u64,
                total_files_indexed: files as u64,
                total_size_bytes: bytes as u64,
                next_scheduled_sync: next.map(Timestamp::from_millis),
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
        conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params, |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_store_written_before_the_document_totals_is_counted_when_opened() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let insert = "INSERT INTO source_documents (id, user_id, config_id, remote_id, path, name,
                      content_hash, size_bytes, indexed_at, doc) VALUES (?1, ?2, ?3, ?1, '', '', '', ?4, 0, '{}')";
        for (id, user, config, size) in
            [("a", "u1", "c1", 10), ("b", "u1", "c2", 5), ("c", "u2", "c3", 7)]
        {
            conn.execute(insert, params![id, user, config, size]).unwrap();
        }
        // As an older binary left it: documents, and no totals.
        conn.execute("DELETE FROM document_totals", []).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let totals = |user: &str| -> (i64, i64) {
            conn.query_row(DOCUMENT_TOTALS, [user], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
        };
        assert_eq!((totals("u1"), totals("u2")), ((2, 15), (1, 7)));
        // Opening again does not count twice.
        conn.execute_batch(SCHEMA).unwrap();
        assert_eq!(totals("u1"), (2, 15));
        let plan = plan(&conn, DOCUMENT_TOTALS, ["u1"]);
        assert!(
            plan.iter().any(|step| step.contains("USING INDEX document_totals_user")),
            "{plan:?}"
        );
    }

    #[test]
    fn one_item_s_documents_are_found_through_the_index() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let sql = format!(
            "SELECT remote_id FROM source_documents WHERE config_id = ?1 AND user_id = ?2 AND {SAME_ITEM}"
        );
        let plan = plan(&conn, &sql, ["c", "u", "a"]);
        assert!(plan.iter().any(|step| step.contains("remote_id>? AND remote_id<?")), "{plan:?}");

        // The item and what derives from it; not its neighbours in the sort order.
        let insert = "INSERT INTO source_documents (id, user_id, config_id, remote_id, path, name,
                      content_hash, size_bytes, indexed_at, doc) VALUES (?1, 'u', 'c', ?1, '', '', '', 0, 0, '{}')";
        for id in ["/x/a", "/x/a#1", "/x/a#2/b", "/x/a b", "/x/a!", "/x/a$", "/x/ab", "/x/"] {
            conn.execute(insert, [id]).unwrap();
        }
        let found: Vec<String> = conn
            .prepare(&sql)
            .unwrap()
            .query_map(["c", "u", "/x/a"], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(found, ["/x/a", "/x/a#1", "/x/a#2/b"]);
    }
}
