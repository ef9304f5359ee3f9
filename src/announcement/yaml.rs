//! A small YAML tree that remembers where every node came from.
//!
//! Front matter is parsed from the event stream of `saphyr-parser` (a pure-Rust YAML 1.2
//! parser) into [`Node`]s that carry their line and column, so every later check can point
//! at the exact field. Duplicate keys, anchors/aliases, tags and deep nesting are rejected
//! here: front matter is short and written by hand, and each of these is either a mistake
//! or a way to make a small file expand into a large one.
//!
//! The mistakes people make by hand (a `: ` inside a title, `#` in tags, a tab, a quote
//! never closed) are explained here in plain words with the fix, pointing at the character
//! that is wrong, with the parser's own words after the sentence.

use crate::diagnostic::Pos;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Deeper nesting than this is refused (front matter needs three levels at most).
pub const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar as written; `plain` is false for quoted and block scalars, which are
    /// always strings.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

/// A YAML problem with its position in the parsed text.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl Node {
    /// The scalar's text when this is a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } if !self.is_null() => Some(text),
            _ => None,
        }
    }

    /// YAML 1.2 core-schema null: `~`, `null`, or nothing at all, when not quoted.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// YAML 1.2 core-schema booleans, when not quoted.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A word for the kind of value, for messages like "expected a list, found text".
    pub fn describe(&self) -> &'static str {
        match &self.value {
            _ if self.is_null() => "nothing",
            Value::Scalar { .. } if self.as_bool().is_some() => "true/false",
            Value::Scalar { .. } => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a set of fields",
        }
    }
}

/// Parses one YAML document. `first_line` is the line of the file the text starts on, so
/// positions are those of the whole file.
pub fn parse(text: &str, first_line: usize) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder {
        first_line,
        lines: text.lines().collect(),
        stack: Vec::new(),
        root: None,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let (line, col) = (e.marker().line(), e.marker().col());
            let (line, col, message) = explain(&builder, line, col, e.info());
            YamlError {
                pos: builder.pos_of(line, col),
                message,
            }
        })?;
        builder.event(event, span)?;
    }
    Ok(builder.root)
}

/// Turns the parser's complaint into a plain sentence with the fix, for the mistakes people
/// make by hand, keeping the parser's own words after it. `col` is 0-based in `line`; the
/// column returned points at the mistake itself (the tab, the `#`, the opening quote).
fn explain(b: &Builder<'_>, at_line: usize, col: usize, info: &str) -> (usize, usize, String) {
    if info.contains("tab") || info.contains("must be followed by") {
        // The parser may report the start of the value; the tab can be on a later line.
        let found = (at_line..=b.lines.len()).find_map(|l| {
            let chars: Vec<char> = b.line(l).chars().collect();
            let tab = chars.iter().position(|&c| c == '\t')?;
            Some((l, tab, chars[..tab].iter().all(|c| c.is_whitespace())))
        });
        if let Some((line, tab, indent)) = found {
            let plain = if indent {
                "this line is indented with a tab; YAML needs spaces: indent with spaces"
            } else {
                "there is a tab here; use a space instead (YAML does not allow tabs here)"
            };
            return (
                line,
                tab,
                format!("{plain} (this is not valid YAML: {info})"),
            );
        }
    }
    if info.contains("did not find expected") {
        // `[Tartu, #Viljandi]`: after a space the `#` starts a comment that hides the `]`.
        let found = (1..=at_line).rev().find_map(|l| {
            let text = b.line(l);
            // Only a list that starts the value and is still open where the `#` comes.
            let (_, value) = text.split_once(": ")?;
            let open = text.len() - value.trim_start().len();
            let hash = text[open..].find(" #")? + open + 1;
            if !value.trim_start().starts_with('[') || text[open..hash].contains(']') {
                return None;
            }
            Some((l, text[..hash].chars().count()))
        });
        if let Some((line, col)) = found {
            let plain = "write tags without `#` (Herald adds it); in YAML a `#` after a space \
                         starts a comment, which hides the rest of the line";
            return (
                line,
                col,
                format!("{plain} (this is not valid YAML: {info})"),
            );
        }
    }
    let (col, message) = explain_on_line(b.line(at_line), col, info);
    (at_line, col, message)
}

fn explain_on_line(line: &str, col: usize, info: &str) -> (usize, String) {
    let technical = format!("this is not valid YAML: {info}");
    let chars: Vec<char> = line.chars().collect();
    let at = |c: usize| chars.get(c).copied();
    let key = line
        .split_once(':')
        .map(|(k, _)| k.trim().trim_start_matches("- ").trim())
        .filter(|k| !k.is_empty() && !k.contains(char::is_whitespace))
        .unwrap_or("the value");
    if info.contains("mapping values are not allowed") && at(col) == Some(':') {
        let value = line.split_once(": ").map_or("", |(_, v)| v.trim());
        let plain = format!(
            "the `{key}` has a colon followed by a space, which YAML reads as a new field; \
             put the {key} in quotes: `{key}: \"{}\"`",
            value.replace('"', "\\\"")
        );
        return (col, format!("{plain} ({technical})"));
    }
    if info.contains("comments must be separated") && at(col) == Some('#') {
        let plain = "write tags without `#` (Herald adds it); in YAML a `#` starts a comment";
        return (col, format!("{plain} ({technical})"));
    }
    if info.contains("quoted scalar") {
        // The parser reports where the quoted text began; find its opening quote.
        let open = (0..=col.min(chars.len().saturating_sub(1)))
            .rev()
            .find(|&c| matches!(at(c), Some('"' | '\'')));
        if let Some(open) = open {
            let q = chars[open];
            let plain = format!(
                "this quote is never closed; add the closing `{q}` at the end of the {key}"
            );
            return (open, format!("{plain} ({technical})"));
        }
    }
    (col, technical)
}

enum Open {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Key, Node)>, Option<Key>),
}

struct Builder<'t> {
    first_line: usize,
    /// The parsed text by line, to point messages at the character that went wrong.
    lines: Vec<&'t str>,
    stack: Vec<Open>,
    root: Option<Node>,
}

impl Builder<'_> {
    /// The text of 0-based `line`, or "" past the end.
    fn line(&self, line: usize) -> &str {
        line.checked_sub(1)
            .and_then(|l| self.lines.get(l))
            .copied()
            .unwrap_or("")
    }

    fn pos_of(&self, line: usize, col: usize) -> Pos {
        Pos::new(line + self.first_line - 1, col + 1)
    }

    fn span_pos(&self, span: Span) -> Pos {
        self.pos_of(span.start.line(), span.start.col())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let pos = self.span_pos(span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.refuse_extras(pos, anchor, tag.is_some())?;
                let plain = style == ScalarStyle::Plain;
                let pos = if plain && text.is_empty() {
                    self.comment_item(span).unwrap_or(pos)
                } else {
                    pos
                };
                self.add(Node {
                    pos,
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain,
                    },
                })
            }
            Event::SequenceStart(anchor, tag) => {
                self.refuse_extras(pos, anchor, tag.is_some())?;
                self.open(pos, Open::Seq(pos, Vec::new()))
            }
            Event::MappingStart(anchor, tag) => {
                self.refuse_extras(pos, anchor, tag.is_some())?;
                self.open(pos, Open::Map(pos, Vec::new(), None))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Open::Seq(pos, items)) => Node {
                        pos,
                        value: Value::Seq(items),
                    },
                    Some(Open::Map(pos, entries, _)) => Node {
                        pos,
                        value: Value::Map(entries),
                    },
                    None => return Ok(()),
                };
                self.add(node)
            }
            Event::Alias(_) => Err(YamlError {
                pos,
                message: "aliases (`*name`) are not supported in front matter; write the value out"
                    .into(),
            }),
            Event::DocumentStart(_) if self.root.is_some() => Err(YamlError {
                pos,
                message:
                    "the front matter holds more than one YAML document; remove the extra `---`"
                        .into(),
            }),
            _ => Ok(()),
        }
    }

    /// An empty list item written `- #word`: YAML reads the `#word` as a comment, so point at
    /// the `#` (the item's own position is the end of the line).
    fn comment_item(&self, span: Span) -> Option<Pos> {
        if !matches!(self.stack.last(), Some(Open::Seq(..))) {
            return None;
        }
        let line = span.start.line();
        let text = self.line(line);
        let dash = text.find("- #")?;
        let col = text[..dash + 2].chars().count();
        Some(self.pos_of(line, col))
    }

    fn refuse_extras(&self, pos: Pos, anchor: usize, tagged: bool) -> Result<(), YamlError> {
        if anchor != 0 {
            return Err(YamlError {
                pos,
                message: "anchors (`&name`) are not supported in front matter; write the value out"
                    .into(),
            });
        }
        if tagged {
            return Err(YamlError {
                pos,
                message: "YAML tags (`!name`) are not supported in front matter; remove the tag"
                    .into(),
            });
        }
        Ok(())
    }

    fn open(&mut self, pos: Pos, open: Open) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                pos,
                message: format!("the front matter is nested more than {MAX_DEPTH} levels deep"),
            });
        }
        if let Some(Open::Map(_, _, None)) = self.stack.last() {
            return Err(YamlError {
                pos,
                message: "a field name must be plain text, not a list or a set of fields".into(),
            });
        }
        self.stack.push(open);
        Ok(())
    }

    fn add(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Open::Seq(_, items)) => {
                items.push(node);
                Ok(())
            }
            Some(Open::Map(_, entries, pending)) => match pending.take() {
                Some(key) => {
                    entries.push((key, node));
                    Ok(())
                }
                None => {
                    let Value::Scalar { text, .. } = node.value else {
                        unreachable!("collections as keys are refused in `open`")
                    };
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == text) {
                        return Err(YamlError {
                            pos: node.pos,
                            message: format!(
                                "`{text}` appears twice (first at line {}); keep one",
                                first.pos.line
                            ),
                        });
                    }
                    *pending = Some(Key {
                        name: text,
                        pos: node.pos,
                    });
                    Ok(())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &[(Key, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("expected a map, got {other:?}"),
        }
    }

    #[test]
    fn positions_are_file_positions() {
        let root = parse("title: Hello\ntags:\n  - a\n  - b\n", 2)
            .unwrap()
            .unwrap();
        let entries = map(&root);
        assert_eq!(entries[0].0.pos, Pos::new(2, 1));
        assert_eq!(entries[0].1.pos, Pos::new(2, 8));
        let Value::Seq(items) = &entries[1].1.value else {
            panic!()
        };
        assert_eq!(items[1].pos, Pos::new(5, 5));
    }

    #[test]
    fn duplicate_keys_are_refused_at_the_second() {
        let err = parse("title: a\nsummary: b\ntitle: c\n", 2).unwrap_err();
        assert_eq!(err.pos, Pos::new(4, 1));
        assert!(err.message.contains("first at line 2"), "{}", err.message);
    }

    #[test]
    fn aliases_and_tags_are_refused() {
        assert!(parse("a: &x 1\nb: *x\n", 1).is_err());
        assert!(parse("a: !!str 1\n", 1).is_err());
    }

    #[test]
    fn quoted_scalars_are_never_null_or_bool() {
        let root = parse("a: 'true'\nb: true\nc: ''\nd:\n", 1)
            .unwrap()
            .unwrap();
        let e = map(&root);
        assert_eq!(e[0].1.as_bool(), None);
        assert_eq!(e[1].1.as_bool(), Some(true));
        assert!(!e[2].1.is_null());
        assert!(e[3].1.is_null());
    }

    #[test]
    fn a_hash_is_blamed_only_in_a_list_still_open() {
        let err = parse("tags: [Tartu, #Viljandi]\n", 2).unwrap_err();
        assert_eq!(err.pos, Pos::new(2, 15));
        assert!(
            err.message.starts_with("write tags without `#`"),
            "{}",
            err.message
        );
        // A plain value that merely holds `[1] #x` is not the culprit of a later error.
        let err = parse("summary: see [1] #x\ntags: [a\n", 2).unwrap_err();
        assert!(
            err.message.starts_with("this is not valid YAML"),
            "{}",
            err.message
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "a: ".to_string() + &"[".repeat(40) + &"]".repeat(40);
        assert!(parse(&deep, 1).unwrap_err().message.contains("nested"));
    }
}
