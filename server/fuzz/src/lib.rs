//! The fuzz targets' shared code: the harness (also replayed by
//! `server/tests/fuzz_regressions.rs`) and libFuzzer-only setup.

mod harness;

pub use harness::*;

/// `ingest::extract` turns a panic inside a third-party parser into this
/// file's parse error (tested in `fuzz_regressions.rs`), but libFuzzer's
/// panic hook aborts on every panic. For the extractor targets, panics raised
/// in dependencies' own code (their file is under `.cargo/registry`) unwind
/// to that `catch_unwind`; any other panic, ours included, still aborts.
pub fn tolerate_caught_dependency_panics() {
    let abort_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_dependency = info.location().is_some_and(|l| l.file().contains("/.cargo/registry/"));
        if !in_dependency {
            abort_hook(info);
        }
    }));
}
