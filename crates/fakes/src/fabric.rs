//! A fake of Microsoft Fabric's REST API (`/v1`) on 127.0.0.1, in the shapes of the official API
//! descriptions (`specs/fabric/platform`): workspaces (list with `continuationToken` /
//! `continuationUri` pages, create, get), a workspace's items (list, create as a long-running
//! operation), long-running operations (202 + `Location` + `x-ms-operation-id` + `Retry-After`,
//! `GET /v1/operations/{id}` → `OperationState`, `GET /v1/operations/{id}/result`), errors as
//! `ErrorResponse` (`errorCode`, `message`, `requestId`), and faults: bursts of 429 with
//! `Retry-After`, 5xx, operations that stay running for a while or fail, dropped connections.
//! Also capacities (`Active` or paused), assigning a workspace to one, deleting a workspace, a
//! workspace's git integration (connect through a configured connection, initialize, status,
//! update from git checking `workspaceHead` — a stale head is `WorkspaceHeadMismatch` — and importing
//! the branch's items), and item jobs (run on demand → 202 + `Location` of the instance, the
//! instance NotStarted → InProgress → Completed or Failed with its `failureReason`, list, cancel).
//! A route can be held (never answered) to stand for a process killed mid-call. A lakehouse's Livy
//! endpoint (`…/livyapi/versions/2023-12-01/sessions`, statements of kind `sql`) answers Spark SQL
//! from an in-memory SQLite stand-in — backtick-quoted multi-part names become one table name, and
//! `xxhash64`, `pmod` and `concat_ws` are provided — with Livy's states and output shape. It records
//! every request.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::http::{Recorded, read_request, respond_json};

mod livy;
use livy::Livy;

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
    capacities: Vec<Value>,
    git: std::collections::HashMap<String, Git>,
    /// Each branch's head commit on the remote (a branch not set has one derived from its name).
    remote_heads: std::collections::HashMap<String, String>,
    /// Items a workspace gets when it is updated from git: (display name, type).
    repository_items: Vec<(String, String)>,
    /// Connection ids Fabric knows (connecting with another is refused).
    connections: Vec<String>,
    jobs: std::collections::HashMap<String, Vec<Job>>,
    /// Polls a job answers InProgress before it ends, and the failure it ends with (if any).
    job_polls: usize,
    job_failure: Option<String>,
    /// Requests whose `METHOD path` contains this are never answered.
    hold: Option<String>,
    /// Requests after this many (counted from when it was set) are never answered.
    hold_after: Option<usize>,
    livy: Livy,
    /// Shortcuts by (workspace, item): the requests' bodies.
    shortcuts: std::collections::HashMap<(String, String), Vec<Value>>,
}

#[derive(Clone, Default)]
struct Git {
    branch: String,
    repository: String,
    owner: String,
    initialized: bool,
    head: Option<String>,
}

struct Job {
    instance: Value,
    polls_left: usize,
    failure: Option<String>,
}

struct Operation {
    polls_left: usize,
    fails: bool,
    failure: Option<(String, String)>,
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
            capacities: vec![json!({"id": uuid(900_001), "displayName": "F2 trial",
                "sku": "F2", "region": "West Europe", "state": "Active"})],
            connections: vec![CONNECTION.to_string()],
            repository_items: vec![
                ("lakehouse".into(), "Lakehouse".into()),
                ("dbt_job".into(), "DataBuildToolJob".into()),
            ],
            job_polls: 2,
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
                    if let Some((0, _, _)) = reply {
                        // Held: the caller waits until it gives up or is killed.
                        std::future::pending::<()>().await;
                    }
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

    /// Adds a workspace on the capacity with these items (name, type); returns its id.
    pub fn add_workspace_with(&self, name: &str, items: &[(&str, &str)]) -> String {
        let mut s = self.state();
        s.next += 1;
        let id = uuid(s.next);
        s.workspaces
            .push(json!({"id": id, "displayName": name, "description": "",
            "type": "Workspace", "capacityId": uuid(900_001)}));
        for (item, kind) in items {
            s.next += 1;
            let item = json!({"id": uuid(s.next), "displayName": item, "type": kind,
                "workspaceId": id, "description": ""});
            s.items.entry(id.clone()).or_default().push(item);
        }
        id
    }

    /// Connects a workspace to a GitHub branch and initializes it, as done once in Fabric's UI.
    pub fn connect_git(&self, workspace: &str, owner: &str, repository: &str, branch: &str) {
        self.state().git.insert(
            workspace.to_string(),
            Git {
                branch: branch.to_string(),
                repository: repository.to_string(),
                owner: owner.to_string(),
                initialized: true,
                head: None,
            },
        );
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

    /// The capacity every workspace can use (`Active` unless paused).
    pub fn capacity_id(&self) -> String {
        uuid(900_001)
    }

    /// Pauses (or resumes) the capacity: assigning to it is refused while paused.
    pub fn pause_capacity(&self, paused: bool) {
        let mut s = self.state();
        for c in &mut s.capacities {
            c["state"] = json!(if paused { "Inactive" } else { "Active" });
        }
    }

    /// The branch's head commit on the remote moves to `sha`.
    pub fn set_remote_head(&self, branch: &str, sha: &str) {
        self.state()
            .remote_heads
            .insert(branch.to_string(), sha.to_string());
    }

    /// A workspace updated from git gets `count` items (a lakehouse, a dbt job, notebooks).
    pub fn repository_items(&self, count: usize) {
        let mut items = vec![
            ("lakehouse".to_string(), "Lakehouse".to_string()),
            ("dbt_job".to_string(), "DataBuildToolJob".to_string()),
        ];
        for n in 2..count {
            items.push((format!("notebook_{n}"), "Notebook".into()));
        }
        items.truncate(count);
        self.state().repository_items = items;
    }

    /// Jobs stay InProgress for `polls` polls, then complete (or fail with this log excerpt).
    pub fn jobs(&self, polls: usize, failure: Option<&str>) {
        let mut s = self.state();
        s.job_polls = polls;
        s.job_failure = failure.map(str::to_string);
    }

    /// Requests whose `METHOD path` contains `pattern` are never answered (`None`: all answered).
    pub fn hold(&self, pattern: Option<&str>) {
        self.state().hold = pattern.map(str::to_string);
    }

    /// From now on, requests after the next `n` are carried out but never answered (`None`: all
    /// answered): a process killed at any point of a flow, after Fabric acted.
    pub fn hold_after(&self, n: Option<usize>) {
        let mut s = self.state();
        let seen = s.requests.len();
        s.hold_after = n.map(|n| seen + n);
    }

    /// Requests received so far.
    pub fn request_count(&self) -> usize {
        self.state().requests.len()
    }

    /// A table Spark SQL can read through Livy, named as Spark names it (`lakehouse.schema.table`,
    /// or with the workspace first); values as JSON (numbers, strings, null).
    pub fn livy_table(&self, name: &str, columns: &[&str], rows: &[Vec<Value>]) {
        let s = self.state();
        let cols = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        s.livy
            .db
            .execute_batch(&format!(
                "DROP TABLE IF EXISTS \"{name}\"; CREATE TABLE \"{name}\" ({cols});"
            ))
            .expect("create the table");
        let marks = vec!["?"; columns.len()].join(", ");
        let mut insert = s
            .livy
            .db
            .prepare(&format!("INSERT INTO \"{name}\" VALUES ({marks})"))
            .expect("insert");
        for row in rows {
            let values: Vec<rusqlite::types::Value> = row
                .iter()
                .map(|v| match v {
                    Value::Null => rusqlite::types::Value::Null,
                    Value::Number(n) if n.is_i64() => {
                        rusqlite::types::Value::Integer(n.as_i64().unwrap_or(0))
                    }
                    Value::Number(n) => rusqlite::types::Value::Real(n.as_f64().unwrap_or(0.0)),
                    Value::String(t) => rusqlite::types::Value::Text(t.clone()),
                    other => rusqlite::types::Value::Text(other.to_string()),
                })
                .collect();
            insert
                .execute(rusqlite::params_from_iter(values))
                .expect("insert a row");
        }
    }

    /// The OneLake shortcuts of an item.
    pub fn shortcuts_of(&self, workspace: &str, item: &str) -> Vec<Value> {
        self.state()
            .shortcuts
            .get(&(workspace.to_string(), item.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Livy sessions fail to start (the session ends in `dead`).
    pub fn livy_fail_start(&self, fail: bool) {
        self.state().livy.fail_start = fail;
    }

    /// Rows Livy statements returned so far (what left the lakehouse).
    pub fn livy_rows_returned(&self) -> usize {
        self.state().livy.rows_returned
    }

    /// Livy sessions still open.
    pub fn livy_sessions(&self) -> usize {
        self.state().livy.sessions.len()
    }

    /// Every workspace, as the fake holds them.
    pub fn workspaces(&self) -> Vec<Value> {
        self.state().workspaces.clone()
    }

    /// Job instances started on an item.
    pub fn job_runs(&self, item: &str) -> usize {
        self.state().jobs.get(item).map_or(0, Vec::len)
    }

    pub fn items_of(&self, workspace: &str) -> Vec<Value> {
        self.state()
            .items
            .get(workspace)
            .cloned()
            .unwrap_or_default()
    }
}

/// The GitHub connection the organisation stored in Fabric.
pub const CONNECTION: &str = "00000000-0000-4000-8000-00000000c0c0";

fn head_of(s: &State, branch: &str) -> String {
    s.remote_heads.get(branch).cloned().unwrap_or_else(|| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in branch.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}{h:016x}{:08x}", h as u32)
    })
}

/// A long-running operation that is already done, answered as Fabric does (202 + headers).
fn operation(
    s: &mut State,
    base: &str,
    result: Value,
    fails: Option<(&str, &str)>,
) -> (u16, Vec<(String, String)>, Value) {
    s.next += 1;
    let op = format!("op-{}", s.next);
    s.operations.insert(
        op.clone(),
        Operation {
            polls_left: s.operation_polls,
            fails: fails.is_some(),
            failure: fails.map(|(c, m)| (c.to_string(), m.to_string())),
            result,
            created: now(),
        },
    );
    (
        202,
        vec![
            ("location".into(), format!("{base}/operations/{op}")),
            ("x-ms-operation-id".into(), op),
            ("retry-after".into(), "0".into()),
        ],
        Value::Null,
    )
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

/// Answers a request; past the `hold_after` mark the request is carried out and then never
/// answered (the caller died after Fabric acted, before it heard).
fn handle(state: &Arc<Mutex<State>>, request: &Recorded, addr: std::net::SocketAddr) -> Reply {
    let reply = handle_inner(state, request, addr);
    let s = state.lock().expect("fake state");
    if s.hold_after.is_some_and(|n| s.requests.len() > n) {
        return Some((0, Vec::new(), Value::Null));
    }
    reply
}

fn handle_inner(
    state: &Arc<Mutex<State>>,
    request: &Recorded,
    addr: std::net::SocketAddr,
) -> Reply {
    let mut s = state.lock().expect("fake state");
    s.requests.push(request.clone());
    if let Some(pattern) = &s.hold
        && format!("{} {}", request.method, request.path).contains(pattern.as_str())
    {
        return Some((0, Vec::new(), Value::Null));
    }
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
    // A lakehouse's Livy endpoint: `workspaces/*/lakehouses/*/livyapi/versions/*/sessions/…`.
    if let [
        "workspaces",
        _,
        "lakehouses",
        _,
        "livyapi",
        "versions",
        _,
        "sessions",
        rest @ ..,
    ] = parts.as_slice()
    {
        s.next += 1;
        let new_id = uuid(s.next);
        return Some(s.livy.route(&request.method, rest, &request.json(), new_id));
    }
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
                    failure: None,
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
                let (code, message) = o.failure.clone().unwrap_or_else(|| {
                    (
                        "ItemDisplayNameAlreadyInUse".into(),
                        "The item could not be created".into(),
                    )
                });
                body["error"] = json!({"errorCode": code, "message": message});
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
        ("POST", ["workspaces", ws, "items", item, "shortcuts"]) => {
            if !s
                .items
                .get(*ws)
                .is_some_and(|items| items.iter().any(|i| i["id"] == *item))
            {
                return Some(error(
                    404,
                    "ItemNotFound",
                    "The requested item was not found",
                ));
            }
            let body = request.json();
            let target = &body["target"]["oneLake"];
            let target_ok = s
                .items
                .get(target["workspaceId"].as_str().unwrap_or_default())
                .is_some_and(|items| items.iter().any(|i| i["id"] == target["itemId"]));
            if !target_ok {
                return Some(error(
                    400,
                    "ShortcutTargetNotFound",
                    "The shortcut's target item was not found",
                ));
            }
            let overwrite = query.contains("shortcutConflictPolicy=CreateOrOverwrite");
            let list = s
                .shortcuts
                .entry(((*ws).to_string(), (*item).to_string()))
                .or_default();
            let same = |v: &Value| v["path"] == body["path"] && v["name"] == body["name"];
            if list.iter().any(same) {
                if !overwrite {
                    return Some(error(
                        409,
                        "ShortcutAlreadyExists",
                        "A shortcut of this name exists",
                    ));
                }
                list.retain(|v| !same(v));
            }
            // As Fabric answers it: the target says its type.
            let mut made = body.clone();
            made["target"]["type"] = json!("OneLake");
            list.push(made.clone());
            (201, Vec::new(), made)
        }
        ("DELETE", ["workspaces", id]) => {
            let before = s.workspaces.len();
            s.workspaces.retain(|w| w["id"] != *id);
            if s.workspaces.len() == before {
                return Some(error(
                    404,
                    "WorkspaceNotFound",
                    "The requested workspace was not found",
                ));
            }
            s.items.remove(*id);
            s.git.remove(*id);
            (200, Vec::new(), Value::Null)
        }
        ("GET", ["capacities"]) => (
            200,
            Vec::new(),
            page(&s.capacities, path, query, size, &format!("http://{addr}")),
        ),
        ("POST", ["workspaces", id, "assignToCapacity"]) => {
            let capacity = request.json()["capacityId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let Some(c) = s
                .capacities
                .iter()
                .find(|c| c["id"] == capacity.as_str())
                .cloned()
            else {
                return Some(error(404, "CapacityNotFound", "The capacity was not found"));
            };
            if c["state"] != "Active" {
                return Some(error(
                    400,
                    "CapacityNotActive",
                    "The capacity is paused: resume it in the Azure portal",
                ));
            }
            let Some(w) = s.workspaces.iter_mut().find(|w| w["id"] == *id) else {
                return Some(error(
                    404,
                    "WorkspaceNotFound",
                    "The requested workspace was not found",
                ));
            };
            w["capacityId"] = json!(capacity);
            operation(&mut s, &base, Value::Null, None)
        }
        ("GET", ["workspaces", id, "git", "connection"]) => {
            let g = s.git.get(*id).cloned();
            (
                200,
                Vec::new(),
                match g {
                    None => json!({"gitConnectionState": "NotConnected"}),
                    Some(g) => {
                        let mut v = json!({
                            "gitConnectionState": if g.initialized { "ConnectedAndInitialized" } else { "Connected" },
                            "gitProviderDetails": {"gitProviderType": "GitHub", "ownerName": g.owner,
                                "repositoryName": g.repository, "branchName": g.branch, "directoryName": "/"},
                        });
                        if let Some(h) = g.head {
                            v["gitSyncDetails"] = json!({"head": h, "lastSyncTime": now()});
                        }
                        v
                    }
                },
            )
        }
        ("POST", ["workspaces", id, "git", "connect"]) => {
            if !s.workspaces.iter().any(|w| w["id"] == *id) {
                return Some(error(
                    404,
                    "WorkspaceNotFound",
                    "The requested workspace was not found",
                ));
            }
            if s.git.contains_key(*id) {
                return Some(error(
                    409,
                    "WorkspaceAlreadyConnectedToGit",
                    "The workspace is already connected to Git",
                ));
            }
            let body = request.json();
            let connection = body["myGitCredentials"]["connectionId"]
                .as_str()
                .unwrap_or_default();
            if body["myGitCredentials"]["source"] != "ConfiguredConnection"
                || !s.connections.iter().any(|c| c == connection)
            {
                return Some(error(
                    400,
                    "GitCredentialsNotConfigured",
                    "GitHub needs a configured connection the identity can use",
                ));
            }
            let d = &body["gitProviderDetails"];
            s.git.insert(
                (*id).to_string(),
                Git {
                    branch: d["branchName"].as_str().unwrap_or_default().to_string(),
                    repository: d["repositoryName"].as_str().unwrap_or_default().to_string(),
                    owner: d["ownerName"].as_str().unwrap_or_default().to_string(),
                    initialized: false,
                    head: None,
                },
            );
            (200, Vec::new(), Value::Null)
        }
        ("POST", ["workspaces", id, "git", "initializeConnection"]) => {
            let Some(g) = s.git.get_mut(*id) else {
                return Some(error(
                    400,
                    "WorkspaceNotConnectedToGit",
                    "The workspace is not connected to Git",
                ));
            };
            g.initialized = true;
            let (branch, head) = (g.branch.clone(), g.head.clone());
            let remote = head_of(&s, &branch);
            let action = if head.as_deref() == Some(remote.as_str()) {
                "None"
            } else {
                "UpdateFromGit"
            };
            let mut result = json!({"requiredAction": action, "remoteCommitHash": remote});
            if let Some(h) = head {
                result["workspaceHead"] = json!(h);
            }
            operation(&mut s, &base, result, None)
        }
        ("GET", ["workspaces", id, "git", "status"]) => {
            let Some(g) = s.git.get(*id).filter(|g| g.initialized).cloned() else {
                return Some(error(
                    400,
                    "WorkspaceNotConnectedToGit",
                    "The workspace is not connected to Git",
                ));
            };
            let remote = head_of(&s, &g.branch);
            let changes: Vec<Value> = if g.head.as_deref() == Some(remote.as_str()) {
                Vec::new()
            } else {
                s.repository_items.iter().map(|(name, kind)| json!({
                    "itemMetadata": {"itemIdentifier": {"logicalId": uuid(0)}, "itemType": kind, "displayName": name},
                    "remoteChange": "Added", "conflictType": "None"})).collect()
            };
            // Fabric answers `workspaceHead` as a string; an uninitialized head is empty.
            (
                200,
                Vec::new(),
                json!({"workspaceHead": g.head.unwrap_or_default(),
                "remoteCommitHash": remote, "changes": changes}),
            )
        }
        ("POST", ["workspaces", id, "git", "updateFromGit"]) => {
            let body = request.json();
            let Some(g) = s.git.get(*id).filter(|g| g.initialized).cloned() else {
                return Some(error(
                    400,
                    "WorkspaceNotConnectedToGit",
                    "The workspace is not connected to Git",
                ));
            };
            let given = body["workspaceHead"].as_str().filter(|h| !h.is_empty());
            if given != g.head.as_deref() {
                return Some(error(
                    409,
                    "WorkspaceHeadMismatch",
                    "The workspace head given is not the workspace's head",
                ));
            }
            let remote = head_of(&s, &g.branch);
            if body["remoteCommitHash"].as_str() != Some(remote.as_str()) {
                return Some(error(
                    409,
                    "RemoteCommitHashMismatch",
                    "The remote commit is not the branch's head",
                ));
            }
            let wanted = s.repository_items.clone();
            let mut items = s.items.remove(*id).unwrap_or_default();
            for (name, kind) in wanted {
                if !items.iter().any(|i| i["displayName"] == name.as_str()) {
                    s.next += 1;
                    items.push(
                        json!({"id": uuid(s.next), "displayName": name, "type": kind,
                        "workspaceId": id, "description": ""}),
                    );
                }
            }
            s.items.insert((*id).to_string(), items);
            if let Some(g) = s.git.get_mut(*id) {
                g.head = Some(remote);
            }
            operation(&mut s, &base, Value::Null, None)
        }
        (
            "POST",
            [
                "workspaces",
                ws,
                "items",
                item,
                "jobs",
                job_type,
                "instances",
            ],
        ) => {
            if !s
                .items
                .get(*ws)
                .is_some_and(|items| items.iter().any(|i| i["id"] == *item))
            {
                return Some(error(
                    404,
                    "ItemNotFound",
                    "The requested item was not found",
                ));
            }
            s.next += 1;
            let id = uuid(s.next);
            let (polls_left, failure) = (s.job_polls, s.job_failure.clone());
            let activity = uuid(s.next + 1_000_000);
            s.jobs.entry((*item).to_string()).or_default().insert(0, Job {
                instance: json!({"id": id, "itemId": item, "jobType": job_type, "invokeType": "Manual",
                    "status": "NotStarted", "rootActivityId": activity}),
                polls_left,
                failure,
            });
            (
                202,
                vec![
                    (
                        "location".into(),
                        format!("{base}/workspaces/{ws}/items/{item}/jobs/instances/{id}"),
                    ),
                    ("retry-after".into(), "0".into()),
                ],
                Value::Null,
            )
        }
        ("GET", ["workspaces", _, "items", item, "jobs", "instances"]) => {
            let list: Vec<Value> = s
                .jobs
                .get(*item)
                .map(|j| j.iter().map(|j| j.instance.clone()).collect())
                .unwrap_or_default();
            (
                200,
                Vec::new(),
                page(&list, path, query, size, &format!("http://{addr}")),
            )
        }
        (
            "GET",
            [
                "workspaces",
                _,
                "items",
                item,
                "jobs",
                "instances",
                instance,
            ],
        ) => {
            let Some(job) = s
                .jobs
                .get_mut(*item)
                .and_then(|j| j.iter_mut().find(|j| j.instance["id"] == *instance))
            else {
                return Some(error(
                    404,
                    "JobInstanceNotFound",
                    "The job instance was not found",
                ));
            };
            let status = job.instance["status"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if matches!(status.as_str(), "NotStarted" | "InProgress") {
                if job.instance["startTimeUtc"].is_null() {
                    job.instance["startTimeUtc"] = json!(now());
                }
                if job.polls_left > 0 {
                    job.polls_left -= 1;
                    job.instance["status"] = json!("InProgress");
                } else {
                    job.instance["endTimeUtc"] = json!(now());
                    match &job.failure {
                        Some(log) => {
                            job.instance["status"] = json!("Failed");
                            job.instance["failureReason"] = json!({"errorCode": "JobExecutionFailed",
                                "message": log, "requestId": uuid(7)});
                        }
                        None => job.instance["status"] = json!("Completed"),
                    }
                }
            }
            (200, Vec::new(), job.instance.clone())
        }
        (
            "POST",
            [
                "workspaces",
                _,
                "items",
                item,
                "jobs",
                "instances",
                instance,
                "cancel",
            ],
        ) => {
            let Some(job) = s
                .jobs
                .get_mut(*item)
                .and_then(|j| j.iter_mut().find(|j| j.instance["id"] == *instance))
            else {
                return Some(error(
                    404,
                    "JobInstanceNotFound",
                    "The job instance was not found",
                ));
            };
            if matches!(
                job.instance["status"].as_str(),
                Some("NotStarted" | "InProgress")
            ) {
                job.instance["status"] = json!("Cancelled");
                job.instance["endTimeUtc"] = json!(now());
            }
            (202, Vec::new(), Value::Null)
        }
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
