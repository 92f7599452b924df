//! Input validation against an operation's input shape, before serialization: unknown members
//! (with a did-you-mean), wrong types, missing required members, `min` ranges and lengths and
//! tagged unions, as botocore's `ParamValidator` checks them. Like botocore it does not enforce
//! `max`, `pattern` or `enum`, which services evolve faster than models reach users.
//!
//! All errors are collected, not just the first.

use std::fmt;

use serde_json::Value;

use crate::aws::model::{MemberRef, Operation, ServiceModel, Shape, ShapeType};
use crate::aws::protocol::timestamp;

/// One problem with the input, at a path such as `Attributes.Policy` or `Items[2].Name`
/// (`""` for the input itself).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationError {
    pub path: String,
    pub kind: ValidationErrorKind,
}

/// What is wrong at a path.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidationErrorKind {
    /// A member the structure does not have.
    UnknownMember {
        name: String,
        did_you_mean: Option<String>,
    },
    WrongType {
        expected: String,
        found: String,
    },
    /// A required member of the structure at `path` is absent.
    MissingRequired {
        name: String,
    },
    /// A number below the shape's `min`.
    OutOfRange {
        value: f64,
        min: f64,
    },
    /// A string, blob, list or map shorter than the shape's `min`.
    TooShort {
        length: usize,
        min: usize,
    },
    /// A tagged union with no member or several members set.
    UnionMembers {
        set: Vec<String>,
    },
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_empty() {
            "input"
        } else {
            &self.path
        };
        match &self.kind {
            ValidationErrorKind::UnknownMember { name, did_you_mean } => {
                write!(f, "unknown member \"{name}\" in {at}")?;
                match did_you_mean {
                    Some(suggestion) => write!(f, ", did you mean \"{suggestion}\"?"),
                    None => Ok(()),
                }
            }
            ValidationErrorKind::WrongType { expected, found } => {
                write!(
                    f,
                    "invalid type for {at}: expected {expected}, found {found}"
                )
            }
            ValidationErrorKind::MissingRequired { name } => {
                write!(f, "missing required member \"{name}\" in {at}")
            }
            ValidationErrorKind::OutOfRange { value, min } => {
                write!(
                    f,
                    "invalid value for {at}: {value} is below the minimum {min}"
                )
            }
            ValidationErrorKind::TooShort { length, min } => {
                write!(
                    f,
                    "invalid length for {at}: {length} is below the minimum {min}"
                )
            }
            ValidationErrorKind::UnionMembers { set } if set.is_empty() => {
                write!(
                    f,
                    "{at} is a union: set exactly one of its members, none is set"
                )
            }
            ValidationErrorKind::UnionMembers { set } => write!(
                f,
                "{at} is a union: set exactly one of its members, found {}",
                set.join(", ")
            ),
        }
    }
}

impl std::error::Error for ValidationError {}

/// Checks an operation's input; all problems are reported together.
pub fn validate_input(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Result<(), Vec<ValidationError>> {
    let mut validator = Validator {
        model,
        errors: Vec::new(),
    };
    match &op.input {
        Some(input_ref) => validator.check(input_ref, input, ""),
        None => {
            if let Some(object) = input.as_object() {
                for name in object.keys() {
                    validator.report(
                        "",
                        ValidationErrorKind::UnknownMember {
                            name: name.clone(),
                            did_you_mean: None,
                        },
                    );
                }
            }
        }
    }
    if validator.errors.is_empty() {
        Ok(())
    } else {
        Err(validator.errors)
    }
}

struct Validator<'m> {
    model: &'m ServiceModel,
    errors: Vec<ValidationError>,
}

impl Validator<'_> {
    fn report(&mut self, path: &str, kind: ValidationErrorKind) {
        self.errors.push(ValidationError {
            path: path.to_string(),
            kind,
        });
    }

    fn wrong_type(&mut self, path: &str, expected: &str, found: &Value) {
        self.report(
            path,
            ValidationErrorKind::WrongType {
                expected: expected.to_string(),
                found: json_type(found).to_string(),
            },
        );
    }

    fn check(&mut self, member: &MemberRef, value: &Value, path: &str) {
        let Some(shape) = self.model.shape(&member.shape) else {
            return;
        };
        if member.serialization.json_value {
            // Any JSON value is accepted; a string is taken as JSON text.
            return;
        }
        match shape.shape_type {
            ShapeType::Structure if shape.document => {}
            ShapeType::Structure => self.check_structure(shape, value, path),
            ShapeType::List => self.check_list(shape, value, path),
            ShapeType::Map => self.check_map(shape, value, path),
            ShapeType::String | ShapeType::Character => match value.as_str() {
                Some(text) => {
                    let min = shape.min.or(member.serialization.host_label.then_some(1.0));
                    self.check_length(text.chars().count(), min, path);
                }
                None => self.wrong_type(path, "string", value),
            },
            ShapeType::Blob => match value.as_str() {
                Some(text) => self.check_length(text.len(), shape.min, path),
                None => self.wrong_type(path, "string (blob)", value),
            },
            ShapeType::Boolean if !value.is_boolean() => self.wrong_type(path, "boolean", value),
            ShapeType::Boolean => {}
            ShapeType::Timestamp => {
                if timestamp::from_input(value).is_none() {
                    self.wrong_type(
                        path,
                        "timestamp (epoch seconds or an iso 8601 string)",
                        value,
                    );
                }
            }
            kind if kind.is_integral() => match value.as_i64() {
                Some(number) => self.check_range(number as f64, shape, path),
                None if value.is_u64() => {}
                None => self.wrong_type(path, "integer", value),
            },
            _ => match value {
                Value::Number(number) => {
                    self.check_range(number.as_f64().unwrap_or(0.0), shape, path)
                }
                Value::String(text)
                    if ["NaN", "Infinity", "-Infinity"].contains(&text.as_str()) => {}
                _ => self.wrong_type(
                    path,
                    "number (or \"NaN\", \"Infinity\", \"-Infinity\")",
                    value,
                ),
            },
        }
    }

    fn check_structure(&mut self, shape: &Shape, value: &Value, path: &str) {
        let Some(object) = value.as_object() else {
            self.wrong_type(path, "object", value);
            return;
        };
        for required in &shape.required {
            if object.get(required).is_none_or(Value::is_null) {
                self.report(
                    path,
                    ValidationErrorKind::MissingRequired {
                        name: required.clone(),
                    },
                );
            }
        }
        let mut set = Vec::new();
        for (name, member_value) in object {
            let Some(member) = shape.member_named(name) else {
                let did_you_mean = suggest(name, shape.members.iter().map(|(n, _)| n.as_str()));
                self.report(
                    path,
                    ValidationErrorKind::UnknownMember {
                        name: name.clone(),
                        did_you_mean,
                    },
                );
                continue;
            };
            if member_value.is_null() {
                continue;
            }
            set.push(name.clone());
            self.check(member, member_value, &child_path(path, name));
        }
        if shape.union && set.len() != 1 {
            self.report(path, ValidationErrorKind::UnionMembers { set });
        }
    }

    fn check_list(&mut self, shape: &Shape, value: &Value, path: &str) {
        let Some(items) = value.as_array() else {
            self.wrong_type(path, "list", value);
            return;
        };
        self.check_length(items.len(), shape.min, path);
        if let Some(item_ref) = shape.member.as_deref() {
            for (i, item) in items.iter().enumerate() {
                self.check(item_ref, item, &format!("{path}[{i}]"));
            }
        }
    }

    fn check_map(&mut self, shape: &Shape, value: &Value, path: &str) {
        let Some(entries) = value.as_object() else {
            self.wrong_type(path, "object (map)", value);
            return;
        };
        self.check_length(entries.len(), shape.min, path);
        if let Some(value_ref) = shape.value.as_deref() {
            for (key, entry) in entries {
                self.check(value_ref, entry, &child_path(path, key));
            }
        }
    }

    fn check_length(&mut self, length: usize, min: Option<f64>, path: &str) {
        if let Some(min) = min {
            if (length as f64) < min {
                self.report(
                    path,
                    ValidationErrorKind::TooShort {
                        length,
                        min: min as usize,
                    },
                );
            }
        }
    }

    fn check_range(&mut self, value: f64, shape: &Shape, path: &str) {
        if let Some(min) = shape.min {
            if value < min {
                self.report(path, ValidationErrorKind::OutOfRange { value, min });
            }
        }
    }
}

fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number with a fraction",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// The closest member name, when one is close enough to be a likely typo.
fn suggest<'a>(unknown: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lowered = unknown.to_lowercase();
    candidates
        .map(|candidate| {
            let score = if candidate.to_lowercase() == lowered {
                1.0
            } else {
                strsim::jaro_winkler(&lowered, &candidate.to_lowercase())
            };
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(&json!({
            "metadata": {"protocol": "json"},
            "shapes": {
                "In": {"type": "structure", "required": ["Name"], "members": {
                    "Name": {"shape": "Name"},
                    "Attributes": {"shape": "Attrs"},
                    "Items": {"shape": "Items"},
                    "Count": {"shape": "Count"},
                    "When": {"shape": "When"},
                    "Choice": {"shape": "Choice"},
                    "Ratio": {"shape": "Ratio"}}},
                "Name": {"type": "string", "min": 1},
                "Attrs": {"type": "structure", "members": {"Policy": {"shape": "Name"}}},
                "Items": {"type": "list", "member": {"shape": "Item"}, "min": 1},
                "Item": {"type": "structure", "members": {"Name": {"shape": "Name"}}},
                "Count": {"type": "integer", "min": 1},
                "When": {"type": "timestamp"},
                "Ratio": {"type": "double"},
                "Choice": {"type": "structure", "union": true, "members": {
                    "A": {"shape": "Name"}, "B": {"shape": "Name"}}}
            },
            "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}}
        }))
        .unwrap()
    }

    fn errors(input: Value) -> Vec<String> {
        let model = model();
        let op = model.operation("Op").unwrap();
        match validate_input(&model, op, &input) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn valid_input_passes() {
        let input = json!({"Name": "x", "Count": 2, "When": "2020-01-01T00:00:00Z",
                           "Ratio": "NaN", "Items": [{"Name": "a"}], "Choice": {"A": "y"}});
        assert_eq!(errors(input), Vec::<String>::new());
    }

    #[test]
    fn unknown_member_suggests_the_closest_name() {
        assert_eq!(
            errors(json!({"Name": "x", "Attributes": {"Polcy": "p"}})),
            vec!["unknown member \"Polcy\" in Attributes, did you mean \"Policy\"?"]
        );
        assert_eq!(
            errors(json!({"Name": "x", "Zzz": 1})),
            vec!["unknown member \"Zzz\" in input"]
        );
        assert_eq!(
            errors(json!({"name": "x"})),
            vec![
                "missing required member \"Name\" in input",
                "unknown member \"name\" in input, did you mean \"Name\"?"
            ]
        );
    }

    #[test]
    fn paths_name_list_items() {
        assert_eq!(
            errors(json!({"Name": "x", "Items": [{"Name": "a"}, {"Name": 5}]})),
            vec!["invalid type for Items[1].Name: expected string, found number"]
        );
    }

    #[test]
    fn ranges_lengths_types_and_unions() {
        let found = errors(json!({"Name": "", "Count": 0, "Items": [], "When": "soon",
                                  "Choice": {"A": "a", "B": "b"}, "Ratio": true}));
        assert_eq!(
            found,
            vec![
                "invalid length for Name: 0 is below the minimum 1",
                "invalid value for Count: 0 is below the minimum 1",
                "invalid length for Items: 0 is below the minimum 1",
                "invalid type for When: expected timestamp (epoch seconds or an iso 8601 string), found string",
                "Choice is a union: set exactly one of its members, found A, B",
                "invalid type for Ratio: expected number (or \"NaN\", \"Infinity\", \"-Infinity\"), found boolean",
            ]
        );
        assert_eq!(
            errors(json!({"Name": "x", "Count": 1.5})),
            vec!["invalid type for Count: expected integer, found number with a fraction"]
        );
    }
}
