//! Syntax colours for the file view: one line at a time, for SQL with Jinja and for YAML. Small on
//! purpose (keywords, strings, comments, numbers, Jinja tags, YAML keys); text is never markup.

/// What a piece of a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Plain,
    Keyword,
    Str,
    Comment,
    Number,
    Jinja,
    Key,
}

impl Tok {
    pub fn class(self) -> &'static str {
        match self {
            Tok::Plain => "tok",
            Tok::Keyword => "tok tok-kw",
            Tok::Str => "tok tok-str",
            Tok::Comment => "tok tok-com",
            Tok::Number => "tok tok-num",
            Tok::Jinja => "tok tok-jinja",
            Tok::Key => "tok tok-key",
        }
    }
}

const SQL_KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "join",
    "left",
    "right",
    "inner",
    "outer",
    "full",
    "cross",
    "on",
    "as",
    "with",
    "group",
    "by",
    "order",
    "having",
    "limit",
    "union",
    "all",
    "distinct",
    "case",
    "when",
    "then",
    "else",
    "end",
    "and",
    "or",
    "not",
    "null",
    "is",
    "in",
    "cast",
    "over",
    "partition",
    "asc",
    "desc",
    "between",
    "like",
    "exists",
    "coalesce",
    "count",
    "sum",
    "true",
    "false",
    "using",
    "qualify",
];

/// The pieces of one line of `path` (by its extension), in order; joined, they are the line.
pub fn line(path: &str, text: &str) -> Vec<(Tok, String)> {
    if path.ends_with(".yml") || path.ends_with(".yaml") {
        yaml(text)
    } else if path.ends_with(".sql") {
        sql(text)
    } else {
        vec![(Tok::Plain, text.to_string())]
    }
}

fn push(out: &mut Vec<(Tok, String)>, tok: Tok, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some((last, s)) if *last == tok => s.push_str(text),
        _ => out.push((tok, text.to_string())),
    }
}

fn sql(text: &str) -> Vec<(Tok, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with("--") {
            push(&mut out, Tok::Comment, rest);
            break;
        }
        if let Some(open) = ["{{", "{%", "{#"].iter().find(|o| rest.starts_with(**o)) {
            let close = match *open {
                "{{" => "}}",
                "{%" => "%}",
                _ => "#}",
            };
            let end = rest.find(close).map(|i| i + 2).unwrap_or(rest.len());
            push(&mut out, Tok::Jinja, &rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if c == '\'' {
            let end = rest[1..].find('\'').map(|i| i + 2).unwrap_or(rest.len());
            push(&mut out, Tok::Str, &rest[..end]);
            rest = &rest[end..];
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            let tok = if SQL_KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
                Tok::Keyword
            } else {
                Tok::Plain
            };
            push(&mut out, tok, word);
            rest = &rest[end..];
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                .unwrap_or(rest.len());
            push(&mut out, Tok::Number, &rest[..end]);
            rest = &rest[end..];
        } else {
            push(&mut out, Tok::Plain, &rest[..c.len_utf8()]);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn yaml(text: &str) -> Vec<(Tok, String)> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('#') {
        return vec![(Tok::Comment, text.to_string())];
    }
    let indent = &text[..text.len() - trimmed.len()];
    let (lead, body) = match trimmed.strip_prefix("- ") {
        Some(body) => (format!("{indent}- "), body),
        None => (indent.to_string(), trimmed),
    };
    let mut out = Vec::new();
    push(&mut out, Tok::Plain, &lead);
    match body.split_once(':') {
        Some((key, value)) if !key.contains(' ') || key.starts_with('"') => {
            push(&mut out, Tok::Key, key);
            push(&mut out, Tok::Plain, ":");
            let v = value.trim_start();
            push(&mut out, Tok::Plain, &value[..value.len() - v.len()]);
            let tok = if v.contains("{{") || v.contains("{%") {
                Tok::Jinja
            } else if v.starts_with('"') || v.starts_with('\'') {
                Tok::Str
            } else if v.parse::<f64>().is_ok() {
                Tok::Number
            } else {
                Tok::Plain
            };
            push(&mut out, tok, v);
        }
        _ => push(&mut out, Tok::Plain, body),
    }
    out
}
