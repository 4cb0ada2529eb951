//! A fake of Microsoft Fabric's REST API (`/v1`) on 127.0.0.1, in the shapes of the official API
//! descriptions (`specs/fabric/platform`): workspaces (list with `continuationToken` /
//! `continuationUri` pages, create, get), a workspace's items (list, create as a long-running
//! operation), long-running operations (202 + `Location` + `x-ms-operation-id` + `Retry-After`,
//! `GET /v1/operations/{id}` → `OperationState`, `GET /v1/operations/{id}/result`), errors as
//! `ErrorResponse` (`errorCode`, `message`, `requestId`), and faults: bursts of 429 with
//! `Retry-After`, 5xx, operations that stay running for a while or fail, dropped connections.
//! It records every request.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::http::{Recorded, read_request, respond_json};

#[derive(Default)]
struct State {
    workspaces: Vec<Value>,
    items: std::collections::HashMap<String, Vec<Value>>,
    operations: std::collections::HashMap<String, Operation>,
    page_size: usize,
    /// Requests still to answer 429, and the `Retry-After` seconds they say.
    throttle: (usize, u64),
    server_errors: usize,
    drops: usize,
    /// Polls an operation answers `Running` before it ends, and whether it fails.
    operation_polls: usize,
    operation_fails: bool,
    requests: Vec<Recorded>,
    next: u64,
}

struct Operation {
    polls_left: usize,
    fails: bool,
    result: Value,
    created: String,
}

/// The running fake.
pub struct FakeFabric {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeFabric {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn error(status: u16, code: &str, message: &str) -> (u16, Vec<(String, String)>, Value) {
    (
        status,
        Vec::new(),
        json!({"errorCode": code, "message": message, "requestId": format!("req-{code}")}),
    )
}

impl FakeFabric {
    pub async fn start() -> FakeFabric {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            page_size: 100,
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let Ok(Some(request)) = read_request(&mut socket).await else {
                        return;
                    };
                    let reply = handle(&state, &request, addr);
                    if let Some((status, headers, body)) = reply {
                        let _ = respond_json(&mut socket, status, &headers, &body).await;
                    }
                    // `None`: the connection is dropped without an answer.
                });
            }
        });
        FakeFabric { addr, state, task }
    }

    /// The API's base URL (`…/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake state")
    }

    /// Adds `count` workspaces named `ws-<n>`.
    pub fn add_workspaces(&self, count: usize) {
        let mut s = self.state();
        for _ in 0..count {
            s.next += 1;
            let n = s.next;
            s.workspaces
                .push(json!({"id": uuid(n), "displayName": format!("ws-{n}"),
                "description": "", "type": "Workspace"}));
        }
    }

    /// Items answer lists of at most `size`.
    pub fn page_size(&self, size: usize) {
        self.state().page_size = size.max(1);
    }

    /// The next `count` requests answer 429 with `Retry-After: seconds`.
    pub fn throttle(&self, count: usize, seconds: u64) {
        self.state().throttle = (count, seconds);
    }

    /// The next `count` requests answer 500.
    pub fn server_errors(&self, count: usize) {
        self.state().server_errors = count;
    }

    /// The next `count` requests are dropped without an answer.
    pub fn drop_connections(&self, count: usize) {
        self.state().drops = count;
    }

    /// Operations stay `Running` for `polls` polls, then succeed (or fail).
    pub fn operations(&self, polls: usize, fail: bool) {
        let mut s = self.state();
        s.operation_polls = polls;
        s.operation_fails = fail;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    pub fn items_of(&self, workspace: &str) -> Vec<Value> {
        self.state()
            .items
            .get(workspace)
            .cloned()
            .unwrap_or_default()
    }
}

fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn page(items: &[Value], path: &str, query: &str, size: usize, base: &str) -> Value {
    let start: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("continuationToken="))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let end = (start + size).min(items.len());
    let mut body = json!({"value": items.get(start..end).unwrap_or_default()});
    if end < items.len() {
        body["continuationToken"] = json!(end.to_string());
        body["continuationUri"] = json!(format!("{base}{path}?continuationToken={end}"));
    }
    body
}

type Reply = Option<(u16, Vec<(String, String)>, Value)>;

fn handle(state: &Arc<Mutex<State>>, request: &Recorded, addr: std::net::SocketAddr) -> Reply {
    let mut s = state.lock().expect("fake state");
    s.requests.push(request.clone());
    if s.drops > 0 {
        s.drops -= 1;
        return None;
    }
    if s.throttle.0 > 0 {
        s.throttle.0 -= 1;
        let seconds = s.throttle.1;
        let (status, _, body) = error(429, "RequestBlocked", "The service rate limit was exceeded");
        return Some((
            status,
            vec![("retry-after".into(), seconds.to_string())],
            body,
        ));
    }
    if s.server_errors > 0 {
        s.server_errors -= 1;
        return Some(error(500, "InternalServerError", "Something went wrong"));
    }
    if !request
        .header("authorization")
        .is_some_and(|a| a.starts_with("Bearer ") && a.len() > 10)
    {
        return Some(error(
            401,
            "TokenExpired",
            "Access token has expired, resubmit with a new access token",
        ));
    }
    let base = format!("http://{addr}/v1");
    let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
    let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    let size = s.page_size;
    Some(match (request.method.as_str(), parts.as_slice()) {
        ("GET", ["workspaces"]) => (
            200,
            Vec::new(),
            page(&s.workspaces, path, query, size, &format!("http://{addr}")),
        ),
        ("POST", ["workspaces"]) => {
            let body = request.json();
            let Some(name) = body["displayName"]
                .as_str()
                .filter(|n| !n.trim().is_empty())
            else {
                return Some(error(400, "InvalidInput", "displayName is required"));
            };
            if s.workspaces.iter().any(|w| w["displayName"] == name) {
                return Some(error(
                    409,
                    "WorkspaceNameAlreadyExists",
                    "The workspace name already exists",
                ));
            }
            s.next += 1;
            let mut ws = json!({"id": uuid(s.next), "displayName": name,
                "description": body["description"].as_str().unwrap_or(""), "type": "Workspace"});
            // As Fabric: a workspace on no capacity has no `capacityId` (never a null).
            if let Some(capacity) = body["capacityId"].as_str() {
                ws["capacityId"] = json!(capacity);
            }
            s.workspaces.push(ws.clone());
            (
                201,
                vec![(
                    "location".into(),
                    format!(
                        "{base}/workspaces/{}",
                        ws["id"].as_str().unwrap_or_default()
                    ),
                )],
                ws,
            )
        }
        ("GET", ["workspaces", id]) => match s.workspaces.iter().find(|w| w["id"] == *id) {
            Some(w) => (200, Vec::new(), w.clone()),
            None => error(
                404,
                "WorkspaceNotFound",
                "The requested workspace was not found",
            ),
        },
        ("GET", ["workspaces", id, "items"]) => {
            if !s.workspaces.iter().any(|w| w["id"] == *id) {
                return Some(error(
                    404,
                    "WorkspaceNotFound",
                    "The requested workspace was not found",
                ));
            }
            let items = s.items.get(*id).cloned().unwrap_or_default();
            (
                200,
                Vec::new(),
                page(&items, path, query, size, &format!("http://{addr}")),
            )
        }
        ("POST", ["workspaces", id, "items"]) => {
            if !s.workspaces.iter().any(|w| w["id"] == *id) {
                return Some(error(
                    404,
                    "WorkspaceNotFound",
                    "The requested workspace was not found",
                ));
            }
            let body = request.json();
            s.next += 1;
            let item = json!({"id": uuid(s.next), "displayName": body["displayName"],
                "type": body["type"], "workspaceId": id, "description": body["description"].as_str().unwrap_or("")});
            let op = format!("op-{}", s.next);
            let (polls_left, fails) = (s.operation_polls, s.operation_fails);
            if !fails {
                s.items
                    .entry((*id).to_string())
                    .or_default()
                    .push(item.clone());
            }
            s.operations.insert(
                op.clone(),
                Operation {
                    polls_left,
                    fails,
                    result: item,
                    created: now(),
                },
            );
            (
                202,
                vec![
                    ("location".into(), format!("{base}/operations/{op}")),
                    ("x-ms-operation-id".into(), op.clone()),
                    ("retry-after".into(), "0".into()),
                ],
                Value::Null,
            )
        }
        ("GET", ["operations", op]) => {
            let Some(o) = s.operations.get_mut(*op) else {
                return Some(error(
                    404,
                    "OperationNotFound",
                    "The operation was not found",
                ));
            };
            let status = if o.polls_left > 0 {
                o.polls_left -= 1;
                "Running"
            } else if o.fails {
                "Failed"
            } else {
                "Succeeded"
            };
            let mut body = json!({"status": status, "createdTimeUtc": o.created, "lastUpdatedTimeUtc": now(),
                "percentComplete": if status == "Running" { 50 } else { 100 }});
            if status == "Failed" {
                body["error"] = json!({"errorCode": "ItemDisplayNameAlreadyInUse", "message": "The item could not be created"});
            }
            let mut headers = vec![("x-ms-operation-id".into(), (*op).to_string())];
            if status == "Running" {
                headers.push(("retry-after".into(), "0".into()));
            } else {
                headers.push(("location".into(), format!("{base}/operations/{op}/result")));
            }
            (200, headers, body)
        }
        ("GET", ["operations", op, "result"]) => match s.operations.get(*op) {
            Some(o) if o.polls_left == 0 && !o.fails => (200, Vec::new(), o.result.clone()),
            Some(_) => error(400, "OperationNotSucceeded", "The operation has no result"),
            None => error(404, "OperationNotFound", "The operation was not found"),
        },
        _ => error(
            404,
            "EntityNotFound",
            "The requested resource was not found",
        ),
    })
}

fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::github::timestamp(secs)
}
