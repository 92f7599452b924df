//! `--junit FILE`: a JUnit XML report for CI test dashboards (CircleCI's
//! `store_test_results`, GitHub test reporters). An aggregator, not a printer: it collects one
//! test case per stack (classname `stacks`) and per step (classname `steps`) and writes the
//! file once, when the run is over.
//!
//! A stack or step that failed is a `<failure>` (with the reason, a step's differences that
//! never converged, and the hint); one skipped, or a step not run because its `when:` was false,
//! is `<skipped>` with the cause; one that succeeded says how in `<system-out>`.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

use crate::escape;
use crate::events::{Difference, RunEvent, RunEventKind, RunStats, StackOutcome, StepOutcome};
use crate::redact::Redactor;

use super::Reporter;

/// Whether a test case is a stack's or a step's: their names may coincide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Stack,
    Step,
}

/// How a test case ended.
enum Verdict {
    Stack(StackOutcome),
    Step(StepOutcome),
}

/// One test case.
struct Case {
    verdict: Verdict,
    time: Duration,
}

/// What a step did before it finished, for its case's text.
#[derive(Default)]
struct StepTrace {
    /// The apply operation.
    call: String,
    /// What the first check found, i.e. what the apply set out to correct.
    found: Vec<Difference>,
    checked: bool,
}

/// The JUnit aggregator.
pub struct Junit {
    path: PathBuf,
    redactor: Redactor,
    suite: String,
    started: IndexMap<(Node, String), Duration>,
    traces: IndexMap<String, StepTrace>,
    stacks: IndexMap<String, Case>,
    steps: IndexMap<String, Case>,
    total: Option<(RunStats, Duration)>,
}

impl Junit {
    pub fn new(path: PathBuf, redactor: Redactor) -> Junit {
        Junit {
            path,
            redactor,
            suite: "gapfill".into(),
            started: IndexMap::new(),
            traces: IndexMap::new(),
            stacks: IndexMap::new(),
            steps: IndexMap::new(),
            total: None,
        }
    }

    /// The time since `name` started, or nothing when its start was never seen.
    fn took(&self, node: Node, name: &str, now: Duration) -> Duration {
        let began = self
            .started
            .get(&(node, name.to_string()))
            .copied()
            .unwrap_or(now);
        now.saturating_sub(began)
    }

    /// The report as XML.
    fn render(&self) -> String {
        let (stats, time) = self.total.unwrap_or_default();
        let tests = self.stacks.len() + self.steps.len();
        // Drift is a failure of the check that found it; what could not be checked is skipped.
        let failures = stats.stacks.failed
            + stats.steps.failed
            + stats.stacks.drifted
            + stats.steps.drifted
            + stats.stacks.would_create
            + stats.stacks.would_update
            + stats.steps.would_apply
            + stats.steps.would_run;
        let skipped = stats.stacks.skipped
            + stats.steps.skipped
            + stats.steps.not_run
            + stats.stacks.not_checked
            + stats.steps.not_checkable
            + stats.steps.decided_at_deploy;
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let totals = format!(
            r#"tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}" time="{:.3}""#,
            time.as_secs_f64()
        );
        xml.push_str(&format!("<testsuites name=\"gapfill\" {totals}>\n"));
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" {totals}>\n",
            escape::xml(&self.suite)
        ));
        let cases = self
            .stacks
            .iter()
            .map(|(name, case)| ("stacks", name, case))
            .chain(self.steps.iter().map(|(name, case)| ("steps", name, case)));
        for (classname, name, case) in cases {
            let open = format!(
                r#"    <testcase classname="{classname}" name="{}" time="{:.3}">"#,
                escape::xml(name),
                case.time.as_secs_f64()
            );
            let body = match &case.verdict {
                Verdict::Stack(outcome) => stack_body(outcome),
                Verdict::Step(outcome) => {
                    let trace = self.traces.get(name.as_str());
                    step_body(outcome, trace)
                }
            };
            xml.push_str(&format!("{open}\n      {body}\n    </testcase>\n"));
        }
        xml.push_str("  </testsuite>\n</testsuites>\n");
        xml
    }
}

/// A stack case's verdict element.
fn stack_body(outcome: &StackOutcome) -> String {
    match outcome {
        StackOutcome::Created | StackOutcome::Updated | StackOutcome::Unchanged { .. } => {
            format!("<system-out>{}</system-out>", outcome.label())
        }
        StackOutcome::Failed { reason, hint } => {
            let detail = match hint {
                Some(hint) => format!("{reason}\nhint: {hint}"),
                None => reason.clone(),
            };
            failure(reason, &detail)
        }
        StackOutcome::Skipped { because } => skipped(because),
        StackOutcome::InSync => format!("<system-out>{}</system-out>", outcome.label()),
        // A pending change fails the plan's case: CI shows what a deploy would do.
        StackOutcome::WouldChange { .. } => failure(outcome.label(), outcome.label()),
        StackOutcome::NotChecked { because } => skipped(&format!("not checked: {because}")),
        StackOutcome::Drifted { resources } => {
            let detail = super::resource_drift_lines(resources).join("\n");
            if resources.iter().any(|resource| resource.counts()) {
                failure("drifted from its template", &format!("drifted\n{detail}"))
            } else {
                format!(
                    "<system-out>{}</system-out>",
                    escape::xml(&format!("in sync (differences ignored)\n{detail}"))
                )
            }
        }
    }
}

/// A step case's verdict element: for a success, what was done and what the apply corrected.
fn step_body(outcome: &StepOutcome, trace: Option<&StepTrace>) -> String {
    let call = trace
        .map(|trace| trace.call.as_str())
        .filter(|call| !call.is_empty());
    match outcome {
        StepOutcome::InSync => format!("<system-out>{}</system-out>", outcome.label()),
        StepOutcome::Applied | StepOutcome::ActionRun => {
            let mut text = outcome.label().to_string();
            if let Some(call) = call {
                text.push_str(&format!(" ({call})"));
            }
            if matches!(outcome, StepOutcome::Applied) {
                for difference in trace.iter().flat_map(|trace| &trace.found) {
                    text.push_str(&format!("\n  {}", difference.text()));
                }
            }
            format!("<system-out>{}</system-out>", escape::xml(&text))
        }
        StepOutcome::NotRun { because } => skipped(&format!("not run: {because}")),
        StepOutcome::Failed {
            reason,
            hint,
            differences,
        } => {
            let mut detail = reason.clone();
            for difference in differences {
                detail.push_str(&format!("\n  {}", difference.text()));
            }
            if let Some(hint) = hint {
                detail.push_str(&format!("\nhint: {hint}"));
            }
            failure(reason, &detail)
        }
        StepOutcome::Skipped { because } => skipped(because),
        StepOutcome::Drifted { differences } => {
            let mut detail = "drifted: the check does not hold".to_string();
            for difference in differences {
                detail.push_str(&format!("\n  {}", difference.text()));
            }
            failure("drifted: the check does not hold", &detail)
        }
        StepOutcome::NotCheckable => skipped("not checkable: an action has no check"),
        StepOutcome::WouldApply { differences } => {
            let mut detail = "would apply".to_string();
            for difference in differences {
                detail.push_str(&format!("\n  {}", difference.text()));
            }
            failure("would apply", &detail)
        }
        StepOutcome::WouldRun => failure("would run", "would run: an action runs on every deploy"),
        StepOutcome::DecidedAtDeploy { because } => {
            skipped(&format!("decided at deploy: {because}"))
        }
    }
}

fn failure(message: &str, detail: &str) -> String {
    format!(
        "<failure message=\"{}\">{}</failure>",
        escape::xml(message),
        escape::xml(detail)
    )
}

fn skipped(message: &str) -> String {
    format!("<skipped message=\"{}\"/>", escape::xml(message))
}

impl Reporter for Junit {
    fn event(&mut self, event: &RunEvent) -> io::Result<()> {
        // Every kind is listed: a new event forces a decision here.
        match &event.kind {
            RunEventKind::RunStarted {
                command,
                project,
                stacks: _,
                steps: _,
            } => {
                self.suite = format!("gapfill {command} {project}");
            }
            RunEventKind::StackStarted { stack } => {
                self.started
                    .insert((Node::Stack, stack.clone()), event.elapsed);
            }
            RunEventKind::StackFinished {
                stack,
                outcome,
                outputs: _,
            } => {
                let time = self.took(Node::Stack, stack, event.elapsed);
                self.stacks.insert(
                    stack.clone(),
                    Case {
                        verdict: Verdict::Stack(outcome.clone()),
                        time,
                    },
                );
            }
            RunEventKind::StepStarted { step, call } => {
                self.started
                    .insert((Node::Step, step.clone()), event.elapsed);
                self.traces.insert(
                    step.clone(),
                    StepTrace {
                        call: call.clone(),
                        ..StepTrace::default()
                    },
                );
            }
            RunEventKind::StepChecked { step, differences } => {
                let trace = self.traces.entry(step.clone()).or_default();
                if !trace.checked {
                    trace.checked = true;
                    trace.found = differences.clone();
                }
            }
            RunEventKind::StepFinished { step, outcome } => {
                let time = self.took(Node::Step, step, event.elapsed);
                self.steps.insert(
                    step.clone(),
                    Case {
                        verdict: Verdict::Step(outcome.clone()),
                        time,
                    },
                );
            }
            RunEventKind::RunFinished {
                stats,
                stacks: _,
                steps: _,
            } => self.total = Some((*stats, event.elapsed)),
            RunEventKind::StackRecovering { .. }
            | RunEventKind::ChangeSetCreated { .. }
            | RunEventKind::StackExecuting { .. }
            | RunEventKind::StackResourceEvent { .. }
            | RunEventKind::StackHeartbeat { .. }
            | RunEventKind::StepApplying { .. }
            // Retries are progress; the report is about outcomes.
            | RunEventKind::Retrying { .. } => {}
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let xml = self.render();
        if let Some(dir) = self.path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&self.path, self.redactor.redact(&xml).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{StackStats, StepStats};

    fn at(elapsed_ms: u64, kind: RunEventKind) -> RunEvent {
        RunEvent {
            at: chrono::Utc::now(),
            elapsed: Duration::from_millis(elapsed_ms),
            kind,
        }
    }

    #[test]
    fn one_test_case_per_stack_with_failures_and_skips_written_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reports/junit.xml");
        let redactor = Redactor::default();
        redactor.add("s3cr3t-value");
        let mut junit = Junit::new(path.clone(), redactor);
        let events = [
            at(
                0,
                RunEventKind::RunStarted {
                    command: "deploy".into(),
                    project: "demo".into(),
                    stacks: vec![],
                    steps: vec![],
                },
            ),
            at(
                0,
                RunEventKind::StackStarted {
                    stack: "data".into(),
                },
            ),
            at(
                1500,
                RunEventKind::StackFinished {
                    stack: "data".into(),
                    outcome: StackOutcome::Created,
                    outputs: Default::default(),
                },
            ),
            at(
                1500,
                RunEventKind::StackStarted {
                    stack: "api".into(),
                },
            ),
            at(
                2000,
                RunEventKind::StackFinished {
                    stack: "api".into(),
                    outcome: StackOutcome::Failed {
                        reason: "Fn <bad> & s3cr3t-value".into(),
                        hint: Some("fix it".into()),
                    },
                    outputs: Default::default(),
                },
            ),
            at(
                2000,
                RunEventKind::StackFinished {
                    stack: "web".into(),
                    outcome: StackOutcome::Skipped {
                        because: "`api` did not deploy".into(),
                    },
                    outputs: Default::default(),
                },
            ),
            at(
                2100,
                RunEventKind::RunFinished {
                    stats: RunStats {
                        stacks: StackStats {
                            created: 1,
                            failed: 1,
                            skipped: 1,
                            ..StackStats::default()
                        },
                        steps: StepStats::default(),
                    },
                    stacks: vec![],
                    steps: vec![],
                },
            ),
        ];
        for event in &events {
            junit.event(event).unwrap();
        }
        assert!(!path.exists(), "written only when the run is over");
        junit.finish().unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        assert!(xml.contains(r#"<testsuite name="gapfill deploy demo" tests="3" failures="1" errors="0" skipped="1" time="2.100">"#), "{xml}");
        assert!(
            xml.contains(r#"<testcase classname="stacks" name="data" time="1.500">"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<failure message="Fn &lt;bad&gt; &amp; ****">Fn &lt;bad&gt; &amp; ****"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="`api` did not deploy"/>"#),
            "{xml}"
        );
        assert!(!xml.contains("s3cr3t"), "{xml}");
        assert!(
            roxmltree::Document::parse(&xml).is_ok(),
            "well-formed: {xml}"
        );
    }

    fn difference(path: &str, expected: &str, actual: Option<&str>, secret: bool) -> Difference {
        Difference {
            path: path.into(),
            expected: expected.into(),
            actual: actual.map(Into::into),
            secret,
        }
    }

    #[test]
    fn one_test_case_per_step_after_the_stacks_with_differences_and_causes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        let redactor = Redactor::default();
        redactor.add("s3cr3t-value");
        let mut junit = Junit::new(path.clone(), redactor);
        let finished = |ms, step: &str, outcome| {
            at(
                ms,
                RunEventKind::StepFinished {
                    step: step.into(),
                    outcome,
                },
            )
        };
        let events = [
            at(
                0,
                RunEventKind::RunStarted {
                    command: "deploy".into(),
                    project: "demo".into(),
                    stacks: vec!["data".into()],
                    steps: vec!["data".into(), "token".into()],
                },
            ),
            at(
                0,
                RunEventKind::StackStarted {
                    stack: "data".into(),
                },
            ),
            at(
                1000,
                RunEventKind::StackFinished {
                    stack: "data".into(),
                    outcome: StackOutcome::Created,
                    outputs: Default::default(),
                },
            ),
            // A step may share a stack's name: its own case, its own classname.
            at(
                1000,
                RunEventKind::StepStarted {
                    step: "data".into(),
                    call: "lambda:PutFunctionConcurrency".into(),
                },
            ),
            at(
                1100,
                RunEventKind::StepChecked {
                    step: "data".into(),
                    differences: vec![difference("ReservedConcurrentExecutions", "5", None, false)],
                },
            ),
            at(
                1200,
                RunEventKind::StepApplying {
                    step: "data".into(),
                    call: "lambda:PutFunctionConcurrency".into(),
                },
            ),
            at(
                1300,
                RunEventKind::StepChecked {
                    step: "data".into(),
                    differences: vec![],
                },
            ),
            finished(1750, "data", StepOutcome::Applied),
            at(
                1750,
                RunEventKind::StepStarted {
                    step: "token".into(),
                    call: "ssm:PutParameter".into(),
                },
            ),
            finished(
                2000,
                "token",
                StepOutcome::Failed {
                    reason: "never converged <s3cr3t-value>".into(),
                    hint: Some("check the KMS key policy".into()),
                    differences: vec![
                        difference("Parameter.Value", "\"hunter22-x\"", Some("\"old-9\""), true),
                        difference(
                            "Parameter.Type",
                            "\"SecureString\"",
                            Some("\"String\""),
                            false,
                        ),
                    ],
                },
            ),
            finished(
                2000,
                "seed",
                StepOutcome::Skipped {
                    because: "`token` did not succeed".into(),
                },
            ),
            finished(
                2000,
                "audit",
                StepOutcome::NotRun {
                    because: "`when:` is false".into(),
                },
            ),
            finished(2000, "warm", StepOutcome::InSync),
            at(
                2100,
                RunEventKind::RunFinished {
                    stats: RunStats {
                        stacks: StackStats {
                            created: 1,
                            ..StackStats::default()
                        },
                        steps: StepStats {
                            applied: 1,
                            failed: 1,
                            skipped: 1,
                            not_run: 1,
                            in_sync: 1,
                            ..StepStats::default()
                        },
                    },
                    stacks: vec![],
                    steps: vec![],
                },
            ),
        ];
        for event in &events {
            junit.event(event).unwrap();
        }
        junit.finish().unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        assert!(
            xml.contains(r#"<testsuite name="gapfill deploy demo" tests="6" failures="1" errors="0" skipped="2" time="2.100">"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase classname=\"stacks\" name=\"data\" time=\"1.000\">\n      <system-out>created</system-out>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase classname=\"steps\" name=\"data\" time=\"0.750\">\n      \
                 <system-out>applied (lambda:PutFunctionConcurrency)\n  \
                 ReservedConcurrentExecutions: expected 5, found nothing</system-out>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase classname=\"steps\" name=\"token\" time=\"0.250\">\n      \
                 <failure message=\"never converged &lt;****&gt;\">never converged &lt;****&gt;\n  \
                 Parameter.Value: differs (secret value, not shown)\n  \
                 Parameter.Type: expected &quot;SecureString&quot;, found &quot;String&quot;\n\
                 hint: check the KMS key policy</failure>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase classname=\"steps\" name=\"seed\" time=\"0.000\">\n      \
                 <skipped message=\"`token` did not succeed\"/>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="not run: `when:` is false"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase classname=\"steps\" name=\"warm\" time=\"0.000\">\n      <system-out>in sync</system-out>"
            ),
            "{xml}"
        );
        assert!(!xml.contains("s3cr3t"), "{xml}");
        assert!(!xml.contains("hunter22"), "{xml}");
        assert!(!xml.contains("old-9"), "{xml}");
        let document = roxmltree::Document::parse(&xml).expect("well-formed");
        let cases: Vec<(&str, &str)> = document
            .descendants()
            .filter(|node| node.has_tag_name("testcase"))
            .map(|case| {
                (
                    case.attribute("classname").unwrap(),
                    case.attribute("name").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            cases,
            [
                ("stacks", "data"),
                ("steps", "data"),
                ("steps", "token"),
                ("steps", "seed"),
                ("steps", "audit"),
                ("steps", "warm"),
            ]
        );
    }
}
