//! The command line, as the user typed it: parsed and validated, no I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::duration::parse_duration;

const EXIT_CODES: &str = "Exit codes:
  0  success: deployed, in sync, or nothing to change
  1  error: bad input or usage, a failed stack or step, an AWS error
  2  drift found (drift) or changes pending (plan)";

/// Deploy CloudFormation stacks, then fill the gap with any AWS API call.
#[derive(Debug, Parser)]
#[command(name = "gapfill", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The project file.
    #[arg(
        long,
        global = true,
        env = "GAPFILL_PROJECT",
        default_value = "gapfill.yaml",
        value_name = "FILE"
    )]
    pub project: PathBuf,
    /// AWS region (overrides AWS_REGION and the project's `region:`).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config (overrides AWS_PROFILE).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Output format: auto (live on a terminal, plain lines otherwise), live, plain, json,
    /// markdown (one summary document at the end); `outputs` also takes env and dotenv.
    #[arg(long, global = true, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// More logging (-v: info, -vv: debug); logs go to stderr, secrets masked.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Debug logging, including AWS requests (secrets masked).
    #[arg(long, global = true)]
    pub debug: bool,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Auto,
    Live,
    Plain,
    Json,
    /// One Markdown document when the run is over, for a pull-request comment or GitHub's
    /// step summary (in GitHub Actions the step summary gets it anyway); `outputs` prints
    /// plain text.
    Markdown,
    Env,
    Dotenv,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploy every stack (through change sets) and every post-deploy step (checked, applied
    /// where it differs), in dependency order, in parallel where independent.
    Deploy(DeployArgs),
    /// Show what deploy would change, for stacks (change sets, deleted after) and steps (their
    /// checks); changes nothing. Exit 0 no changes, 2 changes pending, 1 error.
    Plan(PlanArgs),
    /// Check stacks (CloudFormation drift detection) and every setting the steps applied (their
    /// checks) for drift; changes nothing. Exit 0 in sync, 2 drift found, 1 error.
    Drift(DriftArgs),
    /// Print the deployed stacks' outputs (--format json|env|dotenv).
    Outputs,
    /// Call any AWS API operation: `gapfill call s3:ListBuckets`.
    Call(CallArgs),
    /// Check the project, its templates and references without calling AWS.
    Validate(ValidateArgs),
    /// Adopt what a team already has: `gapfill import stacks` writes a project for deployed
    /// stacks, `gapfill import script` a step file for a script of AWS CLI calls.
    Import(ImportArgs),
    /// Print a completion script for a shell: `gapfill completions bash >
    /// ~/.local/share/bash-completion/completions/gapfill`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), generated from this command line: `gapfill man | man -l -`.
    Man(ManArgs),
}

/// `gapfill completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `gapfill man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write a page per command into DIR (gapfill.1, gapfill-deploy.1, ...) instead of printing
    /// gapfill(1).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Call any AWS API operation.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct CallArgs {
    /// The operation, as `service:Operation` (botocore service names: `s3:ListBuckets`,
    /// `logs:DescribeLogGroups`, `dynamodb:DescribeTable`).
    pub target: String,
    /// The input: JSON text, `@path` to read a file, or `-` for standard input.
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub input: Option<String>,
    /// A JMESPath expression applied to the output before printing.
    #[arg(long, value_name = "JMESPATH")]
    pub query: Option<String>,
    /// Fetch every page and aggregate the results.
    #[arg(long)]
    pub paginate: bool,
    /// Wait with this waiter of the service (for example `TableExists`).
    #[arg(long, value_name = "WAITER")]
    pub wait_for: Option<String>,
    /// Send the request to this endpoint instead of AWS's (S3 then uses path-style addressing).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Print the request that would be sent (credentials and signatures redacted).
    #[arg(long)]
    pub dry_run: bool,
    /// Print an input template for the operation.
    #[arg(long)]
    pub skeleton: bool,
}

/// `gapfill plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Keep the plan's change sets and record them in FILE: `gapfill deploy --plan FILE`
    /// executes exactly them.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Previews at once, stacks and steps alike.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrency: u16,
    /// How long one change set may take to be ready.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Also write a JUnit XML report: a test case per stack and per step, a pending change a
    /// failure.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// `gapfill drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Check only this stack (repeatable); with no --step, steps are not checked.
    #[arg(long = "stack", value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Check only this step and the steps it reads (repeatable); with no --stack, stacks are
    /// not checked.
    #[arg(long = "step", value_name = "ID")]
    pub steps: Vec<String>,
    /// How long one stack's drift detection may take.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Make anything that could not be checked (a stack without drift detection, an action)
    /// an error.
    #[arg(long)]
    pub strict: bool,
    /// Checks at once, stacks and steps alike (CloudFormation's drift APIs have low rate
    /// limits; throttled calls are retried).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrency: u16,
    /// Also write a JUnit XML report: a test case per stack and per step, drift a failure.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// `gapfill import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub what: ImportWhat,
}

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// Write `gapfill.yaml` and `stacks/*` for deployed stacks: templates as deployed,
    /// parameters (NoEcho ones as `${env.NAME}` secrets), tags, capabilities, and references
    /// where a parameter equals another imported stack's output. Never overwrites a file.
    Stacks(ImportStacksArgs),
    /// Convert a shell script of AWS CLI calls (what CI runs after the stacks) into a
    /// post-deploy step file: each `aws` call a step (with `check: auto` where the models derive
    /// one), variables as references; every line not converted is reported and kept as a
    /// comment. Never overwrites a file.
    Script(ImportScriptArgs),
}

/// `gapfill import script`.
#[derive(Debug, Args)]
pub struct ImportScriptArgs {
    /// The shell script.
    pub file: PathBuf,
    /// Where to write the step file.
    #[arg(long, default_value = "post-deploy/imported.yaml", value_name = "FILE")]
    pub out: PathBuf,
}

/// `gapfill import stacks`.
#[derive(Debug, Args)]
pub struct ImportStacksArgs {
    /// A stack to import (repeatable).
    #[arg(long = "stack", value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Import every live stack whose name starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Where to write the project.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// The project's name (default: the directory's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// `gapfill validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Also show what each step's check derived from the API models (its call, input and
    /// expectations), and what it expects.
    #[arg(long)]
    pub explain: bool,
}

/// `gapfill deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Execute exactly the change sets of a plan saved with `gapfill plan --save FILE`;
    /// refused, naming the stack, when a stack, its template or parameters changed since.
    #[arg(long, value_name = "FILE", conflicts_with = "only_steps")]
    pub plan: Option<PathBuf>,
    /// Deploy the stacks only; leave the post-deploy steps for a later run.
    #[arg(long, conflicts_with = "only_steps")]
    pub skip_steps: bool,
    /// Run the post-deploy steps only (all, or these ids and the steps they need), with the
    /// outputs of the stacks as deployed; no stack is touched.
    #[arg(long, num_args = 0.., value_name = "ID")]
    pub only_steps: Option<Vec<String>>,
    /// How many stacks deploy at the same time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrency: u16,
    /// How long one stack may take (e.g. 90s, 30m, 1h).
    #[arg(long, default_value = "60m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Also write a JUnit XML report to FILE: one test case per stack (CircleCI's
    /// store_test_results, GitHub test reporters).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write every stack's outputs to FILE (JSON; `.env` files get dotenv lines).
    #[arg(long, value_name = "FILE")]
    pub outputs_file: Option<PathBuf>,
    /// Print a "still in progress" line after this long without news (keep it under your CI's
    /// no-output timeout).
    #[arg(long, default_value = "30s", value_parser = parse_heartbeat)]
    pub heartbeat: Duration,
    /// For a stack in UPDATE_ROLLBACK_FAILED, run ContinueUpdateRollback, then deploy.
    #[arg(long)]
    pub continue_update_rollback: bool,
}

/// A heartbeat interval: at least a second, so quiet stacks are not polled twice per tick.
fn parse_heartbeat(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration < Duration::from_secs(1) {
        return Err("the heartbeat must be at least 1s".to_string());
    }
    Ok(duration)
}

/// Parses `90`, `90s`, `30m`, `1h`.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
