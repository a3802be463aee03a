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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    limit_malloc_arenas();
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

/// glibc gives each thread that meets contention its own malloc arena, up to eight
/// per core, and each keeps the memory freed into it: a 100,000-file sync peaked at
/// 75 MB RSS with 12 MB of live heap (heaptrack). Two arenas per core peaked at
/// 58 MB with the same page, API and sync throughput. `MALLOC_ARENA_MAX` in the
/// environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = i32::try_from(2 * cores).unwrap_or(i32::MAX);
    // SAFETY: called first in `main`, before any other thread exists; mallopt
    // only sets a parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
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
