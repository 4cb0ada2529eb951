//! `dbt_project.yml`: the project's name, resource paths, hooks and the config tree that
//! `+enabled`, `+materialized` and `+contract` come from.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};
use serde_yaml_ng::Value;

use crate::problem::{Problem, Severity};

/// Which top-level config tree of `dbt_project.yml` a resource reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigTree {
    Models,
    Seeds,
    Snapshots,
    Tests,
    Analyses,
}

/// One dbt project: the root one or an installed package.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    /// Absolute directory holding `dbt_project.yml`.
    pub dir: PathBuf,
    /// The directory relative to the indexed root, with `/` separators ("" for the root project).
    pub rel_dir: String,
    pub model_paths: Vec<String>,
    pub seed_paths: Vec<String>,
    pub snapshot_paths: Vec<String>,
    pub test_paths: Vec<String>,
    pub analysis_paths: Vec<String>,
    pub macro_paths: Vec<String>,
    pub packages_install_path: String,
    pub on_run_start: usize,
    pub on_run_end: usize,
    /// `vars:` as written (rendered only when a node asks for one).
    pub vars: Json,
    /// `dispatch:` search orders by macro namespace (read from the root project).
    pub dispatch: Vec<(String, Vec<String>)>,
    /// The profile named by `profile:`.
    pub profile: String,
    models: Value,
    seeds: Value,
    snapshots: Value,
    tests: Value,
    analyses: Value,
}

/// Config keys whose values are mappings (so a mapping under them is not a sub-folder).
const MAPPING_CONFIGS: &[&str] = &[
    "contract",
    "docs",
    "persist_docs",
    "meta",
    "grants",
    "labels",
    "freshness",
    "column_types",
    "quote_columns",
];

impl Project {
    /// Reads `dir/dbt_project.yml`. A file that cannot be read or parsed is a problem, not a panic.
    pub fn load(dir: &Path, rel_dir: &str) -> Result<Project, Problem> {
        let file = join_rel(rel_dir, "dbt_project.yml");
        let text = std::fs::read_to_string(dir.join("dbt_project.yml")).map_err(|e| {
            Problem::new(
                Severity::Error,
                "project_unreadable",
                &file,
                0,
                format!("cannot read dbt_project.yml: {e}"),
            )
        })?;
        let doc: Value =
            serde_yaml_ng::from_str(&text).map_err(|e| crate::problem::yaml_problem(&file, &e))?;
        let name = doc
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Problem::new(
                    Severity::Error,
                    "project_invalid",
                    &file,
                    1,
                    "dbt_project.yml has no `name`",
                )
            })?
            .to_string();
        let paths = |keys: &[&str], default: &str| -> Vec<String> {
            for key in keys {
                if let Some(Value::Sequence(items)) = doc.get(*key) {
                    return items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|p| p.trim_end_matches('/').to_string())
                        .collect();
                }
            }
            vec![default.to_string()]
        };
        let hooks = |key: &str| match doc.get(key) {
            Some(Value::Sequence(items)) => items.len(),
            Some(Value::String(_)) => 1,
            _ => 0,
        };
        Ok(Project {
            name,
            dir: dir.to_path_buf(),
            rel_dir: rel_dir.to_string(),
            model_paths: paths(&["model-paths", "source-paths"], "models"),
            seed_paths: paths(&["seed-paths", "data-paths"], "seeds"),
            snapshot_paths: paths(&["snapshot-paths"], "snapshots"),
            test_paths: paths(&["test-paths"], "tests"),
            analysis_paths: paths(&["analysis-paths"], "analyses"),
            macro_paths: paths(&["macro-paths"], "macros"),
            packages_install_path: doc
                .get("packages-install-path")
                .and_then(Value::as_str)
                .unwrap_or("dbt_packages")
                .to_string(),
            on_run_start: hooks("on-run-start"),
            on_run_end: hooks("on-run-end"),
            vars: doc
                .get("vars")
                .and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or(Json::Null),
            dispatch: dispatch_orders(doc.get("dispatch")),
            profile: doc
                .get("profile")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            models: doc.get("models").cloned().unwrap_or(Value::Null),
            seeds: doc.get("seeds").cloned().unwrap_or(Value::Null),
            snapshots: doc.get("snapshots").cloned().unwrap_or(Value::Null),
            tests: doc
                .get("data_tests")
                .or_else(|| doc.get("tests"))
                .cloned()
                .unwrap_or(Value::Null),
            analyses: doc.get("analyses").cloned().unwrap_or(Value::Null),
        })
    }

    /// The text of every macro file (`.sql` under the macro paths, and generic tests under
    /// `tests/generic`), with its root-relative path. Unreadable ones are problems.
    pub fn macro_files(&self, problems: &mut Vec<Problem>) -> Vec<(String, String)> {
        let mut dirs: Vec<String> = self.macro_paths.clone();
        dirs.extend(self.test_paths.iter().map(|t| format!("{t}/generic")));
        let install = self.dir.join(&self.packages_install_path);
        let mut out = Vec::new();
        for dir in dirs {
            let base = self.dir.join(&dir);
            if !base.is_dir() {
                continue;
            }
            let walker = walkdir::WalkDir::new(&base)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    let name = e.file_name().to_string_lossy();
                    e.depth() == 0 || !(name.starts_with('.') || e.path() == install)
                });
            for entry in walker.filter_map(Result::ok) {
                let path = entry.path();
                if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "sql") {
                    continue;
                }
                let rel = self.rel(&rel_to(&self.dir, path));
                match std::fs::read_to_string(path) {
                    Ok(text) => out.push((rel, text)),
                    Err(e) => problems.push(Problem::new(
                        Severity::Warning,
                        "file_unreadable",
                        &rel,
                        0,
                        format!("cannot read this macro file: {e}"),
                    )),
                }
            }
        }
        out
    }

    /// The config trees (models, seeds, snapshots, tests, analyses), to render in place.
    pub(crate) fn config_trees_mut(&mut self) -> [&mut Value; 5] {
        [
            &mut self.models,
            &mut self.seeds,
            &mut self.snapshots,
            &mut self.tests,
            &mut self.analyses,
        ]
    }

    /// A path inside this project as the indexed root sees it.
    pub fn rel(&self, path_in_project: &str) -> String {
        join_rel(&self.rel_dir, path_in_project)
    }

    fn tree(&self, tree: ConfigTree) -> &Value {
        match tree {
            ConfigTree::Models => &self.models,
            ConfigTree::Seeds => &self.seeds,
            ConfigTree::Snapshots => &self.snapshots,
            ConfigTree::Tests => &self.tests,
            ConfigTree::Analyses => &self.analyses,
        }
    }

    /// Applies the configs this project's tree gives the node with `fqn` (package, folders…, name)
    /// onto `into`, outer levels first so that deeper levels win.
    pub fn apply_config(&self, tree: ConfigTree, fqn: &[&str], into: &mut Map<String, Json>) {
        let mut level = self.tree(tree);
        apply_level(level, into);
        for part in fqn {
            match level.get(*part) {
                Some(next @ Value::Mapping(_)) => {
                    level = next;
                    apply_level(level, into);
                }
                _ => return,
            }
        }
    }
}

fn apply_level(level: &Value, into: &mut Map<String, Json>) {
    let Value::Mapping(map) = level else { return };
    for (key, value) in map {
        let Some(key) = key.as_str() else { continue };
        let (config, explicit) = match key.strip_prefix('+') {
            Some(stripped) => (stripped, true),
            None => (key, false),
        };
        if (explicit || !value.is_mapping() || MAPPING_CONFIGS.contains(&config))
            && let Ok(json) = serde_json::to_value(value)
        {
            into.insert(config.to_string(), json);
        }
    }
}

/// `dispatch: [{macro_namespace: x, search_order: [a, b]}]`.
fn dispatch_orders(value: Option<&Value>) -> Vec<(String, Vec<String>)> {
    let Some(Value::Sequence(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let ns = item.get("macro_namespace")?.as_str()?.to_string();
            let order = item
                .get("search_order")?
                .as_sequence()?
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            Some((ns, order))
        })
        .collect()
}

/// `path` relative to `base`, with `/` separators.
pub fn rel_to(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Joins a relative directory and a relative path with `/`.
pub fn join_rel(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    }
}

/// The `enabled` config (default true).
pub fn is_enabled(config: &Map<String, Json>) -> bool {
    !matches!(config.get("enabled"), Some(Json::Bool(false)))
}

/// The `contract.enforced` config (default false).
pub fn contract_enforced(config: &Map<String, Json>) -> bool {
    matches!(
        config.get("contract").and_then(|c| c.get("enforced")),
        Some(Json::Bool(true))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_configs_apply_outer_first_and_deeper_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("dbt_project.yml"),
            "name: shop\nmodel-paths: [models]\nmodels:\n  +materialized: view\n  shop:\n    marts:\n      +materialized: table\n      +contract: {enforced: true}\n      legacy:\n        enabled: false\n",
        )
        .unwrap();
        let p = Project::load(dir.path(), "").unwrap();
        let mut c = Map::new();
        p.apply_config(ConfigTree::Models, &["shop", "marts", "orders"], &mut c);
        assert_eq!(c["materialized"], "table");
        assert!(contract_enforced(&c) && is_enabled(&c));
        let mut c = Map::new();
        p.apply_config(
            ConfigTree::Models,
            &["shop", "marts", "legacy", "old"],
            &mut c,
        );
        assert!(!is_enabled(&c), "a plain config key under a folder applies");
        let mut c = Map::new();
        p.apply_config(ConfigTree::Models, &["shop", "staging", "stg"], &mut c);
        assert_eq!(c["materialized"], "view");
    }

    #[test]
    fn missing_name_is_a_problem_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dbt_project.yml"), "version: 2\n").unwrap();
        let problem = Project::load(dir.path(), "").unwrap_err();
        assert_eq!(problem.file, "dbt_project.yml");
        assert_eq!(problem.code, "project_invalid");
        std::fs::write(dir.path().join("dbt_project.yml"), "name: [unclosed\n").unwrap();
        let problem = Project::load(dir.path(), "").unwrap_err();
        assert_eq!(problem.code, "yaml_invalid");
        assert!(problem.line >= 1);
    }
}
