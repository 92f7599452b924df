//! What CloudFormation would refuse in the project file, found before any call: stack names,
//! tag counts, keys and values, literal parameter values too long, and a project with nothing
//! to deploy. Values with `${...}` references are known only when the plan resolves them.

use super::diagnostic::Diagnostic;
use super::load::Project;

/// The longest stack name CloudFormation takes.
pub const STACK_NAME_LIMIT: usize = 128;
/// The most tags one stack may have.
pub const TAG_COUNT_LIMIT: usize = 50;
/// The longest tag key, in characters.
pub const TAG_KEY_LIMIT: usize = 128;
/// The longest tag value, in characters.
pub const TAG_VALUE_LIMIT: usize = 256;
/// The largest parameter value, in bytes.
pub const PARAMETER_VALUE_LIMIT: usize = 4096;

/// Every limit the project file breaks, in file order.
pub fn check(project: &Project) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (name, stack) in &project.spec.stacks {
        found.extend(stack_name(project, name));
        if stack.tags.len() > TAG_COUNT_LIMIT {
            let message = format!(
                "stack `{name}` has {} tags; CloudFormation takes at most {TAG_COUNT_LIMIT}",
                stack.tags.len()
            );
            found.push(project.diagnostic(&["stacks", name, "tags"], true, message));
        }
        for (key, value) in &stack.tags {
            found.extend(tag(project, name, key, value));
        }
        for (key, value) in &stack.parameters {
            let length = literal(value).map_or(0, str::len);
            if length > PARAMETER_VALUE_LIMIT {
                let message = format!("parameter `{key}` is {length} bytes; CloudFormation takes at most {PARAMETER_VALUE_LIMIT}");
                let path = ["stacks", name, "parameters", key.as_str()];
                found.push(
                    project
                        .diagnostic(&path, false, message)
                        .hint("keep large values in S3 or SSM Parameter Store and pass their name"),
                );
            }
        }
    }
    found
}

/// A project with no stacks and no step files deploys nothing: surely a mistake.
pub fn nothing_to_deploy(project: &Project) -> Option<Diagnostic> {
    let steps: usize = project.step_files.iter().map(|file| file.steps.len()).sum();
    if !project.spec.stacks.is_empty() || steps > 0 {
        return None;
    }
    let message = "the project has nothing to deploy: no stacks and no post-deploy steps";
    let diagnostic = if project.source.spans.get(&["stacks"]).is_some() {
        project.diagnostic(&["stacks"], true, message)
    } else {
        project.source.start(message)
    };
    Some(diagnostic.hint("add a stack: `stacks: { NAME: { template: stacks/NAME.yaml } }`, or steps with `post-deploy: [post-deploy/*.yaml]`"))
}

/// CloudFormation's rule for stack names: a letter, then letters, digits and hyphens, at
/// most 128 characters.
pub fn is_stack_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        && name.len() <= STACK_NAME_LIMIT
}

fn stack_name(project: &Project, name: &str) -> Option<Diagnostic> {
    if is_stack_name(name) {
        return None;
    }
    let length = name.chars().count();
    let message = if length > STACK_NAME_LIMIT {
        format!(
            "stack name is {length} characters; CloudFormation takes at most {STACK_NAME_LIMIT}"
        )
    } else {
        format!("`{name}` is not a valid stack name")
    };
    let fixed: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let hint = match fixed.trim_start_matches(|c: char| !c.is_ascii_alphabetic()) {
        suggestion if !suggestion.is_empty() && suggestion != name && is_stack_name(suggestion) => {
            format!("a stack name starts with a letter and has only letters, digits and hyphens, e.g. `{suggestion}`")
        }
        _ => {
            "a stack name starts with a letter and has only letters, digits and hyphens".to_string()
        }
    };
    Some(
        project
            .diagnostic(&["stacks", name], true, message)
            .hint(hint),
    )
}

fn tag(project: &Project, stack: &str, key: &str, value: &serde_yaml::Value) -> Vec<Diagnostic> {
    let path = ["stacks", stack, "tags", key];
    let mut found = Vec::new();
    let key_length = key.chars().count();
    if key_length == 0 || key_length > TAG_KEY_LIMIT {
        let message = format!(
            "tag key is {key_length} characters; CloudFormation takes 1 to {TAG_KEY_LIMIT}"
        );
        found.push(project.diagnostic(&path, true, message));
    } else if key.to_ascii_lowercase().starts_with("aws:") {
        let message =
            format!("tag key `{key}` starts with `aws:`, which AWS reserves for its own tags");
        found.push(
            project
                .diagnostic(&path, true, message)
                .hint("choose another prefix, e.g. your team's or company's name"),
        );
    }
    let value_length = literal(value).map_or(0, |text| text.chars().count());
    if value_length > TAG_VALUE_LIMIT {
        let message = format!("the value of tag `{key}` is {value_length} characters; CloudFormation takes at most {TAG_VALUE_LIMIT}");
        found.push(project.diagnostic(&path, false, message));
    }
    found
}

/// A string value without references: its length is known before the plan resolves anything.
fn literal(value: &serde_yaml::Value) -> Option<&str> {
    value.as_str().filter(|text| !text.contains("${"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_follow_cloudformation_rules() {
        assert!(is_stack_name("catalog-data"));
        assert!(is_stack_name(&format!("a{}", "b".repeat(127))));
        for bad in [
            "",
            "1abc",
            "a_b",
            "a.b",
            "-a",
            "ä",
            &format!("a{}", "b".repeat(128)),
        ] {
            assert!(!is_stack_name(bad), "{bad:?}");
        }
    }
}
