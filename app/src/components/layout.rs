//! The page frame: navigation, content area and footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::get_server_info;

const NAV: [(&str, &str); 4] = [
    ("/", "Dashboard"),
    ("/connections", "Connections"),
    ("/syncs", "Sync configurations"),
    ("/documents", "Documents"),
];

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let location = use_location();
    let info = Resource::new(|| (), |_| get_server_info());
    view! {
        <div class="min-h-screen flex flex-col">
            <header class="bg-white border-b border-slate-200">
                <nav class="mx-auto max-w-6xl px-4 flex flex-wrap items-center gap-x-6 gap-y-2 py-3" aria-label="Main">
                    <a href="/" class="font-semibold text-indigo-700 text-lg">"Cloud Sources"</a>
                    <ul class="flex flex-wrap gap-4 text-sm">
                        {NAV
                            .iter()
                            .map(|(href, label)| {
                                let href = *href;
                                let current = move || location.pathname.get() == href;
                                view! {
                                    <li>
                                        <a
                                            href=href
                                            class="hover:text-indigo-700"
                                            class=("font-semibold", current)
                                            aria-current=move || current().then_some("page")
                                        >
                                            {*label}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
            </header>
            <main class="mx-auto w-full max-w-6xl flex-1 px-4 py-6">{children()}</main>
            <footer class="mx-auto w-full max-w-6xl px-4 py-4 text-xs text-slate-500">
                <Suspense fallback=|| "">
                    {move || {
                        info.get()
                            .and_then(Result::ok)
                            .map(|info| {
                                format!(
                                    "Cloud Sources {} · {} store{}",
                                    info.version,
                                    info.store_kind,
                                    if info.demo { " · demo sandbox" } else { "" },
                                )
                            })
                    }}
                </Suspense>
            </footer>
        </div>
    }
}
