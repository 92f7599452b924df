//! GitHub Actions workflow commands, as text: `::add-mask::`, annotations (`::error`,
//! `::warning`, `::notice`), `::group::`, and the `$GITHUB_OUTPUT` file's entries. Rendering
//! only: whether a run is in GitHub Actions is decided once by the commands layer
//! (`commands::github`) and handed to whoever writes these; nothing here reads the environment.
//!
//! ```text
//! ::add-mask::s3cr3t-value
//! ::error file=gapfill.yaml,line=11,col=18,endColumn=34,title=gapfill::stack `data` has no output `TableNam`%0Ahint: did you mean `TableName`?
//! ::error title=stack catalog-ingest failed::CREATE_FAILED Importer (AWS::Lambda::Function): ...
//! ::group::2026-12-02T02:26:39Z catalog-data    result: created
//! CATALOG_DATA_TABLE_NAME=catalog-data-ProductTable-1X2Y
//! ```
//!
//! Every value is escaped as the runner decodes it ([`escape::github_data`],
//! [`escape::github_property`]); callers mask secrets before.

use indexmap::IndexMap;

use crate::escape;
use crate::redact::MIN_SECRET_LEN;

use super::outputs::variables;

/// How loud an annotation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// One annotation: shown on the run's summary page, and on the file's line when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: Level,
    /// The file, relative to the repository's root.
    pub file: Option<String>,
    /// 1-based line and column of the start, and the column after the end, on that line.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_column: Option<usize>,
    pub title: Option<String>,
    /// The message; line breaks are kept (encoded).
    pub message: String,
}

impl Annotation {
    /// An annotation with a title and a message, at no file.
    pub fn new(level: Level, title: impl Into<String>, message: impl Into<String>) -> Annotation {
        Annotation {
            level,
            file: None,
            line: None,
            column: None,
            end_column: None,
            title: Some(title.into()),
            message: message.into(),
        }
    }

    /// The workflow command line.
    pub fn render(&self) -> String {
        let mut properties = Vec::new();
        if let Some(file) = &self.file {
            properties.push(format!("file={}", escape::github_property(file)));
        }
        for (name, value) in [
            ("line", self.line),
            ("col", self.column),
            ("endColumn", self.end_column),
        ] {
            if let Some(value) = value {
                properties.push(format!("{name}={value}"));
            }
        }
        if let Some(title) = &self.title {
            properties.push(format!("title={}", escape::github_property(title)));
        }
        let properties = if properties.is_empty() {
            String::new()
        } else {
            format!(" {}", properties.join(","))
        };
        format!(
            "::{}{properties}::{}",
            self.level.command(),
            escape::github_data(&self.message)
        )
    }
}

/// The `::add-mask::` lines for one string to mask: the string itself, and each of its lines
/// long enough to mask on its own when it spans several (the runner masks within a log line,
/// and a multi-line value never sits on one).
pub fn mask_lines(value: &str) -> Vec<String> {
    let mut masks = vec![value.to_string()];
    if value.contains(['\n', '\r']) {
        for line in value.split(['\n', '\r']) {
            let line = line.trim();
            if line.chars().count() >= MIN_SECRET_LEN && !masks.iter().any(|m| m == line) {
                masks.push(line.to_string());
            }
        }
    }
    masks
        .into_iter()
        .map(|mask| format!("::add-mask::{}", escape::github_data(&mask)))
        .collect()
}

/// `::group::TITLE`: the lines after it, up to [`END_GROUP`], fold under the title.
pub fn group(title: &str) -> String {
    format!("::group::{}", escape::github_data(title))
}

/// Ends a [`group`].
pub const END_GROUP: &str = "::endgroup::";

/// What goes into `$GITHUB_OUTPUT` for stack outputs: each output as `NAME=value` under the
/// names `gapfill outputs --format env` uses (`catalog-data` + `TableName` ->
/// `CATALOG_DATA_TABLE_NAME`), a multi-line value in the `NAME<<DELIMITER` form. An output
/// `is_secret` says is left out, and named in the second part of the answer as
/// `stack.Output (NAME)`.
pub fn outputs_entries(
    stacks: &[(String, IndexMap<String, String>)],
    is_secret: impl Fn(&str) -> bool,
    delimiter: &str,
) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut secret = Vec::new();
    let names = variables(stacks);
    let sources = stacks
        .iter()
        .flat_map(|(stack, outputs)| outputs.keys().map(move |key| format!("{stack}.{key}")));
    for ((name, value), source) in names.into_iter().zip(sources) {
        if is_secret(&value) {
            secret.push(format!("{source} ({name})"));
        } else if value.contains(['\n', '\r']) || value.contains(delimiter) {
            // A delimiter inside the value would end it early: none is, by construction
            // (a random one), but never trust that blindly.
            let delimiter = unique_delimiter(&value, delimiter);
            text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    (text, secret)
}

/// `delimiter`, lengthened until `value` does not hold it.
fn unique_delimiter(value: &str, delimiter: &str) -> String {
    let mut delimiter = delimiter.to_string();
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    delimiter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_their_message_and_properties() {
        let annotation = Annotation::new(
            Level::Error,
            "stack a:b,c failed",
            "100% broken\nhint: retry",
        );
        assert_eq!(
            annotation.render(),
            "::error title=stack a%3Ab%2Cc failed::100%25 broken%0Ahint: retry"
        );
        let bare = Annotation {
            title: None,
            ..Annotation::new(Level::Notice, "", "x")
        };
        assert_eq!(bare.render(), "::notice::x");
    }

    #[test]
    fn masks_a_value_and_each_line_of_a_multi_line_one() {
        assert_eq!(mask_lines("p%ss"), ["::add-mask::p%25ss"]);
        assert_eq!(
            mask_lines("-----BEGIN KEY-----\nabc\nMIIEow\n"),
            [
                "::add-mask::-----BEGIN KEY-----%0Aabc%0AMIIEow%0A",
                "::add-mask::-----BEGIN KEY-----",
                "::add-mask::MIIEow",
            ]
        );
    }

    #[test]
    fn outputs_are_name_value_lines_multi_line_ones_delimited_secret_ones_left_out() {
        let mut outputs = IndexMap::new();
        outputs.insert("TableName".to_string(), "products".to_string());
        outputs.insert("Banner".to_string(), "line one\nline two".to_string());
        outputs.insert("Key".to_string(), "handed-over-1".to_string());
        let stacks = vec![("catalog-data".to_string(), outputs)];
        let (text, secret) = outputs_entries(&stacks, |value| value.starts_with("handed"), "EOF");
        assert_eq!(
            text,
            "CATALOG_DATA_TABLE_NAME=products\nCATALOG_DATA_BANNER<<EOF\nline one\nline two\nEOF\n"
        );
        assert_eq!(secret, ["catalog-data.Key (CATALOG_DATA_KEY)"]);
        let mut tricky = IndexMap::new();
        tricky.insert("Text".to_string(), "a\nEOF\nb".to_string());
        let (text, _) = outputs_entries(&[("s".to_string(), tricky)], |_| false, "EOF");
        assert_eq!(text, "S_TEXT<<EOF_\na\nEOF\nb\nEOF_\n");
    }

    #[test]
    fn groups_fold_under_an_escaped_title() {
        assert_eq!(group("data  result: 100%"), "::group::data  result: 100%25");
        assert_eq!(END_GROUP, "::endgroup::");
    }
}
