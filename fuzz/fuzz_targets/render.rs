#![no_main]
//! Any text as a model, rendered with a project's macros (one of them recursive) and its SQL
//! planned for column lineage: no panic, no hang (fuel and depth limits), and a failure is
//! located on a line of the input.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vibedata_dbt_index::columns;
use vibedata_dbt_index::project::Project;
use vibedata_dbt_index::render::{Renderer, Target};

fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<(tempfile::TempDir, Renderer)> = OnceLock::new();
    &RENDERER
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("dbt_project.yml"), "name: p\nprofile: p\n").expect("write");
            std::fs::create_dir_all(dir.path().join("macros")).expect("mkdir");
            std::fs::write(
                dir.path().join("macros/m.sql"),
                "{% macro m() %}{{ ref('b') }}{% endmacro %}{% macro again(n) %}{{ again(n) }}{% endmacro %}",
            )
            .expect("write");
            let projects = vec![Project::load(dir.path(), "").expect("project")];
            let renderer = Renderer::new(&projects, Target::local("p"), &mut Vec::new());
            (dir, renderer)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.split('\n').count() as u32;
    match renderer().render_node(0, "n", "models/n.sql", text) {
        Ok(rendered) => {
            let _ = columns::plan(&rendered.sql, "duckdb", &|_| "t".to_string());
        }
        Err(f) => assert!(f.line <= lines, "{f:?}"),
    }
});
