//! `gapfill outputs`: the deployed stacks' outputs, for people or for the next CI job (in
//! GitHub Actions, also as the step's outputs).

use std::io::Write;

use indexmap::IndexMap;

use crate::cli::{Format, GlobalArgs};
use crate::commands::github::GitHub;
use crate::commands::{session, validate};
use crate::error::Error;
use crate::redact::Redactor;
use crate::report::outputs::{render, OutputsFormat};

/// The outputs format `--format` asks for.
pub fn outputs_format(format: Format) -> OutputsFormat {
    match format {
        Format::Json => OutputsFormat::Json,
        Format::Env => OutputsFormat::Env,
        Format::Dotenv => OutputsFormat::Dotenv,
        // Outputs are a few lines of names and values: Markdown reads them as plain does.
        Format::Auto | Format::Live | Format::Plain | Format::Markdown => OutputsFormat::Text,
    }
}

pub async fn run(
    global: &GlobalArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    github: Option<&GitHub>,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let loaded = validate::load_plan(global, env, redactor)?;
    let plan = loaded.plan;
    let first_stack = plan.stacks.first().map(|stack| stack.name.as_str());
    let cfn = session::connect(
        global,
        plan.region.as_deref(),
        env,
        loaded.catalog,
        redactor,
        first_stack,
    )
    .await?
    .cfn;
    let mut stacks = Vec::new();
    let mut missing = Vec::new();
    for stack in &plan.stacks {
        match cfn
            .describe(&stack.name)
            .await
            .map_err(|e| Error::new(e.to_string()))?
        {
            Some(deployed) => {
                plan.register_secret_outputs(&stack.name, &deployed.outputs);
                stacks.push((stack.name.clone(), deployed.outputs));
            }
            None => missing.push(stack.name.clone()),
        }
    }
    let text = render(&stacks, outputs_format(global.format));
    out.write_all(redactor.redact(&text).as_bytes())
        .map_err(Error::output)?;
    if let Some(github) = github {
        github.write_outputs(&stacks, redactor)?;
    }
    if !missing.is_empty() {
        return Err(
            Error::new(format!("not deployed yet: {}", missing.join(", ")))
                .hint("run `gapfill deploy` first"),
        );
    }
    Ok(crate::exit_code::SUCCESS)
}

/// Writes outputs to `path`: dotenv lines for `.env` files, JSON otherwise.
pub fn write_file(
    path: &std::path::Path,
    stacks: &[(String, IndexMap<String, String>)],
    redactor: &Redactor,
) -> Result<(), Error> {
    let is_dotenv = path.extension().is_some_and(|ext| ext == "env")
        || path.file_name().is_some_and(|n| n == ".env");
    let format = if is_dotenv {
        OutputsFormat::Dotenv
    } else {
        OutputsFormat::Json
    };
    let text = render(stacks, format);
    std::fs::write(path, redactor.redact(&text).as_bytes()).map_err(|e| {
        Error::new(format!(
            "cannot write outputs file `{}`: {e}",
            path.display()
        ))
    })
}
