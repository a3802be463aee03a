//! OAuth 2.0: the client ([`client`]), the authorization flow ([`flow`]) and
//! the token manager ([`tokens`]).

pub mod client;
pub mod tokens;
