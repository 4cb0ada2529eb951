use crate::area::Area;
use leptos::prelude::*;

/// An area of the product that does not exist yet says so, and what it will do.
#[component]
pub fn NotBuilt(area: Area) -> impl IntoView {
    let what = match area {
        Area::Monitor => "Signals from dbt and dlt runs, anomaly checks and the alert engine.",
        _ => "",
    };
    view! {
        <section data-testid=format!("page-{}", area.slug())>
            <header class="page-header">
                <h1>{area.label()}</h1>
            </header>
            <div class="not-built" data-testid="area-not-built">
                <p>
                    <strong>"Not built yet."</strong>
                    " This area of Vibedata Studio has not been implemented in this version."
                </p>
                <p class="muted">"What it will do: " {what}</p>
            </div>
        </section>
    }
}
