//! Monitor: Operate's front door over the engine in `vibedata-monitor` (signals, the anomaly
//! detector, the alert engine). Today it groups a file of signals into incidents and scores a
//! metric series — what `vibedata alerts group` and `vibedata monitor score` run; the metric
//! history in the store, incidents delivered as GitHub issues through the outbox and the Monitor
//! page build on it (issue 15 continues).

use std::path::Path;

pub use vibedata_monitor as engine;
use vibedata_monitor::alerts::{Grouped, Timing};
use vibedata_monitor::detector::{Config, Scored};
use vibedata_monitor::lineage::Lineage;
use vibedata_monitor::signal::Unreadable;

use crate::platform::error::{CoreError, Result};

/// Incidents of an events file, and its lines that could not be read.
#[derive(Debug, serde::Serialize)]
pub struct GroupedFile {
    #[serde(flatten)]
    pub grouped: Grouped,
    pub unreadable: Vec<Unreadable>,
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| CoreError::io(format!("cannot read the {what} {}", path.display()), e))
}

/// Monitor's front door (stateless for now).
#[derive(Debug, Default)]
pub struct Monitor;

impl Monitor {
    /// Groups the signals of `events` (one JSON envelope per line) into incidents, with the
    /// lineage of `manifest` when given.
    pub fn group_file(
        &self,
        events: &Path,
        manifest: Option<&Path>,
        timing: Timing,
    ) -> Result<GroupedFile> {
        let text = read(events, "events file")?;
        let lineage = match manifest {
            Some(m) => Lineage::from_manifest(&read(m, "manifest")?)
                .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", m.display())))?,
            None => Lineage::none(),
        };
        let (signals, unreadable) = vibedata_monitor::signal::read_events(&text);
        Ok(GroupedFile {
            grouped: vibedata_monitor::alerts::group(signals, lineage, timing, Vec::new()),
            unreadable,
        })
    }

    /// Scores a series (`at,value` rows).
    pub fn score_file(&self, series: &Path, config: &Config) -> Result<Vec<Scored>> {
        let text = read(series, "series")?;
        let points = vibedata_monitor::detector::read_csv(&text)
            .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", series.display())))?;
        vibedata_monitor::detector::score(&points, config)
            .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", series.display())))
    }
}
