//! The `cloud-sources` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
}
