use crate::api;
use crate::pages::domain::DomainView;
use crate::view_helpers::{action_error, error_panel, loading, settled};
use leptos::prelude::*;
use vibedata_protocol::{AddWorkspaceDto, CloneProgressDto, ErrorDto, WorkspaceDto, WorkspaceKind};

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

fn workspace_list(workspaces: LocalResource<Result<Vec<WorkspaceDto>, ErrorDto>>) -> impl IntoView {
    view! {
        <section data-testid="page-domains">
            <header class="page-header">
                <h1>"Data domains and sources"</h1>
                <p class="hint">"Local clones of your team's repositories."</p>
            </header>
            <AddWorkspaceForm on_added=Callback::new(move |_| workspaces.refetch()) />
            <Suspense fallback=|| loading("Preparing workspaces… the first start creates the demo domain and loads its DuckDB warehouse.")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        workspaces.await.map(|list| view! { <WorkspaceTable list on_changed=Callback::new(move |_| workspaces.refetch()) /> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn WorkspaceTable(list: Vec<WorkspaceDto>, on_changed: Callback<()>) -> impl IntoView {
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
                    <th></th>
                </tr>
            </thead>
            <tbody>{list.into_iter().map(|ws| view! { <WorkspaceRow ws on_changed /> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn WorkspaceRow(ws: WorkspaceDto, on_changed: Callback<()>) -> impl IntoView {
    // Unregistering keeps the folder; the demo domain stays.
    let remove = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let result = api::remove_workspace(&id).await;
            if result.is_ok() {
                on_changed.run(());
            }
            result
        }
    });
    let remove_id = StoredValue::new(ws.id.clone());
    let confirm_text = format!(
        "Remove {} from the app? Its folder {} stays on disk. ",
        ws.name, ws.path
    );
    // Asked in place (a second click), never a dialog that blocks the window.
    let confirming = RwSignal::new(false);
    let remove_button = (!ws.is_demo).then(|| {
        view! {
            <Show when=move || confirming.get() fallback=move || view! {
                <button class="link danger" data-testid="workspace-remove" data-tip="Unregister (the folder stays on disk)" on:click=move |_| confirming.set(true)>"Remove"</button>
            }>
                <span class="confirm" data-testid="workspace-remove-confirm">
                    {confirm_text.clone()}
                    <button class="danger" data-testid="workspace-remove-yes" disabled=move || remove.pending().get() on:click=move |_| {
                        remove.dispatch(remove_id.get_value());
                    }>"Remove"</button>
                    " "
                    <button class="link" data-testid="workspace-remove-no" on:click=move |_| confirming.set(false)>"Keep"</button>
                </span>
            </Show>
            {action_error(remove, "workspace-remove-error")}
        }
    });
    let kind = match ws.kind {
        WorkspaceKind::Domain => "domain",
        WorkspaceKind::Source => "source",
    };
    let commit = ws.last_commit.clone().map(|c| {
        let short = c.short_id().to_owned();
        view! {
            <span class="commit" data-testid="workspace-commit" data-tip=c.id.clone()>
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
                    data-tip="Open the dbt project"
                    on:click=move |_| {
                        if let Some(o) = opened {
                            o.set(Some(target.clone()));
                        }
                    }
                >
                    <strong data-testid="workspace-name" class="clamp" data-tip=ws.name.clone()>{ws.name.clone()}</strong>
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
                <code class="path" data-testid="workspace-path" data-tip=ws.path.clone()>{ws.path.clone()}</code>
                {(!ws.project_dir.is_empty()).then(|| view! { <div class="muted" data-testid="workspace-project-dir">{format!("dbt project in {}/", ws.project_dir)}</div> })}
                {(!ws.is_demo).then(|| view! { <ProjectDirSetting workspace_id=ws.id.clone() current=ws.project_dir.clone() on_changed /> })}
            </td>
            <td>{remove_button}</td>
        </tr>
    }
}

/// Where in the repository its dbt project is, changed in place: a folder holding
/// `dbt_project.yml`, or empty to have it found again. The domain then reads from there.
#[component]
fn ProjectDirSetting(
    workspace_id: String,
    current: String,
    on_changed: Callback<()>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let dir = RwSignal::new(current.clone());
    let id = StoredValue::new(workspace_id);
    let set = Action::new_local(move |dir: &String| {
        let dir = dir.clone();
        async move {
            let result = api::set_project_dir(&id.get_value(), &dir).await;
            if result.is_ok() {
                editing.set(false);
                on_changed.run(());
            }
            result
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        set.dispatch(dir.get_untracked());
    };
    view! {
        <Show when=move || editing.get() fallback=move || view! {
            <button class="link" data-testid="project-dir-edit" on:click=move |_| editing.set(true)>"dbt project folder…"</button>
        }>
            <form class="inline-form" data-testid="project-dir-form" on:submit=save>
                <input type="text" placeholder="e.g. transform (empty: find it)" data-testid="project-dir-input"
                    prop:value=move || dir.get() on:input=move |ev| dir.set(event_target_value(&ev)) />
                <button type="submit" data-testid="project-dir-save" disabled=move || set.pending().get()>"Use it"</button>
                <button type="button" class="link" data-testid="project-dir-cancel" on:click=move |_| editing.set(false)>"Cancel"</button>
            </form>
        </Show>
        {action_error(set, "project-dir-error")}
    }
}

/// `YYYY-MM-DD HH:MM` (UTC) from Unix seconds.
fn format_time(seconds: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(seconds as f64 * 1000.0));
    let iso: String = date.to_iso_string().into();
    format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "))
}

/// Registers a repository by URL (cloned, with a progress bar) or by local folder.
#[component]
fn AddWorkspaceForm(on_added: Callback<()>) -> impl IntoView {
    let source = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let project_dir = RwSignal::new(String::new());
    let kind = RwSignal::new(WorkspaceKind::Domain);
    let progress = RwSignal::new(None::<CloneProgressDto>);
    let add = Action::new_local(move |request: &AddWorkspaceDto| {
        let request = request.clone();
        async move {
            progress.set(None);
            let result = api::add_workspace(&request, move |p| progress.set(Some(p))).await;
            if result.is_ok() {
                on_added.run(());
                source.set(String::new());
                name.set(String::new());
                project_dir.set(String::new());
            }
            result
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (name, dir) = (name.get_untracked(), project_dir.get_untracked());
        add.dispatch(AddWorkspaceDto {
            source: source.get_untracked(),
            name: (!name.trim().is_empty()).then_some(name),
            kind: kind.get_untracked(),
            project_dir: (!dir.trim().is_empty()).then_some(dir),
        });
    };
    let bar = move || {
        progress.get().map(|p| {
            let pct = (p.fraction() * 100.0).round();
            view! {
                <div class="clone-progress" data-testid="clone-progress" data-received=p.received_objects.to_string() data-total=p.total_objects.to_string()>
                    <progress max="100" value=pct.to_string()></progress>
                    <span>{format!("{}/{} objects · {} KiB", p.received_objects, p.total_objects, p.received_bytes / 1024)}</span>
                </div>
            }
        })
    };
    // The last registration's outcome; gone while the next one runs.
    let message = move || {
        match settled(add) {
        Some(Ok(ws)) => view! { <p class="ok" data-testid="add-done">{format!("Registered {} at {}", ws.name, ws.path)}</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error-inline" role="alert" data-testid="add-error">{e.message}</p> }.into_any(),
        None => ().into_any(),
    }
    };
    view! {
        <form class="add-workspace" data-testid="add-workspace" on:submit=submit>
            <input
                type="text"
                placeholder="https://github.com/org/repo.git, file:///path/to/repo.git or /path/to/folder"
                data-testid="add-source"
                prop:value=move || source.get()
                on:input=move |ev| source.set(event_target_value(&ev))
            />
            <input type="text" placeholder="name (optional)" data-testid="add-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <input type="text" placeholder="dbt project folder (if not at the root)" data-testid="add-project-dir" data-tip="Found on its own when the repository holds one dbt project"
                prop:value=move || project_dir.get() on:input=move |ev| project_dir.set(event_target_value(&ev)) />
            <select data-testid="add-kind" on:change=move |ev| kind.set(if event_target_value(&ev) == "source" { WorkspaceKind::Source } else { WorkspaceKind::Domain })>
                <option value="domain">"domain (dbt)"</option>
                <option value="source">"source (dlt)"</option>
            </select>
            <button type="submit" data-testid="add-submit" disabled=move || add.pending().get()>
                {move || if add.pending().get() { "Adding…" } else { "Add repository" }}
            </button>
        </form>
        {bar}
        {message}
    }
}
