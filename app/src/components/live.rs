//! Live updates over Server-Sent Events. The browser opens the streams after
//! hydration (a server render has nothing to stream) and closes them when the
//! component that asked goes away. `EventSource` reconnects by itself, resuming
//! the log with `Last-Event-ID`.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{ConfigId, JobEvent, JobId, JobLogLine};

/// The latest event of each configuration's job, from the user's event stream
/// (`GET /api/v1/cloud-sources/events`). Empty on the server.
pub fn use_job_events() -> RwSignal<HashMap<ConfigId, JobEvent>> {
    let latest = RwSignal::new(HashMap::<ConfigId, JobEvent>::new());
    #[cfg(feature = "hydrate")]
    {
        let stream = browser::open(
            "/api/v1/cloud-sources/events".to_string(),
            vec![(
                "job",
                Box::new(move |data: String, _| {
                    if let Ok(event) = serde_json::from_str::<JobEvent>(&data) {
                        latest.update(|map| {
                            map.insert(event.config_id.clone(), event);
                        });
                    }
                }),
            )],
        );
        on_cleanup(move || stream.with_value(browser::close));
    }
    latest
}

/// What a job's log stream has delivered so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFeed {
    pub lines: Vec<JobLogLine>,
    /// The job ended; its final status (the stream is closed).
    pub ended: Option<String>,
}

/// Follows a job's log (`GET /api/v1/cloud-sources/jobs/{id}/logs`) until the job ends.
pub fn use_job_log(job: JobId) -> RwSignal<LogFeed> {
    let feed = RwSignal::new(LogFeed::default());
    #[cfg(feature = "hydrate")]
    {
        let url = format!(
            "/api/v1/cloud-sources/jobs/{}/logs",
            js_sys::encode_uri_component(job.as_str())
        );
        let stream = browser::open(
            url,
            vec![
                (
                    "log",
                    Box::new(move |data: String, _| {
                        if let Ok(line) = serde_json::from_str::<JobLogLine>(&data) {
                            feed.update(|f| {
                                // A reconnect may repeat lines the stream already sent.
                                if f.lines.last().is_none_or(|last| last.seq < line.seq) {
                                    f.lines.push(line);
                                }
                            });
                        }
                    }),
                ),
                (
                    "end",
                    Box::new(move |data: String, source: &web_sys::EventSource| {
                        // Closed here, or the browser would reconnect and replay the end.
                        source.close();
                        feed.update(|f| f.ended = Some(data));
                    }),
                ),
            ],
        );
        on_cleanup(move || stream.with_value(browser::close));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = job;
    feed
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    pub type Handler = Box<dyn Fn(String, &EventSource)>;

    pub struct Stream {
        source: Option<EventSource>,
        // Kept alive as long as the stream; dropped (freed) with it.
        _listeners: Vec<Closure<dyn Fn(MessageEvent)>>,
    }

    pub fn open(
        url: String,
        handlers: Vec<(&'static str, Handler)>,
    ) -> StoredValue<Stream, LocalStorage> {
        let Ok(source) = EventSource::new(&url) else {
            return StoredValue::new_local(Stream { source: None, _listeners: Vec::new() });
        };
        let listeners = handlers
            .into_iter()
            .map(|(name, handler)| {
                let target = source.clone();
                let listener = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
                    if let Some(data) = ev.data().as_string() {
                        handler(data, &target);
                    }
                });
                let _ = source
                    .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
                listener
            })
            .collect();
        StoredValue::new_local(Stream { source: Some(source), _listeners: listeners })
    }

    pub fn close(stream: &Stream) {
        if let Some(source) = &stream.source {
            source.close();
        }
    }
}
