//! The architecture check on small fake `src/` trees, each written to a temporary folder:
//! what it must see (a cycle, grouped and nested `use`, paths in code, `#[cfg(test)]`
//! code, a `super::` that climbs to the root) and what it must not (comments, doc
//! comments, intra-doc links, string and char literals).

use super::graph::{Format, Graph};
use super::{cmd_problems, cycle_problems, doc_problems};

/// A fake crate: `files` as (path below `src/`, text). Files whose text does not start
/// with a module doc get one, unless the test is about that.
fn tree(files: &[(&str, &str)]) -> Graph {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for (rel, text) in files {
        let path = src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    Graph::read(&src)
}

fn documented(files: &[(&str, &str)]) -> Graph {
    let with_docs: Vec<(&str, String)> = files
        .iter()
        .map(|(rel, text)| (*rel, format!("//! {rel}\n{text}")))
        .collect();
    let borrowed: Vec<(&str, &str)> = with_docs.iter().map(|(r, t)| (*r, t.as_str())).collect();
    tree(&borrowed)
}

/// Every edge as `from → to @ line` (line of its first reference), `[test]` when every
/// reference is in test code.
fn edges(graph: &Graph) -> Vec<String> {
    graph
        .edges
        .iter()
        .map(|((from, to), sites)| {
            let test = if sites.iter().all(|s| s.test) {
                " [test]"
            } else {
                ""
            };
            format!("{from} → {to} @ {}:{}{test}", sites[0].file, sites[0].line)
        })
        .collect()
}

const LIB: &str = "pub mod a;\npub mod b;\npub mod c;\n";

#[test]
fn a_cycle_is_printed_with_one_file_and_line_per_edge() {
    let graph = documented(&[
        ("lib.rs", LIB),
        ("a.rs", "use crate::b::Thing;\n"),
        ("b/mod.rs", "mod inner;\n"),
        ("b/inner.rs", "\n\npub fn f() -> crate::c::C { todo!() }\n"),
        ("c.rs", "pub struct C;\nfn g() { crate::a::h(); }\n"),
    ]);
    assert_eq!(
        edges(&graph),
        [
            "a → b @ src/a.rs:2",
            "b → c @ src/b/inner.rs:4",
            "c → a @ src/c.rs:3",
        ]
    );
    assert_eq!(graph.cycles(), [vec!["a", "b", "c"]]);
    assert_eq!(
        cycle_problems(&graph).unwrap(),
        "src/ has 1 import cycle(s) between top-level modules, through these 3 edges \
         (each with one file:line that makes it):\n\
         \x20   a → b: src/a.rs:2\n    b → c: src/b/inner.rs:4\n    c → a: src/c.rs:3\n\
         every cycle:\na → b → c → a\n    a → b: src/a.rs:2\n    b → c: src/b/inner.rs:4\n    c → a: src/c.rs:3\n"
    );
}

#[test]
fn every_cycle_is_found_not_only_one_per_group() {
    let graph = documented(&[
        ("lib.rs", LIB),
        ("a.rs", "use crate::b::X;\nuse crate::c::Y;\n"),
        ("b.rs", "use crate::a::Z;\n"),
        ("c.rs", "use crate::a::Z;\nuse crate::b::X;\n"),
    ]);
    assert_eq!(
        graph.cycles(),
        [vec!["a", "b"], vec!["a", "c"], vec!["a", "c", "b"]]
    );
    let text = cycle_problems(&graph).unwrap();
    assert!(text.contains("through these 5 edges"), "{text}");
    assert!(text.contains("\na → b → a\n"), "{text}");
    assert!(text.contains("\na → c → b → a\n"), "{text}");
    assert!(text.contains("    b → a: src/b.rs:2\n"), "{text}");
}

#[test]
fn references_in_comments_and_doc_comments_do_not_count() {
    let graph = documented(&[
        ("lib.rs", LIB),
        (
            "a.rs",
            "//! Uses [`crate::b::Thing`], see crate::c::C.\n\
             /// Like [crate::b::Other] or [`Other`](crate::b::Other).\n\
             pub fn f() {} // crate::b::f()\n\
             /* crate::b::x /* nested crate::c::y */ still a comment crate::b::z */\n\
             /** crate::c::doc */\nfn g() {}\n",
        ),
        ("b.rs", "use crate::a::f;\n"),
        ("c.rs", ""),
    ]);
    assert_eq!(edges(&graph), ["b → a @ src/b.rs:2"]);
    assert!(cycle_problems(&graph).is_none());
}

#[test]
fn string_and_char_literals_do_not_count() {
    let graph = documented(&[
        ("lib.rs", LIB),
        (
            "a.rs",
            "const S: &str = \"use crate::b::X; \\\" crate::b::Y\";\n\
             const R: &str = r##\"crate::b::Z \"# still\"##;\n\
             const B: &[u8] = b\"crate::b::W\";\n\
             const Q: char = '\"'; const E: char = '\\''; fn l<'a>(x: &'a str) -> &'a str { x }\n\
             #[doc = \"crate::b::V\"]\n\
             fn real() { crate::c::f(); }\n",
        ),
        ("b.rs", "use crate::a::real;\n"),
        ("c.rs", "pub fn f() {}\n"),
    ]);
    assert_eq!(edges(&graph), ["a → c @ src/a.rs:7", "b → a @ src/b.rs:2"]);
}

#[test]
fn grouped_and_nested_use_items_name_each_module() {
    let graph = documented(&[
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub mod e;\n",
        ),
        (
            "a.rs",
            "use crate::{\n    b::{self, B},\n    c::{x::{Y, Z}, W},\n};\nuse crate::{self as root, d};\n\
             pub(crate) fn f() {}\npub(in crate::a) fn g() {}\n",
        ),
        ("b.rs", ""),
        ("c.rs", ""),
        ("d.rs", ""),
        ("e.rs", "use super::a::f;\nuse super::{b, c::W};\n"),
    ]);
    assert_eq!(
        edges(&graph),
        [
            "a → b @ src/a.rs:3",
            "a → c @ src/a.rs:4",
            "a → d @ src/a.rs:6",
            "e → a @ src/e.rs:2",
            "e → b @ src/e.rs:3",
            "e → c @ src/e.rs:3",
        ]
    );
}

#[test]
fn super_stays_inside_its_module_unless_it_climbs_to_the_root() {
    let graph = documented(&[
        ("lib.rs", LIB),
        (
            "a/mod.rs",
            "mod x;\nmod y;\nmod tests {\n    use super::x::X;\n    use super::super::b::B;\n}\n",
        ),
        ("a/x.rs", "use super::y::Y;\nuse super::super::c::C;\n"),
        ("a/y.rs", "use super::{x, y};\n"),
        ("b.rs", "use self::inner::I;\nmod inner { pub struct I; }\n"),
        ("c.rs", ""),
    ]);
    assert_eq!(
        edges(&graph),
        ["a → b @ src/a/mod.rs:6", "a → c @ src/a/x.rs:3"]
    );
}

#[test]
fn cfg_test_blocks_count_and_the_failure_says_when_they_close_a_cycle() {
    let graph = documented(&[
        ("lib.rs", LIB),
        ("a.rs", "use crate::b::B;\n"),
        (
            "b.rs",
            "pub struct B;\n#[cfg(test)]\nmod tests {\n    use crate::a::A;\n    fn t() { let _ = [0u8; 2]; }\n}\n\
             fn after() { crate::c::f(); }\n",
        ),
        ("c.rs", "#[cfg(test)]\nmod tests;\n"),
        ("c/tests.rs", "use crate::b::B;\n"),
    ]);
    assert_eq!(
        edges(&graph),
        [
            "a → b @ src/a.rs:2",
            "b → a @ src/b.rs:5 [test]",
            "b → c @ src/b.rs:8",
            "c → b @ src/c/tests.rs:2 [test]",
        ]
    );
    let text = cycle_problems(&graph).unwrap();
    assert!(text.contains("a → b → a\n"), "{text}");
    assert!(
        text.contains("    b → a: src/b.rs:5  (only in #[cfg(test)] code)\n"),
        "{text}"
    );
    assert!(
        text.contains("this cycle is closed by #[cfg(test)] code"),
        "{text}"
    );
    assert!(text.contains("b → c → b\n"), "{text}");
}

#[test]
fn the_binary_reaches_the_library_by_its_name_and_only_it_may_import_cmd() {
    let graph = documented(&[
        ("lib.rs", "pub mod cmd;\npub mod a;\npub mod b;\n"),
        (
            "main.rs",
            "use herald::{a::A, cmd};\nfn main() { herald::b::go(); }\n",
        ),
        ("cmd/mod.rs", "use crate::a::A;\n"),
        ("a.rs", "pub struct A;\n"),
        (
            "b.rs",
            "pub fn go() { let _ = \"crate::cmd\"; }\n#[cfg(test)]\nuse crate::cmd::run;\n",
        ),
    ]);
    assert_eq!(
        edges(&graph),
        [
            "b → cmd @ src/b.rs:4 [test]",
            "cmd → a @ src/cmd/mod.rs:2",
            "main → a @ src/main.rs:2",
            "main → b @ src/main.rs:3",
            "main → cmd @ src/main.rs:2",
        ]
    );
    assert_eq!(
        cmd_problems(&graph).unwrap(),
        "`cmd` (the commands) may be imported by src/main.rs alone; these modules import it:\n    \
         b → cmd: src/b.rs:4 (#[cfg(test)] code)\n"
    );
    let fixed = documented(&[
        ("lib.rs", "pub mod cmd;\npub mod a;\n"),
        ("main.rs", "use herald::cmd;\n"),
        ("cmd/mod.rs", "use crate::a::A;\n"),
        ("a.rs", "pub struct A;\n"),
    ]);
    assert_eq!(cmd_problems(&fixed), None);
    assert_eq!(cycle_problems(&fixed), None);
}

#[test]
fn a_file_without_a_module_doc_is_named() {
    let graph = tree(&[
        ("lib.rs", "//! The crate.\npub mod a;\npub mod b;\n"),
        ("a.rs", "//! What a owns.\n"),
        ("b/mod.rs", "//! What b owns.\nmod c;\n"),
        ("b/c.rs", "/// Not a module doc.\npub fn f() {}\n"),
        ("b/d.rs", "\n//! Not at the top.\n"),
    ]);
    assert_eq!(
        doc_problems(&graph).unwrap(),
        "every file in src/ begins with a `//!` module doc saying what it owns; these do not:\n    \
         src/b/c.rs\n    src/b/d.rs"
    );
}

#[test]
fn the_printed_graph_lists_every_edge_and_cycle() {
    let graph = documented(&[
        ("lib.rs", LIB),
        ("a.rs", "use crate::b::B;\nuse crate::c::C;\n"),
        ("b.rs", "#[cfg(test)]\nuse crate::a::A;\n"),
        ("c.rs", ""),
    ]);
    assert_eq!(
        graph.render(Format::Edges),
        "# 4 nodes, 3 edges; `a → b  N  FILE:LINE`: N references to b in a, the first \
         outside tests; [tests only] = every reference is #[cfg(test)] code\n\
         a → b  1  src/a.rs:2\na → c  1  src/a.rs:3\nb → a  1  src/b.rs:3  [tests only]\n\
         # 1 cycles, through these 2 edges:\n\
         \x20   a → b: src/a.rs:2\n    b → a: src/b.rs:3  (only in #[cfg(test)] code)\n\
         # every cycle:\na → b → a\n    a → b: src/a.rs:2\n    b → a: src/b.rs:3  (only in #[cfg(test)] code)\n\
         \x20   this cycle is closed by #[cfg(test)] code: the edge marked above exists only in \
         tests, which count as imports too\n"
    );
    let dot = graph.render(Format::Dot);
    assert!(
        dot.contains("\"a\" -> \"b\" [label=\"1\", color=red];"),
        "{dot}"
    );
    assert!(
        dot.contains("\"b\" -> \"a\" [label=\"1\", style=dashed, color=red];"),
        "{dot}"
    );
    assert!(dot.contains("\"a\" -> \"c\" [label=\"1\"];"), "{dot}");
}

#[test]
fn a_tangle_of_modules_stops_at_a_thousand_cycles_and_says_so() {
    // Eight modules each importing all the others: 16,064 elementary cycles.
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let lib: String = names.iter().map(|n| format!("pub mod {n};\n")).collect();
    let bodies: Vec<(String, String)> = names
        .iter()
        .map(|n| {
            let uses: String = names
                .iter()
                .filter(|m| *m != n)
                .map(|m| format!("use crate::{m}::X;\n"))
                .collect();
            (format!("{n}.rs"), uses)
        })
        .collect();
    let mut files = vec![("lib.rs", lib.as_str())];
    files.extend(bodies.iter().map(|(r, t)| (r.as_str(), t.as_str())));
    let graph = documented(&files);
    assert_eq!(graph.edges.len(), 56);
    assert_eq!(graph.cycles().len(), super::graph::MAX_CYCLES);
    let text = cycle_problems(&graph).unwrap();
    assert!(
        text.starts_with("src/ has at least 1000 import cycle(s)"),
        "{}",
        &text[..200]
    );
}
