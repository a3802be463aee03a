//! The sync engine end to end against a real Dovecot: a mailbox is indexed with
//! its messages (and attachments as their own documents), then an incremental
//! run follows a new message, a moved one and an expunged one.

mod support;

use app::model::*;
use app::port::ServicePort;
use support::app::TestApp;
use support::peers::Dovecot;
use support::sync::{caller, index, run_and_wait};

fn email(n: u32, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.com>\r\nTo: Alice <alice@example.com>\r\nSubject: {subject}\r\n\
         Message-ID: <sync-{n}@example.com>\r\nDate: Mon, 1 Jan 2024 10:{:02}:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        n % 60
    )
    .into_bytes()
}

fn texts(index: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    let mut all: Vec<String> = index.values().cloned().collect();
    all.sort();
    all
}

#[tokio::test]
async fn a_mailbox_syncs_fully_then_follows_new_moved_and_expunged_messages() {
    let dovecot = Dovecot::start(&[("alice", "secret")]);
    dovecot.create_mailbox("alice", "Projects");
    dovecot.append("alice", "INBOX", &email(1, "Budget", "The budget is approved."));
    dovecot.append("alice", "INBOX", &email(2, "Travel", "Travel to Oslo is booked."));
    dovecot.append("alice", "Projects", &email(3, "Atlas", "Atlas maps every river."));

    let app =
        TestApp::spawn_with(|settings| settings.security.allow_hosts = vec!["127.0.0.1".into()])
            .await;
    let alice = caller(&app.service, "alice").await;
    let connection = app
        .service
        .create_connection(
            &alice,
            NewConnection {
                provider: ProviderId::Email,
                display_name: "Mail".into(),
                auth_type: AuthType::Password,
                credentials: serde_json::json!({
                    "host": "127.0.0.1", "port": dovecot.imaps_port, "security": "tls",
                    "username": "alice", "password": "secret", "ca_pem": dovecot.ca_pem,
                }),
            },
        )
        .await
        .expect("a connection to Dovecot");
    let mailboxes = app.service.browse(&alice, &connection.id, None).await.expect("browse");
    let inbox = mailboxes.entries.iter().find(|e| e.name == "INBOX").expect("INBOX");
    let input = SyncConfigInput {
        connection_id: connection.id.clone(),
        profile_key: "mail".into(),
        name: "Inbox".into(),
        source_paths: vec![SourcePath {
            path: inbox.path.clone(),
            remote_id: inbox.remote_id.clone(),
            include_subfolders: false,
        }],
        filters: Filters::default(),
        schedule: Schedule::default(),
        sync_options: SyncOptions::default(),
    };
    let config = ServicePort::create_config(&*app.service, &alice, input).await.expect("config");

    let job = run_and_wait(&app.service, &alice, &config.id, false).await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.message);
    let indexed = index(&app.service, &alice, &config.id).await;
    assert_eq!(indexed.len(), 2, "{indexed:?}");
    let all = texts(&indexed).join("\n");
    assert!(all.contains("The budget is approved.") && all.contains("Travel to Oslo"), "{all}");
    assert!(!all.contains("Atlas"), "only the selected mailbox");

    // New mail, one message moved out of the selection and one expunged.
    dovecot.append("alice", "INBOX", &email(4, "Glaciers", "A new note about glaciers."));
    let uids = dovecot.uids("alice", "INBOX");
    dovecot.move_message("alice", "INBOX", uids[0], "Projects");
    dovecot.expunge("alice", "INBOX", uids[1]);

    let incremental = run_and_wait(&app.service, &alice, &config.id, false).await;
    assert_eq!(incremental.status, JobStatus::Completed, "{:?}", incremental.message);
    assert_eq!(incremental.job_type, JobType::Manual);
    let indexed = index(&app.service, &alice, &config.id).await;
    let all = texts(&indexed).join("\n");
    assert_eq!(indexed.len(), 1, "{indexed:?}");
    assert!(all.contains("A new note about glaciers."), "{all}");
    assert!(
        !all.contains("budget") && !all.contains("Oslo"),
        "moved and expunged mail is gone: {all}"
    );
}
