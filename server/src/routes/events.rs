//! Server-Sent Events: the signed-in user's job changes (for the live status
//! cards) and one job's log lines.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::model::{JobId, JobStatus};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{ApiCaller, ApiError};
use crate::service::Service;

/// `GET /events`: every change to the caller's jobs, as `job` events carrying a
/// [`app::model::JobEvent`]. Starts with the caller's active jobs.
pub async fn job_events(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let mut receiver = service.events.subscribe();
    let active: Vec<_> = service
        .store
        .recent_jobs(caller.user_id(), 50)
        .await
        .map_err(|e| ApiError(e.into()))?
        .into_iter()
        .filter(|j| j.status.is_active())
        .collect();
    let user = caller.user_id().clone();
    let stopping = service.stopping.clone();
    let stream = async_stream::stream! {
        for job in &active {
            yield Ok(job_event(&app::model::JobEvent::of(job)));
        }
        loop {
            let received = tokio::select! {
                // The server is shutting down: end the stream so it can.
                () = stopping.cancelled() => break,
                received = receiver.recv() => received,
            };
            match received {
                Ok((owner, event)) if owner == user => yield Ok(job_event(&event)),
                Ok(_) => {}
                // Behind: the next event carries the whole state anyway.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn job_event(event: &app::model::JobEvent) -> Event {
    Event::default()
        .event("job")
        .json_data(event)
        .unwrap_or_else(|_| Event::default().comment("unserializable"))
}

#[derive(Deserialize)]
pub struct LogQuery {
    /// Resume after this sequence number (also read from `Last-Event-ID`).
    after: Option<u64>,
}

/// `GET /jobs/{id}/logs`: the job's log as `log` events (id = sequence number),
/// following new lines until the job ends, then an `end` event.
pub async fn job_logs(
    State(service): State<Arc<Service>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<JobId>,
    Query(query): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Answer 404 before opening a stream for a job that is not the caller's.
    service.job_detail(&caller, &id).await?;
    let resume =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let mut after = resume.or(query.after).unwrap_or(0);
    let stream = async_stream::stream! {
        loop {
            let lines = match service.job_log(&caller, &id, after).await {
                Ok(lines) => lines,
                Err(_) => break,
            };
            for line in &lines {
                after = line.seq;
                yield Ok(Event::default().event("log").id(line.seq.to_string()).json_data(line).unwrap_or_default());
            }
            if lines.is_empty() {
                let status = match service.store.get_job(caller.user_id(), &id).await {
                    Ok(Some(record)) => record.job.status,
                    _ => JobStatus::Cancelled,
                };
                if !status.is_active() {
                    // One more read: lines written just before the end.
                    if let Ok(last) = service.job_log(&caller, &id, after).await {
                        for line in &last {
                            yield Ok(Event::default().event("log").id(line.seq.to_string()).json_data(line).unwrap_or_default());
                        }
                    }
                    yield Ok(Event::default().event("end").data(status.as_str()));
                    break;
                }
                tokio::select! {
                () = service.stopping.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
