//! dbt's names and `unique_id`s for generic tests, reproduced exactly.
//!
//! dbt (1.11, `dbt/parser/generic_test_builders.py` and `schema_generic_tests.py`) names a generic
//! test from its type, its target and its flattened arguments (`not_null_orders_id`), shortens
//! names of 64+ characters with an MD5, and suffixes the `unique_id` with the last 10 hex digits of
//! the MD5 of the name plus Python's `repr()` of the test metadata with every scalar turned into a
//! string. Python's `str`/`repr` of YAML values is emulated here so the ids match byte for byte.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde_yaml_ng::Value;

/// A generic test's arguments as dbt holds them after its builder ran (`column_name`, `model`, the
/// user's arguments; config keys, `name` and `description` removed). Sorted like Python's `sorted`.
pub type TestArgs = BTreeMap<String, Value>;

/// The names and id dbt gives one generic test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericTestId {
    /// The name used for the node and the `unique_id` (dbt's `fqn_name`).
    pub name: String,
    /// The name used for the compiled file/alias (hashed when the full name has 64+ characters).
    pub short_name: String,
    pub unique_id: String,
}

/// Computes dbt's name and `unique_id` for a generic test.
///
/// `test_type` is the test's name with its namespace joined by `_` (and `source_` prefixed for
/// tests on sources), `target_name` the tested node's name (`<source>_<table>` for sources,
/// `<model>_v<version>` for model versions). `custom_name` is the user's `name:` if given.
pub fn generic_test_id(
    project: &str,
    test_type: &str,
    target_name: &str,
    custom_name: Option<&str>,
    metadata_name: &str,
    namespace: Option<&str>,
    args: &TestArgs,
) -> GenericTestId {
    let (short_name, name) = match custom_name {
        Some(custom) => (custom.to_string(), custom.to_string()),
        None => synthesize_names(test_type, target_name, args),
    };
    let hashable = hashable_metadata(metadata_name, namespace, args);
    let digest = md5_hex(&format!("{name}{hashable}"));
    let unique_id = format!("test.{project}.{name}.{}", &digest[digest.len() - 10..]);
    GenericTestId {
        name,
        short_name,
        unique_id,
    }
}

/// dbt's `synthesize_generic_test_names`: `(short_name, full_name)`.
pub fn synthesize_names(test_type: &str, target_name: &str, args: &TestArgs) -> (String, String) {
    let mut flat = Vec::new();
    for (arg, value) in args {
        if arg == "model" {
            continue;
        }
        match value {
            Value::Mapping(map) => flat.extend(map.values().map(py_str)),
            Value::Sequence(items) => flat.extend(items.iter().map(py_str)),
            other => flat.push(py_str(other)),
        }
    }
    let unique = flat
        .iter()
        .map(|a| clean_identifier(a))
        .collect::<Vec<_>>()
        .join("__");
    let identifier = format!("{test_type}_{target_name}");
    let full = format!("{identifier}_{unique}");
    if full.chars().count() >= 64 {
        let truncated: String = identifier.chars().take(30).collect();
        (format!("{truncated}_{}", md5_hex(&full)), full)
    } else {
        (full.clone(), full)
    }
}

/// `re.sub("[^0-9a-zA-Z_]+", "_", s)`.
fn clean_identifier(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out
}

/// `repr(get_hashable_md({"namespace": …, "name": …, "kwargs": args}))`.
fn hashable_metadata(name: &str, namespace: Option<&str>, args: &TestArgs) -> String {
    let kwargs = args
        .iter()
        .map(|(k, v)| format!("{}: {}", py_repr_str(k), hashable_repr(v)))
        .collect::<Vec<_>>()
        .join(", ");
    let namespace = py_repr_str(namespace.unwrap_or("None"));
    format!(
        "{{'kwargs': {{{kwargs}}}, 'name': {}, 'namespace': {namespace}}}",
        py_repr_str(name)
    )
}

/// `repr(get_hashable_md(value))`: dicts sorted by key, lists kept, every scalar `str()`-ed.
fn hashable_repr(value: &Value) -> String {
    match value {
        Value::Mapping(map) => {
            let mut entries: Vec<(String, &Value)> =
                map.iter().map(|(k, v)| (py_str(k), v)).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let body = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", py_repr_str(k), hashable_repr(v)))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{{{body}}}")
        }
        Value::Sequence(items) => format!(
            "[{}]",
            items
                .iter()
                .map(hashable_repr)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(tagged) => hashable_repr(&tagged.value),
        scalar => py_repr_str(&py_str(scalar)),
    }
}

/// Python's `str()` of a value loaded from YAML.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a value loaded from YAML.
fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => py_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => py_repr_str(s),
        Value::Sequence(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Mapping(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_repr(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(tagged) => py_repr(&tagged.value),
    }
}

/// Python's `repr(float)`.
fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let formatted = format!("{f:e}");
        let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Python's `repr(str)`.
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Lower-case hex MD5 of a UTF-8 string (dbt's `dbt.utils.md5`).
pub fn md5_hex(s: &str) -> String {
    let digest = Md5::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, Value)]) -> TestArgs {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect()
    }

    fn yaml(s: &str) -> Value {
        serde_yaml_ng::from_str(s).unwrap()
    }

    #[test]
    fn names_match_dbts_synthesized_names() {
        let a = args(&[
            ("column_name", yaml("customer_id")),
            ("model", yaml("\"{{ get_where_subquery(ref('orders')) }}\"")),
            ("field", yaml("customer_id")),
            ("to", yaml("ref('customers')")),
        ]);
        assert_eq!(
            synthesize_names("relationships", "orders", &a).1,
            "relationships_orders_customer_id__customer_id__ref_customers_"
        );
        let a = args(&[
            ("column_name", yaml("status")),
            (
                "values",
                yaml("[placed, shipped, completed, return_pending, returned]"),
            ),
        ]);
        let (short, full) = synthesize_names("accepted_values", "orders", &a);
        assert_eq!(
            full,
            "accepted_values_orders_status__placed__shipped__completed__return_pending__returned"
        );
        assert_eq!(
            short,
            format!("accepted_values_orders_{}", md5_hex(&full)),
            "64+ chars are shortened to 30 + md5"
        );
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_repr_str("it's"), "\"it's\"");
        assert_eq!(py_repr_str("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(
            py_repr(&yaml("[1, 2.5, true, null, x]")),
            "[1, 2.5, True, None, 'x']"
        );
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(1e20), "1e+20");
        assert_eq!(py_float(0.00001), "1e-05");
        assert_eq!(
            hashable_repr(&yaml("{b: 1, a: [x, 2]}")),
            "{'a': ['x', '2'], 'b': '1'}"
        );
    }

    #[test]
    fn jaffle_shop_ids_match_the_published_manifest() {
        // From jaffle_shop's manifest (dbt 1.x): test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1
        let a = args(&[
            ("column_name", yaml("customer_id")),
            (
                "model",
                Value::String("{{ get_where_subquery(ref('customers')) }}".into()),
            ),
        ]);
        let id = generic_test_id(
            "jaffle_shop",
            "unique",
            "customers",
            None,
            "unique",
            None,
            &a,
        );
        assert_eq!(
            id.unique_id,
            "test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1"
        );
    }
}
