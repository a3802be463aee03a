//! The sandbox's OAuth authorization servers, driven like a browser and an OAuth client:
//! sign-in and consent forms, codes with PKCE, each provider's refresh behaviour,
//! revocation, and the 401 bodies an expired or revoked token gets.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cloud_sources::sandbox::{
    OAuthClient, Provider, RefreshRotation, SandboxOptions, SandboxServer, demo_client, spawn,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

struct Harness {
    server: SandboxServer,
    /// Never follows redirects: the tests read `Location` themselves.
    http: reqwest::Client,
}

async fn harness(options: SandboxOptions) -> Harness {
    let server = spawn(options).await.unwrap();
    for provider in Provider::ALL {
        server.sandbox().register_client(OAuthClient {
            provider,
            client_id: format!("{provider}-app"),
            client_secret: Some(format!("{provider}-secret")),
            redirect_uris: vec![REDIRECT.to_string()],
            name: "Test App".to_string(),
        });
    }
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Harness { server, http }
}

struct Pkce {
    verifier: String,
    challenge: String,
}

fn new_pkce(seed: u8) -> Pkce {
    let verifier: String = format!("{seed:02}-verifier-").repeat(5);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

fn query(location: &str) -> HashMap<String, String> {
    url::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

impl Harness {
    fn authorize_url(&self, provider: Provider, extra: &[(&str, &str)]) -> String {
        let endpoints = self.server.endpoints(provider);
        let mut url = url::Url::parse(&endpoints.auth_url).unwrap();
        url.query_pairs_mut().extend_pairs(extra);
        url.to_string()
    }

    /// The standard request: our client, redirect URI, PKCE S256, state, offline access.
    fn standard_url(&self, provider: Provider, pkce: &Pkce) -> String {
        let client_id = format!("{provider}-app");
        let mut params = vec![
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("state", "xyz-state"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ];
        match provider {
            Provider::Google => params.extend([
                ("scope", "https://www.googleapis.com/auth/drive.readonly"),
                ("access_type", "offline"),
            ]),
            Provider::Microsoft => {
                params.push(("scope", "offline_access Files.Read.All Sites.Read.All User.Read"))
            }
            Provider::Dropbox => params.push(("token_access_type", "offline")),
        }
        self.authorize_url(provider, &params)
    }

    /// Opens the authorization URL, signs in as `username` and answers the consent page.
    async fn sign_in(
        &self,
        authorize_url: &str,
        username: &str,
        decision: &str,
    ) -> reqwest::Response {
        let page = self.http.get(authorize_url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("<label for=\"username\">Username</label>"), "{html}");
        assert!(html.contains(">Sign in</button>"));
        // The forms post back to the authorize path.
        let action = html.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert!(authorize_url.contains(&action), "{action}");
        let post_to = format!("http://{}{action}", self.server.addr());
        let request_id = hidden(&html, "request_id");
        let consent = self
            .http
            .post(&post_to)
            .form(&[("request_id", request_id.as_str()), ("step", "login"), ("username", username)])
            .send()
            .await
            .unwrap();
        assert_eq!(consent.status(), 200);
        let html = consent.text().await.unwrap();
        assert!(
            html.contains("value=\"allow\">Allow</button>") && html.contains(">Deny</button>"),
            "{html}"
        );
        assert!(html.contains(&format!("({username}@")), "the consent page names the account");
        self.http
            .post(&post_to)
            .form(&[
                ("request_id", request_id.as_str()),
                ("step", "consent"),
                ("decision", decision),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Runs the browser part and returns the authorization code.
    async fn code(&self, provider: Provider, pkce: &Pkce, username: &str) -> String {
        let response = self.sign_in(&self.standard_url(provider, pkce), username, "allow").await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(REDIRECT), "{location}");
        let params = query(&location);
        assert_eq!(params["state"], "xyz-state");
        params["code"].clone()
    }

    async fn token(&self, provider: Provider, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.server.endpoints(provider).token_url)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn exchange(
        &self,
        provider: Provider,
        code: &str,
        verifier: &str,
    ) -> (StatusCode, Value) {
        let (id, secret) = (format!("{provider}-app"), format!("{provider}-secret"));
        self.token(
            provider,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("client_id", &id),
                ("client_secret", &secret),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    async fn refresh(&self, provider: Provider, refresh_token: &str) -> (StatusCode, Value) {
        let (id, secret) = (format!("{provider}-app"), format!("{provider}-secret"));
        self.token(
            provider,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await
    }

    /// A cheap authenticated call to each provider's "who am I" endpoint.
    async fn whoami(&self, provider: Provider, access_token: &str) -> (StatusCode, Value) {
        let base = self.server.base_url();
        let request = match provider {
            Provider::Google => self.http.get(format!("{base}/google/drive/v3/about?fields=user")),
            Provider::Microsoft => self.http.get(format!("{base}/microsoft/v1.0/me")),
            Provider::Dropbox => {
                self.http.post(format!("{base}/dropbox/api/2/users/get_current_account"))
            }
        };
        let response = request.bearer_auth(access_token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn s(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

#[tokio::test]
async fn google_round_trip_uses_pkce_and_never_rotates_the_refresh_token() {
    let h = harness(SandboxOptions::default()).await;
    let pkce = new_pkce(1);
    let code = h.code(Provider::Google, &pkce, "alice").await;
    let (status, tokens) = h.exchange(Provider::Google, &code, &pkce.verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        (tokens["token_type"].as_str(), tokens["expires_in"].as_u64()),
        (Some("Bearer"), Some(3600))
    );
    let refresh = s(&tokens["refresh_token"]).to_string();

    let (status, about) = h.whoami(Provider::Google, s(&tokens["access_token"])).await;
    assert_eq!(status, 200);
    assert_eq!(about["user"]["emailAddress"], "alice@example.com");

    // Refreshing yields a new access token and no refresh token; the old one keeps working.
    let (status, refreshed) = h.refresh(Provider::Google, &refresh).await;
    assert_eq!(status, 200);
    assert!(refreshed.get("refresh_token").is_none(), "{refreshed}");
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    let (status, again) = h.refresh(Provider::Google, &refresh).await;
    assert_eq!(status, 200);
    let counts = h.server.account(Provider::Google, "alice").unwrap().request_counts();
    assert_eq!(
        (counts.endpoint("oauth.token"), counts.endpoint("about.get"), counts.total),
        (3, 1, 4)
    );

    // Revoking the refresh token revokes the whole grant, access tokens included.
    let revoke = h
        .http
        .post(h.server.endpoints(Provider::Google).revoke_url.unwrap())
        .form(&[("token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let (status, body) = h.whoami(Provider::Google, s(&again["access_token"])).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["errors"][0]["reason"], "authError");
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    let (status, body) = h.refresh(Provider::Google, &refresh).await;
    assert_eq!((status, s(&body["error"])), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let revoke_again = h
        .http
        .post(h.server.endpoints(Provider::Google).revoke_url.unwrap())
        .form(&[("token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke_again.status(), 400);
}

#[tokio::test]
async fn microsoft_returns_a_new_refresh_token_on_every_refresh() {
    let h = harness(SandboxOptions::default()).await;
    let pkce = new_pkce(2);
    let code = h.code(Provider::Microsoft, &pkce, "bob").await;
    let (status, tokens) = h.exchange(Provider::Microsoft, &code, &pkce.verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(s(&tokens["scope"]).contains("offline_access"));
    let first = s(&tokens["refresh_token"]).to_string();

    let (status, refreshed) = h.refresh(Provider::Microsoft, &first).await;
    assert_eq!(status, 200);
    let second = s(&refreshed["refresh_token"]).to_string();
    assert_ne!(second, first);
    let (_, refreshed) = h.refresh(Provider::Microsoft, &second).await;
    assert_ne!(s(&refreshed["refresh_token"]), second);
    // Documented: the old refresh token is not revoked by its use.
    assert_eq!(h.refresh(Provider::Microsoft, &first).await.0, 200);

    let (status, me) = h.whoami(Provider::Microsoft, s(&refreshed["access_token"])).await;
    assert_eq!(
        (status, s(&me["userPrincipalName"])),
        (StatusCode::OK, "bob@contoso.onmicrosoft.com")
    );

    // revokeSignInSessions ends every session of the user.
    let revoke = h
        .http
        .post(h.server.endpoints(Provider::Microsoft).revoke_url.unwrap())
        .bearer_auth(s(&refreshed["access_token"]))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.json::<Value>().await.unwrap()["value"], true);
    let (status, body) = h.whoami(Provider::Microsoft, s(&refreshed["access_token"])).await;
    assert_eq!(
        (status, s(&body["error"]["code"])),
        (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken")
    );
    let (status, body) = h.refresh(Provider::Microsoft, &second).await;
    assert_eq!((status, s(&body["error"])), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert!(s(&body["error_description"]).starts_with("AADSTS700082:"), "{body}");
    assert_eq!(body["error_codes"][0], 700082);
}

#[tokio::test]
async fn strict_rotation_rejects_a_rotated_away_refresh_token() {
    let h = harness(SandboxOptions {
        microsoft_refresh_rotation: RefreshRotation::RotateRevokeOld,
        ..Default::default()
    })
    .await;
    let tokens =
        h.server.account(Provider::Microsoft, "strict").unwrap().issue_tokens("microsoft-app");
    let first = tokens.refresh_token.unwrap();
    let (status, refreshed) = h.refresh(Provider::Microsoft, &first).await;
    assert_eq!(status, 200);
    let (status, body) = h.refresh(Provider::Microsoft, &first).await;
    assert_eq!((status, s(&body["error"])), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_eq!(h.refresh(Provider::Microsoft, s(&refreshed["refresh_token"])).await.0, 200);
}

#[tokio::test]
async fn dropbox_issues_long_lived_refresh_tokens_only_for_offline_access() {
    let h = harness(SandboxOptions::default()).await;
    let pkce = new_pkce(3);
    let code = h.code(Provider::Dropbox, &pkce, "carol").await;
    let (status, tokens) = h.exchange(Provider::Dropbox, &code, &pkce.verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "bearer");
    assert!(s(&tokens["account_id"]).starts_with("dbid:"));
    assert!(s(&tokens["uid"]).chars().all(|c| c.is_ascii_digit()));
    let refresh = s(&tokens["refresh_token"]).to_string();

    // A refresh answers only the new access token; the refresh token is never rotated.
    let (status, refreshed) = h.refresh(Provider::Dropbox, &refresh).await;
    assert_eq!(status, 200);
    let mut keys: Vec<&String> = refreshed.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["access_token", "expires_in", "token_type"]);

    // PKCE apps may refresh without their secret.
    let (status, _) = h
        .token(
            Provider::Dropbox,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", "dropbox-app"),
            ],
        )
        .await;
    assert_eq!(status, 200);

    // token/revoke disables this access token, its refresh token and its siblings.
    let base = h.server.base_url();
    let revoke = h
        .http
        .post(format!("{base}/dropbox/api/2/auth/token/revoke"))
        .bearer_auth(s(&refreshed["access_token"]))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let (status, body) = h.whoami(Provider::Dropbox, s(&tokens["access_token"])).await;
    assert_eq!(
        (status, s(&body["error"][".tag"])),
        (StatusCode::UNAUTHORIZED, "invalid_access_token")
    );
    let (status, body) = h.refresh(Provider::Dropbox, &refresh).await;
    assert_eq!((status, s(&body["error"])), (StatusCode::BAD_REQUEST, "invalid_grant"));

    // Without token_access_type=offline there is no refresh token.
    let pkce = new_pkce(4);
    let url = h.authorize_url(
        Provider::Dropbox,
        &[
            ("client_id", "dropbox-app"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let response = h.sign_in(&url, "carol", "allow").await;
    let code = query(response.headers()["location"].to_str().unwrap())["code"].clone();
    let (status, tokens) = h.exchange(Provider::Dropbox, &code, &pkce.verifier).await;
    assert_eq!(status, 200);
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
}

#[tokio::test]
async fn a_wrong_verifier_a_mismatched_redirect_and_a_replayed_code_are_rejected() {
    let h = harness(SandboxOptions::default()).await;
    for provider in Provider::ALL {
        let pkce = new_pkce(5);
        let code = h.code(provider, &pkce, "eve").await;
        let (status, body) = h.exchange(provider, &code, &new_pkce(6).verifier).await;
        assert_eq!(
            (status, s(&body["error"])),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "{provider}"
        );

        let (id, secret) = (format!("{provider}-app"), format!("{provider}-secret"));
        let (status, body) = h
            .token(
                provider,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", "http://127.0.0.1:9/other"),
                    ("client_id", &id),
                    ("client_secret", &secret),
                    ("code_verifier", &pkce.verifier),
                ],
            )
            .await;
        let expected =
            if provider == Provider::Google { "redirect_uri_mismatch" } else { "invalid_grant" };
        assert_eq!((status, s(&body["error"])), (StatusCode::BAD_REQUEST, expected), "{provider}");

        let (status, body) = h
            .token(
                provider,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("client_id", &id),
                    ("client_secret", "wrong"),
                    ("code_verifier", &pkce.verifier),
                ],
            )
            .await;
        assert_eq!(s(&body["error"]), "invalid_client", "{provider}");
        assert!(status == 401 || (provider == Provider::Dropbox && status == 400));

        // Failed attempts do not use the code up; a successful one does.
        let (status, tokens) = h.exchange(provider, &code, &pkce.verifier).await;
        assert_eq!(status, 200, "{provider}: {tokens}");
        assert_eq!(h.whoami(provider, s(&tokens["access_token"])).await.0, 200);
        let (status, body) = h.exchange(provider, &code, &pkce.verifier).await;
        assert_eq!(
            (status, s(&body["error"])),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "{provider}"
        );
        // The replay revokes what the code issued.
        assert_eq!(h.whoami(provider, s(&tokens["access_token"])).await.0, 401, "{provider}");
        assert_eq!(h.refresh(provider, s(&tokens["refresh_token"])).await.0, 400, "{provider}");
    }
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirect_uris_get_an_error_page_never_a_redirect() {
    let h = harness(SandboxOptions::default()).await;
    let pkce = new_pkce(7);
    for provider in Provider::ALL {
        let challenge = pkce.challenge.as_str();
        let base = [
            ("response_type", "code"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("scope", "x"),
        ];
        let mut unknown = base.to_vec();
        unknown.extend([("client_id", "nobody"), ("redirect_uri", REDIRECT)]);
        let response = h.http.get(h.authorize_url(provider, &unknown)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{provider}");
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains("role=\"alert\""));

        let id = format!("{provider}-app");
        let mut mismatch = base.to_vec();
        mismatch.extend([
            ("client_id", id.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/callback/evil"),
        ]);
        let response = h.http.get(h.authorize_url(provider, &mismatch)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{provider}");
        assert!(response.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn authorization_without_pkce_or_with_plain_pkce_is_refused_to_the_client() {
    let h = harness(SandboxOptions::default()).await;
    for method in [None, Some("plain")] {
        let mut params = vec![
            ("client_id", "google-app"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "x"),
            ("state", "s1"),
        ];
        if let Some(method) = method {
            params.extend([("code_challenge", "abc"), ("code_challenge_method", method)]);
        }
        let response = h.http.get(h.authorize_url(Provider::Google, &params)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        let params = query(response.headers()["location"].to_str().unwrap());
        assert_eq!((params["error"].as_str(), params["state"].as_str()), ("invalid_request", "s1"));
    }
}

#[tokio::test]
async fn denying_consent_redirects_with_access_denied() {
    let h = harness(SandboxOptions::default()).await;
    let pkce = new_pkce(8);
    for provider in Provider::ALL {
        let response = h.sign_in(&h.standard_url(provider, &pkce), "frank", "deny").await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let params = query(response.headers()["location"].to_str().unwrap());
        assert_eq!(params["error"], "access_denied", "{provider}");
        assert_eq!(params["state"], "xyz-state");
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn codes_expire_and_access_tokens_expire_with_each_providers_401() {
    let h = harness(SandboxOptions::default()).await;
    let pkce = new_pkce(9);
    let code = h.code(Provider::Google, &pkce, "grace").await;
    h.server.sandbox().advance_clock(Duration::from_secs(601));
    let (status, body) = h.exchange(Provider::Google, &code, &pkce.verifier).await;
    assert_eq!((status, s(&body["error"])), (StatusCode::BAD_REQUEST, "invalid_grant"));

    for provider in Provider::ALL {
        let account = h.server.account(provider, "grace").unwrap();
        let tokens = account.issue_tokens(&format!("{provider}-app"));
        assert_eq!(h.whoami(provider, &tokens.access_token).await.0, 200);
        h.server.sandbox().advance_clock(Duration::from_secs(3601));
        let (status, body) = h.whoami(provider, &tokens.access_token).await;
        assert_eq!(status, 401, "{provider}");
        match provider {
            Provider::Google => {
                assert_eq!(body["error"]["errors"][0]["message"], "Invalid Credentials")
            }
            Provider::Microsoft => assert_eq!(
                body["error"]["message"],
                "Access token has expired or is not yet valid."
            ),
            Provider::Dropbox => assert_eq!(body["error"][".tag"], "expired_access_token"),
        }
        // A refresh brings the account back; "expire tokens now" expires the new token too.
        let (status, refreshed) =
            h.refresh(provider, tokens.refresh_token.as_deref().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(h.whoami(provider, s(&refreshed["access_token"])).await.0, 200);
        assert_eq!(account.expire_tokens(), 1);
        assert_eq!(h.whoami(provider, s(&refreshed["access_token"])).await.0, 401);
        // "Revoke tokens" also kills the refresh token.
        assert!(account.revoke_tokens() >= 1);
        assert_eq!(h.refresh(provider, tokens.refresh_token.as_deref().unwrap()).await.0, 400);
        assert_eq!(account.request_counts().unauthorized, 2);
    }
    // Requests without any token.
    let base = h.server.base_url();
    let drive = h.http.get(format!("{base}/google/drive/v3/files")).send().await.unwrap();
    assert_eq!(drive.status(), 401);
    let dropbox = h
        .http
        .post(format!("{base}/dropbox/api/2/users/get_current_account"))
        .send()
        .await
        .unwrap();
    assert_eq!(dropbox.status(), 400);
    assert!(dropbox.text().await.unwrap().contains("Must provide HTTP header \"Authorization\""));
}

#[tokio::test]
async fn demo_clients_are_registered_for_the_apps_callback_urls() {
    let h = harness(SandboxOptions {
        demo_app_url: Some("http://127.0.0.1:3000/".into()),
        ..Default::default()
    })
    .await;
    let pkce = new_pkce(10);
    for (provider, app_id) in [
        (Provider::Google, "google_drive"),
        (Provider::Microsoft, "sharepoint"),
        (Provider::Dropbox, "dropbox"),
    ] {
        let demo = demo_client(provider);
        let callback =
            format!("http://127.0.0.1:3000/api/v1/cloud-sources/oauth/{app_id}/callback");
        let url = h.authorize_url(
            provider,
            &[
                ("client_id", demo.client_id),
                ("redirect_uri", &callback),
                ("response_type", "code"),
                ("scope", "offline_access"),
                ("code_challenge", &pkce.challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let response = h.sign_in(&url, "demo", "allow").await;
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(&callback), "{location}");
        let code = query(&location)["code"].clone();
        let (status, _) = h
            .token(
                provider,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &callback),
                    ("client_id", demo.client_id),
                    ("client_secret", demo.client_secret),
                    ("code_verifier", &pkce.verifier),
                ],
            )
            .await;
        assert_eq!(status, 200, "{provider}");
    }
}

#[tokio::test]
async fn refresh_tokens_need_access_type_offline_on_google_and_offline_access_on_microsoft() {
    let h = harness(SandboxOptions::default()).await;
    let pkce = new_pkce(11);
    for (provider, scope) in [
        (Provider::Google, "https://www.googleapis.com/auth/drive.readonly"),
        (Provider::Microsoft, "Files.Read.All User.Read"),
    ] {
        let id = format!("{provider}-app");
        let url = h.authorize_url(
            provider,
            &[
                ("client_id", &id),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("scope", scope),
                ("code_challenge", &pkce.challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let response = h.sign_in(&url, "henry", "allow").await;
        let code = query(response.headers()["location"].to_str().unwrap())["code"].clone();
        let (status, tokens) = h.exchange(provider, &code, &pkce.verifier).await;
        assert_eq!(status, 200, "{provider}");
        assert!(tokens["access_token"].is_string());
        assert!(tokens.get("refresh_token").is_none(), "{provider}: {tokens}");
    }
}
