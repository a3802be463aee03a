//! What only the MongoDB store has: documents shaped as in the client design,
//! native BSON dates (TTL indexes depend on them), the indexes made at connect,
//! the schema version check and the mapping of driver errors. The behaviour both
//! stores share is in `store_conformance.rs`.

mod support;

use app::model::*;
use cloud_sources::store::*;
use mongodb::bson::{Bson, Document, doc};
use secrecy::SecretString;
use support::fixtures;

/// A store on a fresh database, and a plain driver handle on the same database
/// to look at what it wrote.
async fn store_and_raw() -> (mongo::MongoStore, mongodb::Database) {
    let name = support::peers::unique_db_name("mongo_store");
    let uri = format!("{}{}", support::peers::mongodb_uri(), name);
    let store = mongo::MongoStore::connect(&uri).await.expect("MongoDB store connects");
    (store, raw_database(&name).await)
}

async fn raw_database(name: &str) -> mongodb::Database {
    let client = mongodb::Client::with_uri_str(support::peers::mongodb_uri()).await.unwrap();
    client.database(name)
}

async fn raw_one(db: &mongodb::Database, collection: &str, filter: Document) -> Document {
    db.collection::<Document>(collection)
        .find_one(filter)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a document in {collection}"))
}

/// Whether the server holds a BSON date at `path` of the record `id`.
async fn is_date(db: &mongodb::Database, collection: &str, id: &str, path: &str) -> bool {
    let filter = doc! { "_id": id, path: { "$type": "date" } };
    db.collection::<Document>(collection).count_documents(filter).await.unwrap() == 1
}

/// The indexes of one collection, each as {name, key, unique, ttl, partial}.
async fn indexes(db: &mongodb::Database, collection: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    let cursor = db.collection::<Document>(collection).list_indexes().await.unwrap();
    let models: Vec<mongodb::IndexModel> = cursor.try_collect().await.unwrap();
    models
        .into_iter()
        .map(|m| {
            let options = m.options.unwrap_or_default();
            doc! {
                "name": options.name.unwrap_or_default(),
                "key": m.keys,
                "unique": options.unique.unwrap_or(false),
                "ttl": options.expire_after.map(|d| d.as_secs() as i64),
                "partial": options.partial_filter_expression,
            }
        })
        .collect()
}

fn index_named<'a>(all: &'a [Document], name: &str) -> &'a Document {
    all.iter()
        .find(|i| i.get_str("name") == Ok(name))
        .unwrap_or_else(|| panic!("index {name} in {all:?}"))
}

#[tokio::test]
async fn expiry_dates_are_stored_as_bson_dates_so_ttl_indexes_can_remove_them() {
    let (store, raw) = store_and_raw().await;
    let user = fixtures::user("alice");
    store.create_user(user.clone()).await.unwrap();
    let now = Timestamp::now();
    store
        .create_session(SessionRecord {
            id_hash: "h1".into(),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now.plus_secs(3600),
        })
        .await
        .unwrap();
    store
        .put_oauth_state(OAuthStateRecord {
            state_hash: "s1".into(),
            user_id: user.id.clone(),
            session_hash: "h1".into(),
            provider: ProviderId::GoogleDrive,
            pkce_verifier: fixtures::blob("k1"),
            connection_id: None,
            site_url: None,
            created_at: now,
            expires_at: now.plus_secs(600),
        })
        .await
        .unwrap();

    // Asked of the server: the driver reads a {"$date": …} sub-document back as a
    // date too, so only the server can tell a real date from a look-alike.
    assert!(is_date(&raw, "sessions", "h1", "expires_at").await);
    assert!(is_date(&raw, "sessions", "h1", "created_at").await);
    assert!(is_date(&raw, "oauth_states", "s1", "expires_at").await);
    let session = raw_one(&raw, "sessions", doc! { "_id": "h1" }).await;
    assert_eq!(
        session.get("expires_at"),
        Some(&Bson::DateTime(mongodb::bson::DateTime::from_millis(now.plus_secs(3600).millis())))
    );

    for collection in ["sessions", "oauth_states"] {
        let all = indexes(&raw, collection).await;
        let ttl = index_named(&all, "expires_ttl");
        assert_eq!(ttl.get_document("key").unwrap(), &doc! { "expires_at": 1 });
        assert_eq!(ttl.get("ttl"), Some(&Bson::Int64(0)), "{collection}: {ttl:?}");
    }
    // The date type is what makes the server's own date comparisons work.
    let live = raw
        .collection::<Document>("sessions")
        .count_documents(doc! { "expires_at": { "$gt": mongodb::bson::DateTime::now() } })
        .await
        .unwrap();
    assert_eq!(live, 1);
}

#[tokio::test]
async fn documents_have_the_client_design_shape() {
    let (store, raw) = store_and_raw().await;
    let user = fixtures::user("alice");
    store.create_user(user.clone()).await.unwrap();
    let mut connection = fixtures::connection(&user.id, ProviderId::Dropbox);
    connection.oauth_metadata = Some(OAuthMetadata {
        access_token_expires_at: Some(Timestamp::now().plus_secs(3600)),
        refresh_token_encrypted: Some(fixtures::blob("k1")),
        scopes: vec!["files.content.read".into()],
    });
    store.insert_connection(connection.clone()).await.unwrap();
    let mut config = fixtures::config(&user.id, &connection.id);
    config.schedule.enabled = true;
    config.schedule.next_run_at = Some(Timestamp::now().plus_secs(60));
    store.insert_config(config.clone()).await.unwrap();
    let job = fixtures::job(&config, JobType::Full);
    store.enqueue_job(job.clone()).await.unwrap();

    let stored = raw_one(&raw, "user_connections", doc! { "_id": connection.id.as_str() }).await;
    assert_eq!(stored.get_str("user_id"), Ok(user.id.as_str()));
    assert_eq!(stored.get_str("provider"), Ok("dropbox"));
    assert_eq!(stored.get_str("auth_type"), Ok("oauth2"));
    assert_eq!(stored.get_str("status"), Ok("active"));
    let credentials = stored.get_document("credentials").unwrap();
    assert_eq!(credentials.get_str("encryption_key_id"), Ok("k1"));
    assert!(credentials.get_str("encrypted_data").is_ok());
    let oauth = stored.get_document("oauth_metadata").unwrap();
    assert!(oauth.get_document("refresh_token_encrypted").is_ok());
    assert_eq!(oauth.get_array("scopes").unwrap().len(), 1);
    let id = connection.id.as_str();
    for date in ["created_at", "updated_at", "oauth_metadata.access_token_expires_at"] {
        assert!(is_date(&raw, "user_connections", id, date).await, "{date}: {stored:?}");
    }
    assert_eq!(stored.get("last_validated_at"), Some(&Bson::Null));
    assert!(!stored.contains_key("id"), "the id is the string _id");

    let stored = raw_one(&raw, "sync_configurations", doc! { "_id": config.id.as_str() }).await;
    assert!(is_date(&raw, "sync_configurations", config.id.as_str(), "schedule.next_run_at").await);
    assert!(stored.get_array("source_paths").is_ok());
    assert_eq!(stored.get_str("connection_id"), Ok(connection.id.as_str()));

    let stored = raw_one(&raw, "sync_jobs", doc! { "_id": job.id.as_str() }).await;
    assert_eq!(stored.get_str("type"), Ok("full"));
    assert_eq!(stored.get_str("status"), Ok("pending"));
    assert_eq!(stored.get_str("active_config"), Ok(config.id.as_str()));
    assert!(stored.get_document("progress").is_ok());
    assert!(is_date(&raw, "sync_jobs", job.id.as_str(), "created_at").await);
}

#[tokio::test]
async fn indexes_are_created_at_connect_and_connecting_again_is_harmless() {
    let (store, raw) = store_and_raw().await;
    drop(store);
    // A second instance (or a restart) on the same database.
    let uri = format!("{}{}", support::peers::mongodb_uri(), raw.name());
    mongo::MongoStore::connect(&uri).await.expect("connecting again succeeds");

    let jobs = indexes(&raw, "sync_jobs").await;
    let one_active = index_named(&jobs, "one_active_per_config");
    assert_eq!(one_active.get_bool("unique"), Ok(true));
    assert_eq!(
        one_active.get_document("partial").unwrap(),
        &doc! { "active_config": { "$exists": true } }
    );
    assert_eq!(
        index_named(&jobs, "claim").get_document("key").unwrap(),
        &doc! { "status": 1, "created_at": 1, "_id": 1 }
    );

    let unique = |all: Vec<Document>, name: &str, key: Document| {
        let index = index_named(&all, name).clone();
        assert_eq!(index.get_document("key").unwrap(), &key, "{name}");
        assert_eq!(index.get_bool("unique"), Ok(true), "{name}");
    };
    unique(
        indexes(&raw, "source_documents").await,
        "config_remote_id",
        doc! { "config_id": 1, "remote_id": 1 },
    );
    unique(indexes(&raw, "users").await, "username_unique", doc! { "username_lower": 1 });
    unique(indexes(&raw, "api_tokens").await, "token_hash_unique", doc! { "token_hash": 1 });
    unique(indexes(&raw, "job_logs").await, "job_seq", doc! { "job_id": 1, "seq": 1 });
    unique(indexes(&raw, "sync_state").await, "config_scope", doc! { "config_id": 1, "scope": 1 });
    let configs = indexes(&raw, "sync_configurations").await;
    assert_eq!(
        index_named(&configs, "due").get_document("key").unwrap(),
        &doc! { "status": 1, "schedule.enabled": 1, "schedule.next_run_at": 1 }
    );

    let meta = raw_one(&raw, "meta", doc! { "_id": "schema_version" }).await;
    assert_eq!(meta.get_i64("value"), Ok(i64::from(SCHEMA_VERSION)));
}

#[tokio::test]
async fn a_database_written_by_a_newer_version_is_refused() {
    let (store, raw) = store_and_raw().await;
    drop(store);
    raw.collection::<Document>("meta")
        .update_one(
            doc! { "_id": "schema_version" },
            doc! { "$set": { "value": i64::from(SCHEMA_VERSION) + 1 } },
        )
        .await
        .unwrap();
    let uri = format!("{}{}", support::peers::mongodb_uri(), raw.name());
    match mongo::MongoStore::connect(&uri).await {
        Err(StoreError::Incompatible(message)) => assert!(message.contains("upgrade"), "{message}"),
        Err(other) => panic!("expected Incompatible, got {other:?}"),
        Ok(_) => panic!("expected Incompatible, the store opened"),
    }
}

#[tokio::test]
async fn the_database_comes_from_the_uri_and_defaults_to_cloud_sources() {
    // `store::open` picks MongoDB for a mongodb:// URI.
    let name = support::peers::unique_db_name("named");
    let dir = tempfile::tempdir().unwrap();
    let mut settings = cloud_sources::config::Settings::for_tests(dir.path());
    settings.store.uri = SecretString::from(format!("{}{}", support::peers::mongodb_uri(), name));
    let store = open(&settings).await.expect("store opens");
    assert_eq!(store.kind(), "mongodb");
    store.create_user(fixtures::user("alice")).await.unwrap();
    assert_eq!(
        raw_database(&name)
            .await
            .collection::<Document>("users")
            .count_documents(doc! {})
            .await
            .unwrap(),
        1
    );

    // No database in the URI: `cloud_sources`. (A server shared by several test
    // runs may hold it already; its schema version record is all that is checked.)
    mongo::MongoStore::connect(&support::peers::mongodb_uri()).await.unwrap();
    let meta = raw_one(&raw_database(mongo::DEFAULT_DATABASE).await, "meta", doc! {}).await;
    assert_eq!(meta.get_str("_id"), Ok("schema_version"));
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    let port = support::peers::free_port();
    let uri =
        format!("mongodb://127.0.0.1:{port}/x?serverSelectionTimeoutMS=300&connectTimeoutMS=300");
    match mongo::MongoStore::connect(&uri).await {
        Err(StoreError::Unavailable(_)) => {}
        Err(other) => panic!("expected Unavailable, got {other:?}"),
        Ok(_) => panic!("expected Unavailable, the store opened"),
    }
}

#[tokio::test]
async fn a_record_that_does_not_match_the_schema_is_incompatible() {
    let (store, raw) = store_and_raw().await;
    raw.collection::<Document>("users")
        .insert_one(
            doc! { "_id": "u1", "username": "eve", "username_lower": "eve", "is_admin": "yes" },
        )
        .await
        .unwrap();
    assert!(matches!(store.get_user(&UserId("u1".into())).await, Err(StoreError::Incompatible(_))));
}

#[tokio::test]
async fn duplicate_ids_are_conflicts() {
    let (store, _raw) = store_and_raw().await;
    let user = fixtures::user("alice");
    store.create_user(user.clone()).await.unwrap();
    let connection = fixtures::connection(&user.id, ProviderId::Jira);
    store.insert_connection(connection.clone()).await.unwrap();
    assert!(matches!(store.insert_connection(connection).await, Err(StoreError::Conflict(_))));
}

#[tokio::test]
async fn expired_sessions_are_removed_by_the_server_itself() {
    // A private server whose TTL monitor runs every half second (mongod's and
    // secantusdb's default is 60 s, too slow for a test). Started through
    // secantusdb's Python API: its CLI reads `ttl_sweep_seconds` from a config
    // file but never passes it on (0.7.0b3).
    let dir = tempfile::tempdir().unwrap();
    let port = support::peers::free_port();
    let launcher = "import sys\n\
        from secantus.server import SecantusDBServer\n\
        server = SecantusDBServer('127.0.0.1', int(sys.argv[1]), sys.argv[2],\n\
            enable_test_commands=False, ttl_sweep_seconds=0.5)\n\
        server.start()\n\
        server.wait()\n";
    let child = std::process::Command::new(support::peers::venv().join("bin").join("python"))
        .args(["-c", launcher, &port.to_string()])
        .arg(dir.path().join("data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("secantusdb starts");
    let _server = support::peers::ChildGuard(child);
    assert!(support::peers::wait_for_port(port, std::time::Duration::from_secs(60)));

    let uri = format!("mongodb://127.0.0.1:{port}/ttl");
    let store = mongo::MongoStore::connect(&uri).await.unwrap();
    let user = fixtures::user("alice");
    store.create_user(user.clone()).await.unwrap();
    let now = Timestamp::now();
    for (id_hash, expires_at) in [("expired", now.plus_secs(-5)), ("live", now.plus_secs(3600))] {
        let session = SessionRecord {
            id_hash: id_hash.into(),
            user_id: user.id.clone(),
            created_at: now,
            expires_at,
        };
        store.create_session(session).await.unwrap();
    }

    let sessions = mongodb::Client::with_uri_str(&uri)
        .await
        .unwrap()
        .database("ttl")
        .collection::<Document>("sessions");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sessions.count_documents(doc! { "_id": "expired" }).await.unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline, "the TTL index never removed the session");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(sessions.count_documents(doc! { "_id": "live" }).await.unwrap(), 1);
}
