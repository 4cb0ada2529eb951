//! Static extraction of `ref()`, `source()` and `config()` calls from dbt's Jinja SQL and from
//! Python models, without rendering anything.
//!
//! Only text inside `{{ … }}` and `{% … %}` is Jinja: a `ref('x')` in plain SQL (a string literal,
//! a SQL comment outside braces) is not a call, nor is one inside a Jinja comment `{# … #}`, a
//! `{% raw %}` block or a Jinja string literal. Calls whose arguments are not literals (a variable,
//! a concatenation) cannot be resolved statically and are reported as [`Extracted::dynamic`].

use serde_json::{Map, Value};

/// A `ref()` call with literal arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefCall {
    /// The package of a two-argument `ref('package', 'model')`.
    pub package: Option<String>,
    pub name: String,
    /// `version=` / `v=`, as dbt stores it (the text of the literal).
    pub version: Option<String>,
    pub line: u32,
}

/// A `source()` call with literal arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCall {
    pub source: String,
    pub table: String,
    pub line: u32,
}

/// A `{% snapshot name %}` (or other named) block opened in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: String,
    pub name: String,
    pub line: u32,
}

/// Everything the extractor found in one file.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Extracted {
    pub refs: Vec<RefCall>,
    pub sources: Vec<SourceCall>,
    /// Keyword arguments of every `config()` call with literal values, later calls winning.
    pub config: Map<String, Value>,
    /// Calls that cannot be resolved without rendering: `(function, line)`.
    pub dynamic: Vec<(String, u32)>,
    pub blocks: Vec<Block>,
    /// Line of a `{{`, `{%` or `{#` that is never closed.
    pub unterminated: Option<u32>,
}

impl Extracted {
    /// Takes what rendering recorded in place of what was read statically: only the branches
    /// dbt renders, loops and vars resolved, calls inside macros followed. A call keeps the line
    /// of the literal call it matches (or of the file's first line).
    pub fn adopt(
        &mut self,
        refs: Vec<RefCall>,
        sources: Vec<SourceCall>,
        config: Map<String, Value>,
    ) {
        let ref_line = |r: &RefCall| {
            self.refs
                .iter()
                .find(|s| s.name == r.name && s.package == r.package)
                .map_or(1, |s| s.line)
        };
        let refs = refs
            .into_iter()
            .map(|r| RefCall {
                line: ref_line(&r),
                ..r
            })
            .collect();
        let source_line = |c: &SourceCall| {
            self.sources
                .iter()
                .find(|s| s.source == c.source && s.table == c.table)
                .map_or(1, |s| s.line)
        };
        let sources = sources
            .into_iter()
            .map(|c| SourceCall {
                line: source_line(&c),
                ..c
            })
            .collect();
        self.refs = refs;
        self.sources = sources;
        self.config = config;
        self.dynamic.clear();
    }

    /// Whether the file's Jinja is nothing but `ref`/`source`/`config` calls with literal
    /// arguments (and comments): then this reading is what rendering would record.
    pub fn is_static(src: &str) -> bool {
        if src.contains("{%") {
            return false;
        }
        let mut rest = src;
        while let Some(open) = rest.find("{{") {
            let Some(close) = rest[open..].find("}}") else {
                return false;
            };
            let expr = rest[open + 2..open + close].trim_matches(|c: char| c == '-' || c == '+');
            let expr = expr.trim();
            let Some(args) = ["ref(", "source(", "config("]
                .iter()
                .find_map(|f| expr.strip_prefix(f))
                .and_then(|a| a.strip_suffix(')'))
            else {
                return false;
            };
            // Literal arguments only: no call, variable or operator outside quotes.
            let mut quote: Option<char> = None;
            for c in args.chars() {
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == '\'' || c == '"' => quote = Some(c),
                    None if c.is_alphanumeric() || " _,=.-[]{}:\n".contains(c) => {}
                    None => return false,
                }
            }
            // A bare word as a value is a variable unless it is a literal.
            let unquoted: String = {
                let mut out = String::new();
                let mut q: Option<char> = None;
                for c in args.chars() {
                    match q {
                        Some(x) if c == x => q = None,
                        Some(_) => {}
                        None if c == '\'' || c == '"' => q = Some(c),
                        None => out.push(c),
                    }
                }
                out
            };
            let variable = unquoted
                .split(|c: char| " ,[]{}:\n".contains(c))
                .filter_map(|part| part.split_once('=').map_or(Some(part), |(_, v)| Some(v)))
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .any(|w| {
                    !(w.parse::<f64>().is_ok()
                        || matches!(w, "true" | "false" | "True" | "False" | "none" | "None"))
                });
            if variable {
                return false;
            }
            rest = &rest[open + close + 2..];
        }
        true
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(String),
    Num(&'a str),
    Punct(u8),
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok<'a>,
    line: u32,
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Self {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn starts_with(&self, pat: &[u8]) -> bool {
        self.bytes[self.pos..].starts_with(pat)
    }

    fn bump(&mut self) {
        if self.bytes[self.pos] == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
    }

    /// Moves to just past the next occurrence of `pat`; false (at the end) when there is none.
    fn skip_past(&mut self, pat: &[u8]) -> bool {
        while self.pos < self.bytes.len() {
            if self.starts_with(pat) {
                self.pos += pat.len();
                return true;
            }
            self.bump();
        }
        false
    }

    /// Reads a quoted string starting at the opening quote; handles escapes and, for Python,
    /// triple quotes.
    fn string(&mut self, python: bool) -> String {
        let quote = self.bytes[self.pos];
        let triple = python && self.at(1) == Some(quote) && self.at(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        let mut out = Vec::new();
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if b == b'\\' && self.pos + 1 < self.bytes.len() {
                let next = self.bytes[self.pos + 1];
                out.push(match next {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    other => other,
                });
                self.bump();
                self.bump();
                continue;
            }
            if b == quote && (!triple || (self.at(1) == Some(quote) && self.at(2) == Some(quote))) {
                self.pos += if triple { 3 } else { 1 };
                break;
            }
            if b == b'\n' && !triple && !python {
                // Jinja strings may span lines; keep counting them.
            }
            out.push(b);
            self.bump();
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Tokens up to (and past) `close`, or to the end of input for Python (`close` empty).
    /// Returns whether `close` was found.
    fn tokens(&mut self, close: &[u8], python: bool, out: &mut Vec<Token<'a>>) -> bool {
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if !close.is_empty() && self.starts_with(close) {
                self.pos += close.len();
                return true;
            }
            let line = self.line;
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(),
                b'#' if python => {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'\'' | b'"' => {
                    let s = self.string(python);
                    out.push(Token {
                        tok: Tok::Str(s),
                        line,
                    });
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let start = self.pos;
                    while self.pos < self.bytes.len()
                        && (self.bytes[self.pos].is_ascii_alphanumeric()
                            || self.bytes[self.pos] == b'_')
                    {
                        self.pos += 1;
                    }
                    out.push(Token {
                        tok: Tok::Ident(&self.src[start..self.pos]),
                        line,
                    });
                }
                b'0'..=b'9' => {
                    let start = self.pos;
                    while self.pos < self.bytes.len()
                        && (self.bytes[self.pos].is_ascii_digit() || self.bytes[self.pos] == b'.')
                    {
                        self.pos += 1;
                    }
                    out.push(Token {
                        tok: Tok::Num(&self.src[start..self.pos]),
                        line,
                    });
                }
                _ => {
                    out.push(Token {
                        tok: Tok::Punct(b),
                        line,
                    });
                    self.pos += 1;
                }
            }
        }
        close.is_empty()
    }
}

/// Extracts calls from a dbt SQL file (model, snapshot, analysis, singular test).
pub fn extract_sql(src: &str) -> Extracted {
    let mut ex = Extracted::default();
    let mut lx = Lexer::new(src);
    let mut tokens = Vec::new();
    while lx.pos + 1 < lx.bytes.len() {
        if lx.bytes[lx.pos] != b'{' {
            lx.bump();
            continue;
        }
        let open_line = lx.line;
        match lx.bytes[lx.pos + 1] {
            b'#' => {
                lx.pos += 2;
                if !lx.skip_past(b"#}") {
                    ex.unterminated = Some(open_line);
                    break;
                }
            }
            b'{' | b'%' => {
                let statement = lx.bytes[lx.pos + 1] == b'%';
                lx.pos += 2;
                tokens.clear();
                let close: &[u8] = if statement { b"%}" } else { b"}}" };
                let closed = lx.tokens(close, false, &mut tokens);
                let body = strip_whitespace_control(&tokens);
                if statement
                    && matches!(
                        body.first(),
                        Some(Token {
                            tok: Tok::Ident("raw"),
                            ..
                        })
                    )
                {
                    skip_raw(&mut lx);
                } else {
                    if statement {
                        record_block(body, &mut ex);
                    }
                    collect_calls(body, false, &mut ex);
                }
                if !closed {
                    ex.unterminated = Some(open_line);
                    break;
                }
            }
            _ => lx.bump(),
        }
    }
    ex
}

/// Extracts `dbt.ref()`, `dbt.source()` and `dbt.config()` calls from a Python model.
pub fn extract_python(src: &str) -> Extracted {
    let mut ex = Extracted::default();
    let mut lx = Lexer::new(src);
    let mut tokens = Vec::new();
    lx.tokens(b"", true, &mut tokens);
    collect_calls(&tokens, true, &mut ex);
    ex
}

fn strip_whitespace_control<'t, 'a>(tokens: &'t [Token<'a>]) -> &'t [Token<'a>] {
    let mut body = tokens;
    if let Some(Token {
        tok: Tok::Punct(b'-' | b'+'),
        ..
    }) = body.first()
    {
        body = &body[1..];
    }
    if let Some(Token {
        tok: Tok::Punct(b'-' | b'+'),
        ..
    }) = body.last()
    {
        body = &body[..body.len() - 1];
    }
    body
}

fn skip_raw(lx: &mut Lexer<'_>) {
    while lx.skip_past(b"{%") {
        let mut probe = Vec::new();
        let closed = lx.tokens(b"%}", false, &mut probe);
        if matches!(
            strip_whitespace_control(&probe).first(),
            Some(Token {
                tok: Tok::Ident("endraw"),
                ..
            })
        ) || !closed
        {
            return;
        }
    }
}

fn record_block(body: &[Token<'_>], ex: &mut Extracted) {
    if let [
        Token {
            tok: Tok::Ident(kind),
            line,
        },
        Token {
            tok: Tok::Ident(name),
            ..
        },
        ..,
    ] = body
        && matches!(*kind, "snapshot" | "test" | "macro" | "materialization")
    {
        ex.blocks.push(Block {
            kind: (*kind).to_string(),
            name: (*name).to_string(),
            line: *line,
        });
    }
}

fn collect_calls(tokens: &[Token<'_>], python: bool, ex: &mut Extracted) {
    for i in 0..tokens.len() {
        let Tok::Ident(func @ ("ref" | "source" | "config")) = tokens[i].tok else {
            continue;
        };
        if !matches!(
            tokens.get(i + 1),
            Some(Token {
                tok: Tok::Punct(b'('),
                ..
            })
        ) {
            continue;
        }
        let after_dot = i > 0 && tokens[i - 1].tok == Tok::Punct(b'.');
        if python {
            if !(after_dot && i > 1 && tokens[i - 2].tok == Tok::Ident("dbt")) {
                continue;
            }
        } else if after_dot {
            continue;
        }
        let line = tokens[i].line;
        let args = parse_args(&tokens[i + 2..]);
        match func {
            "ref" => match ref_call(&args, line) {
                Some(call) => ex.refs.push(call),
                None => ex.dynamic.push(("ref".into(), line)),
            },
            "source" => match (args.positional.as_slice(), args.dynamic) {
                ([Some(Value::String(source)), Some(Value::String(table))], false) => {
                    ex.sources.push(SourceCall {
                        source: source.clone(),
                        table: table.clone(),
                        line,
                    })
                }
                _ => ex.dynamic.push(("source".into(), line)),
            },
            _ => {
                for (key, value) in args.keyword {
                    if let Some(value) = value {
                        ex.config.insert(key, value);
                    }
                }
            }
        }
    }
}

fn ref_call(args: &Args, line: u32) -> Option<RefCall> {
    if args.dynamic {
        return None;
    }
    let text = |v: &Option<Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let (package, name) = match args.positional.as_slice() {
        [name] => (None, text(name)?),
        [package, name] => (Some(text(package)?), text(name)?),
        _ => return None,
    };
    let mut version = None;
    for (key, value) in &args.keyword {
        if key == "version" || key == "v" {
            version = Some(match value.as_ref()? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            });
        }
    }
    Some(RefCall {
        package,
        name,
        version,
        line,
    })
}

#[derive(Debug, Default)]
struct Args {
    positional: Vec<Option<Value>>,
    keyword: Vec<(String, Option<Value>)>,
    /// A positional argument was not a literal, or the call never closed.
    dynamic: bool,
}

/// Parses call arguments from just after `(` to the matching `)`.
fn parse_args(tokens: &[Token<'_>]) -> Args {
    let mut args = Args::default();
    let mut i = 0;
    loop {
        match tokens.get(i).map(|t| &t.tok) {
            None => {
                args.dynamic = true;
                return args;
            }
            Some(Tok::Punct(b')')) => return args,
            _ => {}
        }
        let keyword = match (
            tokens.get(i).map(|t| &t.tok),
            tokens.get(i + 1).map(|t| &t.tok),
        ) {
            (Some(Tok::Ident(k)), Some(Tok::Punct(b'=')))
                if tokens.get(i + 2).map(|t| &t.tok) != Some(&Tok::Punct(b'=')) =>
            {
                i += 2;
                Some((*k).to_string())
            }
            _ => None,
        };
        let (mut value, next) = literal(tokens, i);
        i = next;
        // Anything after the literal other than `,` or `)` makes the argument an expression.
        if !matches!(tokens.get(i).map(|t| &t.tok), Some(Tok::Punct(b',' | b')'))) {
            value = None;
            i = skip_expression(tokens, i);
        }
        match keyword {
            Some(k) => args.keyword.push((k, value)),
            None => {
                if value.is_none() {
                    args.dynamic = true;
                }
                args.positional.push(value);
            }
        }
        if let Some(Tok::Punct(b',')) = tokens.get(i).map(|t| &t.tok) {
            i += 1;
        }
    }
}

/// Skips to the next `,` or `)` at nesting depth zero.
fn skip_expression(tokens: &[Token<'_>], mut i: usize) -> usize {
    let mut depth = 0usize;
    while let Some(t) = tokens.get(i) {
        match t.tok {
            Tok::Punct(b'(' | b'[' | b'{') => depth += 1,
            Tok::Punct(b')' | b']' | b'}') if depth > 0 => depth -= 1,
            Tok::Punct(b',' | b')') if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    i
}

/// A Jinja/Python literal starting at `i`: its value (None when not a literal) and the index after it.
fn literal(tokens: &[Token<'_>], i: usize) -> (Option<Value>, usize) {
    let Some(t) = tokens.get(i) else {
        return (None, i);
    };
    match &t.tok {
        Tok::Str(s) => {
            // Adjacent string literals concatenate in Python and Jinja.
            let mut s = s.clone();
            let mut j = i + 1;
            while let Some(Token {
                tok: Tok::Str(more),
                ..
            }) = tokens.get(j)
            {
                s.push_str(more);
                j += 1;
            }
            (Some(Value::String(s)), j)
        }
        Tok::Num(n) => {
            let v = n
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| n.parse::<f64>().ok().map(Value::from));
            (v, i + 1)
        }
        Tok::Ident("true" | "True") => (Some(Value::Bool(true)), i + 1),
        Tok::Ident("false" | "False") => (Some(Value::Bool(false)), i + 1),
        Tok::Ident("none" | "None") => (Some(Value::Null), i + 1),
        Tok::Punct(b'-') => match tokens.get(i + 1).map(|t| &t.tok) {
            Some(Tok::Num(n)) => (format!("-{n}").parse::<f64>().ok().map(Value::from), i + 2),
            _ => (None, i + 1),
        },
        Tok::Punct(open @ (b'[' | b'(')) => {
            let close = if *open == b'[' { b']' } else { b')' };
            let mut items = Vec::new();
            let mut j = i + 1;
            loop {
                match tokens.get(j).map(|t| &t.tok) {
                    Some(Tok::Punct(c)) if *c == close => {
                        return (Some(Value::Array(items)), j + 1);
                    }
                    Some(Tok::Punct(b',')) => j += 1,
                    None => return (None, j),
                    _ => {
                        let (v, next) = literal(tokens, j);
                        match v {
                            Some(v) => items.push(v),
                            None => return (None, skip_expression(tokens, next)),
                        }
                        j = next;
                    }
                }
            }
        }
        Tok::Punct(b'{') => {
            let mut map = Map::new();
            let mut j = i + 1;
            loop {
                match tokens.get(j).map(|t| &t.tok) {
                    Some(Tok::Punct(b'}')) => return (Some(Value::Object(map)), j + 1),
                    Some(Tok::Punct(b',')) => j += 1,
                    Some(Tok::Str(key))
                        if tokens.get(j + 1).map(|t| &t.tok) == Some(&Tok::Punct(b':')) =>
                    {
                        let key = key.clone();
                        let (v, next) = literal(tokens, j + 2);
                        match v {
                            Some(v) => {
                                map.insert(key, v);
                            }
                            None => return (None, next),
                        }
                        j = next;
                    }
                    _ => return (None, j + 1),
                }
            }
        }
        _ => (None, i + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ex: &Extracted) -> Vec<String> {
        ex.refs
            .iter()
            .map(|r| match (&r.package, &r.version) {
                (Some(p), _) => format!("{p}.{}", r.name),
                (None, Some(v)) => format!("{}@{v}", r.name),
                (None, None) => r.name.clone(),
            })
            .collect()
    }

    #[test]
    fn finds_refs_in_expressions_and_statements_with_lines() {
        let ex = extract_sql(
            "select *\nfrom {{ ref('a') }}\n{% set b = ref(\"pkg\", 'b') %}\njoin {{ ref('c', v=2) }} join {{ref('d',version='3')}}",
        );
        assert_eq!(names(&ex), ["a", "pkg.b", "c@2", "d@3"]);
        assert_eq!(
            ex.refs.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3, 4, 4]
        );
    }

    #[test]
    fn jinja_comments_raw_blocks_and_strings_are_not_calls() {
        let ex = extract_sql(
            "-- plain sql comment: ref('not_jinja')\nselect 'ref(''x'')' as s\n{# {{ ref('commented') }} #}\n{% raw %}{{ ref('raw') }}{% endraw %}\n{{ \"ref('in_string')\" }}\n{{ ref('real') }}",
        );
        assert_eq!(
            names(&ex),
            ["real"],
            "only the call outside comments, raw and strings counts"
        );
    }

    #[test]
    fn sources_configs_and_snapshot_blocks() {
        let ex = extract_sql(
            "{% snapshot orders_snap %}\n{{ config(materialized='table', enabled=false, contract={'enforced': true}, tags=['a','b']) }}\nselect * from {{ source('crm', 'orders') }}\n{% endsnapshot %}",
        );
        assert_eq!(
            ex.sources,
            [SourceCall {
                source: "crm".into(),
                table: "orders".into(),
                line: 3
            }]
        );
        assert_eq!(ex.config["materialized"], "table");
        assert_eq!(ex.config["enabled"], false);
        assert_eq!(ex.config["contract"]["enforced"], true);
        assert_eq!(ex.blocks[0].name, "orders_snap");
    }

    #[test]
    fn non_literal_arguments_are_dynamic() {
        let ex = extract_sql("{{ ref(my_var) }} {{ ref('a' ~ suffix) }} {{ source('s', t) }}");
        assert!(ex.refs.is_empty());
        assert_eq!(ex.dynamic.len(), 3);
    }

    #[test]
    fn methods_named_ref_are_not_refs_in_sql() {
        let ex = extract_sql("{{ adapter.ref('x') }} {{ api.source('a','b') }}");
        assert!(ex.refs.is_empty() && ex.sources.is_empty());
    }

    #[test]
    fn python_models_use_dbt_dot_calls() {
        let ex = extract_python(
            "def model(dbt, session):\n    # dbt.ref('commented')\n    dbt.config(materialized='table')\n    a = dbt.ref(\"a\")\n    s = dbt.source('crm', 'orders')\n    doc = \"\"\"dbt.ref('docstring')\"\"\"\n    return a\n",
        );
        assert_eq!(names(&ex), ["a"]);
        assert_eq!(ex.sources.len(), 1);
        assert_eq!(ex.config["materialized"], "table");
    }

    #[test]
    fn unterminated_blocks_are_reported_not_panicked_on() {
        for src in [
            "{{ ref('a')",
            "{% if x",
            "{# never closed",
            "{{ ref('a",
            "{",
            "{{ ref(",
            "{{ ref('a', v=",
            "{{ config(x={'a': ",
            "{{ ref(\\",
        ] {
            let ex = extract_sql(src);
            assert!(ex.unterminated.is_some() || ex.refs.is_empty(), "{src}");
        }
        assert_eq!(extract_sql("x\n{{ ref('a')").unterminated, Some(2));
    }
}
