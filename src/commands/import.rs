//! `gapfill import stacks`: deployed stacks written out as a gapfill project, so a team adopts
//! gapfill without rewriting anything. Reads only; writes only new files (an existing one
//! stops the import before anything is written). Right after an import, `gapfill plan`
//! reports no changes.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::adopt::{project_files, ImportedStack};
use crate::cli::{GlobalArgs, ImportArgs, ImportStacksArgs, ImportWhat};
use crate::cloudformation::Cfn;
use crate::commands::session;
use crate::error::Error;
use crate::project::template;
use crate::redact::Redactor;

pub async fn run(
    global: &GlobalArgs,
    args: &ImportArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    match &args.what {
        ImportWhat::Stacks(stacks) => import_stacks(global, stacks, env, redactor, out).await,
        ImportWhat::Script(script) => crate::commands::import_script::run(global, script, env, out),
    }
}

async fn import_stacks(
    global: &GlobalArgs,
    args: &ImportStacksArgs,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    if args.stacks.is_empty() && args.prefix.is_none() {
        return Err(Error::new("name the stacks to import")
            .hint("--stack NAME (repeatable) or --prefix PREFIX"));
    }
    let catalog = Arc::new(session::catalog(None, env));
    let first = args.stacks.first().map(String::as_str);
    let aws = session::connect(global, None, env, catalog, redactor, first).await?;
    let (sdk, cfn) = (aws.sdk, aws.cfn);
    let names = stack_names(&cfn, args).await?;
    let mut stacks = Vec::new();
    for name in &names {
        stacks.push(read_stack(&cfn, name).await?);
    }
    let project = args
        .name
        .clone()
        .unwrap_or_else(|| directory_name(&args.dir));
    let region = sdk.region().map(|region| region.to_string());
    let files = project_files(&project, region.as_deref(), &stacks);
    for (file, _) in &files.files {
        let path = args.dir.join(file);
        if path.exists() {
            return Err(Error::new(format!(
                "`{}` exists already; nothing was written",
                path.display()
            ))
            .hint("import into an empty directory (--dir DIR)"));
        }
    }
    for (file, text) in &files.files {
        let path = args.dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| {
                Error::new(format!("cannot create `{}`: {error}", parent.display()))
            })?;
        }
        std::fs::write(&path, text)
            .map_err(|error| Error::new(format!("cannot write `{}`: {error}", path.display())))?;
        writeln!(out, "wrote {}", path.display()).map_err(Error::output)?;
    }
    let mut summary = format!("imported {} stack(s): {}", names.len(), names.join(", "));
    if !files.secrets.is_empty() {
        summary.push_str(&format!(
            "\nset {} (the values of NoEcho parameters) before `gapfill plan` or `deploy`",
            files.secrets.join(", ")
        ));
    }
    writeln!(out, "{summary}").map_err(Error::output)?;
    Ok(crate::exit_code::SUCCESS)
}

/// The stacks asked for: each named one (which must exist), or every live one with the prefix.
async fn stack_names(cfn: &Cfn, args: &ImportStacksArgs) -> Result<Vec<String>, Error> {
    let mut names = args.stacks.clone();
    if let Some(prefix) = &args.prefix {
        let all = cfn
            .stack_names()
            .await
            .map_err(|error| Error::new(error.to_string()))?;
        names.extend(
            all.into_iter()
                .filter(|name| name.starts_with(prefix.as_str())),
        );
        if names.is_empty() {
            return Err(Error::new(format!(
                "no stack's name starts with `{prefix}`"
            )));
        }
    }
    names.dedup();
    Ok(names)
}

async fn read_stack(cfn: &Cfn, name: &str) -> Result<ImportedStack, Error> {
    let cfn_error = |error: crate::cloudformation::CfnError| Error::new(error.to_string());
    let deployed = cfn
        .describe(name)
        .await
        .map_err(cfn_error)?
        .ok_or_else(|| Error::new(format!("stack `{name}` is not deployed")))?;
    let body = cfn
        .template(name)
        .await
        .map_err(cfn_error)?
        .ok_or_else(|| Error::new(format!("stack `{name}` has no template")))?;
    let parsed = template::parse(Path::new(name), body.clone()).map_err(|diagnostic| {
        Error::new(format!(
            "the template of stack `{name}` cannot be read: {}",
            diagnostic.message
        ))
    })?;
    Ok(ImportedStack {
        name: name.to_string(),
        template_body: body,
        template_parameters: parsed.parameters,
        parameters: deployed.parameters.into_iter().collect(),
        tags: deployed.tags.into_iter().collect(),
        capabilities: deployed.capabilities,
        outputs: deployed.outputs,
    })
}

fn directory_name(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .ok()
        .and_then(|full| {
            full.file_name()
                .map(|name| name.to_string_lossy().to_string())
        })
        .unwrap_or_else(|| "imported".to_string())
}
