//! The one binding to the shell: `invoke` from Tauri's global API, wrapped so every command is a
//! typed async function returning `Result<Dto, ErrorDto>`. The functions live by capability in
//! `api/*.rs` and are re-exported here, so callers write `api::list_workspaces()`. Each command's
//! name is written out as a literal in its function (a test can scan these files for them).

mod agents;
mod domains;
mod fabric;
mod github;
mod intents;
mod monitor;
mod review;
mod workspaces;

pub use agents::*;
pub use domains::*;
pub use fabric::*;
pub use github::*;
pub use intents::*;
pub use monitor::*;
pub use review::*;
pub use workspaces::*;

use serde::Serialize;
use serde::de::DeserializeOwned;
use vibedata_protocol::{AppStatusDto, ErrorCode, ErrorDto};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    /// Tauri's IPC channel: the shell streams messages into `onmessage`.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = Channel)]
    type TauriChannel;
    #[wasm_bindgen(constructor, js_namespace = ["window", "__TAURI__", "core"], js_class = "Channel")]
    fn new() -> TauriChannel;
    #[wasm_bindgen(method, setter = onmessage, js_class = "Channel")]
    fn set_onmessage(this: &TauriChannel, handler: &js_sys::Function);
}

async fn call<A: Serialize, T: DeserializeOwned>(cmd: &str, args: &A) -> Result<T, ErrorDto> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args
        .serialize(&serializer)
        .map_err(|e| ErrorDto::new(ErrorCode::Ipc, format!("cannot encode {cmd}: {e}")))?;
    call_js(cmd, args).await
}

async fn call_js<T: DeserializeOwned>(cmd: &str, args: JsValue) -> Result<T, ErrorDto> {
    match invoke(cmd, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value)
            .map_err(|e| ErrorDto::new(ErrorCode::Ipc, format!("unexpected reply to {cmd}: {e}"))),
        Err(raised) => Err(serde_wasm_bindgen::from_value::<ErrorDto>(raised.clone())
            .unwrap_or_else(|_| {
                let text = raised
                    .as_string()
                    .or_else(|| js_sys::JSON::stringify(&raised).ok().map(String::from))
                    .unwrap_or_else(|| "unknown error".into());
                ErrorDto::new(
                    ErrorCode::Ipc,
                    format!("{cmd} failed outside the app's error model: {text}"),
                )
            })),
    }
}

/// A Tauri channel whose messages, decoded as `T`, go to `handler` for the life of the window.
fn channel<T: DeserializeOwned + 'static>(handler: impl Fn(T) + 'static) -> TauriChannel {
    let channel = TauriChannel::new();
    let closure = Closure::<dyn Fn(JsValue)>::new(move |message: JsValue| {
        if let Ok(value) = serde_wasm_bindgen::from_value::<T>(message) {
            handler(value);
        }
    });
    channel.set_onmessage(closure.as_ref().unchecked_ref());
    // The shell may send at any time while the window lives.
    closure.forget();
    channel
}

/// Invokes `cmd` with JSON-able `args` plus a channel under `channel_key`.
async fn channel_call<A: Serialize, T: DeserializeOwned>(
    cmd: &str,
    args: &A,
    channel_key: &str,
    channel: TauriChannel,
) -> Result<T, ErrorDto> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let value = args
        .serialize(&serializer)
        .map_err(|e| ErrorDto::new(ErrorCode::Ipc, format!("cannot encode {cmd}: {e}")))?;
    js_sys::Reflect::set(&value, &JsValue::from_str(channel_key), &channel)
        .map_err(|_| ErrorDto::new(ErrorCode::Ipc, format!("cannot encode {cmd}")))?;
    call_js(cmd, value).await
}

/// The arguments of a command that takes none.
#[derive(Serialize)]
struct NoArgs {}

/// The arguments of a command about one workspace.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Workspace<'a> {
    workspace_id: &'a str,
}

/// The arguments of a command about one intent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IntentIdArgs<'a> {
    intent_id: &'a str,
}

/// The app itself: version, where it keeps its data, whether its Python tools are ready.
pub async fn app_status() -> Result<AppStatusDto, ErrorDto> {
    call("app_status", &NoArgs {}).await
}
