//! Indexed documents (`source_documents`), the store RecallHub's RAG profiles read.

use serde::{Deserialize, Serialize};

use super::{ConfigId, ConnectionId, DocumentId, JobId, ProviderId, Timestamp, UserId};

/// One chunk of a document's text, sized for embedding.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub index: u32,
    pub text: String,
    /// Offset of the chunk's first character in `text` (in characters).
    pub char_start: u64,
}

/// A document as stored: the metadata a RAG profile needs, the text and its chunks.
/// Unique per (`config_id`, `remote_id`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDocument {
    pub id: DocumentId,
    pub user_id: UserId,
    pub profile_key: String,
    pub config_id: ConfigId,
    pub connection_id: ConnectionId,
    pub provider: ProviderId,
    /// The provider's stable id of the item (file id, page id, `mailbox/uidvalidity/uid`).
    pub remote_id: String,
    pub path: String,
    pub name: String,
    pub mime_type: String,
    pub size_bytes: u64,
    pub modified_at: Option<Timestamp>,
    /// The provider's version marker: revision id, ETag, `content_hash`, cTag, modseq.
    pub version: Option<String>,
    /// SHA-256 of the downloaded bytes, hex.
    pub content_hash: String,
    /// A link back to the item in the provider's UI, when there is one.
    pub web_url: Option<String>,
    /// Provider-specific metadata worth keeping (Message-ID, issue key, space key…).
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub text: String,
    pub chunks: Vec<Chunk>,
    pub indexed_at: Timestamp,
    /// The job that last wrote this document.
    pub job_id: Option<JobId>,
}

/// A document in lists: no text, no chunks.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    pub id: DocumentId,
    pub config_id: ConfigId,
    pub provider: ProviderId,
    pub remote_id: String,
    pub path: String,
    pub name: String,
    pub mime_type: String,
    pub size_bytes: u64,
    pub modified_at: Option<Timestamp>,
    pub indexed_at: Timestamp,
    pub chunk_count: u32,
    pub web_url: Option<String>,
}

impl From<&SourceDocument> for DocumentSummary {
    fn from(doc: &SourceDocument) -> Self {
        Self {
            id: doc.id.clone(),
            config_id: doc.config_id.clone(),
            provider: doc.provider,
            remote_id: doc.remote_id.clone(),
            path: doc.path.clone(),
            name: doc.name.clone(),
            mime_type: doc.mime_type.clone(),
            size_bytes: doc.size_bytes,
            modified_at: doc.modified_at,
            indexed_at: doc.indexed_at,
            chunk_count: doc.chunks.len() as u32,
            web_url: doc.web_url.clone(),
        }
    }
}

/// Document list query.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentQuery {
    pub config_id: Option<ConfigId>,
    /// Case-insensitive substring of the name or path.
    pub search: Option<String>,
    #[serde(default)]
    pub page: u32,
    #[serde(default)]
    pub per_page: u32,
}
