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

pub mod arrangement;
pub mod completeness;
pub mod conflicts;
pub mod constraints;
pub mod dependencies;
pub mod duplicates;
pub mod normalize;
pub mod summary;
pub mod suppress;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::model::Document;
use crate::workspace::Workspace;

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
    Analysis::default().check(ws, config, env)
}

/// A cache of the per-file stage, for the LSP: call [`Analysis::check`] with each new snapshot;
/// files whose document (`Arc`) did not change reuse their cached checks and summary.
#[derive(Debug, Default)]
pub struct Analysis {
    files: HashMap<String, Cached>,
    /// Documents and texts the last [`Analysis::check`] replaced (see [`Analysis::take_retired`]).
    retired: Vec<(Arc<Document>, Arc<str>)>,
}

/// One file's stage-1 results and what they were computed from.
#[derive(Debug)]
struct Cached {
    doc: Arc<Document>,
    text: Arc<str>,
    check: Arc<FileCheck>,
}

impl Analysis {
    pub fn new() -> Analysis {
        Analysis::default()
    }

    /// Forget a file's cached results (for example when the environment changed).
    pub fn invalidate(&mut self, path: &str) {
        self.files.remove(path);
    }

    /// Forget everything (for example after PATH changed).
    pub fn clear(&mut self) {
        self.files.clear();
    }

    /// The documents and texts the last [`Analysis::check`] replaced in the cache. Freeing a
    /// big document takes a while (thousands of scenarios); a caller in a hurry takes them and
    /// frees them later, elsewhere. Those not taken are freed by the next check.
    pub fn take_retired(&mut self) -> Vec<(Arc<Document>, Arc<str>)> {
        std::mem::take(&mut self.retired)
    }

    /// Bring the cache up to date with `ws` and return every diagnostic per path.
    pub fn check(
        &mut self,
        ws: &Workspace,
        config: &Config,
        env: &Env,
    ) -> BTreeMap<String, Vec<Diagnostic>> {
        self.retired.clear();
        self.files.retain(|p, _| ws.files.contains_key(p));
        // The files to check again, each with its previous results (to reuse what the edit
        // did not touch); checked on every core (opening a workspace checks every file).
        let mut stale = Vec::new();
        for (path, file) in &ws.files {
            let fresh = match self.files.get(path) {
                Some(c) => Arc::ptr_eq(&c.doc, &file.doc),
                None => false,
            };
            if !fresh {
                let prev = self.files.remove(path).map(|c| {
                    let check = Arc::try_unwrap(c.check).unwrap_or_else(|a| (*a).clone());
                    (c.doc, c.text, check)
                });
                stale.push(std::sync::Mutex::new(Some((path, file, prev))));
            }
        }
        let checked = crate::par::map(&stale, |job| {
            let (path, file, prev) = job.lock().ok()?.take()?;
            let (fc, retired) = match prev {
                Some((d, t, check)) => (
                    check_file_reusing(&file.doc, &file.text, env, Some((&d, &t, check))),
                    Some((d, t)),
                ),
                None => (check_file(&file.doc, &file.text, env), None),
            };
            Some((path, file, fc, retired))
        });
        for (path, file, fc, retired) in checked.into_iter().flatten() {
            self.retired.extend(retired);
            self.files.insert(
                path.clone(),
                Cached {
                    doc: file.doc.clone(),
                    text: file.text.clone(),
                    check: Arc::new(fc),
                },
            );
        }
        let mut paths: Vec<&String> = ws.files.keys().collect();
        paths.sort();
        let summaries: Vec<&FileSummary> = paths
            .iter()
            .filter_map(|p| self.files.get(*p).map(|c| &c.check.summary))
            .collect();
        let mut cross = join(&summaries);
        let mut out = BTreeMap::new();
        for path in paths {
            let c = &self.files[path];
            let (doc, fc) = (&c.doc, &c.check);
            let mut diags = fc.local.clone();
            diags.extend(cross.remove(path.as_str()).unwrap_or_default());
            out.insert(path.clone(), finish(doc, diags, config));
        }
        out
    }

    /// The cached summary of a file, if checked.
    pub fn summary(&self, path: &str) -> Option<&FileSummary> {
        self.files.get(path).map(|c| &c.check.summary)
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
