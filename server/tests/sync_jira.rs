//! The sync engine end to end against the Jira Cloud simulator: a project synced with
//! API-token credentials (issues with their ADF descriptions and comments as text,
//! attachments as documents), then comments, deletions and moves picked up incrementally;
//! a saved filter as the selection.

mod support;

use std::collections::BTreeMap;

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::sandbox::atlassian::AtlassianAccount;
use cloud_sources::sandbox::{SandboxOptions, SandboxServer, spawn};
use support::app::TestApp;
use support::sync::{caller, index, run_and_wait};

struct World {
    sandbox: SandboxServer,
    account: AtlassianAccount,
    app: TestApp,
}

async fn world() -> World {
    let sandbox = spawn(SandboxOptions::default()).await.unwrap();
    let account = sandbox.sandbox().atlassian("team").unwrap();
    let app = TestApp::spawn_with(|settings| {
        settings.security.allow_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    World { sandbox, account, app }
}

impl World {
    async fn configure(&self, caller: &Caller, project: &str) -> SyncConfiguration {
        let input = NewConnection {
            provider: ProviderId::Jira,
            display_name: "Tracker".into(),
            auth_type: AuthType::ApiKey,
            credentials: serde_json::json!({
                "site_url": format!("{}/atlassian/sites/{}", self.sandbox.base_url(), self.account.site_name()),
                "email": self.account.email(),
                "api_token": self.account.issue_api_token(),
            }),
        };
        let connection =
            self.app.service.create_connection(caller, input).await.expect("connection");
        let browsed = self.app.service.browse(caller, &connection.id, None).await.expect("browse");
        let entry =
            browsed.entries.iter().find(|e| e.name == project).expect("project in the picker");
        let input = SyncConfigInput {
            connection_id: connection.id.clone(),
            profile_key: "tracker".into(),
            name: project.into(),
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

/// The indexed paths, sorted.
fn paths(index: &BTreeMap<String, String>) -> Vec<&str> {
    let mut paths: Vec<&str> = index.keys().map(String::as_str).collect();
    paths.sort();
    paths
}

fn text<'a>(index: &'a BTreeMap<String, String>, suffix: &str) -> &'a str {
    index
        .iter()
        .find(|(p, _)| p.ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} in {:?}", index.keys()))
        .1
}

#[tokio::test]
async fn a_project_syncs_its_issues_and_attachments_and_follows_comments_deletions_and_moves() {
    let world = world().await;
    let alice = caller(&world.app.service, "alice").await;
    let config = world.configure(&alice, "Engineering").await;

    let job = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    assert_eq!(job.progress.files_failed, 0, "{:?}", job.errors);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    assert_eq!(
        paths(&indexed),
        [
            "/Engineering/ENG-1 Checkout fails for carts over 100 items",
            "/Engineering/ENG-1/gateway.log",
            "/Engineering/ENG-2 Add retry budget to the sync worker",
            "/Engineering/ENG-3 Document the index schema",
        ]
    );
    let eng1 = text(&indexed, "ENG-1 Checkout fails for carts over 100 items");
    for expected in [
        "ENG-1: Checkout fails for carts over 100 items",
        "The gateway drops the request after 30 seconds.",
        "Reproduced with 120 items on staging.",
    ] {
        assert!(eng1.contains(expected), "{expected:?} in {eng1}");
    }
    assert!(!eng1.contains("\"paragraph\""), "ADF is converted: {eng1}");
    assert!(text(&indexed, "gateway.log").contains("upstream timed out"));

    let again = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(again.status, JobStatus::Completed, "{:?}", again.message);
    assert_eq!(again.progress.files_processed, 0, "nothing changed, nothing indexed again");

    world.account.add_comment("ENG-2", "Budget agreed: five minutes in total.").unwrap();
    world.account.delete_issue("ENG-3").unwrap();
    world.account.move_issue("ENG-1", "OPS").unwrap();
    world.account.add_issue("ENG", "Index the audit log", "Audit events need search too.").unwrap();

    let incremental = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(incremental.status, JobStatus::Completed, "{:?}", incremental.message);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    assert_eq!(
        paths(&indexed),
        [
            "/Engineering/ENG-2 Add retry budget to the sync worker",
            "/Engineering/ENG-4 Index the audit log",
        ],
        "the deleted issue and the moved one (with its attachment) are gone"
    );
    assert!(text(&indexed, "ENG-2 Add retry budget to the sync worker").contains("Budget agreed"));
    assert!(text(&indexed, "ENG-4 Index the audit log").contains("Audit events need search too."));
    assert!(incremental.progress.files_deleted >= 2);
}

/// A favourite saved filter picked in the picker: its issues from both projects are
/// indexed, and an issue edited out of the filter leaves the index at the next run.
#[tokio::test]
async fn a_saved_filter_syncs_the_issues_its_jql_selects() {
    let world = world().await;
    let alice = caller(&world.app.service, "alice").await;
    let config = world.configure(&alice, "Reliability work").await;
    assert_eq!(config.source_paths[0].remote_id, "filter:10000");

    let job = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    assert_eq!(
        paths(&indexed),
        [
            "/Engineering/ENG-2 Add retry budget to the sync worker",
            "/Operations/OPS-1 Rotate the TLS certificates",
        ]
    );

    world
        .account
        .update_issue("ENG-2", Some("Add a time budget to the sync worker"), None)
        .unwrap();
    let next = run_and_wait(&world.app.service, &alice, &config.id, false).await;
    assert_eq!(next.status, JobStatus::Completed, "{:?}", next.message);
    let indexed = index(&world.app.service, &alice, &config.id).await;
    assert_eq!(paths(&indexed), ["/Operations/OPS-1 Rotate the TLS certificates"]);
    assert_eq!(next.progress.files_deleted, 1);
}
