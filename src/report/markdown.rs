//! `--format markdown`: one Markdown document for a pull-request comment or GitHub's step
//! summary (in GitHub Actions, appended to `$GITHUB_STEP_SUMMARY` by itself). An aggregator,
//! not a printer: it collects the run's outcomes and writes the document once, when the run
//! is over.
//!
//! ```text
//! ## gapfill drift catalog: drift found
//!
//! ### Stacks
//!
//! | stack | result | details |
//! |---|---|---|
//! | catalog-data | drifted | 1 resource(s) differ from the template |
//!
//! #### Stack drift
//!
//! - **catalog-data**
//!   - MODIFIED `AWS::SQS::Queue` `Queue`
//!     - `/Properties/VisibilityTimeout`: expected `30`, found `60`
//!
//! ### Steps
//! ...
//! done in 4.2s: drift found: stacks 1 drifted, ...
//! ```
//!
//! A title with the command, the project and what the run came to; a table per side (a side
//! without nodes is left out), with the resources of drifted stacks and the differences of
//! drifted or failed steps listed under it; the closing summary line. Text is escaped so it
//! reads as written (table pipes, backticks, emphasis, HTML); values are code spans. Secrets
//! are masked before escaping, and the whole document once more; a secret difference says
//! only that it differs.

use std::io::{self, Write};
use std::time::Duration;

use indexmap::IndexMap;

use crate::escape;
use crate::events::{
    Difference, ResourceDrift, RunEvent, RunEventKind, RunStats, StackOutcome, StepOutcome,
};
use crate::redact::Redactor;

use super::{headline_text, summary_text, Reporter};

/// The Markdown aggregator.
pub struct Markdown<W: Write + Send> {
    out: W,
    redactor: Redactor,
    command: String,
    project: String,
    /// Stack and step names in plan order, from `RunStarted`; names first seen later follow.
    stack_names: Vec<String>,
    step_names: Vec<String>,
    stacks: IndexMap<String, StackOutcome>,
    steps: IndexMap<String, StepOutcome>,
    /// Each step's apply operation, from `StepStarted`.
    calls: IndexMap<String, String>,
    total: Option<(RunStats, Duration)>,
    written: bool,
}

impl<W: Write + Send> Markdown<W> {
    pub fn new(out: W, redactor: Redactor) -> Markdown<W> {
        Markdown {
            out,
            redactor,
            command: String::new(),
            project: String::new(),
            stack_names: Vec::new(),
            step_names: Vec::new(),
            stacks: IndexMap::new(),
            steps: IndexMap::new(),
            calls: IndexMap::new(),
            total: None,
            written: false,
        }
    }

    /// Text as it reads in Markdown: masked, then escaped.
    fn text(&self, raw: &str) -> String {
        escape::markdown(&self.redactor.redact(raw))
    }

    /// A value as a code span: masked, then fenced.
    fn code(&self, raw: &str) -> String {
        code(&self.redactor.redact(raw))
    }

    /// The document.
    fn render(&self) -> String {
        let title = match (self.command.is_empty(), self.project.is_empty()) {
            (true, _) => "gapfill".to_string(),
            (false, true) => format!("gapfill {}", self.command),
            (false, false) => format!("gapfill {} {}", self.command, self.project),
        };
        let verdict = match &self.total {
            Some((stats, _)) => headline_text(&self.command, stats),
            None => "did not finish".to_string(),
        };
        let mut doc = format!("## {}: {}\n", self.text(&title), self.text(&verdict));
        let stacks = ordered(&self.stack_names, &self.stacks);
        if !stacks.is_empty() {
            doc.push_str("\n### Stacks\n\n| stack | result | details |\n|---|---|---|\n");
            for (name, outcome) in &stacks {
                let (result, details) = match outcome {
                    Some(outcome) => (stack_result(outcome), self.stack_details(outcome)),
                    None => ("not finished", String::new()),
                };
                doc.push_str(&row(&self.text(name), result, &details));
            }
            let drifted: Vec<(&String, &Vec<ResourceDrift>)> = stacks
                .iter()
                .filter_map(|(name, outcome)| Some((*name, drift_report((*outcome)?)?)))
                .collect();
            if !drifted.is_empty() {
                doc.push_str("\n#### Stack drift\n\n");
                for (name, resources) in drifted {
                    doc.push_str(&format!("- **{}**\n", self.text(name)));
                    for resource in resources {
                        doc.push_str(&self.resource_items(resource));
                    }
                }
            }
        }
        let steps = ordered(&self.step_names, &self.steps);
        if !steps.is_empty() {
            doc.push_str("\n### Steps\n\n| step | result | details |\n|---|---|---|\n");
            for (name, outcome) in &steps {
                let (result, details) = match outcome {
                    Some(outcome) => (outcome.label(), self.step_details(name, outcome)),
                    None => ("not finished", String::new()),
                };
                doc.push_str(&row(&self.text(name), result, &details));
            }
            let differing: Vec<(&String, &StepOutcome, &Vec<Difference>)> = steps
                .iter()
                .filter_map(|(name, outcome)| {
                    let outcome = (*outcome)?;
                    step_differences(outcome).map(|differences| (*name, outcome, differences))
                })
                .collect();
            if !differing.is_empty() {
                doc.push_str("\n#### Step differences\n\n");
                for (name, outcome, differences) in differing {
                    doc.push_str(&format!(
                        "- **{}** ({})\n",
                        self.text(name),
                        outcome.label()
                    ));
                    for difference in differences {
                        doc.push_str(&format!("  - {}\n", self.difference_text(difference)));
                    }
                }
            }
        }
        if let Some((stats, elapsed)) = &self.total {
            let summary = summary_text(&self.command, stats, *elapsed);
            doc.push_str(&format!("\n{}\n", self.text(&summary)));
        }
        doc
    }

    /// What the details column says of a stack.
    fn stack_details(&self, outcome: &StackOutcome) -> String {
        match outcome {
            StackOutcome::Created | StackOutcome::Updated | StackOutcome::InSync => String::new(),
            StackOutcome::Unchanged { fast: true } => {
                "template, parameters and tags match what is deployed".into()
            }
            StackOutcome::Unchanged { fast: false } => "empty change set".into(),
            StackOutcome::Failed { reason, hint } => self.with_hint(reason, hint.as_deref()),
            StackOutcome::Skipped { because } | StackOutcome::NotChecked { because } => {
                self.text(because)
            }
            StackOutcome::Drifted { resources } => self.text(&drift_cell(resources)),
            StackOutcome::WouldChange { kept, .. } => kept
                .as_ref()
                .map(|change_set| self.text(&format!("change set {change_set} kept")))
                .unwrap_or_default(),
        }
    }

    /// What the details column says of a step.
    fn step_details(&self, step: &str, outcome: &StepOutcome) -> String {
        match outcome {
            StepOutcome::InSync => String::new(),
            StepOutcome::Applied | StepOutcome::ActionRun => self
                .calls
                .get(step)
                .map(|call| self.text(call))
                .unwrap_or_default(),
            StepOutcome::NotRun { because } | StepOutcome::Skipped { because } => {
                self.text(because)
            }
            StepOutcome::Failed {
                reason,
                hint,
                differences: _,
            } => self.with_hint(reason, hint.as_deref()),
            StepOutcome::Drifted { differences } => {
                format!("{} difference(s)", differences.len())
            }
            StepOutcome::NotCheckable => "an action has no check".into(),
            StepOutcome::WouldApply { differences } => {
                format!("{} difference(s)", differences.len())
            }
            StepOutcome::WouldRun => "an action runs on every deploy".into(),
            StepOutcome::DecidedAtDeploy { because } => self.text(because),
        }
    }

    /// A failure's reason, and its hint on a line of its own.
    fn with_hint(&self, reason: &str, hint: Option<&str>) -> String {
        match hint {
            Some(hint) => format!("{}<br>hint: {}", self.text(reason), self.text(hint)),
            None => self.text(reason),
        }
    }

    /// A resource of a drift report as a nested list item, with an item per property
    /// difference under it; ignored ones marked.
    fn resource_items(&self, resource: &ResourceDrift) -> String {
        let ignored = if resource.status != "NOT_CHECKED" && !resource.counts() {
            " (ignored)"
        } else {
            ""
        };
        let mut items = format!(
            "  - {} {} {}{ignored}\n",
            self.text(&resource.status),
            self.code(&resource.resource_type),
            self.code(&resource.logical_id)
        );
        for property in &resource.properties {
            let ignored = if property.ignored { " (ignored)" } else { "" };
            items.push_str(&format!(
                "    - {}: expected {}, found {}{ignored}\n",
                self.code(&property.path),
                self.value(property.expected.as_deref()),
                self.value(property.actual.as_deref())
            ));
        }
        items
    }

    /// A value as a code span, or `nothing`.
    fn value(&self, value: Option<&str>) -> String {
        value.map_or_else(|| "nothing".to_string(), |value| self.code(value))
    }

    /// [`Difference::text`] in Markdown: `path: expected X, found Y`, values as code spans; a
    /// secret one says only that it differs.
    fn difference_text(&self, difference: &Difference) -> String {
        let path = self.code(&difference.path);
        if difference.secret {
            return format!("{path}: differs (secret value, not shown)");
        }
        format!(
            "{path}: expected {}, found {}",
            self.code(&difference.expected),
            self.value(difference.actual.as_deref())
        )
    }
}

/// The names of one side in order, each with its outcome when it has one.
fn ordered<'a, T>(
    names: &'a [String],
    outcomes: &'a IndexMap<String, T>,
) -> Vec<(&'a String, Option<&'a T>)> {
    let mut rows: Vec<(&String, Option<&T>)> = names
        .iter()
        .map(|name| (name, outcomes.get(name)))
        .collect();
    for (name, outcome) in outcomes {
        if !names.contains(name) {
            rows.push((name, Some(outcome)));
        }
    }
    rows
}

/// A table row; every cell already escaped.
fn row(name: &str, result: &str, details: &str) -> String {
    format!("| {name} | {result} | {details} |\n")
}

/// A stack's result word: a drift report whose every difference is ignored, or whose
/// resources could not be checked, counts as in sync (as the run's counts do).
fn stack_result(outcome: &StackOutcome) -> &'static str {
    match outcome {
        StackOutcome::Drifted { resources } if !resources.iter().any(ResourceDrift::counts) => {
            "in sync"
        }
        StackOutcome::Created
        | StackOutcome::Updated
        | StackOutcome::Unchanged { .. }
        | StackOutcome::Failed { .. }
        | StackOutcome::Skipped { .. }
        | StackOutcome::InSync
        | StackOutcome::Drifted { .. }
        | StackOutcome::NotChecked { .. }
        | StackOutcome::WouldChange { .. } => outcome.label(),
    }
}

/// The resources listed under the stacks table: those of a drift report.
fn drift_report(outcome: &StackOutcome) -> Option<&Vec<ResourceDrift>> {
    match outcome {
        StackOutcome::Drifted { resources } if !resources.is_empty() => Some(resources),
        StackOutcome::Created
        | StackOutcome::Updated
        | StackOutcome::Unchanged { .. }
        | StackOutcome::Failed { .. }
        | StackOutcome::Skipped { .. }
        | StackOutcome::InSync
        | StackOutcome::Drifted { .. }
        | StackOutcome::NotChecked { .. }
        | StackOutcome::WouldChange { .. } => None,
    }
}

/// How a drift report reads in a cell: how many resources differ, and what was not counted.
fn drift_cell(resources: &[ResourceDrift]) -> String {
    let (counted, mut notes) = super::drift_notes(resources);
    if counted > 0 {
        notes.insert(0, format!("{counted} resource(s) differ from the template"));
    }
    notes.join("; ")
}

/// The differences listed under the steps table: those a drifted step found, those a failed
/// step never converged on.
fn step_differences(outcome: &StepOutcome) -> Option<&Vec<Difference>> {
    match outcome {
        StepOutcome::Drifted { differences }
        | StepOutcome::WouldApply { differences }
        | StepOutcome::Failed {
            reason: _,
            hint: _,
            differences,
        } if !differences.is_empty() => Some(differences),
        StepOutcome::InSync
        | StepOutcome::Applied
        | StepOutcome::ActionRun
        | StepOutcome::NotRun { .. }
        | StepOutcome::Failed { .. }
        | StepOutcome::Skipped { .. }
        | StepOutcome::Drifted { .. }
        | StepOutcome::WouldApply { .. }
        | StepOutcome::NotCheckable
        | StepOutcome::WouldRun
        | StepOutcome::DecidedAtDeploy { .. } => None,
    }
}

/// `text` as a code span on one line: fenced by more backticks than it holds in a row, padded
/// when it starts or ends with a backtick (or with spaces on both sides, which Markdown would
/// strip).
fn code(text: &str) -> String {
    let text = text.replace("\r\n", " ").replace(['\n', '\r'], " ");
    if text.is_empty() {
        return "(empty)".to_string();
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    if pad {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

impl<W: Write + Send> Reporter for Markdown<W> {
    fn event(&mut self, event: &RunEvent) -> io::Result<()> {
        // Every kind is listed: a new event forces a decision here.
        match &event.kind {
            RunEventKind::RunStarted {
                command,
                project,
                stacks,
                steps,
            } => {
                self.command = command.clone();
                self.project = project.clone();
                self.stack_names = stacks.clone();
                self.step_names = steps.clone();
            }
            RunEventKind::StackFinished {
                stack,
                outcome,
                outputs: _,
            } => {
                self.stacks.insert(stack.clone(), outcome.clone());
            }
            RunEventKind::StepStarted { step, call } => {
                self.calls.insert(step.clone(), call.clone());
            }
            RunEventKind::StepFinished { step, outcome } => {
                self.steps.insert(step.clone(), outcome.clone());
            }
            RunEventKind::RunFinished {
                stats,
                stacks,
                steps,
            } => {
                // The final word on every outcome, in plan order.
                for (stack, outcome) in stacks {
                    self.stacks.insert(stack.clone(), outcome.clone());
                }
                for (step, outcome) in steps {
                    self.steps.insert(step.clone(), outcome.clone());
                }
                self.total = Some((*stats, event.elapsed));
            }
            RunEventKind::StackStarted { .. }
            | RunEventKind::StackRecovering { .. }
            | RunEventKind::ChangeSetCreated { .. }
            | RunEventKind::StackExecuting { .. }
            | RunEventKind::StackResourceEvent { .. }
            | RunEventKind::StackHeartbeat { .. }
            | RunEventKind::StepChecked { .. }
            | RunEventKind::StepApplying { .. }
            // Retries are progress; the report is about outcomes.
            | RunEventKind::Retrying { .. } => {}
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.written {
            return Ok(());
        }
        self.written = true;
        let doc = self.render();
        self.out.write_all(self.redactor.redact(&doc).as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{PropertyDrift, StackStats, StepStats};

    fn at(elapsed_ms: u64, kind: RunEventKind) -> RunEvent {
        RunEvent {
            at: chrono::Utc::now(),
            elapsed: Duration::from_millis(elapsed_ms),
            kind,
        }
    }

    fn document(redactor: Redactor, events: &[RunEventKind]) -> String {
        let mut out = Vec::new();
        let mut markdown = Markdown::new(&mut out, redactor);
        for (ms, kind) in events.iter().enumerate() {
            markdown.event(&at(ms as u64 * 100, kind.clone())).unwrap();
        }
        markdown.finish().unwrap();
        markdown.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    fn difference(path: &str, expected: &str, actual: Option<&str>, secret: bool) -> Difference {
        Difference {
            path: path.into(),
            expected: expected.into(),
            actual: actual.map(Into::into),
            secret,
        }
    }

    fn property(path: &str, expected: &str, actual: &str, ignored: bool) -> PropertyDrift {
        PropertyDrift {
            path: path.into(),
            expected: Some(expected.into()),
            actual: Some(actual.into()),
            difference: "NOT_EQUAL".into(),
            ignored,
        }
    }

    fn stack(stack: &str, outcome: StackOutcome) -> RunEventKind {
        RunEventKind::StackFinished {
            stack: stack.into(),
            outcome,
            outputs: Default::default(),
        }
    }

    fn step(step: &str, outcome: StepOutcome) -> RunEventKind {
        RunEventKind::StepFinished {
            step: step.into(),
            outcome,
        }
    }

    #[test]
    fn a_drift_run_lists_drifted_resources_and_step_differences_secrets_hidden() {
        let redactor = Redactor::default();
        redactor.add("s3cr3t|value");
        let events = [
            RunEventKind::RunStarted {
                command: "drift".into(),
                project: "catalog".into(),
                stacks: vec![
                    "catalog-data".into(),
                    "catalog-api".into(),
                    "catalog-edge".into(),
                ],
                steps: vec!["api_token".into(), "warm".into(), "retention".into()],
            },
            stack(
                "catalog-data",
                StackOutcome::Drifted {
                    resources: vec![
                        ResourceDrift {
                            logical_id: "Queue".into(),
                            resource_type: "AWS::SQS::Queue".into(),
                            status: "MODIFIED".into(),
                            properties: vec![property(
                                "/Properties/VisibilityTimeout",
                                "30",
                                "60",
                                false,
                            )],
                        },
                        ResourceDrift {
                            logical_id: "Topic".into(),
                            resource_type: "AWS::SNS::Topic".into(),
                            status: "MODIFIED".into(),
                            properties: vec![property(
                                "/Properties/DisplayName",
                                "\"Catalog\"",
                                "\"catalog | `ops`\"",
                                true,
                            )],
                        },
                    ],
                },
            ),
            stack("catalog-api", StackOutcome::InSync),
            stack(
                "catalog-edge",
                StackOutcome::NotChecked {
                    because: "DetectStackDrift failed: token s3cr3t|value\nrejected".into(),
                },
            ),
            RunEventKind::StepStarted {
                step: "api_token".into(),
                call: "ssm:PutParameter".into(),
            },
            RunEventKind::StepChecked {
                step: "api_token".into(),
                differences: vec![difference(
                    "Parameter.Value",
                    "\"hunter22-x\"",
                    Some("\"old-9\""),
                    true,
                )],
            },
            step(
                "api_token",
                StepOutcome::Drifted {
                    differences: vec![
                        difference("Parameter.Value", "\"hunter22-x\"", Some("\"old-9\""), true),
                        difference("Parameter.Tier", "\"Advanced\"", None, false),
                    ],
                },
            ),
            step("warm", StepOutcome::NotCheckable),
            step("retention", StepOutcome::InSync),
            RunEventKind::RunFinished {
                stats: RunStats {
                    stacks: StackStats {
                        drifted: 1,
                        in_sync: 1,
                        not_checked: 1,
                        ..StackStats::default()
                    },
                    steps: StepStats {
                        drifted: 1,
                        not_checkable: 1,
                        in_sync: 1,
                        ..StepStats::default()
                    },
                },
                stacks: vec![],
                steps: vec![],
            },
        ];
        let doc = document(redactor, &events);
        assert_eq!(
            doc,
            "## gapfill drift catalog: drift found

### Stacks

| stack | result | details |
|---|---|---|
| catalog-data | drifted | 1 resource(s) differ from the template; 1 resource(s) with ignored differences only |
| catalog-api | in sync |  |
| catalog-edge | not checked | DetectStackDrift failed: token \\*\\*\\*\\*<br>rejected |

#### Stack drift

- **catalog-data**
  - MODIFIED `AWS::SQS::Queue` `Queue`
    - `/Properties/VisibilityTimeout`: expected `30`, found `60`
  - MODIFIED `AWS::SNS::Topic` `Topic` (ignored)
    - `/Properties/DisplayName`: expected `\"Catalog\"`, found ``\"catalog | `ops`\"`` (ignored)

### Steps

| step | result | details |
|---|---|---|
| api\\_token | drifted | 2 difference(s) |
| warm | not checkable | an action has no check |
| retention | in sync |  |

#### Step differences

- **api\\_token** (drifted)
  - `Parameter.Value`: differs (secret value, not shown)
  - `Parameter.Tier`: expected `\"Advanced\"`, found nothing

done in 0.9s: drift found: stacks 1 drifted, 1 in sync, 1 not checked, 0 failed; steps 1 drifted, 1 in sync, 1 not checkable, 0 failed
"
        );
        for hidden in ["hunter22", "old-9", "s3cr3t"] {
            assert!(!doc.contains(hidden), "{hidden} in {doc}");
        }
    }

    #[test]
    fn a_deploy_run_counts_in_the_title_and_escapes_what_would_break_the_table() {
        let redactor = Redactor::default();
        redactor.add("hunter22-x");
        let events = [
            RunEventKind::RunStarted {
                command: "deploy".into(),
                project: "catalog".into(),
                stacks: vec!["data".into(), "api".into(), "web".into()],
                steps: vec!["concurrency".into(), "token".into(), "audit".into()],
            },
            stack("data", StackOutcome::Created),
            stack(
                "api",
                StackOutcome::Failed {
                    reason: "Template error: `Fn::If` | <bad> *value*".into(),
                    hint: Some("check the template".into()),
                },
            ),
            stack(
                "web",
                StackOutcome::Skipped {
                    because: "`api` did not deploy".into(),
                },
            ),
            RunEventKind::StepStarted {
                step: "concurrency".into(),
                call: "lambda:PutFunctionConcurrency".into(),
            },
            step("concurrency", StepOutcome::Applied),
            step(
                "token",
                StepOutcome::Failed {
                    reason: "never converged".into(),
                    hint: None,
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
            step(
                "audit",
                StepOutcome::NotRun {
                    because: "`when:` is false".into(),
                },
            ),
            RunEventKind::RunFinished {
                stats: RunStats {
                    stacks: StackStats {
                        created: 1,
                        failed: 1,
                        skipped: 1,
                        ..StackStats::default()
                    },
                    steps: StepStats {
                        applied: 1,
                        failed: 1,
                        not_run: 1,
                        ..StepStats::default()
                    },
                },
                stacks: vec![],
                steps: vec![],
            },
        ];
        let doc = document(redactor, &events);
        assert_eq!(
            doc,
            "## gapfill deploy catalog: 1 created, 0 updated, 0 unchanged, 1 failed, 1 skipped; steps: 1 applied, 0 in sync, 0 action(s) run, 1 not run, 1 failed, 0 skipped

### Stacks

| stack | result | details |
|---|---|---|
| data | created |  |
| api | failed | Template error: \\`Fn::If\\` \\| \\<bad\\> \\*value\\*<br>hint: check the template |
| web | skipped | \\`api\\` did not deploy |

### Steps

| step | result | details |
|---|---|---|
| concurrency | applied | lambda:PutFunctionConcurrency |
| token | failed | never converged |
| audit | not run | \\`when:\\` is false |

#### Step differences

- **token** (failed)
  - `Parameter.Value`: differs (secret value, not shown)
  - `Parameter.Type`: expected `\"SecureString\"`, found `\"String\"`

done in 0.8s: 1 created, 0 updated, 0 unchanged, 1 failed, 1 skipped; steps: 1 applied, 0 in sync, 0 action(s) run, 1 not run, 1 failed, 0 skipped
"
        );
        assert!(!doc.contains("hunter22") && !doc.contains("old-9"), "{doc}");
    }

    #[test]
    fn a_side_without_nodes_is_left_out_and_a_stack_with_ignored_drift_only_is_in_sync() {
        let doc = document(
            Redactor::default(),
            &[
                RunEventKind::RunStarted {
                    command: "drift".into(),
                    project: "catalog".into(),
                    stacks: vec!["data".into()],
                    steps: vec![],
                },
                stack(
                    "data",
                    StackOutcome::Drifted {
                        resources: vec![ResourceDrift {
                            logical_id: "Topic".into(),
                            resource_type: "AWS::SNS::Topic".into(),
                            status: "MODIFIED".into(),
                            properties: vec![property("/Properties/DisplayName", "a", "b", true)],
                        }],
                    },
                ),
                RunEventKind::RunFinished {
                    stats: RunStats {
                        stacks: StackStats {
                            in_sync: 1,
                            ..StackStats::default()
                        },
                        steps: StepStats::default(),
                    },
                    stacks: vec![],
                    steps: vec![],
                },
            ],
        );
        assert!(
            doc.starts_with("## gapfill drift catalog: no drift\n"),
            "{doc}"
        );
        assert!(
            doc.contains("| data | in sync | 1 resource(s) with ignored differences only |"),
            "{doc}"
        );
        assert!(!doc.contains("### Steps"), "{doc}");
        assert!(doc.ends_with("; steps 0 drifted, 0 in sync, 0 not checkable, 0 failed\n"));
    }

    #[test]
    fn values_become_code_spans_that_hold_their_backticks() {
        assert_eq!(code("30"), "`30`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("{\n  \"a\": 1\n}"), "`{   \"a\": 1 }`");
        assert_eq!(code(""), "(empty)");
    }
}
