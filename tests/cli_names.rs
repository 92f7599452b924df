//! The CLI's names from the models, checked against botocore itself: every operation and
//! input member name of every service botocore ships, transformed by `cli_name`, equals
//! botocore's `xform_name(name, "-")` (what the AWS CLI names its commands and options).
//! Needs the repository's `.venv/bin/python` (botocore, pinned; `scripts/venv.sh`), or
//! `GAPFILL_PYTHON`; the test FAILS when it is missing.

use std::path::PathBuf;
use std::process::Command;

use gapfill::adopt::script::cli_name;

fn python() -> PathBuf {
    let python = std::env::var_os("GAPFILL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    assert!(
        python.exists(),
        "no python with botocore at {} (set GAPFILL_PYTHON, or run scripts/venv.sh)",
        python.display()
    );
    python
}

const DUMP: &str = r#"
import botocore.session
from botocore import xform_name
session = botocore.session.get_session()
names = set()
for service in session.get_available_services():
    model = session.get_service_model(service)
    for operation in model.operation_names:
        names.add(operation)
        shape = model.operation_model(operation).input_shape
        if shape is not None:
            names.update(shape.members)
for name in sorted(names):
    print(name + "\t" + xform_name(name, "-"))
"#;

#[test]
fn cli_names_equal_botocores_for_every_operation_and_member() {
    let output = Command::new(python())
        .arg("-c")
        .arg(DUMP)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut compared = 0;
    let mut wrong = Vec::new();
    for line in text.lines() {
        let Some((name, expected)) = line.split_once('\t') else {
            continue;
        };
        compared += 1;
        let got = cli_name(name);
        if got != expected {
            wrong.push(format!("{name}: {got}, botocore {expected}"));
        }
    }
    assert!(compared > 10_000, "only {compared} names compared");
    assert!(
        wrong.is_empty(),
        "{} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
