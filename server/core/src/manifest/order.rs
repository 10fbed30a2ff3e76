//! What to compile and in which order: [`needs_compile`] compares a spec with its manifest
//! entry, [`compile_order`] sorts specs so that dependencies come first.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{current_dependencies, is_spec, spec_hash, spec_index, DependencyEntry, Manifest};
use crate::workspace::Workspace;

/// Why a spec should (or need not) be compiled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// No manifest entry.
    NeverCompiled,
    /// The spec's text changed since its last compile.
    TextChanged,
    /// The spec now declares other dependencies than when it was compiled (names as written;
    /// `added` are new, `removed` are gone).
    DependenciesChanged {
        added: Vec<String>,
        removed: Vec<String>,
    },
    /// A dependency's text changed since this spec was compiled (dependency names).
    DependencyChanged { dependencies: Vec<String> },
    /// Nothing changed: compiling again is only needed when forced.
    UpToDate,
    /// The path is not a spec of the workspace (an arrangement, a blueprint, or no file).
    NotASpec,
}

impl Reason {
    /// True when the spec should be compiled without `--force`.
    pub fn needs_compile(&self) -> bool {
        !matches!(self, Reason::UpToDate | Reason::NotASpec)
    }

    /// A short phrase for progress output ("text changed since the last compile").
    pub fn describe(&self) -> String {
        match self {
            Reason::NeverCompiled => "never compiled".into(),
            Reason::TextChanged => "text changed since the last compile".into(),
            Reason::DependenciesChanged { added, removed } => {
                let mut parts = Vec::new();
                if !added.is_empty() {
                    parts.push(format!("added {}", quoted(added)));
                }
                if !removed.is_empty() {
                    parts.push(format!("removed {}", quoted(removed)));
                }
                format!("dependency list changed ({})", parts.join(", "))
            }
            Reason::DependencyChanged { dependencies } => {
                format!(
                    "dependency {} changed since the last compile",
                    quoted(dependencies)
                )
            }
            Reason::UpToDate => "up to date".into(),
            Reason::NotASpec => "not a spec".into(),
        }
    }
}

pub(crate) fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The identity of a dependency for comparing lists: the spec it resolves to, else its name.
pub(crate) fn dep_key(d: &DependencyEntry) -> String {
    d.path
        .clone()
        .unwrap_or_else(|| d.name.trim().to_lowercase())
}

/// Dependencies (current vs recorded) whose text changed: both resolve to the same spec, a
/// hash was recorded, and the spec's hash now differs. Names as the spec writes them now.
pub(crate) fn changed_dependencies(
    current: &[DependencyEntry],
    recorded: &[DependencyEntry],
) -> Vec<String> {
    let mut out = Vec::new();
    for c in current {
        let key = dep_key(c);
        let Some(r) = recorded.iter().find(|r| dep_key(r) == key) else {
            continue;
        };
        if let (Some(now), Some(then)) = (&c.hash, &r.hash) {
            if now != then && !out.contains(&c.name) {
                out.push(c.name.clone());
            }
        }
    }
    out
}

/// (added, removed) dependency names between the recorded and the current list.
pub(crate) fn dependency_list_change(
    current: &[DependencyEntry],
    recorded: &[DependencyEntry],
) -> (Vec<String>, Vec<String>) {
    let now: BTreeSet<String> = current.iter().map(dep_key).collect();
    let then: BTreeSet<String> = recorded.iter().map(dep_key).collect();
    let added = current
        .iter()
        .filter(|d| !then.contains(&dep_key(d)))
        .map(|d| d.name.clone())
        .collect();
    let removed = recorded
        .iter()
        .filter(|d| !now.contains(&dep_key(d)))
        .map(|d| d.name.clone())
        .collect();
    (added, removed)
}

/// Whether `spec_path` needs compiling, and why. The checks run in this order and the first
/// that applies is the answer: never compiled, text changed, dependency list changed, a
/// dependency's text changed. A dependency is compared by its text, not by whether it was
/// recompiled: a dependency recompiled from an unchanged spec does not make its dependents
/// stale.
pub fn needs_compile(ws: &Workspace, manifest: &Manifest, spec_path: &str) -> Reason {
    let Some(file) = ws.get(spec_path).filter(|f| is_spec(&f.doc)) else {
        return Reason::NotASpec;
    };
    let Some(entry) = manifest.get(spec_path) else {
        return Reason::NeverCompiled;
    };
    if entry.spec_hash != spec_hash(&file.text) {
        return Reason::TextChanged;
    }
    let index = spec_index(ws);
    let current = current_dependencies(ws, &index, &file.doc);
    let (added, removed) = dependency_list_change(&current, &entry.dependencies);
    if !added.is_empty() || !removed.is_empty() {
        return Reason::DependenciesChanged { added, removed };
    }
    let changed = changed_dependencies(&current, &entry.dependencies);
    if !changed.is_empty() {
        return Reason::DependencyChanged {
            dependencies: changed,
        };
    }
    Reason::UpToDate
}

/// Specs in compile order, and what could not be ordered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CompileOrder {
    /// Spec paths, every dependency before its dependents; independent specs by path.
    pub order: Vec<String>,
    /// Dependency cycles: the paths of each cycle's members, sorted. They are not in `order`.
    pub cycles: Vec<Vec<String>>,
    /// Specs left out because they depend (directly or not) on a cycle.
    pub blocked: Vec<String>,
    /// Paths asked for that are not specs of the workspace.
    pub unknown: Vec<String>,
}

/// Order `specs` (workspace paths) and, transitively, the specs they depend on, so that every
/// dependency comes before its dependents. Deterministic: among specs that are ready at the same
/// time, the smaller path first. Cycles are reported, never followed.
pub fn compile_order(ws: &Workspace, specs: &[String]) -> CompileOrder {
    let index = spec_index(ws);
    let mut result = CompileOrder::default();
    // Collect the closure under "depends on".
    let mut nodes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut todo: Vec<String> = Vec::new();
    for s in specs {
        match ws.get(s).filter(|f| is_spec(&f.doc)) {
            Some(_) => todo.push(s.clone()),
            None => {
                if !result.unknown.contains(s) {
                    result.unknown.push(s.clone());
                }
            }
        }
    }
    while let Some(path) = todo.pop() {
        if nodes.contains_key(&path) {
            continue;
        }
        let Some(file) = ws.get(&path) else { continue };
        let deps: BTreeSet<String> = file
            .doc
            .dependencies
            .iter()
            .filter_map(|d| index.resolve(&path, d))
            .map(|t| t.path.clone())
            .collect();
        for d in &deps {
            if !nodes.contains_key(d) {
                todo.push(d.clone());
            }
        }
        nodes.insert(path, deps);
    }
    // Kahn's algorithm with a sorted ready set.
    let names: Vec<&String> = nodes.keys().collect();
    let id: BTreeMap<&String, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let deps: Vec<Vec<usize>> = names
        .iter()
        .map(|n| nodes[*n].iter().map(|d| id[d]).collect())
        .collect();
    let mut missing: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..names.len()).filter(|&i| missing[i] == 0).collect();
    let mut done = vec![false; names.len()];
    while let Some(i) = ready.pop_first() {
        done[i] = true;
        result.order.push(names[i].clone());
        for &j in &dependents[i] {
            missing[j] -= 1;
            if missing[j] == 0 {
                ready.insert(j);
            }
        }
    }
    if done.iter().all(|d| *d) {
        return result;
    }
    let mut in_cycle = vec![false; names.len()];
    for scc in crate::checks::dependencies::sccs(&deps) {
        let self_loop = scc.len() == 1 && deps[scc[0]].contains(&scc[0]);
        if scc.len() > 1 || self_loop {
            for &m in &scc {
                in_cycle[m] = true;
            }
            result
                .cycles
                .push(scc.iter().map(|&m| names[m].clone()).collect());
        }
    }
    for i in 0..names.len() {
        if !done[i] && !in_cycle[i] {
            result.blocked.push(names[i].clone());
        }
    }
    result
}
