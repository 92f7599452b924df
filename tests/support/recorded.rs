//! A request as the test servers saw it: the AWS action and its decoded form parameters, so
//! tests can assert which calls a command made, in which order, for which stack.

/// One recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `Action=` of a query-protocol request, or the operation of an `X-Amz-Target` header;
    /// empty for REST protocols (their method and path say what they do).
    pub action: String,
    /// The decoded form parameters (empty for non-form bodies).
    pub params: Vec<(String, String)>,
    /// The HTTP method and path with query, as sent.
    pub method: String,
    pub path: String,
}

/// Verbs of the operations that only read.
const READ_VERBS: [&str; 7] = [
    "Get", "Describe", "List", "Head", "Query", "Scan", "BatchGet",
];

impl Request {
    /// Whether the request may change something: an action that does not only read, or a
    /// REST request other than GET and HEAD.
    pub fn is_write(&self) -> bool {
        if self.action.is_empty() {
            !matches!(self.method.as_str(), "GET" | "HEAD")
        } else {
            !READ_VERBS.iter().any(|verb| self.action.starts_with(verb))
        }
    }

    /// `METHOD path` or the action, for messages.
    pub fn label(&self) -> String {
        if self.action.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            self.action.clone()
        }
    }

    /// Reads a request from its method, path, `X-Amz-Target` header (if any) and body.
    pub fn from_http(method: &str, path: &str, target: Option<&str>, body: &[u8]) -> Request {
        Request {
            method: method.to_string(),
            path: path.to_string(),
            ..Request::parse(target, body)
        }
    }

    /// Reads a request from its `X-Amz-Target` header (if any) and its body.
    pub fn parse(target: Option<&str>, body: &[u8]) -> Request {
        let params: Vec<(String, String)> = url::form_urlencoded::parse(body)
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        let from_form = params
            .iter()
            .find(|(key, _)| key == "Action")
            .map(|(_, value)| value.clone());
        // `DynamoDB_20120810.PutItem` names the operation after the dot.
        let from_target = target.map(|t| t.rsplit('.').next().unwrap_or(t).to_string());
        Request {
            action: from_form.or(from_target).unwrap_or_default(),
            params,
            method: "POST".to_string(),
            path: "/".to_string(),
        }
    }

    /// The value of form parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The stack the request is about: `StackName`, reduced to the name when it is an ARN.
    pub fn stack(&self) -> Option<&str> {
        self.param("StackName").map(stack_name_of)
    }
}

/// `arn:aws:cloudformation:us-east-1:123456789012:stack/NAME/UUID` -> `NAME`; a name as is.
pub fn stack_name_of(name_or_arn: &str) -> &str {
    match name_or_arn.split_once(":stack/") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => name_or_arn,
    }
}

/// The actions of `requests`, in order.
pub fn actions(requests: &[Request]) -> Vec<String> {
    requests.iter().map(|r| r.action.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_action_and_stack_from_a_form_body() {
        let request = Request::parse(
            None,
            b"Action=DescribeStacks&Version=2010-05-15&StackName=arn%3Aaws%3Acloudformation%3Aus-east-1%3A1%3Astack%2Fapp%2Fabc",
        );
        assert_eq!(request.action, "DescribeStacks");
        assert_eq!(request.stack(), Some("app"));
    }

    #[test]
    fn tells_writes_from_reads_in_every_protocol() {
        let rest = |method: &str| {
            Request::from_http(method, "/2019-09-30/functions/f/concurrency", None, b"")
        };
        assert!(!rest("GET").is_write());
        assert!(rest("PUT").is_write());
        assert!(!Request::parse(Some("AmazonSSM.GetParameter"), b"{}").is_write());
        assert!(Request::parse(Some("AmazonSSM.PutParameter"), b"{}").is_write());
        assert!(Request::parse(None, b"Action=SetQueueAttributes").is_write());
    }

    #[test]
    fn reads_the_operation_from_a_target_header() {
        let request = Request::parse(Some("DynamoDB_20120810.PutItem"), b"{}");
        assert_eq!(request.action, "PutItem");
    }
}
