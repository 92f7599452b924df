//! `gapfill validate`: every check deploy makes before its first AWS call, and nothing else.

use std::io::Write;

use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::plan::{self, Plan};
use crate::project;
use crate::redact::Redactor;

/// Loads and plans the project: the shared first step of every command.
pub fn load_plan(
    global: &GlobalArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
) -> Result<Plan, Error> {
    let project = project::load(&global.project)?;
    Ok(plan::build(&project, env, redactor.clone())?)
}

/// Prints the validated project's stacks in deploy order.
pub fn run(
    global: &GlobalArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let plan = load_plan(global, env, redactor)?;
    let width = plan.stacks.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let write = |out: &mut dyn Write, text: String| {
        writeln!(out, "{}", redactor.redact(&text)).map_err(Error::output)
    };
    write(
        out,
        format!(
            "project {} is valid: {} stack(s), in deploy order:",
            plan.project,
            plan.stacks.len()
        ),
    )?;
    for stack in &plan.stacks {
        let after = if stack.depends_on.is_empty() {
            String::new()
        } else {
            format!("  (after {})", stack.depends_on.join(", "))
        };
        write(
            out,
            format!(
                "  {:<width$}  {}{after}",
                stack.name,
                stack.template_file.display()
            ),
        )?;
    }
    Ok(crate::exit_code::SUCCESS)
}
