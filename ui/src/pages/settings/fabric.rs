//! Fabric in Settings: the organisation's Entra tenant and app registration, the capacity and
//! GitHub connection for ephemeral workspaces, the person's sign-in (the authorize page opened in
//! the browser, and shown), and orphaned ephemeral workspaces to delete.

use crate::api;
use crate::view_helpers::{action_error, settled};
use leptos::prelude::*;
use vibedata_protocol::fabric::FabricSettingsDto;

#[component]
pub fn FabricSettings() -> impl IntoView {
    let tenant = RwSignal::new(String::new());
    let client_id = RwSignal::new(String::new());
    let capacity = RwSignal::new(String::new());
    let connection = RwSignal::new(String::new());
    let save = Action::new_local(|s: &FabricSettingsDto| {
        let s = s.clone();
        async move { api::fabric_save_settings(&s).await }
    });
    let authorize = RwSignal::new(None::<String>);
    let sign_in = Action::new_local(move |_: &()| async move {
        let started = api::fabric_sign_in().await?;
        authorize.set(Some(started.authorize_url));
        let done = api::fabric_sign_in_wait().await;
        authorize.set(None);
        done
    });
    let sign_out = Action::new_local(|_: &()| api::fabric_sign_out());
    let orphans = Action::new_local(|_: &()| api::fabric_orphans());
    let delete = Action::new_local(|id: &String| {
        let id = id.clone();
        async move {
            api::delete_orphan(&id).await?;
            api::fabric_orphans().await
        }
    });
    let status = LocalResource::new(move || {
        save.version().track();
        sign_in.version().track();
        sign_out.version().track();
        api::fabric_status()
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = status.get() {
            tenant.set(s.tenant);
            client_id.set(s.client_id);
            capacity.set(s.capacity_id);
            connection.set(s.connection_id);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(FabricSettingsDto {
            tenant: tenant.get_untracked(),
            client_id: client_id.get_untracked(),
            capacity_id: capacity.get_untracked(),
            connection_id: connection.get_untracked(),
        });
    };
    let signed = move || {
        status.get().and_then(|r| r.ok()).map(|s| {
            if s.signed_in {
                view! {
                    <p class="ok" data-testid="fabric-signed-in">
                        {format!("Signed in to Fabric{}.", if s.foundry_token { " and Foundry" } else { "" })}
                        " "
                        <button class="link" data-testid="fabric-sign-out" on:click=move |_| { sign_out.dispatch(()); }>"Sign out"</button>
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <p data-testid="fabric-signed-out">
                        "Not signed in. "
                        <button data-testid="fabric-sign-in" disabled=move || sign_in.pending().get() on:click=move |_| { sign_in.dispatch(()); }>"Sign in with Microsoft"</button>
                    </p>
                }
                .into_any()
            }
        })
    };
    let orphan_list = move || {
        let list = match (settled(delete), settled(orphans)) {
            (Some(r), _) | (None, Some(r)) => r,
            _ => return None,
        };
        Some(match list {
            Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="fabric-orphans-none">"No orphaned ephemeral workspace."</p> }.into_any(),
            Ok(list) => view! {
                <ul class="plain" data-testid="fabric-orphans">
                    {list.into_iter().map(|o| {
                        let id = o.fabric_workspace_id.clone();
                        view! {
                            <li data-testid="fabric-orphan">
                                <code>{o.name}</code>{format!(" — {} ", o.reason)}
                                <button class="link danger" data-testid="fabric-orphan-delete" on:click=move |_| { delete.dispatch(id.clone()); }>"Delete"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any(),
            Err(e) => view! { <p class="error-inline" data-testid="fabric-orphans-error">{e.message}</p> }.into_any(),
        })
    };
    view! {
        <h2>"Microsoft Fabric"</h2>
        <form class="add-workspace" data-testid="fabric-settings" on:submit=submit>
            <input type="text" placeholder="Entra tenant (contoso.onmicrosoft.com)" data-testid="fabric-tenant" prop:value=move || tenant.get() on:input=move |ev| tenant.set(event_target_value(&ev)) />
            <input type="text" placeholder="App registration (client id)" data-testid="fabric-client-id" prop:value=move || client_id.get() on:input=move |ev| client_id.set(event_target_value(&ev)) />
            <input type="text" placeholder="Capacity id (optional)" data-testid="fabric-capacity" prop:value=move || capacity.get() on:input=move |ev| capacity.set(event_target_value(&ev)) />
            <input type="text" placeholder="GitHub connection id (Fabric)" data-testid="fabric-connection" prop:value=move || connection.get() on:input=move |ev| connection.set(event_target_value(&ev)) />
            <button type="submit" data-testid="fabric-save" disabled=move || save.pending().get()>"Save"</button>
        </form>
        {action_error(save, "fabric-settings-error")}
        {signed}
        {move || authorize.get().map(|url| view! {
            <p data-testid="fabric-sign-in-waiting" role="status">
                "Sign in in your browser; if it did not open, open "
                <a data-testid="fabric-authorize-url" href=url.clone() target="_blank" rel="noreferrer">"this page"</a>
                ". Waiting…"
            </p>
        })}
        {action_error(sign_in, "fabric-sign-in-error")}
        <p class="hint">"Your own Entra identity: the tokens for Fabric and Foundry are kept in the system keychain only, and renewed before they end."</p>
        <button class="link" data-testid="fabric-orphans-check" on:click=move |_| { orphans.dispatch(()); }>"Find orphaned ephemeral workspaces"</button>
        {orphan_list}
        {action_error(orphans, "fabric-orphans-check-error")}
    }
}
