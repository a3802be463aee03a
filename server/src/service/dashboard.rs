//! The dashboard, documents, and alerts for things that need attention.

use app::error::{AppError, AppResult};
use app::model::*;
use app::port::Caller;

use super::Service;
use crate::store::StoreError;

/// Failures in a row that make a configuration "error" and send an alert.
pub const FAILURE_ALERT_THRESHOLD: u32 = 3;

fn config_health(config: &SyncConfiguration, last: Option<&SyncJob>) -> Health {
    if config.status == ConfigStatus::Error
        || config.stats.consecutive_failures >= FAILURE_ALERT_THRESHOLD
    {
        Health::Error
    } else if config.stats.consecutive_failures > 0
        || last.is_some_and(|j| j.status == JobStatus::Failed || j.progress.files_failed > 0)
    {
        Health::Warning
    } else {
        Health::Healthy
    }
}

fn worst(a: Health, b: Health) -> Health {
    match (a, b) {
        (Health::Error, _) | (_, Health::Error) => Health::Error,
        (Health::Warning, _) | (_, Health::Warning) => Health::Warning,
        _ => Health::Healthy,
    }
}

impl Service {
    pub async fn dashboard(&self, caller: &Caller) -> AppResult<Dashboard> {
        let user = caller.user_id();
        let stats = self.store.dashboard_stats(user).await?;
        let connections = self.store.list_connections(user).await?;
        let configs = self.store.list_configs(user).await?;
        let recent_jobs = self.store.recent_jobs(user, 15).await?;
        let mut alerts = Vec::new();
        let mut sources = Vec::new();
        for connection in &connections {
            let mut source = SourceSummary {
                id: connection.id.clone(),
                provider: connection.provider,
                display_name: connection.display_name.clone(),
                connection_status: connection.status,
                status: Health::Healthy,
                status_reason: None,
                files_count: 0,
                last_sync: None,
                next_sync: None,
                configs: Vec::new(),
            };
            if connection.status != ConnectionStatus::Active {
                source.status = Health::Error;
                let reason = if connection.status.needs_reconnect() {
                    format!("{} needs to be reconnected", connection.display_name)
                } else {
                    format!(
                        "{}: {}",
                        connection.display_name,
                        connection.status_message.as_deref().unwrap_or("connection error")
                    )
                };
                alerts.push(reason.clone());
                source.status_reason = Some(reason);
            }
            for config in configs.iter().filter(|c| c.connection_id == connection.id) {
                let last = recent_jobs.iter().find(|j| j.config_id == config.id);
                let health = config_health(config, last);
                if config.stats.consecutive_failures >= FAILURE_ALERT_THRESHOLD {
                    alerts.push(format!(
                        "\"{}\" failed {} times in a row{}",
                        config.name,
                        config.stats.consecutive_failures,
                        config
                            .stats
                            .last_error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    ));
                }
                if health != Health::Healthy && source.status_reason.is_none() {
                    source.status_reason = Some(match (&config.stats.last_error, last) {
                        (Some(error), _) => format!("\"{}\": {error}", config.name),
                        (None, Some(job)) if job.progress.files_failed > 0 => {
                            format!(
                                "\"{}\": {} file(s) failed in the last run",
                                config.name, job.progress.files_failed
                            )
                        }
                        _ => format!("\"{}\" needs attention", config.name),
                    });
                }
                source.status = worst(source.status, health);
                source.files_count += config.stats.total_files;
                source.last_sync = source.last_sync.max(config.stats.last_sync_at);
                let next = config
                    .schedule
                    .next_run_at
                    .filter(|_| config.status == ConfigStatus::Active && config.schedule.enabled);
                source.next_sync = match (source.next_sync, next) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                source.configs.push(ConfigSummary {
                    id: config.id.clone(),
                    name: config.name.clone(),
                    status: config.status,
                    health,
                    files_count: config.stats.total_files,
                    size_bytes: config.stats.total_size_bytes,
                    last_sync: config.stats.last_sync_at,
                    next_sync: next,
                    last_job_status: last.map(|j| j.status),
                });
            }
            sources.push(source);
        }
        let recent_jobs = recent_jobs.into_iter().map(JobSummary::from).collect();
        Ok(Dashboard { stats, sources, recent_jobs, alerts })
    }

    pub async fn documents(
        &self,
        caller: &Caller,
        query: &DocumentQuery,
    ) -> AppResult<Page<DocumentSummary>> {
        if let Some(config) = &query.config_id {
            self.config(caller, config).await?;
        }
        Ok(self.store.list_documents(caller.user_id(), query).await?)
    }

    pub async fn document(&self, caller: &Caller, id: &DocumentId) -> AppResult<SourceDocument> {
        match self.store.get_document(caller.user_id(), id).await {
            Err(StoreError::NotFound) | Ok(None) => Err(AppError::NotFound),
            Ok(Some(doc)) => Ok(doc),
            Err(e) => Err(e.into()),
        }
    }

    /// A configuration that keeps failing: alerted once, when the streak
    /// reaches the threshold the dashboard flags.
    pub async fn alert_failure(&self, config: &SyncConfiguration, stats: &ConfigStats) {
        if stats.consecutive_failures == FAILURE_ALERT_THRESHOLD {
            self.alerts.sync_failing(
                config,
                stats.consecutive_failures,
                stats.last_error.as_deref(),
            );
        }
    }
}
