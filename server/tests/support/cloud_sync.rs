//! End-to-end sync of an OAuth provider against the sandbox: the app is
//! configured through `providers.<id>.*` only, the connection is made from
//! tokens the sandbox's authorization server issued (as `connection add
//! --access-token` does), and the seeded `/Projects` tree is synced, changed
//! through the control API and synced again.

use std::collections::BTreeMap;
use std::time::Duration;

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::config::{ProviderSettings, Settings};
use cloud_sources::oauth::client::TokenSet;
use cloud_sources::sandbox::{
    OAuthClient, Provider as Cloud, SandboxAccount, SandboxOptions, SandboxServer, spawn,
};

use super::app::TestApp;
use super::sync::{caller, index, run_and_wait};

const CLIENT_SECRET: &str = "cloud-sync-secret";

pub struct CloudWorld {
    pub server: SandboxServer,
    pub account: SandboxAccount,
    pub app: TestApp,
    provider: ProviderId,
    client_id: String,
}

pub async fn cloud_world(provider: ProviderId, cloud: Cloud) -> CloudWorld {
    cloud_world_with(provider, cloud, |_| {}).await
}

/// Like [`cloud_world`], with more settings of the app (timeouts, retries…).
pub async fn cloud_world_with(
    provider: ProviderId,
    cloud: Cloud,
    more: impl FnOnce(&mut Settings),
) -> CloudWorld {
    let server = spawn(SandboxOptions::default()).await.unwrap();
    let client_id = format!("{}-sync-tests", provider.as_str());
    server.sandbox().register_client(OAuthClient {
        provider: cloud,
        client_id: client_id.clone(),
        client_secret: Some(CLIENT_SECRET.into()),
        redirect_uris: Vec::new(),
        name: "Sync tests".into(),
    });
    let endpoints = server.endpoints(cloud);
    let app = TestApp::spawn_with(|settings| {
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
        settings.providers.insert(
            provider.as_str().into(),
            ProviderSettings {
                client_id: Some(client_id.clone()),
                client_secret: Some(CLIENT_SECRET.to_string().into()),
                api_base: Some(endpoints.api_base.clone()),
                content_base: endpoints.content_base.clone(),
                auth_url: Some(endpoints.auth_url.clone()),
                token_url: Some(endpoints.token_url.clone()),
                revoke_url: endpoints.revoke_url.clone(),
                ..Default::default()
            },
        );
        more(settings);
    })
    .await;
    let account = server.account(cloud, "alice").unwrap();
    CloudWorld { server, account, app, provider, client_id }
}

impl CloudWorld {
    /// A connection from freshly issued tokens and a configuration of `/Projects`.
    pub async fn configure(&self, caller: &Caller) -> (Connection, SyncConfiguration) {
        let issued = self.account.issue_tokens(&self.client_id);
        super::recording::register_secret(&issued.access_token);
        if let Some(refresh) = &issued.refresh_token {
            super::recording::register_secret(refresh);
        }
        let tokens = TokenSet {
            access_token: SecretText::new(issued.access_token),
            refresh_token: issued.refresh_token.map(SecretText::new),
            expires_in: Some(Duration::from_secs(issued.expires_in)),
            scopes: None,
        };
        let service = &self.app.service;
        let connection = service
            .import_oauth(caller, self.provider, "Cloud files", &tokens, BTreeMap::new())
            .await
            .expect("connection");
        let mut browsed =
            ServicePort::browse(&**service, caller, &connection.id, None).await.expect("browse");
        // Drive lists its drives first: `/Projects` is in My Drive.
        if let Some(my_drive) = browsed.entries.iter().find(|e| e.name == "My Drive") {
            let folder = Some(my_drive.remote_id.clone());
            browsed = ServicePort::browse(&**service, caller, &connection.id, folder)
                .await
                .expect("browse My Drive");
        }
        let projects = browsed
            .entries
            .iter()
            .find(|e| e.name == "Projects")
            .unwrap_or_else(|| panic!("Projects in {browsed:?}"));
        let input = SyncConfigInput {
            connection_id: connection.id.clone(),
            profile_key: "engineering".into(),
            name: "Projects".into(),
            source_paths: vec![SourcePath {
                path: projects.path.clone(),
                remote_id: projects.remote_id.clone(),
                include_subfolders: true,
            }],
            filters: Filters::default(),
            schedule: Schedule::default(),
            sync_options: SyncOptions::default(),
        };
        let config = ServicePort::create_config(&**service, caller, input).await.expect("config");
        (connection, config)
    }

    pub fn id(&self, path: &str) -> String {
        self.account.item(path).unwrap_or_else(|| panic!("{path} exists")).id
    }
}

fn paths(index: &BTreeMap<String, String>) -> Vec<&str> {
    index.keys().map(String::as_str).collect()
}

/// Full sync, a no-op incremental sync, then add / edit / rename / move /
/// delete and an incremental sync; finally a revoked sign-in.
pub async fn sync_follows_the_cloud(world: CloudWorld) {
    let service = &world.app.service;
    let alice = caller(service, "alice").await;
    let (connection, config) = world.configure(&alice).await;

    let job = run_and_wait(service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    assert_eq!(job.progress.files_failed, 0, "{:?}", job.errors);
    // Exactly the seeded files under /Projects, each with its text extracted.
    let manifest = world.account.manifest().expect("seeded");
    let seeded: BTreeMap<&str, &str> = manifest
        .files()
        .filter(|f| f.path.starts_with("/Projects/"))
        .map(|f| (f.path.as_str(), f.expected_text.as_deref().unwrap_or("")))
        .collect();
    assert!(seeded.len() >= 6, "{seeded:?}");
    let indexed = index(service, &alice, &config.id).await;
    assert_eq!(paths(&indexed), seeded.keys().copied().collect::<Vec<_>>());
    for (path, text) in &seeded {
        assert!(indexed[*path].contains(text), "{path}: {text:?} in {:?}", indexed[*path]);
    }

    let again = run_and_wait(service, &alice, &config.id, false).await;
    assert_eq!(again.status, JobStatus::Completed, "{:?}", again.message);
    assert_eq!(again.progress.files_processed, 0, "nothing changed, nothing indexed again");

    let a = &world.account;
    a.add_file(
        &world.id("/Projects/Hermes"),
        "Glaciers.md",
        b"A brand new page about glaciers.".to_vec(),
    )
    .unwrap();
    a.set_content(
        &world.id("/Projects/Hermes/Roadmap.txt"),
        b"Hermes roadmap\n\nUpdate: travel cancelled.".to_vec(),
    )
    .unwrap();
    a.rename(&world.id("/Projects/Apollo/Meeting Notes.md"), "Weekly Notes.md").unwrap();
    a.move_item(&world.id("/Projects/Hermes/README.md"), &world.id("/Projects/Apollo")).unwrap();
    a.delete(&world.id("/Projects/Apollo/Design/Requirements.docx")).unwrap();

    let incremental = run_and_wait(service, &alice, &config.id, false).await;
    assert_eq!(incremental.status, JobStatus::Completed, "{:?}", incremental.message);
    assert_eq!(incremental.progress.files_failed, 0, "{:?}", incremental.errors);
    assert_eq!(incremental.progress.files_deleted, 1);
    let indexed = index(service, &alice, &config.id).await;
    let mut expected: Vec<&str> = seeded
        .keys()
        .copied()
        .filter(|p| {
            ![
                "/Projects/Apollo/Meeting Notes.md",
                "/Projects/Hermes/README.md",
                "/Projects/Apollo/Design/Requirements.docx",
            ]
            .contains(p)
        })
        .chain([
            "/Projects/Apollo/Weekly Notes.md",
            "/Projects/Apollo/README.md",
            "/Projects/Hermes/Glaciers.md",
        ])
        .collect();
    expected.sort();
    assert_eq!(paths(&indexed), expected);
    assert!(indexed["/Projects/Hermes/Roadmap.txt"].contains("travel cancelled"));
    assert!(indexed["/Projects/Hermes/Glaciers.md"].contains("glaciers"));
    assert!(indexed["/Projects/Apollo/Weekly Notes.md"].contains("feature flag"));

    // The user revokes the app at the provider: the next sync fails and the
    // connection says why, instead of retrying forever.
    world.account.revoke_tokens();
    let failed = run_and_wait(service, &alice, &config.id, false).await;
    assert_eq!(failed.status, JobStatus::Failed, "{failed:?}");
    let connection = ServicePort::get_connection(&**service, &alice, &connection.id).await.unwrap();
    assert_eq!(connection.status, ConnectionStatus::Expired, "{connection:?}");
    let message = connection.status_message.unwrap_or_default();
    assert!(message.contains("reconnect"), "{message}");
    let job_message = failed.message.unwrap_or_default();
    assert!(!job_message.is_empty(), "the job says why it failed");
    // What was indexed stays: a revoked sign-in is not a deletion.
    assert_eq!(index(service, &alice, &config.id).await.len(), expected.len());
}
