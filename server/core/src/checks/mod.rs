//! Workspace checks (issue 4): duplicates, conflicts, constraints, completeness, dependencies,
//! arrangements and blueprints. Pure functions of a workspace snapshot and the configuration.
//!
//! # Shape (built for incremental checking)
//!
//! Checking is split in two stages so that editing one file rechecks only that file plus the
//! cross-file joins:
//!
//! 1. Per file, [`check_file`] runs every check that needs only one document (duplicate names
//!    inside a spec, conflicting example rows, constraint values, completeness, workflow steps,
//!    arrangements, blueprints) and builds a [`FileSummary`]: names, ids, normalised step keys,
//!    constraint keys, dependency edges, requirement mentions. Both are pure functions of the
//!    document and its text (and of the caller's [`Env`] lookups), so they can be cached per
//!    document.
//! 2. [`join`] runs the cross-file checks over all summaries with hash maps: duplicates across a
//!    feature, duplicate and conflicting scenarios anywhere in the workspace, conflicting
//!    constraints, requirements exercised elsewhere, unknown dependencies and cycles.
//!
//! [`finish`] then applies `specls-ignore` markers and the configured levels. [`Analysis`] keeps
//! stage 1 per document (keyed by path, reused while the `Arc<Document>` is the same) so an
//! edit costs one file's checks plus the joins; [`check_workspace`] is the one-shot form.
//!
//! # Decisions
//! - "One feature" (for warnings about duplicate scenario names across specs) means the same
//!   spec name after slugging (`feature:` value, front matter `name`, or file stem).
//! - Duplicate and conflicting scenarios are looked for across the whole workspace.
//! - Side effects are the caller's: PATH and file lookups come in through [`Env`]; the core
//!   default does no lookups (and so reports no `tool-not-found` / `blueprint-missing-test`).

mod analysis;
pub mod arrangement;
pub mod completeness;
pub mod conflicts;
pub mod constraints;
pub mod dependencies;
pub mod duplicates;
pub mod normalize;
pub mod summary;
pub mod suppress;

use std::collections::BTreeMap;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::model::Document;
use crate::workspace::Workspace;

pub use analysis::Analysis;
pub use summary::FileSummary;

/// Lookups that touch the outside world, provided by the front end. `None` means "do not check".
#[derive(Clone, Copy, Default)]
pub struct Env<'a> {
    /// Is this tool (`uv`, `cargo`) on PATH? Must not run anything.
    pub tool_exists: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
    /// Does this workspace-relative file exist?
    pub file_exists: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("tool_exists", &self.tool_exists.is_some())
            .field("file_exists", &self.file_exists.is_some())
            .finish()
    }
}

/// The result of the per-file stage: diagnostics of this file alone and its summary.
#[derive(Clone, Debug, Default)]
pub struct FileCheck {
    /// Parse diagnostics plus the single-file checks (before suppression and config).
    pub local: Vec<Diagnostic>,
    pub summary: FileSummary,
}

/// The single-file checks of one document (no parse diagnostics, no suppression).
pub fn check_document(doc: &Document, text: &str, env: &Env) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    duplicates::check_document(doc, text, &mut out);
    other_checks(doc, text, env, &mut out);
    out
}

/// The single-file checks after the duplicates.
fn other_checks(doc: &Document, text: &str, env: &Env, out: &mut Vec<Diagnostic>) {
    conflicts::check_examples(doc, out);
    constraints::check_document(doc, text, out);
    completeness::check_document(doc, text, out);
    arrangement::check_document(doc, text, env, out);
}

/// Stage 1 for one document: its parse diagnostics, its single-file checks and its summary.
pub fn check_file(doc: &Document, text: &str, env: &Env) -> FileCheck {
    check_file_reusing(doc, text, env, None)
}

/// [`check_file`] reusing what did not change since `prev`: the previous document of the same
/// file, its text and its check (see [`summary::summarize_reusing`]). Same result.
pub fn check_file_reusing(
    doc: &Document,
    text: &str,
    env: &Env,
    prev: Option<(&Document, &str, FileCheck)>,
) -> FileCheck {
    let mut summary =
        summary::summarize_reusing(doc, text, prev.map(|(d, t, fc)| (d, t, fc.summary)));
    let mut local = doc.diagnostics.clone();
    let keys: Vec<&str> = summary
        .scenarios
        .iter()
        .map(|s| s.name_key.as_str())
        .collect();
    duplicates::check_document_keyed(doc, text, &keys, &mut local);
    other_checks(doc, text, env, &mut local);
    summary.unexercised = completeness::unexercised_requirements(doc);
    FileCheck { local, summary }
}

/// Stage 2: the cross-file checks over every summary. Returns diagnostics per path.
pub fn join(summaries: &[&FileSummary]) -> BTreeMap<String, Vec<Diagnostic>> {
    let mut out: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    duplicates::join(summaries, &mut out);
    conflicts::join(summaries, &mut out);
    constraints::join(summaries, &mut out);
    completeness::join(summaries, &mut out);
    dependencies::join(summaries, &mut out);
    out
}

/// Suppression markers and configured levels, then a stable order and the per-file cap.
pub fn finish(doc: &Document, diags: Vec<Diagnostic>, config: &Config) -> Vec<Diagnostic> {
    let ignores = suppress::effective(doc);
    let mut out: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| !suppress::is_suppressed(d, &ignores))
        .filter_map(|d| config.apply(d))
        .collect();
    out.sort_by(|a, b| {
        (a.span.start, a.span.end, a.code, &a.message).cmp(&(
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
    out.dedup();
    crate::diag::cap(&mut out);
    out
}

/// Every diagnostic of the workspace, per document path: parse diagnostics plus the checks,
/// with the configuration's severities and the files' `specls-ignore` markers applied.
/// No PATH or file lookups (see [`check_workspace_with`]).
pub fn check_workspace(ws: &Workspace, config: &Config) -> BTreeMap<String, Vec<Diagnostic>> {
    check_workspace_with(ws, config, &Env::default())
}

/// [`check_workspace`] with the front end's lookups.
pub fn check_workspace_with(
    ws: &Workspace,
    config: &Config,
    env: &Env,
) -> BTreeMap<String, Vec<Diagnostic>> {
    // The plain form (every file, then the joins): the reference the incremental
    // [`Analysis`] is tested against.
    let files: Vec<(&String, &crate::workspace::SourceFile)> = ws.files.iter().collect();
    let checks = crate::par::map(&files, |(_, f)| check_file(&f.doc, &f.text, env));
    let summaries: Vec<&FileSummary> = checks.iter().map(|c| &c.summary).collect();
    let mut cross = join(&summaries);
    let mut out = BTreeMap::new();
    for ((path, f), fc) in files.into_iter().zip(&checks) {
        let mut diags = fc.local.clone();
        diags.extend(cross.remove(path.as_str()).unwrap_or_default());
        out.insert(path.clone(), finish(&f.doc, diags, config));
    }
    out
}

/// The joins of scenarios across files (and, for `LocalName`/`LocalId`, inside one file), by
/// the key scenarios share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum JoinKind {
    /// The same name (key) in one feature: duplicates.
    Name,
    /// The same explicit id: duplicates across files.
    Id,
    /// The same Given, When and Then: copies.
    Steps,
    /// The same When: compared for conflicts.
    When,
    /// The same id in one file (explicit or derived): duplicates inside a spec.
    LocalId,
}

impl JoinKind {
    pub(crate) const ALL: [JoinKind; 5] = [
        JoinKind::Name,
        JoinKind::Id,
        JoinKind::Steps,
        JoinKind::When,
        JoinKind::LocalId,
    ];

    /// The key of scenario `s` of file `f` in this join; None when it takes no part.
    pub(crate) fn key<'a>(
        self,
        f: &'a FileSummary,
        s: &'a summary::ScenarioSummary,
    ) -> Option<(&'a str, &'a str)> {
        match self {
            JoinKind::Name => {
                (!s.name_key.is_empty()).then_some((f.feature.as_str(), s.name_key.as_str()))
            }
            JoinKind::Id => (s.explicit_id && !s.id().is_empty()).then_some(("", s.id())),
            JoinKind::Steps => s.keys.steps().map(|k| ("", k)),
            JoinKind::When => {
                let when = s.keys.when_joined();
                (!(when.is_empty() || s.then_clauses.is_empty())).then_some(("", when))
            }
            JoinKind::LocalId => (!s.id().is_empty()).then_some((f.path.as_str(), s.id())),
        }
    }
    /// The groups of scenarios (file, scenario) of `files` that share their key in this join
    /// (see [`repeated`]): what the full check reports on.
    pub(crate) fn groups(self, files: &[&FileSummary]) -> Vec<Vec<(usize, usize)>> {
        let total: usize = files.iter().map(|f| f.scenarios.len()).sum();
        repeated(
            files.iter().enumerate().flat_map(|(fi, f)| {
                f.scenarios
                    .iter()
                    .enumerate()
                    .filter_map(move |(si, s)| Some((self.key(f, s)?, (fi, si))))
            }),
            total,
        )
    }
}

/// The groups of places (file, item) that share a key, for the joins: only keys seen more than
/// once, each group in the order of `items`, the groups sorted. One hash map entry per key and
/// no allocation for a key seen once (most of them: the joins run over every scenario of the
/// workspace on each edit). `hint` is the number of items, to size the table once.
pub(crate) fn repeated<K: std::hash::Hash + Eq>(
    items: impl Iterator<Item = (K, (usize, usize))>,
    hint: usize,
) -> Vec<Vec<(usize, usize)>> {
    use std::collections::hash_map::Entry;
    enum Slot {
        One((usize, usize)),
        Group(usize),
    }
    let mut map: crate::fxhash::HashMap<K, Slot> =
        crate::fxhash::HashMap::with_capacity_and_hasher(hint, Default::default());
    let mut groups: Vec<Vec<(usize, usize)>> = Vec::new();
    for (key, at) in items {
        match map.entry(key) {
            Entry::Vacant(e) => {
                e.insert(Slot::One(at));
            }
            Entry::Occupied(mut e) => match *e.get() {
                Slot::One(first) => {
                    e.insert(Slot::Group(groups.len()));
                    groups.push(vec![first, at]);
                }
                Slot::Group(g) => groups[g].push(at),
            },
        }
    }
    groups.sort();
    groups
}

/// Push a diagnostic for `path` into a per-path map.
pub(crate) fn push(out: &mut BTreeMap<String, Vec<Diagnostic>>, path: &str, d: Diagnostic) {
    out.entry(path.to_string()).or_default().push(d);
}

#[cfg(test)]
pub(crate) mod testutil;
