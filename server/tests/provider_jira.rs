//! The Jira provider against the Jira Cloud simulator: the shared conformance checks,
//! issues with comments and attachments as documents, ADF descriptions as text, attachment
//! changes, the ID sweep behind a lagging index, 429 storms, OAuth through
//! accessible-resources, wrong API tokens and the SSRF guard.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use app::model::{AuthType, SecretText, SourcePath};
use async_trait::async_trait;
use cloud_sources::ingest::{DocumentHint, Limits, extract};
use cloud_sources::providers::http::HttpDeps;
use cloud_sources::providers::jira::JiraFactory;
use cloud_sources::providers::{
    Change, ErrorKind, Provider, ProviderAuth, ProviderContext, ProviderFactory,
};
use cloud_sources::sandbox::atlassian::{AtlassianAccount, SiteSettings};
use cloud_sources::sandbox::{FaultConfig, Provider as SandboxProvider};
use serde_json::json;
use support::atlassian::{self, FixedToken, loopback_deps, retries};
use support::provider_conformance::{self as conformance, ContainerBackend, drain, list_all};

type Site = atlassian::Site<JiraFactory>;

async fn site(username: &str) -> Site {
    atlassian::site(username).await
}

/// Projects as containers, issues as documents.
struct JiraBackend(AtlassianAccount);

impl JiraBackend {
    fn key_of(&self, id: &str) -> String {
        ["DOCS", "OTHER"]
            .iter()
            .flat_map(|p| self.0.issues(p))
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("issue {id}"))
            .key
    }
}

fn project_key(name: &str) -> String {
    name.to_uppercase()
}

#[async_trait]
impl ContainerBackend for JiraBackend {
    async fn add_container(&self, name: &str) {
        self.0.add_project(&project_key(name), name).unwrap();
    }
    async fn add(&self, container: &str, title: &str, text: &str) -> String {
        let key = self.0.add_issue(&project_key(container), title, text).unwrap();
        self.0.issue(&key).unwrap().id
    }
    async fn edit(&self, id: &str, text: &str) {
        self.0.update_issue(&self.key_of(id), None, Some(text)).unwrap();
    }
    async fn retitle(&self, id: &str, title: &str) {
        self.0.update_issue(&self.key_of(id), Some(title), None).unwrap();
    }
    async fn move_to(&self, id: &str, container: &str) -> String {
        let key = self.0.move_issue(&self.key_of(id), &project_key(container)).unwrap();
        self.0.issue(&key).unwrap().id
    }
    async fn remove(&self, id: &str) {
        self.0.delete_issue(&self.key_of(id)).unwrap();
    }
}

fn project(key: &str) -> SourcePath {
    SourcePath {
        path: String::new(),
        remote_id: format!("project:{key}"),
        include_subfolders: true,
    }
}

fn split(changes: &[Change]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut up = BTreeSet::new();
    let mut down = BTreeSet::new();
    for change in changes {
        match change {
            Change::Upsert(item) => assert!(up.insert(item.id.clone()), "{changes:#?}"),
            Change::Delete { id } => assert!(down.insert(id.clone()), "{changes:#?}"),
        }
    }
    (up, down)
}

#[tokio::test]
async fn the_jira_provider_passes_the_conformance_checks() {
    let site = site("conformance").await;
    conformance::run_containers(site.provider(), &JiraBackend(site.account.clone())).await;
}

/// Server / Data Center: a personal access token as `Bearer`, REST v2 with the `startAt`
/// search (a Data Center site has no v3, so no `search/jql`), descriptions as plain
/// wiki-markup strings; the same conformance checks as Cloud.
#[tokio::test]
async fn jira_data_center_passes_the_conformance_checks_with_a_personal_access_token() {
    let site = site("datacenter").await;
    let provider = site.data_center_provider();
    conformance::run_containers(provider.clone(), &JiraBackend(site.account.clone())).await;
    let counts = site.account.account().request_counts();
    assert!(counts.endpoint("jira.search") > 0, "{counts:?}");
    assert_eq!(counts.endpoint("jira.search.jql"), 0, "{counts:?}");

    let listed = list_all(provider.as_ref(), &project("ENG")).await;
    let issue = &listed["/Engineering/ENG-1 Checkout fails for carts over 100 items"];
    let json = conformance::download(provider.as_ref(), issue, 1 << 20).await.unwrap();
    let hint = DocumentHint { name: &issue.name, mime_type: Some(&issue.mime_type) };
    let text = extract(&json, &hint, &Limits::default()).unwrap().text;
    assert!(text.contains("Customers with large carts see a timeout at payment."), "{text}");
    // Attachments come from `/secure/attachment/{id}/{name}`, projects from `GET /project`.
    let log = &listed["/Engineering/ENG-1/gateway.log"];
    let bytes = conformance::download(provider.as_ref(), log, 1024).await.unwrap();
    assert_eq!(bytes, b"ERROR upstream timed out while reading the payment response");
    let projects = provider.list_folders(None).await.unwrap();
    assert!(projects.iter().any(|p| p.remote_id == "project:ENG"), "{projects:#?}");
    let counts = site.account.account().request_counts();
    assert!(counts.endpoint("jira.secure.attachment") > 0, "{counts:?}");
    assert!(counts.endpoint("jira.project.all") > 0, "{counts:?}");
    assert_eq!(counts.endpoint("jira.project.search"), 0, "{counts:?}");
    // Cloud credentials (e-mail + API token over Basic) are not accepted by Data Center.
    let err = site.provider().test().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthExpired, "{err}");
}

#[tokio::test]
async fn projects_are_the_picker_and_issues_with_attachments_are_the_documents() {
    let site = site("listing").await;
    let provider = site.provider();
    let projects = provider.list_folders(None).await.unwrap();
    let names: Vec<(&str, &str, &str)> =
        projects.iter().map(|p| (p.name.as_str(), p.path.as_str(), p.remote_id.as_str())).collect();
    assert_eq!(
        names,
        [
            ("Engineering", "/Engineering", "project:ENG"),
            ("Operations", "/Operations", "project:OPS"),
            // Favourite saved filters follow the projects; "Schema questions" is not starred.
            ("Reliability work", "/Filters/Reliability work", "filter:10000"),
        ]
    );
    assert_eq!(projects[2].kind, app::model::EntryKind::Filter);
    assert!(provider.list_folders(Some("project:ENG")).await.unwrap().is_empty());

    let listed = list_all(provider.as_ref(), &project("ENG")).await;
    let paths: Vec<&str> = listed.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/Engineering/ENG-1 Checkout fails for carts over 100 items",
            "/Engineering/ENG-1/gateway.log",
            "/Engineering/ENG-2 Add retry budget to the sync worker",
            "/Engineering/ENG-3 Document the index schema",
        ]
    );
    let issue = &listed["/Engineering/ENG-1 Checkout fails for carts over 100 items"];
    assert_eq!(issue.metadata["issue_key"], "ENG-1");
    assert_eq!(issue.mime_type, "application/vnd.atlassian.jira.issue+json");
    assert!(issue.web_url.as_deref().unwrap().ends_with("/browse/ENG-1"));
    let log = &listed["/Engineering/ENG-1/gateway.log"];
    assert!(log.id.starts_with("att"));
    let bytes = conformance::download(provider.as_ref(), log, 1024).await.unwrap();
    assert_eq!(bytes, b"ERROR upstream timed out while reading the payment response");

    // The issue document: key, summary, fields, the ADF description as text, comments.
    let json = conformance::download(provider.as_ref(), issue, 1 << 20).await.unwrap();
    let hint = DocumentHint { name: &issue.name, mime_type: Some(&issue.mime_type) };
    let text = extract(&json, &hint, &Limits::default()).unwrap().text;
    for expected in [
        "ENG-1: Checkout fails for carts over 100 items",
        "Customers with large carts see a timeout at payment.",
        "The gateway drops the request after 30 seconds.",
        "Reproduced with 120 items on staging.",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(!text.contains("\"type\""), "no raw ADF: {text}");
}

#[tokio::test]
async fn comments_and_attachment_changes_reach_the_change_feed() {
    let site = site("attachments").await;
    let provider = site.provider();
    let selection = vec![project("ENG")];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let (scope, cursor) = (cursors[0].scope.clone(), cursors[0].cursor.clone());
    let eng1 = site.account.issue("ENG-1").unwrap();
    let eng2 = site.account.issue("ENG-2").unwrap();

    site.account.add_comment("ENG-2", "Budget agreed: five minutes.").unwrap();
    let added = site
        .account
        .attach_to_issue("ENG-2", "trace.txt", "text/plain", b"trace".to_vec())
        .unwrap();
    let (old_log, _) = eng1.attachments[0].clone();
    site.account.remove_issue_attachment(&old_log).unwrap();

    let (changes, cursor) = drain(provider.as_ref(), &selection, &scope, &cursor).await;
    let (up, down) = split(&changes);
    assert_eq!(up, BTreeSet::from([eng1.id.clone(), eng2.id.clone(), format!("att{added}")]));
    assert_eq!(down, BTreeSet::from([format!("att{old_log}")]));
    let eng2_item = changes
        .iter()
        .find_map(|c| match c {
            Change::Upsert(item) if item.id == eng2.id => Some(item.clone()),
            _ => None,
        })
        .unwrap();
    let json = conformance::download(provider.as_ref(), &eng2_item, 1 << 20).await.unwrap();
    assert!(String::from_utf8_lossy(&json).contains("Budget agreed: five minutes."));

    // Deleting an issue deletes its attachments too.
    site.account.delete_issue("ENG-2").unwrap();
    let (changes, _) = drain(provider.as_ref(), &selection, &scope, &cursor).await;
    let (up, down) = split(&changes);
    assert!(up.is_empty(), "{changes:#?}");
    assert_eq!(down, BTreeSet::from([eng2.id, format!("att{added}")]));
}

fn filter(id: &str) -> SourcePath {
    SourcePath {
        path: "/Filters/Reliability work".into(),
        remote_id: format!("filter:{id}"),
        include_subfolders: true,
    }
}

fn issue_names(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = items.into_iter().collect();
    names.sort();
    names
}

/// A saved filter selects issues across projects by its JQL; issues that stop matching
/// (edited, or the filter itself changed) leave the index at the next run, and a deleted
/// filter fails the run with a message rather than deleting everything.
#[tokio::test]
async fn a_saved_filter_selects_issues_across_projects_and_follows_its_jql() {
    let site = site("filters").await;
    let provider = site.provider();
    // Seeded: "Reliability work" = `project = OPS OR summary ~ "retry" ORDER BY updated DESC`.
    let selection = vec![filter("10000")];
    let listed = list_all(provider.as_ref(), &selection[0]).await;
    assert_eq!(
        issue_names(listed.values().map(|i| i.name.clone())),
        ["ENG-2 Add retry budget to the sync worker", "OPS-1 Rotate the TLS certificates"]
    );
    let folder = provider.metadata("filter:10000").await.unwrap();
    assert_eq!((folder.name.as_str(), folder.is_folder), ("Reliability work", true));

    let cursors = provider.start_cursors(&selection).await.unwrap();
    let (scope, cursor) = (cursors[0].scope.clone(), cursors[0].cursor.clone());
    let eng2 = site.account.issue("ENG-2").unwrap();
    let eng3 = site.account.issue("ENG-3").unwrap();
    // ENG-2 stops matching, ENG-3 starts to, a new OPS issue matches by project.
    site.account.update_issue("ENG-2", Some("Add a time budget to the sync worker"), None).unwrap();
    site.account.update_issue("ENG-3", Some("Retry the index schema write"), None).unwrap();
    let ops2 = site.account.add_issue("OPS", "Patch the load balancers", "").unwrap();
    let ops2 = site.account.issue(&ops2).unwrap();
    let (changes, cursor) = drain(provider.as_ref(), &selection, &scope, &cursor).await;
    let (up, down) = split(&changes);
    assert_eq!(up, BTreeSet::from([eng3.id.clone(), ops2.id.clone()]), "{changes:#?}");
    assert_eq!(down, BTreeSet::from([eng2.id.clone()]), "{changes:#?}");

    // The user narrows the filter in Jira: the next run drops what no longer matches.
    site.account.update_filter("10000", "project = OPS").unwrap();
    let (changes, _) = drain(provider.as_ref(), &selection, &scope, &cursor).await;
    let (up, down) = split(&changes);
    assert!(up.is_empty(), "{changes:#?}");
    assert_eq!(down, BTreeSet::from([eng3.id.clone()]), "{changes:#?}");

    // A deleted filter is an error naming it, not an empty result that would delete all.
    site.account.delete_filter("10000").unwrap();
    let err = provider.changes(&selection, &scope, &cursor).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("saved filter 10000 no longer exists"), "{err}");
    // A filter without conditions would select every issue: refused with the reason.
    let everything = site.account.add_filter("Everything", "ORDER BY created DESC", true).unwrap();
    let err = provider.start_cursors(&[filter(&everything)]).await.unwrap_err();
    assert!(err.message().contains("would match every issue"), "{err}");
    assert!(
        provider.list_folders(None).await.unwrap().iter().all(|e| e.name != "Everything"),
        "a filter without conditions is not offered"
    );
}

/// Data Center serves saved filters on REST v2 the same way.
#[tokio::test]
async fn saved_filters_work_on_data_center() {
    let site = site("filters-dc").await;
    let provider = site.data_center_provider();
    let entries = provider.list_folders(None).await.unwrap();
    assert!(entries.iter().any(|e| e.remote_id == "filter:10000"), "{entries:#?}");
    let listed = list_all(provider.as_ref(), &filter("10000")).await;
    assert_eq!(listed.len(), 2, "{listed:#?}");
}

#[tokio::test]
async fn an_edit_the_search_index_has_not_caught_up_with_is_found_by_the_sweep() {
    let site = site("lag").await;
    let provider = site.provider();
    let selection = vec![project("OPS")];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    site.account.set_settings(SiteSettings { search_lag_ms: 3_600_000, ..Default::default() });
    site.account.update_issue("OPS-1", Some("Rotate the TLS certificates now"), None).unwrap();
    let (changes, next) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let names: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Upsert(item) => Some(item.name.as_str()),
            Change::Delete { .. } => None,
        })
        .collect();
    assert_eq!(names, ["OPS-1 Rotate the TLS certificates now"], "{changes:#?}");
    let (again, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, &next).await;
    assert!(again.is_empty(), "{again:#?}");
}

#[tokio::test]
async fn a_storm_of_429s_is_survived_with_the_same_result() {
    let site = site("storm").await;
    let everything = |provider: Arc<dyn Provider>| async move {
        let selection = vec![project("ENG")];
        let listed = list_all(provider.as_ref(), &selection[0]).await;
        let cursors = provider.start_cursors(&selection).await.unwrap();
        let (changes, _) =
            drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
        let mut bodies = Vec::new();
        for item in listed.values() {
            bodies.push(conformance::download(provider.as_ref(), item, 1 << 20).await.unwrap());
        }
        (listed, changes.len(), bodies)
    };
    let quiet = everything(site.provider()).await;
    site.account.account().set_faults(FaultConfig {
        rate_limit_share: 0.4,
        retry_after_secs: 1,
        seed: Some(11),
        ..Default::default()
    });
    let stormy = everything(site.provider_with(&loopback_deps(12), &site.token)).await;
    assert_eq!(stormy, quiet);
    assert_eq!(quiet.1, 0, "nothing changed");
    let counts = site.account.account().request_counts();
    assert!(counts.throttled > 0, "the storm happened: {counts:?}");
}

#[tokio::test]
async fn a_wrong_api_token_fails_with_a_clear_error() {
    let site = site("wrong").await;
    let provider = site.provider_with(&loopback_deps(2), "ATATT3x-not-the-token");
    let err = provider.test().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthExpired);
    assert!(err.message().contains("Jira rejected the credentials (HTTP 401)"), "{err}");
    assert!(!err.to_string().contains("not-the-token"), "{err}");
    let ok = site.provider().test().await.unwrap();
    assert!(ok.label.starts_with(&site.account.email()), "{}", ok.label);
}

#[tokio::test]
async fn internal_site_urls_are_refused_unless_the_operator_allows_them() {
    let site = site("ssrf").await;
    let strict = HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), retries(0));
    let factory = site.factory(&strict);
    for url in ["https://127.0.0.1", "https://169.254.169.254", "https://10.0.0.1", "https://[::1]"]
    {
        let err = factory
            .parse_credentials(
                AuthType::ApiKey,
                &json!({"site_url": url, "email": "a@example.com", "api_token": "t"}),
            )
            .expect_err(url);
        assert!(err.contains("security.allow_hosts"), "{url}: {err}");
    }
    let err = factory
        .parse_credentials(
            AuthType::ApiKey,
            &json!({"site_url": site.site_url(), "email": site.account.email(), "api_token": site.token}),
        )
        .expect_err("plain http on loopback");
    assert!(
        err.contains("is an internal address") && err.contains("security.allow_hosts"),
        "{err}"
    );
}

#[tokio::test]
async fn oauth_connections_reach_the_site_through_accessible_resources() {
    let site = site("oauth").await;
    let tokens =
        site.server.account(SandboxProvider::Atlassian, "oauth").unwrap().issue_tokens("t");
    let deps = loopback_deps(2);
    let provider = site
        .factory(&deps)
        .connect(ProviderContext {
            connection_id: "conn-oauth".into(),
            auth: ProviderAuth::OAuth {
                tokens: Arc::new(FixedToken(SecretText::new(tokens.access_token))),
                extra: Default::default(),
            },
            http: deps,
        })
        .unwrap();
    assert!(provider.test().await.unwrap().label.ends_with(".atlassian.net"));
    let listed = list_all(provider.as_ref(), &project("OPS")).await;
    let item = listed.values().next().unwrap();
    assert!(item.web_url.as_deref().unwrap().starts_with(&site.account.site_url()));
    let json = conformance::download(provider.as_ref(), item, 1 << 20).await.unwrap();
    assert!(String::from_utf8_lossy(&json).contains("The wildcard certificate expires in March."));
}
