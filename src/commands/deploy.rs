//! `gapfill deploy`: validate everything, then run the plan's graph (stacks deployed through
//! change sets, post-deploy steps checked and applied) while the reporters render the events.

use std::sync::Arc;

use crate::aws::invoke::Client;
use crate::cli::{DeployArgs, GlobalArgs};
use crate::cloudformation::Cfn;
use crate::commands::deployed::deployed_values;
use crate::commands::github::GitHub;
use crate::commands::reporting::{requested_display, Reporting};
use crate::commands::{interrupt, outputs, session, validate};
use crate::deploy::artifacts::ArtifactStore;
use crate::deploy::{DeployOptions, StackDeploy};
use crate::error::Error;
use crate::plan::saved::{fingerprint, SavedAction, SavedPlan, FORMAT_VERSION};
use crate::plan::{Plan, ValueStore};
use crate::redact::Redactor;
use crate::run::{execute, DeployEngine};
use crate::steps::runner::RecheckPolicy;
use crate::steps::StepRunner;

pub async fn run(
    global: &GlobalArgs,
    args: &DeployArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    github: Option<&GitHub>,
) -> Result<i32, Error> {
    let requested = requested_display(global.format)?;
    let loaded = validate::load_plan(global, env, redactor)?;
    let full = loaded.plan;
    let plan = if args.skip_steps {
        full.clone().without_steps().map_err(|why| {
            Error::new(format!("cannot deploy without the steps: {why}"))
                .hint("run `gapfill deploy` without --skip-steps")
        })?
    } else if let Some(ids) = &args.only_steps {
        full.clone().only_steps(ids).map_err(|why| {
            Error::new(format!("cannot run the steps asked for: {why}"))
                .hint("`gapfill validate` lists every step")
        })?
    } else {
        full.clone()
    };
    let first_stack = session::first_stack(&plan, &full);
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
    let saved = match &args.plan {
        Some(path) => Some(Arc::new(reviewed_plan(path, &plan, &cfn).await?)),
        None => None,
    };
    let known = match &args.only_steps {
        Some(_) => deployed_values(&full, &cfn).await?,
        None => ValueStore::default(),
    };
    let artifacts = artifact_store(&plan, &client);
    let reporting = Reporting::start(requested, args.junit.as_ref(), env, redactor, github);
    let sink = reporting.sink.clone();

    let engine = DeployEngine {
        stacks: StackDeploy {
            cfn,
            artifacts,
            saved,
            sink: sink.clone(),
            options: DeployOptions {
                timeout: args.timeout,
                heartbeat: args.heartbeat,
                continue_update_rollback: args.continue_update_rollback,
                ..DeployOptions::default()
            },
        },
        steps: StepRunner {
            client,
            sink: sink.clone(),
            recheck: RecheckPolicy::default(),
        },
    };
    let concurrency = usize::from(args.max_concurrency);
    let engine = Arc::new(engine);
    let interrupt = interrupt::requested();
    let result = execute(
        "deploy",
        &plan,
        engine,
        &sink,
        concurrency,
        known,
        interrupt,
    )
    .await;
    // The reporters end when the last sender is gone (the engine's clones went with it).
    drop(sink);
    reporting.finish().await?;
    if result.interrupted {
        // Abandoning a stack stops the watching only; CloudFormation carries on.
        return Err(Error::new("interrupted").hint(
            "stacks already executing keep going in CloudFormation; run `gapfill deploy` again to wait for them and finish (steps are idempotent: they pick up where they stopped)",
        ));
    }

    let deployed = deployed_outputs(&plan, &result.values.outputs);
    if let Some(path) = &args.outputs_file {
        outputs::write_file(path, &deployed, redactor)?;
    }
    if let Some(github) = github {
        github.write_outputs(&deployed, redactor)?;
    }
    Ok(if result.stats.succeeded() {
        crate::exit_code::SUCCESS
    } else {
        crate::exit_code::ERROR
    })
}

/// The saved plan at `path`, checked against the project and AWS before anything runs: every
/// stack is in it with the same fingerprint, and every change set it kept can still be
/// executed. The first stack that fails a check is named.
async fn reviewed_plan(path: &std::path::Path, plan: &Plan, cfn: &Cfn) -> Result<SavedPlan, Error> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Error::new(format!(
            "cannot read the saved plan `{}`: {error}",
            path.display()
        ))
        .hint("write one with `gapfill plan --save FILE`")
    })?;
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|error| {
        Error::new(format!("`{}` is not a saved plan: {error}", path.display()))
    })?;
    let refuse = |stack: &str, why: String| {
        Error::new(format!("refusing the saved plan: stack `{stack}` {why}"))
            .hint("plan again (`gapfill plan --save FILE`), review, then deploy that plan")
    };
    if saved.format_version != FORMAT_VERSION || saved.project != plan.project {
        return Err(Error::new(format!(
            "`{}` is a plan of project `{}` (format {}), not of `{}`",
            path.display(),
            saved.project,
            saved.format_version,
            plan.project
        )));
    }
    for stack in &plan.stacks {
        let Some(entry) = saved.stack(&stack.name) else {
            return Err(refuse(&stack.name, "is not in it".into()));
        };
        if entry.fingerprint != fingerprint(stack) {
            return Err(refuse(
                &stack.name,
                "changed since the plan was made (its template, parameters, tags or capabilities)"
                    .into(),
            ));
        }
        if entry.action == SavedAction::Undecided {
            return Err(refuse(
                &stack.name,
                "had no change set in the plan: its parameters read a stack that was not deployed yet".into(),
            ));
        }
        if let Some(change_set) = &entry.change_set {
            let unavailable = cfn
                .change_set_unavailable(&stack.name, change_set)
                .await
                .map_err(|error| Error::new(error.to_string()))?;
            if let Some(why) = unavailable {
                return Err(refuse(
                    &stack.name,
                    format!("cannot run its change set: {why}"),
                ));
            }
        }
    }
    Ok(saved)
}

/// The artifact bucket's store, when the project names one.
fn artifact_store(plan: &Plan, client: &Arc<Client>) -> Option<Arc<ArtifactStore>> {
    let artifacts = plan.artifacts.as_ref()?;
    Some(Arc::new(ArtifactStore::new(
        Arc::clone(client),
        artifacts.bucket.clone(),
        artifacts.prefix.clone(),
    )))
}

/// Outputs in plan order, for stacks that have them.
fn deployed_outputs(
    plan: &Plan,
    outputs: &crate::plan::StackOutputs,
) -> Vec<(String, indexmap::IndexMap<String, String>)> {
    plan.stacks
        .iter()
        .filter_map(|stack| {
            outputs
                .get(&stack.name)
                .map(|o| (stack.name.clone(), o.clone()))
        })
        .collect()
}
