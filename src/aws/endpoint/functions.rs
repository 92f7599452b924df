//! The function library of endpoint rule sets (`isSet`, `parseURL`, `aws.partition`, ...),
//! with the semantics of botocore's `RuleSetStandardLibrary`.
//!
//! Functions take already-resolved arguments; `Value::Null` stands for an unset value, and a
//! function that "returns nothing" (an unparsable URL, an out-of-range substring) returns `Null`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use super::EndpointError;

/// Calls the library function `name`; `partitions` is botocore's `partitions.json`.
pub fn call(name: &str, args: &[Value], partitions: &Value) -> Result<Value, EndpointError> {
    let arg = |index: usize| args.get(index).unwrap_or(&Value::Null);
    let result = match name {
        "isSet" => Value::Bool(!arg(0).is_null()),
        "not" => Value::Bool(!expect_bool(name, arg(0))?),
        "booleanEquals" => Value::Bool(expect_bool(name, arg(0))? == expect_bool(name, arg(1))?),
        "stringEquals" => Value::Bool(expect_str(name, arg(0))? == expect_str(name, arg(1))?),
        "getAttr" => get_attr(arg(0), expect_str(name, arg(1))?),
        "substring" => substring(
            arg(0).as_str(),
            expect_index(name, arg(1))?,
            expect_index(name, arg(2))?,
            expect_bool(name, arg(3))?,
        ),
        "uriEncode" => Value::String(uri_encode(expect_str(name, arg(0))?)),
        "parseURL" => arg(0).as_str().map_or(Value::Null, parse_url),
        "isValidHostLabel" => Value::Bool(is_valid_host_label(
            arg(0).as_str(),
            expect_bool(name, arg(1))?,
        )),
        "aws.partition" => partition(arg(0).as_str(), partitions)?,
        "aws.parseArn" => arg(0).as_str().map_or(Value::Null, parse_arn),
        "aws.isVirtualHostableS3Bucket" => Value::Bool(is_virtual_hostable_s3_bucket(
            arg(0).as_str(),
            expect_bool(name, arg(1))?,
        )),
        other => return Err(EndpointError::UnknownFunction(other.to_string())),
    };
    Ok(result)
}

fn expect_bool(function: &str, value: &Value) -> Result<bool, EndpointError> {
    value
        .as_bool()
        .ok_or_else(|| bad_argument(function, "a boolean", value))
}

fn expect_str<'a>(function: &str, value: &'a Value) -> Result<&'a str, EndpointError> {
    value
        .as_str()
        .ok_or_else(|| bad_argument(function, "a string", value))
}

fn expect_index(function: &str, value: &Value) -> Result<usize, EndpointError> {
    value
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| bad_argument(function, "a non-negative integer", value))
}

fn bad_argument(function: &str, expected: &str, found: &Value) -> EndpointError {
    EndpointError::BadArgument {
        function: function.to_string(),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

/// `getAttr(value, "a.b[2]")`: object members by name, list items by index; `Null` when absent.
pub fn get_attr(value: &Value, path: &str) -> Value {
    let mut current = value;
    for part in path.split('.') {
        let (name, index) = match part.find('[') {
            Some(open) => (&part[..open], part[open + 1..].strip_suffix(']')),
            None => (part, None),
        };
        if !name.is_empty() {
            match current.get(name) {
                Some(next) => current = next,
                None => return Value::Null,
            }
        }
        if let Some(index) = index {
            match index.parse::<usize>().ok().and_then(|i| current.get(i)) {
                Some(next) => current = next,
                None => return Value::Null,
            }
        }
    }
    current.clone()
}

/// Characters in `[start, stop)` (or counted from the end when `reverse`); ASCII input only.
fn substring(input: Option<&str>, start: usize, stop: usize, reverse: bool) -> Value {
    let Some(input) = input else {
        return Value::Null;
    };
    if !input.is_ascii() || start >= stop || input.len() < stop {
        return Value::Null;
    }
    let (from, to) = if reverse {
        (input.len() - stop, input.len() - start)
    } else {
        (start, stop)
    };
    Value::String(input[from..to].to_string())
}

/// Everything but RFC 3986 unreserved characters is percent-encoded (Python's `quote(v, safe="")`).
const URI_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn uri_encode(value: &str) -> String {
    utf8_percent_encode(value, URI_ENCODE_SET).to_string()
}

/// `parseURL`: http(s) URLs without a query become `{scheme, authority, path, normalizedPath, isIp}`.
fn parse_url(url: &str) -> Value {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Value::Null;
    };
    if scheme != "http" && scheme != "https" {
        return Value::Null;
    }
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    if rest.contains('?') {
        return Value::Null;
    }
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if authority.is_empty() || !has_valid_port(authority) {
        return Value::Null;
    }
    json!({
        "scheme": scheme,
        "authority": authority,
        "path": path,
        "normalizedPath": normalized_path(path),
        "isIp": is_ip_authority(authority),
    })
}

/// A port, when the authority has one after its host, must be all digits.
fn has_valid_port(authority: &str) -> bool {
    let after_host = match authority.rfind(']') {
        Some(close) => &authority[close + 1..],
        None => authority,
    };
    match after_host.rsplit_once(':') {
        Some((_, port)) => port.chars().all(|c| c.is_ascii_digit()),
        None => true,
    }
}

fn normalized_path(path: &str) -> String {
    let mut normalized = String::with_capacity(path.len() + 2);
    if !path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(path);
    if !normalized.ends_with('/') {
        normalized.push('/');
    }
    normalized
}

fn is_ip_authority(authority: &str) -> bool {
    if authority.starts_with('[') {
        return authority.contains(']');
    }
    let host = authority.split(':').next().unwrap_or_default();
    is_ipv4(host)
}

fn is_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|part| {
            !part.is_empty() && part.len() <= 3 && part.chars().all(|c| c.is_ascii_digit())
        })
}

/// A DNS label of 1-63 letters, digits and hyphens, not starting or ending with a hyphen;
/// with `allow_subdomains`, dot-separated labels.
pub fn is_valid_host_label(value: Option<&str>, allow_subdomains: bool) -> bool {
    let Some(value) = value else {
        return false;
    };
    if allow_subdomains {
        return value
            .split('.')
            .all(|label| is_valid_host_label(Some(label), false));
    }
    (1..=63).contains(&value.len())
        && !value.starts_with('-')
        && !value.ends_with('-')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_virtual_hostable_s3_bucket(value: Option<&str>, allow_subdomains: bool) -> bool {
    let Some(bucket) = value else {
        return false;
    };
    if bucket.len() < 3 || bucket.to_lowercase() != bucket || is_ipv4(bucket) {
        return false;
    }
    is_valid_host_label(Some(bucket), allow_subdomains)
}

/// `aws.parseArn`: `arn:partition:service:region:account:resource` with the resource split on
/// `:` and `/` into `resourceId`.
fn parse_arn(arn: &str) -> Value {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Value::Null;
    };
    if prefix != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
        return Value::Null;
    }
    let resource_id: Vec<&str> = resource.split([':', '/']).collect();
    json!({
        "partition": partition,
        "service": service,
        "region": region,
        "accountId": account,
        "resourceId": resource_id,
    })
}

/// `aws.partition`: the partition listing the region, else the first whose regex matches it,
/// else `aws`; its `outputs` (with any region-specific overrides) plus `name`.
fn partition(region: Option<&str>, partitions: &Value) -> Result<Value, EndpointError> {
    let list = partitions
        .get("partitions")
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty())
        .ok_or_else(|| EndpointError::BadPartitions("no `partitions` list".to_string()))?;
    let Some(region) = region else {
        return Ok(Value::Null);
    };
    if let Some((partition, overrides)) = list
        .iter()
        .find_map(|p| Some((p, p.get("regions")?.get(region)?)))
    {
        return Ok(partition_outputs(partition, Some(overrides)));
    }
    for partition in list {
        if region_regex_matches(partition, region)? {
            return Ok(partition_outputs(partition, None));
        }
    }
    Ok(partition_outputs(&list[0], None))
}

fn region_regex_matches(partition: &Value, region: &str) -> Result<bool, EndpointError> {
    let Some(pattern) = partition.get("regionRegex").and_then(Value::as_str) else {
        return Ok(false);
    };
    let regex = regex_lite::Regex::new(pattern)
        .map_err(|err| EndpointError::BadPartitions(format!("region regex `{pattern}`: {err}")))?;
    Ok(regex.is_match(region))
}

fn partition_outputs(partition: &Value, region_overrides: Option<&Value>) -> Value {
    let mut outputs = partition
        .get("outputs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    if let Some(Value::Object(overrides)) = region_overrides {
        for (key, value) in overrides {
            if key != "description" {
                outputs.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(id) = partition.get("id") {
        outputs.insert("name".to_string(), id.clone());
    }
    Value::Object(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partitions() -> Value {
        json!({"partitions": [
            {"id": "aws", "regionRegex": "^(us|eu)\\-\\w+\\-\\d+$", "regions": {"aws-global": {}},
             "outputs": {"name": "aws", "dnsSuffix": "amazonaws.com"}},
            {"id": "aws-cn", "regionRegex": "^cn\\-\\w+\\-\\d+$", "regions": {},
             "outputs": {"name": "aws-cn", "dnsSuffix": "amazonaws.com.cn"}}
        ]})
    }

    fn call_ok(name: &str, args: &[Value]) -> Value {
        call(name, args, &partitions()).unwrap()
    }

    #[test]
    fn partition_by_name_regex_and_fallback() {
        assert_eq!(
            call_ok("aws.partition", &[json!("cn-north-1")])["name"],
            "aws-cn"
        );
        assert_eq!(
            call_ok("aws.partition", &[json!("aws-global")])["name"],
            "aws"
        );
        assert_eq!(
            call_ok("aws.partition", &[json!("mars-east-1")])["dnsSuffix"],
            "amazonaws.com"
        );
    }

    #[test]
    fn get_attr_walks_members_and_indexes() {
        let value = json!({"a": {"b": ["x", "y"]}});
        assert_eq!(get_attr(&value, "a.b[1]"), json!("y"));
        assert_eq!(get_attr(&value, "a.b[5]"), Value::Null);
        assert_eq!(get_attr(&json!(["p", "q"]), "[0]"), json!("p"));
        assert_eq!(get_attr(&value, "a.c"), Value::Null);
    }

    #[test]
    fn substring_forward_reverse_and_out_of_range() {
        assert_eq!(substring(Some("abcdef"), 1, 3, false), json!("bc"));
        assert_eq!(substring(Some("abcdef"), 0, 2, true), json!("ef"));
        assert_eq!(substring(Some("abc"), 0, 4, false), Value::Null);
        assert_eq!(substring(Some("ab\u{e9}"), 0, 1, false), Value::Null);
    }

    #[test]
    fn parse_url_parts() {
        let url = parse_url("https://example.com:8443/a/b");
        assert_eq!(url["authority"], "example.com:8443");
        assert_eq!(url["path"], "/a/b");
        assert_eq!(url["normalizedPath"], "/a/b/");
        assert_eq!(url["isIp"], false);
        assert_eq!(parse_url("http://127.0.0.1:80")["isIp"], true);
        assert_eq!(parse_url("http://[::1]:80/")["isIp"], true);
        assert_eq!(parse_url("https://example.com")["normalizedPath"], "/");
        assert_eq!(parse_url("https://example.com/?x=1"), Value::Null);
        assert_eq!(parse_url("ftp://example.com"), Value::Null);
        assert_eq!(parse_url("https://example.com:abc"), Value::Null);
    }

    #[test]
    fn host_labels_and_buckets() {
        assert!(is_valid_host_label(Some("abc-1"), false));
        assert!(!is_valid_host_label(Some("-abc"), false));
        assert!(!is_valid_host_label(Some("a.b"), false));
        assert!(is_valid_host_label(Some("a.b"), true));
        assert!(!is_valid_host_label(Some(&"a".repeat(64)), false));
        assert!(is_virtual_hostable_s3_bucket(Some("my.bucket"), true));
        assert!(!is_virtual_hostable_s3_bucket(Some("MyBucket"), false));
        assert!(!is_virtual_hostable_s3_bucket(Some("192.168.1.1"), true));
    }

    #[test]
    fn parse_arn_splits_resource() {
        let arn = parse_arn("arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap");
        assert_eq!(arn["resourceId"], json!(["accesspoint", "my-ap"]));
        assert_eq!(arn["accountId"], "123456789012");
        assert_eq!(parse_arn("arn:aws:s3"), Value::Null);
        assert_eq!(parse_arn("notarn:aws:s3:r:a:res"), Value::Null);
    }

    #[test]
    fn uri_encode_keeps_unreserved_only() {
        assert_eq!(uri_encode("a b/c~d_e.f-g+h"), "a%20b%2Fc~d_e.f-g%2Bh");
    }

    #[test]
    fn wrong_argument_type_is_an_error() {
        let err = call("not", &[json!("yes")], &partitions()).unwrap_err();
        assert!(err.to_string().contains("`not`"), "{err}");
        assert!(matches!(
            call("nope", &[], &partitions()),
            Err(EndpointError::UnknownFunction(_))
        ));
    }
}
