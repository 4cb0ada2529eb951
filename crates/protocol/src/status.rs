use serde::{Deserialize, Serialize};

/// Where the app keeps its state and whether its tools are ready; shown in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatusDto {
    pub version: String,
    pub data_dir: String,
    pub database: String,
    pub log_dir: String,
    pub workspace_root: String,
    pub skills_dir: String,
    pub venv: VenvStatusDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenvStatusDto {
    pub path: String,
    /// `dbt --version`'s core line when the venv works, `None` when it is missing or broken.
    pub dbt_version: Option<String>,
    pub problem: Option<String>,
}
