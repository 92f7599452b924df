//! The shape of `gapfill.yaml`, as serde reads it.
//!
//! Unknown keys are errors (`deny_unknown_fields`): a typo must never be silently ignored.
//! Values that need positions for later, semantic checks (parameters, tags) stay as YAML
//! values here and are interpreted in `plan::build`, with the span index at hand.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

/// The project file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// A name for the project, used in reports.
    #[serde(default)]
    pub project: Option<String>,
    /// The default region; `--region` and `AWS_REGION` override it.
    #[serde(default)]
    pub region: Option<String>,
    /// Stacks by CloudFormation stack name, in the order written.
    #[serde(default)]
    pub stacks: IndexMap<String, StackSpec>,
    /// Environment variables whose values are secret: never printed anywhere.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Globs of post-deploy step files, relative to the project file.
    #[serde(default, rename = "post-deploy")]
    pub post_deploy: Vec<String>,
    /// Project-level values, read by `${param.NAME}` in stacks and steps (types kept).
    #[serde(default)]
    pub parameters: IndexMap<String, serde_yaml::Value>,
    /// Where templates too large for an inline TemplateBody are uploaded.
    #[serde(default)]
    pub artifacts: Option<ArtifactSpec>,
    /// A directory of botocore-format models that take precedence over the built-in ones.
    #[serde(default)]
    pub models_dir: Option<PathBuf>,
    /// Settings of `gapfill drift`.
    #[serde(default)]
    pub drift: DriftSpec,
}

/// `drift:` of the project file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSpec {
    /// Known-noisy stack drift, reported as ignored rather than counted.
    #[serde(default)]
    pub ignore: Vec<IgnoreSpec>,
}

/// One ignore rule: every part given must match; at least one must be given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreSpec {
    #[serde(default)]
    pub stack: Option<String>,
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub property: Option<String>,
}

/// One stack of the project.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    /// The template file, relative to the project file.
    pub template: PathBuf,
    /// Template parameters: scalars, lists (sent comma-joined) and `${...}` references.
    #[serde(default)]
    pub parameters: IndexMap<String, serde_yaml::Value>,
    /// Stack tags.
    #[serde(default)]
    pub tags: IndexMap<String, serde_yaml::Value>,
    /// Capabilities acknowledged for this stack; none unless listed.
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    /// Stacks that must be deployed first, beyond those implied by references.
    #[serde(default)]
    pub depends_on: Vec<String>,
}

/// The capabilities CloudFormation asks a caller to acknowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Capability {
    #[serde(rename = "CAPABILITY_IAM")]
    Iam,
    #[serde(rename = "CAPABILITY_NAMED_IAM")]
    NamedIam,
    #[serde(rename = "CAPABILITY_AUTO_EXPAND")]
    AutoExpand,
}

impl Capability {
    /// The name CloudFormation uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Iam => "CAPABILITY_IAM",
            Capability::NamedIam => "CAPABILITY_NAMED_IAM",
            Capability::AutoExpand => "CAPABILITY_AUTO_EXPAND",
        }
    }
}

/// The artifact bucket for large templates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactSpec {
    pub bucket: String,
    #[serde(default)]
    pub prefix: Option<String>,
}
