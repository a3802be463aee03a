//! Prometheus metrics at `/metrics`, in the text exposition format. Counters
//! live where the work happens (the shared HTTP layer, the token manager, the
//! engine); this module only renders them, plus job counts read from the store
//! so every instance sharing one MongoDB reports the same queue.
//!
//! No label carries a user, connection or path: only provider ids and job
//! statuses, so the endpoint can be scraped without authentication.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use app::model::JobStatus;

use crate::service::Service;

/// Upper bounds (seconds) of the sync duration histogram's buckets.
const DURATION_BUCKETS: [f64; 8] = [1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0];

/// Durations of the jobs this instance ran to an end, by final status.
#[derive(Default)]
pub struct SyncDurations {
    by_status: Mutex<Vec<(JobStatus, Histogram)>>,
}

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl SyncDurations {
    pub fn observe(&self, status: JobStatus, took: Duration) {
        let mut all = self.by_status.lock().unwrap_or_else(|e| e.into_inner());
        let index = match all.iter().position(|(s, _)| *s == status) {
            Some(index) => index,
            None => {
                all.push((status, Histogram::default()));
                all.len() - 1
            }
        };
        let histogram = &mut all[index].1;
        let seconds = took.as_secs_f64();
        for (bucket, bound) in histogram.buckets.iter_mut().zip(DURATION_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    fn snapshot(&self) -> Vec<(JobStatus, Histogram)> {
        let mut all = self.by_status.lock().unwrap_or_else(|e| e.into_inner()).clone();
        all.sort_by_key(|(status, _)| status.as_str());
        all
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The whole exposition. Fails only if the store cannot be read.
pub async fn render(service: &Service) -> anyhow::Result<String> {
    let mut out = String::new();

    let counts = service.store.job_counts().await?;
    header(&mut out, "cloud_sources_jobs", "gauge", "Sync jobs by status (all instances).");
    for status in [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ] {
        let count = counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "cloud_sources_jobs{{status=\"{}\"}} {count}", status.as_str());
    }
    let pending = counts.iter().find(|(s, _)| *s == JobStatus::Pending).map_or(0, |(_, n)| *n);
    header(&mut out, "cloud_sources_queue_depth", "gauge", "Jobs waiting for a worker.");
    let _ = writeln!(out, "cloud_sources_queue_depth {pending}");

    header(
        &mut out,
        "cloud_sources_sync_duration_seconds",
        "histogram",
        "Wall time of the sync jobs this instance ran, by final status.",
    );
    for (status, histogram) in service.sync_durations.snapshot() {
        let status = status.as_str();
        for (bound, count) in DURATION_BUCKETS.iter().zip(histogram.buckets) {
            let _ = writeln!(
                out,
                "cloud_sources_sync_duration_seconds_bucket{{status=\"{status}\",le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "cloud_sources_sync_duration_seconds_bucket{{status=\"{status}\",le=\"+Inf\"}} {}",
            histogram.count
        );
        let _ = writeln!(
            out,
            "cloud_sources_sync_duration_seconds_sum{{status=\"{status}\"}} {}",
            histogram.sum
        );
        let _ = writeln!(
            out,
            "cloud_sources_sync_duration_seconds_count{{status=\"{status}\"}} {}",
            histogram.count
        );
    }

    let providers = service.providers.http.counters.snapshot();
    for (name, help, pick) in [
        ("requests", "Requests sent to a provider (each retry counts).", 0),
        ("errors", "Provider requests that failed.", 1),
        ("throttled", "Provider answers asking us to slow down (429 and kin).", 2),
        ("retries", "Provider requests retried after a temporary failure.", 3),
    ] {
        let metric = format!("cloud_sources_provider_{name}_total");
        header(&mut out, &metric, "counter", help);
        for (provider, counts) in &providers {
            let value = [counts.requests, counts.errors, counts.throttled, counts.retries][pick];
            let _ = writeln!(out, "{metric}{{provider=\"{provider}\"}} {value}");
        }
    }

    let tokens = &service.tokens.counters;
    header(
        &mut out,
        "cloud_sources_token_refreshes_total",
        "counter",
        "OAuth token refreshes attempted.",
    );
    let _ = writeln!(
        out,
        "cloud_sources_token_refreshes_total {}",
        tokens.refreshes.load(Ordering::Relaxed)
    );
    header(
        &mut out,
        "cloud_sources_token_refresh_failures_total",
        "counter",
        "OAuth refreshes the provider rejected (connection marked expired).",
    );
    let _ = writeln!(
        out,
        "cloud_sources_token_refresh_failures_total {}",
        tokens.failures.load(Ordering::Relaxed)
    );

    header(
        &mut out,
        "cloud_sources_uptime_seconds",
        "gauge",
        "Seconds since this instance started.",
    );
    let _ = writeln!(out, "cloud_sources_uptime_seconds {}", service.uptime_secs());
    Ok(out)
}
