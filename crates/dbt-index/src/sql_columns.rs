//! The output columns of a model's final `select`, when they can be read without rendering:
//! used to flag YAML columns (and their tests) that the SQL does not produce.
//!
//! Deliberately conservative: `*`, Jinja inside the select list, or anything it cannot follow
//! gives `None` (unknown), never a false "missing column".

/// Lower-cased output column names of the last top-level `select`, or `None` when unknown.
pub fn output_columns(sql: &str) -> Option<Vec<String>> {
    output_columns_typed(sql).map(|cols| cols.into_iter().map(|(name, _)| name).collect())
}

/// [`output_columns`] with each column's type when the SQL states it (`cast(x as int) as n`,
/// `x::decimal(18,2) as n`); lower-cased.
pub fn output_columns_typed(sql: &str) -> Option<Vec<(String, Option<String>)>> {
    let text = mask(sql)?;
    let bytes = text.as_bytes();
    // Find the last `select` at paren depth 0, then its `from` at depth 0.
    let mut depth = 0i32;
    let mut last_select = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0 && word_at(bytes, i, "select") => last_select = Some(i + 6),
            _ => {}
        }
        i += 1;
    }
    let start = last_select?;
    let mut end = bytes.len();
    depth = 0;
    let mut j = start;
    while j < bytes.len() {
        match bytes[j] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    end = j;
                    break;
                }
            }
            _ if depth == 0 && word_at(bytes, j, "from") => {
                end = j;
                break;
            }
            _ => {}
        }
        j += 1;
    }
    let list = text[start..end].trim();
    let list = strip_word(list, "distinct");
    if list.is_empty() || list.contains('\u{1}') {
        return None;
    }
    let mut columns = Vec::new();
    for item in split_top_level(list) {
        let item = item.trim();
        if item.ends_with('*') || item.is_empty() {
            return None;
        }
        let (alias, data_type) = match rfind_word(item, "as") {
            Some(pos) => (item[pos + 2..].trim(), stated_type(item[..pos].trim())),
            None => (
                item.rsplit(|c: char| c.is_whitespace() || c == '.')
                    .next()
                    .unwrap_or(item),
                None,
            ),
        };
        let alias = alias.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
        if alias.is_empty() || !alias.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        columns.push((alias.to_ascii_lowercase(), data_type));
    }
    Some(columns)
}

/// Replaces comments, string literals and Jinja with neutral text of the same length
/// (`\u{1}` for Jinja, which makes a select list unknown); `None` if the text is odd.
fn mask(sql: &str) -> Option<String> {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = &sql[i..];
        if rest.starts_with("{{") || rest.starts_with("{%") || rest.starts_with("{#") {
            let close = match &rest[1..2] {
                "{" => "}}",
                "%" => "%}",
                _ => "#}",
            };
            let len = rest[2..].find(close).map(|p| p + 4)?;
            if close == "#}" {
                out.push(' ');
            } else {
                out.push('\u{1}');
            }
            while chars.peek().is_some_and(|(j, _)| *j < i + len) {
                chars.next();
            }
        } else if rest.starts_with("--") {
            while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                chars.next();
            }
            out.push(' ');
        } else if rest.starts_with("/*") {
            let len = rest.find("*/").map(|p| p + 2)?;
            while chars.peek().is_some_and(|(j, _)| *j < i + len) {
                chars.next();
            }
            out.push(' ');
        } else if c == '\'' {
            out.push_str("''");
            for (_, n) in chars.by_ref() {
                if n == '\'' {
                    break;
                }
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    Some(out)
}

/// The type an expression is cast to as a whole (`cast(… as t)`, `try_cast(… as t)`, `…::t`).
fn stated_type(expr: &str) -> Option<String> {
    let bytes = expr.as_bytes();
    let mut depth = 0;
    let mut last_colons = None;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => last_colons = Some(i),
            _ => {}
        }
    }
    let data_type = if let Some(i) = last_colons {
        expr[i + 2..].trim()
    } else {
        let inner = ["cast(", "try_cast("]
            .iter()
            .find_map(|f| expr.strip_prefix(f))?
            .strip_suffix(')')?;
        // The closing paren must be the cast's own: the inner text is balanced.
        let mut depth = 0i32;
        for b in inner.bytes() {
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return None;
            }
        }
        inner[rfind_word(inner, "as")? + 2..].trim()
    };
    let plain = |c: char| c.is_alphanumeric() || " _(),.".contains(c);
    (!data_type.is_empty() && data_type.chars().all(plain)).then(|| data_type.to_owned())
}

fn word_at(bytes: &[u8], i: usize, word: &str) -> bool {
    let w = word.as_bytes();
    bytes.len() >= i + w.len()
        && &bytes[i..i + w.len()] == w
        && (i == 0 || !is_word(bytes[i - 1]))
        && bytes.get(i + w.len()).is_none_or(|b| !is_word(*b))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn strip_word<'a>(s: &'a str, word: &str) -> &'a str {
    if word_at(s.as_bytes(), 0, word) {
        s[word.len()..].trim_start()
    } else {
        s
    }
}

fn rfind_word(s: &str, word: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0;
    let mut found = None;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0 && word_at(bytes, i, word) => found = Some(i),
            _ => {}
        }
    }
    found
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_aliases_of_the_final_select() {
        let sql = "with a as (select x, y from {{ ref('t') }})\n-- comment, with commas\nselect\n  a.x as id,\n  cast(y as int) as amount,\n  lower(z) as \"Name\",\n  w\nfrom a";
        assert_eq!(output_columns(sql).unwrap(), ["id", "amount", "name", "w"]);
    }

    #[test]
    fn stated_types_are_read_from_casts() {
        let sql = "select a.x as id, cast(y as int) as amount, z::decimal(18, 2) as price, \
                   try_cast(d as date) as day, cast(a as int) + cast(b as int) as total, \
                   coalesce(cast(c as int), 0) as c, w from a";
        let typed = output_columns_typed(sql).unwrap();
        let types: Vec<(&str, Option<&str>)> = typed
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_deref()))
            .collect();
        assert_eq!(
            types,
            [
                ("id", None),
                ("amount", Some("int")),
                ("price", Some("decimal(18, 2)")),
                ("day", Some("date")),
                ("total", None),
                ("c", None),
                ("w", None),
            ]
        );
    }

    #[test]
    fn star_and_jinja_lists_are_unknown() {
        assert_eq!(output_columns("select * from {{ ref('a') }}"), None);
        assert_eq!(output_columns("select a.*, b from t"), None);
        assert_eq!(
            output_columns("select {% for c in cols %}{{ c }},{% endfor %} 1 as x from t"),
            None
        );
        assert_eq!(output_columns("{{ dbt_utils.star(ref('a')) }}"), None);
    }

    #[test]
    fn odd_text_gives_unknown_or_the_right_columns() {
        // Each case returns (no panic) and gives exactly this: `None` wherever the list cannot be
        // read with certainty, never a guessed column.
        let cases: Vec<(&str, Option<Vec<&str>>)> = vec![
            ("", None),                                // no select at all
            ("select", None),                          // empty select list
            ("select from", None),                     // empty select list before `from`
            ("(((", None),                             // no select at all
            ("select a as", None),                     // alias missing after `as`
            ("select 'unterminated", None),            // a string literal is not a column name
            ("{{", None),                              // unclosed Jinja: the text is odd
            ("/* unterminated", None),                 // unclosed comment: the text is odd
            ("select a, from t", None),                // an empty item after a trailing comma
            ("select a) from t", Some(vec!["a"])),     // a stray `)` ends the list
            ("select é as ü from t", Some(vec!["ü"])), // non-ASCII names, sliced on char boundaries
        ];
        for (sql, want) in cases {
            let want: Option<Vec<String>> =
                want.map(|cols| cols.into_iter().map(str::to_string).collect());
            assert_eq!(output_columns(sql), want, "output_columns({sql:?})");
        }
    }
}
