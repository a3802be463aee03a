//! HTTP routes outside the Leptos pages: health, sign-in, the REST API, OAuth.

pub mod api;
pub mod auth;
pub mod events;
pub mod health;
pub mod oauth;

use app::error::AppError;
use app::port::Caller;
use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use http::Request as HttpRequest;
use serde::de::DeserializeOwned;
use serde_json::json;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The REST API's error answer: `{"error": {"code", "message"}}` with the error's status.
pub fn api_error(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response =
        (status, Json(json!({ "error": { "code": error.code(), "message": error.to_string() } })))
            .into_response();
    if let AppError::RateLimited(secs) = error
        && let Ok(value) = secs.to_string().parse()
    {
        response.headers_mut().insert(http::header::RETRY_AFTER, value);
    }
    response
}

/// An [`AppError`] as a REST answer.
pub struct ApiError(pub AppError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        api_error(self.0)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// The signed-in caller of a REST request; 401 without one.
pub struct ApiCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(ApiCaller)
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned().map(ApiCaller))
    }
}

/// A JSON body whose parse errors answer in the API's error format.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(AppError::BadRequest(rejection.body_text()))),
        }
    }
}

/// One span per request with method and *path only*: query strings can carry
/// OAuth codes and states, which must never reach the logs.
pub fn trace_layer() -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    impl Fn(&HttpRequest<Body>) -> tracing::Span + Clone,
    (),
    DefaultOnResponse,
> {
    TraceLayer::new_for_http()
        .make_span_with(|request: &HttpRequest<Body>| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        })
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}
