//! What `plan` asks of the AWS API models ([`crate::plan::Models`]), answered from the model
//! catalog: operations, input validation, and the derivations that make checks short (which
//! read operation shows what an apply sets, where an input value comes back in its output).

use std::sync::Arc;

use serde_json::Value;

use crate::aws::catalog::{suggest, Catalog};
use crate::aws::error::CallError;
use crate::aws::invoke::event_stream;
use crate::aws::model::{ServiceModel, Shape, ShapeType};
use crate::aws::validate::{validate_input, ValidationErrorKind};
use crate::plan::models::{InputProblem, Models, UnknownOperation};

/// Verbs of operations that set something a read operation shows back.
const WRITE_VERBS: &[&str] = &["Put", "Set", "Update", "Enable", "Disable", "Modify"];
/// Verbs of the read operations a check may be derived as, in order of preference.
const READ_VERBS: &[&str] = &["Get", "Describe"];

/// The catalog's models (parsed once per service by the catalog, which the client shares).
pub struct CatalogModels {
    catalog: Arc<Catalog>,
}

impl CatalogModels {
    pub fn new(catalog: Arc<Catalog>) -> CatalogModels {
        CatalogModels { catalog }
    }

    fn model(&self, service: &str) -> Option<Arc<ServiceModel>> {
        let documents = self.catalog.load(service).ok()?;
        self.catalog.parsed(&documents).ok()
    }

    fn output_shape<'m>(&self, model: &'m ServiceModel, operation: &str) -> Option<&'m Shape> {
        let output = model.operation(operation)?.output.as_ref()?;
        model.shape(&output.shape)
    }
}

impl Models for CatalogModels {
    fn operation(&self, service: &str, operation: &str) -> Result<(), UnknownOperation> {
        let Some(model) = self.model(service) else {
            let known = self.catalog.service_names();
            return Err(UnknownOperation {
                message: format!("unknown service `{service}`"),
                known: suggest(service, &known),
            });
        };
        if let Some(op) = model.operation(operation) {
            // The client cannot read an event stream: refuse the step now, not at its run.
            return match event_stream(&model, op) {
                None => Ok(()),
                Some((direction, member)) => Err(UnknownOperation {
                    message: CallError::EventStream {
                        service: service.to_string(),
                        operation: operation.to_string(),
                        direction,
                        member,
                    }
                    .to_string(),
                    known: Vec::new(),
                }),
            };
        }
        let known: Vec<String> = model.operation_names().map(str::to_string).collect();
        Err(UnknownOperation {
            message: format!("unknown operation `{operation}` of {service}"),
            known: suggest(operation, &known),
        })
    }

    fn validate_input(
        &self,
        service: &str,
        operation: &str,
        input: &Value,
        open: &[String],
    ) -> Vec<InputProblem> {
        let Some(model) = self.model(service) else {
            return Vec::new();
        };
        let Some(op) = model.operation(operation) else {
            return Vec::new();
        };
        let Err(errors) = validate_input(&model, op, input) else {
            return Vec::new();
        };
        errors
            .into_iter()
            .filter(|error| {
                // A step result's type is known only when the step has run.
                let typed = matches!(
                    error.kind,
                    ValidationErrorKind::WrongType { .. }
                        | ValidationErrorKind::TooShort { .. }
                        | ValidationErrorKind::OutOfRange { .. }
                );
                !(typed && open.contains(&error.path))
            })
            .map(|error| InputProblem {
                path: error.path.clone(),
                member: match &error.kind {
                    ValidationErrorKind::UnknownMember { name, .. } => Some(name.clone()),
                    _ => None,
                },
                message: error.to_string(),
            })
            .collect()
    }

    fn input_members(&self, service: &str, operation: &str) -> Vec<String> {
        let Some(model) = self.model(service) else {
            return Vec::new();
        };
        model
            .operation(operation)
            .and_then(|op| op.input.as_ref())
            .and_then(|input| model.shape(&input.shape))
            .map(|shape| shape.members.iter().map(|(name, _)| name.clone()).collect())
            .unwrap_or_default()
    }

    fn output_path(&self, service: &str, operation: &str, input_path: &[String]) -> Option<String> {
        let model = self.model(service)?;
        let output = self.output_shape(&model, operation)?;
        // The value may come back where it was sent, inside a wrapper member of the output
        // (`Parameter.Type` for PutParameter's `Type`), or unwrapped from an input wrapper
        // (GetBucketVersioning's `Status` for `VersioningConfiguration.Status`).
        let unwrapped = input_path.get(1..).filter(|rest| !rest.is_empty());
        let mut tries: Vec<(Vec<String>, &[String])> = vec![(Vec::new(), input_path)];
        for (name, member) in &output.members {
            let is_structure = model
                .shape(&member.shape)
                .is_some_and(|shape| shape.shape_type == ShapeType::Structure);
            if is_structure {
                tries.push((vec![name.clone()], input_path));
            }
        }
        if let Some(rest) = unwrapped {
            tries.push((Vec::new(), rest));
        }
        tries.into_iter().find_map(|(prefix, path)| {
            let root = match prefix.first() {
                Some(name) => model.shape(&output.member_named(name)?.shape)?,
                None => output,
            };
            walk(&model, root, path)?;
            let full: Vec<&String> = prefix.iter().chain(path).collect();
            Some(jmespath_path(&full))
        })
    }

    fn output_has(&self, service: &str, operation: &str, path: &str) -> Option<bool> {
        let plain = path.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !plain {
            return None;
        }
        let model = self.model(service)?;
        let output = self.output_shape(&model, operation)?;
        let segments: Vec<String> = path.split('.').map(str::to_string).collect();
        Some(walk(&model, output, &segments).is_some())
    }

    fn read_operation(&self, service: &str, operation: &str) -> Result<String, String> {
        let model = self
            .model(service)
            .ok_or_else(|| format!("unknown service `{service}`"))?;
        let Some(subject) = WRITE_VERBS
            .iter()
            .find_map(|verb| operation.strip_prefix(verb))
            .filter(|rest| !rest.is_empty())
        else {
            return Err(format!(
                "`{operation}` does not start with {}, so no read operation is obvious",
                WRITE_VERBS.join(", ")
            ));
        };
        let found: Vec<String> = READ_VERBS
            .iter()
            .map(|verb| format!("{verb}{subject}"))
            .filter(|read| model.operation(read).is_some())
            .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(format!(
                "{service} has no {} operation",
                READ_VERBS
                    .iter()
                    .map(|verb| format!("{verb}{subject}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
            several => Err(format!(
                "{service} has {}: more than one reads it",
                several.join(" and ")
            )),
        }
    }
}

/// Follows member names through structures (and any key through maps) from `shape`; the
/// shape reached, or `None` when the path cannot exist.
fn walk<'m>(model: &'m ServiceModel, shape: &'m Shape, path: &[String]) -> Option<&'m Shape> {
    let Some((first, rest)) = path.split_first() else {
        return Some(shape);
    };
    let next = match shape.shape_type {
        ShapeType::Structure => model.shape(&shape.member_named(first)?.shape)?,
        ShapeType::Map => model.shape(&shape.value.as_ref()?.shape)?,
        _ => return None,
    };
    walk(model, next, rest)
}

/// A member path as JMESPath: names that are not plain identifiers are quoted.
fn jmespath_path(path: &[&String]) -> String {
    path.iter()
        .map(|name| {
            let plain = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain {
                name.to_string()
            } else {
                format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> CatalogModels {
        CatalogModels::new(Arc::new(Catalog::new(None)))
    }

    fn path(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn derives_the_obvious_read_operation() {
        let models = models();
        assert_eq!(
            models.read_operation("lambda", "PutFunctionConcurrency"),
            Ok("GetFunctionConcurrency".to_string())
        );
        assert_eq!(
            models.read_operation("ec2", "EnableEbsEncryptionByDefault"),
            Ok("GetEbsEncryptionByDefault".to_string())
        );
        assert_eq!(
            models.read_operation("dynamodb", "UpdateTimeToLive"),
            Ok("DescribeTimeToLive".to_string())
        );
        let none = models
            .read_operation("logs", "PutRetentionPolicy")
            .unwrap_err();
        assert_eq!(
            none,
            "logs has no GetRetentionPolicy or DescribeRetentionPolicy operation"
        );
        assert!(models.read_operation("sqs", "ListQueues").is_err());
    }

    #[test]
    fn finds_where_an_input_value_comes_back() {
        let models = models();
        // Same place.
        assert_eq!(
            models.output_path(
                "lambda",
                "GetFunctionConcurrency",
                &path(&["ReservedConcurrentExecutions"])
            ),
            Some("ReservedConcurrentExecutions".to_string())
        );
        assert_eq!(
            models.output_path("lambda", "GetFunctionConcurrency", &path(&["FunctionName"])),
            None
        );
        // Inside an output wrapper.
        assert_eq!(
            models.output_path("ssm", "GetParameter", &path(&["Type"])),
            Some("Parameter.Type".to_string())
        );
        // Out of an input wrapper.
        assert_eq!(
            models.output_path(
                "s3",
                "GetBucketVersioning",
                &path(&["VersioningConfiguration", "Status"])
            ),
            Some("Status".to_string())
        );
        // Through a map, with a key that needs quoting.
        assert_eq!(
            models.output_path(
                "sqs",
                "GetQueueAttributes",
                &path(&["Attributes", "my-key"])
            ),
            Some("Attributes.\"my-key\"".to_string())
        );
    }

    #[test]
    fn tells_which_expect_paths_can_exist() {
        let models = models();
        assert_eq!(
            models.output_has(
                "lambda",
                "GetFunctionConcurrency",
                "ReservedConcurrentExecutions"
            ),
            Some(true)
        );
        assert_eq!(
            models.output_has("lambda", "GetFunctionConcurrency", "ReservedConcurrency"),
            Some(false)
        );
        assert_eq!(
            models.output_has("lambda", "GetFunctionConcurrency", "length(@)"),
            None
        );
    }

    #[test]
    fn unknown_operations_come_with_suggestions() {
        let models = models();
        let error = models
            .operation("lambda", "PutFunctionConcurency")
            .unwrap_err();
        assert_eq!(
            error.message,
            "unknown operation `PutFunctionConcurency` of lambda"
        );
        assert!(error.known.contains(&"PutFunctionConcurrency".to_string()));
        assert!(models
            .operation("lambdaa", "X")
            .unwrap_err()
            .message
            .contains("unknown service"));
    }

    #[test]
    fn step_result_paths_skip_type_checks_only() {
        let models = models();
        let input = serde_json::json!({"FunctionName": "<step result>", "ReservedConcurrentExecutions": "<step result>"});
        let open = vec!["ReservedConcurrentExecutions".to_string()];
        assert!(models
            .validate_input("lambda", "PutFunctionConcurrency", &input, &open)
            .is_empty());
        let problems = models.validate_input("lambda", "PutFunctionConcurrency", &input, &[]);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
