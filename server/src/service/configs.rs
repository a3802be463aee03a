//! Sync configurations and their runs: create and edit (validated), the dry-run
//! preview, run / pause / resume / cancel, history and job details.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use app::error::{AppError, AppResult};
use app::model::*;
use app::port::Caller;

use super::{Service, now, provider_error};
use crate::ingest;
use crate::store::{Enqueued, StoreError, new_id};
use crate::sync::filters::{self, CompiledFilters};
use crate::sync::schedule;

/// A preview lists at most this many files, for at most this long.
const PREVIEW_MAX_FILES: u64 = 20_000;
const PREVIEW_MAX_TIME: Duration = Duration::from_secs(30);

fn check_name(label: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::BadRequest(format!("{label} must have 1 to {max} characters")));
    }
    Ok(value.to_string())
}

fn check_profile_key(key: &str) -> AppResult<String> {
    let key = key.trim();
    let valid = !key.is_empty()
        && key.len() <= 100
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if valid {
        Ok(key.to_string())
    } else {
        Err(AppError::bad_request(
            "profile_key is the RAG profile's key: 1 to 100 letters, digits, '-', '_', '.' or ':'",
        ))
    }
}

impl Service {
    /// Checks a configuration a user submitted, against the connection too: the
    /// selected folders must exist in it.
    async fn validate_config(
        &self,
        caller: &Caller,
        input: &SyncConfigInput,
    ) -> AppResult<SyncConfigInput> {
        let name = check_name("name", &input.name, 100)?;
        let profile_key = check_profile_key(&input.profile_key)?;
        if input.source_paths.is_empty() {
            return Err(AppError::bad_request("source_paths: select at least one folder"));
        }
        if input.source_paths.len() > 100 {
            return Err(AppError::bad_request(
                "source_paths: at most 100 folders per configuration",
            ));
        }
        filters::validate(&input.filters).map_err(AppError::BadRequest)?;
        schedule::validate(&input.schedule).map_err(AppError::BadRequest)?;
        let connection =
            match self.store.get_connection(caller.user_id(), &input.connection_id).await? {
                Some(connection) => connection,
                None => return Err(AppError::bad_request("connection_id: no such connection")),
            };
        let provider = self.provider_for(&connection)?;
        for path in &input.source_paths {
            if path.remote_id.trim().is_empty() {
                return Err(AppError::bad_request(
                    "source_paths: every folder needs its remote_id",
                ));
            }
            match provider.metadata(&path.remote_id).await {
                Ok(item) if item.is_folder => {}
                Ok(_) => {
                    return Err(AppError::BadRequest(format!(
                        "source_paths: {:?} is a file, not a folder",
                        path.path
                    )));
                }
                Err(e) if e.kind() == crate::providers::ErrorKind::NotFound => {
                    return Err(AppError::BadRequest(format!(
                        "source_paths: the folder {:?} is not in this connection",
                        path.path
                    )));
                }
                Err(e) => return Err(provider_error(connection.provider, &e)),
            }
        }
        let mut clean = input.clone();
        clean.name = name;
        clean.profile_key = profile_key;
        clean.schedule.next_run_at = None;
        Ok(clean)
    }

    pub async fn create_config(
        &self,
        caller: &Caller,
        input: SyncConfigInput,
    ) -> AppResult<SyncConfiguration> {
        let input = self.validate_config(caller, &input).await?;
        let at = now();
        let mut schedule = input.schedule.clone();
        schedule.next_run_at = schedule::next_run(&schedule, at);
        let config = SyncConfiguration {
            id: ConfigId(new_id()),
            user_id: caller.user_id().clone(),
            connection_id: input.connection_id,
            profile_key: input.profile_key,
            name: input.name,
            source_paths: input.source_paths,
            filters: input.filters,
            schedule,
            sync_options: input.sync_options,
            status: ConfigStatus::Active,
            stats: ConfigStats::default(),
            created_at: at,
            updated_at: at,
        };
        self.store.insert_config(config.clone()).await?;
        tracing::info!(config_id = %config.id, "sync configuration created");
        Ok(config)
    }

    pub async fn update_config(
        &self,
        caller: &Caller,
        id: &ConfigId,
        input: SyncConfigInput,
    ) -> AppResult<SyncConfiguration> {
        let existing = self.config(caller, id).await?;
        if input.connection_id != existing.connection_id {
            return Err(AppError::bad_request(
                "connection_id cannot change; create a new configuration instead",
            ));
        }
        let input = self.validate_config(caller, &input).await?;
        let at = now();
        let mut updated = existing.clone();
        let selection_changed =
            input.source_paths != existing.source_paths || input.filters != existing.filters;
        updated.name = input.name;
        updated.profile_key = input.profile_key;
        updated.source_paths = input.source_paths;
        updated.filters = input.filters;
        updated.sync_options = input.sync_options;
        updated.schedule = input.schedule;
        updated.schedule.next_run_at = schedule::next_run(&updated.schedule, at);
        updated.updated_at = at;
        self.store.update_config(&updated).await?;
        if selection_changed {
            // New folders or filters: the next run lists everything and sweeps
            // what no longer belongs.
            self.store.clear_sync_states(caller.user_id(), id).await?;
        }
        self.config(caller, id).await
    }

    pub async fn config(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncConfiguration> {
        self.store.get_config(caller.user_id(), id).await?.ok_or(AppError::NotFound)
    }

    pub async fn delete_config(&self, caller: &Caller, id: &ConfigId) -> AppResult<()> {
        self.config(caller, id).await?;
        if let Some(job) = self.store.active_job(caller.user_id(), id).await? {
            self.store
                .request_cancel(caller.user_id(), &job.id, "the configuration was deleted", now())
                .await?;
            self.signal_cancel(&job.id);
        }
        self.store.delete_config(caller.user_id(), id).await?;
        tracing::info!(config_id = %id, "sync configuration deleted");
        Ok(())
    }

    /// Queues a run unless one is pending or running (then that one is returned).
    pub async fn enqueue(
        &self,
        config: &SyncConfiguration,
        job_type: JobType,
    ) -> AppResult<Enqueued> {
        let job = SyncJob {
            id: JobId(new_id()),
            config_id: config.id.clone(),
            user_id: config.user_id.clone(),
            connection_id: config.connection_id.clone(),
            job_type,
            status: JobStatus::Pending,
            created_at: now(),
            started_at: None,
            completed_at: None,
            progress: Progress::default(),
            errors: Vec::new(),
            delta_token: None,
            message: None,
            attempts: 0,
            cancel_requested: false,
        };
        let enqueued = self.store.enqueue_job(job).await?;
        if let Enqueued::Created(job) = &enqueued {
            self.events.publish(job);
            self.job_wakeup.notify_waiters();
        }
        Ok(enqueued)
    }

    pub async fn run_config(
        &self,
        caller: &Caller,
        id: &ConfigId,
        full: bool,
    ) -> AppResult<SyncJob> {
        let config = self.config(caller, id).await?;
        if config.status == ConfigStatus::Paused {
            return Err(AppError::Conflict("the configuration is paused; resume it first".into()));
        }
        let kind = if full { JobType::Full } else { JobType::Manual };
        Ok(self.enqueue(&config, kind).await?.job().clone())
    }

    /// "Run all my syncs": every active configuration, once.
    pub async fn run_all(&self, caller: &Caller) -> AppResult<Vec<SyncJob>> {
        let mut jobs = Vec::new();
        for config in self.store.list_configs(caller.user_id()).await? {
            if config.status != ConfigStatus::Paused {
                jobs.push(self.enqueue(&config, JobType::Manual).await?.job().clone());
            }
        }
        Ok(jobs)
    }

    pub async fn config_status(&self, caller: &Caller, id: &ConfigId) -> AppResult<SyncStatus> {
        let config = self.config(caller, id).await?;
        let job = match self.store.active_job(caller.user_id(), id).await? {
            Some(job) => Some(job),
            None => {
                self.store.list_jobs(caller.user_id(), id, 1, 1).await?.items.into_iter().next()
            }
        };
        Ok(SyncStatus {
            config_id: config.id,
            config_status: config.status,
            job,
            next_run_at: config.schedule.next_run_at,
        })
    }

    /// Pauses: the schedule stops and a running job stops at its next file.
    pub async fn pause_config(
        &self,
        caller: &Caller,
        id: &ConfigId,
    ) -> AppResult<SyncConfiguration> {
        self.config(caller, id).await?;
        self.store.set_config_status(caller.user_id(), id, ConfigStatus::Paused, now()).await?;
        if let Some(job) = self.store.active_job(caller.user_id(), id).await? {
            let job = self
                .store
                .request_cancel(caller.user_id(), &job.id, "paused by the user", now())
                .await?;
            self.signal_cancel(&job.id);
            self.events.publish(&job);
        }
        self.config(caller, id).await
    }

    pub async fn resume_config(
        &self,
        caller: &Caller,
        id: &ConfigId,
    ) -> AppResult<SyncConfiguration> {
        let config = self.config(caller, id).await?;
        self.store.set_config_status(caller.user_id(), id, ConfigStatus::Active, now()).await?;
        self.store
            .set_next_run(caller.user_id(), id, schedule::next_run(&config.schedule, now()))
            .await?;
        self.config(caller, id).await
    }

    pub async fn cancel_config(
        &self,
        caller: &Caller,
        id: &ConfigId,
    ) -> AppResult<Option<SyncJob>> {
        self.config(caller, id).await?;
        let Some(job) = self.store.active_job(caller.user_id(), id).await? else { return Ok(None) };
        let job = self
            .store
            .request_cancel(caller.user_id(), &job.id, "cancelled by the user", now())
            .await?;
        self.signal_cancel(&job.id);
        self.events.publish(&job);
        Ok(Some(job))
    }

    pub async fn cancel_job(&self, caller: &Caller, id: &JobId) -> AppResult<SyncJob> {
        let job = match self
            .store
            .request_cancel(caller.user_id(), id, "cancelled by the user", now())
            .await
        {
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            other => other?,
        };
        self.signal_cancel(&job.id);
        self.events.publish(&job);
        Ok(job)
    }

    pub async fn history(
        &self,
        caller: &Caller,
        id: &ConfigId,
        page: u32,
        per_page: u32,
    ) -> AppResult<Page<SyncJob>> {
        self.config(caller, id).await?;
        Ok(self.store.list_jobs(caller.user_id(), id, page, per_page).await?)
    }

    pub async fn job_detail(&self, caller: &Caller, id: &JobId) -> AppResult<JobDetail> {
        let record = self.store.get_job(caller.user_id(), id).await?.ok_or(AppError::NotFound)?;
        let config_name = self
            .store
            .get_config(caller.user_id(), &record.job.config_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_else(|| "(deleted configuration)".into());
        let (files, files_total) = self.store.list_job_files(caller.user_id(), id, 1000).await?;
        Ok(JobDetail { job: record.job, config_name, files, files_total })
    }

    pub async fn job_log(
        &self,
        caller: &Caller,
        id: &JobId,
        after: u64,
    ) -> AppResult<Vec<JobLogLine>> {
        match self.store.job_log(caller.user_id(), id, after, 1000).await {
            Err(StoreError::NotFound) => Err(AppError::NotFound),
            other => Ok(other?),
        }
    }

    /// The next runs of a schedule, or why it is invalid.
    pub fn schedule_preview(&self, schedule: &Schedule) -> AppResult<SchedulePreview> {
        schedule::validate(schedule).map_err(AppError::BadRequest)?;
        Ok(SchedulePreview { next_runs: schedule::next_runs(schedule, now(), 3) })
    }

    /// What a configuration would sync, from listings alone (no downloads).
    pub async fn preview(&self, caller: &Caller, input: SyncConfigInput) -> AppResult<SyncPreview> {
        let input = self.validate_config(caller, &input).await?;
        let connection = self.connection_record(caller.user_id(), &input.connection_id).await?;
        let provider = self.provider_for(&connection)?;
        let filters = CompiledFilters::new(&input.filters).map_err(AppError::BadRequest)?;
        let started = Instant::now();
        let mut preview = SyncPreview::default();
        let mut by_type: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut skipped: BTreeMap<SkipReason, (u64, u64)> = BTreeMap::new();
        'paths: for selection in &input.source_paths {
            let mut page: Option<String> = None;
            loop {
                let listed = provider
                    .list_page(selection, page.as_deref())
                    .await
                    .map_err(|e| provider_error(connection.provider, &e))?;
                for item in listed.items.into_iter().filter(|i| !i.is_folder) {
                    let reason = filters.skip_reason(&item).or_else(|| {
                        (!ingest::is_supported(&item.name, Some(&item.mime_type)))
                            .then_some(SkipReason::Unsupported)
                    });
                    match reason {
                        Some(reason) => {
                            let entry = skipped.entry(reason).or_default();
                            entry.0 += 1;
                            entry.1 += item.size;
                        }
                        None => {
                            preview.files += 1;
                            preview.bytes += item.size;
                            let entry = by_type.entry(filters::file_type(&item.name)).or_default();
                            entry.0 += 1;
                            entry.1 += item.size;
                            if preview.sample.len() < 10 {
                                preview.sample.push(item.path.clone());
                            }
                        }
                    }
                }
                let seen = preview.files + skipped.values().map(|v| v.0).sum::<u64>();
                if seen >= PREVIEW_MAX_FILES || started.elapsed() >= PREVIEW_MAX_TIME {
                    preview.truncated = listed.next.is_some();
                    break 'paths;
                }
                page = listed.next;
                if page.is_none() {
                    break;
                }
            }
        }
        let mut types: Vec<TypeCount> = by_type
            .into_iter()
            .map(|(file_type, (files, bytes))| TypeCount { file_type, files, bytes })
            .collect();
        types.sort_by(|a, b| b.files.cmp(&a.files).then_with(|| a.file_type.cmp(&b.file_type)));
        preview.by_type = types;
        preview.skipped = skipped
            .into_iter()
            .map(|(reason, (files, bytes))| SkipCount { reason, files, bytes })
            .collect();
        Ok(preview)
    }
}
