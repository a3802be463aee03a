//! The Confluence provider against the Confluence Cloud simulator: the shared conformance
//! checks, the lazy page tree, page-subtree selections with attachments, the ID sweep behind
//! a lagging search index, 429 storms, OAuth through accessible-resources, wrong API tokens
//! and the SSRF guard.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use app::model::{AuthType, SecretText, SourcePath};
use async_trait::async_trait;
use cloud_sources::providers::confluence::ConfluenceFactory;
use cloud_sources::providers::http::HttpDeps;
use cloud_sources::providers::{
    Change, ErrorKind, Provider, ProviderAuth, ProviderContext, ProviderFactory,
};
use cloud_sources::sandbox::atlassian::{AtlassianAccount, SiteSettings};
use cloud_sources::sandbox::{FaultConfig, Provider as SandboxProvider};
use serde_json::json;
use support::atlassian::{self, FixedToken, loopback_deps, retries};
use support::provider_conformance::{self as conformance, ContainerBackend, drain, list_all};

type Site = atlassian::Site<ConfluenceFactory>;

async fn site(username: &str) -> Site {
    atlassian::site(username).await
}

fn space_key(name: &str) -> String {
    name.to_uppercase()
}

#[async_trait]
impl ContainerBackend for AtlassianAccount {
    async fn add_container(&self, name: &str) {
        self.add_space(&space_key(name), name).unwrap();
    }
    async fn add(&self, container: &str, title: &str, text: &str) -> String {
        self.add_page(&space_key(container), None, title, &format!("<p>{text}</p>")).unwrap().id
    }
    async fn edit(&self, id: &str, text: &str) {
        self.update_page(id, None, Some(&format!("<p>{text}</p>"))).unwrap();
    }
    async fn retitle(&self, id: &str, title: &str) {
        self.update_page(id, Some(title), None).unwrap();
    }
    async fn move_to(&self, id: &str, container: &str) -> String {
        self.move_page(id, Some(&space_key(container)), None).unwrap().id
    }
    async fn remove(&self, id: &str) {
        self.delete_content(id).unwrap();
    }
    async fn existing(&self, container: &str) -> Vec<String> {
        vec![self.homepage(&space_key(container)).unwrap().id]
    }
}

fn page_source(id: &str) -> SourcePath {
    SourcePath { path: String::new(), remote_id: format!("page:{id}"), include_subfolders: true }
}

fn space_source(key: &str) -> SourcePath {
    SourcePath { path: String::new(), remote_id: format!("space:{key}"), include_subfolders: true }
}

fn page_id(account: &AtlassianAccount, space: &str, title: &str) -> String {
    account.contents(space).into_iter().find(|c| c.title == title).unwrap().id
}

/// Server / Data Center: a personal access token as `Bearer` at the `/wiki` context path,
/// search results paged with `start` (no cursor): the same conformance checks as Cloud,
/// and a space larger than one search page lists whole.
#[tokio::test]
async fn confluence_data_center_passes_the_conformance_checks_with_a_personal_access_token() {
    let site = site("datacenter").await;
    let provider = site.data_center_provider();
    conformance::run_containers(provider.clone(), &site.account).await;

    site.account.add_space("BULK", "Bulk").unwrap();
    for n in 0..130 {
        site.account.add_page("BULK", None, &format!("Note {n:03}"), "<p>bulk</p>").unwrap();
    }
    site.account.account().reset_request_counts();
    let listed = list_all(provider.as_ref(), &space_source("BULK")).await;
    assert_eq!(listed.values().filter(|i| i.name.starts_with("Note ")).count(), 130);
    let counts = site.account.account().request_counts();
    assert!(counts.endpoint("confluence.content.search") >= 2, "paged: {counts:?}");
    // Cloud credentials (e-mail + API token over Basic) are not accepted by Data Center.
    let err = site.provider().test().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthExpired, "{err}");
}

#[tokio::test]
async fn the_confluence_provider_passes_the_conformance_checks() {
    let site = site("conformance").await;
    conformance::run_containers(site.provider(), &site.account).await;
}

#[tokio::test]
async fn the_picker_walks_spaces_then_page_trees_one_level_at_a_time() {
    let site = site("picker").await;
    let provider = site.provider();
    let spaces = provider.list_folders(None).await.unwrap();
    let names: Vec<(&str, &str, &str)> =
        spaces.iter().map(|s| (s.name.as_str(), s.path.as_str(), s.remote_id.as_str())).collect();
    assert_eq!(
        names,
        [("Engineering", "/Engineering", "space:ENG"), ("People Team", "/People Team", "space:HR")]
    );
    let roots = provider.list_folders(Some("space:ENG")).await.unwrap();
    let titles: Vec<&str> = roots.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(titles, ["Engineering Home"], "only top-level pages");
    let children = provider.list_folders(Some(&roots[0].remote_id)).await.unwrap();
    let paths: Vec<&str> = children.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/Engineering/Engineering Home/Architecture Overview",
            "/Engineering/Engineering Home/Runbooks"
        ]
    );
    assert!(children.iter().all(|c| c.selectable && c.remote_id.starts_with("page:")));
    let err = provider.list_folders(Some("space:../x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

#[tokio::test]
async fn a_page_selection_lists_its_subtree_with_attachments_and_downloads_them() {
    let site = site("subtree").await;
    let provider = site.provider();
    let arch = page_id(&site.account, "ENG", "Architecture Overview");
    let listed = list_all(provider.as_ref(), &page_source(&arch)).await;
    let paths: Vec<&str> = listed.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/Engineering/Engineering Home/Architecture Overview",
            "/Engineering/Engineering Home/Architecture Overview/Storage Layer",
            "/Engineering/Engineering Home/Architecture Overview/Storage Layer/capacity-notes.txt",
            "/Engineering/Engineering Home/Architecture Overview/Storage Layer/rack-photo.png",
        ]
    );
    let notes = &listed["/Engineering/Engineering Home/Architecture Overview/Storage Layer/capacity-notes.txt"];
    assert!(notes.id.starts_with("att"));
    assert_eq!(notes.mime_type, "text/plain");
    assert_eq!(notes.size, 58);
    let bytes = conformance::download(provider.as_ref(), notes, 1024).await.unwrap();
    assert_eq!(bytes, b"Capacity plan: each shard holds 200 GB before we split it.");
    let page = &listed["/Engineering/Engineering Home/Architecture Overview"];
    assert_eq!(page.mime_type, "application/vnd.atlassian.confluence.storage+xml");
    let body = conformance::download(provider.as_ref(), page, 1 << 20).await.unwrap();
    assert!(
        String::from_utf8_lossy(&body).contains("The ingestion pipeline feeds the vector index")
    );

    // Blog posts belong to the space, not to any page tree.
    let space = list_all(provider.as_ref(), &space_source("ENG")).await;
    assert!(space.keys().any(|p| p == "/Engineering/Release 2.4 shipped"), "{:?}", space.keys());
    assert!(!listed.keys().any(|p| p.contains("Release")));
}

#[tokio::test]
async fn trashing_a_page_deletes_it_and_its_attachments_and_moving_a_page_out_of_the_tree_deletes_it()
 {
    let site = site("deletions").await;
    let provider = site.provider();
    let home = site.account.homepage("ENG").unwrap().id;
    let selection = vec![page_source(&home)];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let (scope, cursor) = (cursors[0].scope.clone(), cursors[0].cursor.clone());

    let storage = page_id(&site.account, "ENG", "Storage Layer");
    let attachments: BTreeSet<String> = site
        .account
        .contents("ENG")
        .into_iter()
        .filter(|c| c.parent_id.as_deref() == Some(storage.as_str()) && c.id.starts_with("att"))
        .map(|c| c.id)
        .collect();
    assert_eq!(attachments.len(), 2);
    site.account.delete_content(&storage).unwrap();
    let oncall = page_id(&site.account, "ENG", "On-call Guide");
    site.account.move_page(&oncall, Some("HR"), None).unwrap();

    let (changes, _) = drain(provider.as_ref(), &selection, &scope, &cursor).await;
    let deleted: BTreeSet<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Delete { id } => Some(id.clone()),
            Change::Upsert(_) => None,
        })
        .collect();
    let mut expected = attachments.clone();
    expected.insert(storage);
    expected.insert(oncall);
    assert_eq!(deleted, expected, "{changes:#?}");
    assert!(changes.iter().all(|c| matches!(c, Change::Delete { .. })), "{changes:#?}");
}

#[tokio::test]
async fn an_edit_the_search_index_has_not_caught_up_with_is_found_by_the_sweep() {
    let site = site("lag").await;
    let provider = site.provider();
    let selection = vec![space_source("HR")];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let (scope, mut cursor) = (cursors[0].scope.clone(), cursors[0].cursor.clone());

    // The index shows edits an hour late, far behind the window's five-minute overlap.
    site.account.set_settings(SiteSettings { search_lag_ms: 3_600_000, ..Default::default() });
    let travel = page_id(&site.account, "HR", "Travel Policy");
    site.account.update_page(&travel, None, Some("<p>Book premium economy.</p>")).unwrap();
    let (changes, next) = drain(provider.as_ref(), &selection, &scope, &cursor).await;
    cursor = next;
    let upserted: Vec<(&str, Option<&str>)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Upsert(item) => Some((item.id.as_str(), item.version.as_deref())),
            Change::Delete { .. } => None,
        })
        .collect();
    assert_eq!(upserted, [(travel.as_str(), Some("2"))], "{changes:#?}");
    let (again, _) = drain(provider.as_ref(), &selection, &scope, &cursor).await;
    assert!(again.is_empty(), "{again:#?}");
}

#[tokio::test]
async fn a_storm_of_429s_is_survived_with_the_same_result() {
    let site = site("storm").await;
    let everything = |provider: Arc<dyn Provider>| async move {
        let selection = vec![space_source("ENG")];
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
        seed: Some(7),
        ..Default::default()
    });
    let provider = site.provider_with(&loopback_deps(12), &site.token);
    let stormy = everything(provider).await;
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
    assert!(err.message().contains("Confluence rejected the credentials (HTTP 401)"), "{err}");
    assert!(!err.to_string().contains("not-the-token"), "the token is not echoed: {err}");
    let ok = site.provider().test().await.unwrap();
    assert!(ok.label.starts_with(&site.account.email()), "{}", ok.label);
}

#[tokio::test]
async fn internal_site_urls_are_refused_unless_the_operator_allows_them() {
    let site = site("ssrf").await;
    let strict = HttpDeps::new(HttpDeps::default_client_builder().build().unwrap(), retries(0));
    let factory = site.factory(&strict);
    for url in [
        "https://127.0.0.1",
        "https://169.254.169.254/latest",
        "https://10.0.0.1",
        "https://[::1]",
        "http://example.atlassian.net",
        "ftp://example.atlassian.net",
    ] {
        let err = factory
            .parse_credentials(
                AuthType::ApiKey,
                &json!({"site_url": url, "email": "a@example.com", "api_token": "t"}),
            )
            .expect_err(url);
        assert!(err.contains("site_url"), "{url}: {err}");
    }
    // A name that resolves to loopback passes the form but not the connection.
    let credentials = factory
        .parse_credentials(
            AuthType::ApiKey,
            &json!({"site_url": "https://localhost:1", "email": "a@example.com", "api_token": "t"}),
        )
        .unwrap();
    let provider = factory
        .connect(ProviderContext {
            connection_id: "conn-ssrf".into(),
            auth: ProviderAuth::Static(credentials),
            http: strict.clone(),
        })
        .unwrap();
    let err = provider.test().await.unwrap_err();
    assert!(err.to_string().contains("security.allow_hosts"), "{err}");
    // The sandbox itself is plain http on loopback: refused without the operator's
    // allow-list, saying that the address is internal (not merely that http is refused).
    let err =
        site.connect(&strict, &site.credentials(&site.token)).err().expect("refused by default");
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
    let factory = site.factory(&deps);
    let provider = factory
        .connect(ProviderContext {
            connection_id: "conn-oauth".into(),
            auth: ProviderAuth::OAuth {
                tokens: Arc::new(FixedToken(SecretText::new(tokens.access_token))),
                extra: Default::default(),
            },
            http: deps,
        })
        .unwrap();
    let label = provider.test().await.unwrap().label;
    assert!(label.ends_with(".atlassian.net"), "the site's host: {label}");
    let listed = list_all(provider.as_ref(), &space_source("HR")).await;
    let travel = listed.values().find(|i| i.name == "Travel Policy").unwrap();
    assert!(
        travel.web_url.as_deref().unwrap().starts_with(&site.account.site_url()),
        "{:?}",
        travel.web_url
    );
    let csv = listed.values().find(|i| i.name == "per-diem.csv").unwrap();
    let bytes = conformance::download(provider.as_ref(), csv, 1024).await.unwrap();
    assert_eq!(bytes, b"city,rate\nBerlin,42\nLisbon,38\n");
}
