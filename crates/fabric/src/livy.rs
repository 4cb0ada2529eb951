//! Spark SQL on a Fabric lakehouse through its Livy endpoint
//! (`/workspaces/{ws}/lakehouses/{lakehouse}/livyapi/versions/2023-12-01`): open a session (it starts
//! `starting`, is usable once `idle`; `error`/`dead`/`killed` end it), run statements of kind `sql`
//! (`waiting` → `running` → `available`, the answer in `output.data["application/json"]` with its
//! `schema.fields` and `data` rows, or `output.status: "error"` with `ename`/`evalue`), and delete
//! the session. dbt-fabricspark's limits are kept: a session may take ten minutes to start and a
//! statement an hour.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::{Client, FabricError};

pub const API_VERSION: &str = "2023-12-01";

/// A Livy endpoint of one lakehouse.
#[derive(Debug, Clone)]
pub struct Livy {
    client: Client,
    base: String,
    pub session_start_limit: Duration,
    pub statement_limit: Duration,
}

/// A statement's answer: column names and rows (JSON values).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Client {
    /// The Livy endpoint of a lakehouse.
    pub fn livy(&self, workspace_id: &str, lakehouse_id: &str) -> Livy {
        Livy {
            client: self.clone(),
            base: format!(
                "/workspaces/{workspace_id}/lakehouses/{lakehouse_id}/livyapi/versions/{API_VERSION}"
            ),
            session_start_limit: Duration::from_secs(600),
            statement_limit: Duration::from_secs(3_600),
        }
    }
}

fn pause(started: Instant) -> Duration {
    // Quick at first, then every two seconds.
    if started.elapsed() < Duration::from_secs(2) {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(2)
    }
}

impl Livy {
    /// Starts a session and waits until it is idle; returns its id.
    pub async fn open(&self, name: &str) -> Result<String, FabricError> {
        let created = self
            .client
            .send(
                Method::POST,
                &format!("{}/sessions", self.base),
                Some(&json!({"name": name, "conf": {"spark.sql.ansi.enabled": "false"}})),
            )
            .await?;
        let id = match &created["id"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(FabricError::Malformed(
                    "a Livy session without an id".into(),
                ));
            }
        };
        let started = Instant::now();
        loop {
            let s: Value = self
                .client
                .get(&format!("{}/sessions/{id}", self.base))
                .await?;
            match s["state"].as_str().unwrap_or_default() {
                "idle" => return Ok(id),
                "error" | "dead" | "killed" | "shutting_down" => {
                    return Err(FabricError::OperationFailed {
                        operation: format!("livy session {id}"),
                        error_code: "LivySessionFailed".into(),
                        message: format!("the Spark session ended as {}", s["state"]),
                    });
                }
                _ if started.elapsed() > self.session_start_limit => {
                    let _ = self.close(&id).await;
                    return Err(FabricError::OperationFailed {
                        operation: format!("livy session {id}"),
                        error_code: "Timeout".into(),
                        message: format!(
                            "the Spark session did not start in {:?}",
                            self.session_start_limit
                        ),
                    });
                }
                _ => tokio::time::sleep(pause(started)).await,
            }
        }
    }

    /// Runs one Spark SQL statement in the session and reads its answer.
    pub async fn sql(&self, session: &str, query: &str) -> Result<Table, FabricError> {
        let created = self
            .client
            .send(
                Method::POST,
                &format!("{}/sessions/{session}/statements", self.base),
                Some(&json!({"code": query, "kind": "sql"})),
            )
            .await?;
        let id = match &created["id"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => {
                return Err(FabricError::Malformed(
                    "a Livy statement without an id".into(),
                ));
            }
        };
        let started = Instant::now();
        loop {
            let st: Value = self
                .client
                .get(&format!("{}/sessions/{session}/statements/{id}", self.base))
                .await?;
            match st["state"].as_str().unwrap_or_default() {
                "available" => return read_output(&st["output"]),
                "error" | "cancelled" | "cancelling" => {
                    return Err(FabricError::OperationFailed {
                        operation: format!("livy statement {id}"),
                        error_code: "LivyStatementFailed".into(),
                        message: format!("the statement ended as {}", st["state"]),
                    });
                }
                _ if started.elapsed() > self.statement_limit => {
                    let _ = self
                        .client
                        .send(
                            Method::POST,
                            &format!("{}/sessions/{session}/statements/{id}/cancel", self.base),
                            None,
                        )
                        .await;
                    return Err(FabricError::OperationFailed {
                        operation: format!("livy statement {id}"),
                        error_code: "Timeout".into(),
                        message: format!("still running after {:?}", self.statement_limit),
                    });
                }
                _ => tokio::time::sleep(pause(started)).await,
            }
        }
    }

    /// Deletes the session (one already gone is not an error).
    pub async fn close(&self, session: &str) -> Result<(), FabricError> {
        match self
            .client
            .send(
                Method::DELETE,
                &format!("{}/sessions/{session}", self.base),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(FabricError::Api { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn read_output(output: &Value) -> Result<Table, FabricError> {
    if output["status"] != "ok" {
        return Err(FabricError::Api {
            status: 400,
            error_code: output["ename"]
                .as_str()
                .unwrap_or("SparkSqlError")
                .to_string(),
            message: output["evalue"].as_str().unwrap_or_default().to_string(),
            request_id: None,
        });
    }
    let data = &output["data"]["application/json"];
    let columns = data["schema"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|c| c["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    let rows = data["data"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r.as_array().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    Ok(Table { columns, rows })
}
