//! The OAuth 2.0 client (the `oauth2` crate) for one provider: authorization
//! URLs with PKCE S256, code exchange, refresh and revocation.

use std::time::Duration;

use app::model::SecretText;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;

use crate::providers::OAuthSpec;

/// Tokens from a token endpoint.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretText,
    /// `None` when the provider did not send one (keep the old one).
    pub refresh_token: Option<SecretText>,
    pub expires_in: Option<Duration>,
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The grant (code or refresh token) is invalid, expired, revoked or reused:
    /// the user must sign in again.
    #[error("the provider rejected the grant: {0}")]
    InvalidGrant(String),
    /// Misconfiguration (client id/secret, URLs) or a refused request.
    #[error("the provider refused the request: {0}")]
    Rejected(String),
    /// The token endpoint could not be reached or answered nonsense; try again.
    #[error("the provider could not be reached: {0}")]
    Unavailable(String),
}

pub struct OAuthClient {
    spec: OAuthSpec,
    redirect_uri: String,
    http: reqwest::Client,
}

impl OAuthClient {
    /// `http` must not follow redirects (a token endpoint that redirects is not
    /// to be trusted with a code).
    pub fn new(spec: OAuthSpec, redirect_uri: String, http: reqwest::Client) -> Self {
        Self { spec, redirect_uri, http }
    }

    pub fn spec(&self) -> &OAuthSpec {
        &self.spec
    }

    fn client(
        &self,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        OAuthError,
    > {
        let bad = |what: &str, e: oauth2::url::ParseError| {
            OAuthError::Rejected(format!("invalid {what}: {e}"))
        };
        let mut client = BasicClient::new(ClientId::new(self.spec.client_id.clone()))
            .set_auth_uri(
                AuthUrl::new(self.spec.auth_url.clone())
                    .map_err(|e| bad("authorization URL", e))?,
            )
            .set_token_uri(
                TokenUrl::new(self.spec.token_url.clone()).map_err(|e| bad("token URL", e))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| bad("redirect URI", e))?,
            );
        if let Some(secret) = &self.spec.client_secret {
            client =
                client.set_client_secret(ClientSecret::new(secret.expose_secret().to_string()));
        }
        Ok(client)
    }

    /// The URL to send the user's browser to, with a fresh PKCE challenge.
    /// Returns the URL and the verifier to keep for the exchange.
    pub fn authorize_url(&self, state: &str) -> Result<(String, SecretText), OAuthError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_string();
        let client = self.client()?;
        let mut request = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(self.spec.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge);
        for (key, value) in &self.spec.extra_auth_params {
            request = request.add_extra_param(key.clone(), value.clone());
        }
        let (url, _) = request.url();
        Ok((url.to_string(), SecretText::new(verifier.secret().clone())))
    }

    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &SecretText,
    ) -> Result<TokenSet, OAuthError> {
        let response = self
            .client()?
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_string()))
            .request_async(&self.http)
            .await
            .map_err(classify)?;
        Ok(token_set(&response))
    }

    pub async fn refresh(&self, refresh_token: &SecretText) -> Result<TokenSet, OAuthError> {
        let token = RefreshToken::new(refresh_token.expose().to_string());
        let response = self
            .client()?
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await
            .map_err(classify)?;
        Ok(token_set(&response))
    }

    /// Revokes a token (RFC 7009 form post, or Dropbox's bearer-authenticated
    /// RPC). Providers without a revocation endpoint are skipped.
    pub async fn revoke(&self, token: &SecretText) -> Result<(), OAuthError> {
        let Some(url) = &self.spec.revoke_url else { return Ok(()) };
        let request = if url.contains("/2/auth/token/revoke") {
            self.http.post(url).bearer_auth(token.expose())
        } else {
            let mut request = self.http.post(url).form(&[("token", token.expose())]);
            request = match &self.spec.client_secret {
                Some(secret) => {
                    request.basic_auth(&self.spec.client_id, Some(secret.expose_secret()))
                }
                None => request.form(&[
                    ("token", token.expose()),
                    ("client_id", self.spec.client_id.as_str()),
                ]),
            };
            request
        };
        let response = request
            .send()
            .await
            .map_err(|e| OAuthError::Unavailable(e.without_url().to_string()))?;
        // 200 is success; 400/401 for an already-dead token is as good as revoked.
        match response.status().as_u16() {
            200..=299 | 400 | 401 => Ok(()),
            status => Err(OAuthError::Rejected(format!("revocation answered HTTP {status}"))),
        }
    }
}

fn token_set(response: &oauth2::basic::BasicTokenResponse) -> TokenSet {
    TokenSet {
        access_token: SecretText::new(response.access_token().secret().clone()),
        refresh_token: response.refresh_token().map(|t| SecretText::new(t.secret().clone())),
        expires_in: response.expires_in(),
        scopes: response.scopes().map(|scopes| scopes.iter().map(|s| s.to_string()).collect()),
    }
}

fn classify<E: std::error::Error + 'static>(
    error: RequestTokenError<E, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let detail = response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string());
            match response.error() {
                BasicErrorResponseType::InvalidGrant => OAuthError::InvalidGrant(detail),
                _ => OAuthError::Rejected(detail),
            }
        }
        RequestTokenError::Request(e) => OAuthError::Unavailable(e.to_string()),
        RequestTokenError::Parse(e, _) => {
            OAuthError::Unavailable(format!("unexpected token response: {e}"))
        }
        RequestTokenError::Other(e) => OAuthError::Unavailable(e),
    }
}
