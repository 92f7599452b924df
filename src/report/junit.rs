//! `--junit FILE`: a JUnit XML report for CI test dashboards (CircleCI's
//! `store_test_results`, GitHub test reporters). An aggregator, not a printer: it collects one
//! test case per stack and writes the file once, when the run is over.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

use crate::escape;
use crate::events::{RunEvent, RunEventKind, RunStats, StackOutcome};
use crate::redact::Redactor;

use super::Reporter;

/// One test case.
struct Case {
    outcome: StackOutcome,
    time: Duration,
}

/// The JUnit aggregator.
pub struct Junit {
    path: PathBuf,
    redactor: Redactor,
    suite: String,
    started: IndexMap<String, Duration>,
    cases: IndexMap<String, Case>,
    total: Option<(RunStats, Duration)>,
}

impl Junit {
    pub fn new(path: PathBuf, redactor: Redactor) -> Junit {
        Junit {
            path,
            redactor,
            suite: "gapfill".into(),
            started: IndexMap::new(),
            cases: IndexMap::new(),
            total: None,
        }
    }

    /// The report as XML.
    fn render(&self) -> String {
        let (stats, time) = self.total.unwrap_or_default();
        let tests = self.cases.len();
        let (failures, skipped) = (stats.failed, stats.skipped);
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
        for (stack, case) in &self.cases {
            let open = format!(
                r#"    <testcase classname="stacks" name="{}" time="{:.3}""#,
                escape::xml(stack),
                case.time.as_secs_f64()
            );
            match &case.outcome {
                StackOutcome::Created | StackOutcome::Updated | StackOutcome::Unchanged { .. } => {
                    xml.push_str(&format!(
                        "{open}>\n      <system-out>{}</system-out>\n    </testcase>\n",
                        case.outcome.label()
                    ));
                }
                StackOutcome::Failed { reason, hint } => {
                    let detail = match hint {
                        Some(hint) => format!("{reason}\nhint: {hint}"),
                        None => reason.clone(),
                    };
                    xml.push_str(&format!(
                        "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                        escape::xml(reason),
                        escape::xml(&detail)
                    ));
                }
                StackOutcome::Skipped { because } => {
                    xml.push_str(&format!(
                        "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                        escape::xml(because)
                    ));
                }
            }
        }
        xml.push_str("  </testsuite>\n</testsuites>\n");
        xml
    }
}

impl Reporter for Junit {
    fn event(&mut self, event: &RunEvent) -> io::Result<()> {
        // Every kind is listed: a new event forces a decision here.
        match &event.kind {
            RunEventKind::RunStarted {
                command,
                project,
                stacks: _,
            } => {
                self.suite = format!("gapfill {command} {project}");
            }
            RunEventKind::StackStarted { stack } => {
                self.started.insert(stack.clone(), event.elapsed);
            }
            RunEventKind::StackFinished {
                stack,
                outcome,
                outputs: _,
            } => {
                let began = self.started.get(stack).copied().unwrap_or(event.elapsed);
                let time = event.elapsed.saturating_sub(began);
                self.cases.insert(
                    stack.clone(),
                    Case {
                        outcome: outcome.clone(),
                        time,
                    },
                );
            }
            RunEventKind::RunFinished { stats, stacks: _ } => {
                self.total = Some((*stats, event.elapsed))
            }
            RunEventKind::StackRecovering { .. }
            | RunEventKind::ChangeSetCreated { .. }
            | RunEventKind::StackExecuting { .. }
            | RunEventKind::StackResourceEvent { .. }
            | RunEventKind::StackHeartbeat { .. } => {}
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
                        created: 1,
                        failed: 1,
                        skipped: 1,
                        ..RunStats::default()
                    },
                    stacks: vec![],
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
}
