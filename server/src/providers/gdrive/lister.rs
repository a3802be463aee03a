//! Listing a selected folder: a breadth-first walk, one `files.list` per
//! folder (`'<id>' in parents and trashed = false`, 1000 per page), folders
//! queued (when subfolders are included) and files returned.
//!
//! The page token the engine checkpoints is an opaque encoding of the walk:
//! the folders still to list with their paths, and Drive's `pageToken` inside
//! the folder at the front of the queue. A page does up to
//! [`MAX_REQUESTS_PER_PAGE`] requests and stops early once it holds
//! [`ITEMS_PER_PAGE`] files, so small folders do not cost a checkpoint each.

use std::collections::VecDeque;

use app::model::SourcePath;
use serde::{Deserialize, Serialize};

use super::core::{
    GdriveCore, LIST_FIELDS, PARENT_FIELDS, decode_token, encode_token, join_path, normalize_path,
    q_children, remote_item,
};
use super::model::GdriveFile;
use crate::providers::{ErrorKind, ListPage, ProviderError, ProviderResult};

const MAX_REQUESTS_PER_PAGE: usize = 10;
const ITEMS_PER_PAGE: usize = 500;
const TOKEN_PREFIX: &str = "gl1.";

#[derive(Debug, Serialize, Deserialize)]
struct ListToken {
    /// The selection's remote id and subfolder flag, to refuse a token from
    /// another selection.
    #[serde(rename = "r")]
    root: String,
    #[serde(rename = "s")]
    recursive: bool,
    /// The shared drive of the selection (`None`: My Drive).
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    drive: Option<String>,
    /// Folders still to list: id and path.
    #[serde(rename = "q")]
    queue: VecDeque<(String, String)>,
    /// Drive's page token inside the folder at the front of the queue.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    page: Option<String>,
}

/// A selected folder as it is now: `NotFound` when it is gone or in the
/// trash, `Invalid` when it is not a folder.
pub async fn selected_folder(core: &GdriveCore, remote_id: &str) -> ProviderResult<GdriveFile> {
    let folder = core.gdrive_get(remote_id, PARENT_FIELDS).await?;
    if folder.trashed {
        return Err(ProviderError::not_found("the selected folder is in the Google Drive trash"));
    }
    if !folder.is_folder() {
        return Err(ProviderError::invalid("the selection is a file, not a folder"));
    }
    Ok(folder)
}

/// One page of the files under a selected folder.
pub async fn list_page(
    core: &GdriveCore,
    selection: &SourcePath,
    page: Option<&str>,
) -> ProviderResult<ListPage> {
    let mut token = match page {
        None => {
            let root = selected_folder(core, &selection.remote_id).await?;
            ListToken {
                root: selection.remote_id.clone(),
                recursive: selection.include_subfolders,
                drive: root.drive_id,
                queue: VecDeque::from([(root.id, normalize_path(&selection.path))]),
                page: None,
            }
        }
        Some(text) => decode_token::<ListToken>(TOKEN_PREFIX, text)
            .filter(|t| {
                t.root == selection.remote_id && t.recursive == selection.include_subfolders
            })
            .ok_or_else(|| ProviderError::invalid("the listing page token is not valid"))?,
    };
    let mut items = Vec::new();
    let mut requests = 0;
    while requests < MAX_REQUESTS_PER_PAGE && items.len() < ITEMS_PER_PAGE {
        let Some((folder, path)) = token.queue.front().cloned() else { break };
        requests += 1;
        let q = q_children(&folder, false)?;
        let listed = match core
            .gdrive_list(&q, token.drive.as_deref(), LIST_FIELDS, token.page.as_deref())
            .await
        {
            Ok(listed) => listed,
            // Drive: a rejected page token means listing that folder again
            // from its first page (the engine tolerates seeing files twice).
            Err(e) if e.kind() == ErrorKind::CursorInvalid && token.page.is_some() => {
                tracing::info!(
                    folder,
                    "Drive rejected a listing page token; listing the folder again"
                );
                token.page = None;
                continue;
            }
            // A folder deleted while we walk (the selected one was checked on
            // the first page): nothing left to list there.
            Err(e) if e.kind() == ErrorKind::NotFound => {
                token.queue.pop_front();
                token.page = None;
                continue;
            }
            Err(e) => return Err(e.with_context("folder_id", folder)),
        };
        for file in listed.files {
            if file.id.is_empty() || file.trashed {
                continue;
            }
            if file.is_folder() {
                if token.recursive {
                    let child_path = join_path(&path, &file.name);
                    token.queue.push_back((file.id, child_path));
                }
            } else {
                let file_path = join_path(&path, &file.name);
                items.push(remote_item(&file, file_path));
            }
        }
        match listed.next_page_token.filter(|t| !t.is_empty()) {
            Some(next) => token.page = Some(next),
            None => {
                token.queue.pop_front();
                token.page = None;
            }
        }
    }
    let next =
        if token.queue.is_empty() { None } else { Some(encode_token(TOKEN_PREFIX, &token)?) };
    Ok(ListPage { items, next })
}
