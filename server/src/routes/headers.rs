//! Security headers on every response. HTML pages rendered by Leptos get a
//! Content-Security-Policy with the per-request nonce Leptos puts on its
//! hydration script; every other response gets a locked-down default policy.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of a server-rendered page. Scripts only from this origin or with
/// the page's nonce; `wasm-unsafe-eval` lets the hydrate bundle compile.
/// `form-action` is left open on purpose: "Connect" forms end in a redirect to
/// the provider's consent page, which `form-action 'self'` would block.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )
}

/// For responses that are not Leptos pages (API JSON, static files, sandbox
/// pages): nothing inline may run.
const DEFAULT_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
                              object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Called inside each page render (Leptos context): puts the page policy with
/// this render's nonce on the response.
pub fn provide_page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // OAuth callbacks carry codes in their query; never send URLs to other
    // sites. Not `no-referrer`: Chromium then sends `Origin: null` on our own
    // form posts, which the same-origin CSRF check must refuse.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEFAULT_POLICY));
    }
    response
}
