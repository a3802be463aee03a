//! The Dropbox v2 simulator as a Dropbox client sees it: list_folder pages and cursors,
//! continue feeds keyed by path, cursor reset, downloads with `Dropbox-API-Result`, and the
//! error envelopes (409 route errors, plain-text 400s, 401 auth errors, 429).

use std::collections::{BTreeMap, BTreeSet};

use cloud_sources::sandbox::hashes::dropbox_content_hash;
use cloud_sources::sandbox::{
    FaultConfig, Provider, SandboxAccount, SandboxOptions, SandboxServer, SeedManifest, spawn,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Dropbox {
    server: SandboxServer,
    http: reqwest::Client,
    account: SandboxAccount,
    manifest: SeedManifest,
    token: String,
}

async fn dropbox() -> Dropbox {
    let server = spawn(SandboxOptions::default()).await.unwrap();
    let account = server.account(Provider::Dropbox, "alice").unwrap();
    let manifest = account.manifest().unwrap();
    let token = account.issue_tokens("dropbox-tests").access_token;
    Dropbox { server, http: reqwest::Client::new(), account, manifest, token }
}

/// A client's local state: path_lower → entry.
type Local = BTreeMap<String, Value>;

impl Dropbox {
    async fn rpc(&self, route: &str, arg: Value) -> (StatusCode, Value) {
        let url = format!("{}/dropbox/api/2/{route}", self.server.base_url());
        let response =
            self.http.post(url).bearer_auth(&self.token).json(&arg).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn ok(&self, route: &str, arg: Value) -> Value {
        let (status, body) = self.rpc(route, arg).await;
        assert_eq!(status, 200, "{route}: {body}");
        body
    }

    /// list_folder, then continue while has_more; returns the entries and the final cursor.
    async fn list(&self, arg: Value) -> (Vec<Value>, String, usize) {
        let mut page = self.ok("files/list_folder", arg).await;
        let (mut entries, mut pages) = (Vec::new(), 1);
        loop {
            entries.extend(page["entries"].as_array().unwrap().iter().cloned());
            let cursor = page["cursor"].as_str().unwrap().to_string();
            if !page["has_more"].as_bool().unwrap() {
                return (entries, cursor, pages);
            }
            page = self.ok("files/list_folder/continue", json!({"cursor": cursor})).await;
            pages += 1;
        }
    }

    async fn continue_all(&self, cursor: &str) -> (Vec<Value>, String) {
        let mut entries = Vec::new();
        let mut cursor = cursor.to_string();
        loop {
            let page = self.ok("files/list_folder/continue", json!({"cursor": cursor})).await;
            entries.extend(page["entries"].as_array().unwrap().iter().cloned());
            cursor = page["cursor"].as_str().unwrap().to_string();
            if !page["has_more"].as_bool().unwrap() {
                return (entries, cursor);
            }
        }
    }
}

/// Applies entries in order, as list_folder's documentation prescribes.
fn apply(local: &mut Local, entries: &[Value]) {
    for entry in entries {
        let path = entry["path_lower"].as_str().unwrap().to_string();
        match entry[".tag"].as_str().unwrap() {
            "deleted" => local.retain(|p, _| p != &path && !p.starts_with(&format!("{path}/"))),
            "file" => {
                local.retain(|p, _| !p.starts_with(&format!("{path}/")));
                local.insert(path, entry.clone());
            }
            _ => {
                local.insert(path, entry.clone());
            }
        }
    }
}

#[tokio::test]
async fn a_recursive_listing_pages_by_limit_and_returns_every_item_once_parents_first() {
    let d = dropbox().await;
    let (entries, _, pages) = d.list(json!({"path": "", "recursive": true, "limit": 5})).await;
    assert_eq!(pages, d.manifest.items.len().div_ceil(5));
    let paths: Vec<&str> = entries.iter().map(|e| e["path_lower"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = paths.iter().copied().collect();
    assert_eq!(paths.len(), unique.len());
    let seeded: BTreeSet<String> = d.manifest.items.iter().map(|i| i.path.to_lowercase()).collect();
    assert_eq!(unique.iter().map(|p| p.to_string()).collect::<BTreeSet<_>>(), seeded);
    // Each entry's parent folder came before it.
    for (i, path) in paths.iter().enumerate() {
        let parent = path.rsplit_once('/').unwrap().0;
        assert!(parent.is_empty() || paths[..i].contains(&parent), "{path} before {parent}");
    }
    let file = entries.iter().find(|e| e["path_display"] == "/Projects/Hermes/README.md").unwrap();
    assert_eq!(file[".tag"], "file");
    assert_eq!(file["id"], d.manifest.id("/Projects/Hermes/README.md").unwrap());
    assert!(file["rev"].as_str().unwrap().len() >= 9);
    assert_eq!(
        file["content_hash"],
        dropbox_content_hash(&d.account.content(file["id"].as_str().unwrap()).unwrap())
    );
    assert_eq!(file["server_modified"].as_str().unwrap().len(), "2015-05-12T15:50:38Z".len());

    // A recursive listing of a folder starts with the folder itself.
    let (entries, _, _) = d.list(json!({"path": "/projects/hermes", "recursive": true})).await;
    assert_eq!(entries[0]["path_display"], "/Projects/Hermes");
    assert_eq!(entries.len(), 4);
}

#[tokio::test]
async fn continue_reports_moves_as_a_deleted_old_path_then_the_new_state() {
    let d = dropbox().await;
    let (entries, cursor, _) = d.list(json!({"path": "", "recursive": true})).await;
    let mut local = Local::new();
    apply(&mut local, &entries);

    d.account.add_file("/Projects", "new.txt", "brand new").unwrap();
    let readme = d.manifest.id("/Projects/Hermes/README.md").unwrap().to_string();
    let old_rev = local["/projects/hermes/readme.md"]["rev"].clone();
    d.account.set_content(&readme, "# Hermes, renamed").unwrap();
    d.account.rename("/Projects/Hermes", "Mercury").unwrap();
    d.account.move_item("/Personal/todo.txt", "/Finance").unwrap();
    d.account.delete("/notes.txt").unwrap();
    d.account.delete("/Personal/Recipes").unwrap();

    let (changes, _) = d.continue_all(&cursor).await;
    let tagged: Vec<(String, String)> = changes
        .iter()
        .map(|e| {
            (e[".tag"].as_str().unwrap().to_string(), e["path_lower"].as_str().unwrap().to_string())
        })
        .collect();
    let has = |tag: &str, path: &str| tagged.contains(&(tag.to_string(), path.to_string()));
    assert!(has("file", "/projects/new.txt"));
    assert!(has("deleted", "/projects/hermes") && has("folder", "/projects/mercury"));
    assert!(
        has("file", "/projects/mercury/readme.md") && has("file", "/projects/mercury/roadmap.txt")
    );
    assert!(has("deleted", "/personal/todo.txt") && has("file", "/finance/todo.txt"));
    assert!(has("deleted", "/notes.txt") && has("deleted", "/personal/recipes"));
    let moved_readme =
        changes.iter().find(|e| e["path_lower"] == "/projects/mercury/readme.md").unwrap();
    assert_ne!(moved_readme["rev"], old_rev);
    assert_eq!(moved_readme["content_hash"], dropbox_content_hash(b"# Hermes, renamed"));
    assert_eq!(moved_readme["id"], readme.as_str(), "ids survive moves");
    assert!(!has("file", "/projects/apollo/budget 2024.xlsx"), "untouched items are not reported");

    // Applying the feed reproduces a fresh listing exactly.
    apply(&mut local, &changes);
    let (fresh, _, _) = d.list(json!({"path": "", "recursive": true})).await;
    let mut expected = Local::new();
    apply(&mut expected, &fresh);
    assert_eq!(local, expected);
}

#[tokio::test]
async fn a_non_recursive_cursor_sees_only_direct_children() {
    let d = dropbox().await;
    let (entries, cursor, _) = d.list(json!({"path": "/Projects"})).await;
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Apollo", "Hermes"]);
    d.account.add_file("/Projects/Apollo", "deep.txt", "x").unwrap();
    d.account.add_file("/Projects", "shallow.txt", "x").unwrap();
    let (changes, _) = d.continue_all(&cursor).await;
    let paths: Vec<&str> = changes.iter().map(|e| e["path_lower"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/projects/shallow.txt"]);
}

#[tokio::test]
async fn get_latest_cursor_skips_existing_items_and_include_deleted_lists_tombstones() {
    let d = dropbox().await;
    let latest =
        d.ok("files/list_folder/get_latest_cursor", json!({"path": "", "recursive": true})).await;
    let (nothing, _) = d.continue_all(latest["cursor"].as_str().unwrap()).await;
    assert!(nothing.is_empty());
    d.account.delete("/Finance/Q1 Report.pdf").unwrap();
    let (changes, _) = d.continue_all(latest["cursor"].as_str().unwrap()).await;
    assert_eq!(
        changes,
        vec![
            json!({".tag": "deleted", "name": "Q1 Report.pdf", "path_lower": "/finance/q1 report.pdf", "path_display": "/Finance/Q1 Report.pdf"})
        ]
    );

    let (without, _, _) = d.list(json!({"path": "/Finance"})).await;
    let (with, _, _) = d.list(json!({"path": "/Finance", "include_deleted": true})).await;
    assert_eq!(with.len(), without.len() + 1);
    assert!(with.iter().any(|e| e[".tag"] == "deleted" && e["name"] == "Q1 Report.pdf"));
    let metadata = d
        .ok(
            "files/get_metadata",
            json!({"path": "/Finance/Q1 Report.pdf", "include_deleted": true}),
        )
        .await;
    assert_eq!(metadata[".tag"], "deleted");
    let (status, body) =
        d.rpc("files/get_metadata", json!({"path": "/Finance/Q1 Report.pdf"})).await;
    assert_eq!(
        (status, body["error_summary"].as_str()),
        (StatusCode::CONFLICT, Some("path/not_found/..."))
    );
}

#[tokio::test]
async fn invalidated_cursors_answer_409_reset() {
    let d = dropbox().await;
    let first = d.ok("files/list_folder", json!({"path": "", "recursive": true, "limit": 3})).await;
    let (_, done, _) = d.list(json!({"path": "", "recursive": true})).await;
    d.account.invalidate_cursors();
    for cursor in [first["cursor"].as_str().unwrap(), done.as_str()] {
        let (status, body) = d.rpc("files/list_folder/continue", json!({"cursor": cursor})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"], json!({".tag": "reset"}));
        assert!(body["error_summary"].as_str().unwrap().starts_with("reset/"));
    }
    // Starting over works.
    let (entries, _, _) = d.list(json!({"path": "", "recursive": true})).await;
    assert_eq!(entries.len(), d.manifest.items.len());
    let (status, _) = d.rpc("files/list_folder/continue", json!({"cursor": "not-a-cursor"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn download_returns_bytes_with_metadata_in_the_dropbox_api_result_header() {
    let d = dropbox().await;
    let url = format!("{}/dropbox/content/2/files/download", d.server.base_url());
    let id = d.manifest.id("/Projects/Apollo/Design/Requirements.docx").unwrap();
    for path in ["/projects/apollo/design/requirements.docx", id] {
        let response = d
            .http
            .post(&url)
            .bearer_auth(&d.token)
            .header("Dropbox-API-Arg", json!({"path": path}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/octet-stream");
        let result: Value =
            serde_json::from_str(response.headers()["dropbox-api-result"].to_str().unwrap())
                .unwrap();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(result["size"], bytes.len());
        assert_eq!(result["content_hash"], dropbox_content_hash(&bytes));
        assert_eq!(
            (result["id"].as_str(), result["path_display"].as_str()),
            (Some(id), Some("/Projects/Apollo/Design/Requirements.docx"))
        );
        assert!(
            result.get(".tag").is_none(),
            "the download result is a FileMetadata, not the union"
        );
        assert_eq!(&bytes[..2], b"PK");
    }
    let partial = d
        .http
        .get(&url)
        .bearer_auth(&d.token)
        .query(&[("arg", json!({"path": id}).to_string())])
        .header("range", "bytes=0-1")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), 206);

    for (path, tag) in [("/missing.txt", "not_found"), ("/Projects", "not_file")] {
        let response = d
            .http
            .post(&url)
            .bearer_auth(&d.token)
            .header("Dropbox-API-Arg", json!({"path": path}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], json!({".tag": "path", "path": {".tag": tag}}));
    }
    let wrong_type = d
        .http
        .post(&url)
        .bearer_auth(&d.token)
        .header("Dropbox-API-Arg", json!({"path": id}).to_string())
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 400);

    d.account.set_faults(FaultConfig {
        failing_downloads: [id.to_string()].into(),
        ..Default::default()
    });
    let failing = d
        .http
        .post(&url)
        .bearer_auth(&d.token)
        .header("Dropbox-API-Arg", json!({"path": id}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(failing.status(), 500);
}

#[tokio::test]
async fn bad_input_route_errors_and_auth_errors_use_dropboxs_envelopes() {
    let d = dropbox().await;
    let url = format!("{}/dropbox/api/2/files/list_folder", d.server.base_url());
    let wrong_type = d
        .http
        .post(&url)
        .bearer_auth(&d.token)
        .header("content-type", "text/plain")
        .body("{\"path\": \"\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 400);
    assert!(wrong_type.text().await.unwrap().starts_with(
        "Error in call to API function \"files/list_folder\": Bad HTTP \"Content-Type\" header"
    ));
    let bad_json = d
        .http
        .post(&url)
        .bearer_auth(&d.token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);

    let (status, body) = d.rpc("files/list_folder", json!({"path": "/"})).await;
    assert_eq!(status, 400);
    assert!(body.as_str().unwrap().contains("Specify the root folder as an empty string"));
    let (status, body) = d.rpc("files/list_folder", json!({"path": "/Welcome.docx"})).await;
    assert_eq!(
        (status, body["error"]["path"][".tag"].as_str()),
        (StatusCode::CONFLICT, Some("not_folder"))
    );
    let (status, body) = d.rpc("files/list_folder", json!({"path": "/nope"})).await;
    assert_eq!(
        (status, body["error_summary"].as_str()),
        (StatusCode::CONFLICT, Some("path/not_found/..."))
    );
    assert_eq!(d.rpc("files/list_folder", json!({"path": "", "limit": 0})).await.0, 400);
    assert_eq!(d.rpc("files/get_metadata", json!({"path": ""})).await.0, 400);
    let metadata = d.ok("files/get_metadata", json!({"path": "/projects"})).await;
    assert_eq!(
        (metadata[".tag"].as_str(), metadata["path_display"].as_str()),
        (Some("folder"), Some("/Projects"))
    );

    let account = d.ok("users/get_current_account", Value::Null).await;
    assert_eq!(account["email"], "alice@example.com");
    assert_eq!(account["name"]["display_name"], "Alice Example");
    assert!(account["account_id"].as_str().unwrap().starts_with("dbid:"));
    assert_eq!(account["root_info"][".tag"], "user");

    d.account.expire_tokens();
    let (status, body) = d.rpc("files/list_folder", json!({"path": ""})).await;
    assert_eq!(
        (status, body["error"][".tag"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("expired_access_token"))
    );
}

#[tokio::test]
async fn throttling_answers_429_with_a_json_reason_and_retry_after() {
    let d = dropbox().await;
    d.account.set_faults(FaultConfig {
        rate_limit_share: 1.0,
        retry_after_secs: 3,
        ..Default::default()
    });
    let url = format!("{}/dropbox/api/2/files/list_folder", d.server.base_url());
    let response =
        d.http.post(&url).bearer_auth(&d.token).json(&json!({"path": ""})).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], json!({"reason": {".tag": "too_many_requests"}, "retry_after": 3}));

    d.account.set_faults(FaultConfig {
        server_error_burst: 1,
        server_error_status: 502,
        ..Default::default()
    });
    let (status, body) = d.rpc("files/list_folder", json!({"path": ""})).await;
    assert_eq!((status, body.as_str()), (StatusCode::BAD_GATEWAY, Some("Bad Gateway")));
    assert_eq!(d.rpc("files/list_folder", json!({"path": ""})).await.0, 200);
    let counts = d.account.request_counts();
    assert_eq!(
        (counts.endpoint("files/list_folder"), counts.throttled, counts.server_errors),
        (3, 1, 1)
    );
}
