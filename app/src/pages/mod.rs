//! One module per routed page.

pub mod connections;
pub mod dashboard;
pub mod document;
pub mod documents;
pub mod job_detail;
pub mod login;
pub mod not_found;
pub mod settings;
pub mod sync_form;
pub mod sync_history;
pub mod syncs;
