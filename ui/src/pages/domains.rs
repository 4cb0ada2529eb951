use crate::api;
use crate::pages::domain::DomainView;
use crate::view_helpers::{error_panel, loading};
use leptos::prelude::*;
use vibedata_protocol::{WorkspaceDto, WorkspaceKind};

/// Registered workspaces (source and domain clones) with their branch and last commit.
#[component]
pub fn DomainsPage() -> impl IntoView {
    let workspaces = LocalResource::new(api::list_workspaces);
    // The workspace whose dbt project is open, as (id, name).
    let opened = RwSignal::new(None::<(String, String)>);
    provide_context(opened);
    move || {
        match opened.get() {
        Some((id, name)) => {
            view! { <DomainView workspace_id=id workspace_name=name on_close=Callback::new(move |_| opened.set(None)) /> }.into_any()
        }
        None => workspace_list(workspaces).into_any(),
    }
    }
}

fn workspace_list(
    workspaces: LocalResource<Result<Vec<WorkspaceDto>, vibedata_protocol::ErrorDto>>,
) -> impl IntoView {
    view! {
        <section data-testid="page-domains">
            <header class="page-header">
                <h1>"Data domains and sources"</h1>
                <p class="hint">"Local clones of your team's repositories."</p>
            </header>
            <Suspense fallback=|| loading("Preparing workspaces… the first start creates the demo domain and loads its DuckDB warehouse.")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        workspaces.await.map(|list| view! { <WorkspaceTable list /> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn WorkspaceTable(list: Vec<WorkspaceDto>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="empty" data-testid="workspaces-empty">"No workspace is registered yet."</p>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="workspace-table">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Kind"</th>
                    <th>"Branch"</th>
                    <th>"Last commit"</th>
                    <th>"Path"</th>
                </tr>
            </thead>
            <tbody>{list.into_iter().map(|ws| view! { <WorkspaceRow ws /> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn WorkspaceRow(ws: WorkspaceDto) -> impl IntoView {
    let kind = match ws.kind {
        WorkspaceKind::Domain => "domain",
        WorkspaceKind::Source => "source",
    };
    let commit = ws.last_commit.clone().map(|c| {
        let short = c.short_id().to_owned();
        view! {
            <span class="commit" data-testid="workspace-commit" title=c.id.clone()>
                <code>{short}</code>
                " "
                {c.summary}
                <span class="muted">" · " {c.author} " · " {format_time(c.time)}</span>
            </span>
        }
    });
    let opened = use_context::<RwSignal<Option<(String, String)>>>();
    let target = (ws.id.clone(), ws.name.clone());
    view! {
        <tr data-testid="workspace-row" data-name=ws.name.clone() data-id=ws.id.clone()>
            <td>
                <button
                    class="link workspace-open"
                    data-testid="workspace-open"
                    title="Open the dbt project"
                    on:click=move |_| {
                        if let Some(o) = opened {
                            o.set(Some(target.clone()));
                        }
                    }
                >
                    <strong data-testid="workspace-name">{ws.name.clone()}</strong>
                </button>
                {ws
                    .problem
                    .clone()
                    .map(|p| view! { <div class="problem" data-testid="workspace-problem">{p}</div> })}
            </td>
            <td>
                <span class=format!("badge badge-{kind}")>{kind}</span>
            </td>
            <td data-testid="workspace-branch">
                {ws.branch.clone().unwrap_or_else(|| "(detached)".into())}
            </td>
            <td>{commit}</td>
            <td>
                <code class="path" data-testid="workspace-path">{ws.path.clone()}</code>
            </td>
        </tr>
    }
}

/// `YYYY-MM-DD HH:MM` (UTC) from Unix seconds.
fn format_time(seconds: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(seconds as f64 * 1000.0));
    let iso: String = date.to_iso_string().into();
    format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "))
}
