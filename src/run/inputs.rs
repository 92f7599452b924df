//! A node's input, resolved from the plan and what the run has learned so far (the value
//! store): stack parameters and tags, step inputs and expectations, `when:` conditions.
//! Secrets found on the way are registered before anything can print them.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::deploy::StackInput;
use crate::plan::{
    Condition, MissingValue, Part, Plan, PlannedValue, StackChange, StackPlan, StepPlan,
    ValueStore, ValueTemplate,
};
use crate::redact::{Redactor, MIN_SECRET_LEN};
use crate::steps::{ResolvedCheck, StepInput};

/// The stack's request with its dependencies' values filled in; secrets registered.
pub fn stack_input(
    stack: &StackPlan,
    store: &ValueStore,
    redactor: &Redactor,
) -> Result<StackInput, MissingValue> {
    let resolve =
        |values: &[(String, PlannedValue)]| -> Result<Vec<(String, String)>, MissingValue> {
            values
                .iter()
                .map(|(key, value)| {
                    let text = value.resolve(store)?;
                    if value.secret && !redactor.add(&text) {
                        tracing::warn!("the secret value of {} for stack {} is shorter than {MIN_SECRET_LEN} characters: too short to mask, it may print", key, stack.name);
                    }
                    Ok((key.clone(), text))
                })
                .collect()
        };
    let parameters = resolve(&stack.parameters)?;
    let tags = resolve(&stack.tags)?;
    let defaults: BTreeMap<String, String> = stack
        .template_parameters
        .iter()
        .filter(|(key, _)| !parameters.iter().any(|(set, _)| set == *key))
        .filter_map(|(key, declared)| declared.default.clone().map(|value| (key.clone(), value)))
        .collect();
    Ok(StackInput {
        name: stack.name.clone(),
        template_body: stack.template_body.clone(),
        parameters,
        tags,
        capabilities: stack
            .capabilities
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        defaults,
        has_no_echo: stack
            .template_parameters
            .values()
            .any(|declared| declared.no_echo),
        template_resources: stack.template_resources.clone(),
    })
}

/// Why a step does not run in this run (`when:`), or `None` when it runs.
pub fn not_running_because(
    step: &StepPlan,
    store: &ValueStore,
    changes: &HashMap<String, StackChange>,
) -> Result<Option<String>, MissingValue> {
    for condition in &step.when {
        match condition {
            Condition::Stack { stack, outcomes } => {
                let change = changes.get(stack);
                if !change.is_some_and(|change| outcomes.contains(change)) {
                    let wanted: Vec<&str> = outcomes.iter().map(|o| o.label()).collect();
                    let did = change.map_or("not deployed by this run", |change| change.label());
                    return Ok(Some(format!(
                        "when: needs stack `{stack}` {} in this run; it was {did}",
                        wanted.join(" or ")
                    )));
                }
            }
            Condition::Truthy(template) => {
                let value = template.resolve(store)?;
                if !truthy(&value) {
                    return Ok(Some(format!("when: `if` is {value}")));
                }
            }
        }
    }
    Ok(None)
}

/// false, 0, "", "false", "0", null, [] and {} are false; anything else is true.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64() != Some(0.0),
        Value::String(text) => !(text.is_empty() || text == "false" || text == "0"),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
    }
}

/// The step's input and check resolved; values read from secret steps registered as secrets.
pub fn step_input(
    plan: &Plan,
    step: &StepPlan,
    store: &ValueStore,
    redactor: &Redactor,
) -> Result<StepInput, MissingValue> {
    let resolve = |template: &ValueTemplate| -> Result<Value, MissingValue> {
        register_secret_reads(plan, template, store, redactor);
        template.resolve(store)
    };
    let input = resolve(&step.input)?;
    let check = match &step.check {
        Some(check) => {
            let input = resolve(&check.input)?;
            let mut expect = Vec::new();
            for (path, template) in &check.expect {
                let value = resolve(template)?;
                if step.secret {
                    register_strings(&value, redactor);
                }
                expect.push((path.clone(), value));
            }
            Some(ResolvedCheck { input, expect })
        }
        None => None,
    };
    Ok(StepInput { input, check })
}

/// Values a template reads from secret steps are secret wherever they go.
fn register_secret_reads(
    plan: &Plan,
    template: &ValueTemplate,
    store: &ValueStore,
    redactor: &Redactor,
) {
    for part in template.parts() {
        if let Part::Step { id, .. } = part {
            if plan.step(id).is_some_and(|step| step.secret) {
                if let Ok(value) = store.lookup(part) {
                    register_strings(&value, redactor);
                }
            }
        }
    }
}

/// Registers every string inside `value` long enough to mask.
pub fn register_strings(value: &Value, redactor: &Redactor) {
    match value {
        Value::String(text) if text.chars().count() >= MIN_SECRET_LEN => {
            redactor.add(text);
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| register_strings(item, redactor)),
        Value::Object(members) => members
            .values()
            .for_each(|member| register_strings(member, redactor)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness_follows_what_yaml_users_write() {
        for value in [
            json!(false),
            json!(0),
            json!(""),
            json!("false"),
            json!("0"),
            json!(null),
            json!([]),
        ] {
            assert!(!truthy(&value), "{value}");
        }
        for value in [json!(true), json!(1), json!("yes"), json!(["a"])] {
            assert!(truthy(&value), "{value}");
        }
    }
}
