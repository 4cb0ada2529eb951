//! A domain's link to its production Fabric workspace: shown when set; chosen from the workspaces
//! and lakehouses Fabric lists (or, offline, as last read), with the GitHub repository Fabric syncs.

use crate::api;
use crate::view_helpers::action_error;
use leptos::prelude::*;
use vibedata_protocol::fabric::FabricLinkRequestDto;

#[component]
pub fn FabricLink(workspace_id: String) -> impl IntoView {
    let id = StoredValue::new(workspace_id);
    let browse = Action::new_local(|_: &()| api::fabric_workspaces());
    let chosen = RwSignal::new(String::new());
    let lakehouse = RwSignal::new(String::new());
    let repository = RwSignal::new(String::new());
    let link = Action::new_local(move |_: &()| {
        let req = FabricLinkRequestDto {
            workspace_id: id.get_value(),
            fabric_workspace_id: chosen.get_untracked(),
            lakehouse_id: Some(lakehouse.get_untracked()).filter(|l| !l.is_empty()),
            repository: repository.get_untracked(),
        };
        async move { api::fabric_link(&req).await }
    });
    let current = LocalResource::new(move || {
        link.version().track();
        let id = id.get_value();
        async move { api::fabric_link_of(&id).await }
    });
    let linked = move || {
        current.get().and_then(|r| r.ok()).flatten().map(|l| {
            view! {
                <p data-testid="fabric-link" data-workspace=l.fabric_workspace_name.clone()>
                    "Production: " <strong>{l.fabric_workspace_name.clone()}</strong>
                    {l.lakehouse_name.clone().map(|n| format!(" · lakehouse {n}"))}
                    {format!(" · syncs {} {}", l.repository, l.directory)}
                </p>
            }
        })
    };
    // Once linked, the picker closes (it opens again with "Change the production workspace").
    Effect::new(move |_| {
        if matches!(link.value().get(), Some(Ok(_))) {
            browse.value().set(None);
        }
    });
    let picker = move || {
        browse.value().get().map(|r| match r {
            Ok(list) => {
                let offline = list.problem.clone().map(|p| view! { <p class="hint" data-testid="fabric-offline">{format!("As last read — Fabric could not be reached: {p}")}</p> });
                let options = list.workspaces.iter().map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> }).collect_view();
                let all = list.workspaces.clone();
                let lakehouses = move || {
                    let ws = chosen.get();
                    all.iter().find(|w| w.id == ws).map(|w| {
                        w.items.iter().filter(|i| i.kind == "Lakehouse").map(|i| view! { <option value=i.id.clone()>{i.name.clone()}</option> }).collect_view()
                    })
                };
                view! {
                    {offline}
                    <form class="add-workspace" data-testid="fabric-link-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); link.dispatch(()); }>
                        <select data-testid="fabric-link-workspace" on:change=move |ev| { chosen.set(event_target_value(&ev)); lakehouse.set(String::new()); }>
                            <option value="">"Production workspace…"</option>
                            {options}
                        </select>
                        <select data-testid="fabric-link-lakehouse" on:change=move |ev| lakehouse.set(event_target_value(&ev))>
                            <option value="">"Lakehouse…"</option>
                            {lakehouses}
                        </select>
                        <input type="text" placeholder="GitHub repository (owner/name; default: the origin)" data-testid="fabric-link-repository"
                            prop:value=move || repository.get() on:input=move |ev| repository.set(event_target_value(&ev)) />
                        <button type="submit" data-testid="fabric-link-save" disabled=move || chosen.get().is_empty() || link.pending().get()>"Link"</button>
                    </form>
                }
                .into_any()
            }
            Err(e) => view! { <p class="error-inline" data-testid="fabric-browse-error">{e.message}</p> }.into_any(),
        })
    };
    let preview = Action::new_local(move |_: &()| {
        let id = id.get_value();
        async move { api::deploy_preview(&id).await }
    });
    let promote = Action::new_local(move |commit: &String| {
        let (id, commit) = (id.get_value(), commit.clone());
        async move { api::promote_to_production(&id, &commit).await }
    });
    let promotion = move || {
        preview.value().get().map(|r| match r {
            Ok(p) => {
                let commit = p.to_commit.clone();
                let nothing = p.changes.is_empty();
                let count = p.changes.len().to_string();
                view! {
                    <div class="validation" data-testid="deploy-preview" data-changes=count>
                        <p>{format!(
                            "Promoting main to {}: {} → {}",
                            p.fabric_workspace_name,
                            if p.from_commit.is_empty() { "never deployed".to_string() } else { p.from_commit[..p.from_commit.len().min(10)].to_string() },
                            &p.to_commit[..p.to_commit.len().min(10)]
                        )}</p>
                        <ol data-testid="deploy-changes">
                            {p.changes.into_iter().map(|c| view! { <li data-testid="deploy-change">{format!("{} {} ({})", c.change, c.name, c.kind)}</li> }).collect_view()}
                        </ol>
                        {if nothing {
                            view! { <p class="muted">"Production already runs this commit."</p> }.into_any()
                        } else {
                            view! {
                                <button data-testid="deploy-approve" disabled=move || promote.pending().get() on:click=move |_| { promote.dispatch(commit.clone()); }>"Approve and deploy"</button>
                                <span class="hint">" You approve as yourself: your role on the GitHub repository must be write, maintain or admin."</span>
                            }.into_any()
                        }}
                    </div>
                }
                .into_any()
            }
            Err(e) => view! { <p class="error-inline" data-testid="deploy-preview-error">{e.message}</p> }.into_any(),
        })
    };
    let runs = Action::new_local(move |_: &()| {
        let id = id.get_value();
        async move { api::promotion_runs(&id).await }
    });
    let run_list = move || {
        runs.value().get().map(|r| match r {
            Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="promotion-runs-none">"The workflow has not promoted main yet."</p> }.into_any(),
            Ok(list) => view! {
                <ul class="plain" data-testid="promotion-runs">
                    {list.into_iter().take(3).map(|r| view! {
                        <li data-testid="promotion-run" data-status=r.status.clone()>
                            {format!("{} {} · {} · ", r.conclusion.clone().unwrap_or(r.status.clone()), &r.head_sha[..r.head_sha.len().min(10)], r.created_at)}
                            <a href=r.url.clone() target="_blank" rel="noreferrer">"run"</a>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any(),
            Err(e) => view! { <p class="error-inline" data-testid="promotion-runs-error">{e.message}</p> }.into_any(),
        })
    };
    let promoted = move || {
        promote.value().get().and_then(|r| r.ok()).map(|d| view! {
            <p class="ok" data-testid="deploy-done">{format!(
                "Deployed {} by {} ({}){}",
                &d.preview.to_commit[..d.preview.to_commit.len().min(10)],
                d.approved_by,
                d.role,
                if d.deployed_intents.is_empty() { String::new() } else { format!("; {} intents deployed", d.deployed_intents.len()) }
            )}</p>
        })
    };
    view! {
        <h3>"Microsoft Fabric"</h3>
        {linked}
        <button class="link" data-testid="fabric-browse" disabled=move || browse.pending().get() on:click=move |_| { browse.dispatch(()); }>
            {move || if current.get().and_then(|r| r.ok()).flatten().is_some() { "Change the production workspace" } else { "Link to a production workspace" }}
        </button>
        {move || browse.pending().get().then(|| view! { <span class="muted">" Reading Fabric…"</span> })}
        {picker}
        {action_error(link, "fabric-link-error")}
        <Show when=move || current.get().and_then(|r| r.ok()).flatten().is_some()>
            " · "
            <button class="link" data-testid="deploy-preview-open" disabled=move || preview.pending().get() on:click=move |_| { preview.dispatch(()); }>"Promote main to production…"</button>
            " · "
            <button class="link" data-testid="promotion-runs-open" disabled=move || runs.pending().get() on:click=move |_| { runs.dispatch(()); }>"The workflow's promotions"</button>
        </Show>
        {run_list}
        {promotion}
        {promoted}
        {action_error(promote, "deploy-error")}
    }
}
