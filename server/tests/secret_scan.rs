//! The secret scan that ends `scripts/test.sh` (`scripts/scan-secrets.py`) can
//! fail: a planted secret is found and named by file, in plain and URL-encoded
//! form, and a clean directory passes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scanner() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/scan-secrets.py")
}

fn scan(dir: &Path) -> (i32, String) {
    let output = Command::new("python3").arg(scanner()).arg(dir).output().expect("python3 runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const PLANTED: &str = "planted-secret/value+42";

#[test]
fn a_planted_secret_fails_the_scan_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "secrets/some_test.txt", &format!("short\n{PLANTED}\n"));
    write(dir.path(), "rust/clean.log", "INFO request path=/healthz\n");
    write(
        dir.path(),
        "rust/leaky.responses",
        &format!("=== GET /x -> 200\n\n{{\"t\":\"{PLANTED}\"}}\n"),
    );
    write(dir.path(), "e2e-server.log", "GET /callback?code=planted-secret%2Fvalue%2B42\n");
    let (code, text) = scan(dir.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("rust/leaky.responses:3"), "{text}");
    assert!(text.contains("e2e-server.log:1"), "URL-encoded form: {text}");
    assert!(!text.contains("rust/clean.log"), "{text}");
    assert!(!text.contains(PLANTED), "the report must not repeat the secret: {text}");
}

#[test]
fn a_clean_directory_passes_and_an_empty_registry_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "secrets/some_test.txt", &format!("{PLANTED}\n"));
    write(dir.path(), "rust/clean.log", "INFO nothing to see\n");
    let (code, text) = scan(dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 secrets, 1 files, nothing found"), "{text}");

    // With nothing registered the scan would pass vacuously: it refuses instead.
    let empty = tempfile::tempdir().unwrap();
    write(empty.path(), "rust/x.log", "text\n");
    assert_eq!(scan(empty.path()).0, 2);
}
