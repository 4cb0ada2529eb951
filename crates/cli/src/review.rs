//! `vibedata review <repo-path> --base <rev> --head <rev> [--data]`: what a change does to the dbt
//! project, from the two sides' indexes (no warehouse); with `--data`, both sides built on DuckDB
//! and each modified or impacted model's data diffed (`data {models[], build_failures[]}`). JSON (stable for CI): `changed[]` with
//! `unique_id`, `change`, `category`, `columns {added, removed, modified}`; `impacted[]`;
//! `contract_breaks[]` with `unique_id`, `column`, `kind`; plus `impact[]` (column by column),
//! the commits compared and indexing problems. `vibedata diff --duckdb <file> <left> <right>`:
//! the data diff of two relations (JSON: `key`, `left_rows`, `right_rows`, `left_only`,
//! `right_only`, `changed_rows`, `columns[{name, changed}]`, and more).

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use vibedata_core::Studio;
use vibedata_core::platform::config::Config;
use vibedata_core::review::data_diff::TableDiff;
use vibedata_core::review::{ReviewReport, RevsDataDiff};

use crate::print;

/// `--data`: the data diff too.
pub struct DataOptions {
    pub warehouse: Option<PathBuf>,
}

/// The review, and with `--data` the data diff of both sides (`data` in the JSON).
#[derive(Serialize)]
struct WithData {
    #[serde(flatten)]
    report: ReviewReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<RevsDataDiff>,
}

pub async fn review(
    json: bool,
    config: Config,
    repo: PathBuf,
    project_dir: Option<String>,
    base: String,
    head: String,
    data: Option<DataOptions>,
) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let report = studio
        .review()
        .compare(
            repo.clone(),
            project_dir.clone(),
            base.clone(),
            head.clone(),
        )
        .await?;
    let data = match data {
        Some(options) => {
            if !json {
                eprintln!("building both sides on DuckDB and diffing their data…");
            }
            Some(
                studio
                    .review()
                    .data_diff_revs(repo, project_dir, base, head, options.warehouse)
                    .await?,
            )
        }
        None => None,
    };
    print(json, &WithData { report, data }, |w| {
        human(&w.report);
        if let Some(d) = &w.data {
            human_data(d);
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn human_data(d: &RevsDataDiff) {
    if d.models.is_empty() {
        println!("data: no model to compare (nothing modified or downstream on both sides)");
    }
    for m in &d.models {
        match &m.error {
            Some(e) => println!("data {}: {e}", m.name),
            None => println!(
                "data {}: {} → {} rows; {}",
                m.name,
                m.base_rows,
                m.head_rows,
                if m.identical {
                    "identical".to_string()
                } else {
                    let changed: Vec<String> = m
                        .columns
                        .iter()
                        .filter(|c| c.changed > 0)
                        .map(|c| format!("{} ({})", c.name, c.changed))
                        .collect();
                    format!("changed columns: {}", changed.join(", "))
                }
            ),
        }
    }
    for f in &d.build_failures {
        println!("did not build: {f}");
    }
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

pub async fn diff(
    json: bool,
    config: Config,
    db: PathBuf,
    left: String,
    right: String,
    key: Option<Vec<String>>,
) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let d = studio.review().diff_tables(db, left, right, key).await?;
    print(json, &d, human_diff)?;
    Ok(if d.identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn human_diff(d: &TableDiff) {
    println!(
        "{} ({} rows) vs {} ({} rows)",
        d.left, d.left_rows, d.right, d.right_rows
    );
    if d.identical {
        println!("identical");
        return;
    }
    for rejected in &d.rejected_keys {
        println!(
            "not a key: {} ({}): {}",
            rejected["columns"],
            rejected["evidence"].as_str().unwrap_or_default(),
            rejected["why"].as_str().unwrap_or_default()
        );
    }
    match (&d.key_evidence, d.key.is_empty()) {
        (Some(why), false) => println!("key: {} (from {why})", d.key.join(", ")),
        _ => println!("{}", d.note.as_deref().unwrap_or("no key")),
    }
    if let (Some(l), Some(r), Some(c)) = (d.left_only, d.right_only, d.changed_rows) {
        println!("left only {l} · right only {r} · changed {c}");
    }
    for c in d.columns.iter().filter(|c| c.changed > 0) {
        println!(
            "  {:<30} {} changed ({:.3} % match)",
            c.name, c.changed, c.match_pct
        );
    }
}
