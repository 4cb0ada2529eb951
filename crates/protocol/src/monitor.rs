//! The Monitor page's state: a workspace's incidents, its runs, what fails now, and each table
//! metric's series scored by the anomaly detector (times are RFC 3339, UTC).

use serde::{Deserialize, Serialize};

/// An incident of the alert engine, with its GitHub issue once made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDto {
    pub id: String,
    /// The node it is about (the most upstream failing one).
    pub root: String,
    /// `pending`, `firing` or `resolved`.
    pub state: String,
    pub severity: String,
    pub kinds: Vec<String>,
    pub opened_at: String,
    pub last_at: String,
    pub signals: usize,
    /// Signals a failing upstream explains, with why.
    pub suppressed: Vec<String>,
    pub subjects: Vec<String>,
    /// The repository its issue is on, and the issue's number once GitHub made it.
    pub repo: Option<String>,
    pub issue_number: Option<u64>,
}

/// One run of the pipeline (the signals sharing a correlation id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDto {
    pub correlation_id: String,
    pub at: String,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    /// The nodes' time added up (seconds), when dbt said.
    #[serde(default)]
    pub seconds: f64,
    /// Each node's status and time, slowest first.
    #[serde(default)]
    pub models: Vec<NodeRunDto>,
}

/// A node in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRunDto {
    pub node: String,
    pub status: String,
    pub seconds: f64,
}

/// A signal as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalDto {
    pub id: String,
    pub at: String,
    pub kind: String,
    pub node: String,
    pub severity: String,
    pub message: String,
    pub failures: Option<u64>,
}

/// A scored point of a metric series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricPointDto {
    pub at: String,
    pub value: f64,
    pub expected: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub anomaly: bool,
    /// `learning`, `normal` or `anomaly`.
    pub status: String,
}

/// One table metric over time (`row_count`, `freshness_lag_hours`, `null_rate`…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSeriesDto {
    pub table: String,
    pub metric: String,
    pub column: Option<String>,
    /// The seasonality the latest point used.
    pub season: Option<String>,
    pub points: Vec<MetricPointDto>,
}

/// Everything the Monitor page shows of a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorDto {
    pub workspace_id: String,
    pub incidents: Vec<IncidentDto>,
    pub runs: Vec<RunDto>,
    /// The latest result of each check that fails now.
    pub failing: Vec<SignalDto>,
    pub series: Vec<MetricSeriesDto>,
    /// The silences that apply to it (this workspace's and every workspace's), newest first.
    #[serde(default)]
    pub silences: Vec<SilenceDto>,
    /// Said plainly: history generated for the demo, nothing run yet, …
    pub notes: Vec<String>,
}

/// A person's silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceDto {
    pub id: String,
    /// `field=value` each.
    pub matchers: Vec<String>,
    pub starts: String,
    pub ends: String,
    pub active: bool,
    /// Every workspace (not only this one).
    pub everywhere: bool,
    pub created_by: String,
    pub comment: String,
}

/// A silence to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSilenceDto {
    pub workspace_id: String,
    /// `field=value` each.
    pub matchers: Vec<String>,
    pub hours: f64,
    pub comment: String,
}

/// An incident as its GitHub issue shows it in the Inbox: the incident and its signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetailDto {
    pub incident: IncidentDto,
    /// Its signals, newest first (suppressed ones marked in `incident.suppressed`).
    pub signals: Vec<SignalDto>,
}
