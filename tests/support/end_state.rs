//! The emulator's state as the AWS API tells it, read with `gapfill call` straight from the
//! emulator (never through a test's proxy), as one JSON value so two runs' end states compare
//! with `assert_eq!`: every live stack by name (how many of that name, status, parameters,
//! outputs, tags), the change sets gapfill made that were not executed, and settings read back.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::example::call;
use super::project::TempProject;

/// The stacks whose name starts with `prefix` (all when empty), and their pending change sets.
pub fn stacks(project: &TempProject, endpoint: &str, prefix: &str) -> Value {
    let described = call(
        project,
        endpoint,
        "cloudformation:DescribeStacks",
        json!({}),
    );
    let mut by_name: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for stack in described["Stacks"].as_array().cloned().unwrap_or_default() {
        let name = stack["StackName"].as_str().unwrap_or_default().to_string();
        let live = stack["StackStatus"] != "DELETE_COMPLETE";
        if name.starts_with(prefix) && live {
            by_name.entry(name).or_default().push(stack);
        }
    }
    let mut state = serde_json::Map::new();
    for (name, found) in by_name {
        let pending = pending_change_sets(project, endpoint, &name);
        let described: Vec<Value> = found.iter().map(describe).collect();
        state.insert(
            name,
            json!({"live": found.len(), "stacks": described, "pending_change_sets": pending}),
        );
    }
    Value::Object(state)
}

/// What a stack is, without what differs between two clean runs (ids, times).
fn describe(stack: &Value) -> Value {
    let pairs = |list: &Value, key: &str, value: &str| -> BTreeMap<String, Value> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                (
                    item[key].as_str().unwrap_or_default().to_string(),
                    item[value].clone(),
                )
            })
            .collect()
    };
    json!({
        "status": stack["StackStatus"],
        "parameters": pairs(&stack["Parameters"], "ParameterKey", "ParameterValue"),
        "outputs": pairs(&stack["Outputs"], "OutputKey", "OutputValue")
            .into_iter()
            .map(|(key, value)| (key, generated_suffix_hidden(value)))
            .collect::<BTreeMap<_, _>>(),
        "tags": pairs(&stack["Tags"], "Key", "Value"),
    })
}

/// A name CloudFormation generated (`STACK-LogicalId-RANDOM12CHR`) with its random part
/// written `<generated>`: two clean runs differ there.
fn generated_suffix_hidden(value: Value) -> Value {
    let Some(text) = value.as_str() else {
        return value;
    };
    match text.rsplit_once('-') {
        Some((stem, suffix))
            if suffix.len() == 12
                && suffix.chars().any(|c| c.is_ascii_uppercase())
                && suffix
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) =>
        {
            Value::String(format!("{stem}-<generated>"))
        }
        _ => value,
    }
}

/// The names of `gapfill-*` change sets of the live stack(s) named `stack` that were never
/// executed and would still be there on AWS: what a run left behind.
pub fn pending_change_sets(project: &TempProject, endpoint: &str, stack: &str) -> Vec<String> {
    let described = call(
        project,
        endpoint,
        "cloudformation:DescribeStacks",
        json!({}),
    );
    let live: Vec<Value> = described["Stacks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["StackName"] == stack && s["StackStatus"] != "DELETE_COMPLETE")
        .map(|s| s["StackId"].clone())
        .collect();
    let listed = call(
        project,
        endpoint,
        "cloudformation:ListChangeSets",
        json!({"StackName": stack}),
    );
    let summaries: Vec<&Value> = listed["Summaries"]
        .as_array()
        .into_iter()
        .flatten()
        // Only the live stack's: a deleted stack's change sets went with it.
        .filter(|summary| live.contains(&summary["StackId"]))
        .collect();
    // AWS deletes a stack's other change sets when one is executed; moto keeps them. So a
    // change set older than the last one executed is gone on AWS: not pending.
    let last_executed = summaries
        .iter()
        .filter(|summary| summary["ExecutionStatus"] == "EXECUTE_COMPLETE")
        .filter_map(|summary| summary["CreationTime"].as_str())
        .max()
        .unwrap_or_default()
        .to_string();
    summaries
        .into_iter()
        .filter(|summary| {
            summary["CreationTime"]
                .as_str()
                .is_some_and(|created| created > last_executed.as_str())
                && summary["ChangeSetName"]
                    .as_str()
                    .is_some_and(|name| name.starts_with("gapfill-"))
                && summary["ExecutionStatus"] != "EXECUTE_COMPLETE"
        })
        .map(|summary| {
            format!(
                "{} ({}, {})",
                summary["ChangeSetName"].as_str().unwrap_or_default(),
                summary["Status"].as_str().unwrap_or_default(),
                summary["ExecutionStatus"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// The example project's end state: its stacks, and every setting its steps applied read back.
pub fn example(project: &TempProject, endpoint: &str) -> Value {
    let read = |operation: &str, input: Value| call(project, endpoint, operation, input);
    let table = "catalog-products-demo";
    let importer = "catalog-importer-demo";
    let queue_url = read(
        "sqs:GetQueueUrl",
        json!({"QueueName": "catalog-import-demo"}),
    )["QueueUrl"]
        .clone();
    let parameter = read(
        "ssm:GetParameter",
        json!({"Name": "/catalog/demo/api-token", "WithDecryption": true}),
    );
    let log_groups = read(
        "logs:DescribeLogGroups",
        json!({"logGroupNamePrefix": format!("/aws/lambda/{importer}")}),
    );
    let log_groups: Vec<Value> = log_groups["logGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|group| json!([group["logGroupName"], group["retentionInDays"]]))
        .collect();
    let items = read("dynamodb:Scan", json!({"TableName": table}));
    json!({
        "stacks": stacks(project, endpoint, "catalog-"),
        "ebs_encryption": read("ec2:GetEbsEncryptionByDefault", json!({}))["EbsEncryptionByDefault"],
        "api_token": {
            "type": parameter["Parameter"]["Type"],
            // The secret itself is compared, never printed.
            "holds_the_token": parameter["Parameter"]["Value"] == super::example::TOKEN,
        },
        "feed_versioning": read(
            "s3:GetBucketVersioning",
            json!({"Bucket": "catalog-feed-demo-123456789012"}),
        )["Status"],
        "table_ttl": read("dynamodb:DescribeTimeToLive", json!({"TableName": table}))
            ["TimeToLiveDescription"],
        "queue_wait": read(
            "sqs:GetQueueAttributes",
            json!({"QueueUrl": queue_url, "AttributeNames": ["ReceiveMessageWaitTimeSeconds"]}),
        )["Attributes"],
        "table_items": items["Count"],
        "concurrency": read("lambda:GetFunctionConcurrency", json!({"FunctionName": importer}))
            ["ReservedConcurrentExecutions"],
        "log_groups": log_groups,
    })
}
