//! What the fuzz targets share: a response parser driven by real service models, and the
//! project loader driven through files, each fed the fuzzer's bytes.

use std::sync::{Arc, OnceLock};

use gapfill::aws::catalog::Catalog;
use gapfill::aws::http::HttpResponse;
use gapfill::aws::model::ServiceModel;
use gapfill::aws::protocol::parse_response;

/// The embedded models, loaded once per process.
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::new(None))
}

/// The parsed model of `service` (a built-in one: its absence is a broken build).
pub fn model(service: &str) -> Arc<ServiceModel> {
    let documents = catalog()
        .load(service)
        .unwrap_or_else(|error| panic!("the built-in model of {service}: {error}"));
    catalog()
        .parsed(&documents)
        .unwrap_or_else(|error| panic!("the model of {service} parses: {error}"))
}

/// Parses `data` as the response to one of `operations` of `service`: the first byte picks
/// the operation and whether the status is a success or an error, the rest is the body.
/// Headers a service sends with such a response come along, so header bindings are read too.
pub fn parse_as(service: &str, operations: &[&str], data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let model = model(service);
    let name = operations[usize::from(selector) % operations.len()];
    let Some(operation) = model.operation(name) else {
        panic!("{service} has no operation {name}");
    };
    let status = match selector >> 6 {
        0 | 1 => 200,
        2 => 400,
        _ => 503,
    };
    let response = HttpResponse {
        status,
        headers: vec![
            ("x-amzn-RequestId".into(), "req-1".into()),
            ("x-amz-request-id".into(), "req-1".into()),
            ("Content-Type".into(), "application/json".into()),
            (
                "x-amzn-ErrorType".into(),
                "ResourceNotFoundException:http://x/".into(),
            ),
            (
                "Last-Modified".into(),
                "Wed, 21 Oct 2015 07:28:00 GMT".into(),
            ),
            ("ETag".into(), "\"abc\"".into()),
            ("Content-Length".into(), body.len().to_string()),
            ("x-amz-meta-owner".into(), "me".into()),
        ],
        body: body.to_vec(),
    };
    // Any answer is fine, an output or an error; a panic is the finding.
    let _ = parse_response(&model, operation, &response);
}

/// A small valid project: the fuzzer's bytes replace one of its files.
const PROJECT: &str = "stacks:\n  data:\n    template: data.yaml\n    parameters: {Env: prod}\n    tags: {team: data}\n  api:\n    template: api.json\n    parameters:\n      Table: ${data.TableName}\npost-deploy: [steps/*.yaml]\n";
const DATA: &str = "Parameters:\n  Env: {Type: String}\nResources:\n  Table: {Type: AWS::DynamoDB::Table}\nOutputs:\n  TableName: {Value: !Ref Table}\n";
const API: &str = "{\"Parameters\": {\"Table\": {\"Type\": \"String\"}}, \"Resources\": {\"Q\": {\"Type\": \"AWS::SQS::Queue\"}}}\n";
const STEPS: &str = "steps:\n  - id: versioning\n    call: s3:PutBucketVersioning\n    input: {Bucket: \"b-${data.TableName}\", VersioningConfiguration: {Status: Enabled}}\n    check: auto\n";

/// The project directory, made once per process; each run rewrites its files.
fn project_dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            tempfile::tempdir().unwrap_or_else(|error| panic!("a temporary directory: {error}"));
        std::fs::create_dir_all(dir.path().join("steps"))
            .unwrap_or_else(|error| panic!("the steps directory: {error}"));
        dir
    })
}

fn models() -> &'static gapfill::steps::models::CatalogModels {
    static MODELS: OnceLock<gapfill::steps::models::CatalogModels> = OnceLock::new();
    MODELS.get_or_init(|| gapfill::steps::models::CatalogModels::new(Arc::new(Catalog::new(None))))
}

/// Loads and plans the project with `data` as one of its files (the first byte picks which:
/// the project file, a YAML template, a JSON template or the step file). A refusal must come
/// with a line and column for every diagnostic.
pub fn load_project(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let dir = project_dir().path();
    let mut files: Vec<(&str, &[u8])> = vec![
        ("gapfill.yaml", PROJECT.as_bytes()),
        ("data.yaml", DATA.as_bytes()),
        ("api.json", API.as_bytes()),
        ("steps/a.yaml", STEPS.as_bytes()),
    ];
    let replaced = usize::from(selector) % files.len();
    files[replaced].1 = bytes;
    for (name, content) in &files {
        std::fs::write(dir.join(name), content)
            .unwrap_or_else(|error| panic!("write {name}: {error}"));
    }
    let env = |name: &str| (name == "TOKEN").then(|| "token-value-1234".to_string());
    let result = gapfill::project::load(&dir.join("gapfill.yaml")).and_then(|project| {
        gapfill::plan::build(
            &project,
            &env,
            gapfill::redact::Redactor::default(),
            models(),
        )
    });
    if let Err(diagnostics) = result {
        for diagnostic in &diagnostics.0 {
            assert!(
                diagnostic.at.is_some(),
                "an error without a position:\n{diagnostic}"
            );
            let _ = diagnostic.to_string();
        }
    }
}
