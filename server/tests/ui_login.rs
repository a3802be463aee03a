//! The sign-in page as the server renders it: a form that works before the page
//! hydrates, the messages the sign-in handler redirects back with, and the hints
//! for demo mode and for a server with no account yet.

mod support;

use support::app::TestApp;

async fn login_page(app: &TestApp, query: &str) -> String {
    let response = app.browser().get(app.url(&format!("/login{query}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn sign_in_is_a_plain_form_post_that_keeps_where_to_go_next() {
    let app = TestApp::spawn().await;
    let html = login_page(&app, "?next=%2Fconnections%3Fconnected%3D1").await;
    assert!(html.contains(r#"<form method="post" action="/login""#), "{html}");
    assert!(html.contains(r#"name="username""#), "{html}");
    assert!(html.contains(r#"autocomplete="username""#), "{html}");
    assert!(html.contains(r#"type="password""#), "{html}");
    assert!(html.contains(r#"name="password""#), "{html}");
    assert!(
        html.contains(r#"type="hidden" name="next" value="/connections?connected=1""#),
        "{html}"
    );
    // Labels point at their fields.
    assert!(html.contains(r#"<label for="username""#), "{html}");
    assert!(html.contains(r#"<label for="password""#), "{html}");
    assert!(!html.contains("Wrong user name or password"), "{html}");
}

#[tokio::test]
async fn a_failed_sign_in_says_why_and_keeps_the_user_name() {
    let app = TestApp::spawn().await;
    let html = login_page(&app, "?error=invalid&next=%2F&username=alice").await;
    assert!(html.contains("Wrong user name or password"), "{html}");
    assert!(html.contains(r#"value="alice""#), "{html}");
    assert!(html.contains(r#"role="alert""#), "{html}");

    let html = login_page(&app, "?error=locked&retry=300&next=%2F&username=alice").await;
    assert!(html.contains("Too many attempts"), "{html}");
    assert!(html.contains("Try again in 5 minutes."), "{html}");

    let html = login_page(&app, "?error=unavailable&next=%2F").await;
    assert!(html.contains("Sign-in is unavailable"), "{html}");

    let html = login_page(&app, "?signed_out=1").await;
    assert!(html.contains("You have been signed out."), "{html}");
}

#[tokio::test]
async fn the_user_name_from_the_query_is_escaped() {
    let app = TestApp::spawn().await;
    let html =
        login_page(&app, "?error=invalid&username=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)") || html.contains("&quot;&gt;&lt;script"),
        "{html}"
    );
}

#[tokio::test]
async fn without_any_account_the_page_says_how_to_create_the_first_admin() {
    let app = TestApp::spawn().await;
    let html = login_page(&app, "").await;
    assert!(html.contains("No account yet"), "{html}");
    assert!(html.contains("cloud-sources user add NAME --admin --password-stdin"), "{html}");
    assert!(!html.contains("demo-password"), "not in demo mode: {html}");

    app.service.create_user("alice", Some(support::app::PASSWORD), true).await.unwrap();
    let html = login_page(&app, "").await;
    assert!(!html.contains("No account yet"), "{html}");
}

#[tokio::test]
async fn demo_mode_shows_the_demo_account() {
    let app = TestApp::spawn_with(|settings| settings.demo = true).await;
    let html = login_page(&app, "").await;
    assert!(html.contains("Demo mode"), "{html}");
    assert!(html.contains(">demo</code>"), "{html}");
    assert!(html.contains(">demo-password</code>"), "{html}");
}

#[tokio::test]
async fn setup_state_answers_before_anyone_signs_in() {
    async fn setup_state(app: &TestApp) -> serde_json::Value {
        let response = app
            .browser()
            .post(app.url("/_fn/setup_state"))
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
    // A fresh install: no account yet, so the page explains how to create one.
    let fresh = TestApp::spawn().await;
    assert_eq!(setup_state(&fresh).await, serde_json::json!({"has_users": false, "demo": false}));
    // Demo mode creates the demo account at start.
    let demo = TestApp::spawn_with(|settings| settings.demo = true).await;
    assert_eq!(setup_state(&demo).await, serde_json::json!({"has_users": true, "demo": true}));
}
