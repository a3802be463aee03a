//! Sync jobs (`sync_jobs`), their progress, errors, file list and log.

use serde::{Deserialize, Serialize};

use super::{ConfigId, ConnectionId, JobId, Timestamp, UserId};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    /// Everything is listed; documents no longer present are removed.
    Full,
    /// Only changes since the saved cursor.
    Incremental,
    /// Started by a user; incremental when a cursor exists, full otherwise.
    Manual,
}

impl JobType {
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Full => "full",
            JobType::Incremental => "incremental",
            JobType::Manual => "manual",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::Running)
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Listing,
    Downloading,
    Processing,
    Indexing,
}

impl SyncPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncPhase::Listing => "listing",
            SyncPhase::Downloading => "downloading",
            SyncPhase::Processing => "processing",
            SyncPhase::Indexing => "indexing",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: SyncPhase,
    pub current_file: Option<String>,
    pub files_discovered: u64,
    pub files_processed: u64,
    pub files_skipped: u64,
    pub files_failed: u64,
    /// Documents removed from the index in this run.
    #[serde(default)]
    pub files_deleted: u64,
    pub bytes_processed: u64,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            phase: SyncPhase::Listing,
            current_file: None,
            files_discovered: 0,
            files_processed: 0,
            files_skipped: 0,
            files_failed: 0,
            files_deleted: 0,
            bytes_processed: 0,
        }
    }
}

/// Why one file failed. The job goes on; the error is kept with the job.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileErrorType {
    AccessDenied,
    RateLimited,
    ParseError,
    TooLarge,
    NotFound,
    Network,
    UnsupportedType,
}

impl FileErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            FileErrorType::AccessDenied => "access_denied",
            FileErrorType::RateLimited => "rate_limited",
            FileErrorType::ParseError => "parse_error",
            FileErrorType::TooLarge => "too_large",
            FileErrorType::NotFound => "not_found",
            FileErrorType::Network => "network",
            FileErrorType::UnsupportedType => "unsupported_type",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub file_path: String,
    pub error_type: FileErrorType,
    pub message: String,
    pub timestamp: Timestamp,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncJob {
    pub id: JobId,
    pub config_id: ConfigId,
    pub user_id: UserId,
    pub connection_id: ConnectionId,
    #[serde(rename = "type")]
    pub job_type: JobType,
    pub status: JobStatus,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub progress: Progress,
    /// Kept per job, at most [`MAX_JOB_ERRORS`]; `progress.files_failed` has the full count.
    pub errors: Vec<JobError>,
    /// The cursor this run ended with (for incremental sync).
    pub delta_token: Option<String>,
    /// Why the job failed or was cancelled, in words.
    pub message: Option<String>,
    /// How many times a worker has started this job (crash recovery retries).
    pub attempts: u32,
    /// A user asked to cancel it; the worker stops at the next file.
    #[serde(default)]
    pub cancel_requested: bool,
}

/// A run as the dashboard's recent activity lists it: what ran, how it went and
/// when, without the job's error list and change cursor (a job page shows those).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub id: JobId,
    pub config_id: ConfigId,
    #[serde(rename = "type")]
    pub job_type: JobType,
    pub status: JobStatus,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub progress: Progress,
    /// Why the job failed or was cancelled, in words.
    pub message: Option<String>,
}

impl From<SyncJob> for JobSummary {
    fn from(job: SyncJob) -> Self {
        Self {
            id: job.id,
            config_id: job.config_id,
            job_type: job.job_type,
            status: job.status,
            created_at: job.created_at,
            started_at: job.started_at,
            completed_at: job.completed_at,
            progress: job.progress,
            message: job.message,
        }
    }
}

/// Errors kept per job; later ones are only counted.
pub const MAX_JOB_ERRORS: usize = 200;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAction {
    Added,
    Updated,
    Renamed,
    Unchanged,
    Deleted,
    Skipped,
    Failed,
}

/// One line of a job's file list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFile {
    pub path: String,
    pub remote_id: String,
    pub action: FileAction,
    pub bytes: u64,
    pub at: Timestamp,
}

/// Files kept per job in its file list.
pub const MAX_JOB_FILES: usize = 10_000;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobLogLine {
    pub job_id: JobId,
    /// Increasing per job; SSE clients resume with it (`Last-Event-ID`).
    pub seq: u64,
    pub at: Timestamp,
    pub level: LogLevel,
    pub message: String,
}

/// Log lines kept per job; the oldest are dropped beyond this.
pub const MAX_JOB_LOG_LINES: usize = 2_000;

/// `GET /jobs/{id}`: the job with its file list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDetail {
    pub job: SyncJob,
    pub config_name: String,
    pub files: Vec<JobFile>,
    pub files_total: u64,
}

/// A change to a job, pushed to the user's event stream.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEvent {
    pub job_id: JobId,
    pub config_id: ConfigId,
    pub status: JobStatus,
    pub progress: Progress,
    pub message: Option<String>,
    pub at: Timestamp,
}

impl JobEvent {
    pub fn of(job: &SyncJob) -> Self {
        Self {
            job_id: job.id.clone(),
            config_id: job.config_id.clone(),
            status: job.status,
            progress: job.progress.clone(),
            message: job.message.clone(),
            at: Timestamp::now(),
        }
    }
}

/// `GET /sync-configs/{id}/status`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub config_id: ConfigId,
    pub config_status: super::ConfigStatus,
    /// The running or pending job, else the last one.
    pub job: Option<SyncJob>,
    pub next_run_at: Option<Timestamp>,
}
