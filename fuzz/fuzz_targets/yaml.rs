#![no_main]
//! Any text as a schema YAML file: loading must not panic, and every problem names the file.

use libfuzzer_sys::fuzz_target;
use vibedata_dbt_index::yaml;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let facts = yaml::parse(text, "fuzz", "models/fuzz.yml");
    for p in &facts.problems {
        assert_eq!(p.file, "models/fuzz.yml");
    }
});
