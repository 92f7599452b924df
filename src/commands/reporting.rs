//! The reporters of a run, shared by `deploy`, `plan` and `drift`: the display the terminal or
//! CI asks for, plus the JUnit file and, in GitHub Actions, the step summary, fed one channel
//! of events; finished when the run is over.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::cli::Format;
use crate::commands::github::GitHub;
use crate::error::Error;
use crate::events::{EventSink, RunEvent};
use crate::redact::Redactor;
use crate::report::display::{self, Display, Requested};
use crate::report::markdown::Markdown;
use crate::report::{self, json::Json, junit::Junit, lines::Lines, live::Live, FanOut, Reporter};

/// Reporters rendering a run's events in the background.
pub struct Reporting {
    /// Where the run sends its events.
    pub sink: EventSink,
    task: JoinHandle<std::io::Result<()>>,
}

/// What `--format` asks of a run's output.
pub fn requested_display(format: Format) -> Result<Requested, Error> {
    match format {
        Format::Auto => Ok(Requested::Auto),
        Format::Live => Ok(Requested::Live),
        Format::Plain => Ok(Requested::Plain),
        Format::Json => Ok(Requested::Json),
        Format::Markdown => Ok(Requested::Markdown),
        Format::Env | Format::Dotenv => Err(Error::new(
            "--format env and dotenv apply to `gapfill outputs` only",
        )
        .hint("use --outputs-file FILE.env to write dotenv lines after a deploy")),
    }
}

impl Reporting {
    /// Starts the reporters: the display (live, lines, JSON or Markdown), the JUnit file if
    /// asked, and in a GitHub Actions job the Markdown report appended to the step summary.
    pub fn start(
        requested: Requested,
        junit: Option<&PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
        redactor: &Redactor,
        github: Option<&GitHub>,
    ) -> Reporting {
        let display = display::resolve(
            requested,
            std::io::stdout().is_terminal(),
            display::is_ci(env),
        );
        let (sink, receiver) = EventSink::channel();
        let tick = (display == Display::Live).then_some(Duration::from_millis(100));
        let mut reporters = vec![reporter(display, redactor, github.is_some())];
        if let Some(path) = junit {
            reporters
                .push(Box::new(Junit::new(path.clone(), redactor.clone())) as Box<dyn Reporter>);
        }
        if let Some(path) = github.and_then(|github| github.step_summary.as_ref()) {
            match step_summary(path, redactor) {
                Ok(summary) => reporters.push(summary),
                // A summary is worth a warning, never a failed deploy.
                Err(error) => tracing::warn!(
                    "cannot write the step summary $GITHUB_STEP_SUMMARY `{}`: {error}",
                    path.display()
                ),
            }
        }
        let task = tokio::spawn(report::drive(
            receiver,
            Box::new(FanOut::new(reporters)),
            tick,
        ));
        Reporting { sink, task }
    }

    /// Waits for the reporters to render everything. Engines holding clones of the sink must
    /// be gone: the reporters end when the last sender is.
    pub async fn finish(self) -> Result<(), Error> {
        drop(self.sink);
        match self.task.await {
            Ok(Err(error)) if error.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::new(format!("cannot write the report: {error}")))
            }
            _ => Ok(()),
        }
    }
}

/// The Markdown report, appended to the step summary file when the run is over; after a
/// blank line when the step already wrote to it (a second gapfill command, an echo).
fn step_summary(path: &Path, redactor: &Redactor) -> std::io::Result<Box<dyn Reporter>> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    if file.metadata()?.len() > 0 {
        std::io::Write::write_all(&mut file, b"\n")?;
    }
    Ok(Box::new(StepSummary {
        markdown: Markdown::new(file, redactor.clone()),
        path: path.to_path_buf(),
    }))
}

/// The step summary's reporter: a summary that cannot be written is a warning, never a
/// failed run (the deploy happened; its outputs must still be written).
struct StepSummary {
    markdown: Markdown<std::fs::File>,
    path: PathBuf,
}

impl StepSummary {
    fn forgive(&self, result: std::io::Result<()>) -> std::io::Result<()> {
        if let Err(error) = result {
            tracing::warn!(
                "cannot write the step summary $GITHUB_STEP_SUMMARY `{}`: {error}",
                self.path.display()
            );
        }
        Ok(())
    }
}

impl Reporter for StepSummary {
    fn event(&mut self, event: &RunEvent) -> std::io::Result<()> {
        let result = self.markdown.event(event);
        self.forgive(result)
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let result = self.markdown.finish();
        self.forgive(result)
    }
}

fn reporter(display: Display, redactor: &Redactor, github: bool) -> Box<dyn Reporter> {
    let stdout = std::io::stdout();
    match display {
        Display::Live => {
            let columns =
                terminal_size::terminal_size().map_or(100, |(width, _)| usize::from(width.0));
            Box::new(Live::new(stdout, redactor.clone(), columns))
        }
        Display::Lines => Box::new(Lines::new(stdout, redactor.clone()).github(github)),
        Display::Json => Box::new(Json::new(stdout, redactor.clone())),
        Display::Markdown => Box::new(Markdown::new(stdout, redactor.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::outputs::outputs_format;
    use crate::report::outputs::OutputsFormat;

    #[test]
    fn markdown_is_a_display_of_runs_and_plain_text_for_outputs() {
        assert_eq!(
            requested_display(Format::Markdown).unwrap(),
            Requested::Markdown
        );
        assert!(requested_display(Format::Dotenv).is_err());
        assert_eq!(outputs_format(Format::Markdown), OutputsFormat::Text);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_step_summary_that_cannot_be_written_never_fails_the_run() {
        let mut summary = step_summary(Path::new("/dev/full"), &Redactor::default()).unwrap();
        let event = RunEvent {
            at: chrono::Utc::now(),
            elapsed: Duration::ZERO,
            kind: crate::events::RunEventKind::RunFinished {
                stats: Default::default(),
                stacks: vec![],
                steps: vec![],
            },
        };
        summary.event(&event).unwrap();
        summary.finish().unwrap();
        assert!(step_summary(Path::new("/nonexistent/dir/summary"), &Redactor::default()).is_err());
    }
}
