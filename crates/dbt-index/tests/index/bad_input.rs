use vibedata_dbt_index::{Index, Severity};

use crate::{minimal, write};

fn codes_at(index: &Index, file: &str) -> Vec<(&'static str, u32)> {
    index
        .problems()
        .into_iter()
        .filter(|p| p.file == file)
        .map(|p| (p.code, p.line))
        .collect()
}

#[test]
fn every_kind_of_bad_input_is_a_located_problem_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    minimal(root);
    write(
        root,
        "models/broken.yml",
        "version: 2\nmodels:\n  - name: a\n    columns: [\n",
    );
    write(
        root,
        "models/unknown.sql",
        "select 1\nfrom {{ ref('does_not_exist') }}\njoin {{ source('nowhere', 't') }}\n",
    );
    write(
        root,
        "models/cycle_x.sql",
        "select * from {{ ref('cycle_y') }}\n",
    );
    write(
        root,
        "models/cycle_y.sql",
        "select * from {{ ref('cycle_x') }}\n",
    );
    std::fs::write(root.join("models/latin1.sql"), b"select 1\n-- caf\xe9\n").unwrap();
    let big = format!(
        "select 1 as x\n{}",
        "-- padding\n".repeat(50 * 1024 * 1024 / 11)
    );
    write(root, "models/huge.sql", &big);
    std::fs::create_dir_all(root.join("models/loop")).unwrap();
    std::os::unix::fs::symlink("..", root.join("models/loop/again")).unwrap();
    write(root, "models/dup/a.sql", "select 2 as id\n");
    write(
        root,
        "models/columns.yml",
        "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: not_selected\n        data_tests: [unique]\n",
    );

    let index = Index::load(root);
    assert!(
        index.nodes().contains_key("model.shop.b"),
        "good models still load"
    );
    assert_eq!(index.graph().parent_map["model.shop.b"], ["model.shop.a"]);
    assert_eq!(
        codes_at(&index, "models/broken.yml"),
        [("yaml_invalid", 5)],
        "YAML error at the line where parsing stopped"
    );
    assert_eq!(
        codes_at(&index, "models/unknown.sql"),
        [("unknown_ref", 2), ("unknown_source", 3)]
    );
    assert!(
        codes_at(&index, "models/cycle_x.sql").contains(&("cycle", 1)),
        "{:?}",
        index.problems()
    );
    assert_eq!(
        codes_at(&index, "models/latin1.sql"),
        [("file_not_utf8", 2)]
    );
    assert_eq!(codes_at(&index, "models/huge.sql"), [("file_too_large", 0)]);
    assert!(
        index
            .problems()
            .iter()
            .any(|p| p.code == "file_unreadable" && p.message.contains("loop")),
        "{:?}",
        index.problems()
    );
    assert_eq!(
        codes_at(&index, "models/dup/a.sql"),
        [("duplicate_name", 1)]
    );
    assert_eq!(
        codes_at(&index, "models/columns.yml"),
        [("test_on_missing_column", 5)]
    );
    assert!(
        index
            .problems()
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
            >= 6
    );
}

#[test]
fn a_folder_without_dbt_project_yml_is_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::load(dir.path());
    assert!(index.nodes().is_empty());
    let problems = index.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file, "dbt_project.yml");
}

#[test]
fn jinja_comments_and_sql_strings_do_not_create_lineage() {
    let dir = tempfile::tempdir().unwrap();
    minimal(dir.path());
    write(
        dir.path(),
        "models/c.sql",
        "{# {{ ref('b') }} #}\nselect 'ref(''a'')' as s -- {{ \"ref('a')\" }}\n",
    );
    let index = Index::load(dir.path());
    assert!(index.graph().parent_map["model.shop.c"].is_empty());
    assert!(index.problems().is_empty(), "{:?}", index.problems());
}
