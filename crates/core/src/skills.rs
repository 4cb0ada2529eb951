//! Skills in the Agent Skills format: a folder whose `SKILL.md` opens with YAML front matter
//! (`name`, `description`) followed by a Markdown body. This module loads a folder of skills and
//! validates each one; a malformed skill is reported with its file and the reason, and does not
//! hide the others.

use crate::platform::error::{CoreError, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use vibedata_protocol::{SkillDto, SkillProblemDto, SkillsDto};

pub const SKILL_FILE: &str = "SKILL.md";
pub const MAX_NAME: usize = 64;
pub const MAX_DESCRIPTION: usize = 1024;
/// The convention's advice for a body's length; longer bodies belong in `references/`.
pub const MAX_BODY_LINES: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    pub name: String,
    pub description: String,
    pub dir: PathBuf,
    pub body: String,
}

/// Why one skill could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkillError {
    #[error("has no {SKILL_FILE}")]
    MissingFile,
    #[error("cannot be read: {0}")]
    Unreadable(String),
    #[error("must start with YAML front matter between two '---' lines")]
    NoFrontMatter,
    #[error("front matter is not valid YAML{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Yaml {
        line: Option<usize>,
        message: String,
    },
    #[error("front matter lacks `{0}`")]
    MissingField(&'static str),
    #[error("name '{name}' must equal the folder name '{folder}'")]
    NameMismatch { name: String, folder: String },
    #[error(
        "name '{0}' must be 1–{MAX_NAME} characters of a-z, 0-9 and '-', not starting or ending \
         with '-' and without '--'"
    )]
    BadName(String),
    #[error("description must be 1–{MAX_DESCRIPTION} characters (it has {0})")]
    DescriptionLength(usize),
    #[error("body has {0} lines; keep it under {MAX_BODY_LINES} and move detail to references/")]
    BodyTooLong(usize),
}

#[derive(Debug, Deserialize)]
struct FrontMatter {
    name: Option<String>,
    description: Option<String>,
}

/// All the skills under `root` (one folder each), and the problems of those that failed.
#[derive(Debug, Clone, Default)]
pub struct SkillSet {
    pub skills: Vec<Skill>,
    pub problems: Vec<(PathBuf, SkillError)>,
}

/// Loads every skill folder under `root`, sorted by name. A missing `root` is an error; a bad
/// skill is a problem in the result.
pub fn load_dir(root: &Path) -> Result<SkillSet> {
    let entries = std::fs::read_dir(root).map_err(|e| {
        CoreError::io(
            format!("cannot read the skills folder {}", root.display()),
            e,
        )
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !is_hidden(p))
        .collect();
    dirs.sort();
    let mut set = SkillSet::default();
    for dir in dirs {
        match load_skill(&dir) {
            Ok(skill) => set.skills.push(skill),
            Err(problem) => set.problems.push((dir.join(SKILL_FILE), problem)),
        }
    }
    Ok(set)
}

/// Loads and validates one skill folder.
pub fn load_skill(dir: &Path) -> Result<Skill, SkillError> {
    let file = dir.join(SKILL_FILE);
    if !file.is_file() {
        return Err(SkillError::MissingFile);
    }
    let text = std::fs::read_to_string(&file).map_err(|e| SkillError::Unreadable(e.to_string()))?;
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse(&folder, &text).map(|(name, description, body)| Skill {
        name,
        description,
        dir: dir.to_owned(),
        body,
    })
}

/// Splits and validates a `SKILL.md`: returns name, description and body.
pub fn parse(folder: &str, text: &str) -> Result<(String, String, String), SkillError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or(SkillError::NoFrontMatter)?;
    let (yaml, body) = split_closing_fence(rest).ok_or(SkillError::NoFrontMatter)?;
    let front: FrontMatter = serde_yaml_ng::from_str(yaml).map_err(|e| SkillError::Yaml {
        // +1: the opening fence is line 1 of the file.
        line: e.location().map(|l| l.line() + 1),
        message: e.to_string(),
    })?;
    let name = front.name.ok_or(SkillError::MissingField("name"))?;
    let description = front
        .description
        .ok_or(SkillError::MissingField("description"))?;
    if !valid_name(&name) {
        return Err(SkillError::BadName(name));
    }
    if name != folder {
        return Err(SkillError::NameMismatch {
            name,
            folder: folder.to_owned(),
        });
    }
    let chars = description.trim().chars().count();
    if chars == 0 || chars > MAX_DESCRIPTION {
        return Err(SkillError::DescriptionLength(chars));
    }
    let lines = body.lines().count();
    if lines > MAX_BODY_LINES {
        return Err(SkillError::BodyTooLong(lines));
    }
    Ok((name, description.trim().to_owned(), body.to_owned()))
}

fn split_closing_fence(rest: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

impl SkillSet {
    pub fn to_dto(&self, root: &Path) -> SkillsDto {
        SkillsDto {
            root: root.to_string_lossy().into_owned(),
            skills: self
                .skills
                .iter()
                .map(|s| SkillDto {
                    name: s.name.clone(),
                    description: s.description.clone(),
                    path: s.dir.to_string_lossy().into_owned(),
                    body_lines: s.body.lines().count(),
                    body: s.body.clone(),
                })
                .collect(),
            problems: self
                .problems
                .iter()
                .map(|(path, e)| SkillProblemDto {
                    path: path.to_string_lossy().into_owned(),
                    message: e.to_string(),
                })
                .collect(),
        }
    }
}

/// The skills' front door: the seeded platform skills (team skills in repositories come later).
pub struct Skills {
    platform: std::sync::Arc<crate::platform::Platform>,
}

impl Skills {
    pub fn new(platform: std::sync::Arc<crate::platform::Platform>) -> Self {
        Self { platform }
    }

    /// The seeded platform skills, validated.
    pub async fn platform_skills(&self) -> Result<SkillsDto> {
        self.check(None).await
    }

    /// Checks a folder of skills (`None`: the seeded platform skills).
    pub async fn check(&self, dir: Option<std::path::PathBuf>) -> Result<SkillsDto> {
        let root = dir.unwrap_or_else(|| self.platform.paths().skills_dir.clone());
        crate::platform::error::blocking(move || Ok(load_dir(&root)?.to_dto(&root))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "---\nname: dbt-testing\ndescription: How to test dbt models.\n---\n# Body\n";

    #[test]
    fn a_valid_skill_parses() {
        let (name, description, body) = parse("dbt-testing", GOOD).unwrap();
        assert_eq!(name, "dbt-testing");
        assert_eq!(description, "How to test dbt models.");
        assert_eq!(body, "# Body\n");
    }

    #[test]
    fn the_name_must_equal_the_folder() {
        let err = parse("other", GOOD).unwrap_err();
        assert!(matches!(err, SkillError::NameMismatch { .. }), "{err}");
    }

    #[test]
    fn names_follow_the_convention() {
        for bad in [
            "",
            "Upper",
            "-lead",
            "trail-",
            "dou--ble",
            "sp ace",
            &"a".repeat(65),
        ] {
            assert!(!valid_name(bad), "{bad:?} must be refused");
        }
        assert!(valid_name("duckdb-spark-dialect"));
    }

    #[test]
    fn missing_front_matter_and_fields_are_named() {
        assert_eq!(
            parse("x", "# no front matter").unwrap_err(),
            SkillError::NoFrontMatter
        );
        assert_eq!(
            parse("x", "---\nname: x\n").unwrap_err(),
            SkillError::NoFrontMatter
        );
        assert_eq!(
            parse("x", "---\nname: x\n---\n").unwrap_err(),
            SkillError::MissingField("description")
        );
    }

    #[test]
    fn bad_yaml_reports_the_file_line() {
        let err = parse("x", "---\nname: x\ndescription: [unclosed\n---\n").unwrap_err();
        match err {
            SkillError::Yaml { line, .. } => assert!(line.is_some_and(|l| l >= 3), "{line:?}"),
            other => panic!("expected a YAML error, got {other}"),
        }
    }

    #[test]
    fn descriptions_are_bounded() {
        let long = format!("---\nname: x\ndescription: {}\n---\n", "d".repeat(1025));
        assert_eq!(
            parse("x", &long).unwrap_err(),
            SkillError::DescriptionLength(1025)
        );
        assert_eq!(
            parse("x", "---\nname: x\ndescription: \"  \"\n---\n").unwrap_err(),
            SkillError::DescriptionLength(0)
        );
    }

    #[test]
    fn one_bad_skill_does_not_hide_the_others() {
        let root = tempfile::tempdir().unwrap();
        let good = root.path().join("dbt-testing");
        std::fs::create_dir(&good).unwrap();
        std::fs::write(good.join(SKILL_FILE), GOOD).unwrap();
        std::fs::create_dir(root.path().join("empty")).unwrap();
        let set = load_dir(root.path()).unwrap();
        assert_eq!(set.skills.len(), 1);
        assert_eq!(set.problems.len(), 1);
        assert_eq!(set.problems[0].1, SkillError::MissingFile);
        assert!(set.problems[0].0.ends_with("empty/SKILL.md"));
    }

    #[test]
    fn the_seeded_platform_skills_are_all_valid() {
        let root = crate::platform::paths::bundled_skills_dir();
        let set = load_dir(&root).unwrap();
        assert!(
            set.problems.is_empty(),
            "every seeded skill must load: {:?}",
            set.problems
        );
        assert!(set.skills.len() >= 3, "at least three seeded skills");
    }
}
