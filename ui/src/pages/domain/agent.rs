//! The agent session panel: a prompt, the agent's streamed text, its tool calls (collapsible,
//! with inputs and outputs), approval cards (with the diff a write would make) answered by the
//! person, a usage meter and a cancel button. A replayed session is labelled as a replay. Earlier
//! sessions can be looked back at (their stored transcript, read-only) or resumed.

use crate::api;
use crate::view_helpers::action_error;
use leptos::prelude::*;
use leptos::task::spawn_local;
use vibedata_protocol::{
    AgentStage, ErrorDto, SessionDto, SessionEventDto, SessionStatus, ToolScope,
};

#[derive(Debug, Clone, PartialEq)]
enum Approval {
    Pending {
        scope: ToolScope,
        preview: Option<String>,
        outside_plan: bool,
    },
    /// Answered; the preview stays where the card was (the page keeps its place under the cursor).
    Decided {
        approved: bool,
        preview: Option<String>,
    },
    /// The session ended (cancelled, failed) before anyone answered.
    Expired,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Text(String),
    Tool {
        call_id: String,
        tool: String,
        arguments: String,
        output: Option<(String, bool)>,
        approval: Option<Approval>,
    },
    Error(String),
    /// An artifact or a commit the agent produced.
    Note(String),
    /// What was asked (shown when looking back at a stored session).
    Prompt(String),
}

/// Answers an approval: (session id, call id, approved).
type Decide = Action<(String, String, bool, Option<String>), Result<(), ErrorDto>>;

#[derive(Clone, Copy)]
struct Panel {
    items: RwSignal<Vec<Item>>,
    usage: RwSignal<(u64, u64)>,
    status: RwSignal<Option<SessionStatus>>,
    session: RwSignal<Option<SessionDto>>,
    todos: RwSignal<Vec<(u32, String, bool)>>,
}

impl Panel {
    fn apply(self, event: SessionEventDto) {
        match event {
            SessionEventDto::Prompt { text } => {
                self.items.update(|items| items.push(Item::Prompt(text)))
            }
            SessionEventDto::Delta { text } => self.items.update(|items| match items.last_mut() {
                Some(Item::Text(t)) => t.push_str(&text),
                _ => items.push(Item::Text(text)),
            }),
            SessionEventDto::ToolUse {
                call_id,
                tool,
                arguments,
            } => self.items.update(|items| {
                items.push(Item::Tool {
                    call_id,
                    tool,
                    arguments,
                    output: None,
                    approval: None,
                })
            }),
            SessionEventDto::ApprovalNeeded {
                call_id,
                scope,
                preview,
                outside_plan,
                ..
            } => self.tool(&call_id, |a, _| {
                *a = Some(Approval::Pending {
                    scope,
                    preview,
                    outside_plan,
                })
            }),
            SessionEventDto::ToolResult {
                call_id,
                output,
                is_error,
            } => self.tool(&call_id, |_, o| *o = Some((output, is_error))),
            SessionEventDto::Usage {
                prompt_tokens,
                completion_tokens,
            } => self.usage.set((prompt_tokens, completion_tokens)),
            SessionEventDto::Error { message } => {
                self.items.update(|items| items.push(Item::Error(message)))
            }
            SessionEventDto::Artifact { path } => self
                .items
                .update(|items| items.push(Item::Note(format!("changed {path}")))),
            SessionEventDto::GitCommit {
                id,
                branch,
                message,
            } => self.items.update(|items| {
                items.push(Item::Note(format!(
                    "committed {} on {branch}: {message}",
                    &id[..id.len().min(10)]
                )))
            }),
            SessionEventDto::TodoAdd { id, text } => {
                self.todos.update(|t| t.push((id, text, false)))
            }
            SessionEventDto::TodoUpdate { id, done } => self.todos.update(|t| {
                if let Some(item) = t.iter_mut().find(|(i, _, _)| *i == id) {
                    item.2 = done;
                }
            }),
            SessionEventDto::Finished { status, message } => {
                if let Some(m) = message {
                    self.items.update(|items| items.push(Item::Error(m)));
                }
                // Nobody can answer a question of a session that has ended.
                self.items.update(|items| {
                    for item in items.iter_mut() {
                        if let Item::Tool { approval, .. } = item
                            && matches!(approval, Some(Approval::Pending { .. }))
                        {
                            *approval = Some(Approval::Expired);
                        }
                    }
                });
                self.status.set(Some(status));
            }
        }
    }

    /// Empties the panel for another session.
    fn clear(self) {
        self.items.set(Vec::new());
        self.todos.set(Vec::new());
    }

    /// Keeps the session a start or a resume answered with; if there is none, nothing runs.
    fn started(self, outcome: &Result<SessionDto, ErrorDto>) {
        match outcome {
            Ok(session) => self.session.set(Some(session.clone())),
            Err(_) => self.status.set(None),
        }
    }

    fn tool(self, id: &str, f: impl FnOnce(&mut Option<Approval>, &mut Option<(String, bool)>)) {
        self.items.update(|items| {
            if let Some(Item::Tool {
                approval, output, ..
            }) = items
                .iter_mut()
                .rev()
                .find(|i| matches!(i, Item::Tool { call_id, .. } if call_id == id))
            {
                f(approval, output);
            }
        });
    }
}

/// The agent panel. With `stage` = (intent id, `requirements` | `build`), Start runs that stage of
/// the intent (its context comes from the intent; no prompt needed).
#[component]
pub fn AgentPane(
    workspace_id: StoredValue<String>,
    #[prop(optional)] stage: Option<(String, AgentStage)>,
    /// Called when a session ends (the Studio reads its intents again: the agent changed them).
    #[prop(optional)]
    on_finished: Option<Callback<()>>,
) -> impl IntoView {
    let stage = StoredValue::new(stage);
    let panel = Panel {
        items: RwSignal::new(Vec::new()),
        usage: RwSignal::new((0, 0)),
        status: RwSignal::new(None),
        session: RwSignal::new(None),
        todos: RwSignal::new(Vec::new()),
    };
    let prompt = RwSignal::new(String::new());
    let running = move || panel.status.get() == Some(SessionStatus::Running);
    // A session that ends tells whoever shows it (once per session).
    Effect::new(move |was_running: Option<bool>| {
        let now_running = running();
        if was_running == Some(true)
            && !now_running
            && let Some(done) = on_finished
        {
            done.run(());
        }
        now_running
    });
    // Starts the session (or the intent's stage) with this prompt; its events fill the panel.
    let start_session = Action::new_local(move |text: &String| {
        let (id, text, stage) = (workspace_id.get_value(), text.clone(), stage.get_value());
        async move {
            let started = match stage {
                Some((intent_id, name)) => {
                    api::run_intent_stage(&intent_id, name, move |e| panel.apply(e)).await
                }
                None => api::start_session(&id, &text, move |e| panel.apply(e)).await,
            };
            panel.started(&started);
            started
        }
    });
    let resume = Action::new_local(move |session_id: &String| {
        let session_id = session_id.clone();
        async move {
            let resumed = api::resume_session(&session_id, move |e| panel.apply(e)).await;
            panel.started(&resumed);
            resumed
        }
    });
    let cancel = Action::new_local(|session_id: &String| {
        let session_id = session_id.clone();
        async move { api::cancel_session(&session_id).await }
    });
    // (session id, call id, approved)
    let decide: Decide = Action::new_local(
        move |(session_id, call_id, approved, reason): &(String, String, bool, Option<String>)| {
            let (session_id, call_id, approved, reason) = (
                session_id.clone(),
                call_id.clone(),
                *approved,
                reason.clone(),
            );
            async move {
                let decided =
                    api::decide_approval(&session_id, &call_id, approved, reason.as_deref()).await;
                if decided.is_ok() {
                    panel.tool(&call_id, |a, _| {
                        let preview = match a.take() {
                            Some(Approval::Pending { preview, .. }) => preview,
                            _ => None,
                        };
                        *a = Some(Approval::Decided { approved, preview })
                    });
                }
                decided
            }
        },
    );
    // Reading a stored session back (not a write): why it could not be read.
    let read_error = RwSignal::new(None::<ErrorDto>);
    let run = move || {
        panel.clear();
        panel.usage.set((0, 0));
        panel.status.set(Some(SessionStatus::Running));
        start_session.dispatch(prompt.get_untracked());
    };
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run();
    };
    // Ctrl/Cmd+Enter sends.
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.key() == "Enter" {
            ev.prevent_default();
            if !running() {
                run();
            }
        }
    };
    let stage_label = stage
        .get_value()
        .map(|(_, stage)| format!("Run the {} agent", stage.as_str()));
    let on_cancel = move |_| {
        if let Some(s) = panel.session.get_untracked() {
            cancel.dispatch(s.id);
        }
    };
    let header = move || {
        panel.session.get().map(|s| {
            view! {
                <div class="session-header">
                    <span class="muted" data-testid="session-provider">{s.provider.clone()}</span>
                    {s.is_replay.then(|| view! { <span class="badge badge-replay" data-testid="session-replay" data-tip="Answers are played back from a recording, not a live model">"Replay"</span> })}
                    <span class="badge" data-testid="session-status" data-status=move || panel.status.get().map(|s| s.as_str()).unwrap_or_default()>{move || panel.status.get().map(|s| s.as_str()).unwrap_or_default()}</span>
                    <span class="muted" data-testid="session-usage">{move || { let (p, c) = panel.usage.get(); format!("{} tokens ({p} in, {c} out)", p + c) }}</span>
                    {move || running().then(|| view! { <button class="link" data-testid="session-cancel" disabled=move || cancel.pending().get() on:click=on_cancel>"Cancel"</button> })}
                    {action_error(cancel, "session-cancel-error")}
                </div>
            }
        })
    };
    // Keyed by place and content: an answered approval or a longer text redraws that item only,
    // so the page does not lose its scroll position under the person's cursor.
    let items = move || {
        view! {
            <For
                each=move || panel.items.get().into_iter().enumerate()
                key=|(i, item)| (*i, format!("{item:?}"))
                children=move |(_, item)| item_view(item, panel.session, decide)
            />
        }
    };
    // Earlier sessions of this workspace, refreshed when one ends.
    let earlier = LocalResource::new(move || {
        let _ = panel.status.get();
        let id = workspace_id.get_value();
        async move { api::list_sessions(&id).await }
    });
    let on_resume = move |session_id: String| {
        panel.clear();
        panel.status.set(Some(SessionStatus::Running));
        resume.dispatch(session_id);
    };
    // Looking back at a stored session: its transcript in the panel, read-only.
    let view_session = move |session_id: String| {
        spawn_local(async move {
            match api::session_transcript(&session_id).await {
                Ok(t) => {
                    panel.clear();
                    panel.usage.set((0, 0));
                    panel.session.set(Some(t.session));
                    for event in t.events {
                        panel.apply(event);
                    }
                    read_error.set(None);
                }
                Err(e) => read_error.set(Some(e)),
            }
        });
    };
    // Open or closed stays put while the list refreshes.
    let earlier_open = RwSignal::new(false);
    let sessions = move || {
        earlier.get().and_then(|r| r.ok()).filter(|l| !l.is_empty()).map(|list| {
            view! {
                <div class="earlier">
                    <button class="link" data-testid="earlier-toggle" on:click=move |_| earlier_open.update(|o| *o = !*o)>
                        {move || if earlier_open.get() { "▾ " } else { "▸ " }}
                        "Earlier sessions (" {list.len()} ")"
                    </button>
                    <ul class="plain" hidden=move || !earlier_open.get()>
                        {list.into_iter().map(|s| {
                            let (id, shown) = (s.id.clone(), s.id.clone());
                            let resumable = s.status.resumable();
                            view! {
                                <li data-testid="session-row" data-status=s.status.as_str()>
                                    <code>{s.id.chars().take(8).collect::<String>()}</code>
                                    " " {s.status.as_str()} " · " {s.provider.clone()}
                                    " · " <button class="link" data-testid="session-view" disabled=running on:click=move |_| view_session(shown.clone())>"View"</button>
                                    {resumable.then(|| view! { " · " <button class="link" data-testid="session-resume" disabled=move || resume.pending().get() on:click=move |_| on_resume(id.clone())>"Resume"</button> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    };
    view! {
        <div class="agent" data-testid="agent-pane">
            {sessions}
            {action_error(resume, "session-resume-error")}
            {move || read_error.get().map(|e| view! { <p class="error-inline" role="alert" data-testid="session-view-error">{e.message}</p> })}
            <form class="agent-prompt" on:submit=start>
                {stage_label.is_none().then(|| view! {
                    <textarea rows="3" placeholder="What should the build agent do in this domain? (Ctrl+Enter sends)" data-testid="agent-prompt"
                        prop:value=move || prompt.get() on:input=move |ev| prompt.set(event_target_value(&ev)) on:keydown=keydown></textarea>
                })}
                <button type="submit" data-testid="agent-start" disabled=running>{stage_label.clone().unwrap_or_else(|| "Start".into())}</button>
            </form>
            {action_error(start_session, "agent-error")}
            {move || model_missing(start_session).then(|| view! { <ModelPrompt /> })}
            {header}
            {move || {
                let todos = panel.todos.get();
                (!todos.is_empty()).then(|| view! {
                    <ul class="todos" data-testid="agent-todos">
                        {todos.into_iter().map(|(id, text, done)| view! {
                            <li data-testid="agent-todo" data-done=done.to_string()>{if done { "☑ " } else { "☐ " }}{format!("{id}. {text}")}</li>
                        }).collect_view()}
                    </ul>
                })
            }}
            <div class="agent-items">{items}</div>
            {action_error(decide, "approval-error")}
        </div>
    }
}

/// One item of the panel; `session` is read when the person answers (events can arrive before the
/// start call returns the session).
fn item_view(item: Item, session: RwSignal<Option<SessionDto>>, decide: Decide) -> AnyView {
    match item {
        Item::Text(text) => {
            view! { <p class="agent-text" data-testid="agent-text">{text}</p> }.into_any()
        }
        Item::Error(message) => {
            view! { <p class="error-inline" data-testid="agent-event-error">{message}</p> }
                .into_any()
        }
        Item::Note(text) => {
            view! { <p class="muted agent-note" data-testid="agent-note">{text}</p> }.into_any()
        }
        Item::Prompt(text) => view! {
            <details class="agent-prompt-shown" data-testid="agent-prompt-shown">
                <summary>"Asked"</summary>
                <pre class="tool-args">{text}</pre>
            </details>
        }
        .into_any(),
        Item::Tool {
            call_id,
            tool,
            arguments,
            output,
            approval,
        } => {
            let card = approval.map(|a| match a {
                Approval::Pending {
                    scope,
                    preview,
                    outside_plan,
                } => {
                    let reason = RwSignal::new(String::new());
                    let answer = move |approved: bool| {
                        let cid = call_id.clone();
                        move |_| {
                            let sid = session.get_untracked().map(|s| s.id).unwrap_or_default();
                            let why = reason.get_untracked();
                            let why = (!approved && !why.trim().is_empty()).then_some(why);
                            decide.dispatch((sid, cid.clone(), approved, why));
                        }
                    };
                    view! {
                        <div class="approval-card" data-testid="approval-card">
                            <strong>{format!("Approve {tool}? ({scope})")}</strong>
                            {outside_plan.then(|| view! {
                                <span class="badge warn" data-testid="approval-outside-plan"
                                    data-tip="The approved plan does not mention this file">"outside the approved plan"</span>
                            })}
                            {preview.map(|p| view! { <pre class="diff" data-testid="approval-preview">{p}</pre> })}
                            <button data-testid="approval-approve" data-outside-plan=outside_plan.to_string() disabled=move || decide.pending().get() on:click=answer(true)>"Approve"</button>
                            <button class="secondary" data-testid="approval-deny" disabled=move || decide.pending().get() on:click=answer(false)>"Deny"</button>
                            <input type="text" class="approval-reason" data-testid="approval-reason" placeholder="why not? (optional; the agent is told)"
                                prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                        </div>
                    }
                    .into_any()
                }
                Approval::Decided { approved, preview } => view! {
                    <div class="approval-card decided">
                        <span class="muted" data-testid="approval-decided">{if approved { "approved" } else { "denied" }}</span>
                        {preview.map(|p| view! { <pre class="diff">{p}</pre> })}
                    </div>
                }.into_any(),
                Approval::Expired => view! { <span class="muted" data-testid="approval-expired">"not answered: the session ended"</span> }.into_any(),
            });
            let result = output.map(|(text, is_error)| view! { <pre class="tool-output" class:tool-error=is_error data-testid="agent-tool-output">{text}</pre> });
            view! {
                <div class="agent-tool" data-testid="agent-tool" data-tool=tool.clone()>
                    <details>
                        <summary><code>{tool.clone()}</code></summary>
                        <pre class="tool-args">{arguments}</pre>
                        {result}
                    </details>
                    {card}
                </div>
            }
            .into_any()
        }
    }
}

/// The last start failed because no model is configured.
fn model_missing(start: Action<String, Result<SessionDto, ErrorDto>>) -> bool {
    !start.pending().get()
        && start.value().with(|last| {
            matches!(last, Some(Err(e)) if e.code == vibedata_protocol::ErrorCode::ModelNotConfigured)
        })
}

/// No model for this repository: one click to Settings → Model.
#[component]
pub(crate) fn ModelPrompt() -> impl IntoView {
    let area = use_context::<RwSignal<crate::area::Area>>();
    view! {
        <p class="error-inline" role="alert" data-testid="agent-model-missing">
            <button data-testid="open-model-settings" on:click=move |_| {
                if let Some(area) = area {
                    area.set(crate::area::Area::Settings)
                }
            }>"Set up a model in Settings"</button>
        </p>
    }
}
