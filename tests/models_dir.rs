//! A model newer than the build: a directory in botocore's data layout, named by
//! `GAPFILL_MODELS_DIR` or the project's `models_dir:`, makes its operations callable.
//! No AWS endpoint is needed: `--dry-run` shows the request that would be sent.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SERVICE: &str = r#"{
  "version": "2.0",
  "metadata": {
    "apiVersion": "2026-11-01", "endpointPrefix": "widgets", "jsonVersion": "1.1",
    "protocol": "json", "protocols": ["json"], "serviceId": "Widgets",
    "signatureVersion": "v4", "signingName": "widgets", "targetPrefix": "Widgets_20261101"
  },
  "operations": {
    "PutWidget": {
      "name": "PutWidget",
      "http": {"method": "POST", "requestUri": "/"},
      "input": {"shape": "PutWidgetRequest"},
      "output": {"shape": "PutWidgetResponse"}
    }
  },
  "shapes": {
    "PutWidgetRequest": {
      "type": "structure", "required": ["Name"],
      "members": {"Name": {"shape": "String"}, "Size": {"shape": "Integer"}}
    },
    "PutWidgetResponse": {"type": "structure", "members": {}},
    "String": {"type": "string"},
    "Integer": {"type": "integer"}
  }
}"#;

fn models(dir: &Path) {
    let version = dir.join("widgets/2026-11-01");
    std::fs::create_dir_all(&version).unwrap();
    std::fs::write(version.join("service-2.json"), SERVICE).unwrap();
}

fn call(dir: &Path, env_models: Option<&Path>, input: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gapfill"));
    command
        .args(["call", "widgets:PutWidget", "--input", input, "--dry-run"])
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .current_dir(dir)
        .env_remove("GAPFILL_MODELS_DIR")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("GITHUB_ACTIONS")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_REGION", "eu-west-1");
    if let Some(models) = env_models {
        command.env("GAPFILL_MODELS_DIR", models);
    }
    command.output().unwrap()
}

fn request(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn gapfill_models_dir_makes_a_new_service_callable() {
    let dir = tempfile::tempdir().unwrap();
    models(&dir.path().join("models"));
    let sent = request(&call(
        dir.path(),
        Some(&dir.path().join("models")),
        r#"{"Name": "w1", "Size": 3}"#,
    ));
    assert_eq!(sent["method"], "POST");
    assert_eq!(
        sent["headers"]["X-Amz-Target"],
        "Widgets_20261101.PutWidget"
    );
    let body: Value = serde_json::from_str(sent["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, serde_json::json!({"Name": "w1", "Size": 3}));
    let stdout = String::from_utf8_lossy(
        &call(
            dir.path(),
            Some(&dir.path().join("models")),
            r#"{"Name": "w"}"#,
        )
        .stdout,
    )
    .into_owned();
    assert!(
        !stdout.contains("wJalrXUtnFEMI"),
        "the secret key must never print: {stdout}"
    );
}

#[test]
fn the_project_models_dir_key_works_too_and_input_is_validated_against_it() {
    let dir = tempfile::tempdir().unwrap();
    models(&dir.path().join("vendor-models"));
    std::fs::write(
        dir.path().join("gapfill.yaml"),
        "models_dir: vendor-models\nstacks: {}\n",
    )
    .unwrap();
    request(&call(dir.path(), None, r#"{"Name": "w1"}"#));

    let invalid = call(dir.path(), None, r#"{"Nme": "w1"}"#);
    assert_eq!(invalid.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        stderr.contains("missing required member \"Name\""),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean \"Name\""), "{stderr}");
}

#[test]
fn without_the_models_the_service_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let output = call(dir.path(), None, r#"{"Name": "w1"}"#);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("widgets"), "{stderr}");
}
