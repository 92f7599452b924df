//! Why a call to AWS failed, in plain words: the endpoint could not be reached, and how
//! ([`Unreachable`]); the credentials were refused, or the caller may not do what it asked
//! ([`AuthProblem`], [`Denial`]); the credential chain found nothing or failed
//! ([`CredentialsProblem`]); and which proxy a request goes through ([`proxy_for`]).
//!
//! Classification only, for both clients (the SDK's and the model-driven one): what to do about
//! it is for the caller to say, since only the caller knows where each setting came from.

use std::fmt;
use std::io;

use aws_credential_types::provider::error::CredentialsError;

use crate::aws::error_chain::error_chain;

/// Why no answer came from an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// Nothing listens at the host and port.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed (the detail says why).
    Tls(String),
    /// Connecting took too long.
    ConnectTimeout,
    /// Connected, but no answer came in time.
    NoAnswer,
    /// The connection was closed or reset before an answer came.
    Closed,
    /// Anything else, as the error chain tells it.
    Other(String),
}

impl Unreachable {
    /// Classifies an error and its causes: `io::Error` kinds where the chain carries them,
    /// else the words of the chain (hyper, rustls and the SDK each wrap differently).
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Unreachable {
        let mut kinds = Vec::new();
        let mut current = Some(error);
        while let Some(cause) = current {
            if let Some(io) = cause.downcast_ref::<io::Error>() {
                kinds.push(io.kind());
            }
            current = cause.source();
        }
        Unreachable::classify(&error_chain(error), &kinds)
    }

    /// Classifies the text of an error chain and the `io::Error` kinds found in it.
    pub fn classify(chain: &str, kinds: &[io::ErrorKind]) -> Unreachable {
        let text = chain.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|word| text.contains(word));
        if kinds.contains(&io::ErrorKind::ConnectionRefused) || has(&["connection refused"]) {
            return Unreachable::Refused;
        }
        if has(&[
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "nodename nor servname",
            "no such host",
            "temporary failure in name resolution",
        ]) {
            return Unreachable::Dns;
        }
        if kinds.contains(&io::ErrorKind::TimedOut) || has(&["timed out", "timeout"]) {
            return if has(&["connect timeout", "tcp connect", "(connect)"]) {
                Unreachable::ConnectTimeout
            } else {
                Unreachable::NoAnswer
            };
        }
        if has(&[
            "certificate",
            "tls",
            "handshake",
            "invalidcontenttype",
            "corrupt message",
        ]) {
            let detail = chain.rsplit(": ").next().unwrap_or(chain).trim();
            return Unreachable::Tls(detail.to_string());
        }
        let closed_kinds = [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::UnexpectedEof,
            io::ErrorKind::BrokenPipe,
        ];
        if kinds.iter().any(|kind| closed_kinds.contains(kind))
            || has(&[
                "connection closed",
                "connection reset",
                "incompletemessage",
                "broken pipe",
                "unexpected eof",
            ])
        {
            return Unreachable::Closed;
        }
        Unreachable::Other(chain.to_string())
    }
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreachable::Refused => f.write_str("connection refused (nothing is listening there)"),
            Unreachable::Dns => f.write_str("the host name does not resolve (DNS lookup failed)"),
            Unreachable::Tls(detail) => write!(f, "the TLS handshake failed ({detail})"),
            Unreachable::ConnectTimeout => f.write_str("connecting timed out"),
            Unreachable::NoAnswer => f.write_str("connected, but no answer came in time"),
            Unreachable::Closed => f.write_str("the connection was closed before an answer came"),
            Unreachable::Other(detail) => f.write_str(detail),
        }
    }
}

/// An answer that says the request's credentials, signature or permissions are the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthProblem {
    /// The temporary credentials' session is over.
    Expired,
    /// AWS does not know the access key: deleted, deactivated, mistyped, of another partition;
    /// or the region is an opt-in one the account has not enabled.
    UnknownKey,
    /// The signature does not match: the secret key does not go with the access key.
    BadSignature,
    /// The request was signed for another region (or service) than the endpoint's.
    WrongScope,
    /// The request's time is too far from AWS's: the computer's clock is off.
    ClockSkew,
    /// The request carried no credentials, or the endpoint is not an AWS API.
    Unsigned,
    /// The account has not enabled the region or the service.
    OptInRequired,
    /// The caller may not do this.
    Denied(Denial),
}

impl AuthProblem {
    /// The problem an error answer (`code`, `message`) reports, if it is one of these.
    pub fn of(code: &str, message: &str) -> Option<AuthProblem> {
        let lower = message.to_ascii_lowercase();
        let problem = match code {
            "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" => {
                AuthProblem::Expired
            }
            "RequestExpired" | "RequestTimeTooSkewed" => AuthProblem::ClockSkew,
            "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
            | "AuthFailure" => AuthProblem::UnknownKey,
            "SignatureDoesNotMatch" | "InvalidSignatureException" | "IncompleteSignature" => {
                if lower.contains("signature expired") {
                    AuthProblem::ClockSkew
                } else if lower.contains("scoped to") {
                    AuthProblem::WrongScope
                } else {
                    AuthProblem::BadSignature
                }
            }
            "MissingAuthenticationToken" | "MissingAuthenticationTokenException" => {
                AuthProblem::Unsigned
            }
            "OptInRequired" | "SubscriptionRequiredException" => AuthProblem::OptInRequired,
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "UnauthorizedException" => AuthProblem::Denied(Denial::parse(message)),
            _ if code.contains("AccessDenied") => AuthProblem::Denied(Denial::parse(message)),
            _ => return None,
        };
        Some(problem)
    }

    /// What went wrong, in a few words that fit after "error: ".
    pub fn summary(&self) -> &'static str {
        match self {
            AuthProblem::Expired => "the AWS credentials have expired",
            AuthProblem::UnknownKey => "AWS does not recognize the access key",
            AuthProblem::BadSignature => {
                "AWS rejected the request signature: the secret key does not match the access key"
            }
            AuthProblem::WrongScope => {
                "the request was signed for another region or service than the endpoint's"
            }
            AuthProblem::ClockSkew => {
                "AWS rejected the request's time: this computer's clock is off"
            }
            AuthProblem::Unsigned => "the endpoint expected signed AWS requests",
            AuthProblem::OptInRequired => "the account has not enabled this region or service",
            AuthProblem::Denied(_) => "access denied",
        }
    }
}

/// What an access-denied message says, when AWS says it: `User: P is not authorized to
/// perform: A on resource: R because ...`. Every part is optional; S3, for one, says only
/// "Access Denied".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Denial {
    /// The principal's ARN.
    pub principal: Option<String>,
    /// The IAM action, `service:Action`.
    pub action: Option<String>,
    pub resource: Option<String>,
    /// Why, as AWS words it (`no identity-based policy allows ...`, `with an explicit deny in
    /// a service control policy`).
    pub because: Option<String>,
}

impl Denial {
    pub fn parse(message: &str) -> Denial {
        let message = message.trim();
        let Some(start) = message.find("User: ") else {
            return Denial::default();
        };
        let rest = &message[start + "User: ".len()..];
        let Some((principal, rest)) = rest.split_once(" is not authorized to perform: ") else {
            return Denial::default();
        };
        // The action ends at the resource, the reason, or the end.
        let (head, because) = match rest.find(" because ") {
            Some(at) => (&rest[..at], Some(&rest[at + " because ".len()..])),
            None => match rest.find(" with an explicit deny") {
                Some(at) => (&rest[..at], Some(&rest[at + 1..])),
                None => (rest, None),
            },
        };
        let (action, resource) = match head.split_once(" on resource: ") {
            Some((action, resource)) => (action, Some(resource)),
            None => (head, None),
        };
        let clean = |text: &str| {
            let text = text.trim().trim_end_matches('.');
            // EC2 appends an encoded message after the sentence.
            let text = text.split(" Encoded authorization failure message").next();
            text.map(|t| t.trim().trim_end_matches('.').to_string())
                .filter(|t| !t.is_empty())
        };
        Denial {
            principal: clean(principal),
            action: clean(action).map(|a| a.split_whitespace().next().unwrap_or(&a).to_string()),
            resource: resource.and_then(clean),
            because: because.and_then(clean),
        }
    }

    /// Whether AWS named at least the action.
    pub fn is_detailed(&self) -> bool {
        self.action.is_some()
    }

    /// The principal as a person reads it: role `deploy`, user `dev`; else its ARN.
    pub fn who(&self) -> Option<String> {
        let principal = self.principal.as_deref()?;
        let resource = principal.splitn(6, ':').nth(5).unwrap_or(principal);
        let mut parts = resource.split('/');
        Some(match (parts.next(), parts.next()) {
            (Some("assumed-role" | "role"), Some(role)) => format!("role `{role}`"),
            (Some("user"), Some(user)) => format!("user `{user}`"),
            _ => format!("`{principal}`"),
        })
    }

    /// The principal's account, from its ARN.
    pub fn principal_account(&self) -> Option<&str> {
        arn_account(self.principal.as_deref()?)
    }

    /// The resource's account, from its ARN.
    pub fn resource_account(&self) -> Option<&str> {
        arn_account(self.resource.as_deref()?)
    }

    /// What to do: whom to allow which action (`likely_action` when AWS did not name it), or
    /// why allowing will not do (another account, an explicit deny).
    pub fn advice(&self, likely_action: &str) -> String {
        let action = match &self.action {
            Some(action) => action.clone(),
            None => format!("{likely_action} (AWS did not name the action; likely this one)"),
        };
        let who = self
            .who()
            .unwrap_or_else(|| "the identity making the call".to_string());
        if let Some((principal, resource)) = self.other_account() {
            return format!("the resource belongs to account {resource}, the credentials to account {principal}: is it the right profile or role?");
        }
        let because = self.because.as_deref().unwrap_or_default();
        if because.contains("service control policy") {
            return format!("a service control policy of the organization denies {action}: only its administrators can change that");
        }
        if because.contains("permissions boundary") {
            return format!("the permissions boundary of {who} does not allow {action}: widen the boundary as well as the policy");
        }
        if because.contains("explicit deny") {
            return format!("an explicit deny of {action} applies to {who} ({because}), and a deny wins over any allow: change the policy that denies it");
        }
        format!("allow {action} to {who} in its IAM policy")
    }

    /// The accounts of the principal and the resource, when both are known and differ.
    pub fn other_account(&self) -> Option<(&str, &str)> {
        match (self.principal_account(), self.resource_account()) {
            (Some(principal), Some(resource)) if principal != resource => {
                Some((principal, resource))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Denial {
    /// `P may not perform A on R (because)`, with the parts AWS gave.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let principal = self.principal.as_deref().unwrap_or("the caller");
        let action = self.action.as_deref().unwrap_or("this action");
        write!(f, "{principal} may not perform {action}")?;
        if let Some(resource) = &self.resource {
            write!(f, " on {resource}")?;
        }
        if let Some(because) = &self.because {
            write!(f, " ({because})")?;
        }
        Ok(())
    }
}

/// `scheme://host[:port]` of a URL, the endpoint as a person names it; the text itself when it
/// does not parse.
pub fn origin(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => {
            let origin = parsed.origin().ascii_serialization();
            if origin == "null" {
                url.to_string()
            } else {
                origin
            }
        }
        _ => url.to_string(),
    }
}

/// The account of an ARN (`arn:partition:service:region:account:resource`), when it has one.
fn arn_account(arn: &str) -> Option<&str> {
    let account = arn.strip_prefix("arn:")?.split(':').nth(3)?;
    (!account.is_empty()).then_some(account)
}

/// Why the credential chain gave no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsProblem {
    /// No source had any.
    NotFound,
    /// The shared config or credentials files cannot be used (a profile missing or broken).
    Config(String),
    /// An SSO session (or another source's token) has expired.
    Expired(String),
    /// A source took too long.
    TimedOut(String),
    /// A source failed.
    Failed(String),
}

impl fmt::Display for CredentialsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsProblem::NotFound => f.write_str("none found"),
            CredentialsProblem::Config(detail)
            | CredentialsProblem::Expired(detail)
            | CredentialsProblem::TimedOut(detail)
            | CredentialsProblem::Failed(detail) => f.write_str(detail),
        }
    }
}

impl CredentialsProblem {
    /// The problem of a credential chain's error. The EC2 instance metadata service is the
    /// last place the chain looks: off EC2 it cannot answer, which means none were found.
    pub fn of(error: &CredentialsError) -> CredentialsProblem {
        let detail = error_chain(error);
        match error {
            CredentialsError::CredentialsNotLoaded(_) => CredentialsProblem::NotFound,
            CredentialsError::ProviderError(_) if detail.contains("IMDS") => {
                CredentialsProblem::NotFound
            }
            CredentialsError::InvalidConfiguration(_) => CredentialsProblem::Config(detail),
            CredentialsError::ProviderTimedOut(_) => CredentialsProblem::TimedOut(detail),
            _ if detail.to_ascii_lowercase().contains("expired") => {
                CredentialsProblem::Expired(detail)
            }
            _ => CredentialsProblem::Failed(detail),
        }
    }
}

/// The proxy a request to `url` goes through, as `(variable, value)`: `HTTPS_PROXY` (or
/// `HTTP_PROXY` for `http://`), then `ALL_PROXY`, either case; none when `NO_PROXY` covers
/// the host. The rules both HTTP clients follow.
pub fn proxy_for(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(&'static str, String)> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed
        .host_str()?
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let candidates: &[&'static str] = match parsed.scheme() {
        "https" => &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        _ => &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
    };
    let (name, value) = candidates.iter().find_map(|name| {
        env(name)
            .filter(|value| !value.trim().is_empty())
            .map(|value| (*name, value))
    })?;
    let no_proxy = env("NO_PROXY")
        .or_else(|| env("no_proxy"))
        .unwrap_or_default();
    let bypassed = no_proxy.split(',').map(str::trim).any(|entry| {
        let entry = entry.trim_start_matches("*.").trim_start_matches('.');
        let entry = entry
            .split(':')
            .next()
            .unwrap_or(entry)
            .to_ascii_lowercase();
        entry == "*"
            || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
    });
    (!bypassed).then_some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_unreachable_endpoints_by_io_kind_and_by_words() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(Unreachable::of(&refused), Unreachable::Refused);
        let classify = |text: &str| Unreachable::classify(text, &[]);
        assert_eq!(
            classify("dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)"),
            Unreachable::Refused
        );
        assert_eq!(
            classify("dispatch failure: io error: client error (Connect): dns error: failed to lookup address information: Name or service not known"),
            Unreachable::Dns
        );
        assert_eq!(
            classify("dispatch failure: timeout: client error (Connect): HTTP connect timeout occurred after 3.1s"),
            Unreachable::ConnectTimeout
        );
        assert_eq!(
            classify("timeout: HTTP read timeout occurred after 10s"),
            Unreachable::NoAnswer
        );
        assert_eq!(
            classify("dispatch failure: other: client error (Connect): invalid peer certificate: UnknownIssuer"),
            Unreachable::Tls("UnknownIssuer".into())
        );
        assert_eq!(
            classify("dispatch failure: io error: connection closed before message completed"),
            Unreachable::Closed
        );
        assert_eq!(
            classify("something else entirely"),
            Unreachable::Other("something else entirely".into())
        );
        assert_eq!(
            Unreachable::Refused.to_string(),
            "connection refused (nothing is listening there)"
        );
    }

    #[test]
    fn tells_credential_problems_apart_by_code_and_message() {
        let of = |code: &str, message: &str| AuthProblem::of(code, message);
        assert_eq!(
            of(
                "ExpiredToken",
                "The security token included in the request is expired"
            ),
            Some(AuthProblem::Expired)
        );
        assert_eq!(
            of(
                "InvalidClientTokenId",
                "The security token included in the request is invalid."
            ),
            Some(AuthProblem::UnknownKey)
        );
        assert_eq!(
            of(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided."
            ),
            Some(AuthProblem::BadSignature)
        );
        assert_eq!(
            of(
                "SignatureDoesNotMatch",
                "Credential should be scoped to a valid region."
            ),
            Some(AuthProblem::WrongScope)
        );
        assert_eq!(
            of(
                "InvalidSignatureException",
                "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z"
            ),
            Some(AuthProblem::ClockSkew)
        );
        assert_eq!(
            of("ValidationError", "Stack with id x does not exist"),
            None
        );
        assert_eq!(of("Throttling", "Rate exceeded"), None);
        assert!(matches!(
            of("AccessDeniedException", "nope"),
            Some(AuthProblem::Denied(_))
        ));
    }

    #[test]
    fn reads_principal_action_resource_and_reason_from_a_denial() {
        let denial = Denial::parse(
            "User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: cloudformation:CreateChangeSet on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/app/* because no identity-based policy allows the cloudformation:CreateChangeSet action",
        );
        assert_eq!(
            denial.principal.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/deploy/ci")
        );
        assert_eq!(
            denial.action.as_deref(),
            Some("cloudformation:CreateChangeSet")
        );
        assert_eq!(
            denial.resource.as_deref(),
            Some("arn:aws:cloudformation:us-east-1:123456789012:stack/app/*")
        );
        assert_eq!(
            denial.because.as_deref(),
            Some("no identity-based policy allows the cloudformation:CreateChangeSet action")
        );
        assert_eq!(denial.who().as_deref(), Some("role `deploy`"));
        assert_eq!(denial.other_account(), None);
        assert_eq!(
            denial.to_string(),
            "arn:aws:sts::123456789012:assumed-role/deploy/ci may not perform cloudformation:CreateChangeSet on arn:aws:cloudformation:us-east-1:123456789012:stack/app/* (no identity-based policy allows the cloudformation:CreateChangeSet action)"
        );

        let scp = Denial::parse("User: arn:aws:iam::111122223333:user/dev is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:444455556666:parameter/x with an explicit deny in a service control policy");
        assert_eq!(
            scp.because.as_deref(),
            Some("with an explicit deny in a service control policy")
        );
        assert_eq!(scp.who().as_deref(), Some("user `dev`"));
        assert_eq!(scp.other_account(), Some(("111122223333", "444455556666")));

        let bare = Denial::parse("User: arn:aws:iam::1:user/a is not authorized to perform: cloudformation:DescribeStacks");
        assert_eq!(
            bare.action.as_deref(),
            Some("cloudformation:DescribeStacks")
        );
        assert_eq!(bare.resource, None);

        assert_eq!(
            denial.advice("cloudformation:CreateChangeSet"),
            "allow cloudformation:CreateChangeSet to role `deploy` in its IAM policy"
        );
        assert_eq!(
            scp.advice("ssm:PutParameter"),
            "the resource belongs to account 444455556666, the credentials to account 111122223333: is it the right profile or role?"
        );

        let s3 = Denial::parse("Access Denied");
        assert_eq!(
            s3.advice("s3:PutObject"),
            "allow s3:PutObject (AWS did not name the action; likely this one) to the identity making the call in its IAM policy"
        );
        assert!(!s3.is_detailed());
        assert_eq!(s3, Denial::default());
    }

    #[test]
    fn names_the_proxy_a_request_goes_through_unless_no_proxy_covers_it() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        let https = env(&[("HTTPS_PROXY", "http://proxy:3128")]);
        assert_eq!(
            proxy_for("https://cloudformation.us-east-1.amazonaws.com", &https),
            Some(("HTTPS_PROXY", "http://proxy:3128".to_string()))
        );
        assert_eq!(proxy_for("http://127.0.0.1:4566", &https), None);
        let bypass = env(&[
            ("https_proxy", "http://proxy:3128"),
            ("NO_PROXY", "localhost, .amazonaws.com"),
        ]);
        assert_eq!(
            proxy_for("https://sts.amazonaws.com/", &bypass),
            None,
            "a domain suffix bypasses"
        );
        assert_eq!(
            proxy_for("https://example.com/", &bypass),
            Some(("https_proxy", "http://proxy:3128".to_string()))
        );
        let all = env(&[("HTTP_PROXY", "http://proxy:3128"), ("NO_PROXY", "*")]);
        assert_eq!(proxy_for("http://127.0.0.1:9", &all), None);
    }
}
