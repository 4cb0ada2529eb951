//! Column lineage. A model's rendered SQL (its `ref()`/`source()` calls rendered as placeholders
//! `__vd_ref_<n>` / `__vd_src_<n>`, see [`crate::render`]) is parsed with `sqlparser` into a
//! [`Plan`]: its output columns, each with the upstream columns it derives from, followed through
//! CTEs, subqueries, joins, aliases, unions and window functions. What the SQL alone cannot say
//! (`select *` from a model, a bare column with two tables in scope) stays symbolic in the plan
//! and is settled at link time from the upstream nodes' own columns ([`resolve`]). What cannot be
//! traced is marked unknown — never guessed.

mod resolve;

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgOperator, FunctionArguments, Ident, ObjectName, Query, Select,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement, TableFactor, TableWithJoins,
    Visit, Visitor, WildcardAdditionalOptions,
};
use sqlparser::dialect::{DatabricksDialect, Dialect, DuckDbDialect, GenericDialect};
use sqlparser::parser::Parser;

pub use resolve::{ColumnLineage, resolve, resolve_changed};

/// A relation a model reads: the n-th `ref()` / `source()` call it made, itself, or a table
/// named in plain SQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rel {
    Ref(usize),
    Source(usize),
    This,
    Other(String),
}

/// Where an output column comes from: `column` of one relation, or of whichever of several has
/// it (a bare name with several tables in scope, settled at link time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    pub rels: Vec<Rel>,
    pub column: String,
}

/// One item of a select list, as far as the SQL alone can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Column {
        name: String,
        /// When the SQL states it (`cast(x as int)`, `x::date`).
        data_type: Option<String>,
        deps: Vec<Dep>,
        /// Some of what it derives from could not be traced.
        opaque: bool,
    },
    /// Every column of a relation (`*`, `t.*`), but those excepted.
    Star { rel: Rel, except: Vec<String> },
}

/// A model's output columns as its SQL says them.
pub type Plan = Vec<Item>;

/// The SQL dialect to read a target's SQL with.
fn dialect(target_kind: &str) -> Box<dyn Dialect> {
    match target_kind {
        "duckdb" => Box::new(DuckDbDialect {}),
        "databricks" | "spark" | "fabricspark" => Box::new(DatabricksDialect {}),
        _ => Box::new(GenericDialect {}),
    }
}

/// Plans the final query of `sql`. `default_alias(rel)` names a relation that has no alias (a
/// ref's model name), so `orders.id` finds `{{ ref('orders') }}`.
pub fn plan(
    sql: &str,
    target_kind: &str,
    default_alias: &dyn Fn(&Rel) -> String,
) -> Result<Plan, String> {
    let dialect = dialect(target_kind);
    let statements = Parser::parse_sql(dialect.as_ref(), sql)
        .or_else(|e| Parser::parse_sql(&GenericDialect {}, sql).map_err(|_| e.to_string()))?;
    let query = statements
        .iter()
        .rev()
        .find_map(|s| match s {
            Statement::Query(q) => Some(q),
            _ => None,
        })
        .ok_or("the SQL has no select")?;
    let planner = Planner { default_alias };
    Ok(planner.query(query, &HashMap::new()))
}

struct Planner<'a> {
    default_alias: &'a dyn Fn(&Rel) -> String,
}

/// What a name in `from` stands for.
#[derive(Debug, Clone)]
enum Source {
    Rel(Rel),
    Derived(Plan),
    Unknown,
}

type Ctes = HashMap<String, Plan>;

fn lower(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

fn rel_of(name: &ObjectName) -> (Rel, String) {
    let last = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(lower)
        .unwrap_or_default();
    let rel = if let Some(n) = last.strip_prefix("__vd_ref_").and_then(|n| n.parse().ok()) {
        Rel::Ref(n)
    } else if let Some(n) = last.strip_prefix("__vd_src_").and_then(|n| n.parse().ok()) {
        Rel::Source(n)
    } else if last == "__vd_this" {
        Rel::This
    } else {
        Rel::Other(name.to_string().to_lowercase())
    };
    (rel, last)
}

impl Planner<'_> {
    fn query(&self, q: &Query, outer: &Ctes) -> Plan {
        let mut ctes = outer.clone();
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                let mut plan = self.query(&cte.query, &ctes);
                if !cte.alias.columns.is_empty() {
                    rename(&mut plan, cte.alias.columns.iter().map(|c| lower(&c.name)));
                }
                ctes.insert(lower(&cte.alias.name), plan);
            }
        }
        self.set_expr(&q.body, &ctes)
    }

    fn set_expr(&self, body: &SetExpr, ctes: &Ctes) -> Plan {
        match body {
            SetExpr::Select(select) => self.select(select, ctes),
            SetExpr::Query(q) => self.query(q, ctes),
            SetExpr::SetOperation { left, right, .. } => {
                let mut left = self.set_expr(left, ctes);
                let right = self.set_expr(right, ctes);
                let starless = |p: &Plan| p.iter().all(|i| matches!(i, Item::Column { .. }));
                let aligned = starless(&left) && starless(&right) && left.len() == right.len();
                for (i, item) in left.iter_mut().enumerate() {
                    if let Item::Column { deps, opaque, .. } = item {
                        match right.get(i) {
                            Some(Item::Column {
                                deps: more,
                                opaque: o,
                                ..
                            }) if aligned => {
                                deps.extend(more.iter().cloned());
                                *opaque |= *o;
                            }
                            _ => *opaque = true,
                        }
                    }
                }
                left
            }
            _ => vec![unknown_column("?")],
        }
    }

    fn sources_of(&self, from: &[TableWithJoins], ctes: &Ctes) -> Vec<(String, Source)> {
        let mut out = Vec::new();
        for twj in from {
            self.factor(&twj.relation, ctes, &mut out);
            for join in &twj.joins {
                self.factor(&join.relation, ctes, &mut out);
            }
        }
        out
    }

    fn factor(&self, factor: &TableFactor, ctes: &Ctes, out: &mut Vec<(String, Source)>) {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                let (rel, last) = rel_of(name);
                let (source, default) = match (&rel, ctes.get(&last)) {
                    (Rel::Other(_), Some(plan)) => (Source::Derived(plan.clone()), last.clone()),
                    (Rel::Other(_), None) => (Source::Rel(rel.clone()), last.clone()),
                    _ => (Source::Rel(rel.clone()), (self.default_alias)(&rel)),
                };
                let alias = alias.as_ref().map(|a| lower(&a.name)).unwrap_or(default);
                out.push((alias, source));
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let mut plan = self.query(subquery, ctes);
                if let Some(a) = alias
                    && !a.columns.is_empty()
                {
                    rename(&mut plan, a.columns.iter().map(|c| lower(&c.name)));
                }
                let alias = alias.as_ref().map(|a| lower(&a.name)).unwrap_or_default();
                out.push((alias, Source::Derived(plan)));
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                out.extend(self.sources_of(std::slice::from_ref(table_with_joins), ctes));
            }
            other => {
                let alias = match other {
                    TableFactor::TableFunction { alias, .. }
                    | TableFactor::Function { alias, .. }
                    | TableFactor::UNNEST { alias, .. } => {
                        alias.as_ref().map(|a| lower(&a.name)).unwrap_or_default()
                    }
                    _ => String::new(),
                };
                out.push((alias, Source::Unknown));
            }
        }
    }

    fn select(&self, select: &Select, ctes: &Ctes) -> Plan {
        let sources = self.sources_of(&select.from, ctes);
        let mut plan = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    plan.push(self.column(expr_name(expr), expr, &sources));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    plan.push(self.column(lower(alias), expr, &sources));
                }
                SelectItem::ExprWithAliases { expr, aliases } => {
                    for alias in aliases {
                        plan.push(self.column(lower(alias), expr, &sources));
                    }
                }
                SelectItem::Wildcard(opts) => {
                    let except = excepted(opts);
                    for (_, source) in &sources {
                        star_of(source, &except, &mut plan);
                    }
                }
                SelectItem::QualifiedWildcard(kind, opts) => {
                    let except = excepted(opts);
                    let name = match kind {
                        SelectItemQualifiedWildcardKind::ObjectName(n) => {
                            n.0.last()
                                .and_then(|p| p.as_ident())
                                .map(lower)
                                .unwrap_or_default()
                        }
                        _ => String::new(),
                    };
                    match sources.iter().find(|(alias, _)| *alias == name) {
                        Some((_, source)) => star_of(source, &except, &mut plan),
                        None => plan.push(unknown_column("*")),
                    }
                }
            }
        }
        plan
    }

    /// An output column: every column its expression reads, resolved in `sources`.
    fn column(&self, name: String, expr: &Expr, sources: &[(String, Source)]) -> Item {
        let data_type = match expr {
            Expr::Cast { data_type, .. } => Some(data_type.to_string().to_lowercase()),
            _ => None,
        };
        let mut reads = Reads::default();
        let _ = expr.visit(&mut reads);
        let mut deps = Vec::new();
        let mut opaque = reads.subquery;
        for (table, column) in reads.names {
            match resolve_name(table.as_deref(), &column, sources) {
                Some((mut found, o)) => {
                    deps.append(&mut found);
                    opaque |= o;
                }
                None => opaque = true,
            }
        }
        dedup(&mut deps);
        Item::Column {
            name,
            data_type,
            deps,
            opaque,
        }
    }
}

/// A name's upstream columns (and whether part of it is opaque), or `None` when it names
/// nothing in scope.
fn resolve_name(
    table: Option<&str>,
    column: &str,
    sources: &[(String, Source)],
) -> Option<(Vec<Dep>, bool)> {
    let in_scope: Vec<&Source> = match table {
        Some(t) => sources
            .iter()
            .filter(|(alias, _)| alias == t)
            .map(|(_, s)| s)
            .collect(),
        None => sources.iter().map(|(_, s)| s).collect(),
    };
    if in_scope.is_empty() {
        return None;
    }
    // A derived table that names the column settles it.
    let named: Vec<&Item> = in_scope
        .iter()
        .filter_map(|s| match s {
            Source::Derived(plan) => plan
                .iter()
                .find(|i| matches!(i, Item::Column { name, .. } if name == column)),
            _ => None,
        })
        .collect();
    if let [Item::Column { deps, opaque, .. }] = named.as_slice() {
        return Some((deps.clone(), *opaque));
    }
    if named.len() > 1 {
        return None;
    }
    // Otherwise any relation (or star of one) in scope may have it; link time decides.
    let mut rels = Vec::new();
    let mut unknown = false;
    for s in in_scope {
        match s {
            Source::Rel(rel) => rels.push(rel.clone()),
            Source::Derived(plan) => {
                for item in plan {
                    if let Item::Star { rel, except } = item
                        && !except.iter().any(|e| e == column)
                    {
                        rels.push(rel.clone());
                    }
                }
            }
            Source::Unknown => unknown = true,
        }
    }
    if rels.is_empty() {
        return (!unknown).then_some((Vec::new(), true)).or(None);
    }
    Some((
        vec![Dep {
            rels,
            column: column.to_string(),
        }],
        unknown,
    ))
}

fn star_of(source: &Source, except: &[String], plan: &mut Plan) {
    match source {
        Source::Rel(rel) => plan.push(Item::Star {
            rel: rel.clone(),
            except: except.to_vec(),
        }),
        Source::Derived(items) => {
            for item in items {
                match item {
                    Item::Column { name, .. } if except.contains(name) => {}
                    Item::Star { rel, except: e } => plan.push(Item::Star {
                        rel: rel.clone(),
                        except: e.iter().chain(except).cloned().collect(),
                    }),
                    other => plan.push(other.clone()),
                }
            }
        }
        Source::Unknown => plan.push(unknown_column("*")),
    }
}

fn excepted(opts: &WildcardAdditionalOptions) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(exclude) = &opts.opt_exclude {
        use sqlparser::ast::ExcludeSelectItem;
        let names = match exclude {
            ExcludeSelectItem::Single(n) => vec![n],
            ExcludeSelectItem::Multiple(ns) => ns.iter().collect(),
        };
        for n in names {
            if let Some(id) = n.0.last().and_then(|p| p.as_ident()) {
                out.push(lower(id));
            }
        }
    }
    if let Some(except) = &opts.opt_except {
        out.push(lower(&except.first_element));
        out.extend(except.additional_elements.iter().map(lower));
    }
    out
}

/// The column names an expression reads (`(table, column)`), outside any subquery in it; a
/// subquery's reads are not followed (they are in another scope), only noted.
#[derive(Default)]
struct Reads {
    names: Vec<(Option<String>, String)>,
    depth: usize,
    subquery: bool,
}

impl Visitor for Reads {
    type Break = ();

    fn pre_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.depth += 1;
        self.subquery = true;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.depth > 0 {
            return ControlFlow::Continue(());
        }
        match expr {
            Expr::Identifier(id) => self.names.push((None, lower(id))),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => self.names.push((
                Some(lower(&parts[parts.len() - 2])),
                lower(&parts[parts.len() - 1]),
            )),
            // DuckDB's dialect reads `f(type = 'x')` as a named argument; in models it is a
            // comparison of a column (a real named argument then reads as an unknown column:
            // unknown, not guessed).
            Expr::Function(f) => {
                if let FunctionArguments::List(list) = &f.args {
                    for arg in &list.args {
                        if let FunctionArg::Named {
                            name,
                            operator: FunctionArgOperator::Equals,
                            ..
                        } = arg
                        {
                            self.names.push((None, lower(name)));
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn rename(plan: &mut Plan, names: impl Iterator<Item = String>) {
    for (item, new) in plan.iter_mut().zip(names) {
        if let Item::Column { name, .. } = item {
            *name = new;
        }
    }
}

fn unknown_column(name: &str) -> Item {
    Item::Column {
        name: name.to_string(),
        data_type: None,
        deps: Vec::new(),
        opaque: true,
    }
}

/// The name the warehouse gives an unaliased select item: a column's own name, else the text.
fn expr_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(id) => lower(id),
        Expr::CompoundIdentifier(parts) => parts.last().map(lower).unwrap_or_default(),
        other => other.to_string().to_lowercase(),
    }
}

fn dedup(deps: &mut Vec<Dep>) {
    let mut seen = Vec::new();
    deps.retain(|d| {
        if seen.contains(d) {
            false
        } else {
            seen.push(d.clone());
            true
        }
    });
}

#[cfg(test)]
mod tests;
