//! `gapfill plan`: what `deploy` would change, on both sides, changing nothing that stays:
//! each stack through a change set (created, described with property details, deleted; none
//! for a new stack or one equal to what is deployed), each step through its check. Change
//! sets are deleted also when the run fails or is interrupted; `--save FILE` keeps them and
//! records them for `deploy --plan FILE`. Exit 0 no changes, 2 changes pending, 1 error.

use std::sync::Arc;
use std::time::Duration;

use crate::cli::{GlobalArgs, PlanArgs};
use crate::cloudformation::Cfn;
use crate::commands::deployed::existing_stacks;
use crate::commands::github::GitHub;
use crate::commands::reporting::{requested_display, Reporting};
use crate::commands::{interrupt, session, validate};
use crate::error::Error;
use crate::events::StackOutcome;
use crate::plan::saved::{fingerprint, SavedAction, SavedPlan, SavedStack, FORMAT_VERSION};
use crate::plan::Plan;
use crate::preview::{ChangeSetLedger, StackPreview};
use crate::redact::Redactor;
use crate::run::{execute, PlanEngine, RunResult};
use crate::steps::runner::RecheckPolicy;
use crate::steps::StepRunner;

pub async fn run(
    global: &GlobalArgs,
    args: &PlanArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    github: Option<&GitHub>,
) -> Result<i32, Error> {
    let requested = requested_display(global.format)?;
    let loaded = validate::load_plan(global, env, redactor)?;
    let plan = loaded.plan;
    let first_stack = session::first_stack(&plan, &plan);
    let aws = session::connect(
        global,
        plan.region.as_deref(),
        env,
        loaded.catalog,
        redactor,
        first_stack,
    )
    .await?;
    let (cfn, client) = (aws.cfn, aws.client);
    let (known, deployed) = existing_stacks(&plan, &cfn).await?;
    let deployed = Arc::new(deployed);

    let reporting = Reporting::start(requested, args.junit.as_ref(), env, redactor, github);
    let sink = reporting.sink.clone();
    let ledger = ChangeSetLedger::default();
    let engine = PlanEngine {
        stacks: StackPreview {
            cfn: cfn.clone(),
            sink: sink.clone(),
            keep: args.save.is_some(),
            ledger: ledger.clone(),
            timeout: args.timeout,
            deployed: Arc::clone(&deployed),
        },
        steps: StepRunner {
            client,
            sink: sink.clone(),
            recheck: RecheckPolicy::default(),
        },
        deployed,
    };
    let concurrency = usize::from(args.max_concurrency);
    let interrupt = interrupt::requested();
    let result = execute(
        "plan",
        &plan,
        Arc::new(engine),
        &sink,
        concurrency,
        known,
        interrupt,
    )
    .await;
    let result = (!result.interrupted).then_some(result);
    // A saved plan keeps its change sets once the file is written.
    let saved = match (&result, &args.save) {
        (Some(result), Some(path)) if result.stats.succeeded() => {
            Some(save(path, &plan, result).map(|()| ledger.clear()))
        }
        _ => None,
    };
    // Whatever else happened, no change set the plan made is left behind.
    let left = delete_left(&cfn, &ledger).await;
    drop(sink);
    reporting.finish().await?;
    let Some(result) = result else {
        return Err(Error::new("interrupted").hint(format!(
            "nothing was changed; {left} change set(s) the plan had made were deleted"
        )));
    };
    if let Some(saved) = saved {
        saved?;
    }
    let stats = result.stats;
    Ok(if !stats.succeeded() {
        crate::exit_code::ERROR
    } else if stats.changes_pending() {
        crate::exit_code::DIFFERENCES
    } else {
        crate::exit_code::SUCCESS
    })
}

/// Writes the saved plan: each stack's action, kept change set and fingerprint.
fn save(path: &std::path::Path, plan: &Plan, result: &RunResult) -> Result<(), Error> {
    let stacks = plan
        .stacks
        .iter()
        .map(|stack| {
            let outcome = result.stacks.get(&stack.name).map(|r| &r.outcome);
            let (action, change_set) = match outcome {
                Some(StackOutcome::WouldChange {
                    kept: Some(id),
                    create,
                }) => {
                    let action = if *create {
                        SavedAction::Create
                    } else {
                        SavedAction::Update
                    };
                    (action, Some(id.clone()))
                }
                Some(StackOutcome::WouldChange { kept: None, .. }) => {
                    (SavedAction::Undecided, None)
                }
                _ => (SavedAction::None, None),
            };
            SavedStack {
                stack: stack.name.clone(),
                action,
                change_set,
                fingerprint: fingerprint(stack),
            }
        })
        .collect();
    let saved = SavedPlan {
        format_version: FORMAT_VERSION,
        project: plan.project.clone(),
        created_at: chrono::Utc::now().to_rfc3339(),
        stacks,
    };
    let text = serde_json::to_string_pretty(&saved)
        .map_err(|error| Error::new(format!("cannot encode the saved plan: {error}")))?;
    std::fs::write(path, text + "\n").map_err(|error| {
        Error::new(format!(
            "cannot write the saved plan `{}`: {error}",
            path.display()
        ))
        .hint("its change sets were deleted; plan again")
    })
}

/// Deletes the change sets still in the ledger (a plan interrupted between creating and
/// deleting one); how many there were. Bounded: an interrupted run must end.
async fn delete_left(cfn: &Cfn, ledger: &ChangeSetLedger) -> usize {
    let pending = ledger.pending();
    for (stack, id) in &pending {
        let deletion = cfn.delete_change_set(stack, id);
        if tokio::time::timeout(Duration::from_secs(20), deletion)
            .await
            .is_err()
        {
            tracing::warn!("could not delete change set {id} of {stack} in time");
        }
    }
    pending.len()
}
