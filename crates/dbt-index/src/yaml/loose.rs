//! YAML read as dbt reads it: a key written twice in one mapping keeps its last value (dbt warns
//! with `DuplicateYAMLKeysDeprecation`; a strict reader rejects the whole file and loses every
//! source and column in it). Tags (`!something value`) are read as their value.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_yaml_ng::{Mapping, Number, Value};

/// A YAML document and the keys written twice in it (each once, in order of appearance).
pub struct Loose {
    pub value: Value,
    pub duplicates: Vec<String>,
}

impl Loose {
    fn plain(value: Value) -> Loose {
        Loose {
            value,
            duplicates: Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Loose, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose::plain(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::plain(Value::Number(Number::from(v))))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::plain(Value::Number(Number::from(v))))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose::plain(Value::Number(Number::from(v))))
    }

    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::plain(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::plain(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::plain(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Loose, E> {
        Ok(Loose::plain(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        Loose::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        let mut duplicates = Vec::new();
        while let Some(item) = seq.next_element::<Loose>()? {
            items.push(item.value);
            duplicates.extend(item.duplicates);
        }
        Ok(Loose {
            value: Value::Sequence(items),
            duplicates,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        let mut out = Mapping::new();
        let mut duplicates = Vec::new();
        while let Some(key) = map.next_key::<Loose>()? {
            let value = map.next_value::<Loose>()?;
            duplicates.extend(key.duplicates);
            duplicates.extend(value.duplicates);
            if out.contains_key(&key.value) {
                let name = match &key.value {
                    Value::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                if !duplicates.contains(&name) {
                    duplicates.push(name);
                }
            }
            // The last value wins, as in dbt (a Python dict).
            out.insert(key.value, value.value);
        }
        Ok(Loose {
            value: Value::Mapping(out),
            duplicates,
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Loose, A::Error> {
        // A tagged value (`!tag value`): its value.
        let (_tag, variant) = data.variant::<String>()?;
        de::VariantAccess::newtype_variant::<Loose>(variant)
    }
}

/// Reads `text` keeping the last of duplicate keys; a syntax error is serde_yaml_ng's.
pub fn from_str(text: &str) -> Result<Loose, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str(text)
}

/// The line of the second `key:` written in `text` (where the duplicate is), if found.
pub fn duplicate_line(text: &str, key: &str) -> u32 {
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ").trim_start();
        let k = t.trim_start_matches(['"', '\'']);
        if k.starts_with(key)
            && k[key.len()..]
                .trim_start_matches(['"', '\''])
                .starts_with(':')
        {
            seen += 1;
            if seen == 2 {
                return i as u32 + 1;
            }
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_of_duplicate_keys_wins_and_is_reported() {
        let text = "models:\n  - name: a\n    columns:\n      - name: id\n        data_type: int\n        data_type: bigint\n";
        let loose = from_str(text).unwrap();
        assert_eq!(
            loose.value["models"][0]["columns"][0]["data_type"],
            Value::String("bigint".into())
        );
        assert_eq!(loose.duplicates, ["data_type"]);
        assert_eq!(duplicate_line(text, "data_type"), 6);
        assert!(from_str("a: [unclosed\n").is_err());
    }
}
