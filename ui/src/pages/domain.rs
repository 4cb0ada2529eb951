//! The Domain page: one workspace's dbt project from the native index — search, file tree,
//! coverage, problems, a model view with SQL, columns and lineage, and a file view. The file
//! watcher's revisions arrive over a channel and refetch what is shown; nothing reloads by hand.

pub mod agent;
pub mod changes;
mod columns;
mod fabric;
mod file_tree;
mod highlight;
pub mod lineage;

use crate::api;
use crate::view_helpers::{action_error, error_panel, loading};
use agent::AgentPane;
use changes::{ChangesPane, Git, GitStatus, keep_fetching};
use columns::{ColumnTable, lineage_nodes};
use file_tree::FileTree;
use leptos::prelude::*;
use lineage::{LineageGraph, parse_depth};
use vibedata_protocol::{
    CoverageDto, FileDto, IndexSummaryDto, NodeDetailDto, NodeRowDto, ProblemDto,
};

/// What the main pane shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Focus {
    Overview,
    Changes,
    Agent,
    Node(String),
    File(String, u32),
}

#[component]
pub fn DomainView(
    workspace_id: String,
    workspace_name: String,
    on_close: Callback<()>,
) -> impl IntoView {
    let revision = RwSignal::new(0u64);
    let opened = StoredValue::new(false);
    let focus = RwSignal::new(Focus::Overview);
    let query = RwSignal::new(String::new());
    let id = StoredValue::new(workspace_id);

    let summary = LocalResource::new(move || {
        let rev = revision.get();
        let id = id.get_value();
        async move {
            if opened.get_value() {
                api::domain_summary(&id).await
            } else {
                opened.set_value(true);
                let _ = rev;
                api::open_domain(&id, move |e| revision.set(e.revision)).await
            }
        }
    });
    let results = LocalResource::new(move || {
        let (q, _) = (query.get(), revision.get());
        let id = id.get_value();
        async move { api::search_nodes(&id, &q).await }
    });
    let open = Callback::new(move |f: Focus| focus.set(f));
    let git = Git::new(id);
    keep_fetching(git);

    view! {
        <section class="domain" data-testid="domain-view" data-revision=move || revision.get().to_string()>
            <header class="page-header domain-header">
                <button class="link" data-testid="domain-back" on:click=move |_| on_close.run(())>"← Workspaces"</button>
                <h1>{workspace_name}</h1>
                <GitStatus git />
                <button class="link" data-testid="domain-overview" on:click=move |_| focus.set(Focus::Overview)>"Overview"</button>
                <button class="link" data-testid="domain-changes" on:click=move |_| focus.set(Focus::Changes)>"Changes"</button>
                <button class="link" data-testid="domain-agent" on:click=move |_| focus.set(Focus::Agent)>"Agent"</button>
            </header>
            {action_error(git.fetch, "fetch-error")}
            <div class="domain-layout">
                <aside class="domain-sidebar">
                    <input
                        class="search"
                        type="search"
                        placeholder="Search models, sources, tests…"
                        data-testid="node-search"
                        on:input=move |ev| query.set(event_target_value(&ev))
                    />
                    <Transition fallback=|| loading("Searching…")>
                        <ErrorBoundary fallback=error_panel>
                            {move || Suspend::new(async move {
                                results.await.map(|rows| view! { <SearchResults rows open /> })
                            })}
                        </ErrorBoundary>
                    </Transition>
                    <h3>"Files"</h3>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            summary.await.ok().map(|s| view! { <FileTree files=s.files open /> })
                        })}
                    </Transition>
                </aside>
                <div class="domain-main">
                    // The agent panel stays mounted (hidden on other tabs): index revisions — which
                    // the agent's own writes cause — and tab switches must not wipe a session.
                    <div hidden=move || focus.get() != Focus::Agent>
                        <AgentPane workspace_id=id />
                    </div>
                    <Transition fallback=|| loading("Indexing the dbt project…")>
                        <ErrorBoundary fallback=error_panel>
                            {move || Suspend::new(async move {
                                let summary = summary.await?;
                                let ws = id.get_value();
                                Ok::<_, vibedata_protocol::ErrorDto>(match focus.get() {
                                    Focus::Overview => view! { <Overview summary open /> <fabric::FabricLink workspace_id=ws /> }.into_any(),
                                    Focus::Changes => view! { <ChangesPane git workspace_id=id revision /> }.into_any(),
                                    Focus::Agent => ().into_any(),
                                    Focus::Node(uid) => view! { <NodeView workspace_id=ws unique_id=uid revision open /> }.into_any(),
                                    Focus::File(path, line) => view! { <FileView workspace_id=ws path line revision open /> }.into_any(),
                                })
                            })}
                        </ErrorBoundary>
                    </Transition>
                </div>
            </div>
        </section>
    }
}

#[component]
fn SearchResults(rows: Vec<NodeRowDto>, open: Callback<Focus>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="search-empty">"Nothing matches."</p> }
            .into_any();
    }
    view! {
        <ul class="results" data-testid="search-results">
            {rows
                .into_iter()
                .map(|r| {
                    let uid = r.unique_id.clone();
                    view! {
                        <li>
                            <button
                                class="result"
                                data-testid="search-result"
                                data-uid=r.unique_id.clone()
                                data-tip=r.unique_id.clone()
                                on:click=move |_| open.run(Focus::Node(uid.clone()))
                            >
                                <span class=format!("kind kind-{}", r.kind)>{r.kind.label()}</span>
                                {r.name}
                                {r.matched_column.map(|c| view! { <span class="muted" data-testid="search-matched-column">{format!(" · column {c}")}</span> })}
                                {r.version.map(|v| view! { <span class="muted">" v" {v}</span> })}
                            </button>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Overview(summary: IndexSummaryDto, open: Callback<Focus>) -> impl IntoView {
    let counts = summary
        .counts
        .iter()
        .map(|c| view! { <span class="count" data-testid="count" data-kind=c.kind.as_str()><strong>{c.count}</strong> " " {c.kind.noun(c.count)}</span> })
        .collect_view();
    let packages = (!summary.packages.is_empty())
        .then(|| view! { <p class="muted">"Packages: " {summary.packages.join(", ")}</p> });
    view! {
        <div data-testid="domain-overview-pane">
            <h2 data-testid="domain-project-name">{summary.project_name.clone().unwrap_or_else(|| "(no dbt project)".into())}</h2>
            <div class="counts">{counts}</div>
            {packages}
            <h3>"Coverage"</h3>
            <CoverageTable total=summary.coverage.clone() folders=summary.folders.clone() />
            <h3>"Problems"</h3>
            <ProblemList problems=summary.problems.clone() open />
        </div>
    }
}

#[component]
fn CoverageTable(total: CoverageDto, folders: Vec<CoverageDto>) -> impl IntoView {
    let row = |c: CoverageDto, testid: &'static str| {
        let scope = if c.scope.is_empty() {
            "All models".to_string()
        } else {
            c.scope.clone()
        };
        view! {
            <tr data-testid=testid data-scope=c.scope.clone()>
                <td>{scope}</td>
                <td class="num">{c.models}</td>
                <td class="num" data-tip=format!("{}/{} columns", c.documented_columns, c.columns)>{format!("{:.0}%", c.docs_pct)}</td>
                <td class="num" data-tip=format!("{}/{} columns", c.tested_columns, c.columns)>{format!("{:.0}%", c.tests_pct)}</td>
                <td class="num" data-tip=format!("{}/{} models", c.contracted_models, c.models)>{format!("{:.0}%", c.contracts_pct)}</td>
            </tr>
        }
    };
    view! {
        <table class="table coverage" data-testid="coverage">
            <thead>
                <tr><th>"Folder"</th><th>"Models"</th><th>"Columns documented"</th><th>"Columns tested"</th><th>"Contracts"</th></tr>
            </thead>
            <tbody>
                {row(total, "coverage-total")}
                {folders.into_iter().map(|f| row(f, "coverage-folder")).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn ProblemList(problems: Vec<ProblemDto>, open: Callback<Focus>) -> impl IntoView {
    if problems.is_empty() {
        return view! { <p class="ok" data-testid="problems-none">"No problems found."</p> }
            .into_any();
    }
    view! {
        <ul class="problems" data-testid="problems">
            {problems
                .into_iter()
                .map(|p| {
                    let (file, line) = (p.file.clone(), p.line);
                    view! {
                        <li
                            class=format!("problem problem-{}", p.severity)
                            data-testid="problem-row"
                            data-code=p.code.clone()
                            data-file=p.file.clone()
                            data-line=p.line.to_string()
                        >
                            <span class="severity">{p.severity.as_str()}</span>
                            <button class="link location" data-testid="problem-link" on:click=move |_| open.run(Focus::File(file.clone(), line))>
                                {format!("{}:{}", p.file, p.line)}
                            </button>
                            <span class="message">{p.message}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn NodeView(
    workspace_id: String,
    unique_id: String,
    revision: RwSignal<u64>,
    open: Callback<Focus>,
) -> impl IntoView {
    let ids = StoredValue::new((workspace_id, unique_id));
    let detail = LocalResource::new(move || {
        let _ = revision.get();
        let (ws, uid) = ids.get_value();
        async move { api::node_detail(&ws, &uid).await }
    });
    // dbt's depth selector: `3+name+3` by default.
    let depth = RwSignal::new((3u32, 3u32));
    let graph = LocalResource::new(move || {
        let _ = revision.get();
        let (up, down) = depth.get();
        let (ws, uid) = ids.get_value();
        async move { api::lineage(&ws, &uid, up, down).await }
    });
    view! {
        <Transition fallback=|| loading("Loading…")>
            <ErrorBoundary fallback=error_panel>
                {move || Suspend::new(async move {
                    let d = detail.await?;
                    let g = graph.await?;
                    Ok::<_, vibedata_protocol::ErrorDto>(view! { <NodeDetail d g open depth /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn NodeDetail(
    d: NodeDetailDto,
    g: vibedata_protocol::LineageDto,
    open: Callback<Focus>,
    depth: RwSignal<(u32, u32)>,
) -> impl IntoView {
    let (file, line) = (d.node.file.clone(), d.node.line);
    // The column whose lineage is open, and the nodes it involves (marked in the graph).
    let selected = RwSignal::new(None::<String>);
    let all_columns = d.columns.clone();
    let marked = Signal::derive(move || {
        selected
            .get()
            .and_then(|name| {
                all_columns
                    .iter()
                    .find(|c| c.name == name)
                    .map(lineage_nodes)
            })
            .unwrap_or_default()
    });
    let columns = (!d.columns.is_empty()).then(|| {
        view! { <ColumnTable columns=d.columns.clone() has_code=d.code.is_some() selected open /> }
    });
    let name = d.node.name.clone();
    let spec = RwSignal::new({
        let (up, down) = depth.get_untracked();
        format!("{up}+{name}+{down}")
    });
    let bad_spec = RwSignal::new(false);
    let apply_depth = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_depth(&spec.get_untracked()) {
            Some(d) => {
                bad_spec.set(false);
                depth.set(d);
            }
            None => bad_spec.set(true),
        }
    };
    let tests = (!d.tests.is_empty()).then(|| {
        view! {
            <h3>"Tests (" {d.tests.len()} ")"</h3>
            <ul class="plain" data-testid="node-tests">
                {d.tests.iter().map(|t| view! { <li><span class=format!("kind kind-{}", t.kind)>{t.kind.label()}</span> {t.name.clone()}</li> }).collect_view()}
            </ul>
        }
    });
    let code = d
        .code
        .clone()
        .map(|code| view! { <h3>"Code"</h3><pre class="code" data-testid="node-sql">{code}</pre> });
    let problems = (!d.problems.is_empty())
        .then(|| view! { <ProblemList problems=d.problems.clone() open /> });
    view! {
        <article class="node" data-testid="node-view" data-uid=d.node.unique_id.clone()>
            <header class="node-header">
                <span class=format!("kind kind-{}", d.node.kind)>{d.node.kind.label()}</span>
                <h2 data-testid="node-name">{d.node.name.clone()}</h2>
                {d.node.version.clone().map(|v| view! { <span class="badge">"v" {v}</span> })}
                {d.contract_enforced.then(|| view! { <span class="badge badge-contract" data-testid="node-contract">"contract enforced"</span> })}
                {d.materialized.clone().map(|m| view! { <span class="badge">{m}</span> })}
                <button class="link" data-testid="node-file" on:click=move |_| open.run(Focus::File(file.clone(), line))>
                    {format!("{}:{}", d.node.file, d.node.line)}
                </button>
            </header>
            {(!d.description.is_empty()).then(|| view! { <p class="description">{d.description.clone()}</p> })}
            {problems}
            <h3>"Lineage"</h3>
            <form class="inline-form" data-testid="lineage-depth-form" on:submit=apply_depth>
                <input type="text" data-testid="lineage-depth" data-tip="dbt's selector: levels upstream + name + levels downstream (+name: all)"
                    prop:value=move || spec.get() on:input=move |ev| spec.set(event_target_value(&ev)) />
                <button type="submit" class="link">"Show"</button>
                {move || bad_spec.get().then(|| view! { <span class="error-inline" role="alert">"Write it as dbt does: 2+name+1"</span> })}
            </form>
            <LineageGraph lineage=g open marked />
            {columns}
            {tests}
            {code}
        </article>
    }
}

#[component]
fn FileView(
    workspace_id: String,
    path: String,
    line: u32,
    revision: RwSignal<u64>,
    open: Callback<Focus>,
) -> impl IntoView {
    let args = StoredValue::new((workspace_id, path));
    let file = LocalResource::new(move || {
        let _ = revision.get();
        let (ws, path) = args.get_value();
        async move { api::domain_file(&ws, &path).await }
    });
    view! {
        <Transition fallback=|| loading("Opening…")>
            <ErrorBoundary fallback=error_panel>
                {move || Suspend::new(async move {
                    let workspace_id = args.get_value().0;
                    file.await.map(|f| view! { <FileText f line open workspace_id /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn FileText(f: FileDto, line: u32, open: Callback<Focus>, workspace_id: String) -> impl IntoView {
    let target = StoredValue::new((workspace_id, f.path.clone()));
    let in_editor = Action::new_local(move |_: &()| {
        let (ws, path) = target.get_value();
        async move { api::open_in_editor(&ws, &path).await }
    });
    let opened =
        move || {
            crate::view_helpers::settled(in_editor).and_then(|r| r.ok()).map(|p| {
            view! { <span class="ok" data-testid="file-opened">{format!(" opened {p}")}</span> }
        })
        };
    let current = NodeRef::<leptos::html::Tr>::new();
    Effect::new(move |_| {
        if let Some(row) = current.get() {
            row.scroll_into_view();
        }
    });
    let nodes = f
        .nodes
        .iter()
        .map(|n| {
            let uid = n.unique_id.clone();
            view! { <button class="chip" data-testid="file-node" data-uid=n.unique_id.clone() on:click=move |_| open.run(Focus::Node(uid.clone()))>{n.name.clone()}</button> }
        })
        .collect_view();
    let problems = (!f.problems.is_empty())
        .then(|| view! { <ProblemList problems=f.problems.clone() open /> });
    let path = f.path.clone();
    let rows = f
        .text
        .lines()
        .enumerate()
        .map(|(i, text)| {
            let n = i as u32 + 1;
            let code = highlight::line(&path, text)
                .into_iter()
                .map(|(tok, piece)| view! { <span class=tok.class()>{piece}</span> })
                .collect_view();
            if n == line {
                view! { <tr class="current" data-testid="file-line-current" node_ref=current><td class="ln">{n}</td><td><code>{code}</code></td></tr> }.into_any()
            } else {
                view! { <tr><td class="ln">{n}</td><td><code>{code}</code></td></tr> }.into_any()
            }
        })
        .collect_view();
    view! {
        <article class="file" data-testid="file-view" data-path=f.path.clone()>
            <h2>
                <code>{f.path.clone()}</code>
                " "
                <span class="file-actions">
                    <button class="link" data-testid="file-open-editor" data-tip="Open it in your own editor" on:click=move |_| { in_editor.dispatch(()); }>"Open in your editor"</button>
                    {opened}
                    {crate::view_helpers::action_error(in_editor, "file-open-error")}
                </span>
            </h2>
            <div class="chips">{nodes}</div>
            {problems}
            <table class="source"><tbody>{rows}</tbody></table>
        </article>
    }
}
