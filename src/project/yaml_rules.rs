//! Which YAML features each kind of file may use, decided once:
//!
//! - Every file: a key written twice in one mapping is an error (serde would silently keep the
//!   last value).
//! - gapfill files (project and step files): anchors and aliases work (serde resolves them);
//!   merge keys (`<<`) are refused, because serde reads them as an ordinary key; local tags
//!   (`!Ref`) are refused, because they would be dropped without a word.
//! - Templates: what CloudFormation refuses is refused here, before any call: aliases, merge
//!   keys, the binary, omap, pairs, set and timestamp tags, and short tags that are not one of
//!   CloudFormation's intrinsic functions (with a did-you-mean).

use super::diagnostic::Diagnostic;
use super::source::Source;
use super::spans::{Position, TagUse};

/// The kind of file being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `gapfill.yaml` and post-deploy step files.
    Gapfill,
    /// A CloudFormation template.
    Template,
}

/// The short forms of CloudFormation's intrinsic functions, condition functions and rule
/// functions (`!Name` for `Fn::Name`, plus `!Ref` and `!Condition`).
pub const INTRINSIC_TAGS: &[&str] = &[
    "Ref",
    "Condition",
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
    "Length",
    "ToJsonString",
];

/// The prefix of YAML's own tags (`!!str` is `tag:yaml.org,2002:str`).
const CORE_TAG_HANDLE: &str = "tag:yaml.org,2002:";

/// YAML types CloudFormation does not support.
const TEMPLATE_UNSUPPORTED_TYPES: &[&str] = &["binary", "omap", "pairs", "set", "timestamp"];

/// Every use of a YAML feature `dialect` does not allow in `source`, in text order.
pub fn check(source: &Source, dialect: Dialect) -> Vec<Diagnostic> {
    let features = &source.spans.features;
    let mut found: Vec<Diagnostic> = Vec::new();
    for duplicate in &features.duplicate_keys {
        let message = format!(
            "key `{}` is written twice in the same mapping (first at line {})",
            duplicate.key, duplicate.first.line
        );
        let hint = match dialect {
            Dialect::Gapfill => "YAML would keep only the last value: remove or rename one",
            Dialect::Template => {
                "CloudFormation refuses a template with a key written twice: remove or rename one"
            }
        };
        found.push(at(source, duplicate.at, duplicate.key.chars().count(), message).hint(hint));
    }
    for &merge in &features.merge_keys {
        found.push(merge_key(source, merge, dialect));
    }
    if dialect == Dialect::Template {
        for &alias in &features.aliases {
            let diagnostic = at(source, alias, 1, "CloudFormation does not support YAML aliases (`*name`)")
                .hint("write the value out where it is used, or keep shared values in Mappings and read them with !FindInMap");
            found.push(diagnostic);
        }
    }
    for tag in &features.tags {
        if let Some(diagnostic) = tag_problem(source, tag, dialect) {
            found.push(diagnostic);
        }
    }
    found.sort_by_key(|diagnostic| diagnostic.at.map(|at| at.offset));
    found
}

fn at(source: &Source, position: Position, width: usize, message: impl Into<String>) -> Diagnostic {
    Diagnostic::at(&source.file, &source.text, position, width, message)
}

fn merge_key(source: &Source, position: Position, dialect: Dialect) -> Diagnostic {
    match dialect {
        Dialect::Gapfill => at(source, position, 2, "YAML merge keys (`<<`) are not supported in gapfill files")
            .hint("anchors and aliases work: name a whole value with `&name` and repeat it with `*name`; otherwise write the keys out"),
        Dialect::Template => at(source, position, 2, "CloudFormation does not support YAML merge keys (`<<`)")
            .hint("write the keys out in each mapping"),
    }
}

/// What is wrong with `tag` in `dialect`, if anything.
fn tag_problem(source: &Source, tag: &TagUse, dialect: Dialect) -> Option<Diagnostic> {
    let shown = shown_tag(tag);
    let width = shown.chars().count();
    let tag = &TagUse {
        at: tag_position(source, tag, &shown),
        ..tag.clone()
    };
    if tag.handle == CORE_TAG_HANDLE {
        if dialect == Dialect::Template && TEMPLATE_UNSUPPORTED_TYPES.contains(&tag.suffix.as_str())
        {
            let message = format!("CloudFormation does not support the YAML tag `{shown}`");
            return Some(
                at(source, tag.at, width, message)
                    .hint("write the value as a plain string, number, list or mapping"),
            );
        }
        return None;
    }
    match dialect {
        Dialect::Gapfill => {
            let message = format!("YAML tag `{shown}` has no meaning in a gapfill file");
            Some(at(source, tag.at, width, message).hint(
                "CloudFormation functions belong in templates; here, read a stack output with `${stack.Output}`",
            ))
        }
        Dialect::Template if tag.handle == "!" && INTRINSIC_TAGS.contains(&tag.suffix.as_str()) => {
            None
        }
        Dialect::Template => {
            let message = format!("unknown tag `{shown}`: not a CloudFormation intrinsic function");
            let known: Vec<String> = INTRINSIC_TAGS
                .iter()
                .map(|name| format!("!{name}"))
                .collect();
            Some(
                at(source, tag.at, width, message)
                    .suggest(&shown, known.iter().map(String::as_str))
                    .hint("short forms: !Ref, !GetAtt, !Sub, !Join, !Select, !Split, !If, !Equals, !FindInMap, !ImportValue, !Base64, !Cidr, !GetAZs, ..."),
            )
        }
    }
}

/// Where the tag itself is written: the parser marks the node after it, so the tag is found
/// back on the same line; a tag written another way keeps the node's position.
fn tag_position(source: &Source, tag: &TagUse, shown: &str) -> Position {
    let node = tag.at;
    let Some(before) = source.text.get(..node.offset) else {
        return node;
    };
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    match before[line_start..].rfind(shown) {
        Some(index) => {
            let offset = line_start + index;
            let skipped = source.text[offset..node.offset].chars().count();
            Position {
                line: node.line,
                column: node.column.saturating_sub(skipped).max(1),
                offset,
            }
        }
        None => node,
    }
}

/// A tag as it was written: `!Ref`, `!!str`, `!named!suffix`.
fn shown_tag(tag: &TagUse) -> String {
    if tag.handle == CORE_TAG_HANDLE {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str, dialect: Dialect) -> Vec<(usize, usize, String)> {
        let source = Source::new("f.yaml".into(), text.to_string());
        check(&source, dialect)
            .into_iter()
            .map(|d| {
                let at = d.at.unwrap();
                (at.line, at.column, d.message)
            })
            .collect()
    }

    #[test]
    fn anchors_and_aliases_work_in_gapfill_files_but_merge_keys_and_local_tags_do_not() {
        let text = "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: !Ref q\n  f: !!str 5\n";
        assert_eq!(
            messages(text, Dialect::Gapfill),
            [
                (
                    4,
                    3,
                    "YAML merge keys (`<<`) are not supported in gapfill files".to_string()
                ),
                (
                    5,
                    6,
                    "YAML tag `!Ref` has no meaning in a gapfill file".to_string()
                ),
            ]
        );
    }

    #[test]
    fn templates_refuse_what_cloudformation_refuses() {
        let text = "Resources:\n  Q: &x {Type: !Reff a, Properties: !!set {a}}\n  R: *x\n  S: {Type: !Sub a}\n";
        let found = messages(text, Dialect::Template);
        let lines: Vec<(usize, usize)> = found.iter().map(|(l, c, _)| (*l, *c)).collect();
        assert_eq!(lines, [(2, 16), (2, 37), (3, 6)], "{found:?}");
        assert_eq!(
            found[0].2,
            "unknown tag `!Reff`: not a CloudFormation intrinsic function"
        );
        assert_eq!(
            found[1].2,
            "CloudFormation does not support the YAML tag `!!set`"
        );
        assert_eq!(
            found[2].2,
            "CloudFormation does not support YAML aliases (`*name`)"
        );
    }

    #[test]
    fn an_unknown_tag_suggests_the_closest_intrinsic() {
        let source = Source::new("t.yaml".into(), "A: !GetAt x.y\n".to_string());
        let found = check(&source, Dialect::Template);
        assert_eq!(found[0].hints[0], "did you mean `!GetAtt`?");
    }

    #[test]
    fn a_key_written_twice_is_an_error_in_every_file() {
        for dialect in [Dialect::Gapfill, Dialect::Template] {
            let found = messages("a: 1\nb:\n  c: 1\n  c: 2\n", dialect);
            assert_eq!(
                found,
                [(
                    4,
                    3,
                    "key `c` is written twice in the same mapping (first at line 3)".to_string()
                )]
            );
        }
    }
}
