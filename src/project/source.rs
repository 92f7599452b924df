//! One YAML file the user wrote (the project file or a step file): its path as the user sees
//! it, its text and the positions of its values, so any later check can point at a value.

use std::path::{Path, PathBuf};

use super::diagnostic::{lines, source_line, Diagnostic};
use super::spans::{Position, SpanIndex};

/// Why a file's bytes are not text gapfill can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotText {
    /// The file could not be read at all.
    Unreadable(String),
    /// A diagnostic at the first byte that is not UTF-8, or the first NUL byte.
    Bytes(Diagnostic),
}

/// Reads `path` as UTF-8 text; `shown` is the path as the user sees it and `what` names the
/// file's role ("template", "step file") in messages.
pub fn read_text(path: &Path, shown: &Path, what: &str) -> Result<String, NotText> {
    let bytes = std::fs::read(path).map_err(|error| NotText::Unreadable(error.to_string()))?;
    text_of(bytes, shown, what).map_err(NotText::Bytes)
}

/// `bytes` as text, or a diagnostic at the byte that makes it binary or not UTF-8.
pub fn text_of(bytes: Vec<u8>, shown: &Path, what: &str) -> Result<String, Diagnostic> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => match text.find('\0') {
            None => return Ok(text),
            Some(offset) => {
                let message =
                    format!("the {what} is a binary file: a NUL byte at byte offset {offset}");
                return Err(at_byte(text.as_bytes(), offset, shown, message).hint(
                    "gapfill reads YAML or JSON text; check that the path names the right file",
                ));
            }
        },
        Err(error) => error,
    };
    let offset = bytes.utf8_error().valid_up_to();
    let raw = bytes.as_bytes();
    let message = format!(
        "the {what} is not UTF-8 text: byte 0x{:02X} at byte offset {offset}",
        raw[offset]
    );
    Err(at_byte(raw, offset, shown, message)
        .hint("save the file as UTF-8, e.g. `iconv -f LATIN1 -t UTF-8`"))
}

/// A diagnostic at byte `offset` of `raw` (text that may not be UTF-8): line and column count
/// lines and characters of the valid text before it.
fn at_byte(raw: &[u8], offset: usize, shown: &Path, message: String) -> Diagnostic {
    let before = String::from_utf8_lossy(&raw[..offset]);
    let (line, column) = if before.is_empty() || before.ends_with(['\n', '\r']) {
        (lines(&before).count() + 1, 1)
    } else {
        let last = lines(&before).last().unwrap_or_default();
        (lines(&before).count(), last.chars().count() + 1)
    };
    let at = Position {
        line,
        column,
        offset,
    };
    let shown_text = String::from_utf8_lossy(raw).replace('\0', "\u{2400}");
    Diagnostic::at(shown, &shown_text, at, 1, message)
}

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

    /// A diagnostic at the start of the file (for problems of the file as a whole).
    pub fn start(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(&self.file, &self.text, Position::START, 1, message)
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
        let line = source_line(&self.text, at.line).unwrap_or_default();
        let rest: String = line.chars().skip(start).collect();
        let chars =
            |range: std::ops::Range<usize>| rest.get(range).map(|part| part.chars().count());
        // A value read with escapes (`"\u00e9"`) is shorter than its text: an offset past
        // the line's end points at the end instead.
        let line_end = line.chars().count() + 1;
        at.column = (start + 1 + chars(0..offset).unwrap_or(offset)).min(line_end);
        let width = chars(offset..offset + len)
            .unwrap_or(len)
            .min(line_end - at.column + 1);
        Diagnostic::at(&self.file, &self.text, at, width, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_that_is_not_utf8_is_named_with_its_line_and_column() {
        let bytes = b"a: 1\nb: caf\xe9\n".to_vec();
        let error = text_of(bytes, Path::new("t.yaml"), "template").unwrap_err();
        assert_eq!(
            error.message,
            "the template is not UTF-8 text: byte 0xE9 at byte offset 11"
        );
        let at = error.at.unwrap();
        assert_eq!((at.line, at.column, at.offset), (2, 7, 11));
    }

    #[test]
    fn a_nul_byte_makes_a_file_binary() {
        let error = text_of(b"\x7fELF\0\0".to_vec(), Path::new("x"), "step file").unwrap_err();
        assert!(error
            .message
            .starts_with("the step file is a binary file: a NUL byte at byte offset 4"));
        assert_eq!(error.at.unwrap().column, 5);
        assert_eq!(
            text_of(b"ok: 1\n".to_vec(), Path::new("x"), "x").unwrap(),
            "ok: 1\n"
        );
    }
}
