//! The HTML the authorization servers show: sign-in, consent, error and code pages. Plain
//! forms with labelled inputs and named buttons, so a browser test can click through.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

use crate::sandbox::Provider;
use crate::sandbox::util::html_escape;

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:48px 16px}\
main{max-width:420px;margin:auto;background:#fff;border-radius:12px;padding:32px;box-shadow:0 1px 4px #0002}\
.brand{font-weight:600;margin:0 0 8px}.badge{font-size:12px;background:#fde68a;border-radius:6px;padding:2px 6px;margin-left:6px}\
label{display:block;font-weight:500;margin:16px 0 4px}input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #bbb;border-radius:6px;font-size:16px}\
.hint{color:#555;font-size:13px}.error{color:#b91c1c}.actions{display:flex;gap:12px;justify-content:flex-end;margin-top:24px}\
button{padding:10px 20px;border-radius:6px;border:0;background:#1d4ed8;color:#fff;font-size:15px;cursor:pointer}\
button.secondary{background:#e5e7eb;color:#111}code{font-size:18px;background:#eef;padding:6px 10px;border-radius:6px}";

fn page(provider: Provider, status: StatusCode, title: &str, body: &str) -> Response {
    let brand = provider.brand();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} – {brand} (sandbox)</title><style>{PAGE_STYLE}</style></head>\
         <body><main data-provider=\"{p}\"><p class=\"brand\">{brand}<span class=\"badge\">Sandbox</span></p>{body}</main></body></html>",
        title = html_escape(title),
        p = provider.as_str(),
    );
    (status, Html(html)).into_response()
}

pub(super) fn error_page(provider: Provider, status: StatusCode, message: String) -> Response {
    let body = format!(
        "<h1>Sign-in error</h1><p class=\"error\" role=\"alert\">{}</p>",
        html_escape(&message)
    );
    page(provider, status, "Error", &body)
}

pub(super) fn login_page(
    provider: Provider,
    action: &str,
    request_id: &str,
    client: &str,
    hint: &str,
    error: Option<&str>,
) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", html_escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in</h1><p>to continue to <strong>{client}</strong></p>{error}\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\
         <input type=\"hidden\" name=\"step\" value=\"login\">\
         <label for=\"username\">Username</label>\
         <input id=\"username\" name=\"username\" value=\"{hint}\" autocomplete=\"username\" required autofocus>\
         <p class=\"hint\">Any username works: each one is a separate sandbox account with its own files.</p>\
         <div class=\"actions\"><button type=\"submit\">Sign in</button></div></form>",
        client = html_escape(client),
        action = html_escape(action),
        hint = html_escape(hint),
    );
    page(provider, StatusCode::OK, "Sign in", &body)
}

pub(super) fn consent_page(
    provider: Provider,
    action: &str,
    request_id: &str,
    client: &str,
    name: &str,
    email: &str,
    scope: &str,
) -> Response {
    let scopes = scope
        .split_whitespace()
        .map(|s| format!("<li>{}</li>", html_escape(s)))
        .collect::<String>();
    let body = format!(
        "<h1>{client} wants to access your {brand} account</h1>\
         <p>Signed in as <strong>{name}</strong> ({email})</p>\
         <p>This will allow {client} to:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\
         <input type=\"hidden\" name=\"step\" value=\"consent\">\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button></div></form>",
        client = html_escape(client),
        brand = provider.brand(),
        name = html_escape(name),
        email = html_escape(email),
        action = html_escape(action),
    );
    page(provider, StatusCode::OK, "Consent", &body)
}

/// Dropbox's no-redirect flow shows the code for the user to paste into the app.
pub(super) fn code_page(provider: Provider, client: &str, code: &str) -> Response {
    let body = format!(
        "<h1>Access code generated</h1><p>Enter this code into {}:</p><p><code id=\"code\">{}</code></p>",
        html_escape(client),
        html_escape(code)
    );
    page(provider, StatusCode::OK, "Access code", &body)
}
