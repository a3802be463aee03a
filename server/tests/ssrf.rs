//! The SSRF guard through the real connection-test path (`POST
//! /connections/test`) for every provider whose server the user types in:
//! WebDAV, IMAP, self-hosted Confluence and Jira. Internal addresses in every
//! spelling, names that resolve to loopback, and redirects from an admitted
//! server to a refused one are refused with a clear message — and a canary
//! listener proves no connection was made. Named in `security.allow_hosts`,
//! the same hosts are admitted and the canary sees the connection.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use app::model::ConnectionTest;
use serde_json::{Value, json};
use support::app::TestApp;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A TCP listener that counts connections and answers each with an HTTP 404
/// (an IMAP client reads that as a bad greeting).
struct Canary {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Canary {
    async fn start(address: &str) -> Self {
        Self::serve(TcpListener::bind(address).await.unwrap(), Arc::default())
    }

    fn serve(listener: TcpListener, hits: Arc<AtomicUsize>) -> Self {
        let port = listener.local_addr().unwrap().port();
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
            }
        });
        Self { port, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A server that redirects every request to `target`.
async fn redirector(target: String) -> u16 {
    let router = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move { (axum::http::StatusCode::TEMPORARY_REDIRECT, [("location", target)]) }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

/// Host spellings that all mean this machine's loopback (as typed in a URL
/// host; IPv6 in brackets).
const LOOPBACK_SPELLINGS: &[&str] = &[
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "[::ffff:127.0.0.1]",
    "localhost",
];
/// Other internal addresses: unspecified, private, CGNAT, link-local (cloud
/// metadata), IPv6 loopback, link-local and unique-local.
const OTHER_INTERNAL: &[&str] = &[
    "0.0.0.0",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[fe80::1]",
    "[fd00::1]",
];

/// Names in /etc/hosts (other than `localhost`) that resolve to loopback: a
/// DNS name the user types that lands on this machine.
fn names_resolving_to_loopback() -> Vec<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let mut names: Vec<String> = hosts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('#').next()?.split_whitespace();
            let address = fields.next()?;
            address.starts_with("127.").then(|| fields.map(str::to_string).collect::<Vec<_>>())
        })
        .flatten()
        .filter(|name| name != "localhost")
        .collect();
    names.dedup();
    names
}

/// The credentials of a connection test to `host:port` for each provider kind.
/// One connection of each kind to `host:port`. Confluence and Jira take `http`
/// only for an allow-listed host (else "must be https"), so they are asked for
/// `https` unless `atlassian_http`: the guard must refuse before any TLS.
fn connections(host: &str, port: u16) -> Vec<(&'static str, Value)> {
    connections_with(host, port, false)
}

fn connections_with(host: &str, port: u16, atlassian_http: bool) -> Vec<(&'static str, Value)> {
    let bare = host.trim_matches(['[', ']']);
    let scheme = if atlassian_http { "http" } else { "https" };
    vec![
        (
            "webdav",
            json!({"provider": "owncloud", "display_name": "dav", "auth_type": "password",
                   "credentials": {"server_url": format!("http://{host}:{port}/remote.php/dav/files/u/"),
                                   "username": "u", "password": "ssrf-test-password"}}),
        ),
        (
            "imap",
            json!({"provider": "email", "display_name": "mail", "auth_type": "password",
                   "credentials": {"host": bare, "port": port, "security": "tls",
                                   "username": "u", "password": "ssrf-test-password"}}),
        ),
        (
            "confluence",
            json!({"provider": "confluence", "display_name": "wiki", "auth_type": "api_key",
                   "credentials": {"site_url": format!("{scheme}://{host}:{port}/wiki"), "email": "",
                                   "api_token": "ssrf-test-token"}}),
        ),
        (
            "jira",
            json!({"provider": "jira", "display_name": "issues", "auth_type": "api_key",
                   "credentials": {"site_url": format!("{scheme}://{host}:{port}/"), "email": "",
                                   "api_token": "ssrf-test-token"}}),
        ),
    ]
}

async fn test_connection(app: &TestApp, client: &reqwest::Client, body: &Value) -> ConnectionTest {
    let response = client
        .post(app.url("/api/v1/cloud-sources/connections/test"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    if status == 200 {
        return serde_json::from_str(&text).unwrap();
    }
    // Some refusals come back as validation errors (400) with the same message.
    let error: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"));
    assert_eq!(status, 400, "{text}");
    ConnectionTest {
        ok: false,
        message: error["error"]["message"].as_str().unwrap().to_string(),
        account: None,
        latency_ms: 0,
    }
}

fn refused_clearly(result: &ConnectionTest) -> bool {
    !result.ok
        && result.message.contains("internal address")
        && result.message.contains("security.allow_hosts")
}

#[tokio::test]
async fn internal_hosts_in_every_spelling_are_refused_by_default_with_no_connection_made() {
    let canary = Canary::start("127.0.0.1:0").await;
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let names = names_resolving_to_loopback();
    let hosts: Vec<String> = LOOPBACK_SPELLINGS
        .iter()
        .chain(OTHER_INTERNAL)
        .map(|h| h.to_string())
        .chain(names.iter().cloned())
        .collect();
    let mut checked = 0;
    for host in &hosts {
        for (kind, body) in connections(host, canary.port) {
            let result = test_connection(&app, &alice, &body).await;
            assert!(
                refused_clearly(&result),
                "{kind} to {host} was not refused clearly: {result:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(canary.hits(), 0, "a refused host was connected to");
    assert!(checked >= 4 * 17, "{checked}");
    println!("checked {checked} host/provider pairs; names resolving to loopback: {names:?}");
}

#[tokio::test]
async fn the_allow_list_admits_exactly_what_it_names() {
    let canary = Canary::start("127.0.0.1:0").await;
    let names = names_resolving_to_loopback();
    let mut allow: Vec<String> = vec!["127.0.0.1".into(), "::1".into(), "localhost".into()];
    allow.extend(names.iter().cloned());
    let app = TestApp::spawn_with(|settings| settings.security.allow_hosts = allow).await;
    let alice = app.signed_in("alice").await;
    for host in LOOPBACK_SPELLINGS.iter().map(|h| h.to_string()).chain(names.iter().cloned()) {
        // Allowed hosts may use http, which the plain-TCP canary answers at once.
        for (kind, body) in connections_with(&host, canary.port, true) {
            let before = canary.hits();
            let result = test_connection(&app, &alice, &body).await;
            // The canary is not a real server, so the test fails, but not for the guard.
            assert!(!refused_clearly(&result), "{kind} to {host}: {result:?}");
            assert!(canary.hits() > before, "{kind} to {host} never connected: {result:?}");
        }
    }
    // Still refused: what the list does not name (127.0.0.2 is loopback too).
    for (kind, body) in connections("127.0.0.2", canary.port) {
        let result = test_connection(&app, &alice, &body).await;
        assert!(refused_clearly(&result), "{kind}: {result:?}");
    }
    for (kind, body) in connections("10.0.0.1", canary.port) {
        let result = test_connection(&app, &alice, &body).await;
        assert!(refused_clearly(&result), "{kind}: {result:?}");
    }
}

#[tokio::test]
async fn a_redirect_from_an_admitted_server_to_a_refused_address_is_not_followed() {
    // 127.0.0.2 is loopback on Linux: were the redirect followed, this canary would see it.
    let target = Canary::start("127.0.0.2:0").await;
    let app =
        TestApp::spawn_with(|settings| settings.security.allow_hosts = vec!["127.0.0.1".into()])
            .await;
    let alice = app.signed_in("alice").await;
    for location in [
        format!("http://127.0.0.2:{}/", target.port),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        format!("http://[::1]:{}/", target.port),
        format!("http://2130706434:{}/", target.port),
    ] {
        let port = redirector(location.clone()).await;
        // IMAP has no redirects; the HTTP providers all follow them through the guard.
        // (The redirector speaks plain HTTP; 127.0.0.1 is allowed, so http is accepted.)
        for (kind, body) in
            connections_with("127.0.0.1", port, true).into_iter().filter(|(k, _)| *k != "imap")
        {
            let result = test_connection(&app, &alice, &body).await;
            assert!(refused_clearly(&result), "{kind} redirected to {location}: {result:?}");
        }
    }
    assert_eq!(target.hits(), 0, "a redirect reached a refused address");
}
