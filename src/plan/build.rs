//! Builds the plan from a loaded project: checks every parameter, reference and dependency,
//! collects every problem as a positioned diagnostic, and orders the stacks.

use crate::project::file::StackSpec;
use crate::project::refs::{self, Reference, Segment};
use crate::project::template::{parameter_text, Template};
use crate::project::{Diagnostic, Diagnostics, Project};
use std::collections::BTreeSet;

use crate::redact::{Redactor, MIN_SECRET_LEN};

use super::graph::topological_order;
use super::{Part, Plan, PlannedValue, StackPlan};

/// The largest template CloudFormation accepts as a TemplateBody.
pub const INLINE_TEMPLATE_LIMIT: usize = 51_200;
/// The largest template CloudFormation accepts from S3.
pub const TEMPLATE_URL_LIMIT: usize = 1_048_576;

/// Resolves and validates `project`. `env` reads an environment variable (injected for tests);
/// secrets found on the way are registered with `redactor`.
pub fn build(
    project: &Project,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: Redactor,
) -> Result<Plan, Diagnostics> {
    let mut checker = Checker {
        project,
        env,
        diagnostics: Diagnostics::default(),
        redactor,
        secret_outputs: BTreeSet::new(),
    };
    for name in &project.spec.secrets {
        if let Some(value) = env(name) {
            if !checker.redactor.add(&value) {
                tracing::warn!(
                    "the value of secret {name} is shorter than {MIN_SECRET_LEN} characters: too short to mask, it may print"
                );
            }
        }
    }
    if !project.spec.post_deploy.is_empty() {
        let diagnostic = project
            .diagnostic(&["post-deploy"], true, "post-deploy steps are not available yet")
            .hint("remove `post-deploy:` for now; `gapfill call service:Operation` runs single operations today");
        checker.diagnostics.push(diagnostic);
    }
    let mut stacks = Vec::new();
    for (name, spec) in &project.spec.stacks {
        if let Some(template) = project.templates.get(name) {
            stacks.push(checker.stack(name, spec, template));
        }
    }
    let stacks = checker.order(stacks);
    let Checker {
        diagnostics,
        redactor,
        secret_outputs,
        ..
    } = checker;
    diagnostics.into_result(Plan {
        project: project
            .spec
            .project
            .clone()
            .unwrap_or_else(|| "gapfill".into()),
        region: project.spec.region.clone(),
        stacks,
        artifacts: project.spec.artifacts.clone(),
        models_dir: project
            .spec
            .models_dir
            .as_ref()
            .map(|dir| project.dir.join(dir)),
        redactor,
        secret_outputs,
    })
}

struct Checker<'a> {
    project: &'a Project,
    env: &'a dyn Fn(&str) -> Option<String>,
    diagnostics: Diagnostics,
    redactor: Redactor,
    secret_outputs: BTreeSet<(String, String)>,
}

impl Checker<'_> {
    fn stack(&mut self, name: &str, spec: &StackSpec, template: &Template) -> StackPlan {
        let mut depends_on = Vec::new();
        let mut parameters = Vec::new();
        for (key, value) in &spec.parameters {
            let path = ["stacks", name, "parameters", key.as_str()];
            let Some(declared) = template.parameters.get(key) else {
                self.undeclared_parameter(name, spec, template, key);
                continue;
            };
            if let Some(mut planned) = self.value(&path, name, value, &mut depends_on) {
                planned.secret |= declared.no_echo;
                if planned.secret {
                    self.note_secret_outputs(&planned);
                }
                parameters.push((key.clone(), planned));
            }
        }
        self.required_parameters(name, spec, template);
        let mut tags = Vec::new();
        for (key, value) in &spec.tags {
            let path = ["stacks", name, "tags", key.as_str()];
            if let Some(planned) = self.value(&path, name, value, &mut depends_on) {
                tags.push((key.clone(), planned));
            }
        }
        self.explicit_dependencies(name, spec, &mut depends_on);
        self.template_size(name, template);
        StackPlan {
            name: name.to_string(),
            template_file: spec.template.clone(),
            template_body: template.body.clone(),
            parameters,
            tags,
            capabilities: spec.capabilities.clone(),
            template_parameters: template.parameters.clone(),
            depends_on,
        }
    }

    /// CloudFormation takes 51,200 bytes inline and 1 MB from S3.
    fn template_size(&mut self, stack: &str, template: &Template) {
        let size = template.body.len();
        let path = ["stacks", stack, "template"];
        let diagnostic = if size > TEMPLATE_URL_LIMIT {
            self.project
                .diagnostic(&path, false, format!("template is {size} bytes; CloudFormation accepts at most {TEMPLATE_URL_LIMIT}"))
                .hint("split it into nested stacks or several stacks")
        } else if size > INLINE_TEMPLATE_LIMIT && self.project.spec.artifacts.is_none() {
            self.project
                .diagnostic(&path, false, format!("template is {size} bytes; CloudFormation takes at most {INLINE_TEMPLATE_LIMIT} inline"))
                .hint("set `artifacts: { bucket: NAME }` in the project file; gapfill uploads large templates there")
        } else {
            return;
        };
        self.diagnostics.push(diagnostic);
    }

    /// Outputs that feed a secret value are secrets too, from the moment they are read.
    fn note_secret_outputs(&mut self, planned: &PlannedValue) {
        for part in &planned.parts {
            if let Part::Output { stack, output } = part {
                self.secret_outputs.insert((stack.clone(), output.clone()));
            }
        }
    }

    fn undeclared_parameter(
        &mut self,
        stack: &str,
        spec: &StackSpec,
        template: &Template,
        key: &str,
    ) {
        let path = ["stacks", stack, "parameters", key];
        let declared: Vec<&str> = template.parameters.keys().map(String::as_str).collect();
        let message = format!(
            "parameter `{key}` is not declared by template `{}`",
            spec.template.display()
        );
        let diagnostic = self
            .project
            .diagnostic(&path, true, message)
            .suggest(key, declared.iter().copied())
            .hint(declared_list("template parameters", &declared));
        self.diagnostics.push(diagnostic);
    }

    fn required_parameters(&mut self, stack: &str, spec: &StackSpec, template: &Template) {
        for (key, declared) in &template.parameters {
            if declared.has_default || spec.parameters.contains_key(key) {
                continue;
            }
            let message = format!(
                "template parameter `{key}` of stack `{stack}` has no Default and is not set"
            );
            let diagnostic = self
                .project
                .diagnostic(&["stacks", stack], true, message)
                .hint(format!(
                    "set it under `stacks.{stack}.parameters`, e.g. `{key}: ...`"
                ));
            self.diagnostics.push(diagnostic);
        }
    }

    fn explicit_dependencies(
        &mut self,
        stack: &str,
        spec: &StackSpec,
        depends_on: &mut Vec<String>,
    ) {
        for (index, dependency) in spec.depends_on.iter().enumerate() {
            let position = index.to_string();
            let path = ["stacks", stack, "depends_on", position.as_str()];
            if dependency == stack {
                let diagnostic = self.project.diagnostic(
                    &path,
                    false,
                    format!("stack `{stack}` depends on itself"),
                );
                self.diagnostics.push(diagnostic);
            } else if !self.project.spec.stacks.contains_key(dependency) {
                let diagnostic = self.unknown_stack(&path, dependency, None);
                self.diagnostics.push(diagnostic);
            } else if !depends_on.contains(dependency) {
                depends_on.push(dependency.clone());
            }
        }
    }

    /// A parameter or tag value: scalars as text, lists comma-joined, references checked.
    fn value(
        &mut self,
        path: &[&str],
        stack: &str,
        value: &serde_yaml::Value,
        depends_on: &mut Vec<String>,
    ) -> Option<PlannedValue> {
        let Some(text) = parameter_text(value) else {
            let message = "expected a string, number, boolean or a list of them";
            self.diagnostics
                .push(self.project.diagnostic(path, false, message));
            return None;
        };
        let segments = match refs::parse(&text) {
            Ok(segments) => segments,
            Err(error) => {
                let diagnostic = self
                    .project
                    .diagnostic_inside(path, error.offset, error.len, error.message)
                    .hint(error.hint);
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        let mut planned = PlannedValue {
            parts: Vec::new(),
            secret: false,
        };
        for segment in segments {
            match segment {
                Segment::Text(literal) => planned.parts.push(Part::Text(literal)),
                Segment::Ref {
                    reference,
                    offset,
                    len,
                } => {
                    let part =
                        self.reference(path, stack, reference, offset, len, &mut planned.secret);
                    match part {
                        Some(Part::Output {
                            stack: ref source, ..
                        }) if !depends_on.contains(source) => {
                            depends_on.push(source.clone());
                        }
                        _ => {}
                    }
                    planned.parts.extend(part);
                }
            }
        }
        Some(planned)
    }

    fn reference(
        &mut self,
        path: &[&str],
        stack: &str,
        reference: Reference,
        offset: usize,
        len: usize,
        secret: &mut bool,
    ) -> Option<Part> {
        let at = |message: String| self.project.diagnostic_inside(path, offset, len, message);
        let diagnostic = match reference {
            Reference::StackOutput { stack: source, output } => {
                return self.stack_output(path, stack, source, output, offset, len);
            }
            Reference::Env { name } => match (self.env)(&name) {
                Some(value) => {
                    *secret |= self.project.spec.secrets.contains(&name);
                    return Some(Part::Text(value));
                }
                None => at(format!("environment variable `{name}` is not set"))
                    .hint("export it before running gapfill; in CI, add it to the job's environment or secrets"),
            },
            Reference::Step { .. } => at(format!("`{reference}`: step results are not available to stacks"))
                .hint("stacks deploy before post-deploy steps; reference a stack output or an env var"),
            Reference::Param { .. } => at(format!("`{reference}`: param references are not available in stack parameters"))
                .hint("use `${env.NAME}` or a literal value"),
        };
        self.diagnostics.push(diagnostic);
        None
    }

    fn stack_output(
        &mut self,
        path: &[&str],
        stack: &str,
        source: String,
        output: String,
        offset: usize,
        len: usize,
    ) -> Option<Part> {
        let diagnostic = if source == stack {
            self.project
                .diagnostic_inside(
                    path,
                    offset,
                    len,
                    format!("stack `{stack}` cannot use its own output `{output}`"),
                )
                .hint("inside a template, use !GetAtt or !Ref instead")
        } else if let Some(template) = self.project.templates.get(&source) {
            if template.outputs.contains(&output) {
                return Some(Part::Output {
                    stack: source,
                    output,
                });
            }
            let outputs: Vec<&str> = template.outputs.iter().map(String::as_str).collect();
            let file = self
                .project
                .spec
                .stacks
                .get(&source)
                .map(|s| s.template.display().to_string())
                .unwrap_or_default();
            self.project
                .diagnostic_inside(
                    path,
                    offset,
                    len,
                    format!("stack `{source}` has no output `{output}` (template `{file}`)"),
                )
                .suggest(&output, outputs.iter().copied())
                .hint(declared_list(&format!("outputs of {source}"), &outputs))
        } else if self.project.spec.stacks.contains_key(&source) {
            // The stack exists but its template failed to load: already reported.
            return None;
        } else {
            self.unknown_stack(path, &source, Some((offset, len)))
        };
        self.diagnostics.push(diagnostic);
        None
    }

    fn unknown_stack(
        &self,
        path: &[&str],
        name: &str,
        inside: Option<(usize, usize)>,
    ) -> Diagnostic {
        let message = format!("no stack named `{name}` in the project");
        let diagnostic = match inside {
            Some((offset, len)) => self.project.diagnostic_inside(path, offset, len, message),
            None => self.project.diagnostic(path, false, message),
        };
        let known: Vec<&str> = self
            .project
            .spec
            .stacks
            .keys()
            .map(String::as_str)
            .collect();
        diagnostic
            .suggest(name, known.iter().copied())
            .hint(declared_list("stacks", &known))
    }

    /// Orders stacks so each comes after its dependencies; reports a cycle by its members.
    fn order(&mut self, stacks: Vec<StackPlan>) -> Vec<StackPlan> {
        let index_of = |name: &str| stacks.iter().position(|stack| stack.name == name);
        let edges: Vec<(usize, usize)> = stacks
            .iter()
            .enumerate()
            .flat_map(|(after, stack)| {
                stack
                    .depends_on
                    .iter()
                    .filter_map(move |dep| index_of(dep).map(|before| (before, after)))
            })
            .collect();
        match topological_order(stacks.len(), &edges) {
            Ok(order) => {
                let mut slots: Vec<Option<StackPlan>> = stacks.into_iter().map(Some).collect();
                order
                    .into_iter()
                    .filter_map(|index| slots[index].take())
                    .collect()
            }
            Err(cycle) => {
                let names: Vec<&str> = cycle.iter().map(|&i| stacks[i].name.as_str()).collect();
                let mut shown = names.join(" -> ");
                shown.push_str(&format!(" -> {}", names[0]));
                let diagnostic = self
                    .project
                    .diagnostic(&["stacks", names[0]], true, format!("dependency cycle: {shown}"))
                    .hint("each arrow is a `${stack.Output}` reference or a depends_on entry; break one of them");
                self.diagnostics.push(diagnostic);
                stacks
            }
        }
    }
}

fn declared_list(what: &str, names: &[&str]) -> String {
    if names.is_empty() {
        format!("{what}: none")
    } else {
        format!("{what}: {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::StackOutputs;

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let project = crate::project::load(&dir.path().join("gapfill.yaml")).unwrap();
        (dir, project)
    }

    const API: &str = "Parameters:\n  Token: {Type: String, NoEcho: true}\n  Table: {Type: String}\n  Size: {Type: Number, Default: 5}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n";
    const DATA: &str =
        "Resources:\n  T: {Type: AWS::SQS::Queue}\nOutputs:\n  Name: {Value: !Ref T}\n";

    #[test]
    fn orders_by_references_and_registers_secrets() {
        let (_dir, project) = project(&[
            (
                "gapfill.yaml",
                "secrets: [API_TOKEN]\nstacks:\n  api:\n    template: api.yaml\n    parameters:\n      Token: ${env.API_TOKEN}\n      Table: prefix-${data.Name}\n  data:\n    template: data.yaml\n",
            ),
            ("api.yaml", API),
            ("data.yaml", DATA),
        ]);
        let env = |name: &str| (name == "API_TOKEN").then(|| "tok-123".to_string());
        let redactor = Redactor::default();
        let plan = build(&project, &env, redactor.clone()).unwrap();
        let order: Vec<&str> = plan.stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(order, ["data", "api"]);
        let api = plan.stack("api").unwrap();
        assert_eq!(api.depends_on, ["data"]);
        assert!(
            api.parameters[0].1.secret,
            "a secret env var feeding a NoEcho parameter is secret"
        );
        assert_eq!(redactor.redact("token tok-123"), "token ****");

        let mut outputs = StackOutputs::new();
        outputs.insert(
            "data".into(),
            [("Name".to_string(), "q1".to_string())]
                .into_iter()
                .collect(),
        );
        assert_eq!(api.parameters[1].1.resolve(&outputs).unwrap(), "prefix-q1");
        assert_eq!(
            api.template_parameters["Size"].default.as_deref(),
            Some("5")
        );
    }

    #[test]
    fn a_noecho_parameter_is_secret_even_with_a_literal_value() {
        let (_dir, project) = project(&[
            ("gapfill.yaml", "stacks:\n  api:\n    template: api.yaml\n    parameters: {Token: literal, Table: t}\n"),
            ("api.yaml", API),
        ]);
        let plan = build(&project, &|_| None, Redactor::default()).unwrap();
        let api = plan.stack("api").unwrap();
        assert!(
            api.parameters
                .iter()
                .find(|(k, _)| k == "Token")
                .unwrap()
                .1
                .secret
        );
        assert!(
            !api.parameters
                .iter()
                .find(|(k, _)| k == "Table")
                .unwrap()
                .1
                .secret
        );
    }

    #[test]
    fn collects_every_problem_instead_of_stopping_at_the_first() {
        let (_dir, project) = project(&[
            ("gapfill.yaml", "stacks:\n  api:\n    template: api.yaml\n    parameters: {Nope: 1, Table: '${ghost.Out}'}\n"),
            ("api.yaml", API),
        ]);
        let errors = build(&project, &|_| None, Redactor::default()).unwrap_err();
        let messages: Vec<&str> = errors.0.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "parameter `Nope` is not declared by template `api.yaml`",
                "no stack named `ghost` in the project",
                "template parameter `Token` of stack `api` has no Default and is not set",
            ]
        );
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn a_large_template_needs_an_artifact_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let padding = format!("# {}\n", "x".repeat(INLINE_TEMPLATE_LIMIT));
        std::fs::write(
            dir.path().join("big.yaml"),
            format!("{padding}Resources:\n  Q: {{Type: AWS::SQS::Queue}}\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("gapfill.yaml"),
            "stacks:\n  big:\n    template: big.yaml\n",
        )
        .unwrap();
        let project = crate::project::load(&dir.path().join("gapfill.yaml")).unwrap();
        let errors = build(&project, &|_| None, Redactor::default()).unwrap_err();
        assert!(
            errors.0[0]
                .message
                .ends_with("CloudFormation takes at most 51200 inline"),
            "{}",
            errors.0[0].message
        );

        std::fs::write(
            dir.path().join("gapfill.yaml"),
            "artifacts: {bucket: b}\nstacks:\n  big:\n    template: big.yaml\n",
        )
        .unwrap();
        let project = crate::project::load(&dir.path().join("gapfill.yaml")).unwrap();
        assert!(build(&project, &|_| None, Redactor::default()).is_ok());
    }
}
