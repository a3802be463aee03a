//! A proxy in the environment (`HTTP_PROXY`, `ALL_PROXY`) must not carry
//! requests to user-supplied hosts: through a proxy, the proxy resolves and
//! connects, and the SSRF guard would never see the internal address. The
//! real `cloud-sources serve` runs with the proxy variables set, as a server
//! behind an egress proxy would.

mod support;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use support::peers::{free_port, wait_for_port};
use tokio::io::AsyncWriteExt;

const PASSWORD: &str = "proxy-test-user-password";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn user_supplied_hosts_never_go_through_an_environment_proxy() {
    support::recording::register_secret(PASSWORD);
    // The "proxy": counts connections and answers 200, as a forwarding proxy would.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
        }
    });

    let data = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_cloud-sources");
    let mut add = Command::new(binary)
        .args(["user", "add", "alice", "--password-stdin"])
        .env("CLOUD_SOURCES__DATA_DIR", data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success());

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(binary);
    command
        .arg("serve")
        .env("CLOUD_SOURCES__DATA_DIR", data.path())
        .env("CLOUD_SOURCES__SERVER__ADDR", format!("127.0.0.1:{port}"))
        .env("CLOUD_SOURCES__LOG__FILTER", "warn")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        command.env(name, &proxy);
    }
    let _server = Server(command.spawn().expect("the server starts"));
    assert!(wait_for_port(port, Duration::from_secs(60)), "the server listens");

    // The test's own client talks to the server directly.
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .post(format!("{base}/login"))
        .header("origin", &base)
        .form(&[("username", "alice"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers()["location"], "/");

    for host in ["localhost", "169.254.169.254", "metadata.google.internal"] {
        let body = json!({"provider": "owncloud", "display_name": "dav", "auth_type": "password",
                          "credentials": {"server_url": format!("http://{host}/remote.php/dav/files/u/"),
                                          "username": "u", "password": "proxy-test-dav-password"}});
        let response = client
            .post(format!("{base}/api/v1/cloud-sources/connections/test"))
            .header("origin", &base)
            .json(&body)
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap();
        let result: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"));
        assert_ne!(result["ok"], true, "{host}: {text}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a request to a user-supplied host went through the proxy"
    );
}
