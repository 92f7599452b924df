//! The embedded model bundle as a whole: every service decompresses, its model is accepted by
//! `ServiceModel::from_json`, and its endpoint rule set resolves an endpoint for an operation
//! called with an empty input, both in AWS regions and with an endpoint override. Services whose
//! endpoints need input (an account id, an ARN) are listed and asserted, not silently skipped.

use gapfill::aws::catalog::Catalog;
use gapfill::aws::endpoint::{
    bind_params, params as builtin, resolve, BuiltIns, Endpoint, EndpointError,
};
use gapfill::aws::model::ServiceModel;
use serde_json::{json, Map, Value};

/// Services whose rule sets cannot resolve without operation input, with the rule set's message.
const NEEDS_INPUT: &[(&str, &str)] = &[
    (
        "cloudfront-keyvaluestore",
        "KVS ARN must be provided to use this service",
    ),
    ("s3control", "AccountId is required but not set"),
];

fn resolve_first_operation(
    documents: &gapfill::aws::catalog::ServiceDocuments,
    partitions: &Value,
    built_ins: &BuiltIns,
) -> Result<Endpoint, EndpointError> {
    let rules = documents
        .endpoint_rules
        .as_ref()
        .expect("every bundled service has endpoint rules");
    let operation = documents.service["operations"]
        .as_object()
        .and_then(|operations| operations.keys().next())
        .expect("every service has operations");
    let params = bind_params(
        rules,
        &documents.service,
        operation,
        &json!({}),
        built_ins,
        &Map::new(),
    )?;
    resolve(rules, partitions, &params)
}

#[test]
fn every_bundled_service_loads_parses_and_resolves() {
    let catalog = Catalog::new(None);
    let partitions = catalog.partitions().unwrap().clone();
    let names = catalog.service_names();
    let mut failures = Vec::new();
    let mut needing_input = Vec::new();
    for name in &names {
        let documents = catalog
            .load(name)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        if let Err(err) = ServiceModel::from_json(&documents.service) {
            failures.push(format!("{name}: model rejected: {err}"));
            continue;
        }
        let regional = ["us-east-1", "eu-west-1", "cn-north-1"].map(|region| {
            BuiltIns::new()
                .with(builtin::REGION, json!(region))
                .with(builtin::USE_FIPS, json!(false))
                .with(builtin::USE_DUAL_STACK, json!(false))
        });
        let overridden = BuiltIns::new()
            .with(builtin::REGION, json!("us-east-1"))
            .with(builtin::ENDPOINT, json!("http://127.0.0.1:5000"))
            .with(builtin::S3_FORCE_PATH_STYLE, json!(true));
        for built_ins in regional.iter().chain([&overridden]) {
            match resolve_first_operation(&documents, &partitions, built_ins) {
                Ok(endpoint) if built_ins.get(builtin::ENDPOINT).is_some() => {
                    if !endpoint.url.starts_with("http://127.0.0.1:5000") {
                        failures.push(format!("{name}: override ignored, got {}", endpoint.url));
                    }
                }
                Ok(endpoint) => {
                    if !endpoint.url.starts_with("https://") {
                        failures.push(format!("{name}: odd url {}", endpoint.url));
                    }
                }
                Err(err) => match NEEDS_INPUT.iter().find(|(service, _)| service == name) {
                    Some((_, message)) if err.to_string() == *message => {
                        needing_input.push(name.clone())
                    }
                    _ => failures.push(format!("{name}: {err}")),
                },
            }
        }
    }
    println!(
        "{} services; {} resolutions needed input ({:?})",
        names.len(),
        needing_input.len(),
        NEEDS_INPUT
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    needing_input.dedup();
    let expected: Vec<&str> = NEEDS_INPUT.iter().map(|(service, _)| *service).collect();
    assert_eq!(needing_input, expected, "the known list is out of date");
    assert!(names.len() > 400, "only {} services", names.len());
}
