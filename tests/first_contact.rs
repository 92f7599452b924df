//! First contact with AWS, as a new user meets it: an endpoint that cannot be reached
//! (refused, DNS, TLS, no answer, a proxy in the way), credentials missing, expired, unknown or
//! badly signed, access denied, no region, and a call that keeps being throttled. Each case
//! pins the exact message, the exit code (1), and how many requests were sent; a run that
//! cannot connect fails within seconds (the bounds here are hang guards, not speed targets).

mod support;

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use support::cfn_xml::{self as xml, EventLog, Stack};
use support::project::TempProject;
use support::run::{Gapfill, Output};
use support::scripted::{Responder, Script};

/// An endpoint where nothing listens: a port bound, then closed.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// An endpoint that accepts connections and never answers.
fn silent_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// An endpoint that answers every connection with plain HTTP at once, whatever was sent.
fn plain_http_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// `gapfill ARGS` in a copy of `scripted-one`, against `endpoint`, timed.
fn run(endpoint: &str, args: &[&str]) -> (Output, Duration) {
    let project = TempProject::from_fixture("scripted-one");
    run_in(&project, Gapfill::new(project.path(), endpoint, args))
}

fn run_in(_project: &TempProject, gapfill: Gapfill) -> (Output, Duration) {
    let started = Instant::now();
    let output = gapfill.run();
    (output, started.elapsed())
}

/// Asserts a run that stopped at first contact: exit 1, nothing on stdout, `stderr` exactly.
fn assert_stopped(output: &Output, stderr: &str) {
    output.assert_code(1);
    assert_eq!(output.stderr, stderr, "{output}");
    assert!(output.stdout.is_empty(), "no run may start; {output}");
}

const ENDPOINT_HINT: &str = "  = hint: the endpoint comes from AWS_ENDPOINT_URL: check it, and that the service it points at is running; unset it to reach AWS itself\n";

#[test]
fn a_closed_port_fails_every_project_command_within_seconds_naming_endpoint_and_cause() {
    let endpoint = closed_port();
    let expected = format!(
        "error: cannot reach CloudFormation at {endpoint}: connection refused (nothing is listening there)\n{ENDPOINT_HINT}"
    );
    for args in [
        &["deploy", "--format", "plain"][..],
        &["plan", "--format", "plain"][..],
        &["drift", "--format", "plain"][..],
        &["outputs"][..],
    ] {
        let (output, took) = run(&endpoint, args);
        assert_stopped(&output, &expected);
        assert!(
            took < Duration::from_secs(10),
            "{args:?} took {took:?}: no retries at first contact"
        );
    }
}

#[test]
fn a_closed_port_fails_a_call_naming_the_service_and_endpoint() {
    let endpoint = closed_port();
    let (output, took) = run(&endpoint, &["call", "sqs:ListQueues"]);
    assert_stopped(
        &output,
        &format!("error: cannot reach sqs at {endpoint}: connection refused (nothing is listening there)\n{ENDPOINT_HINT}"),
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_host_that_does_not_resolve_is_named() {
    let (output, took) = run(
        "http://gapfill-first-contact.invalid",
        &["deploy", "--format", "plain"],
    );
    assert_stopped(
        &output,
        &format!("error: cannot reach CloudFormation at http://gapfill-first-contact.invalid: the host name does not resolve (DNS lookup failed)\n{ENDPOINT_HINT}"),
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn an_https_endpoint_that_speaks_plain_http_fails_the_tls_handshake() {
    let endpoint = plain_http_port().replace("http://", "https://");
    let (output, took) = run(&endpoint, &["deploy", "--format", "plain"]);
    output.assert_code(1);
    let first = output.stderr.lines().next().unwrap_or_default().to_string();
    assert!(
        first.starts_with(&format!(
            "error: cannot reach CloudFormation at {endpoint}: the TLS handshake failed ("
        )),
        "{output}"
    );
    assert!(
        output
            .stderr
            .ends_with("  = hint: an emulator on this machine usually speaks plain http://\n"),
        "{output}"
    );
    assert!(output.stdout.is_empty(), "{output}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn an_endpoint_that_never_answers_is_given_up_on_after_a_bounded_wait() {
    let endpoint = silent_port();
    let (output, took) = run(&endpoint, &["deploy", "--format", "plain"]);
    assert_stopped(
        &output,
        &format!("error: cannot reach CloudFormation at {endpoint}: connected, but no answer came in time\n{ENDPOINT_HINT}"),
    );
    assert!(
        took < Duration::from_secs(30),
        "a 10 s wait for the answer, once; took {took:?}"
    );
}

#[test]
fn a_proxy_that_refuses_is_named_as_the_way_to_the_endpoint() {
    let proxy = closed_port();
    let project = TempProject::from_fixture("scripted-one");
    let gapfill = Gapfill::new(project.path(), "", &["deploy", "--format", "plain"])
        .env_remove("AWS_ENDPOINT_URL")
        .env("HTTPS_PROXY", &proxy)
        .env("NO_PROXY", "");
    let (output, took) = run_in(&project, gapfill);
    assert_stopped(
        &output,
        &format!(
            "error: cannot reach CloudFormation at https://cloudformation.us-east-1.amazonaws.com through the proxy {proxy} (from HTTPS_PROXY): connection refused (nothing is listening there)\n  = hint: check the proxy, or list the host in NO_PROXY to bypass it\n"
        ),
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn no_credentials_anywhere_is_one_line_and_a_hint_without_sdk_log_lines() {
    let project = TempProject::from_fixture("scripted-one");
    // The instance metadata service is on, and answers with an error: the SDK's chain warns
    // about it with a debug dump, which only -v shows.
    let imds = Responder::start(Script::new());
    let gapfill = |args: &[&str]| {
        Gapfill::new(project.path(), &closed_port(), args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_EC2_METADATA_DISABLED")
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url())
    };
    let (output, took) = run_in(&project, gapfill(&["deploy", "--format", "plain"]));
    assert_stopped(
        &output,
        "error: no AWS credentials found\n  = hint: use a profile (--profile or AWS_PROFILE; `aws sso login` for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in CI, assume a role with OIDC\n",
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");

    let (verbose, _) = run_in(&project, gapfill(&["-v", "deploy", "--format", "plain"]));
    verbose.assert_code(1);
    assert!(
        verbose
            .stderr
            .contains("provider failed to provide credentials"),
        "-v shows the SDK's warnings; {verbose}"
    );
    assert!(
        verbose.stderr.ends_with(&output.stderr),
        "the same error after them; {verbose}"
    );
}

#[test]
fn a_named_profile_that_gives_no_credentials_is_named() {
    let (output, _) = {
        let project = TempProject::from_fixture("scripted-one");
        let gapfill = Gapfill::new(
            project.path(),
            &closed_port(),
            &["deploy", "--format", "plain", "--profile", "ci"],
        )
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
        run_in(&project, gapfill)
    };
    assert_stopped(
        &output,
        "error: no AWS credentials found\n  = hint: profile `ci` gave none: is it in ~/.aws/config or ~/.aws/credentials (or AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)? `aws configure list-profiles` lists them\n",
    );
}

#[test]
fn no_region_anywhere_says_where_one_can_come_from() {
    let project = TempProject::from_fixture("scripted-one");
    let text = project
        .read("gapfill.yaml")
        .replace("region: us-east-1\n", "");
    project.write("gapfill.yaml", &text);
    let responder = Responder::start(Script::new());
    let gapfill = Gapfill::new(
        project.path(),
        responder.url(),
        &["deploy", "--format", "plain"],
    )
    .env_remove("AWS_REGION");
    let (output, _) = run_in(&project, gapfill);
    assert_stopped(
        &output,
        "error: no AWS region: pass --region, export AWS_REGION, set `region:` in gapfill.yaml, or give the AWS profile one\n",
    );
    assert!(responder.requests().is_empty());
}

#[test]
fn a_region_that_is_not_a_region_name_is_refused_before_any_call() {
    let responder = Responder::start(Script::new());
    let (output, _) = run(
        responder.url(),
        &["deploy", "--format", "plain", "--region", "us east 1"],
    );
    assert_stopped(
        &output,
        "error: `us east 1` (from --region) is not a region name: AWS regions look like `us-east-1`\n",
    );
    assert!(responder.requests().is_empty());
}

/// Deploys `scripted-one` against a responder whose DescribeStacks answers `answer`; the run
/// and the number of requests it sent.
fn first_answer(answer: xml::Reply) -> (Output, usize) {
    let responder = Responder::start(Script::new().on("DescribeStacks", vec![answer]));
    let (output, _) = run(responder.url(), &["deploy", "--format", "plain"]);
    (output, responder.requests().len())
}

const FROM_ENV: &str = "  = hint: the credentials come from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN\n";

#[test]
fn expired_credentials_are_named_with_the_sso_login_hint() {
    let (output, requests) = first_answer(xml::error(
        "ExpiredToken",
        "The security token included in the request is expired",
    ));
    assert_stopped(
        &output,
        &format!("error: the AWS credentials have expired (CloudFormation answered ExpiredToken: The security token included in the request is expired)\n{FROM_ENV}  = hint: for an SSO profile, run `aws sso login`, then try again; other temporary credentials: get new ones (assume the role again)\n"),
    );
    assert_eq!(requests, 1, "one request, not retried");
}

#[test]
fn an_unknown_access_key_is_named_with_the_opt_in_region_hint() {
    let (output, requests) = first_answer(xml::error(
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ));
    assert_stopped(
        &output,
        &format!("error: AWS does not recognize the access key (CloudFormation answered InvalidClientTokenId: The security token included in the request is invalid.)\n{FROM_ENV}  = hint: check the access key id: deleted, deactivated or mistyped? a temporary key needs its session token too\n  = hint: or the region `us-east-1` (from AWS_REGION) is an opt-in region the account has not enabled\n"),
    );
    assert_eq!(requests, 1);
}

#[test]
fn a_signature_that_does_not_match_points_at_the_secret_key() {
    let (output, requests) = first_answer(xml::error(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    ));
    assert_stopped(
        &output,
        &format!("error: AWS rejected the request signature: the secret key does not match the access key (CloudFormation answered SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.)\n{FROM_ENV}  = hint: check the secret access key: a character missing or added when it was copied?\n"),
    );
    assert_eq!(requests, 1);
}

#[test]
fn a_signature_for_another_region_names_the_region() {
    let (output, _) = first_answer(xml::error(
        "SignatureDoesNotMatch",
        "Credential should be scoped to a valid region.",
    ));
    output.assert_code(1);
    assert!(
        output.stderr.contains(
            "  = hint: requests are signed for the region `us-east-1` (from AWS_REGION): the endpoint http://127.0.0.1:"
        ),
        "{output}"
    );
}

const DENIED: &str = "User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/app/* because no identity-based policy allows the cloudformation:DescribeStacks action";

#[test]
fn access_denied_at_first_contact_names_operation_action_and_principal() {
    let (output, requests) = first_answer(xml::error("AccessDenied", DENIED));
    assert_stopped(
        &output,
        "error: CloudFormation denied DescribeStacks: arn:aws:sts::123456789012:assumed-role/deploy/ci may not perform cloudformation:DescribeStacks on arn:aws:cloudformation:us-east-1:123456789012:stack/app/* (no identity-based policy allows the cloudformation:DescribeStacks action)\n  = hint: allow cloudformation:DescribeStacks to role `deploy` in its IAM policy\n",
    );
    assert_eq!(requests, 1);
}

const CREATE_DENIED: &str = "User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: cloudformation:CreateChangeSet on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/app/* because no identity-based policy allows the cloudformation:CreateChangeSet action";

#[test]
fn access_denied_on_a_change_set_fails_the_stack_naming_the_role_and_the_service_role() {
    let failed = "failed: CreateChangeSet was denied: arn:aws:sts::123456789012:assumed-role/deploy/ci may not perform cloudformation:CreateChangeSet on arn:aws:cloudformation:us-east-1:123456789012:stack/app/* (no identity-based policy allows the cloudformation:CreateChangeSet action)";
    let hint = "hint: allow cloudformation:CreateChangeSet to role `deploy` in its IAM policy; a stack with a service role (RoleARN, as `--role-arn` sets it) also needs iam:PassRole on that role, and its resources are created with that role's permissions";
    for format in ["plain", "live"] {
        let responder = Responder::start(
            Script::new()
                .on("DescribeStacks", vec![xml::missing_stack("app")])
                .on(
                    "CreateChangeSet",
                    vec![xml::error("AccessDenied", CREATE_DENIED)],
                ),
        );
        let (output, _) = run(responder.url(), &["deploy", "--format", format]);
        output.assert_code(1);
        let lines: Vec<String> = if format == "plain" {
            output.plain_lines(&["app"])
        } else {
            // The live view prints event lines above its rows as `  app: text`.
            output
                .stdout
                .split(['\n', '\r'])
                .filter_map(|line| line.rsplit("\u{1b}[J").next())
                .filter_map(|line| line.strip_prefix("  "))
                .map(str::to_string)
                .collect()
        };
        for expected in [failed, hint] {
            let line = format!("app: {expected}");
            assert!(lines.contains(&line), "{format}: no {line:?}; {output}");
        }
        assert_eq!(
            responder.actions(),
            ["DescribeStacks", "CreateChangeSet"],
            "{format}: the first contact's answer serves the stack's first look; a denial is not retried"
        );
    }
}

#[test]
fn a_call_throttled_again_and_again_says_so_while_it_retries() {
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .stack("CREATE_COMPLETE", None);
    let done = log.page();
    let script = || {
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    // The first contact (three quick tries), then the stack's first look:
                    // two retries in a row.
                    xml::throttling(),
                    xml::throttling(),
                    xml::throttling(),
                    xml::throttling(),
                    xml::throttling(),
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[
                        Stack::new("app", "CREATE_COMPLETE").parameter("Env", "test")
                    ]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &[("Add", "Queue", "AWS::SQS::Queue", None)],
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline.clone(), done.clone()])
    };
    let told = "retrying cloudformation:DescribeStacks (attempt 3 of 10): throttled (Throttling: Rate exceeded)";

    let responder = Responder::start(script());
    let (plain, _) = run(responder.url(), &["deploy", "--format", "plain"]);
    plain.assert_code(0);
    let lines = plain.plain_lines(&["app"]);
    assert_eq!(
        lines[..3],
        [
            "deploy scripted: 1 stack(s): app".to_string(),
            "app: started".to_string(),
            format!("app: {told}"),
        ],
        "{plain}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|line| line.contains("retrying"))
            .count(),
        1,
        "one line per call every few seconds; {plain}"
    );

    let responder = Responder::start(script());
    let (json, _) = run(responder.url(), &["deploy", "--format", "json"]);
    json.assert_code(0);
    let retrying: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["type"] == "retrying")
        .collect();
    assert_eq!(
        retrying
            .iter()
            .map(|event| event["data"].clone())
            .collect::<Vec<_>>(),
        [serde_json::json!({
            "stack": "app",
            "operation": "cloudformation:DescribeStacks",
            "attempt": 3,
            "max_attempts": 10,
            "reason": "throttled (Throttling: Rate exceeded)",
        })],
        "{json}"
    );

    let responder = Responder::start(script());
    let (live, _) = run(responder.url(), &["deploy", "--format", "live"]);
    live.assert_code(0);
    assert!(live.stdout.contains(&format!("  app: {told}\n")), "{live}");
}

#[test]
fn a_project_without_stacks_makes_first_contact_through_sts() {
    let project = TempProject::new();
    project
        .write(
            "gapfill.yaml",
            "project: steps-only\nregion: us-east-1\npost-deploy: [post-deploy/*.yaml]\n",
        )
        .write(
            "post-deploy/steps.yaml",
            "steps:\n  - id: list\n    call: sqs:ListQueues\n",
        );
    let responder = Responder::start(Script::new().on(
        "GetCallerIdentity",
        vec![xml::error(
            "ExpiredToken",
            "The security token included in the request is expired",
        )],
    ));
    let gapfill = Gapfill::new(
        project.path(),
        responder.url(),
        &["deploy", "--format", "plain"],
    );
    let (output, _) = run_in(&project, gapfill);
    assert_stopped(
        &output,
        &format!("error: the AWS credentials have expired (STS answered ExpiredToken: The security token included in the request is expired)\n{FROM_ENV}  = hint: for an SSO profile, run `aws sso login`, then try again; other temporary credentials: get new ones (assume the role again)\n"),
    );
    assert_eq!(responder.actions(), ["GetCallerIdentity"]);
}
