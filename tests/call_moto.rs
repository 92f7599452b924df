//! Live round trips of the model-driven client against the moto emulator, one or more per
//! protocol family: s3 (rest-xml), sqs (json, query-compatible), dynamodb (json), lambda
//! (rest-json), sns and iam (query; iam is global), ec2 (ec2), ssm and logs (json), plus a
//! modelled error, a paginated call and a waiter.
//!
//! Needs a running emulator: `eval "$(scripts/emulator.sh start)"` exports `AWS_ENDPOINT_URL`
//! and test credentials. These tests FAIL, not skip, when `AWS_ENDPOINT_URL` is unset.

use std::sync::Arc;

use aws_config::BehaviorVersion;
use base64::Engine;
use gapfill::aws::error::CallError;
use gapfill::aws::invoke::Client;
use gapfill::aws::paginate::{paginate, PaginatorConfig};
use gapfill::aws::waiter::{wait, TokioSleeper, WaiterConfig};
use serde_json::{json, Value};

async fn client() -> Client {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        !endpoint.is_empty(),
        "AWS_ENDPOINT_URL is not set: start the emulator with `eval \"$(scripts/emulator.sh start)\"`"
    );
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    Client::new(&sdk)
        .expect("client")
        .endpoint_url(Some(endpoint))
}

/// A name no other test run uses.
fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

async fn call(client: &Client, target: &str, input: Value) -> Value {
    let (service, operation) = target.split_once(':').expect("service:Operation");
    client
        .call(service, operation, &input)
        .await
        .unwrap_or_else(|err| panic!("{target} failed: {err}"))
}

/// Object keys, sorted as S3 lists them; the last ones need percent-encoding and single-encoded
/// signing to survive.
const KEYS: [&str; 4] = ["a.txt", "dir/b.txt", "dir/c d.txt", "dir/e+f=%&\u{fc}.txt"];

#[tokio::test]
async fn s3_rest_xml_objects_round_trip_and_paginate() {
    let client = client().await;
    let bucket = unique("gapfill-s3");
    call(&client, "s3:CreateBucket", json!({"Bucket": bucket})).await;
    for key in KEYS {
        call(
            &client,
            "s3:PutObject",
            json!({"Bucket": bucket, "Key": key, "Body": format!("body of {key}"), "ContentType": "text/plain"}),
        )
        .await;
    }
    let object = call(
        &client,
        "s3:GetObject",
        json!({"Bucket": bucket, "Key": KEYS[3]}),
    )
    .await;
    let body = base64::engine::general_purpose::STANDARD
        .decode(object["Body"].as_str().expect("Body is base64"))
        .unwrap();
    assert_eq!(body, format!("body of {}", KEYS[3]).as_bytes());
    assert_eq!(object["ContentType"], "text/plain");

    // Paginated: one key per page, every page aggregated.
    let docs = client.service("s3").unwrap();
    let config =
        PaginatorConfig::find(docs.documents.paginators.as_ref(), "ListObjectsV2").unwrap();
    let pages = std::sync::atomic::AtomicUsize::new(0);
    let listing = paginate(
        &config,
        ("s3", "ListObjectsV2"),
        &json!({"Bucket": bucket, "MaxKeys": 1}),
        |input| {
            pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let client = &client;
            async move { client.call("s3", "ListObjectsV2", &input).await }
        },
    )
    .await
    .unwrap();
    let keys: Vec<&str> = listing["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| object["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, KEYS);
    assert!(pages.into_inner() >= KEYS.len());

    for key in KEYS {
        call(
            &client,
            "s3:DeleteObject",
            json!({"Bucket": bucket, "Key": key}),
        )
        .await;
    }
    call(&client, "s3:DeleteBucket", json!({"Bucket": bucket})).await;
    let err = client
        .call("s3", "HeadBucket", &json!({"Bucket": bucket}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Api(failure) if failure.status == 404),
        "{err}"
    );
}

#[tokio::test]
async fn sqs_json_query_compatible_and_modelled_error() {
    let client = client().await;
    let name = unique("gapfill-q");
    let created = call(
        &client,
        "sqs:CreateQueue",
        json!({"QueueName": name, "Attributes": {"VisibilityTimeout": "40"}}),
    )
    .await;
    let url = created["QueueUrl"].as_str().unwrap().to_string();
    assert!(url.ends_with(&name), "{url}");
    call(
        &client,
        "sqs:SendMessage",
        json!({"QueueUrl": url, "MessageBody": "hello"}),
    )
    .await;
    let received = call(
        &client,
        "sqs:ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 1}),
    )
    .await;
    assert_eq!(received["Messages"][0]["Body"], "hello");
    let attributes = call(
        &client,
        "sqs:GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["All"]}),
    )
    .await;
    assert_eq!(attributes["Attributes"]["VisibilityTimeout"], "40");

    let err = client
        .call(
            "sqs",
            "GetQueueUrl",
            &json!({"QueueName": unique("missing")}),
        )
        .await
        .unwrap_err();
    let code = err.code().unwrap_or_default().to_string();
    assert!(
        code == "AWS.SimpleQueueService.NonExistentQueue" || code == "QueueDoesNotExist",
        "unexpected error {err}"
    );
    call(&client, "sqs:DeleteQueue", json!({"QueueUrl": url})).await;
}

#[tokio::test]
async fn dynamodb_json_items_and_waiter() {
    let client = client().await;
    let table = unique("gapfill-t");
    call(
        &client,
        "dynamodb:CreateTable",
        json!({
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .await;
    let docs = client.service("dynamodb").unwrap();
    let waiter =
        WaiterConfig::find("dynamodb", docs.documents.waiters.as_ref(), "TableExists").unwrap();
    let described = wait(
        &waiter,
        &json!({"TableName": table}),
        &TokioSleeper,
        |input| {
            let client = &client;
            async move { client.call("dynamodb", "DescribeTable", &input).await }
        },
    )
    .await
    .unwrap();
    assert_eq!(described["Table"]["TableStatus"], "ACTIVE");
    call(
        &client,
        "dynamodb:PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": "k1"}, "n": {"N": "42"}, "b": {"B": "raw bytes"}}}),
    )
    .await;
    let item = call(
        &client,
        "dynamodb:GetItem",
        json!({"TableName": table, "Key": {"pk": {"S": "k1"}}}),
    )
    .await;
    assert_eq!(item["Item"]["n"]["N"], "42");
    assert_eq!(
        item["Item"]["b"]["B"],
        base64::engine::general_purpose::STANDARD.encode("raw bytes")
    );
    call(&client, "dynamodb:DeleteTable", json!({"TableName": table})).await;
}

#[tokio::test]
async fn lambda_rest_json_function_round_trip() {
    let client = client().await;
    let role = unique("gapfill-role");
    let role_arn = call(
        &client,
        "iam:CreateRole",
        json!({"RoleName": role, "AssumeRolePolicyDocument": assume_role_policy("lambda.amazonaws.com")}),
    )
    .await["Role"]["Arn"]
        .as_str()
        .unwrap()
        .to_string();
    let function = unique("gapfill-fn");
    let created = call(
        &client,
        "lambda:CreateFunction",
        json!({
            "FunctionName": function,
            "Runtime": "python3.12",
            "Role": role_arn,
            "Handler": "index.handler",
            "Code": {"ZipFile": minimal_zip()},
            "Environment": {"Variables": {"STAGE": "test"}},
            "Tags": {"owner": "gapfill"}
        }),
    )
    .await;
    assert_eq!(created["FunctionName"], function.as_str());
    let fetched = call(
        &client,
        "lambda:GetFunctionConfiguration",
        json!({"FunctionName": function}),
    )
    .await;
    assert_eq!(fetched["Environment"]["Variables"]["STAGE"], "test");
    call(
        &client,
        "lambda:PutFunctionConcurrency",
        json!({"FunctionName": function, "ReservedConcurrentExecutions": 3}),
    )
    .await;
    let concurrency = call(
        &client,
        "lambda:GetFunctionConcurrency",
        json!({"FunctionName": function}),
    )
    .await;
    assert_eq!(concurrency["ReservedConcurrentExecutions"], 3);
    call(
        &client,
        "lambda:DeleteFunction",
        json!({"FunctionName": function}),
    )
    .await;
    let err = client
        .call("lambda", "GetFunction", &json!({"FunctionName": function}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"), "{err}");
}

#[tokio::test]
async fn sns_and_iam_query_protocol() {
    let client = client().await;
    let topic = unique("gapfill-topic");
    let arn = call(
        &client,
        "sns:CreateTopic",
        json!({"Name": topic, "Attributes": {"DisplayName": "Gap"}}),
    )
    .await["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    let attributes = call(&client, "sns:GetTopicAttributes", json!({"TopicArn": arn})).await;
    assert_eq!(attributes["Attributes"]["DisplayName"], "Gap");
    let published = call(
        &client,
        "sns:Publish",
        json!({"TopicArn": arn, "Message": "hi"}),
    )
    .await;
    assert!(published["MessageId"].is_string());
    call(&client, "sns:DeleteTopic", json!({"TopicArn": arn})).await;

    let role = unique("gapfill-iam");
    call(
        &client,
        "iam:CreateRole",
        json!({"RoleName": role, "Path": "/gapfill/", "AssumeRolePolicyDocument": assume_role_policy("ec2.amazonaws.com"),
               "Tags": [{"Key": "k", "Value": "v"}]}),
    )
    .await;
    let fetched = call(&client, "iam:GetRole", json!({"RoleName": role})).await;
    assert_eq!(fetched["Role"]["Path"], "/gapfill/");
    assert!(fetched["Role"]["CreateDate"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let listed = call(&client, "iam:ListRoles", json!({"PathPrefix": "/gapfill/"})).await;
    assert!(listed["Roles"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["RoleName"] == role.as_str()));
    call(&client, "iam:DeleteRole", json!({"RoleName": role})).await;
    let err = client
        .call("iam", "GetRole", &json!({"RoleName": role}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchEntity"), "{err}");
}

#[tokio::test]
async fn ec2_protocol_vpc_round_trip() {
    let client = client().await;
    let vpc = call(
        &client,
        "ec2:CreateVpc",
        json!({"CidrBlock": "10.42.0.0/16"}),
    )
    .await;
    let vpc_id = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
    let name = unique("gapfill-vpc");
    call(
        &client,
        "ec2:CreateTags",
        json!({"Resources": [vpc_id], "Tags": [{"Key": "Name", "Value": name}]}),
    )
    .await;
    let found = call(
        &client,
        "ec2:DescribeVpcs",
        json!({"Filters": [{"Name": "tag:Name", "Values": [name]}]}),
    )
    .await;
    let vpcs = found["Vpcs"].as_array().unwrap();
    assert_eq!(vpcs.len(), 1);
    assert_eq!(vpcs[0]["CidrBlock"], "10.42.0.0/16");
    call(&client, "ec2:DeleteVpc", json!({"VpcId": vpc_id})).await;
}

#[tokio::test]
async fn ssm_and_logs_json_protocol() {
    let client = client().await;
    let name = format!("/gapfill/{}", unique("param"));
    call(
        &client,
        "ssm:PutParameter",
        json!({"Name": name, "Value": "v1", "Type": "String"}),
    )
    .await;
    let parameter = call(&client, "ssm:GetParameter", json!({"Name": name})).await;
    assert_eq!(parameter["Parameter"]["Value"], "v1");
    assert_eq!(parameter["Parameter"]["Version"], 1);
    call(&client, "ssm:DeleteParameter", json!({"Name": name})).await;

    let group = format!("/gapfill/{}", unique("logs"));
    call(
        &client,
        "logs:CreateLogGroup",
        json!({"logGroupName": group, "tags": {"team": "gap"}}),
    )
    .await;
    call(
        &client,
        "logs:PutRetentionPolicy",
        json!({"logGroupName": group, "retentionInDays": 7}),
    )
    .await;
    let groups = call(
        &client,
        "logs:DescribeLogGroups",
        json!({"logGroupNamePrefix": group}),
    )
    .await;
    assert_eq!(groups["logGroups"][0]["retentionInDays"], 7);
    call(
        &client,
        "logs:DeleteLogGroup",
        json!({"logGroupName": group}),
    )
    .await;
}

#[tokio::test]
async fn assorted_services_and_customizations() {
    let client = client().await;
    let identity = call(&client, "sts:GetCallerIdentity", json!({})).await;
    assert!(identity["Account"].is_string());

    // route53 (rest-xml): the id from an output is accepted as input, as in botocore.
    let zone = call(
        &client,
        "route53:CreateHostedZone",
        json!({"Name": format!("{}.example.com", unique("zone")), "CallerReference": unique("ref")}),
    )
    .await;
    let id = zone["HostedZone"]["Id"].as_str().unwrap().to_string();
    assert!(id.starts_with("/hostedzone/"), "{id}");
    let fetched = call(&client, "route53:GetHostedZone", json!({"Id": id})).await;
    assert_eq!(fetched["HostedZone"]["Id"], id.as_str());
    call(&client, "route53:DeleteHostedZone", json!({"Id": id})).await;

    let secret = unique("gapfill-secret");
    call(
        &client,
        "secretsmanager:CreateSecret",
        json!({"Name": secret, "SecretString": "s3cr3t"}),
    )
    .await;
    let value = call(
        &client,
        "secretsmanager:GetSecretValue",
        json!({"SecretId": secret}),
    )
    .await;
    assert_eq!(value["SecretString"], "s3cr3t");
    call(
        &client,
        "secretsmanager:DeleteSecret",
        json!({"SecretId": secret, "ForceDeleteWithoutRecovery": true}),
    )
    .await;

    let namespace = unique("gapfill-ns");
    call(
        &client,
        "cloudwatch:PutMetricData",
        json!({"Namespace": namespace, "MetricData": [{"MetricName": "m", "Value": 1.5,
               "Timestamp": "2024-01-01T00:00:00Z", "Dimensions": [{"Name": "d", "Value": "v"}]}]}),
    )
    .await;
    let metrics = call(
        &client,
        "cloudwatch:ListMetrics",
        json!({"Namespace": namespace}),
    )
    .await;
    assert_eq!(metrics["Metrics"][0]["Dimensions"][0]["Value"], "v");
}

#[tokio::test]
async fn validation_errors_never_reach_the_emulator() {
    let client = client().await;
    let err = client
        .call("sqs", "CreateQueue", &json!({"QueueNme": "x"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("QueueName"), "{err}");
    let client = Arc::new(client);
    let err = client.call("sqs", "Nope", &json!({})).await.unwrap_err();
    assert!(matches!(err, CallError::UnknownOperation { .. }), "{err}");
}

fn assume_role_policy(service: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

/// An empty zip archive (just the end-of-central-directory record), as text: blobs are sent as
/// the UTF-8 bytes of a string, and these bytes are all ASCII-compatible.
fn minimal_zip() -> String {
    let mut bytes = b"PK\x05\x06".to_vec();
    bytes.extend_from_slice(&[0; 18]);
    String::from_utf8(bytes).expect("ascii")
}
