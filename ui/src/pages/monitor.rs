//! The Monitor page: per workspace, the incidents the alert engine made (linked to their Inbox
//! issue once GitHub has it), what fails now, the runs timeline, and each table metric's chart —
//! its values, the expected band and the flagged points (SVG; hover a point for its values).

use crate::api;
use crate::area::Area;
use crate::view_helpers::{error_panel, loading};
use leptos::prelude::*;
use vibedata_protocol::WorkspaceDto;
use vibedata_protocol::monitor::{
    IncidentDto, MetricSeriesDto, MonitorDto, NewSilenceDto, RunDto, SilenceDto,
};

#[component]
pub fn MonitorPage() -> impl IntoView {
    let workspaces = LocalResource::new(api::list_workspaces);
    view! {
        <section data-testid="page-monitor">
            <header class="page-header">
                <h1>"Monitor"</h1>
                <p class="hint">"Incidents raised from runs and anomaly checks, what fails now, and each table metric against what was expected."</p>
            </header>
            <Transition fallback=|| loading("Loading domains…")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        workspaces.await.map(|list| view! { <MonitorOf list /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn MonitorOf(list: Vec<WorkspaceDto>) -> impl IntoView {
    let first = list.first().map(|w| w.id.clone()).unwrap_or_default();
    let workspace = RwSignal::new(first);
    // Bumped when a silence is made or ended: the page is read again.
    let refresh = RwSignal::new(0u32);
    let overview = LocalResource::new(move || {
        let id = workspace.get();
        refresh.get();
        async move { api::monitor_overview(&id).await }
    });
    let options = list
        .iter()
        .map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> })
        .collect_view();
    view! {
        <p class="inline-form">
            <select data-testid="monitor-workspace" on:change=move |ev| workspace.set(event_target_value(&ev))>
                {options}
            </select>
        </p>
        <Transition fallback=|| loading("Reading runs and metrics…")>
            <ErrorBoundary fallback=error_panel>
                {move || Suspend::new(async move { overview.await.map(|m| view! { <Overview m refresh /> }) })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn Overview(m: MonitorDto, refresh: RwSignal<u32>) -> impl IntoView {
    let silences = m.silences.clone();
    let workspace_id = m.workspace_id.clone();
    let notes = m
        .notes
        .iter()
        .map(|n| view! { <p class="muted" data-testid="monitor-note">{n.clone()}</p> })
        .collect_view();
    let incidents = m
        .incidents
        .into_iter()
        .map(|i| view! { <Incident i /> })
        .collect_view();
    let failing = m
        .failing
        .iter()
        .map(|s| {
            view! {
                <li data-testid="monitor-failing" data-node=s.node.clone()>
                    <span class=format!("badge sev-{}", s.severity)>{s.severity.clone()}</span>" "
                    <code>{s.node.clone()}</code>" — "{s.kind.replace('_', " ")}
                    {s.failures.map(|f| format!(" ({f} failing rows)"))}
                    <span class="muted">{format!(" · {}", s.at)}</span>
                </li>
            }
        })
        .collect_view();
    // Table-level series always; a column's series when one of its points is flagged (the rest
    // are counted, not drawn: a wide warehouse has hundreds).
    let (shown, quiet): (Vec<_>, Vec<_>) = m.series.into_iter().partition(|s| {
        (s.column.is_none() && s.metric != "duration_seconds") || s.points.iter().any(|p| p.anomaly)
    });
    let quiet = (!quiet.is_empty()).then(|| {
        view! { <p class="muted" data-testid="monitor-quiet-series">{format!("{} more series (columns' null rates, distinct counts and means; models' run times) with nothing flagged are not drawn.", quiet.len())}</p> }
    });
    let charts = shown
        .into_iter()
        .map(|s| view! { <Chart s /> })
        .collect_view();
    view! {
        {notes}
        <h3>"Incidents"</h3>
        <ul class="plain incidents">{incidents}</ul>
        <h3>"Failing now"</h3>
        <ul class="plain">{failing}</ul>
        <h3>"Silences"</h3>
        <Silences list=silences workspace_id refresh />
        <h3>"Runs"</h3>
        <Runs runs=m.runs />
        <h3>"Table metrics"</h3>
        <div class="charts">{charts}</div>
        {quiet}
    }
}

#[component]
fn Incident(i: IncidentDto) -> impl IntoView {
    let area = use_context::<RwSignal<Area>>();
    let link = match (&i.repo, i.issue_number) {
        (Some(repo), Some(n)) => view! {
            <button class="link" data-testid="incident-issue" on:click=move |_| {
                if let Some(area) = area {
                    area.set(Area::Inbox)
                }
            }>{format!("{repo}#{n} in the Inbox")}</button>
        }
        .into_any(),
        (Some(repo), None) => view! { <span class="muted" data-testid="incident-waiting">{format!("issue on {repo} waiting in the outbox")}</span> }.into_any(),
        (None, _) => view! { <span class="muted" data-testid="incident-local">"kept here (no GitHub repository)"</span> }.into_any(),
    };
    let suppressed = (!i.suppressed.is_empty()).then(|| {
        let items = i
            .suppressed
            .iter()
            .map(|s| view! { <li>{s.clone()}</li> })
            .collect_view();
        view! {
            <details>
                <summary>{format!("{} suppressed", i.suppressed.len())}</summary>
                <ul class="plain">{items}</ul>
            </details>
        }
    });
    view! {
        <li data-testid="monitor-incident" data-state=i.state.clone() data-root=i.root.clone()>
            <span class=format!("badge state-{}", i.state)>{i.state.clone()}</span>" "
            <span class=format!("badge sev-{}", i.severity)>{i.severity.clone()}</span>" "
            <strong>{i.root.rsplit('.').next().unwrap_or(&i.root).to_string()}</strong>
            " — "{i.kinds.join(", ").replace('_', " ")}
            <span class="muted">{format!(" · {} signals · since {} · last {}", i.signals, i.opened_at, i.last_at)}</span>
            " "{link}
            {suppressed}
        </li>
    }
}

/// The silences that apply, and a form for a new one (a person's act, audited).
#[component]
fn Silences(list: Vec<SilenceDto>, workspace_id: String, refresh: RwSignal<u32>) -> impl IntoView {
    let matchers = RwSignal::new(String::new());
    let hours = RwSignal::new("2".to_string());
    let comment = RwSignal::new(String::new());
    let ws = StoredValue::new(workspace_id);
    let create = Action::new_local(move |_: &()| {
        let silence = NewSilenceDto {
            workspace_id: ws.get_value(),
            matchers: matchers
                .get_untracked()
                .split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect(),
            hours: hours.get_untracked().trim().parse().unwrap_or(0.0),
            comment: comment.get_untracked(),
        };
        async move {
            let r = api::create_silence(&silence).await;
            if r.is_ok() {
                refresh.update(|n| *n += 1);
            }
            r
        }
    });
    let expire = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let r = api::expire_silence(&id).await;
            if r.is_ok() {
                refresh.update(|n| *n += 1);
            }
            r
        }
    });
    let rows = list
        .into_iter()
        .map(|s| {
            let id = s.id.clone();
            view! {
                <li data-testid="monitor-silence" data-active=s.active.to_string()>
                    <span class=if s.active { "badge state-pending" } else { "badge" }>{if s.active { "active" } else { "expired" }}</span>" "
                    <code>{s.matchers.join(", ")}</code>
                    <span class="muted">{format!(" · until {} · by {}{} · ", s.ends, s.created_by, if s.everywhere { " · every workspace" } else { "" })}</span>
                    {s.comment.clone()}
                    {s.active.then(|| view! { " "<button class="link" data-testid="silence-expire" on:click=move |_| { expire.dispatch(id.clone()); }>"end now"</button> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="plain">{rows}</ul>
        <form class="inline-form" data-testid="silence-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            create.dispatch(());
        }>
            <input data-testid="silence-matchers" placeholder="node=model.shop.*, kind=test_failure" size="34"
                prop:value=move || matchers.get() on:input=move |ev| matchers.set(event_target_value(&ev)) />
            <input data-testid="silence-hours" size="4" prop:value=move || hours.get() on:input=move |ev| hours.set(event_target_value(&ev)) />
            <span class="muted">"hours"</span>
            <input data-testid="silence-comment" placeholder="why" size="28"
                prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev)) />
            <button type="submit" data-testid="silence-create" disabled=move || create.pending().get()>"Silence"</button>
        </form>
        {crate::view_helpers::action_error(create, "silence-error")}
        {crate::view_helpers::action_error(expire, "silence-expire-error")}
    }
}

/// One bar per run, oldest left; red when something failed (hover for the counts).
#[component]
fn Runs(runs: Vec<RunDto>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="muted">"No run has reported yet."</p> }.into_any();
    }
    let n = runs.len();
    let bars = runs
        .iter()
        .rev()
        .enumerate()
        .map(|(i, r)| {
            let class = if r.failed > 0 {
                "run-failed"
            } else if r.warned > 0 {
                "run-warned"
            } else {
                "run-ok"
            };
            let slowest: Vec<String> = r
                .models
                .iter()
                .take(5)
                .map(|m| format!("\n  {:.1} s {} ({})", m.seconds, m.node.rsplit('.').next().unwrap_or(&m.node), m.status))
                .collect();
            let title = format!(
                "{} — {} passed, {} failed, {} warned{}{}",
                r.at,
                r.passed,
                r.failed,
                r.warned,
                if r.seconds > 0.0 { format!(" · {:.1} s in all; slowest:", r.seconds) } else { String::new() },
                slowest.concat()
            );
            view! {
                <rect data-testid="monitor-run" class=class x=(i * 10).to_string() y="0" width="8" height="24">
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <svg class="runs" width=(n * 10).to_string() height="24" role="img" aria-label="runs, oldest first">{bars}</svg>
    }
    .into_any()
}

/// A metric's chart: the expected band, the expected line, the values, flagged points in red.
#[component]
fn Chart(s: MetricSeriesDto) -> impl IntoView {
    const W: f64 = 560.0;
    const H: f64 = 120.0;
    let pts = &s.points;
    let values = pts
        .iter()
        .flat_map(|p| [Some(p.value), p.low, p.high])
        .flatten()
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = pts.len().max(2) as f64 - 1.0;
    let x = move |i: usize| 8.0 + i as f64 * (W - 16.0) / n;
    let y = move |v: f64| H - 8.0 - (v - lo) / span * (H - 16.0);
    let line = |f: &dyn Fn(usize) -> Option<f64>| {
        pts.iter()
            .enumerate()
            .filter_map(|(i, _)| f(i).map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let band = {
        let upper: Vec<String> = pts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.high.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        let lower: Vec<String> = pts
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, p)| p.low.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        [upper, lower].concat().join(" ")
    };
    let expected = line(&|i| pts[i].expected);
    let values_line = line(&|i| Some(pts[i].value));
    let dots = pts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let title = match (p.expected, p.low, p.high) {
                (Some(e), Some(l), Some(h)) => format!(
                    "{}: {} (expected {:.1}, band {:.1}–{:.1}){}",
                    p.at,
                    p.value,
                    e,
                    l,
                    h,
                    if p.anomaly { " — anomaly" } else { "" }
                ),
                _ => format!("{}: {} (learning)", p.at, p.value),
            };
            let (class, r, testid) = if p.anomaly {
                ("point-anomaly", "4", "anomaly-point")
            } else {
                ("point", "2", "chart-point")
            };
            view! {
                <circle class=class data-testid=testid data-at=p.at.clone() cx=format!("{:.1}", x(i)) cy=format!("{:.1}", y(p.value)) r=r>
                    <title>{title}</title>
                </circle>
            }
        })
        .collect_view();
    let flagged = pts.iter().filter(|p| p.anomaly).count();
    let label = format!(
        "{}{} · {}",
        s.table,
        s.column
            .as_deref()
            .map(|c| format!(".{c}"))
            .unwrap_or_default(),
        s.metric.replace('_', " ")
    );
    view! {
        <figure class="chart" data-testid="monitor-chart" data-table=s.table.clone() data-metric=s.metric.clone() data-flagged=flagged.to_string()>
            <figcaption>
                <strong>{label}</strong>
                <span class="muted">{format!(" · {} points · {} flagged{}", pts.len(), flagged, s.season.as_deref().filter(|x| *x != "none").map(|x| format!(" · seasonality: {}", x.replace('_', " "))).unwrap_or_default())}</span>
            </figcaption>
            <svg width=W.to_string() height=H.to_string() role="img" aria-label=format!("{} over time", s.metric)>
                <polygon class="band" points=band />
                <polyline class="expected" points=expected />
                <polyline class="values" points=values_line />
                {dots}
            </svg>
        </figure>
    }
}
