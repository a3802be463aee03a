//! Sync configurations page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::button::LinkButton;
use crate::components::card::PageHeader;
use crate::components::empty_state::EmptyState;
use crate::components::icons::IconName;

#[component]
pub fn SyncsPage() -> impl IntoView {
    view! {
        <Title text="Sync configurations · Cloud Sources"/>
        <PageHeader
            title="Sync configurations"
            description="Which folders of a connection are kept in sync, how often, and into which profile."
        />
        <EmptyState
            icon=IconName::Refresh
            title="No sync configurations yet"
            description="Connect a source first; then choose its folders here."
        >
            <LinkButton href="/connections" icon=IconName::Link>"Go to connections"</LinkButton>
        </EmptyState>
    }
}
