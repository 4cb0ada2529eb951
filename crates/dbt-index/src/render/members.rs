//! The members of dbt's context that are objects: `config`, `var`, `adapter` (with dbt's
//! dispatch search order) and `exceptions`.

use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};
use serde_json::Value as Json;

use super::context::{NodeCtx, split};
use super::macros::macro_value;
use super::objects::{fail, lenient, to_json};

/// `config(…)`, `config.get(…)`, `config.set(…)`: calls are recorded, reads answer "" as at
/// parse time.
#[derive(Debug)]
pub(super) struct Config {
    pub(super) ctx: Arc<NodeCtx>,
}

impl Config {
    fn merge(&self, entries: Vec<(String, Json)>) {
        self.ctx.record(|c| {
            for (key, value) in entries {
                let key = match key.as_str() {
                    "pre_hook" => "pre-hook".to_string(),
                    "post_hook" => "post-hook".to_string(),
                    _ => key,
                };
                c.config.insert(key, value);
            }
        });
    }
}

impl Object for Config {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (positional, kwargs) = split(args);
        let mut entries = Vec::new();
        if let Some(Json::Object(map)) = positional.first().map(to_json) {
            entries.extend(map);
        }
        if let Some(kwargs) = kwargs {
            for key in kwargs.args() {
                let value: Value = kwargs.get(key).unwrap_or(Value::UNDEFINED);
                entries.push((key.to_string(), to_json(&value)));
            }
        }
        self.merge(entries);
        Ok(Value::from(""))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "set" => {
                let (positional, _) = split(args);
                if let [key, value] = positional.as_slice() {
                    self.merge(vec![(key.to_string(), to_json(value))]);
                }
                Ok(Value::from(""))
            }
            _ => Ok(Value::from("")),
        }
    }
}

/// `var(name, default)` and `var.has_var(name)`.
#[derive(Debug)]
pub(super) struct Var {
    pub(super) ctx: Arc<NodeCtx>,
}

impl Object for Var {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (positional, _) = split(args);
        let name = positional
            .first()
            .and_then(|v| v.as_str())
            .ok_or_else(|| fail("var() needs a name"))?
            .to_string();
        self.ctx.var(state, &name, positional.get(1).cloned())
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "has_var" => {
                let name = args
                    .first()
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let found = self.ctx.var(state, &name, Some(Value::UNDEFINED))?;
                Ok(Value::from(!found.is_undefined()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `adapter`: `dispatch` searches as dbt does; what reads the warehouse answers as at parse time.
#[derive(Debug)]
pub(super) struct Adapter {
    pub(super) ctx: Arc<NodeCtx>,
}

impl Adapter {
    /// dbt's dispatch: for each package of the search order, each adapter type then `default`.
    fn dispatch(&self, name: &str, namespace: Option<&str>) -> Result<Value, Error> {
        let shared = &self.ctx.shared;
        let mut prefixes = shared.target.adapter_types();
        prefixes.push("default".into());
        let found = match namespace {
            None => prefixes.iter().find_map(|p| {
                let full = format!("{p}__{name}");
                shared
                    .lookup_macro(self.ctx.package(), &full)
                    .map(|def| macro_value(&self.ctx, def, &full))
            }),
            Some(ns) => {
                let order = shared
                    .dispatch
                    .get(ns)
                    .cloned()
                    .unwrap_or_else(|| vec![shared.root().to_string(), ns.to_string()]);
                order.iter().find_map(|pkg| {
                    prefixes.iter().find_map(|p| {
                        let full = format!("{p}__{name}");
                        shared
                            .macros
                            .get(pkg)
                            .and_then(|m| m.get(&full))
                            .map(|def| macro_value(&self.ctx, def, &full))
                    })
                })
            }
        };
        match (found, namespace) {
            (Some(m), _) => Ok(m),
            // dbt's own macros (and packages not installed) are not read here.
            (None, None | Some("dbt")) => Ok(lenient()),
            (None, Some(ns)) if !shared.packages.iter().any(|p| p == ns) => Ok(lenient()),
            (None, Some(ns)) => Err(fail(format!(
                "In dispatch: No macro named '{name}' found within namespace: '{ns}'\n    Searched for: {}",
                prefixes
                    .iter()
                    .map(|p| format!("'{ns}.{p}__{name}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

impl Object for Adapter {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (positional, kwargs) = split(args);
        match method {
            "dispatch" => {
                let name = positional
                    .first()
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| fail("adapter.dispatch() needs a macro name"))?;
                let ns = positional
                    .get(1)
                    .cloned()
                    .or_else(|| {
                        kwargs
                            .and_then(|k| k.get::<Option<Value>>("macro_namespace").ok().flatten())
                    })
                    .filter(|v| !v.is_none() && !v.is_undefined())
                    .map(|v| v.to_string());
                self.dispatch(name, ns.as_deref())
            }
            "quote" => Ok(Value::from(format!(
                "\"{}\"",
                positional
                    .first()
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            ))),
            "type" => Ok(Value::from(self.ctx.shared.target.kind.clone())),
            "get_columns_in_relation" | "get_missing_columns" => {
                Ok(Value::from(Vec::<Value>::new()))
            }
            // No warehouse at parse time: no relation is found.
            "get_relation" | "load_relation" | "get_relations_by_pattern" => Ok(Value::from(())),
            "check_schema_exists" => Ok(Value::from(false)),
            _ => Ok(lenient()),
        }
    }
}

/// `exceptions.raise_compiler_error(msg)` fails the render with dbt's message; `warn` records.
#[derive(Debug)]
pub(super) struct Exceptions {
    pub(super) ctx: Arc<NodeCtx>,
}

impl Object for Exceptions {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let message = args.first().map(|v| v.to_string()).unwrap_or_default();
        match method {
            "warn" => {
                self.ctx
                    .record(|c| c.warnings.push(("dbt_warning".into(), message)));
                Ok(Value::from(""))
            }
            _ => Err(fail(format!("Compilation Error: {message}"))),
        }
    }
}
