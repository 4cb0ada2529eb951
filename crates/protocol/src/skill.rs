use serde::{Deserialize, Serialize};

/// A skill's metadata (the body is loaded only when an agent activates it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillDto {
    pub name: String,
    pub description: String,
    pub path: String,
    /// Lines in the Markdown body, a hint of how much context it costs.
    pub body_lines: usize,
    /// The instructions (the Markdown body after the front matter), to read in the app.
    pub body: String,
}

/// A skill folder that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillProblemDto {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillsDto {
    pub root: String,
    pub skills: Vec<SkillDto>,
    pub problems: Vec<SkillProblemDto>,
}
