//! The one binding to the shell: `invoke` from Tauri's global API, wrapped so every command is a
//! typed async function returning `Result<Dto, ErrorDto>`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use vibedata_protocol::{AppStatusDto, ErrorCode, ErrorDto, SkillsDto, WorkspaceDto};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

async fn call<A: Serialize, T: DeserializeOwned>(cmd: &str, args: &A) -> Result<T, ErrorDto> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args
        .serialize(&serializer)
        .map_err(|e| ErrorDto::new(ErrorCode::Ipc, format!("cannot encode {cmd}: {e}")))?;
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

#[derive(Serialize)]
struct NoArgs {}

pub async fn app_status() -> Result<AppStatusDto, ErrorDto> {
    call("app_status", &NoArgs {}).await
}

pub async fn list_workspaces() -> Result<Vec<WorkspaceDto>, ErrorDto> {
    call("list_workspaces", &NoArgs {}).await
}

pub async fn list_skills() -> Result<SkillsDto, ErrorDto> {
    call("list_skills", &NoArgs {}).await
}
