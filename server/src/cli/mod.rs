//! The `cloud-sources` command line: the server and the operator tools. The
//! tools open the same store as a running server (the embedded store allows a
//! second process), so they work while it runs.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use std::sync::Arc;

use crate::service::Service;

mod tools;

#[derive(Debug, Parser)]
#[command(
    name = "cloud-sources",
    version,
    about = "RecallHub Cloud Sources server and operator tools"
)]
pub struct Cli {
    /// TOML configuration file; environment variables CLOUD_SOURCES__SECTION__KEY
    /// override it. Give it before the subcommand (`cloud-sources --config FILE
    /// sync run …`): after `documents list`, `--config` names a sync configuration.
    #[arg(long, env = "CLOUD_SOURCES_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server, the sync workers and the scheduler (the default).
    Serve,
    /// Manage local accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the credential vault.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Manage users' connections (import tokens, test, browse).
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Run syncs.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Inspect indexed documents.
    #[command(subcommand)]
    Documents(DocumentsCommand),
    /// Serve only the provider simulators (Drive, Graph, Dropbox, Atlassian and their OAuth
    /// servers) under /sandbox, in their own process; their control API is open, so keep
    /// it on loopback. Prints the base URL, then serves until stopped.
    #[cfg(feature = "sandbox")]
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:3100")]
        addr: std::net::SocketAddr,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Create a connection for a user and print only its id. Either import
    /// existing OAuth tokens (--access-token), or read form credentials as JSON
    /// from standard input (--credentials-stdin), e.g. for owncloud
    /// {"server_url": …, "username": …, "password": …}.
    Add(ConnectionAdd),
    /// Test a connection's credentials against its provider.
    Test {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// List the folders (spaces, projects, mailboxes) a connection can sync.
    Browse {
        id: String,
        /// A folder's remote id; the top level when absent.
        #[arg(long)]
        folder: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ConnectionAdd {
    #[arg(long)]
    user: String,
    /// google_drive, onedrive, sharepoint, dropbox, owncloud, confluence, jira or email.
    #[arg(long)]
    provider: String,
    /// The name shown in the UI (default: the provider's name).
    #[arg(long)]
    name: Option<String>,
    /// password, api_key or certificate (with --credentials-stdin).
    #[arg(long)]
    auth_type: Option<String>,
    /// Read the credentials JSON from standard input.
    #[arg(long, conflicts_with = "access_token")]
    credentials_stdin: bool,
    /// An existing OAuth access token to import.
    #[arg(long)]
    access_token: Option<String>,
    #[arg(long, requires = "access_token")]
    refresh_token: Option<String>,
    /// Seconds until the access token expires.
    #[arg(long, requires = "access_token")]
    expires_in: Option<u64>,
    /// Provider-specific settings for imported tokens, `key=value` (e.g. host=imap.gmail.com for e-mail).
    #[arg(long = "extra", requires = "access_token")]
    extra: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Queue a run of a sync configuration; with --wait, run it here if no
    /// server picks it up, print progress, and exit non-zero if it fails.
    Run {
        config_id: String,
        #[arg(long)]
        wait: bool,
        /// List everything (mark and sweep) instead of following the change feed.
        #[arg(long)]
        full: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// List the documents a sync configuration indexed.
    List {
        #[arg(long = "config")]
        config_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input.
    Add {
        name: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (the first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a user and print it (only the token).
    Create(TokenCreate),
}

#[derive(Debug, Args)]
pub struct TokenCreate {
    #[arg(long)]
    user: String,
    /// A name that says what the token is for.
    #[arg(long, default_value = "created with the CLI")]
    name: String,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Re-encrypt every stored secret under a new data key, while servers keep running.
    Rotate,
}

fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.lines().next().unwrap_or_default().to_string();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

/// Runs an operator command against the configured store.
pub async fn run_tool(service: &Arc<Service>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Connection(command) => tools::connection(service, command).await?,
        Command::Sync(SyncCommand::Run { config_id, wait, full }) => {
            tools::sync_run(service, &config_id, wait, full).await?
        }
        Command::Documents(DocumentsCommand::List { config_id, json }) => {
            tools::documents(service, &config_id, json).await?
        }
        Command::Serve => unreachable!("handled by main"),
        #[cfg(feature = "sandbox")]
        Command::Sandbox { .. } => unreachable!("handled by main"),
        Command::User(UserCommand::Add { name, admin, password_stdin: _ }) => {
            let password = read_password()?;
            let user = service.create_user(&name, Some(&password), admin).await?;
            println!(
                "created {}{} ({})",
                user.username,
                if user.is_admin { ", admin" } else { "" },
                user.id
            );
        }
        Command::Token(TokenCommand::Create(args)) => {
            let user = service
                .user_by_name(&args.user)
                .await
                .with_context(|| format!("no user named {:?}", args.user))?;
            let created = service.new_api_token(&user.id, &args.name).await?;
            println!("{}", created.token.expose());
        }
        Command::Vault(VaultCommand::Rotate) => {
            let report = service.rotate_vault().await?;
            println!(
                "re-encrypted {} connection(s) under key {}; removed {} retired key(s)",
                report.resealed, report.active_key, report.removed_keys
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
