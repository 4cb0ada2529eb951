mod fabric;
mod model;

use crate::api;
use crate::view_helpers::{action_error, error_panel, loading, settled};
use leptos::prelude::*;
use vibedata_protocol::inbox::SignInState;
use vibedata_protocol::{AppStatusDto, IdentityDto};

/// Where the app keeps its state and whether its tools are ready.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let status = LocalResource::new(api::app_status);
    view! {
        <section data-testid="page-settings">
            <header class="page-header">
                <h1>"Settings"</h1>
                <p class="hint">
                    "Who your commits are from, the model agents run on, your GitHub and Microsoft Fabric sign-ins, and where the app keeps its data. MCP servers come with later versions."
                </p>
            </header>
            <IdentityForm />
            <model::ModelSettings />
            <GithubSignIn />
            <fabric::FabricSettings />
            <UsageSummary />
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

/// The name and email commits are made as.
#[component]
fn IdentityForm() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let current = LocalResource::new(api::get_identity);
    // The saved identity fills the form once it is read.
    Effect::new(move |_| {
        if let Some(Ok(Some(identity))) = current.get() {
            name.set(identity.name);
            email.set(identity.email);
        }
    });
    let save_identity = Action::new_local(|identity: &IdentityDto| {
        let identity = identity.clone();
        async move { api::set_identity(&identity).await }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save_identity.dispatch(IdentityDto {
            name: name.get_untracked(),
            email: email.get_untracked(),
        });
    };
    let load_error = move || {
        current.get().and_then(|r| r.err()).map(|e| {
            view! { <span class="error-inline" data-testid="identity-load-error">{e.message}</span> }
        })
    };
    let message = move || match settled(save_identity) {
        Some(Ok(())) => {
            view! { <span class="ok" data-testid="identity-saved">"Saved."</span> }.into_any()
        }
        Some(Err(e)) => {
            view! { <span class="error-inline" data-testid="identity-error">{e.message}</span> }
                .into_any()
        }
        None => ().into_any(),
    };
    view! {
        <h2>"Your identity"</h2>
        <form class="identity add-workspace" data-testid="identity-form" on:submit=save>
            <input type="text" placeholder="Name" data-testid="identity-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <input type="text" placeholder="email@example.com" data-testid="identity-email" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
            <button type="submit" data-testid="identity-save" disabled=move || save_identity.pending().get()>"Save"</button>
            {message}
            {load_error}
        </form>
        <p class="hint">"Commits you make from the app carry this name and email. When nothing is saved here, git's own global identity is offered: save it to keep it."</p>
    }
}

/// Tokens used by agent sessions, in total and per session.
#[component]
fn UsageSummary() -> impl IntoView {
    let usage = LocalResource::new(api::agent_usage);
    view! {
        <h2>"Agent usage"</h2>
        <Suspense fallback=|| loading("Reading usage…")>
            <ErrorBoundary fallback=error_panel>
                {move || Suspend::new(async move {
                    usage.await.map(|u| view! {
                        <p data-testid="usage-total">
                            {format!(
                                "{} tokens in {} ({} in, {} out)",
                                u.prompt_tokens + u.completion_tokens,
                                match u.sessions.len() {
                                    1 => "1 session".to_string(),
                                    n => format!("{n} sessions"),
                                },
                                u.prompt_tokens,
                                u.completion_tokens
                            )}
                        </p>
                        <p class="hint">"Sessions a model answered; the demo's replays are not counted."</p>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

/// GitHub sign-in: accounts (sign out), the device flow (code shown, page opened, the outcome
/// polled) or a personal access token. Tokens go to the OS keychain only.
#[component]
fn GithubSignIn() -> impl IntoView {
    let token = RwSignal::new(String::new());
    let start = Action::new_local(|_: &()| api::github_device_start());
    let sign_in_token = Action::new_local(move |value: &String| {
        let value = value.clone();
        async move {
            let result = api::github_sign_in_token(&value).await;
            if result.is_ok() {
                token.set(String::new());
            }
            result
        }
    });
    let sign_out = Action::new_local(|login: &String| {
        let login = login.clone();
        async move { api::github_sign_out(&login).await }
    });
    // (workspace id, login; `None` for the default account)
    let choose = Action::new_local(|choice: &(String, Option<String>)| {
        let (id, login) = choice.clone();
        async move { api::github_choose(&id, login.as_deref()).await }
    });
    let tick = RwSignal::new(0u64);
    // Re-read after every write (whether it worked or not) and while a device sign-in waits.
    let status = LocalResource::new(move || {
        tick.track();
        start.version().track();
        sign_in_token.version().track();
        sign_out.version().track();
        choose.version().track();
        api::github_status()
    });
    // While a device sign-in waits, its outcome is polled.
    if let Ok(timer) = set_interval_with_handle(
        move || {
            let waiting = status
                .get()
                .and_then(|s| s.ok())
                .is_some_and(|s| s.sign_in.state == SignInState::Waiting);
            if waiting {
                tick.update(|t| *t += 1);
            }
        },
        std::time::Duration::from_millis(1000),
    ) {
        on_cleanup(move || timer.clear());
    }
    let save_token = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sign_in_token.dispatch(token.get_untracked());
    };
    let token_message = move || {
        settled(sign_in_token).map(|result| match result {
            Ok(account) => view! {
                <p class="ok" data-testid="github-token-result">
                    {format!("Signed in as {} (personal access token).", account.login)}
                </p>
            }
            .into_any(),
            Err(e) => {
                view! { <p class="error-inline" data-testid="github-token-error">{e.message}</p> }
                    .into_any()
            }
        })
    };
    view! {
        <h2>"GitHub"</h2>
        <Transition fallback=|| loading("Reading GitHub accounts…")>
            <ErrorBoundary fallback=error_panel>
                {move || Suspend::new(async move {
                    status.await.map(|s| {
                        let logins: Vec<String> = s.accounts.iter().map(|a| a.login.clone()).collect();
                        let accounts = s.accounts.into_iter().map(|a| {
                            let login = a.login.clone();
                            view! {
                                <li data-testid="github-account">
                                    {format!("{} on {} ({}) ", a.login, a.base_url, a.kind)}
                                    <button class="link" data-testid="github-sign-out" disabled=move || sign_out.pending().get() on:click=move |_| {
                                        sign_out.dispatch(login.clone());
                                    }>"Sign out"</button>
                                </li>
                            }
                        }).collect_view();
                        let sign_in = s.sign_in.clone();
                        let per_workspace = (!logins.is_empty()).then(|| {
                            let rows = s.workspaces.into_iter().map(|w| {
                                let id = w.workspace_id.clone();
                                let chosen = w.login.clone().unwrap_or_default();
                                let options = logins.iter().map(|l| {
                                    let selected = *l == chosen;
                                    view! { <option value=l.clone() selected=selected>{l.clone()}</option> }
                                }).collect_view();
                                view! {
                                    <li data-testid="github-workspace" data-workspace=w.name.clone()>
                                        {format!("{} acts as ", w.name)}
                                        <select data-testid="github-workspace-account" on:change=move |ev| {
                                            let value = event_target_value(&ev);
                                            choose.dispatch((id.clone(), (!value.is_empty()).then_some(value)));
                                        }>
                                            <option value="" selected=chosen.is_empty()>"the default account"</option>
                                            {options}
                                        </select>
                                    </li>
                                }
                            }).collect_view();
                            view! {
                                <ul class="plain" data-testid="github-workspaces">{rows}</ul>
                                {action_error(choose, "github-choose-error")}
                            }
                        });
                        view! {
                            {s.env_token.then(|| view! { <p class="hint">"VIBEDATA_GITHUB_TOKEN is set: the app acts on GitHub with it."</p> })}
                            <ul class="plain" data-testid="github-accounts">{accounts}</ul>
                            {action_error(sign_out, "signout-error")}
                            {per_workspace}
                            {match s.device_unavailable {
                                Some(why) => view! { <p class="hint" data-testid="github-device-unavailable">{why}</p> }.into_any(),
                                None => view! {
                                    <button data-testid="github-device-start" disabled=move || start.pending().get() on:click=move |_| { start.dispatch(()); }>"Sign in with GitHub"</button>
                                    {action_error(start, "github-device-error")}
                                }.into_any(),
                            }}
                            <div data-testid="github-sign-in" data-state=sign_in.state.as_str()>
                                {(sign_in.state == SignInState::Waiting).then(|| view! {
                                    <p>
                                        "Enter the code " <strong data-testid="github-user-code">{sign_in.user_code.clone().unwrap_or_default()}</strong>
                                        " at " <code>{sign_in.verification_uri.clone().unwrap_or_default()}</code>
                                        " (the page was opened in your browser). Waiting…"
                                    </p>
                                })}
                                {sign_in.login.clone().map(|l| view! { <p class="ok" data-testid="github-signed-in">{format!("Signed in as {l}.")}</p> })}
                                {sign_in.error.clone().map(|e| view! { <p class="error-inline" data-testid="github-sign-in-error">{e}</p> })}
                            </div>
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
        <form class="inline-form" on:submit=save_token>
            <input type="password" placeholder="or a personal access token" autocomplete="off" data-testid="github-token" prop:value=move || token.get() on:input=move |ev| token.set(event_target_value(&ev)) />
            <button type="submit" data-testid="github-token-save" disabled=move || sign_in_token.pending().get()>"Sign in with the token"</button>
        </form>
        {token_message}
        <p class="hint">"Tokens are kept in the system keychain only, never in the app's files."</p>
    }
}
