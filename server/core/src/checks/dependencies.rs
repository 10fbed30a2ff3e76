//! Dependencies: dependencies on specs that do not exist (with a "did you mean" by edit
//! distance and a fix), dependency cycles (the whole cycle, reported once per member), and
//! workflow steps whose inputs refer to outputs that do not exist.
//!
//! A dependency resolves when its name equals (case-insensitively, or after slugging) a spec's
//! name, file stem or file name, or when its `from:` path names a spec's file (relative to the
//! workspace or to the depending spec's folder).

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::summary::{DependencySummary, FileSummary, FunctionIo};
use crate::diag::{Diagnostic, TextEdit};
use crate::model::{slug, Dependency, Document, WorkflowStep};
pub use crate::suggest::edit_distance;

/// The closest name within a third of the name's length (at least 1, at most 3 edits).
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Join and normalise a relative path (`a/b/../c` -> `a/c`); None when it leaves the root.
pub fn normalize_path(base_dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let rel = rel.trim();
    let start: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base_dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in start.into_iter().chain(rel.split(['/', '\\'])) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

struct Index<'a> {
    by_alias: HashMap<String, usize>,
    names: Vec<&'a str>,
}

impl<'a> Index<'a> {
    fn new(files: &[&'a FileSummary]) -> Index<'a> {
        Index::build(files.iter().map(|f| {
            (
                f.aliases.as_slice(),
                f.name.as_str(),
                f.domain_aliases.as_slice(),
            )
        }))
    }

    /// From (aliases, name, domain aliases) per file, in file order.
    fn build<'s>(
        files: impl Iterator<Item = (&'s [String], &'a str, &'s [String])> + Clone,
    ) -> Index<'a> {
        let mut by_alias = HashMap::new();
        let mut names = Vec::new();
        for (i, (aliases, name, _)) in files.clone().enumerate() {
            for a in aliases {
                by_alias.entry(a.clone()).or_insert(i);
                by_alias.entry(slug(a)).or_insert(i);
            }
            if !name.is_empty() {
                names.push(name);
            }
        }
        // domains declared by system specs resolve only where no spec has that name
        for (i, (_, _, domain_aliases)) in files.enumerate() {
            for a in domain_aliases {
                by_alias.entry(a.clone()).or_insert(i);
                by_alias.entry(slug(a)).or_insert(i);
            }
        }
        names.sort();
        names.dedup();
        Index { by_alias, names }
    }

    fn resolve(&self, from_path: &str, name: &str, from: Option<&str>) -> Option<usize> {
        if let Some(p) = from {
            let p = p.trim().trim_start_matches("./");
            for cand in [normalize_path(dir_of(from_path), p), normalize_path("", p)]
                .into_iter()
                .flatten()
            {
                if let Some(&i) = self.by_alias.get(&cand.to_lowercase()) {
                    return Some(i);
                }
            }
            let file = p.rsplit('/').next().unwrap_or(p).to_lowercase();
            if let Some(&i) = self.by_alias.get(&file) {
                return Some(i);
            }
        }
        let n = name.trim().to_lowercase();
        if n.is_empty() {
            return None;
        }
        self.by_alias
            .get(&n)
            .or_else(|| self.by_alias.get(&slug(&n)))
            .or_else(|| self.by_alias.get(&slug(&crate::parse::default_name(&n))))
            .copied()
    }
}

/// Resolves dependencies to spec documents with the same rules as the dependency checks, for
/// callers that hold documents rather than summaries (compile order, the manifest, drift).
pub struct SpecIndex<'a> {
    docs: Vec<&'a Document>,
    index: Index<'a>,
}

impl<'a> SpecIndex<'a> {
    /// Index the given documents (normally every spec of a workspace, arrangements excluded).
    pub fn new(docs: Vec<&'a Document>) -> SpecIndex<'a> {
        let aliases: Vec<(Vec<String>, Vec<String>)> = docs
            .iter()
            .map(|d| {
                (
                    super::summary::spec_aliases(d),
                    super::summary::domain_aliases(d),
                )
            })
            .collect();
        let index = Index::build(
            docs.iter()
                .zip(&aliases)
                .map(|(d, (a, da))| (a.as_slice(), d.name.as_str(), da.as_slice())),
        );
        SpecIndex { docs, index }
    }

    /// The document a dependency written in the spec at `from_path` names, if any.
    pub fn resolve(&self, from_path: &str, dep: &Dependency) -> Option<&'a Document> {
        self.index
            .resolve(from_path, &dep.name, dep.from.as_deref())
            .and_then(|i| self.docs.get(i).copied())
    }

    /// The document with this spec name, file name, stem or path, if any.
    pub fn find(&self, name: &str) -> Option<&'a Document> {
        self.index
            .resolve("", name, None)
            .and_then(|i| self.docs.get(i).copied())
    }
}

/// One dependency edge of the graph: spec -> spec, or domain -> domain / spec.
#[derive(Clone, Copy)]
struct Edge<'a> {
    to: usize,
    /// The file the edge is written in, and the dependency.
    file: usize,
    dep: &'a DependencySummary,
}

pub fn join(files: &[&FileSummary], out: &mut BTreeMap<String, Vec<Diagnostic>>) {
    let mut index = Index::new(files);
    // Nodes: one per file, then one per domain. names[node] for cycle messages.
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut domain_node: HashMap<(usize, &str), usize> = HashMap::new();
    for (fi, f) in files.iter().enumerate() {
        for d in &f.domains {
            domain_node.entry((fi, d.name.as_str())).or_insert_with(|| {
                names.push(d.name.as_str());
                names.len() - 1
            });
        }
    }
    // Specs may depend on the domains of a system spec (`dependencies: [shopping_cart]`).
    let mut domain_aliases: Vec<(&(usize, &str), &usize)> = domain_node.iter().collect();
    domain_aliases.sort();
    for ((_, name), &node) in domain_aliases {
        let lower = name.to_lowercase();
        index.by_alias.entry(slug(&lower)).or_insert(node);
        index.by_alias.entry(lower).or_insert(node);
        index.names.push(name);
    }
    index.names.sort();
    index.names.dedup();
    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); names.len()];
    for (fi, f) in files.iter().enumerate() {
        for d in &f.dependencies {
            match index.resolve(&f.path, &d.name, d.from.as_deref()) {
                Some(to) => edges[fi].push(Edge {
                    to,
                    file: fi,
                    dep: d,
                }),
                None => super::push(out, &f.path, unknown(f, d, &index)),
            }
        }
        // Domain dependencies name sibling domains or specs; other names (external services)
        // are not reported.
        for dom in &f.domains {
            let from = domain_node[&(fi, dom.name.as_str())];
            for d in &dom.dependencies {
                let to = domain_node
                    .get(&(fi, d.name.as_str()))
                    .copied()
                    .or_else(|| index.resolve(&f.path, &d.name, d.from.as_deref()));
                if let Some(to) = to {
                    edges[from].push(Edge {
                        to,
                        file: fi,
                        dep: d,
                    });
                }
            }
        }
    }
    for f in files {
        if f.workflow.is_empty() {
            continue;
        }
        let io = |spec: &str| resolve_function(files, &index, &f.path, spec);
        let mut diags = Vec::new();
        check_workflow(&f.path, &f.workflow, &io, &mut diags);
        for d in diags {
            super::push(out, &f.path, d);
        }
    }
    let targets: Vec<Vec<usize>> = edges
        .iter()
        .map(|es| es.iter().map(|e| e.to).collect())
        .collect();
    for scc in sccs(&targets) {
        let members: std::collections::HashSet<usize> = scc.iter().copied().collect();
        let self_loop = scc.len() == 1 && targets[scc[0]].contains(&scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        // Once per file of the cycle: on the first member written in that file.
        let mut reported_files = std::collections::HashSet::new();
        for &m in &scc {
            let Some(cycle) = shortest_cycle(m, &targets, &members) else {
                continue;
            };
            // cycle: (node, edge index) starting at m.
            let first = edges[m][cycle[0].1];
            if !reported_files.insert(first.file) {
                continue;
            }
            let mut chain: Vec<&str> = cycle.iter().map(|(n, _)| names[*n]).collect();
            chain.push(names[m]);
            let f = files[first.file];
            let mut diag = Diagnostic::new(
                "dependency-cycle",
                first.dep.span,
                format!("dependency cycle: {}", chain.join(" -> ")),
            );
            for &(n, ei) in &cycle[1..] {
                let e = edges[n][ei];
                diag = diag.with_related(
                    &files[e.file].path,
                    e.dep.span,
                    format!("`{}` depends on `{}`", names[n], e.dep.name),
                );
            }
            super::push(out, &f.path, diag);
        }
    }
}

/// The function a workflow step's `spec` names: `bundle/function`, `bundle.function`, a
/// single-function spec's name, or a function name defined once in the workspace.
fn resolve_function(
    files: &[&FileSummary],
    index: &Index,
    from: &str,
    spec: &str,
) -> Option<FunctionIo> {
    let spec = spec.trim();
    if let Some((bundle, func)) = spec.rsplit_once(['/', '.', ':']) {
        if let Some(fi) = index
            .resolve(from, bundle, None)
            .filter(|&i| i < files.len())
        {
            if let Some(f) = files[fi].functions_io.iter().find(|f| f.name == func) {
                return Some(f.clone());
            }
        }
    }
    if let Some(fi) = index.resolve(from, spec, None).filter(|&i| i < files.len()) {
        let fios = &files[fi].functions_io;
        if let Some(f) = fios
            .iter()
            .find(|f| f.name == spec || f.name == files[fi].name)
        {
            return Some(f.clone());
        }
        if fios.len() == 1 {
            return Some(fios[0].clone());
        }
    }
    let mut found = files
        .iter()
        .flat_map(|f| f.functions_io.iter())
        .filter(|f| f.name == spec);
    match (found.next(), found.next()) {
        (Some(f), None) => Some(f.clone()),
        _ => None,
    }
}

fn unknown(f: &FileSummary, d: &DependencySummary, index: &Index) -> Diagnostic {
    let shown = d.from.as_deref().unwrap_or(&d.name);
    let stem = crate::parse::default_name(shown);
    let guess = did_you_mean(&stem, index.names.iter().copied().filter(|n| *n != f.name));
    let mut diag = Diagnostic::new(
        "unknown-dependency",
        d.span,
        match guess {
            Some(g) => {
                format!("unknown dependency `{shown}`: no spec with that name; did you mean `{g}`?")
            }
            None => {
                format!("unknown dependency `{shown}`: no spec with that name in the workspace")
            }
        },
    );
    if let (Some(g), Some(at)) = (guess, d.name_text_span) {
        if d.from.is_none() {
            diag = diag.with_fix(
                format!("Change to `{g}`"),
                vec![TextEdit {
                    path: f.path.clone(),
                    span: at,
                    new_text: g.to_string(),
                }],
            );
        }
    }
    diag
}

/// Strongly connected components (iterative Tarjan), each sorted, in a stable order.
pub(crate) fn sccs(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut ei)) = call.last_mut() {
            if *ei < edges[v].len() {
                let w = edges[v][*ei];
                *ei += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    comp.sort();
                    out.push(comp);
                }
            }
        }
    }
    out.sort();
    out
}

/// The shortest cycle through `start` inside `members`, as (node, index of the edge leaving it).
fn shortest_cycle(
    start: usize,
    edges: &[Vec<usize>],
    members: &std::collections::HashSet<usize>,
) -> Option<Vec<(usize, usize)>> {
    // BFS over nodes; prev[node] = (previous node, dependency index used).
    let mut prev: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut queue = VecDeque::new();
    queue.push_back(start);
    while let Some(v) = queue.pop_front() {
        for (di, &w) in edges[v].iter().enumerate() {
            if !members.contains(&w) {
                continue;
            }
            if w == start {
                // Walk back from v to start.
                let mut path = vec![(v, di)];
                let mut cur = v;
                while cur != start {
                    let (p, pdi) = prev[&cur];
                    path.push((p, pdi));
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(w) {
                e.insert((v, di));
                queue.push_back(w);
            }
        }
    }
    None
}

/// `step.outputs.x`, `steps.step.outputs.x`, `{{ steps.step.outputs.x }}`, `${step.x}` ->
/// (step, output). Workflow inputs (`inputs.x`) and literals give None.
fn parse_ref(r: &str) -> Option<(&str, &str)> {
    let r = r.trim();
    let r = r
        .strip_prefix("{{")
        .and_then(|x| x.strip_suffix("}}"))
        .or_else(|| r.strip_prefix("${").and_then(|x| x.strip_suffix('}')))
        .unwrap_or(r)
        .trim();
    if r.contains(char::is_whitespace) {
        return None;
    }
    let mut parts: Vec<&str> = r.split('.').collect();
    if parts.first() == Some(&"steps") {
        parts.remove(0);
    }
    match parts.as_slice() {
        [step, "outputs" | "output", out, ..] => Some((step, out)),
        _ => None,
    }
}

fn same_type(a: &str, b: &str) -> bool {
    fn canon(t: &str) -> String {
        let t = t.trim().to_ascii_lowercase();
        match t.as_str() {
            "str" | "text" => "string".into(),
            "int" | "integer" | "i64" | "i32" | "u64" | "u32" => "integer".into(),
            "float" | "double" | "f64" | "f32" | "decimal" => "number".into(),
            "bool" => "boolean".into(),
            "list" | "seq" | "sequence" | "vec" => "array".into(),
            "dict" | "map" | "mapping" | "hash" => "object".into(),
            _ => t.split(['[', '<']).next().unwrap_or(&t).to_string(),
        }
    }
    let (a, b) = (canon(a), canon(b));
    a == b
        || (a == "number" && b == "integer")
        || (a == "integer" && b == "number")
        || a == "any"
        || b == "any"
}

/// Inputs referring to outputs that do not exist (no such step, a step that runs later, an
/// output the step or its spec's function does not have), and inputs whose type differs from
/// the output's. `io` finds the inputs/outputs of the function a step's `spec` names.
pub fn check_workflow(
    path: &str,
    steps: &[WorkflowStep],
    io: &dyn Fn(&str) -> Option<FunctionIo>,
    out: &mut Vec<Diagnostic>,
) {
    for (i, st) in steps.iter().enumerate() {
        let my_io = st.spec.as_deref().and_then(io);
        for (input, reference) in &st.inputs {
            let Some((step, output)) = parse_ref(reference) else {
                continue;
            };
            let Some(j) = steps.iter().position(|s| s.name == step) else {
                let guess = did_you_mean(step, steps.iter().map(|s| s.name.as_str()));
                let hint = guess
                    .map(|g| format!("; did you mean `{g}`?"))
                    .unwrap_or_default();
                out.push(Diagnostic::new(
                    "workflow-unknown-output",
                    st.span,
                    format!("input `{input}` of step `{}` refers to `{reference}`, but there is no step `{step}`{hint}", st.name),
                ));
                continue;
            };
            let src = &steps[j];
            if j >= i {
                out.push(
                    Diagnostic::new(
                        "workflow-unknown-output",
                        st.span,
                        format!("input `{input}` of step `{}` refers to `{reference}`, but step `{step}` does not run before it", st.name),
                    )
                    .with_related(path, src.span, format!("step `{step}`")),
                );
                continue;
            }
            let src_io = src.spec.as_deref().and_then(io);
            let (outputs, whose): (Vec<(String, String)>, String) = if !src.outputs.is_empty() {
                (src.outputs.clone(), format!("step `{step}`"))
            } else if let Some(fio) = src_io.as_ref().filter(|f| !f.outputs.is_empty()) {
                (
                    fio.outputs.clone(),
                    format!(
                        "`{}` (the spec of step `{step}`)",
                        src.spec.as_deref().unwrap_or("")
                    ),
                )
            } else {
                continue;
            };
            let Some((_, out_type)) = outputs.iter().find(|(n, _)| n == output) else {
                let names: Vec<String> = outputs.iter().map(|(n, _)| format!("`{n}`")).collect();
                let guess = did_you_mean(output, outputs.iter().map(|(n, _)| n.as_str()))
                    .map(|g| format!("; did you mean `{g}`?"))
                    .unwrap_or_default();
                out.push(
                    Diagnostic::new(
                        "workflow-unknown-output",
                        st.span,
                        format!(
                            "input `{input}` of step `{}` refers to `{reference}`, but {whose} has no output `{output}` (it has {}){guess}",
                            st.name,
                            names.join(", ")
                        ),
                    )
                    .with_related(path, src.span, format!("step `{step}`")),
                );
                continue;
            };
            let in_type = my_io
                .as_ref()
                .and_then(|f| f.inputs.iter().find(|(n, _)| n == input))
                .map(|(_, t)| t.as_str())
                .unwrap_or("");
            if !in_type.is_empty() && !out_type.is_empty() && !same_type(in_type, out_type) {
                out.push(
                    Diagnostic::new(
                        "workflow-type-mismatch",
                        st.span,
                        format!(
                            "input `{input}` of step `{}` expects `{in_type}` but `{reference}` is `{out_type}`",
                            st.name
                        ),
                    )
                    .with_related(path, src.span, format!("step `{step}`")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("nmae", "name"), 1);
        assert_eq!(
            did_you_mean("todo_utls", ["todo_utils", "auth"].into_iter()),
            Some("todo_utils")
        );
        assert_eq!(did_you_mean("zzz", ["todo_utils"].into_iter()), None);
        assert_eq!(normalize_path("a/b", "../c.md").as_deref(), Some("a/c.md"));
        assert_eq!(normalize_path("", "../c.md"), None);
    }

    #[test]
    fn unknown_dependency_with_fix() {
        let a = DocBuilder::new("specs/a.spec.md", "app")
            .dependency("todo_utls")
            .build();
        let b = DocBuilder::new("specs/todo_utils.spec.md", "todo_utils").build();
        let r = run(&[a.clone(), b.clone()]);
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].1, "unknown-dependency");
        assert!(r[0].2.contains("did you mean `todo_utils`?"), "{}", r[0].2);
        // Resolution by stem / slug.
        let c = DocBuilder::new("specs/c.spec.md", "c")
            .dependency("todo-utils")
            .build();
        assert!(run(&[c, b]).is_empty());
    }

    #[test]
    fn domains_of_system_specs_resolve_after_spec_names() {
        // `checkout` depends on domains declared by the platform spec; `catalog` is both a
        // domain there and a spec of its own, and the spec wins.
        let (mut platform, pt) = DocBuilder::new("specs/platform.spec.yaml", "Platform").build();
        for d in ["cart", "catalog"] {
            platform.domains.push(crate::model::Domain {
                name: d.into(),
                ..Default::default()
            });
        }
        let checkout = DocBuilder::new("specs/checkout.spec.yaml", "checkout")
            .dependency("cart")
            .dependency("catalog")
            .dependency("nowhere")
            .build();
        let catalog = DocBuilder::new("specs/z_catalog.spec.yaml", "catalog")
            .dependency("checkout")
            .build();
        let r = run(&[(platform, pt), checkout, catalog]);
        let codes: Vec<_> = r.iter().map(|(p, c, _)| format!("{p} {c}")).collect();
        // `nowhere` is unknown; checkout -> catalog -> checkout is a cycle through the spec,
        // not through the platform.
        assert_eq!(
            codes,
            vec![
                "specs/checkout.spec.yaml dependency-cycle",
                "specs/checkout.spec.yaml unknown-dependency",
                "specs/z_catalog.spec.yaml dependency-cycle",
            ],
            "{r:#?}"
        );
    }

    #[test]
    fn cycles_reported_once_per_member() {
        let a = DocBuilder::new("a.spec.md", "a").dependency("b").build();
        let b = DocBuilder::new("b.spec.md", "b").dependency("c").build();
        let c = DocBuilder::new("c.spec.md", "c").dependency("a").build();
        let d = DocBuilder::new("d.spec.md", "d")
            .dependency("a")
            .dependency("d")
            .build();
        let r = run(&[a, b, c, d]);
        let msgs: Vec<_> = r.iter().map(|(p, c, m)| format!("{p} {c} {m}")).collect();
        assert_eq!(
            msgs,
            vec![
                "a.spec.md dependency-cycle dependency cycle: a -> b -> c -> a",
                "b.spec.md dependency-cycle dependency cycle: b -> c -> a -> b",
                "c.spec.md dependency-cycle dependency cycle: c -> a -> b -> c",
                "d.spec.md dependency-cycle dependency cycle: d -> d",
            ]
        );
    }

    #[test]
    fn workflow_references() {
        use crate::model::WorkflowStep;
        let steps = vec![
            WorkflowStep {
                name: "load".into(),
                outputs: vec![("rows".into(), "list".into())],
                ..Default::default()
            },
            WorkflowStep {
                name: "save".into(),
                inputs: vec![
                    ("a".into(), "load.outputs.rows".into()),
                    ("b".into(), "steps.load.outputs.count".into()),
                    ("c".into(), "lod.outputs.rows".into()),
                    ("d".into(), "inputs.path".into()),
                    ("e".into(), "later.outputs.x".into()),
                ],
                ..Default::default()
            },
            WorkflowStep {
                name: "later".into(),
                ..Default::default()
            },
        ];
        let mut out = Vec::new();
        check_workflow("w.spec.md", &steps, &|_| None, &mut out);
        let msgs: Vec<&str> = out.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:#?}");
        assert!(msgs[0].contains("has no output `count` (it has `rows`)"));
        assert!(msgs[1].contains("no step `lod`; did you mean `load`?"));
        assert!(msgs[2].contains("does not run before it"));
    }

    #[test]
    fn workflow_outputs_and_types_from_the_called_functions() {
        use crate::model::{CodeBlock, WorkflowStep};
        use crate::span::Span;
        let text = "collect:\n  inputs:\n    month: {type: string}\n  outputs:\n    expenses: {type: array}\npay:\n  inputs:\n    expenses: {type: integer}\n    total: {type: number}\n  outputs:\n    paid: {type: integer}\n";
        let (mut bundle, _) = DocBuilder::new("steps.spec.md", "steps").build();
        bundle.blocks.push(CodeBlock {
            info: "yaml:functions".into(),
            span: Span::new(0, text.len()),
            content_span: Span::new(0, text.len()),
            closed: true,
        });
        let (mut wf, wtext) = DocBuilder::new("wf.spec.md", "wf").build();
        wf.workflow_steps = vec![
            WorkflowStep {
                name: "collect".into(),
                spec: Some("steps/collect".into()),
                ..Default::default()
            },
            WorkflowStep {
                name: "pay".into(),
                spec: Some("steps/pay".into()),
                inputs: vec![
                    ("expenses".into(), "collect.outputs.expenses".into()),
                    ("total".into(), "collect.outputs.totals".into()),
                ],
                ..Default::default()
            },
        ];
        let r = run(&[(bundle, text.to_string()), (wf, wtext)]);
        let got: Vec<(&str, &str)> = r.iter().map(|(_, c, m)| (*c, m.as_str())).collect();
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(got[0].0, "workflow-type-mismatch");
        assert!(got[0]
            .1
            .contains("expects `integer` but `collect.outputs.expenses` is `array`"));
        assert_eq!(got[1].0, "workflow-unknown-output");
        assert!(got[1].1.contains("`steps/collect` (the spec of step `collect`) has no output `totals` (it has `expenses`)"), "{}", got[1].1);
    }
}
