//! One path for a call, above the request pipeline: an operation called once or page by page
//! (every page aggregated), then, when asked, a waiter. `gapfill call` and post-deploy steps
//! both go through [`call_with`], so a call behaves the same wherever it is written.
//!
//! A waiter that polls the very operation being called replaces the call (its last poll is
//! the output); any other waiter runs after the call, with the members of the call's input
//! its own operation accepts (`CreateTable`'s `TableName` for `TableExists`).

use serde_json::{Map, Value};

use crate::aws::error::CallError;
use crate::aws::invoke::{find_operation, Client, LoadedService};
use crate::aws::paginate::{paginate, PaginatorConfig};
use crate::aws::waiter::{wait, TokioSleeper, WaiterConfig, WaiterError};

/// Why a call with its options failed: the call itself (or a page of it), or the waiter.
/// The waiter's error wraps the call error that made it give up, never the other way round.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Waiter(#[from] WaiterError),
}

impl OperationError {
    /// The AWS error code, when the service answered the call with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            OperationError::Call(error) => error.code(),
            OperationError::Waiter(_) => None,
        }
    }
}

/// How to make a call beyond its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions<'a> {
    /// Fetch every page with the service's paginator and aggregate the results.
    pub paginate: bool,
    /// Wait with this waiter of the service (`TableExists`).
    pub wait_for: Option<&'a str>,
}

/// Calls `service:operation` with `input` as `options` say, and returns its output.
pub async fn call_with(
    client: &Client,
    service: &str,
    operation: &str,
    input: &Value,
    options: &CallOptions<'_>,
) -> Result<Value, OperationError> {
    if !options.paginate && options.wait_for.is_none() {
        return Ok(client.call(service, operation, input).await?);
    }
    let loaded = client.service(service)?;
    let waiter = match options.wait_for {
        Some(name) => Some(WaiterConfig::find(
            service,
            loaded.documents.waiters.as_ref(),
            name,
        )?),
        None => None,
    };
    if let Some(waiter) = waiter
        .as_ref()
        .filter(|waiter| waiter.operation == operation)
    {
        return wait_with(client, &loaded, service, waiter, input).await;
    }
    let output = if options.paginate {
        call_paginated(client, &loaded, service, operation, input).await?
    } else {
        client.call(service, operation, input).await?
    };
    if let Some(waiter) = &waiter {
        wait_with(client, &loaded, service, waiter, input).await?;
    }
    Ok(output)
}

/// Every page of `service:operation`, aggregated; an error when the service defines no
/// paginator for it.
pub async fn call_paginated(
    client: &Client,
    loaded: &LoadedService,
    service: &str,
    operation: &str,
    input: &Value,
) -> Result<Value, CallError> {
    let Some(config) = PaginatorConfig::find(loaded.documents.paginators.as_ref(), operation)
    else {
        return Err(CallError::Paginate {
            service: service.to_string(),
            operation: operation.to_string(),
            reason: "the service defines no paginator for it".to_string(),
        });
    };
    paginate(
        &config,
        (service, operation),
        input,
        |page_input| async move { client.call(service, operation, &page_input).await },
    )
    .await
}

/// Waits with `waiter`, passing the members of `input` its operation accepts; returns the
/// last poll's output.
pub async fn wait_with(
    client: &Client,
    loaded: &LoadedService,
    service: &str,
    waiter: &WaiterConfig,
    input: &Value,
) -> Result<Value, OperationError> {
    let waiter_input = input_for(loaded, service, &waiter.operation, input)?;
    let output = wait(
        waiter,
        &waiter_input,
        &TokioSleeper,
        |poll_input| async move { client.call(service, &waiter.operation, &poll_input).await },
    )
    .await?;
    Ok(output)
}

/// The members of `input` that `operation`'s input shape has.
pub fn input_for(
    loaded: &LoadedService,
    service: &str,
    operation: &str,
    input: &Value,
) -> Result<Value, CallError> {
    let op = find_operation(loaded, service, operation)?;
    let Some(shape) = op
        .input
        .as_ref()
        .and_then(|member| loaded.model.shape(&member.shape))
    else {
        return Ok(Value::Object(Map::new()));
    };
    let members = input
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| shape.member_named(name).is_some())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Ok(Value::Object(members))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::invoke::testing::{client, response, FakeTransport};
    use serde_json::json;

    const PAGINATE: CallOptions = CallOptions {
        paginate: true,
        wait_for: None,
    };

    #[tokio::test]
    async fn a_plain_call_sends_one_request() {
        let transport = FakeTransport::answering(vec![response(200, &[], r#"{"QueueUrls":[]}"#)]);
        let output = call_with(
            &client(transport.clone()),
            "sqs",
            "ListQueues",
            &json!({}),
            &CallOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(output, json!({"QueueUrls": []}));
        assert_eq!(transport.sent().len(), 1);
    }

    #[tokio::test]
    async fn paginates_with_the_services_paginator() {
        let transport = FakeTransport::answering(vec![
            response(200, &[], r#"{"QueueUrls":["a"],"NextToken":"t"}"#),
            response(200, &[], r#"{"QueueUrls":["b"]}"#),
        ]);
        let client = client(transport.clone());
        let output = call_with(&client, "sqs", "ListQueues", &json!({}), &PAGINATE)
            .await
            .unwrap();
        assert_eq!(output, json!({"QueueUrls": ["a", "b"]}));
        let second_body = String::from_utf8(transport.sent()[1].1.body.clone()).unwrap();
        assert!(second_body.contains("\"NextToken\":\"t\""), "{second_body}");
    }

    #[tokio::test]
    async fn an_operation_without_a_paginator_is_an_error() {
        let client = client(FakeTransport::answering(vec![]));
        let err = call_with(
            &client,
            "sqs",
            "GetQueueUrl",
            &json!({"QueueName": "q"}),
            &PAGINATE,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, OperationError::Call(CallError::Paginate { .. })),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_waiter_of_the_same_operation_replaces_the_call() {
        let transport = FakeTransport::answering(vec![
            response(200, &[], r#"{"Table":{"TableStatus":"CREATING"}}"#),
            response(200, &[], r#"{"Table":{"TableStatus":"ACTIVE"}}"#),
        ]);
        // The waiter's 20 s delay would make this slow: pause tokio's clock and let it auto-advance.
        tokio::time::pause();
        let options = CallOptions {
            paginate: false,
            wait_for: Some("TableExists"),
        };
        let output = call_with(
            &client(transport.clone()),
            "dynamodb",
            "DescribeTable",
            &json!({"TableName": "t"}),
            &options,
        )
        .await
        .unwrap();
        assert_eq!(output["Table"]["TableStatus"], "ACTIVE");
        assert_eq!(transport.sent().len(), 2);
    }

    #[tokio::test]
    async fn another_waiter_follows_the_call_with_its_part_of_the_input() {
        let transport = FakeTransport::answering(vec![
            response(
                200,
                &[],
                r#"{"TableDescription":{"TableStatus":"CREATING"}}"#,
            ),
            response(200, &[], r#"{"Table":{"TableStatus":"ACTIVE"}}"#),
        ]);
        let input = json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]});
        let options = CallOptions {
            paginate: false,
            wait_for: Some("TableExists"),
        };
        let output = call_with(
            &client(transport.clone()),
            "dynamodb",
            "CreateTable",
            &input,
            &options,
        )
        .await
        .unwrap();
        assert_eq!(
            output["TableDescription"]["TableStatus"], "CREATING",
            "the call's own output"
        );
        let sent = transport.sent();
        assert_eq!(
            sent[1].1.header("X-Amz-Target"),
            Some("DynamoDB_20120810.DescribeTable")
        );
        assert_eq!(
            String::from_utf8_lossy(&sent[1].1.body),
            r#"{"TableName":"t"}"#
        );
    }

    #[tokio::test]
    async fn an_unknown_waiter_is_an_error_before_any_call() {
        let transport = FakeTransport::answering(vec![]);
        let options = CallOptions {
            paginate: false,
            wait_for: Some("Nope"),
        };
        let err = call_with(
            &client(transport.clone()),
            "sqs",
            "ListQueues",
            &json!({}),
            &options,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, OperationError::Waiter(WaiterError::Unknown { .. })),
            "{err:?}"
        );
        assert!(err.to_string().contains("unknown waiter"), "{err}");
        assert!(transport.sent().is_empty());
    }
}
