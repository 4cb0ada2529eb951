//! Open data domains: each workspace's native dbt index, kept current by a debounced file
//! watcher, and the queries the Domain page makes (summary, search, node detail, lineage, file).
//!
//! Loading and every query run on blocking threads; the watcher applies changes on its own
//! thread and tells subscribers the new revision, so reading the index never blocks the UI.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use notify_debouncer_full::notify::event::{EventKind, ModifyKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::broadcast;
use vibedata_dbt_index::{Index, Node, Problem, ResourceType, Severity};
use vibedata_protocol::{
    ColumnDto, ColumnRefDto, CountDto, CoverageDto, FileDto, IndexSummaryDto, LineageDto,
    LineageEdgeDto, LineageNodeDto, NodeDetailDto, NodeKind, NodeRowDto, ProblemDto,
};

use crate::platform::error::{CoreError, Result};
use crate::platform::paths::confined;
use crate::workspaces::registry::Workspace;

mod search;

/// How long the watcher waits for a burst of writes to settle before re-indexing.
pub const DEBOUNCE: Duration = Duration::from_millis(150);
/// Folders whose changes never affect the index.
const IGNORED: &[&str] = &[
    ".git",
    "target",
    "logs",
    ".vibedata",
    "node_modules",
    "__pycache__",
];
/// Largest file `read_file` returns.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

struct Shared {
    index: RwLock<Index>,
    revision: AtomicU64,
    changes: broadcast::Sender<u64>,
}

/// One workspace's index and the watcher keeping it current.
pub struct OpenDomain {
    pub workspace: Workspace,
    shared: Arc<Shared>,
    _watcher: Option<Debouncer<RecommendedWatcher, RecommendedCache>>,
}

impl OpenDomain {
    /// Loads the index and starts watching the clone. A watcher that cannot start (e.g. the
    /// inotify limit) is logged; the index still loads, without live updates.
    pub fn open(workspace: Workspace) -> OpenDomain {
        let index = Index::load(&workspace.project());
        let (changes, _) = broadcast::channel(16);
        let shared = Arc::new(Shared {
            index: RwLock::new(index),
            revision: AtomicU64::new(0),
            changes,
        });
        let watcher = watch(&workspace.project(), shared.clone())
            .inspect_err(|e| tracing::warn!(workspace = %workspace.name, error = %e, "file watching unavailable"))
            .ok();
        OpenDomain {
            workspace,
            shared,
            _watcher: watcher,
        }
    }

    pub fn revision(&self) -> u64 {
        self.shared.revision.load(Ordering::SeqCst)
    }

    /// A receiver of revisions applied from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.shared.changes.subscribe()
    }

    fn read<T>(&self, f: impl FnOnce(&Index) -> T) -> T {
        let guard = self
            .shared
            .index
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&guard)
    }

    /// Applies changes now (the watcher does this by itself; tests and a manual refresh use it).
    pub fn apply(&self, paths: &[PathBuf]) -> u64 {
        apply(&self.shared, paths)
    }

    pub fn summary(&self) -> IndexSummaryDto {
        let revision = self.revision();
        self.read(|index| {
            let cov = index.coverage();
            IndexSummaryDto {
                workspace_id: self.workspace.id.clone(),
                revision,
                project_name: index.project_name().map(str::to_string),
                packages: index.packages().into_iter().map(str::to_string).collect(),
                counts: index
                    .counts()
                    .into_iter()
                    .map(|(k, count)| CountDto {
                        kind: node_kind(k),
                        count,
                    })
                    .collect(),
                coverage: coverage_dto("", &cov.total),
                folders: cov
                    .folders
                    .iter()
                    .map(|(f, c)| coverage_dto(f, c))
                    .collect(),
                problems: index.problems().iter().map(problem_dto).collect(),
                files: index.files().map(str::to_string).collect(),
            }
        })
    }

    pub fn node(&self, unique_id: &str) -> Result<NodeDetailDto> {
        let root = self.workspace.project();
        self.read(|index| {
            let node = index
                .nodes()
                .get(unique_id)
                .ok_or_else(|| not_found(unique_id))?;
            let graph = index.graph();
            let rows =
                |ids: Option<&Vec<String>>, keep: &dyn Fn(&Node) -> bool| -> Vec<NodeRowDto> {
                    ids.into_iter()
                        .flatten()
                        .filter_map(|id| index.nodes().get(id))
                        .filter(|n| keep(n))
                        .map(row)
                        .collect()
                };
            let is_test =
                |n: &Node| matches!(n.resource_type, ResourceType::Test | ResourceType::UnitTest);
            let code = matches!(
                node.resource_type,
                ResourceType::Model | ResourceType::Snapshot | ResourceType::Analysis
            ) || (node.resource_type == ResourceType::Test
                && node.test.as_ref().is_some_and(|t| t.test_name.is_none()));
            let code = if code {
                std::fs::read_to_string(root.join(&node.file)).ok()
            } else {
                None
            };
            let test_name = |id: &String| {
                index
                    .nodes()
                    .get(id)
                    .map_or_else(|| id.clone(), |t| t.name.clone())
            };
            let columns = node_columns(index, node, code.as_deref(), &test_name);
            Ok(NodeDetailDto {
                node: row(node),
                description: node.description.clone(),
                materialized: node.materialized.clone(),
                contract_enforced: node.contract_enforced,
                code,
                columns,
                parents: rows(graph.parent_map.get(unique_id), &|n| !is_test(n)),
                children: rows(graph.child_map.get(unique_id), &|n| !is_test(n)),
                tests: rows(graph.child_map.get(unique_id), &is_test),
                problems: index
                    .problems()
                    .iter()
                    .filter(|p| p.file == node.file)
                    .map(problem_dto)
                    .collect(),
            })
        })
    }

    /// Upstream and downstream lineage of `unique_id`, `depth` hops each way, at most
    /// `max_nodes` nodes; tests, hooks and analyses are not drawn.
    pub fn lineage(
        &self,
        unique_id: &str,
        upstream: u32,
        downstream: u32,
        max_nodes: usize,
    ) -> Result<LineageDto> {
        self.read(|index| {
            let focus = index
                .nodes()
                .get(unique_id)
                .ok_or_else(|| not_found(unique_id))?;
            let graph = index.graph();
            let mut rank: HashMap<&str, i32> = HashMap::from([(focus.unique_id.as_str(), 0)]);
            let mut truncated = false;
            for (map, sign, depth) in [
                (&graph.parent_map, -1, upstream),
                (&graph.child_map, 1, downstream),
            ] {
                let mut queue = VecDeque::from([(focus.unique_id.as_str(), 0u32)]);
                let mut seen: HashSet<&str> = HashSet::from([focus.unique_id.as_str()]);
                while let Some((id, d)) = queue.pop_front() {
                    for next in map.get(id).into_iter().flatten() {
                        let Some(n) = index.nodes().get(next) else {
                            continue;
                        };
                        if !n.resource_type.is_lineage() || !seen.insert(next.as_str()) {
                            continue;
                        }
                        if d + 1 > depth || rank.len() >= max_nodes {
                            truncated = true;
                            continue;
                        }
                        rank.entry(next.as_str()).or_insert(sign * (d as i32 + 1));
                        queue.push_back((next.as_str(), d + 1));
                    }
                }
            }
            let mut placed: Vec<(&str, i32)> = rank.iter().map(|(id, r)| (*id, *r)).collect();
            placed.sort_by(|a, b| {
                (a.1, &index.nodes()[a.0].name).cmp(&(b.1, &index.nodes()[b.0].name))
            });
            let mut order: HashMap<i32, u32> = HashMap::new();
            let nodes = placed
                .iter()
                .map(|(id, r)| {
                    let n = &index.nodes()[*id];
                    let o = order.entry(*r).or_insert(0);
                    *o += 1;
                    LineageNodeDto {
                        unique_id: n.unique_id.clone(),
                        name: n.name.clone(),
                        kind: node_kind(n.resource_type),
                        rank: *r,
                        order: *o - 1,
                    }
                })
                .collect();
            let mut edges = Vec::new();
            for (id, _) in &placed {
                for parent in graph.parent_map.get(*id).into_iter().flatten() {
                    if rank.contains_key(parent.as_str()) {
                        edges.push(LineageEdgeDto {
                            from: parent.clone(),
                            to: (*id).to_string(),
                        });
                    }
                }
            }
            Ok(LineageDto {
                focus: focus.unique_id.clone(),
                nodes,
                edges,
                truncated,
            })
        })
    }

    /// Where a file of the project is on disk; paths leaving the workspace are refused.
    pub fn file_on_disk(&self, path: &str) -> Result<PathBuf> {
        let full = confined(&self.workspace.project(), path)?;
        if !full.is_file() {
            return Err(CoreError::NotFound(format!(
                "{path} is not a file of the project"
            )));
        }
        Ok(full)
    }

    /// A file of the workspace (`path` relative to it); paths leaving the workspace are refused.
    pub fn file(&self, path: &str) -> Result<FileDto> {
        let full = confined(&self.workspace.project(), path)?;
        let meta = std::fs::metadata(&full)
            .map_err(|e| CoreError::io(format!("cannot read {path}"), e))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(CoreError::InvalidInput(format!(
                "{path} is {} MiB; files over 4 MiB are not shown",
                meta.len() / (1024 * 1024)
            )));
        }
        let bytes =
            std::fs::read(&full).map_err(|e| CoreError::io(format!("cannot read {path}"), e))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(self.read(|index| FileDto {
            path: path.to_string(),
            text,
            nodes: index
                .nodes()
                .values()
                .filter(|n| n.file == path)
                .map(row)
                .collect(),
            problems: index
                .problems()
                .iter()
                .filter(|p| p.file == path)
                .map(problem_dto)
                .collect(),
        }))
    }
}

fn watch(
    root: &Path,
    shared: Arc<Shared>,
) -> std::result::Result<Debouncer<RecommendedWatcher, RecommendedCache>, String> {
    let root_owned = root.to_path_buf();
    let mut debouncer =
        new_debouncer(
            DEBOUNCE,
            None,
            move |result: DebounceEventResult| match result {
                Ok(events) => {
                    // Only changes count: opening or reading a file (as indexing does) must not
                    // trigger another round.
                    let mut paths: Vec<PathBuf> = events
                        .iter()
                        .filter(|e| changes_content(&e.kind))
                        .flat_map(|e| e.paths.iter())
                        .filter(|p| !ignored(&root_owned, p))
                        .cloned()
                        .collect();
                    paths.sort();
                    paths.dedup();
                    if !paths.is_empty() {
                        apply(&shared, &paths);
                    }
                }
                Err(errors) => {
                    for e in errors {
                        tracing::warn!(error = %e, "file watcher error");
                    }
                }
            },
        )
        .map_err(|e| e.to_string())?;
    debouncer
        .watch(root, RecursiveMode::Recursive)
        .map_err(|e| e.to_string())?;
    Ok(debouncer)
}

fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Other => false,
    }
}

fn apply(shared: &Shared, paths: &[PathBuf]) -> u64 {
    let outcome = {
        let mut index = shared
            .index
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        index.update(paths)
    };
    if !outcome.reloaded && outcome.files == 0 {
        return shared.revision.load(Ordering::SeqCst);
    }
    let revision = shared.revision.fetch_add(1, Ordering::SeqCst) + 1;
    tracing::debug!(
        revision,
        files = outcome.files,
        reloaded = outcome.reloaded,
        "index updated"
    );
    let _ = shared.changes.send(revision);
    revision
}

fn ignored(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .any(|c| matches!(c, Component::Normal(name) if IGNORED.iter().any(|i| name == *i)))
}

/// A node's columns: the documented ones, then what its SQL selects that YAML does not say; each
/// with its type (YAML's, else a cast's) and its column lineage — the upstream columns it derives
/// from and the downstream columns derived from it.
fn node_columns(
    index: &Index,
    node: &Node,
    code: Option<&str>,
    test_name: &dyn Fn(&String) -> String,
) -> Vec<ColumnDto> {
    let lineage = node.column_lineage.as_deref();
    // Without lineage (SQL not readable), the static reading of the final select.
    let in_sql: Vec<(String, Option<String>)> = match lineage {
        Some(cols) => cols
            .iter()
            .filter(|c| c.name != "*")
            .map(|c| (c.name.clone(), c.data_type.clone()))
            .collect(),
        None => code
            .filter(|_| node.resource_type == ResourceType::Model)
            .and_then(vibedata_dbt_index::sql_columns::output_columns_typed)
            .unwrap_or_default(),
    };
    let name_of = |uid: &str| {
        index
            .nodes()
            .get(uid)
            .map_or_else(|| uid.to_string(), |n| n.name.clone())
    };
    let upstream = |name: &str| -> (Vec<ColumnRefDto>, bool) {
        let Some(c) = lineage.and_then(|l| l.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
        else {
            return (Vec::new(), false);
        };
        let refs = c
            .depends_on
            .iter()
            .map(|(uid, column)| ColumnRefDto {
                unique_id: uid.clone(),
                node_name: name_of(uid),
                column: column.clone(),
            })
            .collect();
        (refs, c.known)
    };
    let downstream = |name: &str| -> Vec<ColumnRefDto> {
        let mut out = Vec::new();
        for child in index
            .graph()
            .child_map
            .get(&node.unique_id)
            .into_iter()
            .flatten()
        {
            let Some(lineage) = index
                .nodes()
                .get(child)
                .and_then(|n| n.column_lineage.as_ref())
            else {
                continue;
            };
            for c in lineage {
                if c.depends_on
                    .iter()
                    .any(|(uid, col)| uid == &node.unique_id && col.eq_ignore_ascii_case(name))
                {
                    out.push(ColumnRefDto {
                        unique_id: child.clone(),
                        node_name: name_of(child),
                        column: c.name.clone(),
                    });
                }
            }
        }
        out
    };
    let produced = |name: &str| in_sql.iter().any(|(c, _)| c.eq_ignore_ascii_case(name));
    let mut columns: Vec<ColumnDto> = node
        .columns
        .iter()
        .map(|c| {
            let (up, known) = upstream(&c.name);
            ColumnDto {
                name: c.name.clone(),
                description: c.description.clone(),
                data_type: c.data_type.clone().or_else(|| {
                    in_sql
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(&c.name))
                        .and_then(|(_, t)| t.clone())
                }),
                constraints: c.constraints.clone(),
                tests: c.tests.iter().map(test_name).collect(),
                documented: true,
                in_sql: produced(&c.name),
                upstream: up,
                downstream: downstream(&c.name),
                lineage_known: known,
            }
        })
        .collect();
    for (name, data_type) in &in_sql {
        if !node
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(name))
        {
            let (up, known) = upstream(name);
            columns.push(ColumnDto {
                name: name.clone(),
                description: String::new(),
                data_type: data_type.clone(),
                constraints: Vec::new(),
                tests: Vec::new(),
                documented: false,
                in_sql: true,
                upstream: up,
                downstream: downstream(name),
                lineage_known: known,
            });
        }
    }
    columns
}

fn not_found(unique_id: &str) -> CoreError {
    CoreError::NotFound(format!(
        "`{unique_id}` is not in the project's index (it may have just been removed)"
    ))
}

/// The index's resource type as the UI knows it (a new type must be added on both sides).
pub(crate) fn node_kind(t: ResourceType) -> NodeKind {
    match t {
        ResourceType::Model => NodeKind::Model,
        ResourceType::Seed => NodeKind::Seed,
        ResourceType::Snapshot => NodeKind::Snapshot,
        ResourceType::Test => NodeKind::Test,
        ResourceType::Analysis => NodeKind::Analysis,
        ResourceType::Operation => NodeKind::Operation,
        ResourceType::Source => NodeKind::Source,
        ResourceType::Exposure => NodeKind::Exposure,
        ResourceType::Metric => NodeKind::Metric,
        ResourceType::SemanticModel => NodeKind::SemanticModel,
        ResourceType::SavedQuery => NodeKind::SavedQuery,
        ResourceType::UnitTest => NodeKind::UnitTest,
    }
}

fn row(n: &Node) -> NodeRowDto {
    NodeRowDto {
        unique_id: n.unique_id.clone(),
        kind: node_kind(n.resource_type),
        name: match &n.source {
            Some((source, table)) => format!("{source}.{table}"),
            None => n.name.clone(),
        },
        package: n.package_name.clone(),
        version: n.version.clone(),
        file: n.file.clone(),
        line: n.line,
        matched_column: None,
    }
}

fn problem_dto(p: &Problem) -> ProblemDto {
    ProblemDto {
        file: p.file.clone(),
        line: p.line,
        severity: match p.severity {
            Severity::Error => vibedata_protocol::Severity::Error,
            Severity::Warning => vibedata_protocol::Severity::Warning,
        },
        code: p.code.to_string(),
        message: p.message.clone(),
    }
}

fn coverage_dto(scope: &str, c: &vibedata_dbt_index::Counts) -> CoverageDto {
    CoverageDto {
        scope: scope.to_string(),
        models: c.models,
        columns: c.columns,
        documented_columns: c.documented_columns,
        tested_columns: c.tested_columns,
        contracted_models: c.contracted_models,
        docs_pct: c.docs_pct(),
        tests_pct: c.tests_pct(),
        contracts_pct: c.contracts_pct(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_workspace_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("models")).unwrap();
        std::fs::write(root.join("models/a.sql"), "select 1").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("models/escape")).unwrap();
        assert!(confined(&root, "models/a.sql").is_ok());
        for bad in [
            "../x",
            "/etc/passwd",
            "models/../../x",
            "models/escape/passwd",
            "",
        ] {
            assert_eq!(
                confined(&root, bad).map_err(|e| e.code()).err(),
                Some(vibedata_protocol::ErrorCode::InvalidInput),
                "{bad} must be refused"
            );
        }
    }

    #[test]
    fn reading_files_is_not_a_change() {
        use notify_debouncer_full::notify::event::{
            AccessKind, CreateKind, DataChange, MetadataKind,
        };
        assert!(
            !changes_content(&EventKind::Access(AccessKind::Any)),
            "indexing reads files; that must not re-index"
        );
        assert!(!changes_content(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::Any
        ))));
        assert!(changes_content(&EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        ))));
        assert!(changes_content(&EventKind::Create(CreateKind::File)));
    }

    #[test]
    fn watcher_noise_is_ignored() {
        let root = Path::new("/w");
        assert!(ignored(root, Path::new("/w/.git/index.lock")));
        assert!(ignored(root, Path::new("/w/target/manifest.json")));
        assert!(!ignored(root, Path::new("/w/models/a.sql")));
    }
}
