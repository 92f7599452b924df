//! `gapfill import script FILE`: a shell script of AWS CLI calls converted into a post-deploy
//! step file ([`crate::adopt::script`] does the conversion). This side gives it the API models
//! (typed input members, the check `check: auto` would derive) and the files the script names,
//! reports every line not converted on stderr, and writes the file, never over an existing one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::adopt::script::{convert, Check, Kind, ScriptModels};
use crate::aws::catalog::Catalog;
use crate::aws::model::{ServiceModel, ShapeType};
use crate::cli::{GlobalArgs, ImportScriptArgs};
use crate::commands::session;
use crate::error::Error;
use crate::plan::Models;
use crate::steps::models::CatalogModels;

/// How deep nested shapes are followed before a value is taken as written.
const MAX_DEPTH: usize = 12;

pub fn run(
    global: &GlobalArgs,
    args: &ImportScriptArgs,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let script = std::fs::read_to_string(&args.file)
        .map_err(|error| Error::new(format!("cannot read `{}`: {error}", args.file.display())))?;
    if args.out.exists() {
        return Err(Error::new(format!(
            "`{}` exists already; nothing was written",
            args.out.display()
        ))
        .hint("name another file: --out FILE"));
    }
    let hints = session::project_hints(&global.project);
    let catalog = Arc::new(session::catalog(hints.models_dir, env));
    let models = ScriptCatalog {
        catalog: catalog.clone(),
        checks: CatalogModels::new(catalog),
        dir: args
            .file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let name = args
        .file
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_else(|| args.file.display().to_string());
    let converted = convert(&name, &script, &models);
    let mut stderr = std::io::stderr();
    let mut not_converted = 0;
    for problem in &converted.problems {
        let what = if problem.not_converted {
            not_converted += 1;
            "not converted"
        } else {
            "note"
        };
        writeln!(
            stderr,
            "{}:{}: {what}: {}",
            args.file.display(),
            problem.line,
            problem.message
        )
        .map_err(Error::output)?;
    }
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| {
            Error::new(format!("cannot create `{}`: {error}", parent.display()))
        })?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.out)
        .map_err(|error| Error::new(format!("cannot write `{}`: {error}", args.out.display())))?;
    file.write_all(converted.yaml.as_bytes())
        .map_err(|error| Error::new(format!("cannot write `{}`: {error}", args.out.display())))?;
    writeln!(
        out,
        "wrote {}: {} step(s); {not_converted} line(s) not converted, kept as comments{}",
        args.out.display(),
        converted.steps,
        if not_converted > 0 {
            " (listed above)"
        } else {
            ""
        }
    )
    .map_err(Error::output)?;
    Ok(crate::exit_code::SUCCESS)
}

/// The catalog's models as the conversion needs them.
struct ScriptCatalog {
    catalog: Arc<Catalog>,
    checks: CatalogModels,
    dir: PathBuf,
}

impl ScriptCatalog {
    fn model(&self, service: &str) -> Option<Arc<ServiceModel>> {
        let documents = self.catalog.load(service).ok()?;
        self.catalog.parsed(&documents).ok()
    }
}

fn kind(model: &ServiceModel, shape: &str, depth: usize) -> Kind {
    let Some(shape) = model.shape(shape) else {
        return Kind::Any;
    };
    if depth > MAX_DEPTH || shape.document {
        return Kind::Any;
    }
    match shape.shape_type {
        ShapeType::Structure => Kind::Structure(
            shape
                .members
                .iter()
                .map(|(name, member)| (name.clone(), kind(model, &member.shape, depth + 1)))
                .collect(),
        ),
        ShapeType::List => match &shape.member {
            Some(member) => Kind::List(Box::new(kind(model, &member.shape, depth + 1))),
            None => Kind::Any,
        },
        ShapeType::Map => match &shape.value {
            Some(value) => Kind::Map(Box::new(kind(model, &value.shape, depth + 1))),
            None => Kind::Any,
        },
        ShapeType::Boolean => Kind::Boolean,
        ShapeType::Blob => Kind::Blob,
        ShapeType::Timestamp => Kind::Timestamp,
        other if other.is_integral() => Kind::Integer,
        other if other.is_floating() => Kind::Float,
        _ => Kind::String,
    }
}

/// Every leaf of an input with its member path (lists are leaves), as the check derivation
/// walks it.
fn leaves(value: &Value, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(members) => {
            for (name, value) in members {
                path.push(name.clone());
                leaves(value, path, found);
                path.pop();
            }
        }
        _ => found.push(path.clone()),
    }
}

impl ScriptCatalog {
    /// Input the derived check needs beyond the apply input's members, read off the read
    /// operation's input shape: an optional list whose values name what to return, `All`
    /// among them, is asked for `[All]` (SQS GetQueueAttributes returns nothing it is not
    /// asked for); when the apply input sets a sensitive value, an optional boolean
    /// `WithDecryption` is set (SSM GetParameter would answer a SecureString encrypted).
    fn extra_input(
        &self,
        service: &str,
        read: &str,
        given: &serde_json::Map<String, Value>,
        sensitive: bool,
    ) -> serde_json::Map<String, Value> {
        let mut extra = serde_json::Map::new();
        let Some(model) = self.model(service) else {
            return extra;
        };
        let Some(shape) = model
            .operation(read)
            .and_then(|op| op.input.as_ref())
            .and_then(|input| model.shape(&input.shape))
        else {
            return extra;
        };
        for (name, member) in &shape.members {
            if given.contains_key(name) || shape.required.contains(name) {
                continue;
            }
            let names_all = model
                .shape(&member.shape)
                .filter(|list| list.shape_type == ShapeType::List)
                .and_then(|list| list.member.as_ref())
                .and_then(|item| model.shape(&item.shape))
                .is_some_and(|item| item.enum_values.iter().any(|value| value == "All"));
            if names_all {
                extra.insert(name.clone(), Value::Array(vec![Value::from("All")]));
            }
            let decrypts = name == "WithDecryption"
                && model
                    .shape(&member.shape)
                    .is_some_and(|shape| shape.shape_type == ShapeType::Boolean);
            if sensitive && decrypts {
                extra.insert(name.clone(), Value::Bool(true));
            }
        }
        extra
    }
}

impl ScriptModels for ScriptCatalog {
    fn operations(&self, service: &str) -> Option<Vec<String>> {
        let model = self.model(service)?;
        Some(model.operation_names().map(str::to_string).collect())
    }

    fn input(&self, service: &str, operation: &str) -> Vec<(String, Kind)> {
        let Some(model) = self.model(service) else {
            return Vec::new();
        };
        let Some(input) = model.operation(operation).and_then(|op| op.input.clone()) else {
            return Vec::new();
        };
        match kind(&model, &input.shape, 0) {
            Kind::Structure(members) => members,
            _ => Vec::new(),
        }
    }

    /// What `check: auto` derives, mirrored: the read operation, its input from the apply
    /// input's members it accepts (valid for it), and at least one value that comes back.
    fn check(&self, service: &str, operation: &str, input: &Value) -> Result<Check, String> {
        let read = self.checks.read_operation(service, operation)?;
        let accepted = self.checks.input_members(service, &read);
        let mut check_input = serde_json::Map::new();
        if let Value::Object(members) = input {
            for (name, value) in members {
                if accepted.contains(name) {
                    check_input.insert(name.clone(), value.clone());
                }
            }
        }
        let problems =
            self.checks
                .validate_input(service, &read, &Value::Object(check_input.clone()), &[]);
        if let Some(problem) = problems.first() {
            return Err(format!(
                "{service}:{read} cannot be called from this input: {}",
                problem.message
            ));
        }
        let mut paths = Vec::new();
        leaves(input, &mut Vec::new(), &mut paths);
        if paths
            .iter()
            .any(|path| self.checks.output_path(service, &read, path).is_some())
        {
            let sensitive = self
                .sensitive_members(service, operation)
                .iter()
                .any(|member| input.get(member).is_some());
            let extra = self.extra_input(service, &read, &check_input, sensitive);
            Ok(Check {
                read,
                input: check_input,
                extra,
            })
        } else {
            Err(format!(
                "no value it sets comes back in {service}:{read}'s result"
            ))
        }
    }

    fn sensitive_members(&self, service: &str, operation: &str) -> Vec<String> {
        let Some(model) = self.model(service) else {
            return Vec::new();
        };
        let Some(shape) = model
            .operation(operation)
            .and_then(|op| op.input.as_ref())
            .and_then(|input| model.shape(&input.shape))
        else {
            return Vec::new();
        };
        shape
            .members
            .iter()
            .filter(|(_, member)| model.shape(&member.shape).is_some_and(|s| s.sensitive))
            .map(|(name, _)| name.clone())
            .collect()
    }

    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        let full = self.dir.join(path);
        std::fs::read(&full).map_err(|error| format!("cannot read `{}`: {error}", full.display()))
    }
}
