//! Reads the project file and the templates it names. Syntax and file-level problems end
//! here as diagnostics; meaning (references, parameters, cycles) is checked by `plan`.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::diagnostic::{display_path, Diagnostic, Diagnostics};
use super::file::ProjectFile;
use super::limits;
use super::source::{read_text, NotText, Source};
use super::steps::{self, StepFile};
use super::template::{self, yaml_diagnostic, Template};
use super::yaml_rules::{self, Dialect};

/// The project as written, parsed, with positions for diagnostics.
#[derive(Debug)]
pub struct Project {
    /// The project file, with positions.
    pub source: Source,
    /// The directory paths in the project file are relative to.
    pub dir: PathBuf,
    /// The typed content.
    pub spec: ProjectFile,
    /// Each stack's template, by stack name, in project order.
    pub templates: IndexMap<String, Template>,
    /// The post-deploy step files, in the order their globs list them.
    pub step_files: Vec<StepFile>,
}

impl Project {
    /// A diagnostic pointing at the value (or key, with `on_key`) at `path` in the project file.
    pub fn diagnostic(
        &self,
        path: &[&str],
        on_key: bool,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.source.diagnostic(path, on_key, message)
    }

    /// A diagnostic pointing at `len` bytes from `offset` inside the scalar at `path`.
    pub fn diagnostic_inside(
        &self,
        path: &[&str],
        offset: usize,
        len: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.source.diagnostic_inside(path, offset, len, message)
    }
}

/// Loads `path` and every template it names, collecting all problems.
pub fn load(path: &Path) -> Result<Project, Diagnostics> {
    let shown = display_path(path);
    let text = read_text(path, &shown, "project file").map_err(|error| {
        let diagnostic = match error {
            NotText::Unreadable(error) => {
                Diagnostic::file(&shown, format!("cannot read the project file: {error}"))
                    .hint("run gapfill in the project directory, or pass --project PATH")
            }
            NotText::Bytes(diagnostic) => diagnostic,
        };
        Diagnostics(vec![diagnostic])
    })?;
    let source = Source::new(shown.clone(), text.clone());
    let rules = yaml_rules::check(&source, Dialect::Gapfill);
    let spec: ProjectFile = serde_yaml::from_str(&text).map_err(|error| {
        // With a merge key, serde's error is about the `<<` it read as a key: say only why.
        if !rules.is_empty() {
            return Diagnostics(rules.clone());
        }
        Diagnostics(vec![yaml_diagnostic(
            &shown,
            &text,
            &error,
            "invalid project file",
        )])
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut project = Project {
        source,
        dir,
        spec,
        templates: IndexMap::new(),
        step_files: Vec::new(),
    };
    let mut diagnostics = Diagnostics(rules);
    match steps::load_all(&project) {
        Ok(files) => project.step_files = files,
        Err(found) => diagnostics.0.extend(found.0),
    }
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
            Err(found) => diagnostics.0.extend(found),
        }
    }
    diagnostics.0.extend(limits::check(&project));
    if diagnostics.is_empty() {
        // Step files that failed to load may hold steps: only judge a project that loaded.
        diagnostics.0.extend(limits::nothing_to_deploy(&project));
    }
    diagnostics.into_result(project)
}

/// Reads, parses and checks one stack's template, with every problem found in it.
fn read_template(
    project: &Project,
    stack: &str,
    template_path: &Path,
) -> Result<Template, Vec<Diagnostic>> {
    let full = project.dir.join(template_path);
    let shown = display_path(&full);
    let body = read_text(&full, &shown, "template").map_err(|error| match error {
        NotText::Unreadable(error) => vec![project
            .diagnostic(
                &["stacks", stack, "template"],
                false,
                format!(
                    "cannot read template `{}`: {error}",
                    template_path.display()
                ),
            )
            .hint("template paths are relative to the project file")],
        NotText::Bytes(diagnostic) => vec![diagnostic],
    })?;
    // The rules come first: serde reports a key written twice at its first occurrence.
    let problems = template::check(&shown, &body);
    if !problems.is_empty() {
        return Err(problems);
    }
    template::parse(&shown, body).map_err(|diagnostic| vec![diagnostic])
}
