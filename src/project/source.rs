//! One YAML file the user wrote (the project file or a step file): its path as the user sees
//! it, its text and the positions of its values, so any later check can point at a value.

use std::path::PathBuf;

use super::diagnostic::Diagnostic;
use super::spans::SpanIndex;

/// A parsed YAML source with positions.
#[derive(Debug)]
pub struct Source {
    /// The file as the user should see its path.
    pub file: PathBuf,
    /// The file's text.
    pub text: String,
    /// Positions of every value in the text.
    pub spans: SpanIndex,
}

impl Source {
    pub fn new(file: PathBuf, text: String) -> Source {
        Source {
            spans: SpanIndex::parse(&text),
            file,
            text,
        }
    }

    /// A diagnostic pointing at the value (or key, with `on_key`) at `path`.
    pub fn diagnostic(
        &self,
        path: &[&str],
        on_key: bool,
        message: impl Into<String>,
    ) -> Diagnostic {
        let span = self.spans.nearest(path);
        let (at, width) = match span {
            Some(span) if on_key => (
                span.key.unwrap_or(span.value),
                path.last().map_or(1, |k| k.len()),
            ),
            Some(span) => (span.value, span.value_len),
            None => (self.spans.key_or_value(path), 1),
        };
        Diagnostic::at(&self.file, &self.text, at, width, message)
    }

    /// A diagnostic pointing at `len` bytes from `offset` inside the scalar at `path`.
    pub fn diagnostic_inside(
        &self,
        path: &[&str],
        offset: usize,
        len: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        let Some(span) = self.spans.get(path) else {
            return self.diagnostic(path, false, message);
        };
        // `offset` and `len` count bytes of the value; columns count characters. The value's
        // text is read back from its line (plain and quoted scalars are written as they read).
        let mut at = span.value;
        let start = at.column - 1 + usize::from(span.quoted);
        let line = self
            .text
            .lines()
            .nth(at.line.saturating_sub(1))
            .unwrap_or_default();
        let rest: String = line.chars().skip(start).collect();
        let chars =
            |range: std::ops::Range<usize>| rest.get(range).map(|part| part.chars().count());
        at.column = start + 1 + chars(0..offset).unwrap_or(offset);
        let width = chars(offset..offset + len).unwrap_or(len);
        Diagnostic::at(&self.file, &self.text, at, width, message)
    }
}
