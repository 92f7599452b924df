//! JMESPath over JSON values, as the models and the user use it: paginator tokens and result
//! keys, waiter acceptors, a query over a call's output, and the expectations of post-deploy
//! steps.

use serde_json::Value;

/// Evaluates a JMESPath expression; a bad expression is an error naming it.
pub fn search(expression: &str, data: &Value) -> Result<Value, String> {
    let compiled = jmespath::compile(expression)
        .map_err(|err| format!("bad expression `{expression}`: {err}"))?;
    let found = compiled
        .search(data)
        .map_err(|err| format!("cannot evaluate `{expression}`: {err}"))?;
    serde_json::to_value(&*found)
        .map_err(|err| format!("cannot convert the result of `{expression}`: {err}"))
}

/// JMESPath truthiness: false, null, empty strings, lists and objects are false.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn searches_and_names_a_bad_expression() {
        let data = json!({"Items": [{"Key": "a"}, {"Key": "b"}], "Next": null});
        assert_eq!(search("Items[-1].Key", &data).unwrap(), json!("b"));
        assert_eq!(search("Next || Items[0].Key", &data).unwrap(), json!("a"));
        let err = search("Items[", &data).unwrap_err();
        assert!(err.starts_with("bad expression `Items[`"), "{err}");
    }

    #[test]
    fn truthiness_follows_jmespath() {
        for falsy in [json!(null), json!(false), json!(""), json!([]), json!({})] {
            assert!(!is_truthy(&falsy), "{falsy}");
        }
        for truthy in [
            json!(true),
            json!(0),
            json!("x"),
            json!([0]),
            json!({"a": 1}),
        ] {
            assert!(is_truthy(&truthy), "{truthy}");
        }
    }
}
