//! `vibedata review <repo-path> --base <rev> --head <rev>`: what a change does to the dbt
//! project, from the two sides' indexes (no warehouse). JSON (stable for CI): `changed[]` with
//! `unique_id`, `change`, `category`, `columns {added, removed, modified}`; `impacted[]`;
//! `contract_breaks[]` with `unique_id`, `column`, `kind`; plus `impact[]` (column by column),
//! the commits compared and indexing problems.

use std::path::PathBuf;
use std::process::ExitCode;

use vibedata_core::Studio;
use vibedata_core::platform::config::Config;
use vibedata_core::review::ReviewReport;

use crate::print;

pub async fn review(
    json: bool,
    config: Config,
    repo: PathBuf,
    project_dir: Option<String>,
    base: String,
    head: String,
) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let report = studio
        .review()
        .compare(repo, project_dir, base, head)
        .await?;
    print(json, &report, human)?;
    Ok(ExitCode::SUCCESS)
}

fn human(r: &ReviewReport) {
    println!(
        "{} ({}) against {} ({}){}",
        r.head,
        short(&r.head_commit),
        r.base,
        short(&r.base_commit),
        if r.from_merge_base {
            ", from their merge base"
        } else {
            "; unrelated histories: compared tip to tip"
        }
    );
    if r.diff.changed.is_empty() {
        println!("no dbt node changed");
    }
    for c in &r.diff.changed {
        let category = c
            .category
            .map(|c| format!("{c:?}").to_lowercase())
            .unwrap_or_default();
        println!(
            "  {:<9} {:<16} {}  {}",
            format!("{:?}", c.change).to_lowercase(),
            category,
            c.unique_id,
            c.reason
        );
        for (what, list) in [
            ("added", &c.columns.added),
            ("removed", &c.columns.removed),
            ("modified", &c.columns.modified),
        ] {
            if !list.is_empty() {
                println!("            columns {what}: {}", list.join(", "));
            }
        }
    }
    if !r.diff.impacted.is_empty() {
        println!("impacted downstream: {}", r.diff.impacted.len());
        for i in &r.diff.impact {
            let affected = if i.affected_columns.is_empty() {
                String::new()
            } else {
                format!(" — columns reached: {}", i.affected_columns.join(", "))
            };
            println!("  {}{affected}", i.unique_id);
        }
    }
    for b in &r.diff.contract_breaks {
        println!(
            "contract break: {}.{} {}",
            b.unique_id,
            b.column,
            format!("{:?}", b.kind).to_lowercase()
        );
    }
    for p in &r.problems {
        println!("problem: {p}");
    }
}

fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}
