//! Sign-in and sign-out: plain HTML form posts, so they work before (and
//! without) the WebAssembly bundle.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::middleware::{safe_next, session_cookie, session_set_cookie, urlencode};
use crate::service::{LoginError, Service};

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(service): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim();
    match service.authenticate(username, &form.password, &peer.ip().to_string()).await {
        Ok(user) => {
            // A new session id on every sign-in; the old one (if any) ends.
            if let Some(old) = session_cookie(&headers) {
                let _ = service.end_session(&old).await;
            }
            match service.start_session(&user.id).await {
                Ok(secret) => {
                    tracing::info!(user_id = %user.id, "signed in");
                    (
                        [(header::SET_COOKIE, session_set_cookie(&service, Some(&secret)))],
                        Redirect::to(&next),
                    )
                        .into_response()
                }
                Err(_) => {
                    Redirect::to(&format!("/login?error=unavailable&next={}", urlencode(&next)))
                        .into_response()
                }
            }
        }
        Err(error) => {
            let code = match error {
                LoginError::Invalid => "invalid".to_string(),
                LoginError::RateLimited(secs) => format!("locked&retry={secs}"),
                LoginError::Unavailable => "unavailable".to_string(),
            };
            let target = format!(
                "/login?error={code}&next={}&username={}",
                urlencode(&next),
                urlencode(username)
            );
            Redirect::to(&target).into_response()
        }
    }
}

pub async fn logout(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    if let Some(secret) = session_cookie(&headers) {
        let _ = service.end_session(&secret).await;
    }
    (
        [(header::SET_COOKIE, session_set_cookie(&service, None))],
        Redirect::to("/login?signed_out=1"),
    )
        .into_response()
}
