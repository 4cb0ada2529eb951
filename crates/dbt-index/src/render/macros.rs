//! Macros as dbt calls them: one template per macro, run in a state of its own with the calling
//! node's context ([`MacroRef`]); a package's macros by namespace ([`PackageNs`]); the body of a
//! `{% call %}` handed over as text.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use minijinja::value::{Kwargs, Object, ObjectRepr, Rest, Value};
use minijinja::{Error, ErrorKind, State};

use super::MacroDef;
use super::context::{MAX_DEPTH, NodeCtx, split, type_macro};
use super::objects::{fail, lenient};

/// A macro, called in a state of its own with the calling node's context (one template per
/// macro, as dbt keeps one per macro).
#[derive(Debug)]
pub(super) struct MacroRef {
    pub(super) ctx: Arc<NodeCtx>,
    pub(super) template: String,
    pub(super) name: String,
}

impl Object for MacroRef {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let ctx = &self.ctx;
        if ctx.depth.fetch_add(1, Ordering::SeqCst) >= MAX_DEPTH {
            ctx.depth.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "macro {} is nested more than {MAX_DEPTH} deep (recursion?)",
                    self.template.replace("::", ".")
                ),
            ));
        }
        let args = caller_resolved(state, args);
        let result = (|| {
            let template = state.env().get_template(&self.template)?;
            let mut captured = template.render_captured(ctx.value())?;
            ctx.returns
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(None);
            let called = captured.with_state_mut(|s| match s.lookup(&self.name) {
                Some(m) => m.call(s, &args),
                None => Err(fail(format!("macro {} is not defined", self.name))),
            });
            let returned = ctx
                .returns
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .flatten();
            match (returned, called) {
                (Some(value), _) => Ok(value),
                (None, Ok(value)) => Ok(value),
                (None, Err(e)) => Err(e),
            }
        })();
        ctx.depth.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<macro {}>", self.template.replace("::", "."))
    }
}

/// A `caller` (the body of a `{% call %}` block) belongs to the calling state and cannot be
/// called from the macro's own: its text is rendered now and handed over instead.
fn caller_resolved(state: &mut State<'_, '_>, args: &[Value]) -> Vec<Value> {
    let (positional, kwargs) = split(args);
    let Some(kwargs) = kwargs else {
        return args.to_vec();
    };
    if !kwargs.has("caller") {
        return args.to_vec();
    }
    let mut pairs: Vec<(String, Value)> = Vec::new();
    for key in kwargs.args() {
        let value: Value = kwargs.get(key).unwrap_or(Value::UNDEFINED);
        if key == "caller" {
            let text = value
                .call(state, &[])
                .map(|v| v.to_string())
                .unwrap_or_default();
            pairs.push((
                key.to_string(),
                Value::from_function(move |_args: Rest<Value>| {
                    Ok::<_, Error>(Value::from_safe_string(text.clone()))
                }),
            ));
        } else {
            pairs.push((key.to_string(), value));
        }
    }
    let mut out = positional;
    out.push(Value::from(pairs.into_iter().collect::<Kwargs>()));
    out
}

/// A package by name (`dbt_utils`): its macros as attributes and methods.
#[derive(Debug)]
pub(super) struct PackageNs {
    pub(super) ctx: Arc<NodeCtx>,
    pub(super) package: String,
}

impl PackageNs {
    fn lookup(&self, name: &str) -> Option<Value> {
        match self
            .ctx
            .shared
            .macros
            .get(&self.package)
            .and_then(|m| m.get(name))
        {
            Some(def) => Some(macro_value(&self.ctx, def, name)),
            // dbt's own macros are not read here: they answer leniently (types as text).
            None if self.package == "dbt" => type_macro(name).or_else(|| Some(lenient())),
            None => None,
        }
    }
}

impl Object for PackageNs {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.lookup(key.as_str()?)
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match self.lookup(method) {
            Some(m) => m.call(state, args),
            None => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("'{}' is undefined in package {}", method, self.package),
            )),
        }
    }
}

/// A macro as a value, bound to the calling node's context.
pub(super) fn macro_value(ctx: &Arc<NodeCtx>, def: &MacroDef, name: &str) -> Value {
    Value::from_object(MacroRef {
        ctx: ctx.clone(),
        template: def.template.clone(),
        name: name.to_string(),
    })
}
