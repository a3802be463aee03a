//! Job events for the live UI: an in-process broadcast, fed by the jobs this
//! instance runs and by a relay that polls the store for jobs other instances
//! (or the CLI) run, so every instance's subscribers see every job.

use std::sync::Arc;
use std::time::Duration;

use app::model::{JobEvent, SyncJob, Timestamp, UserId};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// Events buffered per subscriber; a slow client that falls further behind
/// skips to the newest (it gets whole job states, so nothing is lost but steps).
const CAPACITY: usize = 1024;

pub struct EventBus {
    sender: broadcast::Sender<(UserId, JobEvent)>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { sender: broadcast::channel(CAPACITY).0 }
    }
}

impl EventBus {
    pub fn publish(&self, job: &SyncJob) {
        // No subscribers is fine: nobody is watching.
        let _ = self.sender.send((job.user_id.clone(), JobEvent::of(job)));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<(UserId, JobEvent)> {
        self.sender.subscribe()
    }

    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// Polls the store for job changes while anyone is subscribed and publishes
/// them. Duplicates of local events are harmless: each event is a whole state.
pub async fn relay(
    store: Arc<dyn Store>,
    bus: Arc<EventBus>,
    interval: Duration,
    stop: CancellationToken,
) {
    let mut since = Timestamp::now();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let tick = Timestamp::now();
        if bus.subscribers() == 0 {
            since = tick;
            continue;
        }
        match store.jobs_changed_since(None, since, 1000).await {
            Ok(jobs) => {
                for job in &jobs {
                    bus.publish(job);
                }
                // A second of overlap covers clocks of other instances running a little behind.
                since = tick - Duration::from_secs(1);
            }
            Err(e) => tracing::warn!(error = %e, "job event relay cannot read the store"),
        }
    }
}
