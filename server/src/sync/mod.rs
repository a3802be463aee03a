//! The sync engine: jobs (full, incremental, manual) run by a worker pool with
//! leases and heartbeats, a scheduler, mark-and-sweep for full listings,
//! filters, progress and live events.

pub mod engine;
pub mod events;
pub mod executor;
pub mod filters;
pub mod run;
pub mod schedule;
