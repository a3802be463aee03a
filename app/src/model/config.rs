//! Sync configurations (`sync_configurations`): what to sync, how, and when.

use serde::{Deserialize, Serialize};

use super::{ConfigId, ConnectionId, Timestamp, UserId};

/// One selected folder (or space, project, mailbox).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePath {
    /// Human-readable path, e.g. `/Shared Drives/Engineering`.
    pub path: String,
    /// The provider's id of the folder.
    pub remote_id: String,
    #[serde(default = "default_true")]
    pub include_subfolders: bool,
}

fn default_true() -> bool {
    true
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    /// File extensions without the dot (`pdf`, `docx`); empty means all types.
    #[serde(default)]
    pub file_types: Vec<String>,
    /// Glob patterns over the path (`**/node_modules/**`).
    #[serde(default)]
    pub exclude_patterns: Vec<String>,
    #[serde(default)]
    pub max_file_size_mb: Option<u64>,
    #[serde(default)]
    pub modified_after: Option<Timestamp>,
}

impl Filters {
    pub fn max_file_size_bytes(&self) -> Option<u64> {
        self.max_file_size_mb.map(|mb| mb.saturating_mul(1024 * 1024))
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Hourly,
    Daily,
    Weekly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Hourly => "hourly",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }
}

/// When a configuration runs on its own. A cron expression (5 fields, UTC) wins
/// over the frequency when both are set.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub frequency: Option<Frequency>,
    #[serde(default)]
    pub cron_expression: Option<String>,
    /// Computed by the server; ignored on input.
    #[serde(default)]
    pub next_run_at: Option<Timestamp>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOptions {
    /// Remove documents whose source was deleted (or left the selection).
    #[serde(default = "default_true")]
    pub delete_removed: bool,
    /// Re-index files whose content changed.
    #[serde(default = "default_true")]
    pub process_updates: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self { delete_removed: true, process_updates: true }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigStatus {
    Active,
    Paused,
    Error,
}

impl ConfigStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigStatus::Active => "active",
            ConfigStatus::Paused => "paused",
            ConfigStatus::Error => "error",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigStats {
    pub total_files: u64,
    pub total_size_bytes: u64,
    pub last_sync_at: Option<Timestamp>,
    pub last_sync_files_processed: u64,
    pub last_sync_duration_seconds: u64,
    /// Runs that failed in a row; reset by a successful run. Drives alerts.
    #[serde(default)]
    pub consecutive_failures: u32,
    #[serde(default)]
    pub last_error: Option<String>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncConfiguration {
    pub id: ConfigId,
    pub user_id: UserId,
    pub connection_id: ConnectionId,
    /// The RAG profile the documents are indexed into.
    pub profile_key: String,
    pub name: String,
    pub source_paths: Vec<SourcePath>,
    pub filters: Filters,
    pub schedule: Schedule,
    pub sync_options: SyncOptions,
    pub status: ConfigStatus,
    pub stats: ConfigStats,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /sync-configs` and `PUT /sync-configs/{id}` body.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncConfigInput {
    pub connection_id: ConnectionId,
    pub profile_key: String,
    pub name: String,
    pub source_paths: Vec<SourcePath>,
    #[serde(default)]
    pub filters: Filters,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub sync_options: SyncOptions,
}

/// What a dry run found, without downloading anything.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPreview {
    pub files: u64,
    pub bytes: u64,
    pub by_type: Vec<TypeCount>,
    pub skipped: Vec<SkipCount>,
    /// A few of the files that would be synced, for a sanity check.
    pub sample: Vec<String>,
    /// The listing stopped at the preview limit; counts are lower bounds.
    pub truncated: bool,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeCount {
    /// Extension without the dot, or `other`.
    pub file_type: String,
    pub files: u64,
    pub bytes: u64,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    FileType,
    Excluded,
    TooLarge,
    TooOld,
    Unsupported,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::FileType => "file type not selected",
            SkipReason::Excluded => "matches an exclude pattern",
            SkipReason::TooLarge => "larger than the size limit",
            SkipReason::TooOld => "modified before the cut-off date",
            SkipReason::Unsupported => "no text can be extracted from this type",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipCount {
    pub reason: SkipReason,
    pub files: u64,
    pub bytes: u64,
}

/// The next run times of a schedule, for the form ("next three runs").
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulePreview {
    pub next_runs: Vec<Timestamp>,
}
