#![no_main]
//! Any text: the SQL and Python extractors and the select-list reader must not panic, and every
//! call they report must be located on a line of the input.

use libfuzzer_sys::fuzz_target;
use vibedata_dbt_index::{jinja, sql_columns};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.lines().count().max(1) as u32;
    for ex in [jinja::extract_sql(text), jinja::extract_python(text)] {
        for r in &ex.refs {
            assert!(r.line >= 1 && r.line <= lines + 1, "ref line {} of {lines}", r.line);
        }
        for s in &ex.sources {
            assert!(s.line >= 1 && s.line <= lines + 1);
        }
    }
    let _ = sql_columns::output_columns(text);
});
