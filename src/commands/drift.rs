//! `gapfill drift`: whether reality still matches, on both sides, changing nothing: every
//! stack through CloudFormation's drift detection, every step through its own check against
//! the deployed outputs. Exit 0 in sync, 2 drift found, 1 error (or, with `--strict`,
//! anything that could not be checked).

use std::sync::Arc;

use crate::cli::{DriftArgs, GlobalArgs};
use crate::commands::deployed::deployed_values;
use crate::commands::github::GitHub;
use crate::commands::reporting::{requested_display, Reporting};
use crate::commands::{interrupt, session, validate};
use crate::drift::StackDrift;
use crate::error::Error;
use crate::redact::Redactor;
use crate::run::{execute, DriftEngine};
use crate::steps::runner::RecheckPolicy;
use crate::steps::StepRunner;

pub async fn run(
    global: &GlobalArgs,
    args: &DriftArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    github: Option<&GitHub>,
) -> Result<i32, Error> {
    let requested = requested_display(global.format)?;
    let loaded = validate::load_plan(global, env, redactor)?;
    let full = loaded.plan;
    let plan = full
        .clone()
        .for_drift(&args.stacks, &args.steps)
        .map_err(|why| Error::new(format!("cannot check drift: {why}")))?;
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
    // Steps read the outputs as deployed; without steps to check, nothing needs them.
    let known = if plan.steps.is_empty() {
        Default::default()
    } else {
        deployed_values(&full, &aws.cfn).await?
    };

    let reporting = Reporting::start(requested, args.junit.as_ref(), env, redactor, github);
    let sink = reporting.sink.clone();
    let engine = DriftEngine {
        stacks: StackDrift::new(
            aws.cfn.clone(),
            sink.clone(),
            args.timeout,
            plan.drift_ignore.clone(),
        ),
        steps: StepRunner {
            client: aws.client,
            sink: sink.clone(),
            recheck: RecheckPolicy::default(),
        },
    };
    let concurrency = usize::from(args.max_concurrency);
    let interrupt = interrupt::requested();
    let result = execute(
        "drift",
        &plan,
        Arc::new(engine),
        &sink,
        concurrency,
        known,
        interrupt,
    )
    .await;
    drop(sink);
    reporting.finish().await?;
    if result.interrupted {
        return Err(Error::new("interrupted").hint(
            "drift detections already started finish in CloudFormation; nothing was changed",
        ));
    }

    let stats = result.stats;
    if !stats.succeeded() {
        return Ok(crate::exit_code::ERROR);
    }
    if stats.drift_found() {
        return Ok(crate::exit_code::DIFFERENCES);
    }
    if args.strict && stats.not_checked() > 0 {
        return Err(Error::new(format!(
            "--strict: {} stack(s) or step(s) could not be checked",
            stats.not_checked()
        ))
        .hint("stacks without CloudFormation drift detection and actions (steps without a check) cannot be checked"));
    }
    Ok(crate::exit_code::SUCCESS)
}
