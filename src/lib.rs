//! gapfill: deploy CloudFormation stacks, then fill the gap with any AWS API call.
//!
//! Data flows one way:
//!
//! ```text
//! cli -> project (what the user wrote) -> plan (one graph of stacks and steps, validated,
//!     no AWS calls) -> run (one scheduler) { deploy (a stack), steps (a step) } -> events
//!     -> report (live, lines, json, markdown, junit)
//! ```
//!
//! `aws` is a leaf: the model-driven client for any AWS operation. `cloudformation` wraps the
//! CloudFormation SDK (calls, change sets, events, statuses) for `deploy` and the commands;
//! it decides nothing on its own. `commands` wires the stages together for each subcommand.

// Errors here carry what a good message needs (positions, source lines, hints) and travel
// only on the cold path; boxing them would buy nothing but noise.
#![allow(clippy::result_large_err)]

pub mod adopt;
pub mod aws;
pub mod cli;
pub mod cloudformation;
pub mod commands;
pub mod deploy;
pub mod drift;
pub mod duration;
pub mod error;
pub mod escape;
pub mod events;
pub mod exit_code;
pub mod logging;
pub mod plan;
pub mod preview;
pub mod project;
pub mod redact;
pub mod report;
pub mod run;
pub mod steps;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use cli::{Cli, Command};
use commands::github::GitHub;
use error::Error;
use redact::Redactor;

/// Runs gapfill with `args` (program name first) and returns the process exit code.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // Help and version are successes; every usage error is an error (1, not clap's 2:
            // 2 means "differences found").
            return if error.use_stderr() {
                exit_code::ERROR
            } else {
                exit_code::SUCCESS
            };
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    let redactor = Redactor::default();
    // Decided once: a GitHub Actions job masks every secret with the runner from here on,
    // before anything can print one.
    let github = commands::github::GitHub::detect(&env, &cli);
    if let Some(github) = &github {
        github.mask_secrets(&redactor);
    }
    logging::init(cli.global.verbose, cli.global.debug, redactor.clone());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return exit_code::ERROR;
        }
    };
    match runtime.block_on(dispatch(&cli, &env, &redactor, github.as_ref())) {
        Ok(code) => code,
        Err(Error::BrokenPipe) => exit_code::SUCCESS,
        Err(error) => {
            if let Some(github) = &github {
                github.annotate_error(&error, &redactor);
            }
            let text = error.to_string();
            let _ = writeln!(std::io::stderr(), "{}", redactor.redact(&text));
            exit_code::ERROR
        }
    }
}

async fn dispatch(
    cli: &Cli,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    github: Option<&GitHub>,
) -> Result<i32, Error> {
    let mut stdout = std::io::stdout();
    match &cli.command {
        Command::Deploy(args) => {
            commands::deploy::run(&cli.global, args, env, redactor, github).await
        }
        Command::Validate(args) => {
            commands::validate::run(&cli.global, args, env, redactor, &mut stdout)
        }
        Command::Import(args) => {
            commands::import::run(&cli.global, args, env, redactor, &mut stdout).await
        }
        Command::Outputs => {
            commands::outputs::run(&cli.global, env, redactor, github, &mut stdout).await
        }
        Command::Call(args) => {
            commands::call::command(&cli.global, args, env, redactor, &mut stdout).await
        }
        Command::Drift(args) => {
            commands::drift::run(&cli.global, args, env, redactor, github).await
        }
        Command::Plan(args) => commands::plan::run(&cli.global, args, env, redactor, github).await,
        Command::Completions(args) => commands::generate::completions(args, &mut stdout),
        Command::Man(args) => commands::generate::man(args, &mut stdout),
    }
}
