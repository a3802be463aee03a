//! Typed identifiers. Ids are opaque strings on the wire (`"6743…"`); the types
//! keep a connection id from being passed where a job id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_string())
            }
        }
    };
}

id_type!(
    /// A local account.
    UserId
);
id_type!(
    /// A user's connection to one provider account (`user_connections`).
    ConnectionId
);
id_type!(
    /// A sync configuration (`sync_configurations`).
    ConfigId
);
id_type!(
    /// A sync job (`sync_jobs`).
    JobId
);
id_type!(
    /// An indexed document (`source_documents`).
    DocumentId
);
id_type!(
    /// A personal API token (its id, never the token itself).
    TokenId
);
