//! Links between scenarios and tests.
//!
//! 1. Markers first. A marker's id resolves to, in order: the scenario with that id; the
//!    scenario whose generated id (`slug(spec)/slug(name)`) it is, for scenarios with an
//!    explicit id; a requirement with that id, which links every scenario under it (its
//!    `parent`) or mentioning it (in its name or steps); a scenario id differing only in case.
//!    Anything else is an `unknown-scenario-marker` warning on the marker (with "did you mean"
//!    and a fix when a close id exists).
//! 2. Convention for scenarios that no marker names: a test (or suite, or subtest) whose name
//!    is the scenario's name in the language's style — `test_create_a_simple_task`,
//!    `create_a_simple_task`, `TestCreateASimpleTask`, `it("Create a simple task")`,
//!    `t.Run("Create a simple task")` — compared on letters and digits only, case-insensitively,
//!    after dropping a `test`/`Test` prefix. When scenarios of several specs have that name,
//!    tests in the spec's own test file (from the arrangement or the default test path), else
//!    in a file named after the spec, win; when none is there, every matching test links.
//!
//! Only files in the [`TestIndex`] take part: callers index the files [`super::files`] selects.

use std::collections::BTreeMap;

use crate::fxhash::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{files, Language, TestIndex, TestKind, TestRef};
use crate::checks::dependencies::did_you_mean;
use crate::config::Config;
use crate::diag::{Diagnostic, TextEdit};
use crate::model::{scenario_id, Arrangement, Document, Scenario};
use crate::span::Span;
use crate::workspace::Workspace;

/// A scenario of the workspace: its document's path and its index in `Document::scenarios`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScenarioRef {
    pub path: String,
    pub index: usize,
}

/// How a test came to be linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkVia {
    /// A marker naming the scenario.
    Marker,
    /// A marker naming the scenario's requirement.
    Requirement,
    /// The test's name is the scenario's name.
    Convention,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TestLink {
    pub test: TestRef,
    pub via: LinkVia,
    /// The marker (index into the file's `markers`) for marker and requirement links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<usize>,
}

/// What a marker names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum MarkerTarget {
    Scenario {
        scenario: ScenarioRef,
    },
    Requirement {
        /// The spec that defines the requirement.
        path: String,
        id: String,
        span: Span,
    },
}

/// A location in a file, for navigation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: String,
    pub span: Span,
    /// The part to select (a test's name, a scenario's name).
    pub selection: Span,
}

/// Scenario <-> test links of a workspace and its test index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Links {
    /// Tests of each linked scenario, in test-index order.
    pub by_scenario: BTreeMap<ScenarioRef, Vec<TestLink>>,
    /// Scenarios of each linked test.
    pub by_test: BTreeMap<TestRef, Vec<ScenarioRef>>,
    /// Per test file: for each of its markers (same order as `TestFile::markers`), what it
    /// names (empty for unknown ids).
    pub markers: BTreeMap<String, Vec<Vec<MarkerTarget>>>,
    /// `unknown-scenario-marker` diagnostics, per test file.
    pub diagnostics: BTreeMap<String, Vec<Diagnostic>>,
}

impl Links {
    pub fn tests_of(&self, scenario: &ScenarioRef) -> &[TestLink] {
        self.by_scenario
            .get(scenario)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn scenarios_of(&self, test: &TestRef) -> &[ScenarioRef] {
        self.by_test.get(test).map(Vec::as_slice).unwrap_or(&[])
    }

    /// What the marker `marker` of test file `path` names.
    pub fn marker_targets(&self, path: &str, marker: usize) -> &[MarkerTarget] {
        self.markers
            .get(path)
            .and_then(|m| m.get(marker))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Where a scenario's tests are (go to definition / find references from a scenario).
    pub fn test_locations(&self, scenario: &ScenarioRef, tests: &TestIndex) -> Vec<Location> {
        let mut out: Vec<Location> = Vec::new();
        for l in self.tests_of(scenario) {
            if let Some(t) = tests
                .get(&l.test.path)
                .and_then(|f| f.tests.get(l.test.test))
            {
                let loc = Location {
                    path: l.test.path.clone(),
                    span: t.span,
                    selection: t.name_span,
                };
                if !out.contains(&loc) {
                    out.push(loc);
                }
            }
        }
        out
    }

    /// Where the marker at `offset` of test file `path` points (go to definition from a
    /// marker): the scenarios' names, or the requirement's id.
    pub fn marker_definition(
        &self,
        ws: &Workspace,
        tests: &TestIndex,
        path: &str,
        offset: usize,
    ) -> Vec<Location> {
        let Some(m) = tests.get(path).and_then(|f| f.marker_at(offset)) else {
            return Vec::new();
        };
        self.marker_targets(path, m)
            .iter()
            .filter_map(|t| match t {
                MarkerTarget::Scenario { scenario } => {
                    let sc = ws.get(&scenario.path)?.doc.scenarios.get(scenario.index)?;
                    Some(Location {
                        path: scenario.path.clone(),
                        span: sc.span,
                        selection: sc.name_span,
                    })
                }
                MarkerTarget::Requirement { path, span, .. } => Some(Location {
                    path: path.clone(),
                    span: *span,
                    selection: *span,
                }),
            })
            .collect()
    }
}

/// The scenario whose span holds `offset` in the spec at `path` (innermost: the smallest).
pub fn scenario_at(ws: &Workspace, path: &str, offset: usize) -> Option<ScenarioRef> {
    let doc = &ws.get(path)?.doc;
    doc.scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| s.span.touches(offset))
        .min_by_key(|(_, s)| s.span.len())
        .map(|(index, _)| ScenarioRef {
            path: path.to_string(),
            index,
        })
}

/// Every scenario whose id is `id` (more than one only when ids are duplicated).
pub fn scenarios_with_id(ws: &Workspace, id: &str) -> Vec<ScenarioRef> {
    let mut out = Vec::new();
    for (path, f) in &ws.files {
        for (index, sc) in f.doc.scenarios.iter().enumerate() {
            if sc.id == id {
                out.push(ScenarioRef {
                    path: path.clone(),
                    index,
                });
            }
        }
    }
    out
}

/// Letters and digits only, lower case: the key names are compared on.
pub(crate) fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The keys a test name answers to by convention.
fn convention_keys(name: &str, kind: TestKind, lang: Language) -> Vec<String> {
    let mut keys = vec![squash(name)];
    if kind != TestKind::Subtest {
        let stripped = match lang {
            Language::Go => name.strip_prefix("Test"),
            Language::Python | Language::Rust => name
                .strip_prefix("test_")
                .or_else(|| name.strip_prefix("test"))
                .or_else(|| name.strip_prefix("Test")),
            _ => None,
        };
        if let Some(s) = stripped {
            let k = squash(s);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys.retain(|k| !k.is_empty());
    keys
}

/// Link with the default configuration (arrangements come from the workspace).
pub fn link(ws: &Workspace, tests: &TestIndex) -> Links {
    link_with(ws, tests, &Config::default())
}

/// Link scenarios of `ws` with the tests of `tests`.
pub fn link_with(ws: &Workspace, tests: &TestIndex, config: &Config) -> Links {
    // Runs on every edit: with no test file nothing links, and the scenario tables below are
    // only built for what the tests can ask of them.
    if tests.files.is_empty() {
        return Links::default();
    }
    let docs: Vec<(&String, &Document)> =
        ws.files.iter().map(|(p, f)| (p, f.doc.as_ref())).collect();
    let sref = |(d, index): (usize, usize)| ScenarioRef {
        path: docs[d].0.clone(),
        index,
    };
    // Scenario and requirement ids (scenarios as (document, index) until they link).
    let mut by_id: HashMap<&str, Vec<(usize, usize)>> = HashMap::default();
    let mut by_generated: HashMap<String, Vec<(usize, usize)>> = HashMap::default();
    let mut by_lower: HashMap<String, Vec<(usize, usize)>> = HashMap::default();
    let mut requirements: HashMap<&str, (String, Span)> = HashMap::default();
    let mut by_requirement: HashMap<&str, Vec<(usize, usize)>> = HashMap::default();
    let has_markers = tests.files.values().any(|f| !f.markers.is_empty());
    if has_markers {
        for (path, doc) in &docs {
            for r in &doc.requirements {
                requirements
                    .entry(r.id.as_str())
                    .or_insert_with(|| ((*path).clone(), r.id_span));
            }
        }
        // Requirements some marker names: only their scenarios are looked for.
        let named: HashSet<&str> = tests
            .files
            .values()
            .flat_map(|f| f.markers.iter())
            .filter_map(|m| requirements.get_key_value(m.id.as_str()).map(|(k, _)| *k))
            .collect();
        for (d, (_, doc)) in docs.iter().enumerate() {
            for (index, sc) in doc.scenarios.iter().enumerate() {
                let r = (d, index);
                by_id.entry(sc.id.as_str()).or_default().push(r);
                if sc.explicit_id {
                    by_generated
                        .entry(scenario_id(&doc.name, &sc.name))
                        .or_default()
                        .push(r);
                }
                by_lower.entry(sc.id.to_lowercase()).or_default().push(r);
                if named.is_empty() {
                    continue;
                }
                // Requirements this scenario belongs to or mentions.
                let mut reqs: Vec<&str> = Vec::new();
                if let Some(p) = sc.parent.as_deref() {
                    if let Some(k) = named.get(p) {
                        reqs.push(k);
                    }
                }
                for text in
                    std::iter::once(sc.name.as_str()).chain(sc.steps().map(|s| s.text.as_str()))
                {
                    for word in text.split(|c: char| {
                        !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'))
                    }) {
                        let word = word.trim_end_matches(['.', ':']);
                        if let Some(k) = named.get(word) {
                            if !reqs.contains(k) {
                                reqs.push(k);
                            }
                        }
                    }
                }
                for k in reqs {
                    by_requirement.entry(k).or_default().push(r);
                }
            }
        }
    }

    let mut links = Links::default();
    let add = |links: &mut Links,
               sc: &ScenarioRef,
               test: TestRef,
               via: LinkVia,
               marker: Option<usize>| {
        let list = links.by_scenario.entry(sc.clone()).or_default();
        if list.iter().any(|l| l.test == test) {
            return;
        }
        list.push(TestLink {
            test: test.clone(),
            via,
            marker,
        });
        let back = links.by_test.entry(test).or_default();
        if !back.contains(sc) {
            back.push(sc.clone());
        }
    };

    // 1. Markers.
    let mut suggestions_left = 200usize;
    for (path, file) in &tests.files {
        let mut targets_of_file = Vec::with_capacity(file.markers.len());
        for (mi, m) in file.markers.iter().enumerate() {
            let id = m.id.as_str();
            let mut targets = Vec::new();
            let mut via = LinkVia::Marker;
            let scenarios = by_id
                .get(id)
                .or_else(|| by_generated.get(id))
                .cloned()
                .or_else(|| {
                    requirements.get(id).map(|(rp, span)| {
                        via = LinkVia::Requirement;
                        targets.push(MarkerTarget::Requirement {
                            path: rp.clone(),
                            id: id.to_string(),
                            span: *span,
                        });
                        by_requirement.get(id).cloned().unwrap_or_default()
                    })
                })
                .or_else(|| by_lower.get(&id.to_lowercase()).cloned());
            match scenarios {
                Some(list) => {
                    for sc in list.into_iter().map(sref) {
                        if let Some(t) = m.test {
                            add(
                                &mut links,
                                &sc,
                                TestRef {
                                    path: path.clone(),
                                    test: t,
                                },
                                via,
                                Some(mi),
                            );
                        }
                        targets.push(MarkerTarget::Scenario { scenario: sc });
                    }
                }
                None => {
                    let mut d = Diagnostic::new(
                        "unknown-scenario-marker",
                        m.span,
                        format!("`@spec {id}`: no scenario or requirement has this id"),
                    );
                    if suggestions_left > 0 {
                        suggestions_left -= 1;
                        let len = id.chars().count();
                        let near = |s: &&str| s.chars().count().abs_diff(len) <= 3;
                        let ids = by_id
                            .keys()
                            .copied()
                            .chain(requirements.keys().copied())
                            .filter(near);
                        if let Some(g) = did_you_mean(id, ids) {
                            d.message = format!("{}; did you mean `{g}`?", d.message);
                            d = d.with_fix(
                                format!("Change to `{g}`"),
                                vec![TextEdit {
                                    path: String::new(),
                                    span: m.span,
                                    new_text: g.to_string(),
                                }],
                            );
                        }
                    }
                    links.diagnostics.entry(path.clone()).or_default().push(d);
                }
            }
            targets_of_file.push(targets);
        }
        if !targets_of_file.is_empty() {
            links.markers.insert(path.clone(), targets_of_file);
        }
    }

    // 2. Convention, for scenarios no marker names.
    let mut by_key: HashMap<String, Vec<TestRef>> = HashMap::default();
    for (path, file) in &tests.files {
        for (ti, t) in file.tests.iter().enumerate() {
            for k in convention_keys(&t.name, t.kind, file.language) {
                by_key.entry(k).or_default().push(TestRef {
                    path: path.clone(),
                    test: ti,
                });
            }
        }
    }
    let arrangements: Vec<&Arrangement> = docs
        .iter()
        .filter_map(|(_, d)| d.arrangement.as_ref())
        .collect();
    let languages: Vec<Language> = {
        let mut l: Vec<Language> = tests.files.values().map(|f| f.language).collect();
        l.sort();
        l.dedup();
        l
    };
    if by_key.is_empty() {
        return links;
    }
    // How many scenarios answer to each name: a name shared by scenarios of several specs is
    // resolved by test file (the spec's own test file, then a file named after the spec).
    let keys: Vec<Vec<String>> = docs
        .iter()
        .map(|(_, doc)| doc.scenarios.iter().map(|sc| squash(&sc.name)).collect())
        .collect();
    let mut name_count: HashMap<&str, usize> = HashMap::default();
    for k in keys.iter().flatten() {
        *name_count.entry(k.as_str()).or_default() += 1;
    }
    for (d, (path, doc)) in docs.iter().enumerate() {
        // The scenarios of this document some test is named after.
        let named: Vec<(usize, &Vec<TestRef>)> = keys[d]
            .iter()
            .enumerate()
            .filter_map(|(index, key)| Some((index, by_key.get(key)?)))
            .collect();
        if named.is_empty() {
            continue;
        }
        let spec_key = squash(&doc.name);
        let own_paths: Vec<String> = languages
            .iter()
            .map(|&l| files::test_path_in(ws, &doc.name, path, l, config, &arrangements))
            .collect();
        for (index, cands) in named {
            let r = ScenarioRef {
                path: (*path).clone(),
                index,
            };
            if links.by_scenario.contains_key(&r) {
                continue;
            }
            let key = &keys[d][index];
            let shared = name_count.get(key.as_str()).copied().unwrap_or(0) > 1;
            let mut chosen: Vec<&TestRef> = if shared {
                cands
                    .iter()
                    .filter(|t| own_paths.contains(&t.path))
                    .collect()
            } else {
                cands.iter().collect()
            };
            if chosen.is_empty() && !spec_key.is_empty() {
                chosen = cands
                    .iter()
                    .filter(|t| {
                        let file = t.path.rsplit('/').next().unwrap_or(&t.path);
                        squash(file.split('.').next().unwrap_or(file)).contains(&spec_key)
                    })
                    .collect();
            }
            if chosen.is_empty() {
                chosen = cands.iter().collect();
            }
            for t in chosen {
                add(&mut links, &r, t.clone(), LinkVia::Convention, None);
            }
        }
    }
    links
}

/// Edits that change every `@spec old_id` marker (and `pytest.mark.spec("old_id")`) to
/// `new_id`, for renaming a scenario or requirement id. Each edit carries its file's path.
pub fn rename_marker_edits(tests: &TestIndex, old_id: &str, new_id: &str) -> Vec<TextEdit> {
    let mut out = Vec::new();
    for (path, file) in &tests.files {
        for m in &file.markers {
            if m.id == old_id {
                out.push(TextEdit {
                    path: path.clone(),
                    span: m.span,
                    new_text: new_id.to_string(),
                });
            }
        }
    }
    out
}

/// The scenario a [`ScenarioRef`] points at.
pub fn resolve<'w>(ws: &'w Workspace, r: &ScenarioRef) -> Option<&'w Scenario> {
    ws.get(&r.path)?.doc.scenarios.get(r.index)
}
