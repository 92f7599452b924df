//! End-to-end checks of the two dispatch functions on traffic shaped like real services'
//! (S3, IAM, DynamoDB, Lambda, SQS), for what botocore's vectors do not cover.

use serde_json::{json, Value};

use super::{parse_response, serialize_request, ApiError, SerializeError, INVALID_RESPONSE};
use crate::aws::http::HttpResponse;
use crate::aws::model::ServiceModel;

fn model(metadata: Value, shapes: Value, operation: Value) -> ServiceModel {
    let name = operation["name"].as_str().unwrap().to_string();
    ServiceModel::from_json(&json!({
        "metadata": metadata,
        "shapes": shapes,
        "operations": {name: operation}
    }))
    .unwrap()
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn error_of(model: &ServiceModel, op: &str, response: &HttpResponse) -> ApiError {
    let op = model.operation(op).unwrap();
    parse_response(model, op, response).unwrap_err()
}

fn s3() -> ServiceModel {
    model(
        json!({"protocol": "rest-xml", "apiVersion": "2006-03-01"}),
        json!({
            "GetObjectRequest": {"type": "structure", "required": ["Bucket", "Key"], "members": {
                "Bucket": {"shape": "S", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "S", "location": "uri", "locationName": "Key"},
                "VersionId": {"shape": "S", "location": "querystring", "locationName": "versionId"}}},
            "GetObjectOutput": {"type": "structure", "payload": "Body", "members": {
                "Body": {"shape": "Body", "streaming": true},
                "ContentLength": {"shape": "L", "location": "header", "locationName": "Content-Length"},
                "Metadata": {"shape": "Meta", "location": "headers", "locationName": "x-amz-meta-"}}},
            "NoSuchKey": {"type": "structure", "members": {}, "exception": true},
            "Body": {"type": "blob", "streaming": true},
            "Meta": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
            "S": {"type": "string"},
            "L": {"type": "long"}
        }),
        json!({"name": "GetObject", "http": {"method": "GET", "requestUri": "/{Bucket}/{Key+}"},
               "input": {"shape": "GetObjectRequest"}, "output": {"shape": "GetObjectOutput"},
               "errors": [{"shape": "NoSuchKey"}]}),
    )
}

#[test]
fn s3_greedy_key_keeps_slashes_and_output_reads_headers_and_payload() {
    let model = s3();
    let op = model.operation("GetObject").unwrap();
    let request = serialize_request(
        &model,
        op,
        &json!({"Bucket": "b", "Key": "dir/a b+c.txt", "VersionId": "v 1"}),
    )
    .unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/b/dir/a%20b%2Bc.txt?versionId=v%201");
    assert!(request.body.is_empty());
    let output = parse_response(
        &model,
        op,
        &response(
            200,
            &[("Content-Length", "5"), ("x-amz-meta-owner", "me")],
            "hello",
        ),
    )
    .unwrap();
    assert_eq!(
        output,
        json!({"ContentLength": 5, "Metadata": {"owner": "me"}, "Body": "aGVsbG8="})
    );
}

#[test]
fn s3_error_document_and_bodiless_head_errors() {
    let model = s3();
    let body = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
                <Key>k</Key><RequestId>R1</RequestId><HostId>H</HostId></Error>";
    let error = error_of(&model, "GetObject", &response(404, &[], body));
    assert_eq!(error.code, "NoSuchKey");
    assert_eq!(error.message, "The specified key does not exist.");
    assert_eq!(error.request_id.as_deref(), Some("R1"));
    let error = error_of(
        &model,
        "GetObject",
        &response(404, &[("x-amz-request-id", "R2")], ""),
    );
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("404", "Not Found")
    );
    assert_eq!(error.request_id.as_deref(), Some("R2"));
}

#[test]
fn query_error_response_with_namespace() {
    let model = model(
        json!({"protocol": "query", "apiVersion": "2010-05-08"}),
        json!({"In": {"type": "structure", "members": {"RoleName": {"shape": "S"}}},
               "NoSuchEntityException": {"type": "structure", "members": {"message": {"shape": "S"}},
                    "exception": true, "error": {"code": "NoSuchEntity", "httpStatusCode": 404}},
               "S": {"type": "string"}}),
        json!({"name": "GetRole", "input": {"shape": "In"},
               "errors": [{"shape": "NoSuchEntityException"}]}),
    );
    let body = r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
        <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Role r not found</Message></Error>
        <RequestId>abc</RequestId></ErrorResponse>"#;
    let error = error_of(&model, "GetRole", &response(404, &[], body));
    assert_eq!(error.code, "NoSuchEntity");
    assert_eq!(error.message, "Role r not found");
    assert_eq!(error.request_id.as_deref(), Some("abc"));
    assert_eq!(
        error.to_string(),
        "NoSuchEntity (http 404): Role r not found [request id abc]"
    );
}

fn json_model(metadata: Value) -> ServiceModel {
    model(
        metadata,
        json!({"In": {"type": "structure", "members": {"TableName": {"shape": "S"}}},
               "Out": {"type": "structure", "members": {"When": {"shape": "T"}, "Data": {"shape": "B"}}},
               "ResourceNotFoundException": {"type": "structure", "exception": true,
                    "members": {"message": {"shape": "S"}}},
               "QueueDoesNotExist": {"type": "structure", "exception": true,
                    "members": {"message": {"shape": "S"}},
                    "error": {"code": "AWS.SimpleQueueService.NonExistentQueue"}},
               "S": {"type": "string"}, "T": {"type": "timestamp"}, "B": {"type": "blob"}}),
        json!({"name": "DescribeTable", "input": {"shape": "In"}, "output": {"shape": "Out"},
               "errors": [{"shape": "ResourceNotFoundException"}, {"shape": "QueueDoesNotExist"}]}),
    )
}

#[test]
fn json_errors_strip_namespace_and_read_modelled_fields() {
    let model = json_model(
        json!({"protocol": "json", "jsonVersion": "1.0", "targetPrefix": "DynamoDB_20120810"}),
    );
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                   "message":"Requested resource not found"}"#;
    let error = error_of(
        &model,
        "DescribeTable",
        &response(400, &[("x-amzn-RequestId", "RID")], body),
    );
    assert_eq!(error.code, "ResourceNotFoundException");
    assert_eq!(error.message, "Requested resource not found");
    assert_eq!(error.request_id.as_deref(), Some("RID"));
    assert_eq!(
        Value::Object(error.fields),
        json!({"message": "Requested resource not found"})
    );
}

#[test]
fn query_compatible_json_errors_use_the_query_code() {
    let model = json_model(json!({"protocol": "json", "jsonVersion": "1.0",
                                  "targetPrefix": "AmazonSQS", "awsQueryCompatible": {}}));
    let op = model.operation("DescribeTable").unwrap();
    let request = serialize_request(&model, op, &json!({})).unwrap();
    assert_eq!(request.header("x-amzn-query-mode"), Some("true"));
    let error = error_of(
        &model,
        "DescribeTable",
        &response(
            400,
            &[(
                "x-amzn-query-error",
                "AWS.SimpleQueueService.NonExistentQueue;Sender",
            )],
            r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"}"#,
        ),
    );
    assert_eq!(error.code, "AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(Value::Object(error.fields), json!({"message": "gone"}));
}

#[test]
fn json_output_follows_output_conventions_and_bad_bodies_are_invalid_responses() {
    let model = json_model(json!({"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "X"}));
    let op = model.operation("DescribeTable").unwrap();
    let output = parse_response(
        &model,
        op,
        &response(200, &[], r#"{"When": 1422172800.5, "Data": "aGk="}"#),
    )
    .unwrap();
    assert_eq!(
        output,
        json!({"When": "2015-01-25T08:00:00.500Z", "Data": "aGk="})
    );
    let error = parse_response(&model, op, &response(200, &[], "{not json")).unwrap_err();
    assert_eq!(error.code, INVALID_RESPONSE);
    let error = parse_response(
        &model,
        op,
        &response(503, &[], "<html><body>busy</body></html>"),
    )
    .unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("503", "Service Unavailable")
    );
    let named = response(500, &[("X-Amzn-Errortype", "InternalFailure")], "");
    let error = parse_response(&model, op, &named).unwrap_err();
    assert_eq!(error.code, "InternalFailure");
}

#[test]
fn rest_json_error_type_header_and_lambda_style_body() {
    let model = model(
        json!({"protocol": "rest-json", "apiVersion": "2015-03-31"}),
        json!({"In": {"type": "structure", "required": ["FunctionName"], "members": {
                    "FunctionName": {"shape": "S", "location": "uri", "locationName": "FunctionName"}}},
               "ResourceNotFoundException": {"type": "structure", "exception": true,
                    "members": {"Type": {"shape": "S"}, "Message": {"shape": "S"}}},
               "S": {"type": "string"}}),
        json!({"name": "GetFunction",
               "http": {"method": "GET", "requestUri": "/2015-03-31/functions/{FunctionName}"},
               "input": {"shape": "In"}, "errors": [{"shape": "ResourceNotFoundException"}]}),
    );
    let body = r#"{"Type":"User","Message":"Function not found: arn:aws:lambda:f"}"#;
    let error = error_of(
        &model,
        "GetFunction",
        &response(
            404,
            &[(
                "X-Amzn-ErrorType",
                "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.coral.service/",
            )],
            body,
        ),
    );
    assert_eq!(error.code, "ResourceNotFoundException");
    assert_eq!(error.message, "Function not found: arn:aws:lambda:f");
    assert_eq!(
        Value::Object(error.fields),
        json!({"Type": "User", "Message": "Function not found: arn:aws:lambda:f"})
    );
    let op = model.operation("GetFunction").unwrap();
    let err = serialize_request(&model, op, &json!({})).unwrap_err();
    assert_eq!(
        err,
        SerializeError::MissingUriLabel {
            label: "FunctionName".into(),
            uri: "/2015-03-31/functions/{FunctionName}".into()
        }
    );
    let err = serialize_request(&model, op, &json!({"FunctionName": "f", "Nope": 1})).unwrap_err();
    assert_eq!(err.to_string(), "unknown member \"Nope\" at input");
}

#[test]
fn cbor_only_services_are_refused_clearly() {
    let model = model(
        json!({"protocols": ["smithy-rpc-v2-cbor"], "targetPrefix": "X"}),
        json!({}),
        json!({"name": "Op"}),
    );
    let op = model.operation("Op").unwrap();
    assert_eq!(
        serialize_request(&model, op, &json!({})).unwrap_err(),
        SerializeError::UnsupportedProtocol("smithy-rpc-v2-cbor")
    );
}

/// A model of `protocol` whose `GetThing` answers `{Thing: Value}`, `Value` a union of `Text`
/// and `Number`: what botocore's unknown-union-member handling is checked on.
fn union_model(protocol: &str) -> ServiceModel {
    let metadata = match protocol {
        "json" => json!({"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "Things"}),
        other => json!({"protocol": other, "apiVersion": "2020-01-01"}),
    };
    let mut output = json!({"shape": "GetThingOutput"});
    if protocol == "query" {
        output["resultWrapper"] = json!("GetThingResult");
    }
    model(
        metadata,
        json!({
            "GetThingOutput": {"type": "structure", "members": {
                "Thing": {"shape": "Value"}, "Name": {"shape": "S"}}},
            "Value": {"type": "structure", "union": true, "members": {
                "Text": {"shape": "S"}, "Number": {"shape": "I"}}},
            "S": {"type": "string"},
            "I": {"type": "integer"}
        }),
        json!({"name": "GetThing", "http": {"method": "POST", "requestUri": "/"},
               "output": output}),
    )
}

/// The body a service of `protocol` would answer `GetThing` with, `Thing` holding `inner`
/// (written as XML elements or JSON members).
fn union_body(protocol: &str, inner_xml: &str, inner_json: &str) -> String {
    match protocol {
        "json" | "rest-json" => format!(r#"{{"Name": "n", "Thing": {{{inner_json}}}}}"#),
        "query" => format!(
            "<GetThingResponse><GetThingResult><Name>n</Name><Thing>{inner_xml}</Thing></GetThingResult></GetThingResponse>"
        ),
        _ => format!("<GetThingResponse><Name>n</Name><Thing>{inner_xml}</Thing></GetThingResponse>"),
    }
}

#[test]
fn an_unknown_union_member_is_kept_as_botocore_keeps_it_in_every_protocol() {
    for protocol in ["json", "rest-json", "rest-xml", "query", "ec2"] {
        let model = union_model(protocol);
        let op = model.operation("GetThing").unwrap();
        let body = union_body(protocol, "<Colour>red</Colour>", r#""Colour": "red""#);
        let output = parse_response(&model, op, &response(200, &[], &body))
            .unwrap_or_else(|e| panic!("{protocol}: {e:?}"));
        assert_eq!(
            output,
            json!({"Name": "n", "Thing": {"SDK_UNKNOWN_MEMBER": {"name": "Colour"}}}),
            "{protocol}"
        );
        let body = union_body(
            protocol,
            "<Number>7</Number>",
            r#""Number": 7, "__type": "x""#,
        );
        let output = parse_response(&model, op, &response(200, &[], &body)).unwrap();
        assert_eq!(
            output,
            json!({"Name": "n", "Thing": {"Number": 7}}),
            "{protocol}"
        );
    }
}
