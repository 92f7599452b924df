//! What gapfill needs to know of a CloudFormation template: its parameters and outputs.
//!
//! The template body itself is sent to CloudFormation exactly as written; this module only
//! reads it (YAML with `!Ref`-style short tags, or JSON) to validate the project against it.

use std::path::Path;

use indexmap::IndexMap;

use super::diagnostic::Diagnostic;
use super::source::Source;
use super::spans::Position;
use super::yaml_rules::{self, Dialect};

/// CloudFormation's quotas on a template's sections: at most this many entries, each name at
/// most [`NAME_LIMIT`] characters.
pub const SECTION_LIMITS: &[(&str, usize)] = &[
    ("Parameters", 200),
    ("Mappings", 200),
    ("Resources", 500),
    ("Outputs", 200),
];
/// The longest parameter name, mapping name, logical id or output name CloudFormation takes.
pub const NAME_LIMIT: usize = 255;
/// The most attributes one mapping may have.
pub const MAPPING_ATTRIBUTE_LIMIT: usize = 200;
/// The longest template description, in bytes.
pub const DESCRIPTION_LIMIT: usize = 1024;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The text, as sent to CloudFormation.
    pub body: String,
    /// Declared parameters, in template order.
    pub parameters: IndexMap<String, TemplateParameter>,
    /// Names of declared outputs, in template order.
    pub outputs: Vec<String>,
    /// Declared resources: logical id and type, in template order.
    pub resources: Vec<(String, String)>,
}

/// One declared template parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateParameter {
    /// Whether the template gives a `Default` (so the project need not).
    pub has_default: bool,
    /// The `Default` as CloudFormation would send it (lists comma-joined), when it is a scalar.
    pub default: Option<String>,
    /// `NoEcho: true`: the value is a secret.
    pub no_echo: bool,
}

/// Parses a template; `shown` is the path as the user should see it.
pub fn parse(shown: &Path, body: String) -> Result<Template, Diagnostic> {
    let document = read_document(shown, &body)?;
    let Some(root) = document.as_mapping() else {
        return Err(Diagnostic::at(
            shown,
            &body,
            Position::START,
            1,
            "template is not a mapping of sections",
        )
        .hint(
            "a template is a mapping: `Resources:`, and optionally `Parameters:`, `Outputs:`, ...",
        ));
    };
    if !root.contains_key("Resources") {
        return Err(Diagnostic::at(
            shown,
            &body,
            Position::START,
            1,
            "template has no `Resources` section",
        )
        .hint("every CloudFormation template declares at least one resource"));
    }
    let parameters = section(root, "Parameters")
        .map(|(name, declaration)| (name, parameter(declaration)))
        .collect();
    let outputs = section(root, "Outputs").map(|(name, _)| name).collect();
    let resources = section(root, "Resources")
        .map(|(name, declaration)| {
            let kind = declaration
                .get("Type")
                .and_then(serde_yaml::Value::as_str)
                .unwrap_or_default()
                .to_string();
            (name, kind)
        })
        .collect();
    Ok(Template {
        body,
        parameters,
        outputs,
        resources,
    })
}

/// What CloudFormation would refuse in a template that parses: YAML features it does not
/// support, unknown short tags, and its quotas on sections, names and the description.
pub fn check(shown: &Path, body: &str) -> Vec<Diagnostic> {
    let source = Source::new(shown.to_path_buf(), body.to_string());
    let mut found = if is_json(body) {
        Vec::new()
    } else {
        yaml_rules::check(&source, Dialect::Template)
    };
    let Ok(document) = read_document(shown, body) else {
        return found;
    };
    let Some(root) = document.as_mapping() else {
        return found;
    };
    for &(name, limit) in SECTION_LIMITS {
        found.extend(section_limits(&source, root, name, limit));
    }
    for (name, mapping) in section(root, "Mappings") {
        let count = mapping.as_mapping().map_or(0, serde_yaml::Mapping::len);
        if count > MAPPING_ATTRIBUTE_LIMIT {
            let message = format!("mapping `{name}` has {count} entries; CloudFormation takes at most {MAPPING_ATTRIBUTE_LIMIT}");
            found.push(
                source
                    .diagnostic(&["Mappings", &name], true, message)
                    .hint("split it into several mappings"),
            );
        }
    }
    if let Some(description) = root.get("Description").and_then(serde_yaml::Value::as_str) {
        if description.len() > DESCRIPTION_LIMIT {
            let message = format!(
                "the description is {} bytes; CloudFormation takes at most {DESCRIPTION_LIMIT}",
                description.len()
            );
            found.push(
                source
                    .diagnostic(&["Description"], true, message)
                    .hint("shorten it; details belong in comments or Metadata"),
            );
        }
    }
    found
}

/// Too many entries in section `name`, and names too long.
fn section_limits(
    source: &Source,
    root: &serde_yaml::Mapping,
    name: &str,
    limit: usize,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let count = section(root, name).count();
    if count > limit {
        let message =
            format!("the template has {count} {name}; CloudFormation takes at most {limit}");
        found.push(
            source
                .diagnostic(&[name], true, message)
                .hint("split the template into nested stacks or several stacks"),
        );
    }
    for (entry, _) in section(root, name) {
        let length = entry.chars().count();
        if length > NAME_LIMIT {
            let message = format!("the name in {name} is {length} characters; CloudFormation takes at most {NAME_LIMIT}");
            found.push(source.diagnostic(&[name, &entry], true, message));
        }
    }
    found
}

fn is_json(body: &str) -> bool {
    body.trim_start().starts_with('{')
}

/// JSON templates may be indented with tabs, which YAML forbids, so JSON goes to serde_json.
fn read_document(shown: &Path, body: &str) -> Result<serde_yaml::Value, Diagnostic> {
    if is_json(body) {
        return serde_json::from_str::<serde_json::Value>(body)
            .map(|json| serde_yaml::to_value(json).unwrap_or(serde_yaml::Value::Null))
            .map_err(|error| {
                let at = Position {
                    line: error.line(),
                    column: error.column(),
                    offset: 0,
                };
                Diagnostic::at(
                    shown,
                    body,
                    at,
                    1,
                    format!("template is not valid JSON: {error}"),
                )
            });
    }
    serde_yaml::from_str(body)
        .map_err(|error| yaml_diagnostic(shown, body, &error, "template is not valid YAML"))
}

/// A diagnostic from a serde_yaml error, at the position serde_yaml reports, with a
/// "did you mean" for unknown keys and values.
pub fn yaml_diagnostic(
    shown: &Path,
    body: &str,
    error: &serde_yaml::Error,
    what: &str,
) -> Diagnostic {
    let message = strip_location(&error.to_string());
    let at = match error.location() {
        Some(location) => Position {
            line: location.line(),
            column: location.column(),
            offset: location.index(),
        },
        // serde_yaml gives no position for a second document; point at where it starts.
        None if message.contains("more than one document") => second_document(body),
        None => Position::START,
    };
    let width = token_width(body, at.offset);
    let diagnostic = Diagnostic::at(shown, body, at, width, format!("{what}: {message}"));
    let in_flow_collection = message.contains("flow mapping") || message.contains("flow sequence");
    if in_flow_collection
        && diagnostic
            .source_line
            .as_deref()
            .is_some_and(|line| line.contains("${"))
    {
        // `{` and `}` end a plain value inside `{ ... }`, so a bare reference breaks it.
        return diagnostic.hint("inside `{ ... }` or `[ ... ]`, quote values that contain references: \"${stack.Output}\"");
    }
    match unknown_name(&message) {
        Some((wanted, expected)) => diagnostic.suggest(wanted, expected),
        None => diagnostic,
    }
}

/// Where a second YAML document starts: its `---` (the first, when the first document does
/// not open with one) or the `...` ending the first.
fn second_document(body: &str) -> Position {
    let markers: Vec<usize> = super::diagnostic::lines(body)
        .enumerate()
        .filter(|(_, line)| line.starts_with("---") || line.starts_with("..."))
        .map(|(index, _)| index + 1)
        .collect();
    let line = match markers.as_slice() {
        [1, second, ..] => *second,
        [first, ..] => *first,
        [] => 1,
    };
    Position {
        line,
        column: 1,
        offset: 0,
    }
}

/// The length of the word at `offset`, for the caret under an unknown key or value.
fn token_width(body: &str, offset: usize) -> usize {
    body.get(offset..)
        .map(|rest| {
            rest.find(|c: char| c == ':' || c == ',' || c == ']' || c == '}' || c.is_whitespace())
                .unwrap_or(rest.len())
        })
        .unwrap_or(1)
        .max(1)
}

/// From serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant"), the
/// unknown name and the expected ones.
fn unknown_name(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message
        .split_once("unknown field `")
        .or_else(|| message.split_once("unknown variant `"))?
        .1;
    let (wanted, expected) = rest.split_once('`')?;
    let names = expected.split('`').skip(1).step_by(2).collect();
    Some((wanted, names))
}

/// serde_yaml writes " at line L column C" into its messages (once for the problem, once
/// more for its context); the diagnostic's own location shows it better.
fn strip_location(message: &str) -> String {
    let mut rest = message;
    let mut kept = String::new();
    while let Some(index) = rest.find(" at line ") {
        kept.push_str(&rest[..index]);
        let after = &rest[index + " at line ".len()..];
        let digits =
            |text: &str| text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let line_digits = digits(after);
        let column = after[line_digits..].strip_prefix(" column ");
        match column {
            Some(column) if line_digits > 0 && digits(column) > 0 => {
                rest = &column[digits(column)..];
            }
            _ => {
                kept.push_str(" at line ");
                rest = after;
            }
        }
    }
    kept.push_str(rest);
    kept
}

fn section<'a>(
    root: &'a serde_yaml::Mapping,
    name: &str,
) -> impl Iterator<Item = (String, &'a serde_yaml::Value)> + 'a {
    root.get(name)
        .and_then(serde_yaml::Value::as_mapping)
        .into_iter()
        .flat_map(|mapping| mapping.iter())
        .filter_map(|(key, value)| key.as_str().map(|key| (key.to_string(), value)))
}

fn parameter(declaration: &serde_yaml::Value) -> TemplateParameter {
    let no_echo = match declaration.get("NoEcho") {
        Some(serde_yaml::Value::Bool(flag)) => *flag,
        Some(serde_yaml::Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let default = declaration.get("Default");
    TemplateParameter {
        has_default: default.is_some(),
        default: default.and_then(parameter_text),
        no_echo,
    }
}

/// A parameter value as CloudFormation takes it: scalars as text, lists comma-joined;
/// `None` for mappings and nulls, which no parameter type accepts.
pub fn parameter_text(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(text) => Some(text.clone()),
        serde_yaml::Value::Number(number) => Some(number.to_string()),
        serde_yaml::Value::Bool(flag) => Some(flag.to_string()),
        serde_yaml::Value::Sequence(items) => {
            let texts: Option<Vec<String>> = items.iter().map(parameter_text).collect();
            texts.map(|texts| texts.join(","))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parameters_and_outputs_of_a_yaml_template_with_short_tags() {
        let body = "Parameters:\n  Env: {Type: String}\n  Token: {Type: String, NoEcho: true, Default: x}\nResources:\n  Q: {Type: AWS::SQS::Queue}\nOutputs:\n  QueueUrl: {Value: !Ref Q}\n  Arn: {Value: !GetAtt Q.Arn}\n";
        let template = parse(Path::new("t.yaml"), body.to_string()).unwrap();
        assert_eq!(
            template.parameters.keys().collect::<Vec<_>>(),
            ["Env", "Token"]
        );
        assert!(!template.parameters["Env"].has_default);
        assert!(template.parameters["Token"].no_echo && template.parameters["Token"].has_default);
        assert_eq!(template.parameters["Token"].default.as_deref(), Some("x"));
        assert_eq!(template.outputs, ["QueueUrl", "Arn"]);
        assert_eq!(
            template.resources,
            [("Q".to_string(), "AWS::SQS::Queue".to_string())]
        );
    }

    #[test]
    fn reads_a_tab_indented_json_template() {
        let body = "{\n\t\"Resources\": {\"Q\": {\"Type\": \"AWS::SQS::Queue\"}},\n\t\"Outputs\": {\"Url\": {\"Value\": {\"Ref\": \"Q\"}}}\n}";
        let template = parse(Path::new("t.json"), body.to_string()).unwrap();
        assert_eq!(template.outputs, ["Url"]);
    }

    #[test]
    fn reports_yaml_syntax_errors_with_their_position() {
        let error = parse(
            Path::new("t.yaml"),
            "Resources:\n  Q: [unclosed\n".to_string(),
        )
        .unwrap_err();
        assert!(
            error.message.starts_with("template is not valid YAML"),
            "{}",
            error.message
        );
        assert!(error.at.is_some());
    }

    #[test]
    fn a_bare_reference_in_a_flow_mapping_gets_a_quoting_hint() {
        let body = "stacks:\n  a:\n    parameters: { Upstream: ${b.Arn} }\n";
        let error = serde_yaml::from_str::<serde_yaml::Value>(body).unwrap_err();
        let diagnostic = yaml_diagnostic(
            Path::new("gapfill.yaml"),
            body,
            &error,
            "invalid project file",
        );
        assert_eq!(diagnostic.at.map(|at| at.line), Some(3));
        assert!(
            diagnostic.hints[0].starts_with("inside `{ ... }`"),
            "{:?}",
            diagnostic.hints
        );
    }

    #[test]
    fn counts_sections_against_cloudformation_quotas() {
        let outputs: String = (0..201)
            .map(|i| format!("  O{i}: {{Value: x}}\n"))
            .collect();
        let body = format!("Resources:\n  Q: {{Type: AWS::SQS::Queue}}\nOutputs:\n{outputs}");
        let found = check(Path::new("t.yaml"), &body);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "the template has 201 Outputs; CloudFormation takes at most 200"
        );
        assert_eq!(found[0].at.map(|at| (at.line, at.column)), Some((3, 1)));
    }

    #[test]
    fn a_long_name_and_a_long_description_are_refused() {
        let body = format!(
            "Description: {}\nResources:\n  {}: {{Type: AWS::SQS::Queue}}\n",
            "d".repeat(1025),
            "Q".repeat(256)
        );
        let found = check(Path::new("t.yaml"), &body);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "the name in Resources is 256 characters; CloudFormation takes at most 255",
                "the description is 1025 bytes; CloudFormation takes at most 1024",
            ]
        );
    }

    #[test]
    fn locations_are_taken_out_of_serde_messages() {
        assert_eq!(
            strip_location("did not find expected ',' at line 5 column 1, while parsing a flow sequence at line 4 column 17"),
            "did not find expected ',', while parsing a flow sequence"
        );
        assert_eq!(strip_location("value at line x"), "value at line x");
    }

    #[test]
    fn requires_a_resources_section() {
        let error = parse(Path::new("t.yaml"), "Outputs: {}\n".to_string()).unwrap_err();
        assert_eq!(error.message, "template has no `Resources` section");
    }
}
