//! The Google Drive v3 simulator as a Drive client sees it: listings and their pages,
//! `q` and `fields`, shared drives, the changes feed, downloads and exports, and faults.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;

use cloud_sources::sandbox::hashes::md5_hex;
use cloud_sources::sandbox::{
    DriveRateLimitStyle, FaultConfig, GenerateOptions, Provider, SandboxAccount, SandboxOptions,
    SandboxServer, SeedManifest, spawn,
};
use reqwest::StatusCode;
use serde_json::Value;

const FOLDER: &str = "application/vnd.google-apps.folder";

struct Drive {
    server: SandboxServer,
    http: reqwest::Client,
    account: SandboxAccount,
    manifest: SeedManifest,
    token: String,
}

async fn drive() -> Drive {
    let server = spawn(SandboxOptions::default()).await.unwrap();
    let account = server.account(Provider::Google, "alice").unwrap();
    let manifest = account.manifest().unwrap();
    let token = account.issue_tokens("drive-tests").access_token;
    Drive { server, http: reqwest::Client::new(), account, manifest, token }
}

impl Drive {
    fn id(&self, path: &str) -> String {
        self.manifest.id(path).unwrap_or_else(|| panic!("{path} is seeded")).to_string()
    }

    async fn raw(&self, path_and_query: &str) -> reqwest::Response {
        let url = format!("{}/google/drive/v3/{path_and_query}", self.server.base_url());
        self.http.get(url).bearer_auth(&self.token).send().await.unwrap()
    }

    async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        let response = self.raw(path_and_query).await;
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn ok(&self, path_and_query: &str) -> Value {
        let (status, body) = self.get(path_and_query).await;
        assert_eq!(status, 200, "{path_and_query}: {body}");
        body
    }

    /// Follows `nextPageToken` to the end; returns the files and the number of pages.
    async fn list_all(&self, query: &str) -> (Vec<Value>, usize) {
        let (mut files, mut pages, mut token) = (Vec::new(), 0, None::<String>);
        loop {
            let mut path = format!("files?{query}");
            if let Some(t) = &token {
                path.push_str(&format!("&pageToken={t}"));
            }
            let page = self.ok(&path).await;
            pages += 1;
            files.extend(page["files"].as_array().unwrap().iter().cloned());
            match page["nextPageToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return (files, pages),
            }
        }
    }

    /// Follows `nextPageToken` to `newStartPageToken`; returns the changes and that token.
    async fn changes_since(&self, start: &str, extra: &str) -> (Vec<Value>, String, usize) {
        let (mut changes, mut pages, mut token) = (Vec::new(), 0, start.to_string());
        loop {
            let page = self.ok(&format!("changes?pageToken={token}&fields=*{extra}")).await;
            pages += 1;
            changes.extend(page["changes"].as_array().unwrap().iter().cloned());
            if let Some(next) = page["nextPageToken"].as_str() {
                assert!(page.get("newStartPageToken").is_none());
                token = next.to_string();
            } else {
                return (changes, page["newStartPageToken"].as_str().unwrap().to_string(), pages);
            }
        }
    }

    async fn start_token(&self, extra: &str) -> String {
        let body = self.ok(&format!("changes/startPageToken?{extra}")).await;
        assert_eq!(body["kind"], "drive#startPageToken");
        body["startPageToken"].as_str().unwrap().to_string()
    }
}

fn q(query: &str) -> String {
    format!("q={}", url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>())
}

fn names(files: &[Value]) -> BTreeSet<String> {
    files.iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn listing_a_folder_page_by_page_returns_every_child_exactly_once() {
    let d = drive().await;
    let folder = d.account.add_folder("root", "Paged").unwrap();
    d.account.generate(&folder.id, 250, &GenerateOptions::default()).unwrap();
    let (files, pages) =
        d.list_all(&format!("pageSize=100&{}", q(&format!("'{}' in parents", folder.id)))).await;
    assert_eq!(pages, 3);
    let ids: BTreeSet<&str> = files.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!((files.len(), ids.len()), (250, 250));
    // Without `fields`, Drive v3 returns only these four file fields.
    let keys: BTreeSet<&str> = files[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["id", "kind", "mimeType", "name"]));

    // Permanently deleted files disappear; trashed ones stay listed unless filtered out.
    let first = files[0]["id"].as_str().unwrap();
    let second = files[1]["id"].as_str().unwrap();
    d.account.delete(first).unwrap();
    d.account.trash(second).unwrap();
    let (files, _) =
        d.list_all(&format!("pageSize=1000&{}", q(&format!("'{}' in parents", folder.id)))).await;
    assert_eq!(files.len(), 249);
    let (files, pages) = d
        .list_all(&format!(
            "pageSize=5000&{}",
            q(&format!("'{}' in parents and trashed = false", folder.id))
        ))
        .await;
    assert_eq!((files.len(), pages), (248, 1), "page sizes above 1000 are coerced to 1000");

    // A page token only continues the query it came from.
    let page =
        d.ok(&format!("files?pageSize=10&{}", q(&format!("'{}' in parents", folder.id)))).await;
    let token = page["nextPageToken"].as_str().unwrap();
    let (status, body) =
        d.get(&format!("files?pageSize=10&pageToken={token}&{}", q("trashed = true"))).await;
    assert_eq!(status, 400);
    assert_eq!(
        (
            body["error"]["errors"][0]["reason"].as_str(),
            body["error"]["errors"][0]["location"].as_str()
        ),
        (Some("invalid"), Some("pageToken"))
    );
    assert_eq!(d.get("files?pageSize=0").await.0, 400);
}

#[tokio::test]
async fn queries_select_by_parent_trash_state_mime_type_and_name() {
    let d = drive().await;
    let (folders, _) = d
        .list_all(&q(&format!("'root' in parents and trashed = false and mimeType = '{FOLDER}'")))
        .await;
    assert_eq!(
        names(&folders),
        BTreeSet::from(["Finance".into(), "Personal".into(), "Projects".into()])
    );

    let apollo = d.id("/Projects/Apollo");
    let (files, _) =
        d.list_all(&q(&format!("'{apollo}' in parents and mimeType != '{FOLDER}'"))).await;
    assert_eq!(
        names(&files),
        BTreeSet::from([
            "Budget 2024.xlsx".into(),
            "Design Review".into(),
            "Meeting Notes.md".into()
        ])
    );

    let (found, _) = d.list_all(&q("name contains 'report' and trashed = false")).await;
    assert_eq!(names(&found), BTreeSet::from(["Q1 Report.pdf".into()]));
    let (docs, _) = d.list_all(&q("mimeType = 'application/vnd.google-apps.document'")).await;
    assert_eq!(names(&docs), BTreeSet::from(["Design Review".into(), "Team Handbook".into()]));
    let (recent, _) = d.list_all(&q("modifiedTime > '2024-01-25T00:00:00Z'")).await;
    assert!(!recent.is_empty() && recent.len() < 20, "{}", recent.len());

    for unsupported in
        ["name = 'a' or name = 'b'", "(trashed = false)", "foo = 'bar'", "'x' in parents and"]
    {
        let (status, body) = d.get(&format!("files?{}", q(unsupported))).await;
        assert_eq!(status, 400, "{unsupported}");
        assert_eq!(body["error"]["errors"][0]["location"], "q");
    }
}

#[tokio::test]
async fn metadata_has_int64_strings_checksums_versions_and_honours_fields() {
    let d = drive().await;
    let id = d.id("/Projects/Apollo/Budget 2024.xlsx");
    let fields = "fields=id,name,size,md5Checksum,sha256Checksum,version,parents,headRevisionId,modifiedTime";
    let file = d.ok(&format!("files/{id}?{fields}")).await;
    let bytes = d.account.content(&id).unwrap();
    assert_eq!(file["size"], bytes.len().to_string());
    assert_eq!(file["md5Checksum"], md5_hex(&bytes));
    assert_eq!(file["parents"], serde_json::json!([d.id("/Projects/Apollo")]));
    assert!(file.get("mimeType").is_none(), "fields selects");
    assert_eq!(file["modifiedTime"].as_str().unwrap().len(), "2024-01-08T09:00:00.000Z".len());

    d.account.set_content(&id, b"new bytes".to_vec()).unwrap();
    let changed = d.ok(&format!("files/{id}?{fields}")).await;
    assert_eq!(changed["size"], "9");
    assert!(
        changed["version"].as_str().unwrap().parse::<u64>().unwrap()
            > file["version"].as_str().unwrap().parse().unwrap()
    );
    assert_ne!(changed["headRevisionId"], file["headRevisionId"]);
    assert_eq!(changed["md5Checksum"], md5_hex(b"new bytes"));
    d.account.rename(&id, "Budget.xlsx").unwrap();
    let renamed = d.ok(&format!("files/{id}?{fields}")).await;
    assert_eq!(
        renamed["headRevisionId"], changed["headRevisionId"],
        "metadata changes keep the revision"
    );
    assert_ne!(renamed["version"], changed["version"]);

    let default = d.ok(&format!("files/{id}")).await;
    assert_eq!(default.as_object().unwrap().len(), 4);
    let root = d.ok("files/root?fields=id,name,mimeType").await;
    assert_eq!(
        (root["name"].as_str(), root["id"].as_str()),
        (Some("My Drive"), Some(d.manifest.root_id()))
    );
    let (status, body) = d.get(&format!("files/{id}?fields=id,nmae")).await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidParameter"))
    );
    let (status, body) = d.get("files/1doesnotexist").await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("notFound"))
    );
    let (status, body) = d.get("about").await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("required"))
    );
}

#[tokio::test]
async fn shared_drive_items_need_supports_all_drives_and_list_by_corpora() {
    let d = drive().await;
    let drives = d.ok("drives").await;
    let listed: Vec<&str> =
        drives["drives"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(listed, ["Engineering", "Design Assets"]);
    let engineering = d.manifest.drive("Engineering").unwrap().id.clone();
    let one = d.ok("drives?pageSize=1").await;
    assert_eq!(one["drives"].as_array().unwrap().len(), 1);
    let rest = d
        .ok(&format!("drives?pageSize=1&pageToken={}", one["nextPageToken"].as_str().unwrap()))
        .await;
    assert_eq!(rest["drives"][0]["name"], "Design Assets");

    let spec = d.id("Engineering:/Specs/API Guidelines.md");
    assert_eq!(d.get(&format!("files/{spec}")).await.0, 404);
    let file =
        d.ok(&format!("files/{spec}?supportsAllDrives=true&fields=id,driveId,parents")).await;
    assert_eq!(file["driveId"], engineering);

    let all_drives = "supportsAllDrives=true&includeItemsFromAllDrives=true";
    let (files, _) = d.list_all(&format!("corpora=drive&driveId={engineering}&{all_drives}")).await;
    let listed: BTreeSet<&str> = files.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let seeded: BTreeSet<&str> = d.manifest.items_in(&engineering).map(|i| i.id.as_str()).collect();
    assert_eq!(listed, seeded);
    assert_eq!(d.get(&format!("files?corpora=drive&driveId={engineering}")).await.0, 400);

    let (mine, _) = d.list_all("pageSize=1000").await;
    assert!(mine.iter().all(|f| !seeded.contains(f["id"].as_str().unwrap())));
    let (everything, _) =
        d.list_all(&format!("pageSize=1000&corpora=allDrives&{all_drives}")).await;
    assert_eq!(everything.len(), d.manifest.items.len());
}

#[tokio::test]
async fn changes_report_each_changed_file_once_at_its_latest_state() {
    let d = drive().await;
    let start = d.start_token("").await;
    let added = d.account.add_file("/Projects", "new.txt", "hello").unwrap();
    d.account.set_content(&added.id, "hello again").unwrap();
    let readme = d.id("/Projects/Hermes/README.md");
    d.account.set_content(&readme, "# Hermes\nchanged").unwrap();
    let roadmap = d.id("/Projects/Hermes/Roadmap.txt");
    d.account.rename(&roadmap, "Roadmap 2025.txt").unwrap();
    let todo = d.id("/Personal/todo.txt");
    d.account.move_item(&todo, "/Projects").unwrap();
    let notes = d.id("/notes.txt");
    d.account.trash(&notes).unwrap();
    let welcome = d.id("/Welcome.docx");
    d.account.delete(&welcome).unwrap();

    let (changes, next_start, _) = d.changes_since(&start, "").await;
    let by_id: HashMap<&str, &Value> =
        changes.iter().map(|c| (c["fileId"].as_str().unwrap(), c)).collect();
    assert_eq!(changes.len(), 6, "one change per file: {changes:#?}");
    assert_eq!(
        by_id.keys().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            added.id.as_str(),
            readme.as_str(),
            roadmap.as_str(),
            todo.as_str(),
            notes.as_str(),
            welcome.as_str()
        ])
    );
    assert_eq!(by_id[added.id.as_str()]["file"]["size"], "11");
    assert_eq!(by_id[roadmap.as_str()]["file"]["name"], "Roadmap 2025.txt");
    assert_eq!(by_id[todo.as_str()]["file"]["parents"][0], d.id("/Projects"));
    assert_eq!(by_id[notes.as_str()]["file"]["trashed"], true);
    assert_eq!(by_id[notes.as_str()]["removed"], false);
    let removed = by_id[welcome.as_str()];
    assert_eq!((removed["removed"].as_bool(), removed.get("file")), (Some(true), None));
    assert!(changes.iter().all(|c| c["kind"] == "drive#change"
        && c["changeType"] == "file"
        && c["time"].is_string()));

    // Nothing new since: the same start token comes back.
    let (again, same, _) = d.changes_since(&next_start, "").await;
    assert!(again.is_empty());
    assert_eq!(same, next_start);
    let (without_removals, _, _) = d.changes_since(&start, "&includeRemoved=false").await;
    assert_eq!(without_removals.len(), 5);

    // Trashing a folder reports it and everything below it as trashed.
    d.account.trash(&d.id("/Personal")).unwrap();
    let (trashed, _, _) = d.changes_since(&next_start, "").await;
    assert_eq!(
        names(&trashed.iter().map(|c| c["file"].clone()).collect::<Vec<_>>()),
        BTreeSet::from(["Pancakes.md".into(), "Personal".into(), "Recipes".into()])
    );
    let explicit: Vec<bool> =
        trashed.iter().map(|c| c["file"]["explicitlyTrashed"].as_bool().unwrap()).collect();
    assert_eq!(explicit.iter().filter(|e| **e).count(), 1);
}

#[tokio::test]
async fn changes_page_with_next_page_token_and_scope_to_shared_drives() {
    let d = drive().await;
    let engineering = d.manifest.drive("Engineering").unwrap().id.clone();
    let start = d.start_token("").await;
    let drive_start = d.start_token(&format!("driveId={engineering}&supportsAllDrives=true")).await;
    d.account.generate("/Finance", 25, &GenerateOptions::default()).unwrap();
    let shared = d.account.add_file(&d.id("Engineering:/Specs"), "RFC.md", "# RFC").unwrap();

    let (mine, _, pages) = d.changes_since(&start, "&pageSize=10").await;
    assert_eq!((mine.len(), pages), (25, 3));
    let all_drives = "&supportsAllDrives=true&includeItemsFromAllDrives=true";
    let (all, _, _) = d.changes_since(&start, &format!("&pageSize=10{all_drives}")).await;
    assert_eq!(all.len(), 26);
    let change = all.iter().find(|c| c["fileId"] == shared.id.as_str()).unwrap();
    assert_eq!(change["driveId"], engineering);
    let (scoped, _, _) =
        d.changes_since(&drive_start, &format!("&driveId={engineering}{all_drives}")).await;
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0]["fileId"], shared.id.as_str());
    assert_eq!(d.get("changes/startPageToken?driveId=0Anope").await.0, 404);
}

#[tokio::test]
async fn invalidated_page_tokens_are_rejected_with_drives_error_body() {
    let d = drive().await;
    let start = d.start_token("").await;
    d.account.add_file("root", "a.txt", "a").unwrap();
    d.account.invalidate_cursors();
    let (status, body) = d.get(&format!("changes?pageToken={start}")).await;
    assert_eq!(status, 400);
    let error = &body["error"];
    assert_eq!(
        (error["code"].as_u64(), error["message"].as_str()),
        (Some(400), Some("Invalid Value"))
    );
    assert_eq!(
        (
            error["errors"][0]["reason"].as_str(),
            error["errors"][0]["location"].as_str(),
            error["errors"][0]["locationType"].as_str()
        ),
        (Some("invalid"), Some("pageToken"), Some("parameter"))
    );
    // A new start token works and sees only later changes.
    let fresh = d.start_token("").await;
    d.account.add_file("root", "b.txt", "b").unwrap();
    let (changes, _, _) = d.changes_since(&fresh, "").await;
    assert_eq!(changes.len(), 1);
    for garbage in ["abc", "0", "999999"] {
        assert_eq!(d.get(&format!("changes?pageToken={garbage}")).await.0, 400, "{garbage}");
    }
    assert_eq!(d.get("changes").await.0, 400, "pageToken is required");
}

#[tokio::test]
async fn binary_files_download_with_alt_media_and_docs_only_export() {
    let d = drive().await;
    let pdf = d.id("/Finance/Q1 Report.pdf");
    let response = d.raw(&format!("files/{pdf}?alt=media")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.to_vec(), d.account.content(&pdf).unwrap());
    let meta = d.ok(&format!("files/{pdf}?fields=md5Checksum")).await;
    assert_eq!(meta["md5Checksum"], md5_hex(&bytes));
    let url = format!("{}/google/drive/v3/files/{pdf}?alt=media", d.server.base_url());
    let partial =
        d.http.get(url).bearer_auth(&d.token).header("range", "bytes=0-7").send().await.unwrap();
    assert_eq!(partial.status(), 206);
    assert_eq!(partial.headers()["content-range"], format!("bytes 0-7/{}", bytes.len()));
    assert_eq!(&partial.bytes().await.unwrap()[..], b"%PDF-1.4");

    let doc = d.manifest.item("/Team Handbook").unwrap();
    let meta = d.ok(&format!("files/{}?fields=*", doc.id)).await;
    assert_eq!(meta["mimeType"], "application/vnd.google-apps.document");
    assert!(meta.get("size").is_none() && meta.get("md5Checksum").is_none());
    assert!(
        meta["exportLinks"]["text/plain"]
            .as_str()
            .unwrap()
            .contains("/export?mimeType=text%2Fplain")
    );
    let (status, body) = d.get(&format!("files/{}?alt=media", doc.id)).await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::FORBIDDEN, Some("fileNotDownloadable"))
    );

    let text = d.raw(&format!("files/{}/export?mimeType=text/plain", doc.id)).await;
    assert_eq!(text.headers()["content-type"], "text/plain");
    let text = text.text().await.unwrap();
    assert!(text.starts_with('\u{feff}') && text.contains("\r\n"));
    assert!(text.contains(doc.expected_text.as_deref().unwrap()));
    let docx = d.raw(&format!("files/{}/export?mimeType=application/vnd.openxmlformats-officedocument.wordprocessingml.document", doc.id)).await;
    let docx = docx.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx.to_vec())).unwrap();
    let mut xml = String::new();
    archive.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
    assert!(xml.contains(doc.expected_text.as_deref().unwrap()));

    let (status, body) = d.get(&format!("files/{}/export?mimeType=image/png", doc.id)).await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("badRequest"))
    );
    let (status, body) = d.get(&format!("files/{pdf}/export?mimeType=text/plain")).await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::FORBIDDEN, Some("fileNotExportable"))
    );
    let (status, body) = d.get(&format!("files/{}?alt=media", d.id("/Projects"))).await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::FORBIDDEN, Some("fileNotDownloadable"))
    );
}

#[tokio::test]
async fn a_share_of_requests_is_throttled_reproducibly_with_retry_after() {
    let d = drive().await;
    let faults = FaultConfig {
        rate_limit_share: 0.3,
        retry_after_secs: 2,
        seed: Some(42),
        ..Default::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        d.account.set_faults(faults.clone());
        let mut statuses = Vec::new();
        for _ in 0..60 {
            let response = d.raw("about?fields=user").await;
            let status = response.status();
            if status == 429 {
                assert_eq!(response.headers()["retry-after"], "2");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["errors"][0]["reason"], "rateLimitExceeded");
                assert_eq!(body["error"]["errors"][0]["domain"], "usageLimits");
            } else {
                assert_eq!(status, 200);
            }
            statuses.push(status.as_u16());
        }
        runs.push(statuses);
    }
    let throttled = runs[0].iter().filter(|s| **s == 429).count();
    assert!((8..=30).contains(&throttled), "{throttled} of 60 throttled");
    assert_eq!(runs[0], runs[1], "the same seed throttles the same requests");
    assert_eq!(d.account.request_counts().throttled, 2 * throttled as u64);

    d.account.set_faults(FaultConfig {
        rate_limit_share: 1.0,
        drive_rate_limit: DriveRateLimitStyle::UserRateLimit403,
        ..Default::default()
    });
    let (status, body) = d.get("about?fields=user").await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (StatusCode::FORBIDDEN, Some("userRateLimitExceeded"))
    );
}

#[tokio::test]
async fn server_error_bursts_and_failing_downloads() {
    let d = drive().await;
    let pdf = d.id("/Finance/Q1 Report.pdf");
    d.account.set_faults(FaultConfig {
        server_error_burst: 2,
        server_error_status: 500,
        failing_downloads: [pdf.clone()].into(),
        ..Default::default()
    });
    for _ in 0..2 {
        let (status, body) = d.get("about?fields=user").await;
        assert_eq!(
            (status, body["error"]["errors"][0]["reason"].as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, Some("backendError"))
        );
    }
    assert_eq!(d.get("about?fields=user").await.0, 200);
    assert_eq!(d.get(&format!("files/{pdf}")).await.0, 200);
    for _ in 0..3 {
        assert_eq!(d.raw(&format!("files/{pdf}?alt=media")).await.status(), 500);
    }
    let counts = d.account.request_counts();
    assert_eq!(
        (counts.server_errors, counts.endpoint("files.get.media"), counts.endpoint("about.get")),
        (5, 3, 3)
    );
    d.account.clear_faults();
    assert_eq!(d.raw(&format!("files/{pdf}?alt=media")).await.status(), 200);
}
