//! Breaking-change classes of a modified model, from the rendered SQL of both sides (Recce's
//! rules): `breaking` when the set of relations read or any clause other than the select list
//! changes (where, join, group by, having, order by, limit, distinct), when a select list under
//! `distinct` changes, or when a changed CTE column is used in one of those clauses; otherwise
//! removing or modifying an output column is `partial_breaking` and adding one `non_breaking`;
//! `unknown` when either side cannot be read — never a silent `non_breaking`.

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use serde::Serialize;
use sqlparser::ast::{
    Distinct, Expr, Query, Select, SelectItem, SetExpr, Statement, TableFactor, Visit, Visitor,
};
use sqlparser::dialect::{DuckDbDialect, GenericDialect};
use sqlparser::parser::Parser;

/// How a change affects what reads the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Breaking,
    PartialBreaking,
    NonBreaking,
    Unknown,
}

/// Output columns added, removed and modified (by name, lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ColumnChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub modified: Vec<String>,
}

/// A classification and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classified {
    pub category: Category,
    pub columns: ColumnChanges,
    /// Why, in a sentence (`the where clause changed`).
    pub reason: String,
}

/// One select's list, by output name, and whether it is `distinct`.
struct Projection {
    items: Vec<(String, String)>,
    distinct: bool,
    /// The CTE it defines (`None` for the final select and subqueries).
    cte: Option<String>,
}

fn parse(sql: &str) -> Option<Query> {
    let statements = Parser::parse_sql(&DuckDbDialect {}, sql)
        .or_else(|_| Parser::parse_sql(&GenericDialect {}, sql))
        .ok()?;
    statements.into_iter().rev().find_map(|s| match s {
        Statement::Query(q) => Some(*q),
        _ => None,
    })
}

/// Table names read anywhere in the query (CTE names excluded).
fn relations(q: &Query) -> BTreeSet<String> {
    struct Tables(BTreeSet<String>);
    impl Visitor for Tables {
        type Break = ();
        fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table { name, .. } = t {
                self.0.insert(name.to_string().to_lowercase());
            }
            ControlFlow::Continue(())
        }
    }
    let mut tables = Tables(BTreeSet::new());
    let _ = q.visit(&mut tables);
    let ctes: Vec<String> = cte_names(q);
    tables.0.retain(|t| !ctes.contains(t));
    tables.0
}

fn cte_names(q: &Query) -> Vec<String> {
    struct Ctes(Vec<String>);
    impl Visitor for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            if let Some(with) = &q.with {
                self.0.extend(
                    with.cte_tables
                        .iter()
                        .map(|c| c.alias.name.value.to_lowercase()),
                );
            }
            ControlFlow::Continue(())
        }
    }
    let mut ctes = Ctes(Vec::new());
    let _ = q.visit(&mut ctes);
    ctes.0
}

fn item_name(item: &SelectItem) -> (String, String) {
    match item {
        SelectItem::ExprWithAlias { expr, alias } => {
            (alias.value.to_lowercase(), expr.to_string().to_lowercase())
        }
        SelectItem::UnnamedExpr(expr) => {
            let name = match expr {
                Expr::Identifier(id) => id.value.to_lowercase(),
                Expr::CompoundIdentifier(parts) => parts
                    .last()
                    .map(|p| p.value.to_lowercase())
                    .unwrap_or_default(),
                other => other.to_string().to_lowercase(),
            };
            (name, expr.to_string().to_lowercase())
        }
        other => {
            let text = other.to_string().to_lowercase();
            (text.clone(), text)
        }
    }
}

/// Every select's list in traversal order (CTEs first, as written; subqueries in `from`), then the
/// query with those lists emptied: what must be equal on both sides for a change to be only in
/// select lists. (A subquery inside an expression keeps its list in the skeleton: a change there
/// counts as a clause change.)
fn projections_and_skeleton(mut q: Query) -> (Vec<Projection>, String) {
    fn walk_query(q: &mut Query, cte: Option<String>, found: &mut Vec<Projection>) {
        if let Some(with) = &mut q.with {
            for c in &mut with.cte_tables {
                let name = c.alias.name.value.to_lowercase();
                walk_query(&mut c.query, Some(name), found);
            }
        }
        walk_set(&mut q.body, cte, found);
    }
    fn walk_factor(f: &mut TableFactor, found: &mut Vec<Projection>) {
        match f {
            TableFactor::Derived { subquery, .. } => walk_query(subquery, None, found),
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                walk_factor(&mut table_with_joins.relation, found);
                for j in &mut table_with_joins.joins {
                    walk_factor(&mut j.relation, found);
                }
            }
            _ => {}
        }
    }
    fn walk_set(set: &mut SetExpr, cte: Option<String>, found: &mut Vec<Projection>) {
        match set {
            SetExpr::Select(select) => {
                let Select {
                    projection,
                    distinct,
                    from,
                    ..
                } = select.as_mut();
                for twj in from.iter_mut() {
                    walk_factor(&mut twj.relation, found);
                    for j in &mut twj.joins {
                        walk_factor(&mut j.relation, found);
                    }
                }
                found.push(Projection {
                    items: projection.iter().map(item_name).collect(),
                    distinct: matches!(distinct, Some(Distinct::Distinct | Distinct::On(_))),
                    cte,
                });
                projection.clear();
            }
            SetExpr::SetOperation { left, right, .. } => {
                walk_set(left, cte.clone(), found);
                walk_set(right, cte, found);
            }
            SetExpr::Query(q) => walk_query(q, cte, found),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk_query(&mut q, None, &mut found);
    (found, q.to_string().to_lowercase())
}

/// Names used outside select lists (where, join, group by, having, order by, qualify).
fn clause_names(q: &Query) -> BTreeSet<String> {
    let (_, skeleton) = projections_and_skeleton(q.clone());
    skeleton
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Classifies the change from `base` to `head` (rendered SQL whose relations name the same nodes
/// the same way on both sides).
pub fn classify(base: &str, head: &str) -> Classified {
    let unknown = |reason: &str| Classified {
        category: Category::Unknown,
        columns: ColumnChanges::default(),
        reason: reason.to_string(),
    };
    let (Some(b), Some(h)) = (parse(base), parse(head)) else {
        return unknown("the SQL of one side cannot be read");
    };
    if relations(&b) != relations(&h) {
        return Classified {
            category: Category::Breaking,
            columns: ColumnChanges::default(),
            reason: "the set of relations it reads changed".into(),
        };
    }
    let used_in_clauses = clause_names(&h);
    let (bp, b_skeleton) = projections_and_skeleton(b);
    let (hp, h_skeleton) = projections_and_skeleton(h);
    if b_skeleton != h_skeleton || bp.len() != hp.len() {
        return Classified {
            category: Category::Breaking,
            columns: ColumnChanges::default(),
            reason: "a clause other than the select list changed (where, join, group by, having, order by, limit or distinct)".into(),
        };
    }
    // CTE columns that changed, by CTE.
    let mut changed_cte_columns: HashMap<String, Vec<String>> = HashMap::new();
    for (b, h) in bp.iter().zip(&hp) {
        if b.items == h.items {
            continue;
        }
        if b.distinct || h.distinct {
            return Classified {
                category: Category::Breaking,
                columns: ColumnChanges::default(),
                reason: "a select list under distinct changed (its row count can change)".into(),
            };
        }
        if let Some(cte) = &h.cte {
            let changed = diff_items(&b.items, &h.items);
            let names: Vec<String> = changed
                .removed
                .iter()
                .chain(&changed.modified)
                .cloned()
                .collect();
            if let Some(col) = names.iter().find(|n| used_in_clauses.contains(*n)) {
                return Classified {
                    category: Category::Breaking,
                    columns: ColumnChanges::default(),
                    reason: format!(
                        "column `{col}` of CTE `{cte}` changed and is used in a join, filter or grouping"
                    ),
                };
            }
            changed_cte_columns
                .entry(cte.clone())
                .or_default()
                .extend(names);
        }
    }
    // The final select: the last projection outside any CTE.
    let final_of = |p: &[Projection]| {
        p.iter()
            .rev()
            .find(|p| p.cte.is_none())
            .map(|p| p.items.clone())
            .unwrap_or_default()
    };
    let (bf, hf) = (final_of(&bp), final_of(&hp));
    let mut columns = diff_items(&bf, &hf);
    // A final column reading a changed CTE column is modified too.
    let changed_names: BTreeSet<&String> = changed_cte_columns.values().flatten().collect();
    for (name, expr) in &hf {
        let reads_changed = expr
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| changed_names.iter().any(|c| c.as_str() == w));
        let star = expr == "*" || expr.ends_with(".*");
        if (reads_changed || (star && !changed_names.is_empty()))
            && !columns.added.contains(name)
            && !columns.modified.contains(name)
        {
            columns.modified.push(name.clone());
        }
    }
    columns.modified.sort();
    columns.modified.dedup();
    let category = if !columns.removed.is_empty() || !columns.modified.is_empty() {
        Category::PartialBreaking
    } else {
        Category::NonBreaking
    };
    let reason = match category {
        Category::PartialBreaking => "output columns were removed or modified".to_string(),
        _ if !columns.added.is_empty() => "output columns were only added".to_string(),
        _ => "the change does not alter its output".to_string(),
    };
    Classified {
        category,
        columns,
        reason,
    }
}

fn diff_items(base: &[(String, String)], head: &[(String, String)]) -> ColumnChanges {
    let mut out = ColumnChanges::default();
    for (name, expr) in head {
        match base.iter().find(|(n, _)| n == name) {
            None => out.added.push(name.clone()),
            Some((_, e)) if e != expr => out.modified.push(name.clone()),
            _ => {}
        }
    }
    for (name, _) in base {
        if !head.iter().any(|(n, _)| n == name) {
            out.removed.push(name.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests;
