//! One retry budget for the run: the CloudFormation SDK client and the model-driven client
//! spend retries from the same quota, and one service cannot take all of it. Against a
//! scripted endpoint that throttles every call.

mod support;

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use gapfill::aws::invoke::Client;
use gapfill::aws::retry::{RetryPolicy, RetryQuota};
use gapfill::cloudformation::Cfn;
use gapfill::commands::session;
use serde_json::json;
use support::cfn_xml as xml;
use support::scripted::{Responder, Script};

/// Ten attempts a call, retried at once: only the budget limits the retries here.
fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            Credentials::for_tests(),
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(10)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(2)),
        )
        .build()
}

fn calls(responder: &Responder, action: &str) -> usize {
    responder
        .actions()
        .iter()
        .filter(|name| *name == action)
        .count()
}

#[tokio::test]
async fn both_clients_spend_one_budget_and_no_service_takes_all_of_it() {
    let responder = Responder::start(
        Script::new()
            .on("DescribeStacks", vec![xml::throttling()])
            .on("GetCallerIdentity", vec![xml::throttling()]),
    );
    let sdk = sdk_config(responder.url());
    // 40 tokens, 5 a retry: each service may hold 20 of them, 4 retries.
    let quota = Arc::new(RetryQuota::new(40));
    let cfn = Cfn::new(session::cloudformation(&sdk, &|_| None, Arc::clone(&quota)));
    let client = Client::new(&sdk)
        .expect("a client")
        .endpoint_url(Some(responder.url().to_string()))
        .ignore_endpoint_env()
        .retry_policy(RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        })
        .retry_quota(Arc::clone(&quota));

    let error = cfn.describe("app").await.expect_err("throttled throughout");
    assert_eq!(
        calls(&responder, "DescribeStacks"),
        5,
        "1 attempt + 4 retries"
    );
    assert_eq!(
        error.to_string(),
        "DescribeStacks failed: throttled (Throttling: Rate exceeded); not retried: the run's retry budget is spent (too many failures across the run)"
    );
    assert_eq!(quota.available(), 20, "CloudFormation holds its half");

    // STS is throttled too: it gets the other half, not more.
    let sts = client
        .call("sts", "GetCallerIdentity", &json!({}))
        .await
        .expect_err("throttled throughout");
    assert_eq!(calls(&responder, "GetCallerIdentity"), 5, "{sts}");
    assert_eq!(quota.available(), 0);

    // The budget is one: with it spent, CloudFormation gets no retry at all now.
    cfn.describe("app").await.expect_err("still throttled");
    assert_eq!(
        calls(&responder, "DescribeStacks"),
        6,
        "one attempt, no retry"
    );
}
