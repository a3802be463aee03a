use clap::Parser;
use cloud_sources::cli::{Cli, Command, run_tool};
use cloud_sources::config::Settings;
use cloud_sources::service::Service;
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
    let mut settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            telemetry::init(&settings.log, std::io::stdout);
            let app = Application::build(settings).await?;
            let url = app.service().settings.public_url();
            tracing::info!(%url, "listening");
            println!("Cloud Sources is listening on {url}");
            app.run_until_stopped().await
        }
        tool => {
            // Tools print their results on stdout; logs go to stderr, warnings only.
            settings.log.filter = "warn".into();
            telemetry::init(&settings.log, std::io::stderr);
            let service = Service::open(settings).await?;
            run_tool(&service, tool).await
        }
    }
}
