//! Accounts and sign-in: password hashing, sessions, personal API tokens,
//! login rate limits, and the middleware that turns a request into a
//! [`Caller`] and enforces same-origin rules.

pub mod limiter;
pub mod middleware;
pub mod password;
pub mod tokens;

pub use app::port::Caller;
