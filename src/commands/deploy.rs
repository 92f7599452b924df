//! `gapfill deploy`: validate everything, then run the plan's graph (stacks deployed through
//! change sets, post-deploy steps checked and applied) while the reporters render the events.

use std::sync::Arc;

use crate::aws::invoke::Client;
use crate::cli::{DeployArgs, GlobalArgs};
use crate::cloudformation::Cfn;
use crate::commands::deployed::deployed_values;
use crate::commands::reporting::{requested_display, Reporting};
use crate::commands::{outputs, session, validate};
use crate::deploy::artifacts::ArtifactStore;
use crate::deploy::{DeployOptions, StackDeploy};
use crate::error::Error;
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
    let sdk = session::load_with_region(global, plan.region.as_deref(), env).await?;
    session::require_credentials(&sdk).await?;
    let cfn = Cfn::new(session::cloudformation(&sdk, env));
    let known = match &args.only_steps {
        Some(_) => deployed_values(&full, &cfn).await?,
        None => ValueStore::default(),
    };
    let client = Arc::new(
        Client::new(&sdk)
            .map_err(|error| Error::new(format!("cannot set up the AWS client: {error}")))?
            .catalog(loaded.catalog),
    );
    let artifacts = artifact_store(&plan, &client);
    let reporting = Reporting::start(requested, args.junit.as_ref(), env, redactor);
    let sink = reporting.sink.clone();

    let engine = DeployEngine {
        stacks: StackDeploy {
            cfn,
            artifacts,
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
    let result = tokio::select! {
        result = execute("deploy", &plan, Arc::new(engine), &sink, concurrency, known) => result,
        _ = tokio::signal::ctrl_c() => {
            // Dropping the run cancels the watchers only; CloudFormation carries on.
            return Err(Error::new("interrupted").hint(
                "stacks already executing keep going in CloudFormation; run `gapfill deploy` again to wait for them and finish (steps are idempotent: they pick up where they stopped)",
            ));
        }
    };
    // The reporters end when the last sender is gone (the engine's clones went with it).
    drop(sink);
    reporting.finish().await?;

    if let Some(path) = &args.outputs_file {
        outputs::write_file(
            path,
            &deployed_outputs(&plan, &result.values.outputs),
            redactor,
        )?;
    }
    Ok(if result.stats.succeeded() {
        crate::exit_code::SUCCESS
    } else {
        crate::exit_code::ERROR
    })
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
