//! Listing a selected folder by walking `children`, page by page.
//!
//! The page token carries the folders still to list and, while a folder's
//! children span several pages, that folder's `@odata.nextLink`, so a job
//! that crashed resumes at its last page.

use std::collections::VecDeque;

use app::model::SourcePath;
use serde::{Deserialize, Serialize};

use super::core::{GraphCore, ItemRef, join_path, normalize_path, remote_item};
use super::model::{GraphItem, GraphPage};
use crate::providers::tokens::{decode_plain, encode_plain};
use crate::providers::{ErrorKind, ListPage, ProviderError, ProviderResult};

/// A listing page makes at most this many requests...
const LIST_REQUESTS_PER_PAGE: usize = 4;
/// ...and stops early once it has this many files.
const LIST_ITEMS_PER_PAGE: usize = 1000;

#[derive(Debug, Serialize, Deserialize)]
struct GraphListToken {
    /// The selected folder's remote id, to refuse a token from another selection.
    #[serde(rename = "s")]
    selection: String,
    /// Folders still to list: item id and path.
    #[serde(rename = "q")]
    queue: VecDeque<(String, String)>,
    /// The folder being paged: item id, path and its next page.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    next: Option<(String, String, String)>,
}

/// One page of the files under a selected folder.
pub async fn graph_list_page(
    core: &GraphCore,
    selection: &SourcePath,
    page: Option<&str>,
) -> ProviderResult<ListPage> {
    let root = ItemRef::parse(&selection.remote_id).ok_or_else(|| {
        ProviderError::invalid(format!(
            "{:?} is not a OneDrive or SharePoint folder",
            selection.path
        ))
    })?;
    let mut token = match page {
        None => GraphListToken {
            selection: selection.remote_id.clone(),
            queue: VecDeque::from([(root.item.clone(), normalize_path(&selection.path))]),
            next: None,
        },
        Some(page) => decode_plain::<GraphListToken>(page)
            .filter(|t| t.selection == selection.remote_id)
            .ok_or_else(|| ProviderError::invalid("the listing page token is not valid"))?,
    };
    let mut items = Vec::new();
    let mut requests = 0;
    while requests < LIST_REQUESTS_PER_PAGE && items.len() < LIST_ITEMS_PER_PAGE {
        let (folder, path, answer) = if let Some((folder, path, link)) = token.next.take() {
            (folder, path, core.graph_follow::<GraphPage<GraphItem>>(&link).await)
        } else if let Some((folder, path)) = token.queue.pop_front() {
            let answer = core.graph_children(&ItemRef::new(&root.drive, &folder)).await;
            (folder, path, answer)
        } else {
            break;
        };
        requests += 1;
        let listed = match answer {
            Ok(listed) => listed,
            // A subfolder deleted while we walk: nothing left to list there.
            Err(e) if e.kind() == ErrorKind::NotFound && folder != root.item => continue,
            Err(e) => return Err(e),
        };
        for child in &listed.value {
            if child.is_deleted() {
                continue;
            }
            let (Some(id), Some(name)) = (&child.id, &child.name) else { continue };
            if child.is_folder() {
                if selection.include_subfolders {
                    token.queue.push_back((id.clone(), join_path(&path, name)));
                }
            } else if let Some(item) = remote_item(&root.drive, child, join_path(&path, name)) {
                items.push(item);
            }
        }
        if let Some(link) = listed.next_link {
            token.next = Some((folder, path, link));
        }
    }
    let more = !token.queue.is_empty() || token.next.is_some();
    Ok(ListPage { items, next: more.then(|| encode_plain(&token)) })
}
