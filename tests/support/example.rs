//! The repository's example project, copied into a test's own directory, and the helpers
//! its end-to-end tests share: running gapfill with the example's secret set, reading JSON
//! events, calling AWS to read a setting back.

use std::path::Path;

use serde_json::Value;

use super::project::TempProject;
use super::run::{Gapfill, Output};

/// The example's secret API token, as the tests set it.
pub const TOKEN: &str = "tok-Q7x!demo+secret/42";

/// A copy of the repository's example project (gapfill.yaml, stacks/, post-deploy/).
pub fn example_project() -> TempProject {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = TempProject::new();
    project.write("gapfill.yaml", &read(&root.join("gapfill.yaml")));
    for dir in ["stacks", "post-deploy"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("list the example") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().expect("a file name").to_string_lossy();
            project.write(&format!("{dir}/{name}"), &read(&path));
        }
    }
    project
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn run(project: &TempProject, endpoint: &str, args: &[&str]) -> Output {
    Gapfill::new(project.path(), endpoint, args)
        .env("CATALOG_API_TOKEN", TOKEN)
        .run()
}

/// `gapfill call` with a JSON input, parsed.
pub fn call(project: &TempProject, endpoint: &str, operation: &str, input: Value) -> Value {
    let output = run(
        project,
        endpoint,
        &["call", operation, "--input", &input.to_string()],
    );
    output.assert_code(0);
    serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}); {output}"))
}

/// The JSON lines of a `--format json` run.
pub fn events(output: &Output) -> Vec<Value> {
    output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Each step's outcome label, from `step_finished` events.
pub fn step_outcomes(output: &Output) -> Vec<(String, String)> {
    events(output)
        .into_iter()
        .filter(|event| event["type"] == "step_finished")
        .map(|event| {
            let data = &event["data"];
            (
                data["step"].as_str().unwrap_or_default().to_string(),
                data["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub fn outcome_of<'a>(outcomes: &'a [(String, String)], step: &str) -> &'a str {
    outcomes
        .iter()
        .find(|(id, _)| id == step)
        .map(|(_, outcome)| outcome.as_str())
        .unwrap_or_else(|| panic!("no outcome for step {step}: {outcomes:?}"))
}

/// The example's steps, in plan order.
pub const EXAMPLE_STEPS: [&str; 9] = [
    "ebs-encryption",
    "api-token",
    "feed-versioning",
    "table-ttl",
    "queue-long-polling",
    "seed-categories",
    "ingest-concurrency",
    "importer-log-group",
    "importer-log-retention",
];
