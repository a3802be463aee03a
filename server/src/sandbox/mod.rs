//! Provider simulators for tests and demo mode (cargo feature `sandbox`).

pub mod nextcloud;
