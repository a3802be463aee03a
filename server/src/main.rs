use clap::Parser;
use cloud_sources::cli::{Cli, Command, run_tool};
use cloud_sources::config::Settings;
use cloud_sources::service::Service;
use cloud_sources::startup::Application;
use cloud_sources::telemetry;

/// Stack per runtime thread. Server-side rendering of the pages recurses through the
/// whole view tree, and a debug build overflows tokio's 2 MiB default on the
/// connections page with a connection listed.
const THREAD_STACK_BYTES: usize = 8 * 1024 * 1024;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK_BYTES)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
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
        #[cfg(feature = "sandbox")]
        Command::Sandbox { addr } => {
            telemetry::init(&settings.log, std::io::stderr);
            let options = cloud_sources::sandbox::SandboxOptions::default();
            let server = cloud_sources::sandbox::spawn_on(addr, options).await?;
            println!("{}", server.base_url());
            tokio::signal::ctrl_c().await?;
            drop(server);
            Ok(())
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
