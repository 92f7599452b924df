//! The run's typed value store and the values that read from it.
//!
//! Stack outputs (strings, as CloudFormation gives them) and step results (JSON, as the API
//! returned them) live in one [`ValueStore`]. A [`ValueTemplate`] is a step input or expected
//! value as written, with its references still open: resolving it against the store gives the
//! JSON to send. A value that is one reference alone keeps the referenced value's type; inside
//! a longer string, references are interpolated as text.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::Value;

use super::{Part, StackOutputs};

/// Everything the run has learned so far: outputs of stacks, results of steps.
#[derive(Debug, Clone, Default)]
pub struct ValueStore {
    /// Stack name -> output name -> value.
    pub outputs: StackOutputs,
    /// Step id -> the step's result (its check's result once in sync or applied, an action's
    /// own result).
    pub steps: HashMap<String, Value>,
}

/// A reference whose target is not in the store (an output behind a condition, a step that
/// returned less than its model promises).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MissingValue {
    #[error("stack `{stack}` has no output `{output}` after deploying")]
    Output { stack: String, output: String },
    #[error("step `{id}` has no result yet")]
    Step { id: String },
    #[error("`{path}` finds nothing in the result of step `{id}`")]
    StepPath { id: String, path: String },
}

impl ValueStore {
    /// The value a part stands for.
    pub fn lookup(&self, part: &Part) -> Result<Value, MissingValue> {
        match part {
            Part::Text(text) => Ok(Value::String(text.clone())),
            Part::Output { stack, output } => self
                .outputs
                .get(stack)
                .and_then(|values| values.get(output))
                .map(|value| Value::String(value.clone()))
                .ok_or_else(|| MissingValue::Output {
                    stack: stack.clone(),
                    output: output.clone(),
                }),
            Part::Step { id, path } => {
                let result = self
                    .steps
                    .get(id)
                    .ok_or_else(|| MissingValue::Step { id: id.clone() })?;
                match search(path, result) {
                    Some(Value::Null) | None => Err(MissingValue::StepPath {
                        id: id.clone(),
                        path: path.clone(),
                    }),
                    Some(found) => Ok(found),
                }
            }
        }
    }

    /// The text a part stands for, inside a longer string: strings as they are, anything else
    /// as JSON.
    pub fn text(&self, part: &Part) -> Result<String, MissingValue> {
        Ok(match self.lookup(part)? {
            Value::String(text) => text,
            other => other.to_string(),
        })
    }
}

fn describe_part(part: &Part) -> String {
    match part {
        Part::Text(text) => text.clone(),
        Part::Output { stack, output } => format!("${{{stack}.{output}}}"),
        Part::Step { id, path } => format!("${{steps.{id}.{path}}}"),
    }
}

/// Evaluates a JMESPath expression already checked when the plan was built.
fn search(expression: &str, data: &Value) -> Option<Value> {
    let compiled = jmespath::compile(expression).ok()?;
    let found = compiled.search(data).ok()?;
    serde_json::to_value(&*found).ok()
}

/// Whether `expression` is valid JMESPath; the parser's message when not.
pub fn check_jmespath(expression: &str) -> Result<(), String> {
    jmespath::compile(expression).map(|_| ()).map_err(|error| {
        // The parser's message goes on to draw its own caret; the first line says it all.
        let text = error.to_string();
        text.lines().next().unwrap_or_default().to_string()
    })
}

/// A JSON value as written, with references still to resolve.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueTemplate {
    /// A value with no references (an env var or project parameter already read in).
    Literal(Value),
    /// A string that is one stack output or step reference alone: takes that value's type.
    Whole(Part),
    /// A string with references inside text.
    Text(Vec<Part>),
    Object(IndexMap<String, ValueTemplate>),
    Array(Vec<ValueTemplate>),
}

impl ValueTemplate {
    /// The JSON to send, with every reference filled in.
    pub fn resolve(&self, store: &ValueStore) -> Result<Value, MissingValue> {
        Ok(match self {
            ValueTemplate::Literal(value) => value.clone(),
            ValueTemplate::Whole(part) => store.lookup(part)?,
            ValueTemplate::Text(parts) => {
                let mut text = String::new();
                for part in parts {
                    text.push_str(&store.text(part)?);
                }
                Value::String(text)
            }
            ValueTemplate::Object(members) => {
                let mut object = serde_json::Map::new();
                for (key, value) in members {
                    object.insert(key.clone(), value.resolve(store)?);
                }
                Value::Object(object)
            }
            ValueTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| item.resolve(store))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// Every reference part inside, for dependency edges and secrets.
    pub fn parts(&self) -> Vec<&Part> {
        match self {
            ValueTemplate::Literal(_) => Vec::new(),
            ValueTemplate::Whole(part) => vec![part],
            ValueTemplate::Text(parts) => parts
                .iter()
                .filter(|part| !matches!(part, Part::Text(_)))
                .collect(),
            ValueTemplate::Object(members) => members.values().flat_map(Self::parts).collect(),
            ValueTemplate::Array(items) => items.iter().flat_map(Self::parts).collect(),
        }
    }

    /// The value with every open reference replaced by a stand-in of its known type, for
    /// validation against a shape before anything is known: stack outputs and interpolated
    /// text are strings; a step reference alone may be anything, so its path is returned in
    /// `open` (dotted, lists as `[i]`, as the validator names paths).
    pub fn stand_in(&self, path: &str, open: &mut Vec<String>) -> Value {
        match self {
            ValueTemplate::Literal(value) => value.clone(),
            ValueTemplate::Whole(Part::Step { .. }) => {
                open.push(path.to_string());
                Value::String("<step result>".into())
            }
            ValueTemplate::Whole(_) | ValueTemplate::Text(_) => Value::String("<output>".into()),
            ValueTemplate::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(key, value)| {
                        let inner = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        (key.clone(), value.stand_in(&inner, open))
                    })
                    .collect(),
            ),
            ValueTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| item.stand_in(&format!("{path}[{index}]"), open))
                    .collect(),
            ),
        }
    }

    /// The value as written, references shown as `${...}`, for `validate --explain`.
    pub fn describe(&self) -> String {
        match self {
            ValueTemplate::Literal(value) => value.to_string(),
            ValueTemplate::Whole(part) => describe_part(part),
            ValueTemplate::Text(parts) => {
                format!(
                    "\"{}\"",
                    parts.iter().map(describe_part).collect::<String>()
                )
            }
            ValueTemplate::Object(members) => format!(
                "{{{}}}",
                members
                    .iter()
                    .map(|(key, value)| format!("{key}: {}", value.describe()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ValueTemplate::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Self::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The member of an object template.
    pub fn member(&self, name: &str) -> Option<&ValueTemplate> {
        match self {
            ValueTemplate::Object(members) => members.get(name),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> ValueStore {
        let mut store = ValueStore::default();
        store.outputs.insert(
            "data".into(),
            [("Table".to_string(), "t1".to_string())]
                .into_iter()
                .collect(),
        );
        store.steps.insert(
            "key".into(),
            json!({"KeyMetadata": {"Arn": "arn:k", "Size": 5}}),
        );
        store
    }

    #[test]
    fn a_whole_reference_keeps_its_type_and_text_interpolates() {
        let size = ValueTemplate::Whole(Part::Step {
            id: "key".into(),
            path: "KeyMetadata.Size".into(),
        });
        assert_eq!(size.resolve(&store()).unwrap(), json!(5));
        let text = ValueTemplate::Text(vec![
            Part::Text("table ".into()),
            Part::Output {
                stack: "data".into(),
                output: "Table".into(),
            },
            Part::Text(" size ".into()),
            Part::Step {
                id: "key".into(),
                path: "KeyMetadata.Size".into(),
            },
        ]);
        assert_eq!(text.resolve(&store()).unwrap(), json!("table t1 size 5"));
    }

    #[test]
    fn a_missing_value_names_what_is_missing() {
        let missing = ValueTemplate::Whole(Part::Step {
            id: "key".into(),
            path: "KeyMetadata.Nope".into(),
        });
        assert_eq!(
            missing.resolve(&store()).unwrap_err().to_string(),
            "`KeyMetadata.Nope` finds nothing in the result of step `key`"
        );
    }

    #[test]
    fn stand_ins_keep_known_types_and_name_open_paths() {
        let template = ValueTemplate::Object(
            [
                ("Literal".to_string(), ValueTemplate::Literal(json!(3))),
                (
                    "List".to_string(),
                    ValueTemplate::Array(vec![ValueTemplate::Whole(Part::Step {
                        id: "key".into(),
                        path: "KeyMetadata.Arn".into(),
                    })]),
                ),
            ]
            .into_iter()
            .collect(),
        );
        let mut open = Vec::new();
        let value = template.stand_in("", &mut open);
        assert_eq!(value["Literal"], json!(3));
        assert_eq!(open, ["List[0]"]);
    }
}
