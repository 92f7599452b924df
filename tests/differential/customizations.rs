//! botocore customisations that gapfill does not replicate, undone on botocore's request so the
//! rest of it can still be compared exactly. Each one applies only when botocore's request
//! shows it and the input did not ask for it; the test counts calls that needed one as known
//! gaps, never as agreements.

use serde_json::Value;

use crate::compare::Request;

/// One customisation: its name, and why gapfill differs.
pub struct Customization {
    pub name: &'static str,
    pub why: &'static str,
}

pub const S3_LIST_ENCODING_TYPE: Customization = Customization {
    name: "s3-list-encoding-type-url",
    why: "botocore asks S3 list operations for `encoding-type=url` and decodes the keys of the \
          response; gapfill sends what the input says and reads keys as S3 returns them",
};
pub const EC2_COPY_SNAPSHOT_PRESIGNED_URL: Customization = Customization {
    name: "ec2-copy-snapshot-presigned-url",
    why: "botocore adds a presigned `PresignedUrl` and `DestinationRegion` to CopySnapshot; \
          gapfill does not presign",
};
pub const ENDPOINT_DISCOVERY_API_VERSION: Customization = Customization {
    name: "endpoint-discovery-api-version",
    why: "botocore sends `x-amz-api-version` on endpoint-discovery operations \
          (DescribeEndpoints); gapfill does not do endpoint discovery",
};

/// Undoes on `request` (botocore's) the customisations it shows for this call; returns the
/// names of those undone.
pub fn undo(
    service: &str,
    operation: &str,
    params: &Value,
    request: &mut Request,
) -> Vec<&'static str> {
    let mut undone = Vec::new();
    let is_s3_list = service == "s3"
        && matches!(
            operation,
            "ListObjects" | "ListObjectsV2" | "ListObjectVersions"
        );
    if is_s3_list
        && params.get("EncodingType").is_none()
        && remove_query_pair(request, "encoding-type=url")
    {
        undone.push(S3_LIST_ENCODING_TYPE.name);
    }
    if service == "ec2" && operation == "CopySnapshot" && params.get("PresignedUrl").is_none() {
        let removed = remove_form_keys(request, &["PresignedUrl", "DestinationRegion"]);
        if removed {
            undone.push(EC2_COPY_SNAPSHOT_PRESIGNED_URL.name);
        }
    }
    if operation == "DescribeEndpoints" && remove_header(request, "x-amz-api-version") {
        undone.push(ENDPOINT_DISCOVERY_API_VERSION.name);
    }
    undone
}

/// Every customisation, for the summary.
pub const ALL: &[Customization] = &[
    S3_LIST_ENCODING_TYPE,
    EC2_COPY_SNAPSHOT_PRESIGNED_URL,
    ENDPOINT_DISCOVERY_API_VERSION,
];

fn remove_query_pair(request: &mut Request, pair: &str) -> bool {
    let Some((base, query)) = request.url.split_once('?') else {
        return false;
    };
    let pairs: Vec<&str> = query.split('&').collect();
    let kept: Vec<&str> = pairs.iter().copied().filter(|p| *p != pair).collect();
    if kept.len() == pairs.len() {
        return false;
    }
    request.url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    true
}

fn remove_header(request: &mut Request, name: &str) -> bool {
    let before = request.headers.len();
    request
        .headers
        .retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    request.headers.len() != before
}

fn form_pairs(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

fn set_form(request: &mut Request, pairs: &[(String, String)]) {
    request.body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes();
}

fn remove_form_keys(request: &mut Request, keys: &[&str]) -> bool {
    let pairs = form_pairs(request);
    let kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(key, _)| !keys.contains(&key.as_str()))
        .cloned()
        .collect();
    if kept.len() == pairs.len() {
        return false;
    }
    set_form(request, &kept);
    true
}
