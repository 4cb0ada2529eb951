//! The one binding to the shell: `invoke` from Tauri's global API, wrapped so every command is a
//! typed async function returning `Result<Dto, ErrorDto>`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use vibedata_protocol::{
    AppStatusDto, ErrorCode, ErrorDto, FileDto, IndexChangedDto, IndexSummaryDto, LineageDto,
    NodeDetailDto, NodeRowDto, SkillsDto, WorkspaceDto,
};
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Workspace<'a> {
    workspace_id: &'a str,
}

/// Opens a workspace's dbt index; `on_change` runs on every revision the file watcher applies.
pub async fn open_domain(
    workspace_id: &str,
    on_change: impl Fn(IndexChangedDto) + 'static,
) -> Result<IndexSummaryDto, ErrorDto> {
    let channel = TauriChannel::new();
    let handler = Closure::<dyn Fn(JsValue)>::new(move |message: JsValue| {
        if let Ok(event) = serde_wasm_bindgen::from_value::<IndexChangedDto>(message) {
            on_change(event);
        }
    });
    channel.set_onmessage(handler.as_ref().unchecked_ref());
    // The channel lives as long as the window: the shell may send at any time.
    handler.forget();
    let args = js_sys::Object::new();
    let set =
        |key: &str, value: &JsValue| js_sys::Reflect::set(&args, &JsValue::from_str(key), value);
    set("workspaceId", &JsValue::from_str(workspace_id))
        .and_then(|_| set("onChange", &channel))
        .map_err(|_| ErrorDto::new(ErrorCode::Ipc, "cannot build the open_domain call"))?;
    call_js("open_domain", args.into()).await
}

pub async fn domain_summary(workspace_id: &str) -> Result<IndexSummaryDto, ErrorDto> {
    call("domain_summary", &Workspace { workspace_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Search<'a> {
    workspace_id: &'a str,
    query: &'a str,
}

pub async fn search_nodes(workspace_id: &str, query: &str) -> Result<Vec<NodeRowDto>, ErrorDto> {
    call(
        "search_nodes",
        &Search {
            workspace_id,
            query,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeArgs<'a> {
    workspace_id: &'a str,
    unique_id: &'a str,
}

pub async fn node_detail(workspace_id: &str, unique_id: &str) -> Result<NodeDetailDto, ErrorDto> {
    call(
        "node_detail",
        &NodeArgs {
            workspace_id,
            unique_id,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineageArgs<'a> {
    workspace_id: &'a str,
    unique_id: &'a str,
    depth: u32,
}

pub async fn lineage(
    workspace_id: &str,
    unique_id: &str,
    depth: u32,
) -> Result<LineageDto, ErrorDto> {
    call(
        "lineage",
        &LineageArgs {
            workspace_id,
            unique_id,
            depth,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileArgs<'a> {
    workspace_id: &'a str,
    path: &'a str,
}

pub async fn domain_file(workspace_id: &str, path: &str) -> Result<FileDto, ErrorDto> {
    call("domain_file", &FileArgs { workspace_id, path }).await
}
