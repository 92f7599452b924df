//! `gapfill call service:Operation`: call any AWS API operation through the model-driven client
//! and print its output as pretty JSON.
//!
//! `--paginate` aggregates every page; `--wait-for WAITER` waits with one of the service's
//! waiters (after the call, with the input members the waiter's operation accepts; or instead
//! of the call when the waiter polls this very operation); `--query` filters the output with
//! JMESPath; `--dry-run` prints the request instead of sending it (secrets redacted);
//! `--skeleton` prints an input template.

use std::io::{Read, Write};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::aws::catalog::Catalog;
use crate::aws::error::CallError;
use crate::aws::invoke::{find_operation, Client};
use crate::aws::jmespath::search;
use crate::aws::operation::{call_with, CallOptions, OperationError};
use crate::aws::sensitive::sensitive_values;
use crate::aws::waiter::WaiterError;
use crate::cli::{CallArgs, GlobalArgs};
use crate::commands::{first_contact, session};
use crate::error::Error;
use crate::redact::Redactor;

/// Why `gapfill call` failed: the client's errors as they are, plus what only the command
/// knows about (its flags, its input and its output).
#[derive(Debug, thiserror::Error)]
pub enum CallCommandError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Waiter(#[from] WaiterError),
    /// The target is not `service:Operation`, or `--input` is not a JSON object (or an
    /// unreadable `@file`).
    #[error("bad input {origin}: {reason}")]
    Input { origin: String, reason: String },
    /// `--query` is not JMESPath that evaluates.
    #[error("bad query `{expression}`: {reason}")]
    Query { expression: String, reason: String },
    #[error("cannot write the output: {0}")]
    Output(String),
    /// Whoever read the output went away (a closed pipe): not an error for the user.
    #[error("the output was closed")]
    OutputClosed,
}

impl From<OperationError> for CallCommandError {
    fn from(error: OperationError) -> Self {
        match error {
            OperationError::Call(error) => CallCommandError::Call(error),
            OperationError::Waiter(error) => CallCommandError::Waiter(error),
        }
    }
}

impl From<CallCommandError> for Error {
    /// The command's message, with the hints that name its flags.
    fn from(error: CallCommandError) -> Error {
        match error {
            CallCommandError::OutputClosed => Error::BrokenPipe,
            CallCommandError::Call(CallError::NoEndpointRules { .. }) => {
                Error::new(error.to_string())
                    .hint("pass --endpoint-url URL, or set AWS_ENDPOINT_URL")
            }
            other => Error::new(other.to_string()),
        }
    }
}

/// `gapfill call`: the region and models from the project file when there is one, the call,
/// and its failures said as the other commands say them (an endpoint out of reach, refused
/// credentials, no region).
pub async fn command(
    global: &GlobalArgs,
    args: &CallArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let hints = session::project_hints(&global.project);
    // The project's secrets stay secret in `call` too: an AWS error may echo the input.
    for name in &hints.secrets {
        if let Some(value) = env(name) {
            redactor.add(&value);
        }
    }
    let sdk = session::load(global, hints.region.as_deref(), env).await?;
    let catalog = Arc::new(session::catalog(hints.models_dir, env));
    match run(args, &sdk, Arc::clone(&catalog), redactor, out).await {
        Ok(()) => Ok(crate::exit_code::SUCCESS),
        Err(CallCommandError::Call(error)) => {
            let mut origins = session::origins(global, hints.region.as_deref(), env, &sdk);
            origins.explicit_endpoint = args.endpoint_url.clone();
            Err(first_contact::call_failure(error, &catalog, &origins))
        }
        Err(other) => Err(Error::from(other)),
    }
}

/// Runs `gapfill call` with the product client.
pub async fn run(
    args: &CallArgs,
    sdk: &aws_config::SdkConfig,
    catalog: Arc<Catalog>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<(), CallCommandError> {
    let client = Client::new(sdk)?
        .catalog(catalog)
        .endpoint_url(args.endpoint_url.clone());
    run_with_client(args, &client, redactor, out).await
}

/// Runs `gapfill call` with a given client (tests pass one with a fake transport). Input
/// values in sensitive members (a parameter's value, a password) are masked from then on.
pub async fn run_with_client(
    args: &CallArgs,
    client: &Client,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<(), CallCommandError> {
    let (service, operation) = parse_target(&args.target)?;
    let loaded = client.service(service)?;
    // An unknown operation fails here, with suggestions, before any input is read.
    let op = find_operation(&loaded, service, operation)?;
    let output = if args.skeleton {
        op.input.as_ref().map_or_else(
            || Value::Object(Map::new()),
            |member| loaded.model.skeleton(&member.shape),
        )
    } else {
        let input = read_input(args.input.as_deref())?;
        if let Some(shape) = &op.input {
            for secret in sensitive_values(&loaded.model, &shape.shape, &input) {
                redactor.add(&secret);
            }
        }
        if args.dry_run {
            prepared_as_json(client, service, operation, &input).await?
        } else {
            let options = CallOptions {
                paginate: args.paginate,
                wait_for: args.wait_for.as_deref(),
            };
            call_with(client, service, operation, &input, &options).await?
        }
    };
    let output = match &args.query {
        Some(expression) => {
            search(expression, &output).map_err(|reason| CallCommandError::Query {
                expression: expression.clone(),
                reason,
            })?
        }
        None => output,
    };
    print_json(out, &output)
}

async fn prepared_as_json(
    client: &Client,
    service: &str,
    operation: &str,
    input: &Value,
) -> Result<Value, CallError> {
    let prepared = client.prepare(service, operation, input).await?;
    let headers: Map<String, Value> = prepared
        .headers
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    Ok(serde_json::json!({
        "method": prepared.method,
        "url": prepared.url,
        "headers": headers,
        "body": prepared.body,
        "signed": prepared.signed,
    }))
}

fn parse_target(target: &str) -> Result<(&str, &str), CallCommandError> {
    match target.split_once(':') {
        Some((service, operation)) if !service.is_empty() && !operation.is_empty() => {
            Ok((service, operation))
        }
        _ => Err(CallCommandError::Input {
            origin: format!("target `{target}`"),
            reason: "expected service:Operation, for example s3:ListBuckets".to_string(),
        }),
    }
}

/// `--input`: JSON text, `@path`, or `-` for stdin; absent means `{}`.
fn read_input(input: Option<&str>) -> Result<Value, CallCommandError> {
    let (origin, text) = match input {
        None => return Ok(Value::Object(Map::new())),
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|err| bad_input("from standard input", err))?;
            ("from standard input".to_string(), text)
        }
        Some(argument) => match argument.strip_prefix('@') {
            Some(path) => {
                let origin = format!("file {path}");
                let text = std::fs::read_to_string(path).map_err(|err| bad_input(&origin, err))?;
                (origin, text)
            }
            None => ("--input".to_string(), argument.to_string()),
        },
    };
    let value: Value = serde_json::from_str(&text).map_err(|err| bad_input(&origin, err))?;
    if !value.is_object() {
        return Err(bad_input(&origin, "the input must be a JSON object"));
    }
    Ok(value)
}

fn bad_input(origin: &str, reason: impl std::fmt::Display) -> CallCommandError {
    CallCommandError::Input {
        origin: origin.to_string(),
        reason: reason.to_string(),
    }
}

fn print_json(out: &mut dyn Write, value: &Value) -> Result<(), CallCommandError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|err| CallCommandError::Output(err.to_string()))?;
    writeln!(out, "{text}").map_err(|err| match err.kind() {
        std::io::ErrorKind::BrokenPipe => CallCommandError::OutputClosed,
        _ => CallCommandError::Output(err.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::invoke::testing::{client, response, FakeTransport};
    use clap::Parser;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        args: CallArgs,
    }

    fn args(argv: &[&str]) -> CallArgs {
        let mut full = vec!["call"];
        full.extend_from_slice(argv);
        Harness::try_parse_from(full).unwrap().args
    }

    async fn output_of(
        argv: &[&str],
        transport: Arc<FakeTransport>,
    ) -> Result<Value, CallCommandError> {
        let mut out = Vec::new();
        run_with_client(
            &args(argv),
            &client(transport),
            &Redactor::default(),
            &mut out,
        )
        .await?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    #[tokio::test]
    async fn calls_and_applies_the_query() {
        let transport = FakeTransport::answering(vec![response(
            200,
            &[],
            r#"{"QueueUrls":["https://q/1","https://q/2"]}"#,
        )]);
        let output = output_of(&["sqs:ListQueues", "--query", "QueueUrls[1]"], transport)
            .await
            .unwrap();
        assert_eq!(output, "https://q/2");
    }

    #[tokio::test]
    async fn paginates_through_the_client() {
        let transport = FakeTransport::answering(vec![
            response(200, &[], r#"{"QueueUrls":["a"],"NextToken":"t"}"#),
            response(200, &[], r#"{"QueueUrls":["b"]}"#),
        ]);
        let output = output_of(&["sqs:ListQueues", "--paginate"], transport.clone())
            .await
            .unwrap();
        assert_eq!(output, serde_json::json!({"QueueUrls": ["a", "b"]}));
        let second_body = String::from_utf8(transport.sent()[1].1.body.clone()).unwrap();
        assert!(second_body.contains("\"NextToken\":\"t\""), "{second_body}");
    }

    #[tokio::test]
    async fn waits_when_the_waiter_polls_the_operation() {
        let transport = FakeTransport::answering(vec![
            response(200, &[], r#"{"Table":{"TableStatus":"CREATING"}}"#),
            response(200, &[], r#"{"Table":{"TableStatus":"ACTIVE"}}"#),
        ]);
        // The waiter's 20 s delay would make this slow: pause tokio's clock and let it auto-advance.
        tokio::time::pause();
        let output = output_of(
            &[
                "dynamodb:DescribeTable",
                "--input",
                r#"{"TableName":"t"}"#,
                "--wait-for",
                "TableExists",
            ],
            transport.clone(),
        )
        .await
        .unwrap();
        assert_eq!(output["Table"]["TableStatus"], "ACTIVE");
        assert_eq!(transport.sent().len(), 2);
    }

    #[tokio::test]
    async fn dry_run_prints_the_redacted_request() {
        let transport = FakeTransport::answering(vec![]);
        let output = output_of(
            &[
                "sqs:GetQueueUrl",
                "--input",
                r#"{"QueueName":"q"}"#,
                "--dry-run",
            ],
            transport.clone(),
        )
        .await
        .unwrap();
        assert_eq!(output["method"], "POST");
        assert_eq!(output["url"], "https://sqs.us-west-2.amazonaws.com/");
        assert_eq!(
            output["headers"]["authorization"],
            crate::aws::sigv4::REDACTED
        );
        assert_eq!(output["body"], r#"{"QueueName":"q"}"#);
        assert!(transport.sent().is_empty(), "a dry run sends nothing");
    }

    #[tokio::test]
    async fn skeleton_lists_input_members() {
        let output = output_of(
            &["sqs:GetQueueUrl", "--skeleton"],
            FakeTransport::answering(vec![]),
        )
        .await
        .unwrap();
        assert!(output.get("QueueName").is_some(), "{output}");
    }

    #[tokio::test]
    async fn bad_target_input_and_paginator_are_errors() {
        let err = output_of(&["sqs-ListQueues"], FakeTransport::answering(vec![]))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("service:Operation"), "{err}");
        let err = output_of(
            &["sqs:ListQueues", "--input", "[1]"],
            FakeTransport::answering(vec![]),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("JSON object"), "{err}");
        let err = output_of(
            &["sqs:ListQueues", "--input", "@/nonexistent/x.json"],
            FakeTransport::answering(vec![]),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.json"), "{err}");
        let err = output_of(
            &[
                "sqs:GetQueueUrl",
                "--paginate",
                "--input",
                r#"{"QueueName":"q"}"#,
            ],
            FakeTransport::answering(vec![]),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, CallCommandError::Call(CallError::Paginate { .. })),
            "{err:?}"
        );
        let err = output_of(
            &["sqs:ListQueues", "--wait-for", "Nope"],
            FakeTransport::answering(vec![]),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("unknown waiter"), "{err}");
    }

    #[test]
    fn the_command_names_its_flags_the_client_does_not() {
        let no_rules = CallError::NoEndpointRules {
            service: "widgets".to_string(),
        };
        assert!(!no_rules.to_string().contains("--"), "{no_rules}");
        let error = Error::from(CallCommandError::from(no_rules));
        assert_eq!(
            error.to_string(),
            "error: the model of widgets has no endpoint rules: an endpoint URL must be given\n  \
             = hint: pass --endpoint-url URL, or set AWS_ENDPOINT_URL"
        );
        assert!(matches!(
            Error::from(CallCommandError::OutputClosed),
            Error::BrokenPipe
        ));
    }

    #[test]
    fn input_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, r#"{"A": 1}"#).unwrap();
        let value = read_input(Some(&format!("@{}", path.display()))).unwrap();
        assert_eq!(value, serde_json::json!({"A": 1}));
        assert_eq!(read_input(None).unwrap(), serde_json::json!({}));
    }
}
