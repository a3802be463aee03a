//! Helpers for end-to-end sync tests: callers, waiting for jobs, and reading the index.

use std::time::{Duration, Instant};

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::service::Service;

/// Creates an account and a caller acting for it (no browser session).
pub async fn caller(service: &Service, name: &str) -> Caller {
    let user = service.create_user(name, Some(super::app::PASSWORD), false).await.expect("user");
    Caller { user, session_hash: None }
}

/// Waits until the configuration's latest job has ended and returns it.
pub async fn wait_for_job(
    service: &Service,
    caller: &Caller,
    config: &ConfigId,
    timeout: Duration,
) -> SyncJob {
    let start = Instant::now();
    loop {
        let status = service.config_status(caller, config).await.expect("status");
        if let Some(job) = status.job
            && !job.status.is_active()
        {
            return job;
        }
        assert!(start.elapsed() < timeout, "the job did not end within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a configuration and waits for the run to end.
pub async fn run_and_wait(
    service: &Service,
    caller: &Caller,
    config: &ConfigId,
    full: bool,
) -> SyncJob {
    let job = ServicePort::run_config(service, caller, config, full).await.expect("run");
    let start = Instant::now();
    loop {
        let record =
            service.store.get_job(caller.user_id(), &job.id).await.expect("job").expect("exists");
        if !record.job.status.is_active() {
            return record.job;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "the job did not end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every indexed document of a configuration: path → text.
pub async fn index(
    service: &Service,
    caller: &Caller,
    config: &ConfigId,
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut page = 1;
    loop {
        let query =
            DocumentQuery { config_id: Some(config.clone()), search: None, page, per_page: 200 };
        let listed = ServicePort::list_documents(service, caller, query).await.expect("documents");
        for summary in &listed.items {
            let doc =
                ServicePort::get_document(service, caller, &summary.id).await.expect("document");
            assert!(
                out.insert(doc.path.clone(), doc.text.clone()).is_none(),
                "{} indexed twice",
                doc.path
            );
        }
        if (page as u64) * 200 >= listed.total {
            return out;
        }
        page += 1;
    }
}
