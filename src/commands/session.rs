//! AWS configuration shared by every command: the standard credential chain, the region by
//! gapfill's precedence, and the SDK's standard retry mode.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::cli::GlobalArgs;
use crate::error::Error;

/// Attempts per CloudFormation call. Standard mode: exponential backoff with full jitter (up
/// to 20 s) and a retry quota. Not adaptive mode: its client-side rate limiter, once
/// throttled, slows every later call of the run to about one per two seconds.
const MAX_ATTEMPTS: u32 = 10;

/// Loads credentials and region. Region precedence: `--region`, `AWS_REGION` /
/// `AWS_DEFAULT_REGION`, the project's `region:`, then the profile's region.
pub async fn load(
    global: &GlobalArgs,
    project_region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SdkConfig, Error> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
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

/// The `region:` of the project file, if there is a readable one; commands that do not need
/// the project (`call`) still honour its region.
pub fn project_region(path: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let document: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    document.get("region")?.as_str().map(str::to_string)
}
