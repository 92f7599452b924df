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

impl Position {
    /// Line 1, column 1: where a problem of a whole file is shown.
    pub const START: Position = Position {
        line: 1,
        column: 1,
        offset: 0,
    };
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
    /// YAML features serde's typed view hides, each with its position.
    pub features: Features,
}

/// What the typed view of a document cannot show: keys written twice (serde keeps the last),
/// anchors, aliases, merge keys and tags. `yaml_rules` decides which of them a file may use.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Features {
    pub duplicate_keys: Vec<DuplicateKey>,
    /// Where a node carries an anchor (`&name`).
    pub anchors: Vec<Position>,
    /// Where an alias (`*name`) stands.
    pub aliases: Vec<Position>,
    /// Where a merge key (`<<`) stands.
    pub merge_keys: Vec<Position>,
    pub tags: Vec<TagUse>,
}

/// A key written a second time in the same mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// The second occurrence.
    pub at: Position,
    /// The first occurrence.
    pub first: Position,
}

/// A tag on a node: `!Ref` is handle `!` and suffix `Ref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagUse {
    pub handle: String,
    pub suffix: String,
    pub at: Position,
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
            features: builder.features,
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
            .unwrap_or(Position::START)
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
        /// Keys seen so far and where, to find keys written twice.
        seen_keys: HashMap<String, Position>,
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
    features: Features,
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
            Some(Frame::Mapping {
                path,
                pending_key,
                seen_keys,
            }) => match pending_key.take() {
                Some((key, key_at)) => {
                    let mut entry = path.clone();
                    entry.push(key);
                    Some((entry, Some(key_at)))
                }
                None => {
                    // A key: remember it until its value arrives. Complex keys are rare in
                    // gapfill files and have no useful path; they index as their text.
                    let key = scalar.unwrap_or_default().to_string();
                    if let Some(scalar) = scalar {
                        match seen_keys.get(scalar) {
                            Some(&first) => self.features.duplicate_keys.push(DuplicateKey {
                                key: key.clone(),
                                at,
                                first,
                            }),
                            None => {
                                seen_keys.insert(key.clone(), at);
                            }
                        }
                    }
                    *pending_key = Some((key, at));
                    None
                }
            },
        }
    }
}

impl Builder {
    /// Records the anchor, tag, alias or merge key `event` carries.
    fn note_features(&mut self, event: &Event, at: Position) {
        let (anchor, tag) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                if text == "<<" && *style == TScalarStyle::Plain && self.expects_key() {
                    self.features.merge_keys.push(at);
                }
                (*anchor, tag.as_ref())
            }
            Event::MappingStart(anchor, tag) | Event::SequenceStart(anchor, tag) => {
                (*anchor, tag.as_ref())
            }
            Event::Alias(_) => {
                self.features.aliases.push(at);
                return;
            }
            _ => return,
        };
        if anchor > 0 {
            self.features.anchors.push(at);
        }
        if let Some(tag) = tag {
            self.features.tags.push(TagUse {
                handle: tag.handle.clone(),
                suffix: tag.suffix.clone(),
                at,
            });
        }
    }

    /// Whether the next node is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Mapping {
                pending_key: None,
                ..
            })
        )
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
        self.note_features(&event, at);
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
                        seen_keys: HashMap::new(),
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
    fn notes_duplicate_keys_anchors_aliases_merge_keys_and_tags() {
        let text = "a: 1\nb: &x {c: !Ref d}\na: 2\ne:\n  <<: *x\n  f: !!str g\n";
        let features = SpanIndex::parse(text).features;
        let duplicate = &features.duplicate_keys[0];
        assert_eq!(duplicate.key, "a");
        assert_eq!((duplicate.at.line, duplicate.at.column), (3, 1));
        assert_eq!((duplicate.first.line, duplicate.first.column), (1, 1));
        assert_eq!(features.anchors.len(), 1);
        assert_eq!(features.anchors[0].line, 2);
        assert_eq!(
            (features.aliases[0].line, features.merge_keys[0].line),
            (5, 5)
        );
        let tags: Vec<(&str, &str, usize)> = features
            .tags
            .iter()
            .map(|tag| (tag.handle.as_str(), tag.suffix.as_str(), tag.at.line))
            .collect();
        assert_eq!(tags, [("!", "Ref", 2), ("tag:yaml.org,2002:", "str", 6)]);
    }

    #[test]
    fn falls_back_to_the_nearest_known_ancestor() {
        let index = SpanIndex::parse(TEXT);
        let position = index.key_or_value(&["stacks", "data", "parameters", "Missing"]);
        assert_eq!(position.line, 5);
    }
}
