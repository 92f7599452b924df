//! `gapfill validate`: every check deploy makes before its first AWS call, and nothing else.
//! `--explain` also shows what each step's check derived from the API models.

use std::io::Write;
use std::sync::Arc;

use crate::aws::catalog::Catalog;
use crate::cli::{GlobalArgs, ValidateArgs};
use crate::commands::session;
use crate::error::Error;
use crate::plan::{self, NodeKey, Plan};
use crate::project;
use crate::redact::Redactor;
use crate::steps::CatalogModels;

/// A validated plan and the model catalog it was checked against (the AWS client reuses it).
pub struct Loaded {
    pub plan: Plan,
    pub catalog: Arc<Catalog>,
}

/// Loads and plans the project: the shared first step of every command.
pub fn load_plan(
    global: &GlobalArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
) -> Result<Loaded, Error> {
    let project = project::load(&global.project)?;
    let models_dir = project
        .spec
        .models_dir
        .as_ref()
        .map(|dir| project.dir.join(dir));
    let catalog = Arc::new(session::catalog(models_dir, env));
    let models = CatalogModels::new(Arc::clone(&catalog));
    let plan = plan::build(&project, env, redactor.clone(), &models)?;
    Ok(Loaded { plan, catalog })
}

/// Prints the validated project's stacks and steps in run order.
pub fn run(
    global: &GlobalArgs,
    args: &ValidateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let plan = load_plan(global, env, redactor)?.plan;
    let mut write =
        |text: String| writeln!(out, "{}", redactor.redact(&text)).map_err(Error::output);
    write(format!(
        "project {} is valid: {} stack(s) and {} step(s), in run order:",
        plan.project,
        plan.stacks.len(),
        plan.steps.len()
    ))?;
    let width = plan.order.iter().map(|n| n.name().len()).max().unwrap_or(0);
    for node in &plan.order {
        let after = match plan.depends_on(node) {
            [] => String::new(),
            nodes => format!("  (after {})", names(nodes)),
        };
        let (kind, what) = match node {
            NodeKey::Stack(name) => match plan.stack(name) {
                Some(stack) => ("stack", stack.template_file.display().to_string()),
                None => continue,
            },
            NodeKey::Step(id) => match plan.step(id) {
                Some(step) => ("step ", step_summary(step)),
                None => continue,
            },
        };
        write(format!("  {kind} {:<width$}  {what}{after}", node.name()))?;
        if args.explain {
            if let Some(step) = plan
                .step(node.name())
                .filter(|_| matches!(node, NodeKey::Step(_)))
            {
                for line in explanation(step) {
                    write(format!("          {:<width$}    {line}", ""))?;
                }
            }
        }
    }
    Ok(crate::exit_code::SUCCESS)
}

fn names(nodes: &[NodeKey]) -> String {
    nodes
        .iter()
        .map(|node| match node {
            NodeKey::Stack(name) => name.clone(),
            NodeKey::Step(id) => format!("step {id}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `service:Operation`, and how the step is checked.
fn step_summary(step: &plan::StepPlan) -> String {
    match &step.check {
        Some(check) => format!("{} (checked by {})", step.call(), check.call()),
        None if step.when.is_empty() => format!("{} (action: runs on every deploy)", step.call()),
        None => format!("{} (action: runs when its conditions hold)", step.call()),
    }
}

/// What `--explain` shows in place of a secret step's values.
const SECRET_NOT_SHOWN: &str = "(secret step: not shown)";

/// What `--explain` shows for a step: each derivation, then the check in full.
fn explanation(step: &plan::StepPlan) -> Vec<String> {
    let mut lines: Vec<String> = step
        .derived
        .iter()
        .map(|line| format!("derived {line}"))
        .collect();
    // A secret step's values may be the secret itself, written in its file.
    let shown = |value: &plan::ValueTemplate| match step.secret {
        true => SECRET_NOT_SHOWN.to_string(),
        false => value.describe(),
    };
    if let Some(check) = &step.check {
        lines.push(format!(
            "check {} with {}",
            check.call(),
            shown(&check.input)
        ));
        for (path, value) in &check.expect {
            lines.push(format!("expects {path} = {}", shown(value)));
        }
    }
    for condition in &step.when {
        lines.push(match condition {
            plan::Condition::Stack { stack, outcomes } => {
                let wanted: Vec<&str> = outcomes.iter().map(|o| o.label()).collect();
                format!(
                    "runs only when the run leaves stack `{stack}` {}",
                    wanted.join(" or ")
                )
            }
            plan::Condition::Truthy(value) => {
                format!("runs only when {} is true", shown(value))
            }
        });
    }
    lines
}
