//! `gapfill call` end to end through the binary: one or more round trips per protocol family on
//! the moto emulator (s3 rest-xml, sqs and dynamodb json, lambda rest-json, sns and iam query,
//! ec2, ssm and logs json), `--paginate`, `--input @file` and `-`, `--dry-run`, `--skeleton`,
//! `--debug`, and the errors a user meets (unknown service or operation, invalid input, an AWS
//! error), asserting the parsed stdout JSON, the stderr text and the exit code.
//!
//! Needs `AWS_ENDPOINT_URL` (scripts/test.sh starts moto and exports it); fails, never skips,
//! without it. Every test uses its own uniquely named resources, so the tests share one
//! emulator and run in parallel. Calls that must not reach AWS go to a recording proxy that
//! proves zero requests were sent.

mod support;

use serde_json::{json, Value};
use support::project::TempProject;
use support::proxy::Proxy;
use support::run::{Gapfill, Output};

/// A secret access key no test output may contain.
const SECRET_KEY: &str = "h4SecretKeyValue0123456789abcdefSECRET";
/// A session token no test output may contain.
const SESSION_TOKEN: &str = "h4SessionTokenValue0123456789TOKEN";

/// The emulator's endpoint.
fn emulator() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: the end-to-end tests need the moto emulator. \
             Run scripts/test.sh, or `eval \"$(scripts/emulator.sh start)\"` before cargo test."
        ),
    }
}

/// A resource name unique to this run: `prefix` and a random suffix.
fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// `gapfill call ARGS` from an empty project directory, against `endpoint`.
fn call(endpoint: &str, args: &[&str]) -> Output {
    let dir = TempProject::new();
    call_in(&dir, endpoint, args)
}

fn call_in(dir: &TempProject, endpoint: &str, args: &[&str]) -> Output {
    let mut all = vec!["call"];
    all.extend_from_slice(args);
    Gapfill::new(dir.path(), endpoint, &all).run()
}

/// `gapfill call ARGS`, which must succeed; its stdout parsed as JSON.
fn call_ok(endpoint: &str, args: &[&str]) -> Value {
    let output = call(endpoint, args);
    output.assert_code(0);
    stdout_json(&output)
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); {output}"))
}

/// `gapfill call ARGS`, which must fail with exit code 1 and print nothing on stdout; its stderr.
fn call_fails(endpoint: &str, args: &[&str]) -> String {
    let output = call(endpoint, args);
    output.assert_code(1);
    assert!(
        output.stdout.is_empty(),
        "a failed call prints no output; {output}"
    );
    output.stderr
}

/// Runs `gapfill call ARGS` with `stdin` as its standard input.
fn call_with_stdin(endpoint: &str, args: &[&str], stdin: &str) -> Output {
    let dir = TempProject::new();
    let mut all = vec!["call"];
    all.extend_from_slice(args);
    Gapfill::new(dir.path(), endpoint, &all).stdin(stdin).run()
}

/// Asserts `text` contains every one of `parts`.
fn assert_contains_all(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} missing from:\n{text}");
    }
}

fn assume_role_policy(service: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

/// An empty zip archive (just the end-of-central-directory record), as text: blobs are given
/// as the UTF-8 bytes of a string, and these bytes are all ASCII.
fn minimal_zip() -> String {
    let mut bytes = b"PK\x05\x06".to_vec();
    bytes.extend_from_slice(&[0; 18]);
    String::from_utf8(bytes).expect("ascii bytes are UTF-8")
}

/// The strings of the JSON array `value`.
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|item| {
            item.as_str()
                .unwrap_or_else(|| panic!("not a string: {item}"))
        })
        .collect()
}

// ---- one round trip per protocol family ----

#[test]
fn s3_rest_xml_creates_a_bucket_and_lists_it_with_a_query() {
    let endpoint = emulator();
    let bucket = unique("gapfill-cli");
    let input = json!({"Bucket": bucket}).to_string();
    let created = call_ok(&endpoint, &["s3:CreateBucket", "--input", &input]);
    assert_eq!(created["Location"], format!("/{bucket}"), "{created}");

    let query = format!("Buckets[?Name=='{bucket}'].Name");
    let listed = call_ok(&endpoint, &["s3:ListBuckets", "--query", &query]);
    assert_eq!(listed, json!([bucket]));
}

#[test]
fn sqs_json_creates_a_queue_from_stdin_and_reads_its_attributes() {
    let endpoint = emulator();
    let name = unique("gapfill-cli-q");
    let input = json!({"QueueName": name, "Attributes": {"VisibilityTimeout": "41"}}).to_string();
    let output = call_with_stdin(&endpoint, &["sqs:CreateQueue", "--input", "-"], &input);
    output.assert_code(0);
    let url = stdout_json(&output)["QueueUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no QueueUrl; {output}"))
        .to_string();
    assert!(url.ends_with(&name), "{url}");

    let input = json!({"QueueUrl": url, "AttributeNames": ["All"]}).to_string();
    let timeout = call_ok(
        &endpoint,
        &[
            "sqs:GetQueueAttributes",
            "--input",
            &input,
            "--query",
            "Attributes.VisibilityTimeout",
        ],
    );
    assert_eq!(timeout, "41");
}

#[test]
fn dynamodb_json_creates_a_table_and_waits_until_it_exists() {
    let endpoint = emulator();
    let proxy = Proxy::forward_to(&endpoint);
    let table = unique("gapfill-cli-t");
    let input = json!({
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    })
    .to_string();
    let created = call_ok(
        proxy.url(),
        &[
            "dynamodb:CreateTable",
            "--input",
            &input,
            "--wait-for",
            "TableExists",
        ],
    );
    assert_eq!(created["TableDescription"]["TableName"], table.as_str());
    // The waiter polled DescribeTable after the create, and moto's tables are born ACTIVE.
    assert_eq!(proxy.actions(), ["CreateTable", "DescribeTable"]);

    let input = json!({"TableName": table}).to_string();
    let status = call_ok(
        &endpoint,
        &[
            "dynamodb:DescribeTable",
            "--input",
            &input,
            "--query",
            "Table.TableStatus",
        ],
    );
    assert_eq!(status, "ACTIVE");
}

#[test]
fn lambda_rest_json_creates_a_function_from_an_input_file() {
    let endpoint = emulator();
    let role = unique("gapfill-cli-role");
    let input = json!({"RoleName": role, "AssumeRolePolicyDocument": assume_role_policy("lambda.amazonaws.com")})
        .to_string();
    let role_arn = call_ok(
        &endpoint,
        &["iam:CreateRole", "--input", &input, "--query", "Role.Arn"],
    );
    let role_arn = role_arn.as_str().expect("the role ARN is a string");

    let function = unique("gapfill-cli-fn");
    let dir = TempProject::new();
    dir.write(
        "function.json",
        &serde_json::to_string_pretty(&json!({
            "FunctionName": function,
            "Runtime": "python3.12",
            "Role": role_arn,
            "Handler": "index.handler",
            "Code": {"ZipFile": minimal_zip()},
            "Environment": {"Variables": {"STAGE": "cli"}}
        }))
        .expect("serialize the input"),
    );
    let input_file = format!("@{}", dir.path().join("function.json").display());
    let output = call_in(
        &dir,
        &endpoint,
        &["lambda:CreateFunction", "--input", &input_file],
    );
    output.assert_code(0);
    assert_eq!(stdout_json(&output)["FunctionName"], function.as_str());

    let input = json!({"FunctionName": function}).to_string();
    let stage = call_ok(
        &endpoint,
        &[
            "lambda:GetFunctionConfiguration",
            "--input",
            &input,
            "--query",
            "Environment.Variables.STAGE",
        ],
    );
    assert_eq!(stage, "cli");
}

#[test]
fn input_file_relative_to_the_working_directory() {
    let endpoint = emulator();
    let dir = TempProject::new();
    let topic = unique("gapfill-cli-rel");
    dir.write("in/topic.json", &json!({"Name": topic}).to_string());
    let output = call_in(
        &dir,
        &endpoint,
        &["sns:CreateTopic", "--input", "@in/topic.json"],
    );
    output.assert_code(0);
    let arn = stdout_json(&output)["TopicArn"]
        .as_str()
        .map(str::to_string);
    assert!(
        arn.as_deref().is_some_and(|arn| arn.ends_with(&topic)),
        "{output}"
    );
}

#[test]
fn sns_query_creates_a_topic_and_reads_its_attributes() {
    let endpoint = emulator();
    let topic = unique("gapfill-cli-topic");
    let input = json!({"Name": topic, "Attributes": {"DisplayName": "Gap CLI"}}).to_string();
    let arn = call_ok(
        &endpoint,
        &["sns:CreateTopic", "--input", &input, "--query", "TopicArn"],
    );
    let arn = arn.as_str().expect("the topic ARN is a string");
    assert!(arn.starts_with("arn:aws:sns:us-east-1:"), "{arn}");

    let input = json!({"TopicArn": arn}).to_string();
    let attributes = call_ok(&endpoint, &["sns:GetTopicAttributes", "--input", &input]);
    assert_eq!(attributes["Attributes"]["DisplayName"], "Gap CLI");
    assert_eq!(attributes["Attributes"]["TopicArn"], arn);
}

#[test]
fn iam_query_creates_a_role_and_gets_it() {
    let endpoint = emulator();
    let role = unique("gapfill-cli-iam");
    let input = json!({"RoleName": role, "Path": "/gapfill-cli/",
        "AssumeRolePolicyDocument": assume_role_policy("ec2.amazonaws.com")})
    .to_string();
    call_ok(&endpoint, &["iam:CreateRole", "--input", &input]);

    let input = json!({"RoleName": role}).to_string();
    let fetched = call_ok(&endpoint, &["iam:GetRole", "--input", &input]);
    assert_eq!(fetched["Role"]["RoleName"], role.as_str());
    assert_eq!(fetched["Role"]["Path"], "/gapfill-cli/");
    let created = fetched["Role"]["CreateDate"].as_str().unwrap_or_default();
    assert!(
        created.ends_with('Z'),
        "timestamps print as UTC ISO 8601: {fetched}"
    );
}

#[test]
fn ec2_creates_a_tagged_vpc_and_finds_it_by_tag() {
    let endpoint = emulator();
    let vpc_id = call_ok(
        &endpoint,
        &[
            "ec2:CreateVpc",
            "--input",
            r#"{"CidrBlock": "10.43.0.0/16"}"#,
            "--query",
            "Vpc.VpcId",
        ],
    );
    let vpc_id = vpc_id.as_str().expect("the VPC id is a string").to_string();
    assert!(vpc_id.starts_with("vpc-"), "{vpc_id}");
    let name = unique("gapfill-cli-vpc");
    let input =
        json!({"Resources": [vpc_id], "Tags": [{"Key": "Name", "Value": name}]}).to_string();
    call_ok(&endpoint, &["ec2:CreateTags", "--input", &input]);

    let input = json!({"Filters": [{"Name": "tag:Name", "Values": [name]}]}).to_string();
    let found = call_ok(
        &endpoint,
        &[
            "ec2:DescribeVpcs",
            "--input",
            &input,
            "--query",
            "Vpcs[].[VpcId, CidrBlock]",
        ],
    );
    assert_eq!(found, json!([[vpc_id, "10.43.0.0/16"]]));
}

#[test]
fn ssm_secure_string_round_trips_with_decryption() {
    let endpoint = emulator();
    let name = format!("/gapfill-cli/{}", unique("secure"));
    let input = json!({"Name": name, "Value": "sup3r-s3cret", "Type": "SecureString"}).to_string();
    let put = call_ok(&endpoint, &["ssm:PutParameter", "--input", &input]);
    assert_eq!(put["Version"], 1, "{put}");

    let input = json!({"Name": name, "WithDecryption": true}).to_string();
    let parameter = call_ok(&endpoint, &["ssm:GetParameter", "--input", &input]);
    assert_eq!(parameter["Parameter"]["Name"], name.as_str());
    assert_eq!(parameter["Parameter"]["Type"], "SecureString");
    assert_eq!(parameter["Parameter"]["Value"], "sup3r-s3cret");
}

#[test]
fn logs_sets_a_retention_policy_and_describes_it() {
    let endpoint = emulator();
    let group = format!("/gapfill-cli/{}", unique("logs"));
    let input = json!({"logGroupName": group}).to_string();
    call_ok(&endpoint, &["logs:CreateLogGroup", "--input", &input]);
    let input = json!({"logGroupName": group, "retentionInDays": 14}).to_string();
    let put = call_ok(&endpoint, &["logs:PutRetentionPolicy", "--input", &input]);
    assert_eq!(put, json!({}), "an operation without output prints {{}}");

    let input = json!({"logGroupNamePrefix": group}).to_string();
    let groups = call_ok(
        &endpoint,
        &[
            "logs:DescribeLogGroups",
            "--input",
            &input,
            "--query",
            "logGroups[].[logGroupName, retentionInDays]",
        ],
    );
    assert_eq!(groups, json!([[group, 14]]));
}

// ---- --paginate ----

#[test]
fn paginate_aggregates_every_s3_page() {
    let endpoint = emulator();
    let bucket = unique("gapfill-cli-pages");
    call_ok(
        &endpoint,
        &[
            "s3:CreateBucket",
            "--input",
            &json!({"Bucket": bucket}).to_string(),
        ],
    );
    let keys = ["a.txt", "b/c.txt", "b/d e.txt"];
    for key in keys {
        let input = json!({"Bucket": bucket, "Key": key, "Body": format!("body of {key}")});
        call_ok(&endpoint, &["s3:PutObject", "--input", &input.to_string()]);
    }

    let proxy = Proxy::forward_to(&endpoint);
    let input = json!({"Bucket": bucket, "MaxKeys": 1}).to_string();
    let listed = call_ok(
        proxy.url(),
        &[
            "s3:ListObjectsV2",
            "--input",
            &input,
            "--paginate",
            "--query",
            "Contents[].Key",
        ],
    );
    assert_eq!(strings(&listed), keys);
    assert!(
        proxy.requests().len() >= keys.len(),
        "one key per page: {} requests",
        proxy.requests().len()
    );

    // Without --paginate, the first page only.
    let first = call_ok(
        &endpoint,
        &[
            "s3:ListObjectsV2",
            "--input",
            &input,
            "--query",
            "Contents[].Key",
        ],
    );
    assert_eq!(strings(&first), ["a.txt"]);
}

#[test]
fn paginate_aggregates_every_sqs_page() {
    let endpoint = emulator();
    let prefix = unique("gapfill-cli-pq");
    let mut expected = Vec::new();
    for n in 1..=3 {
        let input = json!({"QueueName": format!("{prefix}-{n}")}).to_string();
        let url = call_ok(
            &endpoint,
            &["sqs:CreateQueue", "--input", &input, "--query", "QueueUrl"],
        );
        expected.push(url.as_str().expect("a queue URL").to_string());
    }

    let proxy = Proxy::forward_to(&endpoint);
    let input = json!({"QueueNamePrefix": prefix, "MaxResults": 1}).to_string();
    let listed = call_ok(
        proxy.url(),
        &[
            "sqs:ListQueues",
            "--input",
            &input,
            "--paginate",
            "--query",
            "QueueUrls",
        ],
    );
    let mut names: Vec<String> = strings(&listed)
        .iter()
        .map(|url| url.rsplit('/').next().unwrap_or(url).to_string())
        .collect();
    names.sort();
    let mut expected_names: Vec<String> = expected
        .iter()
        .map(|url| url.rsplit('/').next().unwrap_or(url).to_string())
        .collect();
    expected_names.sort();
    assert_eq!(names, expected_names);
    let pages = proxy
        .actions()
        .iter()
        .filter(|action| *action == "ListQueues")
        .count();
    assert!(pages >= 3, "one queue per page: {:?}", proxy.actions());
}

// ---- --dry-run and --skeleton ----

#[test]
fn dry_run_prints_the_redacted_request_and_sends_nothing() {
    let recorder = Proxy::recorder();
    let dir = TempProject::new();
    let output = Gapfill::new(
        dir.path(),
        recorder.url(),
        &[
            "call",
            "sqs:CreateQueue",
            "--input",
            r#"{"QueueName": "dry-run-queue"}"#,
            "--dry-run",
        ],
    )
    .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
    .run();

    output.assert_code(0);
    let request = stdout_json(&output);
    for member in ["method", "url", "headers", "body"] {
        assert!(request.get(member).is_some(), "no {member}; {output}");
    }
    assert_eq!(request["method"], "POST");
    assert!(
        request["url"]
            .as_str()
            .is_some_and(|url| url.starts_with(recorder.url())),
        "{output}"
    );
    let body: Value = serde_json::from_str(request["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the body is JSON ({e}); {output}"));
    assert_eq!(body, json!({"QueueName": "dry-run-queue"}));
    let header = |name: &str| {
        request["headers"]
            .as_object()
            .and_then(|headers| {
                headers
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
            })
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("no {name} header; {output}"))
    };
    assert_eq!(header("X-Amz-Target"), "AmazonSQS.CreateQueue");
    assert_eq!(header("Authorization"), "<redacted>");
    assert_eq!(header("X-Amz-Security-Token"), "<redacted>");
    for secret in [SECRET_KEY, SESSION_TOKEN] {
        assert!(
            !output.stdout.contains(secret),
            "secret in stdout; {output}"
        );
        assert!(
            !output.stderr.contains(secret),
            "secret in stderr; {output}"
        );
    }
    assert!(recorder.requests().is_empty(), "a dry run sends nothing");
}

#[test]
fn skeleton_prints_an_input_template_with_the_required_members() {
    let recorder = Proxy::recorder();
    let skeleton = call_ok(recorder.url(), &["dynamodb:CreateTable", "--skeleton"]);
    for member in ["TableName", "KeySchema", "AttributeDefinitions"] {
        assert!(skeleton.get(member).is_some(), "no {member} in {skeleton}");
    }
    assert!(
        skeleton["KeySchema"].is_array(),
        "a list member is a list: {skeleton}"
    );
    let skeleton = call_ok(recorder.url(), &["sqs:GetQueueUrl", "--skeleton"]);
    assert!(skeleton.get("QueueName").is_some(), "{skeleton}");
    assert!(
        recorder.requests().is_empty(),
        "a skeleton is made without AWS"
    );
}

// ---- errors ----

#[test]
fn unknown_service_suggests_the_closest_name_and_sends_nothing() {
    let recorder = Proxy::recorder();
    let stderr = call_fails(recorder.url(), &["sqss:ListQueues"]);
    assert_contains_all(&stderr, &["unknown service `sqss`", "did you mean", "sqs"]);
    assert!(recorder.requests().is_empty());
}

#[test]
fn unknown_operation_suggests_the_closest_name_and_sends_nothing() {
    let recorder = Proxy::recorder();
    let stderr = call_fails(recorder.url(), &["sqs:ListQueue"]);
    assert_contains_all(
        &stderr,
        &[
            "unknown operation `ListQueue` of sqs",
            "did you mean",
            "ListQueues",
        ],
    );
    assert!(recorder.requests().is_empty());
}

#[test]
fn a_missing_required_member_is_refused_before_sending() {
    let recorder = Proxy::recorder();
    let stderr = call_fails(recorder.url(), &["sqs:CreateQueue", "--input", "{}"]);
    assert_contains_all(
        &stderr,
        &[
            "invalid input for sqs:CreateQueue",
            "missing required member \"QueueName\"",
        ],
    );
    assert!(recorder.requests().is_empty());
}

#[test]
fn an_unknown_member_is_refused_with_a_suggestion() {
    let recorder = Proxy::recorder();
    let stderr = call_fails(
        recorder.url(),
        &["sqs:CreateQueue", "--input", r#"{"QueueNme": "q"}"#],
    );
    assert_contains_all(
        &stderr,
        &["unknown member \"QueueNme\"", "did you mean \"QueueName\"?"],
    );
    assert!(recorder.requests().is_empty());
}

#[test]
fn a_wrong_type_is_refused_with_the_path_and_types() {
    let recorder = Proxy::recorder();
    let stderr = call_fails(
        recorder.url(),
        &[
            "dynamodb:CreateTable",
            "--input",
            r#"{"TableName": "t", "KeySchema": {"AttributeName": "pk"}, "AttributeDefinitions": []}"#,
        ],
    );
    assert_contains_all(&stderr, &["invalid type for KeySchema", "expected"]);
    let stderr = call_fails(
        recorder.url(),
        &["sqs:CreateQueue", "--input", r#"{"QueueName": 5}"#],
    );
    assert_contains_all(&stderr, &["invalid type for QueueName", "expected"]);
    assert!(recorder.requests().is_empty());
}

#[test]
fn input_that_is_not_json_is_refused_before_sending() {
    let recorder = Proxy::recorder();
    let stderr = call_fails(
        recorder.url(),
        &["sqs:CreateQueue", "--input", "{QueueName: q}"],
    );
    assert_contains_all(&stderr, &["bad input --input"]);
    let output = call_with_stdin(recorder.url(), &["sqs:ListQueues", "--input", "-"], "[1]");
    output.assert_code(1);
    assert_contains_all(
        &output.stderr,
        &["from standard input", "must be a JSON object"],
    );
    let stderr = call_fails(
        recorder.url(),
        &[
            "sqs:ListQueues",
            "--input",
            "@/nonexistent/gapfill-input.json",
        ],
    );
    assert_contains_all(&stderr, &["/nonexistent/gapfill-input.json"]);
    assert!(recorder.requests().is_empty());
}

#[test]
fn a_modelled_aws_error_exits_1_with_its_code_and_message() {
    let endpoint = emulator();
    let input = json!({"QueueName": unique("gapfill-cli-missing")}).to_string();
    let stderr = call_fails(&endpoint, &["sqs:GetQueueUrl", "--input", &input]);
    assert!(stderr.contains("sqs:GetQueueUrl failed: "), "{stderr}");
    assert!(
        stderr.contains("AWS.SimpleQueueService.NonExistentQueue")
            || stderr.contains("QueueDoesNotExist"),
        "the AWS code: {stderr}"
    );
    assert!(
        stderr.contains("does not exist"),
        "the AWS message: {stderr}"
    );
}

#[test]
fn a_usage_error_exits_1() {
    let recorder = Proxy::recorder();
    let stderr = call_fails(recorder.url(), &["sqs:ListQueues", "--no-such-flag"]);
    assert!(stderr.contains("--no-such-flag"), "{stderr}");
    let stderr = call_fails(recorder.url(), &["sqs-ListQueues"]);
    assert!(stderr.contains("service:Operation"), "{stderr}");
    assert!(recorder.requests().is_empty());
}

// ---- --debug ----

/// `gapfill ARGS` with a distinctive secret key and session token, and `log` as `GAPFILL_LOG`
/// when given; must succeed.
fn run_with_secrets(endpoint: &str, args: &[&str], log: Option<&str>) -> Output {
    let dir = TempProject::new();
    let mut gapfill = Gapfill::new(dir.path(), endpoint, args)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN);
    if let Some(log) = log {
        gapfill = gapfill.env("GAPFILL_LOG", log);
    }
    let output = gapfill.run();
    output.assert_code(0);
    output
}

fn assert_no_credentials(output: &Output) {
    for secret in [SECRET_KEY, SESSION_TOKEN] {
        assert!(
            !output.stdout.contains(secret),
            "secret in stdout; {output}"
        );
        assert!(
            !output.stderr.contains(secret),
            "secret in stderr; {output}"
        );
    }
}

#[test]
fn debug_logging_never_prints_the_secret_key_or_session_token() {
    let endpoint = emulator();
    let name = format!("/gapfill-cli/{}", unique("debug"));
    let input = json!({"Name": name, "Value": "debug-s3cret", "Type": "SecureString"}).to_string();
    let args = ["--debug", "call", "ssm:PutParameter", "--input", &input];

    let output = run_with_secrets(&endpoint, &args, None);
    assert_eq!(stdout_json(&output)["Version"], 1, "{output}");
    assert_contains_all(
        &output.stderr,
        &[
            "DEBUG",
            "PutParameter",
            "endpoint resolved",
            "response received",
        ],
    );
    assert_no_credentials(&output);

    // Every crate's trace logs too (signing, credentials, http): still no secret.
    let overwrite = json!({"Name": name, "Value": "debug-s3cret-2", "Type": "SecureString",
        "Overwrite": true})
    .to_string();
    let args = ["--debug", "call", "ssm:PutParameter", "--input", &overwrite];
    let output = run_with_secrets(&endpoint, &args, Some("trace"));
    assert_eq!(stdout_json(&output)["Version"], 2, "{output}");
    assert!(
        output.stderr.contains("TRACE"),
        "GAPFILL_LOG=trace logs at trace level; {output}"
    );
    assert_no_credentials(&output);
}

#[test]
fn debug_logs_on_a_pipe_are_plain_text_without_colour_codes() {
    let recorder = Proxy::recorder();
    let output = run_with_secrets(
        recorder.url(),
        &[
            "--debug",
            "call",
            "sqs:GetQueueUrl",
            "--input",
            r#"{"QueueName": "q"}"#,
            "--dry-run",
        ],
        None,
    );
    assert!(output.stderr.contains("DEBUG"), "{output}");
    assert!(
        !output.stderr.contains('\u{1b}'),
        "stderr is a pipe (CI), yet the logs carry ANSI escape codes:\n{:?}",
        output.stderr
    );
}
