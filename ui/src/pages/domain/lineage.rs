//! The lineage graph: ranks left (upstream) to right (downstream) around the focused node, drawn
//! as SVG; drag to pan, wheel to zoom, click a node to open it.

use super::Focus;
use leptos::prelude::*;
use std::collections::HashMap;
use vibedata_protocol::LineageDto;

const NODE_W: f64 = 190.0;
const NODE_H: f64 = 34.0;
const COL_W: f64 = 250.0;
const ROW_H: f64 = 52.0;

#[component]
pub fn LineageGraph(lineage: LineageDto, open: Callback<Focus>) -> impl IntoView {
    let min_rank = lineage.nodes.iter().map(|n| n.rank).min().unwrap_or(0);
    let pos: HashMap<String, (f64, f64)> = lineage
        .nodes
        .iter()
        .map(|n| {
            (
                n.unique_id.clone(),
                (
                    f64::from(n.rank - min_rank) * COL_W + 10.0,
                    f64::from(n.order) * ROW_H + 10.0,
                ),
            )
        })
        .collect();
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
            view! {
                <g class=format!("lnode kind-{}", n.kind) class:focus=focus data-testid="lineage-node" data-uid=n.unique_id.clone() data-tip=n.unique_id.clone()
                    data-relation=relation transform=format!("translate({x},{y})")
                    on:click=move |_| open.run(Focus::Node(uid.clone()))>
                    <rect width=NODE_W height=NODE_H rx="6" />
                    <text x="10" y="14" class="lkind">{n.kind.label()}</text>
                    <text x="10" y="28" class="lname">{label}</text>
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
            </div>
            <svg
                width="100%"
                height=format!("{}", height.clamp(120.0, 420.0))
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
            {truncated}
        </div>
    }
}
