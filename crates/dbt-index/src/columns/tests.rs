use super::*;

fn alias(rel: &Rel) -> String {
    match rel {
        Rel::Ref(0) => "orders".into(),
        Rel::Ref(1) => "customers".into(),
        Rel::Ref(n) => format!("r{n}"),
        Rel::Source(n) => format!("s{n}"),
        Rel::This => "this".into(),
        Rel::Other(n) => n.clone(),
    }
}

/// `name ← rel.column, …` for each output item (`*rel` for a star), `?` marking opaque.
fn show(plan: &Plan) -> Vec<String> {
    plan.iter()
        .map(|item| match item {
            Item::Column {
                name, deps, opaque, ..
            } => {
                let deps: Vec<String> = deps
                    .iter()
                    .map(|d| {
                        let rels: Vec<String> = d.rels.iter().map(alias).collect();
                        format!("{}.{}", rels.join("|"), d.column)
                    })
                    .collect();
                format!(
                    "{name}{} <- {}",
                    if *opaque { "?" } else { "" },
                    deps.join(", ")
                )
            }
            Item::Star { rel, except } => format!("*{} -{}", alias(rel), except.join(",")),
        })
        .collect()
}

fn planned(sql: &str) -> Vec<String> {
    show(&plan(sql, "duckdb", &alias).unwrap())
}

#[test]
fn ctes_joins_aliases_and_expressions_are_followed() {
    let sql = "with o as (select id as order_id, customer_id, amount from __vd_ref_0),
               c as (select * from __vd_ref_1)
               select o.order_id, c.name as customer, sum(o.amount) over (partition by c.region) as total,
                      cast(o.amount as decimal(18,2)) as amount, 1 as one
               from o left join c on o.customer_id = c.id";
    assert_eq!(
        planned(sql),
        [
            "order_id <- orders.id",
            "customer <- customers.name",
            "total <- orders.amount, customers.region",
            "amount <- orders.amount",
            "one <- ",
        ]
    );
    let typed = plan(sql, "duckdb", &alias).unwrap();
    assert!(matches!(&typed[3], Item::Column { data_type: Some(t), .. } if t == "decimal(18,2)"));
}

#[test]
fn stars_stay_symbolic_and_bare_names_with_two_tables_wait_for_link_time() {
    assert_eq!(
        planned("select * exclude (secret) from __vd_ref_0"),
        ["*orders -secret"]
    );
    assert_eq!(
        planned("select status, orders.id from __vd_ref_0 join __vd_ref_1 using (id)"),
        ["status <- orders|customers.status", "id <- orders.id"]
    );
    assert_eq!(
        planned("select x.* from (select a, b from __vd_ref_0) as x"),
        ["a <- orders.a", "b <- orders.b"]
    );
}

#[test]
fn unions_merge_by_position_and_unreadable_parts_are_opaque() {
    assert_eq!(
        planned("select id, 'a' as src from __vd_ref_0 union all select id, 'b' from __vd_ref_1"),
        ["id <- orders.id, customers.id", "src <- "]
    );
    assert_eq!(
        planned("select (select max(x) from __vd_ref_1) as m from __vd_ref_0"),
        ["m? <- "]
    );
    assert_eq!(planned("select nope.id from __vd_ref_0"), ["id? <- "]);
    assert!(plan("select from where", "duckdb", &alias).is_err());
}

#[test]
fn keywords_used_as_column_names_are_still_read() {
    assert_eq!(
        planned("select coalesce(type = 'jaffle', false) as is_food, name from __vd_ref_0"),
        ["is_food <- orders.type", "name <- orders.name"]
    );
}
