//! Schema YAML files (`models:`, `sources:`, `seeds:`, `snapshots:`, `exposures:`,
//! `semantic_models:`, `metrics:`, `unit_tests:`) read into facts for the linker. Generic test ids
//! are computed here, once per file, so re-linking after an edit does not re-hash every test.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};
use serde_yaml_ng::{Mapping, Value};

use crate::jinja::{self, RefCall, SourceCall};
use crate::node::Column;
use crate::problem::{Problem, yaml_problem};
use crate::test_ids::{TestArgs, generic_test_id};

mod loose;

/// Config keys a generic test takes beside its arguments (dbt's `TestBuilder.CONFIG_ARGS`).
const TEST_CONFIG_ARGS: &[&str] = &[
    "severity",
    "tags",
    "enabled",
    "where",
    "limit",
    "warn_if",
    "error_if",
    "fail_calc",
    "store_failures",
    "store_failures_as",
    "meta",
    "database",
    "schema",
    "alias",
];

/// Which resource a properties entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchKind {
    Model,
    Seed,
    Snapshot,
    Analysis,
}

/// A model version declared in YAML.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSpec {
    pub v: String,
    /// The file stem holding this version (`defined_in`, else `<name>_v<v>`).
    pub defined_in: String,
    pub columns: Vec<Column>,
    pub config: Map<String, Json>,
}

/// Properties of a model/seed/snapshot/analysis from YAML.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    pub kind: PatchKind,
    pub name: String,
    pub line: u32,
    pub description: String,
    pub columns: Vec<Column>,
    /// Model-level `constraints:`.
    pub constraints: Vec<crate::node::ModelConstraint>,
    pub config: Map<String, Json>,
    pub versions: Vec<VersionSpec>,
    pub latest_version: Option<String>,
    /// A snapshot defined in YAML (dbt ≥ 1.9): what its `relation:` calls.
    pub relation: Option<(Vec<RefCall>, Vec<SourceCall>)>,
}

/// What a generic test is defined on.
#[derive(Debug, Clone, PartialEq)]
pub enum TestTarget {
    /// A model (optionally one version), seed, snapshot or analysis, by name.
    Node {
        kind: PatchKind,
        name: String,
        version: Option<String>,
    },
    Source {
        source: String,
        table: String,
    },
}

/// One generic test from YAML, with dbt's id already computed.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSpec {
    pub unique_id: String,
    pub name: String,
    pub target: TestTarget,
    pub column: Option<String>,
    pub test_name: String,
    pub namespace: Option<String>,
    pub kwargs: Json,
    pub refs: Vec<RefCall>,
    pub sources: Vec<SourceCall>,
    pub enabled: bool,
    pub line: u32,
    /// The package whose source this test is on, when declared through `overrides:`.
    pub package: Option<String>,
}

/// A source table from YAML.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    pub source: String,
    pub table: String,
    /// The source's `schema` (its name when unset) and the table's `identifier` (its name).
    pub schema: String,
    pub identifier: String,
    pub line: u32,
    pub description: String,
    pub columns: Vec<Column>,
    pub freshness: bool,
    pub enabled: bool,
    /// `overrides: <package>`: this entry patches that package's source instead of defining one.
    pub overrides: Option<String>,
}

/// An exposure, semantic model, metric or unit test: a named node with references to resolve.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySpec {
    pub name: String,
    pub line: u32,
    pub description: String,
    pub refs: Vec<RefCall>,
    pub sources: Vec<SourceCall>,
    /// Metrics: the measures they aggregate and the metrics they are derived from. Semantic
    /// models: the measures that create a metric of their name (`create_metric: true`).
    /// Exposures (`metric('x')` in `depends_on`) and saved queries: the metrics they use.
    pub measures: Vec<String>,
    pub metrics: Vec<String>,
    /// Semantic models: the measures they define. Unit tests: the tested model.
    pub defines: Vec<String>,
    pub enabled: bool,
}

/// Everything one schema YAML file declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YamlFacts {
    pub patches: Vec<Patch>,
    pub sources: Vec<SourceSpec>,
    pub tests: Vec<TestSpec>,
    pub exposures: Vec<EntitySpec>,
    pub semantic_models: Vec<EntitySpec>,
    pub metrics: Vec<EntitySpec>,
    pub unit_tests: Vec<EntitySpec>,
    pub saved_queries: Vec<EntitySpec>,
    pub problems: Vec<Problem>,
}

/// Finds the line of `name: <x>` entries, in document order.
struct Lines {
    names: HashMap<String, Vec<u32>>,
}

impl Lines {
    fn scan(text: &str) -> Lines {
        let mut names: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start().trim_start_matches('-').trim_start();
            if let Some(rest) = t.strip_prefix("name:") {
                let value = rest
                    .split(" #")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(|c| c == '"' || c == '\'');
                names
                    .entry(value.to_string())
                    .or_default()
                    .push(i as u32 + 1);
            }
        }
        Lines { names }
    }

    /// The first `name: <x>` line at or after `after`, else the first anywhere, else `fallback`.
    fn of(&self, name: &str, after: u32, fallback: u32) -> u32 {
        match self.names.get(name) {
            Some(lines) => lines
                .iter()
                .copied()
                .find(|l| *l >= after)
                .unwrap_or(lines[0]),
            None => fallback,
        }
    }
}

/// Renders a config value holding Jinja (`enabled: "{{ var('x', true) }}"`) as dbt does.
pub type RenderValue<'a> = &'a dyn Fn(&str) -> Option<Json>;

struct Ctx<'a> {
    project: &'a str,
    file: &'a str,
    lines: Lines,
    facts: YamlFacts,
    render: Option<RenderValue<'a>>,
    /// While reading a source that `overrides:` a package's: that package.
    overriding: Option<String>,
}

/// Reads one schema YAML file. Syntax errors and malformed entries become problems; every
/// well-formed entry is still read.
pub fn parse(text: &str, project: &str, file: &str) -> YamlFacts {
    parse_with(text, project, file, None)
}

/// [`parse`], with `enabled` values holding Jinja rendered by `render`.
pub fn parse_with(
    text: &str,
    project: &str,
    file: &str,
    render: Option<RenderValue<'_>>,
) -> YamlFacts {
    let (doc, duplicates): (Value, Vec<String>) = match loose::from_str(text) {
        Ok(doc) => (doc.value, doc.duplicates),
        Err(e) => {
            return YamlFacts {
                problems: vec![yaml_problem(file, &e)],
                ..YamlFacts::default()
            };
        }
    };
    let mut ctx = Ctx {
        project,
        file,
        lines: Lines::scan(text),
        facts: YamlFacts::default(),
        render,
        overriding: None,
    };
    for key in duplicates {
        ctx.facts.problems.push(Problem::warning(
            "duplicate_yaml_key",
            file,
            loose::duplicate_line(text, &key),
            format!("`{key}` is written twice in one mapping; the last value is used (dbt warns the same: DuplicateYAMLKeysDeprecation)"),
        ));
    }
    let Value::Mapping(top) = doc else {
        if !doc.is_null() {
            ctx.facts.problems.push(Problem::error(
                "yaml_shape",
                file,
                1,
                "a properties file must be a mapping",
            ));
        }
        return ctx.facts;
    };
    for (section, kind) in [
        ("models", PatchKind::Model),
        ("seeds", PatchKind::Seed),
        ("snapshots", PatchKind::Snapshot),
        ("analyses", PatchKind::Analysis),
    ] {
        for entry in ctx.entries(&top, section) {
            ctx.patch(kind, entry);
        }
    }
    for entry in ctx.entries(&top, "sources") {
        ctx.source(entry);
    }
    for entry in ctx.entries(&top, "exposures") {
        let e = ctx.entity(entry, "depends_on");
        ctx.facts.exposures.push(e);
    }
    for entry in ctx.entries(&top, "semantic_models") {
        let mut e = ctx.entity(entry, "model");
        e.defines = names_in(entry.get("measures"));
        if let Some(Value::Sequence(measures)) = entry.get("measures") {
            e.metrics = measures
                .iter()
                .filter(|m| m.get("create_metric").and_then(Value::as_bool) == Some(true))
                .filter_map(|m| m.get("name").and_then(Value::as_str).map(str::to_string))
                .collect();
        }
        ctx.facts.semantic_models.push(e);
    }
    for entry in ctx.entries(&top, "saved_queries") {
        let mut e = ctx.entity(entry, "");
        if let Some(Value::Sequence(metrics)) =
            entry.get("query_params").and_then(|q| q.get("metrics"))
        {
            e.metrics = metrics.iter().flat_map(name_or_string).collect();
        }
        ctx.facts.saved_queries.push(e);
    }
    for entry in ctx.entries(&top, "metrics") {
        let mut e = ctx.entity(entry, "");
        metric_inputs(entry.get("type_params"), &mut e);
        ctx.facts.metrics.push(e);
    }
    for entry in ctx.entries(&top, "unit_tests") {
        let mut e = ctx.entity(entry, "");
        if let Some(model) = entry.get("model").and_then(Value::as_str) {
            e.defines.push(model.to_string());
        } else {
            ctx.facts.problems.push(Problem::error(
                "unit_test_invalid",
                file,
                e.line,
                format!("unit test `{}` has no `model`", e.name),
            ));
            continue;
        }
        ctx.facts.unit_tests.push(e);
    }
    ctx.facts
}

impl<'a> Ctx<'a> {
    /// The `enabled` config, rendered when it holds Jinja (default true).
    fn enabled(&self, config: &Map<String, Json>) -> bool {
        match config.get("enabled") {
            Some(Json::String(raw)) if raw.contains("{{") || raw.contains("{%") => {
                self.enabled_value(raw)
            }
            _ => crate::project::is_enabled(config),
        }
    }

    fn enabled_value(&self, raw: &str) -> bool {
        match self.render.and_then(|r| r(raw)) {
            Some(Json::Bool(b)) => b,
            Some(Json::Null) => false,
            Some(Json::String(s)) => !matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "false" | "" | "0" | "none"
            ),
            _ => true,
        }
    }

    /// The mappings listed under `section`, each having a string `name`.
    fn entries<'v>(&mut self, top: &'v Mapping, section: &str) -> Vec<&'v Mapping> {
        let Some(value) = top.get(section) else {
            return Vec::new();
        };
        let Value::Sequence(items) = value else {
            if !value.is_null() {
                let line = self.section_line(section);
                self.facts.problems.push(Problem::error(
                    "yaml_shape",
                    self.file,
                    line,
                    format!("`{section}` must be a list"),
                ));
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::Mapping(m) if m.get("name").is_some_and(|n| n.as_str().is_some()) => {
                    out.push(m)
                }
                _ => {
                    let line = self.section_line(section);
                    self.facts.problems.push(Problem::error(
                        "yaml_shape",
                        self.file,
                        line,
                        format!("an entry under `{section}` has no `name`"),
                    ));
                }
            }
        }
        out
    }

    fn section_line(&self, _section: &str) -> u32 {
        0
    }

    fn name_line(&self, name: &str) -> u32 {
        self.lines.of(name, 0, 1)
    }

    fn patch(&mut self, kind: PatchKind, entry: &Mapping) {
        let name = str_of(entry, "name");
        let line = self.name_line(&name);
        let columns = self.columns(entry.get("columns"), line);
        let config = json_map(entry.get("config"));
        let latest_version = entry.get("latest_version").map(scalar_text);
        let mut versions = Vec::new();
        if let Some(Value::Sequence(list)) = entry.get("versions") {
            for version in list.iter().filter_map(Value::as_mapping) {
                let Some(v) = version.get("v").map(scalar_text) else {
                    self.facts.problems.push(Problem::error(
                        "version_invalid",
                        self.file,
                        line,
                        format!("a version of `{name}` has no `v`"),
                    ));
                    continue;
                };
                let defined_in = version
                    .get("defined_in")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{name}_v{v}"));
                let columns = match version.get("columns") {
                    Some(own) => self.version_columns(&columns, own, line),
                    None => columns.clone(),
                };
                versions.push(VersionSpec {
                    v,
                    defined_in,
                    columns,
                    config: json_map(version.get("config")),
                });
            }
        }
        // Generic tests: on the node (or each version), then per column.
        let targets: Vec<(Option<String>, &Vec<Column>)> = if versions.is_empty() {
            vec![(None, &columns)]
        } else {
            versions
                .iter()
                .map(|v| (Some(v.v.clone()), &v.columns))
                .collect()
        };
        let column_tests = column_test_lists(entry.get("columns"));
        let mut specs = Vec::new();
        for (version, version_columns) in &targets {
            let target = TestTarget::Node {
                kind,
                name: name.clone(),
                version: version.clone(),
            };
            let own_tests = version
                .as_ref()
                .and_then(|v| version_entry(entry, v))
                .and_then(tests_of)
                .or_else(|| tests_of(entry));
            if let Some(list) = own_tests {
                specs.extend(self.tests(list, &target, None, line));
            }
            for column in version_columns.iter() {
                let list = version
                    .as_ref()
                    .and_then(|v| version_entry(entry, v))
                    .and_then(|ve| column_test_lists(ve.get("columns")).remove(&column.name))
                    .or_else(|| column_tests.get(&column.name).cloned());
                if let Some(list) = list {
                    let col_line = self.lines.of(&column.name, line, line);
                    specs.extend(self.tests(&list, &target, Some(&column.name), col_line));
                }
            }
        }
        self.facts.tests.extend(specs);
        self.facts.patches.push(Patch {
            kind,
            name,
            line,
            description: str_of(entry, "description"),
            columns,
            constraints: model_constraints(entry.get("constraints")),
            config,
            versions,
            latest_version,
            relation: entry
                .get("relation")
                .and_then(Value::as_str)
                .filter(|_| kind == PatchKind::Snapshot)
                .map(|r| {
                    let ex = extract_expression(r);
                    let refs = ex.refs.into_iter().map(|c| RefCall { line, ..c }).collect();
                    let sources = ex
                        .sources
                        .into_iter()
                        .map(|c| SourceCall { line, ..c })
                        .collect();
                    (refs, sources)
                }),
        });
    }

    /// A version's columns: the base columns it includes (`include`/`exclude`), then its own.
    fn version_columns(&mut self, base: &[Column], own: &Value, line: u32) -> Vec<Column> {
        let Value::Sequence(items) = own else {
            return base.to_vec();
        };
        let mut include_all = true;
        let mut include: Vec<String> = Vec::new();
        let mut exclude: Vec<String> = Vec::new();
        let mut own_columns = Vec::new();
        for item in items {
            let Some(m) = item.as_mapping() else { continue };
            if let Some(inc) = m.get("include") {
                match inc {
                    Value::String(s) if s == "all" || s == "*" => include_all = true,
                    Value::Sequence(list) => {
                        include_all = false;
                        include = list
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect();
                    }
                    _ => {}
                }
                if let Some(Value::Sequence(list)) = m.get("exclude") {
                    exclude = list
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                }
            } else if m.get("name").is_some() {
                own_columns.push(item.clone());
            }
        }
        let mut columns: Vec<Column> = base
            .iter()
            .filter(|c| (include_all || include.contains(&c.name)) && !exclude.contains(&c.name))
            .cloned()
            .collect();
        for c in self.columns(Some(&Value::Sequence(own_columns)), line) {
            match columns.iter_mut().find(|existing| existing.name == c.name) {
                Some(existing) => *existing = c,
                None => columns.push(c),
            }
        }
        columns
    }

    fn columns(&mut self, value: Option<&Value>, line: u32) -> Vec<Column> {
        let Some(Value::Sequence(items)) = value else {
            return Vec::new();
        };
        let mut out: Vec<Column> = Vec::new();
        for item in items.iter().filter_map(Value::as_mapping) {
            let Some(name) = item.get("name").map(scalar_text) else {
                continue;
            };
            if out.iter().any(|c| c.name == name) {
                let col_line = self.lines.of(&name, line, line);
                self.facts.problems.push(Problem::error(
                    "duplicate_column",
                    self.file,
                    col_line,
                    format!("column `{name}` is declared twice"),
                ));
                continue;
            }
            let constraints = match item.get("constraints") {
                Some(Value::Sequence(cs)) => cs
                    .iter()
                    .filter_map(|c| c.get("type").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            out.push(Column {
                name,
                description: str_of(item, "description"),
                data_type: item
                    .get("data_type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                constraints,
                tests: Vec::new(),
            });
        }
        out
    }

    fn source(&mut self, entry: &Mapping) {
        let source = str_of(entry, "name");
        let source_line = self.name_line(&source);
        let source_config = json_map(entry.get("config"));
        let source_freshness = entry
            .get("freshness")
            .or_else(|| entry.get("config").and_then(|c| c.get("freshness")));
        let Some(Value::Sequence(tables)) = entry.get("tables") else {
            return;
        };
        self.overriding = entry
            .get("overrides")
            .and_then(Value::as_str)
            .map(str::to_string);
        for table in tables.iter().filter_map(Value::as_mapping) {
            let Some(name) = table
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                self.facts.problems.push(Problem::error(
                    "yaml_shape",
                    self.file,
                    source_line,
                    format!("a table of source `{source}` has no `name`"),
                ));
                continue;
            };
            let line = self.lines.of(&name, source_line, source_line);
            let columns = self.columns(table.get("columns"), line);
            let table_config = json_map(table.get("config"));
            let freshness = match table
                .get("freshness")
                .or_else(|| table.get("config").and_then(|c| c.get("freshness")))
            {
                Some(Value::Null) => false,
                Some(_) => true,
                None => source_freshness.is_some_and(|f| !f.is_null()),
            };
            let target = TestTarget::Source {
                source: source.clone(),
                table: name.clone(),
            };
            let mut specs = Vec::new();
            if let Some(list) = tests_of(table) {
                specs.extend(self.tests(list, &target, None, line));
            }
            for (column, list) in column_test_lists(table.get("columns")) {
                let col_line = self.lines.of(&column, line, line);
                specs.extend(self.tests(&list, &target, Some(&column), col_line));
            }
            self.facts.tests.extend(specs);
            let schema = entry
                .get("schema")
                .and_then(Value::as_str)
                .map_or_else(|| source.clone(), str::to_string);
            let identifier = table
                .get("identifier")
                .and_then(Value::as_str)
                .map_or_else(|| name.clone(), str::to_string);
            self.facts.sources.push(SourceSpec {
                source: source.clone(),
                schema,
                identifier,
                table: name,
                line,
                description: str_of(table, "description"),
                columns,
                freshness,
                enabled: self.enabled(&source_config) && self.enabled(&table_config),
                overrides: self.overriding.clone(),
            });
        }
        self.overriding = None;
    }

    /// A named entity; `refs_key` names the field holding `ref()`/`source()` strings.
    fn entity(&mut self, entry: &Mapping, refs_key: &str) -> EntitySpec {
        let name = str_of(entry, "name");
        let line = self.name_line(&name);
        let mut refs = Vec::new();
        let mut sources = Vec::new();
        let mut metrics = Vec::new();
        if !refs_key.is_empty() {
            let mut strings = Vec::new();
            collect_strings(entry.get(refs_key), &mut strings);
            for s in strings {
                let ex = extract_expression(s);
                refs.extend(ex.refs.into_iter().map(|r| RefCall { line, ..r }));
                sources.extend(ex.sources.into_iter().map(|s| SourceCall { line, ..s }));
                if let Some(name) = metric_call(s) {
                    metrics.push(name);
                }
            }
        }
        let config = json_map(entry.get("config"));
        EntitySpec {
            name,
            line,
            description: str_of(entry, "description"),
            refs,
            sources,
            measures: Vec::new(),
            metrics,
            defines: Vec::new(),
            enabled: self.enabled(&config),
        }
    }

    /// Generic tests listed under `data_tests:`/`tests:` of a target (and column).
    fn tests(
        &mut self,
        list: &[Value],
        target: &TestTarget,
        column: Option<&str>,
        line: u32,
    ) -> Vec<TestSpec> {
        let mut out = Vec::new();
        for item in list {
            match self.test(item, target, column, line) {
                Ok(spec) => out.push(spec),
                Err(message) => self.facts.problems.push(Problem::error(
                    "test_invalid",
                    self.file,
                    line,
                    message,
                )),
            }
        }
        out
    }

    /// Mirrors dbt's `TestBuilder`: which keys are arguments, which are config, and the names.
    fn test(
        &self,
        item: &Value,
        target: &TestTarget,
        column: Option<&str>,
        line: u32,
    ) -> Result<TestSpec, String> {
        let (full_name, args_value) = match item {
            Value::String(s) => (s.clone(), Value::Mapping(Mapping::new())),
            Value::Mapping(m) if m.get("test_name").is_some() => {
                let mut rest = m.clone();
                let name = rest
                    .remove("test_name")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .ok_or("`test_name` must be a string")?;
                (name, Value::Mapping(rest))
            }
            Value::Mapping(m) if m.len() == 1 => {
                let (k, v) = m.iter().next().ok_or("empty test")?;
                let name = k
                    .as_str()
                    .ok_or("a test's name must be a string")?
                    .to_string();
                (name, v.clone())
            }
            Value::Mapping(m) => {
                return Err(format!(
                    "a test entry must have exactly one key, found {}",
                    m.len()
                ));
            }
            _ => return Err("a test entry must be a name or a mapping".into()),
        };
        let Value::Mapping(arg_map) = args_value else {
            return Err(format!(
                "the arguments of test `{full_name}` must be a mapping"
            ));
        };
        let mut args: TestArgs = TestArgs::new();
        for (k, v) in arg_map {
            args.insert(
                k.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| crate::test_ids::py_str(&k)),
                v,
            );
        }
        if let Some(column) = column {
            args.insert("column_name".into(), Value::String(column.to_string()));
        }
        if let Some(arguments) = args.remove("arguments")
            && let Value::Mapping(arguments) = arguments
        {
            for (k, v) in arguments {
                args.insert(
                    k.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| crate::test_ids::py_str(&k)),
                    v,
                );
            }
        }
        let (target_name, model_str, source_prefix) = match target {
            TestTarget::Node {
                name,
                version: Some(v),
                ..
            } => (
                format!("{name}_v{v}"),
                format!("{{{{ get_where_subquery(ref('{name}', version='{v}')) }}}}"),
                "",
            ),
            TestTarget::Node {
                name,
                version: None,
                ..
            } => (
                name.clone(),
                format!("{{{{ get_where_subquery(ref('{name}')) }}}}"),
                "",
            ),
            TestTarget::Source { source, table } => (
                format!("{source}_{table}"),
                format!("{{{{ get_where_subquery(source('{source}', '{table}')) }}}}"),
                "source_",
            ),
        };
        args.insert("model".into(), Value::String(model_str));
        let mut config = match args.remove("config") {
            Some(Value::Mapping(c)) => c,
            _ => Mapping::new(),
        };
        let mut enabled = true;
        for key in TEST_CONFIG_ARGS {
            let value = args.remove(*key).or_else(|| config.remove(*key));
            match (*key, &value) {
                ("enabled", Some(Value::Bool(false))) => enabled = false,
                ("enabled", Some(Value::String(raw))) if raw.contains("{{") => {
                    enabled = self.enabled_value(raw);
                }
                _ => {}
            }
        }
        args.remove("description");
        let custom_name = args.remove("name").map(|n| crate::test_ids::py_str(&n));
        let (namespace, test_name) = match full_name.split_once('.') {
            Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
            None => (None, full_name.clone()),
        };
        if !is_identifier(&test_name) || namespace.as_deref().is_some_and(|ns| !is_identifier(ns)) {
            return Err(format!("`{full_name}` is not a valid test name"));
        }
        let mut test_type = format!("{source_prefix}{test_name}");
        if let Some(ns) = &namespace {
            test_type = format!("{ns}_{test_type}");
        }
        let id = generic_test_id(
            self.overriding.as_deref().unwrap_or(self.project),
            &test_type,
            &target_name,
            custom_name.as_deref(),
            &test_name,
            namespace.as_deref(),
            &args,
        );
        let mut refs = Vec::new();
        let mut sources = Vec::new();
        for (key, value) in &args {
            if key == "column_name" {
                continue;
            }
            let mut strings = Vec::new();
            collect_strings(Some(value), &mut strings);
            for s in strings {
                let ex = extract_expression(s);
                refs.extend(ex.refs.into_iter().map(|r| RefCall { line, ..r }));
                sources.extend(ex.sources.into_iter().map(|s| SourceCall { line, ..s }));
            }
        }
        Ok(TestSpec {
            unique_id: id.unique_id,
            name: id.name,
            target: target.clone(),
            column: column.map(str::to_string),
            test_name,
            namespace,
            kwargs: serde_json::to_value(&args).unwrap_or(Json::Null),
            refs,
            sources,
            enabled,
            line,
            package: self.overriding.clone(),
        })
    }
}

/// dbt renders test arguments and `depends_on` entries: a bare `ref(...)` is wrapped in braces.
fn extract_expression(s: &str) -> jinja::Extracted {
    let t = s.trim();
    let looks_like_call = ["env_var", "ref", "var", "source", "doc"].iter().any(|f| {
        t.strip_prefix(f).is_some_and(|rest| {
            let rest = rest.trim_start();
            rest.starts_with('(') && rest.trim_end().ends_with(')') && rest.len() > 2
        })
    });
    if looks_like_call {
        jinja::extract_sql(&format!("{{{{ {t} }}}}"))
    } else {
        jinja::extract_sql(s)
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn tests_of(entry: &Mapping) -> Option<&Vec<Value>> {
    match entry.get("data_tests").or_else(|| entry.get("tests")) {
        Some(Value::Sequence(list)) => Some(list),
        _ => None,
    }
}

fn version_entry<'m>(entry: &'m Mapping, v: &str) -> Option<&'m Mapping> {
    match entry.get("versions") {
        Some(Value::Sequence(list)) => list
            .iter()
            .filter_map(Value::as_mapping)
            .find(|m| m.get("v").map(scalar_text).as_deref() == Some(v)),
        _ => None,
    }
}

/// Column name → its test list, for the columns that declare tests.
fn column_test_lists(columns: Option<&Value>) -> HashMap<String, Vec<Value>> {
    let mut out = HashMap::new();
    if let Some(Value::Sequence(items)) = columns {
        for item in items.iter().filter_map(Value::as_mapping) {
            if let (Some(name), Some(list)) = (item.get("name").map(scalar_text), tests_of(item)) {
                out.entry(name).or_insert_with(|| list.clone());
            }
        }
    }
    out
}

fn metric_inputs(type_params: Option<&Value>, e: &mut EntitySpec) {
    let Some(Value::Mapping(tp)) = type_params else {
        return;
    };
    for key in ["measure", "numerator_measure"] {
        if let Some(m) = tp.get(key) {
            e.measures.extend(name_or_string(m));
        }
    }
    if let Some(Value::Mapping(conv)) = tp.get("conversion_type_params") {
        for key in ["base_measure", "conversion_measure"] {
            if let Some(m) = conv.get(key) {
                e.measures.extend(name_or_string(m));
            }
        }
    }
    if let Some(Value::Sequence(metrics)) = tp.get("metrics") {
        e.metrics.extend(metrics.iter().flat_map(name_or_string));
    }
    for key in ["numerator", "denominator"] {
        if let Some(m) = tp.get(key) {
            e.metrics.extend(name_or_string(m));
        }
    }
}

/// `metric('name')` (an exposure's dependency on a metric).
fn metric_call(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix("metric(")?.strip_suffix(')')?.trim();
    let name = inner.trim_matches(|c| c == '\'' || c == '"');
    (!name.is_empty() && name.len() + 2 == inner.len()).then(|| name.to_string())
}

fn name_or_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Mapping(m) => m.get("name").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn names_in(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| i.get("name").and_then(Value::as_str))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn collect_strings<'v>(value: Option<&'v Value>, out: &mut Vec<&'v str>) {
    match value {
        Some(Value::String(s)) => out.push(s),
        Some(Value::Sequence(items)) => items.iter().for_each(|i| collect_strings(Some(i), out)),
        Some(Value::Mapping(m)) => m.values().for_each(|v| collect_strings(Some(v), out)),
        Some(Value::Tagged(t)) => collect_strings(Some(&t.value), out),
        _ => {}
    }
}

fn str_of(m: &Mapping, key: &str) -> String {
    m.get(key).map(scalar_text).unwrap_or_default()
}

/// A scalar as text (`1` → "1", `true` → "true"); other shapes are empty.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn json_map(v: Option<&Value>) -> Map<String, Json> {
    match v.map(serde_json::to_value) {
        Some(Ok(Json::Object(m))) => m,
        _ => Map::new(),
    }
}

/// A model's `constraints:` list: each item's `type` and the columns it names.
fn model_constraints(v: Option<&Value>) -> Vec<crate::node::ModelConstraint> {
    let Some(Value::Sequence(items)) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|c| {
            let kind = c.get("type").and_then(Value::as_str)?.to_string();
            let columns = match c.get("columns") {
                Some(Value::Sequence(cs)) => cs.iter().map(scalar_text).collect(),
                _ => Vec::new(),
            };
            Some(crate::node::ModelConstraint { kind, columns })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_columns_tests_and_contracts() {
        let facts = parse(
            "version: 2\nmodels:\n  - name: orders\n    description: One row per order\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: order_id\n        data_type: integer\n        constraints: [{type: not_null}]\n        data_tests: [unique, not_null]\n      - name: customer_id\n        data_tests:\n          - relationships:\n              arguments: {to: ref('customers'), field: id}\n",
            "shop",
            "models/schema.yml",
        );
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);
        let p = &facts.patches[0];
        assert_eq!((p.name.as_str(), p.line), ("orders", 3));
        assert_eq!(p.columns[0].constraints, ["not_null"]);
        assert_eq!(facts.tests.len(), 3);
        let rel = &facts.tests[2];
        assert_eq!(
            rel.name,
            "relationships_orders_customer_id__id__ref_customers_"
        );
        assert_eq!(
            rel.refs.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["orders", "customers"]
        );
        assert_eq!(rel.line, 12);
    }

    #[test]
    fn broken_yaml_is_one_problem_with_a_line() {
        let facts = parse(
            "models:\n  - name: a\n    columns: [\n",
            "shop",
            "models/bad.yml",
        );
        assert_eq!(facts.problems.len(), 1);
        assert_eq!(facts.problems[0].code, "yaml_invalid");
        assert!(facts.problems[0].line >= 3, "{:?}", facts.problems[0]);
    }

    #[test]
    fn malformed_entries_are_reported_and_the_rest_is_read() {
        let facts = parse(
            "models:\n  - description: nameless\n  - name: ok\n    data_tests: [{a: 1, b: 2}, 3]\nsources: 5\n",
            "shop",
            "m.yml",
        );
        assert_eq!(facts.patches.len(), 1);
        assert_eq!(facts.problems.len(), 4, "{:?}", facts.problems);
    }
}
