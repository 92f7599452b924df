//! The values of a request that sit in sensitive shapes: the models mark passwords, secret
//! strings and keys `sensitive`, and whatever a caller puts there must never print, in a log,
//! an error that echoes the request, or anywhere else.

use serde_json::Value;

use crate::aws::model::{ServiceModel, ShapeType};

/// Every string inside `value` (of shape `shape`) that sits in a sensitive shape.
pub fn sensitive_values(model: &ServiceModel, shape: &str, value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect(model, shape, value, &mut found);
    found
}

fn collect(model: &ServiceModel, shape: &str, value: &Value, found: &mut Vec<String>) {
    let Some(shape) = model.shape(shape) else {
        return;
    };
    if shape.sensitive {
        every_string(value, found);
        return;
    }
    match (&shape.shape_type, value) {
        (ShapeType::Structure, Value::Object(members)) => {
            for (name, member) in &shape.members {
                if let Some(value) = members.get(name) {
                    collect(model, &member.shape, value, found);
                }
            }
        }
        (ShapeType::List, Value::Array(items)) => {
            if let Some(member) = &shape.member {
                for item in items {
                    collect(model, &member.shape, item, found);
                }
            }
        }
        (ShapeType::Map, Value::Object(entries)) => {
            if let Some(member) = &shape.value {
                for value in entries.values() {
                    collect(model, &member.shape, value, found);
                }
            }
        }
        _ => {}
    }
}

fn every_string(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => found.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| every_string(item, found)),
        Value::Object(members) => members.values().for_each(|v| every_string(v, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(&json!({
            "metadata": {"protocol": "json", "apiVersion": "2020-01-01", "endpointPrefix": "x",
                          "signatureVersion": "v4", "targetPrefix": "X", "jsonVersion": "1.1"},
            "shapes": {
                "Input": {"type": "structure", "members": {
                    "Name": {"shape": "Text"},
                    "Value": {"shape": "Secret"},
                    "Credentials": {"shape": "Pairs"},
                    "Keys": {"shape": "SecretList"}
                }},
                "Text": {"type": "string"},
                "Secret": {"type": "string", "sensitive": true},
                "Pairs": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Secret"}},
                "SecretList": {"type": "list", "member": {"shape": "Secret"}}
            },
            "operations": {}
        }))
        .expect("a model")
    }

    #[test]
    fn finds_the_values_in_sensitive_shapes_at_any_depth() {
        let input = json!({
            "Name": "/app/token",
            "Value": "s3cr3t-value",
            "Credentials": {"db": "db-pass"},
            "Keys": ["key-1", "key-2"]
        });
        let found = sensitive_values(&model(), "Input", &input);
        assert_eq!(found, ["s3cr3t-value", "db-pass", "key-1", "key-2"]);
    }

    #[test]
    fn finds_nothing_where_nothing_is_sensitive() {
        assert!(sensitive_values(&model(), "Input", &json!({"Name": "x"})).is_empty());
        assert!(sensitive_values(&model(), "Missing", &json!({"Value": "x"})).is_empty());
    }
}
