//! How names resolve in a render, as in dbt's macro namespace for a node of package P: P's
//! macros, the root's, package names (`dbt_utils`), then dbt's own context members
//! ([`builtin`]: `ref`, `source`, `config`, `var`, `env_var`, `target`, `this`, `adapter`,
//! `return`, …), then dbt's global-project macros as lenient stand-ins.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind};
use serde_json::Value as Json;

use super::context::{Mode, NodeCtx, RETURN, split, type_macro};
use super::macros::{PackageNs, macro_value};
use super::members::{Adapter, Config, Exceptions, Var};
use super::objects::{fail, from_json, lenient, to_json};
use crate::jinja::{RefCall, SourceCall};

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

/// dbt's context members (what a macro of the same name would override).
pub(super) fn builtin(ctx0: &Arc<NodeCtx>, name: &str) -> Option<Value> {
    Some(match name {
        "ref" => ctx0.function(|ctx, _, args| {
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
        "source" => ctx0.function(|ctx, _, args| {
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
        "config" => Value::from_object(Config { ctx: ctx0.clone() }),
        "var" => Value::from_object(Var { ctx: ctx0.clone() }),
        "env_var" => ctx0.function(|_, _, args| {
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
        "target" => from_json(ctx0.shared.target_json()),
        "this" => ctx0.relation(&ctx0.node, Some("__vd_this".into())),
        "model" => from_json(&serde_json::json!({
            "name": ctx0.node, "package_name": ctx0.package(),
            "alias": ctx0.node, "schema": ctx0.shared.target.schema,
            "database": ctx0.shared.target.database, "config": {},
        })),
        "execute" | "flags_full_refresh" => Value::from(false),
        "is_incremental" | "should_full_refresh" => ctx0.function(|_, _, _| Ok(Value::from(false))),
        "adapter" => Value::from_object(Adapter { ctx: ctx0.clone() }),
        "return" => ctx0.function(|ctx, _, args| {
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
        "exceptions" => Value::from_object(Exceptions { ctx: ctx0.clone() }),
        "log" | "print" | "statement" | "noop_statement" => {
            ctx0.function(|_, _, _| Ok(Value::from("")))
        }
        "run_query" | "load_result" | "get_relation" => {
            ctx0.function(|_, _, _| Ok(Value::UNDEFINED))
        }
        "fromjson" => ctx0.function(|_, _, args| {
            let text = args.first().and_then(|v| v.as_str()).unwrap_or("null");
            Ok(serde_json::from_str::<Json>(text)
                .map(|j| from_json(&j))
                .unwrap_or(Value::from(())))
        }),
        "tojson" => ctx0.function(|_, _, args| {
            Ok(Value::from(
                args.first()
                    .map(|v| to_json(v).to_string())
                    .unwrap_or_default(),
            ))
        }),
        "fromyaml" => ctx0.function(|_, _, args| {
            let text = args.first().and_then(|v| v.as_str()).unwrap_or("");
            Ok(serde_yaml_ng::from_str::<Json>(text)
                .map(|j| from_json(&j))
                .unwrap_or(Value::from(())))
        }),
        "toyaml" => ctx0.function(|_, _, args| {
            let json = args.first().map(to_json).unwrap_or(Json::Null);
            Ok(Value::from(
                serde_yaml_ng::to_string(&json).unwrap_or_default(),
            ))
        }),
        "set" | "set_strict" => ctx0.function(|_, _, args| {
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
        "zip" | "zip_strict" => ctx0.function(|_, _, args| {
            let lists: Vec<Vec<Value>> = args
                .iter()
                .map(|a| a.try_iter().map(|i| i.collect()).unwrap_or_default())
                .collect();
            let n = lists.iter().map(Vec::len).min().unwrap_or(0);
            Ok(Value::from(
                (0..n)
                    .map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
                    .collect::<Vec<_>>(),
            ))
        }),
        "local_md5" => ctx0.function(|_, _, args| {
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
        "project_name" => Value::from(ctx0.shared.root().to_string()),
        "builtins" => Value::from_object(Builtins { ctx: ctx0.clone() }),
        _ => return None,
    })
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
                return Some(macro_value(self, def, name));
            }
            if name == "dbt" || self.shared.packages.iter().any(|p| p == name) {
                return Some(Value::from_object(PackageNs {
                    ctx: self.clone(),
                    package: name.to_string(),
                }));
            }
        }
        if let Some(v) = builtin(self, name) {
            return Some(v);
        }
        if self.mode != Mode::Node {
            return None;
        }
        type_macro(name).or_else(|| GLOBAL_MACROS.contains(&name).then(lenient))
    }
}

/// `builtins.ref`, `builtins.source`, `builtins.config`: dbt's own, even when a macro overrides
/// the bare name.
#[derive(Debug)]
struct Builtins {
    ctx: Arc<NodeCtx>,
}

impl Object for Builtins {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        builtin(&self.ctx, key.as_str()?)
    }
}
