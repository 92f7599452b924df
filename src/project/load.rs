//! Reads the project file and the templates it names. Syntax and file-level problems end
//! here as diagnostics; meaning (references, parameters, cycles) is checked by `plan`.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::diagnostic::{display_path, Diagnostic, Diagnostics};
use super::file::ProjectFile;
use super::spans::SpanIndex;
use super::template::{self, yaml_diagnostic, Template};

/// The project as written, parsed, with positions for diagnostics.
#[derive(Debug)]
pub struct Project {
    /// The project file as the user should see its path.
    pub file: PathBuf,
    /// The directory paths in the project file are relative to.
    pub dir: PathBuf,
    /// The project file's text.
    pub text: String,
    /// Positions of every value in the project file.
    pub spans: SpanIndex,
    /// The typed content.
    pub spec: ProjectFile,
    /// Each stack's template, by stack name, in project order.
    pub templates: IndexMap<String, Template>,
}

impl Project {
    /// A diagnostic pointing at the value (or key, with `on_key`) at `path` in the project file.
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

/// Loads `path` and every template it names, collecting all problems.
pub fn load(path: &Path) -> Result<Project, Diagnostics> {
    let shown = display_path(path);
    let text = std::fs::read_to_string(path).map_err(|error| {
        let diagnostic = Diagnostic::file(&shown, format!("cannot read the project file: {error}"))
            .hint("run gapfill in the project directory, or pass --project PATH");
        Diagnostics(vec![diagnostic])
    })?;
    let spec: ProjectFile = serde_yaml::from_str(&text).map_err(|error| {
        Diagnostics(vec![yaml_diagnostic(
            &shown,
            &text,
            &error,
            "invalid project file",
        )])
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut project = Project {
        spans: SpanIndex::parse(&text),
        file: shown,
        dir,
        text,
        spec,
        templates: IndexMap::new(),
    };
    let mut diagnostics = Diagnostics::default();
    let stacks: Vec<(String, PathBuf)> = project
        .spec
        .stacks
        .iter()
        .map(|(name, stack)| (name.clone(), stack.template.clone()))
        .collect();
    for (name, template_path) in stacks {
        match read_template(&project, &name, &template_path) {
            Ok(template) => {
                project.templates.insert(name, template);
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    diagnostics.into_result(project)
}

fn read_template(
    project: &Project,
    stack: &str,
    template_path: &Path,
) -> Result<Template, Diagnostic> {
    let full = project.dir.join(template_path);
    let body = std::fs::read_to_string(&full).map_err(|error| {
        project
            .diagnostic(
                &["stacks", stack, "template"],
                false,
                format!(
                    "cannot read template `{}`: {error}",
                    template_path.display()
                ),
            )
            .hint("template paths are relative to the project file")
    })?;
    template::parse(&display_path(&full), body)
}
