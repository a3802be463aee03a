//! Dashboard aggregates.

use serde::{Deserialize, Serialize};

use super::{
    ConfigId, ConfigStatus, ConnectionId, ConnectionStatus, JobStatus, JobSummary, ProviderId,
    Timestamp,
};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardStats {
    pub total_connections: u64,
    /// Jobs pending or running.
    pub active_syncs: u64,
    pub total_files_indexed: u64,
    pub total_size_bytes: u64,
    pub next_scheduled_sync: Option<Timestamp>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Warning,
    Error,
}

/// One configuration inside a source card.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub id: ConfigId,
    pub name: String,
    pub status: ConfigStatus,
    pub health: Health,
    pub files_count: u64,
    pub size_bytes: u64,
    pub last_sync: Option<Timestamp>,
    pub next_sync: Option<Timestamp>,
    pub last_job_status: Option<JobStatus>,
}

/// One connection with its configurations, as a card in the sources grid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub id: ConnectionId,
    pub provider: ProviderId,
    pub display_name: String,
    pub connection_status: ConnectionStatus,
    pub status: Health,
    /// Why the health is not `healthy`.
    pub status_reason: Option<String>,
    pub files_count: u64,
    pub last_sync: Option<Timestamp>,
    pub next_sync: Option<Timestamp>,
    pub configs: Vec<ConfigSummary>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub stats: DashboardStats,
    pub sources: Vec<SourceSummary>,
    /// The latest runs, newest first.
    pub recent_jobs: Vec<JobSummary>,
    /// Things that need the user's attention (expired connections, failing syncs).
    pub alerts: Vec<String>,
}
