//! Drift: where spec and generated code no longer agree. A pure function of a workspace
//! snapshot, a [`Manifest`] and the current hashes of the generated files (the edge reads and
//! hashes them; see [`Manifest::output_paths`]).
//!
//! Per spec, [`drift`] tells:
//! - the spec changed since its last compile, and which scenarios and requirements changed, were
//!   added or were removed (by stable id; SpecSoloist entries only know "the text changed");
//! - generated files edited by hand (hash differs) or missing (no hash given);
//! - dependencies whose text changed since this spec was compiled, and a changed dependency list;
//! - never compiled.
//!
//! Which specs are considered: every spec with a manifest entry, plus the specs an arrangement
//! governs ([`crate::manifest::arrangement_for`]) that are not of type `reference` (SpecSoloist
//! compiles no code for those). Plain scenario files with no arrangement are not meant to be
//! compiled by specls, so they are never reported as "never compiled".

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::manifest::order::{changed_dependencies, dependency_list_change, quoted};
use crate::manifest::{
    current_dependencies, is_spec, item_keys, requirement_hashes, scenario_hashes, spec_hash,
    spec_index, Manifest, Origin,
};
use crate::model::Document;
use crate::span::Span;
use crate::workspace::Workspace;

/// Current hashes of generated files: workspace-relative path -> [`crate::manifest::sha256_hex`]
/// of the file's bytes. A path the manifest names that is absent here is a missing file.
pub type FileHashes = BTreeMap<String, String>;

/// Drift of the whole workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// One entry per spec considered (see the module docs), sorted by path, including specs
    /// that are up to date (`drifted: false`).
    pub specs: Vec<SpecDrift>,
}

impl Drift {
    pub fn get(&self, path: &str) -> Option<&SpecDrift> {
        self.specs.iter().find(|s| s.path == path)
    }

    /// Specs with any drift.
    pub fn drifted(&self) -> impl Iterator<Item = &SpecDrift> {
        self.specs.iter().filter(|s| s.drifted)
    }
}

/// A scenario or requirement that changed or was added, where it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The manifest key: the stable id (`id#2` for a repeated id).
    pub id: String,
    /// The scenario's name or the requirement's id, for messages.
    pub name: String,
    /// Where to show it: the scenario's name or the requirement's id.
    pub span: Span,
}

/// Changes of one kind of item since the last compile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub changed: Vec<Item>,
    pub added: Vec<Item>,
    /// Ids of items that were compiled but are gone.
    pub removed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }

    /// "2 scenarios changed, 1 added" (None when nothing changed).
    pub fn describe(&self, singular: &str, plural: &str) -> Option<String> {
        let mut parts: Vec<(usize, &str)> = Vec::new();
        for (n, what) in [
            (self.changed.len(), "changed"),
            (self.added.len(), "added"),
            (self.removed.len(), "removed"),
        ] {
            if n > 0 {
                parts.push((n, what));
            }
        }
        let (first, rest) = parts.split_first()?;
        let noun = if first.0 == 1 { singular } else { plural };
        let mut s = format!("{} {noun} {}", first.0, first.1);
        for (n, what) in rest {
            s.push_str(&format!(", {n} {what}"));
        }
        Some(s)
    }
}

/// Drift of one spec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SpecDrift {
    pub path: String,
    pub name: String,
    /// Any drift at all (including "never compiled").
    pub drifted: bool,
    pub never_compiled: bool,
    /// The arrangement that governs the spec, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrangement: Option<String>,
    /// Which manifest the last compile is recorded in (None when never compiled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiled_at: Option<String>,
    /// The spec's text differs from the compiled text.
    pub spec_changed: bool,
    /// Per-scenario changes (empty for SpecSoloist entries, which record no scenario hashes).
    pub scenarios: Changes,
    pub requirements: Changes,
    /// Dependencies declared now but not at compile time, and the other way round.
    pub dependencies_added: Vec<String>,
    pub dependencies_removed: Vec<String>,
    /// Dependencies whose text changed since this spec was compiled.
    pub dependencies_changed: Vec<String>,
    /// Generated files whose content differs from what the compile wrote.
    pub edited_files: Vec<String>,
    /// Generated files that no longer exist.
    pub missing_files: Vec<String>,
    /// Where spec-level findings go: the spec's name, else its first line.
    pub header: Span,
}

impl SpecDrift {
    /// One line for a lens or a status: "2 scenarios changed, 1 added since compile",
    /// "never compiled", "up to date".
    pub fn summary(&self) -> String {
        if self.never_compiled {
            return "never compiled".into();
        }
        let mut parts: Vec<String> = Vec::new();
        let items: Vec<String> = [
            self.scenarios.describe("scenario", "scenarios"),
            self.requirements.describe("requirement", "requirements"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !items.is_empty() {
            parts.push(format!("{} since compile", items.join("; ")));
        } else if self.spec_changed {
            parts.push("spec changed since compile".into());
        }
        if !self.dependencies_added.is_empty() || !self.dependencies_removed.is_empty() {
            parts.push("dependency list changed".into());
        }
        if !self.dependencies_changed.is_empty() {
            parts.push(format!(
                "{} changed",
                plural_words(
                    self.dependencies_changed.len(),
                    "dependency",
                    "dependencies"
                )
            ));
        }
        if !self.edited_files.is_empty() {
            parts.push(format!(
                "{} edited by hand",
                plural_words(self.edited_files.len(), "generated file", "generated files")
            ));
        }
        if !self.missing_files.is_empty() {
            parts.push(format!(
                "{} missing",
                plural_words(
                    self.missing_files.len(),
                    "generated file",
                    "generated files"
                )
            ));
        }
        if parts.is_empty() {
            "up to date".into()
        } else {
            parts.join(" · ")
        }
    }

    /// The drift diagnostics of this spec's file (codes of area `drift` in
    /// [`crate::diag::CODES`]), before suppression and configured levels.
    pub fn diagnostics(&self, doc: &Document) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if !self.drifted {
            return out;
        }
        if self.never_compiled {
            let why = self
                .arrangement
                .as_deref()
                .map(|a| format!(" (its arrangement is `{a}`)"))
                .unwrap_or_default();
            out.push(Diagnostic::new(
                "never-compiled",
                self.header,
                format!("spec `{}` has never been compiled{why}", self.name),
            ));
            return out;
        }
        let when = self
            .compiled_at
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        if self.spec_changed {
            let items: Vec<String> = [
                self.scenarios.describe("scenario", "scenarios"),
                self.requirements.describe("requirement", "requirements"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let detail = if items.is_empty() {
                String::new()
            } else {
                format!(": {}", items.join("; "))
            };
            out.push(Diagnostic::new(
                "spec-changed-since-compile",
                self.header,
                format!(
                    "spec `{}` changed since its last compile{when}{detail}; compile it to bring the code up to date",
                    self.name
                ),
            ));
        }
        for (changes, code, what) in [
            (
                &self.scenarios,
                "scenario-changed-since-compile",
                "scenario",
            ),
            (
                &self.requirements,
                "requirement-changed-since-compile",
                "requirement",
            ),
        ] {
            for it in &changes.changed {
                out.push(Diagnostic::new(
                    code,
                    it.span,
                    format!("{what} `{}` changed since the last compile", it.name),
                ));
            }
            for it in &changes.added {
                out.push(Diagnostic::new(
                    code,
                    it.span,
                    format!("{what} `{}` was added since the last compile", it.name),
                ));
            }
            for id in &changes.removed {
                out.push(Diagnostic::new(
                    code,
                    self.header,
                    format!("{what} `{id}` was removed since the last compile"),
                ));
            }
        }
        if !self.edited_files.is_empty() {
            out.push(Diagnostic::new(
                "generated-file-edited",
                self.header,
                format!(
                    "generated {} changed since the compile (edited by hand?): {}; a compile would overwrite {}",
                    if self.edited_files.len() == 1 { "file" } else { "files" },
                    quoted(&self.edited_files),
                    if self.edited_files.len() == 1 { "it" } else { "them" },
                ),
            ));
        }
        if !self.missing_files.is_empty() {
            out.push(Diagnostic::new(
                "generated-file-missing",
                self.header,
                format!(
                    "generated {} missing: {}",
                    if self.missing_files.len() == 1 {
                        "file is"
                    } else {
                        "files are"
                    },
                    quoted(&self.missing_files)
                ),
            ));
        }
        for name in &self.dependencies_changed {
            let span = doc
                .dependencies
                .iter()
                .find(|d| &d.name == name)
                .map(|d| d.span)
                .unwrap_or(self.header);
            out.push(Diagnostic::new(
                "dependency-changed-since-compile",
                span,
                format!(
                    "dependency `{name}` changed since `{}` was compiled; its code may rely on the old version",
                    self.name
                ),
            ));
        }
        if !self.dependencies_added.is_empty() || !self.dependencies_removed.is_empty() {
            let mut parts = Vec::new();
            if !self.dependencies_added.is_empty() {
                parts.push(format!("added {}", quoted(&self.dependencies_added)));
            }
            if !self.dependencies_removed.is_empty() {
                parts.push(format!("removed {}", quoted(&self.dependencies_removed)));
            }
            out.push(Diagnostic::new(
                "dependency-changed-since-compile",
                self.header,
                format!(
                    "the dependencies of `{}` changed since its last compile ({})",
                    self.name,
                    parts.join(", ")
                ),
            ));
        }
        out
    }
}

fn plural_words(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// Where spec-level findings are shown: the name's span when it has one, else the first
/// non-blank line.
pub fn header_span(doc: &Document, text: &str) -> Span {
    if !doc.name_span.is_empty() {
        return doc.name_span;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end_matches(['\n', '\r']);
        if !t.trim().is_empty() {
            return Span::new(offset, offset + t.len());
        }
        offset += line.len();
    }
    Span::empty(0)
}

/// A `reference` spec (documentation for other specs; never compiled).
fn is_reference(doc: &Document) -> bool {
    doc.spec_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("reference"))
}

/// Drift of every spec considered (see the module docs).
pub fn drift(ws: &Workspace, manifest: &Manifest, files: &FileHashes) -> Drift {
    // Built when a spec with a manifest entry needs it (a workspace never compiled has none).
    let index = std::cell::OnceCell::new();
    let arrangements = crate::manifest::arrangements(ws);
    let mut specs = Vec::new();
    // Without an arrangement and a manifest entry no spec is considered (see `spec_drift_with`):
    // nothing to look at (this runs at each generation).
    if arrangements.is_empty() && manifest.specs.is_empty() {
        return Drift { specs };
    }
    for (path, file) in &ws.files {
        let doc = file.doc.as_ref();
        if !is_spec(doc) {
            continue;
        }
        if let Some(d) = spec_drift_with(ws, &index, &arrangements, manifest, files, path) {
            specs.push(d);
        }
    }
    Drift { specs }
}

/// Drift of one spec; None when the spec is not considered (not a spec, no manifest entry and
/// no arrangement).
pub fn spec_drift(
    ws: &Workspace,
    manifest: &Manifest,
    files: &FileHashes,
    path: &str,
) -> Option<SpecDrift> {
    let arrangements = crate::manifest::arrangements(ws);
    spec_drift_with(
        ws,
        &std::cell::OnceCell::new(),
        &arrangements,
        manifest,
        files,
        path,
    )
}

fn spec_drift_with<'w>(
    ws: &'w Workspace,
    index: &std::cell::OnceCell<crate::checks::dependencies::SpecIndex<'w>>,
    arrangements: &[&Document],
    manifest: &Manifest,
    files: &FileHashes,
    path: &str,
) -> Option<SpecDrift> {
    let file = ws.get(path)?;
    let doc = file.doc.as_ref();
    if !is_spec(doc) {
        return None;
    }
    let text: &str = &file.text;
    let entry = manifest.get(path);
    // Only a spec an arrangement governs (and not a reference) can be compiled: without a
    // manifest entry, the others are not considered (found before anything is made for them:
    // this runs for every spec of the workspace at each generation).
    if entry.is_none() && (is_reference(doc) || arrangements.is_empty()) {
        return None;
    }
    let arrangement_doc = crate::manifest::arrangement_among(arrangements.iter().copied(), path);
    let arrangement = arrangement_doc.map(|a| a.path.clone());
    let mut d = SpecDrift {
        path: path.to_string(),
        name: doc.name.clone(),
        arrangement,
        header: header_span(doc, text),
        ..Default::default()
    };
    let Some(entry) = entry else {
        arrangement_doc?;
        d.never_compiled = true;
        d.drifted = true;
        return Some(d);
    };
    d.origin = Some(entry.origin);
    d.compiled_at = entry.compiled_at.clone();
    d.spec_changed = entry.spec_hash != spec_hash(text);
    if d.spec_changed && entry.origin == Origin::Specls {
        let keys = item_keys(doc.scenarios.iter().map(|s| s.id.as_str()));
        d.scenarios = compare(
            &entry.scenarios,
            &scenario_hashes(doc, text),
            keys.iter()
                .zip(&doc.scenarios)
                .map(|(k, s)| (k.clone(), s.name.clone(), s.name_span)),
        );
        let keys = item_keys(doc.requirements.iter().map(|r| r.id.as_str()));
        d.requirements = compare(
            &entry.requirements,
            &requirement_hashes(doc, text),
            keys.iter()
                .zip(&doc.requirements)
                .map(|(k, r)| (k.clone(), r.id.clone(), r.id_span)),
        );
    }
    let current = current_dependencies(ws, index.get_or_init(|| spec_index(ws)), doc);
    let (added, removed) = dependency_list_change(&current, &entry.dependencies);
    d.dependencies_added = added;
    d.dependencies_removed = removed;
    d.dependencies_changed = changed_dependencies(&current, &entry.dependencies);
    for out in &entry.outputs {
        match (files.get(&out.path), &out.hash) {
            (None, _) => d.missing_files.push(out.path.clone()),
            (Some(now), Some(then)) if now != then => d.edited_files.push(out.path.clone()),
            _ => {}
        }
    }
    d.drifted = d.spec_changed
        || !d.dependencies_added.is_empty()
        || !d.dependencies_removed.is_empty()
        || !d.dependencies_changed.is_empty()
        || !d.edited_files.is_empty()
        || !d.missing_files.is_empty();
    Some(d)
}

/// Compare recorded and current item hashes; `now` lists (key, name, span) in document order.
fn compare(
    recorded: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
    now: impl Iterator<Item = (String, String, Span)>,
) -> Changes {
    let mut c = Changes::default();
    for (key, name, span) in now {
        let item = Item {
            id: key.clone(),
            name,
            span,
        };
        match (recorded.get(&key), current.get(&key)) {
            (None, _) => c.added.push(item),
            (Some(then), Some(h)) if then != h => c.changed.push(item),
            _ => {}
        }
    }
    c.removed = recorded
        .keys()
        .filter(|k| !current.contains_key(*k))
        .cloned()
        .collect();
    c
}

/// Drift diagnostics per spec path, for every drifted spec.
pub fn diagnostics(ws: &Workspace, drift: &Drift) -> BTreeMap<String, Vec<Diagnostic>> {
    let mut out = BTreeMap::new();
    for s in drift.drifted() {
        if let Some(f) = ws.get(&s.path) {
            let diags = s.diagnostics(&f.doc);
            if !diags.is_empty() {
                out.insert(s.path.clone(), diags);
            }
        }
    }
    out
}
