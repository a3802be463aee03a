//! RecallHub Cloud Sources server: configuration, HTTP application, and the engine
//! (store, vault, providers, sync) behind the service port.

pub mod alerts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod ingest;
pub mod metrics;
pub mod oauth;
pub mod providers;
pub mod routes;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secrets;
pub mod service;
pub mod startup;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod vault;
