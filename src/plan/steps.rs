//! Plans the post-deploy steps: each step's operations checked against the models, inputs
//! validated with their references typed, references and `depends_on` turned into graph
//! edges, and what the user left out (a check's call, input or expectations) derived from the
//! models, each derivation recorded for `validate --explain`.

use std::collections::HashMap;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;

use crate::duration::parse_duration;
use crate::project::refs::is_name;
use crate::project::steps::StepSpec;
use crate::project::{Diagnostic, Source};

use super::build::{yaml_key, yaml_to_json, Checker};
use super::models::Models;
use super::values::check_jmespath;
use super::{CheckPlan, Condition, NodeKey, Part, StackChange, StepPlan, ValueTemplate};

/// How long a step may take to see its applied state, unless it says.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds every step of the project.
pub(super) struct StepBuilder<'c, 'a> {
    checker: &'c mut Checker<'a>,
    models: &'c dyn Models,
}

/// What one step's planning collects on the way.
struct StepContext<'s> {
    source: &'s Source,
    base: Vec<String>,
    this: NodeKey,
    depends_on: Vec<NodeKey>,
    secret: bool,
    derived: Vec<String>,
}

impl StepContext<'_> {
    fn path<'p>(&'p self, rest: &[&'p str]) -> Vec<&'p str> {
        let mut path: Vec<&str> = self.base.iter().map(String::as_str).collect();
        path.extend_from_slice(rest);
        path
    }
}

impl<'c, 'a> StepBuilder<'c, 'a> {
    pub(super) fn new(checker: &'c mut Checker<'a>, models: &'c dyn Models) -> Self {
        StepBuilder { checker, models }
    }

    /// Plans every step of every step file, in file order; ids must be unique.
    pub(super) fn build_all(mut self) -> Vec<StepPlan> {
        let project = self.checker.project;
        let mut first_seen: HashMap<&str, (String, usize)> = HashMap::new();
        let mut steps = Vec::new();
        for file in &project.step_files {
            for (index, spec) in file.steps.iter().enumerate() {
                let position = index.to_string();
                let id_path = ["steps", position.as_str(), "id"];
                if let Some((where_first, line)) = first_seen.get(spec.id.as_str()) {
                    let diagnostic = file
                        .source
                        .diagnostic(&id_path, false, format!("duplicate step id `{}`", spec.id))
                        .hint(format!("the first step `{}` is at {where_first}:{line}; step ids are unique across the project", spec.id));
                    self.push(diagnostic);
                    continue;
                }
                let line = file.source.spans.key_or_value(&id_path).line;
                first_seen.insert(&spec.id, (file.source.file.display().to_string(), line));
                steps.extend(self.step(&file.source, index, spec));
            }
        }
        steps
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.checker.diagnostics.push(diagnostic);
    }

    fn step(&mut self, source: &Source, index: usize, spec: &StepSpec) -> Option<StepPlan> {
        let mut context = StepContext {
            source,
            base: vec!["steps".into(), index.to_string()],
            this: NodeKey::Step(spec.id.clone()),
            depends_on: Vec::new(),
            secret: spec.secret,
            derived: Vec::new(),
        };
        if !is_name(&spec.id) {
            let path = context.path(&["id"]);
            let diagnostic = source
                .diagnostic(&path, false, format!("step id `{}` is not a name", spec.id))
                .hint("use letters, digits, `-` and `_`: other steps reference it as ${steps.<id>.<path>}");
            self.push(diagnostic);
        }
        // Every part is checked before giving up on the step, so all its problems show at once.
        let call = self.operation(&context, &["call"], &spec.call);
        let input = self.input(&mut context, spec.input.as_ref(), &["input"]);
        let deps_path: Vec<String> = context
            .path(&["depends_on"])
            .iter()
            .map(|s| s.to_string())
            .collect();
        let deps_path: Vec<&str> = deps_path.iter().map(String::as_str).collect();
        let mut depends_on = std::mem::take(&mut context.depends_on);
        self.checker.dependencies(
            source,
            &deps_path,
            &context.this,
            &spec.depends_on,
            &mut depends_on,
        );
        context.depends_on = depends_on;
        let when = self.when(&mut context, spec.when.as_ref());
        let timeout = self.timeout(&context, spec.timeout.as_deref());
        let (service, operation) = call?;
        let input = input?;
        self.validate_input(&context, &["input"], &service, &operation, &input);
        let check = match &spec.check {
            Some(check) => Some(self.check(&mut context, (&service, &operation), &input, check)?),
            None => None,
        };
        let (when, timeout) = (when?, timeout?);
        Some(StepPlan {
            id: spec.id.clone(),
            file: source.file.clone(),
            service,
            operation,
            input,
            check,
            when,
            depends_on: context.depends_on,
            timeout,
            retries: spec.retries.unwrap_or(0),
            secret: context.secret,
            derived: context.derived,
        })
    }

    /// `service:Operation`, checked against the models.
    fn operation(
        &mut self,
        context: &StepContext,
        rest: &[&str],
        call: &str,
    ) -> Option<(String, String)> {
        let path = context.path(rest);
        let Some((service, operation)) = call.split_once(':') else {
            let diagnostic = context
                .source
                .diagnostic(&path, false, format!("`{call}` is not `service:Operation`"))
                .hint("for example `lambda:PutFunctionConcurrency` (the service as in `aws <service>`, the operation as in the API reference)");
            self.push(diagnostic);
            return None;
        };
        match self.models.operation(service, operation) {
            Ok(()) => Some((service.to_string(), operation.to_string())),
            Err(unknown) => {
                let wanted = if unknown.message.contains("service") {
                    service
                } else {
                    operation
                };
                let diagnostic = context
                    .source
                    .diagnostic(&path, false, unknown.message)
                    .suggest(wanted, unknown.known.iter().map(String::as_str));
                self.push(diagnostic);
                None
            }
        }
    }

    /// An input mapping as a template; absent means `{}`.
    fn input(
        &mut self,
        context: &mut StepContext,
        value: Option<&serde_yaml::Value>,
        rest: &[&str],
    ) -> Option<ValueTemplate> {
        let Some(value) = value else {
            return Some(ValueTemplate::Object(IndexMap::new()));
        };
        if !value.is_mapping() {
            let path = context.path(rest);
            let diagnostic = context
                .source
                .diagnostic(&path, false, "an input must be a mapping of member names to values")
                .hint("write `input: { Member: value, ... }`; `gapfill call service:Operation --skeleton` shows every member");
            self.push(diagnostic);
            return None;
        }
        let owned: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
        self.template(context, &owned, value)
    }

    /// A YAML value as a template, references checked and their nodes added as dependencies.
    fn template(
        &mut self,
        context: &mut StepContext,
        rest: &[String],
        value: &serde_yaml::Value,
    ) -> Option<ValueTemplate> {
        use serde_yaml::Value as Y;
        match value {
            Y::String(text) => self.text(context, rest, text),
            Y::Mapping(members) => {
                let mut object = IndexMap::new();
                let mut broken = false;
                for (key, member) in members {
                    let key = yaml_key(key);
                    let mut inner = rest.to_vec();
                    inner.push(key.clone());
                    match self.template(context, &inner, member) {
                        Some(template) => {
                            object.insert(key, template);
                        }
                        None => broken = true,
                    }
                }
                (!broken).then_some(ValueTemplate::Object(object))
            }
            Y::Sequence(items) => {
                let mut array = Vec::new();
                let mut broken = false;
                for (index, item) in items.iter().enumerate() {
                    let mut inner = rest.to_vec();
                    inner.push(index.to_string());
                    match self.template(context, &inner, item) {
                        Some(template) => array.push(template),
                        None => broken = true,
                    }
                }
                (!broken).then_some(ValueTemplate::Array(array))
            }
            Y::Tagged(tagged) => self.template(context, rest, &tagged.value),
            other => Some(ValueTemplate::Literal(yaml_to_json(other))),
        }
    }

    fn text(
        &mut self,
        context: &mut StepContext,
        rest: &[String],
        text: &str,
    ) -> Option<ValueTemplate> {
        let path = context.path(&rest.iter().map(String::as_str).collect::<Vec<_>>());
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let parts = self.checker.text_parts(
            context.source,
            &path,
            &context.this,
            text,
            &mut context.depends_on,
        )?;
        context.secret |= parts.secret;
        if parts.secret {
            self.checker.note_secret_parts(&parts.parts);
        }
        let open: Vec<&Part> = parts
            .parts
            .iter()
            .filter(|part| !matches!(part, Part::Text(_)))
            .collect();
        Some(match (parts.parts.as_slice(), parts.typed) {
            ([_], Some(typed)) => ValueTemplate::Literal(typed),
            ([only], None) if !open.is_empty() => ValueTemplate::Whole(only.clone()),
            _ if open.is_empty() => {
                let joined: String = parts
                    .parts
                    .iter()
                    .map(|part| match part {
                        Part::Text(text) => text.as_str(),
                        _ => "",
                    })
                    .collect();
                ValueTemplate::Literal(Value::String(joined))
            }
            _ => ValueTemplate::Text(parts.parts),
        })
    }

    /// Checks an input against the operation's input shape, each problem at its value.
    fn validate_input(
        &mut self,
        context: &StepContext,
        rest: &[&str],
        service: &str,
        operation: &str,
        input: &ValueTemplate,
    ) {
        let mut open = Vec::new();
        let stand_in = input.stand_in("", &mut open);
        for problem in self
            .models
            .validate_input(service, operation, &stand_in, &open)
        {
            let mut path = context.path(rest);
            let members = member_path(&problem.path);
            path.extend(members.iter().map(String::as_str));
            if let Some(member) = &problem.member {
                path.push(member);
            }
            let on_key = problem.member.is_some();
            let diagnostic = context
                .source
                .diagnostic(&path, on_key, format!("{service}:{operation}: {}", problem.message))
                .hint(format!("`gapfill call {service}:{operation} --skeleton` shows every member of its input"));
            self.push(diagnostic);
        }
    }

    /// `check: auto` or `check: {call, input, expect}`, with what is left out derived.
    fn check(
        &mut self,
        context: &mut StepContext,
        apply: (&str, &str),
        apply_input: &ValueTemplate,
        check: &serde_yaml::Value,
    ) -> Option<CheckPlan> {
        let (service, operation) = apply;
        let spec = match check {
            serde_yaml::Value::String(auto) if auto == "auto" => CheckSpec::default(),
            serde_yaml::Value::Mapping(_) => self.check_spec(context, check)?,
            _ => {
                let path = context.path(&["check"]);
                let diagnostic = context
                    .source
                    .diagnostic(&path, false, "`check` is `auto` or a mapping with `call`, `input` and `expect`")
                    .hint("each part may be left out and is then derived from the API models; `gapfill validate --explain` shows what was derived");
                self.push(diagnostic);
                return None;
            }
        };
        let (check_service, check_operation) = match &spec.call {
            Some(call) => self.operation(context, &["check", "call"], call)?,
            None => match self.models.read_operation(service, operation) {
                Ok(read) => {
                    context.derived.push(format!(
                        "check call: {service}:{read} (the read operation of {operation})"
                    ));
                    (service.to_string(), read)
                }
                Err(why) => {
                    let path = context.path(&["check"]);
                    let diagnostic = context
                        .source
                        .diagnostic(
                            &path,
                            false,
                            format!("cannot derive the check's call: {why}"),
                        )
                        .hint("name it: `check: { call: service:Operation }`");
                    self.push(diagnostic);
                    return None;
                }
            },
        };
        let input = match &spec.input {
            Some(value) => {
                let owned = vec!["check".to_string(), "input".to_string()];
                let input = self.template(context, &owned, value)?;
                self.validate_input(
                    context,
                    &["check", "input"],
                    &check_service,
                    &check_operation,
                    &input,
                );
                input
            }
            None => {
                self.derive_check_input(context, (&check_service, &check_operation), apply_input)
            }
        };
        let expect = match &spec.expect {
            Some(expect) => {
                self.expectations(context, (&check_service, &check_operation), expect)?
            }
            None => self.derive_expect(context, (&check_service, &check_operation), apply_input)?,
        };
        if check_service == "ssm" && input.member("WithDecryption").is_some()
            || (check_service == "secretsmanager" && check_operation == "GetSecretValue")
        {
            // What a check reads with decryption is secret.
            context.secret = true;
        }
        Some(CheckPlan {
            service: check_service,
            operation: check_operation,
            input,
            expect,
        })
    }

    fn check_spec(
        &mut self,
        context: &StepContext,
        check: &serde_yaml::Value,
    ) -> Option<CheckSpec> {
        let mut spec = CheckSpec::default();
        let mut broken = false;
        for (key, value) in check.as_mapping().into_iter().flatten() {
            let key = yaml_key(key);
            match key.as_str() {
                "call" => match value.as_str() {
                    Some(call) => spec.call = Some(call.to_string()),
                    None => {
                        let path = context.path(&["check", "call"]);
                        self.push(context.source.diagnostic(
                            &path,
                            false,
                            "expected `service:Operation`",
                        ));
                        broken = true;
                    }
                },
                "input" => spec.input = Some(value.clone()),
                "expect" => spec.expect = Some(value.clone()),
                other => {
                    let path = context.path(&["check", other]);
                    let diagnostic = context
                        .source
                        .diagnostic(&path, true, format!("unknown key `{other}` in `check`"))
                        .suggest(other, ["call", "input", "expect"])
                        .hint("a check has `call`, `input` and `expect`");
                    self.push(diagnostic);
                    broken = true;
                }
            }
        }
        (!broken).then_some(spec)
    }

    /// The apply input's members that the check operation's input accepts.
    fn derive_check_input(
        &mut self,
        context: &mut StepContext,
        check: (&str, &str),
        apply_input: &ValueTemplate,
    ) -> ValueTemplate {
        let accepted = self.models.input_members(check.0, check.1);
        let mut members = IndexMap::new();
        if let ValueTemplate::Object(apply) = apply_input {
            for (name, value) in apply {
                if accepted.contains(name) {
                    members.insert(name.clone(), value.clone());
                }
            }
        }
        let names: Vec<&str> = members.keys().map(String::as_str).collect();
        context.derived.push(format!(
            "check input: {{{}}} (the apply input's members that {}:{} accepts)",
            names.join(", "),
            check.0,
            check.1
        ));
        ValueTemplate::Object(members)
    }

    /// Every value the apply input sets that comes back in the check's output.
    fn derive_expect(
        &mut self,
        context: &mut StepContext,
        check: (&str, &str),
        apply_input: &ValueTemplate,
    ) -> Option<Vec<(String, ValueTemplate)>> {
        let mut leaves = Vec::new();
        leaf_values(apply_input, &mut Vec::new(), &mut leaves);
        let mut expect = Vec::new();
        for (input_path, value) in leaves {
            if let Some(output_path) = self.models.output_path(check.0, check.1, &input_path) {
                context.derived.push(format!(
                    "expect: {output_path} = the input's {}",
                    input_path.join(".")
                ));
                expect.push((output_path, value));
            }
        }
        if expect.is_empty() {
            let path = context.path(&["check"]);
            let diagnostic = context
                .source
                .diagnostic(&path, false, format!("cannot derive `expect`: no value the input sets comes back in the result of {}:{}", check.0, check.1))
                .hint("write it: `expect: { <JMESPath on the result>: <expected value> }`; `gapfill call` on the check shows its result");
            self.push(diagnostic);
            return None;
        }
        Some(expect)
    }

    /// `expect:` as written: JMESPath keys checked, values as templates.
    fn expectations(
        &mut self,
        context: &mut StepContext,
        check: (&str, &str),
        expect: &serde_yaml::Value,
    ) -> Option<Vec<(String, ValueTemplate)>> {
        let Some(members) = expect.as_mapping().filter(|m| !m.is_empty()) else {
            let path = context.path(&["check", "expect"]);
            let diagnostic = context
                .source
                .diagnostic(&path, false, "`expect` must map JMESPath expressions on the check's result to expected values")
                .hint("for example `expect: { ReservedConcurrentExecutions: 5 }`");
            self.push(diagnostic);
            return None;
        };
        let mut expect_list = Vec::new();
        let mut broken = false;
        for (key, value) in members {
            let key = yaml_key(key);
            let path = context.path(&["check", "expect", key.as_str()]);
            if let Err(error) = check_jmespath(&key) {
                let diagnostic = context.source.diagnostic(
                    &path,
                    true,
                    format!("`{key}` is not a valid JMESPath expression: {error}"),
                );
                self.push(diagnostic);
                broken = true;
                continue;
            }
            if self.models.output_has(check.0, check.1, &key) == Some(false) {
                let diagnostic = context
                    .source
                    .diagnostic(
                        &path,
                        true,
                        format!(
                            "`{key}` cannot exist in the result of {}:{}",
                            check.0, check.1
                        ),
                    )
                    .hint(format!(
                        "`gapfill call {}:{}` shows the result; member names are case-sensitive",
                        check.0, check.1
                    ));
                self.push(diagnostic);
                broken = true;
                continue;
            }
            let rest = vec!["check".to_string(), "expect".to_string(), key.clone()];
            match self.template(context, &rest, value) {
                Some(template) => expect_list.push((key, template)),
                None => broken = true,
            }
        }
        (!broken).then_some(expect_list)
    }

    fn when(
        &mut self,
        context: &mut StepContext,
        when: Option<&serde_yaml::Value>,
    ) -> Option<Vec<Condition>> {
        let Some(when) = when else {
            return Some(Vec::new());
        };
        let Some(members) = when.as_mapping() else {
            let path = context.path(&["when"]);
            self.push(
                context
                    .source
                    .diagnostic(
                        &path,
                        false,
                        "`when` is a mapping, e.g. `when: { created: my-stack }`",
                    )
                    .hint(WHEN_HINT),
            );
            return None;
        };
        let mut conditions = Vec::new();
        let mut broken = false;
        for (key, value) in members {
            let key = yaml_key(key);
            let outcomes = match key.as_str() {
                "created" => vec![StackChange::Created],
                "updated" => vec![StackChange::Updated],
                "changed" => vec![StackChange::Created, StackChange::Updated],
                "unchanged" => vec![StackChange::Unchanged],
                "if" => {
                    let rest = vec!["when".to_string(), "if".to_string()];
                    match self.template(context, &rest, value) {
                        Some(template) => conditions.push(Condition::Truthy(template)),
                        None => broken = true,
                    }
                    continue;
                }
                other => {
                    let path = context.path(&["when", other]);
                    let diagnostic = context
                        .source
                        .diagnostic(
                            &path,
                            true,
                            format!("unknown condition `{other}` in `when`"),
                        )
                        .suggest(other, ["created", "updated", "changed", "unchanged", "if"])
                        .hint(WHEN_HINT);
                    self.push(diagnostic);
                    broken = true;
                    continue;
                }
            };
            let stacks: Vec<String> = match value {
                serde_yaml::Value::String(name) => vec![name.clone()],
                serde_yaml::Value::Sequence(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            for (index, stack) in stacks.iter().enumerate() {
                if !self.checker.project.spec.stacks.contains_key(stack) {
                    let mut path = context.path(&["when", key.as_str()]);
                    let position = index.to_string();
                    if value.is_sequence() {
                        path.push(&position);
                    }
                    let message = format!("no stack named `{stack}` in the project");
                    let diagnostic = context.source.diagnostic(&path, false, message);
                    let diagnostic = self.checker.unknown_stack(diagnostic, stack);
                    self.push(diagnostic);
                    broken = true;
                    continue;
                }
                let node = NodeKey::Stack(stack.clone());
                if !context.depends_on.contains(&node) {
                    context.depends_on.push(node);
                }
                conditions.push(Condition::Stack {
                    stack: stack.clone(),
                    outcomes: outcomes.clone(),
                });
            }
            if stacks.is_empty() {
                let path = context.path(&["when", key.as_str()]);
                self.push(
                    context
                        .source
                        .diagnostic(&path, false, "expected a stack name or a list of them")
                        .hint(WHEN_HINT),
                );
                broken = true;
            }
        }
        (!broken).then_some(conditions)
    }

    fn timeout(&mut self, context: &StepContext, timeout: Option<&str>) -> Option<Duration> {
        let Some(text) = timeout else {
            return Some(DEFAULT_STEP_TIMEOUT);
        };
        match parse_duration(text) {
            Ok(duration) => Some(duration),
            Err(message) => {
                let path = context.path(&["timeout"]);
                self.push(context.source.diagnostic(&path, false, message));
                None
            }
        }
    }
}

const WHEN_HINT: &str = "conditions: `created`, `updated`, `changed` or `unchanged` (a stack name or list: what this run did to it), `if` (a value: false, 0, empty or null skip the step)";

/// A check as written, each part optional.
#[derive(Debug, Default)]
struct CheckSpec {
    call: Option<String>,
    input: Option<serde_yaml::Value>,
    expect: Option<serde_yaml::Value>,
}

/// The member path segments of a validator path: `A.B[2].C` -> `A`, `B`, `2`, `C`.
fn member_path(path: &str) -> Vec<String> {
    path.split(['.', '[', ']'])
        .filter(|segment| !segment.is_empty())
        .map(str::to_string)
        .collect()
}

/// The values an input sets at its leaves (scalars, lists, and open references), with their
/// member paths.
fn leaf_values(
    template: &ValueTemplate,
    path: &mut Vec<String>,
    leaves: &mut Vec<(Vec<String>, ValueTemplate)>,
) {
    match template {
        ValueTemplate::Object(members) => {
            for (name, value) in members {
                path.push(name.clone());
                leaf_values(value, path, leaves);
                path.pop();
            }
        }
        ValueTemplate::Literal(Value::Object(members)) => {
            for (name, value) in members {
                path.push(name.clone());
                leaf_values(&ValueTemplate::Literal(value.clone()), path, leaves);
                path.pop();
            }
        }
        other => leaves.push((path.clone(), other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_paths_become_yaml_paths() {
        assert_eq!(member_path("Items[2].Name"), ["Items", "2", "Name"]);
        assert_eq!(member_path(""), Vec::<String>::new());
    }

    #[test]
    fn leaves_of_an_input_are_its_scalars_and_lists() {
        let input = ValueTemplate::Object(
            [
                ("Name".to_string(), ValueTemplate::Literal(Value::from("f"))),
                (
                    "Config".to_string(),
                    ValueTemplate::Literal(serde_json::json!({"Status": "Enabled", "Tags": [1]})),
                ),
            ]
            .into_iter()
            .collect(),
        );
        let mut leaves = Vec::new();
        leaf_values(&input, &mut Vec::new(), &mut leaves);
        let paths: Vec<String> = leaves.iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(paths, ["Name", "Config.Status", "Config.Tags"]);
    }
}
