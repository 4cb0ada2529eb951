//! Linking: turns every file's facts into dbt's nodes, resolves `ref()`/`source()` the way dbt
//! does (package search order, model versions, disabled nodes), attaches tests, builds
//! `parent_map`/`child_map`, and finds unknown references, duplicates, cycles and tests on
//! columns the SQL does not produce.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value as Json};

use crate::files::{Facts, FileKind, SourceFile};
use crate::jinja::{RefCall, SourceCall};
use crate::node::{Node, ResourceType, TestInfo};
use crate::problem::Problem;
use crate::project::{ConfigTree, Project, contract_enforced, is_enabled};
use crate::render::Renderer;
use crate::yaml::{Patch, PatchKind, TestSpec, TestTarget, VersionSpec};

mod entities;

/// The linked project graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Every enabled node, by `unique_id`.
    pub nodes: BTreeMap<String, Node>,
    /// dbt's `parent_map`: every node → its parents, sorted.
    pub parent_map: BTreeMap<String, Vec<String>>,
    /// dbt's `child_map`: every node → its children, sorted.
    pub child_map: BTreeMap<String, Vec<String>>,
    /// Link-time problems (file problems are kept with the files).
    pub problems: Vec<Problem>,
    /// dbt's `disabled` section: each disabled node's `unique_id` → the files of its disabled
    /// definitions (a name can be disabled in one file and enabled in another).
    pub disabled: BTreeMap<String, Vec<String>>,
    /// Name tables for resolving `ref()`/`source()`, kept for incremental re-linking.
    pub(crate) lookups: Lookups,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Lookups {
    root: String,
    /// Refable nodes: name → [(package, version, unique_id)], in insertion order.
    refable: HashMap<String, Vec<(String, Option<String>, String)>>,
    /// Latest version per (package, name) of versioned models.
    latest: HashMap<(String, String), String>,
    disabled: HashSet<(String, String)>,
    /// `unique_id`s with a disabled definition.
    pub(crate) disabled_ids: HashSet<String>,
    sources: HashMap<(String, String), Vec<(String, String)>>,
}

struct Linker<'a> {
    projects: &'a [Project],
    /// Renders Jinja in YAML config values (`enabled: "{{ target.type in [...] }}"`).
    renderer: Option<&'a Renderer>,
    graph: Graph,
    /// Nodes while linking (hashing beats ordered lookups here); sorted into the graph at the end.
    nodes: HashMap<String, Node>,
}

impl Lookups {
    /// Resolves calls made from a node of `package` in `file`: the parents found, and a problem
    /// for each call that does not resolve.
    pub(crate) fn resolve_all(
        &self,
        refs: &[RefCall],
        sources: &[SourceCall],
        package: &str,
        file: &str,
    ) -> (Vec<String>, Vec<Problem>) {
        let mut parents = Vec::new();
        let mut problems = Vec::new();
        for call in refs {
            match self.resolve_ref(call, package) {
                Ok(parent) => parents.push(parent),
                Err(message) => {
                    problems.push(Problem::error("unknown_ref", file, call.line, message))
                }
            }
        }
        for call in sources {
            match self.resolve_source(call, package) {
                Some(parent) => parents.push(parent),
                None => problems.push(Problem::error(
                    "unknown_source",
                    file,
                    call.line,
                    format!(
                        "`source('{}', '{}')` does not match any source table",
                        call.source, call.table
                    ),
                )),
            }
        }
        (parents, problems)
    }

    /// dbt's `_packages_to_search`.
    /// `None` in the list means "any package".
    fn candidates<'s>(
        &'s self,
        target_package: Option<&'s str>,
        node_package: &'s str,
    ) -> Vec<Option<&'s str>> {
        match target_package {
            Some(p) => vec![Some(p)],
            None if node_package == self.root => vec![Some(self.root.as_str()), None],
            None => vec![Some(self.root.as_str()), Some(node_package), None],
        }
    }

    pub(crate) fn resolve_ref(&self, call: &RefCall, node_package: &str) -> Result<String, String> {
        for pkg in self.candidates(call.package.as_deref(), node_package) {
            let Some(entries) = self.refable.get(&call.name) else {
                break;
            };
            let found = entries.iter().find(|(p, v, _)| {
                pkg.is_none_or(|pkg| pkg == p)
                    && match (&call.version, v) {
                        (Some(want), Some(have)) => versions_equal(want, have),
                        (Some(_), None) => false,
                        (None, _) => true,
                    }
            });
            if let Some((p, v, uid)) = found {
                if call.version.is_none() && v.is_some() {
                    return Ok(self
                        .latest
                        .get(&(p.clone(), call.name.clone()))
                        .cloned()
                        .unwrap_or_else(|| uid.clone()));
                }
                return Ok(uid.clone());
            }
        }
        let shown = match (&call.package, &call.version) {
            (Some(p), _) => format!("ref('{p}', '{}')", call.name),
            (None, Some(v)) => format!("ref('{}', v={v})", call.name),
            (None, None) => format!("ref('{}')", call.name),
        };
        if self.disabled.iter().any(|(_, n)| n == &call.name) {
            Err(format!("`{shown}` points at a disabled node"))
        } else {
            Err(format!(
                "`{shown}` does not match any model, seed or snapshot"
            ))
        }
    }

    pub(crate) fn resolve_source(&self, call: &SourceCall, node_package: &str) -> Option<String> {
        let entries = self
            .sources
            .get(&(call.source.clone(), call.table.clone()))?;
        for pkg in self.candidates(None, node_package) {
            if let Some((_, uid)) = entries.iter().find(|(p, _)| pkg.is_none_or(|pkg| pkg == p)) {
                return Some(uid.clone());
            }
        }
        None
    }
}

/// Links the files of `projects` (the root project first) into a graph.
pub fn link(projects: &[Project], files: &[&SourceFile], renderer: Option<&Renderer>) -> Graph {
    let mut l = Linker {
        projects,
        renderer,
        graph: Graph::default(),
        nodes: HashMap::new(),
    };
    l.graph.lookups.root = projects[0].name.clone();
    let patches = l.collect_patches(files);
    let mut pending: Vec<(String, Vec<RefCall>, Vec<SourceCall>, String)> = Vec::new();
    l.sql_nodes(files, &patches, &mut pending);
    l.yaml_snapshots(&patches, &mut pending);
    l.hooks();
    l.unpatched(&patches);
    l.source_nodes(files);
    for (uid, refs, sources, file) in pending {
        l.resolve_into(&uid, &refs, &sources, &file);
    }
    l.generic_tests(files);
    l.yaml_entities(files);
    let mut sorted: Vec<(String, Node)> = l.nodes.drain().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    l.graph.nodes = sorted.into_iter().collect();
    l.edges();
    l.cycles();
    l.graph
}

impl<'a> Linker<'a> {
    fn collect_patches<'f>(
        &mut self,
        files: &[&'f SourceFile],
    ) -> HashMap<(usize, PatchKind, String), (&'f Patch, &'f SourceFile)> {
        let mut patches = HashMap::new();
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            for patch in &y.patches {
                let key = (file.project, patch.kind, patch.name.clone());
                if let Some((_, first)) = patches.get(&key) {
                    let first: &&SourceFile = first;
                    self.graph.problems.push(Problem::error(
                        "duplicate_patch",
                        &file.rel,
                        patch.line,
                        format!("`{}` is already described in {}", patch.name, first.rel),
                    ));
                    continue;
                }
                patches.insert(key, (patch, *file));
            }
        }
        patches
    }

    /// Records a disabled definition of `uid` (dbt's `disabled` section).
    fn disable(&mut self, uid: &str, file: &str) {
        self.graph
            .disabled
            .entry(uid.to_string())
            .or_default()
            .push(file.to_string());
        self.graph.lookups.disabled_ids.insert(uid.to_string());
    }

    /// Whether a generic test is enabled: its own YAML config, under the `tests:` tree of its
    /// project (by the folders of its YAML file), and the root project's word for a package's
    /// tests (`tests: <package>: +enabled: false`) last.
    fn test_enabled(&self, file: &SourceFile, spec: &TestSpec) -> bool {
        // A test declared through `overrides:` belongs to the overridden package.
        let project = spec
            .package
            .as_ref()
            .and_then(|p| self.projects.iter().position(|q| &q.name == p))
            .unwrap_or(file.project);
        let pkg = &self.projects[project].name;
        let inner = file
            .original
            .strip_prefix(&format!("{}/", file.resource_dir))
            .unwrap_or(&file.original);
        let mut fqn = vec![pkg.clone()];
        fqn.extend(
            inner
                .split('/')
                .rev()
                .skip(1)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .map(str::to_string),
        );
        fqn.push(spec.name.clone());
        let mut config = self.config_for(project, ConfigTree::Tests, &fqn);
        if !spec.enabled {
            config.insert("enabled".into(), Json::Bool(false));
        }
        self.finish_config(project, ConfigTree::Tests, &fqn, &mut config);
        is_enabled(&config)
    }

    /// The configs a node's own project gives it (`dbt_project.yml` folders, outer first).
    fn config_for(&self, project: usize, tree: ConfigTree, fqn: &[String]) -> Map<String, Json> {
        let fqn: Vec<&str> = fqn.iter().map(String::as_str).collect();
        let mut config = Map::new();
        self.projects[project].apply_config(tree, &fqn, &mut config);
        config
    }

    /// The last word on a package node's configs, as dbt applies it: the root project's tree
    /// (`models: <package>: +enabled: false`) over the package's own, its YAML and `config()`.
    /// Then YAML values holding Jinja are rendered.
    fn finish_config(
        &self,
        project: usize,
        tree: ConfigTree,
        fqn: &[String],
        config: &mut Map<String, Json>,
    ) {
        if project != 0 {
            let fqn: Vec<&str> = fqn.iter().map(String::as_str).collect();
            self.projects[0].apply_config(tree, &fqn, config);
        }
        if let Some(renderer) = self.renderer {
            renderer.render_config(project, config, false);
        }
    }

    fn sql_nodes(
        &mut self,
        files: &[&SourceFile],
        patches: &HashMap<(usize, PatchKind, String), (&Patch, &SourceFile)>,
        pending: &mut Vec<(String, Vec<RefCall>, Vec<SourceCall>, String)>,
    ) {
        // (project, file stem) → the versioned model and version it defines.
        let mut versions: HashMap<(usize, &str), (&Patch, &VersionSpec)> = HashMap::new();
        for ((project, kind, _), (patch, _)) in patches {
            if *kind == PatchKind::Model {
                for v in &patch.versions {
                    versions.insert((*project, v.defined_in.as_str()), (patch, v));
                }
            }
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        for file in files {
            let (rtype, tree, patch_kind) = match file.kind {
                FileKind::ModelSql | FileKind::ModelPython => (
                    ResourceType::Model,
                    ConfigTree::Models,
                    Some(PatchKind::Model),
                ),
                FileKind::Seed => (ResourceType::Seed, ConfigTree::Seeds, Some(PatchKind::Seed)),
                FileKind::Snapshot => (
                    ResourceType::Snapshot,
                    ConfigTree::Snapshots,
                    Some(PatchKind::Snapshot),
                ),
                FileKind::Analysis => (
                    ResourceType::Analysis,
                    ConfigTree::Analyses,
                    Some(PatchKind::Analysis),
                ),
                FileKind::SingularTest => (ResourceType::Test, ConfigTree::Tests, None),
                FileKind::Yaml => continue,
            };
            let project = &self.projects[file.project];
            let stem = file.original.rsplit('/').next().unwrap_or(&file.original);
            let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
            let calls = match &file.facts {
                Facts::Sql(sql) => Some(&sql.calls),
                _ => None,
            };
            // Snapshots are named by their block; other files by their stem.
            let names: Vec<(String, u32)> = if rtype == ResourceType::Snapshot {
                calls
                    .map(|c| {
                        c.blocks
                            .iter()
                            .filter(|b| b.kind == "snapshot")
                            .map(|b| (b.name.clone(), b.line))
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                vec![(stem.to_string(), 1)]
            };
            for (name, line) in names {
                let mut version: Option<&VersionSpec> = None;
                let mut node_name = name.clone();
                let mut patch = patch_kind.and_then(|k| {
                    patches
                        .get(&(file.project, k, name.clone()))
                        .map(|(p, _)| *p)
                });
                if rtype == ResourceType::Model
                    && let Some((vp, vs)) = versions.get(&(file.project, name.as_str()))
                {
                    node_name = vp.name.clone();
                    version = Some(vs);
                    patch = Some(vp);
                }
                let unique_id = match version {
                    Some(v) => format!("model.{}.{}.v{}", project.name, node_name, v.v),
                    None => format!("{}.{}.{}", rtype.as_str(), project.name, node_name),
                };
                let mut fqn = vec![project.name.clone()];
                let inner = file
                    .original
                    .strip_prefix(&format!("{}/", file.resource_dir))
                    .unwrap_or(&file.original);
                fqn.extend(
                    inner
                        .split('/')
                        .rev()
                        .skip(1)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .map(str::to_string),
                );
                fqn.push(node_name.clone());
                if let Some(v) = version {
                    fqn.push(format!("v{}", v.v));
                }
                let mut config = self.config_for(file.project, tree, &fqn);
                if let Some(p) = patch {
                    config.extend(p.config.clone());
                }
                if let Some(v) = version {
                    config.extend(v.config.clone());
                }
                if let Some(c) = calls {
                    config.extend(c.config.clone());
                }
                self.finish_config(file.project, tree, &fqn, &mut config);
                if !is_enabled(&config) {
                    self.graph
                        .lookups
                        .disabled
                        .insert((project.name.clone(), node_name.clone()));
                    self.disable(&unique_id, &file.rel);
                    continue;
                }
                if let Some(first) = seen.get(&unique_id) {
                    self.graph.problems.push(Problem::error(
                        "duplicate_name",
                        &file.rel,
                        line,
                        format!("`{node_name}` is also defined in {first}; dbt requires unique names within a package"),
                    ));
                    continue;
                }
                if rtype.is_refable() {
                    let dup = self
                        .graph
                        .lookups
                        .refable
                        .get(&node_name)
                        .and_then(|entries| {
                            entries.iter().find(|(pkg, v, _)| {
                                pkg == &project.name
                                    && v.as_deref() == version.map(|v| v.v.as_str())
                            })
                        });
                    if let Some((_, _, other)) = dup {
                        let other_file = self
                            .nodes
                            .get(other)
                            .map(|n| n.file.clone())
                            .unwrap_or_default();
                        self.graph.problems.push(Problem::error(
                            "duplicate_name",
                            &file.rel,
                            line,
                            format!("`{node_name}` is also defined in {other_file}; dbt requires unique names within a package"),
                        ));
                        continue;
                    }
                }
                seen.insert(unique_id.clone(), file.rel.clone());
                let mut node = Node::new(
                    rtype,
                    unique_id.clone(),
                    &project.name,
                    &node_name,
                    file.rel.clone(),
                    file.original.clone(),
                );
                node.line = line;
                node.fqn = fqn;
                if let Facts::Seed(columns) = &file.facts {
                    node.seed_columns = columns.clone();
                }
                node.contract_enforced = contract_enforced(&config);
                node.config = config.clone();
                node.materialized = config
                    .get("materialized")
                    .and_then(Json::as_str)
                    .map(str::to_string);
                if let Some(p) = patch {
                    node.description = p.description.clone();
                    node.columns = version.map_or_else(|| p.columns.clone(), |v| v.columns.clone());
                    node.constraints = p.constraints.clone();
                }
                if rtype == ResourceType::Test {
                    node.test = Some(TestInfo {
                        test_name: None,
                        namespace: None,
                        column_name: None,
                        attached_node: None,
                        kwargs: Json::Null,
                    });
                }
                if rtype == ResourceType::Model
                    && let (Some(v), Some(p)) = (version, patch)
                {
                    node.version = Some(v.v.clone());
                    let key = (project.name.clone(), node_name.clone());
                    let latest = p
                        .latest_version
                        .clone()
                        .unwrap_or_else(|| max_version(&p.versions));
                    if latest == v.v {
                        self.graph.lookups.latest.insert(key, unique_id.clone());
                    }
                }
                if rtype.is_refable() {
                    self.graph
                        .lookups
                        .refable
                        .entry(node_name.clone())
                        .or_default()
                        .push((
                            project.name.clone(),
                            node.version.clone(),
                            unique_id.clone(),
                        ));
                }
                if let Some(c) = calls {
                    pending.push((
                        unique_id.clone(),
                        c.refs.clone(),
                        c.sources.clone(),
                        file.rel.clone(),
                    ));
                }
                self.nodes.insert(unique_id, node);
            }
        }
    }

    /// Snapshots defined in YAML (`relation: ref('x')` with their config, dbt ≥ 1.9).
    fn yaml_snapshots(
        &mut self,
        patches: &HashMap<(usize, PatchKind, String), (&Patch, &SourceFile)>,
        pending: &mut Vec<(String, Vec<RefCall>, Vec<SourceCall>, String)>,
    ) {
        let mut defined: Vec<_> = patches
            .iter()
            .filter_map(|((project, kind, _), (patch, file))| {
                let relation = patch.relation.as_ref()?;
                (*kind == PatchKind::Snapshot).then_some((*project, *patch, *file, relation))
            })
            .collect();
        defined.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        for (project, patch, file, (refs, sources)) in defined {
            let pkg = self.projects[project].name.clone();
            let uid = format!("snapshot.{pkg}.{}", patch.name);
            let inner = file
                .original
                .strip_prefix(&format!("{}/", file.resource_dir))
                .unwrap_or(&file.original);
            let mut fqn = vec![pkg.clone()];
            fqn.extend(
                inner
                    .split('/')
                    .rev()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .map(str::to_string),
            );
            fqn.push(patch.name.clone());
            let mut config = self.config_for(project, ConfigTree::Snapshots, &fqn);
            config.extend(patch.config.clone());
            self.finish_config(project, ConfigTree::Snapshots, &fqn, &mut config);
            if !is_enabled(&config) {
                self.graph
                    .lookups
                    .disabled
                    .insert((pkg.clone(), patch.name.clone()));
                self.disable(&uid, &file.rel);
                continue;
            }
            if let Some(other) = self.nodes.get(&uid) {
                self.graph.problems.push(Problem::error(
                    "duplicate_name",
                    &file.rel,
                    patch.line,
                    format!(
                        "snapshot `{}` is also defined in {}",
                        patch.name, other.file
                    ),
                ));
                continue;
            }
            let mut node = Node::new(
                ResourceType::Snapshot,
                uid.clone(),
                &pkg,
                &patch.name,
                file.rel.clone(),
                file.original.clone(),
            );
            node.line = patch.line;
            node.fqn = fqn;
            node.description = patch.description.clone();
            node.columns = patch.columns.clone();
            node.constraints = patch.constraints.clone();
            self.graph
                .lookups
                .refable
                .entry(patch.name.clone())
                .or_default()
                .push((pkg.clone(), None, uid.clone()));
            pending.push((uid.clone(), refs.clone(), sources.clone(), file.rel.clone()));
            self.nodes.insert(uid, node);
        }
    }

    fn hooks(&mut self) {
        for project in self.projects {
            for (kind, count) in [
                ("on-run-start", project.on_run_start),
                ("on-run-end", project.on_run_end),
            ] {
                for i in 0..count {
                    let name = format!("{}-{kind}-{i}", project.name);
                    let uid = format!("operation.{}.{name}", project.name);
                    let mut node = Node::new(
                        ResourceType::Operation,
                        uid.clone(),
                        &project.name,
                        &name,
                        project.rel("dbt_project.yml"),
                        "./dbt_project.yml".into(),
                    );
                    node.fqn = vec![project.name.clone(), "hooks".into(), name.clone()];
                    self.nodes.insert(uid, node);
                }
            }
        }
    }

    /// YAML entries describing a model/seed/snapshot that no file defines.
    fn unpatched(&mut self, patches: &HashMap<(usize, PatchKind, String), (&Patch, &SourceFile)>) {
        let mut missing: Vec<Problem> = patches
            .iter()
            .filter_map(|((project, _, _), (patch, file))| {
                let nodes = &self.nodes;
                patch_without_node(
                    &self.graph.lookups,
                    &|id| nodes.contains_key(id),
                    &self.projects[*project].name,
                    patch,
                    &file.rel,
                )
            })
            .collect();
        missing.sort();
        self.graph.problems.extend(missing);
    }

    fn source_nodes(&mut self, files: &[&SourceFile]) {
        // `overrides: <package>` entries patch the package's source, after it is built.
        let mut overrides = Vec::new();
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            let pkg = self.projects[file.project].name.clone();
            for s in &y.sources {
                if let Some(owner) = &s.overrides {
                    overrides.push((format!("source.{owner}.{}.{}", s.source, s.table), s));
                    continue;
                }
                let uid = format!("source.{pkg}.{}.{}", s.source, s.table);
                if !s.enabled {
                    self.disable(&uid, &file.rel);
                    continue;
                }
                if let Some(other) = self.nodes.get(&uid) {
                    self.graph.problems.push(Problem::error(
                        "duplicate_name",
                        &file.rel,
                        s.line,
                        format!(
                            "source `{}.{}` is also defined in {}",
                            s.source, s.table, other.file
                        ),
                    ));
                    continue;
                }
                let mut node = Node::new(
                    ResourceType::Source,
                    uid.clone(),
                    &pkg,
                    &s.table,
                    file.rel.clone(),
                    file.original.clone(),
                );
                node.line = s.line;
                node.description = s.description.clone();
                node.columns = s.columns.clone();
                node.source = Some((s.source.clone(), s.table.clone()));
                node.source_relation = Some((s.schema.clone(), s.identifier.clone()));
                node.freshness = s.freshness;
                node.fqn = vec![pkg.clone(), s.source.clone(), s.table.clone()];
                self.graph
                    .lookups
                    .sources
                    .entry((s.source.clone(), s.table.clone()))
                    .or_default()
                    .push((pkg.clone(), uid.clone()));
                self.nodes.insert(uid, node);
            }
        }
        for (uid, s) in overrides {
            if let Some(node) = self.nodes.get_mut(&uid) {
                if !s.columns.is_empty() {
                    node.columns = s.columns.clone();
                }
                if !s.description.is_empty() {
                    node.description = s.description.clone();
                }
            }
        }
    }

    /// Resolves refs and sources into `uid`'s parents, reporting what does not resolve.
    fn resolve_into(&mut self, uid: &str, refs: &[RefCall], sources: &[SourceCall], file: &str) {
        let Some(package) = self.nodes.get(uid).map(|n| n.package_name.clone()) else {
            return;
        };
        let (parents, problems) = self
            .graph
            .lookups
            .resolve_all(refs, sources, &package, file);
        self.graph.problems.extend(problems);
        if let Some(node) = self.nodes.get_mut(uid) {
            for p in parents {
                node.add_parent(&p);
            }
        }
    }

    fn generic_tests(&mut self, files: &[&SourceFile]) {
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            for spec in &y.tests {
                let pkg = spec
                    .package
                    .clone()
                    .unwrap_or_else(|| self.projects[file.project].name.clone());
                if !self.test_enabled(file, spec) {
                    self.disable(&spec.unique_id, &file.rel);
                    continue;
                }
                let nodes = &self.nodes;
                let built = build_generic_test(&self.graph.lookups, &pkg, file, spec, &|id| {
                    nodes.get(id).map(|n| n.file.as_str())
                });
                match built {
                    Ok(Some(built)) => {
                        self.graph.problems.extend(built.problems);
                        if let Some((target, column)) = &built.column_of {
                            attach_column_test(self.nodes.get_mut(target), column, &spec.unique_id);
                        }
                        self.nodes.insert(spec.unique_id.clone(), built.node);
                    }
                    Ok(None) => {}
                    Err(problem) => self.graph.problems.push(problem),
                }
            }
        }
    }

    fn edges(&mut self) {
        let mut children: BTreeMap<String, Vec<String>> = self
            .graph
            .nodes
            .keys()
            .map(|k| (k.clone(), Vec::new()))
            .collect();
        for (uid, node) in &self.graph.nodes {
            let mut parents = node.depends_on.clone();
            parents.sort();
            for p in &parents {
                if let Some(list) = children.get_mut(p) {
                    list.push(uid.clone());
                }
            }
            self.graph.parent_map.insert(uid.clone(), parents);
        }
        for list in children.values_mut() {
            list.sort();
        }
        self.graph.child_map = children;
    }

    /// Tarjan's strongly connected components over parent edges; each cycle is one problem.
    fn cycles(&mut self) {
        let ids: Vec<&String> = self.graph.parent_map.keys().collect();
        let index_of: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let adjacency: Vec<Vec<usize>> = ids
            .iter()
            .map(|id| {
                self.graph.parent_map[*id]
                    .iter()
                    .filter_map(|p| index_of.get(p.as_str()).copied())
                    .collect()
            })
            .collect();
        let mut problems = Vec::new();
        for component in strongly_connected(&adjacency) {
            let is_cycle = component.len() > 1 || adjacency[component[0]].contains(&component[0]);
            if !is_cycle {
                continue;
            }
            let mut members: Vec<&str> = component.iter().map(|i| ids[*i].as_str()).collect();
            members.sort();
            let first = &self.graph.nodes[members[0]];
            problems.push(Problem::error(
                "cycle",
                &first.file,
                first.line,
                format!(
                    "dependency cycle: {}",
                    members
                        .iter()
                        .map(|m| m.rsplit('.').next().unwrap_or(m))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            ));
        }
        self.graph.problems.extend(problems);
    }
}

/// Column tests on columns the model's SQL does not produce.
/// Tests on columns the model does not produce (by its column lineage when complete, else by
/// the static reading of its final select). Run once column lineage is resolved.
pub(crate) fn column_checks<'f>(
    graph: &Graph,
    files: impl Iterator<Item = &'f SourceFile>,
) -> Vec<Problem> {
    let mut outputs: HashMap<&str, &Vec<String>> = HashMap::new();
    for file in files {
        if let Facts::Sql(sql) = &file.facts
            && let Some(cols) = &sql.output_columns
        {
            outputs.insert(file.rel.as_str(), cols);
        }
    }
    let mut problems: Vec<Problem> = graph
        .nodes
        .values()
        .filter_map(|test| {
            let target = attached_column_target(graph, test)?;
            // The column lineage's names when all are known (`select *` expanded), else the
            // static reading of the final select.
            let from_lineage: Option<Vec<String>> = target
                .column_lineage
                .as_ref()
                .filter(|cols| cols.iter().all(|c| c.name != "*"))
                .map(|cols| cols.iter().map(|c| c.name.clone()).collect());
            let columns = match &from_lineage {
                Some(cols) => cols,
                None => *outputs.get(target.file.as_str())?,
            };
            if columns.contains(&column_key(test)) {
                return None;
            }
            missing_column_problem(graph, test).map(|(_, p)| p)
        })
        .collect();
    problems.sort();
    problems.dedup();
    problems
}

/// The node a column test is attached to.
fn attached_column_target<'g>(graph: &'g Graph, test: &Node) -> Option<&'g Node> {
    match &test.test {
        Some(TestInfo {
            column_name: Some(_),
            attached_node: Some(target),
            ..
        }) => graph.nodes.get(target),
        _ => None,
    }
}

/// For a column test on a node: that node and the problem to report if the column is missing.
pub(crate) fn missing_column_problem<'g>(
    graph: &'g Graph,
    test: &Node,
) -> Option<(&'g Node, Problem)> {
    let Some(TestInfo {
        column_name: Some(column),
        attached_node: Some(target),
        ..
    }) = &test.test
    else {
        return None;
    };
    let target = graph.nodes.get(target)?;
    let problem = Problem::warning(
        "test_on_missing_column",
        &test.file,
        test.line,
        format!(
            "test `{}` is on column `{column}`, which {} does not select",
            test.name, target.file
        ),
    );
    Some((target, problem))
}

pub(crate) fn column_key(test: &Node) -> String {
    test.test
        .as_ref()
        .and_then(|t| t.column_name.as_deref())
        .unwrap_or_default()
        .trim_matches('"')
        .to_ascii_lowercase()
}

/// A generic test ready to insert: its node (parents resolved), the problems of its references,
/// and the (node, column) it is on.
pub(crate) struct BuiltTest {
    pub node: Node,
    pub problems: Vec<Problem>,
    pub column_of: Option<(String, String)>,
}

/// Builds the node of one generic test. `None` when it is disabled or what it tests does not
/// exist (dbt ignores it then); a problem when its id is already taken. `node_file` tells whether
/// a node exists (and in which file).
pub(crate) fn build_generic_test<'n>(
    lookups: &Lookups,
    pkg: &str,
    file: &SourceFile,
    spec: &TestSpec,
    node_file: &dyn Fn(&str) -> Option<&'n str>,
) -> Result<Option<BuiltTest>, Problem> {
    if !spec.enabled {
        return Ok(None);
    }
    let (attached, target) = match &spec.target {
        TestTarget::Node {
            kind,
            name,
            version,
        } => {
            let prefix = patch_prefix(*kind);
            let uid = match version {
                Some(v) => format!("{prefix}.{pkg}.{name}.v{v}"),
                None => format!("{prefix}.{pkg}.{name}"),
            };
            (Some(uid.clone()), uid)
        }
        TestTarget::Source { source, table } => (None, format!("source.{pkg}.{source}.{table}")),
    };
    // A test of a disabled node stays in dbt's nodes, disabled and without parents.
    let target_disabled = node_file(&target).is_none() && lookups.disabled_ids.contains(&target);
    if node_file(&target).is_none() && !target_disabled {
        return Ok(None);
    }
    if let Some(other) = node_file(&spec.unique_id) {
        return Err(Problem::error(
            "duplicate_name",
            &file.rel,
            spec.line,
            format!(
                "test `{}` is defined twice (also in {other}); give one a `name:`",
                spec.name
            ),
        ));
    }
    let mut node = Node::new(
        ResourceType::Test,
        spec.unique_id.clone(),
        pkg,
        &spec.name,
        file.rel.clone(),
        file.original.clone(),
    );
    node.line = spec.line;
    node.test = Some(TestInfo {
        test_name: Some(spec.test_name.clone()),
        namespace: spec.namespace.clone(),
        column_name: spec.column.clone(),
        attached_node: attached,
        kwargs: spec.kwargs.clone(),
    });
    if target_disabled {
        return Ok(Some(BuiltTest {
            node,
            problems: Vec::new(),
            column_of: None,
        }));
    }
    // The tested node (or source) is always a parent, as dbt adds it for every test.
    node.add_parent(&target);
    let (parents, problems) = lookups.resolve_all(&spec.refs, &spec.sources, pkg, &file.rel);
    for p in parents {
        node.add_parent(&p);
    }
    let column_of = spec.column.as_ref().map(|c| (target, c.clone()));
    Ok(Some(BuiltTest {
        node,
        problems,
        column_of,
    }))
}

/// The warning for YAML describing a model/seed/snapshot/analysis that no file defines (and that
/// is not merely disabled).
pub(crate) fn patch_without_node(
    lookups: &Lookups,
    node_exists: &dyn Fn(&str) -> bool,
    pkg: &str,
    patch: &Patch,
    file: &str,
) -> Option<Problem> {
    let name = &patch.name;
    let exists = match patch.kind {
        PatchKind::Analysis => node_exists(&format!("analysis.{pkg}.{name}")),
        _ => lookups
            .refable
            .get(name)
            .is_some_and(|e| e.iter().any(|(p, _, _)| p == pkg)),
    };
    if exists || lookups.disabled.contains(&(pkg.to_string(), name.clone())) {
        return None;
    }
    Some(Problem::warning(
        "patch_without_node",
        file,
        patch.line,
        format!(
            "`{name}` is described here but no {} file defines it; its tests are ignored",
            patch_prefix(patch.kind)
        ),
    ))
}

/// Records a column test on the column it tests.
pub(crate) fn attach_column_test(target: Option<&mut Node>, column: &str, test: &str) {
    if let Some(target) = target
        && let Some(c) = target.columns.iter_mut().find(|c| c.name == column)
    {
        c.tests.push(test.to_string());
    }
}

pub(crate) fn patch_prefix(kind: PatchKind) -> &'static str {
    match kind {
        PatchKind::Model => "model",
        PatchKind::Seed => "seed",
        PatchKind::Snapshot => "snapshot",
        PatchKind::Analysis => "analysis",
    }
}

/// Iterative Tarjan (no recursion, so a 10k-deep chain cannot overflow the stack).
fn strongly_connected(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if *edge == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adj[v].get(*edge) {
                *edge += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

fn versions_equal(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

fn max_version(versions: &[VersionSpec]) -> String {
    versions
        .iter()
        .map(|v| v.v.clone())
        .max_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
            _ => a.cmp(b),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::strongly_connected;

    #[test]
    fn finds_cycles_and_self_loops_only() {
        // 0 → 1 → 2 → 0 is a cycle; 3 → 3 is a self-loop; 4 → 0 is not part of a cycle.
        let adj = vec![vec![1], vec![2], vec![0], vec![3], vec![0]];
        let mut comps: Vec<Vec<usize>> = strongly_connected(&adj)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        comps.sort();
        assert_eq!(comps, vec![vec![0, 1, 2], vec![3], vec![4]]);
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let adj: Vec<Vec<usize>> = (0..200_000)
            .map(|i| if i == 0 { vec![] } else { vec![i - 1] })
            .collect();
        assert_eq!(strongly_connected(&adj).len(), 200_000);
    }
}
