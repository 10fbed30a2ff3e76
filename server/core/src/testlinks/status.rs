//! Results mapped to indexed tests, aggregated per scenario, and the diagnostics front ends
//! publish for scenarios (`scenario-untested`, `scenario-failed`).
//!
//! # Matching a result to a test
//! A result's name is split into segments (` > ` for vitest/TAP, `::` for Rust, `/` for Go
//! subtests); the last segment is looked up by name (`_` and spaces alike, pytest parameters
//! `[...]` ignored) among every indexed test. When several tests have that name, the one
//! whose file matches the result's `file`/`classname`/suite and whose parents appear in the
//! result's segments and class wins (ties: all of them get the result). When no test has the
//! last segment's name, the segment before is tried (a Go subtest from a table, an rstest
//! case, a vitest `.each` row map to their enclosing test). A result given to a test also
//! counts for the suites around it. All lookups are hash maps: linear in results + tests.

use std::collections::BTreeMap;

use crate::fxhash::HashMap;

use serde::Serialize;

use super::link::{Links, Location, ScenarioRef};
use super::results::{Status, TestResult};
use super::skeleton::{project_language, skeleton_edit};
use super::{TestIndex, TestRef};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::model::{Arrangement, Document};
use crate::workspace::Workspace;

/// Which results belong to which tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// For each test: indices into the results (its own and its children's), in order.
    pub by_test: HashMap<TestRef, Vec<usize>>,
    /// For each result: the tests it matched (not counting the suites around them).
    pub tests_of_result: Vec<Vec<TestRef>>,
    /// Results that matched no indexed test.
    pub unmatched: Vec<usize>,
}

/// `_` and runs of whitespace as one space, trimmed.
fn norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.trim().chars() {
        if c == '_' || c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Without a trailing pytest parameter id (`test_x[1-2]` -> `test_x`).
fn strip_params(s: &str) -> Option<&str> {
    if s.ends_with(']') {
        s.find('[').map(|p| &s[..p]).filter(|p| !p.is_empty())
    } else {
        None
    }
}

fn segments(name: &str) -> Vec<&str> {
    if name.contains(" > ") {
        return name.split(" > ").map(str::trim).collect();
    }
    if name.contains("::") {
        return name.split("::").collect();
    }
    if let Some((first, _)) = name.split_once('/') {
        if super::index::is_go_test_name(first) {
            return name.split('/').collect();
        }
    }
    vec![name]
}

/// Path-like forms of a result's file/class/suite: `tests.test_todo` -> `tests/test_todo`.
fn hints(r: &TestResult) -> Vec<String> {
    let mut out = Vec::new();
    for h in [&r.file, &r.class, &r.suite].into_iter().flatten() {
        let h = h.trim();
        if h.is_empty() {
            continue;
        }
        let base = strip_ext(h);
        out.push(base.to_string());
        if !h.contains('/') {
            if h.contains("::") {
                out.push(h.replace("::", "/"));
            } else if h.contains('.') {
                out.push(h.replace('.', "/"));
            }
        }
    }
    out
}

/// The file name without folders and extensions: `tests/test_todo.py` -> `test_todo`.
fn file_stem(p: &str) -> &str {
    let name = p.rsplit('/').next().unwrap_or(p);
    match name.find('.') {
        Some(d) if d > 0 => &name[..d],
        _ => name,
    }
}

fn strip_ext(p: &str) -> &str {
    let file_start = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    match p[file_start..].find('.') {
        Some(d) if d > 0 => &p[..file_start + d],
        _ => p,
    }
}

fn path_matches(test_path: &str, hint: &str) -> bool {
    let t = strip_ext(test_path);
    let ends = |a: &str, b: &str| {
        a.ends_with(b) && (a.len() == b.len() || a.as_bytes()[a.len() - b.len() - 1] == b'/')
    };
    !hint.is_empty() && (ends(t, hint) || ends(hint, t) || ends(test_path, hint))
}

/// A test during matching: its file's number (in index order) and its index in that file.
type Id = (u32, u32);

/// Match results to the tests of the index.
pub fn map_results(tests: &TestIndex, results: &[TestResult]) -> Mapping {
    // Tests are numbered, not named, while matching (a `TestRef` owns its path): name ->
    // tests, and, built on first need, (file stem, name) -> tests for names many files share.
    let files: Vec<(&String, &super::TestFile)> = tests.files.iter().collect();
    let mut by_name: HashMap<String, Vec<Id>> = HashMap::default();
    for (fi, (_, f)) in files.iter().enumerate() {
        for (i, t) in f.tests.iter().enumerate() {
            let id = (fi as u32, i as u32);
            if !t.parents.is_empty() && f.language.is_js() {
                // jest-junit names: "describe it".
                let joined = norm(&format!("{} {}", t.parents.join(" "), t.name));
                by_name.entry(joined).or_default().push(id);
            }
            by_name.entry(norm(&t.name)).or_default().push(id);
        }
    }
    let mut by_stem: Option<HashMap<(&str, String), Vec<Id>>> = None;
    let test_of = |(fi, i): Id| {
        files
            .get(fi as usize)
            .and_then(|(_, f)| f.tests.get(i as usize))
    };
    let mut by_id: HashMap<Id, Vec<usize>> = HashMap::default();
    let mut tests_of_result: Vec<Vec<Id>> = vec![Vec::new(); results.len()];
    let mut unmatched = Vec::new();
    for (ri, r) in results.iter().enumerate() {
        // Parent names from the class too (TAP groups `a > b`, node's suite names), so that
        // an unindexed leaf (a `.each` row) falls back to its enclosing test.
        let mut segs: Vec<&str> = match r.class.as_deref() {
            Some(c) if c.contains(" > ") || !c.contains(['.', '/', ':']) => {
                c.split(" > ").map(str::trim).collect()
            }
            _ => Vec::new(),
        };
        segs.extend(segments(&r.name));
        let mut found: Vec<Id> = Vec::new();
        for k in (0..segs.len()).rev() {
            let leaf = segs[k];
            let cands = by_name
                .get(&norm(leaf))
                .or_else(|| strip_params(leaf).and_then(|p| by_name.get(&norm(p))));
            let Some(cands) = cands else {
                continue;
            };
            if cands.len() == 1 {
                found = cands.clone();
                break;
            }
            // Several: narrow by the file the result names, then score by file and parents.
            let hs = hints(r);
            let leaf_key = strip_params(leaf)
                .filter(|_| !by_name.contains_key(&norm(leaf)))
                .map(norm)
                .unwrap_or_else(|| norm(leaf));
            let by_stem = by_stem.get_or_insert_with(|| {
                let mut m: HashMap<(&str, String), Vec<Id>> = HashMap::default();
                for (fi, (path, f)) in files.iter().enumerate() {
                    let stem = file_stem(path);
                    for (i, t) in f.tests.iter().enumerate() {
                        m.entry((stem, norm(&t.name)))
                            .or_default()
                            .push((fi as u32, i as u32));
                    }
                }
                m
            });
            let narrowed = hs.iter().find_map(|h| {
                by_stem
                    .get(&(file_stem(h), leaf_key.clone()))
                    .filter(|v| !v.is_empty())
            });
            let cands = narrowed.unwrap_or(cands);
            if cands.len() == 1 {
                found = cands.clone();
                break;
            }
            let mut context: Vec<String> = segs[..k].iter().map(|s| norm(s)).collect();
            for h in [&r.class, &r.suite].into_iter().flatten() {
                for part in h.split(['.', '/', ':', '>']) {
                    let p = norm(part);
                    if !p.is_empty() {
                        context.push(p);
                    }
                }
            }
            let mut best = i64::MIN;
            for &c in cands {
                let Some(t) = test_of(c) else {
                    continue;
                };
                let path = files[c.0 as usize].0;
                let mut score = 0i64;
                if hs.iter().any(|h| path_matches(path, h)) {
                    score += 4;
                }
                for p in &t.parents {
                    if context.contains(&norm(p)) {
                        score += 1;
                    } else {
                        score -= 1;
                    }
                }
                if score > best {
                    best = score;
                    found.clear();
                }
                if score == best {
                    found.push(c);
                }
            }
            break;
        }
        if found.is_empty() {
            unmatched.push(ri);
            continue;
        }
        for &(fi, test) in &found {
            // The test and every item around it.
            let mut cur = Some(test as usize);
            let mut guard = 0;
            while let Some(i) = cur {
                let list = by_id.entry((fi, i as u32)).or_default();
                if list.last() != Some(&ri) {
                    list.push(ri);
                }
                cur = test_of((fi, i as u32)).and_then(|x| x.parent);
                guard += 1;
                if guard > 256 {
                    break;
                }
            }
        }
        tests_of_result[ri] = found;
    }
    let test_ref = |(fi, i): Id| TestRef {
        path: files[fi as usize].0.clone(),
        test: i as usize,
    };
    Mapping {
        by_test: by_id.into_iter().map(|(id, v)| (test_ref(id), v)).collect(),
        tests_of_result: tests_of_result
            .into_iter()
            .map(|ids| ids.into_iter().map(test_ref).collect())
            .collect(),
        unmatched,
    }
}

/// What the last run says about a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum ScenarioStatus {
    /// No test is linked.
    Untested,
    /// Linked tests, but no result for any of them.
    NotRun { tests: usize },
    /// Every result for its tests is a skip.
    Skipped { tests: usize },
    Passed {
        /// Results that passed.
        tests: usize,
        skipped: usize,
        /// Sum of the passed results' durations, when the report has durations.
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_ms: Option<f64>,
    },
    Failed {
        tests: usize,
        failed: usize,
        /// The first failing result's first message line.
        message: String,
        /// Index of that result.
        result: usize,
        /// The test it matched.
        #[serde(skip_serializing_if = "Option::is_none")]
        location: Option<Location>,
    },
}

/// The status of every scenario of the workspace.
pub fn scenario_status(
    ws: &Workspace,
    tests: &TestIndex,
    links: &Links,
    results: &[TestResult],
    mapping: &Mapping,
) -> BTreeMap<ScenarioRef, ScenarioStatus> {
    // In the map's order (paths, then indexes), so that the map is built at once at the end
    // rather than by an insertion per scenario (this runs over the whole workspace).
    let mut out = Vec::new();
    for (path, f) in &ws.files {
        let statuses = scenario_status_of(path, &f.doc, tests, links, results, mapping);
        for (index, status) in statuses.into_iter().enumerate() {
            let r = ScenarioRef {
                path: path.clone(),
                index,
            };
            out.push((r, status));
        }
    }
    out.into_iter().collect()
}

/// The statuses of the scenarios of one document (at `path`), by index: what
/// [`scenario_status`] gives for them. A document's statuses depend on nothing else of the
/// workspace than its links, so a front end can keep those of the documents that did not
/// change.
pub fn scenario_status_of(
    path: &str,
    doc: &Document,
    tests: &TestIndex,
    links: &Links,
    results: &[TestResult],
    mapping: &Mapping,
) -> Vec<ScenarioStatus> {
    let n = doc.scenarios.len();
    let linked = links_of(links, path, n);
    let mut idx: Vec<usize> = Vec::new();
    let mut out = Vec::with_capacity(n);
    for linked in linked {
        let linked = linked.map(Vec::as_slice).unwrap_or(&[]);
        if linked.is_empty() {
            out.push(ScenarioStatus::Untested);
            continue;
        }
        idx.clear();
        for l in linked {
            if let Some(list) = mapping.by_test.get(&l.test) {
                idx.extend_from_slice(list);
            }
        }
        idx.sort_unstable();
        idx.dedup();
        let status = if idx.is_empty() {
            ScenarioStatus::NotRun {
                tests: linked.len(),
            }
        } else {
            let failing: Vec<usize> = idx
                .iter()
                .copied()
                .filter(|&i| matches!(results[i].status, Status::Failed | Status::Error))
                .collect();
            let passed = idx
                .iter()
                .filter(|&&i| results[i].status == Status::Passed)
                .count();
            let skipped = idx
                .iter()
                .filter(|&&i| results[i].status == Status::Skipped)
                .count();
            if let Some(&first) = failing.first() {
                let res = &results[first];
                let location = mapping.tests_of_result[first].iter().find_map(|t| {
                    let item = tests.get(&t.path)?.tests.get(t.test)?;
                    Some(Location {
                        path: t.path.clone(),
                        span: item.span,
                        selection: item.name_span,
                    })
                });
                ScenarioStatus::Failed {
                    tests: idx.len(),
                    failed: failing.len(),
                    message: res.message.clone().unwrap_or_else(|| match res.status {
                        Status::Error => "error".to_string(),
                        _ => "failed".to_string(),
                    }),
                    result: first,
                    location,
                }
            } else if passed > 0 {
                ScenarioStatus::Passed {
                    tests: passed,
                    skipped,
                    duration_ms: idx
                        .iter()
                        .filter(|&&i| results[i].status == Status::Passed)
                        .filter_map(|&i| results[i].duration_ms)
                        .fold(None, |acc: Option<f64>, d| Some(acc.unwrap_or(0.0) + d))
                        .map(|d| (d * 1000.0).round() / 1000.0),
                }
            } else {
                ScenarioStatus::Skipped { tests: skipped }
            }
        };
        out.push(status);
    }
    out
}

/// The links of the first `n` scenarios of `path`, by index (one range query, not a lookup and
/// a key per scenario).
pub fn links_of<'l>(
    links: &'l Links,
    path: &str,
    n: usize,
) -> Vec<Option<&'l Vec<super::link::TestLink>>> {
    let mut out = vec![None; n];
    if n == 0 || links.by_scenario.is_empty() {
        return out;
    }
    let from = ScenarioRef {
        path: path.to_string(),
        index: 0,
    };
    let to = ScenarioRef {
        path: path.to_string(),
        index: n - 1,
    };
    for (r, l) in links.by_scenario.range(from..=to) {
        out[r.index] = Some(l);
    }
    out
}

/// `scenario-untested` (with a test-skeleton fix in the project's language, when it is known)
/// and `scenario-failed` (with related information at the failing test) diagnostics, per spec
/// path. Configured levels (`[checks]`) are applied; switched-off codes give nothing.
pub fn scenario_diagnostics(
    ws: &Workspace,
    tests: &TestIndex,
    statuses: &BTreeMap<ScenarioRef, ScenarioStatus>,
    config: &Config,
) -> BTreeMap<String, Vec<Diagnostic>> {
    let arrangements: Vec<&Arrangement> =
        ws.docs().filter_map(|d| d.arrangement.as_ref()).collect();
    let mut out: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    if tests.files.is_empty() {
        return out;
    }
    let mut by_path: BTreeMap<&str, Vec<(usize, &ScenarioStatus)>> = BTreeMap::new();
    for (r, status) in statuses {
        by_path
            .entry(r.path.as_str())
            .or_default()
            .push((r.index, status));
    }
    let language = project_language(&arrangements, tests);
    for (path, list) in by_path {
        let diags =
            scenario_diagnostics_of(ws, tests, path, &list, config, &arrangements, language);
        if !diags.is_empty() {
            out.insert(path.to_string(), diags);
        }
    }
    out
}

/// The diagnostics [`scenario_diagnostics`] gives the spec at `path`, from its scenarios'
/// statuses (index, status): they depend on nothing else of the workspace than its
/// arrangements (`arrangements`, and `language`, the project's language from
/// [`project_language`]).
pub fn scenario_diagnostics_of(
    ws: &Workspace,
    tests: &TestIndex,
    path: &str,
    statuses: &[(usize, &ScenarioStatus)],
    config: &Config,
    arrangements: &[&Arrangement],
    language: Option<super::Language>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // A workspace without a single test file (a repository of specs only, or one whose tests
    // live elsewhere) gets no test diagnostics at all: there is nothing to link to yet.
    if tests.files.is_empty() || statuses.is_empty() {
        return out;
    }
    let Some(doc) = ws.get(path).map(|f| &f.doc) else {
        return out;
    };
    // A spec none of whose scenarios has a test is not under test yet (a design document, or a
    // project before its first test): one note on the spec, not a warning per scenario.
    let tested = statuses
        .iter()
        .any(|(_, s)| !matches!(s, ScenarioStatus::Untested));
    if !tested {
        let count = statuses.len();
        let d = Diagnostic::new(
            "spec-untested",
            doc.name_span,
            format!(
                "no scenario of `{}` is linked to a test yet ({count} scenario{}): add `@spec <scenario-id>` markers to tests, or name tests after the scenarios",
                doc.name,
                if count == 1 { "" } else { "s" }
            ),
        );
        out.extend(config.apply(d));
        return out;
    }
    for &(index, status) in statuses {
        let Some(sc) = doc.scenarios.get(index) else {
            continue;
        };
        let d = match status {
            ScenarioStatus::Untested => {
                let mut d = Diagnostic::new(
                    "scenario-untested",
                    sc.name_span,
                    format!(
                        "scenario `{}` has no test: no `@spec {}` marker names it and no test is named after it",
                        sc.name, sc.id
                    ),
                );
                if let Some(lang) = language {
                    let edit =
                        skeleton_edit(ws, lang, sc, &doc.name, path, tests, config, arrangements);
                    let verb = if tests.get(&edit.path).is_some() {
                        "Add"
                    } else {
                        "Create"
                    };
                    let title = if verb == "Add" {
                        format!("Add a test skeleton for `{}` to {}", sc.name, edit.path)
                    } else {
                        format!(
                            "Create {} with a test skeleton for `{}`",
                            edit.path, sc.name
                        )
                    };
                    // A test path that leaves the workspace (an arrangement pointing elsewhere,
                    // which has its own diagnostic) is never offered as a file to create.
                    if crate::checks::arrangement::leaves_workspace(&edit.path).is_none() {
                        d = d.with_fix(title, vec![edit]);
                    }
                }
                d
            }
            ScenarioStatus::Failed {
                message,
                location,
                failed,
                tests: n,
                ..
            } => {
                let mut d = Diagnostic::new(
                    "scenario-failed",
                    sc.name_span,
                    format!(
                        "scenario `{}` failed ({failed} of {n} test results): {message}",
                        sc.name
                    ),
                );
                if let Some(loc) = location {
                    let name = tests
                        .get(&loc.path)
                        .and_then(|f| f.tests.iter().find(|t| t.span == loc.span))
                        .map(|t| t.name.as_str())
                        .unwrap_or("the test");
                    d = d.with_related(
                        loc.path.clone(),
                        loc.selection,
                        format!("`{name}` failed here: {message}"),
                    );
                }
                d
            }
            _ => continue,
        };
        out.extend(config.apply(d));
    }
    out
}
