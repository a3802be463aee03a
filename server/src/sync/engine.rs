//! The engine: a pool of workers that claim jobs with leases and heartbeats,
//! the reaper that returns jobs of dead workers to the queue, and the
//! scheduler that enqueues due configurations.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use app::model::{ConfigStats, JobStatus, LogLevel, Timestamp};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::events::{EventBus, relay};
use super::executor::{Executor, ExecutorOptions};
use super::run::{Checkpoint, Flags, JobRun, Stop};
use super::schedule;
use crate::service::Service;
use crate::store::{Heartbeat, JobEnd, JobOutcome, JobRecord};

/// Timing of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub workers: usize,
    /// A job whose worker stops heartbeating for this long is resumed elsewhere.
    pub lease: Duration,
    pub heartbeat: Duration,
    /// How often the reaper and the scheduler look.
    pub reap_every: Duration,
    pub schedule_every: Duration,
    /// Idle workers look for work at least this often (and at once when a job
    /// is enqueued on this instance).
    pub poll_every: Duration,
    /// Attempts before a job whose workers keep dying fails.
    pub max_attempts: u32,
    pub executor: ExecutorOptions,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            workers: 4,
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(15),
            reap_every: Duration::from_secs(15),
            schedule_every: Duration::from_secs(20),
            poll_every: Duration::from_secs(2),
            max_attempts: 5,
            executor: ExecutorOptions::default(),
        }
    }
}

pub struct Engine {
    service: Arc<Service>,
    executor: Executor,
    options: EngineOptions,
    instance: String,
}

impl Engine {
    pub fn new(service: Arc<Service>, options: EngineOptions) -> Arc<Self> {
        let executor = Executor::new(service.clone(), options.executor.clone());
        let instance = format!(
            "{}-{}-{:04x}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into()),
            std::process::id(),
            rand::random::<u16>()
        );
        Arc::new(Self { service, executor, options, instance })
    }

    pub fn bus(&self) -> &Arc<EventBus> {
        &self.service.events
    }

    /// Starts workers, reaper, scheduler and event relay; they stop when
    /// `stop` is cancelled (running jobs go back to the queue at their next page).
    pub fn start(self: &Arc<Self>, stop: CancellationToken) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for n in 0..self.options.workers.max(1) {
            let engine = self.clone();
            let stop = stop.clone();
            let worker = format!("{}-w{n}", engine.instance);
            tasks.spawn(async move { engine.worker(worker, stop).await });
        }
        let engine = self.clone();
        let reaper_stop = stop.clone();
        tasks.spawn(async move { engine.reaper(reaper_stop).await });
        let engine = self.clone();
        let scheduler_stop = stop.clone();
        tasks.spawn(async move { engine.scheduler(scheduler_stop).await });
        tasks.spawn(relay(
            self.service.store.clone(),
            self.service.events.clone(),
            Duration::from_secs(1),
            stop,
        ));
        tasks
    }

    fn wakeup(&self) -> &Notify {
        &self.service.job_wakeup
    }

    async fn worker(self: Arc<Self>, worker: String, stop: CancellationToken) {
        while !stop.is_cancelled() {
            match self.service.store.claim_job(&worker, self.options.lease, Timestamp::now()).await
            {
                Ok(Some(record)) => self.run(record, &worker, &stop).await,
                Ok(None) => {
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = self.wakeup().notified() => {}
                        () = tokio::time::sleep(self.options.poll_every) => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(%worker, error = %e, "cannot claim jobs");
                    tokio::time::sleep(self.options.poll_every * 2).await;
                }
            }
        }
    }

    /// Runs one claimed job to its end, with a heartbeat beside it.
    pub async fn run(&self, record: JobRecord, worker: &str, stop: &CancellationToken) {
        let job_id = record.job.id.clone();
        let span = tracing::info_span!("job", job_id = %job_id, config_id = %record.job.config_id, %worker);
        let _enter = span.enter();
        let flags = Arc::new(Flags::default());
        self.service
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(job_id.clone(), flags.clone());
        let heartbeat = self.spawn_heartbeat(&record, worker, flags.clone(), stop.clone());
        let checkpoint: Option<Checkpoint> =
            record.checkpoint.clone().and_then(|c| serde_json::from_value(c).ok());
        let mut run = JobRun::new(
            self.service.store.clone(),
            self.service.events.clone(),
            worker.to_string(),
            record.job,
            flags.clone(),
        );
        run.publish();
        tracing::info!(
            job_type = run.job.job_type.as_str(),
            attempt = run.job.attempts,
            "job started"
        );
        let result = self.executor.execute(&mut run, checkpoint).await;
        heartbeat.abort();
        self.service.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&job_id);
        self.finish(&mut run, result).await;
    }

    fn spawn_heartbeat(
        &self,
        record: &JobRecord,
        worker: &str,
        flags: Arc<Flags>,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let store = self.service.store.clone();
        let (job_id, worker) = (record.job.id.clone(), worker.to_string());
        let (every, lease) = (self.options.heartbeat, self.options.lease);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => flags.shutdown.store(true, Ordering::Relaxed),
                    () = tokio::time::sleep(every) => {}
                }
                match store.heartbeat(&job_id, &worker, lease, Timestamp::now()).await {
                    Ok(Heartbeat::Extended) => {}
                    Ok(Heartbeat::CancelRequested) => flags.cancel.store(true, Ordering::Relaxed),
                    Ok(Heartbeat::Lost) => {
                        flags.lost.store(true, Ordering::Relaxed);
                        return;
                    }
                    // A store hiccup: keep trying; the lease outlives a few misses.
                    Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                }
                if stop.is_cancelled() {
                    return;
                }
            }
        })
    }

    async fn finish(&self, run: &mut JobRun, result: Result<super::executor::Outcome, Stop>) {
        let store = &self.service.store;
        let (outcome, message, delta_token) = match result {
            Ok(outcome) => {
                run.log(LogLevel::Info, outcome.summary.clone());
                (JobOutcome::Completed, None, outcome.delta_token)
            }
            Err(Stop::Cancelled) => {
                // The reason ("paused by the user", "cancelled by the user") is
                // already on the job, written with the cancel request: keep it.
                run.log(LogLevel::Warn, "stopped on request");
                (JobOutcome::Cancelled, None, None)
            }
            Err(Stop::Failed(message)) => {
                run.log(LogLevel::Error, format!("failed: {message}"));
                (JobOutcome::Failed, Some(message), None)
            }
            Err(Stop::Abandoned) => {
                if run.flags.shutdown.load(Ordering::Relaxed)
                    && !run.flags.lost.load(Ordering::Relaxed)
                {
                    let _ = run.final_flush().await;
                    match store.release_job(&run.job.id, &run.worker, Timestamp::now()).await {
                        Ok(true) => {
                            tracing::info!("job handed back to the queue for another worker")
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot hand the job back; its lease will expire")
                        }
                    }
                } else {
                    tracing::warn!(
                        "stopped (lease lost or store unreachable): the job resumes after its lease"
                    );
                }
                return;
            }
        };
        if let Err(e) = run.final_flush().await {
            tracing::warn!(error = ?e, "cannot write the last log lines");
        }
        let end = JobEnd {
            outcome,
            progress: run.job.progress.clone(),
            delta_token,
            message: message.clone(),
        };
        match store.finish_job(&run.job.id, &run.worker, end, Timestamp::now()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("the job ended while another worker held it");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot record the end of the job; it will be retried");
                return;
            }
        }
        // Publish the job as stored (status, message, errors).
        match store.get_job(&run.job.user_id, &run.job.id).await {
            Ok(Some(record)) => run.job = record.job,
            _ => {
                run.job.status = match outcome {
                    JobOutcome::Completed => JobStatus::Completed,
                    JobOutcome::Failed => JobStatus::Failed,
                    JobOutcome::Cancelled => JobStatus::Cancelled,
                };
                run.job.message = message;
            }
        }
        run.publish();
        self.service.sync_durations.observe(run.job.status, run.started.elapsed());
        tracing::info!(
            status = run.job.status.as_str(),
            processed = run.job.progress.files_processed,
            failed = run.job.progress.files_failed,
            "job ended"
        );
        self.update_stats(run).await;
    }

    /// Configuration stats after a run: totals from the index, the run's counts,
    /// and a failure streak that drives alerts.
    async fn update_stats(&self, run: &JobRun) {
        let store = &self.service.store;
        let (user, config_id) = (&run.job.user_id, &run.job.config_id);
        let Ok(Some(config)) = store.get_config(user, config_id).await else { return };
        let (total_files, total_size_bytes) =
            store.document_stats(user, config_id).await.unwrap_or_default();
        let mut stats = ConfigStats { total_files, total_size_bytes, ..config.stats.clone() };
        match run.job.status {
            JobStatus::Completed => {
                stats.last_sync_at = Some(Timestamp::now());
                stats.last_sync_files_processed = run.job.progress.files_processed;
                stats.last_sync_duration_seconds = run.started.elapsed().as_secs();
                stats.consecutive_failures = 0;
                stats.last_error = None;
            }
            JobStatus::Failed => {
                stats.consecutive_failures += 1;
                stats.last_error = run.job.message.clone();
            }
            _ => {}
        }
        if let Err(e) = store.set_config_stats(user, config_id, &stats, Timestamp::now()).await {
            tracing::warn!(error = %e, "cannot update the configuration's statistics");
        }
        if run.job.status == JobStatus::Failed {
            self.service.alert_failure(&config, &stats).await;
        }
    }

    async fn reaper(self: Arc<Self>, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.options.reap_every) => {}
            }
            match self
                .service
                .store
                .reap_expired_leases(Timestamp::now(), self.options.max_attempts)
                .await
            {
                Ok(jobs) if !jobs.is_empty() => {
                    for job in &jobs {
                        tracing::warn!(job_id = %job.id, status = job.status.as_str(), "took back a job whose worker stopped responding");
                        self.service.events.publish(job);
                    }
                    self.wakeup().notify_waiters();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reaper cannot read the store"),
            }
        }
    }

    async fn scheduler(self: Arc<Self>, stop: CancellationToken) {
        loop {
            if let Err(e) = self.schedule_due().await {
                tracing::warn!(error = %e, "scheduler cannot read the store");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.options.schedule_every) => {}
            }
        }
    }

    /// Enqueues every due configuration once, even with several instances:
    /// the schedule advance is a compare-and-swap only one of them wins.
    pub async fn schedule_due(&self) -> anyhow::Result<usize> {
        let now = Timestamp::now();
        let mut enqueued = 0;
        for config in self.service.store.due_configs(now, 100).await? {
            let Some(due) = config.schedule.next_run_at else { continue };
            let next = schedule::next_run(&config.schedule, now.max(due));
            if self.service.store.advance_schedule(&config.id, due, next).await? {
                match self.service.enqueue(&config, app::model::JobType::Incremental).await {
                    Ok(_) => enqueued += 1,
                    Err(e) => {
                        tracing::warn!(config_id = %config.id, error = %e, "cannot enqueue a scheduled run")
                    }
                }
            }
        }
        Ok(enqueued)
    }
}
