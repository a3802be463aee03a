#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: cloud_sources_fuzz::tolerate_caught_dependency_panics(), |data: &[u8]| {
    let _ = cloud_sources_fuzz::email_extract(data);
});
