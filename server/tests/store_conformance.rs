//! One conformance suite, run against both stores: the embedded SQLite store and
//! MongoDB (secantusdb, a real MongoDB-wire server). Every behaviour the engine
//! relies on is pinned down here once.

mod support;

use std::sync::Arc;
use std::time::Duration;

use app::model::*;
use cloud_sources::store::*;
use support::fixtures;

/// A store under test, with whatever keeps it alive.
struct Fixture {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

async fn embedded() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite::SqliteStore::open(&dir.path().join("store.sqlite3")).await.unwrap();
    Fixture { store: Arc::new(store), _dir: Some(dir) }
}

async fn mongodb() -> Fixture {
    let uri = format!(
        "{}{}",
        support::peers::mongodb_uri(),
        support::peers::unique_db_name("conformance")
    );
    let store = mongo::MongoStore::connect(&uri).await.expect("MongoDB store connects");
    Fixture { store: Arc::new(store), _dir: None }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod embedded_store {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { let f = super::embedded().await; super::$name(f.store.clone()).await } )*
        }
        mod mongodb_store {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { let f = super::mongodb().await; super::$name(f.store.clone()).await } )*
        }
    };
}

conformance!(
    users_are_unique_by_name_ignoring_case,
    sessions_expire_and_can_be_deleted,
    api_tokens_are_found_by_hash_and_scoped_to_their_user,
    oauth_state_works_once_and_expires,
    provider_catalogue_keeps_its_order,
    the_vault_key_ring_has_one_active_key,
    connections_are_scoped_to_their_user,
    credential_updates_compare_and_swap,
    rotation_finds_connections_sealed_with_old_keys,
    configurations_are_scoped_and_deleting_one_removes_what_it_owns,
    due_configurations_are_claimed_once_under_concurrent_schedulers,
    enqueue_keeps_at_most_one_active_job_per_configuration,
    concurrent_claims_never_take_a_job_twice,
    heartbeats_extend_leases_and_report_cancellation,
    expired_leases_are_reclaimed_with_their_checkpoint,
    jobs_fail_after_the_maximum_attempts,
    a_released_job_goes_back_to_the_queue_with_its_checkpoint,
    only_the_lease_holder_can_write_a_job,
    cancelling_a_pending_job_ends_it_at_once,
    job_history_pages_newest_first,
    job_errors_files_and_logs_are_bounded,
    sync_state_is_kept_per_scope,
    documents_upsert_idempotently_by_configuration_and_remote_id,
    documents_can_be_moved_deleted_and_paged_for_sweeps,
    document_listing_searches_names_and_paths,
    a_full_listing_sweeps_what_it_did_not_mark,
    deleting_a_document_deletes_its_attachments,
    dashboard_stats_count_only_the_users_own_records,
    dashboard_document_totals_follow_every_change,
    another_user_can_neither_read_nor_change_nor_delete,
);

async fn new_user(store: &Arc<dyn Store>, name: &str) -> UserId {
    let user = fixtures::user(name);
    store.create_user(user.clone()).await.unwrap();
    user.id
}

async fn new_config(store: &Arc<dyn Store>, user: &UserId) -> SyncConfiguration {
    let connection = fixtures::connection(user, ProviderId::GoogleDrive);
    store.insert_connection(connection.clone()).await.unwrap();
    let config = fixtures::config(user, &connection.id);
    store.insert_config(config.clone()).await.unwrap();
    config
}

const LEASE: Duration = Duration::from_secs(30);

fn end(outcome: JobOutcome, progress: &Progress, delta_token: Option<String>) -> JobEnd {
    JobEnd { outcome, progress: progress.clone(), delta_token, message: None }
}

// ----- accounts -----------------------------------------------------------------

async fn users_are_unique_by_name_ignoring_case(store: Arc<dyn Store>) {
    let alice = fixtures::user("Alice");
    store.create_user(alice.clone()).await.unwrap();
    assert!(matches!(
        store.create_user(fixtures::user("alice")).await,
        Err(StoreError::Conflict(_))
    ));
    let found = store.find_user_by_name("ALICE").await.unwrap().expect("found ignoring case");
    assert_eq!(found, alice);
    assert_eq!(store.get_user(&alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(store.count_users().await.unwrap(), 1);
    store.set_password_hash(&alice.id, "$argon2id$new").await.unwrap();
    let found = store.get_user(&alice.id).await.unwrap().unwrap();
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$new"));
    assert!(store.find_user_by_name("bob").await.unwrap().is_none());
}

async fn sessions_expire_and_can_be_deleted(store: Arc<dyn Store>) {
    let user = new_user(&store, "alice").await;
    let now = Timestamp::now();
    let live = SessionRecord {
        id_hash: "h-live".into(),
        user_id: user.clone(),
        created_at: now,
        expires_at: now.plus_secs(3600),
    };
    let old = SessionRecord {
        id_hash: "h-old".into(),
        user_id: user.clone(),
        created_at: now,
        expires_at: now.plus_secs(-1),
    };
    store.create_session(live.clone()).await.unwrap();
    store.create_session(old).await.unwrap();
    assert_eq!(store.find_session("h-live", now).await.unwrap(), Some(live));
    assert_eq!(
        store.find_session("h-old", now).await.unwrap(),
        None,
        "expired sessions are not returned"
    );
    assert_eq!(store.purge_expired(now).await.unwrap(), 1);
    store.delete_session("h-live").await.unwrap();
    assert_eq!(store.find_session("h-live", now).await.unwrap(), None);
}

async fn api_tokens_are_found_by_hash_and_scoped_to_their_user(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let bob = new_user(&store, "bob").await;
    let token = ApiTokenRecord {
        id: TokenId(new_id()),
        user_id: alice.clone(),
        name: "ci".into(),
        prefix: "csk_abcd".into(),
        token_hash: "hash-1".into(),
        created_at: Timestamp::now(),
        last_used_at: None,
    };
    store.create_api_token(token.clone()).await.unwrap();
    let now = Timestamp::now();
    let used = store.use_api_token("hash-1", now).await.unwrap().expect("found by hash");
    assert_eq!(used.user_id, alice);
    assert_eq!(used.last_used_at, Some(now));
    // Used again within the minute: the first use stands (no write per request);
    // a minute later the new use is kept.
    let soon = now.plus_secs(30);
    assert_eq!(store.use_api_token("hash-1", soon).await.unwrap().unwrap().last_used_at, Some(now));
    let later = now.plus_secs(61);
    assert_eq!(
        store.use_api_token("hash-1", later).await.unwrap().unwrap().last_used_at,
        Some(later)
    );
    assert_eq!(store.list_api_tokens(&alice).await.unwrap()[0].last_used_at, Some(later));
    assert!(store.use_api_token("hash-2", now).await.unwrap().is_none());
    assert_eq!(store.list_api_tokens(&alice).await.unwrap().len(), 1);
    assert!(store.list_api_tokens(&bob).await.unwrap().is_empty());
    assert!(matches!(store.delete_api_token(&bob, &token.id).await, Err(StoreError::NotFound)));
    store.delete_api_token(&alice, &token.id).await.unwrap();
    assert!(store.use_api_token("hash-1", now).await.unwrap().is_none());
}

async fn oauth_state_works_once_and_expires(store: Arc<dyn Store>) {
    let user = new_user(&store, "alice").await;
    let now = Timestamp::now();
    let state = |hash: &str, expires_at| OAuthStateRecord {
        state_hash: hash.into(),
        user_id: user.clone(),
        session_hash: "session".into(),
        provider: ProviderId::Dropbox,
        pkce_verifier: fixtures::blob("k1"),
        connection_id: None,
        site_url: None,
        created_at: now,
        expires_at,
    };
    store.put_oauth_state(state("s1", now.plus_secs(600))).await.unwrap();
    store.put_oauth_state(state("s2", now.plus_secs(-1))).await.unwrap();
    let taken = store.take_oauth_state("s1", now).await.unwrap().expect("first use works");
    assert_eq!(taken.provider, ProviderId::Dropbox);
    assert!(store.take_oauth_state("s1", now).await.unwrap().is_none(), "a state works once");
    assert!(
        store.take_oauth_state("s2", now).await.unwrap().is_none(),
        "an expired state never works"
    );
    assert!(store.take_oauth_state("never", now).await.unwrap().is_none());
}

async fn provider_catalogue_keeps_its_order(store: Arc<dyn Store>) {
    let providers: Vec<ProviderInfo> =
        [ProviderId::Jira, ProviderId::GoogleDrive, ProviderId::Email]
            .into_iter()
            .map(|id| ProviderInfo {
                id,
                name: id.display_name().into(),
                description: String::new(),
                auth_types: vec![AuthType::OAuth2],
                capabilities: Capabilities { delta: true, ..Default::default() },
                oauth_configured: false,
                container_label: "Folders".into(),
            })
            .collect();
    store.put_providers(&providers).await.unwrap();
    store.put_providers(&providers).await.unwrap();
    assert_eq!(store.list_providers().await.unwrap(), providers);
}

async fn the_vault_key_ring_has_one_active_key(store: Arc<dyn Store>) {
    let key = |id: &str| VaultKeyRecord {
        id: id.into(),
        wrapped: fixtures::blob("master-1"),
        active: true,
        created_at: Timestamp::now(),
    };
    // Instances starting at once create exactly one first key.
    let first = (0..4).map(|i| {
        let store = store.clone();
        let record = key(&format!("k{i}"));
        tokio::spawn(async move { store.add_vault_key(record, true).await.unwrap() })
    });
    let created =
        futures::future::join_all(first).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(created, 1);
    let keys = store.list_vault_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].active);

    assert!(store.add_vault_key(key("z-rotated"), false).await.unwrap());
    let keys = store.list_vault_keys().await.unwrap();
    let active: Vec<&str> = keys.iter().filter(|k| k.active).map(|k| k.id.as_str()).collect();
    assert_eq!(active, vec!["z-rotated"], "a new active key retires the others");
    assert_eq!(keys.len(), 2);
    store.delete_vault_key(&keys[0].id).await.unwrap();
    assert_eq!(store.list_vault_keys().await.unwrap().len(), 1);
}

// ----- connections ----------------------------------------------------------------

async fn connections_are_scoped_to_their_user(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let bob = new_user(&store, "bob").await;
    let first = fixtures::connection(&alice, ProviderId::GoogleDrive);
    let second = fixtures::connection(&alice, ProviderId::OwnCloud);
    store.insert_connection(first.clone()).await.unwrap();
    store.insert_connection(second.clone()).await.unwrap();
    let listed = store.list_connections(&alice).await.unwrap();
    assert_eq!(listed.iter().map(|c| &c.id).collect::<Vec<_>>(), vec![&first.id, &second.id]);
    assert!(store.list_connections(&bob).await.unwrap().is_empty());
    assert_eq!(store.get_connection(&alice, &first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(store.get_connection(&bob, &first.id).await.unwrap(), None);

    let now = Timestamp::now();
    store
        .set_connection_status(
            &alice,
            &first.id,
            ConnectionStatus::Expired,
            Some("token expired".into()),
            now,
        )
        .await
        .unwrap();
    let expired = store.get_connection(&alice, &first.id).await.unwrap().unwrap();
    assert_eq!(expired.status, ConnectionStatus::Expired);
    assert_eq!(expired.status_message.as_deref(), Some("token expired"));
    store
        .mark_connection_validated(&alice, &first.id, Some("alice@corp".into()), now)
        .await
        .unwrap();
    let validated = store.get_connection(&alice, &first.id).await.unwrap().unwrap();
    assert_eq!(validated.status, ConnectionStatus::Active);
    assert_eq!(validated.last_validated_at, Some(now));
    assert_eq!(validated.account.as_deref(), Some("alice@corp"));
    store.rename_connection(&alice, &first.id, "Work drive", now).await.unwrap();
    assert_eq!(
        store.get_connection(&alice, &first.id).await.unwrap().unwrap().display_name,
        "Work drive"
    );

    store.delete_connection(&alice, &second.id).await.unwrap();
    assert_eq!(store.list_connections(&alice).await.unwrap().len(), 1);
    assert!(matches!(store.delete_connection(&alice, &second.id).await, Err(StoreError::NotFound)));
}

async fn credential_updates_compare_and_swap(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let mut connection = fixtures::connection(&alice, ProviderId::Dropbox);
    connection.status = ConnectionStatus::Expired;
    store.insert_connection(connection.clone()).await.unwrap();
    let metadata = OAuthMetadata {
        access_token_expires_at: Some(Timestamp::now().plus_secs(3600)),
        refresh_token_encrypted: Some(fixtures::blob("k1")),
        scopes: vec!["files.content.read".into()],
    };
    let update = |version| CredentialsUpdate {
        credentials: fixtures::blob("k2"),
        oauth_metadata: Some(metadata.clone()),
        expected_version: version,
        reactivate: true,
    };
    let updated = store
        .update_credentials(&alice, &connection.id, update(0), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(updated.credentials_version, 1);
    assert_eq!(
        updated.status,
        ConnectionStatus::Active,
        "fresh credentials make the connection active again"
    );
    assert_eq!(updated.oauth_metadata, Some(metadata.clone()));
    // A second writer that read version 0 loses.
    assert!(matches!(
        store.update_credentials(&alice, &connection.id, update(0), Timestamp::now()).await,
        Err(StoreError::Conflict(_))
    ));
    let stored = store.get_connection(&alice, &connection.id).await.unwrap().unwrap();
    assert_eq!(stored.credentials.encryption_key_id, "k2");
    assert_eq!(stored.credentials_version, 1);

    // Re-sealing (vault rotation) keeps the status as it is.
    store
        .set_connection_status(
            &alice,
            &connection.id,
            ConnectionStatus::Revoked,
            Some("revoked".into()),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let reseal = CredentialsUpdate { reactivate: false, ..update(1) };
    let resealed =
        store.update_credentials(&alice, &connection.id, reseal, Timestamp::now()).await.unwrap();
    assert_eq!((resealed.status, resealed.credentials_version), (ConnectionStatus::Revoked, 2));
}

async fn rotation_finds_connections_sealed_with_old_keys(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let bob = new_user(&store, "bob").await;
    let mut old = fixtures::connection(&alice, ProviderId::GoogleDrive);
    old.credentials = fixtures::blob("old");
    let mut current = fixtures::connection(&bob, ProviderId::Dropbox);
    current.credentials = fixtures::blob("new");
    let mut old_refresh = fixtures::connection(&bob, ProviderId::OneDrive);
    old_refresh.credentials = fixtures::blob("new");
    old_refresh.oauth_metadata = Some(OAuthMetadata {
        access_token_expires_at: None,
        refresh_token_encrypted: Some(fixtures::blob("old")),
        scopes: vec![],
    });
    for c in [&old, &current, &old_refresh] {
        store.insert_connection(c.clone()).await.unwrap();
    }
    let mut found: Vec<ConnectionId> = store
        .connections_not_sealed_with("new", 100)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    found.sort();
    let mut expected = vec![old.id.clone(), old_refresh.id.clone()];
    expected.sort();
    assert_eq!(found, expected);
}

// ----- configurations and scheduling --------------------------------------------------------

async fn configurations_are_scoped_and_deleting_one_removes_what_it_owns(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let other = new_config(&store, &alice).await;
    assert_eq!(store.list_configs(&alice).await.unwrap().len(), 2);

    let mut edited = config.clone();
    edited.name = "Renamed".into();
    edited.filters.file_types = vec!["pdf".into()];
    edited.stats.total_files = 999; // not user-editable: ignored
    store.update_config(&edited).await.unwrap();
    let stored = store.get_config(&alice, &config.id).await.unwrap().unwrap();
    assert_eq!(stored.name, "Renamed");
    assert_eq!(stored.filters.file_types, vec!["pdf".to_string()]);
    assert_eq!(stored.stats.total_files, 0);

    let stats = ConfigStats { total_files: 3, total_size_bytes: 300, ..Default::default() };
    store.set_config_stats(&alice, &config.id, &stats, Timestamp::now()).await.unwrap();
    store
        .set_config_status(&alice, &config.id, ConfigStatus::Paused, Timestamp::now())
        .await
        .unwrap();
    let stored = store.get_config(&alice, &config.id).await.unwrap().unwrap();
    assert_eq!(stored.stats, stats);
    assert_eq!(stored.status, ConfigStatus::Paused);

    store.upsert_documents(&[fixtures::document(&config, "r1", "/a.txt")]).await.unwrap();
    store.upsert_documents(&[fixtures::document(&other, "r1", "/a.txt")]).await.unwrap();
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    store
        .append_job_log(&job.id, &[(Timestamp::now(), LogLevel::Info, "hello".into())])
        .await
        .unwrap();
    let state =
        SyncStateRecord { scope: "root".into(), cursor: "c1".into(), updated_at: Timestamp::now() };
    store.put_sync_state(&alice, &config.id, &state).await.unwrap();

    store.delete_config(&alice, &config.id).await.unwrap();
    assert!(store.get_config(&alice, &config.id).await.unwrap().is_none());
    assert_eq!(store.document_stats(&alice, &config.id).await.unwrap(), (0, 0));
    assert!(store.get_job(&alice, &job.id).await.unwrap().is_none());
    assert!(store.get_sync_states(&alice, &config.id).await.unwrap().is_empty());
    assert_eq!(
        store.document_stats(&alice, &other.id).await.unwrap(),
        (1, 100),
        "other configurations keep theirs"
    );
    assert!(matches!(store.delete_config(&alice, &config.id).await, Err(StoreError::NotFound)));
}

async fn due_configurations_are_claimed_once_under_concurrent_schedulers(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let now = Timestamp::now();
    let due_at = now.plus_secs(-60);
    let mut due = fixtures::config(&alice, &ConnectionId("c".into()));
    due.schedule = Schedule {
        enabled: true,
        frequency: Some(Frequency::Hourly),
        cron_expression: None,
        next_run_at: Some(due_at),
    };
    let mut later = due.clone();
    later.id = ConfigId(new_id());
    later.schedule.next_run_at = Some(now.plus_secs(3600));
    let mut paused = due.clone();
    paused.id = ConfigId(new_id());
    paused.status = ConfigStatus::Paused;
    let mut disabled = due.clone();
    disabled.id = ConfigId(new_id());
    disabled.schedule.enabled = false;
    for c in [&due, &later, &paused, &disabled] {
        store.insert_config(c.clone()).await.unwrap();
    }
    let found: Vec<ConfigId> =
        store.due_configs(now, 10).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(found, vec![due.id.clone()], "only active, enabled and due configurations");

    let next = now.plus_secs(3600);
    let claims = (0..8).map(|_| {
        let store = store.clone();
        let id = due.id.clone();
        tokio::spawn(async move { store.advance_schedule(&id, due_at, Some(next)).await.unwrap() })
    });
    let won = futures::future::join_all(claims)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(won, 1, "exactly one scheduler claims the run");
    assert!(store.due_configs(now, 10).await.unwrap().is_empty());
    let stored = store.get_config(&alice, &due.id).await.unwrap().unwrap();
    assert_eq!(stored.schedule.next_run_at, Some(next));

    // Pausing and resuming moves a configuration out of and back into the schedule.
    store.set_config_status(&alice, &paused.id, ConfigStatus::Active, now).await.unwrap();
    let found: Vec<ConfigId> =
        store.due_configs(now, 10).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(found, vec![paused.id.clone()]);
    store.set_next_run(&alice, &paused.id, None).await.unwrap();
    assert!(store.due_configs(now, 10).await.unwrap().is_empty());
}

// ----- job queue ------------------------------------------------------------------------

async fn enqueue_keeps_at_most_one_active_job_per_configuration(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let first = fixtures::job(&config, JobType::Full);
    assert_eq!(store.enqueue_job(first.clone()).await.unwrap(), Enqueued::Created(first.clone()));
    let second = fixtures::job(&config, JobType::Manual);
    match store.enqueue_job(second).await.unwrap() {
        Enqueued::AlreadyActive(job) => assert_eq!(job.id, first.id),
        other => panic!("expected the existing job, got {other:?}"),
    }
    // Concurrent enqueues for another configuration create exactly one job.
    let other = new_config(&store, &alice).await;
    let tasks = (0..6).map(|_| {
        let store = store.clone();
        let job = fixtures::job(&other, JobType::Incremental);
        tokio::spawn(async move { store.enqueue_job(job).await.unwrap() })
    });
    let created = futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter(|r| matches!(r.as_ref().unwrap(), Enqueued::Created(_)))
        .count();
    assert_eq!(created, 1);

    // Once the job ends, a new one can be queued.
    let claimed = store.claim_job("w1", LEASE, Timestamp::now()).await.unwrap().unwrap();
    assert_eq!(claimed.job.id, first.id);
    assert!(store.active_job(&alice, &config.id).await.unwrap().is_some());
    store
        .finish_job(
            &first.id,
            "w1",
            end(JobOutcome::Completed, &Progress::default(), Some("cursor-9".into())),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(store.active_job(&alice, &config.id).await.unwrap().is_none());
    let third = fixtures::job(&config, JobType::Incremental);
    assert!(matches!(store.enqueue_job(third).await.unwrap(), Enqueued::Created(_)));
    let done = store.get_job(&alice, &first.id).await.unwrap().unwrap().job;
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.delta_token.as_deref(), Some("cursor-9"));
    assert!(done.completed_at.is_some());
}

async fn concurrent_claims_never_take_a_job_twice(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let config = new_config(&store, &alice).await;
        let job = fixtures::job(&config, JobType::Full);
        ids.push(job.id.clone());
        store.enqueue_job(job).await.unwrap();
    }
    let workers = (0..4).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut claimed = Vec::new();
            while let Some(record) =
                store.claim_job(&format!("w{w}"), LEASE, Timestamp::now()).await.unwrap()
            {
                assert_eq!(record.job.status, JobStatus::Running);
                assert_eq!(record.lease_owner.as_deref(), Some(format!("w{w}").as_str()));
                claimed.push(record.job.id);
            }
            claimed
        })
    });
    let mut claimed: Vec<JobId> =
        futures::future::join_all(workers).await.into_iter().flat_map(|r| r.unwrap()).collect();
    claimed.sort();
    ids.sort();
    assert_eq!(claimed, ids, "every job claimed exactly once");
    let job = store.get_job(&alice, &ids[0]).await.unwrap().unwrap().job;
    assert_eq!(job.attempts, 1);
    assert!(job.started_at.is_some());
}

async fn heartbeats_extend_leases_and_report_cancellation(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    let now = Timestamp::now();
    store.claim_job("w1", Duration::from_secs(5), now).await.unwrap().unwrap();
    assert_eq!(store.heartbeat(&job.id, "w1", LEASE, now).await.unwrap(), Heartbeat::Extended);
    assert_eq!(store.heartbeat(&job.id, "w2", LEASE, now).await.unwrap(), Heartbeat::Lost);
    // The extended lease outlives the original 5 s.
    assert!(store.reap_expired_leases(now.plus_secs(10), 5).await.unwrap().is_empty());

    let cancelled = store.request_cancel(&alice, &job.id, "cancelled by user", now).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Running, "a running job stops at its next heartbeat");
    assert!(cancelled.cancel_requested);
    assert_eq!(
        store.heartbeat(&job.id, "w1", LEASE, now).await.unwrap(),
        Heartbeat::CancelRequested
    );
    assert!(
        store
            .finish_job(&job.id, "w1", end(JobOutcome::Cancelled, &Progress::default(), None), now)
            .await
            .unwrap()
    );
    let ended = store.get_job(&alice, &job.id).await.unwrap().unwrap();
    assert_eq!(ended.job.status, JobStatus::Cancelled);
    assert_eq!(ended.job.message.as_deref(), Some("cancelled by user"));
    assert_eq!(ended.lease_owner, None);
    assert_eq!(store.heartbeat(&job.id, "w1", LEASE, now).await.unwrap(), Heartbeat::Lost);
}

async fn expired_leases_are_reclaimed_with_their_checkpoint(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    let now = Timestamp::now();
    store.claim_job("dead-worker", Duration::from_secs(30), now).await.unwrap().unwrap();
    let checkpoint = serde_json::json!({ "done": ["a", "b"], "page_token": "p2" });
    let progress = Progress { files_processed: 2, ..Default::default() };
    assert!(store.save_checkpoint(&job.id, "dead-worker", &checkpoint, &progress).await.unwrap());

    assert!(
        store.reap_expired_leases(now.plus_secs(29), 5).await.unwrap().is_empty(),
        "lease still valid"
    );
    assert!(
        store.claim_job("w2", LEASE, now).await.unwrap().is_none(),
        "a running job is not claimable"
    );
    let reaped = store.reap_expired_leases(now.plus_secs(31), 5).await.unwrap();
    assert_eq!(reaped.len(), 1);
    assert_eq!(reaped[0].status, JobStatus::Pending);

    let resumed =
        store.claim_job("w2", LEASE, now.plus_secs(32)).await.unwrap().expect("reclaimed");
    assert_eq!(resumed.job.id, job.id);
    assert_eq!(resumed.job.attempts, 2);
    assert_eq!(resumed.checkpoint, Some(checkpoint));
    assert_eq!(resumed.job.progress.files_processed, 2);
    assert!(
        !store.save_progress(&job.id, "dead-worker", &Progress::default()).await.unwrap(),
        "the old worker lost its lease"
    );
}

async fn jobs_fail_after_the_maximum_attempts(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    let mut now = Timestamp::now();
    for attempt in 1..=3 {
        let claimed =
            store.claim_job("w", Duration::from_secs(1), now).await.unwrap().expect("claimable");
        assert_eq!(claimed.job.attempts, attempt);
        now = now.plus_secs(5);
        store.reap_expired_leases(now, 3).await.unwrap();
    }
    let failed = store.get_job(&alice, &job.id).await.unwrap().unwrap().job;
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(failed.message.unwrap().contains("3 attempts"));
    assert!(store.claim_job("w", LEASE, now).await.unwrap().is_none());
    assert!(store.active_job(&alice, &config.id).await.unwrap().is_none());
}

async fn a_released_job_goes_back_to_the_queue_with_its_checkpoint(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    let now = Timestamp::now();
    store.claim_job("w1", LEASE, now).await.unwrap().unwrap();
    let checkpoint = serde_json::json!({ "page": "p3" });
    store.save_checkpoint(&job.id, "w1", &checkpoint, &Progress::default()).await.unwrap();
    assert!(!store.release_job(&job.id, "w2", now).await.unwrap(), "only the holder releases");
    assert!(store.release_job(&job.id, "w1", now).await.unwrap());
    let pending = store.get_job(&alice, &job.id).await.unwrap().unwrap();
    assert_eq!(
        (pending.job.status, pending.job.attempts, pending.lease_owner),
        (JobStatus::Pending, 0, None)
    );
    let again = store.claim_job("w2", LEASE, now).await.unwrap().unwrap();
    assert_eq!(again.job.attempts, 1, "a release does not count as a failed attempt");
    assert_eq!(again.checkpoint, Some(checkpoint));
}

async fn only_the_lease_holder_can_write_a_job(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    let now = Timestamp::now();
    store.claim_job("w1", LEASE, now).await.unwrap().unwrap();
    let progress = Progress {
        phase: SyncPhase::Downloading,
        files_discovered: 10,
        files_processed: 4,
        ..Default::default()
    };
    assert!(store.save_progress(&job.id, "w1", &progress).await.unwrap());
    assert!(!store.save_progress(&job.id, "intruder", &Progress::default()).await.unwrap());
    let error = JobError {
        file_path: "/x.pdf".into(),
        error_type: FileErrorType::ParseError,
        message: "bad xref".into(),
        timestamp: now,
    };
    assert!(
        !store.add_job_errors(&job.id, "intruder", std::slice::from_ref(&error)).await.unwrap()
    );
    assert!(store.add_job_errors(&job.id, "w1", std::slice::from_ref(&error)).await.unwrap());
    assert!(
        !store
            .finish_job(&job.id, "intruder", end(JobOutcome::Failed, &progress, None), now)
            .await
            .unwrap()
    );
    let stored = store.get_job(&alice, &job.id).await.unwrap().unwrap().job;
    assert_eq!(stored.status, JobStatus::Running);
    assert_eq!(stored.progress, progress);
    assert_eq!(stored.errors, vec![error]);
}

async fn cancelling_a_pending_job_ends_it_at_once(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let bob = new_user(&store, "bob").await;
    let config = new_config(&store, &alice).await;
    let job = fixtures::job(&config, JobType::Manual);
    store.enqueue_job(job.clone()).await.unwrap();
    assert!(matches!(
        store.request_cancel(&bob, &job.id, "x", Timestamp::now()).await,
        Err(StoreError::NotFound)
    ));
    let cancelled =
        store.request_cancel(&alice, &job.id, "cancelled by user", Timestamp::now()).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert!(store.claim_job("w", LEASE, Timestamp::now()).await.unwrap().is_none());
    // Cancelling an ended job changes nothing.
    let again = store.request_cancel(&alice, &job.id, "again", Timestamp::now()).await.unwrap();
    assert_eq!(again.message.as_deref(), Some("cancelled by user"));
}

async fn job_history_pages_newest_first(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let mut ids = Vec::new();
    let start = Timestamp::now();
    for i in 0..5 {
        let mut job = fixtures::job(&config, JobType::Incremental);
        job.created_at = start.plus_secs(i);
        ids.push(job.id.clone());
        store.enqueue_job(job.clone()).await.unwrap();
        store.claim_job("w", LEASE, start).await.unwrap().unwrap();
        store
            .finish_job(&job.id, "w", end(JobOutcome::Completed, &Progress::default(), None), start)
            .await
            .unwrap();
    }
    let page = store.list_jobs(&alice, &config.id, 1, 2).await.unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(
        page.items.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        vec![ids[4].clone(), ids[3].clone()]
    );
    let last = store.list_jobs(&alice, &config.id, 3, 2).await.unwrap();
    assert_eq!(last.items.iter().map(|j| j.id.clone()).collect::<Vec<_>>(), vec![ids[0].clone()]);
    assert_eq!(store.recent_jobs(&alice, 3).await.unwrap().len(), 3);
    let changed = store.jobs_changed_since(Some(&alice), start.plus_secs(-1), 100).await.unwrap();
    assert_eq!(changed.len(), 5);
    assert_eq!(
        store.jobs_changed_since(Some(&alice), start.plus_secs(-1), 2).await.unwrap().len(),
        2
    );
    let bob = new_user(&store, "bob").await;
    assert!(
        store.jobs_changed_since(Some(&bob), start.plus_secs(-1), 100).await.unwrap().is_empty()
    );
    assert_eq!(store.jobs_changed_since(None, start.plus_secs(-1), 100).await.unwrap().len(), 5);
    let counts = store.job_counts().await.unwrap();
    assert_eq!(counts, vec![(JobStatus::Completed, 5)]);
}

async fn job_errors_files_and_logs_are_bounded(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    store.claim_job("w", LEASE, Timestamp::now()).await.unwrap().unwrap();
    let now = Timestamp::now();
    let errors: Vec<JobError> = (0..MAX_JOB_ERRORS + 10)
        .map(|i| JobError {
            file_path: format!("/f{i}"),
            error_type: FileErrorType::Network,
            message: "reset".into(),
            timestamp: now,
        })
        .collect();
    store.add_job_errors(&job.id, "w", &errors).await.unwrap();
    let stored = store.get_job(&alice, &job.id).await.unwrap().unwrap().job;
    assert_eq!(stored.errors.len(), MAX_JOB_ERRORS);
    assert_eq!(stored.errors[0].file_path, "/f0");

    let files: Vec<JobFileRecord> = (0..3)
        .map(|i| JobFileRecord {
            job_id: job.id.clone(),
            path: format!("/f{i}"),
            remote_id: format!("r{i}"),
            action: FileAction::Added,
            bytes: 10,
            at: now,
        })
        .collect();
    store.add_job_files(&files).await.unwrap();
    let (listed, total) = store.list_job_files(&alice, &job.id, 2).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(listed.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), vec!["/f0", "/f1"]);

    let lines: Vec<(Timestamp, LogLevel, String)> =
        (0..MAX_JOB_LOG_LINES + 5).map(|i| (now, LogLevel::Info, format!("line {i}"))).collect();
    store.append_job_log(&job.id, &lines[..5]).await.unwrap();
    store.append_job_log(&job.id, &lines[5..]).await.unwrap();
    let log = store.job_log(&alice, &job.id, 0, 10_000).await.unwrap();
    assert_eq!(log.len(), MAX_JOB_LOG_LINES, "only the newest lines are kept");
    assert_eq!(log.last().unwrap().message, format!("line {}", MAX_JOB_LOG_LINES + 4));
    assert_eq!(log.last().unwrap().seq, (MAX_JOB_LOG_LINES + 5) as u64);
    let tail = store.job_log(&alice, &job.id, log.last().unwrap().seq - 2, 10).await.unwrap();
    assert_eq!(tail.len(), 2);
}

async fn sync_state_is_kept_per_scope(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let now = Timestamp::now();
    let drive = SyncStateRecord { scope: "drive:a".into(), cursor: "1".into(), updated_at: now };
    let mailbox = SyncStateRecord {
        scope: "mailbox:INBOX".into(),
        cursor: "{\"uidvalidity\":7}".into(),
        updated_at: now,
    };
    store.put_sync_state(&alice, &config.id, &drive).await.unwrap();
    store.put_sync_state(&alice, &config.id, &mailbox).await.unwrap();
    let moved = SyncStateRecord { cursor: "2".into(), ..drive.clone() };
    store.put_sync_state(&alice, &config.id, &moved).await.unwrap();
    assert_eq!(store.get_sync_states(&alice, &config.id).await.unwrap(), vec![moved, mailbox]);
    store.clear_sync_states(&alice, &config.id).await.unwrap();
    assert!(store.get_sync_states(&alice, &config.id).await.unwrap().is_empty());
}

// ----- documents ---------------------------------------------------------------------------

async fn documents_upsert_idempotently_by_configuration_and_remote_id(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let first = fixtures::document(&config, "r1", "/Engineering/a.txt");
    let counts = store
        .upsert_documents(&[first.clone(), fixtures::document(&config, "r2", "/Engineering/b.txt")])
        .await
        .unwrap();
    assert_eq!(counts, UpsertCounts { inserted: 2, updated: 0 });

    let mut changed = fixtures::document(&config, "r1", "/Engineering/a.txt");
    changed.version = Some("v2".into());
    changed.text = "new text".into();
    let counts = store.upsert_documents(&[changed.clone()]).await.unwrap();
    assert_eq!(counts, UpsertCounts { inserted: 0, updated: 1 });
    assert_eq!(store.document_stats(&alice, &config.id).await.unwrap(), (2, 200));

    let stored = store.get_document(&alice, &first.id).await.unwrap().expect("keeps its first id");
    assert_eq!(stored.text, "new text");
    assert_eq!(stored.version.as_deref(), Some("v2"));

    let items =
        store.indexed_items(&alice, &config.id, &["r1".into(), "missing".into()]).await.unwrap();
    assert_eq!(
        items,
        vec![IndexedItem {
            remote_id: "r1".into(),
            path: "/Engineering/a.txt".into(),
            version: Some("v2".into()),
            content_hash: changed.content_hash.clone(),
            size_bytes: 100,
        }]
    );
}

async fn documents_can_be_moved_deleted_and_paged_for_sweeps(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let docs: Vec<SourceDocument> = (0..5)
        .map(|i| fixtures::document(&config, &format!("r{i}"), &format!("/Eng/100%_done/f{i}.txt")))
        .collect();
    store.upsert_documents(&docs).await.unwrap();
    store
        .upsert_documents(&[fixtures::document(&config, "x", "/Eng/100%Xdone/x.txt")])
        .await
        .unwrap();

    let mut under = store.remote_ids_under(&alice, &config.id, "/Eng/100%_done").await.unwrap();
    under.sort();
    assert_eq!(
        under,
        vec!["r0", "r1", "r2", "r3", "r4"],
        "prefixes match literally, not as patterns"
    );

    store.move_document(&alice, &config.id, "r0", "/Eng/moved/g0.txt", "g0.txt").await.unwrap();
    let moved = store.get_document(&alice, &docs[0].id).await.unwrap().unwrap();
    assert_eq!((moved.path.as_str(), moved.name.as_str()), ("/Eng/moved/g0.txt", "g0.txt"));

    assert_eq!(
        store.delete_documents(&alice, &config.id, &["r1".into(), "nope".into()]).await.unwrap(),
        1
    );
    let first = store.remote_ids_page(&alice, &config.id, None, 2).await.unwrap();
    assert_eq!(first, vec!["r0", "r2"]);
    let second = store.remote_ids_page(&alice, &config.id, Some("r2"), 10).await.unwrap();
    assert_eq!(second, vec!["r3", "r4", "x"]);
}

async fn a_full_listing_sweeps_what_it_did_not_mark(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let other = new_config(&store, &alice).await;
    let docs: Vec<SourceDocument> = ["a", "b", "c", "c#attachment-1"]
        .iter()
        .map(|id| fixtures::document(&config, id, &format!("/{id}")))
        .collect();
    store.upsert_documents(&docs).await.unwrap();
    store.upsert_documents(&[fixtures::document(&other, "a", "/a")]).await.unwrap();
    store.mark_seen(&alice, &config.id, &["a".into()], "listing-1").await.unwrap();
    store.mark_seen(&alice, &config.id, &["c".into()], "listing-1").await.unwrap();
    let mut swept = store.sweep_unmarked(&alice, &config.id, "listing-1").await.unwrap();
    swept.sort();
    assert_eq!(swept, vec!["b"], "marking an item marks its attachments too");
    let mut left = store.remote_ids_page(&alice, &config.id, None, 10).await.unwrap();
    left.sort();
    assert_eq!(left, vec!["a", "c", "c#attachment-1"]);
    assert_eq!(
        store.document_stats(&alice, &other.id).await.unwrap().0,
        1,
        "other configurations are untouched"
    );
    // A new listing sweeps everything the old one marked but it did not.
    store.mark_seen(&alice, &config.id, &["a".into()], "listing-2").await.unwrap();
    let mut swept = store.sweep_unmarked(&alice, &config.id, "listing-2").await.unwrap();
    swept.sort();
    assert_eq!(swept, vec!["c", "c#attachment-1"]);
    let mallory = new_user(&store, "mallory").await;
    assert!(store.sweep_unmarked(&mallory, &config.id, "x").await.unwrap().is_empty());
    assert_eq!(store.document_stats(&alice, &config.id).await.unwrap().0, 1);
}

async fn deleting_a_document_deletes_its_attachments(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let ids = ["m1", "m1#attachment-1", "m1#attachment-2", "m10", "m1x"];
    let docs: Vec<SourceDocument> =
        ids.iter().map(|id| fixtures::document(&config, id, &format!("/{id}"))).collect();
    store.upsert_documents(&docs).await.unwrap();
    assert_eq!(store.delete_documents(&alice, &config.id, &["m1".into()]).await.unwrap(), 3);
    let mut left = store.remote_ids_page(&alice, &config.id, None, 10).await.unwrap();
    left.sort();
    assert_eq!(left, vec!["m10", "m1x"]);
}

async fn document_listing_searches_names_and_paths(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let config = new_config(&store, &alice).await;
    let other = new_config(&store, &alice).await;
    store
        .upsert_documents(&[
            fixtures::document(&config, "1", "/Reports/Q1 Budget.pdf"),
            fixtures::document(&config, "2", "/Reports/notes.md"),
            fixtures::document(&other, "3", "/budget/plan.txt"),
        ])
        .await
        .unwrap();
    let query = |config_id: Option<ConfigId>, search: Option<&str>| DocumentQuery {
        config_id,
        search: search.map(str::to_string),
        page: 1,
        per_page: 10,
    };
    let all = store.list_documents(&alice, &query(None, None)).await.unwrap();
    assert_eq!(all.total, 3);
    let budget = store.list_documents(&alice, &query(None, Some("BUDGET"))).await.unwrap();
    assert_eq!(
        budget.items.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        vec!["Q1 Budget.pdf", "plan.txt"],
        "ordered by path"
    );
    let scoped = store
        .list_documents(&alice, &query(Some(config.id.clone()), Some("budget")))
        .await
        .unwrap();
    assert_eq!(scoped.total, 1);
    assert_eq!(scoped.items[0].chunk_count, 1);
    let page = store
        .list_documents(&alice, &DocumentQuery { page: 2, per_page: 2, ..Default::default() })
        .await
        .unwrap();
    assert_eq!((page.total, page.items.len()), (3, 1));
}

async fn dashboard_stats_count_only_the_users_own_records(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let bob = new_user(&store, "bob").await;
    let mut config = new_config(&store, &alice).await;
    let next = Timestamp::now().plus_secs(600);
    config.schedule = Schedule {
        enabled: true,
        frequency: Some(Frequency::Daily),
        cron_expression: None,
        next_run_at: Some(next),
    };
    store.update_config(&config).await.unwrap();
    store
        .upsert_documents(&[
            fixtures::document(&config, "1", "/a"),
            fixtures::document(&config, "2", "/b"),
        ])
        .await
        .unwrap();
    store.enqueue_job(fixtures::job(&config, JobType::Full)).await.unwrap();
    let bobs = new_config(&store, &bob).await;
    store.upsert_documents(&[fixtures::document(&bobs, "1", "/a")]).await.unwrap();

    let stats = store.dashboard_stats(&alice).await.unwrap();
    assert_eq!(
        stats,
        DashboardStats {
            total_connections: 1,
            active_syncs: 1,
            total_files_indexed: 2,
            total_size_bytes: 200,
            next_scheduled_sync: Some(next),
        }
    );
}

async fn dashboard_document_totals_follow_every_change(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let bob = new_user(&store, "bob").await;
    let config = new_config(&store, &alice).await;
    let bobs = new_config(&store, &bob).await;
    store.upsert_documents(&[fixtures::document(&bobs, "1", "/a")]).await.unwrap();
    let totals = |user: UserId| {
        let store = store.clone();
        async move {
            let stats = store.dashboard_stats(&user).await.unwrap();
            (stats.total_files_indexed, stats.total_size_bytes)
        }
    };
    assert_eq!(totals(alice.clone()).await, (0, 0), "no documents yet");

    let mut first = fixtures::document(&config, "1", "/a");
    store.upsert_documents(&[first.clone(), fixtures::document(&config, "2", "/b")]).await.unwrap();
    assert_eq!(totals(alice.clone()).await, (2, 200));
    // The same file again, grown: one document, its new size.
    first.size_bytes = 250;
    store.upsert_documents(&[first]).await.unwrap();
    assert_eq!(totals(alice.clone()).await, (2, 350));
    assert_eq!(store.document_stats(&alice, &config.id).await.unwrap(), (2, 350));
    assert_eq!(store.document_stats(&bob, &config.id).await.unwrap(), (0, 0), "not bob's");
    store.move_document(&alice, &config.id, "2", "/c", "c").await.unwrap();
    assert_eq!(totals(alice.clone()).await, (2, 350), "a rename changes no total");
    store.delete_documents(&alice, &config.id, &["1".to_string()]).await.unwrap();
    assert_eq!(totals(alice.clone()).await, (1, 100));
    store.delete_config(&alice, &config.id).await.unwrap();
    assert_eq!(totals(alice.clone()).await, (0, 0), "the configuration's documents went with it");
    assert_eq!(store.document_stats(&alice, &config.id).await.unwrap(), (0, 0));
    assert_eq!(totals(bob).await, (1, 100), "another user's documents are not counted");
}

async fn another_user_can_neither_read_nor_change_nor_delete(store: Arc<dyn Store>) {
    let alice = new_user(&store, "alice").await;
    let mallory = new_user(&store, "mallory").await;
    let config = new_config(&store, &alice).await;
    let connection = store.list_connections(&alice).await.unwrap().remove(0);
    let doc = fixtures::document(&config, "r1", "/secret.txt");
    store.upsert_documents(std::slice::from_ref(&doc)).await.unwrap();
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();
    let now = Timestamp::now();

    // Reads answer nothing.
    assert!(store.get_connection(&mallory, &connection.id).await.unwrap().is_none());
    assert!(store.get_config(&mallory, &config.id).await.unwrap().is_none());
    assert!(store.get_job(&mallory, &job.id).await.unwrap().is_none());
    assert!(store.get_document(&mallory, &doc.id).await.unwrap().is_none());
    assert!(store.active_job(&mallory, &config.id).await.unwrap().is_none());
    assert_eq!(store.list_jobs(&mallory, &config.id, 1, 10).await.unwrap().total, 0);
    assert!(store.indexed_items(&mallory, &config.id, &["r1".into()]).await.unwrap().is_empty());
    assert!(store.remote_ids_page(&mallory, &config.id, None, 10).await.unwrap().is_empty());
    assert_eq!(store.document_stats(&mallory, &config.id).await.unwrap(), (0, 0));
    assert_eq!(store.list_documents(&mallory, &DocumentQuery::default()).await.unwrap().total, 0);
    assert!(matches!(store.job_log(&mallory, &job.id, 0, 10).await, Err(StoreError::NotFound)));
    assert!(matches!(store.list_job_files(&mallory, &job.id, 10).await, Err(StoreError::NotFound)));

    // Writes fail with NotFound (or do nothing) and change nothing.
    let not_found = |r: StoreResult<()>| assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    not_found(
        store
            .set_connection_status(&mallory, &connection.id, ConnectionStatus::Revoked, None, now)
            .await,
    );
    not_found(store.rename_connection(&mallory, &connection.id, "mine", now).await);
    not_found(store.mark_connection_validated(&mallory, &connection.id, None, now).await);
    not_found(store.delete_connection(&mallory, &connection.id).await);
    let update = CredentialsUpdate {
        credentials: fixtures::blob("evil"),
        oauth_metadata: None,
        expected_version: 0,
        reactivate: true,
    };
    assert!(matches!(
        store.update_credentials(&mallory, &connection.id, update, now).await,
        Err(StoreError::NotFound)
    ));
    let mut hijacked = config.clone();
    hijacked.user_id = mallory.clone();
    hijacked.name = "hijacked".into();
    not_found(store.update_config(&hijacked).await);
    not_found(store.set_config_status(&mallory, &config.id, ConfigStatus::Paused, now).await);
    not_found(store.set_config_stats(&mallory, &config.id, &ConfigStats::default(), now).await);
    not_found(store.set_next_run(&mallory, &config.id, Some(now)).await);
    not_found(store.delete_config(&mallory, &config.id).await);
    not_found(store.move_document(&mallory, &config.id, "r1", "/x", "x").await);
    assert!(matches!(
        store.request_cancel(&mallory, &job.id, "x", now).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.delete_documents(&mallory, &config.id, &["r1".into()]).await.unwrap(), 0);
    let state = SyncStateRecord { scope: "root".into(), cursor: "evil".into(), updated_at: now };
    store
        .put_sync_state(
            &alice,
            &config.id,
            &SyncStateRecord { cursor: "good".into(), ..state.clone() },
        )
        .await
        .unwrap();
    let _ = store.put_sync_state(&mallory, &config.id, &state).await;
    store.clear_sync_states(&mallory, &config.id).await.unwrap();

    // Alice's records are untouched.
    let still = store.get_connection(&alice, &connection.id).await.unwrap().unwrap();
    assert_eq!(still, connection);
    let config_now = store.get_config(&alice, &config.id).await.unwrap().unwrap();
    assert_eq!(config_now.name, config.name);
    assert_eq!(config_now.status, ConfigStatus::Active);
    assert_eq!(store.get_document(&alice, &doc.id).await.unwrap().unwrap().path, "/secret.txt");
    assert_eq!(
        store.get_job(&alice, &job.id).await.unwrap().unwrap().job.status,
        JobStatus::Pending
    );
    let states = store.get_sync_states(&alice, &config.id).await.unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].cursor, "good");
}
