//! `gapfill deploy`: validate everything, then run the plan's graph (stacks deployed through
//! change sets, post-deploy steps checked and applied) while the reporters render the events.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use crate::aws::invoke::Client;
use crate::cli::{DeployArgs, Format, GlobalArgs};
use crate::cloudformation::Cfn;
use crate::commands::{outputs, session, validate};
use crate::deploy::artifacts::ArtifactStore;
use crate::deploy::{DeployOptions, StackDeploy};
use crate::error::Error;
use crate::events::EventSink;
use crate::plan::Plan;
use crate::redact::Redactor;
use crate::report::display::{self, Display, Requested};
use crate::report::{self, json::Json, junit::Junit, lines::Lines, live::Live, FanOut, Reporter};
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
    let plan = if args.skip_steps {
        loaded.plan.without_steps().map_err(|why| {
            Error::new(format!("cannot deploy without the steps: {why}"))
                .hint("run `gapfill deploy` without --skip-steps")
        })?
    } else {
        loaded.plan
    };
    let sdk = session::load_with_region(global, plan.region.as_deref(), env).await?;
    session::require_credentials(&sdk).await?;
    let client = Arc::new(
        Client::new(&sdk)
            .map_err(|error| Error::new(format!("cannot set up the AWS client: {error}")))?
            .catalog(loaded.catalog),
    );
    let artifacts = artifact_store(&plan, &client);
    let display = display::resolve(
        requested,
        std::io::stdout().is_terminal(),
        display::is_ci(env),
    );
    let (sink, receiver) = EventSink::channel();
    let tick = (display == Display::Live).then_some(Duration::from_millis(100));
    let mut reporters = vec![reporter(display, redactor)];
    if let Some(path) = &args.junit {
        reporters.push(Box::new(Junit::new(path.clone(), redactor.clone())) as Box<dyn Reporter>);
    }
    let reporting = tokio::spawn(report::drive(
        receiver,
        Box::new(FanOut::new(reporters)),
        tick,
    ));

    let engine = DeployEngine {
        stacks: StackDeploy {
            cfn: Cfn::new(session::cloudformation(&sdk, env)),
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
        result = execute("deploy", &plan, Arc::new(engine), &sink, concurrency) => result,
        _ = tokio::signal::ctrl_c() => {
            // Dropping the run cancels the watchers only; CloudFormation carries on.
            return Err(Error::new("interrupted").hint(
                "stacks already executing keep going in CloudFormation; run `gapfill deploy` again to wait for them and finish (steps are idempotent: they pick up where they stopped)",
            ));
        }
    };
    // The reporter ends when the last sender is gone (the engine's clones went with it).
    drop(sink);
    match reporting.await {
        Ok(Err(error)) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Error::new(format!("cannot write the report: {error}")));
        }
        _ => {}
    }

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

fn requested_display(format: Format) -> Result<Requested, Error> {
    match format {
        Format::Auto => Ok(Requested::Auto),
        Format::Live => Ok(Requested::Live),
        Format::Plain => Ok(Requested::Plain),
        Format::Json => Ok(Requested::Json),
        Format::Env | Format::Dotenv => Err(Error::new(
            "--format env and dotenv apply to `gapfill outputs` only",
        )
        .hint("use --outputs-file FILE.env to write dotenv lines after a deploy")),
    }
}

fn reporter(display: Display, redactor: &Redactor) -> Box<dyn Reporter> {
    let stdout = std::io::stdout();
    match display {
        Display::Live => {
            let columns =
                terminal_size::terminal_size().map_or(100, |(width, _)| usize::from(width.0));
            Box::new(Live::new(stdout, redactor.clone(), columns))
        }
        Display::Lines => Box::new(Lines::new(stdout, redactor.clone())),
        Display::Json => Box::new(Json::new(stdout, redactor.clone())),
    }
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
