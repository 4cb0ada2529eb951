//! The types that cross the IPC boundary between the desktop shell (`src-tauri`) and the UI (`ui`).
//!
//! This crate owns only plain serde data: no I/O, no logic beyond formatting helpers, and no
//! dependency that does not build for `wasm32-unknown-unknown`. Both sides import these types, so
//! a change here is a change to the wire format and the compiler finds every place it touches.

/// `Display` of a closed set of names: their wire name (`as_str`).
macro_rules! display_as_str {
    ($($t:ty),* $(,)?) => {
        $(impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        })*
    };
}

mod agent;
mod domain;
mod error;
pub mod fabric;
pub mod inbox;
mod intent;
pub mod monitor;
pub mod review;
mod skill;
mod status;
mod workspace;

pub use agent::{
    AgentRole, ModelApiStyle, ModelSettingsDto, SessionDto, SessionEventDto, SessionStatus,
    SessionUsageDto, SetModelDto, ToolScope, TranscriptDto, UsageDto,
};
pub use domain::{
    ColumnDto, ColumnRefDto, CountDto, CoverageDto, FileDto, IndexChangedDto, IndexSummaryDto,
    LineageDto, LineageEdgeDto, LineageNodeDto, NodeDetailDto, NodeKind, NodeRowDto, ProblemDto,
    Severity,
};
pub use error::{ErrorCode, ErrorDto};
pub use intent::{
    AgentStage, IntentDto, IntentOffersDto, IntentState, IntentStep, MergedDto, PlansDto,
    SparkCheckDto, ValidationCheckDto, ValidationDto,
};
pub use skill::{SkillDto, SkillProblemDto, SkillsDto};
pub use status::{AppStatusDto, VenvStatusDto};
pub use workspace::{
    AddWorkspaceDto, BranchDiffDto, BranchDto, ChangeKind, CloneProgressDto, CommitDto, FetchState,
    FileChangeDto, GitStateDto, IdentityDto, WorkspaceDto, WorkspaceKind,
};

display_as_str!(
    AgentRole,
    SessionStatus,
    ToolScope,
    NodeKind,
    Severity,
    IntentState,
    IntentStep,
    AgentStage,
    inbox::IssueState,
    inbox::Triage,
    inbox::OutboxKind,
    inbox::OutboxState,
    inbox::AccountKind,
    inbox::SignInState,
);

#[cfg(test)]
mod tests {
    use super::inbox::{AccountKind, IssueState, OutboxKind, OutboxState, Triage};
    use super::{IntentState, IntentStep, NodeKind, SessionStatus};

    fn wire<T: serde::Serialize>(value: T) -> String {
        serde_json::to_string(&value)
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned()
    }

    #[test]
    fn wire_names_are_the_stored_names() {
        for s in IntentState::ALL {
            assert_eq!(wire(s), s.as_str());
            assert_eq!(IntentState::parse(s.as_str()), Some(s));
        }
        for s in IntentStep::ALL {
            assert_eq!(wire(s), s.as_str());
            assert_eq!(IntentStep::parse(s.as_str()), Some(s));
        }
        for s in SessionStatus::ALL {
            assert_eq!(wire(s), s.as_str());
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
        }
        for s in Triage::ALL {
            assert_eq!(wire(s), s.as_str());
        }
        for s in OutboxState::ALL {
            assert_eq!(wire(s), s.as_str());
        }
        for s in OutboxKind::ALL {
            assert_eq!(wire(s), s.as_str());
        }
        for s in [AccountKind::Device, AccountKind::Pat] {
            assert_eq!(AccountKind::parse(&wire(s)), Some(s));
        }
        for s in [IssueState::Open, IssueState::Closed] {
            assert_eq!(IssueState::parse(&wire(s)), Some(s));
        }
        assert_eq!(
            wire(NodeKind::SemanticModel),
            NodeKind::SemanticModel.as_str()
        );
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(NodeKind::Model.counted(1), "1 model");
        assert_eq!(NodeKind::Test.counted(20), "20 tests");
        assert_eq!(NodeKind::Analysis.counted(2), "2 analyses");
        assert_eq!(NodeKind::SemanticModel.counted(3), "3 semantic models");
    }

    #[test]
    fn check_states_github_adds_later_still_read() {
        let status: super::inbox::CheckStatus =
            serde_json::from_str("\"some_new_state\"").unwrap_or(super::inbox::CheckStatus::Queued);
        assert_eq!(status, super::inbox::CheckStatus::Other);
    }
}
