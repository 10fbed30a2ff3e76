//! Tests and results as the language server sees them: which files of the workspace are test
//! files (kept in the state owner next to the specs), the results of the last runs (read from
//! `.specls/results/` and from configured result files such as CI artifacts), and the derived
//! view — links, result mapping and per-scenario status — computed once per generation from a
//! snapshot and shared by lenses, diagnostics, hover and navigation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use specls_core::config::{Config, Globs};
use specls_core::diag::Diagnostic;
use specls_core::measurements::{self, ConstraintRef, Measured, Measurement};
use specls_core::model::{Arrangement, Document};
use specls_core::testlinks::link::{self, Links, ScenarioRef};
use specls_core::testlinks::results::{self, TestResult};
use specls_core::testlinks::status::{self, Mapping, ScenarioStatus};
use specls_core::testlinks::{Language, TestFileMatcher, TestIndex};
use specls_core::workspace::Workspace;

use super::paths::Roots;

/// Test files bigger than this are not indexed.
pub const MAX_TEST_FILE: u64 = 4 << 20;
/// Result files bigger than this are not read.
pub const MAX_RESULT_FILE: u64 = 32 << 20;

/// The folder under the state folder holding run results.
pub const RESULTS_DIR: &str = "results";
/// The folder under the state folder holding measurement files.
pub const MEASUREMENTS_DIR: &str = "measurements";

/// Every indexed test file and its text (for positions and edits).
#[derive(Clone, Debug, Default)]
pub struct TestFiles {
    pub index: TestIndex,
    pub texts: BTreeMap<String, Arc<str>>,
}

impl TestFiles {
    pub fn upsert(&mut self, key: &str, text: Arc<str>, lang: Language) {
        self.index.upsert(key, &text, lang);
        self.texts.insert(key.to_string(), text);
    }
    pub fn remove(&mut self, key: &str) -> bool {
        self.index.remove(key);
        self.texts.remove(key).is_some()
    }
}

/// One result file that was read.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultSource {
    /// Workspace key of the file.
    pub key: String,
    pub modified: Option<SystemTime>,
    /// Results it contributed (after newer files took theirs).
    pub results: usize,
    /// What could not be read in it (line: message).
    pub errors: Vec<String>,
}

/// The results the editor shows: the newest result for every test over all result files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunResults {
    /// Measured values for constraints (`.specls/measurements/`, `measurements` globs), newest
    /// file first.
    pub measurements: Vec<Measurement>,
    pub results: Vec<TestResult>,
    /// For each result, the index of its source in `sources`.
    pub source_of: Vec<usize>,
    pub sources: Vec<ResultSource>,
    /// `.specls/results/last-run.json`: outcomes of scenarios that the last (filtered) runs
    /// did not select are kept there, while their reports were replaced.
    pub last: Option<crate::testrun::LastRun>,
    /// When `last-run.json` was written (a report written after it is not that run's).
    pub last_written: Option<SystemTime>,
    /// The guardian results kept in `.specls/guardian.json` (read on start).
    pub guardian: super::guardian::GuardianResults,
}

impl RunResults {
    /// When the newest source was written.
    pub fn last_run(&self) -> Option<SystemTime> {
        self.sources.iter().filter_map(|s| s.modified).max()
    }
}

/// Is this workspace key a result file specls reads (under `.specls/results/`, or matching a
/// configured result glob)?
pub fn is_result_key(key: &str, globs: &Globs) -> bool {
    let under = |dir: &str| {
        let state = format!("{}/{dir}/", crate::fsutil::STATE_DIR);
        key.starts_with(&state) || key.contains(&format!("/{state}"))
    };
    under(RESULTS_DIR) || under(MEASUREMENTS_DIR) || globs.is_match(key)
}

/// Parse result files (already read) into the results the editor shows: files are taken
/// newest first, and a test (class + name + file) already reported by a newer file is skipped.
pub fn merge_results(mut files: Vec<(String, Option<SystemTime>, String)>) -> RunResults {
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    // Every file parsed first, then which results are kept, with keys borrowed from them
    // (not three strings copied per test case).
    /// A result file read: key, modification time, errors, results.
    type Read = (String, Option<SystemTime>, Vec<String>, Vec<TestResult>);
    let parsed: Vec<Read> = files
        .into_iter()
        .map(|(key, modified, text)| {
            let parsed = results::parse(&text);
            let mut errors: Vec<String> = parsed
                .errors
                .iter()
                .map(|e| format!("line {}: {}", e.line, e.message))
                .collect();
            if parsed.format.is_none() && !text.trim().is_empty() {
                errors.push("not a test report specls can read (JUnit XML, go test -json, cargo test output or TAP)".into());
            }
            (key, modified, errors, parsed.results)
        })
        .collect();
    let keep: Vec<Vec<bool>> = {
        let mut seen: specls_core::fxhash::HashSet<(Option<&str>, &str, Option<&str>)> =
            Default::default();
        parsed
            .iter()
            .map(|(_, _, _, rs)| {
                rs.iter()
                    .map(|r| seen.insert((r.class.as_deref(), r.name.as_str(), r.file.as_deref())))
                    .collect()
            })
            .collect()
    };
    let mut out = RunResults::default();
    for ((key, modified, errors, rs), keep) in parsed.into_iter().zip(keep) {
        let si = out.sources.len();
        let mut n = 0;
        for (r, keep) in rs.into_iter().zip(keep) {
            if !keep {
                continue;
            }
            out.results.push(r);
            out.source_of.push(si);
            n += 1;
        }
        out.sources.push(ResultSource {
            key,
            modified,
            results: n,
            errors,
        });
    }
    out
}

/// Every result file of the workspace: the files under `.specls/results/` of each folder and
/// those matching the configured result globs (walked from the folders, ignore files honoured).
pub fn result_paths(roots: &Roots, config: &Config) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for folder in roots.folders.iter().chain(roots.base.iter()) {
        let dir = folder.join(crate::fsutil::STATE_DIR).join(RESULTS_DIR);
        collect_files(&dir, &mut paths, 0);
    }
    paths.extend(globbed(roots, config, &config.result_globs));
    paths.retain(|p| !is_run_metadata(p));
    paths.sort();
    paths.dedup();
    paths
}

/// Files matching some globs of the settings (walked from the folders, ignore files honoured).
fn globbed(roots: &Roots, config: &Config, globs: &[String]) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let globs = Globs::new(globs);
    if !globs.is_empty() {
        let (walked, _) = crate::files::walk_with(&roots.folders, roots.base.as_deref(), config);
        for p in walked {
            if globs.is_match(&roots.key_for_path(&p)) {
                paths.push(p);
            }
        }
    }
    paths
}

/// Every measurement file: under `.specls/measurements/` and matching `measurements` globs.
pub fn measurement_paths(roots: &Roots, config: &Config) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for folder in roots.folders.iter().chain(roots.base.iter()) {
        let dir = folder.join(crate::fsutil::STATE_DIR).join(MEASUREMENTS_DIR);
        collect_files(&dir, &mut paths, 0);
    }
    paths.extend(globbed(roots, config, &config.measurement_globs));
    paths.retain(|p| p.extension().is_some_and(|e| e == "json"));
    paths.sort();
    paths.dedup();
    paths
}

/// Read every measurement file, newest first.
pub fn read_measurements(roots: &Roots, config: &Config) -> Vec<Measurement> {
    let mut files: Vec<(Option<SystemTime>, Vec<Measurement>)> = Vec::new();
    for p in measurement_paths(roots, config) {
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.len() > measurements::MAX_FILE as u64 {
            continue;
        }
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let key = roots.key_for_path(&p);
        let parsed = measurements::parse(&key, &text);
        for e in &parsed.errors {
            tracing::info!("{key}: {e}");
        }
        files.push((meta.modified().ok(), parsed.measurements));
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files.into_iter().flat_map(|(_, m)| m).collect()
}

/// Read every result file of the workspace (see [`result_paths`]).
pub fn read_results(roots: &Roots, config: &Config) -> RunResults {
    let mut run = read_reports(roots, config);
    run.measurements = read_measurements(roots, config);
    if let Some(root) = roots.base.as_ref().or(roots.folders.first()) {
        match crate::testrun::load_results(root) {
            Ok(last) => run.last = last,
            Err(e) => tracing::info!("{e}"),
        }
        run.last_written = std::fs::metadata(
            root.join(crate::fsutil::STATE_DIR)
                .join(RESULTS_DIR)
                .join(crate::testrun::store::LAST_RUN),
        )
        .and_then(|m| m.modified())
        .ok();
        match super::guardian::load(root) {
            Ok(g) => run.guardian = g,
            Err(e) => tracing::info!("{e}"),
        }
    }
    run
}

fn read_reports(roots: &Roots, config: &Config) -> RunResults {
    let files = result_paths(roots, config)
        .into_iter()
        .filter_map(|p| {
            let meta = std::fs::metadata(&p).ok()?;
            if meta.len() > MAX_RESULT_FILE {
                tracing::info!("{}: result file too big, not read", p.display());
                return None;
            }
            let bytes = std::fs::read(&p).ok()?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Some((roots.key_for_path(&p), meta.modified().ok(), text))
        })
        .collect();
    merge_results(files)
}

/// Files the runner keeps beside the reports (run metadata, not reports), and temporaries.
fn is_run_metadata(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.') || name == "last-run.json" || name.ends_with(".tmp")
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => collect_files(&p, out, depth + 1),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

/// The arrangements of a workspace (where their test files are).
pub fn arrangements(ws: &Workspace) -> Vec<&Arrangement> {
    ws.docs().filter_map(|d| d.arrangement.as_ref()).collect()
}

/// A fingerprint of what decides which files are test files.
pub fn matcher_key(ws: &Workspace, config: &Config) -> String {
    let mut key = format!("{:?}|{:?}", config.test_globs, config.exclude);
    for a in arrangements(ws) {
        for f in &a.output_paths {
            if f.key.ends_with("tests") {
                key.push('|');
                key.push_str(&f.value);
            }
        }
    }
    key
}

pub fn matcher(ws: &Workspace, config: &Config) -> TestFileMatcher {
    TestFileMatcher::new(config, &arrangements(ws))
}

/// Links, result mapping and per-scenario status of one generation.
///
/// Computed from the previous view ([`TestView::compute_after`]): a spec whose document, links,
/// tests, results and settings are those the previous view read keeps its statuses and
/// diagnostics (the same `Arc`s), so that a keystroke in one spec does not make the statuses of
/// every scenario of the workspace again. The view is always what [`TestView::compute`] gives.
#[derive(Debug, Default)]
pub struct TestView {
    pub links: Links,
    pub mapping: Arc<Mapping>,
    /// Per spec: its scenarios' statuses (by index) and its test diagnostics.
    files: BTreeMap<Arc<str>, FileView>,
    /// Constraints with a measured value.
    pub measured: BTreeMap<ConstraintRef, Measured>,
    /// Diagnostics for specs (`spec-untested`, `scenario-untested`, `scenario-failed`,
    /// `constraint-broken`) and test files (`unknown-scenario-marker`); no empty list.
    pub diagnostics: BTreeMap<String, Arc<Vec<Diagnostic>>>,
    /// What the view was computed from (None: not to be reused).
    inputs: Option<Inputs>,
}

/// One spec in a [`TestView`].
#[derive(Clone, Debug)]
struct FileView {
    /// The document the statuses are of.
    doc: Arc<Document>,
    statuses: Arc<Vec<ScenarioStatus>>,
    /// Its `spec-untested`, `scenario-untested` and `scenario-failed` diagnostics.
    diagnostics: Arc<Vec<Diagnostic>>,
}

/// What a [`TestView`] was computed from, for the next one to tell what it can keep.
#[derive(Debug)]
struct Inputs {
    tests: Arc<TestFiles>,
    run: Arc<RunResults>,
    config: Arc<Config>,
    /// The documents with an arrangement (a spec's test diagnostics read them), by path.
    arrangements: Vec<(String, Arc<Document>)>,
    /// The mapping before the results of `ignored` were taken out of it.
    raw_mapping: Arc<Mapping>,
    ignored: Vec<usize>,
}

impl TestView {
    /// The view of a workspace, computed afresh.
    pub fn compute(ws: &Workspace, tests: &TestFiles, run: &RunResults, config: &Config) -> Self {
        let arrangements: Vec<&Arrangement> = arrangements(ws);
        let language =
            specls_core::testlinks::skeleton::project_language(&arrangements, &tests.index);
        let links = link::link_with(ws, &tests.index, config);
        let raw_mapping = Arc::new(status::map_results(&tests.index, &run.results));
        let ignored = unselected_skips(ws, &links, &raw_mapping, run);
        let mapping = forgotten(&raw_mapping, &ignored);
        let mut files = BTreeMap::new();
        for (path, f) in &ws.files {
            let path: Arc<str> = Arc::from(path.as_str());
            let statuses = Arc::new(file_statuses(&path, &f.doc, tests, run, &links, &mapping));
            let diagnostics = Arc::new(file_diagnostics(
                ws,
                tests,
                &path,
                &statuses,
                config,
                &arrangements,
                language,
            ));
            files.insert(
                path,
                FileView {
                    doc: f.doc.clone(),
                    statuses,
                    diagnostics,
                },
            );
        }
        TestView::finish(ws, run, config, links, mapping, files, None)
    }

    /// [`TestView::compute`], keeping from `prev` (a view of an earlier generation) what did
    /// not change: the result mapping when the tests and results are the same, and each spec's
    /// statuses and diagnostics when its document, its links, the tests, the results, the
    /// settings and the arrangements are.
    pub fn compute_after(
        prev: Option<&TestView>,
        ws: &Workspace,
        tests: &Arc<TestFiles>,
        run: &Arc<RunResults>,
        config: &Config,
    ) -> Self {
        let base = prev.and_then(|p| Some((p, p.inputs.as_ref()?)));
        let same_tests = base.is_some_and(|(_, i)| Arc::ptr_eq(&i.tests, tests));
        let same_run = base.is_some_and(|(_, i)| Arc::ptr_eq(&i.run, run));
        let config = match base {
            Some((_, i)) if *i.config == *config => i.config.clone(),
            _ => Arc::new(config.clone()),
        };
        let same_config = base.is_some_and(|(_, i)| Arc::ptr_eq(&i.config, &config));
        let arrangement_docs: Vec<(String, Arc<Document>)> = ws
            .files
            .iter()
            .filter(|(_, f)| f.doc.arrangement.is_some())
            .map(|(p, f)| (p.clone(), f.doc.clone()))
            .collect();
        let same_arrangements = base.is_some_and(|(_, i)| {
            i.arrangements.len() == arrangement_docs.len()
                && i.arrangements
                    .iter()
                    .zip(&arrangement_docs)
                    .all(|((p, d), (q, e))| p == q && Arc::ptr_eq(d, e))
        });
        let arrangements: Vec<&Arrangement> = arrangements(ws);
        let language =
            specls_core::testlinks::skeleton::project_language(&arrangements, &tests.index);

        let links = link::link_with(ws, &tests.index, &config);
        let raw_mapping = match base {
            Some((_, i)) if same_tests && same_run => i.raw_mapping.clone(),
            _ => Arc::new(status::map_results(&tests.index, &run.results)),
        };
        let ignored = unselected_skips(ws, &links, &raw_mapping, run);
        let same_ignored = base.is_some_and(|(_, i)| i.ignored == ignored);
        let mapping = match base {
            Some((p, _)) if same_tests && same_run && same_ignored => p.mapping.clone(),
            _ => forgotten(&raw_mapping, &ignored),
        };
        // Statuses read the tests, the results, the mapping and the file's links.
        let statuses_kept = same_tests && same_run && same_ignored;
        let all_links_same =
            statuses_kept && base.is_some_and(|(p, _)| p.links.by_scenario == links.by_scenario);
        let diagnostics_kept = statuses_kept && same_config && same_arrangements;

        // Walked side by side with the previous view's specs (both sorted by path): no lookup,
        // and the previous key is kept, per spec.
        let mut previous = base.map(|(p, _)| p.files.iter().peekable());
        let mut files: Vec<(Arc<str>, FileView)> = Vec::with_capacity(ws.files.len());
        for (path, f) in &ws.files {
            let found = previous.as_mut().and_then(|it| {
                while it.next_if(|(k, _)| k.as_ref() < path.as_str()).is_some() {}
                it.peek().copied().filter(|(k, _)| ***k == **path)
            });
            let key = found.map_or_else(|| Arc::from(path.as_str()), |(k, _)| k.clone());
            let before = found
                .map(|(_, b)| b)
                .filter(|b| statuses_kept && Arc::ptr_eq(&b.doc, &f.doc));
            let before = before.filter(|_| {
                all_links_same
                    || base.is_some_and(|(p, _)| {
                        let n = f.doc.scenarios.len();
                        status::links_of(&p.links, path, n) == status::links_of(&links, path, n)
                    })
            });
            let view = match before {
                Some(b) if diagnostics_kept => b.clone(),
                Some(b) => FileView {
                    doc: f.doc.clone(),
                    statuses: b.statuses.clone(),
                    diagnostics: Arc::new(file_diagnostics(
                        ws,
                        tests,
                        path,
                        &b.statuses,
                        &config,
                        &arrangements,
                        language,
                    )),
                },
                None => {
                    let statuses =
                        Arc::new(file_statuses(path, &f.doc, tests, run, &links, &mapping));
                    let diagnostics = Arc::new(file_diagnostics(
                        ws,
                        tests,
                        path,
                        &statuses,
                        &config,
                        &arrangements,
                        language,
                    ));
                    FileView {
                        doc: f.doc.clone(),
                        statuses,
                        diagnostics,
                    }
                }
            };
            files.push((key, view));
        }
        // Built from the sorted list at once.
        let files: BTreeMap<Arc<str>, FileView> = files.into_iter().collect();
        let inputs = Inputs {
            tests: tests.clone(),
            run: run.clone(),
            config: config.clone(),
            arrangements: arrangement_docs,
            raw_mapping,
            ignored,
        };
        TestView::finish(ws, run, &config, links, mapping, files, Some(inputs))
    }

    /// The view from its parts: the measured constraints and every diagnostic, per file.
    fn finish(
        ws: &Workspace,
        run: &RunResults,
        config: &Config,
        links: Links,
        mapping: Arc<Mapping>,
        files: BTreeMap<Arc<str>, FileView>,
        inputs: Option<Inputs>,
    ) -> Self {
        let mut diagnostics: BTreeMap<String, Arc<Vec<Diagnostic>>> = BTreeMap::new();
        let mut add = |key: &str, diags: Arc<Vec<Diagnostic>>| {
            if diags.is_empty() {
                return;
            }
            match diagnostics.get_mut(key) {
                Some(have) => Arc::make_mut(have).extend(diags.iter().cloned()),
                None => {
                    diagnostics.insert(key.to_string(), diags);
                }
            }
        };
        for (k, v) in &links.diagnostics {
            add(k, Arc::new(v.clone()));
        }
        for (k, f) in &files {
            add(k, f.diagnostics.clone());
        }
        let measured = measurements::match_constraints(ws, &run.measurements);
        for (k, v) in measurements::diagnostics(ws, &measured, config) {
            add(&k, Arc::new(v));
        }
        TestView {
            links,
            mapping,
            files,
            measured,
            diagnostics,
            inputs,
        }
    }

    pub fn status(&self, path: &str, index: usize) -> Option<&ScenarioStatus> {
        self.files.get(path)?.statuses.get(index)
    }

    /// The statuses of the first `n` scenarios of `path`, by index: what [`TestView::status`]
    /// gives for each.
    pub fn statuses_of(&self, path: &str, n: usize) -> Vec<Option<&ScenarioStatus>> {
        let mut out = vec![None; n];
        if let Some(f) = self.files.get(path) {
            for (o, s) in out.iter_mut().zip(f.statuses.iter()) {
                *o = Some(s);
            }
        }
        out
    }

    /// Every scenario's status, by path and index.
    pub fn statuses(&self) -> impl Iterator<Item = (ScenarioRef, &ScenarioStatus)> {
        self.files.iter().flat_map(|(path, f)| {
            f.statuses.iter().enumerate().map(move |(index, s)| {
                (
                    ScenarioRef {
                        path: path.to_string(),
                        index,
                    },
                    s,
                )
            })
        })
    }
}

/// The mapping without the results of `ignored` (shared when there are none).
fn forgotten(raw: &Arc<Mapping>, ignored: &[usize]) -> Arc<Mapping> {
    if ignored.is_empty() {
        return raw.clone();
    }
    let mut m = (**raw).clone();
    forget_results(&mut m, ignored);
    Arc::new(m)
}

/// The statuses of one spec's scenarios, with the outcomes `last-run.json` keeps for those the
/// reports say nothing about.
fn file_statuses(
    path: &str,
    doc: &Document,
    tests: &TestFiles,
    run: &RunResults,
    links: &Links,
    mapping: &Mapping,
) -> Vec<ScenarioStatus> {
    let mut statuses =
        status::scenario_status_of(path, doc, &tests.index, links, &run.results, mapping);
    if let Some(last) = &run.last {
        stored_outcomes(path, doc, tests, last, &mut statuses);
    }
    statuses
}

/// One spec's `spec-untested`, `scenario-untested` and `scenario-failed` diagnostics.
fn file_diagnostics(
    ws: &Workspace,
    tests: &TestFiles,
    path: &str,
    statuses: &[ScenarioStatus],
    config: &Config,
    arrangements: &[&Arrangement],
    language: Option<Language>,
) -> Vec<Diagnostic> {
    if tests.index.files.is_empty() {
        return Vec::new();
    }
    let list: Vec<(usize, &ScenarioStatus)> = statuses.iter().enumerate().collect();
    status::scenario_diagnostics_of(
        ws,
        &tests.index,
        path,
        &list,
        config,
        arrangements,
        language,
    )
}

/// Results that are no results: the skips the last run's own report gives for tests that run
/// did not select. Some runners (vitest and jest with `-t`) list every test of the files they
/// ran and mark the ones their name filter left out as skipped; such a "skip" must not replace
/// what an earlier run said about those tests' scenarios (kept in `last-run.json`).
///
/// Only when the last run was filtered, only results of its own report (the file `last-run.json`
/// names, not written after it), only skips, and only for tests linked to no scenario that run
/// selected (a test it selected that is skipped is a real skip).
pub fn unselected_skips(
    ws: &Workspace,
    links: &Links,
    mapping: &Mapping,
    run: &RunResults,
) -> Vec<usize> {
    use specls_core::testlinks::results::Status;
    let Some(last) = run.last.as_ref().filter(|l| l.filtered) else {
        return Vec::new();
    };
    let Some(report) = &last.report else {
        return Vec::new();
    };
    let own = format!("{}/{RESULTS_DIR}/{report}", crate::fsutil::STATE_DIR);
    let from_last_run = |s: &ResultSource| {
        (s.key == own || s.key.ends_with(&format!("/{own}")))
            && match (s.modified, run.last_written) {
                (Some(m), Some(w)) => m <= w,
                _ => true,
            }
    };
    let sources: Vec<bool> = run.sources.iter().map(from_last_run).collect();
    if !sources.contains(&true) {
        return Vec::new();
    }
    // The tests of the scenarios that run selected (its own results carry its start time).
    let mut selected = std::collections::HashSet::new();
    for s in last.own_results() {
        let Some(f) = ws.get(&s.path) else { continue };
        for (index, sc) in f.doc.scenarios.iter().enumerate() {
            if sc.id == s.id {
                let r = ScenarioRef {
                    path: s.path.clone(),
                    index,
                };
                selected.extend(links.tests_of(&r).iter().map(|l| l.test.clone()));
            }
        }
    }
    (0..run.results.len())
        .filter(|&i| {
            run.results[i].status == Status::Skipped
                && run
                    .source_of
                    .get(i)
                    .is_some_and(|&s| sources.get(s).copied().unwrap_or(false))
                && !mapping
                    .tests_of_result
                    .get(i)
                    .is_some_and(|ts| ts.iter().any(|t| selected.contains(t)))
        })
        .collect()
}

/// Take results out of the mapping: no test (nor the suite around it) has them any more.
fn forget_results(mapping: &mut Mapping, gone: &[usize]) {
    if gone.is_empty() {
        return;
    }
    let gone: std::collections::HashSet<usize> = gone.iter().copied().collect();
    for &i in &gone {
        if let Some(tests) = mapping.tests_of_result.get_mut(i) {
            tests.clear();
        }
    }
    mapping.by_test.retain(|_, list| {
        list.retain(|x| !gone.contains(x));
        !list.is_empty()
    });
}

/// Scenarios the reports say nothing about take their outcome from `last-run.json` (results of
/// earlier runs that a later filtered run did not replace).
fn stored_outcomes(
    path: &str,
    doc: &Document,
    tests: &TestFiles,
    last: &crate::testrun::LastRun,
    statuses: &mut [ScenarioStatus],
) {
    use crate::testrun::Outcome;
    use specls_core::testlinks::link::Location;
    for (st, sc) in statuses.iter_mut().zip(&doc.scenarios) {
        if !matches!(st, ScenarioStatus::NotRun { .. }) {
            continue;
        }
        let Some(stored) = last.scenario(path, &sc.id) else {
            continue;
        };
        *st = match stored.outcome {
            Outcome::Passed => ScenarioStatus::Passed {
                tests: stored.tests,
                skipped: stored.skipped,
                duration_ms: stored.duration_ms,
            },
            Outcome::Skipped => ScenarioStatus::Skipped {
                tests: stored.skipped.max(stored.tests),
            },
            Outcome::Failed => {
                let location = stored.failed_test.as_ref().and_then(|t| {
                    let f = tests.index.get(&t.path)?;
                    let item = f.tests.iter().find(|i| i.name == t.name)?;
                    Some(Location {
                        path: t.path.clone(),
                        span: item.span,
                        selection: item.name_span,
                    })
                });
                ScenarioStatus::Failed {
                    tests: stored.tests,
                    failed: stored.failed.max(1),
                    message: stored.message.clone().unwrap_or_else(|| "failed".into()),
                    result: usize::MAX,
                    location,
                }
            }
            Outcome::NotRun | Outcome::Untested => continue,
        };
    }
}

/// Counts for a "Run all" lens or `specls.workspaceHealth`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_run: usize,
    pub untested: usize,
}

impl Tally {
    pub fn add(&mut self, s: &ScenarioStatus) {
        match s {
            ScenarioStatus::Passed { .. } => self.passed += 1,
            ScenarioStatus::Failed { .. } => self.failed += 1,
            ScenarioStatus::Skipped { .. } => self.skipped += 1,
            ScenarioStatus::NotRun { .. } => self.not_run += 1,
            ScenarioStatus::Untested => self.untested += 1,
        }
    }

    /// `3 passed · 1 failed · 2 untested` (zero counts left out).
    pub fn text(&self) -> String {
        let parts: Vec<String> = [
            (self.passed, "passed"),
            (self.failed, "failed"),
            (self.skipped, "skipped"),
            (self.not_run, "not run"),
            (self.untested, "untested"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
        if parts.is_empty() {
            "no scenarios".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// A duration for people: `840 ms`, `1.2 s`, `2 min 5 s`.
pub fn human_ms(ms: f64) -> String {
    if ms < 1.0 {
        "<1 ms".into()
    } else if ms < 1000.0 {
        format!("{} ms", ms.round())
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// The one-line status a lens shows for a scenario.
pub fn status_text(s: &ScenarioStatus) -> String {
    match s {
        ScenarioStatus::Untested => "untested".into(),
        ScenarioStatus::NotRun { tests } => format!("not run ({tests} {})", plural(*tests, "test")),
        ScenarioStatus::Skipped { tests } => {
            format!("skipped ({tests} {})", plural(*tests, "test"))
        }
        ScenarioStatus::Passed {
            tests, duration_ms, ..
        } => match duration_ms {
            Some(d) => format!(
                "✓ passed in {} ({tests} {})",
                human_ms(*d),
                plural(*tests, "test")
            ),
            None => format!("✓ passed ({tests} {})", plural(*tests, "test")),
        },
        ScenarioStatus::Failed { message, .. } => {
            let first = message.lines().next().unwrap_or("").trim();
            format!("✗ failed: {}", truncate(first, 80))
        }
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// At most `max` characters, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `2026-11-21 10:00 UTC`.
pub fn utc_text(t: SystemTime) -> String {
    let Ok(d) = t.duration_since(SystemTime::UNIX_EPOCH) else {
        return "before 1970".into();
    };
    // `YYYY-MM-DDTHH:MM:SSZ` shown as `YYYY-MM-DD HH:MM UTC`.
    let full = specls_core::manifest::rfc3339_utc(d.as_secs());
    format!("{} {} UTC", &full[..10], &full[11..16])
}

/// Escape text for inline Markdown.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Lines of output shown in a hover.
const HOVER_OUTPUT_LINES: usize = 20;

/// What the results say about one test.
fn test_outcome(res: &[&TestResult]) -> (String, bool) {
    use specls_core::testlinks::results::Status;
    if let Some(f) = res
        .iter()
        .find(|r| matches!(r.status, Status::Failed | Status::Error))
    {
        let msg = f.message.as_deref().unwrap_or("failed");
        let first = msg.lines().next().unwrap_or("");
        return (format!("✗ failed: {}", md(&truncate(first, 120))), true);
    }
    if res.iter().any(|r| r.status == Status::Passed) {
        let ms: Option<f64> = res
            .iter()
            .filter(|r| r.status == Status::Passed)
            .filter_map(|r| r.duration_ms)
            .fold(None, |a, d| Some(a.unwrap_or(0.0) + d));
        let text = match ms {
            Some(ms) => format!("✓ passed in {}", human_ms(ms)),
            None => "✓ passed".into(),
        };
        return (text, false);
    }
    if res.is_empty() {
        ("not run".into(), false)
    } else {
        ("skipped".into(), false)
    }
}

/// The hover section about a scenario's tests: the last run's time, each linked test with its
/// outcome and duration, and an excerpt of the first failure's output.
pub fn scenario_tests_markdown(
    view: &TestView,
    tests: &TestFiles,
    run: &RunResults,
    r: &ScenarioRef,
    scenario_id: &str,
) -> String {
    use specls_core::testlinks::results::Status;
    let linked = view.links.tests_of(r);
    if linked.is_empty() {
        return format!(
            "**Tests**: none linked (untested). Add `@spec {}` to a test, or name a test after the scenario.",
            scenario_id.replace('`', "'")
        );
    }
    let mut newest: Option<(SystemTime, &str)> = None;
    let mut lines = Vec::new();
    let mut failure: Option<&TestResult> = None;
    for l in linked {
        let Some(item) = tests
            .index
            .get(&l.test.path)
            .and_then(|f| f.tests.get(l.test.test))
        else {
            continue;
        };
        let line = tests
            .texts
            .get(&l.test.path)
            .and_then(|t| t.get(..item.name_span.start))
            .map(|t| t.matches('\n').count() + 1)
            .unwrap_or(1);
        let idx = view
            .mapping
            .by_test
            .get(&l.test)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let res: Vec<&TestResult> = idx.iter().filter_map(|&i| run.results.get(i)).collect();
        for &i in idx {
            let src = run.source_of.get(i).and_then(|&s| run.sources.get(s));
            if let Some((m, key)) = src.and_then(|s| Some((s.modified?, s.key.as_str()))) {
                if newest.is_none_or(|(t, _)| m > t) {
                    newest = Some((m, key));
                }
            }
        }
        let (outcome, failed) = test_outcome(&res);
        if failed && failure.is_none() {
            failure = res
                .iter()
                .copied()
                .find(|r| matches!(r.status, Status::Failed | Status::Error));
        }
        lines.push(format!(
            "- `{}` — {}:{} — {}",
            item.name.replace('`', "'"),
            md(&l.test.path),
            line,
            outcome
        ));
    }
    let mut out = String::from("**Tests**");
    match newest {
        Some((t, key)) => out.push_str(&format!(
            " — last run {} (`{}`)",
            utc_text(t),
            key.replace('`', "'")
        )),
        None => out.push_str(" — not run yet"),
    }
    out.push_str("\n\n");
    out.push_str(&lines.join("\n"));
    if let Some(text) = failure.and_then(|f| f.output.as_deref().or(f.message.as_deref())) {
        let all: Vec<&str> = text.lines().collect();
        let shown = all.len().min(HOVER_OUTPUT_LINES);
        out.push_str("\n\n```text\n");
        out.push_str(&all[..shown].join("\n").replace("```", "'''"));
        if all.len() > shown {
            out.push_str(&format!("\n… ({} more lines)", all.len() - shown));
        }
        out.push_str("\n```");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_files_win_and_errors_are_kept() {
        let old = "<testsuite><testcase classname=\"t\" name=\"a\"><failure message=\"boom\"/></testcase><testcase classname=\"t\" name=\"b\"/></testsuite>";
        let new = "<testsuite><testcase classname=\"t\" name=\"a\"/></testsuite>";
        let t0 = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(10);
        let t1 = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(20);
        let r = merge_results(vec![
            ("old.xml".into(), Some(t0), old.into()),
            ("new.xml".into(), Some(t1), new.into()),
            ("junk.txt".into(), Some(t0), "hello".into()),
        ]);
        let names: Vec<(&str, results::Status)> = r
            .results
            .iter()
            .map(|x| (x.name.as_str(), x.status))
            .collect();
        assert_eq!(
            names,
            [
                ("a", results::Status::Passed),
                ("b", results::Status::Passed)
            ]
        );
        assert_eq!(r.sources[0].key, "new.xml");
        assert_eq!(r.last_run(), Some(t1));
        let junk = r.sources.iter().find(|s| s.key == "junk.txt").unwrap();
        assert!(!junk.errors.is_empty());
    }

    #[test]
    fn tally_and_texts() {
        let mut t = Tally::default();
        t.add(&ScenarioStatus::Untested);
        t.add(&ScenarioStatus::Untested);
        t.add(&ScenarioStatus::Passed {
            tests: 1,
            skipped: 0,
            duration_ms: Some(12.4),
        });
        assert_eq!(t.text(), "1 passed · 2 untested");
        assert_eq!(human_ms(1234.0), "1.2 s");
        assert_eq!(human_ms(125_000.0), "2 min 5 s");
        assert_eq!(truncate("abcdef", 4), "abc…");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_255_200);
        assert_eq!(utc_text(t), "2026-11-21 10:00 UTC");
    }
}

/// The view kept up to date from the previous one is the view computed afresh, through random
/// changes of specs, test files, results, arrangements and settings.
#[cfg(test)]
mod incremental {
    use super::*;
    use proptest::prelude::*;
    use specls_core::config::Level;

    const NAMES: [&str; 5] = [
        "Add an item",
        "Remove an item",
        "Skip me",
        "Never tested",
        "Archive it",
    ];
    const SPECS: [&str; 3] = [
        "specs/a.spec.yaml",
        "specs/b.spec.yaml",
        "specs/nested/c.spec.yaml",
    ];

    /// A scenario: its name (index into NAMES) and maybe an explicit id.
    type Sc = (usize, Option<usize>);

    fn spec_text(i: usize, scenarios: &[Sc]) -> String {
        let mut s = format!("feature: Todo {i}\nscenarios:\n");
        for (k, (n, id)) in scenarios.iter().enumerate() {
            s.push_str(&format!("  - name: {}\n", NAMES[*n]));
            if let Some(id) = id {
                s.push_str(&format!("    id: item-{id}\n"));
            }
            s.push_str(&format!(
                "    given: a list {k}\n    when: I act {k}\n    then: it is done {k}\n"
            ));
        }
        s
    }

    fn snake(name: &str) -> String {
        name.to_lowercase().replace(' ', "_")
    }

    /// A test file: tests named after scenarios, some with a marker (maybe of no scenario).
    fn test_text(tests: &[Sc]) -> String {
        let mut s = String::new();
        for (k, (n, marker)) in tests.iter().enumerate() {
            if let Some(m) = marker {
                s.push_str(&format!("# @spec item-{m}\n"));
            }
            s.push_str(&format!(
                "def test_{}_{k}():\n    pass\n\n",
                snake(NAMES[*n])
            ));
            s.push_str(&format!("def test_{}():\n    pass\n\n", snake(NAMES[*n])));
        }
        s
    }

    /// A JUnit report: for tests of names (index into NAMES), an outcome (0 passed, 1 failed,
    /// 2 skipped).
    fn junit(results: &[(usize, u8)]) -> String {
        let mut s = String::from("<testsuite>");
        for (n, outcome) in results {
            let name = snake(NAMES[*n]);
            let body = match outcome {
                0 => String::new(),
                1 => "<failure message=\"boom\"/>".to_string(),
                _ => "<skipped/>".to_string(),
            };
            s.push_str(&format!(
                "<testcase classname=\"tests.test_todo\" name=\"test_{name}\" time=\"0.5\">{body}</testcase>"
            ));
        }
        s.push_str("</testsuite>");
        s
    }

    #[derive(Clone, Debug)]
    enum Op {
        Spec(usize, Vec<Sc>),
        Tests(Vec<Sc>),
        NoTests,
        Results(Vec<(usize, u8)>),
        Arrangement(bool),
        UntestedOff(bool),
        Nothing,
    }

    fn sc() -> impl Strategy<Value = Sc> {
        (0..NAMES.len(), prop::option::of(0usize..4))
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..SPECS.len(), prop::collection::vec(sc(), 0..5)).prop_map(|(i, v)| Op::Spec(i, v)),
            1 => prop::collection::vec(sc(), 0..4).prop_map(Op::Tests),
            1 => Just(Op::NoTests),
            1 => prop::collection::vec((0..NAMES.len(), 0u8..3), 0..5).prop_map(Op::Results),
            1 => any::<bool>().prop_map(Op::Arrangement),
            1 => any::<bool>().prop_map(Op::UntestedOff),
            1 => Just(Op::Nothing),
        ]
    }

    fn assert_same(a: &TestView, b: &TestView) {
        assert_eq!(a.links, b.links);
        assert_eq!(*a.mapping, *b.mapping);
        let sa: Vec<_> = a.statuses().collect();
        let sb: Vec<_> = b.statuses().collect();
        assert_eq!(sa, sb);
        let da: BTreeMap<&String, &Vec<Diagnostic>> =
            a.diagnostics.iter().map(|(k, v)| (k, &**v)).collect();
        let db: BTreeMap<&String, &Vec<Diagnostic>> =
            b.diagnostics.iter().map(|(k, v)| (k, &**v)).collect();
        assert_eq!(da, db);
        assert_eq!(a.measured, b.measured);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn a_view_kept_up_to_date_is_the_view_computed_afresh(
            ops in prop::collection::vec(op(), 1..24)
        ) {
            let mut ws = Workspace::new();
            for (i, path) in SPECS.iter().enumerate() {
                ws.upsert_bytes(path, spec_text(i, &[(0, None), (1, Some(1)), (3, None)]).as_bytes());
            }
            let mut tests = Arc::new(TestFiles::default());
            let mut run = Arc::new(RunResults::default());
            let mut config = Config::default();
            let mut prev: Option<TestView> = None;
            for op in ops {
                match op {
                    Op::Spec(i, scenarios) => {
                        ws.upsert_bytes(SPECS[i], spec_text(i, &scenarios).as_bytes());
                    }
                    Op::Tests(list) => {
                        let mut t = TestFiles::default();
                        t.upsert("tests/test_todo.py", Arc::from(test_text(&list)), Language::Python);
                        tests = Arc::new(t);
                    }
                    Op::NoTests => tests = Arc::new(TestFiles::default()),
                    Op::Results(list) => {
                        run = Arc::new(merge_results(vec![(
                            ".specls/results/junit.xml".into(),
                            None,
                            junit(&list),
                        )]));
                    }
                    Op::Arrangement(true) => {
                        ws.upsert_bytes(
                            "specs/arrangement.yaml",
                            b"target_language: python\noutput_paths:\n  implementation: src/{name}.py\n  tests: tests/test_{name}.py\n",
                        );
                        prop_assert!(ws.get("specs/arrangement.yaml").is_some_and(|f| f.doc.arrangement.is_some()));
                    }
                    Op::Arrangement(false) => {
                        ws.files.remove("specs/arrangement.yaml");
                    }
                    Op::UntestedOff(off) => {
                        config.checks.clear();
                        if off {
                            config.checks.insert("scenario-untested".into(), Level::Off);
                        }
                    }
                    Op::Nothing => {}
                }
                let kept = TestView::compute_after(prev.as_ref(), &ws, &tests, &run, &config);
                let fresh = TestView::compute(&ws, &tests, &run, &config);
                assert_same(&kept, &fresh);
                prev = Some(kept);
            }
        }
    }

    /// What did not change is kept: the statuses and diagnostics of the specs not edited are
    /// the previous view's.
    #[test]
    fn an_edit_keeps_the_other_specs_statuses() {
        let mut ws = Workspace::new();
        for (i, path) in SPECS.iter().enumerate() {
            ws.upsert_bytes(path, spec_text(i, &[(0, None), (2, Some(1))]).as_bytes());
        }
        let mut t = TestFiles::default();
        t.upsert(
            "tests/test_todo.py",
            Arc::from(test_text(&[(0, None)])),
            Language::Python,
        );
        let tests = Arc::new(t);
        let run = Arc::new(RunResults::default());
        let config = Config::default();
        let first = TestView::compute_after(None, &ws, &tests, &run, &config);
        ws.upsert_bytes(SPECS[0], spec_text(0, &[(0, None), (3, None)]).as_bytes());
        let next = TestView::compute_after(Some(&first), &ws, &tests, &run, &config);
        assert_same(&next, &TestView::compute(&ws, &tests, &run, &config));
        for path in &SPECS[1..] {
            let (a, b) = (&first.files[*path], &next.files[*path]);
            assert!(Arc::ptr_eq(&a.statuses, &b.statuses), "{path}");
            assert!(Arc::ptr_eq(&a.diagnostics, &b.diagnostics), "{path}");
        }
        assert!(!Arc::ptr_eq(
            &first.files[SPECS[0]].statuses,
            &next.files[SPECS[0]].statuses
        ));
    }
}
