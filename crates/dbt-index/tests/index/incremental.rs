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
            true,
            "select a.id as fct_id, a.amount as amount, b.origin as origin from {{ ref('int_1') }} as a join {{ ref('stg_2') }} as b on a.id = b.id join {{ ref('stg_3') }} as c on c.id = a.id\n",
        ),
        (
            "an unknown ref",
            true,
            "select a.id as fct_id, a.amount as amount, 'x' as origin from {{ ref('nope') }} as a\n",
        ),
        (
            "a column the tests need is gone",
            true,
            "select a.id as other_id, a.amount as amount, 'x' as origin from {{ ref('int_1') }} as a\n",
        ),
        (
            "a source instead of refs",
            true,
            "select id as fct_id, amount, 'x' as origin from {{ source('src0', 't1') }}\n",
        ),
        (
            "a cycle",
            false,
            "select fct_id, amount, origin from {{ ref('fct_0') }}\n",
        ),
        (
            "the cycle is gone",
            false,
            "select a.id as fct_id, a.amount as amount, 'x' as origin from {{ ref('int_1') }} as a\n",
        ),
        (
            "a config change",
            false,
            "{{ config(materialized='view') }}\nselect a.id as fct_id, a.amount as amount, 'x' as origin from {{ ref('int_1') }} as a\n",
        ),
    ];
    for (why, fast, sql) in edits {
        std::fs::write(&fct, sql).unwrap();
        let outcome = index.update(std::slice::from_ref(&fct));
        assert_eq!(outcome.in_place, fast, "{why}: re-linked in place?");
        assert_same_as_fresh(&index, why);
    }
    let yaml = root.join("models/marts/g000/_fct_g000__models.yml");
    let original = std::fs::read_to_string(&yaml).unwrap();
    let tested = "data_tests: [unique, not_null]";
    let yaml_edits = [
        (
            "a test added, lines shifted",
            true,
            format!(
                "# a comment\n# another\n{}",
                original.replacen(tested, "data_tests: [unique, not_null, {accepted_values: {arguments: {values: [1, 2]}}}]", 1)
            ),
        ),
        ("a description changed", true, original.replacen("description: Fact 1\n", "description: The first fact\n", 1)),
        (
            "a column documented and tested that the SQL lacks",
            true,
            original.replacen(
                "      - name: amount\n        description: Total\n",
                "      - name: amount\n        description: Total\n      - name: ghost\n        description: Not selected\n        data_tests: [not_null]\n",
                1,
            ),
        ),
        (
            "a test with an unknown ref",
            true,
            original.replacen(tested, "data_tests: [unique, {relationships: {arguments: {to: ref('nope'), field: id}}}]", 1),
        ),
        (
            "a model removed from the YAML",
            false,
            "version: 2\nmodels:\n  - name: fct_0\n    columns:\n      - name: fct_id\n        data_tests: [unique]\n".to_string(),
        ),
        ("back to the original", false, original.clone()),
        ("a YAML syntax error", false, "models: [\n".to_string()),
        ("fixed again", false, original.clone()),
    ];
    for (why, fast, text) in yaml_edits {
        assert!(
            text != std::fs::read_to_string(&yaml).unwrap(),
            "{why}: the edit changes the file"
        );
        std::fs::write(&yaml, text).unwrap();
        let outcome = index.update(std::slice::from_ref(&yaml));
        assert_eq!(outcome.in_place, fast, "{why}: re-linked in place?");
        assert_same_as_fresh(&index, why);
    }
}
