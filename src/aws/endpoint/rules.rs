//! The endpoint rule-set evaluator: parameter defaults and type checks, then endpoint, error and
//! tree rules tried in order, each guarded by conditions that may assign variables, with
//! `{Var}` / `{Var#attr}` template strings. Follows botocore's `endpoint_provider.py`
//! (a tree whose sub-rules all fail falls through to the next rule).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::functions::{self, get_attr};
use super::{Endpoint, EndpointError, EndpointParams};

/// Resolves the endpoint for `params` with the rule set `rules` and botocore's `partitions.json`.
pub fn resolve(
    rules: &Value,
    partitions: &Value,
    params: &EndpointParams,
) -> Result<Endpoint, EndpointError> {
    let mut scope = Scope {
        vars: initial_scope(rules, params)?,
        partitions,
    };
    let rule_list = array_member(rules, "rules")?;
    for rule in rule_list {
        if let Some(endpoint) = scope.evaluate_rule(rule)? {
            return Ok(endpoint);
        }
    }
    Err(EndpointError::NoMatch(describe_params(params)))
}

fn describe_params(params: &EndpointParams) -> String {
    let pairs: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

fn array_member<'a>(value: &'a Value, name: &str) -> Result<&'a Vec<Value>, EndpointError> {
    value
        .get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| EndpointError::BadRuleSet(format!("missing `{name}` list")))
}

/// Parameter values after defaults, checked against their declared types.
fn initial_scope(
    rules: &Value,
    params: &EndpointParams,
) -> Result<Vec<(String, Value)>, EndpointError> {
    let Some(definitions) = rules.get("parameters").and_then(Value::as_object) else {
        return Err(EndpointError::BadRuleSet(
            "missing `parameters` object".to_string(),
        ));
    };
    let mut vars = Vec::with_capacity(definitions.len());
    for (name, definition) in definitions {
        let value = params
            .get(name)
            .or_else(|| definition.get("default"))
            .cloned()
            .unwrap_or(Value::Null);
        if value.is_null() {
            if definition.get("required").and_then(Value::as_bool) == Some(true) {
                return Err(EndpointError::MissingParameter(name.clone()));
            }
            continue;
        }
        check_type(name, definition, &value)?;
        vars.push((name.clone(), value));
    }
    Ok(vars)
}

fn check_type(name: &str, definition: &Value, value: &Value) -> Result<(), EndpointError> {
    let declared = definition
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    let (ok, expected) = match declared.to_ascii_lowercase().as_str() {
        "boolean" => (value.is_boolean(), "a boolean"),
        "stringarray" => (
            value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            "a list of strings",
        ),
        _ => (value.is_string(), "a string"),
    };
    if ok {
        Ok(())
    } else {
        Err(EndpointError::ParameterType {
            name: name.to_string(),
            expected: expected.to_string(),
            found: value.to_string(),
        })
    }
}

/// Variables in scope (parameters, then condition assignments) and the partitions data.
struct Scope<'a> {
    /// A stack: rules push their assignments and truncate back when done.
    vars: Vec<(String, Value)>,
    partitions: &'a Value,
}

impl Scope<'_> {
    fn lookup(&self, name: &str) -> Value {
        self.vars
            .iter()
            .rev()
            .find(|(var, _)| var == name)
            .map_or(Value::Null, |(_, value)| value.clone())
    }

    /// `Ok(None)` when the rule (or every sub-rule of a tree) does not apply.
    fn evaluate_rule(&mut self, rule: &Value) -> Result<Option<Endpoint>, EndpointError> {
        let mark = self.vars.len();
        let result = self.evaluate_rule_in_scope(rule);
        self.vars.truncate(mark);
        result
    }

    fn evaluate_rule_in_scope(&mut self, rule: &Value) -> Result<Option<Endpoint>, EndpointError> {
        if !self.conditions_hold(rule)? {
            return Ok(None);
        }
        match rule.get("type").and_then(Value::as_str) {
            Some("endpoint") => {
                let endpoint = rule.get("endpoint").ok_or_else(|| {
                    EndpointError::BadRuleSet("endpoint rule without `endpoint`".to_string())
                })?;
                self.build_endpoint(endpoint).map(Some)
            }
            Some("error") => {
                let error = rule.get("error").unwrap_or(&Value::Null);
                let message = self.resolve_value(error)?;
                Err(EndpointError::Rule(display(&message)))
            }
            Some("tree") => {
                for sub_rule in array_member(rule, "rules")? {
                    if let Some(endpoint) = self.evaluate_rule(sub_rule)? {
                        return Ok(Some(endpoint));
                    }
                }
                Ok(None)
            }
            other => Err(EndpointError::BadRuleSet(format!(
                "unknown rule type {other:?}"
            ))),
        }
    }

    /// All conditions truthy (not false, not unset), assigning their results when asked to.
    fn conditions_hold(&mut self, rule: &Value) -> Result<bool, EndpointError> {
        let Some(conditions) = rule.get("conditions").and_then(Value::as_array) else {
            return Ok(true);
        };
        for condition in conditions {
            let result = self.call_function(condition)?;
            if result.is_null() || result == Value::Bool(false) {
                return Ok(false);
            }
            if let Some(name) = condition.get("assign").and_then(Value::as_str) {
                self.vars.push((name.to_string(), result));
            }
        }
        Ok(true)
    }

    fn call_function(&mut self, call: &Value) -> Result<Value, EndpointError> {
        let name = call
            .get("fn")
            .and_then(Value::as_str)
            .ok_or_else(|| EndpointError::BadRuleSet(format!("not a function call: {call}")))?;
        let args = match call.get("argv").and_then(Value::as_array) {
            Some(argv) => argv
                .iter()
                .map(|arg| self.resolve_value(arg))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        functions::call(name, &args, self.partitions)
    }

    /// An argument: `{"ref": var}`, `{"fn": ...}`, a template string, or a literal.
    fn resolve_value(&mut self, value: &Value) -> Result<Value, EndpointError> {
        match value {
            Value::String(template) => self.render_template(template).map(Value::String),
            Value::Object(object) if object.contains_key("ref") => {
                let name = object
                    .get("ref")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Ok(self.lookup(name))
            }
            Value::Object(object) if object.contains_key("fn") => self.call_function(value),
            other => Ok(other.clone()),
        }
    }

    /// Expands `{Var}` and `{Var#path}`; `{{` and `}}` are literal braces.
    fn render_template(&self, template: &str) -> Result<String, EndpointError> {
        let mut out = String::with_capacity(template.len());
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let reference: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    out.push_str(&display(&self.template_reference(&reference)));
                }
                other => out.push(other),
            }
        }
        Ok(out)
    }

    fn template_reference(&self, reference: &str) -> Value {
        let mut parts = reference.split('#');
        let base = self.lookup(parts.next().unwrap_or_default());
        parts.fold(base, |value, attr| get_attr(&value, attr))
    }

    fn build_endpoint(&mut self, endpoint: &Value) -> Result<Endpoint, EndpointError> {
        let url = endpoint.get("url").unwrap_or(&Value::Null);
        let url = display(&self.resolve_value(url)?);
        let mut headers = BTreeMap::new();
        if let Some(header_rules) = endpoint.get("headers").and_then(Value::as_object) {
            for (name, values) in header_rules {
                let values = values.as_array().map_or(&[][..], Vec::as_slice);
                let rendered = values
                    .iter()
                    .map(|value| self.resolve_value(value).map(|v| display(&v)))
                    .collect::<Result<Vec<_>, _>>()?;
                headers.insert(name.clone(), rendered);
            }
        }
        let properties = match endpoint.get("properties") {
            Some(Value::Object(properties)) => self.render_properties(properties)?,
            _ => Map::new(),
        };
        Ok(Endpoint {
            url,
            headers,
            properties,
        })
    }

    /// Properties are literal JSON whose strings are templates.
    fn render_properties(
        &self,
        properties: &Map<String, Value>,
    ) -> Result<Map<String, Value>, EndpointError> {
        properties
            .iter()
            .map(|(key, value)| Ok((key.clone(), self.render_property(value)?)))
            .collect()
    }

    fn render_property(&self, value: &Value) -> Result<Value, EndpointError> {
        Ok(match value {
            Value::String(template) => Value::String(self.render_template(template)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.render_property(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(object) => Value::Object(self.render_properties(object)?),
            other => other.clone(),
        })
    }
}

/// Strings as themselves, anything else as JSON text.
fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn partitions() -> Value {
        json!({"partitions": [{"id": "aws", "regionRegex": "^us\\-\\w+\\-\\d+$", "regions": {},
            "outputs": {"name": "aws", "dnsSuffix": "amazonaws.com", "supportsFIPS": true}}]})
    }

    fn rule_set() -> Value {
        json!({
            "version": "1.0",
            "parameters": {
                "Region": {"type": "String", "builtIn": "AWS::Region"},
                "UseFIPS": {"type": "Boolean", "default": false, "required": true},
                "Endpoint": {"type": "String"}
            },
            "rules": [
                {"type": "endpoint", "conditions": [{"fn": "isSet", "argv": [{"ref": "Endpoint"}]},
                    {"fn": "parseURL", "argv": [{"ref": "Endpoint"}], "assign": "url"}],
                 "endpoint": {"url": "{url#scheme}://{url#authority}{url#path}", "properties": {}, "headers": {}}},
                {"type": "tree", "conditions": [{"fn": "isSet", "argv": [{"ref": "Region"}]},
                    {"fn": "aws.partition", "argv": [{"ref": "Region"}], "assign": "p"}],
                 "rules": [
                    {"type": "endpoint", "conditions": [{"fn": "booleanEquals", "argv": [{"ref": "UseFIPS"}, true]}],
                     "endpoint": {"url": "https://svc-fips.{Region}.{p#dnsSuffix}",
                        "properties": {"authSchemes": [{"name": "sigv4", "signingRegion": "{Region}"}]},
                        "headers": {"x-a": ["{{literal}}"]}}},
                    {"type": "endpoint", "conditions": [{"fn": "stringEquals", "argv": [{"ref": "Region"}, "us-east-9"]}],
                     "endpoint": {"url": "https://svc.{Region}.{p#dnsSuffix}"}}
                 ]},
                {"type": "error", "conditions": [], "error": "Invalid Configuration: Missing Region"}
            ]
        })
    }

    fn params(pairs: &[(&str, Value)]) -> EndpointParams {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn tree_rule_with_assignment_and_templates() {
        let endpoint = resolve(
            &rule_set(),
            &partitions(),
            &params(&[("Region", json!("us-west-2")), ("UseFIPS", json!(true))]),
        )
        .unwrap();
        assert_eq!(endpoint.url, "https://svc-fips.us-west-2.amazonaws.com");
        assert_eq!(endpoint.auth_schemes()[0]["signingRegion"], "us-west-2");
        assert_eq!(endpoint.headers["x-a"], vec!["{literal}".to_string()]);
    }

    #[test]
    fn default_applies_and_tree_falls_through_to_the_error_rule() {
        let err = resolve(
            &rule_set(),
            &partitions(),
            &params(&[("Region", json!("us-west-2"))]),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "Invalid Configuration: Missing Region");
    }

    #[test]
    fn parse_url_assignment_feeds_the_template() {
        let endpoint = resolve(
            &rule_set(),
            &partitions(),
            &params(&[("Endpoint", json!("http://localhost:4566/base"))]),
        )
        .unwrap();
        assert_eq!(endpoint.url, "http://localhost:4566/base");
    }

    #[test]
    fn parameter_types_are_checked() {
        let err = resolve(
            &rule_set(),
            &partitions(),
            &params(&[("UseFIPS", json!("yes"))]),
        )
        .unwrap_err();
        assert!(
            matches!(err, EndpointError::ParameterType { ref name, .. } if name == "UseFIPS"),
            "{err}"
        );
    }

    #[test]
    fn no_match_is_reported() {
        let mut rules = rule_set();
        rules["rules"].as_array_mut().unwrap().pop();
        let err = resolve(
            &rules,
            &partitions(),
            &params(&[("Region", json!("us-west-2"))]),
        )
        .unwrap_err();
        assert!(matches!(err, EndpointError::NoMatch(_)), "{err}");
    }
}
