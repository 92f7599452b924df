//! Ignore rules of `gapfill drift` for known-noisy drift: a property CloudFormation reports as drifted that the
//! team accepts (a value AWS fills in, a setting a step manages on purpose). Matched drift is
//! reported as ignored, never counted.

/// One rule of `drift: { ignore: [...] }`: every part that is set must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IgnoreRule {
    /// The stack's name; any stack when absent.
    pub stack: Option<String>,
    /// The resource's logical id; any resource when absent.
    pub resource: Option<String>,
    /// A property path (`Tags` or `/Properties/Tags`), matching it and everything below it;
    /// any property when absent.
    pub property: Option<String>,
}

impl IgnoreRule {
    /// Whether the rule covers `property` of `resource` in `stack`.
    pub fn matches(&self, stack: &str, resource: &str, property: &str) -> bool {
        let stack_ok = self.stack.as_deref().is_none_or(|name| name == stack);
        let resource_ok = self.resource.as_deref().is_none_or(|id| id == resource);
        let property_ok = self.property.as_deref().is_none_or(|wanted| {
            let wanted = normalize(wanted);
            let found = normalize(property);
            found == wanted || found.starts_with(&format!("{wanted}/"))
        });
        stack_ok && resource_ok && property_ok
    }
}

/// `Tags`, `/Tags`, `Properties/Tags` and `/Properties/Tags` all name the same property.
fn normalize(path: &str) -> String {
    let trimmed = path.trim_start_matches('/');
    let without = trimmed.strip_prefix("Properties/").unwrap_or(trimmed);
    format!("/{}", without.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_matches_its_property_and_below_in_any_spelling() {
        let rule = IgnoreRule {
            stack: Some("data".into()),
            resource: Some("Queue".into()),
            property: Some("Tags".into()),
        };
        assert!(rule.matches("data", "Queue", "/Properties/Tags"));
        assert!(rule.matches("data", "Queue", "/Properties/Tags/0/Value"));
        assert!(!rule.matches("data", "Queue", "/Properties/TagsExtra"));
        assert!(!rule.matches("data", "Topic", "/Properties/Tags"));
        assert!(!rule.matches("api", "Queue", "/Properties/Tags"));
        let anywhere = IgnoreRule {
            property: Some("/Properties/VisibilityTimeout".into()),
            ..IgnoreRule::default()
        };
        assert!(anywhere.matches("any", "Any", "/Properties/VisibilityTimeout"));
    }
}
