//! The sync engine end to end against the Confluence Cloud simulator: a space synced with
//! API-token credentials (pages as text, attachments as documents), then edits, additions and
//! deletions picked up incrementally; and an OAuth connection whose rotating refresh tokens
//! are saved on every refresh.

mod support;

use std::collections::BTreeMap;

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::sandbox::atlassian::AtlassianAccount;
use cloud_sources::sandbox::{OAuthClient, Provider, SandboxOptions, SandboxServer, spawn};
use support::app::TestApp;
use support::sync::{caller, index, run_and_wait};

const CLIENT_ID: &str = "recallhub-atlassian-test";
const CLIENT_SECRET: &str = "atlassian-test-secret";

struct World {
    sandbox: SandboxServer,
    account: AtlassianAccount,
    app: TestApp,
}

async fn world() -> World {
    let sandbox = spawn(SandboxOptions::default()).await.unwrap();
    let account = sandbox.sandbox().atlassian("team").unwrap();
    sandbox.sandbox().register_client(OAuthClient {
        provider: Provider::Atlassian,
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        redirect_uris: vec!["http://127.0.0.1/callback".into()],
        name: "RecallHub tests".into(),
    });
    let endpoints = sandbox.endpoints(Provider::Atlassian);
    let app = TestApp::spawn_with(|settings| {
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
        for id in ["confluence", "jira"] {
            settings.providers.insert(
                id.into(),
                cloud_sources::config::ProviderSettings {
                    client_id: Some(CLIENT_ID.into()),
                    client_secret: Some(CLIENT_SECRET.to_string().into()),
                    api_base: Some(endpoints.api_base.clone()),
                    auth_url: Some(endpoints.auth_url.clone()),
                    token_url: Some(endpoints.token_url.clone()),
                    ..Default::default()
                },
            );
        }
    })
    .await;
    World { sandbox, account, app }
}

impl World {
    fn site_url(&self) -> String {
        format!("{}/atlassian/sites/{}", self.sandbox.base_url(), self.account.site_name())
    }

    async fn connect(
        &self,
        caller: &Caller,
        token: &str,
    ) -> Result<Connection, app::error::AppError> {
        let input = NewConnection {
            provider: ProviderId::Confluence,
            display_name: "Wiki".into(),
            auth_type: AuthType::ApiKey,
            credentials: serde_json::json!({
                "site_url": self.site_url(),
                "email": self.account.email(),
                "api_token": token,
            }),
        };
        self.app.service.create_connection(caller, input).await
    }

    async fn configure(
        &self,
        caller: &Caller,
        connection: &Connection,
        space: &str,
    ) -> SyncConfiguration {
        let browsed = self.app.service.browse(caller, &connection.id, None).await.expect("browse");
        let entry = browsed.entries.iter().find(|e| e.name == space).expect("space in the picker");
        let input = SyncConfigInput {
            connection_id: connection.id.clone(),
            profile_key: "wiki".into(),
            name: space.into(),
            source_paths: vec![SourcePath {
                path: entry.path.clone(),
                remote_id: entry.remote_id.clone(),
                include_subfolders: true,
            }],
            filters: Filters::default(),
            schedule: Schedule::default(),
            sync_options: SyncOptions::default(),
        };
        ServicePort::create_config(&*self.app.service, caller, input).await.expect("config")
    }
}

fn text<'a>(index: &'a BTreeMap<String, String>, suffix: &str) -> &'a str {
    index
        .iter()
        .find(|(p, _)| p.ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} in {:?}", index.keys()))
        .1
}

#[tokio::test]
async fn a_space_syncs_its_pages_and_attachments_and_follows_edits_additions_and_deletions() {
    let world = world().await;
    let alice = caller(&world.app.service, "alice").await;
    let token = world.account.issue_api_token();
    let connection = world.connect(&alice, &token).await.expect("connection");
    let config = world.configure(&alice, &connection, "Engineering").await;

    let job = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    assert_eq!(job.progress.files_failed, 0, "{:?}", job.errors);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    let mut paths: Vec<&str> = indexed.keys().map(String::as_str).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/Engineering/Engineering Home",
            "/Engineering/Engineering Home/Architecture Overview",
            "/Engineering/Engineering Home/Architecture Overview/Storage Layer",
            "/Engineering/Engineering Home/Architecture Overview/Storage Layer/capacity-notes.txt",
            "/Engineering/Engineering Home/Runbooks",
            "/Engineering/Engineering Home/Runbooks/On-call Guide",
            "/Engineering/Release 2.4 shipped",
        ],
        "pages, blog posts and text attachments; the photo has no text"
    );
    let storage = text(&indexed, "/Storage Layer");
    assert!(storage.contains("We shard the document store by tenant"), "{storage}");
    assert!(storage.contains("NVMe"), "tables become text: {storage}");
    assert!(!storage.contains("<p>"), "storage format is converted: {storage}");
    let oncall = text(&indexed, "/On-call Guide");
    assert!(oncall.contains("kubectl rollout restart"), "code macros keep their text: {oncall}");
    assert!(text(&indexed, "capacity-notes.txt").contains("200 GB"));

    let again = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(again.status, JobStatus::Completed, "{:?}", again.message);
    assert_eq!(again.progress.files_processed, 0, "nothing changed, nothing indexed again");

    let runbooks =
        world.account.contents("ENG").into_iter().find(|c| c.title == "Runbooks").unwrap();
    world
        .account
        .update_page(&runbooks.id, None, Some("<p>Runbooks moved to the incident portal.</p>"))
        .unwrap();
    let storage_page =
        world.account.contents("ENG").into_iter().find(|c| c.title == "Storage Layer").unwrap();
    world.account.delete_content(&storage_page.id).unwrap();
    world
        .account
        .add_page("ENG", Some(&runbooks.id), "Postmortems", "<p>Blameless reviews of outages.</p>")
        .unwrap();

    let incremental = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(incremental.status, JobStatus::Completed, "{:?}", incremental.message);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    assert!(text(&indexed, "/Runbooks").contains("incident portal"));
    assert!(text(&indexed, "/Runbooks/Postmortems").contains("Blameless reviews"));
    assert!(
        !indexed.keys().any(|p| p.contains("Storage Layer")),
        "the trashed page and its attachment are gone: {:?}",
        indexed.keys()
    );
    assert_eq!(indexed.len(), 6, "{:?}", indexed.keys());
    assert!(incremental.progress.files_deleted >= 1);
}

#[tokio::test]
async fn a_wrong_api_token_is_refused_when_the_connection_is_tested() {
    let world = world().await;
    let alice = caller(&world.app.service, "alice").await;
    world.account.issue_api_token();
    let result = world.connect(&alice, "ATATT3x-wrong").await;
    let message = match result {
        Err(e) => e.to_string(),
        Ok(connection) => {
            let tested = world.app.service.test_connection(&alice, &connection.id).await.unwrap();
            assert!(!tested.ok);
            tested.message
        }
    };
    assert!(message.contains("401") || message.to_lowercase().contains("credentials"), "{message}");
    assert!(!message.contains("ATATT3x-wrong"), "{message}");
}

#[tokio::test]
async fn rotated_refresh_tokens_are_saved_so_every_later_refresh_works() {
    let world = world().await;
    let alice = caller(&world.app.service, "alice").await;
    let sandbox_account = world.sandbox.account(Provider::Atlassian, "team").unwrap();
    let minted = sandbox_account.issue_tokens(CLIENT_ID);
    let tokens = cloud_sources::oauth::client::TokenSet {
        access_token: SecretText::new(minted.access_token),
        refresh_token: minted.refresh_token.map(SecretText::new),
        expires_in: Some(std::time::Duration::from_secs(minted.expires_in)),
        scopes: None,
    };
    let connection = world
        .app
        .service
        .import_oauth(&alice, ProviderId::Confluence, "Wiki (OAuth)", &tokens, Default::default())
        .await
        .expect("oauth connection");

    // Each expiry forces a refresh. Atlassian rotates refresh tokens and revokes the whole
    // grant when an old one is used again, so the third browse only works if the token
    // from the second refresh was saved.
    for round in 0..3 {
        sandbox_account.expire_tokens();
        let browsed = world
            .app
            .service
            .browse(&alice, &connection.id, None)
            .await
            .unwrap_or_else(|e| panic!("browse after expiry {round}: {e}"));
        let names: Vec<&str> = browsed.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Engineering", "People Team"]);
    }
    let counts = sandbox_account.request_counts();
    assert_eq!(counts.by_endpoint.get("oauth.token"), Some(&3), "{counts:?}");
    let stored = world.app.service.get_connection(&alice, &connection.id).await.unwrap();
    assert_eq!(stored.status, ConnectionStatus::Active, "{stored:?}");
}
