//! The context one render sees, as dbt's parse-time context: names resolve like dbt's macro
//! namespace for a node of package P (P's macros, the root's, package names, then dbt's own
//! context members), and `ref`/`source`/`config`/`var` record into the render's capture.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Rest, Value};
use minijinja::{Error, ErrorKind, State};
use serde_json::Value as Json;

use super::macros::{MacroRef, PackageNs};
use super::members::{Adapter, Builtins, Config, Exceptions, Var};
use super::objects::{Relation, fail, from_json, lenient, to_json};
use super::{MacroDef, Rendered, Shared};
use crate::jinja::{RefCall, SourceCall};

/// Nested macro calls allowed before the render stops with a located problem.
pub(super) const MAX_DEPTH: usize = 48;

/// The error `return()` unwinds a macro with; the value waits in [`NodeCtx::returns`].
const RETURN: &str = "__vibedata_return__";

/// What is being rendered: a node, or a config value of `dbt_project.yml` (command-line vars
/// only) or of a YAML file (the project's vars too, no macros).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Node,
    ProjectFile,
    Yaml,
}

/// One render's context.
#[derive(Debug)]
pub struct NodeCtx {
    pub(super) shared: Arc<Shared>,
    project: usize,
    node: String,
    mode: Mode,
    captured: Mutex<Rendered>,
    /// One slot per macro call in progress, for `return()`.
    pub(super) returns: Mutex<Vec<Option<Value>>>,
    pub(super) depth: AtomicUsize,
}

/// dbt's global-project macros that packages call by bare name; at parse time their text does
/// not matter, so they answer leniently.
const GLOBAL_MACROS: &[&str] = &[
    "current_timestamp",
    "current_timestamp_backcompat",
    "current_timestamp_in_utc_backcompat",
    "snapshot_get_time",
    "type_string",
    "type_timestamp",
    "type_int",
    "type_bigint",
    "type_numeric",
    "type_float",
    "type_boolean",
    "dateadd",
    "datediff",
    "date_trunc",
    "last_day",
    "safe_cast",
    "cast",
    "concat",
    "hash",
    "split_part",
    "listagg",
    "string_literal",
    "escape_single_quotes",
    "right",
    "length",
    "position",
    "replace",
    "any_value",
    "bool_or",
    "array_construct",
    "array_append",
    "array_concat",
    "cast_bool_to_text",
    "except",
    "intersect",
    "date",
    "generate_series",
    "get_intervals_between",
    "generate_schema_name",
    "generate_alias_name",
    "generate_database_name",
    "make_temp_relation",
    "get_where_subquery",
    "get_columns_in_relation",
    "get_columns_in_query",
    "run_hooks",
    "get_relation",
    "load_relation",
    "should_full_refresh",
    "should_store_failures",
    "persist_docs",
    "incremental_validate_on_schema_change",
    "alter_column_type",
    "create_table_as",
    "get_create_table_as_sql",
];

impl NodeCtx {
    pub fn new(shared: Arc<Shared>, project: usize, node: &str, mode: Mode) -> Arc<NodeCtx> {
        Arc::new(NodeCtx {
            shared,
            project,
            node: node.to_string(),
            mode,
            captured: Mutex::new(Rendered::default()),
            returns: Mutex::new(Vec::new()),
            depth: AtomicUsize::new(0),
        })
    }

    /// This context as the value a template renders with.
    pub fn value(self: &Arc<Self>) -> Value {
        Value::from_dyn_object(self.clone())
    }

    /// What the render recorded.
    pub fn take(&self) -> Rendered {
        std::mem::take(&mut *self.captured.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(super) fn package(&self) -> &str {
        self.shared
            .packages
            .get(self.project)
            .map(String::as_str)
            .unwrap_or("")
    }

    pub(super) fn record(&self, f: impl FnOnce(&mut Rendered)) {
        f(&mut self.captured.lock().unwrap_or_else(|p| p.into_inner()));
    }

    pub(super) fn macro_value(self: &Arc<Self>, def: &MacroDef, name: &str) -> Value {
        Value::from_object(MacroRef {
            ctx: self.clone(),
            template: def.template.clone(),
            name: name.to_string(),
        })
    }

    fn function<F>(self: &Arc<Self>, f: F) -> Value
    where
        F: Fn(&Arc<NodeCtx>, &State<'_, '_>, &[Value]) -> Result<Value, Error>
            + Send
            + Sync
            + 'static,
    {
        Value::from_object(Func {
            ctx: self.clone(),
            f: Box::new(f),
        })
    }

    /// `var(name, default)` with dbt's precedence: command-line vars; then (for nodes and YAML)
    /// the root project's vars for the node's package, the root's global vars, the package's
    /// own vars for itself, and its global vars; then the default.
    pub(super) fn var(
        self: &Arc<Self>,
        state: &State<'_, '_>,
        name: &str,
        default: Option<Value>,
    ) -> Result<Value, Error> {
        let found = self.shared.cli_vars.get(name).cloned().or_else(|| {
            if self.mode == Mode::ProjectFile {
                return None;
            }
            let pkg = self.package();
            let root_vars = self.shared.vars.first();
            let own = self.shared.vars.get(self.project);
            fn scoped<'v>(vars: Option<&'v Json>, pkg: &str, name: &str) -> Option<&'v Json> {
                vars.and_then(|v| v.get(pkg)).and_then(|v| v.get(name))
            }
            let is_package = self.shared.packages.iter().any(|p| p == name);
            let global = |vars: Option<&'_ Json>| -> Option<Json> {
                vars.and_then(|v| v.get(name))
                    .filter(|_| !is_package)
                    .cloned()
            };
            let scoped =
                |vars: Option<&'_ Json>| -> Option<Json> { scoped(vars, pkg, name).cloned() };
            scoped(root_vars)
                .or_else(|| global(root_vars))
                .or_else(|| if self.project == 0 { None } else { scoped(own) })
                .or_else(|| if self.project == 0 { None } else { global(own) })
        });
        match found {
            Some(Json::String(raw)) if raw.contains("{{") || raw.contains("{%") => {
                if self.depth.load(Ordering::SeqCst) > MAX_DEPTH {
                    return Err(fail(format!("var('{name}') refers to itself")));
                }
                self.depth.fetch_add(1, Ordering::SeqCst);
                let rendered =
                    state
                        .env()
                        .render_named_str(&format!("var {name}"), &raw, self.value());
                self.depth.fetch_sub(1, Ordering::SeqCst);
                Ok(Value::from(rendered?))
            }
            Some(json) => Ok(from_json(&json)),
            None => match default {
                Some(d) => Ok(d),
                None if self.mode == Mode::Node => {
                    self.record(|c| {
                        c.warnings.push((
                            "var_missing".into(),
                            format!("Required var '{name}' not found in config (dbt parse accepts it; compile and run will fail)"),
                        ))
                    });
                    Ok(Value::from(()))
                }
                None => Err(fail(format!(
                    "Required var '{name}' not found in config: Vars supplied to {} = {{}}",
                    self.package()
                ))),
            },
        }
    }

    pub(super) fn relation(&self, identifier: &str, placeholder: Option<String>) -> Value {
        let t = &self.shared.target;
        Relation::value(&t.database, &t.schema, identifier, placeholder)
    }

    /// dbt's context members (what a macro of the same name would override).
    pub(super) fn builtin(self: &Arc<Self>, name: &str) -> Option<Value> {
        Some(match name {
            "ref" => self.function(|ctx, _, args| {
                let (positional, kwargs) = split(args);
                let text = |v: &Value| v.as_str().map(str::to_string);
                let (package, model) = match positional.as_slice() {
                    [m] => (None, text(m)),
                    [p, m] => (text(p), text(m)),
                    _ => return Err(fail("ref() takes at most two arguments")),
                };
                let model = model.ok_or_else(|| fail("ref() needs a model name"))?;
                let version = kwargs
                    .as_ref()
                    .and_then(|k| {
                        k.get::<Option<Value>>("version")
                            .ok()
                            .flatten()
                            .or_else(|| k.get::<Option<Value>>("v").ok().flatten())
                    })
                    .filter(|v| !v.is_none() && !v.is_undefined())
                    .map(|v| v.to_string());
                let mut at = 0;
                ctx.record(|c| {
                    at = c.refs.len();
                    c.refs.push(RefCall {
                        package,
                        name: model.clone(),
                        version,
                        line: 0,
                    })
                });
                Ok(ctx.relation(&model, Some(format!("__vd_ref_{at}"))))
            }),
            "source" => self.function(|ctx, _, args| {
                let (positional, _) = split(args);
                let [source, table] = positional.as_slice() else {
                    return Err(fail("source() takes exactly two arguments"));
                };
                let (Some(source), Some(table)) = (source.as_str(), table.as_str()) else {
                    return Err(fail("source() takes two names"));
                };
                let mut at = 0;
                ctx.record(|c| {
                    at = c.sources.len();
                    c.sources.push(SourceCall {
                        source: source.to_string(),
                        table: table.to_string(),
                        line: 0,
                    })
                });
                Ok(ctx.relation(table, Some(format!("__vd_src_{at}"))))
            }),
            "config" => Value::from_object(Config { ctx: self.clone() }),
            "var" => Value::from_object(Var { ctx: self.clone() }),
            "env_var" => self.function(|_, _, args| {
                let (positional, _) = split(args);
                let name = positional
                    .first()
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                match (std::env::var(name), positional.get(1)) {
                    (Ok(v), _) => Ok(Value::from(v)),
                    (Err(_), Some(d)) if !d.is_none() => Ok(d.clone()),
                    _ => Err(Error::new(
                        ErrorKind::InvalidOperation,
                        format!("Env var required but not provided: '{name}'"),
                    )),
                }
            }),
            "target" => from_json(self.shared.target_json()),
            "this" => self.relation(&self.node, Some("__vd_this".into())),
            "model" => from_json(&serde_json::json!({
                "name": self.node, "package_name": self.package(),
                "alias": self.node, "schema": self.shared.target.schema,
                "database": self.shared.target.database, "config": {},
            })),
            "execute" | "flags_full_refresh" => Value::from(false),
            "is_incremental" | "should_full_refresh" => {
                self.function(|_, _, _| Ok(Value::from(false)))
            }
            "adapter" => Value::from_object(Adapter { ctx: self.clone() }),
            "return" => self.function(|ctx, _, args| {
                let value = args.first().cloned().unwrap_or(Value::from(()));
                let mut slots = ctx.returns.lock().unwrap_or_else(|p| p.into_inner());
                match slots.last_mut() {
                    Some(slot) => {
                        *slot = Some(value);
                        Err(Error::new(ErrorKind::InvalidOperation, RETURN))
                    }
                    None => Ok(value),
                }
            }),
            "exceptions" => Value::from_object(Exceptions { ctx: self.clone() }),
            "log" | "print" | "statement" | "noop_statement" => {
                self.function(|_, _, _| Ok(Value::from("")))
            }
            "run_query" | "load_result" | "get_relation" => {
                self.function(|_, _, _| Ok(Value::UNDEFINED))
            }
            "fromjson" => self.function(|_, _, args| {
                let text = args.first().and_then(|v| v.as_str()).unwrap_or("null");
                Ok(serde_json::from_str::<Json>(text)
                    .map(|j| from_json(&j))
                    .unwrap_or(Value::from(())))
            }),
            "tojson" => self.function(|_, _, args| {
                Ok(Value::from(
                    args.first()
                        .map(|v| to_json(v).to_string())
                        .unwrap_or_default(),
                ))
            }),
            "fromyaml" => self.function(|_, _, args| {
                let text = args.first().and_then(|v| v.as_str()).unwrap_or("");
                Ok(serde_yaml_ng::from_str::<Json>(text)
                    .map(|j| from_json(&j))
                    .unwrap_or(Value::from(())))
            }),
            "toyaml" => self.function(|_, _, args| {
                let json = args.first().map(to_json).unwrap_or(Json::Null);
                Ok(Value::from(
                    serde_yaml_ng::to_string(&json).unwrap_or_default(),
                ))
            }),
            "set" | "set_strict" => self.function(|_, _, args| {
                let mut seen: Vec<Value> = Vec::new();
                if let Some(items) = args.first().and_then(|v| v.try_iter().ok()) {
                    for item in items {
                        if !seen.contains(&item) {
                            seen.push(item);
                        }
                    }
                }
                Ok(Value::from(seen))
            }),
            "zip" | "zip_strict" => self.function(|_, _, args| {
                let lists: Vec<Vec<Value>> = args
                    .iter()
                    .map(|a| a.try_iter().map(|i| i.collect()).unwrap_or_default())
                    .collect();
                let n = lists.iter().map(Vec::len).min().unwrap_or(0);
                Ok(Value::from(
                    (0..n)
                        .map(|i| {
                            Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>())
                        })
                        .collect::<Vec<_>>(),
                ))
            }),
            "local_md5" => self.function(|_, _, args| {
                use md5::{Digest, Md5};
                let text = args.first().map(|v| v.to_string()).unwrap_or_default();
                Ok(Value::from(format!("{:x}", Md5::digest(text.as_bytes()))))
            }),
            "modules"
            | "flags"
            | "run_started_at"
            | "graph"
            | "invocation_args_dict"
            | "api"
            | "selected_resources"
            | "context" => lenient(),
            "invocation_id" => Value::from("00000000-0000-0000-0000-000000000000"),
            "dbt_version" => Value::from("1.11.0"),
            "project_name" => Value::from(self.shared.root().to_string()),
            "builtins" => Value::from_object(Builtins { ctx: self.clone() }),
            _ => return None,
        })
    }
}

type FuncBody =
    dyn Fn(&Arc<NodeCtx>, &State<'_, '_>, &[Value]) -> Result<Value, Error> + Send + Sync;

/// A context function: called with its arguments as given (keyword arguments included, which
/// it reads itself), like dbt's Python functions that ignore what they do not know.
struct Func {
    ctx: Arc<NodeCtx>,
    f: Box<FuncBody>,
}

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<function>")
    }
}

impl Object for Func {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        (self.f)(&self.ctx, state, args)
    }
}

/// dbt's type macros (`type_string()` …) as their text on the local target, so casts in
/// rendered SQL stay readable for column lineage.
pub(super) fn type_macro(name: &str) -> Option<Value> {
    let text = match name {
        "type_string" => "varchar",
        "type_timestamp" => "timestamp",
        "type_int" => "integer",
        "type_bigint" => "bigint",
        "type_numeric" => "numeric(28,6)",
        "type_float" => "double",
        "type_boolean" => "boolean",
        "current_timestamp" | "current_timestamp_backcompat" | "snapshot_get_time" => {
            "current_timestamp"
        }
        _ => return None,
    };
    Some(Value::from_function(move |_args: Rest<Value>| {
        Ok::<_, Error>(Value::from(text))
    }))
}

/// Positional arguments and the keyword arguments (if any) of a call.
pub(super) fn split(args: &[Value]) -> (Vec<Value>, Option<Kwargs>) {
    match args.split_last() {
        Some((last, rest)) => match Kwargs::try_from(last.clone()) {
            Ok(kwargs) => (rest.to_vec(), Some(kwargs)),
            Err(_) => (args.to_vec(), None),
        },
        None => (Vec::new(), None),
    }
}

impl Object for NodeCtx {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if self.mode == Mode::Node {
            if let Some(def) = self.shared.lookup_macro(self.package(), name) {
                return Some(self.macro_value(def, name));
            }
            if name == "dbt" || self.shared.packages.iter().any(|p| p == name) {
                return Some(Value::from_object(PackageNs {
                    ctx: self.clone(),
                    package: name.to_string(),
                }));
            }
        }
        if let Some(v) = self.builtin(name) {
            return Some(v);
        }
        if self.mode != Mode::Node {
            return None;
        }
        type_macro(name).or_else(|| GLOBAL_MACROS.contains(&name).then(lenient))
    }
}
