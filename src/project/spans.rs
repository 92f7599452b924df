//! Source positions for YAML documents.
//!
//! serde_yaml gives typed deserialisation and positions for its own errors, but keeps no spans
//! on values. Semantic errors (an unknown stack output, an undeclared parameter) need the line
//! and column of the value a user wrote, so the same text is parsed once more with yaml-rust2's
//! marked events into an index from a value's path to its position. Decided once for every YAML
//! file gapfill reads: serde_yaml for types, `SpanIndex` for positions.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in a source text: 1-based line and column, 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// Where a mapping entry or sequence item sits in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpan {
    /// The key of a mapping entry (absent for sequence items and the root).
    pub key: Option<Position>,
    /// The start of the value.
    pub value: Position,
    /// The value's length in bytes when it is a plain one-line scalar, for caret width.
    pub value_len: usize,
    /// Whether the scalar was quoted (its content then starts one byte after `value`).
    pub quoted: bool,
}

/// Positions of every node of a YAML document, addressed by path (`["stacks", "api", "template"]`).
#[derive(Debug, Default)]
pub struct SpanIndex {
    nodes: HashMap<Vec<String>, NodeSpan>,
}

impl SpanIndex {
    /// Indexes `text`. A text that does not parse yields an empty index: the parse error
    /// itself is reported by serde_yaml, which reads the same text.
    pub fn parse(text: &str) -> SpanIndex {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return SpanIndex::default();
        }
        SpanIndex {
            nodes: builder.nodes,
        }
    }

    /// The span of the node at `path`.
    pub fn get(&self, path: &[&str]) -> Option<NodeSpan> {
        let key: Vec<String> = path.iter().map(|segment| segment.to_string()).collect();
        self.nodes.get(&key).copied()
    }

    /// The position of the key at `path`, or of its value when it has no key; falls back to
    /// the closest ancestor that is known so a diagnostic always points somewhere useful.
    pub fn key_or_value(&self, path: &[&str]) -> Position {
        self.nearest(path)
            .map(|span| span.key.unwrap_or(span.value))
            .unwrap_or(Position {
                line: 1,
                column: 1,
                offset: 0,
            })
    }

    /// The span at `path`, or of the closest known ancestor.
    pub fn nearest(&self, path: &[&str]) -> Option<NodeSpan> {
        (0..=path.len())
            .rev()
            .find_map(|len| self.get(&path[..len]))
    }
}

enum Frame {
    Mapping {
        path: Vec<String>,
        pending_key: Option<(String, Position)>,
    },
    Sequence {
        path: Vec<String>,
        next_index: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    nodes: HashMap<Vec<String>, NodeSpan>,
}

impl Builder {
    /// Called for every node start; returns the path of the node if it is a value (not a key).
    fn place_node(
        &mut self,
        scalar: Option<&str>,
        at: Position,
    ) -> Option<(Vec<String>, Option<Position>)> {
        match self.stack.last_mut() {
            None => Some((Vec::new(), None)),
            Some(Frame::Sequence { path, next_index }) => {
                let mut item = path.clone();
                item.push(next_index.to_string());
                *next_index += 1;
                Some((item, None))
            }
            Some(Frame::Mapping { path, pending_key }) => match pending_key.take() {
                Some((key, key_at)) => {
                    let mut entry = path.clone();
                    entry.push(key);
                    Some((entry, Some(key_at)))
                }
                None => {
                    // A key: remember it until its value arrives. Complex keys are rare in
                    // gapfill files and have no useful path; they index as their text.
                    *pending_key = Some((scalar.unwrap_or_default().to_string(), at));
                    None
                }
            },
        }
    }
}

fn position(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
        offset: mark.index(),
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let at = position(mark);
        match event {
            Event::Scalar(text, style, _, _) => {
                if let Some((path, key)) = self.place_node(Some(&text), at) {
                    let quoted = matches!(
                        style,
                        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                    );
                    let value_len = if text.contains('\n') {
                        1
                    } else {
                        text.len().max(1)
                    };
                    self.nodes.insert(
                        path,
                        NodeSpan {
                            key,
                            value: at,
                            value_len,
                            quoted,
                        },
                    );
                }
            }
            Event::Alias(_) => {
                if let Some((path, key)) = self.place_node(None, at) {
                    self.nodes.insert(
                        path,
                        NodeSpan {
                            key,
                            value: at,
                            value_len: 1,
                            quoted: false,
                        },
                    );
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_mapping = matches!(event, Event::MappingStart(..));
                let (path, key) = self.place_node(None, at).unwrap_or_default();
                self.nodes.insert(
                    path.clone(),
                    NodeSpan {
                        key,
                        value: at,
                        value_len: 1,
                        quoted: false,
                    },
                );
                self.stack.push(if is_mapping {
                    Frame::Mapping {
                        path,
                        pending_key: None,
                    }
                } else {
                    Frame::Sequence {
                        path,
                        next_index: 0,
                    }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "project: demo\nstacks:\n  data:\n    template: stacks/data.yaml\n    parameters:\n      Env: \"prod\"\n    depends_on: [a, b]\n";

    #[test]
    fn indexes_keys_and_values_with_one_based_lines_and_columns() {
        let index = SpanIndex::parse(TEXT);
        let template = index.get(&["stacks", "data", "template"]).unwrap();
        assert_eq!(template.key.unwrap().line, 4);
        assert_eq!(template.key.unwrap().column, 5);
        assert_eq!(template.value.column, 15);
        assert_eq!(template.value_len, "stacks/data.yaml".len());
        let env = index.get(&["stacks", "data", "parameters", "Env"]).unwrap();
        assert!(env.quoted);
        assert_eq!((env.value.line, env.value.column), (6, 12));
    }

    #[test]
    fn indexes_sequence_items_by_position() {
        let index = SpanIndex::parse(TEXT);
        let second = index.get(&["stacks", "data", "depends_on", "1"]).unwrap();
        assert_eq!((second.value.line, second.value.column), (7, 21));
    }

    #[test]
    fn falls_back_to_the_nearest_known_ancestor() {
        let index = SpanIndex::parse(TEXT);
        let position = index.key_or_value(&["stacks", "data", "parameters", "Missing"]);
        assert_eq!(position.line, 5);
    }
}
