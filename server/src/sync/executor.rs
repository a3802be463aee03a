//! Runs one sync job through its phases: listing → downloading → processing →
//! indexing.
//!
//! - **Full** runs take the change cursors first, list every selected folder
//!   page by page, mark what they see, sweep what they did not (when deletions
//!   are propagated), and only then save the cursors.
//! - **Incremental** runs read each scope's change feed from its saved cursor;
//!   deletions apply at once; a rejected cursor turns the run into a full one.
//! - Every page ends with a checkpoint, so a job resumed after a crash starts
//!   at its last page, and files finished before the crash are skipped as
//!   unchanged (their version is already indexed).
//! - A file that fails is recorded with its error type and the job goes on;
//!   the next incremental run tries it once more (the cursor has moved past it).
//!   A sign-in the provider no longer accepts ends the run instead.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use app::model::{
    AuthType, ConnectionStatus, FileAction, FileErrorType, JobType, LogLevel, MAX_JOB_FILES,
    SkipReason, SourceDocument, SourcePath, SyncConfiguration, SyncPhase, Timestamp,
};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

use super::filters::CompiledFilters;
use super::run::{Checkpoint, JobRun, Mode, Stop};
use crate::ingest::{self, ChunkOptions, Extracted, Limits};
use crate::providers::{Change, ErrorKind, Provider, ProviderError, RemoteItem};
use crate::service::Service;
use crate::store::{IndexedItem, SyncStateRecord, new_id};

/// Tunables of the executor.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Files downloaded and extracted at once per job.
    pub download_concurrency: usize,
    pub limits: Limits,
    pub chunking: ChunkOptions,
}

impl Default for ExecutorOptions {
    fn default() -> Self {
        Self {
            download_concurrency: 8,
            limits: Limits::default(),
            chunking: ChunkOptions::default(),
        }
    }
}

pub struct Executor {
    service: Arc<Service>,
    options: ExecutorOptions,
    /// Megabytes of downloads in flight across all jobs, so a few huge files
    /// cannot exhaust memory.
    download_budget: Arc<Semaphore>,
}

/// Documents are written in batches of at most this many…
const INDEX_BATCH: usize = 50;
/// …or at least this often.
const INDEX_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Files of the previous run's failures tried again per run.
const MAX_RETRIED_FILES: usize = 1000;

/// Megabytes of file content held in memory at once by all jobs.
const DOWNLOAD_BUDGET_MB: usize = 256;

/// What a finished run hands back for the job record.
pub struct Outcome {
    pub delta_token: Option<String>,
    pub summary: String,
}

/// The job, its configuration and provider, for one run.
struct Ctx<'a> {
    config: &'a SyncConfiguration,
    provider: &'a Arc<dyn Provider>,
    filters: &'a CompiledFilters,
    connection_label: String,
}

impl Executor {
    pub fn new(service: Arc<Service>, options: ExecutorOptions) -> Self {
        Self { service, options, download_budget: Arc::new(Semaphore::new(DOWNLOAD_BUDGET_MB)) }
    }

    /// Runs the job in `run` from `checkpoint` (or the start).
    pub async fn execute(
        &self,
        run: &mut JobRun,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Outcome, Stop> {
        let store = self.service.store.clone();
        let user = run.job.user_id.clone();
        let config = store
            .get_config(&user, &run.job.config_id)
            .await?
            .ok_or_else(|| Stop::Failed("the sync configuration was deleted".into()))?;
        let connection = store
            .get_connection(&user, &run.job.connection_id)
            .await?
            .ok_or_else(|| Stop::Failed("the connection was deleted".into()))?;
        if connection.status.needs_reconnect() {
            return Err(Stop::Failed(format!(
                "the connection \"{}\" must be reconnected: {}",
                connection.display_name,
                connection.status_message.as_deref().unwrap_or(connection.status.as_str())
            )));
        }
        let provider =
            self.service.provider_for(&connection).map_err(|e| Stop::Failed(e.to_string()))?;
        let filters = CompiledFilters::new(&config.filters).map_err(Stop::Failed)?;
        let ctx = Ctx {
            config: &config,
            provider: &provider,
            filters: &filters,
            connection_label: connection.display_name.clone(),
        };

        let states = store.get_sync_states(&user, &config.id).await?;
        let mut checkpoint = match checkpoint {
            Some(checkpoint) => {
                run.log(
                    LogLevel::Info,
                    format!("resuming after an interruption (attempt {})", run.job.attempts),
                );
                checkpoint
            }
            None if run.job.job_type == JobType::Full || states.is_empty() => Checkpoint::default(),
            None => Checkpoint { mode: Mode::Incremental, ..Default::default() },
        };
        loop {
            let result = match checkpoint.mode {
                Mode::Full => self.full(run, &ctx, &mut checkpoint).await,
                Mode::Incremental => self.incremental(run, &ctx, &mut checkpoint, &states).await,
            };
            match result {
                Err(RunError::Provider(e))
                    if e.kind() == ErrorKind::CursorInvalid
                        && checkpoint.mode == Mode::Incremental =>
                {
                    run.log(
                        LogLevel::Warn,
                        format!(
                            "{}: the change feed must start over ({}); listing everything",
                            ctx.connection_label,
                            e.message()
                        ),
                    );
                    checkpoint = Checkpoint {
                        reset_reason: Some(e.message().to_string()),
                        ..Default::default()
                    };
                }
                Err(RunError::Provider(e)) => {
                    let message = provider_failure(
                        connection.provider.display_name(),
                        &e,
                        connection.auth_type,
                    );
                    // OAuth connections are marked expired by the token manager; a
                    // rejected password shows on the connection too.
                    if e.kind() == ErrorKind::AuthExpired
                        && connection.auth_type != AuthType::OAuth2
                    {
                        let _ = store
                            .set_connection_status(
                                &user,
                                &connection.id,
                                ConnectionStatus::Error,
                                Some(message.clone()),
                                Timestamp::now(),
                            )
                            .await;
                        if connection.status == ConnectionStatus::Active {
                            self.service.alerts.connection(
                                &connection,
                                ConnectionStatus::Error,
                                &message,
                            );
                        }
                    }
                    return Err(Stop::Failed(message));
                }
                Err(RunError::Stop(stop)) => return Err(stop),
                Ok(outcome) => return Ok(outcome),
            }
        }
    }

    async fn full(
        &self,
        run: &mut JobRun,
        ctx: &Ctx<'_>,
        checkpoint: &mut Checkpoint,
    ) -> Result<Outcome, RunError> {
        let store = self.service.store.clone();
        let mark = run.job.id.to_string();
        run.phase(SyncPhase::Listing);
        if checkpoint.start_cursors.is_none() {
            // Taken before listing, so changes made during the listing are not missed.
            checkpoint.start_cursors =
                Some(ctx.provider.start_cursors(&ctx.config.source_paths).await?);
            run.log(LogLevel::Info, "full sync: listing the selected folders");
            run.checkpoint(checkpoint).await?;
        }
        for (index, selection) in
            ctx.config.source_paths.iter().enumerate().skip(checkpoint.path_index)
        {
            let mut page =
                if index == checkpoint.path_index { checkpoint.page.take() } else { None };
            loop {
                run.check_stop()?;
                let listed = match ctx.provider.list_page(selection, page.as_deref()).await {
                    Ok(listed) => listed,
                    // A selected folder that is gone: its documents are swept.
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        run.log(
                            LogLevel::Warn,
                            format!("{} no longer exists: {}", selection.path, e.message()),
                        );
                        break;
                    }
                    Err(e) => return Err(e.into()),
                };
                let ids: Vec<String> = listed.items.iter().map(|i| i.id.clone()).collect();
                self.process(run, ctx, listed.items, true).await?;
                store
                    .mark_seen(&run.job.user_id, &ctx.config.id, &ids, &mark)
                    .await
                    .map_err(Stop::from)?;
                page = listed.next;
                checkpoint.path_index = index;
                checkpoint.page = page.clone();
                run.checkpoint(checkpoint).await?;
                if page.is_none() {
                    break;
                }
            }
            checkpoint.path_index = index + 1;
        }
        run.check_stop()?;

        run.phase(SyncPhase::Indexing);
        if ctx.config.sync_options.delete_removed {
            let removed = store
                .sweep_unmarked(&run.job.user_id, &ctx.config.id, &mark)
                .await
                .map_err(Stop::from)?;
            // Derived documents (attachments) go with their parent: count parents.
            let parents = removed.iter().filter(|id| !id.contains('#')).count() as u64;
            run.progress().files_deleted += parents;
            if parents > 0 {
                run.log(
                    LogLevel::Info,
                    format!("removed {parents} document(s) whose source is gone"),
                );
            }
        }
        let cursors = checkpoint.start_cursors.clone().unwrap_or_default();
        store.clear_sync_states(&run.job.user_id, &ctx.config.id).await.map_err(Stop::from)?;
        for cursor in &cursors {
            let state = SyncStateRecord {
                scope: cursor.scope.clone(),
                cursor: cursor.cursor.clone(),
                updated_at: Timestamp::now(),
            };
            store
                .put_sync_state(&run.job.user_id, &ctx.config.id, &state)
                .await
                .map_err(Stop::from)?;
        }
        Ok(Outcome { delta_token: summary_cursor(&cursors), summary: self.summary(run, "full") })
    }

    async fn incremental(
        &self,
        run: &mut JobRun,
        ctx: &Ctx<'_>,
        checkpoint: &mut Checkpoint,
        states: &[SyncStateRecord],
    ) -> Result<Outcome, RunError> {
        let store = self.service.store.clone();
        run.phase(SyncPhase::Listing);
        let mut last_cursor = None;
        for state in states {
            if checkpoint.done_scopes.contains(&state.scope) {
                continue;
            }
            let mut cursor = match &checkpoint.scope {
                Some(saved) if saved.scope == state.scope => saved.cursor.clone(),
                _ => state.cursor.clone(),
            };
            loop {
                run.check_stop()?;
                let page =
                    ctx.provider.changes(&ctx.config.source_paths, &state.scope, &cursor).await?;
                let mut upserts = Vec::new();
                let mut deletions = Vec::new();
                for change in page.changes {
                    match change {
                        Change::Upsert(item) => upserts.push(*item),
                        Change::Delete { id } => deletions.push(id),
                    }
                }
                run.progress().files_discovered += (upserts.len() + deletions.len()) as u64;
                if !deletions.is_empty() && ctx.config.sync_options.delete_removed {
                    let removed = store
                        .delete_documents(&run.job.user_id, &ctx.config.id, &deletions)
                        .await
                        .map_err(Stop::from)?;
                    run.progress().files_deleted += removed;
                }
                self.process(run, ctx, upserts, false).await?;
                cursor = page.cursor;
                if page.done {
                    // Everything the cursor covers is stored: now it may be saved.
                    let record = SyncStateRecord {
                        scope: state.scope.clone(),
                        cursor: cursor.clone(),
                        updated_at: Timestamp::now(),
                    };
                    store
                        .put_sync_state(&run.job.user_id, &ctx.config.id, &record)
                        .await
                        .map_err(Stop::from)?;
                    checkpoint.done_scopes.push(state.scope.clone());
                    checkpoint.scope = None;
                    run.checkpoint(checkpoint).await?;
                    break;
                }
                checkpoint.scope = Some(crate::providers::ScopeCursor {
                    scope: state.scope.clone(),
                    cursor: cursor.clone(),
                });
                run.checkpoint(checkpoint).await?;
            }
            last_cursor = Some(cursor);
        }
        self.retry_previous_failures(run, ctx).await?;
        Ok(Outcome {
            delta_token: last_cursor.map(|c| truncate_cursor(&c)),
            summary: self.summary(run, "incremental"),
        })
    }

    /// Files that failed in the previous run: the saved cursor is past them,
    /// so the change feed will not bring them back. Each gets one more try.
    async fn retry_previous_failures(
        &self,
        run: &mut JobRun,
        ctx: &Ctx<'_>,
    ) -> Result<(), RunError> {
        let store = self.service.store.clone();
        let user = run.job.user_id.clone();
        let recent = store.list_jobs(&user, &ctx.config.id, 1, 5).await?;
        let Some(previous) =
            recent.items.iter().find(|j| j.id != run.job.id && !j.status.is_active())
        else {
            return Ok(());
        };
        // Most runs fail nothing: then there is no file list (up to 10,000 entries) to read.
        if previous.progress.files_failed == 0 {
            return Ok(());
        }
        let (files, _) = store.list_job_files(&user, &previous.id, MAX_JOB_FILES).await?;
        let failed: BTreeSet<&str> = files
            .iter()
            .filter(|f| f.action == FileAction::Failed)
            .map(|f| f.remote_id.as_str())
            .filter(|id| !id.contains('#')) // an attachment is retried with its message
            .take(MAX_RETRIED_FILES)
            .collect();
        let mut items = Vec::new();
        for id in failed {
            run.check_stop()?;
            match ctx.provider.metadata(id).await {
                Ok(item) if in_selection(&item, &ctx.config.source_paths) => items.push(item),
                // Gone, or moved out of the selection: nothing to index.
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) if e.kind() == ErrorKind::AuthExpired => return Err(e.into()),
                Err(e) => run.log(
                    LogLevel::Warn,
                    format!("cannot look up a file that failed last time: {}", e.message()),
                ),
            }
        }
        if !items.is_empty() {
            run.log(
                LogLevel::Info,
                format!("trying {} file(s) that failed in the previous run again", items.len()),
            );
            self.process(run, ctx, items, false).await?;
        }
        Ok(())
    }

    /// Filters, compares with the index, and downloads and indexes what changed.
    /// `listing` is true for full listings (the discovered count grows here).
    async fn process(
        &self,
        run: &mut JobRun,
        ctx: &Ctx<'_>,
        items: Vec<RemoteItem>,
        listing: bool,
    ) -> Result<(), RunError> {
        let items: Vec<RemoteItem> = items.into_iter().filter(|i| !i.is_folder).collect();
        if listing {
            run.progress().files_discovered += items.len() as u64;
        }
        if items.is_empty() {
            return Ok(run.save(false).await?);
        }
        let store = self.service.store.clone();
        let user = run.job.user_id.clone();
        let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let indexed: HashMap<String, IndexedItem> = store
            .indexed_items(&user, &ctx.config.id, &ids)
            .await?
            .into_iter()
            .map(|i| (i.remote_id.clone(), i))
            .collect();

        let mut to_fetch = Vec::new();
        let mut unwanted = Vec::new();
        for item in items {
            let reason = ctx.filters.skip_reason(&item).or_else(|| {
                (!ingest::is_supported(&item.name, Some(&item.mime_type)))
                    .then_some(SkipReason::Unsupported)
            });
            let known = indexed.get(&item.id);
            match (reason, known) {
                (Some(_), Some(_)) => {
                    // It was indexed but no longer passes the filters (or moved somewhere excluded).
                    unwanted.push(item.id.clone());
                    run.file(&item, FileAction::Deleted, 0);
                    run.progress().files_skipped += 1;
                }
                // Too large by its metadata: a typed per-file error the user sees,
                // as when the cap stops a download whose size was under-reported.
                (Some(SkipReason::TooLarge), None) => {
                    let message = format!(
                        "{} bytes, over the limit of {} bytes",
                        item.size,
                        ctx.filters.max_bytes()
                    );
                    run.file_failed(&item, FileErrorType::TooLarge, &message);
                }
                (Some(_), None) => {
                    run.progress().files_skipped += 1;
                }
                (None, Some(known))
                    if !ctx.config.sync_options.process_updates || same_version(&item, known) =>
                {
                    if known.path != item.path {
                        store
                            .move_document(&user, &ctx.config.id, &item.id, &item.path, &item.name)
                            .await?;
                        run.file(&item, FileAction::Renamed, item.size);
                        run.progress().files_processed += 1;
                    } else {
                        run.progress().files_skipped += 1;
                    }
                }
                (None, known) => to_fetch.push((item, known.is_some())),
            }
        }
        if !unwanted.is_empty() && ctx.config.sync_options.delete_removed {
            let removed = store.delete_documents(&user, &ctx.config.id, &unwanted).await?;
            run.progress().files_deleted += removed;
        }
        run.save(false).await?;
        if to_fetch.is_empty() {
            return Ok(());
        }

        run.phase(SyncPhase::Downloading);
        let max_bytes = ctx.filters.max_bytes();
        let provider = ctx.provider.clone();
        let fetches = futures::stream::iter(to_fetch.into_iter().map(|(item, existed)| {
            let provider = provider.clone();
            async move {
                let result = self.fetch(&provider, &item, max_bytes).await;
                (item, existed, result)
            }
        }))
        .buffer_unordered(self.options.download_concurrency.max(1));
        futures::pin_mut!(fetches);

        let mut batch: Vec<SourceDocument> = Vec::new();
        let mut last_index = std::time::Instant::now();
        while let Some((item, existed, result)) = fetches.next().await {
            run.check_stop()?;
            run.progress().current_file = Some(item.path.clone());
            match result {
                Ok((bytes, extracted)) => {
                    run.phase(SyncPhase::Processing);
                    let size = bytes.len() as u64;
                    run.progress().bytes_processed += size;
                    for failure in &extracted.failures {
                        run.file_failed(&item, failure.0, &failure.1);
                    }
                    batch.extend(self.documents(run, ctx, &item, &bytes, extracted.parts));
                    run.file(
                        &item,
                        if existed { FileAction::Updated } else { FileAction::Added },
                        size,
                    );
                    run.progress().files_processed += 1;
                }
                // The provider no longer accepts the sign-in: every other file
                // would fail the same way, and the run must say so (and save no
                // cursor past the files it could not fetch), not end "completed".
                Err(FetchError::Provider(e)) if e.kind() == ErrorKind::AuthExpired => {
                    return Err(RunError::Provider(e));
                }
                Err(FetchError::Provider(e)) => {
                    run.file_failed(&item, e.kind().file_error_type(), e.message())
                }
                Err(FetchError::File(error_type, message)) => {
                    run.file_failed(&item, error_type, &message)
                }
            }
            // Small, frequent batches: work in flight when a worker dies is at
            // most about a second's worth.
            if batch.len() >= INDEX_BATCH || last_index.elapsed() >= INDEX_EVERY {
                self.index(run, &mut batch).await?;
                last_index = std::time::Instant::now();
            }
            run.save(false).await?;
        }
        self.index(run, &mut batch).await?;
        run.phase(SyncPhase::Listing);
        Ok(())
    }

    async fn index(&self, run: &mut JobRun, batch: &mut Vec<SourceDocument>) -> Result<(), Stop> {
        if batch.is_empty() {
            return Ok(());
        }
        run.phase(SyncPhase::Indexing);
        // Only the lease holder writes documents: a job another worker took over
        // stops here (writing progress checks the lease).
        run.save(true).await?;
        self.service.store.upsert_documents(batch).await?;
        batch.clear();
        // The file list and progress describe what is stored: write them now.
        run.save(true).await
    }

    /// Downloads and extracts one file (and its attachments).
    async fn fetch(
        &self,
        provider: &Arc<dyn Provider>,
        item: &RemoteItem,
        max_bytes: u64,
    ) -> Result<(Vec<u8>, Fetched), FetchError> {
        let megabytes = item.size.div_ceil(1024 * 1024).clamp(1, DOWNLOAD_BUDGET_MB as u64) as u32;
        let _budget =
            self.download_budget.acquire_many(megabytes).await.map_err(|_| {
                FetchError::File(FileErrorType::Network, "shutting down".to_string())
            })?;
        let stream = provider.download(item, max_bytes).await.map_err(FetchError::Provider)?;
        let chunks: Vec<bytes::Bytes> = stream.try_collect().await.map_err(FetchError::Provider)?;
        let mut bytes = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
        for chunk in chunks {
            bytes.extend_from_slice(&chunk);
        }
        let shared: Arc<[u8]> = Arc::from(bytes.as_slice());
        let main = ingest::extract_blocking(
            shared,
            item.name.clone(),
            Some(item.mime_type.clone()),
            self.options.limits.clone(),
        )
        .await
        .map_err(|e| FetchError::File(e.kind.file_error_type(), e.message.clone()))?;
        let mut fetched = Fetched { parts: Vec::new(), failures: Vec::new() };
        let attachments = main.attachments.clone();
        fetched.parts.push(Part { attachment: None, extracted: main });
        for (n, attachment) in attachments.into_iter().enumerate() {
            let shared: Arc<[u8]> = Arc::from(attachment.bytes.as_slice());
            match ingest::extract_blocking(
                shared,
                attachment.name.clone(),
                Some(attachment.mime_type.clone()),
                self.options.limits.clone(),
            )
            .await
            {
                Ok(extracted) => fetched.parts.push(Part {
                    attachment: Some(AttachmentInfo {
                        number: n + 1,
                        name: attachment.name.clone(),
                        size: attachment.bytes.len() as u64,
                    }),
                    extracted,
                }),
                // An attachment we cannot read does not fail its message.
                Err(e) if e.kind == ingest::ExtractErrorKind::Unsupported => {}
                Err(e) => fetched.failures.push((
                    e.kind.file_error_type(),
                    format!("attachment {}: {}", attachment.name, e.message),
                )),
            }
        }
        Ok((bytes, fetched))
    }

    /// The documents for one file: the file itself and one per attachment.
    fn documents(
        &self,
        run: &JobRun,
        ctx: &Ctx<'_>,
        item: &RemoteItem,
        bytes: &[u8],
        parts: Vec<Part>,
    ) -> Vec<SourceDocument> {
        let now = Timestamp::now();
        parts
            .into_iter()
            .map(|Part { attachment, extracted }| {
                let mut metadata = item.metadata.clone();
                metadata.extend(extracted.metadata.clone());
                if extracted.truncated {
                    metadata.insert("truncated".into(), serde_json::Value::Bool(true));
                }
                let chunks = ingest::chunk(&extracted.text, &self.options.chunking);
                let (remote_id, path, name, size, hash) = match &attachment {
                    None => (
                        item.id.clone(),
                        item.path.clone(),
                        item.name.clone(),
                        bytes.len() as u64,
                        ingest::content_hash(bytes),
                    ),
                    Some(AttachmentInfo { number, name, size }) => {
                        metadata.insert(
                            "parent_remote_id".into(),
                            serde_json::Value::String(item.id.clone()),
                        );
                        (
                            format!("{}#attachment-{number}", item.id),
                            format!("{}/{}", item.path, name),
                            name.clone(),
                            *size,
                            ingest::content_hash(extracted.text.as_bytes()),
                        )
                    }
                };
                SourceDocument {
                    id: app::model::DocumentId(new_id()),
                    user_id: run.job.user_id.clone(),
                    profile_key: ctx.config.profile_key.clone(),
                    config_id: ctx.config.id.clone(),
                    connection_id: ctx.config.connection_id.clone(),
                    provider: ctx.provider.id(),
                    remote_id,
                    path,
                    name,
                    mime_type: extracted.mime_type.clone(),
                    size_bytes: size,
                    modified_at: item.modified_at,
                    version: item.version.clone(),
                    content_hash: hash,
                    web_url: item.web_url.clone(),
                    metadata,
                    text: extracted.text,
                    chunks,
                    indexed_at: now,
                    job_id: Some(run.job.id.clone()),
                }
            })
            .collect()
    }

    fn summary(&self, run: &JobRun, kind: &str) -> String {
        let p = &run.job.progress;
        format!(
            "{kind} sync finished in {} s: {} indexed, {} unchanged or skipped, {} removed, {} failed",
            run.started.elapsed().as_secs(),
            p.files_processed,
            p.files_skipped,
            p.files_deleted,
            p.files_failed
        )
    }
}

/// What [`Executor::fetch`] extracted: the file and its attachments, and the
/// attachments that failed.
struct Fetched {
    parts: Vec<Part>,
    failures: Vec<(FileErrorType, String)>,
}

/// The text of a file, or of one of its attachments.
struct Part {
    attachment: Option<AttachmentInfo>,
    extracted: Extracted,
}

/// Which attachment a [`Part`] is: its 1-based number, name and size.
struct AttachmentInfo {
    number: usize,
    name: String,
    size: u64,
}

/// Why a file could not be fetched: the provider's error, or the extractor's.
enum FetchError {
    Provider(ProviderError),
    File(FileErrorType, String),
}

/// A failure that ends a run early.
enum RunError {
    Provider(ProviderError),
    Stop(Stop),
}

impl From<ProviderError> for RunError {
    fn from(e: ProviderError) -> Self {
        RunError::Provider(e)
    }
}

impl From<crate::store::StoreError> for RunError {
    fn from(e: crate::store::StoreError) -> Self {
        RunError::Stop(e.into())
    }
}

impl From<Stop> for RunError {
    fn from(s: Stop) -> Self {
        RunError::Stop(s)
    }
}

/// Whether `item` lies in one of the selected folders (directly, or below
/// one that includes its subfolders).
fn in_selection(item: &RemoteItem, selection: &[SourcePath]) -> bool {
    selection.iter().any(|source| {
        let folder = source.path.trim_end_matches('/');
        item.path.strip_prefix(folder).and_then(|rest| rest.strip_prefix('/')).is_some_and(|rest| {
            !rest.is_empty() && (source.include_subfolders || !rest.contains('/'))
        })
    })
}

fn same_version(item: &RemoteItem, known: &IndexedItem) -> bool {
    item.version.is_some() && item.version == known.version
}

/// What the user reads when a run fails because of the provider.
fn provider_failure(provider: &str, e: &ProviderError, auth: AuthType) -> String {
    match e.kind() {
        ErrorKind::AuthExpired if auth == AuthType::OAuth2 => {
            format!(
                "{provider} no longer accepts this connection: {}. Reconnect it on the Connections page.",
                e.message()
            )
        }
        ErrorKind::AuthExpired => format!("{provider} rejected the credentials: {}", e.message()),
        _ => format!("{provider}: {}", e.message()),
    }
}

/// The job record keeps the cursor for reference; very long ones (WebDAV
/// snapshots) are cut, the full cursor lives in the sync state.
fn truncate_cursor(cursor: &str) -> String {
    if cursor.len() <= 512 {
        cursor.to_string()
    } else {
        let cut =
            cursor.char_indices().map(|(i, _)| i).take_while(|i| *i <= 509).last().unwrap_or(0);
        format!("{}…", &cursor[..cut])
    }
}

fn summary_cursor(cursors: &[crate::providers::ScopeCursor]) -> Option<String> {
    cursors.last().map(|c| truncate_cursor(&c.cursor))
}
