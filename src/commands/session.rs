//! AWS configuration shared by every command: the standard credential chain, the region by
//! gapfill's precedence, retry attempts, and the model catalog.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use std::sync::Arc;

use crate::aws::catalog::Catalog;
use crate::aws::error_chain::error_chain;
use crate::aws::invoke::Client;
use crate::cli::GlobalArgs;
use crate::cloudformation::Cfn;
use crate::error::Error;

/// Attempts per CloudFormation call unless `AWS_MAX_ATTEMPTS` says otherwise (a profile's
/// lower `max_attempts` is raised to this): a deploy polls for minutes and must ride out
/// throttling.
/// Standard mode: exponential backoff with full jitter (up to 20 s) and a retry quota. Not
/// adaptive mode: its client-side rate limiter, once throttled, slows every later call of
/// the run to about one per two seconds.
const CLOUDFORMATION_MAX_ATTEMPTS: u32 = 10;

/// Loads credentials and region. Region precedence: `--region`, `AWS_REGION` /
/// `AWS_DEFAULT_REGION`, the project's `region:`, then the profile's region.
pub async fn load(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SdkConfig, Error> {
    // Retry settings stay the SDK's (standard mode; AWS_MAX_ATTEMPTS and the profile's
    // max_attempts read), shared by both clients; `cloudformation` raises the attempts.
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &global.profile {
        loader = loader.profile_name(profile);
    }
    let region = global
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .filter(|region| !region.is_empty())
        .or_else(|| project_region.map(str::to_string));
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    Ok(loader.load().await)
}

/// The CloudFormation client: the shared config, with more attempts unless the user set them.
pub fn cloudformation(
    sdk: &SdkConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> aws_sdk_cloudformation::Client {
    let mut config = aws_sdk_cloudformation::config::Builder::from(sdk);
    let user_set = env("AWS_MAX_ATTEMPTS").is_some_and(|value| !value.is_empty());
    if !user_set
        && sdk
            .retry_config()
            .is_none_or(|retry| retry.max_attempts() < CLOUDFORMATION_MAX_ATTEMPTS)
    {
        config = config
            .retry_config(RetryConfig::standard().with_max_attempts(CLOUDFORMATION_MAX_ATTEMPTS));
    }
    aws_sdk_cloudformation::Client::from_conf(config.build())
}

/// What a command that works on the project talks to AWS with: the configuration, with
/// credentials checked once; the CloudFormation client; the model-driven client.
pub struct Aws {
    pub sdk: SdkConfig,
    pub cfn: Cfn,
    pub client: Arc<Client>,
}

/// Loads the configuration (a region required), checks the credentials once, and sets up both
/// clients, the model-driven one on `catalog`.
pub async fn connect(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    catalog: Arc<Catalog>,
) -> Result<Aws, Error> {
    let sdk = load_with_region(global, project_region, env).await?;
    require_credentials(&sdk).await?;
    let cfn = Cfn::new(cloudformation(&sdk, env));
    let client = Client::new(&sdk)
        .map_err(|error| Error::new(format!("cannot set up the AWS client: {error}")))?
        .catalog(catalog);
    Ok(Aws {
        sdk,
        cfn,
        client: Arc::new(client),
    })
}

/// Like [`load`], for commands that cannot work without a region.
pub async fn load_with_region(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SdkConfig, Error> {
    let config = load(global, project_region, env).await?;
    if config.region().is_none() {
        return Err(Error::new("no AWS region is configured")
            .hint("set `region:` in gapfill.yaml, export AWS_REGION, or pass --region"));
    }
    Ok(config)
}

/// Resolves credentials once, so a deploy without any stops before its first stack with one
/// clear message instead of failing every stack.
pub async fn require_credentials(config: &SdkConfig) -> Result<(), Error> {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(provider) = config.credentials_provider() else {
        return Err(Error::new("no AWS credentials provider is configured"));
    };
    provider.provide_credentials().await.map(|_| ()).map_err(|error| {
        Error::new(format!("no AWS credentials: {}", error_chain(&error))).hint(
            "use a profile (--profile or AWS_PROFILE; `aws sso login` for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in CI, assume a role with OIDC",
        )
    })
}

/// What `call` takes from the project file when there is a readable one: its region and
/// its models directory (relative to the file). `call` works without a project.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProjectHints {
    pub region: Option<String>,
    pub models_dir: Option<std::path::PathBuf>,
}

pub fn project_hints(path: &std::path::Path) -> ProjectHints {
    let Some(document) = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_yaml::from_str::<serde_yaml::Value>(&text).ok())
    else {
        return ProjectHints::default();
    };
    let text = |key: &str| {
        document
            .get(key)
            .and_then(serde_yaml::Value::as_str)
            .map(str::to_string)
    };
    let dir = path.parent().unwrap_or(std::path::Path::new(""));
    ProjectHints {
        region: text("region"),
        models_dir: text("models_dir").map(|models| dir.join(models)),
    }
}

/// The models: `GAPFILL_MODELS_DIR` first, then the project's `models_dir`, then built-in.
pub fn catalog(
    project_models: Option<std::path::PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Catalog {
    match env("GAPFILL_MODELS_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => Catalog::new(Some(dir.into())),
        None => Catalog::new(project_models),
    }
}
