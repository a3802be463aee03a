//! Server functions of the sync pages (dashboard, configurations, history, job
//! detail, documents). Thin like [`crate::api`]: the service port does the work.
//! Inputs with nested structs travel as JSON.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{
    ConfigId, Connection, Dashboard, DocumentId, DocumentQuery, DocumentSummary, JobDetail, JobId,
    Page, ProviderId, Schedule, SchedulePreview, SourceDocument, SyncConfigInput,
    SyncConfiguration, SyncJob, SyncPreview, SyncStatus,
};

/// One configuration as a card on the configurations page: the configuration,
/// the connection it reads and its active (or last) job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigCard {
    pub config: SyncConfiguration,
    pub connection_name: String,
    pub provider: Option<ProviderId>,
    pub job: Option<SyncJob>,
}

/// Joins configurations with their connection and status, in the order given.
/// A configuration without a status (it failed to load) shows no job.
pub fn config_cards(
    configs: Vec<SyncConfiguration>,
    connections: &[Connection],
    statuses: Vec<Option<SyncStatus>>,
) -> Vec<ConfigCard> {
    configs
        .into_iter()
        .zip(statuses.into_iter().chain(std::iter::repeat(None)))
        .map(|(config, status)| {
            let connection = connections.iter().find(|c| c.id == config.connection_id);
            ConfigCard {
                connection_name: connection
                    .map(|c| c.display_name.clone())
                    .unwrap_or_else(|| "Deleted connection".to_string()),
                provider: connection.map(|c| c.provider),
                job: status.filter(|s| s.config_id == config.id).and_then(|s| s.job),
                config,
            }
        })
        .collect()
}

/// The configurations page: every configuration with its connection and job.
#[server(prefix = "/_fn", endpoint = "sync_cards")]
pub async fn sync_cards() -> Result<Vec<ConfigCard>, AppError> {
    crate::port::with_caller(|s, c| async move {
        let configs = s.list_configs(&c).await?;
        let connections = s.list_connections(&c).await?;
        let mut statuses = Vec::with_capacity(configs.len());
        for config in &configs {
            statuses.push(s.config_status(&c, &config.id).await.ok());
        }
        Ok(config_cards(configs, &connections, statuses))
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "list_configs")]
pub async fn list_configs() -> Result<Vec<SyncConfiguration>, AppError> {
    crate::port::with_caller(|s, c| async move { s.list_configs(&c).await }).await
}

#[server(prefix = "/_fn", endpoint = "get_config")]
pub async fn get_config(id: ConfigId) -> Result<SyncConfiguration, AppError> {
    crate::port::with_caller(|s, c| async move { s.get_config(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "create_config", input = Json)]
pub async fn create_config(input: SyncConfigInput) -> Result<SyncConfiguration, AppError> {
    crate::port::with_caller(|s, c| async move { s.create_config(&c, input).await }).await
}

#[server(prefix = "/_fn", endpoint = "update_config", input = Json)]
pub async fn update_config(
    id: ConfigId,
    input: SyncConfigInput,
) -> Result<SyncConfiguration, AppError> {
    crate::port::with_caller(|s, c| async move { s.update_config(&c, &id, input).await }).await
}

#[server(prefix = "/_fn", endpoint = "delete_config")]
pub async fn delete_config(id: ConfigId) -> Result<(), AppError> {
    crate::port::with_caller(|s, c| async move { s.delete_config(&c, &id).await }).await
}

/// The dry run: what the configuration would sync and skip.
#[server(prefix = "/_fn", endpoint = "preview_config", input = Json)]
pub async fn preview_config(input: SyncConfigInput) -> Result<SyncPreview, AppError> {
    crate::port::with_caller(|s, c| async move { s.preview_config(&c, input).await }).await
}

/// The next three runs of a schedule, or why it is invalid.
#[server(prefix = "/_fn", endpoint = "schedule_preview", input = Json)]
pub async fn preview_schedule(schedule: Schedule) -> Result<SchedulePreview, AppError> {
    crate::port::with_caller(|s, c| async move { s.schedule_preview(&c, schedule).await }).await
}

#[server(prefix = "/_fn", endpoint = "run_config")]
pub async fn run_config(id: ConfigId, full: bool) -> Result<SyncJob, AppError> {
    crate::port::with_caller(|s, c| async move { s.run_config(&c, &id, full).await }).await
}

#[server(prefix = "/_fn", endpoint = "run_all")]
pub async fn run_all() -> Result<Vec<SyncJob>, AppError> {
    crate::port::with_caller(|s, c| async move { s.run_all(&c).await }).await
}

#[server(prefix = "/_fn", endpoint = "pause_config")]
pub async fn pause_config(id: ConfigId) -> Result<SyncConfiguration, AppError> {
    crate::port::with_caller(|s, c| async move { s.pause_config(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "resume_config")]
pub async fn resume_config(id: ConfigId) -> Result<SyncConfiguration, AppError> {
    crate::port::with_caller(|s, c| async move { s.resume_config(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "cancel_config")]
pub async fn cancel_config(id: ConfigId) -> Result<Option<SyncJob>, AppError> {
    crate::port::with_caller(|s, c| async move { s.cancel_config(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "job_history")]
pub async fn job_history(id: ConfigId, page: u32) -> Result<Page<SyncJob>, AppError> {
    crate::port::with_caller(|s, c| async move { s.job_history(&c, &id, page, 20).await }).await
}

#[server(prefix = "/_fn", endpoint = "job_detail")]
pub async fn get_job_detail(id: JobId) -> Result<JobDetail, AppError> {
    crate::port::with_caller(|s, c| async move { s.job_detail(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "cancel_job")]
pub async fn cancel_job(id: JobId) -> Result<SyncJob, AppError> {
    crate::port::with_caller(|s, c| async move { s.cancel_job(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "list_documents", input = Json)]
pub async fn list_documents(query: DocumentQuery) -> Result<Page<DocumentSummary>, AppError> {
    crate::port::with_caller(|s, c| async move { s.list_documents(&c, query).await }).await
}

/// One of the caller's documents with its extracted text and chunks (not found
/// for anyone else's).
#[server(prefix = "/_fn", endpoint = "get_document")]
pub async fn get_document(id: DocumentId) -> Result<SourceDocument, AppError> {
    crate::port::with_caller(|s, c| async move { s.get_document(&c, &id).await }).await
}

#[server(prefix = "/_fn", endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    crate::port::with_caller(|s, c| async move { s.dashboard(&c).await }).await
}

/// Connections for the configuration form's picker.
#[server(prefix = "/_fn", endpoint = "sync_connections")]
pub async fn sync_connections() -> Result<Vec<Connection>, AppError> {
    crate::port::with_caller(|s, c| async move { s.list_connections(&c).await }).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AuthType, ConfigStats, ConfigStatus, ConnectionStatus, Filters, JobStatus, JobType,
        Progress, SyncOptions, Timestamp, UserId,
    };

    fn config(id: &str, connection: &str) -> SyncConfiguration {
        SyncConfiguration {
            id: id.into(),
            user_id: UserId::from("u"),
            connection_id: connection.into(),
            profile_key: "p".into(),
            name: format!("config {id}"),
            source_paths: vec![],
            filters: Filters::default(),
            schedule: Schedule::default(),
            sync_options: SyncOptions::default(),
            status: ConfigStatus::Active,
            stats: ConfigStats::default(),
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    fn connection(id: &str, name: &str) -> Connection {
        Connection {
            id: id.into(),
            user_id: UserId::from("u"),
            provider: ProviderId::OwnCloud,
            display_name: name.into(),
            auth_type: AuthType::Password,
            status: ConnectionStatus::Active,
            status_message: None,
            account: None,
            oauth: None,
            last_validated_at: None,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    fn status(config: &str, job: &str) -> SyncStatus {
        SyncStatus {
            config_id: config.into(),
            config_status: ConfigStatus::Active,
            job: Some(SyncJob {
                id: job.into(),
                config_id: config.into(),
                user_id: UserId::from("u"),
                connection_id: "c1".into(),
                job_type: JobType::Manual,
                status: JobStatus::Running,
                created_at: Timestamp::from_millis(0),
                started_at: None,
                completed_at: None,
                progress: Progress::default(),
                errors: vec![],
                delta_token: None,
                message: None,
                attempts: 1,
                cancel_requested: false,
            }),
            next_run_at: None,
        }
    }

    #[test]
    fn cards_join_connection_names_and_jobs_by_config() {
        let cards = config_cards(
            vec![config("a", "c1"), config("b", "gone")],
            &[connection("c1", "Team files")],
            vec![Some(status("a", "j1")), None],
        );
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].connection_name, "Team files");
        assert_eq!(cards[0].provider, Some(ProviderId::OwnCloud));
        assert_eq!(cards[0].job.as_ref().map(|j| j.id.as_str()), Some("j1"));
        assert_eq!(cards[1].connection_name, "Deleted connection");
        assert_eq!(cards[1].provider, None);
        assert!(cards[1].job.is_none());
    }

    #[test]
    fn a_status_of_another_config_is_not_shown_on_a_card() {
        let cards = config_cards(vec![config("a", "c1")], &[], vec![Some(status("other", "j9"))]);
        assert!(cards[0].job.is_none());
    }

    #[test]
    fn missing_statuses_leave_cards_without_jobs() {
        let cards = config_cards(vec![config("a", "c1"), config("b", "c1")], &[], vec![]);
        assert!(cards.iter().all(|c| c.job.is_none()));
    }
}
