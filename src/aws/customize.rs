//! Service-specific adjustments botocore applies on top of the models, which gapfill needs to
//! call those services correctly:
//!
//! - s3: the bucket is in the endpoint URL (the rule set decides virtual-host or path style),
//!   so `/{Bucket}` leaves the request URI;
//! - s3control: the rule set puts the account id in the host, so the operation's
//!   `{AccountId}.` host prefix is dropped;
//! - route53: ids copied from outputs (`/hostedzone/Z123`) are accepted where the input
//!   expects the bare id (`Z123`);
//! - ec2 RunInstances and autoscaling CreateLaunchConfiguration: `UserData` is base64-encoded
//!   as every AWS CLI and SDK user expects (the API wants base64, users write scripts);
//! - apigateway: every request asks for `Accept: application/json`, as botocore's does;
//!   otherwise API Gateway answers in HAL (`application/hal+json`), a document shape the model
//!   does not describe.

use base64::Engine;
use serde_json::Value;

use crate::aws::model::{Operation, ServiceModel};

/// The operation as it must be serialized for `service`.
pub fn wire_operation(service: &str, op: &Operation) -> Operation {
    let mut op = op.clone();
    match service {
        "s3" => strip_bucket_from_uri(&mut op),
        "s3control" if op.host_prefix.as_deref() == Some("{AccountId}.") => op.host_prefix = None,
        _ => {}
    }
    op
}

/// The input as it must be serialized for `service` (the original when nothing changes).
pub fn wire_input(service: &str, model: &ServiceModel, op: &Operation, input: &Value) -> Value {
    match (service, op.name.as_str()) {
        ("route53", _) => bare_route53_ids(model, op, input),
        ("ec2", "RunInstances") | ("autoscaling", "CreateLaunchConfiguration") => {
            base64_user_data(input)
        }
        _ => input.clone(),
    }
}

/// Headers every request to `service` carries unless the serialized request already has them.
pub fn wire_headers(service: &str) -> &'static [(&'static str, &'static str)] {
    match service {
        "apigateway" => &[("Accept", "application/json")],
        _ => &[],
    }
}

/// botocore's `base64_encode_user_data`: a text `UserData` goes out base64-encoded.
fn base64_user_data(input: &Value) -> Value {
    let mut input = input.clone();
    if let Some(user_data) = input.get_mut("UserData") {
        if let Some(text) = user_data.as_str() {
            *user_data = Value::String(base64::engine::general_purpose::STANDARD.encode(text));
        }
    }
    input
}

fn strip_bucket_from_uri(op: &mut Operation) {
    if let Some(rest) = op.request_uri.strip_prefix("/{Bucket}") {
        op.request_uri = if rest.starts_with('/') {
            rest.to_string()
        } else {
            format!("/{rest}")
        };
    }
}

/// Shapes of route53 input members that hold an id, and the prefixes outputs give those ids.
const ROUTE53_ID_SHAPES: &[&str] = &["ResourceId", "DelegationSetId", "ChangeId"];
const ROUTE53_ID_PREFIXES: &[&str] = &["/hostedzone/", "/change/", "/delegationset/"];

fn bare_route53_ids(model: &ServiceModel, op: &Operation, input: &Value) -> Value {
    let mut input = input.clone();
    let shape = op
        .input
        .as_ref()
        .and_then(|member| model.shape(&member.shape));
    let (Some(shape), Some(members)) = (shape, input.as_object_mut()) else {
        return input;
    };
    for (name, member) in &shape.members {
        if !ROUTE53_ID_SHAPES.contains(&member.shape.as_str()) {
            continue;
        }
        if let Some(Value::String(id)) = members.get_mut(name) {
            if let Some(bare) = ROUTE53_ID_PREFIXES
                .iter()
                .find_map(|prefix| id.strip_prefix(prefix))
            {
                *id = bare.to_string();
            }
        }
    }
    input
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog::Catalog;
    use serde_json::json;

    fn model(service: &str) -> ServiceModel {
        let documents = Catalog::new(None).load(service).unwrap();
        ServiceModel::from_json(&documents.service).unwrap()
    }

    #[test]
    fn s3_bucket_leaves_the_request_uri() {
        let s3 = model("s3");
        let uri = |name: &str| wire_operation("s3", s3.operation(name).unwrap()).request_uri;
        assert_eq!(uri("GetObject"), "/{Key+}");
        assert_eq!(uri("ListObjectsV2"), "/?list-type=2");
        assert_eq!(uri("CreateBucket"), "/");
        assert_eq!(uri("ListBuckets"), "/");
    }

    #[test]
    fn s3control_account_prefix_is_dropped() {
        let s3control = model("s3control");
        let op = s3control.operation("GetPublicAccessBlock").unwrap();
        assert_eq!(op.host_prefix.as_deref(), Some("{AccountId}."));
        assert_eq!(wire_operation("s3control", op).host_prefix, None);
        let sqs = model("sqs");
        let untouched = sqs.operation("GetQueueUrl").unwrap();
        assert_eq!(&wire_operation("sqs", untouched), untouched);
    }

    #[test]
    fn run_instances_user_data_goes_out_base64_encoded() {
        let ec2 = model("ec2");
        let run = ec2.operation("RunInstances").unwrap();
        let input = serde_json::json!({"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1, "UserData": "#!/bin/sh\necho hi\n"});
        let wired = wire_input("ec2", &ec2, run, &input);
        assert_eq!(wired["UserData"], "IyEvYmluL3NoCmVjaG8gaGkK");
        assert_eq!(wired["ImageId"], "ami-1");
        let describe = ec2.operation("DescribeInstances").unwrap();
        assert_eq!(
            wire_input("ec2", &ec2, describe, &serde_json::json!({"UserData": "x"}))["UserData"],
            "x"
        );
    }

    #[test]
    fn apigateway_asks_for_plain_json() {
        assert_eq!(
            wire_headers("apigateway"),
            &[("Accept", "application/json")]
        );
        assert!(wire_headers("lambda").is_empty());
    }

    #[test]
    fn route53_ids_lose_their_prefix() {
        let route53 = model("route53");
        let op = route53.operation("GetHostedZone").unwrap();
        let input = wire_input("route53", &route53, op, &json!({"Id": "/hostedzone/Z123"}));
        assert_eq!(input, json!({"Id": "Z123"}));
        let op = route53.operation("GetChange").unwrap();
        assert_eq!(
            wire_input("route53", &route53, op, &json!({"Id": "/change/C9"})),
            json!({"Id": "C9"})
        );
        let sqs = model("sqs");
        let op = sqs.operation("GetQueueUrl").unwrap();
        let input = json!({"QueueName": "/hostedzone/x"});
        assert_eq!(wire_input("sqs", &sqs, op, &input), input);
    }
}
