//! Pieces the sync pages share: job status badges, progress bars and the
//! number formats (bytes, durations) they use.

use leptos::prelude::*;

use super::Tone;
use super::badge::Badge;
use crate::model::{ConfigStatus, Health, JobStatus, Progress, SyncPhase, Timestamp};

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

/// One observation of a running job's progress, taken when an event arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub at_ms: i64,
    /// Files done (processed, skipped or failed).
    pub files: u64,
    pub bytes: u64,
}

impl Sample {
    pub fn of(progress: &Progress, at_ms: i64) -> Self {
        Self {
            at_ms,
            files: progress.files_processed + progress.files_skipped + progress.files_failed,
            bytes: progress.bytes_processed,
        }
    }
}

/// How far back throughput looks: long enough to smooth bursts, short enough
/// to follow a change of pace (big files after small ones).
pub const RATE_WINDOW_MS: i64 = 20_000;

/// Adds a sample and drops those older than the window (keeping two, so a
/// slow job that reports rarely still has a rate).
pub fn push_sample(samples: &mut Vec<Sample>, sample: Sample) {
    if samples.last().is_some_and(|last| sample.files < last.files || sample.bytes < last.bytes) {
        // Counters went back: another run. Start over.
        samples.clear();
    }
    samples.push(sample);
    let cutoff = sample.at_ms - RATE_WINDOW_MS;
    while samples.len() > 2 && samples[0].at_ms < cutoff {
        samples.remove(0);
    }
}

/// Throughput over a window of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub files_per_sec: f64,
    pub bytes_per_sec: f64,
}

/// The rate between the window's first and last sample; `None` until they
/// span at least a second.
pub fn rate(samples: &[Sample]) -> Option<Rate> {
    let (first, last) = (samples.first()?, samples.last()?);
    let secs = (last.at_ms - first.at_ms) as f64 / 1000.0;
    if secs < 1.0 {
        return None;
    }
    Some(Rate {
        files_per_sec: last.files.saturating_sub(first.files) as f64 / secs,
        bytes_per_sec: last.bytes.saturating_sub(first.bytes) as f64 / secs,
    })
}

/// Seconds until every discovered file is done at this rate; `None` while the
/// total is still being listed or nothing moves.
pub fn eta_secs(progress: &Progress, rate: Rate) -> Option<u64> {
    if progress.phase == SyncPhase::Listing || progress.files_discovered == 0 {
        return None;
    }
    let done = progress.files_processed + progress.files_skipped + progress.files_failed;
    let left = progress.files_discovered.saturating_sub(done);
    if left == 0 {
        return Some(0);
    }
    (rate.files_per_sec > 0.0).then(|| (left as f64 / rate.files_per_sec).ceil() as u64)
}

/// `"1.5 files/s · 320.0 KB/s"`.
pub fn format_rate(rate: Rate) -> String {
    let files = if rate.files_per_sec >= 10.0 {
        format!("{:.0}", rate.files_per_sec)
    } else {
        format!("{:.1}", rate.files_per_sec)
    };
    format!("{files} files/s · {}/s", format_bytes(rate.bytes_per_sec as u64))
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

    #[test]
    fn throughput_is_measured_over_the_recent_window_only() {
        let mut samples = Vec::new();
        push_sample(&mut samples, Sample { at_ms: 0, files: 0, bytes: 0 });
        assert_eq!(rate(&samples), None, "one sample has no rate");
        // A fast start: 100 files in the first 10 s…
        push_sample(&mut samples, Sample { at_ms: 10_000, files: 100, bytes: 1_000_000 });
        // …then 2 files/s for the next 30 s: the fast start leaves the window.
        for step in 1..=30 {
            push_sample(
                &mut samples,
                Sample {
                    at_ms: 10_000 + step * 1000,
                    files: 100 + 2 * step as u64,
                    bytes: 1_000_000,
                },
            );
        }
        let measured = rate(&samples).unwrap();
        assert!((measured.files_per_sec - 2.0).abs() < 0.01, "{measured:?}");
        assert_eq!(measured.bytes_per_sec, 0.0);
        // A new run (counters back to zero) starts a new window.
        push_sample(&mut samples, Sample { at_ms: 50_000, files: 0, bytes: 0 });
        assert_eq!(samples.len(), 1);
    }

    #[test]
    fn eta_needs_a_known_total_and_a_moving_rate() {
        let rate = Rate { files_per_sec: 2.0, bytes_per_sec: 1024.0 };
        let mut p =
            Progress { phase: SyncPhase::Listing, files_discovered: 50, ..Progress::default() };
        assert_eq!(eta_secs(&p, rate), None, "still listing: the total is not known");
        p.phase = SyncPhase::Processing;
        p.files_processed = 9;
        p.files_failed = 1;
        assert_eq!(eta_secs(&p, rate), Some(20));
        assert_eq!(eta_secs(&p, Rate { files_per_sec: 0.0, bytes_per_sec: 0.0 }), None);
        assert_eq!(format_rate(rate), "2.0 files/s · 1.0 KB/s");
    }
}
