use crate::api;
use crate::view_helpers::{error_panel, loading};
use leptos::prelude::*;
use vibedata_protocol::AppStatusDto;

/// Where the app keeps its state and whether its tools are ready.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let status = LocalResource::new(api::app_status);
    view! {
        <section data-testid="page-settings">
            <header class="page-header">
                <h1>"Settings"</h1>
                <p class="hint">
                    "Sign-in, model endpoints and MCP servers come with later versions; this page shows where the app keeps its data."
                </p>
            </header>
            <Suspense fallback=|| loading("Reading the app's status…")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        status.await.map(|s| view! { <StatusTable s /> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn StatusTable(s: AppStatusDto) -> impl IntoView {
    let venv = match (s.venv.dbt_version, s.venv.problem) {
        (Some(v), _) => format!("{} — dbt-core {v}", s.venv.path),
        (None, Some(problem)) => problem,
        (None, None) => s.venv.path,
    };
    let rows = [
        ("Version", s.version),
        ("Data directory", s.data_dir),
        ("Database", s.database),
        ("Logs", s.log_dir),
        ("Workspace root", s.workspace_root),
        ("Platform skills", s.skills_dir),
        ("Python tools", venv),
    ];
    view! {
        <dl class="status" data-testid="app-status">
            {rows
                .into_iter()
                .map(|(k, v)| view! {
                    <dt>{k}</dt>
                    <dd><code>{v}</code></dd>
                })
                .collect_view()}
        </dl>
    }
}
