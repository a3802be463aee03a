//! Accounts and API tokens as the UI sees them.

use serde::{Deserialize, Serialize};

use super::{SecretText, Timestamp, TokenId, UserId};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub is_admin: bool,
    pub created_at: Timestamp,
}

/// A personal API token, without the token.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: TokenId,
    pub name: String,
    /// The first characters, so users can tell tokens apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// Returned once, when a token is created.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub info: ApiTokenInfo,
    pub token: SecretText,
}

/// What the sign-in page needs to know before anyone has signed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupState {
    /// At least one account exists (otherwise the page explains how to create the first admin).
    pub has_users: bool,
    /// The server runs in demo mode (the page shows the demo account).
    pub demo: bool,
}
