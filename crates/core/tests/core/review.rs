//! Review of a real git history: both sides written out and indexed, the change classified, its
//! column changes followed downstream, contract breaks listed — without touching the checkout.

use vibedata_core::Studio;
use vibedata_dbt_index::diff::{Category, Change, ContractBreakKind};

use crate::fresh_paths;

fn sh(dir: &std::path::Path, script: &str) {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "set -e\nexport GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com\n{script}"
        ))
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success());
}

const BASE: &str = r#"
git init -q -b main shop && cd shop
mkdir -p models/staging models/marts
printf 'name: shop\nversion: "1.0"\nprofile: shop\n' > dbt_project.yml
cat > models/staging/_sources.yml <<'Y'
version: 2
sources:
  - name: raw
    tables: [{name: orders}]
Y
echo "select id, amount, status, customer_id from {{ source('raw', 'orders') }}" > models/staging/stg_orders.sql
echo "select id, amount from {{ ref('stg_orders') }} where status = 'ok'" > models/marts/orders.sql
echo "select customer_id, count(*) as n from {{ ref('stg_orders') }} group by customer_id" > models/marts/customers.sql
echo "select o.id, o.amount * 2 as doubled, o.id as order_id from {{ ref('orders') }} as o" > models/marts/doubled.sql
echo "select 1 as id" > models/marts/old_one.sql
cat > models/marts/_marts.yml <<'Y'
version: 2
models:
  - name: orders
    config: {contract: {enforced: true}}
    columns:
      - {name: id, data_type: integer, constraints: [{type: not_null}]}
      - {name: amount, data_type: decimal}
exposures:
  - name: board
    type: dashboard
    owner: {email: a@example.com}
    depends_on: [ref('doubled')]
Y
git add . && git commit -q -m base
git checkout -q -b intent/change
"#;

const HEAD: &str = r#"
cd shop
echo "select id, amount * 100 as amount, status, customer_id from {{ source('raw', 'orders') }}" > models/staging/stg_orders.sql
echo "{{ config(materialized='table') }} select customer_id, count(*) as n from {{ ref('stg_orders') }} group by customer_id" > models/marts/customers.sql
git rm -q models/marts/old_one.sql
echo "select 2 as id" > models/marts/new_one.sql
cat > models/marts/_marts.yml <<'Y'
version: 2
models:
  - name: orders
    config: {contract: {enforced: true}}
    columns:
      - {name: id, data_type: bigint}
exposures:
  - name: board
    type: dashboard
    owner: {email: a@example.com}
    depends_on: [ref('doubled')]
Y
git add -A && git commit -q -m change
git checkout -q main
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_is_reviewed_from_both_indexes_with_classes_columns_and_contract_breaks() {
    let dir = tempfile::tempdir().unwrap();
    sh(dir.path(), BASE);
    sh(dir.path(), HEAD);
    let repo = dir.path().join("shop");
    let (_data, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let r = studio
        .review()
        .compare(repo.clone(), None, "main".into(), "intent/change".into())
        .await
        .unwrap();
    assert!(r.from_merge_base);
    let changed = |uid: &str| {
        r.diff
            .changed
            .iter()
            .find(|c| c.unique_id == uid)
            .unwrap_or_else(|| panic!("{uid} changed: {:#?}", r.diff.changed))
    };
    let stg = changed("model.shop.stg_orders");
    assert_eq!(
        (stg.change, stg.category),
        (Change::Modified, Some(Category::PartialBreaking))
    );
    assert_eq!(stg.columns.modified, ["amount"]);
    assert!(stg.modified.contains(&"body"));
    let customers = changed("model.shop.customers");
    assert_eq!(
        customers.category,
        Some(Category::NonBreaking),
        "{customers:?}"
    );
    assert_eq!(customers.modified, ["configs"]);
    assert_eq!(changed("model.shop.new_one").change, Change::Added);
    let old = changed("model.shop.old_one");
    assert_eq!(
        (old.change, old.category),
        (Change::Removed, Some(Category::Breaking))
    );

    // Column by column downstream: amount reaches orders.amount and doubled.doubled, not the ids.
    let impact = |uid: &str| {
        r.diff
            .impact
            .iter()
            .find(|i| i.unique_id == uid)
            .unwrap_or_else(|| panic!("{uid} impacted: {:#?}", r.diff.impact))
    };
    let orders = impact("model.shop.orders");
    assert_eq!(orders.affected_columns, ["amount"]);
    assert_eq!(orders.unaffected_columns, ["id"]);
    let doubled = impact("model.shop.doubled");
    assert_eq!(doubled.affected_columns, ["doubled"]);
    assert_eq!(doubled.unaffected_columns, ["id", "order_id"]);
    assert!(
        r.diff.impacted.contains(&"exposure.shop.board".to_string()),
        "impact reaches exposures: {:?}",
        r.diff.impacted
    );
    assert!(
        !r.diff.impacted.contains(&"model.shop.orders".to_string()),
        "a changed node is listed as changed, not in the impacted set"
    );
    assert!(r.diff.impacted.contains(&"model.shop.doubled".to_string()));
    // customers reads stg_orders, but none of the columns that changed.
    assert!(impact("model.shop.customers").affected_columns.is_empty());

    // The enforced contract: amount removed, id's type changed and its constraint removed.
    let breaks: Vec<(String, ContractBreakKind)> = r
        .diff
        .contract_breaks
        .iter()
        .map(|b| (b.column.clone(), b.kind))
        .collect();
    assert!(
        breaks.contains(&("amount".into(), ContractBreakKind::Removed)),
        "{breaks:?}"
    );
    assert!(
        breaks.contains(&("id".into(), ContractBreakKind::TypeChanged)),
        "{breaks:?}"
    );
    assert!(
        breaks.contains(&("id".into(), ContractBreakKind::ConstraintRemoved)),
        "{breaks:?}"
    );

    // The person's checkout was not touched.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--abbrev-ref", "HEAD"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&head.stdout).trim(), "main");
    assert!(repo.join("models/marts/old_one.sql").is_file());

    let missing = studio
        .review()
        .compare(repo, None, "main".into(), "no-such-branch".into())
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("no-such-branch"), "{missing}");
}
