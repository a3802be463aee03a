//! Listing a selected folder with `files/list_folder` (recursive when the
//! selection includes subfolders) and `list_folder/continue`; the page token
//! is Dropbox's own cursor.

use app::model::SourcePath;

use super::core::{DropboxCore, remote_item};
use super::model::{
    DropboxCursorArg, DropboxCursorResult, DropboxEntry, DropboxListFolderArg,
    DropboxListFolderResult,
};
use crate::providers::{ListPage, ProviderResult};

/// Entries per `list_folder` page: the most Dropbox hands out.
pub const LIST_LIMIT: u32 = 2000;

/// The first page of a folder's listing.
pub async fn dropbox_list_folder(
    core: &DropboxCore,
    path: &str,
    recursive: bool,
    include_deleted: bool,
) -> ProviderResult<DropboxListFolderResult> {
    let arg = DropboxListFolderArg { path, recursive, include_deleted, limit: LIST_LIMIT };
    core.dropbox_rpc("files/list_folder", &arg).await
}

/// A cursor for the folder's state now, without entries.
pub async fn dropbox_latest_cursor(
    core: &DropboxCore,
    path: &str,
    recursive: bool,
) -> ProviderResult<DropboxCursorResult> {
    let arg = DropboxListFolderArg { path, recursive, include_deleted: true, limit: LIST_LIMIT };
    core.dropbox_rpc("files/list_folder/get_latest_cursor", &arg).await
}

/// The next page of a listing, or the changes since a cursor.
pub async fn dropbox_continue(
    core: &DropboxCore,
    cursor: &str,
) -> ProviderResult<DropboxListFolderResult> {
    core.dropbox_rpc("files/list_folder/continue", &DropboxCursorArg { cursor }).await
}

/// One page of the files under a selected folder.
pub async fn dropbox_list_page(
    core: &DropboxCore,
    selection: &SourcePath,
    page: Option<&str>,
) -> ProviderResult<ListPage> {
    let listed = match page {
        None => {
            dropbox_list_folder(core, &selection.remote_id, selection.include_subfolders, false)
                .await?
        }
        Some(cursor) => dropbox_continue(core, cursor).await?,
    };
    let items = listed
        .entries
        .iter()
        .filter_map(|entry| match entry {
            DropboxEntry::File(file) => remote_item(file),
            _ => None,
        })
        .collect();
    Ok(ListPage { items, next: listed.has_more.then_some(listed.cursor) })
}
