use vibedata_dbt_index::Index;

use crate::{minimal, write};

#[test]
fn edits_creations_and_deletions_update_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    minimal(root);
    let mut index = Index::load(root);
    assert!(index.problems().is_empty());

    write(root, "models/b.sql", "select id from {{ ref('missing') }}\n");
    let outcome = index.update(&[root.join("models/b.sql")]);
    assert_eq!((outcome.reloaded, outcome.files), (false, 1));
    assert!(index.graph().parent_map["model.shop.b"].is_empty());
    assert_eq!(index.problems()[0].code, "unknown_ref");

    write(root, "models/missing.sql", "select 1 as id\n");
    index.update(&[root.join("models/missing.sql")]);
    assert_eq!(index.graph().parent_map["model.shop.b"], ["model.shop.missing"]);
    assert!(index.problems().is_empty());

    std::fs::remove_file(root.join("models/missing.sql")).unwrap();
    index.update(&["models/missing.sql".into()]);
    assert!(!index.nodes().contains_key("model.shop.missing"));

    write(root, "dbt_project.yml", "name: renamed\n");
    assert!(index.update(&[root.join("dbt_project.yml")]).reloaded, "a project change reloads everything");
    assert!(index.nodes().contains_key("model.renamed.a"));
}

#[test]
fn edits_outside_resource_folders_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    minimal(dir.path());
    let mut index = Index::load(dir.path());
    write(dir.path(), "README.md", "hello");
    write(dir.path(), "target/compiled.sql", "select 1");
    assert_eq!(index.update(&[dir.path().join("README.md"), dir.path().join("target/compiled.sql")]).files, 0);
}
