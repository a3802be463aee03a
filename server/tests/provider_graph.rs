//! The OneDrive and SharePoint providers against the Microsoft Graph simulator:
//! the shared conformance checks, SharePoint sites → libraries → folders, the
//! delta feed on a library (rename, move, delete), 410 resync, a 429 storm,
//! downloads that keep the token away from the download URL, and a token that
//! expires mid-listing.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::{EntryKind, ProviderId, SourcePath};
use cloud_sources::providers::graph::GraphFactory;
use cloud_sources::providers::graph::core::ItemRef;
use cloud_sources::providers::{
    ErrorKind, Provider, ProviderAuth, ProviderContext, ProviderFactory,
};
use cloud_sources::sandbox::{
    FaultConfig, GenerateOptions, Provider as Cloud, SandboxAccount, SandboxOptions, SandboxServer,
    spawn,
};
use support::provider_conformance::{self as conformance, drain, list_all, split};
use support::sandboxed::{SandboxBackend, SandboxTokens, test_deps};

struct World {
    server: SandboxServer,
    account: SandboxAccount,
    tokens: Arc<SandboxTokens>,
}

async fn world(seeded: bool) -> World {
    let options = SandboxOptions { seed_accounts: seeded, ..Default::default() };
    let server = spawn(options).await.unwrap();
    let account = server.account(Cloud::Microsoft, "alice").unwrap();
    let tokens = Arc::new(SandboxTokens::new(&account));
    World { server, account, tokens }
}

impl World {
    fn provider(&self, id: ProviderId) -> Arc<dyn Provider> {
        let api_base = self.server.endpoints(Cloud::Microsoft).api_base;
        let factory = match id {
            ProviderId::OneDrive => GraphFactory::onedrive(&api_base).unwrap(),
            _ => GraphFactory::sharepoint(&api_base).unwrap(),
        };
        factory
            .connect(ProviderContext {
                connection_id: "conn-graph".into(),
                auth: ProviderAuth::OAuth {
                    tokens: self.tokens.clone(),
                    extra: Default::default(),
                },
                http: test_deps(),
            })
            .unwrap()
    }
}

fn selected(entry: &app::model::FolderEntry) -> SourcePath {
    SourcePath {
        path: entry.path.clone(),
        remote_id: entry.remote_id.clone(),
        include_subfolders: true,
    }
}

/// The item id part of a remote id, as the control API knows it.
fn item_id(remote_id: &str) -> String {
    ItemRef::parse(remote_id).unwrap().item
}

#[tokio::test]
async fn onedrive_passes_the_provider_conformance_checks() {
    let w = world(false).await;
    conformance::run(
        w.provider(ProviderId::OneDrive),
        &SandboxBackend { account: w.account.clone() },
    )
    .await;
    assert_eq!(w.tokens.refreshes(), 0);
}

#[tokio::test]
async fn sharepoint_is_browsed_as_sites_then_libraries_then_folders() {
    let w = world(true).await;
    let provider = w.provider(ProviderId::SharePoint);

    let sites = provider.list_folders(None).await.unwrap();
    let names: Vec<(&str, EntryKind, bool)> =
        sites.iter().map(|s| (s.name.as_str(), s.kind, s.selectable)).collect();
    assert_eq!(
        names,
        [("Engineering Hub", EntryKind::Site, false), ("Marketing", EntryKind::Site, false)]
    );
    let err = provider.metadata(&sites[1].remote_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "a site is not a folder: {err}");

    let libraries = provider.list_folders(Some(&sites[1].remote_id)).await.unwrap();
    let names: Vec<(&str, &str, EntryKind, bool)> = libraries
        .iter()
        .map(|l| (l.name.as_str(), l.path.as_str(), l.kind, l.selectable))
        .collect();
    assert_eq!(
        names,
        [
            ("Campaign Assets", "/Marketing/Campaign Assets", EntryKind::Drive, true),
            ("Documents", "/Marketing/Documents", EntryKind::Drive, true),
        ]
    );
    let documents = &libraries[1];
    let folders = provider.list_folders(Some(&documents.remote_id)).await.unwrap();
    let names: Vec<(&str, &str)> =
        folders.iter().map(|f| (f.name.as_str(), f.path.as_str())).collect();
    assert_eq!(names, [("Brand", "/Marketing/Documents/Brand")]);
    let brand = &folders[0];

    // A whole library selected, its files listed with site and library in the path.
    let selection = vec![selected(documents)];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    assert_eq!(cursors.len(), 1);
    let listed = list_all(provider.as_ref(), &selection[0]).await;
    let paths: Vec<&str> = listed.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/Marketing/Documents/Brand/Brand Guidelines.pdf",
            "/Marketing/Documents/Brand/Logo Usage.md",
            "/Marketing/Documents/Press Release.docx",
        ]
    );
    let logo = &listed["/Marketing/Documents/Brand/Logo Usage.md"];
    let bytes = conformance::download(provider.as_ref(), logo, 1 << 20).await.unwrap();
    assert!(String::from_utf8(bytes).unwrap().contains("Keep clear space"));
    let meta = provider.metadata(&logo.id).await.unwrap();
    assert_eq!(
        (meta.path.as_str(), meta.version.as_ref()),
        (logo.path.as_str(), logo.version.as_ref())
    );

    // The library's delta: a new file, a rename, a move to the library root and a delete.
    let brand_id = item_id(&brand.remote_id);
    let added =
        w.account.add_file(&brand_id, "Tone of Voice.md", b"# Tone\n\nFriendly.".to_vec()).unwrap();
    w.account.rename(&item_id(&logo.id), "Logo Rules.md").unwrap();
    let guidelines = &listed["/Marketing/Documents/Brand/Brand Guidelines.pdf"];
    let press = &listed["/Marketing/Documents/Press Release.docx"];
    let library_root = w.account.item(&item_id(&press.id)).unwrap().parent_id.unwrap();
    w.account.move_item(&item_id(&guidelines.id), &library_root).unwrap();
    w.account.delete(&item_id(&press.id)).unwrap();

    let (changes, cursor) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (up, del) = split(&changes);
    let paths: Vec<&str> = up.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/Marketing/Documents/Brand Guidelines.pdf",
            "/Marketing/Documents/Brand/Logo Rules.md",
            "/Marketing/Documents/Brand/Tone of Voice.md",
        ],
        "{changes:#?}"
    );
    assert_eq!(up["/Marketing/Documents/Brand/Logo Rules.md"].id, logo.id, "a rename keeps the id");
    assert_eq!(up["/Marketing/Documents/Brand Guidelines.pdf"].id, guidelines.id, "so does a move");
    let added_id = up_id(&added.id, &logo.id);
    assert_eq!(up["/Marketing/Documents/Brand/Tone of Voice.md"].id, added_id);
    assert_eq!(del, BTreeSet::from([press.id.clone()]));
    let (again, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, &cursor).await;
    assert!(again.is_empty(), "{again:#?}");

    // Deleting a folder deletes the files in it, though delta names only the folder.
    w.account.delete(&brand_id).unwrap();
    let (changes, _) = drain(provider.as_ref(), &selection, &cursors[0].scope, &cursor).await;
    let (up, del) = split(&changes);
    assert!(up.is_empty(), "{changes:#?}");
    assert_eq!(del, BTreeSet::from([logo.id.clone(), added_id]));
}

/// The remote id of a new item in the same drive as `sibling`.
fn up_id(item: &str, sibling: &str) -> String {
    ItemRef::new(ItemRef::parse(sibling).unwrap().drive, item).encode()
}

#[tokio::test]
async fn a_410_resync_fails_the_cursor_and_a_fresh_listing_recovers() {
    let w = world(true).await;
    let provider = w.provider(ProviderId::OneDrive);
    let roots = provider.list_folders(None).await.unwrap();
    let projects = roots.iter().find(|f| f.name == "Projects").expect("Projects");
    let selection = vec![selected(projects)];
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let before = list_all(provider.as_ref(), &selection[0]).await;
    assert!(!before.is_empty());

    w.account.invalidate_cursors();
    let err =
        provider.changes(&selection, &cursors[0].scope, &cursors[0].cursor).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CursorInvalid, "{err}");
    assert!(w.account.request_counts().by_endpoint.keys().any(|k| k.contains("delta")));

    // What the engine does next: new cursors, a full listing, then the feed works again.
    let cursors = provider.start_cursors(&selection).await.unwrap();
    assert_eq!(list_all(provider.as_ref(), &selection[0]).await, before);
    let folder = w.account.item(&item_id(&projects.remote_id)).unwrap();
    w.account.add_file(&folder.id, "after-resync.txt", b"fresh".to_vec()).unwrap();
    let (changes, _) =
        drain(provider.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (up, del) = split(&changes);
    assert_eq!(up.keys().collect::<Vec<_>>(), [&format!("{}/after-resync.txt", projects.path)]);
    assert!(del.is_empty());
}

#[tokio::test]
async fn a_429_storm_completes_and_every_retry_after_is_honoured() {
    let w = world(true).await;
    let calm = w.provider(ProviderId::OneDrive);
    let roots = calm.list_folders(None).await.unwrap();
    let projects = roots.iter().find(|f| f.name == "Projects").expect("Projects").clone();
    let selection = vec![selected(&projects)];
    let expected = list_all(calm.as_ref(), &selection[0]).await;

    w.account.set_faults(FaultConfig {
        rate_limit_share: 0.3,
        retry_after_secs: 1,
        seed: Some(42),
        ..Default::default()
    });
    let stormy = w.provider(ProviderId::OneDrive);
    let started = Instant::now();
    let cursors = stormy.start_cursors(&selection).await.unwrap();
    let listed = list_all(stormy.as_ref(), &selection[0]).await;
    assert_eq!(listed, expected, "the listing is complete despite the throttling");
    let folder = w.account.item(&item_id(&projects.remote_id)).unwrap();
    w.account.add_file(&folder.id, "storm.txt", b"still here".to_vec()).unwrap();
    let (changes, _) =
        drain(stormy.as_ref(), &selection, &cursors[0].scope, &cursors[0].cursor).await;
    let (up, _) = split(&changes);
    let storm = &up[&format!("{}/storm.txt", projects.path)];
    assert_eq!(conformance::download(stormy.as_ref(), storm, 1024).await.unwrap(), b"still here");
    let elapsed = started.elapsed();

    let counts = w.account.request_counts();
    eprintln!("429 storm: {} requests, {} throttled, {elapsed:?}", counts.total, counts.throttled);
    assert!(counts.throttled >= 2, "the storm throttled requests: {counts:?}");
    // One request at a time, so each 429 costs at least its Retry-After...
    assert!(elapsed >= Duration::from_secs(counts.throttled), "{elapsed:?} for {counts:?}");
    // ...and not much more.
    assert!(elapsed < Duration::from_secs(counts.throttled * 2 + 5), "{elapsed:?} for {counts:?}");
}

#[tokio::test]
async fn downloads_follow_the_redirect_without_sending_the_token_there() {
    let w = world(true).await;
    let provider = w.provider(ProviderId::OneDrive);
    let roots = provider.list_folders(None).await.unwrap();
    let projects = roots.iter().find(|f| f.name == "Projects").expect("Projects");
    let listed = list_all(provider.as_ref(), &selected(projects)).await;
    w.account.reset_request_counts();
    for item in listed.values() {
        let bytes = conformance::download(provider.as_ref(), item, 10 << 20).await.unwrap();
        let expected = w.account.content(&item_id(&item.id)).unwrap();
        assert_eq!(bytes, expected, "{}", item.path);
    }
    let counts = w.account.request_counts();
    assert_eq!(counts.endpoint("download"), listed.len() as u64, "{counts:?}");
    assert_eq!(counts.endpoint("download.with_authorization"), 0, "{counts:?}");

    // "A file that always fails" at the pre-authenticated download URL.
    let mut items = listed.values();
    let (failing, healthy) = (items.next().unwrap(), items.next().unwrap());
    w.account.set_faults(FaultConfig {
        failing_downloads: [item_id(&failing.id)].into(),
        ..Default::default()
    });
    conformance::expect_failing_download(provider.as_ref(), failing, healthy).await;
}

#[tokio::test]
async fn a_token_that_expires_mid_listing_is_refreshed_once() {
    let w = world(false).await;
    let folder = w.account.add_folder("root", "Batches").unwrap();
    let options = GenerateOptions { files_per_folder: 3, ..Default::default() };
    w.account.generate(&folder.id, 15, &options).unwrap();
    let provider = w.provider(ProviderId::OneDrive);
    let roots = provider.list_folders(None).await.unwrap();
    let selection = selected(&roots[0]);

    let first = provider.list_page(&selection, None).await.unwrap();
    let mut seen: BTreeSet<String> = first.items.iter().map(|i| i.path.clone()).collect();
    let mut next = first.next.expect("the listing spans pages");
    w.account.expire_tokens();
    loop {
        let page = provider.list_page(&selection, Some(&next)).await.unwrap();
        seen.extend(page.items.into_iter().map(|i| i.path));
        match page.next {
            Some(more) => next = more,
            None => break,
        }
    }
    assert_eq!(seen.len(), 15);
    assert_eq!(w.tokens.refreshes(), 1, "one refresh, then the new token is used");
    assert_eq!(w.account.request_counts().unauthorized, 1);
}

// ---------------------------------------------------------------- official examples
// Verbatim from shared/reference/api-specs/microsoft-graph/examples (driveitem-delta.md,
// errors.md, and the 410 body reported in OneDrive/onedrive-api-docs#1356).

mod examples {
    use cloud_sources::providers::ErrorKind;
    use cloud_sources::providers::graph::core::parse_error;
    use cloud_sources::providers::graph::model::{GraphItem, GraphPage};
    use cloud_sources::providers::http::ErrorResponse;
    use http::{HeaderMap, HeaderValue, StatusCode};
    use serde_json::json;
    use std::time::Duration;

    fn answer(
        status: u16,
        headers: &[(&'static str, &str)],
        body: serde_json::Value,
    ) -> ErrorResponse {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        ErrorResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: serde_json::to_vec(&body).unwrap().into(),
        }
    }

    #[test]
    fn delta_pages_parse_with_next_and_delta_links_and_deleted_facets() {
        let first: GraphPage<GraphItem> = serde_json::from_value(json!({
            "value": [
                {"id": "0123456789abc", "name": "folder2", "folder": {}},
                {"id": "123010204abac", "name": "file.txt", "file": {}},
                {"id": "2353010204ddgg", "name": "file5.txt", "deleted": {}}
            ],
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/me/drive/delta(token=1230919asd190410jlka)"
        }))
        .unwrap();
        assert_eq!(first.value.len(), 3);
        assert!(first.value[0].is_folder() && !first.value[0].is_deleted());
        assert!(first.value[1].file.is_some());
        assert!(first.value[2].is_deleted());
        assert!(first.next_link.is_some() && first.delta_link.is_none());

        let last: GraphPage<GraphItem> = serde_json::from_value(json!({
            "value": [
                {"id": "0123456789abc", "name": "folder2", "folder": {}, "deleted": {}},
                {"id": "123010204abac", "name": "file.txt", "file": {}}
            ],
            "@odata.deltaLink": "https://graph.microsoft.com/v1.0/me/drive/root/delta?(token='MzslMjM0OyUyMzE7MzsyM2YwNDVhMS1lNmRmLTQ1N2MtOGQ5NS1hNmViZDVmZWRhNWQ7NjM3OTQzNzQwODQ3NTcwMDAwOzU4NTk2OTY0NDslMjM7JTIzOyUyMzA')"
        }))
        .unwrap();
        assert!(last.value[0].is_folder() && last.value[0].is_deleted());
        assert!(last.next_link.is_none() && last.delta_link.is_some());
    }

    #[test]
    fn error_bodies_are_classified() {
        let resync = parse_error(&answer(
            410,
            &[],
            json!({"error": {
                "code": "resyncRequired",
                "message": "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
                "innerError": {"date": "2020-09-02T13:13:42", "request-id": "4066dbff-4e0c-48a0-bf94-31934a1aaea4"}
            }}),
        ));
        assert_eq!(resync.kind(), ErrorKind::CursorInvalid, "{resync}");

        let throttled = parse_error(&answer(429, &[("retry-after", "3600")], json!({})));
        assert_eq!(throttled.kind(), ErrorKind::RateLimited);
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(3600)));
        let unavailable = parse_error(&answer(503, &[("retry-after", "5")], json!({})));
        assert_eq!(unavailable.kind(), ErrorKind::Transient);
        assert_eq!(unavailable.retry_after(), Some(Duration::from_secs(5)));

        let envelope = parse_error(&answer(
            400,
            &[],
            json!({"error": {
                "code": "invalidRange",
                "message": "Uploaded fragment overlaps with existing data.",
                "innererror": {"code": "fragmentOverlap"}
            }}),
        ));
        assert_eq!(envelope.kind(), ErrorKind::Invalid);
        assert!(envelope.to_string().contains("Uploaded fragment overlaps"), "{envelope}");
        for (status, kind) in [
            (401, ErrorKind::AuthExpired),
            (403, ErrorKind::AccessDenied),
            (404, ErrorKind::NotFound),
        ] {
            let error =
                parse_error(&answer(status, &[], json!({"error": {"code": "x", "message": "y"}})));
            assert_eq!(error.kind(), kind, "{status}");
        }
    }
}
