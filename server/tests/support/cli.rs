//! The `cloud-sources` binary run as an operator would, on a test's data directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `cloud-sources args…` on `data_dir`, with 127.0.0.1 admitted by the SSRF guard.
pub fn cli(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    cli_with_env(data_dir, args, stdin, &[])
}

/// [`cli`] with more configuration from the environment (`CLOUD_SOURCES__…`).
pub fn cli_with_env(
    data_dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloud-sources"))
        .args(args)
        .env("CLOUD_SOURCES__DATA_DIR", data_dir)
        .env("CLOUD_SOURCES__SECURITY__ALLOW_HOSTS", "[\"127.0.0.1\"]")
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// The standard output of a command that must have succeeded.
pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}
