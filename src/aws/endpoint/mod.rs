//! Endpoint resolution with botocore's endpoint rule sets (`endpoint-rule-set-1.json`): binding
//! the rule-set parameters for one call ([`params`]), then evaluating the rules ([`rules`]) with
//! their function library ([`functions`]) to an [`Endpoint`].

pub mod functions;
pub mod params;
pub mod rules;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub use params::{bind_params, BuiltIns};
pub use rules::resolve;

/// Rule-set parameter values by name (`Region`, `UseFIPS`, `Bucket`, ...); absent means unset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointParams {
    values: BTreeMap<String, Value>,
}

impl EndpointParams {
    pub fn new() -> EndpointParams {
        EndpointParams::default()
    }

    /// Sets a parameter; `Null` unsets it.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        if value.is_null() {
            self.values.remove(&name);
        } else {
            self.values.insert(name, value);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.values.iter()
    }
}

impl FromIterator<(String, Value)> for EndpointParams {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut params = EndpointParams::new();
        for (name, value) in iter {
            params.set(name, value);
        }
        params
    }
}

/// A resolved endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub url: String,
    /// Extra headers the endpoint requires, by name.
    pub headers: BTreeMap<String, Vec<String>>,
    /// Endpoint properties; `authSchemes` lists `{name, signingName, signingRegion(Set),
    /// disableDoubleEncoding}` objects in order of preference.
    pub properties: Map<String, Value>,
}

impl Endpoint {
    /// The `authSchemes` property, empty when absent.
    pub fn auth_schemes(&self) -> &[Value] {
        self.properties
            .get("authSchemes")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// Why no endpoint could be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// An error rule matched: its message is the rule set's own, verbatim.
    #[error("{0}")]
    Rule(String),
    #[error("no endpoint rule matched the parameters {0}")]
    NoMatch(String),
    #[error("endpoint parameter `{0}` is required but not set")]
    MissingParameter(String),
    #[error("endpoint parameter `{name}` must be {expected}, found {found}")]
    ParameterType {
        name: String,
        expected: String,
        found: String,
    },
    #[error("endpoint rule set is malformed: {0}")]
    BadRuleSet(String),
    #[error("endpoint rule set calls unknown function `{0}`")]
    UnknownFunction(String),
    #[error("endpoint function `{function}` expects {expected}, found {found}")]
    BadArgument {
        function: String,
        expected: String,
        found: String,
    },
    #[error("partitions data is malformed: {0}")]
    BadPartitions(String),
    #[error("operation context parameter `{name}` has a bad path `{path}`: {reason}")]
    BadContextPath {
        name: String,
        path: String,
        reason: String,
    },
}
