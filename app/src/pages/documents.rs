//! Documents page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::card::PageHeader;
use crate::components::empty_state::EmptyState;
use crate::components::icons::IconName;

#[component]
pub fn DocumentsPage() -> impl IntoView {
    view! {
        <Title text="Documents · Cloud Sources"/>
        <PageHeader title="Documents" description="Everything synced into the document store, by source."/>
        <EmptyState
            icon=IconName::Document
            title="No documents yet"
            description="Documents appear here once a sync configuration has run."
        />
    }
}
