//! A node's columns: documented or only in its SQL, with type, tests and constraints. Clicking a
//! column opens its lineage: the upstream columns it derives from and the downstream columns
//! derived from it, each a link to its node (and those nodes are marked in the graph).

use super::Focus;
use leptos::prelude::*;
use vibedata_protocol::{ColumnDto, ColumnRefDto};

/// The nodes of a column's lineage (for marking the graph).
pub fn lineage_nodes(column: &ColumnDto) -> Vec<String> {
    column
        .upstream
        .iter()
        .chain(&column.downstream)
        .map(|r| r.unique_id.clone())
        .collect()
}

fn refs(list: Vec<ColumnRefDto>, testid: &'static str, open: Callback<Focus>) -> impl IntoView {
    list.into_iter()
        .map(|r| {
            let uid = r.unique_id.clone();
            view! {
                <li data-testid=testid data-uid=r.unique_id.clone() data-column=r.column.clone()>
                    <button class="link" data-tip=r.unique_id.clone() on:click=move |_| open.run(Focus::Node(uid.clone()))>
                        <code>{format!("{}.{}", r.node_name, r.column)}</code>
                    </button>
                </li>
            }
        })
        .collect_view()
}

#[component]
pub fn ColumnTable(
    columns: Vec<ColumnDto>,
    has_code: bool,
    selected: RwSignal<Option<String>>,
    open: Callback<Focus>,
) -> impl IntoView {
    let panel_columns = columns.clone();
    let rows = columns
        .into_iter()
        .map(|c| {
            let name = c.name.clone();
            let is_selected = {
                let name = name.clone();
                move || selected.get().as_deref() == Some(name.as_str())
            };
            view! {
                <tr data-testid="column-row" data-name=c.name.clone() data-documented=c.documented.to_string() data-in-sql=c.in_sql.to_string()
                    class="clickable" class:selected=is_selected
                    on:click=move |_| selected.update(|s| *s = if s.as_deref() == Some(name.as_str()) { None } else { Some(name.clone()) })>
                    <td>
                        <code>{c.name.clone()}</code>
                        {(!c.documented).then(|| view! { <span class="badge" data-tip="In the model's SQL, not in its YAML">"SQL only"</span> })}
                        {(c.documented && !c.in_sql && has_code).then(|| view! { <span class="badge badge-warn" data-tip="Documented, but the SQL's select list does not produce it">"not in SQL"</span> })}
                    </td>
                    <td>{c.data_type.clone().unwrap_or_default()}</td>
                    <td class:missing=c.description.is_empty()>{if c.description.is_empty() { "undocumented".to_string() } else { c.description.clone() }}</td>
                    <td>{c.tests.join(", ")}</td>
                    <td>{c.constraints.join(", ")}</td>
                </tr>
            }
        })
        .collect_view();
    let panel = move || {
        let name = selected.get()?;
        let c = panel_columns.iter().find(|c| c.name == name)?.clone();
        let unknown = (!c.lineage_known && c.in_sql).then(|| view! {
            <p class="muted" data-testid="column-lineage-unknown">"Part of what it derives from could not be traced from the SQL."</p>
        });
        let upstream = if c.upstream.is_empty() {
            view! { <p class="muted">"No upstream column (a constant, or not traced)."</p> }
                .into_any()
        } else {
            view! { <ul class="plain">{refs(c.upstream.clone(), "column-upstream", open)}</ul> }
                .into_any()
        };
        let downstream = if c.downstream.is_empty() {
            view! { <p class="muted">"Nothing downstream reads it."</p> }.into_any()
        } else {
            view! { <ul class="plain">{refs(c.downstream.clone(), "column-downstream", open)}</ul> }
                .into_any()
        };
        Some(view! {
            <div class="column-lineage" data-testid="column-lineage" data-name=c.name.clone()>
                <h4><code>{c.name.clone()}</code>" derives from"</h4>
                {upstream}
                {unknown}
                <h4>"and feeds"</h4>
                {downstream}
            </div>
        })
    };
    view! {
        <h3>"Columns"</h3>
        <table class="table" data-testid="node-columns">
            <thead><tr><th>"Column"</th><th>"Type"</th><th>"Description"</th><th>"Tests"</th><th>"Constraints"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {panel}
    }
}
