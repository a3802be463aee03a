//! Replays the fuzz targets' kept inputs under stable Rust, through the same
//! harness the targets run (`server/fuzz/src/harness.rs`):
//! - every input that once crashed, hung or exhausted memory
//!   (`server/fuzz/regressions/<target>/`): it must now give an answer (an
//!   error with a message, or a result) quickly and without a panic;
//! - every seed (`server/fuzz/corpus/<target>/`, real provider answers and
//!   documents): no panic either, and for the document and PROPFIND targets the
//!   seeds are valid inputs the product must read.
//!
//! A panic in our code is a failure even where `ingest::extract` turns it into
//! a parse error; a panic inside a dependency that `extract` catches is the
//! documented behaviour (the file's parse error).

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// Panics raised outside dependencies, by test thread name.
static OUR_PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn record_our_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            if !location.contains("/.cargo/registry/") {
                let thread = std::thread::current().name().unwrap_or_default().to_string();
                OUR_PANICS.lock().unwrap().push((thread, format!("{info}")));
            }
            default_hook(info);
        }));
    });
}

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind).join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file() && p.file_name().is_none_or(|n| n != "README.md"));
    files.sort();
    files
}

/// Runs every kept input of `target`; `seeds_are_valid` demands `Ok` for the seeds.
fn replay(target: &str, seeds_are_valid: bool) {
    record_our_panics();
    let (_, run) = harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target {target}"));
    let seeds = inputs("corpus", target);
    assert!(!seeds.is_empty(), "no seeds for {target}");
    let mut failures = Vec::new();
    for (kind, files) in [("regression", inputs("regressions", target)), ("seed", seeds)] {
        for path in files {
            let data = std::fs::read(&path).unwrap();
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| run(&data));
            let took = started.elapsed();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            match outcome {
                Err(_) => failures.push(format!("{kind} {name}: panicked")),
                Ok(Err(message)) if message.trim().is_empty() => {
                    failures.push(format!("{kind} {name}: an error without a message"))
                }
                Ok(Err(message)) if kind == "seed" && seeds_are_valid => {
                    failures.push(format!("{kind} {name}: rejected: {message}"))
                }
                Ok(_) => {}
            }
            // Debug build, shared cores: generous, but a hang is minutes.
            if took > Duration::from_secs(20) {
                failures.push(format!("{kind} {name}: took {took:?}"));
            }
        }
    }
    let thread = std::thread::current().name().unwrap_or_default().to_string();
    let panics: Vec<String> = OUR_PANICS
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t == thread)
        .map(|(_, message)| format!("panic in our code: {message}"))
        .collect();
    failures.extend(panics);
    assert!(failures.is_empty(), "{target}:\n{}", failures.join("\n"));
}

#[test]
fn webdav_propfind_inputs() {
    replay("webdav_propfind", true);
}

#[test]
fn provider_json_inputs() {
    replay("provider_json", false);
}

#[test]
fn imap_response_inputs() {
    replay("imap_response", false);
}

#[test]
fn email_extract_inputs() {
    replay("email_extract", true);
}

#[test]
fn schedule_cron_inputs() {
    replay("schedule_cron", false);
}

#[test]
fn filter_globs_inputs() {
    replay("filter_globs", false);
}

#[test]
fn extract_pdf_inputs() {
    replay("extract_pdf", true);
}

#[test]
fn extract_office_inputs() {
    replay("extract_office", true);
}

/// Every target has its test above.
#[test]
fn every_target_is_replayed() {
    let source = include_str!("fuzz_regressions.rs");
    for (name, _) in harness::TARGETS {
        assert!(source.contains(&format!("replay(\"{name}\"")), "{name} is not replayed");
    }
}
