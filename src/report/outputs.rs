//! Stack outputs as text for people, JSON for programs, and env/dotenv lines for the next CI
//! job. Variable names are `<STACK>_<OUTPUT>` in upper snake case:
//! `catalog-data` + `TableName` -> `CATALOG_DATA_TABLE_NAME`.

use indexmap::IndexMap;

use crate::escape;

/// How to print outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputsFormat {
    Text,
    Json,
    /// `export NAME='value'` lines for `eval` or `source`.
    Env,
    /// `NAME="value"` lines for dotenv files.
    Dotenv,
}

/// Renders stacks' outputs, in the order given.
pub fn render(stacks: &[(String, IndexMap<String, String>)], format: OutputsFormat) -> String {
    match format {
        OutputsFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = stacks
                .iter()
                .map(|(stack, outputs)| (stack.clone(), serde_json::json!(outputs)))
                .collect();
            let mut text = serde_json::to_string_pretty(&map).unwrap_or_default();
            text.push('\n');
            text
        }
        OutputsFormat::Env | OutputsFormat::Dotenv => variables(stacks)
            .into_iter()
            .map(|(name, value)| match format {
                OutputsFormat::Env => format!("export {name}={}\n", shell_quote(&value)),
                _ => format!("{name}={}\n", dotenv_quote(&value)),
            })
            .collect(),
        OutputsFormat::Text => {
            let width = stacks
                .iter()
                .flat_map(|(_, o)| o.keys())
                .map(String::len)
                .max()
                .unwrap_or(0);
            let mut text = String::new();
            for (stack, outputs) in stacks {
                text.push_str(&format!("{stack}\n"));
                for (key, value) in outputs {
                    text.push_str(&format!("  {key:<width$}  {value}\n"));
                }
            }
            text
        }
    }
}

/// Each output as `(NAME, value)`, in the order given: the variable names of `env`, `dotenv`
/// and `$GITHUB_OUTPUT`.
pub fn variables(stacks: &[(String, IndexMap<String, String>)]) -> Vec<(String, String)> {
    stacks
        .iter()
        .flat_map(|(stack, outputs)| {
            outputs.iter().map(move |(key, value)| {
                (
                    format!("{}_{}", upper_snake(stack), upper_snake(key)),
                    value.clone(),
                )
            })
        })
        .collect()
}

/// `TableName` -> `TABLE_NAME`, `QueueURL` -> `QUEUE_URL`, `catalog-data` -> `CATALOG_DATA`.
pub fn upper_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (index, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            continue;
        }
        let previous = index.checked_sub(1).map(|i| chars[i]);
        let next = chars.get(index + 1).copied();
        let starts_word = c.is_ascii_uppercase()
            && previous.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if starts_word && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn shell_quote(value: &str) -> String {
    format!("'{}'", escape::shell_single_quoted(value))
}

fn dotenv_quote(value: &str) -> String {
    format!("\"{}\"", escape::dotenv_double_quoted(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(String, IndexMap<String, String>)> {
        let mut outputs = IndexMap::new();
        outputs.insert("TableName".to_string(), "it's".to_string());
        outputs.insert("QueueURL".to_string(), "http://q/$x".to_string());
        vec![("catalog-data".to_string(), outputs)]
    }

    #[test]
    fn names_variables_in_upper_snake_case() {
        assert_eq!(upper_snake("TableName"), "TABLE_NAME");
        assert_eq!(upper_snake("QueueURL"), "QUEUE_URL");
        assert_eq!(upper_snake("URLValue"), "URL_VALUE");
        assert_eq!(upper_snake("catalog-data"), "CATALOG_DATA");
        assert_eq!(upper_snake("Bucket2Arn"), "BUCKET2_ARN");
    }

    #[test]
    fn renders_env_and_dotenv_with_safe_quoting() {
        assert_eq!(
            render(&sample(), OutputsFormat::Env),
            "export CATALOG_DATA_TABLE_NAME='it'\\''s'\nexport CATALOG_DATA_QUEUE_URL='http://q/$x'\n"
        );
        assert_eq!(
            render(&sample(), OutputsFormat::Dotenv),
            "CATALOG_DATA_TABLE_NAME=\"it's\"\nCATALOG_DATA_QUEUE_URL=\"http://q/\\$x\"\n"
        );
    }

    #[test]
    fn renders_json_by_stack() {
        let value: serde_json::Value =
            serde_json::from_str(&render(&sample(), OutputsFormat::Json)).unwrap();
        assert_eq!(value["catalog-data"]["TableName"], "it's");
    }
}
