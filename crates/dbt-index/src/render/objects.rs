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
}

impl Relation {
    pub fn value(database: &str, schema: &str, identifier: &str) -> Value {
        Value::from_object(Relation {
            database: database.to_string(),
            schema: schema.to_string(),
            identifier: identifier.to_string(),
        })
    }
}

impl Object for Relation {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "database" => Value::from(self.database.clone()),
            "schema" => Value::from(self.schema.clone()),
            "identifier" | "name" | "table" | "alias" => Value::from(self.identifier.clone()),
            "is_table" | "is_view" | "is_cte" => Value::from(false),
            "type" => Value::from(()),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            // `include(database=False)`, `quote(…)`, `incorporate(…)`: the same relation will do
            // at parse time.
            "include" | "quote" | "incorporate" | "without_identifier" | "render" => {
                Ok(Value::from_dyn_object(self.clone()))
            }
            _ => Ok(lenient()),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\".\"{}\".\"{}\"",
            self.database, self.schema, self.identifier
        )
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
