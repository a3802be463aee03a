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

/// `request.json_answer().await`: sends the request and reads its JSON answer, panicking
/// (failing the test) when either step fails.
#[allow(async_fn_in_trait)]
pub trait JsonAnswer {
    async fn json_answer<T: serde::de::DeserializeOwned>(self) -> T;
}

impl JsonAnswer for reqwest::RequestBuilder {
    async fn json_answer<T: serde::de::DeserializeOwned>(self) -> T {
        self.send().await.unwrap().json().await.unwrap()
    }
}
