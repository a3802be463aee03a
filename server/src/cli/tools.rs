//! The operator commands that act on users' connections, syncs and documents.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use app::model::*;
use app::port::{Caller, ServicePort};
use tokio_util::sync::CancellationToken;

use super::{ConnectionAdd, ConnectionCommand};
use crate::oauth::client::TokenSet;
use crate::service::Service;
use crate::sync::engine::{Engine, EngineOptions};

/// The owner of a record, acting through the same service as the web app.
async fn owner(service: &Service, user_id: &UserId) -> anyhow::Result<Caller> {
    let user =
        service.store.get_user(user_id).await?.context("the record's owner no longer exists")?;
    Ok(Caller { user: user.to_user(), session_hash: None })
}

async fn connection_owner(service: &Service, id: &str) -> anyhow::Result<(Caller, ConnectionId)> {
    let id = ConnectionId(id.to_string());
    let record = service
        .store
        .operator_find_connection(&id)
        .await?
        .with_context(|| format!("no connection {id}"))?;
    Ok((owner(service, &record.user_id).await?, id))
}

pub async fn connection(service: &Arc<Service>, command: ConnectionCommand) -> anyhow::Result<()> {
    match command {
        ConnectionCommand::Add(args) => add(service, args).await,
        ConnectionCommand::Test { id, json } => {
            let (caller, id) = connection_owner(service, &id).await?;
            let outcome = service.test_connection(&caller, &id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            } else {
                println!("{} ({} ms)", outcome.message, outcome.latency_ms);
            }
            if !outcome.ok {
                bail!("the connection test failed");
            }
            Ok(())
        }
        ConnectionCommand::Browse { id, folder, json } => {
            let (caller, id) = connection_owner(service, &id).await?;
            let listed = service.browse(&caller, &id, folder).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&listed.entries)?);
            } else {
                for entry in &listed.entries {
                    let count =
                        entry.file_count.map(|n| format!("  ({n} files)")).unwrap_or_default();
                    println!(
                        "{:<8} {}  {}{count}",
                        format!("{:?}", entry.kind).to_lowercase(),
                        entry.remote_id,
                        entry.path
                    );
                }
            }
            Ok(())
        }
    }
}

async fn add(service: &Arc<Service>, args: ConnectionAdd) -> anyhow::Result<()> {
    let provider: ProviderId = args.provider.parse().map_err(anyhow::Error::msg)?;
    let user = service
        .user_by_name(&args.user)
        .await
        .with_context(|| format!("no user named {:?}", args.user))?;
    let caller = Caller { user, session_hash: None };
    let display_name = args.name.clone().unwrap_or_else(|| provider.display_name().to_string());
    let connection = if let Some(access_token) = args.access_token {
        let mut extra = BTreeMap::new();
        for pair in &args.extra {
            let (key, value) = pair
                .split_once('=')
                .with_context(|| format!("--extra {pair:?} is not key=value"))?;
            extra.insert(key.trim().to_string(), value.trim().to_string());
        }
        let tokens = TokenSet {
            access_token: SecretText::new(access_token),
            refresh_token: args.refresh_token.map(SecretText::new),
            expires_in: args.expires_in.map(Duration::from_secs),
            scopes: None,
        };
        service.import_oauth(&caller, provider, &display_name, &tokens, extra).await?
    } else if args.credentials_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the credentials from standard input")?;
        let credentials: serde_json::Value =
            serde_json::from_str(&text).context("the credentials are not valid JSON")?;
        let auth_type = match args.auth_type.as_deref().unwrap_or("password") {
            "password" => AuthType::Password,
            "api_key" => AuthType::ApiKey,
            "certificate" => AuthType::Certificate,
            other => bail!("--auth-type {other:?}: use password, api_key or certificate"),
        };
        let input = NewConnection { provider, display_name, auth_type, credentials };
        service.create_connection(&caller, input).await?
    } else {
        bail!(
            "give --access-token (import OAuth tokens) or --credentials-stdin (form credentials as JSON)"
        );
    };
    println!("{}", connection.id);
    Ok(())
}

async fn config_owner(service: &Service, id: &str) -> anyhow::Result<(Caller, SyncConfiguration)> {
    let id = ConfigId(id.to_string());
    let config = service
        .store
        .operator_find_config(&id)
        .await?
        .with_context(|| format!("no sync configuration {id}"))?;
    Ok((owner(service, &config.user_id).await?, config))
}

/// Queues a run; with `wait`, runs it in this process unless a server claims it
/// first, printing progress each second.
pub async fn sync_run(
    service: &Arc<Service>,
    id: &str,
    wait: bool,
    full: bool,
) -> anyhow::Result<()> {
    let (caller, config) = config_owner(service, id).await?;
    let job = service.run_config(&caller, &config.id, full).await?;
    println!("job {} queued ({})", job.id, job.job_type.as_str());
    if !wait {
        return Ok(());
    }
    let engine = Engine::new(service.clone(), EngineOptions::default());
    let worker = format!("cli-{}", std::process::id());
    let stop = CancellationToken::new();
    let lease = EngineOptions::default().lease;
    let runner = {
        let (service, engine, worker, stop, job_id) =
            (service.clone(), engine.clone(), worker.clone(), stop.clone(), job.id.clone());
        tokio::spawn(async move {
            // A running server may take the job first; then we only watch.
            tokio::time::sleep(Duration::from_millis(500)).await;
            if let Ok(Some(record)) =
                service.store.claim_job_by_id(&job_id, &worker, lease, Timestamp::now()).await
            {
                engine.run(record, &worker, &stop).await;
            }
        })
    };
    let mut last = String::new();
    let ended = loop {
        let record = service
            .store
            .get_job(caller.user_id(), &job.id)
            .await?
            .context("the job disappeared")?;
        let p = &record.job.progress;
        let line = format!(
            "{:<11} {} discovered, {} indexed, {} skipped, {} removed, {} failed, {} bytes",
            p.phase.as_str(),
            p.files_discovered,
            p.files_processed,
            p.files_skipped,
            p.files_deleted,
            p.files_failed,
            p.bytes_processed
        );
        if line != last {
            println!("{line}");
            last = line;
        }
        if !record.job.status.is_active() {
            break record.job;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    stop.cancel();
    let _ = runner.await;
    for error in &ended.errors {
        println!(
            "  failed: {} ({}): {}",
            error.file_path,
            error.error_type.as_str(),
            error.message
        );
    }
    println!(
        "job {} {}{}",
        ended.id,
        ended.status.as_str(),
        ended.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    );
    match ended.status {
        JobStatus::Completed => Ok(()),
        status => bail!("the sync {}", status.as_str()),
    }
}

pub async fn documents(service: &Service, id: &str, json: bool) -> anyhow::Result<()> {
    let (caller, config) = config_owner(service, id).await?;
    let mut page = 1;
    loop {
        let query =
            DocumentQuery { config_id: Some(config.id.clone()), search: None, page, per_page: 200 };
        let listed = ServicePort::list_documents(service, &caller, query).await?;
        for doc in &listed.items {
            if json {
                println!("{}", serde_json::to_string(doc)?);
            } else {
                println!(
                    "{:>10}  {}  {}  ({} chunks)",
                    doc.size_bytes, doc.indexed_at, doc.path, doc.chunk_count
                );
            }
        }
        if u64::from(page) * 200 >= listed.total {
            if !json {
                println!("{} document(s)", listed.total);
            }
            return Ok(());
        }
        page += 1;
    }
}
