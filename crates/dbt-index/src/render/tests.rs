use super::*;

/// A root project `shop` (and optionally a package `pkg`) written to a temp folder, loaded.
fn projects(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Project>) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut projects = vec![Project::load(dir.path(), "").unwrap()];
    let pkg = dir.path().join("dbt_packages/pkg");
    if pkg.join("dbt_project.yml").is_file() {
        projects.push(Project::load(&pkg, "dbt_packages/pkg").unwrap());
    }
    (dir, projects)
}

fn renderer(projects: &[Project]) -> Renderer {
    let mut problems = Vec::new();
    let r = Renderer::new(projects, Target::local("shop"), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    r
}

fn refs(r: &Rendered) -> Vec<String> {
    r.refs.iter().map(|c| c.name.clone()).collect()
}

const PROJECT: &str = "name: shop\nprofile: shop\nvars:\n  use_new: false\n  tables: ['a', 'b']\n  account: \"{{ source('crm', 'account') }}\"\n";

#[test]
fn only_the_rendered_branch_counts_and_loops_over_set_lists_resolve() {
    let (_d, p) = projects(&[("dbt_project.yml", PROJECT)]);
    let r = renderer(&p);
    let out = r
        .render_node(
            0,
            "m",
            "models/m.sql",
            "{% if var('use_new', true) %}select * from {{ ref('new') }}{% else %}select * from {{ ref('old') }}{% endif %}\n\
             {% set models = ['x', 'y'] %}{% for m in models %}{{ ref(m) }}{% endfor %}\n\
             {% for t in var('tables') %}{{ ref(t) }}{% endfor %}\n\
             {% if is_incremental() %}{{ ref('only_incremental') }}{% endif %}",
        )
        .unwrap();
    assert_eq!(refs(&out), ["old", "x", "y", "a", "b"]);
}

#[test]
fn a_var_holding_a_source_call_records_the_source_on_the_node() {
    let (_d, p) = projects(&[("dbt_project.yml", PROJECT)]);
    let out = renderer(&p)
        .render_node(0, "m", "models/m.sql", "select * from {{ var('account') }}")
        .unwrap();
    assert_eq!(out.sources.len(), 1);
    assert_eq!(
        (
            out.sources[0].source.as_str(),
            out.sources[0].table.as_str()
        ),
        ("crm", "account")
    );
}

#[test]
fn config_calls_merge_and_keep_types() {
    let (_d, p) = projects(&[("dbt_project.yml", PROJECT)]);
    let out = renderer(&p)
        .render_node(
            0,
            "m",
            "models/m.sql",
            "{{ config(materialized='table', enabled=var('use_new', True)) }}{{ config({'tags': ['a']}) }}select 1",
        )
        .unwrap();
    assert_eq!(out.config["materialized"], "table");
    assert_eq!(out.config["enabled"], false);
    assert_eq!(out.config["tags"], serde_json::json!(["a"]));
}

#[test]
fn macros_are_followed_bare_by_package_and_through_dispatch() {
    let (_d, p) = projects(&[
        ("dbt_project.yml", "name: shop\nprofile: shop\n"),
        (
            "macros/m.sql",
            "{% macro orders_from() %}{{ ref('orders') }}{% endmacro %}\n{% macro pick(x) %}{{ return(x ~ '_picked') }}{% endmacro %}",
        ),
        (
            "dbt_packages/pkg/dbt_project.yml",
            "name: pkg\nprofile: pkg\n",
        ),
        (
            "dbt_packages/pkg/macros/u.sql",
            "{% macro union_of(names) %}{% for n in names %}select * from {{ ref(n) }}{% if not loop.last %} union all {% endif %}{% endfor %}{% endmacro %}\n\
             {% macro shim() %}{{ return(adapter.dispatch('shim', 'pkg')()) }}{% endmacro %}\n\
             {% macro default__shim() %}{{ ref('generic') }}{% endmacro %}\n\
             {% macro duckdb__shim() %}{{ ref('for_duckdb') }}{% endmacro %}",
        ),
    ]);
    let out = renderer(&p)
        .render_node(
            0,
            "m",
            "models/m.sql",
            "{{ orders_from() }} {{ pkg.union_of(['a', 'b']) }} {{ pkg.shim() }} {% set v = pick('x') %}{{ ref(v) }}",
        )
        .unwrap();
    assert_eq!(refs(&out), ["orders", "a", "b", "for_duckdb", "x_picked"]);
}

#[test]
fn project_file_configs_see_only_command_line_vars_and_keep_types() {
    let (_d, p) = projects(&[("dbt_project.yml", PROJECT)]);
    let r = renderer(&p);
    // `use_new: false` is a project var, but dbt_project.yml renders with `--vars` only.
    assert_eq!(
        r.render_config_value(0, "{{ var('use_new', true) }}", true)
            .unwrap(),
        serde_json::json!(true)
    );
    assert_eq!(
        r.render_config_value(0, "{{ var('use_new', true) }}", false)
            .unwrap(),
        serde_json::json!(false)
    );
    assert_eq!(
        r.render_config_value(0, "prefix_{{ var('s', 'dev') }}", true)
            .unwrap(),
        serde_json::json!("prefix_dev")
    );
    assert_eq!(
        r.render_config_value(0, "{{ target.type in ['duckdb', 'postgres'] }}", false)
            .unwrap(),
        serde_json::json!(true)
    );
    let missing = r
        .render_config_value(0, "{{ var('nowhere') }}", true)
        .unwrap_err();
    assert!(
        missing.message.contains("Required var 'nowhere'"),
        "{missing:?}"
    );
}

#[test]
fn bad_input_is_a_located_failure_never_a_hang() {
    let (_d, p) = projects(&[
        ("dbt_project.yml", "name: shop\nprofile: shop\n"),
        (
            "macros/loop.sql",
            "{% macro forever(n) %}{{ forever(n + 1) }}{% endmacro %}",
        ),
    ]);
    let r = renderer(&p);
    let syntax = r
        .render_node(0, "m", "models/m.sql", "select 1\n{% if %}")
        .unwrap_err();
    assert_eq!((syntax.code, syntax.line), ("jinja_syntax", 2));
    let recursion = r
        .render_node(0, "m", "models/m.sql", "{{ forever(0) }}")
        .unwrap_err();
    assert_eq!(recursion.code, "macro_recursion", "{recursion:?}");
    let env = r
        .render_node(
            0,
            "m",
            "models/m.sql",
            "\n\n{{ env_var('VIBEDATA_SURELY_UNSET') }}",
        )
        .unwrap_err();
    assert!(env.message.contains("Env var required"), "{env:?}");
    assert_eq!(env.line, 3);
    let spin = r
        .render_node(
            0,
            "m",
            "models/m.sql",
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        )
        .unwrap_err();
    assert_eq!(spin.code, "render_budget");
}

#[test]
fn the_target_comes_from_the_projects_profiles() {
    let (d, _p) = projects(&[
        ("dbt_project.yml", "name: shop\nprofile: shop\n"),
        (
            "profiles.yml",
            "shop:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n      path: target/shop.duckdb\n",
        ),
    ]);
    let t = Target::from_profiles(d.path(), "shop");
    assert_eq!(
        (t.name.as_str(), t.kind.as_str(), t.database.as_str()),
        ("local", "duckdb", "shop")
    );
    assert_eq!(Target::from_profiles(d.path(), "other").name, "dev");
}
