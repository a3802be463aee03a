//! The Confluence and Jira provider tests' shared setup: a sandbox with one Atlassian site
//! and an API token, and providers connected to it as an operator who allows the sandbox's
//! loopback address would connect them, with Cloud credentials (e-mail + API token) or,
//! on a site switched to Data Center, a personal access token.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use app::model::{AuthType, SecretText};
use async_trait::async_trait;
use cloud_sources::providers::confluence::ConfluenceFactory;
use cloud_sources::providers::http::{HttpDeps, RetryPolicy};
use cloud_sources::providers::jira::JiraFactory;
use cloud_sources::providers::net::HostGuard;
use cloud_sources::providers::{
    AccessTokens, ErrorKind, Provider, ProviderAuth, ProviderContext, ProviderError,
    ProviderFactory, ProviderResult,
};
use cloud_sources::sandbox::atlassian::{AtlassianAccount, SiteSettings};
use cloud_sources::sandbox::{SandboxOptions, SandboxServer, spawn};
use serde_json::json;

/// The Atlassian provider kinds, built the same way.
pub trait AtlassianFactory: ProviderFactory + Sized {
    const CONNECTION_ID: &'static str;
    /// Where the product's API lives below a site (Confluence's context path).
    const CONTEXT_PATH: &'static str;
    fn build(guard: Arc<HostGuard>, api_base: String) -> Self;
}

impl AtlassianFactory for JiraFactory {
    const CONNECTION_ID: &'static str = "conn-jira";
    const CONTEXT_PATH: &'static str = "";
    fn build(guard: Arc<HostGuard>, api_base: String) -> Self {
        JiraFactory::new(guard, api_base)
    }
}

impl AtlassianFactory for ConfluenceFactory {
    const CONNECTION_ID: &'static str = "conn-confluence";
    const CONTEXT_PATH: &'static str = "/wiki";
    fn build(guard: Arc<HostGuard>, api_base: String) -> Self {
        ConfluenceFactory::new(guard, api_base)
    }
}

pub fn retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        budget: Duration::from_secs(60),
    }
}

/// What an operator who allows the sandbox's loopback address configures.
pub fn loopback_deps(max_retries: u32) -> HttpDeps {
    let guard = HostGuard::new(&["127.0.0.1".to_string()]).unwrap();
    HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), retries(max_retries))
        .with_guard(Arc::new(guard))
}

pub struct Site<F> {
    pub server: SandboxServer,
    pub account: AtlassianAccount,
    pub token: String,
    factory: PhantomData<F>,
}

/// A sandbox whose Atlassian site `username` is seeded, with a fresh API token.
pub async fn site<F: AtlassianFactory>(username: &str) -> Site<F> {
    let server = spawn(SandboxOptions::default()).await.unwrap();
    let account = server.sandbox().atlassian(username).unwrap();
    let token = account.issue_api_token();
    Site { server, account, token, factory: PhantomData }
}

impl<F: AtlassianFactory> Site<F> {
    /// The per-site base API tokens use (`https://x.atlassian.net` in production).
    pub fn site_url(&self) -> String {
        format!("{}/atlassian/sites/{}", self.server.base_url(), self.account.site_name())
    }

    pub fn factory(&self, deps: &HttpDeps) -> F {
        F::build(deps.guard.clone(), format!("{}/atlassian", self.server.base_url()))
    }

    /// Cloud credentials: e-mail + API token.
    pub fn credentials(&self, token: &str) -> serde_json::Value {
        json!({"site_url": self.site_url(), "email": self.account.email(), "api_token": token})
    }

    pub fn connect(
        &self,
        deps: &HttpDeps,
        credentials: &serde_json::Value,
    ) -> Result<Arc<dyn Provider>, String> {
        let factory = self.factory(deps);
        let credentials = factory.parse_credentials(AuthType::ApiKey, credentials)?;
        factory
            .connect(ProviderContext {
                connection_id: F::CONNECTION_ID.into(),
                auth: ProviderAuth::Static(credentials),
                http: deps.clone(),
            })
            .map_err(|e| e.to_string())
    }

    pub fn provider_with(&self, deps: &HttpDeps, token: &str) -> Arc<dyn Provider> {
        self.connect(deps, &self.credentials(token)).expect("connect")
    }

    pub fn provider(&self) -> Arc<dyn Provider> {
        self.provider_with(&loopback_deps(2), &self.token)
    }

    /// Switches the site to Server / Data Center and connects with a personal access token
    /// (no e-mail), at the product's context path as a Data Center user enters it.
    pub fn data_center_provider(&self) -> Arc<dyn Provider> {
        self.account.set_settings(SiteSettings { data_center: true, ..self.account.settings() });
        let site_url = format!("{}{}", self.site_url(), F::CONTEXT_PATH);
        let credentials = json!({"site_url": site_url, "email": "", "api_token": self.token});
        self.connect(&loopback_deps(2), &credentials).expect("connect with a PAT")
    }
}

/// A fixed OAuth access token (the token manager is tested end to end elsewhere).
pub struct FixedToken(pub SecretText);

#[async_trait]
impl AccessTokens for FixedToken {
    async fn access_token(&self) -> ProviderResult<SecretText> {
        Ok(self.0.clone())
    }
    async fn refresh_rejected(&self, _rejected: &SecretText) -> ProviderResult<SecretText> {
        Err(ProviderError::new(ErrorKind::AuthExpired, "no refresh"))
    }
}
