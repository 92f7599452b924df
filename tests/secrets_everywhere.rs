//! The one sweep over every secret gapfill may hold: every command in every output format,
//! with a secret from every source (a `secrets:` env var, a `NoEcho` parameter, an output
//! feeding a `NoEcho` parameter, an SSM SecureString and a Secrets Manager secret read by
//! checks, a `secret: true` step), plus the credentials (secret key and session token), under
//! faults and in an error path where the service echoes the request back. Every byte gapfill
//! writes (stdout, stderr, `--debug` logs, JUnit, outputs files) is searched for each secret,
//! as is and in its base64, URL-encoded and JSON-escaped forms.
//!
//! Prints `secret bytes found: N` (and a `reliability:` line) on stderr for
//! scripts/reliability.sh.

mod support;

use std::path::Path;

use base64::Engine;
use serde_json::json;
use support::emulator::PrivateEmulator;
use support::faults::{FaultPlan, FaultProxy};
use support::project::TempProject;
use support::run::{Gapfill, Output};
use support::server::RecordingServer;

/// The secrets, by where they come from. Long, distinct, with characters that escaping
/// changes.
const ENV_SECRET: &str = "swEnv-7Kq!pz+Lw/9xR2";
const NOECHO_SECRET: &str = "swNoEcho-Vb3&ty=Qe8#u";
const OUTPUT_SECRET: &str = "swOutput-Jm5TzcX4Wp0d";
const SSM_SECRET: &str = "swSsm-Hy6\"quo<te>Rk1";
const SM_SECRET: &str = "swSm-Ga2 spa%ce\\Nf7";
const STEP_SECRET: &str = "swStep-Dc9Pq2Lm5Xv8";
const SECRET_KEY: &str = "swKey/Zr8Tn3Wq6Yp1Bv4Xs7Jc0Hm5Kd2Lf9Ga";
const SESSION_TOKEN: &str = "swToken+Fq2Wm8Zn5Rt1/Yx4Kv7Bp3Hd6Jc9Ls0Ne2==";

const SECRETS: [(&str, &str); 8] = [
    ("secrets: env var", ENV_SECRET),
    ("NoEcho parameter", NOECHO_SECRET),
    ("output feeding NoEcho", OUTPUT_SECRET),
    ("SSM SecureString", SSM_SECRET),
    ("Secrets Manager", SM_SECRET),
    ("secret: true step", STEP_SECRET),
    ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ("AWS_SESSION_TOKEN", SESSION_TOKEN),
];

/// The project's own files, which hold some secrets by design (a step file's literal, a
/// template's output): not written by gapfill, not searched.
const SOURCES: [&str; 4] = ["gapfill.yaml", "stacks", "post-deploy", ".empty-aws-config"];

/// Each form a secret could leak in.
fn forms(secret: &str) -> Vec<(&'static str, String)> {
    let url: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).expect("JSON");
    let forms = vec![
        ("as is", secret.to_string()),
        (
            "base64",
            base64::engine::general_purpose::STANDARD.encode(secret),
        ),
        ("URL-encoded", url.clone()),
        ("URL-encoded (%20)", url.replace('+', "%20")),
        ("JSON-escaped", json[1..json.len() - 1].to_string()),
    ];
    // One label per distinct text, the plainest first.
    let mut distinct: Vec<(&'static str, String)> = Vec::new();
    for (label, text) in forms {
        if !distinct.iter().any(|(_, seen)| *seen == text) {
            distinct.push((label, text));
        }
    }
    distinct
}

/// What the sweep searched and found.
#[derive(Default)]
struct Sweep {
    runs: usize,
    bytes: usize,
    found_bytes: usize,
    findings: Vec<String>,
}

impl Sweep {
    /// Searches `text` (from run `label`, written to `place`) for every form of every secret.
    fn search(&mut self, label: &str, place: &str, text: &str) {
        self.bytes += text.len();
        for (source, secret) in SECRETS {
            for (form, value) in forms(secret) {
                let hits = text.matches(value.as_str()).count();
                if hits > 0 {
                    self.found_bytes += hits * value.len();
                    // Say where, never what: the line with the secret replaced.
                    let line = text
                        .lines()
                        .find(|line| line.contains(value.as_str()))
                        .unwrap_or_default()
                        .replace(value.as_str(), &format!("<{source}>"));
                    let line: String = line.chars().take(300).collect();
                    self.findings.push(format!(
                        "{label}: {source} ({form}) x{hits} in {place}: {line}"
                    ));
                }
            }
        }
    }

    /// `secret bytes found: N` and a `reliability:` line, on stderr.
    fn report(&self, suite: &str) {
        eprintln!(
            "reliability: suite={suite} runs={} bytes_scanned={} secret_bytes_found={}",
            self.runs, self.bytes, self.found_bytes
        );
        eprintln!("secret bytes found: {}", self.found_bytes);
    }

    /// Searches a run's output and every file it wrote in the project.
    fn run(&mut self, label: &str, project: &TempProject, output: &Output) {
        self.runs += 1;
        self.search(label, "stdout", &output.stdout);
        self.search(label, "stderr", &output.stderr);
        self.files(label, project.path(), project.path());
    }

    fn files(&mut self, label: &str, root: &Path, dir: &Path) {
        for entry in std::fs::read_dir(dir).expect("list the project").flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let top = relative
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .unwrap_or_default();
            if SOURCES.contains(&top.as_str()) {
                continue;
            }
            if path.is_dir() {
                self.files(label, root, &path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let text = String::from_utf8_lossy(&bytes).to_string();
                self.search(label, &relative.display().to_string(), &text);
            }
        }
    }
}

fn project() -> TempProject {
    let project = TempProject::new();
    project.write(
        "gapfill.yaml",
        r#"project: sweep
region: us-east-1
secrets: [SWEEP_ENV_SECRET]
stacks:
  sweep-base:
    template: stacks/base.yaml
  sweep-app:
    template: stacks/app.yaml
    parameters:
      EnvSecret: ${env.SWEEP_ENV_SECRET}
      NoEchoValue: ${env.SWEEP_NOECHO_VALUE}
      FromOutput: ${sweep-base.Seed}
      FromSecretsManager: ${steps.sm-read.SecretString}
post-deploy: [post-deploy/*.yaml]
"#,
    );
    project.write(
        "stacks/base.yaml",
        &format!(
            "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: sweep-base-topic\nOutputs:\n  Seed:\n    Value: {OUTPUT_SECRET}\n  TopicArn:\n    Value: !Ref Topic\n"
        ),
    );
    project.write(
        "stacks/app.yaml",
        "Parameters:\n  EnvSecret: { Type: String, NoEcho: true }\n  NoEchoValue: { Type: String, NoEcho: true }\n  FromOutput: { Type: String, NoEcho: true }\n  FromSecretsManager: { Type: String, NoEcho: true }\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: sweep-app-queue\nOutputs:\n  QueueUrl:\n    Value: !Ref Queue\n",
    );
    project.write(
        "post-deploy/sweep.yaml",
        &format!(
            r#"steps:
  - id: env-token
    call: ssm:PutParameter
    input: {{ Name: /sweep/env-token, Type: SecureString, Value: "${{env.SWEEP_ENV_SECRET}}", Overwrite: true }}
    check:
      call: ssm:GetParameter
      input: {{ Name: /sweep/env-token, WithDecryption: true }}
      expect: {{ Parameter.Value: "${{env.SWEEP_ENV_SECRET}}" }}

  # A SecureString read with decryption by a check, its value passed on.
  - id: ssm-read
    call: ssm:AddTagsToResource
    input: {{ ResourceType: Parameter, ResourceId: /sweep/ssm-secret, Tags: [{{ Key: read, Value: "yes" }}] }}
    check:
      call: ssm:GetParameter
      input: {{ Name: /sweep/ssm-secret, WithDecryption: true }}
      expect: {{ Parameter.Type: SecureString }}
  - id: ssm-copy
    call: ssm:PutParameter
    input: {{ Name: /sweep/ssm-copy, Type: SecureString, Value: "${{steps.ssm-read.Parameter.Value}}", Overwrite: true }}
    check:
      call: ssm:GetParameter
      input: {{ Name: /sweep/ssm-copy, WithDecryption: true }}
      expect: {{ Parameter.Value: "${{steps.ssm-read.Parameter.Value}}" }}

  # A Secrets Manager secret read by a check; it feeds a NoEcho parameter of sweep-app.
  - id: sm-read
    call: secretsmanager:TagResource
    input: {{ SecretId: sweep/sm-secret, Tags: [{{ Key: read, Value: "yes" }}] }}
    check:
      call: secretsmanager:GetSecretValue
      input: {{ SecretId: sweep/sm-secret }}
      expect: {{ Name: sweep/sm-secret }}

  - id: marked-secret
    secret: true
    call: ssm:PutParameter
    input: {{ Name: /sweep/marked, Type: String, Value: "{STEP_SECRET}", Overwrite: true }}
    check:
      call: ssm:GetParameter
      input: {{ Name: /sweep/marked }}
      expect: {{ Parameter.Value: "{STEP_SECRET}" }}
"#
        ),
    );
    project
}

/// `gapfill ARGS` with every secret in its environment.
fn gapfill(project: &TempProject, endpoint: &str, args: &[&str]) -> Output {
    Gapfill::new(project.path(), endpoint, args)
        .env("SWEEP_ENV_SECRET", ENV_SECRET)
        .env("SWEEP_NOECHO_VALUE", NOECHO_SECRET)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .spawn()
        .wait(std::time::Duration::from_secs(300))
}

/// Puts the SecureString and the Secrets Manager secret the steps read (not swept: these
/// calls are the test's, and print what they are given).
fn seed_secrets(project: &TempProject, endpoint: &str) {
    let put = |operation: &str, input: serde_json::Value| {
        let output = gapfill(
            project,
            endpoint,
            &["call", operation, "--input", &input.to_string()],
        );
        assert_eq!(
            output.code, 0,
            "{operation} (output not shown: it holds a secret)"
        );
    };
    put(
        "ssm:PutParameter",
        json!({"Name": "/sweep/ssm-secret", "Type": "SecureString", "Value": SSM_SECRET}),
    );
    put(
        "secretsmanager:CreateSecret",
        json!({"Name": "sweep/sm-secret", "SecretString": SM_SECRET}),
    );
}

const FORMATS: [&str; 3] = ["plain", "json", "markdown"];

#[test]
fn no_secret_is_ever_written_by_any_command_in_any_format() {
    let emulator = PrivateEmulator::start();
    let endpoint = emulator.url.as_str();
    let project = project();
    seed_secrets(&project, endpoint);
    let mut sweep = Sweep::default();
    let mut run = |label: String, endpoint: &str, args: &[&str]| -> Output {
        let output = gapfill(&project, endpoint, args);
        sweep.run(&label, &project, &output);
        output
    };

    for format in FORMATS {
        run(
            format!("validate {format}"),
            endpoint,
            &["validate", "--format", format],
        );
    }
    for format in FORMATS {
        run(
            format!("plan {format} (before deploy)"),
            endpoint,
            &["plan", "--format", format, "--debug", "--junit", "plan.xml"],
        );
    }
    let first = run(
        "deploy plain --debug".into(),
        endpoint,
        &[
            "deploy",
            "--format",
            "plain",
            "--debug",
            "--junit",
            "deploy.xml",
            "--outputs-file",
            "outputs.json",
        ],
    );
    assert_eq!(
        first.code, 0,
        "the first deploy (output withheld: the sweep reads it)"
    );
    for format in ["json", "markdown"] {
        run(
            format!("deploy {format} (in sync)"),
            endpoint,
            &[
                "deploy",
                "--format",
                format,
                "-vv",
                "--junit",
                "deploy.xml",
                "--outputs-file",
                "outputs.env",
            ],
        );
    }
    for format in FORMATS {
        run(
            format!("plan {format} (deployed)"),
            endpoint,
            &["plan", "--format", format, "--debug", "--junit", "plan.xml"],
        );
    }
    for format in FORMATS {
        // The emulator has no CloudFormation drift APIs: an error path too.
        run(
            format!("drift {format}"),
            endpoint,
            &[
                "drift",
                "--format",
                format,
                "--debug",
                "--junit",
                "drift.xml",
            ],
        );
    }
    run(
        "drift steps".into(),
        endpoint,
        &[
            "drift",
            "--step",
            "ssm-copy",
            "--step",
            "marked-secret",
            "--format",
            "json",
        ],
    );
    for format in ["plain", "json", "env", "dotenv", "markdown"] {
        run(
            format!("outputs {format}"),
            endpoint,
            &["outputs", "--format", format, "--debug"],
        );
    }
    run(
        "call --debug".into(),
        endpoint,
        &["call", "sts:GetCallerIdentity", "--debug"],
    );
    run(
        "call --dry-run".into(),
        endpoint,
        &["call", "sqs:ListQueues", "--dry-run", "--debug"],
    );
    run(
        "call with a secrets: value in its input".into(),
        endpoint,
        &[
            "call", "ssm:PutParameter", "--debug", "--input",
            &json!({"Name": "/sweep/by-hand", "Type": "SecureString", "Value": ENV_SECRET, "Overwrite": true}).to_string(),
        ],
    );

    // Settings changed by hand, then a deploy under faults: secret steps differ and apply
    // again while requests fail, retry and time out.
    for name in ["/sweep/env-token", "/sweep/ssm-copy", "/sweep/marked"] {
        support::example::call(
            &project,
            endpoint,
            "ssm:PutParameter",
            json!({"Name": name, "Type": "String", "Value": "changed", "Overwrite": true}),
        );
    }
    for seed in [3, 4] {
        let proxy = FaultProxy::start(endpoint, FaultPlan::new(seed, 0.25));
        for format in ["plain", "json"] {
            run(
                format!("deploy {format} --debug under faults (seed {seed})"),
                proxy.url(),
                &[
                    "deploy",
                    "--format",
                    format,
                    "--debug",
                    "--junit",
                    "faults.xml",
                ],
            );
        }
    }

    // An error path: a service that answers every request with an error echoing it back.
    let echo = echo_server();
    for format in FORMATS {
        for command in ["deploy", "plan", "drift"] {
            run(
                format!("{command} {format} --debug, every request answered with an echo"),
                echo.url(),
                &[command, "--format", format, "--debug"],
            );
        }
    }
    sweep.report("secrets");
    assert!(
        sweep.findings.is_empty(),
        "{} secret leak(s) in {} runs:\n{}",
        sweep.findings.len(),
        sweep.runs,
        sweep.findings.join("\n")
    );
    assert!(
        sweep.runs >= 30 && sweep.bytes > 100_000,
        "the sweep read little: {} runs, {} bytes",
        sweep.runs,
        sweep.bytes
    );
}

/// An echo service: every request answered with an error quoting it back.
fn echo_server() -> RecordingServer {
    RecordingServer::start(Box::new(|incoming, body, _| {
        let echoed = String::from_utf8_lossy(&body).replace('<', "&lt;");
        let url = incoming.url().to_string();
        tiny_http::Response::from_data(
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Invalid request {url}: {echoed}</Message></Error><RequestId>echo</RequestId></ErrorResponse>"
            )
            .into_bytes(),
        )
        .with_status_code(400)
        .boxed()
    }))
}

/// Two places the sweep once found leaking (fixed on main since): `validate --explain` showing
/// a `secret: true` step's expected value, and `gapfill call` leaving a `secrets:` value in an
/// AWS error that echoes its input. No emulator needed: the echo service answers.
#[test]
fn explained_steps_and_echoed_call_errors_hide_secrets() {
    let project = project();
    let mut sweep = Sweep::default();
    let echo = echo_server();
    let mut run = |label: &str, args: &[&str]| {
        let output = gapfill(&project, echo.url(), args);
        sweep.run(label, &project, &output);
    };
    run(
        "validate --explain",
        &["validate", "--explain", "--format", "plain"],
    );
    run(
        "call --debug, answered with an echo",
        &[
            "call",
            "ssm:PutParameter",
            "--debug",
            "--input",
            &json!({"Name": "/sweep/echo", "Type": "SecureString", "Value": ENV_SECRET})
                .to_string(),
        ],
    );
    sweep.report("secrets");
    assert!(
        sweep.findings.is_empty(),
        "{} secret leak(s):\n{}",
        sweep.findings.len(),
        sweep.findings.join("\n")
    );
}
