//! Autonomy and approvals. Each tool has a level per workspace: L1 acts alone (the default for
//! reads), L2 proposes and a person approves (the default for writes, execution and network),
//! L3 is trusted — granted explicitly by a person, per tool and workspace. Tools of scope
//! `privileged` (approve, merge, promote, deploy, change autonomy) are refused to agents at every
//! level: that rule lives here, in the runtime, not in the UI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a tool may touch; the policy decides from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
    Execute,
    Network,
    /// Approve, merge, promote, deploy, change autonomy: never executed for an agent.
    Privileged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Autonomy {
    L1,
    L2,
    L3,
}

/// What the runtime does with one tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A person must approve first.
    Ask,
    Deny(String),
}

#[derive(Debug, Clone, Default)]
pub struct Policy {
    grants: HashMap<(PathBuf, String), Autonomy>,
}

impl Policy {
    /// Sets a tool's level in a workspace. Only a person's action reaches this (the shell's
    /// command, or the privileged tool a person runs), never an agent's tool call.
    pub fn grant(&mut self, workspace: PathBuf, tool: &str, level: Autonomy) {
        self.grants.insert((workspace, tool.to_string()), level);
    }

    pub fn level(&self, workspace: &Path, tool: &str, scope: Scope) -> Autonomy {
        self.grants
            .get(&(workspace.to_path_buf(), tool.to_string()))
            .copied()
            .unwrap_or(match scope {
                Scope::Read => Autonomy::L1,
                _ => Autonomy::L2,
            })
    }

    /// The decision for an agent's call of `tool`.
    pub fn decide(&self, workspace: &Path, tool: &str, scope: Scope) -> Decision {
        if scope == Scope::Privileged {
            return Decision::Deny(format!(
                "`{tool}` is privileged (approve, merge, promote, deploy, change autonomy): only a person can do that"
            ));
        }
        match self.level(workspace, tool, scope) {
            Autonomy::L1 | Autonomy::L3 => Decision::Allow,
            Autonomy::L2 => Decision::Ask,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_act_writes_ask_grants_trust_and_privileged_never() {
        let ws = PathBuf::from("/ws");
        let mut p = Policy::default();
        assert_eq!(p.decide(&ws, "read_file", Scope::Read), Decision::Allow);
        assert_eq!(p.decide(&ws, "write_file", Scope::Write), Decision::Ask);
        p.grant(ws.clone(), "write_file", Autonomy::L3);
        assert_eq!(p.decide(&ws, "write_file", Scope::Write), Decision::Allow);
        assert_eq!(
            p.decide(&PathBuf::from("/other"), "write_file", Scope::Write),
            Decision::Ask,
            "grants are per workspace"
        );
        p.grant(ws.clone(), "set_autonomy", Autonomy::L3);
        assert!(
            matches!(
                p.decide(&ws, "set_autonomy", Scope::Privileged),
                Decision::Deny(_)
            ),
            "privileged is refused even at L3"
        );
    }
}
