//! Aggregating every page of a paginated operation, as botocore's `PageIterator.build_full_result`
//! does with `paginators-1.json`: input/output tokens (one or several), `more_results`, result
//! keys concatenated across pages, non-aggregate keys from the first page.
//!
//! Token and result expressions are JMESPath (`NextMarker || Contents[-1].Key`); keys written
//! into the aggregated result are dotted paths.

use std::future::Future;

use serde_json::{Map, Value};

use crate::aws::error::CallError;
use crate::aws::jmespath::{is_truthy, search};

/// One operation's entry in `paginators-1.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaginatorConfig {
    pub input_tokens: Vec<String>,
    pub output_tokens: Vec<String>,
    pub more_results: Option<String>,
    pub limit_key: Option<String>,
    pub result_keys: Vec<String>,
    pub non_aggregate_keys: Vec<String>,
}

impl PaginatorConfig {
    /// The paginator of `operation` in a `paginators-1.json` document; `None` if it has none.
    pub fn find(paginators: Option<&Value>, operation: &str) -> Option<PaginatorConfig> {
        let entry = paginators?.get("pagination")?.get(operation)?;
        Some(PaginatorConfig {
            input_tokens: string_or_list(entry.get("input_token")),
            output_tokens: string_or_list(entry.get("output_token")),
            more_results: entry
                .get("more_results")
                .and_then(Value::as_str)
                .map(str::to_string),
            limit_key: entry
                .get("limit_key")
                .and_then(Value::as_str)
                .map(str::to_string),
            result_keys: string_or_list(entry.get("result_key")),
            non_aggregate_keys: string_or_list(entry.get("non_aggregate_keys")),
        })
    }
}

fn string_or_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(single)) => vec![single.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Calls `call` page after page, starting from `input`, and returns the aggregated result.
/// `label` (`service:Operation`) names the operation in errors.
pub async fn paginate<F, Fut>(
    config: &PaginatorConfig,
    label: (&str, &str),
    input: &Value,
    mut call: F,
) -> Result<Value, CallError>
where
    F: FnMut(Value) -> Fut,
    Fut: Future<Output = Result<Value, CallError>>,
{
    let fail = |reason: String| CallError::Paginate {
        service: label.0.to_string(),
        operation: label.1.to_string(),
        reason,
    };
    if config.input_tokens.len() != config.output_tokens.len() {
        return Err(fail(
            "paginator input and output tokens differ in number".to_string(),
        ));
    }
    let mut request = input.clone();
    let mut result = Value::Object(Map::new());
    let mut previous_tokens: Option<Vec<Value>> = None;
    for page_number in 1.. {
        let page = call(request.clone()).await?;
        if page_number == 1 {
            for key in &config.non_aggregate_keys {
                let value = search(key, &page).map_err(&fail)?;
                if !value.is_null() {
                    set_path(&mut result, key, value);
                }
            }
        }
        for key in &config.result_keys {
            let value = search(key, &page).map_err(&fail)?;
            aggregate(&mut result, key, value);
        }
        let tokens = next_tokens(config, &page).map_err(&fail)?;
        let more = match &config.more_results {
            Some(expression) => is_truthy(&search(expression, &page).map_err(&fail)?),
            None => true,
        };
        if !more || tokens.iter().all(is_empty_token) {
            tracing::debug!(pages = page_number, "pagination complete");
            break;
        }
        if previous_tokens.as_ref() == Some(&tokens) {
            return Err(fail(format!(
                "the same next token was received twice: {tokens:?}"
            )));
        }
        for (name, token) in config.input_tokens.iter().zip(&tokens) {
            if is_empty_token(token) {
                remove_path(&mut request, name);
            } else {
                set_path(&mut request, name, token.clone());
            }
        }
        previous_tokens = Some(tokens);
    }
    Ok(result)
}

fn next_tokens(config: &PaginatorConfig, page: &Value) -> Result<Vec<Value>, String> {
    config
        .output_tokens
        .iter()
        .map(|expression| search(expression, page))
        .collect()
}

fn is_empty_token(token: &Value) -> bool {
    match token {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// Adds one page's value of a result key: lists extend, numbers add, strings concatenate.
fn aggregate(result: &mut Value, key: &str, value: Value) {
    if value.is_null() {
        return;
    }
    let Some(existing) = get_path_mut(result, key) else {
        set_path(result, key, value);
        return;
    };
    match (existing, value) {
        (Value::Array(items), Value::Array(more)) => items.extend(more),
        (Value::String(text), Value::String(more)) => text.push_str(&more),
        (slot @ Value::Number(_), Value::Number(more)) => {
            let total = slot.as_i64().zip(more.as_i64());
            *slot = match total {
                Some((a, b)) => Value::from(a.saturating_add(b)),
                None => Value::from(slot.as_f64().unwrap_or(0.0) + more.as_f64().unwrap_or(0.0)),
            };
        }
        (slot, value) => *slot = value,
    }
}

fn get_path_mut<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.')
        .try_fold(value, |current, part| current.get_mut(part))
        .filter(|found| !found.is_null())
}

/// Sets a dotted path, creating objects on the way.
pub fn set_path(target: &mut Value, path: &str, value: Value) {
    let mut current = target;
    let parts: Vec<&str> = path.split('.').collect();
    for (index, part) in parts.iter().enumerate() {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        let Value::Object(members) = current else {
            return;
        };
        if index == parts.len() - 1 {
            members.insert(part.to_string(), value);
            return;
        }
        current = members
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn remove_path(target: &mut Value, path: &str) {
    match path.rsplit_once('.') {
        Some((parent, last)) => {
            if let Some(Value::Object(members)) = get_path_mut(target, parent) {
                members.remove(last);
            }
        }
        None => {
            if let Value::Object(members) = target {
                members.remove(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::RefCell;

    fn config(entry: Value) -> PaginatorConfig {
        PaginatorConfig::find(Some(&json!({"pagination": {"Op": entry}})), "Op").unwrap()
    }

    async fn run(
        config: &PaginatorConfig,
        pages: Vec<Value>,
    ) -> (Result<Value, CallError>, Vec<Value>) {
        let requests = RefCell::new(Vec::new());
        let pages = RefCell::new(pages.into_iter());
        let result = paginate(config, ("svc", "Op"), &json!({"Limit": 2}), |request| {
            requests.borrow_mut().push(request);
            let page = pages
                .borrow_mut()
                .next()
                .expect("asked for more pages than exist");
            async move { Ok(page) }
        })
        .await;
        (result, requests.into_inner())
    }

    #[tokio::test]
    async fn follows_next_token_and_concatenates_results() {
        let config = config(
            json!({"input_token": "NextToken", "output_token": "NextToken",
                                   "limit_key": "Limit", "result_key": "Items"}),
        );
        let (result, requests) = run(
            &config,
            vec![
                json!({"Items": [1, 2], "NextToken": "t1", "Other": "x"}),
                json!({"Items": [3], "NextToken": "t2"}),
                json!({"Items": [4]}),
            ],
        )
        .await;
        assert_eq!(result.unwrap(), json!({"Items": [1, 2, 3, 4]}));
        assert_eq!(requests[0], json!({"Limit": 2}));
        assert_eq!(requests[1], json!({"Limit": 2, "NextToken": "t1"}));
        assert_eq!(requests[2], json!({"Limit": 2, "NextToken": "t2"}));
    }

    #[tokio::test]
    async fn multiple_tokens_more_results_and_jmespath_fallbacks() {
        // S3 ListObjects: the marker falls back to the last key; IsTruncated ends the loop.
        let config = config(json!({
            "more_results": "IsTruncated",
            "input_token": ["Marker", "Other"],
            "output_token": ["NextMarker || Contents[-1].Key", "NextOther"],
            "result_key": ["Contents", "CommonPrefixes"],
            "non_aggregate_keys": ["Name"]
        }));
        let (result, requests) = run(
            &config,
            vec![
                json!({"IsTruncated": true, "Contents": [{"Key": "a"}, {"Key": "b"}], "Name": "bkt", "NextOther": "o"}),
                json!({"IsTruncated": false, "Contents": [{"Key": "c"}], "CommonPrefixes": [{"Prefix": "p/"}],
                       "NextMarker": "ignored"}),
            ],
        )
        .await;
        assert_eq!(
            result.unwrap(),
            json!({"Name": "bkt", "Contents": [{"Key": "a"}, {"Key": "b"}, {"Key": "c"}],
                   "CommonPrefixes": [{"Prefix": "p/"}]})
        );
        assert_eq!(
            requests[1],
            json!({"Limit": 2, "Marker": "b", "Other": "o"})
        );
    }

    #[tokio::test]
    async fn nested_result_keys_and_repeated_tokens() {
        let config = config(
            json!({"input_token": "Token", "output_token": "Page.Next", "result_key": "Page.Items"}),
        );
        let (result, _) = run(
            &config,
            vec![
                json!({"Page": {"Items": ["a"], "Next": "same"}}),
                json!({"Page": {"Items": ["b"], "Next": "same"}}),
            ],
        )
        .await;
        let err = result.unwrap_err();
        assert!(err.to_string().contains("same next token"), "{err}");

        let (result, _) = run(
            &config,
            vec![
                json!({"Page": {"Items": ["a"], "Next": "t"}}),
                json!({"Page": {"Items": ["b"]}}),
            ],
        )
        .await;
        assert_eq!(result.unwrap(), json!({"Page": {"Items": ["a", "b"]}}));
    }

    #[tokio::test]
    async fn page_errors_propagate() {
        let config = config(json!({"input_token": "T", "output_token": "T", "result_key": "R"}));
        let result = paginate(&config, ("svc", "Op"), &json!({}), |_| async {
            Err(CallError::NoRegion {
                service: "svc".to_string(),
            })
        })
        .await;
        assert!(matches!(result, Err(CallError::NoRegion { .. })));
    }

    #[test]
    fn real_paginators_load() {
        let docs = crate::aws::catalog::Catalog::new(None).load("s3").unwrap();
        let list = PaginatorConfig::find(docs.paginators.as_ref(), "ListObjectsV2").unwrap();
        assert_eq!(list.input_tokens, ["ContinuationToken"]);
        assert_eq!(list.result_keys, ["Contents", "CommonPrefixes"]);
        assert!(PaginatorConfig::find(docs.paginators.as_ref(), "PutObject").is_none());
    }

    #[test]
    fn numbers_add_and_strings_concatenate() {
        let mut result = json!({});
        aggregate(&mut result, "Count", json!(2));
        aggregate(&mut result, "Count", json!(3));
        aggregate(&mut result, "Text", json!("ab"));
        aggregate(&mut result, "Text", json!("cd"));
        assert_eq!(result, json!({"Count": 5, "Text": "abcd"}));
    }
}
