//! The Vibedata Studio UI: a Leptos client-side app in the Tauri webview. It talks to the shell
//! only through `api.rs` (typed functions over Tauri's `invoke`) with the DTOs of
//! `vibedata-protocol`, and shows every error it gets (never swallows one).

mod api;
mod app;
mod area;
mod pages;
mod tooltip;
mod view_helpers;

fn main() {
    // A panic is logged to the console and also shown in the window, so a person (and the
    // end-to-end tests) see what broke instead of a blank page.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        if let Some(body) = leptos::prelude::document().body() {
            let note = leptos::prelude::document().create_element("pre").ok();
            if let Some(note) = note {
                let _ = note.set_attribute("data-testid", "ui-panic");
                note.set_text_content(Some(&format!("The window stopped working: {info}")));
                let _ = body.append_child(&note);
            }
        }
    }));
    leptos::mount::mount_to_body(app::App);
}
