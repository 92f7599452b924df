//! Builds the plan from a loaded project: checks every parameter, reference and dependency,
//! collects every problem as a positioned diagnostic, and orders stacks and steps in one graph.

use crate::project::file::StackSpec;
use crate::project::refs::{self, Reference, Segment};
use crate::project::template::{parameter_text, Template};
use crate::project::{Diagnostic, Diagnostics, Project, Source};
use std::collections::BTreeSet;

use crate::redact::{Redactor, MIN_SECRET_LEN};

use super::graph::topological_order;
use super::models::Models;
use super::steps::StepBuilder;
use super::{NodeKey, Part, Plan, PlannedValue, StackPlan, StepPlan};

/// The largest template CloudFormation accepts as a TemplateBody.
pub const INLINE_TEMPLATE_LIMIT: usize = 51_200;
/// The largest template CloudFormation accepts from S3.
pub const TEMPLATE_URL_LIMIT: usize = 1_048_576;

/// Resolves and validates `project`. `env` reads an environment variable (injected for tests);
/// `models` answers what the AWS API models say; secrets found on the way are registered with
/// `redactor`.
pub fn build(
    project: &Project,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: Redactor,
    models: &dyn Models,
) -> Result<Plan, Diagnostics> {
    let mut checker = Checker {
        project,
        env,
        diagnostics: Diagnostics::default(),
        redactor,
        secret_outputs: BTreeSet::new(),
        step_refs: Vec::new(),
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
    let mut stacks = Vec::new();
    for (name, spec) in &project.spec.stacks {
        if let Some(template) = project.templates.get(name) {
            stacks.push(checker.stack(name, spec, template));
        }
    }
    let drift_ignore = checker.drift_ignore();
    let steps = StepBuilder::new(&mut checker, models).build_all();
    checker.check_step_references(&steps, models);
    let (stacks, steps, order) = checker.order(stacks, steps);
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
        steps,
        order,
        drift_ignore,
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

/// The checks shared by stacks and steps, and the problems found so far.
pub(super) struct Checker<'a> {
    pub(super) project: &'a Project,
    pub(super) env: &'a dyn Fn(&str) -> Option<String>,
    pub(super) diagnostics: Diagnostics,
    pub(super) redactor: Redactor,
    secret_outputs: BTreeSet<(String, String)>,
    /// Step references to check against the models once every step is planned.
    step_refs: Vec<PendingStepRef>,
}

/// A `${steps.<id>.<path>}` reference and where it was written.
struct PendingStepRef {
    id: String,
    path: String,
    /// A diagnostic at the reference, its message written if the path cannot exist.
    at: Diagnostic,
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
            let source = &self.project.source;
            if let Some(mut planned) = self.value(source, &path, name, value, &mut depends_on) {
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
            let source = &self.project.source;
            if let Some(planned) = self.value(source, &path, name, value, &mut depends_on) {
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
            template_resources: template.resources.clone(),
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
        self.note_secret_parts(&planned.parts);
    }

    /// Outputs among `parts` (of a secret value) are secrets too.
    pub(super) fn note_secret_parts(&mut self, parts: &[Part]) {
        for part in parts {
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
        depends_on: &mut Vec<NodeKey>,
    ) {
        let source = &self.project.source;
        let base = ["stacks", stack, "depends_on"];
        let this = NodeKey::Stack(stack.to_string());
        self.dependencies(source, &base, &this, &spec.depends_on, depends_on);
    }

    /// `depends_on` entries of a stack or step: each a stack name or a step id.
    pub(super) fn dependencies(
        &mut self,
        source: &Source,
        base: &[&str],
        this: &NodeKey,
        entries: &[String],
        depends_on: &mut Vec<NodeKey>,
    ) {
        for (index, dependency) in entries.iter().enumerate() {
            let position = index.to_string();
            let mut path = base.to_vec();
            path.push(position.as_str());
            let node = if self.project.spec.stacks.contains_key(dependency) {
                NodeKey::Stack(dependency.clone())
            } else if self.step_ids().any(|id| id == dependency) {
                NodeKey::Step(dependency.clone())
            } else {
                let diagnostic = self.unknown_node(source, &path, dependency);
                self.diagnostics.push(diagnostic);
                continue;
            };
            if &node == this {
                let message = format!("{this} depends on itself");
                self.diagnostics
                    .push(source.diagnostic(&path, false, message));
            } else if !depends_on.contains(&node) {
                depends_on.push(node);
            }
        }
    }

    /// The project's drift ignore rules; a rule naming an unknown stack, or nothing at all, is
    /// an error.
    fn drift_ignore(&mut self) -> Vec<super::IgnoreRule> {
        let mut rules = Vec::new();
        for (index, spec) in self.project.spec.drift.ignore.iter().enumerate() {
            let position = index.to_string();
            let path = ["drift", "ignore", position.as_str()];
            if spec.stack.is_none() && spec.resource.is_none() && spec.property.is_none() {
                let diagnostic = self
                    .project
                    .diagnostic(&path, false, "an ignore rule must name a stack, a resource or a property")
                    .hint("e.g. `- { stack: catalog-data, resource: ImportQueue, property: /Properties/Tags }`");
                self.diagnostics.push(diagnostic);
                continue;
            }
            if let Some(stack) = &spec.stack {
                if !self.project.spec.stacks.contains_key(stack) {
                    let mut at = path.to_vec();
                    at.push("stack");
                    let message = format!("no stack named `{stack}` in the project");
                    let diagnostic = self.project.diagnostic(&at, false, message);
                    let diagnostic = self.unknown_stack(diagnostic, stack);
                    self.diagnostics.push(diagnostic);
                    continue;
                }
            }
            if let Some(resource) = &spec.resource {
                let in_stack = |stack: &str| {
                    self.project
                        .templates
                        .get(stack)
                        .is_some_and(|t| t.resources.iter().any(|(id, _)| id == resource))
                };
                let found = match &spec.stack {
                    Some(stack) => in_stack(stack),
                    None => self.project.spec.stacks.keys().any(|stack| in_stack(stack)),
                };
                if !found {
                    let mut at = path.to_vec();
                    at.push("resource");
                    let known: Vec<&str> = match &spec.stack {
                        Some(stack) => self
                            .project
                            .templates
                            .get(stack)
                            .map(|t| t.resources.iter().map(|(id, _)| id.as_str()).collect())
                            .unwrap_or_default(),
                        None => Vec::new(),
                    };
                    let diagnostic = self
                        .project
                        .diagnostic(
                            &at,
                            false,
                            format!(
                                "no resource `{resource}` in the template of {}",
                                spec.stack
                                    .as_deref()
                                    .map_or("any stack".to_string(), |s| format!("stack `{s}`"))
                            ),
                        )
                        .suggest(resource, known.iter().copied())
                        .hint("a resource is named by its logical id in the template");
                    self.diagnostics.push(diagnostic);
                    continue;
                }
            }
            rules.push(super::IgnoreRule {
                stack: spec.stack.clone(),
                resource: spec.resource.clone(),
                property: spec.property.clone(),
            });
        }
        rules
    }

    /// A diagnostic for a stack name the project does not have: a did-you-mean and the
    /// stacks there are.
    pub(super) fn unknown_stack(&self, diagnostic: Diagnostic, name: &str) -> Diagnostic {
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

    /// Every step id of the project, in file order, each once.
    pub(super) fn step_ids(&self) -> impl Iterator<Item = &str> {
        let mut seen = std::collections::HashSet::new();
        self.project
            .step_files
            .iter()
            .flat_map(|file| file.steps.iter().map(|step| step.id.as_str()))
            .filter(move |id| seen.insert(*id))
    }

    fn unknown_node(&self, source: &Source, path: &[&str], name: &str) -> Diagnostic {
        let stacks = self.project.spec.stacks.keys().map(String::as_str);
        let known: Vec<&str> = stacks.chain(self.step_ids()).collect();
        source
            .diagnostic(path, false, format!("no stack or step named `{name}`"))
            .suggest(name, known.iter().copied())
            .hint(declared_list("stacks and steps", &known))
    }

    /// A parameter or tag value: scalars as text, lists comma-joined, references checked.
    fn value(
        &mut self,
        source: &Source,
        path: &[&str],
        stack: &str,
        value: &serde_yaml::Value,
        depends_on: &mut Vec<NodeKey>,
    ) -> Option<PlannedValue> {
        let Some(text) = parameter_text(value) else {
            let message = "expected a string, number, boolean or a list of them";
            self.diagnostics
                .push(source.diagnostic(path, false, message));
            return None;
        };
        let this = NodeKey::Stack(stack.to_string());
        let parts = self.text_parts(source, path, &this, &text, depends_on)?;
        let secret = parts.secret;
        Some(PlannedValue {
            parts: parts.parts,
            secret,
        })
    }

    /// The parts of a string value with references: env vars and project parameters read in,
    /// stack outputs and step results checked and left open (and added to `depends_on`).
    pub(super) fn text_parts(
        &mut self,
        source: &Source,
        path: &[&str],
        this: &NodeKey,
        text: &str,
        depends_on: &mut Vec<NodeKey>,
    ) -> Option<TextParts> {
        let segments = match refs::parse(text) {
            Ok(segments) => segments,
            Err(error) => {
                let diagnostic = source
                    .diagnostic_inside(path, error.offset, error.len, error.message)
                    .hint(error.hint);
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        let mut parts = TextParts::default();
        let mut broken = false;
        for segment in segments {
            match segment {
                Segment::Text(literal) => parts.parts.push(Part::Text(literal)),
                Segment::Ref {
                    reference,
                    offset,
                    len,
                } => {
                    let at = Inside {
                        source,
                        path,
                        offset,
                        len,
                    };
                    let Some(resolved) = self.reference(&at, this, reference, &mut parts.secret)
                    else {
                        broken = true;
                        continue;
                    };
                    if let Resolved::Value(value) = &resolved {
                        parts.typed.get_or_insert(value.clone());
                    }
                    let part = resolved.into_part();
                    if let Some(node) = part.source() {
                        if !depends_on.contains(&node) {
                            depends_on.push(node);
                        }
                    }
                    parts.parts.push(part);
                }
            }
        }
        (!broken).then_some(parts)
    }

    fn reference(
        &mut self,
        at: &Inside,
        this: &NodeKey,
        reference: Reference,
        secret: &mut bool,
    ) -> Option<Resolved> {
        let diagnostic = match reference {
            Reference::StackOutput { stack: source, output } => {
                return self
                    .stack_output(at, this, source, output)
                    .map(Resolved::Part);
            }
            Reference::Env { name } => match (self.env)(&name) {
                Some(value) => {
                    *secret |= self.project.spec.secrets.contains(&name);
                    return Some(Resolved::Part(Part::Text(value)));
                }
                None => at.diagnostic(format!("environment variable `{name}` is not set"))
                    .hint("export it before running gapfill; in CI, add it to the job's environment or secrets"),
            },
            Reference::Step { id, path } => return self.step_reference(at, this, id, path),
            Reference::Param { name } => match self.project.spec.parameters.get(&name) {
                Some(value) => return Some(Resolved::Value(yaml_to_json(value))),
                None => {
                    let known: Vec<&str> =
                        self.project.spec.parameters.keys().map(String::as_str).collect();
                    at.diagnostic(format!("no project parameter named `{name}`"))
                        .suggest(&name, known.iter().copied())
                        .hint(declared_list("parameters: in the project file", &known))
                }
            },
        };
        self.diagnostics.push(diagnostic);
        None
    }

    fn step_reference(
        &mut self,
        at: &Inside,
        this: &NodeKey,
        id: String,
        path: String,
    ) -> Option<Resolved> {
        let diagnostic = if &NodeKey::Step(id.clone()) == this {
            at.diagnostic(format!("step `{id}` cannot use its own result"))
        } else if !self.step_ids().any(|known| known == id) {
            let known: Vec<&str> = self.step_ids().collect();
            at.diagnostic(format!("no step with id `{id}`"))
                .suggest(&id, known.iter().copied())
                .hint(declared_list("steps", &known))
        } else if let Err(error) = super::values::check_jmespath(&path) {
            at.diagnostic(format!(
                "`{path}` is not a valid JMESPath expression: {error}"
            ))
            .hint("a step reference is `${steps.<id>.<JMESPath on its result>}`")
        } else {
            // Whether the path can exist in the step's result is known once every step is
            // planned (a step may read one defined after it): checked then.
            let at = at.diagnostic(String::new());
            self.step_refs.push(PendingStepRef {
                id: id.clone(),
                path: path.clone(),
                at,
            });
            return Some(Resolved::Part(Part::Step { id, path }));
        };
        self.diagnostics.push(diagnostic);
        None
    }

    /// Step references whose path cannot exist in the result of the step they read (its
    /// check's result, or an action's own), where the models tell.
    pub(super) fn check_step_references(&mut self, steps: &[StepPlan], models: &dyn Models) {
        for pending in std::mem::take(&mut self.step_refs) {
            let Some(step) = steps.iter().find(|step| step.id == pending.id) else {
                continue;
            };
            let (service, operation) = match &step.check {
                Some(check) => (&check.service, &check.operation),
                None => (&step.service, &step.operation),
            };
            if models.output_has(service, operation, &pending.path) != Some(false) {
                continue;
            }
            let mut diagnostic = pending.at;
            diagnostic.message = format!(
                "`{}` cannot exist in the result of step `{}`",
                pending.path, pending.id
            );
            let hint = format!(
                "the step's result is what {service}:{operation} answers; `gapfill call {service}:{operation}` shows it"
            );
            self.diagnostics.push(diagnostic.hint(hint));
        }
    }

    fn stack_output(
        &mut self,
        at: &Inside,
        this: &NodeKey,
        source: String,
        output: String,
    ) -> Option<Part> {
        let diagnostic = if this == &NodeKey::Stack(source.clone()) {
            at.diagnostic(format!(
                "stack `{source}` cannot use its own output `{output}`"
            ))
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
            at.diagnostic(format!(
                "stack `{source}` has no output `{output}` (template `{file}`)"
            ))
            .suggest(&output, outputs.iter().copied())
            .hint(declared_list(&format!("outputs of {source}"), &outputs))
        } else if self.project.spec.stacks.contains_key(&source) {
            // The stack exists but its template failed to load: already reported.
            return None;
        } else {
            let message = format!("no stack named `{source}` in the project");
            self.unknown_stack(at.diagnostic(message), &source)
        };
        self.diagnostics.push(diagnostic);
        None
    }

    /// Orders stacks and steps in one graph, each node after what it depends on; reports a
    /// cycle by its members (across stacks and steps alike).
    fn order(
        &mut self,
        stacks: Vec<StackPlan>,
        steps: Vec<StepPlan>,
    ) -> (Vec<StackPlan>, Vec<StepPlan>, Vec<NodeKey>) {
        let nodes: Vec<NodeKey> = stacks
            .iter()
            .map(|stack| NodeKey::Stack(stack.name.clone()))
            .chain(steps.iter().map(|step| NodeKey::Step(step.id.clone())))
            .collect();
        let depends_on = |index: usize| {
            if index < stacks.len() {
                &stacks[index].depends_on
            } else {
                &steps[index - stacks.len()].depends_on
            }
        };
        let mut edges: Vec<(usize, usize)> = Vec::new();
        for after in 0..nodes.len() {
            for dependency in depends_on(after) {
                if let Some(before) = nodes.iter().position(|node| node == dependency) {
                    edges.push((before, after));
                }
            }
        }
        let order = match topological_order(nodes.len(), &edges) {
            Ok(order) => order,
            Err(cycle) => {
                self.report_cycle(&cycle.iter().map(|&i| &nodes[i]).collect::<Vec<_>>());
                (0..nodes.len()).collect()
            }
        };
        let order: Vec<NodeKey> = order
            .into_iter()
            .map(|index| nodes[index].clone())
            .collect();
        let rank = |node: NodeKey| order.iter().position(|n| *n == node);
        let mut stacks = stacks;
        let mut steps = steps;
        stacks.sort_by_key(|stack| rank(NodeKey::Stack(stack.name.clone())));
        steps.sort_by_key(|step| rank(NodeKey::Step(step.id.clone())));
        (stacks, steps, order)
    }

    fn report_cycle(&mut self, cycle: &[&NodeKey]) {
        let Some(first) = cycle.first() else {
            return;
        };
        let names: Vec<String> = cycle.iter().map(|node| node.to_string()).collect();
        let shown = format!("{} -> {first}", names.join(" -> "));
        let message = format!("dependency cycle: {shown}");
        let hint = "each arrow is a `${stack.Output}` or `${steps.id.path}` reference, a `when:` on a stack, or a depends_on entry; break one of them";
        let diagnostic = match first {
            NodeKey::Stack(name) => self.project.diagnostic(&["stacks", name], true, message),
            NodeKey::Step(id) => match self.step_location(id) {
                Some((source, index)) => {
                    source.diagnostic(&["steps", index.to_string().as_str(), "id"], false, message)
                }
                None => Diagnostic::file(&self.project.source.file, message),
            },
        };
        self.diagnostics.push(diagnostic.hint(hint));
    }

    /// The file and index of the step with this id.
    pub(super) fn step_location(&self, id: &str) -> Option<(&'_ Source, usize)> {
        self.project.step_files.iter().find_map(|file| {
            let index = file.steps.iter().position(|step| step.id == id)?;
            Some((&file.source, index))
        })
    }
}

/// A string value's parts, whether any is secret, and the typed value of a reference that
/// stands alone (a project parameter keeps its YAML type).
#[derive(Debug, Default)]
pub(super) struct TextParts {
    pub(super) parts: Vec<Part>,
    pub(super) secret: bool,
    pub(super) typed: Option<serde_json::Value>,
}

/// What a reference resolved to while planning.
enum Resolved {
    /// Still open, or text read in.
    Part(Part),
    /// A project parameter: known now, with its type.
    Value(serde_json::Value),
}

impl Resolved {
    fn into_part(self) -> Part {
        match self {
            Resolved::Part(part) => part,
            Resolved::Value(serde_json::Value::String(text)) => Part::Text(text),
            Resolved::Value(other) => Part::Text(other.to_string()),
        }
    }
}

/// Where inside a scalar a reference sits, for its diagnostics.
struct Inside<'s> {
    source: &'s Source,
    path: &'s [&'s str],
    offset: usize,
    len: usize,
}

impl Inside<'_> {
    fn diagnostic(&self, message: String) -> Diagnostic {
        self.source
            .diagnostic_inside(self.path, self.offset, self.len, message)
    }
}

/// A YAML value as JSON (numbers, booleans and nesting kept; non-string keys as text).
pub(super) fn yaml_to_json(value: &serde_yaml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    match value {
        Y::Null => J::Null,
        Y::Bool(flag) => J::Bool(*flag),
        Y::Number(number) => {
            if let Some(int) = number.as_i64() {
                J::from(int)
            } else if let Some(int) = number.as_u64() {
                J::from(int)
            } else {
                number.as_f64().map_or(J::Null, J::from)
            }
        }
        Y::String(text) => J::String(text.clone()),
        Y::Sequence(items) => J::Array(items.iter().map(yaml_to_json).collect()),
        Y::Mapping(members) => J::Object(
            members
                .iter()
                .map(|(key, value)| (yaml_key(key), yaml_to_json(value)))
                .collect(),
        ),
        Y::Tagged(tagged) => yaml_to_json(&tagged.value),
    }
}

/// A mapping key as text.
pub(super) fn yaml_key(key: &serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(text) => text.clone(),
        other => parameter_text(other).unwrap_or_default(),
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
    use crate::plan::models::{InputProblem, UnknownOperation};
    use crate::plan::ValueStore;

    /// Projects of these tests have no steps: the models must never be asked.
    pub(super) struct NoModels;

    impl Models for NoModels {
        fn operation(&self, _: &str, _: &str) -> Result<(), UnknownOperation> {
            panic!("a project without steps asked the models about an operation")
        }
        fn validate_input(
            &self,
            _: &str,
            _: &str,
            _: &serde_json::Value,
            _: &[String],
        ) -> Vec<InputProblem> {
            panic!("a project without steps validated an input")
        }
        fn input_members(&self, _: &str, _: &str) -> Vec<String> {
            panic!("a project without steps asked for input members")
        }
        fn output_path(&self, _: &str, _: &str, _: &[String]) -> Option<String> {
            panic!("a project without steps asked for an output path")
        }
        fn output_has(&self, _: &str, _: &str, _: &str) -> Option<bool> {
            panic!("a project without steps asked for an output path")
        }
        fn read_operation(&self, _: &str, _: &str) -> Result<String, String> {
            panic!("a project without steps asked for a read operation")
        }
    }

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
        let plan = build(&project, &env, redactor.clone(), &NoModels).unwrap();
        let order: Vec<&str> = plan.stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(order, ["data", "api"]);
        let api = plan.stack("api").unwrap();
        assert_eq!(api.depends_on, [NodeKey::Stack("data".into())]);
        assert!(
            api.parameters[0].1.secret,
            "a secret env var feeding a NoEcho parameter is secret"
        );
        assert_eq!(redactor.redact("token tok-123"), "token ****");

        let mut outputs = ValueStore::default();
        outputs.outputs.insert(
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
        let plan = build(&project, &|_| None, Redactor::default(), &NoModels).unwrap();
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
        let errors = build(&project, &|_| None, Redactor::default(), &NoModels).unwrap_err();
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
    use super::tests::NoModels;
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
        let errors = build(&project, &|_| None, Redactor::default(), &NoModels).unwrap_err();
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
        assert!(build(&project, &|_| None, Redactor::default(), &NoModels).is_ok());
    }
}
