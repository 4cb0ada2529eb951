//! Plan versions and variants of an intent. Every approved plan is kept as
//! `plans/v<N>.md` beside the current `plan.md`; any two versions can be diffed; restoring an old
//! version writes it as the current plan to be approved again (a new version — nothing is lost).
//! Variants are alternative plans under `plans/variants/<name>.md` (written by the Requirements
//! agent); adopting one makes it the current plan. Blocking (files).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::platform::error::{CoreError, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanVersion {
    pub version: u32,
    pub path: PathBuf,
}

fn plans_dir(folder: &Path) -> PathBuf {
    folder.join("plans")
}

/// Keeps the current `plan.md` as version `version` (called when a plan is approved).
pub fn keep(folder: &Path, version: u32) -> Result<PathBuf> {
    let dir = plans_dir(folder);
    std::fs::create_dir_all(&dir)
        .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let target = dir.join(format!("v{version}.md"));
    std::fs::copy(folder.join("plan.md"), &target)
        .map_err(|e| CoreError::io("cannot keep the plan version", e))?;
    Ok(target)
}

/// Every kept version, oldest first.
pub fn versions(folder: &Path) -> Result<Vec<PlanVersion>> {
    let Ok(entries) = std::fs::read_dir(plans_dir(folder)) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<PlanVersion> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let v = name.strip_prefix('v')?.strip_suffix(".md")?.parse().ok()?;
            Some(PlanVersion {
                version: v,
                path: e.path(),
            })
        })
        .collect();
    out.sort_by_key(|v| v.version);
    Ok(out)
}

fn read_version(folder: &Path, version: u32) -> Result<String> {
    let path = plans_dir(folder).join(format!("v{version}.md"));
    std::fs::read_to_string(&path)
        .map_err(|_| CoreError::NotFound(format!("there is no plan version {version}")))
}

/// The unified diff from version `a` to version `b`.
pub fn diff(folder: &Path, a: u32, b: u32) -> Result<String> {
    let (old, new) = (read_version(folder, a)?, read_version(folder, b)?);
    Ok(similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .header(&format!("plan v{a}"), &format!("plan v{b}"))
        .to_string())
}

/// Writes version `version` back as the current plan (to be approved as a new version).
pub fn restore(folder: &Path, version: u32) -> Result<()> {
    let text = read_version(folder, version)?;
    std::fs::write(folder.join("plan.md"), text)
        .map_err(|e| CoreError::io("cannot write plan.md", e))
}

/// Names of the variants on offer.
pub fn variants(folder: &Path) -> Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(plans_dir(folder).join("variants")) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".md")
                .map(str::to_string)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The diff from the current plan to a variant (side by side in the UI).
pub fn variant_diff(folder: &Path, variant: &str) -> Result<String> {
    if variant.is_empty()
        || !variant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CoreError::InvalidInput(format!(
            "'{variant}' is not a variant name"
        )));
    }
    let current = std::fs::read_to_string(folder.join("plan.md")).unwrap_or_default();
    let text = std::fs::read_to_string(
        plans_dir(folder)
            .join("variants")
            .join(format!("{variant}.md")),
    )
    .map_err(|_| CoreError::NotFound(format!("there is no variant {variant}")))?;
    Ok(similar::TextDiff::from_lines(&current, &text)
        .unified_diff()
        .header("current plan", &format!("variant {variant}"))
        .to_string())
}

/// Makes a variant the current plan.
pub fn adopt(folder: &Path, variant: &str) -> Result<()> {
    if variant.is_empty()
        || !variant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CoreError::InvalidInput(format!(
            "'{variant}' is not a variant name"
        )));
    }
    let path = plans_dir(folder)
        .join("variants")
        .join(format!("{variant}.md"));
    let text = std::fs::read_to_string(&path)
        .map_err(|_| CoreError::NotFound(format!("there is no variant {variant}")))?;
    std::fs::write(folder.join("plan.md"), text)
        .map_err(|e| CoreError::io("cannot write plan.md", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn versions_are_kept_diffed_restored_and_variants_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path();
        std::fs::write(f.join("plan.md"), "# Plan\n- one model\n").unwrap();
        keep(f, 0).unwrap();
        std::fs::write(f.join("plan.md"), "# Plan\n- one model\n- a test\n").unwrap();
        keep(f, 1).unwrap();
        assert_eq!(
            versions(f)
                .unwrap()
                .iter()
                .map(|v| v.version)
                .collect::<Vec<_>>(),
            [0, 1]
        );
        assert!(diff(f, 0, 1).unwrap().contains("+- a test"));
        restore(f, 0).unwrap();
        assert_eq!(
            std::fs::read_to_string(f.join("plan.md")).unwrap(),
            "# Plan\n- one model\n"
        );
        assert_eq!(versions(f).unwrap().len(), 2, "restoring loses nothing");
        assert_eq!(
            diff(f, 0, 7).map_err(|e| e.code()).err(),
            Some(ErrorCode::NotFound),
            "there is no version 7"
        );

        std::fs::create_dir_all(f.join("plans/variants")).unwrap();
        for (name, text) in [
            ("a-lean", "# Lean\n"),
            ("b-wide", "# Wide\n"),
            ("c-incremental", "# Incremental\n"),
        ] {
            std::fs::write(f.join(format!("plans/variants/{name}.md")), text).unwrap();
        }
        assert_eq!(variants(f).unwrap(), ["a-lean", "b-wide", "c-incremental"]);
        adopt(f, "b-wide").unwrap();
        assert_eq!(
            std::fs::read_to_string(f.join("plan.md")).unwrap(),
            "# Wide\n"
        );
        assert_eq!(
            adopt(f, "../x").map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidInput),
            "a variant name is not a path"
        );
        assert_eq!(
            adopt(f, "nope").map_err(|e| e.code()).err(),
            Some(ErrorCode::NotFound),
            "there is no variant nope"
        );
    }
}
