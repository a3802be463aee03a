//! MongoDB store (in progress).
use super::StoreResult;

pub struct MongoStore;

impl MongoStore {
    pub async fn connect(_uri: &str) -> StoreResult<super::sqlite::SqliteStore> {
        Err(super::StoreError::Unavailable("MongoDB store not built yet".into()))
    }
}
