//! Times as people read them: "5 min ago", with the exact UTC time on hover.

use leptos::prelude::*;

use crate::model::Timestamp;

/// Milliseconds since the epoch, now. (chrono's clock is not available in the
/// browser build, so the browser asks JavaScript.)
pub fn now_millis() -> i64 {
    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(all(feature = "hydrate", target_arch = "wasm32")))]
    {
        Timestamp::now().millis()
    }
}

/// `"just now"`, `"5 min ago"`, `"3 h ago"`, `"2 days ago"`, then the date.
pub fn relative(at: Timestamp, now_ms: i64) -> String {
    let secs = (now_ms - at.millis()) / 1000;
    match secs {
        s if s < -60 => absolute_date(at),
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 86_400 * 2 => "yesterday".to_string(),
        s if s < 86_400 * 30 => format!("{} days ago", s / 86_400),
        _ => absolute_date(at),
    }
}

/// `"27 Nov 2026"`.
pub fn absolute_date(at: Timestamp) -> String {
    at.as_datetime().format("%-d %b %Y").to_string()
}

/// `"27 Nov 2026, 09:00 UTC"`.
pub fn absolute(at: Timestamp) -> String {
    at.as_datetime().format("%-d %b %Y, %H:%M UTC").to_string()
}

/// A `<time>` element showing the relative time, the exact time on hover.
#[component]
pub fn RelativeTime(at: Timestamp) -> impl IntoView {
    view! {
        <time datetime=at.to_rfc3339() title=absolute(at)>
            {relative(at, now_millis())}
        </time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000_000;

    fn ago(secs: i64) -> String {
        relative(Timestamp::from_millis(NOW - secs * 1000), NOW)
    }

    #[test]
    fn recent_times_read_as_durations() {
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(5 * 60 + 10), "5 min ago");
        assert_eq!(ago(3 * 3600), "3 h ago");
        assert_eq!(ago(30 * 3600), "yesterday");
        assert_eq!(ago(5 * 86_400), "5 days ago");
    }

    #[test]
    fn old_and_future_times_read_as_dates() {
        assert_eq!(ago(90 * 86_400), "20 Aug 2026");
        assert_eq!(ago(-3600), "18 Nov 2026");
        assert_eq!(absolute(Timestamp::from_millis(NOW)), "18 Nov 2026, 11:06 UTC");
    }
}
