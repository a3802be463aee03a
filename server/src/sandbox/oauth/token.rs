//! The token endpoint: client authentication, the authorization-code grant with PKCE, the
//! refresh grant with each provider's rotation rule, and each provider's error bodies.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{OAuthClient, Params, RefreshRotation, default_scope, policy};
use crate::sandbox::accounts::AccountKey;
use crate::sandbox::{Provider, Sandbox, util};

/// The token endpoint's failure modes, rendered in each provider's style.
#[derive(Clone, Copy, Debug)]
enum TokenFailure {
    InvalidRequest(&'static str),
    InvalidClient,
    UnknownCode,
    ExpiredCode,
    ReusedCode,
    RedirectMismatch,
    BadVerifier,
    BadRefreshToken,
    UnsupportedGrant,
}

fn token_error(provider: Provider, failure: TokenFailure) -> Response {
    use TokenFailure::*;
    let (error, status) = match failure {
        InvalidRequest(_) => ("invalid_request", StatusCode::BAD_REQUEST),
        InvalidClient if provider == Provider::Dropbox => {
            ("invalid_client", StatusCode::BAD_REQUEST)
        }
        InvalidClient => ("invalid_client", StatusCode::UNAUTHORIZED),
        RedirectMismatch if provider == Provider::Google => {
            ("redirect_uri_mismatch", StatusCode::BAD_REQUEST)
        }
        UnsupportedGrant => ("unsupported_grant_type", StatusCode::BAD_REQUEST),
        _ => ("invalid_grant", StatusCode::BAD_REQUEST),
    };
    let body = match provider {
        Provider::Google => {
            let description = match failure {
                InvalidRequest(message) => message,
                InvalidClient => "Unauthorized",
                ExpiredCode | UnknownCode | ReusedCode => "Bad Request",
                BadVerifier => "Invalid code verifier.",
                BadRefreshToken => "Token has been expired or revoked.",
                RedirectMismatch => "Bad Request",
                UnsupportedGrant => "Invalid grant_type: ",
            };
            json!({"error": error, "error_description": description})
        }
        Provider::Microsoft => {
            let (code, message) = match failure {
                InvalidRequest(message) => (900144, message),
                InvalidClient => (
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                ),
                UnknownCode => (9002313, "Invalid request. Request is malformed or invalid."),
                ExpiredCode => (
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                ),
                ReusedCode => (
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                ),
                RedirectMismatch => (
                    500112,
                    "The reply address does not match the reply address provided when requesting Authorization code.",
                ),
                BadVerifier => (
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                ),
                BadRefreshToken => (
                    700082,
                    "The refresh token has expired or been revoked. The token was issued on a previous sign-in or was revoked by revokeSignInSessions.",
                ),
                UnsupportedGrant => (70003, "The app requested an unsupported grant type."),
            };
            microsoft_error_body(error, code, message)
        }
        Provider::Dropbox => {
            let description = match failure {
                InvalidRequest(message) => message,
                InvalidClient => "Invalid client_id or client_secret",
                UnknownCode | ExpiredCode | ReusedCode => "code doesn't exist or has expired",
                RedirectMismatch => "redirect_uri mismatch",
                BadVerifier => "invalid code verifier",
                BadRefreshToken => "refresh token is invalid or revoked",
                UnsupportedGrant => "unsupported grant_type",
            };
            json!({"error": error, "error_description": description})
        }
    };
    (status, axum::Json(body)).into_response()
}

fn microsoft_error_body(error: &str, code: u32, message: &str) -> Value {
    let mut rng = rand::rng();
    let trace = util::guid(&mut rng).to_lowercase();
    let correlation = util::guid(&mut rng).to_lowercase();
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
    })
}

/// Client credentials from HTTP Basic or from the form (RFC 6749 2.3.1).
fn client_credentials(headers: &HeaderMap, form: &Params) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some((decode(id), decode(secret)))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (form.get("client_id").cloned(), form.get("client_secret").cloned()),
    }
}

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let valid = (43..=128).contains(&verifier.len())
        && verifier.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    valid && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

pub(super) fn token(
    sb: &Sandbox,
    provider: Provider,
    headers: &HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("the body must be application/x-www-form-urlencoded"),
        );
    };
    let (client_id, secret) = client_credentials(headers, &form);
    let Some(client_id) = client_id else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: client_id"),
        );
    };
    let client = util::lock(&sb.inner.oauth).clients.get(&(provider, client_id.clone())).cloned();
    let Some(client) = client else {
        return token_error(provider, TokenFailure::InvalidClient);
    };
    match (&client.client_secret, &secret) {
        (Some(expected), Some(given)) if expected != given => {
            return token_error(provider, TokenFailure::InvalidClient);
        }
        // Dropbox PKCE apps may leave the secret out; Google and Microsoft web apps may not.
        (Some(_), None) if provider != Provider::Dropbox => {
            return token_error(provider, TokenFailure::InvalidClient);
        }
        _ => {}
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => exchange_code(sb, provider, &client, &form),
        Some("refresh_token") => refresh(sb, provider, &client, &form),
        Some(_) => token_error(provider, TokenFailure::UnsupportedGrant),
        None => token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: grant_type"),
        ),
    }
}

fn exchange_code(
    sb: &Sandbox,
    provider: Provider,
    client: &OAuthClient,
    form: &Params,
) -> Response {
    let Some(code) = form.get("code") else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: code"),
        );
    };
    let now = sb.now_ms();
    let policy = policy(sb, provider);
    let lifetime = sb.options().access_token_lifetime_secs;
    let mut oauth = util::lock(&sb.inner.oauth);
    let Some(entry) = oauth.codes.get(code).filter(|c| c.provider == provider) else {
        return token_error(provider, TokenFailure::UnknownCode);
    };
    if let Some(grant) = entry.redeemed_grant {
        // RFC 6749 4.1.2: a replayed code revokes the tokens it issued.
        oauth.revoke_grant(grant);
        return token_error(provider, TokenFailure::ReusedCode);
    }
    if entry.expires_at <= now {
        return token_error(provider, TokenFailure::ExpiredCode);
    }
    if entry.client_id != client.client_id {
        return token_error(provider, TokenFailure::UnknownCode);
    }
    if form.get("redirect_uri") != entry.redirect_uri.as_ref() {
        return token_error(provider, TokenFailure::RedirectMismatch);
    }
    let Some(verifier) = form.get("code_verifier") else {
        return token_error(provider, TokenFailure::BadVerifier);
    };
    if !pkce_matches(verifier, &entry.code_challenge) {
        return token_error(provider, TokenFailure::BadVerifier);
    }
    let (account, scope, offline) = (entry.account.clone(), entry.scope.clone(), entry.offline);
    let grant = oauth.new_grant();
    if let Some(entry) = oauth.codes.get_mut(code) {
        entry.redeemed_grant = Some(grant);
    }
    let access = oauth.mint_access(
        provider,
        policy.access_prefix,
        &account,
        grant,
        now + lifetime as i64 * 1000,
    );
    let refresh = offline.then(|| {
        oauth.mint_refresh(
            provider,
            policy.refresh_prefix,
            &client.client_id,
            &account,
            &scope,
            grant,
        )
    });
    drop(oauth);
    count_grant(sb, &account);
    // Dropbox also names the account (`account_id`) and its numeric user id (`uid`).
    let (account_id, uid) = sb
        .existing_account(&account)
        .map(|a| {
            let data = a.data();
            (
                data.profile.user_id.clone(),
                data.drives.first().map(|d| d.id.clone()).unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let body = match provider {
        Provider::Google => json!({
            "access_token": access,
            "expires_in": lifetime,
            "refresh_token": refresh,
            "scope": scope,
            "token_type": "Bearer",
        }),
        Provider::Microsoft => json!({
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
            "refresh_token": refresh,
        }),
        Provider::Dropbox => json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": lifetime,
            "refresh_token": refresh,
            "scope": if scope.is_empty() { default_scope(provider, offline) } else { scope },
            "uid": uid,
            "account_id": account_id,
        }),
    };
    token_response(body)
}

fn refresh(sb: &Sandbox, provider: Provider, client: &OAuthClient, form: &Params) -> Response {
    let Some(old) = form.get("refresh_token") else {
        return token_error(
            provider,
            TokenFailure::InvalidRequest("Missing required parameter: refresh_token"),
        );
    };
    let now = sb.now_ms();
    let policy = policy(sb, provider);
    let lifetime = sb.options().access_token_lifetime_secs;
    let mut oauth = util::lock(&sb.inner.oauth);
    let Some(entry) = oauth
        .refresh
        .get(old)
        .filter(|t| t.provider == provider && t.client_id == client.client_id && !t.revoked)
    else {
        return token_error(provider, TokenFailure::BadRefreshToken);
    };
    let (account, scope, grant) = (entry.account.clone(), entry.scope.clone(), entry.grant);
    let access = oauth.mint_access(
        provider,
        policy.access_prefix,
        &account,
        grant,
        now + lifetime as i64 * 1000,
    );
    let rotated = match policy.rotation {
        RefreshRotation::None => None,
        RefreshRotation::RotateKeepOld | RefreshRotation::RotateRevokeOld => {
            if policy.rotation == RefreshRotation::RotateRevokeOld
                && let Some(entry) = oauth.refresh.get_mut(old)
            {
                entry.revoked = true;
            }
            Some(oauth.mint_refresh(
                provider,
                policy.refresh_prefix,
                &client.client_id,
                &account,
                &scope,
                grant,
            ))
        }
    };
    drop(oauth);
    count_grant(sb, &account);
    let body = match provider {
        Provider::Google => json!({
            "access_token": access,
            "expires_in": lifetime,
            "scope": scope,
            "token_type": "Bearer",
        }),
        Provider::Microsoft => json!({
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
            "refresh_token": rotated,
        }),
        Provider::Dropbox => json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": lifetime,
        }),
    };
    token_response(body)
}

/// Token grants count as provider requests of the account (benchmarks count refreshes).
fn count_grant(sb: &Sandbox, account: &AccountKey) {
    if let Some(handle) = sb.existing_account(account) {
        handle.counters().record("oauth.token");
    }
}

fn token_response(mut body: Value) -> Response {
    if let Some(map) = body.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
        assert!(!pkce_matches("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
}
