//! Diagnostics about what the user wrote: file, line, column, what was expected, a hint.
//!
//! Rendered like rustc and uv: a location line, the source line in a gutter with a caret
//! under the offending text, then hints. Every error in a project, step or template file goes
//! through here, so they all look the same.

use std::fmt;
use std::path::{Path, PathBuf};

use super::spans::Position;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user would type it (relative to the project directory when possible).
    pub file: PathBuf,
    /// Where in the file; `None` when the problem is the file as a whole (missing, unreadable).
    pub at: Option<Position>,
    /// The width of the caret underline, in characters.
    pub width: usize,
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// What to do about it.
    pub hints: Vec<String>,
    /// The source line shown under the location, when known.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A diagnostic about a whole file.
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            at: None,
            width: 1,
            message: message.into(),
            hints: Vec::new(),
            source_line: None,
        }
    }

    /// A diagnostic at a position in `source` (the text of `file`).
    pub fn at(
        file: impl Into<PathBuf>,
        source: &str,
        at: Position,
        width: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        let at = inside(source, at);
        Diagnostic {
            file: file.into(),
            at: Some(at),
            width: width.max(1),
            message: message.into(),
            hints: Vec::new(),
            source_line: source_line(source, at.line).map(str::to_string),
        }
    }

    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hints.push(hint.into());
        self
    }

    /// Adds a "did you mean" hint when a close candidate exists.
    pub fn suggest<'a>(
        self,
        wanted: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        match closest(wanted, candidates) {
            Some(best) => self.hint(format!("did you mean `{best}`?")),
            None => self,
        }
    }
}

/// Line `line` (1-based) of `text`, lines ending as YAML ends them: `\r\n`, `\n` or a lone
/// `\r`, so that lines counted by the YAML parsers and lines shown agree.
pub fn source_line(text: &str, line: usize) -> Option<&str> {
    lines(text).nth(line.checked_sub(1)?)
}

/// The lines of `text`, split as YAML splits them (a final line break ends the last line).
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = (!text.is_empty()).then_some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            Some(index) => {
                let after = if current[index..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                let next = &current[index + after..];
                rest = (!next.is_empty()).then_some(next);
                Some(&current[..index])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// `at` moved inside `source`: parsers report some errors one line past the end or past a
/// line's last character; the caret then points at the end of the text or of the line.
fn inside(source: &str, at: Position) -> Position {
    let count = lines(source).count().max(1);
    let line = at.line.clamp(1, count);
    let length = source_line(source, line).map_or(0, |text| text.chars().count());
    let column = if line < at.line {
        length + 1
    } else {
        at.column.clamp(1, length + 1)
    };
    Position {
        line,
        column,
        offset: at.offset,
    }
}

/// The candidate closest to `wanted`, if any is close enough to be a likely typo.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(wanted, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Shows `path` relative to the current directory when it lies below it.
pub fn display_path(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let file = self.file.display();
        match (self.at, &self.source_line) {
            (Some(at), Some(line)) => {
                let gutter = at.line.to_string().len();
                let pad = " ".repeat(gutter);
                writeln!(f, "{pad}--> {file}:{}:{}", at.line, at.column)?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{} | {line}", at.line)?;
                let lead = display_width(line, at.column.saturating_sub(1));
                writeln!(f, "{pad} | {}{}", " ".repeat(lead), "^".repeat(self.width))?;
            }
            (Some(at), None) => writeln!(f, " --> {file}:{}:{}", at.line, at.column)?,
            (None, _) => writeln!(f, " --> {file}")?,
        }
        let pad = " ".repeat(self.at.map_or(1, |at| at.line.to_string().len()));
        for hint in &self.hints {
            writeln!(f, "{pad} = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Display columns taken by the first `chars` characters of `line` (a tab shows as four).
fn display_width(line: &str, chars: usize) -> usize {
    line.chars()
        .take(chars)
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// Several diagnostics, reported together: validation collects every problem, not just the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `Ok(value)` when nothing was reported.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        let count = self.0.len();
        write!(
            f,
            "\n{count} error{} in the project; nothing was deployed",
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_source_caret_and_hint() {
        let source = "stacks:\n  api:\n    templat: x.yaml\n";
        let at = Position {
            line: 3,
            column: 5,
            offset: 0,
        };
        let diagnostic = Diagnostic::at("gapfill.yaml", source, at, 7, "unknown key `templat`")
            .suggest("templat", ["template", "parameters"]);
        assert_eq!(
            diagnostic.to_string(),
            "error: unknown key `templat`\n --> gapfill.yaml:3:5\n  |\n3 |     templat: x.yaml\n  |     ^^^^^^^\n  = hint: did you mean `template`?\n"
        );
    }

    #[test]
    fn lines_end_at_any_yaml_line_break() {
        let text = "a\r\nb\rc\nd\n";
        assert_eq!(lines(text).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(source_line(text, 3), Some("c"));
        assert_eq!(lines("").count(), 0);
    }

    #[test]
    fn a_position_past_the_end_points_at_the_end() {
        let past = Position {
            line: 3,
            column: 1,
            offset: 0,
        };
        let diagnostic = Diagnostic::at("f", "a: {\nb\n", past, 1, "x");
        let at = diagnostic.at.unwrap();
        assert_eq!((at.line, at.column), (2, 2));
        let wide = Position {
            line: 1,
            column: 40,
            offset: 0,
        };
        assert_eq!(
            Diagnostic::at("f", "ab", wide, 1, "x").at.unwrap().column,
            3
        );
    }

    #[test]
    fn suggests_nothing_when_no_candidate_is_close() {
        assert_eq!(closest("zzz", ["template", "parameters"]), None);
        assert_eq!(
            closest("paramters", ["template", "parameters"]),
            Some("parameters")
        );
    }
}
