//! The service: the one implementation of every operation the UI and the REST API
//! offer. It implements [`app::port::ServicePort`].

use std::sync::Arc;
use std::time::Instant;

use app::error::AppResult;
use app::model::ServerInfo;
use app::port::ServicePort;
use async_trait::async_trait;

pub struct Service {
    started_at: Instant,
    store_kind: &'static str,
    demo: bool,
}

impl Service {
    pub fn new(store_kind: &'static str, demo: bool) -> Arc<Self> {
        Arc::new(Self { started_at: Instant::now(), store_kind, demo })
    }
}

#[async_trait]
impl ServicePort for Service {
    async fn server_info(&self) -> AppResult<ServerInfo> {
        Ok(ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            store_kind: self.store_kind.to_string(),
            uptime_secs: self.started_at.elapsed().as_secs(),
            demo: self.demo,
        })
    }
}
