//! Browser entry point: hydrates the server-rendered page into the live [`app::App`].

// The sync pages' tables nest deep view types; hydrating them needs more depth.
#![recursion_limit = "256"]

// Only the WebAssembly build (feature `hydrate`) has an entry point; native
// builds such as `cargo clippy --workspace` compile an empty library.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
