//! The small objects dbt's parse-time context hands to Jinja: relations (what `ref()`, `source()`
//! and `this` return), the lenient stand-in for what only exists when dbt runs (`run_query`
//! results, `modules.datetime`, the global project's cross-database macros), and conversions.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, Value};
use minijinja::{Error, ErrorKind, State};
use serde_json::Value as Json;

/// A relation: `database.schema.identifier`, with the attributes macros read.
#[derive(Debug, Clone)]
pub struct Relation {
    pub database: String,
    pub schema: String,
    pub identifier: String,
    /// What it renders as in a node's SQL: the call it came from (`__vd_ref_0`), so column
    /// lineage knows which node each table of the SQL is.
    pub placeholder: Option<String>,
}

impl Relation {
    pub fn value(
        database: &str,
        schema: &str,
        identifier: &str,
        placeholder: Option<String>,
    ) -> Value {
        Value::from_object(Relation {
            database: database.to_string(),
            schema: schema.to_string(),
            identifier: identifier.to_string(),
            placeholder,
        })
    }
}

/// What a relation is, as dbt's `Relation.to_dict()` says it (`_is_relation` checks this).
const RELATION_KEYS: &[&str] = &["database", "schema", "identifier", "metadata", "type"];

impl Object for Relation {
    // A mapping, as dbt's relations are (`obj is mapping and obj.get('metadata')…`).
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "database" => Value::from(self.database.clone()),
            "schema" => Value::from(self.schema.clone()),
            "identifier" | "name" | "table" | "alias" => Value::from(self.identifier.clone()),
            "is_table" | "is_view" | "is_cte" => Value::from(false),
            "type" => Value::from(()),
            "metadata" => from_json(&serde_json::json!({"type": "BaseRelation"})),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(RELATION_KEYS)
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get" => Ok(args
                .first()
                .and_then(|k| self.get_value(k))
                .or_else(|| args.get(1).cloned())
                .unwrap_or_default()),
            // `include(database=False)`, `quote(…)`, `incorporate(…)`: the same relation will do
            // at parse time.
            "include" | "quote" | "incorporate" | "without_identifier" | "render" => {
                Ok(Value::from_dyn_object(self.clone()))
            }
            _ => Ok(lenient()),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.placeholder {
            Some(p) => f.write_str(p),
            None => write!(
                f,
                "\"{}\".\"{}\".\"{}\"",
                self.database, self.schema, self.identifier
            ),
        }
    }
}

/// What dbt only knows while it runs (a query's result, the time, a cross-database macro of the
/// global project): at parse time it renders as nothing, is false, and any attribute, item, call
/// or method of it is again itself — never an error.
#[derive(Debug)]
pub struct Lenient;

/// A fresh [`Lenient`] value.
pub fn lenient() -> Value {
    Value::from_object(Lenient)
}

impl Object for Lenient {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(lenient())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        Ok(lenient())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        _method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        Ok(lenient())
    }

    fn render(self: &Arc<Self>, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

/// A Jinja value as JSON (configs are kept as JSON). Lenient stand-ins become null.
pub fn to_json(value: &Value) -> Json {
    if value.downcast_object_ref::<Lenient>().is_some() || value.is_undefined() {
        return Json::Null;
    }
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// JSON as a Jinja value.
pub fn from_json(json: &Json) -> Value {
    Value::from(Serde(json))
}

/// An error that names what went wrong in dbt's words.
pub fn fail(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// A list `{% set xs = [] %}` made, that `{% do xs.append(x) %}` can grow as in Python (dbt
/// renders with Python's mutable lists; minijinja's are immutable).
#[derive(Debug, Default)]
pub struct MutableList(std::sync::Mutex<Vec<Value>>);

impl MutableList {
    fn items(&self) -> Vec<Value> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Object for MutableList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let i = i64::try_from(key.clone()).ok()?;
        let i = if i < 0 { items.len() as i64 + i } else { i };
        items.get(usize::try_from(i).ok()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.items())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut items = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match (method, args) {
            ("append", [x]) => items.push(x.clone()),
            ("extend", [xs]) => items.extend(xs.try_iter()?),
            ("insert", [i, x]) => {
                let i = usize::try_from(i.clone()).unwrap_or(0).min(items.len());
                items.insert(i, x.clone());
            }
            ("pop", []) => return Ok(items.pop().unwrap_or_default()),
            ("pop", [i]) => {
                let i = usize::try_from(i.clone()).unwrap_or(0);
                return Ok(if i < items.len() {
                    items.remove(i)
                } else {
                    Value::from(())
                });
            }
            ("remove", [x]) => {
                if let Some(i) = items.iter().position(|v| v == x) {
                    items.remove(i);
                }
            }
            ("index", [x]) => {
                return items
                    .iter()
                    .position(|v| v == x)
                    .map(Value::from)
                    .ok_or_else(|| fail(format!("{x} is not in list")));
            }
            ("count", [x]) => return Ok(Value::from(items.iter().filter(|v| *v == x).count())),
            ("reverse", []) => items.reverse(),
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        }
        Ok(Value::from(()))
    }
}

/// A dict `{% set d = {} %}` made, that `update`/`pop`/`setdefault` and `d[k] = …` by
/// `{% do d.update({k: v}) %}` can change as in Python.
#[derive(Debug, Default)]
pub struct MutableDict(std::sync::Mutex<Vec<(Value, Value)>>);

impl MutableDict {
    fn pairs(&self) -> Vec<(Value, Value)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, key: Value, value: Value) {
        let mut pairs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => pairs.push((key, value)),
        }
    }
}

impl Object for MutableDict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.pairs()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.pairs().into_iter().map(|(k, _)| k).collect())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (method, args) {
            ("update", [other]) => {
                for key in other.try_iter()? {
                    let value = other.get_item(&key)?;
                    self.set(key, value);
                }
                Ok(Value::from(()))
            }
            ("setdefault", [key, default]) => match self.get_value(key) {
                Some(v) => Ok(v),
                None => {
                    self.set(key.clone(), default.clone());
                    Ok(default.clone())
                }
            },
            ("pop", [key, rest @ ..]) => {
                let mut pairs = self.0.lock().unwrap_or_else(|p| p.into_inner());
                match pairs.iter().position(|(k, _)| k == key) {
                    Some(i) => Ok(pairs.remove(i).1),
                    None => Ok(rest.first().cloned().unwrap_or_default()),
                }
            }
            ("get", [key, rest @ ..]) => Ok(self
                .get_value(key)
                .or_else(|| rest.first().cloned())
                .unwrap_or_default()),
            ("items", []) => Ok(Value::from(
                self.pairs()
                    .into_iter()
                    .map(|(k, v)| Value::from(vec![k, v]))
                    .collect::<Vec<_>>(),
            )),
            ("keys", []) => Ok(Value::from(
                self.pairs().into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )),
            ("values", []) => Ok(Value::from(
                self.pairs().into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
            )),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `__vd_list(x)`: a mutable copy of a list (anything else is returned as it is).
pub fn mutable_list(value: Value) -> Value {
    if value.kind() == minijinja::value::ValueKind::Seq
        && let Ok(items) = value.try_iter()
    {
        return Value::from_object(MutableList(std::sync::Mutex::new(items.collect())));
    }
    value
}

/// `__vd_dict(x)`: a mutable copy of a dict (anything else is returned as it is).
pub fn mutable_dict(value: Value) -> Value {
    if value.kind() == minijinja::value::ValueKind::Map
        && let Ok(keys) = value.try_iter()
    {
        let pairs = keys
            .map(|k| {
                let v = value.get_item(&k).unwrap_or_default();
                (k, v)
            })
            .collect();
        return Value::from_object(MutableDict(std::sync::Mutex::new(pairs)));
    }
    value
}
