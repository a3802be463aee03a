//! The Dropbox provider against the Dropbox v2 simulator: the shared
//! conformance checks, a renamed folder, changes made while the first listing
//! pages, `reset` → resync, a 429 storm, a file that always fails,
//! `list_folder/continue` paging in the picker and the listing with a token
//! that expires half-way, and downloads of non-ASCII names.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::SourcePath;
use cloud_sources::providers::dropbox::DropboxFactory;
use cloud_sources::providers::{
    ErrorKind, Provider, ProviderAuth, ProviderContext, ProviderFactory,
};
use cloud_sources::sandbox::{
    FaultConfig, GenerateOptions, Provider as Cloud, SandboxAccount, SandboxOptions, SandboxServer,
    spawn,
};
use support::provider_conformance::{
    self as conformance, ConformanceBackend, drain, list_all, split,
};
use support::sandboxed::{SandboxBackend, SandboxTokens, test_deps};

struct World {
    server: SandboxServer,
    account: SandboxAccount,
    tokens: Arc<SandboxTokens>,
}

async fn world(seeded: bool) -> World {
    let options = SandboxOptions { seed_accounts: seeded, ..Default::default() };
    let server = spawn(options).await.unwrap();
    let account = server.account(Cloud::Dropbox, "alice").unwrap();
    let tokens = Arc::new(SandboxTokens::new(&account));
    World { server, account, tokens }
}

impl World {
    fn provider(&self) -> Arc<dyn Provider> {
        let endpoints = self.server.endpoints(Cloud::Dropbox);
        DropboxFactory::new(&endpoints.api_base, endpoints.content_base.as_deref().unwrap())
            .connect(ProviderContext {
                connection_id: "conn-dropbox".into(),
                auth: ProviderAuth::OAuth {
                    tokens: self.tokens.clone(),
                    extra: Default::default(),
                },
                http: test_deps(),
            })
            .unwrap()
    }

    fn backend(&self) -> SandboxBackend {
        SandboxBackend { account: self.account.clone() }
    }

    /// `/Docs` with a few files, selected as the picker offers it.
    async fn docs(&self, provider: &dyn Provider) -> SourcePath {
        let backend = self.backend();
        backend.write("/Docs/a.txt", b"alpha").await;
        backend.write("/Docs/Sub/b.txt", b"bravo").await;
        backend.write("/Docs/Sub/Deep/c.md", b"# charlie").await;
        let roots = provider.list_folders(None).await.unwrap();
        let docs = roots.iter().find(|f| f.name == "Docs").expect("Docs");
        SourcePath {
            path: docs.path.clone(),
            remote_id: docs.remote_id.clone(),
            include_subfolders: true,
        }
    }
}

#[tokio::test]
async fn dropbox_passes_the_provider_conformance_checks() {
    let w = world(false).await;
    conformance::run(w.provider(), &w.backend()).await;
    assert_eq!(w.tokens.refreshes(), 0);
}

#[tokio::test]
async fn a_renamed_folder_brings_its_files_back_under_the_new_path() {
    let w = world(false).await;
    let provider = w.provider();
    let selection = vec![w.docs(provider.as_ref()).await];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let listed = list_all(provider.as_ref(), &selection[0]).await;

    w.backend().rename("/Docs/Sub", "/Docs/Renamed").await;
    let (changes, cursor) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (up, del) = split(&changes);
    let paths: Vec<&str> = up.keys().map(String::as_str).collect();
    assert_eq!(paths, ["/Docs/Renamed/Deep/c.md", "/Docs/Renamed/b.txt"], "{changes:#?}");
    assert_eq!(up["/Docs/Renamed/b.txt"].id, listed["/Docs/Sub/b.txt"].id);
    assert!(del.is_empty(), "a rename deletes nothing: {changes:#?}");

    // A folder deleted: every file below it goes, though Dropbox names only the folder.
    w.backend().remove("/Docs/Renamed").await;
    let (changes, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, &cursor).await;
    let (up, del) = split(&changes);
    assert!(up.is_empty(), "{changes:#?}");
    let expected: BTreeSet<String> =
        [&listed["/Docs/Sub/b.txt"].id, &listed["/Docs/Sub/Deep/c.md"].id]
            .into_iter()
            .cloned()
            .collect();
    assert_eq!(del, expected);
}

/// The change feed starts from `get_latest_cursor` taken before the listing
/// that seeds its path map: what changes while that listing pages (here
/// between `list_folder` and `continue`) is reported, and a file created
/// mid-listing and later deleted resolves to its id.
#[tokio::test]
async fn changes_made_during_the_first_listing_are_reported() {
    let w = world(false).await;
    let provider = w.provider();
    let docs = w.docs(provider.as_ref()).await;
    // More than one list_folder page (2,000 entries), so the listing pages.
    let options = GenerateOptions { files_per_folder: 1, ..Default::default() };
    w.account.generate(&docs.remote_id, 1100, &options).unwrap();
    let selection = vec![docs];
    let before = list_all(provider.as_ref(), &selection[0]).await;

    w.account.set_faults(FaultConfig { latency_ms: 400, ..Default::default() });
    w.account.reset_request_counts();
    let account = w.account.clone();
    let backend = w.backend();
    let writer = tokio::spawn(async move {
        // `continue` is counted on arrival and answered after the latency.
        while account.request_counts().endpoint("files/list_folder/continue") == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        backend.write("/Docs/during.txt", b"written mid-listing").await;
        backend.write("/Docs/a.txt", b"alpha, edited mid-listing").await;
        backend.rename("/Docs/Sub/b.txt", "/Docs/Sub/b2.txt").await;
    });
    let cursors = provider.start_cursors(&selection).await.unwrap();
    writer.await.unwrap();
    w.account.set_faults(FaultConfig::default());
    let counts = w.account.request_counts();
    assert_eq!(counts.endpoint("files/list_folder/get_latest_cursor"), 1, "{counts:?}");

    let (changes, cursor) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (up, del) = split(&changes);
    assert!(del.is_empty(), "{changes:#?}");
    assert_eq!(
        up.keys().map(String::as_str).collect::<Vec<_>>(),
        ["/Docs/Sub/b2.txt", "/Docs/a.txt", "/Docs/during.txt"],
        "{changes:#?}"
    );
    assert_eq!(up["/Docs/Sub/b2.txt"].id, before["/Docs/Sub/b.txt"].id);
    assert_ne!(up["/Docs/a.txt"].version, before["/Docs/a.txt"].version);
    let during = up["/Docs/during.txt"].id.clone();

    // The mid-listing file is in the cursor's path map: its deletion resolves.
    w.backend().remove("/Docs/during.txt").await;
    let (changes, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, &cursor).await;
    let (up, del) = split(&changes);
    assert!(up.is_empty(), "{changes:#?}");
    assert_eq!(del, BTreeSet::from([during]));
}

#[tokio::test]
async fn a_reset_cursor_fails_as_invalid_and_a_fresh_listing_recovers() {
    let w = world(false).await;
    let provider = w.provider();
    let selection = vec![w.docs(provider.as_ref()).await];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let before = list_all(provider.as_ref(), &selection[0]).await;

    w.account.invalidate_cursors();
    let err =
        provider.changes(&selection, &cursors[0].scope, &cursors[0].cursor).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CursorInvalid, "{err}");

    let cursors = provider.start_cursors(&selection).await.unwrap();
    assert_eq!(list_all(provider.as_ref(), &selection[0]).await, before);
    w.backend().write("/Docs/after.txt", b"after the reset").await;
    let (changes, _) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (up, del) = split(&changes);
    assert_eq!(up.keys().collect::<Vec<_>>(), ["/Docs/after.txt"]);
    assert!(del.is_empty());
}

#[tokio::test]
async fn a_429_storm_completes_and_every_retry_after_is_honoured() {
    let w = world(false).await;
    let calm = w.provider();
    let selection = vec![w.docs(calm.as_ref()).await];
    let expected = list_all(calm.as_ref(), &selection[0]).await;

    w.account.set_faults(FaultConfig {
        rate_limit_share: 0.3,
        retry_after_secs: 1,
        seed: Some(7),
        ..Default::default()
    });
    let stormy = w.provider();
    let started = Instant::now();
    let cursors = stormy.start_cursors(&selection).await.unwrap();
    assert_eq!(list_all(stormy.as_ref(), &selection[0]).await, expected);
    w.backend().write("/Docs/storm.txt", b"still here").await;
    w.backend().remove("/Docs/a.txt").await;
    let (changes, _) =
        drain(stormy.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (up, del) = split(&changes);
    assert_eq!(del, BTreeSet::from([expected["/Docs/a.txt"].id.clone()]));
    let storm = &up["/Docs/storm.txt"];
    for _ in 0..4 {
        let bytes = conformance::download(stormy.as_ref(), storm, 1024).await.unwrap();
        assert_eq!(bytes, b"still here");
    }
    let elapsed = started.elapsed();

    let counts = w.account.request_counts();
    eprintln!("429 storm: {} requests, {} throttled, {elapsed:?}", counts.total, counts.throttled);
    assert!(counts.throttled >= 2, "the storm throttled requests: {counts:?}");
    assert!(elapsed >= Duration::from_secs(counts.throttled), "{elapsed:?} for {counts:?}");
    assert!(elapsed < Duration::from_secs(counts.throttled * 2 + 5), "{elapsed:?} for {counts:?}");
}

#[tokio::test]
async fn continue_pages_the_picker_and_a_listing_survives_token_expiry() {
    let w = world(false).await;
    let bulk = w.account.add_folder("root", "Bulk").unwrap();
    // 2,100 folders of one file each: more than one list_folder page (2,000 entries).
    let options = GenerateOptions { files_per_folder: 1, ..Default::default() };
    w.account.generate(&bulk.id, 2100, &options).unwrap();
    let provider = w.provider();

    let roots = provider.list_folders(None).await.unwrap();
    assert_eq!(roots.len(), 1);
    let folders = provider.list_folders(Some(&roots[0].remote_id)).await.unwrap();
    assert_eq!(folders.len(), 2100, "the picker follows list_folder/continue");
    assert_eq!(w.account.request_counts().endpoint("files/list_folder/continue"), 1);

    let selection = SourcePath {
        path: roots[0].path.clone(),
        remote_id: roots[0].remote_id.clone(),
        include_subfolders: true,
    };
    let first = provider.list_page(&selection, None).await.unwrap();
    let mut seen: BTreeSet<String> = first.items.iter().map(|i| i.id.clone()).collect();
    let mut next = first.next.expect("the listing spans pages");
    w.account.expire_tokens();
    loop {
        let page = provider.list_page(&selection, Some(&next)).await.unwrap();
        seen.extend(page.items.into_iter().map(|i| i.id));
        match page.next {
            Some(more) => next = more,
            None => break,
        }
    }
    assert_eq!(seen.len(), 2100);
    assert_eq!(w.tokens.refreshes(), 1);
    assert_eq!(w.account.request_counts().unauthorized, 1);
}

#[tokio::test]
async fn downloads_carry_non_ascii_names_and_stop_at_the_size_cap() {
    let w = world(false).await;
    let provider = w.provider();
    w.backend().write("/Docs/Café ünï 😀.md", "# Crème brûlée".as_bytes()).await;
    let selection = w.docs(provider.as_ref()).await;
    let listed = list_all(provider.as_ref(), &selection).await;
    let file = &listed["/Docs/Café ünï 😀.md"];
    assert_eq!(file.mime_type, "text/markdown");
    let bytes = conformance::download(provider.as_ref(), file, 1024).await.unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), "# Crème brûlée");
    assert_eq!(
        conformance::download(provider.as_ref(), file, 4).await.unwrap_err(),
        ErrorKind::TooLarge
    );
    let meta = provider.metadata(&file.id).await.unwrap();
    assert_eq!(
        (meta.path.as_str(), meta.version.as_ref()),
        (file.path.as_str(), file.version.as_ref())
    );

    // "A file that always fails": the same typed error every time, its neighbour unharmed.
    w.account.set_faults(FaultConfig {
        failing_downloads: [file.id.clone()].into(),
        ..Default::default()
    });
    conformance::expect_failing_download(provider.as_ref(), file, &listed["/Docs/a.txt"]).await;
    w.account.set_faults(FaultConfig::default());

    w.backend().remove("/Docs/Café ünï 😀.md").await;
    let err = provider.metadata(&file.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

// ---------------------------------------------------------------- official examples
// From shared/reference/api-specs/dropbox/dropbox.examples.json: the Stone examples
// (verbatim) and the error envelopes derived from the official SDK.

mod examples {
    use cloud_sources::providers::ErrorKind;
    use cloud_sources::providers::dropbox::core::parse_error;
    use cloud_sources::providers::dropbox::model::{DropboxEntry, DropboxListFolderResult};
    use cloud_sources::providers::http::ErrorResponse;
    use http::{HeaderMap, HeaderValue, StatusCode};
    use serde_json::json;
    use std::time::Duration;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &[u8]) -> ErrorResponse {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        ErrorResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: body.to_vec().into(),
        }
    }

    fn json_answer(
        status: u16,
        headers: &[(&'static str, &str)],
        body: serde_json::Value,
    ) -> ErrorResponse {
        answer(status, headers, &serde_json::to_vec(&body).unwrap())
    }

    #[test]
    fn the_list_folder_result_example_parses_into_tagged_entries() {
        let result: DropboxListFolderResult = serde_json::from_value(json!({
            "entries": [
                {".tag": "file", "name": "Prime_Numbers.txt", "id": "id:a4ayc_80_OEAAAAAAAAAXw", "client_modified": "2015-05-12T15:50:38Z", "server_modified": "2015-05-12T15:50:38Z", "rev": "a1c10ce0dd78", "size": 7212, "path_lower": "/homework/math/prime_numbers.txt", "path_display": "/Homework/math/Prime_Numbers.txt", "sharing_info": {"read_only": true, "parent_shared_folder_id": "84528192421", "modified_by": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"}, "is_downloadable": true, "property_groups": [{"template_id": "ptid:1a5n2i6d3OYEAAAAAAAAAYa", "fields": [{"name": "Security Policy", "value": "Confidential"}]}], "has_explicit_shared_members": false, "content_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "file_lock_info": {"is_lockholder": true, "lockholder_name": "Imaginary User", "created": "2015-05-12T15:50:38Z"}},
                {".tag": "folder", "name": "math", "id": "id:a4ayc_80_OEAAAAAAAAAXz", "path_lower": "/homework/math", "path_display": "/Homework/math", "sharing_info": {"read_only": false, "parent_shared_folder_id": "84528192421", "traverse_only": false, "no_access": false}, "property_groups": [{"template_id": "ptid:1a5n2i6d3OYEAAAAAAAAAYa", "fields": [{"name": "Security Policy", "value": "Confidential"}]}]},
                {".tag": "deleted", "name": "pi.txt", "path_lower": "/homework/math/pi.txt", "path_display": "/Homework/math/pi.txt"}
            ],
            "cursor": "ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu",
            "has_more": false
        }))
        .unwrap();
        let DropboxEntry::File(file) = &result.entries[0] else { panic!("a file") };
        assert_eq!(file.size, 7212);
        assert_eq!(
            file.content_hash.as_deref(),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        let item = cloud_sources::providers::dropbox::core::remote_item(file).unwrap();
        assert_eq!(item.path, "/Homework/math/Prime_Numbers.txt");
        assert_eq!(item.version.as_deref(), file.content_hash.as_deref());
        assert!(
            matches!(&result.entries[1], DropboxEntry::Folder(f) if f.id == "id:a4ayc_80_OEAAAAAAAAAXz")
        );
        assert_eq!(result.entries[2].path_lower(), Some("/homework/math/pi.txt"));
        assert!(!result.has_more);
    }

    #[test]
    fn error_envelopes_are_classified_by_tag() {
        let reset = parse_error(&json_answer(
            409,
            &[],
            json!({"error_summary": "reset/...", "error": {".tag": "reset"}}),
        ));
        assert_eq!(reset.kind(), ErrorKind::CursorInvalid);
        let missing = parse_error(&json_answer(
            409,
            &[],
            json!({"error_summary": "path/not_found/...", "error": {".tag": "path", "path": {".tag": "not_found"}}}),
        ));
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let unsupported = parse_error(&json_answer(
            409,
            &[],
            json!({"error_summary": "unsupported_file/..", "error": {".tag": "unsupported_file"}}),
        ));
        assert_eq!(unsupported.kind(), ErrorKind::Unsupported);

        let throttled = parse_error(&json_answer(
            429,
            &[("content-type", "application/json"), ("retry-after", "300")],
            json!({"error_summary": "too_many_requests/...", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 300}}),
        ));
        assert_eq!(throttled.kind(), ErrorKind::RateLimited);
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(300)));
        let writes = parse_error(&json_answer(
            429,
            &[("retry-after", "1")],
            json!({"error_summary": "too_many_write_operations/...", "error": {"reason": {".tag": "too_many_write_operations"}, "retry_after": 1}}),
        ));
        assert_eq!(
            (writes.kind(), writes.retry_after()),
            (ErrorKind::RateLimited, Some(Duration::from_secs(1)))
        );
        let plain = parse_error(&answer(
            429,
            &[("content-type", "text/plain"), ("retry-after", "300")],
            b"(plain text)",
        ));
        assert_eq!(
            (plain.kind(), plain.retry_after()),
            (ErrorKind::RateLimited, Some(Duration::from_secs(300)))
        );

        let expired = parse_error(&json_answer(
            401,
            &[],
            json!({"error_summary": "expired_access_token/...", "error": {".tag": "expired_access_token"}}),
        ));
        assert_eq!(expired.kind(), ErrorKind::AuthExpired);
        let bad = parse_error(&answer(400, &[], b"Error in call to API function \"files/list_folder\": request body: limit: 0 is not within range [1, 2000]"));
        assert_eq!(bad.kind(), ErrorKind::Invalid);
        assert!(bad.to_string().contains("limit: 0"), "{bad}");
    }
}
