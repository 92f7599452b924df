//! The `${...}` reference syntax inside string values.
//!
//! `${stack.Output}` (a stack output), `${steps.<id>.<path>}` (a value from an earlier step),
//! `${env.NAME}` and `${param.NAME}`. `$${` writes a literal `${`. This module only parses;
//! what a reference points at is checked when the plan is built.

use std::fmt;

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    StackOutput { stack: String, output: String },
    Env { name: String },
    Step { id: String, path: String },
    Param { name: String },
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::StackOutput { stack, output } => write!(f, "${{{stack}.{output}}}"),
            Reference::Env { name } => write!(f, "${{env.{name}}}"),
            Reference::Step { id, path } => write!(f, "${{steps.{id}.{path}}}"),
            Reference::Param { name } => write!(f, "${{param.{name}}}"),
        }
    }
}

/// A piece of a string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// A reference, with its byte offset and length in the original string (for carets).
    Ref {
        reference: Reference,
        offset: usize,
        len: usize,
    },
}

/// A malformed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSyntaxError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
    pub hint: &'static str,
}

const HINT: &str = "write `${stack.Output}`, `${env.NAME}`, `${steps.id.path}` or `${param.NAME}`; `$${` is a literal `${`";

/// Splits `text` into literal text and references.
pub fn parse(text: &str) -> Result<Vec<Segment>, RefSyntaxError> {
    let mut segments = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let mut consumed = 0;
    while let Some(start) = rest.find('$') {
        literal.push_str(&rest[..start]);
        let after = &rest[start..];
        if after.starts_with("$${") {
            literal.push_str("${");
            advance(&mut rest, &mut consumed, start + 3);
        } else if after.starts_with("${") {
            let offset = consumed + start;
            let Some(close) = after.find('}') else {
                return Err(error(
                    offset,
                    after.len(),
                    "unterminated reference: missing `}`",
                ));
            };
            let reference = reference(&after[2..close]).ok_or_else(|| {
                error(
                    offset,
                    close + 1,
                    format!("malformed reference `{}`", &after[..=close]),
                )
            })?;
            if !literal.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut literal)));
            }
            segments.push(Segment::Ref {
                reference,
                offset,
                len: close + 1,
            });
            advance(&mut rest, &mut consumed, start + close + 1);
        } else {
            literal.push('$');
            advance(&mut rest, &mut consumed, start + 1);
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        segments.push(Segment::Text(literal));
    }
    Ok(segments)
}

fn advance(rest: &mut &str, consumed: &mut usize, by: usize) {
    *rest = &rest[by..];
    *consumed += by;
}

fn error(offset: usize, len: usize, message: impl Into<String>) -> RefSyntaxError {
    RefSyntaxError {
        offset,
        len,
        message: message.into(),
        hint: HINT,
    }
}

fn reference(inner: &str) -> Option<Reference> {
    let (head, tail) = inner.trim().split_once('.')?;
    if !is_name(head) || tail.is_empty() {
        return None;
    }
    match head {
        "env" if is_name(tail) => Some(Reference::Env { name: tail.into() }),
        "param" if is_name(tail) => Some(Reference::Param { name: tail.into() }),
        "steps" => {
            let (id, path) = tail.split_once('.')?;
            (is_name(id) && !path.is_empty()).then(|| Reference::Step {
                id: id.into(),
                path: path.into(),
            })
        }
        "env" | "param" => None,
        stack => is_name(tail).then(|| Reference::StackOutput {
            stack: stack.into(),
            output: tail.into(),
        }),
    }
}

/// Whether `text` is a name: ASCII letters, digits, `-` and `_`.
pub fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(stack: &str, output: &str) -> Reference {
        Reference::StackOutput {
            stack: stack.into(),
            output: output.into(),
        }
    }

    #[test]
    fn splits_text_and_references_with_offsets() {
        let segments = parse("arn:${catalog-data.TableArn}/x-${env.STAGE}").unwrap();
        assert_eq!(
            segments,
            vec![
                Segment::Text("arn:".into()),
                Segment::Ref {
                    reference: output("catalog-data", "TableArn"),
                    offset: 4,
                    len: 24
                },
                Segment::Text("/x-".into()),
                Segment::Ref {
                    reference: Reference::Env {
                        name: "STAGE".into()
                    },
                    offset: 31,
                    len: 12
                },
            ]
        );
    }

    #[test]
    fn reads_step_and_param_references() {
        let segments = parse("${steps.make-key.KeyMetadata.Arn}${param.Env}").unwrap();
        let references: Vec<_> = segments
            .into_iter()
            .filter_map(|s| match s {
                Segment::Ref { reference, .. } => Some(reference),
                Segment::Text(_) => None,
            })
            .collect();
        assert_eq!(
            references,
            vec![
                Reference::Step {
                    id: "make-key".into(),
                    path: "KeyMetadata.Arn".into()
                },
                Reference::Param { name: "Env".into() },
            ]
        );
    }

    #[test]
    fn keeps_escaped_and_lone_dollars_literal() {
        assert_eq!(
            parse("cost $5 and $${not.ref}").unwrap(),
            vec![Segment::Text("cost $5 and ${not.ref}".into())]
        );
    }

    #[test]
    fn rejects_malformed_and_unterminated_references() {
        let malformed = parse("x ${nodot}").unwrap_err();
        assert_eq!((malformed.offset, malformed.len), (2, 8));
        assert_eq!(malformed.message, "malformed reference `${nodot}`");
        assert!(parse("${a.b")
            .unwrap_err()
            .message
            .starts_with("unterminated"));
        assert!(parse("${env.A.B}").is_err());
    }
}
