//! A fake GitHub: its REST API for issues, comments (and editing them), labels, pull requests,
//! pull request reviews and check runs
//! (pagination with `link`, ETags and 304s, rate-limit answers on demand, `GET /user`, renamed
//! repositories redirected to `/repositories/{id}`; faults: 500, reset or malformed answer after a
//! write is applied, malformed reads, latency past the client's time limit), git's smart HTTP for
//! pushes, and its OAuth device flow: `POST /login/device/code` and
//! `POST /login/oauth/access_token`, answering polls from a script in GitHub's real shape —
//! **HTTP 200 with an `error` field** while pending (`authorization_pending`, `slow_down` with a
//! new `interval`, `expired_token`, `access_denied`), then the tokens.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::http::{Recorded, read_request, respond_json};

/// One scripted answer to a token poll.
#[derive(Debug, Clone)]
pub enum Poll {
    Pending,
    SlowDown,
    Expired,
    Denied,
    /// Success; with a refresh token when `refresh` is set (GitHub App user tokens).
    Tokens {
        access: String,
        refresh: Option<String>,
    },
    /// A body that is not JSON.
    Malformed,
}

#[derive(Default)]
struct State {
    polls: VecDeque<Poll>,
    recorded: Vec<Recorded>,
    expires_in: u64,
    /// Tokens `GET /user` accepts (issued ones are added automatically).
    accepted_tokens: Vec<String>,
    /// Issues by "owner/repo".
    issues: std::collections::HashMap<String, Vec<serde_json::Value>>,
    /// Issue comments by "owner/repo".
    comments: std::collections::HashMap<String, Vec<serde_json::Value>>,
    /// Pull requests by "owner/repo".
    pulls: std::collections::HashMap<String, Vec<Value>>,
    /// Pull request reviews by "owner/repo".
    reviews: std::collections::HashMap<String, Vec<Value>>,
    /// Rate-limit answers to give before serving: (status, retry-after seconds or reset delay).
    limits: VecDeque<(u16, u64)>,
    /// Faults for the next writes, in order.
    faults: VecDeque<Fault>,
    /// Reset-after-apply on this many writes in a thousand, from an xorshift seed.
    random_resets: Option<(u64, u64)>,
    /// The fake's clock (see [`timestamp`]).
    clock: u64,
    /// Connections are closed unanswered (the network is down).
    offline: bool,
    /// The network goes down after this many more answered requests.
    offline_after: Option<usize>,
    /// Every request waits this long before it is handled (GitHub is not instant).
    latency: std::time::Duration,
    /// Bare repositories served over git's smart HTTP under `/git/`.
    git_root: Option<std::path::PathBuf>,
    /// Reading the repositories needs a token too (a private repository).
    git_private: bool,
    /// Check runs by commit SHA.
    checks: std::collections::HashMap<String, Vec<Value>>,
    /// A person's role on a repository (`admin`, `maintain`, `write`, `triage`, `read`), by
    /// (repo, login); a login not set is not a collaborator.
    roles: std::collections::HashMap<(String, String), String>,
    /// Workflow runs by (repo, workflow file), newest first.
    runs: std::collections::HashMap<(String, String), Vec<Value>>,
    /// Live refresh tokens and the access token each was issued with.
    refresh_tokens: Vec<(String, String)>,
    refreshes: u64,
    /// `expires_in` of issued user tokens (GitHub App user tokens: 8 hours).
    token_lifetime: u64,
    /// Repository names by id (id = index + 1), the current name after a rename.
    repo_ids: Vec<String>,
    /// Old name → new name: requests to the old name are redirected, as GitHub does.
    renamed: std::collections::HashMap<String, String>,
    /// The next this many reads under `/repos/` are answered with malformed JSON.
    malformed_reads: usize,
}

/// A fault injected into a write (`POST`/`PATCH` under `/repos/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 500 before anything is applied.
    ServerError,
    /// The write is applied, then the connection is dropped without an answer: the client cannot
    /// know whether it happened (the case exactly-once delivery must survive).
    ResetAfterApply,
    /// The write is applied, then answered `200` with a body cut off mid-JSON.
    MalformedAfterApply,
}

pub struct FakeGitHub {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            expires_in: 900,
            token_lifetime: 28_800,
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
                    let (offline, latency) = {
                        let s = state.lock().expect("fake state");
                        (s.offline, s.latency)
                    };
                    if offline {
                        return;
                    }
                    tokio::time::sleep(latency).await;
                    if request.path.starts_with("/git/") {
                        let (root, tokens, private) = {
                            let s = state.lock().expect("fake state");
                            (s.git_root.clone(), s.accepted_tokens.clone(), s.git_private)
                        };
                        let (status, headers, body) = match root {
                            // Reading is public (as for a public repository); pushing needs a token.
                            Some(_)
                                if (private || request.path.contains("git-receive-pack"))
                                    && !crate::git_http::authorised(&request, &tokens) =>
                            {
                                (
                                    401,
                                    vec![(
                                        "www-authenticate".to_string(),
                                        "Basic realm=\"GitHub\"".to_string(),
                                    )],
                                    Vec::new(),
                                )
                            }
                            Some(root) => crate::git_http::serve(&root, &request).await,
                            None => (404, Vec::new(), Vec::new()),
                        };
                        state.lock().expect("fake state").recorded.push(request);
                        let _ =
                            crate::http::respond_bytes(&mut socket, status, &headers, &body).await;
                        return;
                    }
                    let reply = match rest(&state, &request) {
                        Some(reply) => reply,
                        None => {
                            let (status, body) = answer(&state, &request);
                            Reply::Json(status, Vec::new(), body)
                        }
                    };
                    {
                        let mut s = state.lock().expect("fake state");
                        s.recorded.push(request);
                        if let Some(left) = s.offline_after.as_mut() {
                            *left = left.saturating_sub(1);
                            if *left == 0 {
                                s.offline = true;
                                s.offline_after = None;
                            }
                        }
                    }
                    let _ = match reply {
                        Reply::Json(status, headers, body) => {
                            respond_json(&mut socket, status, &headers, &body).await
                        }
                        Reply::Empty(status, headers) => {
                            crate::http::respond_empty(&mut socket, status, &headers).await
                        }
                        Reply::Malformed => {
                            crate::http::respond_bytes(
                                &mut socket,
                                200,
                                &[("content-type".to_string(), "application/json".to_string())],
                                br#"[{"id": 1, "number": 1, "title": "cut of"#,
                            )
                            .await
                        }
                        Reply::Reset => Ok(()),
                    };
                });
            }
        });
        FakeGitHub { addr, state, task }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn script(&self, polls: &[Poll]) {
        self.state
            .lock()
            .expect("fake state")
            .polls
            .extend(polls.iter().cloned());
    }

    /// Creates an empty repository `repo` ("owner/name").
    pub fn add_repo(&self, repo: &str) {
        let mut s = self.state.lock().expect("fake state");
        s.issues.entry(repo.to_string()).or_default();
    }

    /// Adds `count` issues to `repo`, each updated one second after the last.
    pub fn add_issues(&self, repo: &str, count: usize) {
        let mut s = self.state.lock().expect("fake state");
        for _ in 0..count {
            let now = s.tick();
            let n = s.next_number(repo);
            let issue = json!({"id": n, "number": n, "title": format!("Issue {n}: pipeline failure"),
                "body": format!("body of issue {n}"), "state": "open", "user": {"login": "alert-engine"},
                "labels": [{"name": "incident"}], "assignees": if n.is_multiple_of(3) { json!([{"login": "octo-analyst"}]) } else { json!([]) },
                "comments": 0, "created_at": now, "updated_at": now, "html_url": format!("https://github.com/{repo}/issues/{n}")});
            s.issues.entry(repo.to_string()).or_default().push(issue);
        }
    }

    /// Adds one issue with this title and body; returns its number.
    pub fn add_issue(&self, repo: &str, title: &str, body: &str) -> u64 {
        let mut s = self.state.lock().expect("fake state");
        let now = s.tick_now();
        let n = s.next_number(repo);
        s.issues.entry(repo.to_string()).or_default().push(json!({"id": n, "number": n, "title": title,
            "body": body, "state": "open", "user": {"login": "alert-engine"}, "labels": [], "assignees": [],
            "comments": 0, "created_at": now, "updated_at": now, "html_url": format!("https://github.com/{repo}/issues/{n}")}));
        n
    }

    /// Adds `per_issue` comments to each issue of `repo`, each a second after the last.
    pub fn add_comments(&self, repo: &str, per_issue: usize) {
        let mut s = self.state.lock().expect("fake state");
        let numbers: Vec<u64> = s
            .issues
            .get(repo)
            .map(|l| l.iter().filter_map(|i| i["number"].as_u64()).collect())
            .unwrap_or_default();
        for n in numbers {
            for k in 0..per_issue {
                let now = s.tick();
                let list = s.comments.entry(repo.to_string()).or_default();
                let id = list.len() + 1;
                list.push(json!({"id": id, "issue_url": format!("https://api.github.com/repos/{repo}/issues/{n}"),
                    "body": format!("comment {k} on issue {n}: word{id}"), "user": {"login": "octo"},
                    "created_at": now, "updated_at": now}));
                s.touch(repo, n, &now, |i| {
                    i["comments"] = json!(i["comments"].as_u64().unwrap_or(0) + 1)
                });
            }
        }
    }

    /// Renames a repository: its issues, comments and pull requests move to `new`, and requests
    /// to `old` are answered like GitHub's — `301` (`307` for writes) to `/repositories/{id}/…`.
    pub fn rename_repo(&self, old: &str, new: &str) {
        let mut s = self.state.lock().expect("fake state");
        let id = s.repo_id(old);
        s.repo_ids[id - 1] = new.to_string();
        let (from, to) = (format!("/{old}/"), format!("/{new}/"));
        let moved = |v: Option<Vec<Value>>| -> Vec<Value> {
            v.unwrap_or_default()
                .into_iter()
                .map(|item| {
                    serde_json::from_str(&item.to_string().replace(&from, &to)).unwrap_or(item)
                })
                .collect()
        };
        let issues = moved(s.issues.remove(old));
        let comments = moved(s.comments.remove(old));
        let pulls = moved(s.pulls.remove(old));
        s.issues.insert(new.to_string(), issues);
        s.comments.insert(new.to_string(), comments);
        s.pulls.insert(new.to_string(), pulls);
        s.renamed.insert(old.to_string(), new.to_string());
    }

    /// Changes an issue's title (its `updated_at` moves on).
    pub fn edit_title(&self, repo: &str, number: u64, title: &str) {
        let mut s = self.state.lock().expect("fake state");
        let now = s.tick_now();
        s.touch(repo, number, &now, |i| i["title"] = json!(title));
    }

    /// Answers the next `count` reads under `/repos/` with a body cut off mid-JSON.
    pub fn malformed_reads(&self, count: usize) {
        self.state.lock().expect("fake state").malformed_reads = count;
    }

    /// Queues faults for the next writes.
    pub fn fault(&self, faults: &[Fault]) {
        self.state.lock().expect("fake state").faults.extend(faults);
    }

    /// Resets `permille` writes in a thousand after applying them, pseudo-randomly from `seed`.
    pub fn random_resets(&self, permille: u64, seed: u64) {
        self.state.lock().expect("fake state").random_resets = Some((permille, seed.max(1)));
    }

    /// Takes the network down (connections closed unanswered) or brings it back.
    pub fn set_offline(&self, offline: bool) {
        self.state.lock().expect("fake state").offline = offline;
    }

    /// Serves the bare repositories under `root` at `<base>/git/<owner>/<name>.git` (pushes need
    /// an accepted token, sent the way git sends it to GitHub).
    pub fn serve_git(&self, root: &std::path::Path) {
        self.state.lock().expect("fake state").git_root = Some(root.to_path_buf());
    }

    /// Makes the served repositories private: cloning and fetching need a token as well.
    pub fn private_git(&self, private: bool) {
        self.state.lock().expect("fake state").git_private = private;
    }

    /// Adds a check run (`status`, `conclusion`) to a commit.
    /// A run of `workflow` (its file name) on main, newest first.
    pub fn add_workflow_run(
        &self,
        repo: &str,
        workflow: &str,
        head_sha: &str,
        status: &str,
        conclusion: Option<&str>,
    ) {
        let mut s = self.state.lock().expect("fake state");
        let list = s
            .runs
            .entry((repo.to_string(), workflow.to_string()))
            .or_default();
        let id = list.len() + 1;
        list.insert(
            0,
            json!({"id": id, "name": "vibedata-fabric", "head_branch": "main", "head_sha": head_sha,
                "status": status, "conclusion": conclusion, "event": "push",
                "html_url": format!("https://github.com/{repo}/actions/runs/{id}"),
                "created_at": "2026-12-01T12:00:00Z"}),
        );
    }

    /// Gives `login` a role on `repo` (what `collaborators/{login}/permission` answers).
    pub fn set_role(&self, repo: &str, login: &str, role: &str) {
        self.state
            .lock()
            .expect("fake state")
            .roles
            .insert((repo.to_string(), login.to_string()), role.to_string());
    }

    pub fn add_check(&self, sha: &str, name: &str, status: &str, conclusion: Option<&str>) {
        let mut s = self.state.lock().expect("fake state");
        let list = s.checks.entry(sha.to_string()).or_default();
        list.push(json!({"id": list.len() + 1, "name": name, "head_sha": sha, "status": status, "conclusion": conclusion}));
    }

    /// Every request waits `latency` before it is handled.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.state.lock().expect("fake state").latency = latency;
    }

    /// The network goes down after `requests` more answered requests.
    pub fn offline_after(&self, requests: usize) {
        self.state.lock().expect("fake state").offline_after = Some(requests);
    }

    /// The issues (and their fields) of `repo` as GitHub holds them now.
    pub fn issues_of(&self, repo: &str) -> Vec<Value> {
        let s = self.state.lock().expect("fake state");
        s.issues.get(repo).cloned().unwrap_or_default()
    }

    pub fn comments_of(&self, repo: &str) -> Vec<Value> {
        let s = self.state.lock().expect("fake state");
        s.comments.get(repo).cloned().unwrap_or_default()
    }

    /// A pull request opened by someone else from `head` (at `head_sha`) into `base`; its
    /// number. (The served git repository should carry `refs/pull/<number>/head`, as GitHub's
    /// do.)
    pub fn add_pull(&self, repo: &str, title: &str, head: &str, head_sha: &str, base: &str) -> u64 {
        let mut s = self.state.lock().expect("fake state");
        let now = s.tick_now();
        let number = s.next_number(repo);
        let owner = repo.split('/').next().unwrap_or_default();
        let pull = json!({"id": 2_000_000 + number, "number": number, "title": title, "body": "",
            "state": "open", "user": {"login": "octo-teammate"},
            "head": {"ref": head, "label": format!("{owner}:{head}"), "sha": head_sha},
            "base": {"ref": base}, "created_at": now, "updated_at": now,
            "html_url": format!("https://github.com/{repo}/pull/{number}")});
        s.pulls.entry(repo.to_string()).or_default().push(pull);
        number
    }

    /// A person merges pull request `number` on GitHub.
    pub fn merge_pull(&self, repo: &str, number: u64) {
        let mut s = self.state.lock().expect("fake state");
        let now = s.tick_now();
        if let Some(p) = s
            .pulls
            .get_mut(repo)
            .into_iter()
            .flatten()
            .find(|p| p["number"] == number)
        {
            p["state"] = json!("closed");
            p["merged"] = json!(true);
            p["merged_at"] = json!(now);
        }
    }

    pub fn pulls_of(&self, repo: &str) -> Vec<Value> {
        let s = self.state.lock().expect("fake state");
        s.pulls.get(repo).cloned().unwrap_or_default()
    }

    /// The pull request reviews of `repo`, in the order they were made.
    pub fn reviews_of(&self, repo: &str) -> Vec<Value> {
        let s = self.state.lock().expect("fake state");
        s.reviews.get(repo).cloned().unwrap_or_default()
    }

    /// The next requests get rate-limited: 403 with `x-ratelimit-remaining: 0` and a reset
    /// `delay` seconds away, or 429 with `retry-after: delay`; 403 with `delay` 0 is a secondary
    /// limit as GitHub often sends it — no header at all, only the message.
    pub fn rate_limit(&self, status: u16, delay: u64) {
        self.state
            .lock()
            .expect("fake state")
            .limits
            .push_back((status, delay));
    }

    /// Makes `GET /user` accept a token (a personal access token, say).
    pub fn accept_token(&self, token: &str) {
        self.state
            .lock()
            .expect("fake state")
            .accepted_tokens
            .push(token.to_string());
    }

    /// How long issued user tokens live (`expires_in`), in seconds.
    pub fn set_token_lifetime(&self, seconds: u64) {
        self.state.lock().expect("fake state").token_lifetime = seconds;
    }

    /// How many refresh grants were honoured.
    pub fn refreshes(&self) -> u64 {
        self.state.lock().expect("fake state").refreshes
    }

    /// How long issued device codes live, in seconds.
    pub fn set_expires_in(&self, seconds: u64) {
        self.state.lock().expect("fake state").expires_in = seconds;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("fake state").recorded.clone()
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(state: &Arc<Mutex<State>>, request: &Recorded) -> (u16, serde_json::Value) {
    let mut s = state.lock().expect("fake state");
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/login/device/code") => {
            if request.form("client_id").is_none_or(|c| c.is_empty()) {
                return (
                    200,
                    json!({"error": "unauthorized_client", "error_description": "The client_id is not valid."}),
                );
            }
            (
                200,
                json!({"device_code": "3584d83530557fdd1f46af8289938c8ef79f9dc5", "user_code": "WDJB-MJHT",
                         "verification_uri": "https://github.com/login/device", "expires_in": s.expires_in, "interval": 0}),
            )
        }
        ("POST", "/login/oauth/access_token")
            if request.form("grant_type").as_deref() == Some("refresh_token") =>
        {
            // A refresh token is good once; the new pair replaces the old (whose access stops).
            let presented = request.form("refresh_token").unwrap_or_default();
            let Some(pos) = s.refresh_tokens.iter().position(|(r, _)| *r == presented) else {
                return (
                    200,
                    json!({"error": "bad_refresh_token", "error_description": "The refresh token passed is incorrect or expired."}),
                );
            };
            let (_, old_access) = s.refresh_tokens.remove(pos);
            s.accepted_tokens.retain(|t| *t != old_access);
            s.refreshes += 1;
            let (access, refresh) = (
                format!("ghu_refreshed_{}", s.refreshes),
                format!("ghr_refreshed_{}", s.refreshes),
            );
            s.accepted_tokens.push(access.clone());
            s.refresh_tokens.push((refresh.clone(), access.clone()));
            (
                200,
                json!({"access_token": access, "token_type": "bearer", "scope": "repo",
                       "refresh_token": refresh, "expires_in": s.token_lifetime, "refresh_token_expires_in": 15897600}),
            )
        }
        ("POST", "/login/oauth/access_token") => {
            if request.form("grant_type").as_deref()
                != Some("urn:ietf:params:oauth:grant-type:device_code")
            {
                return (200, json!({"error": "unsupported_grant_type"}));
            }
            match s.polls.pop_front().unwrap_or(Poll::Pending) {
                Poll::Pending => (
                    200,
                    json!({"error": "authorization_pending", "error_description": "The authorization request is still pending."}),
                ),
                Poll::SlowDown => (200, json!({"error": "slow_down", "interval": 0})),
                Poll::Expired => (
                    200,
                    json!({"error": "expired_token", "error_description": "The device_code has expired."}),
                ),
                Poll::Denied => (
                    200,
                    json!({"error": "access_denied", "error_description": "The user has denied your application access."}),
                ),
                Poll::Malformed => (200, json!("<html>oops</html>")),
                Poll::Tokens { access, refresh } => {
                    s.accepted_tokens.push(access.clone());
                    let mut body =
                        json!({"access_token": access, "token_type": "bearer", "scope": "repo"});
                    if let Some(refresh) = refresh {
                        s.refresh_tokens.push((refresh.clone(), access.clone()));
                        body["refresh_token"] = json!(refresh);
                        body["expires_in"] = json!(s.token_lifetime);
                        body["refresh_token_expires_in"] = json!(15897600);
                    }
                    (200, body)
                }
            }
        }
        ("GET", "/user") => {
            let auth = request.header("authorization").unwrap_or_default();
            let token = auth
                .strip_prefix("Bearer ")
                .or_else(|| auth.strip_prefix("token "))
                .unwrap_or_default();
            if s.accepted_tokens.iter().any(|t| t == token) {
                (
                    200,
                    json!({"login": "octo-analyst", "id": 1, "type": "User"}),
                )
            } else {
                (
                    401,
                    json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
                )
            }
        }
        _ => (
            404,
            json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
        ),
    }
}

/// A REST answer: JSON, an empty body (304), or the connection dropped without an answer.
pub(crate) enum Reply {
    Json(u16, Vec<(String, String)>, Value),
    Empty(u16, Vec<(String, String)>),
    /// A body that is not valid JSON, sent as `application/json`.
    Malformed,
    Reset,
}

/// RFC 3339 UTC time of unix `seconds` (days to civil date after Howard Hinnant).
pub(crate) fn timestamp(seconds: u64) -> String {
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn param<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query
        .split('&')
        .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
}

fn decode(v: &str) -> String {
    let mut out = Vec::new();
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn not_found() -> Reply {
    Reply::Json(
        404,
        Vec::new(),
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
    )
}

fn etag_of(items: &[Value]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for item in items {
        item.to_string().hash(&mut h);
    }
    format!("W/\"{:016x}\"", h.finish())
}

/// Filters and pages a list the way GitHub does: `since` (updated at or after), `per_page`,
/// `page`, a `link` to the next page and an ETag over the page's body (304 when it matches).
/// A pull request as the issues API lists it.
fn pull_as_issue(repo: &str, p: &Value) -> Value {
    let number = p["number"].as_u64().unwrap_or_default();
    json!({"id": p["id"], "number": number, "title": p["title"], "body": p["body"],
        "state": p["state"], "user": p["user"], "labels": [], "assignees": [], "comments": 0,
        "created_at": p["created_at"], "updated_at": p["updated_at"],
        "html_url": p["html_url"],
        "pull_request": {"url": format!("https://api.github.com/repos/{repo}/pulls/{number}"),
            "html_url": p["html_url"]}})
}

fn list_page(request: &Recorded, path: &str, query: &str, items: Vec<&Value>) -> Reply {
    let since = param(query, "since").map(decode);
    let items: Vec<&Value> = items
        .into_iter()
        .filter(|i| {
            since
                .as_deref()
                .is_none_or(|s| i["updated_at"].as_str().unwrap_or_default() >= s)
        })
        .collect();
    let number = |k: &str, d: usize| {
        param(query, k)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(d)
    };
    let (per_page, page) = (
        number("per_page", 30).clamp(1, 100),
        number("page", 1).max(1),
    );
    let slice: Vec<Value> = items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|v| (*v).clone())
        .collect();
    let etag = etag_of(&slice);
    let mut headers = vec![
        ("etag".to_string(), etag.clone()),
        ("x-ratelimit-remaining".to_string(), "4999".to_string()),
    ];
    if page * per_page < items.len() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .collect();
        let next = format!(
            "<http://{}{path}?{}&page={}>; rel=\"next\"",
            request.header("host").unwrap_or("127.0.0.1"),
            kept.join("&"),
            page + 1
        );
        headers.push(("link".to_string(), next));
    }
    if request.header("if-none-match") == Some(etag.as_str()) {
        return Reply::Empty(304, headers);
    }
    Reply::Json(200, headers, Value::Array(slice))
}

impl State {
    /// The time of the next change: one second after the last, and never behind the real
    /// clock for writes (seeded data starts two days back, a second apart).
    fn tick(&mut self) -> String {
        if self.clock == 0 {
            self.clock = unix_now() - 2 * 86_400;
        }
        self.clock += 1;
        timestamp(self.clock)
    }

    fn tick_now(&mut self) -> String {
        self.clock = (self.clock + 1).max(unix_now());
        timestamp(self.clock)
    }

    fn next_fault(&mut self) -> Option<Fault> {
        if let Some(f) = self.faults.pop_front() {
            return Some(f);
        }
        let (permille, _) = self.random_resets?;
        // xorshift64: deterministic for a seed.
        let x = &mut self.random_resets.as_mut()?.1;
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        (*x % 1000 < permille).then_some(Fault::ResetAfterApply)
    }

    /// The repository's id, given on first use.
    fn repo_id(&mut self, repo: &str) -> usize {
        match self.repo_ids.iter().position(|r| r == repo) {
            Some(i) => i + 1,
            None => {
                self.repo_ids.push(repo.to_string());
                self.repo_ids.len()
            }
        }
    }

    /// Issues and pull requests share one number sequence per repository.
    fn next_number(&mut self, repo: &str) -> u64 {
        let issues = self.issues.get(repo).map_or(0, Vec::len);
        let pulls = self.pulls.get(repo).map_or(0, Vec::len);
        (issues + pulls + 1) as u64
    }

    /// Applies `change` to an issue and moves its `updated_at` to `now`.
    fn touch(&mut self, repo: &str, number: u64, now: &str, change: impl FnOnce(&mut Value)) {
        let Some(list) = self.issues.get_mut(repo) else {
            return;
        };
        if let Some(pos) = list.iter().position(|i| i["number"] == number) {
            let mut issue = list.remove(pos);
            change(&mut issue);
            issue["updated_at"] = json!(now);
            // GitHub's `sort=updated&direction=asc` order: the touched issue moves last.
            list.push(issue);
        }
    }

    fn token_ok(&self, request: &Recorded) -> bool {
        let auth = request.header("authorization").unwrap_or_default();
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("token "))
            .unwrap_or_default();
        self.accepted_tokens.iter().any(|t| t == token)
    }
}

/// The REST API under `/repos/`: issue and comment lists, single issues, creating issues and
/// comments, labels, closing and reopening, pull requests; authenticated, rate-limited on demand,
/// with injected faults on writes.
fn rest(state: &Arc<Mutex<State>>, request: &Recorded) -> Option<Reply> {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    if !path.starts_with("/repos/") && !path.starts_with("/repositories/") {
        return None;
    }
    let mut s = state.lock().expect("fake state");
    if let Some((status, delay)) = s.limits.pop_front() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let headers = if status == 429 {
            vec![("retry-after".to_string(), delay.to_string())]
        } else if delay == 0 {
            Vec::new()
        } else {
            vec![
                ("x-ratelimit-remaining".to_string(), "0".to_string()),
                ("x-ratelimit-reset".to_string(), (now + delay).to_string()),
            ]
        };
        let message = if delay == 0 {
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID."
        } else {
            "API rate limit exceeded"
        };
        return Some(Reply::Json(
            status,
            headers,
            json!({"message": message, "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}),
        ));
    }
    if !s.token_ok(request) {
        return Some(Reply::Json(
            401,
            Vec::new(),
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        ));
    }
    // `/repositories/{id}/…` is the same as `/repos/{owner}/{name}/…` under its current name.
    let tail = match path.strip_prefix("/repositories/") {
        Some(t) => {
            let (id, rest) = t.split_once('/').unwrap_or((t, ""));
            let Some(name) = id
                .parse::<usize>()
                .ok()
                .and_then(|i| s.repo_ids.get(i.wrapping_sub(1)))
                .cloned()
            else {
                return Some(not_found());
            };
            if rest.is_empty() {
                let (owner, short) = name.split_once('/').unwrap_or(("", &name));
                return Some(Reply::Json(
                    200,
                    Vec::new(),
                    json!({"id": id.parse::<u64>().unwrap_or(0), "full_name": name, "name": short, "owner": {"login": owner}}),
                ));
            }
            format!("{name}/{rest}")
        }
        None => path.strip_prefix("/repos/").unwrap_or_default().to_string(),
    };
    let parts: Vec<&str> = tail.split('/').collect();
    if parts.len() < 3 {
        return Some(not_found());
    }
    let repo = format!("{}/{}", parts[0], parts[1]);
    if let Some(new) = s.renamed.get(&repo).cloned() {
        let id = s.repo_id(&new);
        let rest = parts[2..].join("/");
        let q = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        let location = format!(
            "http://{}/repositories/{id}/{rest}{q}",
            request.header("host").unwrap_or("127.0.0.1")
        );
        let (status, message) = if request.method == "GET" {
            (301, "Moved Permanently")
        } else {
            (307, "Temporary Redirect")
        };
        return Some(Reply::Json(
            status,
            vec![("location".to_string(), location.clone())],
            json!({"message": message, "url": location, "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"}),
        ));
    }
    if !s.issues.contains_key(&repo) {
        return Some(not_found());
    }
    let write = request.method != "GET";
    if !write && s.malformed_reads > 0 {
        s.malformed_reads -= 1;
        return Some(Reply::Malformed);
    }
    let fault = if write { s.next_fault() } else { None };
    if let Some(Fault::ServerError) = fault {
        return Some(Reply::Json(
            500,
            Vec::new(),
            json!({"message": "Server Error"}),
        ));
    }
    let login = "octo-analyst";
    let reply = match (request.method.as_str(), &parts[2..]) {
        ("GET", ["actions", "workflows", workflow, "runs"]) => {
            let runs = s
                .runs
                .get(&(repo.clone(), (*workflow).to_string()))
                .cloned()
                .unwrap_or_default();
            Reply::Json(
                200,
                Vec::new(),
                json!({"total_count": runs.len(), "workflow_runs": runs}),
            )
        }
        ("GET", ["collaborators", user, "permission"]) => {
            match s.roles.get(&(repo.clone(), (*user).to_string())) {
                // GitHub's legacy `permission` folds maintain into write and triage into read.
                Some(role) => Reply::Json(
                    200,
                    Vec::new(),
                    json!({"permission": match role.as_str() {
                        "maintain" => "write", "triage" => "read", r => r },
                        "role_name": role, "user": {"login": user}}),
                ),
                None => Reply::Json(
                    404,
                    Vec::new(),
                    json!({"message": format!("{user} is not a user"), "status": "404"}),
                ),
            }
        }
        ("GET", ["issues"]) => {
            let creator = param(query, "creator").map(decode);
            // Pull requests are issues to this API too, marked with `pull_request`.
            let pulls: Vec<Value> = s
                .pulls
                .get(&repo)
                .into_iter()
                .flatten()
                .map(|p| pull_as_issue(&repo, p))
                .collect();
            let items = s.issues[&repo]
                .iter()
                .chain(&pulls)
                .filter(|i| {
                    creator
                        .as_deref()
                        .is_none_or(|c| i["user"]["login"].as_str() == Some(c))
                })
                .collect();
            list_page(request, path, query, items)
        }
        ("GET", ["issues", "comments"]) => {
            let items = s.comments.get(&repo).into_iter().flatten().collect();
            list_page(request, path, query, items)
        }
        ("GET", ["issues", n, "comments"]) => {
            let url_tail = format!("/repos/{repo}/issues/{n}");
            let items = s
                .comments
                .get(&repo)
                .into_iter()
                .flatten()
                .filter(|c| {
                    c["issue_url"]
                        .as_str()
                        .is_some_and(|u| u.ends_with(&url_tail))
                })
                .collect();
            list_page(request, path, query, items)
        }
        ("GET", ["issues", n]) => match s.issues[&repo]
            .iter()
            .find(|i| n.parse::<u64>().is_ok_and(|n| i["number"] == n))
        {
            Some(issue) => Reply::Json(200, Vec::new(), issue.clone()),
            None => not_found(),
        },
        ("POST", ["issues"]) => {
            let body = request.json();
            let Some(title) = body["title"].as_str().filter(|t| !t.is_empty()) else {
                return Some(Reply::Json(
                    422,
                    Vec::new(),
                    json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}]}),
                ));
            };
            let now = s.tick_now();
            let number = s.next_number(&repo);
            let labels: Vec<Value> = body["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| json!({"name": l}))
                .collect();
            let issue = json!({"id": 1_000_000 + number, "number": number, "title": title, "body": body["body"],
                "state": "open", "user": {"login": login}, "labels": labels, "assignees": [], "comments": 0,
                "created_at": now, "updated_at": now, "html_url": format!("https://github.com/{repo}/issues/{number}")});
            s.issues.get_mut(&repo)?.push(issue.clone());
            Reply::Json(201, Vec::new(), issue)
        }
        ("POST", ["issues", n, "comments"]) => {
            // Pull requests are issues to the comments API.
            let Some(number) = n.parse::<u64>().ok().filter(|n| {
                s.issues[&repo].iter().any(|i| i["number"] == *n)
                    || s.pulls
                        .get(&repo)
                        .into_iter()
                        .flatten()
                        .any(|p| p["number"] == *n)
            }) else {
                return Some(not_found());
            };
            let now = s.tick_now();
            let list = s.comments.entry(repo.clone()).or_default();
            let id = 5_000_000 + list.len() as u64 + 1;
            let comment = json!({"id": id, "issue_url": format!("https://api.github.com/repos/{repo}/issues/{number}"),
                "body": request.json()["body"], "user": {"login": login}, "created_at": now, "updated_at": now,
                "html_url": format!("https://github.com/{repo}/issues/{number}#issuecomment-{id}")});
            list.push(comment.clone());
            s.touch(&repo, number, &now, |i| {
                i["comments"] = json!(i["comments"].as_u64().unwrap_or(0) + 1)
            });
            Reply::Json(201, Vec::new(), comment)
        }
        ("POST", ["issues", n, "labels"]) => {
            let Some(number) = n
                .parse::<u64>()
                .ok()
                .filter(|n| s.issues[&repo].iter().any(|i| i["number"] == *n))
            else {
                return Some(not_found());
            };
            let now = s.tick_now();
            let wanted: Vec<String> = request.json()["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect();
            let mut labels = Value::Null;
            s.touch(&repo, number, &now, |i| {
                let list = i["labels"].as_array_mut().expect("labels");
                for w in &wanted {
                    if !list.iter().any(|l| l["name"] == w.as_str()) {
                        list.push(json!({"name": w}));
                    }
                }
                labels = i["labels"].clone();
            });
            Reply::Json(200, Vec::new(), labels)
        }
        ("PATCH", ["issues", n]) => {
            let Some(number) = n
                .parse::<u64>()
                .ok()
                .filter(|n| s.issues[&repo].iter().any(|i| i["number"] == *n))
            else {
                return Some(not_found());
            };
            let now = s.tick_now();
            let body = request.json();
            let mut issue = Value::Null;
            s.touch(&repo, number, &now, |i| {
                for field in ["state", "title", "body"] {
                    if !body[field].is_null() {
                        i[field] = body[field].clone();
                    }
                }
                issue = i.clone();
            });
            Reply::Json(200, Vec::new(), issue)
        }
        ("PATCH", ["issues", "comments", id]) => {
            let now = s.tick_now();
            let body = request.json()["body"].clone();
            match s
                .comments
                .get_mut(&repo)
                .into_iter()
                .flatten()
                .find(|c| id.parse::<u64>().is_ok_and(|id| c["id"] == id))
            {
                Some(c) => {
                    c["body"] = body;
                    c["updated_at"] = json!(now);
                    Reply::Json(200, Vec::new(), c.clone())
                }
                None => not_found(),
            }
        }
        ("GET", ["pulls", n, "reviews"]) => {
            let url_tail = format!("/repos/{repo}/pulls/{n}");
            let items = s
                .reviews
                .get(&repo)
                .into_iter()
                .flatten()
                .filter(|r| {
                    r["pull_request_url"]
                        .as_str()
                        .is_some_and(|u| u.ends_with(&url_tail))
                })
                .collect();
            list_page(request, path, query, items)
        }
        ("GET", ["pulls", n]) => {
            match s
                .pulls
                .get(&repo)
                .into_iter()
                .flatten()
                .find(|p| n.parse::<u64>().is_ok_and(|n| p["number"] == n))
            {
                Some(p) => Reply::Json(200, Vec::new(), p.clone()),
                None => not_found(),
            }
        }
        ("POST", ["pulls", n, "reviews"]) => {
            let Some(number) = n.parse::<u64>().ok().filter(|n| {
                s.pulls
                    .get(&repo)
                    .into_iter()
                    .flatten()
                    .any(|p| p["number"] == *n)
            }) else {
                return Some(not_found());
            };
            let body = request.json();
            let text = body["body"].as_str().unwrap_or_default().to_string();
            let state = match body["event"].as_str() {
                Some("APPROVE") => "APPROVED",
                Some("REQUEST_CHANGES") if !text.trim().is_empty() => "CHANGES_REQUESTED",
                Some("COMMENT") if !text.trim().is_empty() => "COMMENTED",
                _ => {
                    return Some(Reply::Json(
                        422,
                        Vec::new(),
                        json!({"message": "Unprocessable Entity", "errors": ["Review body is required for this event"]}),
                    ));
                }
            };
            let now = s.tick_now();
            let list = s.reviews.entry(repo.clone()).or_default();
            let id = 8_000_000 + list.len() as u64 + 1;
            let review = json!({"id": id, "body": text, "state": state, "user": {"login": login},
                "submitted_at": now,
                "pull_request_url": format!("https://api.github.com/repos/{repo}/pulls/{number}"),
                "html_url": format!("https://github.com/{repo}/pull/{number}#pullrequestreview-{id}")});
            list.push(review.clone());
            Reply::Json(200, Vec::new(), review)
        }
        ("GET", ["commits", sha, "check-runs"]) => {
            let runs = s.checks.get(*sha).cloned().unwrap_or_default();
            Reply::Json(
                200,
                Vec::new(),
                json!({"total_count": runs.len(), "check_runs": runs}),
            )
        }
        ("GET", ["pulls"]) => {
            let head = param(query, "head").map(decode);
            let items = s
                .pulls
                .get(&repo)
                .into_iter()
                .flatten()
                .filter(|p| {
                    head.as_deref()
                        .is_none_or(|h| p["head"]["label"].as_str() == Some(h))
                })
                .collect();
            list_page(request, path, query, items)
        }
        ("POST", ["pulls"]) => {
            let body = request.json();
            let (head, base) = (
                body["head"].as_str().unwrap_or_default().to_string(),
                body["base"].as_str().unwrap_or_default().to_string(),
            );
            let label = if head.contains(':') {
                head.clone()
            } else {
                format!("{}:{head}", parts[0])
            };
            if s.pulls
                .get(&repo)
                .into_iter()
                .flatten()
                .any(|p| p["head"]["label"] == label.as_str() && p["state"] == "open")
            {
                return Some(Reply::Json(
                    422,
                    Vec::new(),
                    json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": format!("A pull request already exists for {label}.")}]}),
                ));
            }
            let now = s.tick_now();
            let number = s.next_number(&repo);
            let pull = json!({"id": 2_000_000 + number, "number": number, "title": body["title"], "body": body["body"],
                "state": "open", "user": {"login": login}, "head": {"ref": head.rsplit(':').next(), "label": label},
                "base": {"ref": base}, "created_at": now, "updated_at": now,
                "html_url": format!("https://github.com/{repo}/pull/{number}")});
            s.pulls.entry(repo.clone()).or_default().push(pull.clone());
            Reply::Json(201, Vec::new(), pull)
        }
        _ => not_found(),
    };
    Some(match fault {
        Some(Fault::ResetAfterApply) => Reply::Reset,
        Some(Fault::MalformedAfterApply) => Reply::Malformed,
        _ => reply,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(super::timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::timestamp(1_795_305_600), "2026-11-22T00:00:00Z");
        assert_eq!(super::timestamp(951_782_400 + 3661), "2000-02-29T01:01:01Z");
    }
}
