//! Deployed stacks as a gapfill project: `gapfill.yaml` and each stack's template as deployed
//! (its original format kept). Parameters equal to the template's default are left out; a
//! NoEcho parameter becomes `${env.NAME}` listed under `secrets:` (its value is never known,
//! never written); a value equal to another imported stack's output becomes that reference,
//! so the order between the stacks is kept. Tags and capabilities as deployed.

use indexmap::IndexMap;

use crate::project::template::TemplateParameter;

/// One deployed stack, as read.
#[derive(Debug, Clone)]
pub struct ImportedStack {
    pub name: String,
    pub template_body: String,
    pub template_parameters: IndexMap<String, TemplateParameter>,
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub capabilities: Vec<String>,
    pub outputs: IndexMap<String, String>,
}

/// The files of the project, relative to its directory, and the env vars it needs set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFiles {
    pub files: Vec<(String, String)>,
    /// Env vars that hold the values of NoEcho parameters: to set before `plan` or `deploy`.
    pub secrets: Vec<String>,
}

/// The project for `stacks`, named `project` in `region`.
pub fn project_files(
    project: &str,
    region: Option<&str>,
    stacks: &[ImportedStack],
) -> ProjectFiles {
    let mut yaml = format!(
        "# Imported by `gapfill import stacks` from the stacks as deployed.\nproject: {}\n",
        quote(project)
    );
    if let Some(region) = region {
        yaml.push_str(&format!("region: {}\n", quote(region)));
    }
    yaml.push_str("\nstacks:\n");
    let mut files = Vec::new();
    let mut secrets = Vec::new();
    for stack in stacks {
        let file = format!("stacks/{}.{}", stack.name, extension(&stack.template_body));
        yaml.push_str(&format!(
            "  {}:\n    template: {}\n",
            quote(&stack.name),
            quote(&file)
        ));
        let parameters = parameters(stack, stacks, &mut secrets);
        if !parameters.is_empty() {
            yaml.push_str("    parameters:\n");
            for (key, value) in parameters {
                yaml.push_str(&format!("      {}: {}\n", quote(&key), value));
            }
        }
        if !stack.tags.is_empty() {
            yaml.push_str("    tags:\n");
            for (key, value) in &stack.tags {
                yaml.push_str(&format!(
                    "      {}: {}\n",
                    quote(key),
                    quote(&escape_refs(value))
                ));
            }
        }
        if !stack.capabilities.is_empty() {
            yaml.push_str(&format!(
                "    capabilities: [{}]\n",
                stack.capabilities.join(", ")
            ));
        }
        files.push((file, stack.template_body.clone()));
    }
    if !secrets.is_empty() {
        yaml.push_str(&format!(
            "\n# NoEcho parameters: set these env vars (CI secrets) before plan or deploy.\nsecrets: [{}]\n",
            secrets.join(", ")
        ));
    }
    files.insert(0, ("gapfill.yaml".to_string(), yaml));
    ProjectFiles { files, secrets }
}

/// The parameters worth writing, as YAML values: not the template's default, NoEcho ones as
/// env references, values equal to another stack's output as references to it.
fn parameters(
    stack: &ImportedStack,
    all: &[ImportedStack],
    secrets: &mut Vec<String>,
) -> Vec<(String, String)> {
    let mut written = Vec::new();
    for (key, value) in &stack.parameters {
        let declared = stack.template_parameters.get(key);
        if declared.is_some_and(|d| d.no_echo) {
            let env = env_name(&stack.name, key);
            written.push((key.clone(), quote(&format!("${{env.{env}}}"))));
            secrets.push(env);
            continue;
        }
        if declared.and_then(|d| d.default.as_deref()) == Some(value.as_str()) {
            continue;
        }
        let source = all
            .iter()
            .filter(|other| other.name != stack.name)
            .find_map(|other| {
                other
                    .outputs
                    .iter()
                    .find(|(_, output)| *output == value)
                    .map(|(output, _)| format!("${{{}.{output}}}", other.name))
            });
        written.push((
            key.clone(),
            quote(&source.unwrap_or_else(|| escape_refs(value))),
        ));
    }
    written
}

/// `catalog-ingest` + `ApiToken` -> `CATALOG_INGEST_API_TOKEN`.
fn env_name(stack: &str, parameter: &str) -> String {
    let mut name = String::new();
    for part in [stack, parameter] {
        if !name.is_empty() {
            name.push('_');
        }
        let mut previous_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && previous_lower {
                name.push('_');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            name.push(if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            });
        }
    }
    name
}

/// A literal value must not read as a reference: `${` is written `$${`.
fn escape_refs(value: &str) -> String {
    value.replace("${", "$${")
}

/// A YAML scalar, quoted when plain style would change its meaning or type.
pub(super) fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !text.starts_with(['-', '.'])
        && text.parse::<f64>().is_err()
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~"
        );
    if plain {
        text.to_string()
    } else {
        serde_json::Value::String(text.to_string()).to_string()
    }
}

/// `json` for a template written as JSON, `yaml` otherwise.
fn extension(body: &str) -> &'static str {
    if body.trim_start().starts_with('{') {
        "json"
    } else {
        "yaml"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(name: &str, parameters: &[(&str, &str)], outputs: &[(&str, &str)]) -> ImportedStack {
        let template_parameters = [
            (
                "Env".to_string(),
                TemplateParameter {
                    has_default: true,
                    default: Some("dev".into()),
                    no_echo: false,
                },
            ),
            (
                "Token".to_string(),
                TemplateParameter {
                    has_default: false,
                    default: None,
                    no_echo: true,
                },
            ),
            (
                "QueueArn".to_string(),
                TemplateParameter {
                    has_default: false,
                    default: None,
                    no_echo: false,
                },
            ),
        ]
        .into_iter()
        .collect();
        ImportedStack {
            name: name.into(),
            template_body: "Resources: {}\n".into(),
            template_parameters,
            parameters: parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            tags: vec![("team".into(), "catalog".into())],
            capabilities: vec!["CAPABILITY_IAM".into()],
            outputs: outputs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn writes_references_secrets_and_leaves_defaults_out() {
        let stacks = [
            stack(
                "data",
                &[("Env", "dev")],
                &[("QueueArn", "arn:aws:sqs:us-east-1:1:q")],
            ),
            stack(
                "api",
                &[
                    ("Env", "prod"),
                    ("Token", "****"),
                    ("QueueArn", "arn:aws:sqs:us-east-1:1:q"),
                ],
                &[],
            ),
        ];
        let project = project_files("catalog", Some("us-east-1"), &stacks);
        assert_eq!(project.secrets, ["API_TOKEN"]);
        assert_eq!(
            project.files[0].1,
            "# Imported by `gapfill import stacks` from the stacks as deployed.\n\
             project: catalog\nregion: us-east-1\n\nstacks:\n\
             \x20 data:\n    template: stacks/data.yaml\n    tags:\n      team: catalog\n    capabilities: [CAPABILITY_IAM]\n\
             \x20 api:\n    template: stacks/api.yaml\n    parameters:\n      Env: prod\n      Token: \"${env.API_TOKEN}\"\n      QueueArn: \"${data.QueueArn}\"\n    tags:\n      team: catalog\n    capabilities: [CAPABILITY_IAM]\n\
             \n# NoEcho parameters: set these env vars (CI secrets) before plan or deploy.\nsecrets: [API_TOKEN]\n"
        );
        assert_eq!(project.files[1].0, "stacks/data.yaml");
    }

    #[test]
    fn names_and_values_are_written_safely() {
        assert_eq!(
            env_name("catalog-ingest", "ApiToken"),
            "CATALOG_INGEST_API_TOKEN"
        );
        assert_eq!(quote("true"), "\"true\"");
        assert_eq!(quote("30"), "\"30\"");
        assert_eq!(quote("a: b"), "\"a: b\"");
        assert_eq!(escape_refs("cost ${x}"), "cost $${x}");
        assert_eq!(extension("  {\"Resources\": {}}"), "json");
    }
}
