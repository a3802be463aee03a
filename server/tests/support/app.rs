//! A running app for tests: spawned on port 0 with a fresh data directory, and
//! HTTP clients that sign in like a browser (cookies, same-origin headers).

use std::sync::Arc;

use cloud_sources::config::Settings;
use cloud_sources::providers::ProviderFactory;
use cloud_sources::service::Service;
use cloud_sources::startup::Application;
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub service: Arc<Service>,
    pub data_dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::for_tests(data_dir.path());
        configure(&mut settings);
        let factories =
            cloud_sources::providers::registry::Providers::standard_factories(&settings)
                .expect("factories");
        Self::start(settings, factories, data_dir).await
    }

    pub async fn spawn_with_factories(
        configure: impl FnOnce(&mut Settings),
        factories: Vec<Arc<dyn ProviderFactory>>,
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::for_tests(data_dir.path());
        configure(&mut settings);
        Self::start(settings, factories, data_dir).await
    }

    async fn start(
        settings: Settings,
        factories: Vec<Arc<dyn ProviderFactory>>,
        data_dir: tempfile::TempDir,
    ) -> Self {
        // Logs and answers are kept for the secret scan, with the secrets to look for.
        super::recording::captured_logs();
        super::recording::register_secret(PASSWORD);
        super::recording::register_settings_secrets(&settings);
        let app =
            Application::build_with(settings, factories).await.expect("app builds").map_router(
                |router| router.layer(axum::middleware::from_fn(super::recording::record_response)),
            );
        let base = format!("http://{}", app.local_addr());
        let service = app.service().clone();
        tokio::spawn(app.run_with_shutdown(std::future::pending()));
        TestApp { base, service, data_dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, sends our Origin, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, HeaderValue::from_str(&self.base).expect("origin"));
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            // A server that stops answering fails the test with a clear error
            // instead of hanging the whole run.
            .timeout(std::time::Duration::from_secs(180))
            .build()
            .expect("client")
    }

    /// Creates an account and returns a client signed in as it.
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        self.service.create_user(username, Some(PASSWORD), false).await.expect("user created");
        let client = self.browser();
        let response = client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), 303, "sign-in redirects");
        assert_eq!(response.headers()["location"], "/", "sign-in succeeded");
        client
    }
}
