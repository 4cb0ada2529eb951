//! The Vibedata Studio UI: a Leptos client-side app in the Tauri webview. It talks to the shell
//! only through `api.rs` (typed functions over Tauri's `invoke`) with the DTOs of
//! `vibedata-protocol`, and shows every error it gets (never swallows one).

mod api;
mod app;
mod area;
mod pages;
mod view_helpers;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
