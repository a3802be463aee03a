//! The two ways in that need no sign-in form: the first admin created from
//! configuration for unattended installs, and the trusted header set by
//! RecallHub's single sign-on proxy, honoured only from the configured proxies.

mod support;

use secrecy::SecretString;
use support::JsonAnswer;
use support::app::TestApp;

const ME: &str = "/api/v1/cloud-sources/me";

#[tokio::test]
async fn the_bootstrap_admin_can_sign_in_on_first_start() {
    let app = TestApp::spawn_with(|settings| {
        settings.bootstrap.admin_username = "operator".into();
        settings.bootstrap.admin_password = Some(SecretString::from("first-start-password"));
    })
    .await;
    let browser = app.browser();
    let login = browser
        .post(app.url("/login"))
        .form(&[("username", "operator"), ("password", "first-start-password"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/");
    let me: serde_json::Value = browser.get(app.url(ME)).json_answer().await;
    assert_eq!(me["username"], "operator");
    assert_eq!(me["is_admin"], true);
}

#[tokio::test]
async fn the_sso_header_is_honoured_from_a_trusted_proxy_only() {
    let trusted = TestApp::spawn_with(|settings| {
        settings.security.trusted_header = "X-Remote-User".into();
        settings.security.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await;
    let response = trusted
        .browser()
        .get(trusted.url(ME))
        .header("X-Remote-User", "carol")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let me: serde_json::Value = response.json().await.unwrap();
    assert_eq!(me["username"], "carol", "the account is created on first sight");
    assert_eq!(me["is_admin"], false);
    // A name that is not a valid user name is not an identity.
    let odd = trusted.browser().get(trusted.url(ME)).header("X-Remote-User", "../admin").send();
    assert_eq!(odd.await.unwrap().status(), 401);

    // The same header from an address that is not a configured proxy is ignored.
    let untrusted = TestApp::spawn_with(|settings| {
        settings.security.trusted_header = "X-Remote-User".into();
        settings.security.trusted_proxies = vec!["10.1.2.3".into()];
    })
    .await;
    let response = untrusted
        .browser()
        .get(untrusted.url(ME))
        .header("X-Remote-User", "carol")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
