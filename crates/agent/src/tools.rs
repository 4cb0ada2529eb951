//! Tools: typed inputs (JSON Schema generated from the Rust type; the type's doc comment is the
//! description the model sees) and a declared [`Scope`](crate::policy::Scope). Failures are returned as text for the
//! model, never as a crash. File tools go through [`crate::confine`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::confine;
use crate::message::ToolSpec;
use crate::policy::{Autonomy, Policy, Scope};

/// What a tool runs against.
#[derive(Clone)]
pub struct ToolContext {
    pub workspace: PathBuf,
    pub policy: Arc<RwLock<Policy>>,
    /// Where a tool reports what it produced (artifacts, commits, to-dos) for the UI.
    pub notes: Option<Arc<dyn Fn(ToolNote) + Send + Sync>>,
}

/// Something a tool produced that the UI shows beside the transcript.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolNote {
    /// A file the agent created or changed.
    Artifact {
        path: String,
    },
    GitCommit {
        id: String,
        branch: String,
        message: String,
    },
    TodoAdd {
        id: u32,
        text: String,
    },
    TodoUpdate {
        id: u32,
        done: bool,
    },
}

impl ToolContext {
    pub fn new(workspace: PathBuf, policy: Arc<RwLock<Policy>>) -> Self {
        ToolContext {
            workspace,
            policy,
            notes: None,
        }
    }

    /// Reports a note, if anyone listens.
    pub fn note(&self, note: ToolNote) {
        if let Some(notes) = &self.notes {
            notes(note);
        }
    }
}

/// A tool with a typed input.
pub trait TypedTool: Send + Sync + 'static {
    /// Deserialized from the model's arguments; its doc comment is the tool's description.
    type Input: DeserializeOwned + JsonSchema + Send;
    const NAME: &'static str;
    const SCOPE: Scope;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>>;

    /// What running it would do, for an approval card (writes show their diff).
    fn preview(&self, _ctx: &ToolContext, _input: &Self::Input) -> Option<String> {
        None
    }
}

/// The object-safe form the runtime holds.
pub trait Tool: Send + Sync {
    fn spec(&self) -> ToolSpec;
    fn scope(&self) -> Scope;
    fn preview(&self, ctx: &ToolContext, arguments: &Value) -> Option<String>;
    fn call<'a>(
        &'a self,
        ctx: &'a ToolContext,
        arguments: Value,
    ) -> BoxFuture<'a, Result<String, String>>;
}

impl<T: TypedTool> Tool for T {
    fn spec(&self) -> ToolSpec {
        let schema = schemars::schema_for!(T::Input);
        let mut parameters = schema.as_value().clone();
        let description = parameters
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string();
        if let Some(obj) = parameters.as_object_mut() {
            obj.remove("$schema");
            obj.remove("title");
            obj.remove("description");
        }
        ToolSpec {
            name: T::NAME.to_string(),
            description,
            parameters,
        }
    }

    fn scope(&self) -> Scope {
        T::SCOPE
    }

    fn preview(&self, ctx: &ToolContext, arguments: &Value) -> Option<String> {
        let input: T::Input = serde_json::from_value(arguments.clone()).ok()?;
        TypedTool::preview(self, ctx, &input)
    }

    fn call<'a>(
        &'a self,
        ctx: &'a ToolContext,
        arguments: Value,
    ) -> BoxFuture<'a, Result<String, String>> {
        match serde_json::from_value::<T::Input>(arguments) {
            Ok(input) => self.run(ctx, input),
            Err(e) => {
                Box::pin(async move { Err(format!("the arguments do not fit `{}`: {e}", T::NAME)) })
            }
        }
    }
}

fn inside(ctx: &ToolContext, path: &str) -> Result<PathBuf, String> {
    confine::resolve(&ctx.workspace, path).map_err(|e| e.to_string())
}

fn display(ctx: &ToolContext, path: &Path) -> String {
    let root = ctx
        .workspace
        .canonicalize()
        .unwrap_or_else(|_| ctx.workspace.clone());
    path.strip_prefix(&root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// List the files and folders under a folder of the workspace (recursively, `.git` and build
/// output left out). Folders end with `/`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListFilesInput {
    /// Folder relative to the workspace root; default the root.
    #[serde(default)]
    pub path: Option<String>,
}

pub struct ListFiles;

impl TypedTool for ListFiles {
    type Input = ListFilesInput;
    const NAME: &'static str = "list_files";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let base = inside(ctx, input.path.as_deref().unwrap_or("."))?;
            let mut out = Vec::new();
            let mut stack = vec![base];
            while let Some(dir) = stack.pop() {
                let mut entries: Vec<_> = std::fs::read_dir(&dir)
                    .map_err(|e| format!("cannot list {}: {e}", display(ctx, &dir)))?
                    .flatten()
                    .collect();
                entries.sort_by_key(|e| e.file_name());
                for entry in entries {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if matches!(
                        name.as_str(),
                        ".git" | "target" | "logs" | "dbt_packages" | ".vibedata"
                    ) {
                        continue;
                    }
                    let path = entry.path();
                    // Symlinks are listed, not followed.
                    let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
                    out.push(if is_dir {
                        format!("{}/", display(ctx, &path))
                    } else {
                        display(ctx, &path)
                    });
                    if is_dir {
                        stack.push(path);
                    }
                    if out.len() >= 2000 {
                        out.push("… (listing stopped at 2000 entries)".into());
                        return Ok(out.join("\n"));
                    }
                }
            }
            Ok(out.join("\n"))
        })
    }
}

/// Read a text file of the workspace.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReadFileInput {
    /// File path relative to the workspace root.
    pub path: String,
}

pub struct ReadFile;

impl TypedTool for ReadFile {
    type Input = ReadFileInput;
    const NAME: &'static str = "read_file";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let path = inside(ctx, &input.path)?;
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| format!("cannot read {}: {e}", input.path))?;
            String::from_utf8(bytes).map_err(|_| format!("{} is not a text file", input.path))
        })
    }
}

/// Find lines containing a text in the workspace's files (case-insensitive); answers
/// `path:line: text`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchFilesInput {
    /// The text to look for.
    pub text: String,
    /// Folder to search, relative to the workspace root; default the root.
    #[serde(default)]
    pub path: Option<String>,
}

pub struct SearchFiles;

impl TypedTool for SearchFiles {
    type Input = SearchFilesInput;
    const NAME: &'static str = "search_files";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            if input.text.is_empty() {
                return Err("give a text to search for".into());
            }
            let listing = ListFiles
                .run(
                    ctx,
                    ListFilesInput {
                        path: input.path.clone(),
                    },
                )
                .await?;
            let needle = input.text.to_lowercase();
            let mut hits = Vec::new();
            for rel in listing
                .lines()
                .filter(|l| !l.ends_with('/') && !l.starts_with('…'))
            {
                let Ok(path) = inside(ctx, rel) else { continue };
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                for (i, line) in text.lines().enumerate() {
                    if line.to_lowercase().contains(&needle) {
                        hits.push(format!("{rel}:{}: {}", i + 1, line.trim()));
                        if hits.len() >= 200 {
                            hits.push("… (stopped at 200 matches)".into());
                            return Ok(hits.join("\n"));
                        }
                    }
                }
            }
            Ok(if hits.is_empty() {
                format!("no line contains {:?}", input.text)
            } else {
                hits.join("\n")
            })
        })
    }
}

/// Write a text file of the workspace (created or replaced whole).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WriteFileInput {
    /// File path relative to the workspace root.
    pub path: String,
    /// The complete new content.
    pub content: String,
}

pub struct WriteFile;

impl TypedTool for WriteFile {
    type Input = WriteFileInput;
    const NAME: &'static str = "write_file";
    const SCOPE: Scope = Scope::Write;

    fn preview(&self, ctx: &ToolContext, input: &Self::Input) -> Option<String> {
        let old = inside(ctx, &input.path)
            .ok()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&old, &input.content);
        Some(
            diff.unified_diff()
                .header(&format!("a/{}", input.path), &format!("b/{}", input.path))
                .to_string(),
        )
    }

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let path = inside(ctx, &input.path)?;
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| format!("cannot create the folder of {}: {e}", input.path))?;
            }
            // Write beside, then rename: a crash never leaves half a file.
            let tmp = path.with_extension("vibedata-tmp");
            tokio::fs::write(&tmp, input.content.as_bytes())
                .await
                .map_err(|e| format!("cannot write {}: {e}", input.path))?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| format!("cannot write {}: {e}", input.path))?;
            ctx.note(ToolNote::Artifact {
                path: input.path.clone(),
            });
            Ok(format!(
                "wrote {} ({} bytes)",
                input.path,
                input.content.len()
            ))
        })
    }
}

/// Replace one exact passage of a text file with new text (the passage must occur exactly once).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PatchFileInput {
    /// File path relative to the workspace root.
    pub path: String,
    /// The exact text to replace; it must occur once in the file.
    pub find: String,
    /// The text to put in its place.
    pub replace: String,
}

pub struct PatchFile;

impl PatchFile {
    fn patched(
        ctx: &ToolContext,
        input: &PatchFileInput,
    ) -> Result<(PathBuf, String, String), String> {
        let path = inside(ctx, &input.path)?;
        let old = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", input.path))?;
        match old.matches(input.find.as_str()).count() {
            0 => Err(format!(
                "the text to replace does not occur in {}",
                input.path
            )),
            1 if !input.find.is_empty() => {
                let new = old.replacen(input.find.as_str(), &input.replace, 1);
                Ok((path, old, new))
            }
            n => Err(format!(
                "the text to replace occurs {n} times in {}; give a longer, unique passage",
                input.path
            )),
        }
    }
}

impl TypedTool for PatchFile {
    type Input = PatchFileInput;
    const NAME: &'static str = "patch_file";
    const SCOPE: Scope = Scope::Write;

    fn preview(&self, ctx: &ToolContext, input: &Self::Input) -> Option<String> {
        let (_, old, new) = Self::patched(ctx, input).ok()?;
        let diff = similar::TextDiff::from_lines(&old, &new);
        Some(
            diff.unified_diff()
                .header(&format!("a/{}", input.path), &format!("b/{}", input.path))
                .to_string(),
        )
    }

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let (path, _, new) = Self::patched(ctx, &input)?;
            let tmp = path.with_extension("vibedata-tmp");
            tokio::fs::write(&tmp, new.as_bytes())
                .await
                .map_err(|e| format!("cannot write {}: {e}", input.path))?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| format!("cannot write {}: {e}", input.path))?;
            ctx.note(ToolNote::Artifact {
                path: input.path.clone(),
            });
            Ok(format!("patched {}", input.path))
        })
    }
}

/// Keep a short to-do list for this session: add items, mark them done. Answers the whole list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TodoInput {
    /// New items to add.
    #[serde(default)]
    pub add: Vec<String>,
    /// Numbers of items that are now done.
    #[serde(default)]
    pub done: Vec<u32>,
}

#[derive(Default)]
pub struct Todo {
    items: std::sync::Mutex<Vec<(String, bool)>>,
}

impl TypedTool for Todo {
    type Input = TodoInput;
    const NAME: &'static str = "todo";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let mut items = self
                .items
                .lock()
                .map_err(|_| "the to-do list is unavailable".to_string())?;
            for text in input.add {
                items.push((text.clone(), false));
                ctx.note(ToolNote::TodoAdd {
                    id: items.len() as u32,
                    text,
                });
            }
            for n in input.done {
                let item = items
                    .get_mut((n as usize).wrapping_sub(1))
                    .ok_or(format!("there is no item {n}"))?;
                item.1 = true;
                ctx.note(ToolNote::TodoUpdate { id: n, done: true });
            }
            Ok(items
                .iter()
                .enumerate()
                .map(|(i, (t, d))| format!("{}. [{}] {t}", i + 1, if *d { "x" } else { " " }))
                .collect::<Vec<_>>()
                .join("\n"))
        })
    }
}

/// Change the autonomy level of a tool in this workspace (L1, L2 or L3). Privileged: only a person
/// may do this.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SetAutonomyInput {
    pub tool: String,
    pub level: Autonomy,
}

pub struct SetAutonomy;

impl TypedTool for SetAutonomy {
    type Input = SetAutonomyInput;
    const NAME: &'static str = "set_autonomy";
    const SCOPE: Scope = Scope::Privileged;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let mut policy = ctx
                .policy
                .write()
                .map_err(|_| "the policy is unavailable".to_string())?;
            policy.grant(ctx.workspace.clone(), &input.tool, input.level);
            Ok(format!(
                "{} is now {:?} in this workspace",
                input.tool, input.level
            ))
        })
    }
}

/// The file tool set: reading, search, writing and patching, plus the privileged autonomy change
/// (present so a model asking for it is refused by the policy, visibly).
pub fn file_tools() -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(ListFiles),
        Arc::new(ReadFile),
        Arc::new(SearchFiles),
        Arc::new(WriteFile),
        Arc::new(PatchFile),
        Arc::new(Todo::default()),
        Arc::new(SetAutonomy),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_come_from_the_input_types() {
        let spec = Tool::spec(&WriteFile);
        assert_eq!(spec.name, "write_file");
        assert!(
            spec.description.starts_with("Write a text file"),
            "{}",
            spec.description
        );
        assert_eq!(spec.parameters["properties"]["path"]["type"], "string");
        let required: Vec<&str> = spec.parameters["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(required, ["path", "content"]);
    }
}
