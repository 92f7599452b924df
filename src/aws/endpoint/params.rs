//! Binding endpoint rule-set parameters for one call, from (in botocore's order of precedence)
//! the operation's `staticContextParams`, input members marked `contextParam`, the operation's
//! `operationContextParams` (JMESPath over the input), client context parameters, and finally
//! the SDK built-ins (`AWS::Region`, `SDK::Endpoint`, ...). Unbound parameters are left unset so
//! the rule set's defaults apply.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{EndpointError, EndpointParams};

pub const REGION: &str = "AWS::Region";
pub const USE_FIPS: &str = "AWS::UseFIPS";
pub const USE_DUAL_STACK: &str = "AWS::UseDualStack";
pub const ENDPOINT: &str = "SDK::Endpoint";
pub const S3_FORCE_PATH_STYLE: &str = "AWS::S3::ForcePathStyle";
pub const S3_ACCELERATE: &str = "AWS::S3::Accelerate";
pub const S3_USE_ARN_REGION: &str = "AWS::S3::UseArnRegion";
pub const S3_DISABLE_MRAP: &str = "AWS::S3::DisableMultiRegionAccessPoints";
pub const S3_USE_GLOBAL_ENDPOINT: &str = "AWS::S3::UseGlobalEndpoint";
pub const S3_CONTROL_USE_ARN_REGION: &str = "AWS::S3Control::UseArnRegion";
pub const STS_USE_GLOBAL_ENDPOINT: &str = "AWS::STS::UseGlobalEndpoint";
pub const ACCOUNT_ID: &str = "AWS::Auth::AccountId";
pub const ACCOUNT_ID_ENDPOINT_MODE: &str = "AWS::Auth::AccountIdEndpointMode";

/// SDK built-in values by their rule-set name (the constants of this module).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuiltIns {
    values: BTreeMap<String, Value>,
}

impl BuiltIns {
    pub fn new() -> BuiltIns {
        BuiltIns::default()
    }

    /// Sets a built-in (for example `BuiltIns::new().with(REGION, json!("us-east-1"))`).
    pub fn with(mut self, name: &str, value: Value) -> BuiltIns {
        self.set(name, value);
        self
    }

    pub fn set(&mut self, name: &str, value: Value) {
        if value.is_null() {
            self.values.remove(name);
        } else {
            self.values.insert(name.to_string(), value);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
}

/// The parameters of `rules` for calling `operation` of the service model `service` with `input`.
pub fn bind_params(
    rules: &Value,
    service: &Value,
    operation: &str,
    input: &Value,
    built_ins: &BuiltIns,
    client_context: &Map<String, Value>,
) -> Result<EndpointParams, EndpointError> {
    let Some(definitions) = rules.get("parameters").and_then(Value::as_object) else {
        return Err(EndpointError::BadRuleSet(
            "missing `parameters` object".to_string(),
        ));
    };
    let operation_model = service
        .get("operations")
        .and_then(|operations| operations.get(operation))
        .unwrap_or(&Value::Null);
    let member_params = context_param_members(service, operation_model);
    let mut params = EndpointParams::new();
    for (name, definition) in definitions {
        let value = match static_context_param(operation_model, name) {
            Some(value) => Some(value),
            None => member_params
                .get(name.as_str())
                .and_then(|member| input.get(member))
                .filter(|value| !value.is_null())
                .cloned(),
        };
        let value = match value {
            Some(value) => Some(value),
            None => operation_context_param(operation_model, name, input)?,
        };
        let value = value
            .or_else(|| client_context.get(name).cloned())
            .or_else(|| built_in_value(definition, built_ins));
        if let Some(value) = value {
            params.set(name.clone(), value);
        }
    }
    Ok(params)
}

fn static_context_param(operation: &Value, name: &str) -> Option<Value> {
    operation
        .get("staticContextParams")?
        .get(name)?
        .get("value")
        .cloned()
}

/// Parameter name -> input member name, for input members marked `contextParam`.
fn context_param_members<'a>(service: &'a Value, operation: &Value) -> BTreeMap<&'a str, &'a str> {
    let members = operation
        .get("input")
        .and_then(|input| input.get("shape"))
        .and_then(Value::as_str)
        .and_then(|shape| {
            service
                .get("shapes")?
                .get(shape)?
                .get("members")?
                .as_object()
        });
    let Some(members) = members else {
        return BTreeMap::new();
    };
    members
        .iter()
        .filter_map(|(member, definition)| {
            let param = definition.get("contextParam")?.get("name")?.as_str()?;
            Some((param, member.as_str()))
        })
        .collect()
}

fn operation_context_param(
    operation: &Value,
    name: &str,
    input: &Value,
) -> Result<Option<Value>, EndpointError> {
    let Some(path) = operation
        .get("operationContextParams")
        .and_then(|params| params.get(name))
        .and_then(|param| param.get("path"))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let bad_path = |reason: String| EndpointError::BadContextPath {
        name: name.to_string(),
        path: path.to_string(),
        reason,
    };
    let expression = jmespath::compile(path).map_err(|err| bad_path(err.to_string()))?;
    let found = expression
        .search(input)
        .map_err(|err| bad_path(err.to_string()))?;
    let value = serde_json::to_value(&*found).map_err(|err| bad_path(err.to_string()))?;
    Ok(Some(value).filter(|value| !value.is_null()))
}

fn built_in_value(definition: &Value, built_ins: &BuiltIns) -> Option<Value> {
    let name = definition.get("builtIn")?.as_str()?;
    built_ins.get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> Value {
        json!({"parameters": {
            "Region": {"type": "String", "builtIn": "AWS::Region"},
            "Bucket": {"type": "String"},
            "UseS3ExpressControlEndpoint": {"type": "Boolean"},
            "Keys": {"type": "stringArray"},
            "ForcePathStyle": {"type": "Boolean", "builtIn": "AWS::S3::ForcePathStyle", "default": false},
            "Accelerate": {"type": "Boolean", "builtIn": "AWS::S3::Accelerate"}
        }})
    }

    fn service() -> Value {
        json!({
            "operations": {
                "CreateBucket": {
                    "input": {"shape": "CreateBucketRequest"},
                    "staticContextParams": {"UseS3ExpressControlEndpoint": {"value": true}}
                },
                "DeleteObjects": {
                    "input": {"shape": "DeleteObjectsRequest"},
                    "operationContextParams": {"Keys": {"path": "Delete.Objects[*].Key"}}
                }
            },
            "shapes": {
                "CreateBucketRequest": {"type": "structure", "members": {
                    "Bucket": {"shape": "B", "contextParam": {"name": "Bucket"}}}},
                "DeleteObjectsRequest": {"type": "structure", "members": {
                    "Bucket": {"shape": "B", "contextParam": {"name": "Bucket"}},
                    "Delete": {"shape": "D"}}}
            }
        })
    }

    #[test]
    fn binds_static_context_member_and_built_in() {
        let built_ins = BuiltIns::new().with(REGION, json!("us-east-1"));
        let params = bind_params(
            &rules(),
            &service(),
            "CreateBucket",
            &json!({"Bucket": "b"}),
            &built_ins,
            &Map::new(),
        )
        .unwrap();
        assert_eq!(params.get("Region"), Some(&json!("us-east-1")));
        assert_eq!(params.get("Bucket"), Some(&json!("b")));
        assert_eq!(
            params.get("UseS3ExpressControlEndpoint"),
            Some(&json!(true))
        );
        assert_eq!(
            params.get("ForcePathStyle"),
            None,
            "defaults are the rule set's business"
        );
    }

    #[test]
    fn binds_operation_context_params_with_jmespath() {
        let input = json!({"Bucket": "b", "Delete": {"Objects": [{"Key": "k1"}, {"Key": "k2"}]}});
        let params = bind_params(
            &rules(),
            &service(),
            "DeleteObjects",
            &input,
            &BuiltIns::new(),
            &Map::new(),
        )
        .unwrap();
        assert_eq!(params.get("Keys"), Some(&json!(["k1", "k2"])));
        assert_eq!(params.get("UseS3ExpressControlEndpoint"), None);
    }

    #[test]
    fn client_context_wins_over_built_in() {
        let built_ins = BuiltIns::new().with(S3_ACCELERATE, json!(false));
        let mut client = Map::new();
        client.insert("Accelerate".to_string(), json!(true));
        let params = bind_params(
            &rules(),
            &service(),
            "CreateBucket",
            &json!({}),
            &built_ins,
            &client,
        )
        .unwrap();
        assert_eq!(params.get("Accelerate"), Some(&json!(true)));
        let params = bind_params(
            &rules(),
            &service(),
            "CreateBucket",
            &json!({}),
            &built_ins,
            &Map::new(),
        )
        .unwrap();
        assert_eq!(params.get("Accelerate"), Some(&json!(false)));
    }
}
