//! RecallHub Cloud Sources server: configuration, HTTP application, and the engine
//! (store, vault, providers, sync) behind the service port.

pub mod cli;
pub mod config;
pub mod routes;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
