//! The IMAP provider against a real Dovecot (TLS and STARTTLS, LOGIN and
//! AUTHENTICATE PLAIN, the mailbox tree, listings, the change feed with and
//! without QRESYNC, downloads), and against scripted in-process servers for
//! what Dovecot cannot show (XOAUTH2, hostile or downgrading servers).

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{AuthType, EntryKind, ProviderId, SecretText, SourcePath};
use async_trait::async_trait;
use cloud_sources::providers::http::{HttpDeps, RequestCounters, RetryPolicy};
use cloud_sources::providers::imap::{ImapFactory, ImapOptions, xoauth2_payload};
use cloud_sources::providers::net::HostGuard;
use cloud_sources::providers::{
    AccessTokens, Change, ChangePage, ErrorKind, Provider, ProviderAuth, ProviderContext,
    ProviderFactory, ProviderResult, RemoteItem, ScopeCursor,
};
use futures::StreamExt;
use serde_json::json;
use support::peers::{Dovecot, test_certs};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

const USER: &str = "alice";
const PASSWORD: &str = "secret";

/// A test message with a predictable Message-ID.
fn email(n: u32, subject: &str) -> Vec<u8> {
    format!(
        "From: Bob Sender <bob@example.com>\r\n\
         To: Alice <alice@example.com>\r\n\
         Subject: {subject}\r\n\
         Message-ID: <msg-{n}@example.com>\r\n\
         Date: Mon, 1 Jan 2024 10:{:02}:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Body of message {n}.\r\n",
        n % 60
    )
    .into_bytes()
}

fn message_id(n: u32) -> String {
    format!("<msg-{n}@example.com>")
}

fn fast_options() -> ImapOptions {
    ImapOptions {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        ..ImapOptions::default()
    }
}

/// A provider for alice on `port`, with loopback allowed by the SSRF guard.
struct Client {
    provider: Arc<dyn Provider>,
    /// IMAP commands sent (the shared request counter).
    sent: Arc<AtomicU64>,
    /// Requests by provider (`/metrics`).
    counters: Arc<RequestCounters>,
}

impl Client {
    /// IMAP commands sent; `/metrics` counts each as a request of `email`.
    fn commands(&self) -> u64 {
        let sent = self.sent.load(Ordering::SeqCst);
        let email = self
            .counters
            .snapshot()
            .into_iter()
            .find(|(p, _)| *p == ProviderId::Email)
            .map_or(0, |(_, c)| c.requests);
        assert_eq!(email, sent, "every IMAP command is counted for /metrics");
        sent
    }
}

fn deps() -> HttpDeps {
    HttpDeps::new(reqwest::Client::new(), RetryPolicy::default())
}

fn loopback_guard() -> Arc<HostGuard> {
    Arc::new(HostGuard::new(&["127.0.0.1".into()]).unwrap())
}

fn connect_with(
    port: u16,
    security: &str,
    password: &str,
    ca_pem: Option<&str>,
    options: ImapOptions,
    guard: Arc<HostGuard>,
) -> Client {
    let factory = ImapFactory::new(guard).with_options(options);
    let credentials = factory
        .parse_credentials(
            AuthType::Password,
            &json!({
                "host": "127.0.0.1",
                "port": port,
                "security": security,
                "username": USER,
                "password": password,
                "ca_pem": ca_pem,
            }),
        )
        .unwrap();
    let http = deps();
    let sent = http.sent.clone();
    let counters = http.counters.clone();
    let context = ProviderContext {
        connection_id: "conn-1".into(),
        auth: ProviderAuth::Static(credentials),
        http,
    };
    Client { provider: factory.connect(context).unwrap(), sent, counters }
}

fn client_for(dovecot: &Dovecot, options: ImapOptions) -> Client {
    connect_with(
        dovecot.imaps_port,
        "tls",
        PASSWORD,
        Some(&dovecot.ca_pem),
        options,
        loopback_guard(),
    )
}

fn mailbox(name: &str, include_subfolders: bool) -> SourcePath {
    SourcePath { path: format!("/{name}"), remote_id: name.to_string(), include_subfolders }
}

async fn list_all(provider: &dyn Provider, selection: &SourcePath) -> (Vec<RemoteItem>, usize) {
    let mut items = Vec::new();
    let mut page = None;
    let mut pages = 0;
    loop {
        let result = provider.list_page(selection, page.as_deref()).await.unwrap();
        pages += 1;
        items.extend(result.items);
        match result.next {
            Some(next) => page = Some(next),
            None => return (items, pages),
        }
    }
}

fn scope_cursor<'a>(cursors: &'a [ScopeCursor], mailbox: &str) -> &'a str {
    let scope = format!("mailbox:{mailbox}");
    &cursors.iter().find(|c| c.scope == scope).unwrap_or_else(|| panic!("no scope {scope}")).cursor
}

/// Follows a change feed to its end; returns the changes and the final cursor.
async fn drain_changes(
    provider: &dyn Provider,
    selection: &[SourcePath],
    mailbox: &str,
    cursor: &str,
) -> (Vec<Change>, String, usize) {
    let scope = format!("mailbox:{mailbox}");
    let mut changes = Vec::new();
    let mut cursor = cursor.to_string();
    let mut pages = 0;
    loop {
        let ChangePage { changes: page, cursor: next, done } =
            provider.changes(selection, &scope, &cursor).await.unwrap();
        pages += 1;
        changes.extend(page);
        cursor = next;
        if done {
            return (changes, cursor, pages);
        }
    }
}

fn upserted_message_ids(changes: &[Change]) -> Vec<String> {
    let mut ids: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Upsert(item) => item.metadata.get("message_id")?.as_str().map(str::to_string),
            Change::Delete { .. } => None,
        })
        .collect();
    ids.sort();
    ids
}

fn deleted_ids(changes: &[Change]) -> Vec<String> {
    let mut ids: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Delete { id } => Some(id.clone()),
            Change::Upsert(_) => None,
        })
        .collect();
    ids.sort();
    ids
}

async fn download(provider: &dyn Provider, item: &RemoteItem, max: u64) -> ProviderResult<Vec<u8>> {
    let mut stream = provider.download(item, max).await?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
    }
    Ok(body)
}

// ---------------------------------------------------------------- sign-in

#[tokio::test]
async fn tls_and_starttls_both_sign_in() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    for (port, security) in [(dovecot.imaps_port, "tls"), (dovecot.imap_port, "starttls")] {
        let client = connect_with(
            port,
            security,
            PASSWORD,
            Some(&dovecot.ca_pem),
            fast_options(),
            loopback_guard(),
        );
        let account = client.provider.test().await.unwrap_or_else(|e| panic!("{security}: {e}"));
        assert_eq!(account.label, "alice @ 127.0.0.1");
        let roots = client.provider.list_folders(None).await.unwrap();
        assert!(roots.iter().any(|f| f.remote_id == "INBOX"), "{security}: {roots:?}");
    }
    let log = dovecot.log();
    let logins = log.lines().filter(|l| l.contains("Login: user=<alice>"));
    assert_eq!(logins.filter(|l| l.contains(", TLS")).count(), 2, "both encrypted: {log}");
}

#[tokio::test]
async fn login_command_and_authenticate_plain_both_sign_in_with_awkward_passwords() {
    // Quotes and backslashes need escaping, non-ASCII needs a literal.
    let awkward = "p\"a\\ss wörd";
    let dovecot = Dovecot::start(&[(USER, awkward)]);
    for prefer_login_command in [false, true] {
        let options = ImapOptions { prefer_login_command, ..fast_options() };
        let client = connect_with(
            dovecot.imaps_port,
            "tls",
            awkward,
            Some(&dovecot.ca_pem),
            options,
            loopback_guard(),
        );
        client
            .provider
            .test()
            .await
            .unwrap_or_else(|e| panic!("LOGIN={prefer_login_command}: {e}"));
    }
}

#[tokio::test]
async fn a_wrong_password_is_auth_expired_for_both_mechanisms() {
    for prefer_login_command in [false, true] {
        // A Dovecot each: a second failure from one IP would wait out its auth penalty.
        let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
        let options = ImapOptions { prefer_login_command, ..fast_options() };
        let client = connect_with(
            dovecot.imaps_port,
            "tls",
            "wrong",
            Some(&dovecot.ca_pem),
            options,
            loopback_guard(),
        );
        let error = client.provider.test().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AuthExpired, "{error}");
        assert!(error.message().contains("rejected the password for alice"), "{error}");
        assert!(!format!("{error} {error:?}").contains("wrong"), "no secret in errors: {error:?}");
    }
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    for (port, security) in [(dovecot.imaps_port, "tls"), (dovecot.imap_port, "starttls")] {
        let client = connect_with(port, security, PASSWORD, None, fast_options(), loopback_guard());
        let error = client.provider.test().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid, "{security}: {error}");
        assert!(error.message().contains("certificate"), "{security}: {error}");
    }
    assert!(!dovecot.log().contains("Login: user=<alice>"), "no login happened");
}

#[tokio::test]
async fn the_ssrf_guard_refuses_loopback_unless_it_is_allowed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let client =
        connect_with(port, "tls", PASSWORD, None, fast_options(), Arc::new(HostGuard::default()));
    let error = client.provider.test().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Invalid, "{error}");
    assert!(error.message().contains("internal address"), "{error}");
    assert!(listener.accept().is_err(), "no connection may reach the refused host");

    // The same server, allowed by the operator, is reached.
    let client = connect_with(
        port,
        "tls",
        PASSWORD,
        None,
        ImapOptions {
            connect_timeout: Duration::from_millis(500),
            read_timeout: Duration::from_millis(300),
            ..fast_options()
        },
        loopback_guard(),
    );
    let _ = client.provider.test().await;
    assert!(listener.accept().is_ok(), "the allowed host is connected to");
}

// ---------------------------------------------------------------- picker

#[tokio::test]
async fn the_picker_shows_the_mailbox_tree_with_counts() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    for name in ["Archive", "Projects/Sub", "Projects/Sub/Deep", "Entwürfe"] {
        dovecot.create_mailbox(USER, name);
    }
    for n in 0..3 {
        dovecot.append(USER, "INBOX", &email(n, "inbox"));
    }
    dovecot.append(USER, "Projects/Sub", &email(10, "sub"));
    dovecot.append(USER, "Projects/Sub", &email(11, "sub"));

    // Dovecot as it is (LIST-STATUS), and playing a plain IMAP4rev1 server (STATUS per mailbox).
    let plain = Dovecot::start_with(
        &[(USER, PASSWORD)],
        Some("IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE UIDPLUS CHILDREN NAMESPACE"),
    );
    for name in ["Archive", "Projects/Sub", "Projects/Sub/Deep", "Entwürfe"] {
        plain.create_mailbox(USER, name);
    }
    for n in 0..3 {
        plain.append(USER, "INBOX", &email(n, "inbox"));
    }
    plain.append(USER, "Projects/Sub", &email(10, "sub"));
    plain.append(USER, "Projects/Sub", &email(11, "sub"));

    for server in [&dovecot, &plain] {
        let client = client_for(server, fast_options());
        let roots = client.provider.list_folders(None).await.unwrap();
        let names: Vec<&str> = roots.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["INBOX", "Archive", "Entwürfe", "Projects"], "{roots:?}");
        let inbox = &roots[0];
        assert_eq!(
            (inbox.kind, inbox.selectable, inbox.file_count),
            (EntryKind::Mailbox, true, Some(3))
        );
        assert_eq!(inbox.has_children, Some(false));
        let drafts = &roots[2];
        assert_eq!(
            (drafts.remote_id.as_str(), drafts.path.as_str()),
            ("Entw&APw-rfe", "/Entwürfe")
        );
        let projects = &roots[3];
        assert!(!projects.selectable, "Projects exists only as a parent");
        assert_eq!((projects.has_children, projects.file_count), (Some(true), None));

        let children = client.provider.list_folders(Some("Projects")).await.unwrap();
        assert_eq!(children.len(), 1, "{children:?}");
        let sub = &children[0];
        assert_eq!(
            (sub.remote_id.as_str(), sub.name.as_str(), sub.path.as_str()),
            ("Projects/Sub", "Sub", "/Projects/Sub")
        );
        assert_eq!((sub.selectable, sub.has_children, sub.file_count), (true, Some(true), Some(2)));

        let deep = client.provider.list_folders(Some("Projects/Sub")).await.unwrap();
        assert_eq!(
            deep.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["/Projects/Sub/Deep"]
        );
        assert_eq!(deep[0].file_count, Some(0));

        let missing = client.provider.list_folders(Some("Nope")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
    }
}

// ---------------------------------------------------------------- listing

#[tokio::test]
async fn a_full_listing_returns_every_message_exactly_once() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    dovecot.create_mailbox(USER, "Projects/Sub");
    dovecot.create_mailbox(USER, "Projects/Sub/Deep");
    let mut sizes = HashMap::new();
    for n in 1..=7 {
        let message = email(n, &format!("Inbox message {n}"));
        sizes.insert(message_id(n), message.len() as u64);
        dovecot.append(USER, "INBOX", &message);
    }
    for (n, mailbox) in [(20, "Projects/Sub"), (21, "Projects/Sub"), (22, "Projects/Sub/Deep")] {
        let message = email(n, "=?UTF-8?B?R3LDvMOfZQ==?= from a/b");
        sizes.insert(message_id(n), message.len() as u64);
        dovecot.append(USER, mailbox, &message);
    }
    // A page of 3 makes pages end inside a mailbox and span two mailboxes.
    let client = client_for(&dovecot, ImapOptions { page_size: 3, ..fast_options() });

    let (inbox, pages) = list_all(&*client.provider, &mailbox("INBOX", false)).await;
    assert_eq!(pages, 3);
    let (projects, _) = list_all(&*client.provider, &mailbox("Projects", true)).await;
    let (sub_only, _) = list_all(&*client.provider, &mailbox("Projects/Sub", false)).await;
    assert_eq!(sub_only.len(), 2, "without subfolders, Deep is not listed");

    let all: Vec<&RemoteItem> = inbox.iter().chain(&projects).collect();
    let mut message_ids: Vec<&str> =
        all.iter().map(|i| i.metadata["message_id"].as_str().unwrap()).collect();
    message_ids.sort();
    let mut expected: Vec<String> = (1..=7).chain(20..=22).map(message_id).collect();
    expected.sort();
    assert_eq!(message_ids, expected, "every message exactly once");
    let mut ids: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "ids are unique");

    for item in &all {
        assert_eq!(item.mime_type, "message/rfc822");
        assert!(!item.is_folder);
        assert_eq!(item.size, sizes[item.metadata["message_id"].as_str().unwrap()], "{item:?}");
        assert!(item.modified_at.is_some(), "INTERNALDATE: {item:?}");
        assert!(item.version.is_some());
        assert_eq!(item.metadata["from"], "Bob Sender <bob@example.com>");
        assert_eq!(item.metadata["to"], "Alice <alice@example.com>");
        assert!(item.metadata["date"].as_str().unwrap().starts_with("2024-01-01T10:"), "{item:?}");
    }
    let first = inbox.iter().find(|i| i.metadata["message_id"] == message_id(1).as_str()).unwrap();
    assert_eq!(first.name, "Inbox message 1");
    assert_eq!(first.path, "/INBOX/Inbox message 1");
    assert_eq!(first.metadata["mailbox"], "INBOX");
    let (mailbox_part, rest) = first.id.split_once('/').unwrap();
    assert_eq!(mailbox_part, "INBOX");
    assert_eq!(rest.split('/').nth(1), Some("1"), "the UID closes the id: {}", first.id);

    let deep =
        projects.iter().find(|i| i.metadata["message_id"] == message_id(22).as_str()).unwrap();
    assert_eq!(deep.name, "Grüße from a b", "decoded, one path segment");
    assert_eq!(deep.path, "/Projects/Sub/Deep/Grüße from a b");
    assert_eq!(deep.metadata["mailbox"], "Projects/Sub/Deep");
    assert!(deep.id.starts_with("Projects/Sub/Deep/"), "{}", deep.id);

    // metadata() finds the same message by id.
    let again = client.provider.metadata(&deep.id).await.unwrap();
    assert_eq!(&again, deep);
    let gone = client.provider.metadata("INBOX/1/999").await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
}

// ---------------------------------------------------------------- changes

/// Seeds INBOX and Archive, takes cursors, changes the mailboxes in every way
/// and checks that the feed reports exactly the new and the vanished messages.
async fn changes_report_exactly_new_and_vanished_messages(
    dovecot: &Dovecot,
    client: &Client,
    expect_qresync: bool,
) {
    dovecot.create_mailbox(USER, "Archive");
    for n in 1..=4 {
        dovecot.append(USER, "INBOX", &email(n, &format!("m{n}")));
    }
    dovecot.append(USER, "Archive", &email(50, "archived"));
    let selection = [mailbox("INBOX", false), mailbox("Archive", false)];
    let provider = &*client.provider;

    let cursors = provider.start_cursors(&selection).await.unwrap();
    assert_eq!(cursors.len(), 2);
    let inbox_cursor = scope_cursor(&cursors, "INBOX").to_string();
    let archive_cursor = scope_cursor(&cursors, "Archive").to_string();
    assert_eq!(inbox_cursor.contains("\"modseq\""), expect_qresync, "{inbox_cursor}");
    assert_eq!(inbox_cursor.contains("\"uids\":\"1:4\""), !expect_qresync, "{inbox_cursor}");
    let (listed, _) = list_all(provider, &selection[0]).await;
    assert_eq!(listed.len(), 4);

    // Nothing happened: nothing reported.
    let (changes, same_cursor, _) =
        drain_changes(provider, &selection, "INBOX", &inbox_cursor).await;
    assert!(changes.is_empty(), "{changes:?}");
    let (changes, _, _) = drain_changes(provider, &selection, "INBOX", &same_cursor).await;
    assert!(changes.is_empty(), "{changes:?}");

    let uids = dovecot.uids(USER, "INBOX");
    assert_eq!(uids, [1, 2, 3, 4]);
    let id_of =
        |uid: u32| listed.iter().find(|i| i.id.ends_with(&format!("/{uid}"))).unwrap().id.clone();
    dovecot.append(USER, "INBOX", &email(5, "new one"));
    dovecot.append(USER, "INBOX", &email(6, "new two"));
    dovecot.add_flags(USER, "INBOX", 1, "\\Flagged \\Seen");
    dovecot.expunge(USER, "INBOX", 2);
    dovecot.move_message(USER, "INBOX", 3, "Archive");

    let (changes, inbox_cursor, _) =
        drain_changes(provider, &selection, "INBOX", &inbox_cursor).await;
    assert_eq!(upserted_message_ids(&changes), [message_id(5), message_id(6)], "{changes:?}");
    let mut gone = vec![id_of(2), id_of(3)];
    gone.sort();
    assert_eq!(deleted_ids(&changes), gone, "a flag change is no change: {changes:?}");
    assert_eq!(changes.len(), 4, "{changes:?}");

    let (changes, archive_cursor, _) =
        drain_changes(provider, &selection, "Archive", &archive_cursor).await;
    assert_eq!(
        upserted_message_ids(&changes),
        [message_id(3)],
        "the moved message arrives: {changes:?}"
    );
    assert_eq!(changes.len(), 1, "{changes:?}");
    let Change::Upsert(moved) = &changes[0] else { unreachable!() };
    assert!(moved.id.starts_with("Archive/"), "{}", moved.id);
    assert_eq!(moved.metadata["mailbox"], "Archive");

    // Reported once: the new cursors see nothing.
    let (changes, inbox_cursor, _) =
        drain_changes(provider, &selection, "INBOX", &inbox_cursor).await;
    assert!(changes.is_empty(), "{changes:?}");
    let (changes, _, _) = drain_changes(provider, &selection, "Archive", &archive_cursor).await;
    assert!(changes.is_empty(), "{changes:?}");

    // More new mail than one page: reported in pages, each message once.
    for n in 7..=11 {
        dovecot.append(USER, "INBOX", &email(n, "burst"));
    }
    dovecot.expunge(USER, "INBOX", 1);
    let (changes, _, pages) = drain_changes(provider, &selection, "INBOX", &inbox_cursor).await;
    assert_eq!(pages, 2, "5 new with pages of 3");
    let mut burst: Vec<String> = (7..=11).map(message_id).collect();
    burst.sort();
    assert_eq!(upserted_message_ids(&changes), burst);
    assert_eq!(deleted_ids(&changes), [id_of(1)]);

    // A scope that left the selection reports nothing.
    let page = provider.changes(&selection[1..], "mailbox:INBOX", &same_cursor).await.unwrap();
    assert!(page.done && page.changes.is_empty());
}

#[tokio::test]
async fn changes_with_qresync_report_new_and_vanished_messages() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    let client = client_for(&dovecot, ImapOptions { page_size: 3, ..fast_options() });
    changes_report_exactly_new_and_vanished_messages(&dovecot, &client, true).await;
}

#[tokio::test]
async fn changes_without_qresync_diff_the_uids() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    let client =
        client_for(&dovecot, ImapOptions { page_size: 3, disable_qresync: true, ..fast_options() });
    changes_report_exactly_new_and_vanished_messages(&dovecot, &client, false).await;
}

#[tokio::test]
async fn changes_on_a_server_that_never_heard_of_qresync() {
    // No QRESYNC, CONDSTORE or ESEARCH advertised: plain SEARCH and UID diffs.
    let dovecot = Dovecot::start_with(
        &[(USER, PASSWORD)],
        Some("IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE UIDPLUS CHILDREN NAMESPACE"),
    );
    let client = client_for(&dovecot, ImapOptions { page_size: 3, ..fast_options() });
    changes_report_exactly_new_and_vanished_messages(&dovecot, &client, false).await;
}

#[tokio::test]
async fn a_uidvalidity_change_invalidates_the_cursor_in_both_modes() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    dovecot.append(USER, "INBOX", &email(1, "one"));
    let selection = [mailbox("INBOX", false)];
    let mut cursors = Vec::new();
    for disable_qresync in [false, true] {
        let client = client_for(&dovecot, ImapOptions { disable_qresync, ..fast_options() });
        let taken = client.provider.start_cursors(&selection).await.unwrap();
        cursors.push((client, taken[0].cursor.clone()));
    }
    dovecot.set_uid_validity(USER, "INBOX", 4242);
    for (client, cursor) in &cursors {
        let error = client.provider.changes(&selection, "mailbox:INBOX", cursor).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CursorInvalid, "{cursor}: {error}");
        assert!(error.message().contains("UIDVALIDITY"), "{error}");
    }
    // A cursor from a QRESYNC run, read by a provider without QRESYNC: start over too.
    let (_, qresync_cursor) = &cursors[0];
    let error = cursors[1]
        .0
        .provider
        .changes(&selection, "mailbox:INBOX", qresync_cursor)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::CursorInvalid);
    let error =
        cursors[0].0.provider.changes(&selection, "mailbox:INBOX", "garbage").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::CursorInvalid);
}

// ---------------------------------------------------------------- download

#[tokio::test]
async fn a_download_is_the_exact_message_and_leaves_it_unread() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    // 8-bit text, a long line and an attachment: bytes must come back untouched.
    let mut raw = b"From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.com>\r\nTo: alice@example.com\r\nSubject: Rechnung \xc3\xbcber 100 \xe2\x82\xac\r\nMessage-ID: <bin@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n".to_vec();
    raw.extend(format!("{}\r\n", "x".repeat(200_000)).as_bytes());
    raw.extend(b"--XX\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n");
    dovecot.append(USER, "INBOX", &raw);
    let client = client_for(&dovecot, fast_options());
    let (items, _) = list_all(&*client.provider, &mailbox("INBOX", false)).await;
    let item = &items[0];
    assert_eq!(item.size, raw.len() as u64);
    assert_eq!(item.metadata["attachments"], json!(["r.pdf"]));
    assert_eq!(item.metadata["from"], "Jörg <joerg@example.com>");
    assert!(!dovecot.flags(USER, "INBOX", 1).contains("\\Seen"));

    // A provider of its own, so the download selects the mailbox itself.
    let fresh = client_for(&dovecot, fast_options());
    let body = download(&*fresh.provider, item, 10 * 1024 * 1024).await.unwrap();
    assert_eq!(body.len(), raw.len());
    assert!(body == raw, "the exact RFC 822 bytes");
    assert!(!dovecot.flags(USER, "INBOX", 1).contains("\\Seen"), "BODY.PEEK leaves \\Seen alone");

    // The session went back to the pool in a usable state.
    let again = download(&*fresh.provider, item, 10 * 1024 * 1024).await.unwrap();
    assert!(again == raw);
}

#[tokio::test]
async fn a_download_over_the_cap_fails_with_too_large() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    let raw = email(1, "big");
    dovecot.append(USER, "INBOX", &raw);
    let client = client_for(&dovecot, fast_options());
    let (items, _) = list_all(&*client.provider, &mailbox("INBOX", false)).await;
    let item = &items[0];
    let cap = raw.len() as u64 - 1;

    let before = client.commands();
    let error = download(&*client.provider, item, cap).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooLarge);
    assert_eq!(client.commands(), before, "the listed size decides without asking the server");

    // A stale size: the literal's announced length decides, before any byte is read.
    let stale = RemoteItem { size: 1, ..item.clone() };
    let error = download(&*client.provider, &stale, cap).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooLarge);
    assert!(download(&*client.provider, item, raw.len() as u64).await.unwrap() == raw);

    let missing = RemoteItem { id: item.id.replace("/1", "/99"), ..item.clone() };
    assert_eq!(
        download(&*client.provider, &missing, 1 << 20).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

// ---------------------------------------------------------------- round trips and the pool

#[tokio::test]
async fn round_trips_of_full_and_incremental_syncs() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    for n in 1..=5 {
        dovecot.append(USER, "INBOX", &email(n, "m"));
    }
    let selection = [mailbox("INBOX", false)];
    for disable_qresync in [false, true] {
        let client = client_for(&dovecot, ImapOptions { disable_qresync, ..fast_options() });
        let provider = &*client.provider;
        let count = |before: u64| client.commands() - before;
        let mode = if disable_qresync { "UID diff" } else { "QRESYNC" };

        let before = client.commands();
        let cursors = provider.start_cursors(&selection).await.unwrap();
        // QRESYNC: AUTHENTICATE, ENABLE, STATUS. Diff: AUTHENTICATE, EXAMINE + SEARCH.
        let start = count(before);
        assert_eq!(start, 3, "start_cursors with login ({mode})");

        let before = client.commands();
        let (items, _) = list_all(provider, &selection[0]).await;
        assert_eq!(items.len(), dovecot.uids(USER, "INBOX").len());
        // Pooled session: EXAMINE + SEARCH, LIST "" "" (delimiter, once per session), FETCH.
        let listing = count(before);
        assert_eq!(listing, 4, "full listing of one page ({mode})");

        let before = client.commands();
        let (changes, cursor, _) =
            drain_changes(provider, &selection, "INBOX", &cursors[0].cursor).await;
        assert!(changes.is_empty());
        // QRESYNC: one EXAMINE says it all. Diff: EXAMINE + SEARCH, pipelined.
        let no_change = count(before);
        assert_eq!(
            no_change,
            if disable_qresync { 2 } else { 1 },
            "no-change incremental ({mode})"
        );

        dovecot.append(USER, "INBOX", &email(100 + u32::from(disable_qresync), "new"));
        let before = client.commands();
        let (changes, _, _) = drain_changes(provider, &selection, "INBOX", &cursor).await;
        assert_eq!(changes.len(), 1);
        let one_new = count(before);
        assert_eq!(one_new, no_change + 1, "one new message: + its FETCH ({mode})");
        eprintln!(
            "IMAP commands ({mode}): start_cursors with login {start}, full listing {listing}, \
             no-change incremental {no_change}, one new message {one_new}"
        );
    }
}

#[tokio::test]
async fn pooled_sessions_are_checked_after_idling_and_replaced_when_dead() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    dovecot.append(USER, "INBOX", &email(1, "m"));
    let selection = [mailbox("INBOX", false)];
    let options = ImapOptions { check_idle_after: Duration::from_millis(200), ..fast_options() };
    let client = client_for(&dovecot, options);
    let provider = &*client.provider;
    let cursors = provider.start_cursors(&selection).await.unwrap();
    let cursor = &cursors[0].cursor;

    let before = client.commands();
    provider.changes(&selection, "mailbox:INBOX", cursor).await.unwrap();
    assert_eq!(client.commands() - before, 1, "a warm session is used as it is");

    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = client.commands();
    provider.changes(&selection, "mailbox:INBOX", cursor).await.unwrap();
    assert_eq!(client.commands() - before, 2, "NOOP first after idling");

    // The server drops the connection while it idles in the pool.
    dovecot.doveadm(&["kick", "alice"]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let page = provider.changes(&selection, "mailbox:INBOX", cursor).await.unwrap();
    assert!(page.done && page.changes.is_empty(), "answered on a new connection");
    assert_eq!(dovecot.log().matches("Login: user=<alice>").count(), 2, "{}", dovecot.log());
}

// ---------------------------------------------------------------- scripted servers

/// A TLS server with the test certificate that runs `script` on one connection.
async fn scripted_server<F, Fut>(
    tls: bool,
    script: F,
) -> (u16, tokio::task::JoinHandle<Vec<String>>)
where
    F: FnOnce(Conversation) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Vec<String>> + Send,
{
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let certs = test_certs();
    let chain = vec![CertificateDer::from_pem_slice(certs.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(certs.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let handle = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let io: Box<dyn Io> =
            if tls { Box::new(acceptor.accept(tcp).await.unwrap()) } else { Box::new(tcp) };
        script(Conversation { io: BufReader::new(io) }).await
    });
    (port, handle)
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Conversation {
    io: BufReader<Box<dyn Io>>,
}

impl Conversation {
    /// Writes to the client; a client that hung up is not the server's problem.
    async fn send(&mut self, text: &str) {
        let _ = self.io.get_mut().write_all(text.as_bytes()).await;
        let _ = self.io.get_mut().flush().await;
    }

    /// One line from the client without CRLF; empty when it hung up.
    async fn line(&mut self) -> String {
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(5), self.io.read_line(&mut line)).await;
        match read {
            Ok(Ok(_)) => line.trim_end_matches(['\r', '\n']).to_string(),
            _ => String::new(),
        }
    }
}

/// Hands out "stale" first and "fresh" after one refresh.
#[derive(Default)]
struct FakeTokens {
    refreshed: Mutex<Vec<String>>,
}

#[async_trait]
impl AccessTokens for FakeTokens {
    async fn access_token(&self) -> ProviderResult<SecretText> {
        Ok(SecretText::new(if self.refreshed.lock().unwrap().is_empty() {
            "stale"
        } else {
            "fresh"
        }))
    }

    async fn refresh_rejected(&self, rejected: &SecretText) -> ProviderResult<SecretText> {
        self.refreshed.lock().unwrap().push(rejected.expose().to_string());
        Ok(SecretText::new("fresh"))
    }
}

fn oauth_client(port: u16, tokens: Arc<FakeTokens>) -> Arc<dyn Provider> {
    let factory = ImapFactory::new(loopback_guard()).with_options(fast_options());
    let extra = BTreeMap::from([
        ("host".to_string(), "127.0.0.1".to_string()),
        ("port".to_string(), port.to_string()),
        ("username".to_string(), "alice@example.com".to_string()),
        ("ca_pem".to_string(), test_certs().ca_pem.clone()),
    ]);
    let context = ProviderContext {
        connection_id: "conn-oauth".into(),
        auth: ProviderAuth::OAuth { tokens, extra },
        http: deps(),
    };
    factory.connect(context).unwrap()
}

fn tag_of(line: &str) -> String {
    line.split(' ').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn xoauth2_sends_the_documented_payload_and_refreshes_once_on_rejection() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (port, server) = scripted_server(true, |mut c| async move {
        let mut seen = Vec::new();
        c.send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=PLAIN] fake ready\r\n").await;
        let first = c.line().await;
        seen.push(first.clone());
        // Gmail's answer to a bad token: a JSON challenge, then NO once the client answers it.
        c.send(&format!(
            "+ {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(
                r#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#
            )
        ))
        .await;
        seen.push(c.line().await);
        c.send(&format!(
            "{} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n",
            tag_of(&first)
        ))
        .await;
        let second = c.line().await;
        seen.push(second.clone());
        c.send(&format!(
            "{} OK [CAPABILITY IMAP4rev1 ENABLE] alice@example.com authenticated (Success)\r\n",
            tag_of(&second)
        ))
        .await;
        seen
    })
    .await;
    let tokens = Arc::new(FakeTokens::default());
    let provider = oauth_client(port, tokens.clone());
    let account = provider.test().await.unwrap();
    assert_eq!(account.label, "alice@example.com @ 127.0.0.1");
    let seen = server.await.unwrap();

    let stale = b64("user=alice@example.com\x01auth=Bearer stale\x01\x01");
    let fresh = b64("user=alice@example.com\x01auth=Bearer fresh\x01\x01");
    assert_eq!(seen[0], format!("{} AUTHENTICATE XOAUTH2 {stale}", tag_of(&seen[0])));
    assert_eq!(seen[1], "", "the error challenge is answered with an empty line");
    assert_eq!(seen[2], format!("{} AUTHENTICATE XOAUTH2 {fresh}", tag_of(&seen[2])));
    assert_eq!(*tokens.refreshed.lock().unwrap(), ["stale"], "one refresh, of the rejected token");
    assert_eq!(xoauth2_payload("alice@example.com", &SecretText::new("fresh")).expose(), fresh);
}

#[tokio::test]
async fn xoauth2_without_sasl_ir_waits_for_the_continuation_and_a_second_rejection_expires() {
    let (port, server) = scripted_server(true, |mut c| async move {
        let mut seen = Vec::new();
        c.send("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] fake ready\r\n").await;
        for _ in 0..2 {
            let command = c.line().await;
            seen.push(command.clone());
            c.send("+ \r\n").await;
            seen.push(c.line().await);
            c.send(&format!(
                "{} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n",
                tag_of(&command)
            ))
            .await;
        }
        seen
    })
    .await;
    let tokens = Arc::new(FakeTokens::default());
    let error = oauth_client(port, tokens.clone()).test().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AuthExpired);
    assert!(error.message().contains("access token"), "{error}");
    let seen = server.await.unwrap();
    assert!(
        seen[0].ends_with("AUTHENTICATE XOAUTH2"),
        "no initial response without SASL-IR: {seen:?}"
    );
    assert_eq!(seen[1], xoauth2_payload("alice@example.com", &SecretText::new("stale")).expose());
    assert_eq!(seen[3], xoauth2_payload("alice@example.com", &SecretText::new("fresh")).expose());
    assert_eq!(tokens.refreshed.lock().unwrap().len(), 1, "refreshed once, not in a loop");
}

#[tokio::test]
async fn the_mechanism_follows_the_capabilities() {
    // AUTH=PLAIN with SASL-IR: one line. Asked for, or without AUTH=PLAIN: LOGIN.
    for (capabilities, prefer_login_command, expected) in [
        ("IMAP4rev1 SASL-IR AUTH=PLAIN", false, "AUTHENTICATE PLAIN AGFsaWNlAHMzY3JldA=="),
        ("IMAP4rev1 SASL-IR AUTH=PLAIN", true, "LOGIN \"alice\" \"s3cret\""),
        ("IMAP4rev1", false, "LOGIN \"alice\" \"s3cret\""),
    ] {
        let greeting = format!("* OK [CAPABILITY {capabilities}] fake\r\n");
        let (port, server) = scripted_server(true, move |mut c| async move {
            c.send(&greeting).await;
            let line = c.line().await;
            c.send(&format!("{} NO [AUTHENTICATIONFAILED] nope\r\n", tag_of(&line))).await;
            vec![line]
        })
        .await;
        let options = ImapOptions { prefer_login_command, ..fast_options() };
        let ca = Some(test_certs().ca_pem.as_str());
        let client = connect_with(port, "tls", "s3cret", ca, options, loopback_guard());
        assert_eq!(client.provider.test().await.unwrap_err().kind(), ErrorKind::AuthExpired);
        let seen = server.await.unwrap();
        assert_eq!(seen[0].split_once(' ').unwrap().1, expected);
    }
}

#[tokio::test]
async fn starttls_that_is_missing_or_refused_never_sees_the_password() {
    for (capabilities, answer) in
        [("IMAP4rev1 AUTH=PLAIN", None), ("IMAP4rev1 STARTTLS AUTH=PLAIN", Some("NO not today"))]
    {
        let (port, server) = scripted_server(false, move |mut c| async move {
            c.send(&format!("* OK [CAPABILITY {capabilities}] plain fake\r\n")).await;
            let mut seen = Vec::new();
            loop {
                let line = c.line().await;
                if line.is_empty() {
                    return seen;
                }
                seen.push(line.clone());
                if let Some(answer) = answer {
                    c.send(&format!("{} {answer}\r\n", tag_of(&line))).await;
                }
            }
        })
        .await;
        let client =
            connect_with(port, "starttls", PASSWORD, None, fast_options(), loopback_guard());
        let error = client.provider.test().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid, "{error}");
        assert!(error.message().contains("STARTTLS"), "{error}");
        drop(client);
        let seen = server.await.unwrap();
        let all = seen.join("\n");
        assert!(
            !all.contains(PASSWORD) && !all.contains("AUTHENTICATE") && !all.contains("LOGIN"),
            "{all}"
        );
    }
}

#[tokio::test]
async fn a_hostile_server_cannot_make_us_allocate_or_wait_forever() {
    // A literal announced far beyond the response cap.
    let (port, _server) = scripted_server(true, |mut c| async move {
        c.send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake\r\n").await;
        let login = c.line().await;
        c.send(&format!("{} OK [CAPABILITY IMAP4rev1] in\r\n", tag_of(&login))).await;
        let list = c.line().await;
        c.send("* LIST () \"/\" {9000000000}\r\n").await;
        let _ = c.line().await;
        vec![list]
    })
    .await;
    let client = connect_with(
        port,
        "tls",
        PASSWORD,
        Some(&test_certs().ca_pem),
        fast_options(),
        loopback_guard(),
    );
    let started = Instant::now();
    let error = client.provider.list_folders(None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooLarge, "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // Endless small responses to one command: cut off at the answer budget.
    let (port, _server) = scripted_server(true, |mut c| async move {
        scripted_login(&mut c, "IMAP4rev1").await;
        let list = c.line().await;
        let spam = "* 1 EXISTS\r\n".repeat(1000);
        for _ in 0..1000 {
            c.send(&spam).await;
        }
        vec![list]
    })
    .await;
    let options = ImapOptions { max_answer_bytes: 1024 * 1024, ..fast_options() };
    let client =
        connect_with(port, "tls", PASSWORD, Some(&test_certs().ca_pem), options, loopback_guard());
    let error = client.provider.list_folders(None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooLarge, "{error}");

    // A server that stops talking: the read times out.
    let (port, _server) = scripted_server(true, |mut c| async move {
        c.send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake\r\n").await;
        let login = c.line().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        vec![login]
    })
    .await;
    let options = ImapOptions { read_timeout: Duration::from_millis(300), ..fast_options() };
    let client =
        connect_with(port, "tls", PASSWORD, Some(&test_certs().ca_pem), options, loopback_guard());
    let started = Instant::now();
    let error = client.provider.test().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transient, "{error}");
    assert!(error.message().contains("in time"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Greets, accepts AUTHENTICATE PLAIN, and advertises `capabilities` after login.
async fn scripted_login(c: &mut Conversation, capabilities: &str) {
    c.send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake\r\n").await;
    let login = c.line().await;
    assert!(login.contains("AUTHENTICATE PLAIN"), "{login}");
    c.send(&format!("{} OK [CAPABILITY {capabilities}] in\r\n", tag_of(&login))).await;
}

/// Reads one command, checks it (without its tag) and answers with `lines`
/// (`TAG` stands for the command's tag).
async fn expect(c: &mut Conversation, command: &str, lines: &[&str]) {
    let line = c.line().await;
    let (tag, rest) = line.split_once(' ').unwrap_or_else(|| panic!("no command: {line:?}"));
    assert_eq!(rest, command);
    for answer in lines {
        c.send(&format!("{}\r\n", answer.replace("TAG", tag))).await;
    }
}

#[tokio::test]
async fn a_download_examines_read_only_peeks_and_streams_the_literal() {
    let body = format!("Subject: hi\r\n\r\n{}\r\n", "b".repeat(300_000));
    let expected = body.clone();
    let (port, server) = scripted_server(true, move |mut c| async move {
        scripted_login(&mut c, "IMAP4rev1").await;
        expect(
            &mut c,
            "EXAMINE \"INBOX\"",
            &[
                "* 3 EXISTS",
                "* OK [UIDVALIDITY 7] ok",
                "* OK [UIDNEXT 9] ok",
                "TAG OK [READ-ONLY] done",
            ],
        )
        .await;
        let fetch = c.line().await;
        assert_eq!(fetch.split_once(' ').unwrap().1, "UID FETCH 5 (UID BODY.PEEK[])");
        // An unsolicited update first, then the body in pieces, FLAGS after it.
        c.send(&format!("* 4 EXISTS\r\n* 2 FETCH (UID 5 BODY[] {{{}}}\r\n", body.len())).await;
        for piece in body.as_bytes().chunks(70_000) {
            c.send(std::str::from_utf8(piece).unwrap()).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        c.send(&format!(" FLAGS (\\Recent))\r\n{} OK done\r\n", tag_of(&fetch))).await;
        // Reused session, mailbox still selected: the FETCH alone; a small body may come quoted.
        expect(
            &mut c,
            "UID FETCH 6 (UID BODY.PEEK[])",
            &["* 3 FETCH (UID 6 BODY[] \"tiny \\\"quoted\\\" body\")", "TAG OK done"],
        )
        .await;
        vec![]
    })
    .await;
    let client = connect_with(
        port,
        "tls",
        PASSWORD,
        Some(&test_certs().ca_pem),
        fast_options(),
        loopback_guard(),
    );
    let item = |uid: u32| RemoteItem {
        id: format!("INBOX/7/{uid}"),
        name: "hi".into(),
        path: "/INBOX/hi".into(),
        is_folder: false,
        mime_type: "message/rfc822".into(),
        size: 0,
        modified_at: None,
        version: None,
        web_url: None,
        metadata: Default::default(),
    };
    let got = download(&*client.provider, &item(5), 1 << 20).await.unwrap();
    assert!(got == expected.as_bytes(), "{} bytes", got.len());
    let got = download(&*client.provider, &item(6), 1 << 20).await.unwrap();
    assert_eq!(got, b"tiny \"quoted\" body");
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn new_mail_search_ignores_the_last_message_that_star_matches() {
    let (port, server) = scripted_server(true, |mut c| async move {
        scripted_login(&mut c, "IMAP4rev1 ENABLE CONDSTORE QRESYNC").await;
        expect(&mut c, "ENABLE QRESYNC", &["* ENABLED QRESYNC", "TAG OK enabled"]).await;
        // No UIDNEXT: the client must search, and `5:*` matches UID 4, the highest.
        expect(
            &mut c,
            "EXAMINE \"INBOX\" (QRESYNC (7 10))",
            &[
                "* OK [UIDVALIDITY 7] ok",
                "* OK [HIGHESTMODSEQ 12] ok",
                "* VANISHED (EARLIER) 2,6",
                "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (11))",
                "TAG OK [READ-ONLY] done",
            ],
        )
        .await;
        expect(&mut c, "UID SEARCH UID 5:*", &["* SEARCH 4", "TAG OK done"]).await;
        let rest = c.line().await;
        vec![rest]
    })
    .await;
    let client = connect_with(
        port,
        "tls",
        PASSWORD,
        Some(&test_certs().ca_pem),
        fast_options(),
        loopback_guard(),
    );
    let selection = [mailbox("INBOX", false)];
    let cursor = r#"{"uidvalidity":7,"last_uid":4,"modseq":10}"#;
    let page = client.provider.changes(&selection, "mailbox:INBOX", cursor).await.unwrap();
    // UID 6 vanished before it was ever reported; UID 1 only changed flags.
    assert_eq!(page.changes, [Change::Delete { id: "INBOX/7/2".into() }]);
    assert_eq!(page.cursor, r#"{"uidvalidity":7,"last_uid":4,"modseq":12}"#);
    assert!(page.done);
    drop(client);
    assert_eq!(server.await.unwrap(), [""], "no FETCH for the old message");
}

#[tokio::test]
async fn login_sends_literals_for_passwords_quoting_cannot_carry() {
    for (capabilities, literal) in [("IMAP4rev1", "{5}"), ("IMAP4rev1 LITERAL+", "{5+}")] {
        let greeting = format!("* OK [CAPABILITY {capabilities}] fake\r\n");
        let synchronizing = !capabilities.contains("LITERAL+");
        let (port, server) = scripted_server(true, move |mut c| async move {
            c.send(&greeting).await;
            let first = c.line().await;
            if synchronizing {
                c.send("+ go ahead\r\n").await;
            }
            let second = c.line().await;
            c.send(&format!("{} NO [AUTHENTICATIONFAILED] nope\r\n", tag_of(&first))).await;
            vec![first, second]
        })
        .await;
        let client = connect_with(
            port,
            "tls",
            "wörd",
            Some(&test_certs().ca_pem),
            fast_options(),
            loopback_guard(),
        );
        assert_eq!(client.provider.test().await.unwrap_err().kind(), ErrorKind::AuthExpired);
        let seen = server.await.unwrap();
        assert_eq!(seen[0].split_once(' ').unwrap().1, format!("LOGIN \"alice\" {literal}"));
        assert_eq!(seen[1], "wörd");
    }
}
