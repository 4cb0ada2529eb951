//! The keys a model's project declares ([`diff::declared_keys`]), table-driven: each row is a
//! model's YAML and the keys expected, first match first, with the evidence that names them.

use vibedata_dbt_index::Index;
use vibedata_dbt_index::diff::declared_keys;

use crate::write;

/// (case, the `models:` entry of `orders` (YAML, indented under `models:`), keys expected in
/// order as (columns, a word of the evidence)).
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static [&'static str], &'static str)],
);

const CASES: &[Case] = &[
    (
        "nothing declared",
        "  - name: orders\n    columns:\n      - name: order_id\n        data_tests: [not_null]\n",
        &[],
    ),
    (
        "a unique test on a column",
        "  - name: orders\n    columns:\n      - name: order_id\n        data_tests: [unique, not_null]\n",
        &[(&["order_id"], "`unique` test")],
    ),
    (
        "a unique test with arguments, column name upper-cased",
        "  - name: orders\n    columns:\n      - name: ORDER_ID\n        data_tests:\n          - unique:\n              config: {severity: warn}\n",
        &[(&["order_id"], "`unique` test")],
    ),
    (
        "unique_combination_of_columns (composite)",
        "  - name: orders\n    data_tests:\n      - dbt_utils.unique_combination_of_columns:\n          arguments:\n            combination_of_columns: [customer_id, order_date]\n",
        &[(
            &["customer_id", "order_date"],
            "unique_combination_of_columns",
        )],
    ),
    (
        "unique_combination_of_columns, legacy top-level arguments",
        "  - name: orders\n    tests:\n      - dbt_utils.unique_combination_of_columns:\n          combination_of_columns: [a, b, c]\n",
        &[(&["a", "b", "c"], "unique_combination_of_columns")],
    ),
    (
        "a column primary-key constraint",
        "  - name: orders\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: order_id\n        data_type: integer\n        constraints: [{type: not_null}, {type: primary_key}]\n",
        &[(&["order_id"], "primary-key constraint")],
    ),
    (
        "a model-level composite primary key",
        "  - name: orders\n    config:\n      contract: {enforced: true}\n    constraints:\n      - type: primary_key\n        columns: [customer_id, order_date]\n    columns:\n      - name: customer_id\n        data_type: integer\n      - name: order_date\n        data_type: date\n",
        &[(&["customer_id", "order_date"], "model-level primary-key")],
    ),
    (
        "unique_key config, a string",
        "  - name: orders\n    config:\n      materialized: incremental\n      unique_key: order_id\n",
        &[(&["order_id"], "`unique_key`")],
    ),
    (
        "unique_key config, a list",
        "  - name: orders\n    config:\n      materialized: incremental\n      unique_key: [customer_id, order_date]\n",
        &[(&["customer_id", "order_date"], "`unique_key`")],
    ),
    (
        "every kind at once: the order a diff tries them, the same key once",
        "  - name: orders\n    config:\n      unique_key: [customer_id, order_date]\n    constraints:\n      - type: primary_key\n        columns: [order_ref]\n    data_tests:\n      - dbt_utils.unique_combination_of_columns:\n          arguments:\n            combination_of_columns: [customer_id, order_date]\n    columns:\n      - name: order_id\n        data_tests: [unique]\n      - name: order_ref\n",
        &[
            (&["order_id"], "`unique` test"),
            (
                &["customer_id", "order_date"],
                "unique_combination_of_columns",
            ),
            (&["order_ref"], "model-level primary-key"),
        ],
    ),
    (
        "a model-level check constraint is not a key",
        "  - name: orders\n    constraints:\n      - type: check\n        expression: amount > 0\n        columns: [amount]\n",
        &[],
    ),
];

#[test]
fn declared_keys_are_found_first_match_first_with_their_evidence() {
    for (case, entry, expected) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "dbt_project.yml",
            "name: shop\nversion: '1.0'\nprofile: shop\n",
        );
        write(
            root,
            "models/orders.sql",
            "select 1 as order_id, 1 as customer_id, current_date as order_date, 1 as order_ref, 1 as a, 1 as b, 1 as c, 1.0 as amount\n",
        );
        write(
            root,
            "models/orders.yml",
            &format!("version: 2\nmodels:\n{entry}"),
        );
        let index = Index::load(root);
        let keys = declared_keys(&index, "model.shop.orders");
        let got: Vec<(Vec<String>, String)> = keys
            .iter()
            .map(|k| (k.columns.clone(), k.evidence.clone()))
            .collect();
        assert_eq!(got.len(), expected.len(), "{case}: {got:?}");
        for ((cols, evidence), (want, word)) in got.iter().zip(expected.iter()) {
            assert_eq!(cols, want, "{case}: {got:?}");
            assert!(
                evidence.contains(word),
                "{case}: `{evidence}` lacks `{word}`"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dbt_project.yml",
        "name: shop\nversion: '1.0'\n",
    );
    let index = Index::load(dir.path());
    assert!(
        declared_keys(&index, "model.shop.nothing").is_empty(),
        "an unknown node has none"
    );
}
