//! dbt's own block tags, found before minijinja sees a file: `{% macro %}`, `{% test %}` (a macro
//! named `test_<name>`), `{% materialization %}` and `{% docs %}` (not rendered at parse time) and
//! `{% snapshot %}` (its body is the node). Line numbers are kept: whatever is cut out is replaced
//! by its newlines.

/// A `{% … %}` tag: its byte range, first word, the rest of its text and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'a> {
    pub start: usize,
    pub end: usize,
    pub word: &'a str,
    pub rest: &'a str,
    pub line: u32,
}

/// Every `{% … %}` tag of `src`, skipping Jinja comments and `{% raw %}` blocks.
pub fn tags(src: &str) -> Vec<Tag<'_>> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    let mut in_raw = false;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\n' {
            line += 1;
            i += 1;
            continue;
        }
        if bytes[i] != b'{' {
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            b'#' if !in_raw => {
                let Some(close) = src[i + 2..].find("#}") else {
                    return out;
                };
                line += count_lines(&src[i..i + 2 + close]);
                i += close + 4;
            }
            b'%' => {
                let Some(close) = src[i + 2..].find("%}") else {
                    return out;
                };
                let end = i + 2 + close + 2;
                let inner = src[i + 2..end - 2].trim_matches(|c: char| c == '-' || c == '+');
                let inner = inner.trim();
                let (word, rest) = inner
                    .split_once(|c: char| c.is_whitespace() || c == '(')
                    .map(|(w, r)| (w, r.trim()))
                    .unwrap_or((inner, ""));
                if in_raw {
                    if word == "endraw" {
                        in_raw = false;
                    }
                } else if word == "raw" {
                    in_raw = true;
                } else {
                    out.push(Tag {
                        start: i,
                        end,
                        word,
                        rest,
                        line,
                    });
                }
                line += count_lines(&src[i..end]);
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

fn count_lines(s: &str) -> u32 {
    s.bytes().filter(|b| *b == b'\n').count() as u32
}

/// `s` with everything but its newlines blanked (so lines after it keep their numbers).
pub fn blank(s: &str) -> String {
    s.chars().filter(|c| *c == '\n').collect()
}

/// One macro of a macro file, as its own template source (padded so its lines are the file's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroBlock {
    pub name: String,
    pub line: u32,
    pub source: String,
}

/// The macros of a macro file: `{% macro name(…) %}…{% endmacro %}`, and `{% test name(…) %}`
/// as the macro `test_name`. Materializations and docs blocks are not macros callable at parse
/// time and are left out; so is anything between blocks (dbt keeps only the blocks).
pub fn macros(src: &str) -> Vec<MacroBlock> {
    let tags = tags(src);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tags.len() {
        let open = &tags[i];
        let (end_word, rename) = match open.word {
            "macro" => ("endmacro", None),
            "test" => ("endtest", Some("test_")),
            _ => {
                i += 1;
                continue;
            }
        };
        let Some(j) = (i + 1..tags.len()).find(|&j| tags[j].word == end_word) else {
            break;
        };
        let close = &tags[j];
        let name: String = open
            .rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            let head = match rename {
                Some(prefix) => {
                    let text = &src[open.start..open.end];
                    let at = text.find(open.word).unwrap_or(0);
                    format!(
                        "{}macro {prefix}{}",
                        &text[..at],
                        &text[at + open.word.len()..].trim_start()
                    )
                }
                None => src[open.start..open.end].to_string(),
            };
            let body = mutable_sets(&src[open.end..close.start]);
            let mut source = "\n".repeat(open.line.saturating_sub(1) as usize);
            source.push_str(&head);
            source.push_str(&body);
            source.push_str("{% endmacro %}");
            out.push(MacroBlock {
                name: match rename {
                    Some(prefix) => format!("{prefix}{name}"),
                    None => name,
                },
                line: open.line,
                source,
            });
        }
        i = j + 1;
    }
    out
}

/// A node file's text as minijinja renders it: `{% snapshot x %}`/`{% endsnapshot %}` tags and
/// docs/materialization/test blocks blanked (lines kept).
pub fn node_source(src: &str) -> String {
    let tags = tags(src);
    let mut out = String::with_capacity(src.len());
    let mut at = 0;
    let mut skip_until: Option<&str> = None;
    for tag in &tags {
        if let Some(end) = skip_until {
            if tag.word == end {
                out.push_str(&blank(&src[at..tag.end]));
                at = tag.end;
                skip_until = None;
            }
            continue;
        }
        let cut = match tag.word {
            "snapshot" | "endsnapshot" => true,
            "docs" | "materialization" | "test" => {
                skip_until = Some(match tag.word {
                    "docs" => "enddocs",
                    "materialization" => "endmaterialization",
                    _ => "endtest",
                });
                out.push_str(&src[at..tag.start]);
                at = tag.start;
                continue;
            }
            _ => false,
        };
        if cut {
            out.push_str(&src[at..tag.start]);
            out.push_str(&blank(&src[tag.start..tag.end]));
            at = tag.end;
        }
    }
    if skip_until.is_some() {
        out.push_str(&blank(&src[at..]));
    } else {
        out.push_str(&src[at..]);
    }
    mutable_sets(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_are_cut_with_their_lines_and_tests_renamed() {
        let src = "{# a comment {% macro no() %} #}\n{% set x = 1 %}\n{%- macro one(a, b=2) -%}\n  {{ a }}\n{%- endmacro %}\n\n{% test positive(model, column_name) %}\nselect 1\n{% endtest %}\n{% materialization view, default %}x{% endmaterialization %}";
        let m = macros(src);
        assert_eq!(
            m.iter()
                .map(|m| (m.name.as_str(), m.line))
                .collect::<Vec<_>>(),
            [("one", 3), ("test_positive", 7)]
        );
        assert!(m[0].source.starts_with("\n\n{%- macro one(a, b=2) -%}"));
        assert!(
            m[1].source
                .contains("{% macro test_positive(model, column_name) %}")
        );
        assert!(m[1].source.ends_with("{% endmacro %}"));
    }

    #[test]
    fn snapshot_tags_and_docs_blocks_are_blanked_keeping_lines() {
        let src = "{% snapshot orders %}\n{{ config(unique_key='id') }}\nselect * from {{ ref('a') }}\n{% endsnapshot %}\n{% docs d %}\n{{ ref('no') }}\n{% enddocs %}\nx";
        let out = node_source(src);
        assert_eq!(out.lines().count(), src.lines().count());
        assert!(!out.contains("snapshot") && !out.contains("no"));
        assert!(out.contains("select * from {{ ref('a') }}") && out.ends_with('x'));
    }

    #[test]
    fn raw_blocks_hide_their_tags() {
        let t = tags("{% raw %}{% macro x() %}{% endraw %}{% if a %}");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].word, "if");
    }
}

/// `{% set name = [ … ] %}` and `{% set name = { … } %}` rewritten so the list or dict is
/// mutable (`__vd_list(…)`, `__vd_dict(…)`), as dbt's Python-backed Jinja has them: union macros
/// build their lists with `{% do xs.append(x) %}`. Everything stays on its line.
pub fn mutable_sets(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 64);
    let mut at = 0;
    for tag in tags(src) {
        if tag.word != "set" {
            continue;
        }
        let Some((name, expr)) = tag.rest.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let expr = expr.trim_end_matches(['-', '+']).trim();
        let wrap = match expr.chars().next() {
            Some('[') => "__vd_list",
            Some('{') => "__vd_dict",
            _ => continue,
        };
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let text = &src[tag.start..tag.end];
        let (Some(open), Some(close)) = (text.find(expr), text.rfind("%}")) else {
            continue;
        };
        let tail = &text[open + expr.len()..close];
        out.push_str(&src[at..tag.start]);
        out.push_str(&text[..open]);
        out.push_str(wrap);
        out.push('(');
        out.push_str(expr);
        out.push(')');
        out.push_str(tail);
        out.push_str("%}");
        at = tag.end;
    }
    out.push_str(&src[at..]);
    out
}

#[cfg(test)]
mod mutable_tests {
    #[test]
    fn set_literals_become_mutable_on_the_same_line() {
        let src = "{%- set xs = [] -%}\n{% set d = {'a': 1} %}{% set n = 3 %}{% set ys = xs %}";
        let out = super::mutable_sets(src);
        assert_eq!(
            out,
            "{%- set xs = __vd_list([]) -%}\n{% set d = __vd_dict({'a': 1}) %}{% set n = 3 %}{% set ys = xs %}"
        );
    }
}
