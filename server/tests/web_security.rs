//! Browser-facing defences over real HTTP: cross-site (CSRF) refusal on every
//! kind of state-changing route, a new session id at each sign-in (no
//! fixation), sign-in rate limits per account and per address, and the
//! security headers a WASM app needs on pages, API answers and errors.

mod support;

use app::model::ApiTokenInfo;
use reqwest::StatusCode;
use support::JsonAnswer;
use support::app::{PASSWORD, TestApp};

const API: &str = "/api/v1/cloud-sources";

/// Signs in with a plain form post and returns the session cookie's value.
async fn sign_in(app: &TestApp, username: &str, cookie: Option<&str>) -> String {
    let mut request = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .header("origin", &app.base)
        .form(&[("username", username), ("password", PASSWORD), ("next", "/")]);
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("cs_session={cookie}"));
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.headers()["location"], "/", "{username} signed in");
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    set_cookie
        .strip_prefix("cs_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {set_cookie}"))
        .to_string()
}

/// A client with no default headers: each request says exactly what it sends.
fn bare() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn me_status(app: &TestApp, session: &str) -> StatusCode {
    bare()
        .get(app.url(&format!("{API}/me")))
        .header("cookie", format!("cs_session={session}"))
        .send()
        .await
        .unwrap()
        .status()
}

async fn tokens(app: &TestApp, session: &str) -> Vec<ApiTokenInfo> {
    bare()
        .get(app.url(&format!("{API}/tokens")))
        .header("cookie", format!("cs_session={session}"))
        .json_answer()
        .await
}

/// A personal API token created from the signed-in browser (same-origin); the answer's JSON.
async fn new_token(app: &TestApp, cookie: &str, name: &str) -> serde_json::Value {
    bare()
        .post(app.url(&format!("{API}/tokens")))
        .header("cookie", cookie)
        .header("origin", &app.base)
        .json(&serde_json::json!({"name": name}))
        .json_answer()
        .await
}

#[tokio::test]
async fn state_changing_requests_from_another_site_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.service.create_user("alice", Some(PASSWORD), false).await.unwrap();
    let session = sign_in(&app, "alice", None).await;
    let cookie = format!("cs_session={session}");
    let created = new_token(&app, &cookie, "kept").await;
    let token_id = created["info"]["id"].as_str().unwrap().to_string();
    let before = tokens(&app, &session).await;

    // (method, path, content type, body): a REST call, a server function, the sign-out form.
    let routes = [
        ("POST", format!("{API}/tokens"), "application/json", r#"{"name":"forged"}"#.to_string()),
        ("DELETE", format!("{API}/tokens/{token_id}"), "application/json", String::new()),
        (
            "POST",
            "/_fn/create_api_token".to_string(),
            "application/x-www-form-urlencoded",
            "name=forged".to_string(),
        ),
        (
            "POST",
            "/_fn/revoke_api_token".to_string(),
            "application/x-www-form-urlencoded",
            format!("id={token_id}"),
        ),
        ("POST", "/logout".to_string(), "application/x-www-form-urlencoded", String::new()),
    ];
    // Each way a forged request can look: another origin, an opaque origin, no
    // origin at all, a referer from another site, and a browser's own verdict.
    let evil = "https://evil.example";
    let forgeries: [&[(&str, &str)]; 5] = [
        &[("origin", evil)],
        &[("origin", "null")],
        &[],
        &[("referer", "https://evil.example/page")],
        &[("origin", &app.base), ("sec-fetch-site", "cross-site")],
    ];
    for (method, path, content_type, body) in &routes {
        for headers in forgeries {
            let mut request = bare()
                .request(method.parse().unwrap(), app.url(path))
                .header("cookie", &cookie)
                .header("content-type", *content_type)
                .body(body.clone());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{method} {path} with {headers:?}");
            let text = response.text().await.unwrap();
            assert!(text.contains("cross-site request refused"), "{method} {path}: {text}");
        }
    }
    // A cross-site sign-in (login CSRF) is refused too and sets no cookie.
    let login = bare()
        .post(app.url("/login"))
        .header("origin", evil)
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 403);
    assert!(login.headers().get("set-cookie").is_none());

    assert_eq!(tokens(&app, &session).await, before, "a forged request changed the tokens");
    assert_eq!(me_status(&app, &session).await, 200, "a forged sign-out ended the session");

    // Same-origin requests (Origin, or only a same-site Referer) do pass.
    let ours = bare()
        .delete(app.url(&format!("{API}/tokens/{token_id}")))
        .header("cookie", &cookie)
        .header("referer", format!("{}/settings", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), 204);
    assert!(tokens(&app, &session).await.is_empty());
    // A personal API token is not a cookie: no browser attaches it by itself,
    // so bearer calls need no Origin.
    let created = new_token(&app, &cookie, "script").await;
    let secret = created["token"].as_str().unwrap();
    let by_token = bare()
        .post(app.url(&format!("{API}/tokens")))
        .bearer_auth(secret)
        .json(&serde_json::json!({"name": "from the script"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 201);
}

#[tokio::test]
async fn every_sign_in_issues_a_new_session_id_and_ends_the_old_one() {
    let app = TestApp::spawn().await;
    app.service.create_user("alice", Some(PASSWORD), false).await.unwrap();
    app.service.create_user("bob", Some(PASSWORD), false).await.unwrap();

    // A value planted by an attacker before sign-in is not adopted.
    let planted = "attacker-chosen-session-id";
    let first = sign_in(&app, "alice", Some(planted)).await;
    assert_ne!(first, planted);
    assert_eq!(me_status(&app, planted).await, 401);
    assert_eq!(me_status(&app, &first).await, 200);

    // Signing in again (as anyone) with a live session replaces it.
    let second = sign_in(&app, "bob", Some(&first)).await;
    assert_ne!(second, first);
    assert_eq!(me_status(&app, &first).await, 401, "the old session must end at sign-in");
    assert_eq!(me_status(&app, &second).await, 200);

    // Signing out ends the session on the server, not only in the browser.
    let logout = bare()
        .post(app.url("/logout"))
        .header("origin", &app.base)
        .header("cookie", format!("cs_session={second}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert!(logout.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(me_status(&app, &second).await, 401);
}

async fn attempt(app: &TestApp, username: &str, password: &str) -> String {
    let response = bare()
        .post(app.url("/login"))
        .header("origin", &app.base)
        .form(&[("username", username), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    if response.headers()["location"] != "/" {
        assert!(response.headers().get("set-cookie").is_none(), "a failed sign-in set a cookie");
    }
    response.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_account_then_the_address() {
    let app = TestApp::spawn().await;
    app.service.create_user("alice", Some(PASSWORD), false).await.unwrap();
    app.service.create_user("bob", Some(PASSWORD), false).await.unwrap();

    for n in 0..5 {
        let location = attempt(&app, "alice", "guess").await;
        assert!(location.starts_with("/login?error=invalid"), "attempt {n}: {location}");
    }
    // The sixth attempt is refused before the password is looked at, right or wrong.
    let locked = attempt(&app, "alice", PASSWORD).await;
    assert!(locked.starts_with("/login?error=locked&retry="), "{locked}");
    let retry: u64 = locked
        .split("retry=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .and_then(|r| r.parse().ok())
        .unwrap();
    assert!((60..=900).contains(&retry), "retry after {retry} s");
    // The name is matched without regard to case.
    assert!(attempt(&app, "ALICE", PASSWORD).await.starts_with("/login?error=locked"));

    // Another account from the same address is not locked by alice's failures…
    assert_eq!(attempt(&app, "bob", PASSWORD).await, "/");
    // …until the address sprays enough names (20 failures per address).
    for n in 0..15 {
        let location = attempt(&app, &format!("user{n}"), "guess").await;
        assert!(location.starts_with("/login?error=invalid"), "{location}");
    }
    assert!(attempt(&app, "bob", PASSWORD).await.starts_with("/login?error=locked"));
}

#[tokio::test]
async fn security_headers_suit_the_wasm_app_on_pages_api_answers_and_errors() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let page = alice.get(app.url("/")).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    let directive = |name: &str| {
        policy
            .split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in {policy}"))
            .to_string()
    };
    let scripts = directive("script-src");
    // The hydrate bundle compiles WebAssembly, but no JavaScript `eval`.
    assert!(scripts.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(!scripts.contains("'unsafe-eval'") && !scripts.contains("'unsafe-inline'"), "{policy}");
    assert!(!scripts.contains('*') && !scripts.contains("http"), "{policy}");
    assert_eq!(directive("default-src"), "default-src 'self'");
    assert_eq!(directive("connect-src"), "connect-src 'self'");
    assert_eq!(directive("object-src"), "object-src 'none'");
    assert_eq!(directive("base-uri"), "base-uri 'self'");
    assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'");
    page.text().await.unwrap();

    let anonymous = bare();
    let checks = [
        (anonymous.get(app.url(&format!("{API}/me"))), 401),
        (
            anonymous
                .post(app.url(&format!("{API}/tokens")))
                .header("origin", "https://evil.example"),
            403,
        ),
        (anonymous.get(app.url("/connections")), 303),
        (alice.get(app.url(&format!("{API}/connections/nope"))), 404),
        (alice.get(app.url("/pkg/missing.wasm")), 404),
    ];
    for (request, status) in checks {
        let response = request.send().await.unwrap();
        let what = response.url().path().to_string();
        assert_eq!(response.status(), status, "{what}");
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'"), "{what}: {policy}");
        assert!(policy.contains("object-src 'none'"), "{what}: {policy}");
    }
}
