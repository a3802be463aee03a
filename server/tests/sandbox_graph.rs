//! The Microsoft Graph simulator as a OneDrive / SharePoint client sees it: children pages,
//! delta (nextLink / deltaLink, deleted facets, last occurrence wins, 410 resync),
//! downloads through pre-authenticated URLs, SharePoint sites and throttling.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use cloud_sources::sandbox::hashes::quick_xor_hash;
use cloud_sources::sandbox::{
    FaultConfig, GenerateOptions, Provider, SandboxAccount, SandboxOptions, SandboxServer,
    SeedManifest, spawn,
};
use reqwest::StatusCode;
use serde_json::Value;

struct Graph {
    server: SandboxServer,
    http: reqwest::Client,
    account: SandboxAccount,
    manifest: SeedManifest,
    token: String,
}

async fn graph() -> Graph {
    let server = spawn(SandboxOptions::default()).await.unwrap();
    let account = server.account(Provider::Microsoft, "alice").unwrap();
    let manifest = account.manifest().unwrap();
    let token = account.issue_tokens("graph-tests").access_token;
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Graph { server, http, account, manifest, token }
}

impl Graph {
    fn id(&self, path: &str) -> String {
        self.manifest.id(path).unwrap_or_else(|| panic!("{path} is seeded")).to_string()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/microsoft/v1.0/{path}", self.server.base_url())
    }

    async fn raw(&self, url: &str) -> reqwest::Response {
        self.http.get(url).bearer_auth(&self.token).send().await.unwrap()
    }

    async fn get(&self, url: &str) -> (StatusCode, Value) {
        let response = self.raw(url).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, url: &str) -> Value {
        let (status, body) = self.get(url).await;
        assert_eq!(status, 200, "{url}: {body}");
        body
    }

    /// Follows `@odata.nextLink` until a page carries `@odata.deltaLink`.
    async fn delta(&self, url: &str) -> (Vec<Value>, String, usize) {
        let (mut items, mut pages, mut url) = (Vec::new(), 0, url.to_string());
        loop {
            let page = self.ok(&url).await;
            pages += 1;
            items.extend(page["value"].as_array().unwrap().iter().cloned());
            match (page["@odata.nextLink"].as_str(), page["@odata.deltaLink"].as_str()) {
                (Some(next), None) => url = next.to_string(),
                (None, Some(delta)) => return (items, delta.to_string(), pages),
                other => panic!("a page has exactly one of nextLink / deltaLink: {other:?}"),
            }
        }
    }
}

/// Applies a delta feed the way a client must: by id, the last occurrence wins.
fn last_wins(items: &[Value]) -> HashMap<String, Value> {
    items.iter().map(|i| (i["id"].as_str().unwrap().to_string(), i.clone())).collect()
}

#[tokio::test]
async fn children_pages_follow_next_link_and_top() {
    let g = graph().await;
    let folder = g.account.add_folder("root", "Paged").unwrap();
    g.account.generate(&folder.id, 45, &GenerateOptions::default()).unwrap();
    let mut url = g.url(&format!("me/drive/items/{}/children?$top=20", folder.id));
    let (mut ids, mut pages) = (BTreeSet::new(), 0);
    loop {
        let page = g.ok(&url).await;
        pages += 1;
        for item in page["value"].as_array().unwrap() {
            assert!(ids.insert(item["id"].as_str().unwrap().to_string()));
            assert!(item["@microsoft.graph.downloadUrl"].is_string());
            assert_eq!(item["parentReference"]["path"], "/drive/root:/Paged");
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!((ids.len(), pages), (45, 3));

    let root = g.ok(&g.url("me/drive/root/children")).await;
    let names: BTreeSet<&str> =
        root["value"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["Finance", "Paged", "Personal", "Projects", "Welcome.docx", "notes.txt"])
    );
    let projects =
        root["value"].as_array().unwrap().iter().find(|i| i["name"] == "Projects").unwrap();
    assert_eq!(projects["folder"]["childCount"], 2);

    let (status, body) = g.get(&g.url("me/drive/root/children?$top=0")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidRequest"))
    );
    let (status, body) = g.get(&g.url("me/drive/items/01NOPE/children")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("itemNotFound"))
    );
    assert!(body["error"]["innererror"]["request-id"].is_string());
}

#[tokio::test]
async fn delta_enumerates_the_drive_once_then_reports_changes_with_deleted_facets() {
    let g = graph().await;
    let (items, delta_link, pages) = g.delta(&g.url("me/drive/root/delta?$top=7")).await;
    assert!(pages > 3);
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "the initial enumeration lists each item once");
    let drive_id = &g.manifest.default_drive().unwrap().id;
    let mut expected: BTreeSet<&str> =
        g.manifest.items_in(drive_id).map(|i| i.id.as_str()).collect();
    expected.insert(g.manifest.root_id());
    assert_eq!(unique, expected);
    assert!(items[0]["root"].is_object(), "the root comes first");
    assert!(
        items.iter().all(|i| i["parentReference"].get("path").is_none()),
        "delta never returns parentReference.path"
    );

    let added = g.account.add_file("/Projects", "new.txt", "fresh").unwrap();
    let readme = g.id("/Projects/Hermes/README.md");
    g.account.set_content(&readme, "# Hermes v2").unwrap();
    let roadmap = g.id("/Projects/Hermes/Roadmap.txt");
    g.account.rename(&roadmap, "Roadmap 2025.txt").unwrap();
    let todo = g.id("/Personal/todo.txt");
    g.account.move_item(&todo, "/Projects").unwrap();
    let welcome = g.id("/Welcome.docx");
    g.account.delete(&welcome).unwrap();
    let recipes = g.id("/Personal/Recipes");
    let pancakes = g.id("/Personal/Recipes/Pancakes.md");
    g.account.delete(&recipes).unwrap();

    let (changes, next_delta, _) = g.delta(&delta_link).await;
    let state = last_wins(&changes);
    assert_eq!(
        state.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from([
            added.id.as_str(),
            readme.as_str(),
            roadmap.as_str(),
            todo.as_str(),
            welcome.as_str(),
            recipes.as_str(),
            pancakes.as_str()
        ])
    );
    let new = &state[&added.id];
    assert_eq!(new["file"]["hashes"]["quickXorHash"], quick_xor_hash(b"fresh"));
    assert_eq!(new["size"], 5);
    assert_eq!(state[&readme]["file"]["hashes"]["quickXorHash"], quick_xor_hash(b"# Hermes v2"));
    assert_eq!(state[&roadmap]["name"], "Roadmap 2025.txt");
    assert_eq!(state[&todo]["parentReference"]["id"], g.id("/Projects"));
    for gone in [&welcome, &recipes, &pancakes] {
        let item = &state[gone];
        assert_eq!(item["deleted"]["state"], "deleted");
        // OneDrive for Business omits name and cTag on deletions.
        assert!(item.get("name").is_none() && item.get("cTag").is_none(), "{item}");
    }
    assert!(state[&recipes]["folder"].is_object());

    let (nothing, _, _) = g.delta(&next_delta).await;
    assert!(nothing.is_empty());
}

#[tokio::test]
async fn an_item_changed_between_pages_appears_again_and_the_last_occurrence_wins() {
    let g = graph().await;
    let (_, delta_link, _) = g.delta(&g.url("me/drive/root/delta")).await;
    let notes = g.id("/notes.txt");
    g.account.rename(&notes, "a.txt").unwrap();
    g.account.add_file("root", "other.txt", "x").unwrap();
    // First page: notes as "a.txt". Then it changes again before the client reads on.
    let first = g.ok(&format!("{delta_link}&$top=1")).await;
    assert_eq!(first["value"][0]["name"], "a.txt");
    g.account.rename(&notes, "b.txt").unwrap();
    let (rest, _, _) = g.delta(first["@odata.nextLink"].as_str().unwrap()).await;
    let mut feed = first["value"].as_array().unwrap().clone();
    feed.extend(rest);
    let occurrences: Vec<&str> = feed
        .iter()
        .filter(|i| i["id"] == notes.as_str())
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(occurrences, ["a.txt", "b.txt"]);
    assert_eq!(last_wins(&feed)[&notes]["name"], "b.txt");
}

#[tokio::test]
async fn token_latest_and_timestamp_tokens_start_from_now_or_a_point_in_time() {
    let g = graph().await;
    let latest = g.ok(&g.url("me/drive/root/delta?token=latest")).await;
    assert_eq!(latest["value"], serde_json::json!([]));
    assert!(latest.get("@odata.nextLink").is_none());
    let link = latest["@odata.deltaLink"].as_str().unwrap().to_string();
    let (nothing, _, _) = g.delta(&link).await;
    assert!(nothing.is_empty());
    g.server.sandbox().advance_clock(Duration::from_secs(60));
    let since = chrono::Utc::now() + chrono::Duration::seconds(30);
    let added = g.account.add_file("root", "later.txt", "later").unwrap();
    let (changes, _, _) = g.delta(&link).await;
    assert_eq!(changes.len(), 1);
    let at =
        url::form_urlencoded::byte_serialize(since.to_rfc3339().as_bytes()).collect::<String>();
    let (changes, _, _) = g.delta(&g.url(&format!("me/drive/root/delta?token={at}"))).await;
    assert_eq!(
        changes.iter().map(|c| c["id"].as_str().unwrap()).collect::<Vec<_>>(),
        [added.id.as_str()]
    );
}

#[tokio::test]
async fn an_invalidated_delta_link_answers_410_with_a_fresh_enumeration_in_location() {
    let g = graph().await;
    let (_, delta_link, _) = g.delta(&g.url("me/drive/root/delta")).await;
    g.account.invalidate_cursors();
    let response = g.raw(&delta_link).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "resyncRequired");
    assert!(body["error"]["innererror"]["code"].as_str().unwrap().starts_with("resync"));
    // The Location is a nextLink that enumerates the whole drive again.
    let (items, _, _) = g.delta(&location).await;
    let drive_id = &g.manifest.default_drive().unwrap().id;
    assert_eq!(items.len(), g.manifest.items_in(drive_id).count() + 1);
}

#[tokio::test]
async fn content_redirects_to_a_pre_authenticated_url_that_needs_no_authorization_and_expires() {
    let g = graph().await;
    let id = g.id("/Finance/Q1 Report.pdf");
    let response = g.raw(&g.url(&format!("me/drive/items/{id}/content"))).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let anonymous = reqwest::Client::new();
    let download = anonymous.get(&location).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let bytes = download.bytes().await.unwrap();
    assert_eq!(bytes.to_vec(), g.account.content(&id).unwrap());
    let item = g.ok(&g.url(&format!("me/drive/items/{id}"))).await;
    assert_eq!(item["file"]["hashes"]["quickXorHash"], quick_xor_hash(&bytes));
    assert_eq!(item["size"], bytes.len());
    let partial = anonymous.get(&location).header("range", "bytes=0-3").send().await.unwrap();
    assert_eq!(partial.status(), 206);
    assert_eq!(&partial.bytes().await.unwrap()[..], b"%PDF");

    // Conditional download by eTag or cTag.
    for tag in [item["eTag"].as_str().unwrap(), item["cTag"].as_str().unwrap()] {
        let url = g.url(&format!("me/drive/items/{id}/content"));
        let response = g
            .http
            .get(url)
            .bearer_auth(&g.token)
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    }
    // A tampered URL and an expired one are refused.
    let tampered = format!("{}x", location);
    assert_eq!(anonymous.get(&tampered).send().await.unwrap().status(), 401);
    g.server.sandbox().advance_clock(Duration::from_secs(301));
    let expired = anonymous.get(&location).send().await.unwrap();
    assert_eq!(expired.status(), 401);
    assert_eq!(expired.json::<Value>().await.unwrap()["error"]["code"], "unauthenticated");

    // The download URL of a failing file answers 500.
    g.account
        .set_faults(FaultConfig { failing_downloads: [id.clone()].into(), ..Default::default() });
    let fresh = g.raw(&g.url(&format!("me/drive/items/{id}/content"))).await;
    let location = fresh.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(anonymous.get(&location).send().await.unwrap().status(), 500);
    // Refused URLs never reach an account; the three that did are counted.
    assert_eq!(g.account.request_counts().endpoint("download"), 3);
}

#[tokio::test]
async fn sharepoint_sites_expose_document_libraries_as_drives() {
    let g = graph().await;
    let found = g.ok(&g.url("sites?search=market")).await;
    let sites = found["value"].as_array().unwrap();
    assert_eq!(sites.len(), 1);
    let site_id = sites[0]["id"].as_str().unwrap();
    assert!(site_id.starts_with("contoso.sharepoint.com,"));
    assert_eq!(g.ok(&g.url("sites?search=*")).await["value"].as_array().unwrap().len(), 2);

    let drives = g.ok(&g.url(&format!("sites/{site_id}/drives"))).await;
    let libraries: Vec<&str> =
        drives["value"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(libraries, ["Documents", "Campaign Assets"]);
    assert!(
        drives["value"].as_array().unwrap().iter().all(|d| d["driveType"] == "documentLibrary")
    );
    let default = g.ok(&g.url(&format!("sites/{site_id}/drive"))).await;
    assert_eq!(default["name"], "Documents");

    let library = default["id"].as_str().unwrap();
    let children = g.ok(&g.url(&format!("drives/{library}/root/children"))).await;
    let names: BTreeSet<&str> =
        children["value"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["Brand", "Press Release.docx"]));
    assert_eq!(children["value"][0]["parentReference"]["siteId"], site_id);
    let via_site = g.ok(&g.url(&format!("sites/{site_id}/drive/root/children"))).await;
    let ids = |page: &Value| {
        page["value"].as_array().unwrap().iter().map(|i| i["id"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&via_site), ids(&children));

    // Each library has its own delta feed.
    let (items, link, _) = g.delta(&g.url(&format!("drives/{library}/root/delta"))).await;
    assert_eq!(items.len(), g.manifest.items_in(library).count() + 1);
    g.account.add_file("/Projects", "personal-only.txt", "x").unwrap();
    let (changes, _, _) = g.delta(&link).await;
    assert!(changes.is_empty(), "a change in OneDrive is not in the library's feed");
    // An item of another drive is not found through this one.
    let (status, _) = g.get(&g.url(&format!("drives/{library}/items/{}", g.id("/Projects")))).await;
    assert_eq!(status, 404);

    let me = g.ok(&g.url("me")).await;
    assert_eq!(
        (me["displayName"].as_str(), me["mail"].as_str()),
        (Some("Alice Example"), Some("alice@contoso.onmicrosoft.com"))
    );
    let drive = g.ok(&g.url("me/drive")).await;
    assert_eq!(
        (drive["driveType"].as_str(), drive["id"].as_str()),
        (Some("business"), Some(g.manifest.default_drive().unwrap().id.as_str()))
    );
}

#[tokio::test]
async fn throttled_and_failing_requests_use_graphs_error_bodies() {
    let g = graph().await;
    g.account.set_faults(FaultConfig {
        rate_limit_share: 1.0,
        retry_after_secs: 7,
        ..Default::default()
    });
    let response = g.raw(&g.url("me/drive/root/children")).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["innererror"]["code"].as_str()),
        (Some("activityLimitReached"), Some("throttledRequest"))
    );

    g.account.set_faults(FaultConfig { server_error_burst: 1, ..Default::default() });
    let (status, body) = g.get(&g.url("me/drive")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("serviceNotAvailable"))
    );
    assert_eq!(g.get(&g.url("me/drive")).await.0, 200);
    let counts = g.account.request_counts();
    assert_eq!((counts.total, counts.throttled, counts.server_errors), (3, 1, 1));

    let (status, body) = g.get(&g.url("me/drive/root/delta?token=garbage")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidRequest"))
    );
}
