//! The app's one tooltip. Elements carry their hover text in `data-tip` (never `title`: WebKitGTK's
//! native tooltips stay on screen when the row under them re-renders or goes away). The tooltip
//! follows the element the pointer is over, and goes as soon as that element is left, clicked,
//! scrolled, typed over, or is no longer in the page.

use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;
use leptos::web_sys::{Element, EventTarget};
use wasm_bindgen::JsCast;

/// How far below and right of the pointer the tooltip sits, and the widest it gets (CSS pixels).
const OFFSET: f64 = 14.0;
const MAX_WIDTH: f64 = 480.0;

#[derive(Clone, PartialEq)]
struct Shown {
    text: String,
    left: f64,
    top: f64,
}

/// The element carrying a tip that `target` is in, if any.
fn tipped(target: Option<EventTarget>) -> Option<(Element, String)> {
    let element = target?.dyn_into::<Element>().ok()?;
    let host = element.closest("[data-tip]").ok()??;
    let text = host.get_attribute("data-tip")?;
    (!text.trim().is_empty()).then_some((host, text))
}

#[component]
pub fn Tooltip() -> impl IntoView {
    let shown = RwSignal::new(None::<Shown>);
    let host = StoredValue::new_local(None::<Element>);
    let hide = move || {
        host.set_value(None);
        if shown.get_untracked().is_some() {
            shown.set(None);
        }
    };

    let over = window_event_listener(ev::pointerover, move |e| match tipped(e.target()) {
        Some((element, text)) => {
            let same = host.with_value(|h| h.as_ref() == Some(&element));
            if same && shown.get_untracked().is_some() {
                return;
            }
            let width = window()
                .inner_width()
                .ok()
                .and_then(|w| w.as_f64())
                .unwrap_or(1000.0);
            let height = window()
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(700.0);
            let left = (f64::from(e.client_x()) + OFFSET).min((width - MAX_WIDTH - 8.0).max(0.0));
            let mut top = f64::from(e.client_y()) + OFFSET;
            if top > height - 60.0 {
                top = f64::from(e.client_y()) - 3.0 * OFFSET;
            }
            host.set_value(Some(element));
            shown.set(Some(Shown { text, left, top }));
        }
        None => hide(),
    });
    let down = window_event_listener(ev::pointerdown, move |_| hide());
    let wheel = window_event_listener(ev::wheel, move |_| hide());
    let key = window_event_listener(ev::keydown, move |_| hide());
    let leave = window_event_listener(ev::blur, move |_| hide());
    // A row re-rendered under a still pointer sends no pointer event: look while it is shown.
    let watch = set_interval_with_handle(
        move || {
            let gone = host.with_value(|h| match h {
                Some(element) => {
                    !element.is_connected() || !element.matches(":hover").unwrap_or(false)
                }
                None => false,
            });
            if gone {
                hide();
            }
        },
        Duration::from_millis(200),
    )
    .ok();
    on_cleanup(move || {
        over.remove();
        down.remove();
        wheel.remove();
        key.remove();
        leave.remove();
        if let Some(w) = watch {
            w.clear();
        }
    });

    move || {
        shown.get().map(|s| {
            view! {
                <div
                    class="tooltip"
                    role="tooltip"
                    data-testid="tooltip"
                    style=format!("left: {}px; top: {}px; max-width: {}px", s.left, s.top, MAX_WIDTH)
                >
                    {s.text}
                </div>
            }
        })
    }
}
