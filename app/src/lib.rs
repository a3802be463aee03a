//! RecallHub Cloud Sources: the Leptos application (pages, components, server
//! functions), the model types shared with the browser, and (with `ssr`) the
//! service port the server implements.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod port;
pub mod sync_api;
pub mod validate;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::AppFrame;
use crate::pages::{
    connections::ConnectionsPage, dashboard::DashboardPage, document::DocumentPage,
    documents::DocumentsPage, login::LoginPage, not_found::NotFoundPage, settings::SettingsPage,
    syncs::SyncsPage,
};
use crate::pages::{
    job_detail::JobDetailPage,
    sync_form::{EditSyncPage, NewSyncPage},
    sync_history::SyncHistoryPage,
};

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Becomes true once the WASM bundle has taken over the page; tests wait for it.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/cloud-sources.css"/>
        <Title text="Cloud Sources · RecallHub"/>
        <div id="app" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/login") view=LoginPage/>
                    // Signed-in pages share the frame, which stays mounted between them.
                    <ParentRoute path=path!("") view=AppFrame>
                        <Route path=path!("") view=DashboardPage/>
                        <Route path=path!("/connections") view=ConnectionsPage/>
                        <Route path=path!("/syncs") view=SyncsPage/>
                        <Route path=path!("/syncs/new") view=NewSyncPage/>
                        <Route path=path!("/syncs/:id/edit") view=EditSyncPage/>
                        <Route path=path!("/syncs/:id") view=SyncHistoryPage/>
                        <Route path=path!("/jobs/:id") view=JobDetailPage/>
                        <Route path=path!("/documents") view=DocumentsPage/>
                        <Route path=path!("/documents/:id") view=DocumentPage/>
                        <Route path=path!("/settings") view=SettingsPage/>
                    </ParentRoute>
                </Routes>
            </Router>
        </div>
    }
}
