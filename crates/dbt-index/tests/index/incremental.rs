use vibedata_dbt_index::Index;

use crate::{minimal, write};

#[test]
fn edits_creations_and_deletions_update_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    minimal(root);
    let mut index = Index::load(root);
    assert!(index.problems().is_empty());

    write(
        root,
        "models/b.sql",
        "select id from {{ ref('missing') }}\n",
    );
    let outcome = index.update(&[root.join("models/b.sql")]);
    assert_eq!((outcome.reloaded, outcome.files), (false, 1));
    assert!(index.graph().parent_map["model.shop.b"].is_empty());
    assert_eq!(index.problems()[0].code, "unknown_ref");

    write(root, "models/missing.sql", "select 1 as id\n");
    index.update(&[root.join("models/missing.sql")]);
    assert_eq!(
        index.graph().parent_map["model.shop.b"],
        ["model.shop.missing"]
    );
    assert!(index.problems().is_empty());

    std::fs::remove_file(root.join("models/missing.sql")).unwrap();
    index.update(&["models/missing.sql".into()]);
    assert!(!index.nodes().contains_key("model.shop.missing"));

    write(root, "dbt_project.yml", "name: renamed\n");
    assert!(
        index.update(&[root.join("dbt_project.yml")]).reloaded,
        "a project change reloads everything"
    );
    assert!(index.nodes().contains_key("model.renamed.a"));
}

#[test]
fn edits_outside_resource_folders_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    minimal(dir.path());
    let mut index = Index::load(dir.path());
    write(dir.path(), "README.md", "hello");
    write(dir.path(), "target/compiled.sql", "select 1");
    assert_eq!(
        index
            .update(&[
                dir.path().join("README.md"),
                dir.path().join("target/compiled.sql")
            ])
            .files,
        0
    );
}

/// Whatever path an update takes (in-place re-link or full link), the result must equal a fresh load.
fn assert_same_as_fresh(index: &Index, why: &str) {
    let fresh = Index::load(index.root());
    assert_eq!(
        index.graph().parent_map,
        fresh.graph().parent_map,
        "{why}: parent_map"
    );
    assert_eq!(
        index.graph().child_map,
        fresh.graph().child_map,
        "{why}: child_map"
    );
    assert_eq!(index.problems(), fresh.problems(), "{why}: problems");
    assert_eq!(index.nodes(), fresh.nodes(), "{why}: nodes");
}

#[test]
fn in_place_relinking_equals_a_fresh_load() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    vibedata_dbt_index::synthetic::write_synthetic(root, 120, 3).unwrap();
    let mut index = Index::load(root);
    let fct = root.join("models/marts/g000/fct_0.sql");
    let edits = [
        (
            "another parent",
            "select a.id as fct_id, a.amount as amount, b.origin as origin from {{ ref('int_1') }} as a join {{ ref('stg_2') }} as b on a.id = b.id join {{ ref('stg_3') }} as c on c.id = a.id\n",
        ),
        (
            "an unknown ref",
            "select a.id as fct_id, a.amount as amount, 'x' as origin from {{ ref('nope') }} as a\n",
        ),
        (
            "a column the tests need is gone",
            "select a.id as other_id, a.amount as amount, 'x' as origin from {{ ref('int_1') }} as a\n",
        ),
        (
            "a source instead of refs",
            "select id as fct_id, amount, 'x' as origin from {{ source('src0', 't1') }}\n",
        ),
        (
            "a cycle",
            "select fct_id, amount, origin from {{ ref('fct_0') }}\n",
        ),
        (
            "the cycle is gone",
            "select a.id as fct_id, a.amount as amount, 'x' as origin from {{ ref('int_1') }} as a\n",
        ),
        (
            "a config change",
            "{{ config(materialized='view') }}\nselect a.id as fct_id, a.amount as amount, 'x' as origin from {{ ref('int_1') }} as a\n",
        ),
    ];
    for (why, sql) in edits {
        std::fs::write(&fct, sql).unwrap();
        index.update(std::slice::from_ref(&fct));
        assert_same_as_fresh(&index, why);
    }
    write(
        root,
        "models/marts/g000/_fct_g000__models.yml",
        "version: 2\nmodels:\n  - name: fct_0\n    columns:\n      - name: fct_id\n        data_tests: [unique]\n",
    );
    index.update(&[root.join("models/marts/g000/_fct_g000__models.yml")]);
    assert_same_as_fresh(&index, "a YAML edit");
}
