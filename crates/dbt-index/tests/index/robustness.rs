//! Random token soup through the extractors and the YAML loader: nothing panics, and every
//! reported location is inside the input. (The cargo-fuzz targets in `fuzz/` explore further on
//! nightly; this runs on every `cargo test`.)

use vibedata_dbt_index::{jinja, sql_columns, yaml};

const JINJA: &[&str] = &[
    "{{", "}}", "{%", "%}", "{#", "#}", "-", "ref", "source", "config", "(", ")", "'a'", "\"b\"",
    ",", "v=", "version=", "2", "\\", "'", "\"", "\n", " ", "raw", "endraw", "snapshot", "x",
    "dbt", ".", "=", "[", "]", "{", "}", ":", "true", "é", "--", "/*", "*/", "select", "from",
    "as", "*",
];
const YAML: &[&str] = &[
    "models:",
    "sources:",
    "metrics:",
    "unit_tests:",
    "exposures:",
    "semantic_models:",
    "- name: a",
    "- name: b",
    "columns:",
    "data_tests:",
    "tests:",
    "- unique",
    "- not_null",
    "versions:",
    "- v: 1",
    "defined_in: a",
    "arguments:",
    "{to: ref('a')}",
    "tables:",
    "config:",
    "  ",
    "\n",
    "- ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    "'",
    "\"",
    "&x",
    "*x",
    "!tag",
    "name: 1",
    "- include: all",
    "exclude: [a]",
    "test_name: unique",
    "type_params: {measure: m}",
    "measures: [{name: m}]",
    "|",
    ">",
    "#",
    "null",
    "~",
];

fn soup(rng: &mut fastrand::Rng, pieces: &[&str], len: usize) -> String {
    (0..len)
        .map(|_| pieces[rng.usize(..pieces.len())])
        .collect()
}

#[test]
fn extractors_never_panic_and_locate_inside_the_input() {
    let mut rng = fastrand::Rng::with_seed(2026);
    for _ in 0..4000 {
        let len = rng.usize(0..60);
        let text = soup(&mut rng, JINJA, len);
        let lines = text.split('\n').count() as u32;
        for ex in [jinja::extract_sql(&text), jinja::extract_python(&text)] {
            assert!(
                ex.refs.iter().all(|r| (1..=lines).contains(&r.line)),
                "{text:?}"
            );
            assert!(
                ex.sources.iter().all(|s| (1..=lines).contains(&s.line)),
                "{text:?}"
            );
            assert!(
                ex.unterminated.is_none_or(|l| (1..=lines).contains(&l)),
                "{text:?}"
            );
        }
        let _ = sql_columns::output_columns(&text);
    }
}

#[test]
fn yaml_loading_never_panics_and_names_the_file() {
    let mut rng = fastrand::Rng::with_seed(11);
    for _ in 0..3000 {
        let len = rng.usize(0..40);
        let text = soup(&mut rng, YAML, len);
        let facts = yaml::parse(&text, "p", "models/x.yml");
        assert!(
            facts.problems.iter().all(|p| p.file == "models/x.yml"),
            "{text:?}"
        );
    }
}

/// Jinja and SQL soup through the renderer (with a project's macros, one recursive) and the
/// column planner: nothing panics or hangs, and a failure is located inside the input.
#[test]
fn rendering_and_column_planning_never_panic_and_locate_inside_the_input() {
    use vibedata_dbt_index::columns;
    use vibedata_dbt_index::project::Project;
    use vibedata_dbt_index::render::{Renderer, Target};
    const RENDER: &[&str] = &[
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "-",
        "ref('a')",
        "source('s', 't')",
        "config(x=1)",
        "var('v')",
        "var('v', 1)",
        "env_var('NOPE')",
        "m()",
        "loop_forever(1)",
        "pkg.m()",
        "adapter.dispatch('m')()",
        "if",
        "endif",
        "for x in [1, 2]",
        "endfor",
        "set y = []",
        "do y.append(1)",
        "return(1)",
        "(",
        ")",
        "'a'",
        ",",
        "\n",
        " ",
        "select",
        "from",
        "*",
        "as",
        "x",
        "join",
        "on",
        "=",
        "union all",
        "with",
        "c as (",
        "where",
        "1",
        "range(99999)",
        "is_incremental()",
        "this",
        "target.name",
        "~",
        ".",
        "|",
        "upper",
        "macro",
        "endmacro",
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dbt_project.yml"),
        "name: p\nprofile: p\nvars: {v: 'x'}\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("macros")).unwrap();
    std::fs::write(
        dir.path().join("macros/m.sql"),
        "{% macro m() %}{{ ref('b') }}{% endmacro %}\n{% macro loop_forever(n) %}{{ loop_forever(n + 1) }}{% endmacro %}",
    )
    .unwrap();
    let projects = vec![Project::load(dir.path(), "").unwrap()];
    let mut problems = Vec::new();
    let renderer = Renderer::new(&projects, Target::local("p"), &mut problems);
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..1500 {
        let len = rng.usize(0..40);
        let text = soup(&mut rng, RENDER, len);
        let lines = text.split('\n').count() as u32;
        match renderer.render_node(0, "n", "models/n.sql", &text) {
            Ok(rendered) => {
                let _ = columns::plan(&rendered.sql, "duckdb", &|_| "t".to_string());
            }
            Err(f) => assert!(f.line <= lines, "{f:?} in {text:?}"),
        }
        let _ = columns::plan(&text, "duckdb", &|_| "t".to_string());
    }
}
