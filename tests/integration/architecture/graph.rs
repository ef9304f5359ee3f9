//! The import graph between a crate's top-level modules, read from its `src/` folder:
//! a module is `src/X.rs` or `src/X/**` (the root `src/lib.rs` is `lib`, the binary
//! `src/main.rs` is `main`), and an edge `a → b` keeps every file:line in `a` whose code
//! names `b` (see [`super::scan`]). Finds every cycle and prints the graph for people.

use super::scan::{self, Place};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// One reference that makes an edge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    /// The file, as `src/…`.
    pub file: String,
    pub line: usize,
    /// In `#[cfg(test)]` code (a `mod tests` block, or a file declared under it).
    pub test: bool,
}

impl Site {
    fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// Where [`Graph::cycles`] stops counting: a tangle of modules can have more elementary
/// cycles than anyone reads, and the edges on the first ones are where to start.
pub const MAX_CYCLES: usize = 1000;

pub struct Graph {
    /// Every node: the top-level modules, and `lib` and `main` when those files exist.
    pub nodes: BTreeSet<String>,
    /// The top-level modules alone (what `crate::NAME` can name besides root items).
    pub modules: BTreeSet<String>,
    /// `(from, to)` → the references that make the edge, in file and line order.
    pub edges: BTreeMap<(String, String), Vec<Site>>,
    /// Every `.rs` file read, as `src/…`.
    pub files: Vec<String>,
    /// Files whose first line is not a `//!` module doc.
    pub undocumented: Vec<String>,
}

/// How [`Graph::render`] prints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    /// One line per edge: how many references, and the first.
    Edges,
    /// One line per reference.
    Sites,
    /// Graphviz: edges only in test code dashed, edges on a cycle red.
    Dot,
}

impl Format {
    pub fn named(name: &str) -> Option<Format> {
        match name {
            "edges" => Some(Format::Edges),
            "sites" => Some(Format::Sites),
            "dot" => Some(Format::Dot),
            _ => None,
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// `src/…` with `/` separators, for messages.
fn label(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("src/{}", parts.join("/"))
}

/// The node a file belongs to, and where it sits in the crate.
fn node_and_place(rel: &Path) -> (String, Place) {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [one] if one == "lib.rs" => ("lib".to_owned(), Place::Root),
        [one] if one == "main.rs" => ("main".to_owned(), Place::Binary),
        _ => {
            let top = parts[0].trim_end_matches(".rs").to_owned();
            let depth = parts.len() - usize::from(parts.last().unwrap() == "mod.rs");
            (top, Place::Module { depth })
        }
    }
}

/// The folder holding the children of the module in file `rel` (`x.rs` and `x/mod.rs`
/// keep theirs in `x/`, the root in `src/`).
fn children_dir(rel: &Path) -> PathBuf {
    let parent = rel.parent().unwrap_or(Path::new("")).to_owned();
    match rel.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs" | "lib.rs" | "main.rs") => parent,
        _ => parent.join(rel.file_stem().unwrap()),
    }
}

impl Graph {
    /// Reads every `.rs` file under `src`.
    pub fn read(src: &Path) -> Graph {
        let mut paths = Vec::new();
        rust_files(src, &mut paths);
        let rels: Vec<PathBuf> = paths
            .iter()
            .map(|p| p.strip_prefix(src).unwrap().to_owned())
            .collect();
        let mut nodes = BTreeSet::new();
        let mut modules = BTreeSet::new();
        for rel in &rels {
            let (node, place) = node_and_place(rel);
            if matches!(place, Place::Module { .. }) {
                modules.insert(node.clone());
            }
            nodes.insert(node);
        }
        let texts: Vec<String> = paths
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
            })
            .collect();
        let scanned: Vec<scan::Scanned> = rels
            .iter()
            .zip(&texts)
            .map(|(rel, text)| scan::scan(text, node_and_place(rel).1, &modules))
            .collect();
        // Files of modules declared `#[cfg(test)] mod x;`, and everything below them.
        let mut test_only: Vec<PathBuf> = Vec::new();
        for (rel, s) in rels.iter().zip(&scanned) {
            for child in &s.test_children {
                let dir = children_dir(rel);
                test_only.push(dir.join(format!("{child}.rs")));
                test_only.push(dir.join(child));
            }
        }
        let mut edges: BTreeMap<(String, String), Vec<Site>> = BTreeMap::new();
        let mut undocumented = Vec::new();
        for ((rel, s), text) in rels.iter().zip(&scanned).zip(&texts) {
            let (from, _) = node_and_place(rel);
            let whole_file_test = test_only.iter().any(|t| rel.starts_with(t));
            for r in &s.references {
                let to = if modules.contains(&r.name) {
                    r.name.clone()
                } else {
                    "lib".to_owned() // an item of the crate root itself
                };
                if to == from {
                    continue;
                }
                edges.entry((from.clone(), to)).or_default().push(Site {
                    file: label(rel),
                    line: r.line,
                    test: r.test || whole_file_test,
                });
            }
            if !text.starts_with("//!") {
                undocumented.push(label(rel));
            }
        }
        for sites in edges.values_mut() {
            sites.sort();
        }
        Graph {
            nodes,
            modules,
            edges,
            files: rels.iter().map(|r| label(r)).collect(),
            undocumented,
        }
    }

    fn targets(&self, from: &str) -> impl Iterator<Item = &str> {
        self.edges
            .keys()
            .filter(move |(f, _)| f == from)
            .map(|(_, t)| t.as_str())
    }

    /// Every elementary cycle (up to [`MAX_CYCLES`]), each as its nodes from its
    /// smallest name on (the first node is not repeated at the end), in a stable order.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for start in &self.nodes {
            let mut path = vec![start.as_str()];
            self.cycles_from(start, start, &mut path, &mut out);
        }
        out
    }

    fn cycles_from<'g>(
        &'g self,
        start: &str,
        at: &str,
        path: &mut Vec<&'g str>,
        out: &mut Vec<Vec<String>>,
    ) {
        for next in self.targets(at) {
            if out.len() >= MAX_CYCLES {
                return;
            }
            if next == start {
                out.push(path.iter().map(|s| (*s).to_owned()).collect());
            } else if next > start && !path.contains(&next) {
                path.push(next);
                self.cycles_from(start, next, path, out);
                path.pop();
            }
        }
    }

    /// The site printed for an edge: its first reference outside test code, else its
    /// first reference, and whether the edge exists only in test code.
    pub fn witness(&self, from: &str, to: &str) -> (&Site, bool) {
        let sites = &self.edges[&(from.to_owned(), to.to_owned())];
        match sites.iter().find(|s| !s.test) {
            Some(site) => (site, false),
            None => (&sites[0], true),
        }
    }

    /// The edges that lie on at least one of `cycles`, in order.
    pub fn edges_on(cycles: &[Vec<String>]) -> BTreeSet<(String, String)> {
        cycles
            .iter()
            .flat_map(|c| (0..c.len()).map(|i| (c[i].clone(), c[(i + 1) % c.len()].clone())))
            .collect()
    }

    /// Each edge of `edges` with the one file:line [`Graph::witness`] picks.
    pub fn describe_edges(&self, edges: &BTreeSet<(String, String)>) -> String {
        let mut text = String::new();
        for (from, to) in edges {
            let (site, test_only) = self.witness(from, to);
            let note = if test_only {
                "  (only in #[cfg(test)] code)"
            } else {
                ""
            };
            writeln!(text, "    {from} → {to}: {}{note}", site.at()).unwrap();
        }
        text
    }

    /// `a → b → a` for each cycle, then each edge with one file:line that makes it.
    pub fn describe_cycles(&self, cycles: &[Vec<String>]) -> String {
        let mut text = String::new();
        for cycle in cycles {
            let mut ring: Vec<&str> = cycle.iter().map(String::as_str).collect();
            ring.push(&cycle[0]);
            writeln!(text, "{}", ring.join(" → ")).unwrap();
            let mut closed_by_tests = false;
            for pair in ring.windows(2) {
                let (site, test_only) = self.witness(pair[0], pair[1]);
                closed_by_tests |= test_only;
                let note = if test_only {
                    "  (only in #[cfg(test)] code)"
                } else {
                    ""
                };
                writeln!(text, "    {} → {}: {}{note}", pair[0], pair[1], site.at()).unwrap();
            }
            if closed_by_tests {
                writeln!(
                    text,
                    "    this cycle is closed by #[cfg(test)] code: the edge marked above \
                     exists only in tests, which count as imports too"
                )
                .unwrap();
            }
        }
        text
    }

    /// The whole graph for a person to read (`scripts/module-graph`).
    pub fn render(&self, format: Format) -> String {
        let cycles = self.cycles();
        let on_cycle = Graph::edges_on(&cycles);
        let mut text = String::new();
        match format {
            Format::Dot => {
                text.push_str("digraph herald_modules {\n    rankdir=LR;\n");
                for node in &self.nodes {
                    writeln!(text, "    \"{node}\";").unwrap();
                }
                for ((from, to), sites) in &self.edges {
                    let mut style = vec![format!("label=\"{}\"", sites.len())];
                    if sites.iter().all(|s| s.test) {
                        style.push("style=dashed".into());
                    }
                    if on_cycle.contains(&(from.clone(), to.clone())) {
                        style.push("color=red".into());
                    }
                    writeln!(text, "    \"{from}\" -> \"{to}\" [{}];", style.join(", ")).unwrap();
                }
                text.push_str("}\n");
                return text;
            }
            Format::Edges => {
                writeln!(
                    text,
                    "# {} nodes, {} edges; `a → b  N  FILE:LINE`: N references to b in a, \
                     the first outside tests; [tests only] = every reference is #[cfg(test)] code",
                    self.nodes.len(),
                    self.edges.len()
                )
                .unwrap();
                for ((from, to), sites) in &self.edges {
                    let (site, test_only) = self.witness(from, to);
                    let note = if test_only { "  [tests only]" } else { "" };
                    writeln!(text, "{from} → {to}  {}  {}{note}", sites.len(), site.at()).unwrap();
                }
            }
            Format::Sites => {
                for ((from, to), sites) in &self.edges {
                    for site in sites {
                        let note = if site.test { "  [test]" } else { "" };
                        writeln!(text, "{from} → {to}  {}{note}", site.at()).unwrap();
                    }
                }
            }
        }
        if cycles.is_empty() {
            text.push_str("# no cycles\n");
        } else {
            let edges = Graph::edges_on(&cycles);
            writeln!(
                text,
                "# {} cycles, through these {} edges:",
                cycles.len(),
                edges.len()
            )
            .unwrap();
            text.push_str(&self.describe_edges(&edges));
            text.push_str("# every cycle:\n");
            text.push_str(&self.describe_cycles(&cycles));
        }
        text
    }
}
