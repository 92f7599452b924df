//! gapfill in a GitHub Actions job (`GITHUB_ACTIONS=true`), with temporary `$GITHUB_OUTPUT`
//! and `$GITHUB_STEP_SUMMARY` files: every secret masked with the runner before anything else
//! prints, stack outputs written as step outputs (secret ones never), the Markdown report in
//! the step summary, annotations for validation errors and failures, and no secret anywhere
//! but in its own `::add-mask::` line. The deploy tests need the moto emulator
//! (`AWS_ENDPOINT_URL`, as in deploy_moto); the validation test calls no AWS.

mod support;

use std::path::Path;
use std::process::Command;

use support::project::{fixture, TempProject};
use support::run::{Gapfill, Output};

fn emulator() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: the end-to-end tests need the moto emulator. \
             Run scripts/test.sh, or `eval \"$(scripts/emulator.sh start)\"` before cargo test."
        ),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

/// `gapfill ARGS` in `project` as a GitHub Actions step whose output and summary files live
/// in the project directory (`github-output`, `step-summary`).
fn in_github(project: &TempProject, endpoint: &str, args: &[&str], secret: &str) -> Output {
    let dir = project.path();
    Gapfill::new(dir, endpoint, args)
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true")
        .env("GITHUB_WORKSPACE", &dir.display().to_string())
        .env(
            "GITHUB_OUTPUT",
            &dir.join("github-output").display().to_string(),
        )
        .env(
            "GITHUB_STEP_SUMMARY",
            &dir.join("step-summary").display().to_string(),
        )
        .env("SOURCE_TOKEN", secret)
        .run()
}

/// Where `needle` first occurs among `lines`.
fn index_of(lines: &[&str], what: &str, needle: impl Fn(&str) -> bool) -> usize {
    lines
        .iter()
        .position(|line| needle(line))
        .unwrap_or_else(|| panic!("no line with {what} in {lines:#?}"))
}

/// Whether a plain line (`TIMESTAMP NAME  TEXT`, the name padded) says `text` of `name`.
fn says(line: &str, name: &str, text: &str) -> bool {
    line.split_once(' ')
        .and_then(|(_, rest)| rest.strip_prefix(name))
        .is_some_and(|rest| rest.trim_start() == text)
}

/// Asserts `secret` shows nowhere in `text` but in `::add-mask::` lines.
fn only_in_masks(what: &str, text: &str, secret: &str) {
    for line in text.lines() {
        assert!(
            line.starts_with("::add-mask::") || !line.contains(secret),
            "{what} shows the secret {secret:?} unmasked: {line}"
        );
    }
}

#[test]
fn a_deploy_masks_secrets_first_writes_step_outputs_and_summary_and_never_a_secret() {
    let endpoint = emulator();
    let (source, sink) = (unique("ghsrc"), unique("ghsink"));
    // `%` and `,` are what the runner's encoding changes; the quote and slash what JSON does.
    let secret = "gh-p@ss\"w/rd%,z";
    let passed_on = format!("handed-over-{:08x}", fastrand::u32(..));
    let project = TempProject::new();
    // `source` echoes the secret and hands a plain value to `sink`, which takes it as NoEcho:
    // both outputs are secret. `Plain` is not.
    project.write(
        "source.yaml",
        &format!("Parameters:\n  Token: {{Type: String, NoEcho: true}}\nResources:\n  Queue: {{Type: AWS::SQS::Queue}}\nOutputs:\n  Echo: {{Value: !Ref Token}}\n  Key: {{Value: {passed_on}}}\n  PlainValue: {{Value: plain-value}}\n"),
    );
    project.write(
        "sink.yaml",
        "Parameters:\n  Key: {Type: String, NoEcho: true}\nResources:\n  Queue: {Type: AWS::SQS::Queue}\nOutputs:\n  QueueUrl: {Value: !Ref Queue}\n",
    );
    project.write(
        "gapfill.yaml",
        &format!(
            "project: gh\nsecrets: [SOURCE_TOKEN]\nstacks:\n  {source}:\n    template: source.yaml\n    parameters: {{ Token: \"${{env.SOURCE_TOKEN}}\" }}\n  {sink}:\n    template: sink.yaml\n    parameters: {{ Key: \"${{{source}.Key}}\" }}\n"
        ),
    );

    let deploy = in_github(&project, &endpoint, &["deploy"], secret);
    deploy.assert_code(0);
    let lines: Vec<&str> = deploy.stdout.lines().collect();

    // The env secret is masked before anything else prints, in the runner's encoding.
    assert_eq!(
        lines.first().copied(),
        Some("::add-mask::gh-p@ss\"w/rd%25,z"),
        "{deploy}"
    );
    let first_other = index_of(&lines, "a line that is not a mask", |line| {
        !line.starts_with("::add-mask::")
    });
    assert!(
        lines[first_other].ends_with(&format!("deploy gh: 2 stack(s): {source}, {sink}")),
        "{deploy}"
    );
    // The output that feeds a NoEcho parameter is masked as soon as it is read: before the
    // line saying its stack was created.
    let masked = index_of(&lines, "the handed-over mask", |line| {
        line == format!("::add-mask::{passed_on}")
    });
    let created = index_of(&lines, "the source's created line", |line| {
        says(line, &source, "created")
    });
    assert!(masked < created, "{deploy}");

    // Step outputs: every output but the secret ones, named as `outputs --format env` names
    // them; a notice names those left out.
    let outputs = project.read("github-output");
    let prefix = source.to_uppercase().replace('-', "_");
    assert!(
        outputs.contains(&format!("{prefix}_PLAIN_VALUE=plain-value\n")),
        "{outputs}"
    );
    let sink_prefix = sink.to_uppercase().replace('-', "_");
    assert!(
        outputs.contains(&format!("{sink_prefix}_QUEUE_URL=http")),
        "{outputs}"
    );
    assert!(
        !outputs.contains("_ECHO") && !outputs.contains("_KEY"),
        "{outputs}"
    );
    assert!(
        deploy.stdout.contains(&format!(
            "::notice title=gapfill::not written to $GITHUB_OUTPUT, being secret: {source}.Echo ({prefix}_ECHO), {source}.Key ({prefix}_KEY)\n"
        )),
        "{deploy}"
    );

    // The recap groups each stack's lines under its result.
    let group = index_of(&lines, "the source's group", |line| {
        line.strip_prefix("::group::")
            .is_some_and(|title| says(title, &source, "result: created"))
    });
    assert!(says(lines[group + 1], &source, "started"), "{deploy}");
    assert!(lines.contains(&"::endgroup::"), "{deploy}");

    // The step summary holds the Markdown report.
    let summary = project.read("step-summary");
    assert!(
        summary.starts_with("## gapfill deploy gh: 2 created, 0 updated"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("| {source} | created |  |")),
        "{summary}"
    );

    // `outputs --format env` keeps standard output eval-able: masks go to standard error.
    let env = in_github(&project, &endpoint, &["outputs", "--format", "env"], secret);
    env.assert_code(0);
    for line in env.stdout.lines() {
        assert!(line.starts_with("export "), "{env}");
    }
    assert!(
        env.stderr.starts_with("::add-mask::gh-p@ss\"w/rd%25,z\n"),
        "{env}"
    );
    let outputs = project.read("github-output");
    assert_eq!(
        outputs
            .matches(&format!("{prefix}_PLAIN_VALUE=plain-value\n"))
            .count(),
        2,
        "`outputs` appends the step outputs too: {outputs}"
    );

    for (what, text) in [
        ("deploy stdout", &deploy.stdout),
        ("deploy stderr", &deploy.stderr),
        ("outputs stdout", &env.stdout),
        ("outputs stderr", &env.stderr),
        ("$GITHUB_OUTPUT", &outputs),
        ("$GITHUB_STEP_SUMMARY", &summary),
    ] {
        for hidden in [secret, "gh-p@ss\"w/rd%25,z", "w/rd", passed_on.as_str()] {
            only_in_masks(what, text, hidden);
        }
    }
}

#[test]
fn a_failed_stack_is_annotated_as_an_error() {
    let endpoint = emulator();
    let bad = unique("ghbad");
    let project = TempProject::new();
    project.write(
        "rejected.yaml",
        &std::fs::read_to_string(fixture("moto").join("rejected.yaml")).expect("the fixture"),
    );
    project.write(
        "gapfill.yaml",
        &format!("project: ghfail\nstacks:\n  {bad}:\n    template: rejected.yaml\n"),
    );
    let output = in_github(&project, &endpoint, &["deploy"], "unused-secret");
    output.assert_code(1);
    let annotation = output
        .stdout
        .lines()
        .find(|line| line.starts_with(&format!("::error title=stack {bad} failed::")))
        .unwrap_or_else(|| panic!("no error annotation; {output}"));
    assert!(annotation.contains(".fifo"), "{annotation}");
    assert!(
        project
            .read("step-summary")
            .contains(&format!("| {bad} | failed |")),
        "{output}"
    );
}

#[test]
fn validation_errors_are_annotated_at_their_file_line_and_column() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .arg("validate")
        .current_dir(fixture("invalid"))
        .env_clear()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", root)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .expect("run gapfill");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let annotations: Vec<&str> = stdout.lines().collect();
    assert_eq!(annotations.len(), 7, "{stdout}");
    assert_eq!(
        annotations[1],
        "::error file=tests/fixtures/invalid/gapfill.yaml,line=11,col=18,endColumn=34,title=gapfill::stack `data` has no output `TableNam` (template `stacks/data.yaml`)%0Ahint: did you mean `TableName`?%0Ahint: outputs of data: TableName, Url"
    );
    // The error text itself is unchanged.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: parameter `Colour` is not declared"),
        "{stderr}"
    );
    assert!(stderr.ends_with("7 errors in the project; nothing was deployed\n"));
}
