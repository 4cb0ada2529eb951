//! Settings → Model: the endpoint agents run on (Azure AI Foundry or any OpenAI-compatible base
//! URL) and its key, which goes to the OS keychain and is never shown again.

use crate::api;
use crate::view_helpers::{action_error, settled};
use leptos::prelude::*;
use vibedata_protocol::{ModelApiStyle, ModelSettingsDto, SetModelDto};

fn style_name(style: ModelApiStyle) -> &'static str {
    match style {
        ModelApiStyle::V1 => "v1",
        ModelApiStyle::Classic => "classic",
        ModelApiStyle::OpenaiCompatible => "openai",
    }
}

fn style_of(name: &str) -> ModelApiStyle {
    match name {
        "classic" => ModelApiStyle::Classic,
        "openai" => ModelApiStyle::OpenaiCompatible,
        _ => ModelApiStyle::V1,
    }
}

/// What agents run on now, in words.
fn summary(s: &ModelSettingsDto) -> String {
    match &s.endpoint {
        None => {
            "No model is configured: agents run only as the labelled replays of the demo domain."
                .into()
        }
        Some(url) => format!(
            "Agents run on {} at {url}{}{}.",
            s.deployment,
            if s.key_stored {
                ""
            } else {
                " — its API key is missing from the keychain"
            },
            if s.from_environment {
                " (set by VIBEDATA_FOUNDRY_ENDPOINT, which wins over this page)"
            } else {
                ""
            },
        ),
    }
}

#[component]
pub fn ModelSettings() -> impl IntoView {
    let current = LocalResource::new(api::model_settings);
    let endpoint = RwSignal::new(String::new());
    let deployment = RwSignal::new("gpt-4o".to_string());
    let style = RwSignal::new(ModelApiStyle::V1);
    let api_version = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    // The saved settings fill the form once they are read.
    Effect::new(move |_| {
        if let Some(Ok(s)) = current.get() {
            endpoint.set(s.endpoint.clone().unwrap_or_default());
            deployment.set(s.deployment.clone());
            style.set(s.style);
            api_version.set(s.api_version.clone().unwrap_or_default());
        }
    });
    let save_model = Action::new_local(move |new: &SetModelDto| {
        let new = new.clone();
        async move {
            let result = api::set_model_settings(&new).await;
            if result.is_ok() {
                key.set(String::new());
            }
            current.refetch();
            result
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let version = api_version.get_untracked();
        let typed_key = key.get_untracked();
        save_model.dispatch(SetModelDto {
            endpoint: endpoint.get_untracked(),
            deployment: deployment.get_untracked(),
            style: style.get_untracked(),
            api_version: (!version.trim().is_empty()).then_some(version),
            key: (!typed_key.trim().is_empty()).then_some(typed_key),
        });
    };
    let state = move || {
        current.get().map(|r| match r {
            Ok(s) => view! { <p data-testid="model-summary" data-configured=s.endpoint.is_some().to_string()>{summary(&s)}</p> }.into_any(),
            Err(e) => view! { <p class="error-inline" data-testid="model-load-error">{e.message}</p> }.into_any(),
        })
    };
    let saved = move || {
        matches!(settled(save_model), Some(Ok(())))
            .then(|| view! { <span class="ok" data-testid="model-saved">"Saved."</span> })
    };
    view! {
        <h2 id="settings-model">"Model"</h2>
        {state}
        <form class="identity add-workspace" data-testid="model-form" on:submit=save>
            <input type="url" placeholder="https://<resource>.openai.azure.com" data-testid="model-endpoint" data-tip="The endpoint's base URL; empty removes the model"
                prop:value=move || endpoint.get() on:input=move |ev| endpoint.set(event_target_value(&ev)) />
            <input type="text" placeholder="deployment" data-testid="model-deployment"
                prop:value=move || deployment.get() on:input=move |ev| deployment.set(event_target_value(&ev)) />
            <select data-testid="model-style" on:change=move |ev| style.set(style_of(&event_target_value(&ev)))>
                {[ModelApiStyle::V1, ModelApiStyle::Classic, ModelApiStyle::OpenaiCompatible].into_iter().map(|s| view! {
                    <option value=style_name(s) selected=move || style.get() == s>{match s {
                        ModelApiStyle::V1 => "Foundry v1",
                        ModelApiStyle::Classic => "Azure OpenAI classic",
                        ModelApiStyle::OpenaiCompatible => "OpenAI-compatible",
                    }}</option>
                }).collect_view()}
            </select>
            {move || (style.get() == ModelApiStyle::Classic).then(|| view! {
                <input type="text" placeholder="api-version, e.g. 2024-10-21" data-testid="model-api-version"
                    prop:value=move || api_version.get() on:input=move |ev| api_version.set(event_target_value(&ev)) />
            })}
            <input type="password" placeholder="API key (kept in the OS keychain)" data-testid="model-key" autocomplete="off"
                prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
            <button type="submit" data-testid="model-save" disabled=move || save_model.pending().get()>"Save"</button>
            {saved}
            {action_error(save_model, "model-error")}
        </form>
        <p class="hint">"Agents work on your repositories only with a model. The key never leaves the keychain except to call the endpoint."</p>
    }
}
