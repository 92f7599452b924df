//! Logging to stderr through `tracing`, with every line passed through the run's redactor,
//! so not even `--debug` can print a secret.

use std::io::{self, IsTerminal, Write};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::redact::Redactor;

/// Installs the subscriber. `verbosity`: 0 gapfill's own warnings only, 1 info (and every
/// crate's warnings), 2+ debug (also `--debug`). `GAPFILL_LOG` (an EnvFilter directive)
/// overrides.
///
/// At the default verbosity the AWS SDK's own lines stay out: its credential chain, for one,
/// warns with a debug dump of each provider's error before gapfill says, in one line, that
/// there are no credentials.
pub fn init(verbosity: u8, debug: bool, redactor: Redactor) {
    let level = match (verbosity, debug) {
        (_, true) | (2.., _) => "gapfill=debug,aws_config=info,warn",
        (1, false) => "gapfill=info,warn",
        (0, false) => DEFAULT_FILTER,
    };
    let filter = EnvFilter::try_from_env("GAPFILL_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr { redactor })
        // Colour only for people: CI logs and pipes get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// The default filter: gapfill's warnings, nothing from other crates.
const DEFAULT_FILTER: &str = "off,gapfill=warn";

/// Hands out writers that mask secrets before anything reaches stderr.
struct RedactingStderr {
    redactor: Redactor,
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingLine;

    fn make_writer(&'a self) -> RedactingLine {
        RedactingLine {
            redactor: self.redactor.clone(),
            buffer: Vec::new(),
        }
    }
}

/// Buffers one log record and writes it, masked, when dropped.
struct RedactingLine {
    redactor: Redactor,
    buffer: Vec<u8>,
}

impl Write for RedactingLine {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buffer);
        let _ = io::stderr().write_all(self.redactor.redact(&text).as_bytes());
    }
}
