//! An intent's Fabric panel: its ephemeral workspace (created from the branch, followed step by
//! step while it is prepared, torn down) and Check on Spark (its models built on local Spark).

use crate::api;
use crate::view_helpers::{action_error, settled};
use leptos::prelude::*;
use vibedata_protocol::fabric::EphemeralDto;

const STEPS: [&str; 7] = [
    "create",
    "assign",
    "connect",
    "initialize",
    "update",
    "run",
    "ready",
];

#[component]
pub fn IntentFabric(intent_id: String, title: String) -> impl IntoView {
    let id = StoredValue::new(intent_id);
    let up = Action::new_local(move |_: &()| {
        let id = id.get_value();
        async move { api::ephemeral_up(&id).await }
    });
    let down = Action::new_local(move |_: &()| {
        let id = id.get_value();
        async move { api::ephemeral_down(&id).await }
    });
    let spark = Action::new_local(move |_: &()| {
        let id = id.get_value();
        async move { api::check_on_spark(&id).await }
    });
    // The row as the store has it, read again every second while something runs.
    let row = RwSignal::new(None::<EphemeralDto>);
    let read = move || {
        let id = id.get_value();
        leptos::task::spawn_local(async move {
            if let Ok(r) = api::ephemeral_of(&id).await {
                row.set(r);
            }
        });
    };
    read();
    Effect::new(move |_| {
        up.version().track();
        down.version().track();
        read();
    });
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if up.pending().get_untracked() || down.pending().get_untracked() {
                read();
            }
        },
        std::time::Duration::from_millis(700),
    ) {
        on_cleanup(move || timer.clear());
    }
    let busy = move || up.pending().get() || down.pending().get();
    let steps = move || {
        row.get().map(|r| {
            let at = STEPS.iter().position(|s| *s == r.step);
            let items = STEPS
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let class = match at {
                        Some(a) if i < a || (r.state == "ready" && i <= a) => "done",
                        Some(a) if i == a && r.state == "failed" => "failed",
                        Some(a) if i == a => "current",
                        _ => "todo",
                    };
                    view! { <li class=format!("step {class}") data-testid="ephemeral-step" data-step=*s data-class=class>{*s}</li> }
                })
                .collect_view();
            view! {
                <div data-testid="ephemeral" data-state=r.state.clone() data-step=r.step.clone()>
                    <p>
                        <strong data-testid="ephemeral-name">{r.name.clone()}</strong>
                        {format!(" — {}", r.state.replace('_', " "))}
                        {r.commit.clone().map(|c| format!(" · at {}", &c[..c.len().min(10)]))}
                        {r.job_status.clone().map(|j| view! { " · dbt job " <span data-testid="ephemeral-job">{j}</span> })}
                    </p>
                    <ol class="steps-line">{items}</ol>
                    {r.message.clone().map(|m| view! { <pre class="code" data-testid="ephemeral-message">{m}</pre> })}
                </div>
            }
        })
    };
    let spark_result = move || {
        settled(spark).map(|r| match r {
            Ok(c) => view! {
                <div data-testid="spark-check" data-passed=c.passed.to_string()>
                    <p class=if c.passed { "ok" } else { "error-inline" }>
                        {format!("{} on Spark in {:.0} s", if c.passed { "Passed" } else { "Failed" }, c.seconds)}
                    </p>
                    <ul class="plain">{c.checks.into_iter().map(|k| view! { <li>{k.summary}</li> }).collect_view()}</ul>
                </div>
            }
            .into_any(),
            Err(e) => view! { <p class="error-inline" data-testid="spark-check-error">{e.message}</p> }.into_any(),
        })
    };
    let gone = move || row.get().is_none_or(|r| r.state == "torn_down");
    view! {
        <div class="validation" data-testid="intent-fabric">
            <h3>{format!("Fabric — {title}")}</h3>
            <p class="hint">"An ephemeral Fabric workspace runs this branch's dbt job against real data before merge; it goes when the intent is merged or abandoned."</p>
            {steps}
            <button data-testid="ephemeral-up" disabled=busy on:click=move |_| { up.dispatch(()); }>
                {move || if gone() { "Create ephemeral workspace" } else { "Update and run again" }}
            </button>
            " "
            <Show when=move || !gone()>
                <button class="danger" data-testid="ephemeral-down" disabled=busy on:click=move |_| { down.dispatch(()); }>"Tear down"</button>
            </Show>
            {move || up.pending().get().then(|| view! { <p class="loading" role="status"><span class="spinner"></span>"Preparing the workspace in Fabric…"</p> })}
            {action_error(up, "ephemeral-error")}
            {action_error(down, "ephemeral-down-error")}
            <h4>"Spark"</h4>
            <button data-testid="spark-check-run" disabled=move || spark.pending().get() on:click=move |_| { spark.dispatch(()); }>"Check on Spark"</button>
            {move || spark.pending().get().then(|| view! { <p class="loading" role="status"><span class="spinner"></span>"Building the changed models on local Spark (a Spark session takes a while to start)…"</p> })}
            {spark_result}
        </div>
    }
}
