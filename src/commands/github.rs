//! GitHub Actions, natively. Whether a run is a GitHub Actions job is decided here, once, from
//! the environment (`GITHUB_ACTIONS=true`), and handed down as a fact ([`GitHub`]); reporters
//! never look at the environment.
//!
//! In a GitHub Actions job gapfill
//! - registers every secret with the runner (`::add-mask::`) as the redactor learns it: the
//!   `secrets:` env vars before anything else prints, NoEcho-feeding outputs and secret step
//!   results the moment they are read;
//! - annotates validation errors at their file, line and column, and any error that ends a
//!   command (`::error`); the plain reporter annotates failed and drifted stacks and steps and
//!   groups its recap (`report::lines`);
//! - writes stack outputs to `$GITHUB_OUTPUT` after `deploy` and `outputs` (secret ones left
//!   out, with a `::notice` naming them), and appends the Markdown report of `deploy`, `plan`
//!   and `drift` to `$GITHUB_STEP_SUMMARY`.
//!
//! Workflow commands go to standard output, where the run's log is; when standard output
//! carries a document instead (`--format json|markdown`, `outputs --format json|env|dotenv`,
//! `call`, `completions`, `man`), they go to standard error, which the runner reads for
//! commands as well. A mask line holds the secret in clear: in a document redirected to a file
//! (`>> "$GITHUB_STEP_SUMMARY"`, `eval "$(gapfill outputs --format env)"`) it would publish
//! the secret, or break what reads it.

use std::io::Write;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::cli::{Cli, Command, Format};
use crate::commands::outputs::outputs_format;
use crate::error::Error;
use crate::project::Diagnostic;
use crate::redact::Redactor;
use crate::report::github::{mask_lines, outputs_entries, Annotation, Level};
use crate::report::outputs::OutputsFormat;

/// Where workflow commands are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// Writes one workflow command line, whole. A closed stream is not an error worth
    /// stopping a deploy for: the line is lost, as the rest of the output is.
    pub fn write_line(self, line: &str) {
        let line = format!("{line}\n");
        let _ = match self {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line.as_bytes()).and_then(|()| out.flush())
            }
            Stream::Stderr => {
                let mut out = std::io::stderr().lock();
                out.write_all(line.as_bytes()).and_then(|()| out.flush())
            }
        };
    }
}

/// A GitHub Actions job, as its environment describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHub {
    /// `$GITHUB_OUTPUT`: the step's outputs file.
    pub output: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY`: the step's Markdown summary file.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_WORKSPACE`: annotations name files relative to it.
    pub workspace: Option<PathBuf>,
    /// Where workflow commands go for this command line.
    pub stream: Stream,
}

impl GitHub {
    /// The job, when `GITHUB_ACTIONS` is `true`; `cli` decides where its commands go.
    pub fn detect(env: &dyn Fn(&str) -> Option<String>, cli: &Cli) -> Option<GitHub> {
        if env("GITHUB_ACTIONS").as_deref() != Some("true") {
            return None;
        }
        let path = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Some(GitHub {
            output: path("GITHUB_OUTPUT"),
            step_summary: path("GITHUB_STEP_SUMMARY"),
            workspace: path("GITHUB_WORKSPACE"),
            stream: stream(cli),
        })
    }

    /// From now on, every string `redactor` masks is also masked by the runner: those it
    /// knows at once, each new one as it is registered, before it can print.
    pub fn mask_secrets(&self, redactor: &Redactor) {
        let stream = self.stream;
        redactor.observe(move |secret| {
            for line in mask_lines(secret) {
                stream.write_line(&line);
            }
        });
    }

    /// Writes an annotation, title and message masked.
    pub fn annotate(&self, mut annotation: Annotation, redactor: &Redactor) {
        annotation.message = redactor.redact(&annotation.message).into_owned();
        annotation.title = annotation
            .title
            .map(|title| redactor.redact(&title).into_owned());
        self.stream
            .write_line(&redactor.redact(&annotation.render()));
    }

    /// Annotates the error a command ended with: each validation diagnostic at its file, line
    /// and column; any other error as it reads.
    pub fn annotate_error(&self, error: &Error, redactor: &Redactor) {
        match error {
            Error::Project(diagnostics) => {
                for diagnostic in &diagnostics.0 {
                    let file = self.repository_path(&diagnostic.file);
                    self.annotate(diagnostic_annotation(diagnostic, file), redactor);
                }
            }
            Error::Message { message, hints } => {
                let message = std::iter::once(message.clone())
                    .chain(hints.iter().map(|hint| format!("hint: {hint}")))
                    .collect::<Vec<_>>()
                    .join("\n");
                self.annotate(Annotation::new(Level::Error, "gapfill", message), redactor);
            }
            Error::BrokenPipe => {}
        }
    }

    /// Appends the stacks' outputs to `$GITHUB_OUTPUT` (when the job has one), as
    /// `STACK_OUTPUT=value`; an output that holds a secret is left out and named in a notice.
    pub fn write_outputs(
        &self,
        stacks: &[(String, IndexMap<String, String>)],
        redactor: &Redactor,
    ) -> Result<(), Error> {
        let Some(path) = &self.output else {
            return Ok(());
        };
        let delimiter = format!("ghadelimiter_{}", uuid::Uuid::new_v4());
        let (text, secret) =
            outputs_entries(stacks, |value| redactor.redact(value) != value, &delimiter);
        append(path, &text).map_err(|error| {
            Error::new(format!(
                "cannot write the step's outputs to $GITHUB_OUTPUT `{}`: {error}",
                path.display()
            ))
        })?;
        if !secret.is_empty() {
            let message = format!(
                "not written to $GITHUB_OUTPUT, being secret: {}",
                secret.join(", ")
            );
            self.annotate(Annotation::new(Level::Notice, "gapfill", message), redactor);
        }
        Ok(())
    }

    /// `file` (as a diagnostic shows it: relative to the current directory, or absolute)
    /// relative to the repository's root, as annotations name files; as shown when it lies
    /// outside the workspace.
    fn repository_path(&self, file: &Path) -> String {
        let absolute = match std::env::current_dir() {
            Ok(cwd) if file.is_relative() => cwd.join(file),
            _ => file.to_path_buf(),
        };
        self.workspace
            .as_ref()
            .and_then(|workspace| absolute.strip_prefix(workspace).ok())
            .unwrap_or(file)
            .display()
            .to_string()
    }
}

/// Where workflow commands go for `cli`: standard output when it is the run's log, standard
/// error when standard output carries a document (see the module's documentation).
fn stream(cli: &Cli) -> Stream {
    let document = match &cli.command {
        Command::Deploy(_) | Command::Plan(_) | Command::Drift(_) => {
            !matches!(cli.global.format, Format::Auto | Format::Plain)
        }
        Command::Outputs => outputs_format(cli.global.format) != OutputsFormat::Text,
        Command::Validate(_) | Command::Import(_) => false,
        Command::Call(_) | Command::Completions(_) | Command::Man(_) => true,
    };
    if document {
        Stream::Stderr
    } else {
        Stream::Stdout
    }
}

/// Appends `text` to the file at `path`, creating it.
pub fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.flush()
}

/// A validation diagnostic at its file, line and column (`file` as the repository names it),
/// the hints on lines under the message.
fn diagnostic_annotation(diagnostic: &Diagnostic, file: String) -> Annotation {
    let message = std::iter::once(diagnostic.message.clone())
        .chain(diagnostic.hints.iter().map(|hint| format!("hint: {hint}")))
        .collect::<Vec<_>>()
        .join("\n");
    Annotation {
        level: Level::Error,
        file: Some(file),
        line: diagnostic.at.map(|at| at.line),
        column: diagnostic.at.map(|at| at.column),
        end_column: diagnostic.at.map(|at| at.column + diagnostic.width),
        title: Some("gapfill".into()),
        message,
    }
}

#[cfg(test)]
mod tests {
    use crate::project::spans::Position;
    use crate::project::Diagnostic;

    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("gapfill").chain(args.iter().copied())).unwrap()
    }

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn only_github_actions_true_is_a_github_job() {
        let deploy = cli(&["deploy"]);
        assert_eq!(GitHub::detect(&env(&[]), &deploy), None);
        assert_eq!(
            GitHub::detect(&env(&[("GITHUB_ACTIONS", "false")]), &deploy),
            None
        );
        let github = GitHub::detect(
            &env(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_OUTPUT", "/tmp/out"),
                ("GITHUB_STEP_SUMMARY", ""),
            ]),
            &deploy,
        )
        .unwrap();
        assert_eq!(github.output, Some(PathBuf::from("/tmp/out")));
        assert_eq!(github.step_summary, None);
        assert_eq!(github.stream, Stream::Stdout);
    }

    #[test]
    fn commands_go_to_stderr_when_stdout_carries_a_document() {
        for (args, expected) in [
            (&["deploy"][..], Stream::Stdout),
            (&["plan", "--format", "plain"], Stream::Stdout),
            (&["drift", "--format", "markdown"], Stream::Stderr),
            (&["deploy", "--format", "json"], Stream::Stderr),
            (&["outputs"], Stream::Stdout),
            (&["outputs", "--format", "env"], Stream::Stderr),
            (&["validate"], Stream::Stdout),
            (&["call", "s3:ListBuckets"], Stream::Stderr),
            (&["completions", "bash"], Stream::Stderr),
        ] {
            assert_eq!(stream(&cli(args)), expected, "{args:?}");
        }
    }

    #[test]
    fn files_are_named_relative_to_the_workspace() {
        let cwd = std::env::current_dir().unwrap();
        let github = GitHub {
            output: None,
            step_summary: None,
            workspace: cwd.parent().map(Path::to_path_buf),
            stream: Stream::Stdout,
        };
        let dir = cwd.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(
            github.repository_path(Path::new("stacks/data.yaml")),
            format!("{dir}/stacks/data.yaml")
        );
        assert_eq!(
            github.repository_path(Path::new("/elsewhere/x.yaml")),
            "/elsewhere/x.yaml"
        );
    }

    #[test]
    fn a_diagnostic_annotates_its_file_line_and_column_with_its_hints() {
        let source = "stacks:\n  api:\n    templat: x.yaml\n";
        let at = Position {
            line: 3,
            column: 5,
            offset: 0,
        };
        let diagnostic = Diagnostic::at("gapfill.yaml", source, at, 7, "unknown key `templat`")
            .hint("did you mean `template`?");
        assert_eq!(
            diagnostic_annotation(&diagnostic, "infra/gapfill.yaml".into()).render(),
            "::error file=infra/gapfill.yaml,line=3,col=5,endColumn=12,title=gapfill::unknown key `templat`%0Ahint: did you mean `template`?"
        );
        let whole = Diagnostic::file("stacks/x.yaml", "cannot read the template");
        assert_eq!(
            diagnostic_annotation(&whole, "stacks/x.yaml".into()).render(),
            "::error file=stacks/x.yaml,title=gapfill::cannot read the template"
        );
    }
}
