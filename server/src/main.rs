use clap::Parser;
use cloud_sources::cli::{Cli, Command};
use cloud_sources::config::Settings;
use cloud_sources::startup::Application;
use cloud_sources::telemetry;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            telemetry::init(&settings.log, std::io::stdout);
            let app = Application::build(settings).await?;
            let url = format!("http://{}", app.local_addr());
            tracing::info!(%url, "listening");
            println!("Cloud Sources is listening on {url}");
            app.run_until_stopped().await
        }
    }
}
