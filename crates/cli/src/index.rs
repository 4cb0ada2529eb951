//! `vibedata index <path>`: the native dbt index of a folder — counts, coverage and problems, the
//! manifest-shaped JSON, or a node-for-node comparison with dbt's `manifest.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::print;

pub async fn index(
    json: bool,
    path: PathBuf,
    compare: Option<PathBuf>,
    with_sql: bool,
) -> anyhow::Result<ExitCode> {
    use vibedata_core::dbt_index::manifest::to_manifest_json_with_sql;
    use vibedata_core::dbt_index::{Index, Severity, agreement, to_manifest_json};
    if !path.is_dir() {
        anyhow::bail!("{} is not a folder", path.display());
    }
    let index = tokio::task::spawn_blocking(move || Index::load(&path)).await?;
    if let Some(manifest) = compare {
        let text = std::fs::read(&manifest)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", manifest.display()))?;
        let dbt: serde_json::Value = serde_json::from_slice(&text)?;
        let diffs = agreement::diff_against_manifest(&index, &dbt);
        print(json, &diffs, |diffs| {
            for d in diffs {
                println!("{d}");
            }
            println!(
                "{} nodes compared; {} differences",
                index.nodes().len(),
                diffs.len()
            );
        })?;
        return Ok(if diffs.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let problems = index.problems();
    if json {
        let out = if with_sql {
            to_manifest_json_with_sql(&index)
        } else {
            to_manifest_json(&index)
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let packages = index.packages();
        println!(
            "project {} ({} files; packages: {})",
            index.project_name().unwrap_or("?"),
            index.files().count(),
            if packages.is_empty() {
                "none".to_string()
            } else {
                packages.join(", ")
            }
        );
        let counts = index.counts();
        println!(
            "{}",
            counts
                .iter()
                .map(|(t, n)| format!("{} {n}", t.as_str().replace('_', " ")))
                .collect::<Vec<_>>()
                .join(" · ")
        );
        let c = &index.coverage().total;
        println!(
            "coverage: docs {:.1}% ({}/{} columns) · tests {:.1}% ({}/{}) · contracts {:.1}% ({}/{} models)",
            c.docs_pct(),
            c.documented_columns,
            c.columns,
            c.tests_pct(),
            c.tested_columns,
            c.columns,
            c.contracts_pct(),
            c.contracted_models,
            c.models
        );
        let errors = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        println!(
            "problems: {errors} errors, {} warnings",
            problems.len() - errors
        );
        for p in &problems {
            let severity = if p.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            println!(
                "  {severity:<7} {}:{}  {}  {}",
                p.file, p.line, p.code, p.message
            );
        }
    }
    Ok(if problems.iter().any(|p| p.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
