//! The dashboard: overview of the user's sources.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_server_info;
use crate::components::button::{Button, ButtonVariant, LinkButton};
use crate::components::card::{Card, PageHeader};
use crate::components::icons::IconName;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let check = Action::new(|_: &()| get_server_info());
    view! {
        <Title text="Dashboard · Cloud Sources"/>
        <PageHeader title="Dashboard" description="What your sources are doing, at a glance.">
            <LinkButton href="/connections" icon=IconName::Plus>"Add a source"</LinkButton>
        </PageHeader>
        <Card class="p-5">
            <h2 class="font-semibold text-slate-900">"Server"</h2>
            <p class="mt-1 text-sm text-slate-500">"Check that the server and its store answer."</p>
            <div class="mt-4 flex flex-wrap items-center gap-3">
                <Button
                    variant=ButtonVariant::Secondary
                    icon=IconName::Bolt
                    loading=check.pending()
                    on_click=Callback::new(move |_| {
                        check.dispatch(());
                    })
                >
                    "Check server"
                </Button>
                <p class="text-sm text-slate-700" data-testid="server-status" aria-live="polite">
                    {move || match check.value().get() {
                        None => String::new(),
                        Some(Ok(info)) => {
                            format!("Server {} is up ({} s, {} store)", info.version, info.uptime_secs, info.store_kind)
                        }
                        Some(Err(e)) => format!("Server check failed: {e}"),
                    }}
                </p>
            </div>
        </Card>
    }
}
