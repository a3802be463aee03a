//! The sync engine end to end with Dropbox against the Dropbox simulator: full
//! sync, incremental `list_folder/continue` sync after edits, renames, moves
//! and deletes, and a revoked sign-in.

mod support;

use app::model::ProviderId;
use cloud_sources::sandbox::Provider as Cloud;
use support::cloud_sync::{cloud_world, sync_follows_the_cloud};

#[tokio::test]
async fn dropbox_sync_follows_edits_renames_moves_deletes_and_a_revoked_sign_in() {
    sync_follows_the_cloud(cloud_world(ProviderId::Dropbox, Cloud::Dropbox).await).await;
}
