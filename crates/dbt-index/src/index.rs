//! The index of one dbt project folder: its projects (root + installed packages), every file's
//! facts, and the linked graph. Loading reads files in parallel; an update re-reads only the
//! changed files and re-links.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::coverage::{Coverage, coverage};
use crate::files::{self, Found, SourceFile};
use crate::link::{Graph, link};
use crate::node::{Node, ResourceType};
use crate::problem::{Problem, Severity};
use crate::project::Project;
use crate::render::{Renderer, Target};

/// A loaded project index.
#[derive(Debug, Clone)]
pub struct Index {
    root: PathBuf,
    projects: Vec<Project>,
    files: BTreeMap<String, SourceFile>,
    load_problems: Vec<Problem>,
    graph: Graph,
    coverage: Coverage,
    /// The Jinja renderer of this load (macros read once), shared with updates.
    renderer: Option<Arc<Renderer>>,
}

/// What an [`Index::update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// The project files changed shape (dbt_project.yml, packages, folders): everything was reloaded.
    pub reloaded: bool,
    /// Files re-read (or removed).
    pub files: usize,
    /// The change was re-linked in place (the fast path) rather than by a full link.
    pub in_place: bool,
}

impl Index {
    /// Loads the dbt project at `root`. Never fails: anything wrong is a [`Problem`].
    pub fn load(root: &Path) -> Index {
        let mut index = Index {
            root: root.to_path_buf(),
            projects: Vec::new(),
            files: BTreeMap::new(),
            load_problems: Vec::new(),
            graph: Graph::default(),
            coverage: Coverage::default(),
            renderer: None,
        };
        index.reload();
        index
    }

    fn reload(&mut self) {
        self.projects.clear();
        self.files.clear();
        self.load_problems.clear();
        match Project::load(&self.root, "") {
            Ok(root) => self.projects.push(root),
            Err(problem) => {
                self.load_problems.push(problem);
                self.graph = Graph::default();
                self.coverage = Coverage::default();
                return;
            }
        }
        self.load_packages();
        let target = Target::from_profiles(&self.root, &self.projects[0].profile);
        let renderer = Renderer::new(&self.projects, target, &mut self.load_problems);
        for (i, project) in self.projects.iter_mut().enumerate() {
            renderer.render_project_configs(project, i, &mut self.load_problems);
        }
        let renderer = Arc::new(renderer);
        self.renderer = Some(renderer.clone());
        let mut found = Vec::new();
        for (i, project) in self.projects.iter().enumerate() {
            files::discover(i, project, &mut found, &mut self.load_problems);
        }
        let names: Vec<String> = self.projects.iter().map(|p| p.name.clone()).collect();
        // Macros nest on the stack: renders run on threads with room for them.
        let read_all = || -> Vec<SourceFile> {
            found
                .par_iter()
                .map(|f| files::read(f, &names[f.project], Some(&renderer)))
                .collect()
        };
        let read: Vec<SourceFile> = match rayon::ThreadPoolBuilder::new()
            .stack_size(RENDER_STACK)
            .build()
        {
            Ok(pool) => pool.install(read_all),
            Err(_) => read_all(),
        };
        for file in read {
            self.files.entry(file.rel.clone()).or_insert(file);
        }
        self.relink();
    }

    /// Installed packages: every folder of the install path holding a `dbt_project.yml`.
    fn load_packages(&mut self) {
        let install = self.projects[0].packages_install_path.clone();
        let dir = self.root.join(&install);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("dbt_project.yml").is_file())
            .collect();
        dirs.sort();
        for pkg_dir in dirs {
            let rel = crate::project::rel_to(&self.root, &pkg_dir);
            match Project::load(&pkg_dir, &rel) {
                Ok(p) if self.projects.iter().any(|q| q.name == p.name) => {
                    self.load_problems.push(Problem::error(
                        "duplicate_package",
                        &p.rel("dbt_project.yml"),
                        1,
                        format!("package `{}` is installed twice", p.name),
                    ))
                }
                Ok(p) => self.projects.push(p),
                Err(problem) => self.load_problems.push(problem),
            }
        }
    }

    fn relink(&mut self) {
        let files: Vec<&SourceFile> = self.files.values().collect();
        let mut graph = link(&self.projects, &files, self.renderer.as_deref());
        // Column lineage needs the whole graph (select * reads upstream columns); then the tests
        // on columns a model does not produce can be found.
        crate::columns::resolve(&mut graph, files.iter().copied());
        let column_problems = crate::link::column_checks(&graph, files.iter().copied());
        graph.problems.extend(column_problems);
        let old = std::mem::replace(&mut self.graph, graph);
        // Freeing a large graph takes a while; nobody needs to wait for it.
        std::thread::spawn(move || drop(old));
        let root = self.projects.first().map(|p| p.name.as_str()).unwrap_or("");
        self.coverage = coverage(self.graph.nodes.values(), root);
    }

    /// Re-indexes after the files at `changed` (absolute or root-relative paths) were created,
    /// modified or removed.
    pub fn update(&mut self, changed: &[PathBuf]) -> UpdateOutcome {
        let mut reread = 0;
        let mut touched: Vec<String> = Vec::new();
        let mut full_link = false;
        let mut in_place = false;
        for path in changed {
            let abs = if path.is_absolute() {
                path.clone()
            } else {
                self.root.join(path)
            };
            let rel = crate::project::rel_to(&self.root, &abs);
            if self.projects.is_empty()
                || needs_reload(&rel, &self.projects)
                || self.is_resource_dir(&rel, &abs)
                || self.is_macro_file(&rel)
            {
                self.reload();
                return UpdateOutcome {
                    reloaded: true,
                    files: self.files.len(),
                    in_place: false,
                };
            }
            let Some((idx, project)) = self.owner(&rel) else {
                continue;
            };
            let original = rel
                .strip_prefix(&format!("{}/", project.rel_dir))
                .unwrap_or(&rel)
                .to_string();
            let found: Option<Found> = files::classify(idx, project, &original, abs.clone());
            let Some(found) = found else { continue };
            reread += 1;
            if !abs.is_file() {
                full_link |= self.files.remove(&found.rel).is_some();
                continue;
            }
            let pkg = project.name.clone();
            touched.push(found.rel.clone());
            let renderer = self.renderer.clone();
            let read = || files::read(&found, &pkg, renderer.as_deref());
            let file = std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .stack_size(RENDER_STACK)
                    .spawn_scoped(scope, read)
                    .ok()
                    .and_then(|h| h.join().ok())
            })
            .unwrap_or_else(read);
            let old = self.files.insert(found.rel.clone(), file);
            if !full_link {
                // A change to a file already indexed is re-linked in place when it can be.
                full_link = match (old, self.files.get(&found.rel)) {
                    (Some(old), Some(new)) if new.kind == crate::files::FileKind::Yaml => {
                        !crate::relink::relink_yaml(&mut self.graph, &pkg, &old, new, &self.files)
                    }
                    (Some(old), Some(new)) => {
                        !crate::relink::relink_file(&mut self.graph, &old, new)
                    }
                    _ => true,
                };
                in_place = !full_link;
            }
        }
        if full_link {
            self.relink();
        } else if in_place {
            let changed: Vec<&str> = touched.iter().map(String::as_str).collect();
            crate::columns::resolve_changed(&mut self.graph, self.files.values(), &changed);
            let root = self.projects.first().map(|p| p.name.as_str()).unwrap_or("");
            self.coverage = coverage(self.graph.nodes.values(), root);
        }
        UpdateOutcome {
            reloaded: false,
            files: reread,
            in_place: in_place && !full_link,
        }
    }

    /// A macro file (or generic test): macros are read once per load, so a change reloads.
    fn is_macro_file(&self, rel: &str) -> bool {
        let Some((_, project)) = self.owner(rel) else {
            return false;
        };
        let original = rel
            .strip_prefix(&format!("{}/", project.rel_dir))
            .unwrap_or(rel);
        original.ends_with(".sql")
            && project
                .macro_paths
                .iter()
                .cloned()
                .chain(project.test_paths.iter().map(|t| format!("{t}/generic")))
                .any(|dir| original.starts_with(&format!("{dir}/")))
    }

    /// A folder inside a resource path (created, moved or removed as a whole).
    fn is_resource_dir(&self, rel: &str, abs: &Path) -> bool {
        if !abs.is_dir() {
            return false;
        }
        let Some((_, project)) = self.owner(rel) else {
            return false;
        };
        let original = rel
            .strip_prefix(&format!("{}/", project.rel_dir))
            .unwrap_or(rel);
        [
            &project.model_paths,
            &project.seed_paths,
            &project.snapshot_paths,
            &project.test_paths,
            &project.analysis_paths,
            &project.macro_paths,
        ]
        .iter()
        .flat_map(|dirs| dirs.iter())
        .any(|dir| original == dir || original.starts_with(&format!("{dir}/")))
    }

    /// The project owning a root-relative path: the package whose folder holds it, else the root.
    fn owner(&self, rel: &str) -> Option<(usize, &Project)> {
        self.projects
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, p)| rel.starts_with(&format!("{}/", p.rel_dir)))
            .or_else(|| self.projects.first().map(|p| (0, p)))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root project's name (`None` when `dbt_project.yml` could not be read).
    pub fn project_name(&self) -> Option<&str> {
        self.projects.first().map(|p| p.name.as_str())
    }

    /// Installed package names (not the root project).
    pub fn packages(&self) -> Vec<&str> {
        self.projects
            .iter()
            .skip(1)
            .map(|p| p.name.as_str())
            .collect()
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    pub fn nodes(&self) -> &BTreeMap<String, Node> {
        &self.graph.nodes
    }

    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// Indexed files, relative to the root (`/` separators), sorted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The columns a model's SQL file selects, when they can be read from its final `select`
    /// (`None` for other files and for SQL that does not say, such as `select *`).
    pub fn sql_columns(&self, file: &str) -> Option<&[String]> {
        match &self.files.get(file)?.facts {
            crate::files::Facts::Sql(sql) => sql.output_columns.as_deref(),
            _ => None,
        }
    }

    /// A model's or snapshot's SQL as rendered for column lineage (relations as `__vd_ref_<n>`
    /// / `__vd_src_<n>` placeholders, numbered in call order).
    pub fn rendered_sql(&self, file: &str) -> Option<&str> {
        match &self.files.get(file)?.facts {
            crate::files::Facts::Sql(sql) => sql.rendered.as_deref(),
            _ => None,
        }
    }

    /// What each relation placeholder of a file's rendered SQL stands for: `(placeholder,
    /// unique_id)` for the calls that resolve.
    pub fn rendered_relations(&self, file: &str) -> Vec<(String, String)> {
        let Some(source) = self.files.get(file) else {
            return Vec::new();
        };
        let crate::files::Facts::Sql(sql) = &source.facts else {
            return Vec::new();
        };
        let package = &self.projects[source.project].name;
        let lookups = &self.graph.lookups;
        let refs = sql.calls.refs.iter().enumerate().filter_map(|(i, call)| {
            Some((
                format!("__vd_ref_{i}"),
                lookups.resolve_ref(call, package).ok()?,
            ))
        });
        let sources = sql
            .calls
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, call)| {
                Some((
                    format!("__vd_src_{i}"),
                    lookups.resolve_source(call, package)?,
                ))
            });
        refs.chain(sources).collect()
    }

    /// Every problem (project, files, links), errors first, then by file and line.
    pub fn problems(&self) -> Vec<Problem> {
        let mut all: Vec<Problem> = self.load_problems.clone();
        for file in self.files.values() {
            all.extend(file.problems.iter().cloned());
        }
        all.extend(self.graph.problems.iter().cloned());
        all.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.file.cmp(&b.file))
                .then(a.line.cmp(&b.line))
                .then(a.code.cmp(b.code))
        });
        all.dedup();
        all
    }

    pub fn error_count(&self) -> usize {
        self.problems()
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// Number of nodes per resource type.
    pub fn counts(&self) -> BTreeMap<ResourceType, usize> {
        let mut counts = BTreeMap::new();
        for node in self.graph.nodes.values() {
            *counts.entry(node.resource_type).or_default() += 1;
        }
        counts
    }
}

/// Stack for threads that render (macros call macros on the stack).
const RENDER_STACK: usize = 16 << 20;

/// Whether a change at `rel` alters the project's shape, so only a full reload is right.
fn needs_reload(rel: &str, projects: &[Project]) -> bool {
    if rel.ends_with("dbt_project.yml") {
        return true;
    }
    let install = &projects[0].packages_install_path;
    // A change directly inside the install folder (a package added/removed) reshapes the project.
    rel.strip_prefix(&format!("{install}/"))
        .is_some_and(|rest| !rest.contains('/'))
}
