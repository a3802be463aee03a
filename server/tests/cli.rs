//! The `cloud-sources` command line, run as a separate process on the same data
//! directory as the test's own service (the embedded store allows both).

mod support;

use app::model::*;
use app::port::{Caller, ServicePort};
use cloud_sources::config::Settings;
use cloud_sources::service::Service;
use std::process::{Command, Stdio};
use support::JsonAnswer;
use support::cli::{cli, stdout};
use support::peers::{WEBDAV_PASSWORD, WEBDAV_USER, WebdavKind, WebdavServer};

#[tokio::test]
async fn operators_manage_users_connections_syncs_and_documents_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(files.path().join("Reports")).unwrap();
    std::fs::write(files.path().join("Reports/q3.md"), "# Q3\nRevenue grew by a third.").unwrap();
    std::fs::write(files.path().join("Reports/q4.txt"), "Q4 outlook: steady.").unwrap();
    let dav = WebdavServer::start(WebdavKind::Wsgidav, files.path());

    // Accounts and tokens.
    let created = stdout(&cli(
        data.path(),
        &["user", "add", "alice", "--admin", "--password-stdin"],
        Some("correct horse battery\n"),
    ));
    assert!(created.starts_with("created alice, admin"), "{created}");
    let short = cli(data.path(), &["user", "add", "bob", "--password-stdin"], Some("short\n"));
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
    let token = stdout(&cli(data.path(), &["token", "create", "--user", "alice"], None));
    assert!(
        token.trim().starts_with("csk_") && token.lines().count() == 1,
        "only the token: {token}"
    );

    // A WebDAV connection from credentials on stdin (never on the command line).
    let credentials = serde_json::json!({ "server_url": dav.url, "username": WEBDAV_USER, "password": WEBDAV_PASSWORD }).to_string();
    let added = stdout(&cli(
        data.path(),
        &[
            "connection",
            "add",
            "--user",
            "alice",
            "--provider",
            "owncloud",
            "--name",
            "Team",
            "--credentials-stdin",
        ],
        Some(&credentials),
    ));
    let connection_id = added.trim().to_string();
    assert_eq!(connection_id.len(), 24, "only the id: {added}");
    let tested = stdout(&cli(data.path(), &["connection", "test", &connection_id], None));
    assert!(tested.contains("Connected to ownCloud / Nextcloud"), "{tested}");
    let browsed =
        stdout(&cli(data.path(), &["connection", "browse", &connection_id, "--json"], None));
    let entries: Vec<FolderEntry> = serde_json::from_str(&browsed).unwrap();
    let reports =
        entries.iter().find(|e| e.name == "Reports").expect("the folder is listed").clone();

    // A configuration made through the service, run and listed from the CLI.
    let mut settings = Settings::for_tests(data.path());
    settings.security.allow_hosts = vec!["127.0.0.1".into()];
    settings.sync.engine = false;
    let service = Service::open(settings).await.unwrap();
    let alice = Caller { user: service.user_by_name("alice").await.unwrap(), session_hash: None };
    let input = SyncConfigInput {
        connection_id: ConnectionId(connection_id.clone()),
        profile_key: "finance".into(),
        name: "Reports".into(),
        source_paths: vec![SourcePath {
            path: reports.path.clone(),
            remote_id: reports.remote_id.clone(),
            include_subfolders: true,
        }],
        filters: Filters::default(),
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    };
    let config = ServicePort::create_config(&*service, &alice, input).await.unwrap();
    let run = stdout(&cli(data.path(), &["sync", "run", config.id.as_str(), "--wait"], None));
    assert!(run.contains("completed"), "{run}");
    assert!(run.contains("2 indexed"), "{run}");
    let listed =
        stdout(&cli(data.path(), &["documents", "list", "--config", config.id.as_str()], None));
    assert!(
        listed.contains("q3.md") && listed.contains("q4.txt") && listed.contains("2 document(s)"),
        "{listed}"
    );

    // Unknown ids fail with a message, not a panic.
    let missing = cli(data.path(), &["sync", "run", "nope", "--wait"], None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no sync configuration nope"));

    // Vault rotation re-seals every connection; the connection still works after it.
    let rotated = stdout(&cli(data.path(), &["vault", "rotate"], None));
    assert!(rotated.contains("re-encrypted 1 connection"), "{rotated}");
    let tested = stdout(&cli(data.path(), &["connection", "test", &connection_id], None));
    assert!(tested.contains("Connected"), "{tested}");
    // A second rotation removes the oldest key.
    let rotated = stdout(&cli(data.path(), &["vault", "rotate"], None));
    assert!(rotated.contains("removed 1 retired key"), "{rotated}");
    service.reload_vault().await.unwrap();
    assert!(
        ServicePort::test_connection(&*service, &alice, &ConnectionId(connection_id))
            .await
            .unwrap()
            .ok
    );
}

/// `cloud-sources sandbox` serves the simulators in their own process (benchmarks measure
/// the server's memory without them): it prints its base URL, and the control API and a
/// provider API answer there.
#[tokio::test]
async fn the_sandbox_runs_as_its_own_process() {
    use std::io::{BufRead, BufReader};
    let port = support::peers::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_cloud-sources"))
        .args(["sandbox", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary runs");
    let mut child = support::peers::ChildGuard(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim();
    assert_eq!(base, format!("http://127.0.0.1:{port}/sandbox"));

    let http = reqwest::Client::new();
    let account: serde_json::Value = http
        .post(format!("{base}/_control/accounts"))
        .json(&serde_json::json!({"provider": "google", "username": "alice"}))
        .json_answer()
        .await;
    assert!(account["root_id"].is_string(), "{account}");
    let tokens: serde_json::Value = http
        .post(format!("{base}/_control/accounts/google/alice/tokens"))
        .json(&serde_json::json!({"client_id": "cli-test"}))
        .json_answer()
        .await;
    let listed = http
        .get(format!("{base}/google/drive/v3/files"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200, "{}", listed.text().await.unwrap());
}
