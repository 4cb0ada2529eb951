use crate::api;
use crate::view_helpers::{error_panel, loading};
use leptos::prelude::*;
use vibedata_protocol::{AppStatusDto, ErrorDto, IdentityDto};

/// Where the app keeps its state and whether its tools are ready.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let status = LocalResource::new(api::app_status);
    view! {
        <section data-testid="page-settings">
            <header class="page-header">
                <h1>"Settings"</h1>
                <p class="hint">
                    "Sign-in, model endpoints and MCP servers come with later versions; here you set who your commits are from, and see where the app keeps its data."
                </p>
            </header>
            <IdentityForm />
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
    let outcome = RwSignal::new(None::<Result<(), ErrorDto>>);
    leptos::task::spawn_local(async move {
        if let Ok(Some(identity)) = api::get_identity().await {
            name.set(identity.name);
            email.set(identity.email);
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let identity = IdentityDto {
            name: name.get_untracked(),
            email: email.get_untracked(),
        };
        leptos::task::spawn_local(
            async move { outcome.set(Some(api::set_identity(&identity).await)) },
        );
    };
    let message = move || match outcome.get() {
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
            <button type="submit" data-testid="identity-save">"Save"</button>
            {message}
        </form>
        <p class="hint">"Commits you make from the app carry this name and email."</p>
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
                                "{} tokens in {} sessions ({} in, {} out)",
                                u.prompt_tokens + u.completion_tokens,
                                u.sessions.len(),
                                u.prompt_tokens,
                                u.completion_tokens
                            )}
                        </p>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
