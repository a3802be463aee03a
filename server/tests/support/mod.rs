//! Shared helpers for the integration tests: real peers (MongoDB wire server,
//! …) started on loopback and stopped by PID when the test is done.
#![allow(dead_code)]

pub mod app;
pub mod atlassian;
pub mod cli;
pub mod cloud_sync;
pub mod fixtures;
pub mod peers;
pub mod provider_conformance;
pub mod recording;
pub mod sandboxed;
pub mod sync;
