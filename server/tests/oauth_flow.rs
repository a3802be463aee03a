//! The OAuth round trip against `oidc-provider`, a certified authorization
//! server (PKCE required, rotating refresh tokens with reuse detection,
//! revocation), configured as the Google Drive provider through configuration
//! only: authorize → login → consent → callback → refresh → revoke. Also the
//! ways a sign-in goes wrong, and a scan of logs and answers for secrets.

mod support;

use app::model::{AuthType, Connection, ConnectionStatus, ProviderId};
use cloud_sources::config::ProviderSettings;
use cloud_sources::providers::Credentials;
use cloud_sources::secrets;
use support::JsonAnswer;
use support::app::TestApp;
use support::peers::{OidcProvider, free_port};
use support::recording::captured_logs;

struct Setup {
    app: TestApp,
    idp: OidcProvider,
}

async fn setup() -> Setup {
    captured_logs();
    let idp_port = free_port();
    let idp_base = format!("http://127.0.0.1:{idp_port}");
    let app = TestApp::spawn_with(|settings| {
        settings.providers.insert(
            "google_drive".into(),
            ProviderSettings {
                client_id: Some(OidcProvider::CLIENT_ID.into()),
                client_secret: Some(OidcProvider::CLIENT_SECRET.into()),
                auth_url: Some(format!("{idp_base}/auth")),
                token_url: Some(format!("{idp_base}/token")),
                revoke_url: Some(format!("{idp_base}/token/revocation")),
                scopes: Some(vec![
                    "openid".into(),
                    "offline_access".into(),
                    "drive.readonly".into(),
                ]),
                ..Default::default()
            },
        );
    })
    .await;
    let idp = OidcProvider::start(
        idp_port,
        &[app.url("/api/v1/cloud-sources/oauth/google_drive/callback")],
    );
    Setup { app, idp }
}

/// Follows a browser through our authorize endpoint and the provider's login
/// and consent pages; returns the URL the provider sends the browser back to.
async fn consent(browser: &reqwest::Client, app: &TestApp, decision: Decision) -> String {
    consent_from(browser, app, "/api/v1/cloud-sources/oauth/google_drive/authorize", decision).await
}

async fn consent_from(
    browser: &reqwest::Client,
    app: &TestApp,
    start: &str,
    decision: Decision,
) -> String {
    let callback_prefix = app.url("/api/v1/cloud-sources/oauth/google_drive/callback");
    let mut url = app.url(start);
    let mut pending_post: Option<Vec<(&str, &str)>> = None;
    for _ in 0..20 {
        let request = match pending_post.take() {
            Some(form) => browser.post(&url).form(&form),
            None => browser.get(&url),
        };
        let response = request.send().await.expect("request");
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_string();
            url = reqwest::Url::parse(&url).unwrap().join(&location).unwrap().to_string();
            if url.starts_with(&callback_prefix) {
                return url;
            }
            continue;
        }
        assert_eq!(response.status(), 200, "unexpected answer at {url}");
        let page = response.text().await.unwrap();
        let action =
            page.split("action=\"").nth(1).and_then(|s| s.split('"').next()).expect("a form");
        let form_url = reqwest::Url::parse(&url).unwrap().join(action).unwrap().to_string();
        if page.contains("value=\"login\"") {
            url = form_url;
            pending_post = Some(vec![
                ("prompt", "login"),
                ("login", "alice@example.com"),
                ("password", "anything"),
            ]);
        } else if decision == Decision::Deny {
            url = format!("{form_url}/abort");
        } else {
            url = form_url;
            pending_post = Some(vec![("prompt", "consent")]);
        }
    }
    panic!("the consent flow did not end at the callback");
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Decision {
    Allow,
    Deny,
}

/// Sends the browser back to our callback; returns where we send it next.
async fn finish(browser: &reqwest::Client, callback: &str) -> String {
    let response = browser.get(callback).send().await.unwrap();
    assert_eq!(response.status(), 303, "the callback redirects into the UI");
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn connections(app: &TestApp, browser: &reqwest::Client) -> Vec<Connection> {
    let response = browser.get(app.url("/api/v1/cloud-sources/connections")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://x{url}")).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The tokens stored for a connection, opened with the vault (test only).
async fn stored_tokens(app: &TestApp, connection: &Connection) -> (String, Option<String>, u64) {
    let record = app
        .service
        .store
        .get_connection(&connection.user_id, &connection.id)
        .await
        .unwrap()
        .unwrap();
    let Credentials::OAuth { access_token, .. } =
        secrets::open_credentials(&app.service.vault, &record).unwrap()
    else {
        panic!("not OAuth credentials");
    };
    let refresh = secrets::open_refresh_token(&app.service.vault, &record).unwrap();
    (
        access_token.expose().to_string(),
        refresh.map(|r| r.expose().to_string()),
        record.credentials_version,
    )
}

async fn introspect(idp: &OidcProvider, token: &str) -> bool {
    let response = reqwest::Client::new()
        .post(format!("{}/token/introspection", idp.issuer))
        .basic_auth(OidcProvider::CLIENT_ID, Some(OidcProvider::CLIENT_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    body["active"].as_bool().unwrap()
}

#[tokio::test]
async fn full_round_trip_authorize_consent_callback_refresh_revoke_leaks_nothing() {
    let Setup { app, idp } = setup().await;
    let alice = app.signed_in("alice").await;
    let mut answers = String::new();

    // Authorize → the provider's login and consent → back to our callback.
    let callback = consent(&alice, &app, Decision::Allow).await;
    assert!(callback.contains("code=") && callback.contains("state="));
    let landing = finish(&alice, &callback).await;
    let connected =
        query_param(&landing, "connected").unwrap_or_else(|| panic!("no connection: {landing}"));

    let listed = connections(&app, &alice).await;
    answers.push_str(&serde_json::to_string(&listed).unwrap());
    assert_eq!(listed.len(), 1);
    let connection = listed[0].clone();
    assert_eq!(connection.id.as_str(), connected);
    assert_eq!(
        (connection.provider, connection.auth_type),
        (ProviderId::GoogleDrive, AuthType::OAuth2)
    );
    assert_eq!(connection.status, ConnectionStatus::Active);
    let oauth = connection.oauth.clone().expect("OAuth metadata");
    assert!(oauth.scopes.contains(&"drive.readonly".to_string()), "{:?}", oauth.scopes);
    assert!(oauth.access_token_expires_at.is_some());

    // Tokens are stored sealed.
    let (access, refresh, version) = stored_tokens(&app, &connection).await;
    let refresh = refresh.expect("a refresh token was issued");
    let record = app
        .service
        .store
        .get_connection(&connection.user_id, &connection.id)
        .await
        .unwrap()
        .unwrap();
    let raw = serde_json::to_string(&record).unwrap();
    assert!(!raw.contains(&access) && !raw.contains(&refresh), "tokens must be stored encrypted");
    assert!(introspect(&idp, &access).await);

    // Refresh twice: the provider rotates the refresh token each time, and we
    // must always present the newest one (reusing an old one revokes them all).
    let mut seen_refresh = vec![refresh.clone()];
    let mut seen_access = vec![access.clone()];
    for round in 1..=2 {
        let response = alice
            .post(app.url("/api/v1/cloud-sources/oauth/google_drive/refresh"))
            .json(&serde_json::json!({ "connection_id": connection.id }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "refresh {round}");
        answers.push_str(&response.text().await.unwrap());
        let (access, refresh, new_version) = stored_tokens(&app, &connection).await;
        let refresh = refresh.unwrap();
        assert_eq!(new_version, version + round);
        assert!(!seen_refresh.contains(&refresh), "the refresh token rotated");
        assert!(!seen_access.contains(&access));
        seen_refresh.push(refresh);
        seen_access.push(access);
    }
    assert!(introspect(&idp, seen_access.last().unwrap()).await);

    // Deleting the connection revokes the grant at the provider.
    let impact: serde_json::Value = alice
        .get(app.url(&format!("/api/v1/cloud-sources/connections/{}/impact", connection.id)))
        .json_answer()
        .await;
    assert_eq!(impact["revokes_tokens"], true);
    let deleted = alice
        .delete(app.url(&format!("/api/v1/cloud-sources/connections/{}", connection.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert!(!introspect(&idp, seen_access.last().unwrap()).await, "access token revoked");
    assert!(!introspect(&idp, seen_refresh.last().unwrap()).await, "refresh token revoked");
    assert!(connections(&app, &alice).await.is_empty());

    // Nothing secret in our logs or answers.
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(logs.contains("connection created through OAuth"), "the logs were captured");
    let code = query_param(&callback.replacen(&app.base, "", 1), "code").unwrap();
    let state = query_param(&callback.replacen(&app.base, "", 1), "state").unwrap();
    for secret in seen_access.iter().chain(seen_refresh.iter()).map(String::as_str).chain([
        OidcProvider::CLIENT_SECRET,
        code.as_str(),
        state.as_str(),
        support::app::PASSWORD,
    ]) {
        assert!(!logs.contains(secret), "a secret reached the logs");
        assert!(!answers.contains(secret), "a secret reached an API answer");
    }
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_grant_and_the_connection_asks_to_reconnect() {
    let Setup { app, idp } = setup().await;
    let alice = app.signed_in("alice").await;
    let landing = finish(&alice, &consent(&alice, &app, Decision::Allow).await).await;
    assert!(landing.contains("connected="), "{landing}");
    let connection = connections(&app, &alice).await.remove(0);
    let (_, stolen, _) = stored_tokens(&app, &connection).await;

    // Someone replays the refresh token: the provider revokes the whole family.
    let replay = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth(OidcProvider::CLIENT_ID, Some(OidcProvider::CLIENT_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", stolen.as_deref().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 200, "first use of the token works");
    let again = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth(OidcProvider::CLIENT_ID, Some(OidcProvider::CLIENT_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", stolen.as_deref().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "reuse is detected");

    // Our next refresh gets invalid_grant: the connection is marked expired.
    let response = alice
        .post(app.url("/api/v1/cloud-sources/oauth/google_drive/refresh"))
        .json(&serde_json::json!({ "connection_id": connection.id }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("reconnect"), "{body}");
    let after = connections(&app, &alice).await.remove(0);
    assert_eq!(after.status, ConnectionStatus::Expired);
    assert!(after.status.needs_reconnect());

    // "Reconnect" runs the flow again for the same connection and revives it.
    let start = format!(
        "/api/v1/cloud-sources/oauth/google_drive/authorize?connection_id={}",
        connection.id
    );
    let callback = consent_from(&alice, &app, &start, Decision::Allow).await;
    let landing = finish(&alice, &callback).await;
    assert!(landing.contains(&format!("connected={}", connection.id)), "{landing}");
    let revived = connections(&app, &alice).await;
    assert_eq!(revived.len(), 1, "reconnect reuses the connection");
    assert_eq!(revived[0].status, ConnectionStatus::Active);
}

#[tokio::test]
async fn declined_consent_stores_nothing_and_says_so() {
    let Setup { app, idp: _idp } = setup().await;
    let alice = app.signed_in("alice").await;
    let callback = consent(&alice, &app, Decision::Deny).await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let landing = finish(&alice, &callback).await;
    let message = query_param(&landing, "oauth_error").expect("an error message");
    assert!(
        message.contains("declined access to Google Drive")
            && message.contains("nothing was saved"),
        "{message}"
    );
    assert!(connections(&app, &alice).await.is_empty());
}

#[tokio::test]
async fn a_replayed_state_is_refused() {
    let Setup { app, idp: _idp } = setup().await;
    let alice = app.signed_in("alice").await;
    let callback = consent(&alice, &app, Decision::Allow).await;
    assert!(finish(&alice, &callback).await.contains("connected="));
    let replay = finish(&alice, &callback).await;
    let message = query_param(&replay, "oauth_error").expect("refused");
    assert!(message.contains("already used or has expired"), "{message}");
    assert_eq!(connections(&app, &alice).await.len(), 1);
}

#[tokio::test]
async fn a_state_from_another_session_is_refused() {
    let Setup { app, idp: _idp } = setup().await;
    let alice = app.signed_in("alice").await;
    let mallory = app.signed_in("mallory").await;
    // Mallory finishes Alice's flow in her own session (login CSRF / code injection).
    let callback = consent(&alice, &app, Decision::Allow).await;
    let landing = finish(&mallory, &callback).await;
    let message = query_param(&landing, "oauth_error").expect("refused");
    assert!(message.contains("another browser session"), "{message}");
    assert!(connections(&app, &mallory).await.is_empty());
    assert!(connections(&app, &alice).await.is_empty());
}

#[tokio::test]
async fn oauth_for_an_unconfigured_provider_explains_what_to_configure() {
    let Setup { app, idp: _idp } = setup().await;
    let alice = app.signed_in("alice").await;
    let response =
        alice.get(app.url("/api/v1/cloud-sources/oauth/dropbox/authorize")).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("providers.dropbox.client_id"),
        "{body}"
    );
}
