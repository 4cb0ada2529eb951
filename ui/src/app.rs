//! The app shell: the sidebar of areas and the page of the one chosen.

use crate::area::Area;
use crate::pages::{
    domains::DomainsPage, inbox::InboxPage, monitor::MonitorPage, review::ReviewPage,
    settings::SettingsPage, skills::SkillsPage, studio::StudioPage,
};
use crate::tooltip::Tooltip;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let area = RwSignal::new(Area::Domains);
    // Pages can send the person elsewhere (the Inbox to Settings to sign in again).
    provide_context(area);
    let nav = Area::ALL
        .into_iter()
        .map(|a| {
            view! {
                <button
                    class="nav-item"
                    class:active=move || area.get() == a
                    data-testid=format!("nav-{}", a.slug())
                    on:click=move |_| area.set(a)
                >
                    {a.label()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="frame" data-testid="app-frame">
            <nav class="sidebar">
                <div class="brand">
                    <img src="/128x128.png" alt="" width="28" height="28" />
                    <span>"Vibedata Studio"</span>
                </div>
                {nav}
            </nav>
            <main class="content">
                {move || match area.get() {
                    Area::Domains => view! { <DomainsPage /> }.into_any(),
                    Area::Skills => view! { <SkillsPage /> }.into_any(),
                    Area::Studio => view! { <StudioPage /> }.into_any(),
                    Area::Settings => view! { <SettingsPage /> }.into_any(),
                    Area::Inbox => view! { <InboxPage /> }.into_any(),
                    Area::Review => view! { <ReviewPage /> }.into_any(),
                    Area::Monitor => view! { <MonitorPage /> }.into_any(),
                }}
            </main>
            <Tooltip />
        </div>
    }
}
