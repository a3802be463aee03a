//! Pieces the sync pages share: job status badges, progress bars and the
//! number formats (bytes, durations) they use.

use leptos::prelude::*;

use super::Tone;
use super::badge::Badge;
use crate::model::{ConfigStatus, Health, JobStatus, Progress, Timestamp};

pub fn job_tone(status: JobStatus) -> Tone {
    match status {
        JobStatus::Pending => Tone::Neutral,
        JobStatus::Running => Tone::Info,
        JobStatus::Completed => Tone::Success,
        JobStatus::Failed => Tone::Danger,
        JobStatus::Cancelled => Tone::Warning,
    }
}

pub fn health_tone(health: Health) -> Tone {
    match health {
        Health::Healthy => Tone::Success,
        Health::Warning => Tone::Warning,
        Health::Error => Tone::Danger,
    }
}

pub fn health_label(health: Health) -> &'static str {
    match health {
        Health::Healthy => "healthy",
        Health::Warning => "warning",
        Health::Error => "error",
    }
}

/// A job's status as a coloured pill.
#[component]
pub fn JobStatusBadge(#[prop(into)] status: Signal<JobStatus>) -> impl IntoView {
    move || {
        let status = status.get();
        view! {
            <span data-testid="job-status" data-status=status.as_str()>
                <Badge tone=job_tone(status) dot=true>{status.as_str()}</Badge>
            </span>
        }
    }
}

/// A configuration's own status (active / paused / error).
#[component]
pub fn ConfigStatusBadge(#[prop(into)] status: Signal<ConfigStatus>) -> impl IntoView {
    move || {
        let status = status.get();
        let tone = match status {
            ConfigStatus::Active => Tone::Success,
            ConfigStatus::Paused => Tone::Warning,
            ConfigStatus::Error => Tone::Danger,
        };
        view! {
            <span data-testid="config-status" data-status=status.as_str()>
                <Badge tone>{status.as_str()}</Badge>
            </span>
        }
    }
}

/// Share of the discovered files that are done (processed, skipped or failed),
/// in percent; `None` while nothing has been discovered yet.
pub fn percent_done(progress: &Progress) -> Option<u8> {
    if progress.files_discovered == 0 {
        return None;
    }
    let done = progress.files_processed + progress.files_skipped + progress.files_failed;
    Some(((done.min(progress.files_discovered) * 100) / progress.files_discovered) as u8)
}

/// A progress bar; indeterminate (pulsing) while the total is unknown.
#[component]
pub fn ProgressBar(#[prop(into)] percent: Signal<Option<u8>>) -> impl IntoView {
    view! {
        <div
            class="h-2 w-full overflow-hidden rounded-full bg-slate-100"
            role="progressbar"
            aria-label="Sync progress"
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=move || percent.get().map(|p| p.to_string())
        >
            {move || match percent.get() {
                Some(p) => view! {
                    <div class="h-full rounded-full bg-indigo-500 transition-all" style=format!("width: {p}%")></div>
                }
                .into_any(),
                None => view! { <div class="h-full w-1/3 animate-pulse rounded-full bg-indigo-300"></div> }.into_any(),
            }}
        </div>
    }
}

/// `"512 B"`, `"1.5 KB"`, `"3.2 MB"`, `"1.1 GB"` (powers of 1024).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// `"45 s"`, `"3 min 5 s"`, `"2 h 10 min"`.
pub fn format_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// How long a job ran (or has been running, until `now_ms`).
pub fn job_duration(
    started: Option<Timestamp>,
    completed: Option<Timestamp>,
    now_ms: i64,
) -> Option<String> {
    let start = started?;
    let end = completed.map(|t| t.millis()).unwrap_or(now_ms);
    Some(format_duration(((end - start.millis()).max(0) / 1000) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SyncPhase;

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1536), "1.5 KB");
        assert_eq!(format_bytes(5 * 1024 * 1024), "5.0 MB");
    }

    #[test]
    fn durations_read_in_the_largest_units() {
        assert_eq!(format_duration(45), "45 s");
        assert_eq!(format_duration(185), "3 min 5 s");
        assert_eq!(format_duration(7800), "2 h 10 min");
        let start = Timestamp::from_millis(1_000_000);
        assert_eq!(
            job_duration(Some(start), Some(start.plus_secs(90)), 0),
            Some("1 min 30 s".into())
        );
        assert_eq!(job_duration(None, None, 0), None);
    }

    #[test]
    fn progress_counts_skips_and_failures_as_done() {
        let mut p = Progress { phase: SyncPhase::Processing, ..Progress::default() };
        assert_eq!(percent_done(&p), None);
        p.files_discovered = 8;
        p.files_processed = 4;
        p.files_skipped = 1;
        p.files_failed = 1;
        assert_eq!(percent_done(&p), Some(75));
        p.files_processed = 20;
        assert_eq!(percent_done(&p), Some(100));
    }
}
