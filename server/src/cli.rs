//! The `cloud-sources` command line: the server and the operator tools. The
//! tools open the same store as a running server (the embedded store allows a
//! second process), so they work while it runs.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::service::Service;

#[derive(Debug, Parser)]
#[command(
    name = "cloud-sources",
    version,
    about = "RecallHub Cloud Sources server and operator tools"
)]
pub struct Cli {
    /// TOML configuration file; environment variables CLOUD_SOURCES__SECTION__KEY override it.
    #[arg(long, global = true, env = "CLOUD_SOURCES_CONFIG")]
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
pub async fn run_tool(service: &Service, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve => unreachable!("handled by main"),
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
