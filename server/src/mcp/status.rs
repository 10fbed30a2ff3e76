//! Per-scenario test status for the MCP tools: the workspace's test files are indexed and
//! linked to scenarios (core `testlinks`), and the reports of the last runs under
//! `.specls/results/` are mapped onto them. Only reads files inside the workspace root.

use std::collections::BTreeMap;
use std::path::Path;

use specls_core::config::Config;
use specls_core::diag::Diagnostic;
use specls_core::testlinks::link::{self, ScenarioRef};
use specls_core::testlinks::results::{self, TestResult};
use specls_core::testlinks::status::{self, ScenarioStatus};
use specls_core::testlinks::TestIndex;
use specls_core::workspace::Workspace;

/// Result files bigger than this are not read.
const MAX_FILE: u64 = 16 << 20;

/// What the tests say about every scenario of a workspace.
pub struct TestState {
    pub tests: TestIndex,
    pub statuses: BTreeMap<ScenarioRef, ScenarioStatus>,
    /// Result files read from `.specls/results/`.
    pub results_read: usize,
}

/// The status word an agent filters on: `untested`, `failing`, `passing`, or `not-run`
/// (linked tests without a result, or only skipped ones).
pub fn word(s: &ScenarioStatus) -> &'static str {
    match s {
        ScenarioStatus::Untested => "untested",
        ScenarioStatus::Failed { .. } => "failing",
        ScenarioStatus::Passed { .. } => "passing",
        ScenarioStatus::NotRun { .. } | ScenarioStatus::Skipped { .. } => "not-run",
    }
}

fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Index the test files under `root` (as `specls check` finds them), link them to `ws`'s scenarios and map the last results.
pub fn compute(root: &Path, ws: &Workspace, config: &Config) -> TestState {
    let (tests, errors) = crate::files::load_tests(root, &[root.to_path_buf()], config, ws);
    for (path, e) in errors {
        tracing::warn!("cannot read {path}: {e}");
    }
    let links = link::link_with(ws, &tests, config);
    let (all, results_read) = last_results(root);
    let mapping = status::map_results(&tests, &all);
    TestState {
        statuses: status::scenario_status(ws, &tests, &links, &all, &mapping),
        tests,
        results_read,
    }
}

impl TestState {
    /// `scenario-untested` / `scenario-failed` findings, as `specls check` and the editor
    /// report them.
    pub fn diagnostics(
        &self,
        ws: &Workspace,
        config: &Config,
    ) -> BTreeMap<String, Vec<Diagnostic>> {
        status::scenario_diagnostics(ws, &self.tests, &self.statuses, config)
    }
}

/// Every report under `.specls/results/`; where two reports have a result for the same test
/// (same class, name and file), the newer report's result is kept.
fn last_results(root: &Path) -> (Vec<TestResult>, usize) {
    let dir = root.join(".specls").join("results");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (Vec::new(), 0);
    };
    let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, e.path())
        })
        .collect();
    files.sort_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut read = 0;
    for (_, path) in files {
        let Some(text) = read_small(&path) else {
            continue;
        };
        let parsed = results::parse(&text);
        if parsed.format.is_some() {
            read += 1;
            let key = |r: &TestResult| (r.class.clone(), r.name.clone(), r.file.clone());
            let mine: Vec<TestResult> = parsed
                .results
                .into_iter()
                .filter(|r| !seen.contains(&key(r)))
                .collect();
            seen.extend(mine.iter().map(key));
            out.extend(mine);
        }
    }
    (out, read)
}
