//! Reading one Rust source file for the architecture check: a small lexer that drops
//! comments (doc comments and intra-doc links too), string, byte, C and raw string
//! literals and char literals, then the paths in what is left that leave the file's
//! top-level module for another one (`crate::Y`, `use crate::{a::B, c}`, a `super::`
//! that climbs out to the crate root, `herald::Y` in the binary), each with its line and
//! whether it sits in `#[cfg(test)]` code.

use std::collections::BTreeSet;

/// Where a file sits in the crate, which decides what its paths can reach.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    /// `src/lib.rs`: the crate root, where `self::Y` and a bare `Y::…` name module `Y`.
    Root,
    /// `src/main.rs`: the binary, a crate of its own that reaches the library as `herald::`.
    Binary,
    /// A module file `depth` levels below the root (`src/x.rs` and `src/x/mod.rs` are 1,
    /// `src/x/y.rs` is 2).
    Module { depth: usize },
}

/// A path in code that names the crate root's item `name` (a top-level module, when
/// `name` is one).
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub name: String,
    pub line: usize,
    /// Inside an item marked `#[cfg(test)]` (a `mod tests { … }` block, say).
    pub test: bool,
}

/// What one file says about the module graph.
#[derive(Debug, Default)]
pub struct Scanned {
    pub references: Vec<Reference>,
    /// Child modules declared out of line under `#[cfg(test)]` (`#[cfg(test)] mod tests;`):
    /// their files are test code throughout.
    pub test_children: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// A string, char or number literal (its text does not matter here).
    Literal,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    line: usize,
}

impl Token {
    fn is_ident(&self, word: &str) -> bool {
        matches!(&self.kind, Kind::Ident(w) if w == word)
    }
    fn is(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }
}

fn ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The tokens of `text` with comments and literals' contents gone. Lenient: it never
/// fails, since the compiler has already accepted the file.
fn lex(text: &str) -> Vec<Token> {
    let s: Vec<char> = text.chars().collect();
    let at = |i: usize| s.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let start_line = line;
        let push = |kind: Kind, out: &mut Vec<Token>| {
            out.push(Token {
                kind,
                line: start_line,
            })
        };
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            // Block comments nest.
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if s[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some(after) = raw_string_start(&s, i) {
            // r"…", r#"…"#, br"…", cr#"…"#: no escapes, ends at `"` and as many `#`.
            let hashes = after.1;
            i = after.0;
            while i < s.len() {
                if s[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                if s[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            push(Kind::Literal, &mut out);
        } else if c == '"' || ((c == 'b' || c == 'c') && at(i + 1) == '"') {
            i += if c == '"' { 1 } else { 2 };
            while i < s.len() && s[i] != '"' {
                if s[i] == '\\' {
                    i += 1;
                }
                if at(i) == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
            push(Kind::Literal, &mut out);
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            let q = if c == '\'' { i } else { i + 1 };
            if at(q + 1) == '\\' || at(q + 2) == '\'' {
                // A char literal: 'a', '\'', '\u{1F600}', b'"'; an escape's first
                // character is skipped, so that '\'' ends at its last quote.
                i = if at(q + 1) == '\\' { q + 3 } else { q + 2 };
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
                push(Kind::Literal, &mut out);
            } else {
                // A lifetime or label: 'a, 'static.
                i = q + 1;
                while i < s.len() && ident_continue(s[i]) {
                    i += 1;
                }
            }
        } else if c == 'r' && at(i + 1) == '#' && ident_start(at(i + 2)) {
            // A raw identifier: r#type.
            i += 2;
            let from = i;
            while i < s.len() && ident_continue(s[i]) {
                i += 1;
            }
            push(Kind::Ident(s[from..i].iter().collect()), &mut out);
        } else if ident_start(c) {
            let from = i;
            while i < s.len() && ident_continue(s[i]) {
                i += 1;
            }
            push(Kind::Ident(s[from..i].iter().collect()), &mut out);
        } else if c.is_ascii_digit() {
            while i < s.len() && ident_continue(s[i]) {
                i += 1;
            }
            push(Kind::Literal, &mut out);
        } else if c == ':' && at(i + 1) == ':' {
            i += 2;
            push(Kind::PathSep, &mut out);
        } else {
            i += 1;
            push(Kind::Punct(c), &mut out);
        }
    }
    out
}

/// At `i`, a raw string's opening (`r`, `br` or `cr`, some `#`, `"`): where its text
/// starts and how many `#` close it.
fn raw_string_start(s: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if matches!(s.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if s.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while s.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (s.get(j) == Some(&'"')).then_some((j + 1, hashes))
}

/// For each token, whether it belongs to an item under `#[cfg(test)]` (or a `cfg` that
/// needs `test`, such as `cfg(all(test, unix))`), and the out-of-line modules declared so.
fn test_regions(tokens: &[Token]) -> (Vec<bool>, Vec<String>) {
    let mut test = vec![false; tokens.len()];
    let mut children = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some(end) = attribute_end(tokens, i) else {
            i += 1;
            continue;
        };
        if !is_cfg_test(&tokens[i + 2..end]) {
            i = end + 1;
            continue;
        }
        // The item after this and any further attributes.
        let mut start = end + 1;
        while let Some(e) = attribute_end(tokens, start) {
            start = e + 1;
        }
        let stop = item_end(tokens, start);
        for flag in &mut test[i..=stop] {
            *flag = true;
        }
        if let Some(name) = out_of_line_mod(tokens.get(start..=stop).unwrap_or(&[])) {
            children.push(name);
        }
        i = stop + 1;
    }
    (test, children)
}

/// `#[…]` (not `#![…]`) starting at `i`: the index of its closing `]`.
fn attribute_end(tokens: &[Token], i: usize) -> Option<usize> {
    if !(tokens.get(i)?.is('#') && tokens.get(i + 1)?.is('[')) {
        return None;
    }
    let mut depth = 0;
    for (k, t) in tokens.iter().enumerate().skip(i + 1) {
        if t.is('[') {
            depth += 1;
        } else if t.is(']') {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

fn is_cfg_test(attribute: &[Token]) -> bool {
    attribute.first().is_some_and(|t| t.is_ident("cfg"))
        && attribute.iter().any(|t| t.is_ident("test"))
        && !attribute.iter().any(|t| t.is_ident("not"))
}

/// The last token of the item starting at `start`: its `;`, or the `}` closing its body.
/// A `use` item ends at its `;` whatever braces its groups have.
fn item_end(tokens: &[Token], start: usize) -> usize {
    let is_use = tokens[start..]
        .iter()
        .take_while(|t| !t.is(';') && !t.is('{'))
        .any(|t| t.is_ident("use"));
    let mut depth = 0i32;
    for (k, t) in tokens.iter().enumerate().skip(start) {
        match &t.kind {
            Kind::Punct('(' | '[' | '{') => depth += 1,
            Kind::Punct(')' | ']') => depth -= 1,
            Kind::Punct('}') => {
                depth -= 1;
                if depth == 0 && !is_use {
                    return k;
                }
            }
            Kind::Punct(';') if depth == 0 => return k,
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

/// `mod name;` (with any visibility in front) at the start of `item`: `name`.
fn out_of_line_mod(item: &[Token]) -> Option<String> {
    let k = item.iter().position(|t| t.is_ident("mod"))?;
    match (&item.get(k + 1)?.kind, item.get(k + 2)?) {
        (Kind::Ident(name), semi) if semi.is(';') => Some(name.clone()),
        _ => None,
    }
}

/// The references in one file placed at `place`; `modules` are the crate's top-level
/// module names (a bare `Y::` in the root names one of them, or nothing of ours).
pub fn scan(text: &str, place: Place, modules: &BTreeSet<String>) -> Scanned {
    let tokens = lex(text);
    let (test, test_children) = test_regions(&tokens);
    let mut references = Vec::new();
    let mut refer = |name: &str, k: usize| {
        references.push(Reference {
            name: name.to_owned(),
            line: tokens[k].line,
            test: test[k],
        })
    };
    let file_depth = match place {
        Place::Root | Place::Binary => 0,
        Place::Module { depth } => depth,
    };
    // Inline `mod name { … }` blocks open at these delimiter depths.
    let mut inline: Vec<i32> = Vec::new();
    let mut depth = 0i32;
    let sep = |k: usize| tokens.get(k).is_some_and(|t| t.kind == Kind::PathSep);
    for k in 0..tokens.len() {
        let t = &tokens[k];
        match &t.kind {
            Kind::Punct('(' | '[' | '{') => {
                depth += 1;
                let opens_mod = k >= 2
                    && t.is('{')
                    && tokens[k - 2].is_ident("mod")
                    && matches!(tokens[k - 1].kind, Kind::Ident(_));
                if opens_mod {
                    inline.push(depth);
                }
                continue;
            }
            Kind::Punct(')' | ']' | '}') => {
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
                depth -= 1;
                continue;
            }
            Kind::Ident(_) => {}
            _ => continue,
        }
        let path_start = k == 0 || !sep(k - 1);
        if !path_start || !sep(k + 1) {
            continue;
        }
        let Kind::Ident(word) = &t.kind else { continue };
        // The index of the segment after the path's way to the crate root, if it has one.
        let at_root = match (word.as_str(), place) {
            ("crate", Place::Root | Place::Module { .. }) => Some(k + 2),
            ("herald", Place::Binary) => Some(k + 2),
            ("self", Place::Root) if inline.is_empty() => Some(k + 2),
            ("super", Place::Root | Place::Module { .. }) => {
                let mut j = k;
                let mut climbs = 0;
                while tokens.get(j).is_some_and(|t| t.is_ident("super")) && sep(j + 1) {
                    climbs += 1;
                    j += 2;
                }
                (climbs == file_depth + inline.len()).then_some(j)
            }
            (name, Place::Root) if inline.is_empty() && modules.contains(name) => {
                refer(name, k);
                None
            }
            _ => None,
        };
        let Some(j) = at_root else { continue };
        match tokens.get(j).map(|t| &t.kind) {
            Some(Kind::Ident(name)) if name != "self" => refer(name, j),
            Some(Kind::Punct('{')) => {
                // A group: the first segment of each member at its top level.
                let mut level = 0;
                let mut expect_name = false;
                for (m, g) in tokens.iter().enumerate().skip(j) {
                    match &g.kind {
                        Kind::Punct('{') => {
                            level += 1;
                            expect_name = level == 1;
                            continue;
                        }
                        Kind::Punct('}') => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        Kind::Punct(',') if level == 1 => {
                            expect_name = true;
                            continue;
                        }
                        Kind::Ident(name) if expect_name && name != "self" => refer(name, m),
                        _ => {}
                    }
                    expect_name = false;
                }
            }
            _ => {}
        }
    }
    Scanned {
        references,
        test_children,
    }
}
