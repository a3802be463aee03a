//! The one error type every provider returns.
//!
//! A [`ProviderError`] has a [`ErrorKind`] (what went wrong, in terms the engine
//! acts on), a [`Retry`] status (whether trying again can help), a message that
//! is safe to show a user, context pairs for the log, and the source error.
//! Each provider classifies its HTTP answers in exactly one place (its
//! `parse_error`) and produces these.

use std::fmt;
use std::time::Duration;

use app::model::FileErrorType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The account may not read this item or folder.
    AccessDenied,
    /// The item or folder does not exist (any more).
    NotFound,
    /// The provider asked us to slow down.
    RateLimited,
    /// Network trouble, timeouts, 5xx: likely to pass.
    Transient,
    /// The credentials are no longer valid and refreshing did not help:
    /// the user must reconnect.
    AuthExpired,
    /// The provider answered something we could not understand.
    ParseError,
    /// The change cursor is no longer valid (410, `reset`, rejected token,
    /// UIDVALIDITY change): start over with a full listing.
    CursorInvalid,
    /// The item is larger than allowed.
    TooLarge,
    /// The item cannot be downloaded as content (e.g. a Google Form).
    Unsupported,
    /// The request was refused before it was sent: a blocked host (SSRF guard),
    /// a malformed server URL, missing configuration.
    Invalid,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Transient => "transient",
            ErrorKind::AuthExpired => "auth_expired",
            ErrorKind::ParseError => "parse_error",
            ErrorKind::CursorInvalid => "cursor_invalid",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Invalid => "invalid",
        }
    }

    /// The per-file error type recorded on a job.
    pub fn file_error_type(self) -> FileErrorType {
        match self {
            ErrorKind::AccessDenied | ErrorKind::AuthExpired => FileErrorType::AccessDenied,
            ErrorKind::NotFound => FileErrorType::NotFound,
            ErrorKind::RateLimited => FileErrorType::RateLimited,
            ErrorKind::Transient | ErrorKind::Invalid | ErrorKind::CursorInvalid => {
                FileErrorType::Network
            }
            ErrorKind::ParseError => FileErrorType::ParseError,
            ErrorKind::TooLarge => FileErrorType::TooLarge,
            ErrorKind::Unsupported => FileErrorType::UnsupportedType,
        }
    }

    /// Whether the kind is worth retrying by default.
    fn default_retry(self) -> Retry {
        match self {
            ErrorKind::RateLimited | ErrorKind::Transient => Retry::Temporary,
            _ => Retry::Permanent,
        }
    }
}

/// Whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again (after a backoff).
    Temporary,
    /// Trying again will fail the same way.
    Permanent,
    /// It was temporary, but retries ran out.
    Persistent,
}

pub struct ProviderError {
    kind: ErrorKind,
    retry: Retry,
    message: String,
    context: Vec<(&'static str, String)>,
    retry_after: Option<Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub type ProviderResult<T> = Result<T, ProviderError>;

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            retry: kind.default_retry(),
            message: message.into(),
            context: Vec::new(),
            retry_after: None,
            source: None,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn retry(&self) -> Retry {
        self.retry
    }

    pub fn is_temporary(&self) -> bool {
        self.retry == Retry::Temporary
    }

    /// The message, safe to show to the user (no secrets, no bodies).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How long the provider asked us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    pub fn with_context(mut self, key: &'static str, value: impl fmt::Display) -> Self {
        self.context.push((key, value.to_string()));
        self
    }

    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn permanent(mut self) -> Self {
        self.retry = Retry::Permanent;
        self
    }

    /// Marks a temporary error whose retries ran out.
    pub fn persistent(mut self) -> Self {
        if self.retry == Retry::Temporary {
            self.retry = Retry::Persistent;
        }
        self
    }

    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ParseError, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.kind.as_str())?;
        if !self.context.is_empty() {
            f.write_str(" [")?;
            for (i, (key, value)) in self.context.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{key}={value}")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderError")
            .field("kind", &self.kind)
            .field("retry", &self.retry)
            .field("message", &self.message)
            .field("context", &self.context)
            .field("retry_after", &self.retry_after)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl std::error::Error for ProviderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<serde_json::Error> for ProviderError {
    fn from(e: serde_json::Error) -> Self {
        ProviderError::parse(format!("unexpected response: {e}")).with_source(e)
    }
}
