//! Rendering dbt's Jinja the way `dbt parse` does, with minijinja: `execute` is false; `ref()`,
//! `source()` and `config()` record what they are called with; `var()` follows dbt's precedence
//! (the root project's vars scoped to the node's package, the root's global vars, the package's
//! own, then the call's default) and renders a var that holds Jinja (`"{{ source('sf',
//! 'account') }}"`) in the calling node's context; `env_var()`, `target` (from the project's
//! `profiles.yml`, default a local DuckDB), `this`, `is_incremental()` false; the project's and
//! installed packages' macros are callable by name and by package (`dbt_utils.star`), with
//! `adapter.dispatch` searching as dbt does. What only exists when dbt runs (query results, the
//! global project's cross-database macros) is a lenient stand-in. Fuel and a macro depth limit
//! make a runaway macro a located problem, never a hang.
//!
//! One [`Renderer`] is built per load (macros read once, each macro compiled on first use) and
//! shared by the parallel readers; each render has its own context ([`context::NodeCtx`]).

pub mod blocks;
mod context;
mod macros;
mod members;
pub mod objects;
mod scope;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value as Json};
use serde_yaml_ng::Value as YamlValue;

use crate::jinja::{RefCall, SourceCall};
use crate::problem::{Problem, Severity};
use crate::project::Project;
use context::{Mode, NodeCtx};

/// Instructions one render (and each macro call in it) may run.
const FUEL: u64 = 2_000_000;

/// The dbt target rendering sees (`target.name`, `target.type`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: String,
    pub schema: String,
    pub database: String,
    pub profile_name: String,
}

impl Target {
    /// The local DuckDB target the app runs dbt with.
    pub fn local(profile: &str) -> Target {
        Target {
            name: "dev".into(),
            kind: "duckdb".into(),
            schema: "main".into(),
            database: "warehouse".into(),
            profile_name: profile.into(),
        }
    }

    /// The target of `profile` in `dir/profiles.yml` (the app runs dbt with `--profiles-dir`
    /// the project folder); the local DuckDB one when there is none.
    pub fn from_profiles(dir: &Path, profile: &str) -> Target {
        let read = || -> Option<Target> {
            let text = std::fs::read_to_string(dir.join("profiles.yml")).ok()?;
            let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).ok()?;
            let p = doc.get(profile)?;
            let name = p.get("target")?.as_str()?.to_string();
            let out = p.get("outputs")?.get(&name)?;
            let text = |k: &str| out.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let database = text("database").or_else(|| {
                text("path").map(|p| {
                    let file = p.rsplit('/').next().unwrap_or(&p).to_string();
                    file.split('.').next().unwrap_or(&file).to_string()
                })
            });
            Some(Target {
                name,
                kind: text("type").unwrap_or_else(|| "duckdb".into()),
                schema: text("schema").unwrap_or_else(|| "main".into()),
                database: database.unwrap_or_else(|| "warehouse".into()),
                profile_name: profile.into(),
            })
        };
        read().unwrap_or_else(|| Target::local(profile))
    }

    /// The adapter type names dispatch tries, most specific first (then `default`).
    pub fn adapter_types(&self) -> Vec<String> {
        let parents: &[&str] = match self.kind.as_str() {
            "redshift" => &["postgres"],
            "databricks" => &["spark"],
            "fabricspark" => &["spark"],
            "synapse" => &["fabric", "sqlserver"],
            "fabric" => &["sqlserver"],
            _ => &[],
        };
        let mut types = vec![self.kind.clone()];
        types.extend(parents.iter().map(|p| p.to_string()));
        types
    }

    fn json(&self) -> Json {
        serde_json::json!({
            "name": self.name, "type": self.kind, "schema": self.schema,
            "database": self.database, "profile_name": self.profile_name,
            "threads": 1, "target_name": self.name,
        })
    }
}

/// One macro: the template holding it alone (`package::name`), and where it is written.
#[derive(Debug, Clone)]
pub struct MacroDef {
    pub template: String,
    pub file: String,
    pub line: u32,
}

/// What every render of one load shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Project names, the root first (the index's project order).
    pub packages: Vec<String>,
    /// Each project's `vars:` (as written, unrendered).
    pub vars: Vec<Json>,
    /// Vars given on the command line (`--vars`): they win over everything.
    pub cli_vars: Map<String, Json>,
    /// The root project's `dispatch:` search orders, by macro namespace.
    pub dispatch: HashMap<String, Vec<String>>,
    /// Macros by package, then name.
    pub macros: HashMap<String, HashMap<String, MacroDef>>,
    pub target: Target,
    target_json: Json,
}

impl Shared {
    pub fn root(&self) -> &str {
        self.packages.first().map(String::as_str).unwrap_or("")
    }

    /// A macro by bare name as a node of `package` sees it: its own package's, then the root's.
    pub fn lookup_macro(&self, package: &str, name: &str) -> Option<&MacroDef> {
        self.macros
            .get(package)
            .and_then(|m| m.get(name))
            .or_else(|| self.macros.get(self.root()).and_then(|m| m.get(name)))
    }

    pub fn target_json(&self) -> &Json {
        &self.target_json
    }
}

/// What rendering a node recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub refs: Vec<RefCall>,
    pub sources: Vec<SourceCall>,
    /// Every `config()` call merged, later calls winning.
    pub config: Map<String, Json>,
    /// Not fatal (a var with no value, a warning raised by a macro): `(code, message)`.
    pub warnings: Vec<(String, String)>,
    /// The rendered SQL, each `ref()`/`source()` as a placeholder naming its call
    /// (`__vd_ref_<n>`, `__vd_src_<n>`; `this` is `__vd_this`), for column lineage.
    pub sql: String,
}

/// Why a render failed, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderFailure {
    pub line: u32,
    pub code: &'static str,
    pub message: String,
}

/// The renderer of one load: the Jinja environment with every macro, and what renders share.
pub struct Renderer {
    env: Environment<'static>,
    shared: Arc<Shared>,
    /// A macro named `ref`, `source` or `config` exists: every file is rendered.
    overrides_builtins: bool,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("packages", &self.shared.packages)
            .finish()
    }
}

impl Renderer {
    /// Reads the macros of `projects` (the root first) and prepares rendering for `target`.
    /// Unreadable macro files are problems; the rest still renders.
    pub fn new(projects: &[Project], target: Target, problems: &mut Vec<Problem>) -> Renderer {
        let mut macros: HashMap<String, HashMap<String, MacroDef>> = HashMap::new();
        let mut sources: HashMap<String, String> = HashMap::new();
        for project in projects {
            let table = macros.entry(project.name.clone()).or_default();
            for (rel, text) in project.macro_files(problems) {
                for block in blocks::macros(&text) {
                    let template = format!("{}::{}", project.name, block.name);
                    table.insert(
                        block.name.clone(),
                        MacroDef {
                            template: template.clone(),
                            file: rel.clone(),
                            line: block.line,
                        },
                    );
                    sources.insert(template, block.source);
                }
            }
        }
        let root = &projects[0];
        let shared = Shared {
            packages: projects.iter().map(|p| p.name.clone()).collect(),
            vars: projects.iter().map(|p| p.vars.clone()).collect(),
            cli_vars: Map::new(),
            dispatch: root.dispatch.iter().cloned().collect(),
            macros,
            target_json: target.json(),
            target,
        };
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(200);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.set_loader(move |name| Ok(sources.get(name).cloned()));
        env.add_function("__vd_list", objects::mutable_list);
        env.add_function("__vd_dict", objects::mutable_dict);
        let overrides_builtins = shared.macros.values().any(|m| {
            ["ref", "source", "config"]
                .iter()
                .any(|b| m.contains_key(*b))
        });
        Renderer {
            env,
            shared: Arc::new(shared),
            overrides_builtins,
        }
    }

    /// The target's adapter type (`duckdb`), which decides the SQL dialect.
    pub fn target_kind(&self) -> &str {
        &self.shared.target.kind
    }

    /// Whether `text` must be rendered: its Jinja is more than literal `ref`/`source`/`config`
    /// calls (what `ex` already read), or a macro of the project redefines one of those.
    pub fn needs_render(&self, text: &str, ex: &crate::jinja::Extracted) -> bool {
        !ex.dynamic.is_empty()
            || self.overrides_builtins
            || !crate::jinja::Extracted::is_static(text)
    }

    /// Renders a model, snapshot, analysis or singular test of project `project` (`rel` names
    /// it in problems) and returns what it called.
    pub fn render_node(
        &self,
        project: usize,
        node: &str,
        rel: &str,
        text: &str,
    ) -> Result<Rendered, RenderFailure> {
        let source = blocks::node_source(text);
        let ctx = NodeCtx::new(self.shared.clone(), project, node, Mode::Node);
        let value = ctx.value();
        let result = self.env.render_named_str(rel, &source, value);
        let mut captured = ctx.take();
        match result {
            Ok(sql) => {
                captured.sql = sql;
                Ok(captured)
            }
            Err(e) => Err(failure(&e)),
        }
    }

    /// Renders the Jinja in `project`'s config trees (`+enabled: "{{ var('x', false) }}"`,
    /// `+schema: "prefix_{{ target.name }}"`) as dbt does when it loads `dbt_project.yml`:
    /// command-line vars only, one `{{ expression }}` keeping its type. Hooks stay as written
    /// (they render when they run). A value that cannot be rendered is a located problem and
    /// stays as written.
    pub fn render_project_configs(
        &self,
        project: &mut Project,
        idx: usize,
        problems: &mut Vec<Problem>,
    ) {
        let file = project.rel("dbt_project.yml");
        for tree in project.config_trees_mut() {
            render_tree(tree, &mut |raw| {
                self.render_config_value(idx, raw, true)
                    .map_err(|f| {
                        problems.push(Problem::new(
                            Severity::Error,
                            f.code,
                            &file,
                            0,
                            format!("cannot render `{raw}`: {}", f.message),
                        ))
                    })
                    .ok()
            });
        }
    }

    /// A config value of `dbt_project.yml` (`+enabled: "{{ var('x', false) }}"`) or of a YAML
    /// file, rendered natively as dbt does: one `{{ expression }}` keeps its type (`false` stays
    /// a bool), anything else renders to text. Project files see only command-line vars (and
    /// the call's default); YAML sees the project's vars too.
    pub fn render_config_value(
        &self,
        project: usize,
        raw: &str,
        in_project_file: bool,
    ) -> Result<Json, RenderFailure> {
        let mode = if in_project_file {
            Mode::ProjectFile
        } else {
            Mode::Yaml
        };
        let ctx = NodeCtx::new(self.shared.clone(), project, "", mode);
        let trimmed = raw.trim();
        if let Some(inner) = trimmed
            .strip_prefix("{{")
            .and_then(|s| s.strip_suffix("}}"))
            .filter(|s| !s.contains("{{") && !s.contains("}}"))
        {
            let expr = inner.trim_matches(|c: char| c == '-' || c == '+').trim();
            let compiled = self.env.compile_expression(expr).map_err(|e| failure(&e))?;
            let value = compiled.eval(ctx.value()).map_err(|e| failure(&e))?;
            return Ok(objects::to_json(&value));
        }
        let text = self
            .env
            .render_str(raw, ctx.value())
            .map_err(|e| failure(&e))?;
        Ok(Json::String(text))
    }

    /// Renders every string config value that holds Jinja in `config`, in place. Failures are
    /// returned (the raw value is kept).
    pub fn render_config(
        &self,
        project: usize,
        config: &mut Map<String, Json>,
        in_project_file: bool,
    ) -> Vec<RenderFailure> {
        let mut failures = Vec::new();
        for (key, value) in config.iter_mut() {
            if matches!(
                key.as_str(),
                "pre-hook" | "post-hook" | "pre_hook" | "post_hook"
            ) {
                continue;
            }
            if let Json::String(raw) = value
                && (raw.contains("{{") || raw.contains("{%"))
            {
                match self.render_config_value(project, raw, in_project_file) {
                    Ok(rendered) => *value = rendered,
                    Err(f) => failures.push(f),
                }
            }
        }
        failures
    }
}

/// Replaces every string holding Jinja under `value` (hooks excepted) by what `render` makes
/// of it.
fn render_tree(value: &mut YamlValue, render: &mut dyn FnMut(&str) -> Option<Json>) {
    match value {
        YamlValue::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                let hook = key
                    .as_str()
                    .is_some_and(|k| k.trim_start_matches('+').ends_with("-hook"));
                if !hook {
                    render_tree(item, render);
                }
            }
        }
        YamlValue::Sequence(items) => items.iter_mut().for_each(|i| render_tree(i, render)),
        YamlValue::String(raw) if raw.contains("{{") || raw.contains("{%") => {
            if let Some(json) = render(raw)
                && let Ok(rendered) = serde_yaml_ng::to_value(&json)
            {
                *value = rendered;
            }
        }
        _ => {}
    }
}

fn failure(e: &minijinja::Error) -> RenderFailure {
    let mut message = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.to_string());
    let code = match e.kind() {
        minijinja::ErrorKind::SyntaxError => "jinja_syntax",
        minijinja::ErrorKind::OutOfFuel => "render_budget",
        _ if message.contains("recursion") || message.contains("nested more than") => {
            "macro_recursion"
        }
        _ if message.contains("Env var required") => "env_var_missing",
        _ => "jinja_render",
    };
    if let Some(name) = e.name().filter(|n| n.contains("::")) {
        message = format!("{message} (in macro {})", name.replace("::", "."));
    }
    RenderFailure {
        line: e.line().unwrap_or(0) as u32,
        code,
        message,
    }
}

#[cfg(test)]
mod tests;
