//! AWS clients on a test endpoint, to check what the emulator holds (not what gapfill says).

/// A CloudFormation client on `endpoint`, with the test credentials.
pub async fn cloudformation(endpoint: &str) -> aws_sdk_cloudformation::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await;
    aws_sdk_cloudformation::Client::new(&config)
}

/// The error code, message and HTTP status of a call that must fail.
pub fn aws_error<E, R>(
    result: Result<R, aws_sdk_cloudformation::error::SdkError<E>>,
) -> (String, String, u16)
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    use aws_sdk_cloudformation::error::ProvideErrorMetadata;
    let error = result.expect_err("the call must fail");
    let status = error.raw_response().map(|r| r.status().as_u16());
    (
        error.code().unwrap_or_default().to_string(),
        error.message().unwrap_or_default().to_string(),
        status.unwrap_or(0),
    )
}
