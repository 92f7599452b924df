//! AWS configuration shared by every command: the standard credential chain, the region by
//! gapfill's precedence, retry attempts, and the model catalog; and [`connect`], which checks
//! credentials and endpoint once (the first contact) before a command's work.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_cloudformation::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_cloudformation::config::timeout::TimeoutConfig;
use std::time::Duration;

use std::sync::Arc;

use crate::aws::catalog::Catalog;
use crate::aws::diagnose::CredentialsProblem;
use crate::aws::invoke::Client;
use crate::aws::retry::RetryQuota;
use crate::cli::GlobalArgs;
use crate::cloudformation::retries::RunRetryRules;
use crate::cloudformation::Cfn;
use crate::commands::first_contact::{self, Origins};
use crate::error::Error;
use crate::plan::Plan;
use crate::redact::Redactor;

/// Attempts per CloudFormation call unless `AWS_MAX_ATTEMPTS` says otherwise (a profile's
/// lower `max_attempts` is raised to this): a deploy polls for minutes and must ride out
/// throttling.
/// Standard mode: exponential backoff with full jitter (up to 20 s) and a retry quota. Not
/// adaptive mode: its client-side rate limiter, once throttled, slows every later call of
/// the run to about one per two seconds.
const CLOUDFORMATION_MAX_ATTEMPTS: u32 = 10;

/// How long one CloudFormation call attempt may take: they answer in seconds, and a deploy's
/// long waits are polls, never one call.
const CLOUDFORMATION_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
const CLOUDFORMATION_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The shortest secret key or session token masked in every output: shorter ones are an
/// emulator's placeholders, common words that masking would mangle output with.
const CREDENTIAL_SECRET_MIN_LEN: usize = 16;

/// The region by gapfill's precedence, and where it came from: `--region`, `AWS_REGION`,
/// `AWS_DEFAULT_REGION`, the project's `region:`. `None` leaves it to the profile.
fn chosen_region(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    let set = |value: Option<String>| value.filter(|region| !region.is_empty());
    if let Some(region) = set(global.region.clone()) {
        return Some((region, "--region".to_string()));
    }
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(region) = set(env(name)) {
            return Some((region, name.to_string()));
        }
    }
    let region = set(project_region.map(str::to_string))?;
    Some((region, format!("`region:` in {}", project_file(global))))
}

/// The project file's name, as messages mention it.
fn project_file(global: &GlobalArgs) -> String {
    global.project.file_name().map_or_else(
        || "gapfill.yaml".to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

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
    if let Some((region, _)) = chosen_region(global, project_region, env) {
        loader = loader.region(Region::new(region));
    }
    Ok(loader.load().await)
}

/// The CloudFormation client: the shared config, with more attempts unless the user set them,
/// and its retries told as they happen.
pub fn cloudformation(
    sdk: &SdkConfig,
    env: &dyn Fn(&str) -> Option<String>,
    quota: Arc<RetryQuota>,
) -> aws_sdk_cloudformation::Client {
    // The run's budget decides which retries are made: the SDK's own bucket never refuses.
    let unbounded = RetryPartition::custom("gapfill")
        .token_bucket(TokenBucket::unlimited())
        .build();
    // A call that hangs (an answer that stops halfway, a proxy that never answers) is
    // abandoned and retried: no wait of a deploy is unbounded.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CLOUDFORMATION_CONNECT_TIMEOUT)
        .operation_attempt_timeout(CLOUDFORMATION_ATTEMPT_TIMEOUT)
        .build();
    let mut config = aws_sdk_cloudformation::config::Builder::from(sdk)
        .retry_partition(unbounded)
        .timeout_config(timeouts)
        .interceptor(RunRetryRules::new(quota));
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

/// Loads the configuration (a region required), checks the credentials once, sets up both
/// clients (the model-driven one on `catalog`), and makes the first contact: DescribeStacks of
/// `first_stack` (or STS GetCallerIdentity for a project without stacks), so an endpoint out of
/// reach or refused credentials stop the command within seconds, with one clear error.
pub async fn connect(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    catalog: Arc<Catalog>,
    redactor: &Redactor,
    first_stack: Option<&str>,
) -> Result<Aws, Error> {
    let sdk = load_with_region(global, project_region, env).await?;
    let mut origins = origins(global, project_region, env, &sdk);
    let credentials = require_credentials(&sdk, redactor, &origins).await?;
    origins.credentials_origin = credentials_origin(&credentials, &origins);
    // One retry budget for the run, shared by both clients.
    let quota = Arc::new(RetryQuota::default());
    let cfn = Cfn::new(cloudformation(&sdk, env, Arc::clone(&quota)));
    first_contact::check(&cfn, &catalog, first_stack, &origins).await?;
    let client = Client::new(&sdk)
        .map_err(|error| Error::new(format!("cannot set up the AWS client: {error}")))?
        .catalog(catalog)
        .retry_quota(quota);
    Ok(Aws {
        sdk,
        cfn,
        client: Arc::new(client),
    })
}

/// The stack the first contact describes: the run's first, else the project's (a run that
/// deploys no stack, `--only-steps` or a drift check of steps, reads the deployed ones).
pub fn first_stack<'a>(run: &'a Plan, project: &'a Plan) -> Option<&'a str> {
    run.stacks
        .first()
        .or_else(|| project.stacks.first())
        .map(|stack| stack.name.as_str())
}

/// Where this run's settings came from, for the hints of first-contact errors.
pub fn origins<'a>(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &'a dyn Fn(&str) -> Option<String>,
    sdk: &'a SdkConfig,
) -> Origins<'a> {
    let region = chosen_region(global, project_region, env).or_else(|| {
        sdk.region()
            .map(|region| (region.to_string(), "the AWS profile".to_string()))
    });
    Origins {
        env,
        sdk,
        region,
        profile: global
            .profile
            .clone()
            .or_else(|| env("AWS_PROFILE"))
            .filter(|profile| !profile.is_empty()),
        credentials_origin: None,
        explicit_endpoint: None,
    }
}

/// Like [`load`], for commands that cannot work without a region.
pub async fn load_with_region(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SdkConfig, Error> {
    let config = load(global, project_region, env).await?;
    let Some(region) = config.region() else {
        return Err(first_contact::no_region_error(&project_file(global)));
    };
    let name = region.as_ref();
    let well_formed = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !well_formed {
        let source = chosen_region(global, project_region, env)
            .map_or_else(|| "the AWS profile".to_string(), |(_, source)| source);
        return Err(Error::new(format!(
            "`{name}` (from {source}) is not a region name: AWS regions look like `us-east-1`"
        )));
    }
    Ok(config)
}

/// Resolves credentials once, so a deploy without any stops before its first stack with one
/// clear message instead of failing every stack. Their secret parts are masked from then on,
/// even in debug logs.
pub async fn require_credentials(
    config: &SdkConfig,
    redactor: &Redactor,
    origins: &Origins<'_>,
) -> Result<Credentials, Error> {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(provider) = config.credentials_provider() else {
        return Err(first_contact::credentials_error(
            &CredentialsProblem::NotFound,
            origins,
        ));
    };
    let credentials = provider.provide_credentials().await.map_err(|error| {
        tracing::debug!(error = %crate::aws::error_chain::error_chain(&error), "no credentials");
        first_contact::credentials_error(&CredentialsProblem::of(&error), origins)
    })?;
    let secrets = [
        Some(credentials.secret_access_key()),
        credentials.session_token(),
    ];
    for secret in secrets.into_iter().flatten() {
        // AWS's are 40 characters and more; an emulator's `test` must not mask every "test".
        if secret.len() >= CREDENTIAL_SECRET_MIN_LEN {
            redactor.add(secret);
        }
    }
    Ok(credentials)
}

/// Where `credentials` came from, when that can be told: the environment's keys, or the
/// profile named (the chain tries the environment first, then the profile).
fn credentials_origin(credentials: &Credentials, origins: &Origins<'_>) -> Option<String> {
    let from_env =
        (origins.env)("AWS_ACCESS_KEY_ID").is_some_and(|key| key == credentials.access_key_id());
    if from_env {
        return Some("the credentials come from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN".to_string());
    }
    let profile = origins.profile.as_deref()?;
    Some(format!("the credentials come from profile `{profile}`"))
}

/// What `call` takes from the project file when there is a readable one: its region and
/// its models directory (relative to the file). `call` works without a project.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProjectHints {
    pub region: Option<String>,
    pub models_dir: Option<std::path::PathBuf>,
    /// The environment variables the project lists under `secrets:`.
    pub secrets: Vec<String>,
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
    let secrets = document
        .get("secrets")
        .and_then(serde_yaml::Value::as_sequence)
        .map(|names| {
            names
                .iter()
                .filter_map(serde_yaml::Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    ProjectHints {
        region: text("region"),
        models_dir: text("models_dir").map(|models| dir.join(models)),
        secrets,
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
