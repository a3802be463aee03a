//! The state of one running job: progress (saved at most about once a second),
//! the job's log, per-file errors and file list (flushed with the progress),
//! the checkpoint, and the cancellation and lease flags the heartbeat sets.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use app::model::{
    FileAction, FileErrorType, JobError, LogLevel, Progress, SyncJob, SyncPhase, Timestamp,
};
use serde::{Deserialize, Serialize};

use super::events::EventBus;
use crate::providers::{RemoteItem, ScopeCursor};
use crate::store::{JobFileRecord, Store, StoreError};

/// How often progress is written and published at most.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// Where a job resumes after a crash. Saved after every page, so a resumed
/// job re-reads at most one page (whose finished files it then skips as unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub mode: Mode,
    /// Full listings: the cursors taken before the listing started, saved as
    /// the new sync state once everything listed is stored.
    pub start_cursors: Option<Vec<ScopeCursor>>,
    /// Full listings: the source path being listed and the next page token.
    pub path_index: usize,
    pub page: Option<String>,
    /// Incremental: change feed scopes already finished in this job…
    pub done_scopes: Vec<String>,
    /// …and the cursor of the scope in progress (its next page).
    pub scope: Option<ScopeCursor>,
    /// Why a full listing replaced an incremental one (a cursor reset).
    pub reset_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Full,
    Incremental,
}

/// Set by the heartbeat, read by the executor between files.
#[derive(Debug, Default)]
pub struct Flags {
    pub cancel: AtomicBool,
    /// The lease is gone: another worker owns the job now; stop writing.
    pub lost: AtomicBool,
    /// This server is shutting down: stop at the next page and hand the job back.
    pub shutdown: AtomicBool,
}

impl Flags {
    pub fn should_stop(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
            || self.lost.load(Ordering::Relaxed)
            || self.shutdown.load(Ordering::Relaxed)
    }
}

/// Why a job stops before its work is done.
#[derive(Debug)]
pub enum Stop {
    /// The job failed; the message says why in the user's words.
    Failed(String),
    Cancelled,
    /// Lease lost or server shutting down: leave the job to its next owner.
    Abandoned,
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        match e {
            // The database is restarting or unreachable: not the job's fault.
            // Stop writing; the job resumes from its checkpoint after its lease.
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "the store is unreachable; leaving the job to be resumed");
                Stop::Abandoned
            }
            e => Stop::Failed(format!("the store failed: {e}")),
        }
    }
}

pub struct JobRun {
    pub store: Arc<dyn Store>,
    bus: Arc<EventBus>,
    pub worker: String,
    pub job: SyncJob,
    pub flags: Arc<Flags>,
    pub started: Instant,
    last_save: Instant,
    logs: Vec<(Timestamp, LogLevel, String)>,
    errors: Vec<JobError>,
    files: Vec<JobFileRecord>,
}

impl JobRun {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<EventBus>,
        worker: String,
        job: SyncJob,
        flags: Arc<Flags>,
    ) -> Self {
        Self {
            store,
            bus,
            worker,
            job,
            flags,
            started: Instant::now(),
            last_save: Instant::now() - SAVE_EVERY,
            logs: Vec::new(),
            errors: Vec::new(),
            files: Vec::new(),
        }
    }

    pub fn progress(&mut self) -> &mut Progress {
        &mut self.job.progress
    }

    pub fn phase(&mut self, phase: SyncPhase) {
        self.job.progress.phase = phase;
    }

    pub fn log(&mut self, level: LogLevel, message: impl Into<String>) {
        self.logs.push((Timestamp::now(), level, message.into()));
    }

    pub fn file(&mut self, item: &RemoteItem, action: FileAction, bytes: u64) {
        self.files.push(JobFileRecord {
            job_id: self.job.id.clone(),
            path: item.path.clone(),
            remote_id: item.id.clone(),
            action,
            bytes,
            at: Timestamp::now(),
        });
    }

    /// A file that could not be synced: counted, kept with the job, and the job goes on.
    pub fn file_failed(&mut self, item: &RemoteItem, error_type: FileErrorType, message: &str) {
        self.job.progress.files_failed += 1;
        self.file(item, FileAction::Failed, 0);
        if self.errors.len() < 50 {
            self.log(
                LogLevel::Warn,
                format!("{}: {} ({})", item.path, message, error_type.as_str()),
            );
        }
        self.errors.push(JobError {
            file_path: item.path.clone(),
            error_type,
            message: message.to_string(),
            timestamp: Timestamp::now(),
        });
    }

    /// Writes what accumulated when a second has passed (or now, with `force`),
    /// and publishes the job's state.
    pub async fn save(&mut self, force: bool) -> Result<(), Stop> {
        if !force && self.last_save.elapsed() < SAVE_EVERY {
            return Ok(());
        }
        self.flush().await?;
        if !self.store.save_progress(&self.job.id, &self.worker, &self.job.progress).await? {
            self.flags.lost.store(true, Ordering::Relaxed);
            return Err(Stop::Abandoned);
        }
        self.last_save = Instant::now();
        self.bus.publish(&self.job);
        Ok(())
    }

    /// Writes the checkpoint (and progress and everything accumulated).
    pub async fn checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), Stop> {
        self.flush().await?;
        let value = serde_json::to_value(checkpoint).map_err(|e| Stop::Failed(e.to_string()))?;
        if !self
            .store
            .save_checkpoint(&self.job.id, &self.worker, &value, &self.job.progress)
            .await?
        {
            self.flags.lost.store(true, Ordering::Relaxed);
            return Err(Stop::Abandoned);
        }
        if self.last_save.elapsed() >= SAVE_EVERY {
            self.last_save = Instant::now();
            self.bus.publish(&self.job);
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        if !self.errors.is_empty() {
            let errors = std::mem::take(&mut self.errors);
            if !self.store.add_job_errors(&self.job.id, &self.worker, &errors).await? {
                self.flags.lost.store(true, Ordering::Relaxed);
                return Err(Stop::Abandoned);
            }
            self.job.errors.extend(
                errors
                    .into_iter()
                    .take(app::model::MAX_JOB_ERRORS.saturating_sub(self.job.errors.len())),
            );
        }
        if !self.files.is_empty() {
            self.store.add_job_files(&std::mem::take(&mut self.files)).await?;
        }
        if !self.logs.is_empty() {
            self.store.append_job_log(&self.job.id, &std::mem::take(&mut self.logs)).await?;
        }
        Ok(())
    }

    /// Stops between files when asked to.
    pub fn check_stop(&self) -> Result<(), Stop> {
        if self.flags.lost.load(Ordering::Relaxed) || self.flags.shutdown.load(Ordering::Relaxed) {
            Err(Stop::Abandoned)
        } else if self.flags.cancel.load(Ordering::Relaxed) {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Publishes the job's final state (after the store recorded it).
    pub fn publish(&self) {
        self.bus.publish(&self.job);
    }

    pub async fn final_flush(&mut self) -> Result<(), Stop> {
        self.flush().await
    }
}
