//! The vault as the running service uses it: credentials tampered with,
//! truncated, or moved to another connection or another user's connection (the
//! AES-GCM associated data binds each blob to its record) are refused with a
//! message that says to reconnect; and key rotation while syncs and reads run
//! loses nothing.

mod support;

use std::time::Duration;

use app::error::AppError;
use app::model::*;
use app::port::ServicePort;
use base64::Engine;
use cloud_sources::sandbox::Provider as Cloud;
use cloud_sources::store::{CredentialsUpdate, EncryptedBlob};
use support::cloud_sync::cloud_world;
use support::sync::{caller, run_and_wait};

const UNREADABLE: &str = "cannot be read; reconnect this source";

#[tokio::test]
async fn moved_tampered_and_truncated_credentials_are_refused_clearly() {
    let world = cloud_world(ProviderId::GoogleDrive, Cloud::Google).await;
    let service = &world.app.service;
    let store = &service.store;
    let alice = caller(service, "alice").await;
    let bob = caller(service, "bob").await;
    let (source, _) = world.configure(&alice).await;
    let (same_user, _) = world.configure(&alice).await;
    let (tampered, _) = world.configure(&alice).await;
    let (truncated, _) = world.configure(&alice).await;
    let (other_user, _) = world.configure(&bob).await;
    let blob =
        store.get_connection(alice.user_id(), &source.id).await.unwrap().unwrap().credentials;

    let replace = |owner: UserId, id: ConnectionId, credentials: EncryptedBlob| {
        let store = store.clone();
        async move {
            let record = store.get_connection(&owner, &id).await.unwrap().unwrap();
            let update = CredentialsUpdate {
                credentials,
                oauth_metadata: record.oauth_metadata.clone(),
                expected_version: record.credentials_version,
                reactivate: false,
            };
            store.update_credentials(&owner, &id, update, Timestamp::now()).await.unwrap();
        }
    };
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut bytes = base64.decode(&blob.encrypted_data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let flipped = EncryptedBlob { encrypted_data: base64.encode(&bytes), ..blob.clone() };
    let short = EncryptedBlob { encrypted_data: base64.encode(&bytes[..20]), ..blob.clone() };
    replace(alice.user_id().clone(), same_user.id.clone(), blob.clone()).await;
    replace(alice.user_id().clone(), tampered.id.clone(), flipped).await;
    replace(alice.user_id().clone(), truncated.id.clone(), short).await;
    replace(bob.user_id().clone(), other_user.id.clone(), blob.clone()).await;

    for (who, connection) in
        [(&alice, &same_user), (&alice, &tampered), (&alice, &truncated), (&bob, &other_user)]
    {
        let test = ServicePort::test_connection(&**service, who, &connection.id).await.unwrap();
        assert!(!test.ok, "{test:?}");
        assert!(test.message.contains(UNREADABLE), "{}: {}", connection.id, test.message);
        let browse = ServicePort::browse(&**service, who, &connection.id, None).await;
        assert!(
            matches!(&browse, Err(AppError::Conflict(m)) if m.contains(UNREADABLE)),
            "{browse:?}"
        );
        // The connection says what is wrong and is flagged.
        let shown = ServicePort::get_connection(&**service, who, &connection.id).await.unwrap();
        assert_eq!(shown.status, ConnectionStatus::Error, "{shown:?}");
    }
    // The original is untouched and still works.
    let test = ServicePort::test_connection(&**service, &alice, &source.id).await.unwrap();
    assert!(test.ok, "{test:?}");
}

#[tokio::test]
async fn rotating_the_key_while_syncs_and_reads_run_loses_nothing() {
    let world = cloud_world(ProviderId::GoogleDrive, Cloud::Google).await;
    let service = world.app.service.clone();
    let alice = caller(&service, "alice").await;
    let (connection, config) = world.configure(&alice).await;

    let syncs = {
        let (service, alice, config) = (service.clone(), alice.clone(), config.id.clone());
        tokio::spawn(async move {
            let mut jobs = Vec::new();
            for full in [true, false, true, false] {
                jobs.push(run_and_wait(&service, &alice, &config, full).await);
            }
            jobs
        })
    };
    let reads = {
        let (service, alice, id) = (service.clone(), alice.clone(), connection.id.clone());
        tokio::spawn(async move {
            let mut failures = Vec::new();
            for _ in 0..40 {
                match ServicePort::browse(&*service, &alice, &id, None).await {
                    Ok(listing) if !listing.entries.is_empty() => {}
                    other => failures.push(format!("{other:?}")),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            failures
        })
    };
    let mut keys = Vec::new();
    for _ in 0..5 {
        let report = service.rotate_vault().await.expect("rotation");
        keys.push(report.active_key);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let jobs = syncs.await.unwrap();
    let failures = reads.await.unwrap();
    assert!(failures.is_empty(), "reads failed during rotation: {failures:#?}");
    for job in &jobs {
        assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    }
    keys.dedup();
    assert_eq!(keys.len(), 5, "each rotation makes a new key");

    // Everything ends sealed under the last key, and at most the previous one is kept.
    let record =
        service.store.get_connection(alice.user_id(), &connection.id).await.unwrap().unwrap();
    assert_eq!(&record.credentials.encryption_key_id, keys.last().unwrap());
    assert!(service.store.list_vault_keys().await.unwrap().len() <= 2);
    let test = ServicePort::test_connection(&*service, &alice, &connection.id).await.unwrap();
    assert!(test.ok, "{test:?}");
    assert_eq!(
        ServicePort::get_connection(&*service, &alice, &connection.id).await.unwrap().status,
        ConnectionStatus::Active
    );
}
