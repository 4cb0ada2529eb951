//! The Studio: a domain's intents with their lifecycle state, a box to start a new one, and the
//! person's steps (start planning, approve the plan, revise it, …). The plan, build and validation
//! agents that fill an intent arrive with the build-loop work; here the lifecycle is already real.

mod fabric;

use crate::api;
use crate::view_helpers::{action_error, error_panel, loading, settled};
use leptos::prelude::*;
use leptos::task::spawn_local;
use vibedata_protocol::inbox::PullRequestDto;
use vibedata_protocol::{
    AgentStage, BranchDiffDto, ErrorDto, IntentDto, IntentOffersDto, IntentState, IntentStep,
    ValidationDto,
};

#[component]
pub fn StudioPage() -> impl IntoView {
    let workspaces = LocalResource::new(api::list_workspaces);
    let selected = RwSignal::new(None::<String>);
    view! {
        <section data-testid="page-studio">
            <header class="page-header">
                <h1>"Studio"</h1>
                <p class="hint">"Intents: changes asked for in plain words, each on its own branch, moving from plan to build to validation."</p>
            </header>
            <Suspense fallback=|| loading("Reading workspaces…")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        workspaces.await.map(|list| {
                            if selected.get_untracked().is_none() {
                                selected.set(list.first().map(|w| w.id.clone()));
                            }
                            view! {
                                <label>"Domain "
                                    <select data-testid="studio-domain" on:change=move |ev| selected.set(Some(event_target_value(&ev)))>
                                        {list.into_iter().map(|w| view! { <option value=w.id.clone()>{w.name}</option> }).collect_view()}
                                    </select>
                                </label>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
            {move || selected.get().map(|id| view! { <Intents workspace_id=id /> })}
        </section>
    }
}

/// A person's write to a domain's intents.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IntentWrite {
    /// A new intent with this title.
    Create(String),
    /// A step of an intent's lifecycle: (intent id, step); `start_validation` runs the validation.
    Step(String, IntentStep),
    /// Abandon the intent (its branch and worktree go).
    Abandon(String),
}

/// The places of the steps a person takes from a row. The lifecycle alternates between the first
/// two (start planning → approve → start the build → validate → build again → validate), so a step
/// never appears where the last one was clicked; going back has its own place.
const STEP_SLOTS: [&[IntentStep]; 3] = [
    &[
        IntentStep::StartPlanning,
        IntentStep::StartBuild,
        IntentStep::RetryBuild,
    ],
    &[IntentStep::ApprovePlan, IntentStep::StartValidation],
    &[IntentStep::RevisePlan],
];

/// Merges a Ready intent into the default branch here.
type MergeIntent = Action<String, Result<vibedata_protocol::MergedDto, ErrorDto>>;

/// Opens an intent's pull request; answers with the intent it was for.
type OpenPullRequest = Action<String, (String, Result<PullRequestDto, ErrorDto>)>;

#[component]
fn Intents(workspace_id: String) -> impl IntoView {
    let id = StoredValue::new(workspace_id);
    let title = RwSignal::new(String::new());
    let report = RwSignal::new(None::<ValidationDto>);
    // Creating and stepping share one action, so one error line under the form says what the
    // last of them ran into, until the next one is tried.
    let write = Action::new_local(move |w: &IntentWrite| {
        let (ws, w) = (id.get_value(), w.clone());
        async move {
            match w {
                IntentWrite::Create(t) => {
                    let result = api::create_intent(&ws, &t).await;
                    if result.is_ok() {
                        title.set(String::new());
                    }
                    result.map(|_| ())
                }
                IntentWrite::Step(intent_id, IntentStep::StartValidation) => {
                    api::validate_intent(&intent_id)
                        .await
                        .map(|r| report.set(Some(r)))
                }
                IntentWrite::Step(intent_id, step) => {
                    // The last validation report is stale once the intent moves on.
                    report.set(None);
                    api::intent_step(&intent_id, step).await.map(|_| ())
                }
                IntentWrite::Abandon(intent_id) => api::abandon_intent(&intent_id).await,
            }
        }
    });
    let open_pr: OpenPullRequest = Action::new_local(|intent_id: &String| {
        let intent_id = intent_id.clone();
        async move {
            let result = api::open_pull_request(&intent_id).await;
            (intent_id, result)
        }
    });
    // A validation runs the real dbt (tens of seconds): its progress is shown while it runs.
    let validating = move || {
        write.pending().get()
            && write
                .input()
                .with(|i| matches!(i, Some(IntentWrite::Step(_, IntentStep::StartValidation))))
    };
    let elapsed = RwSignal::new(0u32);
    let stop_validation = Action::new_local(|intent_id: &String| {
        let intent_id = intent_id.clone();
        async move { api::cancel_validation(&intent_id).await }
    });
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if validating() {
                elapsed.update(|s| *s += 1);
            } else if elapsed.get_untracked() != 0 {
                elapsed.set(0);
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || timer.clear());
    }
    // Merging a Ready intent here (its origin has no pull requests); its outcome stays shown.
    let merge: MergeIntent = Action::new_local(|intent_id: &String| {
        let intent_id = intent_id.clone();
        async move { api::merge_intent(&intent_id).await }
    });
    // Bumped when a plan is restored or a variant adopted (the table shows the plan version).
    let plans_changed = RwSignal::new(0u32);
    // While an intent waits for its plan or for something to be built (the agent, or the person's
    // editor, writes into its worktree), the list reads again now and then, so Approve and
    // Validate wake up when they can run.
    let waiting = RwSignal::new(false);
    let seen = StoredValue::new(None::<Vec<(String, IntentState, bool, IntentOffersDto)>>);
    let poll = RwSignal::new(0u32);
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if waiting.get_untracked() {
                poll.update(|p| *p += 1);
            }
        },
        std::time::Duration::from_secs(2),
    ) {
        on_cleanup(move || timer.clear());
    }
    let intents = LocalResource::new(move || {
        write.version().track();
        poll.track();
        open_pr.version().track();
        merge.version().track();
        plans_changed.track();
        let id = id.get_value();
        async move { api::list_intents(&id).await }
    });
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        write.dispatch(IntentWrite::Create(title.get_untracked()));
    };
    let plans_of = RwSignal::new(None::<(String, bool)>);
    // A step refused earlier is stale once a plan is restored, or a merge or pull request made.
    Effect::new(move |_| {
        plans_changed.track();
        merge.version().track();
        open_pr.version().track();
        write.value().set(None);
    });
    // The intent whose agent stage is shown: (intent id, stage), and a branch diff.
    let agent_for = RwSignal::new(None::<(String, AgentStage)>);
    let branch_diff = RwSignal::new(None::<Result<BranchDiffDto, ErrorDto>>);
    let fabric_of = RwSignal::new(None::<(String, String)>);
    view! {
        <form class="add-workspace" data-testid="intent-form" on:submit=create>
            <input type="text" placeholder="What should change? e.g. silver customer table from CRM bronze" data-testid="intent-title"
                prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
            <button type="submit" data-testid="intent-submit" disabled=move || write.pending().get()>"New intent"</button>
        </form>
        {action_error(write, "intent-error")}
        {move || validating().then(|| view! {
            <p class="loading" data-testid="validation-progress" role="status">
                <span class="spinner"></span>
                {move || format!(
                    "Validating on the local warehouse: dbt build of the changed models and what depends on them, then the golden data and the success criteria… {} s ",
                    elapsed.get()
                )}
                <button class="link" data-testid="validation-cancel" on:click=move |_| {
                    let running = write.input().with(|i| match i {
                        Some(IntentWrite::Step(id, IntentStep::StartValidation)) => Some(id.clone()),
                        _ => None,
                    });
                    if let Some(id) = running {
                        stop_validation.dispatch(id);
                    }
                }>"Cancel"</button>
                {action_error(stop_validation, "validation-cancel-error")}
            </p>
        })}
        {move || settled(merge).map(|r| match r {
            Ok(m) => {
                let said = if m.pushed {
                    format!("{} merged into {} and pushed.", m.intent.title, m.base)
                } else {
                    format!(
                        "{} merged into {} here; not pushed: {}",
                        m.intent.title,
                        m.base,
                        m.push_problem.unwrap_or_default()
                    )
                };
                view! { <p class="ok" data-testid="intent-merged" data-pushed=m.pushed.to_string()>{said}</p> }.into_any()
            }
            Err(e) => view! { <p class="error-inline" data-testid="intent-merge-error">{e.message}</p> }.into_any(),
        })}
        {move || report.get().map(|r| view! {
            <div class="validation" data-testid="validation-report" data-passed=r.passed.to_string()>
                <ul class="plain">
                    {r.checks.iter().map(|c| view! {
                        <li data-testid="validation-check" data-name=c.name.clone() data-passed=c.passed.to_string()>
                            {if c.passed { "✔ " } else { "✘ " }}<code>{c.name.clone()}</code>" — "{c.summary.clone()}
                        </li>
                    }).collect_view()}
                </ul>
                <details><summary>"Report (validation.md)"</summary><pre class="code">{r.markdown.clone()}</pre></details>
            </div>
        })}
        {move || plans_of.get().map(|(intent_id, replan)| view! { <PlansPanel intent_id replan plans_changed /> })}
        {move || fabric_of.get().map(|(intent_id, title)| view! { <fabric::IntentFabric intent_id title /> })}
        {move || agent_for.get().map(|(intent_id, stage)| view! {
            <div class="validation" data-testid="intent-agent" data-stage=stage.as_str()>
                <crate::pages::domain::agent::AgentPane workspace_id=id stage=(intent_id, stage)
                    on_finished=Callback::new(move |_| plans_changed.update(|p| *p += 1)) />
            </div>
        })}
        {move || branch_diff.get().map(|r| match r {
            Ok(d) => view! {
                <div class="validation" data-testid="intent-diff">
                    <h3>{format!("{} compared with {}", d.head, d.base)}</h3>
                    <ul class="plain" data-testid="intent-commits">
                        {d.commits.iter().map(|c| view! {
                            <li data-testid="intent-commit"><code>{c.short_id().to_string()}</code>" " {c.summary.clone()} <span class="muted">" · " {c.author.clone()}</span></li>
                        }).collect_view()}
                    </ul>
                    {
                        // The model changes first; the intent's own documents folded under them.
                        let (books, real): (Vec<_>, Vec<_>) =
                            d.files.into_iter().partition(|f| f.path.starts_with(".vibedata/"));
                        let count = books.len();
                        view! {
                            <crate::pages::domain::changes::ChangeList files=real testid="intent-diff-row" />
                            {(count > 0).then(|| view! {
                                <details data-testid="intent-diff-bookkeeping">
                                    <summary>{format!("The intent's documents ({count} files under .vibedata/)")}</summary>
                                    <crate::pages::domain::changes::ChangeList files=books testid="intent-diff-row" />
                                </details>
                            })}
                        }
                    }
                </div>
            }.into_any(),
            Err(e) => view! { <p class="error-inline" data-testid="intent-diff-error">{e.message}</p> }.into_any(),
        })}
        <Transition fallback=|| loading("Reading intents…")>
            <ErrorBoundary fallback=error_panel>
                {move || Suspend::new(async move {
                    intents.await.map(|list| {
                        waiting.set(list.iter().any(|i| {
                            (i.state == IntentState::Building
                                && !i.offers.steps.contains(&IntentStep::StartValidation))
                                || (i.state == IntentState::Planning && !i.plan_written)
                        }));
                        // A step's result is stale once the intents changed under it (a plan
                        // written, a build done elsewhere): its message goes.
                        let now: Vec<_> = list.iter().map(|i| (i.id.clone(), i.state, i.plan_written, i.offers.clone())).collect();
                        if seen.with_value(|was| was.as_ref().is_some_and(|was| *was != now)) && !write.pending().get_untracked() {
                            write.value().set(None);
                        }
                        seen.set_value(Some(now));
                        if list.is_empty() {
                            return view! { <p class="muted" data-testid="intents-empty">"No intent yet in this domain."</p> }.into_any();
                        }
                        let row = Row { write, open_pr, merge, plans_of, agent_for, branch_diff, fabric_of, workspace_id: id };
                        view! {
                            <table class="table" data-testid="intent-table">
                                <thead><tr><th>"Intent"</th><th>"State"</th><th>"Branch"</th><th>"Plan"</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|i| intent_row(i, row)).collect_view()}</tbody>
                            </table>
                        }
                        .into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// What an intent's row acts on: the page's writes and the panels it opens.
#[derive(Clone, Copy)]
struct Row {
    write: Action<IntentWrite, Result<(), ErrorDto>>,
    open_pr: OpenPullRequest,
    merge: MergeIntent,
    plans_of: RwSignal<Option<(String, bool)>>,
    agent_for: RwSignal<Option<(String, AgentStage)>>,
    branch_diff: RwSignal<Option<Result<BranchDiffDto, ErrorDto>>>,
    /// The intent whose Fabric panel is open: (id, title).
    fabric_of: RwSignal<Option<(String, String)>>,
    workspace_id: StoredValue<String>,
}

fn intent_row(i: IntentDto, row: Row) -> impl IntoView {
    let Row {
        write,
        open_pr,
        merge,
        plans_of,
        agent_for,
        branch_diff,
        fabric_of,
        workspace_id,
    } = row;
    // What the core offers on this intent now: the page keeps no copy of the lifecycle.
    let offers = i.offers.clone();
    let target = (i.id.clone(), offers.replan);
    let agent_buttons = offers
        .stages
        .iter()
        .map(|&stage| {
            let id = i.id.clone();
            view! { <button class="link" data-testid=format!("intent-agent-{stage}") on:click=move |_| agent_for.set(Some((id.clone(), stage)))>{stage.label()}</button> }
        })
        .collect_view();
    let branch = i.branch.clone();
    // A read: the branch compared with the domain's default branch.
    let show_diff = move |_| {
        let (ws, branch) = (workspace_id.get_value(), branch.clone());
        spawn_local(async move {
            let result = match api::git_state(&ws).await {
                Ok(state) => {
                    let base = state.default_branch.unwrap_or_else(|| "main".into());
                    api::branch_diff(&ws, &base, &branch).await
                }
                Err(e) => Err(e),
            };
            branch_diff.set(Some(result));
        });
    };
    // Every step has a place of its own in the row (an unoffered one keeps its room, unseen), so
    // the next step never appears under the cursor that took the last one.
    let asking = RwSignal::new(None::<IntentStep>);
    let plan_written = i.plan_written;
    let buttons = STEP_SLOTS
        .iter()
        .map(|slot| {
            let id = StoredValue::new(i.id.clone());
            let Some(s) = slot.iter().copied().find(|s| offers.steps.contains(s)) else {
                // The slot keeps the room of its longest step.
                let widest = slot.iter().map(|s| s.label()).max_by_key(|l| l.len()).unwrap_or("");
                return view! { <button class="link slot-empty" aria-hidden="true" tabindex="-1" disabled=true>{widest}</button> }.into_any();
            };
            // Approving waits for the plan (the agent's, or one written in the person's editor: the
            // list reads again while an intent plans, so the step wakes up on its own).
            let no_plan = s == IntentStep::ApprovePlan && !plan_written;
            let tip = no_plan.then_some("No plan yet: the planning agent, or your own editor, writes plan.md in the intent's folder");
            view! {
                <button class="link" data-testid=format!("intent-step-{s}") data-waiting=no_plan.to_string() data-tip=tip
                    disabled=move || no_plan || write.pending().get() on:click=move |_| {
                    if s.goes_back() {
                        asking.set(Some(s));
                    } else {
                        write.dispatch(IntentWrite::Step(id.get_value(), s));
                    }
                }>{s.label()}</button>
            }
            .into_any()
        })
        .collect_view();
    // Steps that go back are confirmed in place.
    let back_id = StoredValue::new(i.id.clone());
    let plan_version = i.plan_version;
    let confirm_back = move || {
        asking.get().map(|s| view! {
            <div class="confirm" data-testid="intent-step-confirm">
                {format!("{}? The intent goes back to planning, as plan v{}; what is on its branch stays. ", s.label(), plan_version + 1)}
                <button data-testid="intent-step-confirm-yes" on:click=move |_| {
                    asking.set(None);
                    write.dispatch(IntentWrite::Step(back_id.get_value(), s));
                }>{s.label()}</button>
                " "
                <button class="link" data-testid="intent-step-confirm-no" on:click=move |_| asking.set(None)>"Keep it"</button>
            </div>
        })
    };
    let abandoning = RwSignal::new(false);
    let abandon_id = StoredValue::new(i.id.clone());
    let abandonable = !matches!(i.state, IntentState::Merged | IntentState::Deployed);
    let abandon = move || {
        abandonable.then(|| view! {
            <Show when=move || abandoning.get() fallback=move || view! {
                <button class="link danger" data-testid="intent-abandon" on:click=move |_| abandoning.set(true)>"Abandon"</button>
            }>
                <span class="confirm" data-testid="intent-abandon-confirm">
                    "Abandon it? Its branch and worktree are deleted here. "
                    <button class="danger" data-testid="intent-abandon-yes" on:click=move |_| {
                        abandoning.set(false);
                        write.dispatch(IntentWrite::Abandon(abandon_id.get_value()));
                    }>"Abandon"</button>
                    " "
                    <button class="link" data-testid="intent-abandon-no" on:click=move |_| abandoning.set(false)>"Keep it"</button>
                </span>
            </Show>
        })
    };
    view! {
        <tr data-testid="intent-row" data-slug=i.slug.clone() data-state=i.state.as_str() data-worktree=i.worktree.clone() data-tip=format!("Its branch is checked out in {}", i.worktree)>
            <td class="title-cell"><strong class="clamp" data-tip=i.title.clone()>{i.title.clone()}</strong></td>
            <td><span class=format!("badge state-{}", i.state) data-testid="intent-state">{i.state.label()}</span></td>
            <td><code>{i.branch.clone()}</code></td>
            <td>{format!("v{}", i.plan_version)}</td>
            <td class="steps">
                {buttons}
                {confirm_back}
                {abandon}
                {agent_buttons}
                <button class="link" data-testid="intent-plans" on:click=move |_| plans_of.set(Some(target.clone()))>"Plans"</button>
                <button class="link" data-testid="intent-branch-diff" on:click=show_diff>"Diff"</button>
                {
                    let target = (i.id.clone(), i.title.clone());
                    view! { <button class="link" data-testid="intent-fabric-open" on:click=move |_| fabric_of.set(Some(target.clone()))>"Fabric"</button> }
                }
                {offers.pull_request.then(|| view! { <PullRequestCell intent_id=i.id.clone() opened={i.state == IntentState::PullRequest} open_pr /> })}
                {offers.merge_locally.then(|| view! { <MergeCell intent_id=i.id.clone() merge /> })}
            </td>
        </tr>
    }
}

/// Ready: push the branch and open the pull request (a person's act). Afterwards: its link, or
/// that it waits in the outbox, and the head commit's checks.
#[component]
fn PullRequestCell(intent_id: String, opened: bool, open_pr: OpenPullRequest) -> impl IntoView {
    let id = StoredValue::new(intent_id);
    // Where an opened pull request stands (read when the row shows).
    let status = opened.then(|| {
        LocalResource::new(move || {
            let id = id.get_value();
            async move { api::pull_request(&id).await }
        })
    });
    // Opening this intent's pull request is under way.
    let busy = move || {
        let mine = id.get_value();
        open_pr
            .input()
            .with(|input| input.as_deref() == Some(mine.as_str()))
    };
    // What opening it last answered (until it is tried again), else where it stands.
    let shown = move || -> Option<Result<PullRequestDto, ErrorDto>> {
        if busy() {
            return None;
        }
        let mine = id.get_value();
        let answered = open_pr.value().with(|last| match last {
            Some((for_id, answer)) if *for_id == mine => Some(answer.clone()),
            _ => None,
        });
        answered.or_else(|| status.and_then(|s| s.get()))
    };
    view! {
        {(!opened).then(|| view! {
            <button class="link" data-testid="intent-open-pr" disabled=busy on:click=move |_| {
                open_pr.dispatch(id.get_value());
            }>
                {move || if busy() { "Pushing…" } else { "Open pull request" }}
            </button>
        })}
        {move || shown().map(|r| match r {
            Ok(pr) => {
                let checks = if let Some(e) = pr.checks_error.clone() {
                    format!("checks unknown: {e}")
                } else if pr.checks.is_empty() {
                    "no checks yet".to_string()
                } else {
                    pr.checks
                        .iter()
                        .map(|c| format!("{}: {}", c.name, c.conclusion.map(|c| c.as_str()).unwrap_or(c.status.as_str())))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                match pr.url.clone() {
                    Some(url) => view! {
                        <span data-testid="intent-pr" data-state=pr.state.as_str()>
                            <code data-testid="intent-pr-url">{url}</code> " · " <span data-testid="intent-pr-checks">{checks}</span>
                        </span>
                    }.into_any(),
                    None => view! {
                        <span data-testid="intent-pr" data-state=pr.state.as_str()>
                            {format!("Pull request {} in the outbox", pr.state)}
                            {pr.last_error.map(|e| format!(" ({e})"))}
                        </span>
                    }.into_any(),
                }
            }
            Err(e) => view! { <span class="error-inline" data-testid="intent-pr-error">{e.message}</span> }.into_any(),
        })}
    }
}

/// An intent's plan: the current text, every kept version (compare, restore) and the variants
/// on offer (adopt). Restoring and adopting are possible while planning; each bumps
/// `plans_changed` when done, so the intents re-read.
#[component]
fn PlansPanel(intent_id: String, replan: bool, plans_changed: RwSignal<u32>) -> impl IntoView {
    let id = StoredValue::new(intent_id);
    let planning = replan;
    let diff = RwSignal::new(None::<String>);
    // Errors of the reads (comparing versions or a variant).
    let error = RwSignal::new(None::<ErrorDto>);
    // (version to restore, variant to adopt): one of the two.
    let replace = Action::new_local(move |(version, variant): &(Option<u32>, Option<String>)| {
        let (intent_id, version, variant) = (id.get_value(), *version, variant.clone());
        async move {
            let result = api::replace_plan(&intent_id, version, variant.as_deref()).await;
            plans_changed.update(|n| *n += 1);
            result
        }
    });
    let plans = LocalResource::new(move || {
        replace.version().track();
        let id = id.get_value();
        async move { api::intent_plans(&id).await }
    });
    let show = move |read: Result<String, ErrorDto>| match read {
        Ok(d) => {
            diff.set(Some(d));
            error.set(None);
        }
        Err(e) => error.set(Some(e)),
    };
    let compare = move |from: u32, to: u32| {
        let intent_id = id.get_value();
        spawn_local(async move { show(api::plan_diff(&intent_id, from, to).await) });
    };
    let compare_variant = move |name: String| {
        let intent_id = id.get_value();
        spawn_local(async move { show(api::variant_diff(&intent_id, &name).await) });
    };
    view! {
        <div class="validation" data-testid="plans-panel">
            {move || error.get().map(|e| view! { <p class="error-inline" data-testid="plan-read-error">{e.message}</p> })}
            {action_error(replace, "plan-replace-error")}
            <Transition fallback=|| loading("Reading plans…")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        plans.await.map(|p| {
                            let versions = p.versions.clone();
                            view! {
                                <h3>"Current plan"</h3>
                                <pre class="code" data-testid="plan-current">{p.current.clone().unwrap_or_else(|| "(no plan.md yet)".into())}</pre>
                                <h3>"Versions"</h3>
                                <ul class="plain">
                                    {versions.iter().map(|v| {
                                        let v = *v;
                                        view! {
                                            <li data-testid="plan-version" data-version=v.to_string()>
                                                {format!("v{v} ")}
                                                {(v > 0).then(|| view! { <button class="link" data-testid="plan-compare" on:click=move |_| compare(v - 1, v)>{format!("compare with v{}", v - 1)}</button> })}
                                                {planning.then(|| view! { <button class="link" data-testid="plan-restore" on:click=move |_| { replace.dispatch((Some(v), None)); }>" restore"</button> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <h3>"Variants"</h3>
                                <ul class="plain">
                                    {p.variants.iter().map(|name| {
                                        let n = name.clone();
                                        let c = name.clone();
                                        view! {
                                            <li data-testid="plan-variant" data-name=name.clone()>
                                                {name.clone()}
                                                <button class="link" data-testid="variant-compare" on:click=move |_| compare_variant(c.clone())>" compare"</button>
                                                {planning.then(|| view! { <button class="link" data-testid="plan-adopt" on:click=move |_| { replace.dispatch((None, Some(n.clone()))); }>" adopt"</button> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            {move || diff.get().map(|d| view! { <pre class="diff" data-testid="plan-diff">{d}</pre> })}
        </div>
    }
}

/// Ready, on a repository whose origin has no pull requests: the person merges into the default
/// branch here (asked once more in place), and the default branch is pushed to the origin.
#[component]
fn MergeCell(intent_id: String, merge: MergeIntent) -> impl IntoView {
    let id = StoredValue::new(intent_id);
    let confirming = RwSignal::new(false);
    view! {
        <Show when=move || confirming.get() fallback=move || view! {
            <button class="link" data-testid="intent-merge" data-tip="Its origin has no pull requests: merge into the default branch here" on:click=move |_| confirming.set(true)>"Merge locally"</button>
        }>
            <span class="confirm" data-testid="intent-merge-confirm">
                "Merge into the default branch and push it? "
                <button data-testid="intent-merge-yes" disabled=move || merge.pending().get() on:click=move |_| { merge.dispatch(id.get_value()); }>"Merge"</button>
                " "
                <button class="link" data-testid="intent-merge-no" on:click=move |_| confirming.set(false)>"Not yet"</button>
            </span>
        </Show>
    }
}
