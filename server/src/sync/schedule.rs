//! When configurations run: hourly / daily / weekly, or a 5-field cron
//! expression (UTC, standard semantics: `0 9 * * 1-5` is 09:00 on weekdays).

use std::str::FromStr;

use app::model::{Frequency, Schedule, Timestamp};
use croner::Cron;

/// Checks a schedule a user submitted; the message names the problem.
pub fn validate(schedule: &Schedule) -> Result<(), String> {
    if let Some(expression) = cron_expression(schedule) {
        parse_cron(expression)?;
    } else if schedule.enabled && schedule.frequency.is_none() {
        return Err(
            "schedule: choose a frequency (hourly, daily, weekly) or a cron expression".into()
        );
    }
    Ok(())
}

fn cron_expression(schedule: &Schedule) -> Option<&str> {
    schedule.cron_expression.as_deref().map(str::trim).filter(|e| !e.is_empty())
}

fn parse_cron(expression: &str) -> Result<Cron, String> {
    let fields = expression.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "schedule.cron_expression must have 5 fields (minute hour day-of-month month day-of-week), not {fields}"
        ));
    }
    Cron::from_str(expression)
        .map_err(|e| format!("schedule.cron_expression {expression:?} is not valid: {e}"))
}

/// The first run strictly after `after`, or `None` when the schedule is off.
pub fn next_run(schedule: &Schedule, after: Timestamp) -> Option<Timestamp> {
    if !schedule.enabled {
        return None;
    }
    if let Some(expression) = cron_expression(schedule) {
        let cron = parse_cron(expression).ok()?;
        return cron.find_next_occurrence(&after.as_datetime(), false).ok().map(Timestamp::from);
    }
    let step = match schedule.frequency? {
        Frequency::Hourly => 3600,
        Frequency::Daily => 24 * 3600,
        Frequency::Weekly => 7 * 24 * 3600,
    };
    Some(after.plus_secs(step))
}

/// The next `count` runs after `after` (the form shows three).
pub fn next_runs(schedule: &Schedule, after: Timestamp, count: usize) -> Vec<Timestamp> {
    let mut runs = Vec::with_capacity(count);
    let mut from = after;
    while runs.len() < count {
        match next_run(schedule, from) {
            Some(next) => {
                runs.push(next);
                from = next;
            }
            None => break,
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn cron(expression: &str) -> Schedule {
        Schedule {
            enabled: true,
            frequency: None,
            cron_expression: Some(expression.into()),
            next_run_at: None,
        }
    }

    #[test]
    fn cron_uses_standard_day_of_week_numbers() {
        // 2026-11-27 is a Friday; weekdays at 09:00 → Friday, then Monday.
        let runs = next_runs(&cron("0 9 * * 1-5"), at("2026-11-27T08:00:00Z"), 3);
        assert_eq!(
            runs,
            vec![
                at("2026-11-27T09:00:00Z"),
                at("2026-11-30T09:00:00Z"),
                at("2026-12-01T09:00:00Z")
            ]
        );
        let runs = next_runs(&cron("*/15 * * * *"), at("2026-11-27T08:07:30Z"), 2);
        assert_eq!(runs, vec![at("2026-11-27T08:15:00Z"), at("2026-11-27T08:30:00Z")]);
    }

    #[test]
    fn frequencies_step_from_the_previous_run() {
        let daily =
            Schedule { enabled: true, frequency: Some(Frequency::Daily), ..Default::default() };
        assert_eq!(next_run(&daily, at("2026-11-27T08:00:00Z")), Some(at("2026-11-28T08:00:00Z")));
        let off = Schedule { enabled: false, ..daily.clone() };
        assert_eq!(next_run(&off, at("2026-11-27T08:00:00Z")), None);
        assert!(next_runs(&off, at("2026-11-27T08:00:00Z"), 3).is_empty());
    }

    #[test]
    fn bad_schedules_are_explained() {
        assert!(validate(&cron("0 */6 * * *")).is_ok());
        assert!(validate(&cron("0 0 */6 * * *")).unwrap_err().contains("5 fields"));
        assert!(validate(&cron("61 * * * *")).unwrap_err().contains("not valid"));
        assert!(validate(&cron("every day")).unwrap_err().contains("5 fields"));
        let nothing = Schedule { enabled: true, ..Default::default() };
        assert!(validate(&nothing).unwrap_err().contains("frequency"));
        assert!(validate(&Schedule::default()).is_ok(), "a disabled schedule needs nothing");
    }
}
