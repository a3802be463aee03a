//! One module per routed page.

pub mod connections;
pub mod dashboard;
pub mod documents;
pub mod login;
pub mod not_found;
pub mod settings;
pub mod syncs;
