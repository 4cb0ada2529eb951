//! Intents as the UI sees them: their lifecycle state, the steps and agent stages a person is
//! offered now (decided by the core), validation reports and plan versions.

use serde::{Deserialize, Serialize};

/// Where an intent is in its lifecycle (PRODUCT.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentState {
    Draft,
    Planning,
    PlanApproved,
    Building,
    Validating,
    ValidationFailed,
    Ready,
    PullRequest,
    Merged,
    Deployed,
}

impl IntentState {
    pub const ALL: [IntentState; 10] = [
        IntentState::Draft,
        IntentState::Planning,
        IntentState::PlanApproved,
        IntentState::Building,
        IntentState::Validating,
        IntentState::ValidationFailed,
        IntentState::Ready,
        IntentState::PullRequest,
        IntentState::Merged,
        IntentState::Deployed,
    ];

    /// The wire name (`plan_approved`), also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentState::Draft => "draft",
            IntentState::Planning => "planning",
            IntentState::PlanApproved => "plan_approved",
            IntentState::Building => "building",
            IntentState::Validating => "validating",
            IntentState::ValidationFailed => "validation_failed",
            IntentState::Ready => "ready",
            IntentState::PullRequest => "pull_request",
            IntentState::Merged => "merged",
            IntentState::Deployed => "deployed",
        }
    }

    pub fn parse(s: &str) -> Option<IntentState> {
        IntentState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// In words: "plan approved".
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }
}

/// What moves an intent from one state to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStep {
    StartPlanning,
    ApprovePlan,
    StartBuild,
    StartValidation,
    ValidationPassed,
    ValidationFailed,
    RetryBuild,
    RevisePlan,
    OpenPullRequest,
    Merge,
    Deploy,
}

impl IntentStep {
    pub const ALL: [IntentStep; 11] = [
        IntentStep::StartPlanning,
        IntentStep::ApprovePlan,
        IntentStep::StartBuild,
        IntentStep::StartValidation,
        IntentStep::ValidationPassed,
        IntentStep::ValidationFailed,
        IntentStep::RetryBuild,
        IntentStep::RevisePlan,
        IntentStep::OpenPullRequest,
        IntentStep::Merge,
        IntentStep::Deploy,
    ];

    /// The wire name (`approve_plan`).
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStep::StartPlanning => "start_planning",
            IntentStep::ApprovePlan => "approve_plan",
            IntentStep::StartBuild => "start_build",
            IntentStep::StartValidation => "start_validation",
            IntentStep::ValidationPassed => "validation_passed",
            IntentStep::ValidationFailed => "validation_failed",
            IntentStep::RetryBuild => "retry_build",
            IntentStep::RevisePlan => "revise_plan",
            IntentStep::OpenPullRequest => "open_pull_request",
            IntentStep::Merge => "merge",
            IntentStep::Deploy => "deploy",
        }
    }

    pub fn parse(s: &str) -> Option<IntentStep> {
        IntentStep::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Steps that take an intent back (a new plan version, the build to redo): the person
    /// confirms them.
    pub fn goes_back(self) -> bool {
        matches!(self, IntentStep::RevisePlan)
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            IntentStep::StartPlanning => "Start planning",
            IntentStep::ApprovePlan => "Approve the plan",
            IntentStep::StartBuild => "Start the build",
            IntentStep::StartValidation => "Validate",
            IntentStep::ValidationPassed => "Mark validated",
            IntentStep::ValidationFailed => "Mark failed",
            IntentStep::RetryBuild => "Build again",
            IntentStep::RevisePlan => "Revise the plan",
            IntentStep::OpenPullRequest => "Open pull request",
            IntentStep::Merge => "Merge",
            IntentStep::Deploy => "Deploy",
        }
    }
}

/// An agent stage of an intent: a session on its branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStage {
    /// While planning: reads the domain, writes `intent.md`, `plan.md`, `todo.json`.
    Requirements,
    /// While planning: up to five alternative plans to compare.
    Variants,
    /// While building: models, tests and contract, a commit per step.
    Build,
}

impl AgentStage {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStage::Requirements => "requirements",
            AgentStage::Variants => "variants",
            AgentStage::Build => "build",
        }
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            AgentStage::Requirements => "Requirements agent",
            AgentStage::Variants => "Propose variants",
            AgentStage::Build => "Build agent",
        }
    }
}

/// What a person is offered on an intent now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentOffersDto {
    /// Lifecycle steps, in the order to show them (`start_validation` runs the validation).
    pub steps: Vec<IntentStep>,
    /// Agent stages that can run now.
    pub stages: Vec<AgentStage>,
    /// The pull request cell: open one (Ready) or follow it (Pull request). Only for a
    /// repository whose origin is on GitHub.
    pub pull_request: bool,
    /// Ready, and the origin is not GitHub: the person merges into the default branch here (and
    /// pushes it to the origin), so the loop ends at Merged.
    pub merge_locally: bool,
    /// Plans can be restored or variants adopted (while planning).
    pub replan: bool,
}

/// An intent: a change asked for in plain words, on its branch `intent/<slug>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentDto {
    pub id: String,
    pub workspace_id: String,
    pub slug: String,
    pub title: String,
    pub state: IntentState,
    pub branch: String,
    pub plan_version: u32,
    pub build_rounds: u32,
    /// The folder of the worktree its branch is checked out in (the person's own checkout is
    /// never switched); empty for intents made before worktrees.
    pub worktree: String,
    /// Its `plan.md` exists on its branch (the planning agent or the person's own editor wrote
    /// it): the plan can be approved. Read from the worktree each time intents are listed.
    pub plan_written: bool,
    /// What a person can do with it now, as the core's lifecycle decides: the UI offers exactly
    /// these and keeps no copy of the state machine.
    pub offers: IntentOffersDto,
}

/// An intent merged into the default branch here (its origin has no pull requests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedDto {
    pub intent: IntentDto,
    /// The branch it was merged into, and the commit that branch is at now.
    pub base: String,
    pub commit: String,
    /// The default branch reached the origin; `push_problem` says why not (offline, say): the
    /// merge is kept and can be pushed from the Domain page later.
    pub pushed: bool,
    pub push_problem: Option<String>,
}

/// The outcome of validating an intent on the local warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationDto {
    pub intent: IntentDto,
    pub passed: bool,
    pub checks: Vec<ValidationCheckDto>,
    /// The report as committed (`validation.md`).
    pub markdown: String,
}

/// The outcome of building an intent's models (or a project) on another engine than DuckDB:
/// Apache Spark in local mode, the dialect Fabric runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparkCheckDto {
    /// Empty when a whole project was checked.
    pub intent_id: String,
    /// `spark`.
    pub engine: String,
    pub passed: bool,
    pub touched_models: Vec<String>,
    pub checks: Vec<ValidationCheckDto>,
    pub markdown: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationCheckDto {
    pub name: String,
    pub passed: bool,
    pub summary: String,
}

/// An intent's plan versions and the variants on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansDto {
    pub intent_id: String,
    pub versions: Vec<u32>,
    pub variants: Vec<String>,
    /// The current `plan.md`, if written.
    pub current: Option<String>,
}
