//! The architecture check, with the project's own tools: the top-level modules of `src/`
//! import each other without a cycle, `cmd` is imported by `main.rs` alone, and every
//! file begins with a `//!` module doc. `scripts/module-graph` prints the whole graph.
//!
//! What counts as an import is in [`scan`]: code paths and `use` items naming
//! `crate::Y` (grouped and nested too), a `super::` that climbs to the root, `herald::Y`
//! in the binary; `#[cfg(test)]` code counts; comments, doc comments and string
//! literals do not. [`checker`] runs the check on small fake trees so it cannot pass by
//! reading nothing.

mod checker;
mod graph;
mod scan;

use crate::harness::project_root;
use graph::{Format, Graph};

/// The failure message when `graph` has a cycle between top-level modules.
pub fn cycle_problems(graph: &Graph) -> Option<String> {
    let cycles = graph.cycles();
    (!cycles.is_empty()).then(|| {
        let edges = Graph::edges_on(&cycles);
        format!(
            "src/ has {}{} import cycle(s) between top-level modules, through these {} edges \
             (each with one file:line that makes it):\n{}every cycle:\n{}",
            if cycles.len() >= graph::MAX_CYCLES {
                "at least "
            } else {
                ""
            },
            cycles.len(),
            edges.len(),
            graph.describe_edges(&edges),
            graph.describe_cycles(&cycles)
        )
    })
}

/// The failure message when a module other than `main` imports `cmd`.
pub fn cmd_problems(graph: &Graph) -> Option<String> {
    let mut text = String::new();
    for ((from, to), sites) in &graph.edges {
        if to == "cmd" && from != "main" {
            for site in sites {
                let note = if site.test {
                    " (#[cfg(test)] code)"
                } else {
                    ""
                };
                text.push_str(&format!(
                    "    {from} → cmd: {}:{}{note}\n",
                    site.file, site.line
                ));
            }
        }
    }
    (!text.is_empty()).then(|| {
        format!(
            "`cmd` (the commands) may be imported by src/main.rs alone; these modules import it:\n{text}"
        )
    })
}

/// The failure message when a file does not begin with a `//!` module doc.
pub fn doc_problems(graph: &Graph) -> Option<String> {
    (!graph.undocumented.is_empty()).then(|| {
        format!(
            "every file in src/ begins with a `//!` module doc saying what it owns; these do not:\n    {}",
            graph.undocumented.join("\n    ")
        )
    })
}

fn src_graph() -> Graph {
    Graph::read(&project_root().join("src"))
}

#[test]
fn src_has_no_import_cycle_between_top_level_modules() {
    if let Some(problem) = cycle_problems(&src_graph()) {
        panic!("{problem}");
    }
}

#[test]
fn cmd_is_imported_by_main_alone() {
    if let Some(problem) = cmd_problems(&src_graph()) {
        panic!("{problem}");
    }
}

#[test]
fn every_file_in_src_begins_with_a_module_doc() {
    if let Some(problem) = doc_problems(&src_graph()) {
        panic!("{problem}");
    }
}

/// Reads the real `src/` and checks that the reading saw it: every module `lib.rs`
/// declares is a node, the binary's edge to `cmd` is there, and so are many others.
/// Prints the graph (`--nocapture`), or writes it to `$HERALD_MODULE_GRAPH_OUT` in
/// `$HERALD_MODULE_GRAPH_FORMAT` (`edges`, `sites` or `dot`): `scripts/module-graph`.
#[test]
fn the_module_graph_is_read_from_every_file_in_src() {
    let graph = src_graph();
    let format = std::env::var("HERALD_MODULE_GRAPH_FORMAT").unwrap_or_else(|_| "edges".into());
    let format = Format::named(&format).unwrap_or_else(|| {
        panic!("HERALD_MODULE_GRAPH_FORMAT is edges, sites or dot, not {format}")
    });
    let text = graph.render(format);
    match std::env::var_os("HERALD_MODULE_GRAPH_OUT") {
        Some(path) => std::fs::write(&path, &text).expect("write the module graph"),
        None => println!("{text}"),
    }

    let lib = std::fs::read_to_string(project_root().join("src/lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("pub mod ")
                .or(l.trim().strip_prefix("mod "))
        })
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert!(declared.len() >= 10, "lib.rs declares {declared:?}");
    for module in &declared {
        assert!(
            graph.modules.contains(*module),
            "lib.rs declares `{module}`, which the check did not find: {:?}",
            graph.modules
        );
    }
    assert_eq!(
        graph.modules.len(),
        declared.len(),
        "a module on disk that lib.rs does not declare: {:?}",
        graph.modules
    );
    assert!(graph.files.len() > graph.modules.len(), "{:?}", graph.files);
    assert!(
        graph
            .edges
            .contains_key(&("main".to_owned(), "cmd".to_owned())),
        "no edge main → cmd (src/main.rs runs the commands): the check misses references"
    );
    let from_modules = graph
        .edges
        .keys()
        .filter(|(from, _)| from != "main")
        .count();
    assert!(
        from_modules >= 20,
        "only {from_modules} edges between modules"
    );
}
