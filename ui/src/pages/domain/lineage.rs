//! The lineage graph: ranks left (upstream) to right (downstream) around the focused node, drawn
//! as SVG in layers; a rank with many nodes (a model with 60 parents) wraps into several columns
//! so it stays readable. Drag to pan, wheel to zoom, click a node to open it; search dims what
//! does not match; the nodes of a chosen column's lineage are marked.

use super::Focus;
use leptos::prelude::*;
use std::collections::{BTreeMap, HashMap};
use vibedata_protocol::LineageDto;

const NODE_W: f64 = 190.0;
const NODE_H: f64 = 34.0;
const COL_W: f64 = 250.0;
const ROW_H: f64 = 52.0;
/// Nodes of one rank stacked before the rank wraps into another column.
const ROWS: u32 = 12;

/// Where each node is drawn: a rank is as many columns as it needs of [`ROWS`] nodes each.
fn layout(lineage: &LineageDto) -> HashMap<String, (f64, f64)> {
    let mut per_rank: BTreeMap<i32, u32> = BTreeMap::new();
    for n in &lineage.nodes {
        let count = per_rank.entry(n.rank).or_insert(0);
        *count = (*count).max(n.order + 1);
    }
    let mut x_of: HashMap<i32, f64> = HashMap::new();
    let mut x = 10.0;
    for (rank, count) in &per_rank {
        x_of.insert(*rank, x);
        x += f64::from(count.div_ceil(ROWS).max(1)) * COL_W;
    }
    lineage
        .nodes
        .iter()
        .map(|n| {
            let col = f64::from(n.order / ROWS);
            let row = f64::from(n.order % ROWS);
            (
                n.unique_id.clone(),
                (x_of[&n.rank] + col * COL_W, row * ROW_H + 10.0),
            )
        })
        .collect()
}

/// dbt's depth selector `2+name+1`: levels upstream and downstream (`+name` = all of them,
/// `name` alone = none). `None` when it does not read as one.
pub fn parse_depth(spec: &str) -> Option<(u32, u32)> {
    const ALL: u32 = 20;
    let spec = spec.trim();
    let (up, rest) = match spec.split_once('+') {
        Some((before, rest)) if before.chars().all(|c| c.is_ascii_digit()) => (
            if before.is_empty() {
                ALL
            } else {
                before.parse().ok()?
            },
            rest,
        ),
        _ => (0, spec),
    };
    let down = match rest.rsplit_once('+') {
        Some((_, after)) if after.chars().all(|c| c.is_ascii_digit()) => {
            if after.is_empty() {
                ALL
            } else {
                after.parse().ok()?
            }
        }
        _ => 0,
    };
    Some((up.min(ALL), down.min(ALL)))
}

#[component]
pub fn LineageGraph(
    lineage: LineageDto,
    open: Callback<Focus>,
    /// Nodes to mark (those of the chosen column's lineage).
    #[prop(into)]
    marked: Signal<Vec<String>>,
    /// A badge per node: `(css suffix, label)` (the Review page's breaking-change classes).
    #[prop(optional)]
    badges: HashMap<String, (String, String)>,
) -> impl IntoView {
    let pos = layout(&lineage);
    let search = RwSignal::new(String::new());
    let width = pos.values().map(|p| p.0).fold(0.0, f64::max) + NODE_W + 20.0;
    let height = pos.values().map(|p| p.1).fold(0.0, f64::max) + NODE_H + 20.0;

    // View box state: pan offset and zoom factor.
    let (tx, ty, zoom) = (
        RwSignal::new(0.0f64),
        RwSignal::new(0.0f64),
        RwSignal::new(1.0f64),
    );
    let drag = StoredValue::new(None::<(f64, f64)>);
    let view_box = move || {
        format!(
            "{} {} {} {}",
            tx.get(),
            ty.get(),
            width / zoom.get(),
            height.max(120.0) / zoom.get()
        )
    };

    let edges = lineage
        .edges
        .iter()
        .filter_map(|e| {
            let (a, b) = (pos.get(&e.from)?, pos.get(&e.to)?);
            let (x1, y1, x2, y2) = (a.0 + NODE_W, a.1 + NODE_H / 2.0, b.0, b.1 + NODE_H / 2.0);
            let mid = (x1 + x2) / 2.0;
            Some(view! {
                <path class="edge" data-testid="lineage-edge" data-from=e.from.clone() data-to=e.to.clone()
                    d=format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}") />
            })
        })
        .collect_view();
    let nodes = lineage
        .nodes
        .iter()
        .map(|n| {
            let (x, y) = pos[&n.unique_id];
            let uid = n.unique_id.clone();
            let focus = n.unique_id == lineage.focus;
            let label: String = if n.name.chars().count() > 24 { n.name.chars().take(23).collect::<String>() + "…" } else { n.name.clone() };
            let relation = match n.rank {
                r if r < 0 => "upstream",
                0 => "focus",
                _ => "downstream",
            };
            let (name, marked_uid) = (n.name.to_lowercase(), n.unique_id.clone());
            let badge = badges.get(&n.unique_id).cloned();
            let dim = move || {
                let q = search.get().trim().to_lowercase();
                !q.is_empty() && !name.contains(&q)
            };
            let is_marked = move || marked.with(|m| m.contains(&marked_uid));
            view! {
                <g class=format!("lnode kind-{}", n.kind) class:focus=focus class:dim=dim class:marked=is_marked
                    data-testid="lineage-node" data-uid=n.unique_id.clone() data-tip=n.unique_id.clone()
                    data-relation=relation transform=format!("translate({x},{y})")
                    on:click=move |_| open.run(Focus::Node(uid.clone()))>
                    <rect width=NODE_W height=NODE_H rx="6" />
                    <text x="10" y="14" class="lkind">{n.kind.label()}</text>
                    <text x="10" y="28" class="lname">{label}</text>
                    {badge.map(|(class, text)| view! {
                        <text x=NODE_W - 8.0 y="14" text-anchor="end" class=format!("lbadge cat-text-{class}") data-testid="lineage-badge" data-badge=class>{text}</text>
                    })}
                </g>
            }
        })
        .collect_view();
    let truncated = lineage.truncated.then(|| view! { <p class="muted">"Only the nearest nodes are drawn; open a node to see further."</p> });
    view! {
        <div class="lineage" data-testid="lineage-graph">
            <div class="lineage-tools">
                <button class="link" data-testid="lineage-zoom-in" aria-label="Zoom in" data-tip="Zoom in" on:click=move |_| zoom.update(|z| *z = (*z * 1.25).min(4.0))>"+"</button>
                <button class="link" data-testid="lineage-zoom-out" aria-label="Zoom out" data-tip="Zoom out" on:click=move |_| zoom.update(|z| *z = (*z / 1.25).max(0.25))>"−"</button>
                <button class="link" on:click=move |_| { tx.set(0.0); ty.set(0.0); zoom.set(1.0); }>"Reset"</button>
                <input type="search" class="lineage-search" placeholder="Find in the graph" data-testid="lineage-search"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
            </div>
            // Drawn at its own size (text stays legible); a large graph scrolls.
            <div class="lineage-canvas">
            <svg
                width=format!("{width}")
                height=format!("{}", height.max(120.0))
                viewBox=view_box
                on:wheel=move |ev: leptos::ev::WheelEvent| {
                    ev.prevent_default();
                    let factor = if ev.delta_y() < 0.0 { 1.1 } else { 1.0 / 1.1 };
                    zoom.update(|z| *z = (*z * factor).clamp(0.25, 4.0));
                }
                on:mousedown=move |ev| drag.set_value(Some((f64::from(ev.client_x()), f64::from(ev.client_y()))))
                on:mousemove=move |ev| {
                    if let Some((x0, y0)) = drag.get_value() {
                        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
                        tx.update(|t| *t -= (x - x0) / zoom.get_untracked());
                        ty.update(|t| *t -= (y - y0) / zoom.get_untracked());
                        drag.set_value(Some((x, y)));
                    }
                }
                on:mouseup=move |_| drag.set_value(None)
                on:mouseleave=move |_| drag.set_value(None)
            >
                {edges}
                {nodes}
            </svg>
            </div>
            {truncated}
        </div>
    }
}
