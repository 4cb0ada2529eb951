//! The Review page: pick a domain and a branch (intent branches first) or an open pull request
//! of the synced inbox (its head fetched); see what it does to the dbt project against the
//! default branch (a pull request: its target branch) — changed nodes with their breaking-change class and
//! columns, the downstream impact column by column, and contract breaks.

use crate::api;
use crate::pages::domain::lineage::LineageGraph;
use crate::view_helpers::{action_error, error_panel, loading, settled};
use leptos::prelude::*;
use vibedata_protocol::review::{ChangeKind, DataDiffDto, ModelDataDiffDto, ReviewDto};
use vibedata_protocol::{GitStateDto, WorkspaceDto};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let workspaces = LocalResource::new(api::list_workspaces);
    view! {
        <section data-testid="page-review">
            <header class="page-header">
                <h1>"Review"</h1>
                <p class="hint">"What a branch does to the domain's dbt project, before it merges: changed models and how they break what reads them, column by column."</p>
            </header>
            <Transition fallback=|| loading("Loading domains…")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        workspaces.await.map(|list| view! { <ReviewForm list /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// Intent branches first, then the others; never the default branch (the base).
fn candidates(state: &GitStateDto) -> Vec<String> {
    let base = state.default_branch.clone().unwrap_or_default();
    let mut names: Vec<String> = state
        .branches
        .iter()
        .map(|b| b.name.clone())
        .filter(|n| *n != base)
        .collect();
    names.sort_by_key(|n| (!n.starts_with("intent/"), n.clone()));
    names
}

#[component]
fn ReviewForm(list: Vec<WorkspaceDto>) -> impl IntoView {
    let first = list.first().map(|w| w.id.clone()).unwrap_or_default();
    let workspace = RwSignal::new(first);
    let head = RwSignal::new(String::new());
    let state = LocalResource::new(move || {
        let id = workspace.get();
        async move { api::git_state(&id).await }
    });
    // Open pull requests of the synced inbox (none when the origin is not GitHub).
    let pulls = LocalResource::new(move || {
        let id = workspace.get();
        async move { api::review_pulls(&id).await.unwrap_or_default() }
    });
    let run = Action::new_local(move |(ws, head): &(String, String)| {
        let (ws, head) = (ws.clone(), head.clone());
        async move { api::review_branch(&ws, &head).await }
    });
    let options = list
        .iter()
        .map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> })
        .collect_view();
    view! {
        <form class="inline-form" data-testid="review-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            run.dispatch((workspace.get_untracked(), head.get_untracked()));
        }>
            <select data-testid="review-workspace" on:change=move |ev| { workspace.set(event_target_value(&ev)); head.set(String::new()); }>
                {options}
            </select>
            <Transition fallback=|| loading("Reading branches…")>
                {move || Suspend::new(async move {
                    let branches = state.await.map(|s| candidates(&s)).unwrap_or_default();
                    let pulls = pulls.await;
                    if head.get_untracked().is_empty()
                        && let Some(b) = branches.first().cloned().or_else(|| pulls.first().map(|p| p.head.clone()))
                    {
                        head.set(b);
                    }
                    if branches.is_empty() && pulls.is_empty() {
                        return view! { <span class="muted" data-testid="review-no-branch">"No branch besides the default one, and no open pull request in the inbox."</span> }.into_any();
                    }
                    view! {
                        <select data-testid="review-branch" prop:value=move || head.get() on:change=move |ev| head.set(event_target_value(&ev))>
                            <optgroup label="Branches">
                                {branches.into_iter().map(|b| view! { <option value=b.clone()>{b.clone()}</option> }).collect_view()}
                            </optgroup>
                            {(!pulls.is_empty()).then(|| view! {
                                <optgroup label="Pull requests (inbox)">
                                    {pulls.into_iter().map(|p| {
                                        let label = format!("#{} {} — {}", p.number, p.title, p.author);
                                        view! { <option value=p.head.clone() data-testid="review-pull-option">{label}</option> }
                                    }).collect_view()}
                                </optgroup>
                            })}
                        </select>
                    }
                    .into_any()
                })}
            </Transition>
            <button type="submit" data-testid="review-run" disabled=move || run.pending().get() || head.get().is_empty()>"Review"</button>
        </form>
        {action_error(run, "review-error")}
        {move || run.pending().get().then(|| loading(if head.get_untracked().starts_with("pull/") { "Fetching the pull request, indexing both sides and comparing…" } else { "Indexing both sides and comparing…" }))}
        {move || settled(run).and_then(Result::ok).map(|r| view! { <ReviewResult r /> })}
    }
}

#[component]
fn ReviewResult(r: ReviewDto) -> impl IntoView {
    let count = |c: &str| {
        r.changed
            .iter()
            .filter(|n| n.category.map(|k| k.as_str()) == Some(c))
            .count()
    };
    let summary = format!(
        "{} changed · {} breaking · {} partially breaking · {} unknown · {} downstream · {} contract breaks",
        r.changed.len(),
        count("breaking"),
        count("partial_breaking"),
        count("unknown"),
        r.impact.iter().filter(|i| !i.changed).count(),
        r.contract_breaks.len()
    );
    let short = |c: &str| c.get(..8).unwrap_or(c).to_string();
    let from = if r.from_merge_base {
        "from where it left"
    } else {
        "tip to tip (unrelated histories) against"
    };
    let changed = r
        .changed
        .iter()
        .map(|c| {
            let category = c.category.map(|k| k.as_str()).unwrap_or("");
            let badge = c.category.map(|k| view! { <span class=format!("badge cat-{}", k.as_str())>{k.label()}</span> });
            let change = match c.change {
                ChangeKind::Added => "added",
                ChangeKind::Removed => "removed",
                ChangeKind::Modified => "modified",
            };
            let cols = [
                ("+", &c.added_columns, "col-added"),
                ("−", &c.removed_columns, "col-removed"),
                ("~", &c.modified_columns, "col-modified"),
            ]
            .into_iter()
            .filter(|(_, l, _)| !l.is_empty())
            .map(|(sign, l, class)| view! { <span class=class>{format!("{sign} {}", l.join(", "))}</span>" " })
            .collect_view();
            view! {
                <tr data-testid="review-changed" data-uid=c.unique_id.clone() data-change=change data-category=category>
                    <td><span class=format!("kind kind-{}", c.kind)>{c.kind.label()}</span>" "<strong class="clamp" data-tip=c.unique_id.clone()>{c.name.clone()}</strong></td>
                    <td>{change}</td>
                    <td>{badge}</td>
                    <td>{cols}</td>
                    <td class="muted">{c.modified.join(", ")}</td>
                    <td>{c.reason.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let impact = r
        .impact
        .iter()
        .filter(|i| !i.changed)
        .map(|i| {
            view! {
                <li data-testid="review-impact" data-uid=i.unique_id.clone()>
                    <span class=format!("kind kind-{}", i.kind)>{i.kind.label()}</span>" "
                    <strong>{i.name.clone()}</strong>
                    {(!i.affected_columns.is_empty()).then(|| view! { " — reached: "<span class="col-modified" data-testid="review-affected">{i.affected_columns.join(", ")}</span> })}
                    {(!i.unaffected_columns.is_empty()).then(|| view! { <span class="muted">{format!(" — not reached: {}", i.unaffected_columns.join(", "))}</span> })}
                </li>
            }
        })
        .collect_view();
    let breaks = r
        .contract_breaks
        .iter()
        .map(|b| view! { <li data-testid="review-contract-break" data-uid=b.unique_id.clone() data-column=b.column.clone() data-kind=b.kind.clone()>{format!("{} · {} · {}", b.unique_id, b.column, b.kind.replace('_', " "))}</li> })
        .collect_view();
    // The changed nodes badged with their class, what they reach badged "downstream".
    let mut badges: std::collections::HashMap<String, (String, String)> = r
        .impact
        .iter()
        .filter(|i| !i.changed)
        .map(|i| {
            let reached = if i.affected_columns.is_empty() {
                "downstream"
            } else {
                "reached"
            };
            (
                i.unique_id.clone(),
                ("downstream".to_string(), reached.to_string()),
            )
        })
        .collect();
    for c in &r.changed {
        let (class, label) = match (c.change, c.category) {
            (ChangeKind::Added, _) => ("added".to_string(), "added".to_string()),
            (_, Some(k)) => (k.as_str().to_string(), k.label().to_string()),
            _ => ("modified".to_string(), "modified".to_string()),
        };
        badges.insert(c.unique_id.clone(), (class, label));
    }
    // Bumped when a data diff or a query check has run: the checks are read again.
    let checks_changed = RwSignal::new(0u32);
    let lineage = (!r.lineage.nodes.is_empty()).then(|| {
        let g = r.lineage.clone();
        view! {
            <div data-testid="review-lineage">
                <LineageGraph lineage=g open=Callback::new(|_| ()) marked=Signal::derive(Vec::new) badges />
            </div>
        }
    });
    let problems = r
        .problems
        .iter()
        .map(|p| view! { <li class="error-inline">{p.clone()}</li> })
        .collect_view();
    view! {
        <div class="review" data-testid="review-result">
            <p>
                <code>{r.head.clone()}</code>" (" <code>{short(&r.head_commit)}</code> ") " {from} " "
                <code>{r.base.clone()}</code>" (" <code>{short(&r.base_commit)}</code> ")"
            </p>
            <p class="review-summary" data-testid="review-summary">{summary}</p>
            <Ephemeral workspace_id=r.workspace_id.clone() head=r.head.clone() />
            <Advisor workspace_id=r.workspace_id.clone() head=r.head.clone() />
            <h3>"Lineage of the change"</h3>
            {lineage}
            <h3>"Changed"</h3>
            {if r.changed.is_empty() {
                view! { <p class="muted" data-testid="review-nothing">"No dbt node changes on this branch."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Node"</th><th>"Change"</th><th>"Class"</th><th>"Columns"</th><th>"What changed"</th><th>"Why"</th></tr></thead>
                        <tbody>{changed}</tbody>
                    </table>
                }.into_any()
            }}
            <h3>"Downstream"</h3>
            {r.impact.iter().all(|i| i.changed).then(|| view! { <p class="muted">"Nothing downstream of the changes."</p> })}
            <ul class="plain">{impact}</ul>
            <h3>"Contract breaks"</h3>
            {r.contract_breaks.is_empty().then(|| view! { <p class="muted">"None: no enforced contract loses a column, a type or a constraint."</p> })}
            <ul class="plain">{breaks}</ul>
            <ul class="plain">{problems}</ul>
            <DataDiff workspace_id=r.workspace_id.clone() head=r.head.clone() checks_changed />
            <Checks workspace_id=r.workspace_id.clone() head=r.head.clone() head_commit=r.head_commit.clone() checks_changed />
            <h3>"Code"</h3>
            <crate::pages::domain::changes::ChangeList files=r.code.clone() testid="review-code-file" />
            <YourReview workspace_id=r.workspace_id.clone() head=r.head.clone() />
        </div>
    }
}

/// The reviewer advisor: a summary of the change in which every claim cites the review's facts
/// (shown beside it); a replay says so. It never posts or approves — the person does, below.
/// The branch's ephemeral Fabric workspace, when its intent has one, and — once it is ready —
/// the data diff in Fabric against production.
#[component]
fn Ephemeral(workspace_id: String, head: String) -> impl IntoView {
    let (w, h) = (StoredValue::new(workspace_id), StoredValue::new(head));
    let found = LocalResource::new(move || {
        let (w, h) = (w.get_value(), h.get_value());
        async move { api::ephemeral_of_branch(&w, &h).await }
    });
    let diff = Action::new_local(move |_: &()| {
        let (w, h) = (w.get_value(), h.get_value());
        async move { api::fabric_data_diff(&w, &h).await }
    });
    let result = move || {
        diff.value().get().map(|r| match r {
            Ok(d) => view! { <div data-testid="fabric-data-diff"><DataDiffResult d /></div> }.into_any(),
            Err(e) => view! { <p class="error-inline" data-testid="fabric-data-diff-error">{e.message}</p> }.into_any(),
        })
    };
    move || {
        found.get().and_then(|r| r.ok()).flatten().map(|e| {
            let ready = e.state == "ready";
            view! {
                <p data-testid="review-ephemeral" data-state=e.state.clone()>
                    "Fabric: the branch's ephemeral workspace " <code>{e.name.clone()}</code>
                    {format!(" is {}", e.state.replace('_', " "))}
                    {e.job_status.clone().map(|j| format!(" (dbt job {j})"))}
                    ". "
                    {ready.then(|| view! {
                        <button class="link" data-testid="fabric-data-diff-run" disabled=move || diff.pending().get() on:click=move |_| { diff.dispatch(()); }>"Diff its data against production in Fabric"</button>
                    })}
                </p>
                {move || diff.pending().get().then(|| loading("Comparing in Fabric: segment checksums first, then only the rows that differ…"))}
                {result}
            }
        })
    }
}

#[component]
fn Advisor(workspace_id: String, head: String) -> impl IntoView {
    use vibedata_protocol::{SessionEventDto, SessionStatus};
    let args = StoredValue::new((workspace_id, head));
    let refresh = RwSignal::new(0u32);
    let running = RwSignal::new(false);
    // Why the last run kept nothing (a refused summary, a failed session).
    let note = RwSignal::new(None::<String>);
    let summary = LocalResource::new(move || {
        refresh.get();
        let (ws, head) = args.get_value();
        async move { api::review_summary(&ws, &head).await }
    });
    let start = Action::new_local(move |_: &()| {
        let (ws, head) = args.get_value();
        running.set(true);
        note.set(None);
        async move {
            let r = api::advise_review(&ws, &head, move |e: SessionEventDto| match e {
                SessionEventDto::ToolResult {
                    output,
                    is_error: true,
                    ..
                } => note.set(Some(output)),
                SessionEventDto::Finished { status, message } => {
                    running.set(false);
                    refresh.update(|n| *n += 1);
                    if status != SessionStatus::Completed {
                        note.set(Some(message.unwrap_or_else(|| status.as_str().to_string())));
                    }
                }
                _ => {}
            })
            .await;
            if r.is_err() {
                running.set(false);
            }
            r
        }
    });
    let missing_model = move || {
        !start.pending().get()
            && start.value().with(|last| {
                matches!(last, Some(Err(e)) if e.code == vibedata_protocol::ErrorCode::ModelNotConfigured)
            })
    };
    view! {
        <section class="advisor" data-testid="review-advisor">
            <h3>"Advisor"</h3>
            <p class="inline-form">
                <button data-testid="review-advise" disabled=move || running.get() || start.pending().get()
                    on:click=move |_| { start.dispatch(()); }>"Summarise the change"</button>
                <span class="hint">"An agent reads the facts on this page and writes a summary; every claim links to the fact it rests on. It cannot post or approve."</span>
            </p>
            {move || running.get().then(|| loading("The advisor is reading the review…"))}
            {move || if missing_model() {
                view! { <crate::pages::domain::agent::ModelPrompt /> }.into_any()
            } else {
                action_error(start, "review-advise-error").into_any()
            }}
            {move || note.get().map(|n| view! { <p class="error-inline" data-testid="review-advise-note">{n}</p> })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    summary.await.ok().flatten().map(|s| {
                        let label = if s.is_replay {
                            format!("Replay: {} — not a model's answer", s.provider.trim_start_matches("replay of "))
                        } else {
                            format!("From {}", s.provider)
                        };
                        let claims = s.claims.into_iter().map(|c| {
                            let cites = c.citations.into_iter().map(|f| {
                                let target = f.unique_id.clone().unwrap_or_default();
                                view! {
                                    <a class="citation" href="#" data-testid="review-citation" data-fact=f.id.clone() data-uid=target.clone() data-tip=f.text.clone()
                                        on:click=move |ev: leptos::ev::MouseEvent| {
                                            ev.prevent_default();
                                            focus_fact(&target);
                                        }>{format!("[{}]", f.id)}</a>" "
                                }
                            }).collect_view();
                            view! { <li data-testid="review-claim">{c.text}" "{cites}</li> }
                        }).collect_view();
                        view! {
                            <div data-testid="review-advice" data-replay=s.is_replay.to_string() data-stale=s.stale.to_string()>
                                <p class="muted" data-testid="review-advice-source">{label}</p>
                                {s.stale.then(|| view! { <p class="error-inline">"Written for an older head of this branch: summarise again."</p> })}
                                <ul class="claims">{claims}</ul>
                            </div>
                        }
                    })
                })}
            </Transition>
        </section>
    }
}

/// Scrolls to the row of a node the advisor cites and marks it for a moment.
fn focus_fact(unique_id: &str) {
    if unique_id.is_empty() {
        return;
    }
    let doc = document();
    let selector = format!(
        "[data-testid='review-changed'][data-uid='{0}'], [data-testid='review-impact'][data-uid='{0}'], [data-testid='review-contract-break'][data-uid='{0}']",
        unique_id.replace('\'', "")
    );
    if let Ok(Some(el)) = doc.query_selector(&selector) {
        el.scroll_into_view();
        let _ = el.set_attribute("data-cited", "true");
    }
}

/// Both sides built on the local DuckDB and each changed or impacted model's data compared.
#[component]
fn DataDiff(workspace_id: String, head: String, checks_changed: RwSignal<u32>) -> impl IntoView {
    let args = StoredValue::new((workspace_id, head));
    let run = Action::new_local(move |_: &()| {
        let (ws, head) = args.get_value();
        async move {
            let r = api::data_diff_branch(&ws, &head).await;
            checks_changed.update(|n| *n += 1);
            r
        }
    });
    let cancel = Action::new_local(move |_: &()| {
        let (ws, head) = args.get_value();
        async move { api::cancel_data_diff(&ws, &head).await }
    });
    let elapsed = RwSignal::new(0u32);
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if run.pending().get_untracked() {
                elapsed.update(|e| *e += 1);
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || timer.clear());
    }
    view! {
        <h3>"Data"</h3>
        <p>
            <button data-testid="data-diff-run" disabled=move || run.pending().get() on:click=move |_| { elapsed.set(0); run.dispatch(()); }>
                "Build both sides on the local DuckDB and compare the data"
            </button>
        </p>
        {move || run.pending().get().then(|| view! {
            <p class="loading" data-testid="data-diff-progress" role="status"><span class="spinner"></span>
                {move || format!("dbt builds the base, then the head from it; then each table is compared… {} s ", elapsed.get())}
                <button class="link" data-testid="data-diff-cancel" on:click=move |_| { cancel.dispatch(()); }>"Cancel"</button>
            </p>
        })}
        {action_error(cancel, "data-diff-cancel-error")}
        {action_error(run, "data-diff-error")}
        {move || settled(run).and_then(Result::ok).map(|d| view! { <DataDiffResult d /> })}
    }
}

#[component]
fn DataDiffResult(d: DataDiffDto) -> impl IntoView {
    let failures = d
        .build_failures
        .iter()
        .map(|f| view! { <li class="error-inline" data-testid="data-diff-build-failure">{f.clone()}</li> })
        .collect_view();
    let models = d
        .models
        .into_iter()
        .map(|m| view! { <ModelDiff m /> })
        .collect_view();
    view! {
        <ul class="plain">{failures}</ul>
        <div data-testid="data-diff-result">{models}</div>
    }
}

#[component]
fn ModelDiff(m: ModelDataDiffDto) -> impl IntoView {
    let counts = match (m.base_only, m.head_only, m.changed_rows) {
        _ if m.identical => "identical".to_string(),
        (Some(b), Some(h), Some(c)) => {
            format!("{b} rows only in base · {h} only in head · {c} changed")
        }
        _ => String::new(),
    };
    let key = if m.key.is_empty() {
        String::new()
    } else {
        format!(
            "key {} (from {})",
            m.key.join(", "),
            m.key_evidence.clone().unwrap_or_default()
        )
    };
    let columns = m
        .columns
        .iter()
        .filter(|c| c.changed > 0)
        .map(|c| view! {
            <li data-testid="data-diff-column" data-name=c.name.clone() data-changed=c.changed.to_string()>
                <code>{c.name.clone()}</code>{format!(" — {} rows differ ({:.2} % match)", c.changed, c.match_pct)}
            </li>
        })
        .collect_view();
    let samples = m
        .samples
        .iter()
        .map(|s| view! { <li><code>{s.clone()}</code></li> })
        .collect_view();
    view! {
        <div class="card" data-testid="data-diff-model" data-uid=m.unique_id.clone() data-identical=m.identical.to_string()>
            <h4>{m.name.clone()}</h4>
            {m.error.clone().map(|e| view! { <p class="error-inline">{e}</p> })}
            <p class="muted">{format!("{} rows in base, {} in head. {key}", m.base_rows, m.head_rows)}</p>
            <p>{counts}</p>
            {m.note.clone().map(|n| view! { <p class="muted" data-testid="data-diff-note">{n}</p> })}
            {(!m.columns_added.is_empty()).then(|| view! { <p class="col-added">{format!("columns added: {}", m.columns_added.join(", "))}</p> })}
            {(!m.columns_removed.is_empty()).then(|| view! { <p class="col-removed">{format!("columns removed: {}", m.columns_removed.join(", "))}</p> })}
            <ul class="plain">{columns}</ul>
            {(!m.samples.is_empty()).then(|| view! { <details><summary>"Sample differing rows"</summary><ul class="plain">{samples}</ul></details> })}
        </div>
    }
}

/// The person's review of the branch's pull request: the summary comment and the review go out
/// through the outbox (exactly once, when GitHub can be reached).
#[component]
fn YourReview(workspace_id: String, head: String) -> impl IntoView {
    use vibedata_protocol::inbox::ReviewEvent;
    let args = StoredValue::new((workspace_id, head));
    let body = RwSignal::new(String::new());
    let post = Action::new_local(move |event: &ReviewEvent| {
        let ((ws, head), event, text) = (args.get_value(), *event, body.get_untracked());
        async move { api::post_review(&ws, &head, event, &text).await }
    });
    let button = move |event: ReviewEvent, label: &'static str, testid: &'static str| {
        view! { <button data-testid=testid disabled=move || post.pending().get() on:click=move |_| { post.dispatch(event); }>{label}</button> }
    };
    view! {
        <h3>"Your review"</h3>
        <p class="hint">"Goes to the branch's pull request through the outbox: the summary above as one comment (kept current), then your review."</p>
        <textarea data-testid="review-body" placeholder="What should change, or a note" rows="3"
            prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
        <p class="inline-form">
            {button(ReviewEvent::Approve, "Approve", "review-approve")}
            {button(ReviewEvent::RequestChanges, "Request changes", "review-request-changes")}
            {button(ReviewEvent::Comment, "Comment", "review-comment")}
        </p>
        {action_error(post, "review-post-error")}
        {move || settled(post).and_then(Result::ok).map(|items| if items.is_empty() {
            view! {
                <p class="ok" data-testid="review-kept">
                    "Your decision is kept here (this origin has no pull requests, so nothing goes to GitHub). An approved intent is merged from the Studio."
                </p>
            }.into_any()
        } else {
            view! {
                <p class="ok" data-testid="review-queued">
                    {format!("Queued in the outbox ({} writes): delivered to GitHub once it can be reached.", items.len())}
                </p>
            }.into_any()
        })}
    }
}

/// The checks kept with the review (each model's data diff, the reviewer's query diffs) and a
/// form to add a query check, run on both built sides.
#[component]
fn Checks(
    workspace_id: String,
    head: String,
    head_commit: String,
    checks_changed: RwSignal<u32>,
) -> impl IntoView {
    let args = StoredValue::new((workspace_id, head));
    let list = LocalResource::new(move || {
        checks_changed.track();
        let (ws, head) = args.get_value();
        async move { api::review_checks(&ws, &head).await }
    });
    let (name, sql) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let add = Action::new_local(move |_: &()| {
        let (ws, head) = args.get_value();
        let (n, q) = (name.get_untracked(), sql.get_untracked());
        async move {
            let r = api::query_diff(&ws, &head, &n, &q).await;
            checks_changed.update(|c| *c += 1);
            r
        }
    });
    let head_commit = StoredValue::new(head_commit);
    view! {
        <h3>"Checks"</h3>
        <Transition fallback=|| loading("Reading checks…")>
            {move || Suspend::new(async move {
                let checks = list.await.unwrap_or_default();
                if checks.is_empty() {
                    return view! { <p class="muted" data-testid="checks-none">"No check has run on this branch yet."</p> }.into_any();
                }
                view! {
                    <ul class="plain" data-testid="checks">
                        {checks.into_iter().map(|c| {
                            let stale = c.head_commit != head_commit.get_value();
                            view! {
                                <li data-testid="review-check" data-name=c.name.clone() data-status=c.status.as_str()>
                                    <span class=format!("badge check-{}", c.status.as_str())>{c.status.as_str()}</span>" "
                                    <strong>{c.name.clone()}</strong>" — "{c.summary.clone()}
                                    {stale.then(|| view! { <span class="badge badge-warn">"stale: an older commit"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </Transition>
        <form class="inline-form" data-testid="query-check-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); add.dispatch(()); }>
            <input type="text" placeholder="Check name" data-testid="query-check-name"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <textarea rows="2" placeholder="select … (runs on both built sides)" data-testid="query-check-sql"
                prop:value=move || sql.get() on:input=move |ev| sql.set(event_target_value(&ev))></textarea>
            <button type="submit" data-testid="query-check-run" disabled=move || add.pending().get()>"Run on both sides"</button>
        </form>
        {action_error(add, "query-check-error")}
    }
}
