//! Finding a project's files (per resource path, symlinks followed, loops reported) and reading
//! each into facts. A file that cannot be read, is not UTF-8 or is too large becomes a problem;
//! it never stops the rest of the project from loading.

use std::path::{Path, PathBuf};

use crate::jinja::{self, Extracted};
use crate::problem::Problem;
use crate::project::{Project, rel_to};
use crate::render::Renderer;
use crate::yaml::{self, YamlFacts};

/// Files larger than this are not read (dbt would not cope either); the problem names the size.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    ModelSql,
    ModelPython,
    Seed,
    Snapshot,
    SingularTest,
    Analysis,
    Yaml,
}

/// What one file contributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Facts {
    Sql(SqlFacts),
    Yaml(YamlFacts),
    /// A seed: the columns of its CSV header.
    Seed(Vec<String>),
    /// Seeds contribute a node by their name alone; unreadable files contribute nothing else.
    Empty,
}

/// What a SQL or Python file declares.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFacts {
    pub calls: Extracted,
    /// Output columns of the final `select`, when readable without rendering.
    pub output_columns: Option<Vec<String>>,
    /// Models and snapshots: the column plan of the rendered SQL (`Err`: why it could not be
    /// read), `None` when not rendered.
    pub plan: Option<Result<crate::columns::Plan, String>>,
    /// Models and snapshots: the SQL as rendered (relations as `__vd_ref_<n>` placeholders).
    pub rendered: Option<String>,
}

/// One file of a project and what it declares.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    /// Index of the owning project in the index's project list.
    pub project: usize,
    pub kind: FileKind,
    /// Relative to the indexed root, `/` separators.
    pub rel: String,
    /// Relative to the owning project (dbt's `original_file_path`).
    pub original: String,
    /// The resource folder it was found under (`models`), for folder-level summaries.
    pub resource_dir: String,
    pub facts: Facts,
    pub problems: Vec<Problem>,
}

/// A file found on disk, not yet read.
#[derive(Debug, Clone)]
pub struct Found {
    pub project: usize,
    pub kind: FileKind,
    pub path: PathBuf,
    pub rel: String,
    pub original: String,
    pub resource_dir: String,
}

/// Which kind a file under a resource folder is, if any.
fn kind_for(category: Category, original: &str, resource_dir: &str) -> Option<FileKind> {
    let ext = original
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())?;
    if ext == "yml" || ext == "yaml" {
        return Some(FileKind::Yaml);
    }
    match (category, ext.as_str()) {
        (Category::Models, "sql") => Some(FileKind::ModelSql),
        (Category::Models, "py") => Some(FileKind::ModelPython),
        (Category::Seeds, "csv") => Some(FileKind::Seed),
        (Category::Snapshots, "sql") => Some(FileKind::Snapshot),
        (Category::Tests, "sql") if !original.starts_with(&format!("{resource_dir}/generic/")) => {
            Some(FileKind::SingularTest)
        }
        (Category::Analyses, "sql") => Some(FileKind::Analysis),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Models,
    Seeds,
    Snapshots,
    Tests,
    Analyses,
    Macros,
}

/// Lists the files of `project` (index `idx`), reporting unreadable folders and symlink loops.
pub fn discover(
    idx: usize,
    project: &Project,
    found: &mut Vec<Found>,
    problems: &mut Vec<Problem>,
) {
    let groups = [
        (Category::Models, &project.model_paths),
        (Category::Seeds, &project.seed_paths),
        (Category::Snapshots, &project.snapshot_paths),
        (Category::Tests, &project.test_paths),
        (Category::Analyses, &project.analysis_paths),
        (Category::Macros, &project.macro_paths),
    ];
    let install = project.dir.join(&project.packages_install_path);
    for (category, dirs) in groups {
        for dir in dirs {
            let base = project.dir.join(dir);
            if !base.is_dir() {
                continue;
            }
            let walker = walkdir::WalkDir::new(&base)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    let name = e.file_name().to_string_lossy();
                    e.depth() == 0
                        || !(name.starts_with('.')
                            || e.path() == install
                            || name == "target"
                            || name == "dbt_packages")
                });
            for entry in walker {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        let path = e
                            .path()
                            .map(|p| rel_to(&project.dir, p))
                            .unwrap_or_default();
                        let file = project.rel(&path);
                        let message = if e.loop_ancestor().is_some() {
                            "symbolic link loop; this folder is skipped".to_string()
                        } else {
                            format!("cannot read: {e}")
                        };
                        problems.push(Problem::warning("file_unreadable", &file, 0, message));
                        continue;
                    }
                };
                if !entry.file_type().is_file() {
                    continue;
                }
                let original = rel_to(&project.dir, entry.path());
                let Some(kind) = kind_for(category, &original, dir) else {
                    continue;
                };
                found.push(Found {
                    project: idx,
                    kind,
                    path: entry.path().to_path_buf(),
                    rel: project.rel(&original),
                    original,
                    resource_dir: dir.clone(),
                });
            }
        }
    }
}

/// Reads and parses one file; SQL with Jinja beyond literal `ref`/`source`/`config` calls is
/// rendered as dbt parse renders it.
pub fn read(found: &Found, project_name: &str, renderer: Option<&Renderer>) -> SourceFile {
    let mut problems = Vec::new();
    let facts = if found.kind == FileKind::Seed {
        // Only the header of a seed is read (seeds can be large).
        let first = std::fs::File::open(&found.path).ok().and_then(|f| {
            use std::io::{BufRead, Read};
            let mut line = String::new();
            std::io::BufReader::new(f.take(64 * 1024))
                .read_line(&mut line)
                .ok()?;
            Some(line)
        });
        Facts::Seed(seed_header(first.as_deref().unwrap_or("")))
    } else {
        match read_text(&found.path, &found.rel, true) {
            Err(problem) => {
                problems.push(problem);
                Facts::Empty
            }
            Ok(None) => Facts::Empty,
            Ok(Some(text)) => {
                let render = renderer.map(|r| (r, found.project, stem(&found.original)));
                parse_text(
                    found.kind,
                    &text,
                    project_name,
                    &found.rel,
                    &mut problems,
                    render,
                )
            }
        }
    };
    SourceFile {
        project: found.project,
        kind: found.kind,
        rel: found.rel.clone(),
        original: found.original.clone(),
        resource_dir: found.resource_dir.clone(),
        facts,
        problems,
    }
}

/// A file's name without folders and extension (a model's name).
fn stem(original: &str) -> &str {
    let name = original.rsplit('/').next().unwrap_or(original);
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// Parses a file's text according to its kind; `render` = the renderer, the file's project
/// and its node name.
pub fn parse_text(
    kind: FileKind,
    text: &str,
    project_name: &str,
    rel: &str,
    problems: &mut Vec<Problem>,
    render: Option<(&Renderer, usize, &str)>,
) -> Facts {
    match kind {
        FileKind::Yaml => {
            let value = |raw: &str| {
                let (renderer, project, _) = render?;
                renderer.render_config_value(project, raw, false).ok()
            };
            let mut facts = yaml::parse_with(text, project_name, rel, Some(&value));
            problems.append(&mut facts.problems);
            Facts::Yaml(facts)
        }
        FileKind::Seed => Facts::Seed(seed_header(text)),
        FileKind::ModelPython => Facts::Sql(SqlFacts {
            calls: jinja::extract_python(text),
            output_columns: None,
            plan: None,
            rendered: None,
        }),
        _ => {
            let mut plan = None;
            let mut rendered_sql = None;
            let mut ex = jinja::extract_sql(text);
            if let Some(line) = ex.unterminated {
                problems.push(Problem::error(
                    "jinja_unterminated",
                    rel,
                    line,
                    "a Jinja block opened here is never closed",
                ));
            } else if let Some((renderer, project, node)) = render
                && (renderer.needs_render(text, &ex)
                    || matches!(kind, FileKind::ModelSql | FileKind::Snapshot))
            {
                match renderer.render_node(project, node, rel, text) {
                    Ok(rendered) => {
                        if matches!(kind, FileKind::ModelSql | FileKind::Snapshot) {
                            let alias = |r: &crate::columns::Rel| match r {
                                crate::columns::Rel::Ref(i) => rendered
                                    .refs
                                    .get(*i)
                                    .map(|c| c.name.to_lowercase())
                                    .unwrap_or_default(),
                                crate::columns::Rel::Source(i) => rendered
                                    .sources
                                    .get(*i)
                                    .map(|c| c.table.to_lowercase())
                                    .unwrap_or_default(),
                                crate::columns::Rel::This => node.to_lowercase(),
                                crate::columns::Rel::Other(name) => name.clone(),
                            };
                            let planned =
                                crate::columns::plan(&rendered.sql, renderer.target_kind(), &alias);
                            if let Err(why) = &planned {
                                problems.push(Problem::warning(
                                    "sql_unreadable",
                                    rel,
                                    0,
                                    format!("its rendered SQL cannot be read for column lineage ({why}); its columns are unknown"),
                                ));
                            }
                            plan = Some(planned);
                            rendered_sql = Some(rendered.sql.clone());
                        }
                        ex.adopt(rendered.refs, rendered.sources, rendered.config);
                        for (code, message) in rendered.warnings {
                            problems.push(Problem::warning(
                                if code == "var_missing" {
                                    "var_missing"
                                } else {
                                    "dbt_warning"
                                },
                                rel,
                                0,
                                message,
                            ));
                        }
                    }
                    Err(f) => {
                        let severity = match f.code {
                            "jinja_syntax" | "env_var_missing" | "macro_recursion" => {
                                crate::problem::Severity::Error
                            }
                            _ => crate::problem::Severity::Warning,
                        };
                        problems.push(Problem::new(
                            severity,
                            f.code,
                            rel,
                            f.line,
                            format!("{}; its lineage is read without rendering", f.message),
                        ));
                    }
                }
            }
            for (call, line) in &ex.dynamic {
                problems.push(Problem::warning(
                    "dynamic_reference",
                    rel,
                    *line,
                    format!("`{call}()` with non-literal arguments cannot be resolved without rendering; lineage may be incomplete"),
                ));
            }
            let output_columns = if kind == FileKind::ModelSql {
                crate::sql_columns::output_columns(text)
            } else {
                None
            };
            Facts::Sql(SqlFacts {
                calls: ex,
                output_columns,
                plan,
                rendered: rendered_sql,
            })
        }
    }
}

/// The column names of a seed's CSV header (lower-cased, quotes removed).
fn seed_header(text: &str) -> Vec<String> {
    let header = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches('\u{feff}');
    header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_lowercase())
        .filter(|c| !c.is_empty())
        .collect()
}

/// The file's text; `Ok(None)` when the content is not needed.
fn read_text(path: &Path, rel: &str, needed: bool) -> Result<Option<String>, Problem> {
    if !needed {
        return Ok(None);
    }
    let meta = std::fs::metadata(path)
        .map_err(|e| Problem::error("file_unreadable", rel, 0, format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Problem::error(
            "file_too_large",
            rel,
            0,
            format!(
                "{} MiB is over the {} MiB limit; the file is not indexed",
                meta.len() / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Problem::error("file_unreadable", rel, 0, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() as u32 + 1;
        Problem::error(
            "file_not_utf8",
            rel,
            line,
            "the file is not valid UTF-8; it is not indexed",
        )
    })
}

/// Classifies one path of `project` (relative to the project, `/` separators) the way
/// [`discover`] would, for incremental updates.
pub fn classify(idx: usize, project: &Project, original: &str, path: PathBuf) -> Option<Found> {
    let groups = [
        (Category::Models, &project.model_paths),
        (Category::Seeds, &project.seed_paths),
        (Category::Snapshots, &project.snapshot_paths),
        (Category::Tests, &project.test_paths),
        (Category::Analyses, &project.analysis_paths),
        (Category::Macros, &project.macro_paths),
    ];
    for (category, dirs) in groups {
        for dir in dirs {
            if original.starts_with(&format!("{dir}/"))
                && !original.split('/').any(|part| part.starts_with('.'))
            {
                let kind = kind_for(category, original, dir)?;
                return Some(Found {
                    project: idx,
                    kind,
                    path,
                    rel: project.rel(original),
                    original: original.to_string(),
                    resource_dir: dir.clone(),
                });
            }
        }
    }
    None
}
