//! The intent lifecycle as an explicit state machine with guards:
//! Draft → Planning → PlanApproved → Building → Validating → ValidationFailed | Ready
//! (→ PullRequest → Merged → Deployed, reached by later work). No skipping the plan; no going
//! back except "revise plan", which starts a new plan version and needs a new approval.
//! Approving a plan, merging and deploying are a person's acts: an agent asking is refused here.
//! Pure (no I/O): [`crate::intents::records`] stores intents and applies these transitions.

use serde::{Deserialize, Serialize};

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
}

/// What moves an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
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

impl Step {
    pub const ALL: [Step; 11] = [
        Step::StartPlanning,
        Step::ApprovePlan,
        Step::StartBuild,
        Step::StartValidation,
        Step::ValidationPassed,
        Step::ValidationFailed,
        Step::RetryBuild,
        Step::RevisePlan,
        Step::OpenPullRequest,
        Step::Merge,
        Step::Deploy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::StartPlanning => "start_planning",
            Step::ApprovePlan => "approve_plan",
            Step::StartBuild => "start_build",
            Step::StartValidation => "start_validation",
            Step::ValidationPassed => "validation_passed",
            Step::ValidationFailed => "validation_failed",
            Step::RetryBuild => "retry_build",
            Step::RevisePlan => "revise_plan",
            Step::OpenPullRequest => "open_pull_request",
            Step::Merge => "merge",
            Step::Deploy => "deploy",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Steps only a person may take.
    pub fn is_human_only(self) -> bool {
        matches!(self, Step::ApprovePlan | Step::Merge | Step::Deploy)
    }
}

/// Who takes a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Person,
    Agent(String),
}

/// Facts the guards look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guards {
    /// `plan.md` exists for the current plan version.
    pub plan_written: bool,
    /// Build rounds already run for this plan version.
    pub build_rounds: u32,
    pub max_build_rounds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an intent that is {from} cannot {step}: {reason}", from = from.as_str(), step = step.as_str().replace('_', " "))]
pub struct TransitionError {
    pub from: IntentState,
    pub step: Step,
    pub reason: String,
}

/// The transition table: where `step` leads from `from`, if anywhere (guards aside).
pub fn target(from: IntentState, step: Step) -> Option<IntentState> {
    use IntentState as S;
    Some(match (from, step) {
        (S::Draft, Step::StartPlanning) => S::Planning,
        (S::Planning, Step::ApprovePlan) => S::PlanApproved,
        (S::PlanApproved, Step::StartBuild) => S::Building,
        (S::Building, Step::StartValidation) => S::Validating,
        (S::Validating, Step::ValidationPassed) => S::Ready,
        (S::Validating, Step::ValidationFailed) => S::ValidationFailed,
        (S::ValidationFailed, Step::RetryBuild) => S::Building,
        (S::PlanApproved | S::Building | S::ValidationFailed | S::Ready, Step::RevisePlan) => {
            S::Planning
        }
        (S::Ready, Step::OpenPullRequest) => S::PullRequest,
        (S::PullRequest, Step::Merge) => S::Merged,
        (S::Merged, Step::Deploy) => S::Deployed,
        _ => return None,
    })
}

/// The state after `step`, or why it is refused.
pub fn next(
    from: IntentState,
    step: Step,
    actor: &Actor,
    guards: Guards,
) -> Result<IntentState, TransitionError> {
    let refuse = |reason: String| TransitionError { from, step, reason };
    let Some(to) = target(from, step) else {
        let possible: Vec<&str> = Step::ALL
            .into_iter()
            .filter(|s| target(from, *s).is_some())
            .map(Step::as_str)
            .collect();
        return Err(refuse(if possible.is_empty() {
            "nothing follows this state".into()
        } else {
            format!("from here only {} is possible", possible.join(", "))
        }));
    };
    if step.is_human_only() && *actor != Actor::Person {
        return Err(refuse(
            "only a person can do this; agents never approve, merge or deploy".into(),
        ));
    }
    if step == Step::ApprovePlan && !guards.plan_written {
        return Err(refuse("there is no plan to approve yet".into()));
    }
    if step == Step::RetryBuild && guards.build_rounds >= guards.max_build_rounds {
        return Err(refuse(format!(
            "{} build rounds ran without passing validation; revise the plan",
            guards.build_rounds
        )));
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntentState as S;

    /// Every allowed (state, step) pair and where it leads; every other pair must be refused.
    const ALLOWED: &[(S, Step, S)] = &[
        (S::Draft, Step::StartPlanning, S::Planning),
        (S::Planning, Step::ApprovePlan, S::PlanApproved),
        (S::PlanApproved, Step::StartBuild, S::Building),
        (S::PlanApproved, Step::RevisePlan, S::Planning),
        (S::Building, Step::StartValidation, S::Validating),
        (S::Building, Step::RevisePlan, S::Planning),
        (S::Validating, Step::ValidationPassed, S::Ready),
        (S::Validating, Step::ValidationFailed, S::ValidationFailed),
        (S::ValidationFailed, Step::RetryBuild, S::Building),
        (S::ValidationFailed, Step::RevisePlan, S::Planning),
        (S::Ready, Step::OpenPullRequest, S::PullRequest),
        (S::Ready, Step::RevisePlan, S::Planning),
        (S::PullRequest, Step::Merge, S::Merged),
        (S::Merged, Step::Deploy, S::Deployed),
    ];

    const OPEN: Guards = Guards {
        plan_written: true,
        build_rounds: 0,
        max_build_rounds: 3,
    };

    #[test]
    fn every_pair_is_allowed_or_refused_as_the_table_says() {
        let mut checked = 0;
        for from in IntentState::ALL {
            for step in Step::ALL {
                let expected = ALLOWED
                    .iter()
                    .find(|(f, s, _)| *f == from && *s == step)
                    .map(|(_, _, to)| *to);
                let got = next(from, step, &Actor::Person, OPEN);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{from:?} --{step:?}--> must reach {to:?}"),
                    None => {
                        let err =
                            got.expect_err(&format!("{from:?} --{step:?}--> must be refused"));
                        assert!(
                            err.to_string().contains(from.as_str()),
                            "the refusal names the state: {err}"
                        );
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 110);
    }

    #[test]
    fn agents_never_approve_merge_or_deploy() {
        let agent = Actor::Agent("build".into());
        for (from, step, _) in ALLOWED.iter().filter(|(_, s, _)| s.is_human_only()) {
            let err = next(*from, *step, &agent, OPEN).unwrap_err();
            assert!(err.reason.contains("only a person"), "{err}");
        }
        assert_eq!(
            next(S::Building, Step::StartValidation, &agent, OPEN),
            Ok(S::Validating),
            "agents run the loop itself"
        );
    }

    #[test]
    fn guards_hold_the_plan_and_bound_the_rounds() {
        let no_plan = Guards {
            plan_written: false,
            ..OPEN
        };
        assert!(
            next(S::Planning, Step::ApprovePlan, &Actor::Person, no_plan)
                .unwrap_err()
                .reason
                .contains("no plan")
        );
        let spent = Guards {
            build_rounds: 3,
            ..OPEN
        };
        assert!(
            next(S::ValidationFailed, Step::RetryBuild, &Actor::Person, spent)
                .unwrap_err()
                .reason
                .contains("revise the plan")
        );
    }

    #[test]
    fn names_round_trip() {
        for s in IntentState::ALL {
            assert_eq!(IntentState::parse(s.as_str()), Some(s));
        }
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
    }
}
