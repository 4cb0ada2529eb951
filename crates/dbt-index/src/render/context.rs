//! One render's context and what it records: the capture of `ref`/`source`/`config` calls, the
//! slots of `return()`, the macro depth, `var()` with dbt's precedence, and the small helpers the
//! context's objects share. How names resolve in it is [`super::scope`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use minijinja::value::{Kwargs, Object, ObjectRepr, Rest, Value};
use minijinja::{Error, State};
use serde_json::Value as Json;

use super::objects::{Relation, fail, from_json};
use super::{Rendered, Shared};

/// Nested macro calls allowed before the render stops with a located problem.
pub(super) const MAX_DEPTH: usize = 48;

/// The error `return()` unwinds a macro with; the value waits in [`NodeCtx::returns`].
pub(super) const RETURN: &str = "__vibedata_return__";

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
    pub(super) project: usize,
    pub(super) node: String,
    pub(super) mode: Mode,
    captured: Mutex<Rendered>,
    /// One slot per macro call in progress, for `return()`.
    pub(super) returns: Mutex<Vec<Option<Value>>>,
    pub(super) depth: AtomicUsize,
}

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

    pub(super) fn function<F>(self: &Arc<Self>, f: F) -> Value
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
