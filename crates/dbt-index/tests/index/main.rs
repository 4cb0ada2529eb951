//! Integration tests of the native index on projects written to disk. (Agreement with the real
//! `dbt parse` lives in the core's tests, which own the Python venv.)

// Integration tests: helpers outside #[test] functions are not covered by allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod incremental;
mod keys;
mod robustness;
mod synthetic;

use std::path::Path;

pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub fn minimal(root: &Path) {
    write(
        root,
        "dbt_project.yml",
        "name: shop\nversion: '1.0'\nprofile: shop\n",
    );
    write(root, "models/a.sql", "select 1 as id\n");
    write(root, "models/b.sql", "select id from {{ ref('a') }}\n");
    write(
        root,
        "models/schema.yml",
        "version: 2\nmodels:\n  - name: b\n    columns:\n      - name: id\n        description: Key\n        data_tests: [not_null]\n",
    );
}
