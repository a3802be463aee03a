//! The app frame around every signed-in page: top bar (product, navigation,
//! settings, user and sign-out), a menu for phones, the content, the footer with
//! server facts, and the toasts.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use super::icons::{Icon, IconName};
use super::toast::{Toaster, Toasts};
use crate::api::{current_user, get_server_info};
use crate::model::User;

struct NavItem {
    href: &'static str,
    label: &'static str,
    icon: IconName,
}

static NAV: [NavItem; 4] = [
    NavItem { href: "/", label: "Dashboard", icon: IconName::Dashboard },
    NavItem { href: "/connections", label: "Connections", icon: IconName::Link },
    NavItem { href: "/syncs", label: "Sync configurations", icon: IconName::Refresh },
    NavItem { href: "/documents", label: "Documents", icon: IconName::Document },
];

static SETTINGS: NavItem =
    NavItem { href: "/settings", label: "Settings & API tokens", icon: IconName::Settings };

/// Whether `href` is the current section (`/` only matches itself).
fn is_current(href: &str, path: &str) -> bool {
    if href == "/" {
        path == "/"
    } else {
        path == href || path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/'))
    }
}

/// The product mark: an indigo tile with a cloud.
#[component]
pub fn LogoMark(#[prop(optional)] large: bool) -> impl IntoView {
    let (tile, icon) =
        if large { ("size-11 rounded-xl", "size-6") } else { ("size-8 rounded-lg", "size-5") };
    view! {
        <span
            class=format!("flex shrink-0 items-center justify-center bg-linear-to-br from-indigo-500 to-violet-600 text-white shadow-sm {tile}")
            aria-hidden="true"
        >
            <Icon icon=IconName::Cloud class=icon/>
        </span>
    }
}

/// The frame for the signed-in pages (a parent route: pages render in its `Outlet`).
#[component]
pub fn AppFrame() -> impl IntoView {
    let toasts = Toasts::new();
    provide_context(toasts);
    let user = Resource::new(|| (), |_| current_user());
    let menu_open = RwSignal::new(false);
    let location = use_location();
    // Following a link closes the phone menu.
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });

    view! {
        <div class="flex min-h-screen flex-col">
            <a
                href="#main"
                class="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:shadow"
            >
                "Skip to content"
            </a>
            <header class="sticky top-0 z-30 border-b border-slate-200 bg-white/90 backdrop-blur supports-[backdrop-filter]:bg-white/75">
                <div class="mx-auto flex h-14 max-w-6xl items-center gap-6 px-4 sm:px-6">
                    <a href="/" class="flex items-center gap-2.5 font-semibold tracking-tight text-slate-900">
                        <LogoMark/>
                        <span>"Cloud Sources"</span>
                        <span class="hidden rounded-md bg-slate-100 px-1.5 py-0.5 text-[11px] font-medium text-slate-500 lg:inline">
                            "RecallHub"
                        </span>
                    </a>
                    <nav aria-label="Main" class="hidden flex-1 md:block">
                        <ul class="flex items-center gap-1 text-sm">
                            {NAV
                                .iter()
                                .map(|item| view! { <li><DesktopNavLink item/></li> })
                                .collect_view()}
                        </ul>
                    </nav>
                    <div class="ml-auto hidden items-center gap-2 md:flex">
                        <DesktopNavLink item=&SETTINGS icon_only=true/>
                        <span class="h-6 w-px bg-slate-200" aria-hidden="true"></span>
                        <Transition fallback=|| view! { <span class="h-8 w-24 animate-pulse rounded-full bg-slate-100"></span> }>
                            {move || user.get().and_then(Result::ok).map(|user| view! { <UserChip user/> })}
                        </Transition>
                        <SignOutButton/>
                    </div>
                    <button
                        type="button"
                        class="ml-auto -mr-2 rounded-lg p-2 text-slate-600 hover:bg-slate-100 hover:text-slate-900 md:hidden"
                        aria-controls="mobile-menu"
                        aria-expanded=move || menu_open.get().to_string()
                        aria-label=move || if menu_open.get() { "Close menu" } else { "Open menu" }
                        on:click=move |_| menu_open.update(|open| *open = !*open)
                    >
                        <Show
                            when=move || menu_open.get()
                            fallback=|| view! { <Icon icon=IconName::Menu class="size-6"/> }
                        >
                            <Icon icon=IconName::XMark class="size-6"/>
                        </Show>
                    </button>
                </div>
                <div
                    id="mobile-menu"
                    class="border-t border-slate-200 bg-white md:hidden"
                    class:hidden=move || !menu_open.get()
                >
                    <nav aria-label="Main (mobile)" class="px-2 py-2">
                        <ul class="space-y-0.5">
                            {NAV
                                .iter()
                                .chain(std::iter::once(&SETTINGS))
                                .map(|item| view! { <li><MobileNavLink item/></li> })
                                .collect_view()}
                        </ul>
                    </nav>
                    <div class="flex items-center justify-between gap-3 border-t border-slate-200 px-4 py-3">
                        <Transition fallback=|| ()>
                            {move || user.get().and_then(Result::ok).map(|user| view! { <UserChip user/> })}
                        </Transition>
                        <SignOutButton/>
                    </div>
                </div>
            </header>
            <main id="main" tabindex="-1" class="mx-auto w-full max-w-6xl flex-1 px-4 py-8 focus:outline-none sm:px-6">
                <Outlet/>
            </main>
            <Footer/>
            <Toaster toasts/>
        </div>
    }
    .into_any()
}

#[component]
fn DesktopNavLink(item: &'static NavItem, #[prop(optional)] icon_only: bool) -> impl IntoView {
    let location = use_location();
    let current = move || is_current(item.href, &location.pathname.get());
    view! {
        <a
            href=item.href
            class=move || {
                if current() {
                    "flex items-center gap-2 rounded-lg bg-slate-100 px-3 py-1.5 font-medium text-slate-900"
                } else {
                    "flex items-center gap-2 rounded-lg px-3 py-1.5 text-slate-600 hover:bg-slate-50 hover:text-slate-900"
                }
            }
            aria-current=move || current().then_some("page")
            aria-label=icon_only.then_some(item.label)
            title=icon_only.then_some(item.label)
        >
            {if icon_only {
                view! { <Icon icon=item.icon class="size-5"/> }.into_any()
            } else {
                view! { <span>{item.label}</span> }.into_any()
            }}
        </a>
    }
}

#[component]
fn MobileNavLink(item: &'static NavItem) -> impl IntoView {
    let location = use_location();
    let current = move || is_current(item.href, &location.pathname.get());
    view! {
        <a
            href=item.href
            class=move || {
                if current() {
                    "flex items-center gap-3 rounded-lg bg-indigo-50 px-3 py-2.5 text-sm font-medium text-indigo-700"
                } else {
                    "flex items-center gap-3 rounded-lg px-3 py-2.5 text-sm text-slate-700 hover:bg-slate-50"
                }
            }
            aria-current=move || current().then_some("page")
        >
            <Icon icon=item.icon class="size-5 opacity-70"/>
            {item.label}
        </a>
    }
}

/// Initials in a circle, the user name and, for admins, a badge.
#[component]
fn UserChip(user: User) -> impl IntoView {
    let initials: String = user
        .username
        .chars()
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    view! {
        <span class="flex min-w-0 items-center gap-2 text-sm" data-testid="signed-in-user">
            <span
                class="flex size-8 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700"
                aria-hidden="true"
            >
                {initials}
            </span>
            <span class="truncate font-medium text-slate-800">
                <span class="sr-only">"Signed in as "</span>
                {user.username.clone()}
            </span>
            {user.is_admin.then(|| view! {
                <span class="rounded-md bg-amber-50 px-1.5 py-0.5 text-[11px] font-medium text-amber-800 ring-1 ring-amber-600/20">"admin"</span>
            })}
        </span>
    }
}

/// Sign-out is a plain form post, so it works with or without the WASM bundle.
#[component]
fn SignOutButton() -> impl IntoView {
    view! {
        <form method="post" action="/logout">
            <button
                type="submit"
                class="flex items-center gap-1.5 rounded-lg px-2.5 py-1.5 text-sm text-slate-600 hover:bg-slate-100 hover:text-slate-900"
            >
                <Icon icon=IconName::SignOut class="size-4"/>
                "Sign out"
            </button>
        </form>
    }
}

#[component]
fn Footer() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_server_info());
    view! {
        <footer class="border-t border-slate-200">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-4 text-xs text-slate-500 sm:px-6">
                <Transition fallback=|| view! { <span>"Cloud Sources"</span> }>
                    {move || {
                        info.get()
                            .map(|result| match result {
                                Ok(info) => view! {
                                    <span class="flex flex-wrap items-center gap-x-2 gap-y-1" data-testid="server-info">
                                        <span class="flex items-center gap-1.5">
                                            <span class="size-1.5 rounded-full bg-emerald-500" aria-hidden="true"></span>
                                            {format!("Cloud Sources {}", info.version)}
                                        </span>
                                        <span aria-hidden="true">"·"</span>
                                        <span>{format!("{} store", store_label(&info.store_kind))}</span>
                                        {info.demo.then(|| view! {
                                            <span aria-hidden="true">"·"</span>
                                            <span class="rounded bg-violet-50 px-1.5 py-0.5 font-medium text-violet-700">"Demo sandbox"</span>
                                        })}
                                    </span>
                                }
                                .into_any(),
                                Err(_) => view! {
                                    <span class="flex items-center gap-1.5">
                                        <span class="size-1.5 rounded-full bg-red-500" aria-hidden="true"></span>
                                        "Server not reachable"
                                    </span>
                                }
                                .into_any(),
                            })
                    }}
                </Transition>
                <span>"RecallHub · self-hosted"</span>
            </div>
        </footer>
    }
}

fn store_label(kind: &str) -> &str {
    match kind {
        "embedded" => "Embedded",
        "mongodb" => "MongoDB",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::is_current;

    #[test]
    fn a_section_is_current_on_its_own_pages_only() {
        assert!(is_current("/", "/"));
        assert!(!is_current("/", "/connections"));
        assert!(is_current("/connections", "/connections"));
        assert!(is_current("/syncs", "/syncs/42"));
        assert!(!is_current("/syncs", "/syncsx"));
    }
}
