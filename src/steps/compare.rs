//! Whether a value read back from AWS holds what a step expects.
//!
//! Desired state, not byte equality: an expected object needs only the members it names
//! (AWS answers with more); numbers compare by value, and a number or boolean matches the same
//! text (many APIs, SQS attributes among them, answer numbers as strings); a string that holds
//! JSON (an SQS RedrivePolicy, an IAM policy) compares parsed, because AWS re-serialises it.

use serde_json::Value;

/// Whether `actual` (what the check read, `None` when nothing was found) holds `expected`.
pub fn holds(expected: &Value, actual: Option<&Value>) -> bool {
    match actual {
        None | Some(Value::Null) => expected.is_null(),
        Some(actual) => matches(expected, actual),
    }
}

fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            want.iter().all(|(key, value)| holds(value, have.get(key)))
        }
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| matches(w, h))
        }
        (Value::Number(want), Value::Number(have)) => want.as_f64() == have.as_f64(),
        (Value::String(want), Value::String(have)) => want == have || same_json(want, have),
        (Value::String(text), scalar @ (Value::Number(_) | Value::Bool(_)))
        | (scalar @ (Value::Number(_) | Value::Bool(_)), Value::String(text)) => {
            scalar_text_equal(scalar, text)
        }
        (Value::String(text), structured @ (Value::Object(_) | Value::Array(_))) => {
            serde_json::from_str::<Value>(text).is_ok_and(|parsed| matches(&parsed, structured))
        }
        (structured @ (Value::Object(_) | Value::Array(_)), Value::String(text)) => {
            serde_json::from_str::<Value>(text).is_ok_and(|parsed| matches(structured, &parsed))
        }
        (want, have) => want == have,
    }
}

/// Both strings are JSON documents (objects or lists) with the same content.
fn same_json(want: &str, have: &str) -> bool {
    let structured = |text: &str| {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(|value| value.is_object() || value.is_array())
    };
    match (structured(want), structured(have)) {
        (Some(want), Some(have)) => matches(&want, &have),
        _ => false,
    }
}

fn scalar_text_equal(scalar: &Value, text: &str) -> bool {
    match scalar {
        Value::Bool(flag) => text.eq_ignore_ascii_case(if *flag { "true" } else { "false" }),
        Value::Number(number) => text
            .trim()
            .parse::<f64>()
            .is_ok_and(|parsed| Some(parsed) == number.as_f64()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_expected_object_needs_only_its_members() {
        assert!(holds(
            &json!({"Status": "Enabled"}),
            Some(&json!({"Status": "Enabled", "MFADelete": "Disabled"}))
        ));
        assert!(!holds(
            &json!({"Status": "Enabled"}),
            Some(&json!({"Status": "Suspended"}))
        ));
        assert!(!holds(&json!({"Status": "Enabled"}), Some(&json!({}))));
    }

    #[test]
    fn numbers_booleans_and_their_text_match() {
        assert!(holds(&json!(5), Some(&json!(5.0))));
        assert!(holds(&json!(30), Some(&json!("30"))));
        assert!(holds(&json!("30"), Some(&json!(30))));
        assert!(holds(&json!(true), Some(&json!("true"))));
        assert!(!holds(&json!(5), Some(&json!(6))));
        assert!(!holds(&json!(5), Some(&json!("five"))));
    }

    #[test]
    fn json_inside_strings_compares_parsed() {
        let written = r#"{"deadLetterTargetArn":"arn:q","maxReceiveCount":5}"#;
        let answered = r#"{"deadLetterTargetArn": "arn:q", "maxReceiveCount": "5"}"#;
        assert!(holds(&json!(written), Some(&json!(answered))));
        assert!(holds(
            &json!({"maxReceiveCount": 5}),
            Some(&json!(answered))
        ));
        assert!(!holds(
            &json!(written),
            Some(&json!(
                r#"{"deadLetterTargetArn":"arn:other","maxReceiveCount":5}"#
            ))
        ));
    }

    #[test]
    fn lists_match_item_by_item_and_nothing_found_is_null() {
        assert!(holds(&json!([1, 2]), Some(&json!([1, 2]))));
        assert!(!holds(&json!([1, 2]), Some(&json!([2, 1]))));
        assert!(!holds(&json!([1]), Some(&json!([1, 2]))));
        assert!(holds(&Value::Null, None));
        assert!(!holds(&json!("x"), None));
    }
}
