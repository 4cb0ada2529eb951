use crate::api;
use crate::view_helpers::{error_panel, loading};
use leptos::prelude::*;
use vibedata_protocol::SkillsDto;

/// The seeded platform skills, as the core loads and validates them.
#[component]
pub fn SkillsPage() -> impl IntoView {
    let skills = LocalResource::new(api::list_skills);
    view! {
        <section data-testid="page-skills">
            <header class="page-header">
                <h1>"Skills"</h1>
                <p class="hint">"Reusable knowledge the agents load when a task needs it."</p>
            </header>
            <Suspense fallback=|| loading("Loading skills…")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        skills.await.map(|set| view! { <SkillList set /> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn SkillList(set: SkillsDto) -> impl IntoView {
    view! {
        <p class="muted">"Platform skills from " <code>{set.root}</code></p>
        <ul class="cards">
            {set
                .skills
                .into_iter()
                .map(|s| {
                    let testid_name = s.name.clone();
                    view! {
                        <li class="card" data-testid="skill" data-name=testid_name>
                            <details data-testid="skill-open">
                                <summary>
                                    <h3>{s.name}</h3>
                                    <p>{s.description}</p>
                                    <p class="muted">{format!("{} lines · {}", s.body_lines, s.path)}</p>
                                </summary>
                                <pre class="skill-body" data-testid="skill-body">{s.body}</pre>
                            </details>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        {(!set.problems.is_empty())
            .then(|| {
                view! {
                    <h2>"Skills that could not be loaded"</h2>
                    <ul class="problems">
                        {set
                            .problems
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <li data-testid="skill-problem">
                                        <code>{p.path}</code>
                                        ": "
                                        {p.message}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
    }
}
