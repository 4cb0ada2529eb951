//! The types that cross the IPC boundary between the desktop shell (`src-tauri`) and the UI (`ui`).
//!
//! This crate owns only plain serde data: no I/O, no logic beyond formatting helpers, and no
//! dependency that does not build for `wasm32-unknown-unknown`. Both sides import these types, so
//! a change here is a change to the wire format and the compiler finds every place it touches.

mod agent;
mod domain;
mod error;
pub mod inbox;
mod skill;
mod status;
mod workspace;

pub use agent::{SessionDto, SessionEventDto, SessionUsageDto, TranscriptDto, UsageDto};
pub use domain::{
    ColumnDto, CountDto, CoverageDto, FileDto, IndexChangedDto, IndexSummaryDto, LineageDto,
    LineageEdgeDto, LineageNodeDto, NodeDetailDto, NodeRowDto, ProblemDto,
};
pub use error::{ErrorCode, ErrorDto};
pub use skill::{SkillDto, SkillProblemDto, SkillsDto};
pub use status::{AppStatusDto, VenvStatusDto};
pub use workspace::{
    AddWorkspaceDto, BranchDiffDto, BranchDto, ChangeKind, CloneProgressDto, CommitDto,
    FileChangeDto, GitStateDto, IdentityDto, IntentDto, PlansDto, ValidationCheckDto,
    ValidationDto, WorkspaceDto, WorkspaceKind,
};
