//! The intent lifecycle as an explicit state machine with guards:
//! Draft → Planning → PlanApproved → Building → Validating → ValidationFailed | Ready
//! (→ PullRequest → Merged → Deployed, reached by later work). No skipping the plan; no going
//! back except "revise plan", which starts a new plan version and needs a new approval.
//! Approving a plan, merging and deploying are a person's acts: an agent asking is refused here.
//! Pure (no I/O): [`crate::intents::records`] stores intents and applies these transitions.

pub use vibedata_protocol::{AgentStage, IntentOffersDto, IntentState, IntentStep};

/// Steps only a person may take.
pub fn is_human_only(step: IntentStep) -> bool {
    matches!(
        step,
        IntentStep::ApprovePlan | IntentStep::Merge | IntentStep::Deploy
    )
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
    pub step: IntentStep,
    pub reason: String,
}

/// The transition table: where `step` leads from `from`, if anywhere (guards aside).
pub fn target(from: IntentState, step: IntentStep) -> Option<IntentState> {
    use IntentState as S;
    Some(match (from, step) {
        (S::Draft, IntentStep::StartPlanning) => S::Planning,
        (S::Planning, IntentStep::ApprovePlan) => S::PlanApproved,
        (S::PlanApproved, IntentStep::StartBuild) => S::Building,
        (S::Building, IntentStep::StartValidation) => S::Validating,
        (S::Validating, IntentStep::ValidationPassed) => S::Ready,
        (S::Validating, IntentStep::ValidationFailed) => S::ValidationFailed,
        (S::ValidationFailed, IntentStep::RetryBuild) => S::Building,
        (
            S::PlanApproved | S::Building | S::ValidationFailed | S::Ready,
            IntentStep::RevisePlan,
        ) => S::Planning,
        (S::Ready, IntentStep::OpenPullRequest) => S::PullRequest,
        (S::PullRequest, IntentStep::Merge) => S::Merged,
        // A repository whose origin has no pull requests is merged locally by the person.
        (S::Ready, IntentStep::Merge) => S::Merged,
        (S::Merged, IntentStep::Deploy) => S::Deployed,
        _ => return None,
    })
}

/// The state after `step`, or why it is refused.
pub fn next(
    from: IntentState,
    step: IntentStep,
    actor: &Actor,
    guards: Guards,
) -> Result<IntentState, TransitionError> {
    let refuse = |reason: String| TransitionError { from, step, reason };
    let Some(to) = target(from, step) else {
        let possible: Vec<&str> = IntentStep::ALL
            .into_iter()
            .filter(|s| target(from, *s).is_some())
            .map(IntentStep::as_str)
            .collect();
        return Err(refuse(if possible.is_empty() {
            "nothing follows this state".into()
        } else {
            format!("from here only {} is possible", possible.join(", "))
        }));
    };
    if is_human_only(step) && *actor != Actor::Person {
        return Err(refuse(
            "only a person can do this; agents never approve, merge or deploy".into(),
        ));
    }
    if step == IntentStep::ApprovePlan && !guards.plan_written {
        return Err(refuse("there is no plan to approve yet".into()));
    }
    if step == IntentStep::RetryBuild && guards.build_rounds >= guards.max_build_rounds {
        return Err(refuse(format!(
            "{} build rounds ran without passing validation; revise the plan",
            guards.build_rounds
        )));
    }
    Ok(to)
}

/// What a person is offered on an intent in `state`: the lifecycle steps they take from the
/// Studio (the validator's verdicts, the pull request, merge and deploy come other ways), the
/// agent stages that can run, and whether the pull request and the plan versions are in play.
pub fn offers(state: IntentState) -> IntentOffersDto {
    let person_steps = [
        IntentStep::StartPlanning,
        IntentStep::ApprovePlan,
        IntentStep::StartBuild,
        IntentStep::StartValidation,
        IntentStep::RetryBuild,
        IntentStep::RevisePlan,
    ];
    IntentOffersDto {
        steps: person_steps
            .into_iter()
            .filter(|s| target(state, *s).is_some())
            .collect(),
        stages: match state {
            IntentState::Planning => vec![AgentStage::Requirements, AgentStage::Variants],
            IntentState::Building => vec![AgentStage::Build],
            _ => Vec::new(),
        },
        pull_request: matches!(state, IntentState::Ready | IntentState::PullRequest),
        merge_locally: false,
        replan: state == IntentState::Planning,
    }
}

/// The state an agent stage needs.
pub fn stage_needs(stage: AgentStage) -> IntentState {
    match stage {
        AgentStage::Requirements | AgentStage::Variants => IntentState::Planning,
        AgentStage::Build => IntentState::Building,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntentState as S;

    /// Every allowed (state, step) pair and where it leads; every other pair must be refused.
    const ALLOWED: &[(S, IntentStep, S)] = &[
        (S::Draft, IntentStep::StartPlanning, S::Planning),
        (S::Planning, IntentStep::ApprovePlan, S::PlanApproved),
        (S::PlanApproved, IntentStep::StartBuild, S::Building),
        (S::PlanApproved, IntentStep::RevisePlan, S::Planning),
        (S::Building, IntentStep::StartValidation, S::Validating),
        (S::Building, IntentStep::RevisePlan, S::Planning),
        (S::Validating, IntentStep::ValidationPassed, S::Ready),
        (
            S::Validating,
            IntentStep::ValidationFailed,
            S::ValidationFailed,
        ),
        (S::ValidationFailed, IntentStep::RetryBuild, S::Building),
        (S::ValidationFailed, IntentStep::RevisePlan, S::Planning),
        (S::Ready, IntentStep::OpenPullRequest, S::PullRequest),
        (S::Ready, IntentStep::RevisePlan, S::Planning),
        (S::PullRequest, IntentStep::Merge, S::Merged),
        (S::Ready, IntentStep::Merge, S::Merged),
        (S::Merged, IntentStep::Deploy, S::Deployed),
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
            for step in IntentStep::ALL {
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
        for (from, step, _) in ALLOWED.iter().filter(|(_, s, _)| is_human_only(*s)) {
            let err = next(*from, *step, &agent, OPEN).unwrap_err();
            assert!(err.reason.contains("only a person"), "{err}");
        }
        assert_eq!(
            next(S::Building, IntentStep::StartValidation, &agent, OPEN),
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
            next(
                S::Planning,
                IntentStep::ApprovePlan,
                &Actor::Person,
                no_plan
            )
            .unwrap_err()
            .reason
            .contains("no plan")
        );
        let spent = Guards {
            build_rounds: 3,
            ..OPEN
        };
        assert!(
            next(
                S::ValidationFailed,
                IntentStep::RetryBuild,
                &Actor::Person,
                spent
            )
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
        for s in IntentStep::ALL {
            assert_eq!(IntentStep::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn the_steps_offered_to_a_person_are_the_ones_the_table_allows() {
        for state in IntentState::ALL {
            for step in offers(state).steps {
                assert!(
                    target(state, step).is_some(),
                    "{step:?} offered on {state:?} but not allowed"
                );
                assert_ne!(
                    step,
                    IntentStep::ValidationPassed,
                    "the validator's verdict"
                );
            }
        }
        assert_eq!(offers(S::Draft).steps, [IntentStep::StartPlanning]);
        assert_eq!(
            offers(S::ValidationFailed).steps,
            [IntentStep::RetryBuild, IntentStep::RevisePlan]
        );
        assert!(offers(S::Merged).steps.is_empty());
        assert_eq!(
            offers(S::Planning).stages,
            [AgentStage::Requirements, AgentStage::Variants]
        );
        assert!(offers(S::Ready).pull_request && !offers(S::Building).pull_request);
        for stage in [
            AgentStage::Requirements,
            AgentStage::Variants,
            AgentStage::Build,
        ] {
            assert!(offers(stage_needs(stage)).stages.contains(&stage));
        }
    }
}
