//! Running a workspace's tests (issue 5, the side-effect part): plan the command with the core
//! ([`specls_core::testlinks::plan`]), run it in its own process group with a timeout, a
//! cancellation handle, an output cap and one run per workspace at a time, read the report it
//! wrote with the core parsers, map the results to scenarios through the links, and keep
//! everything in `.specls/results/` ([`store`]).
//!
//! Nothing runs unless a front end calls [`run`] on an explicit user action (`specls test`,
//! the `specls.runTests` command, run-on-save when the user switched it on).
//!
//! # Use from the language server (a tokio task)
//! ```text
//! let project = testrun::Project::from_parts(root, config, ws_snapshot, test_index);
//! let plan = testrun::plan_run(&project, &Selection::Scenarios(refs))?;   // show plan.display()
//! let cancel = CancelToken::new();          // keep a clone for specls.cancelRun
//! let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
//! let report = tokio::task::spawn_blocking(move || {
//!     testrun::run(&project, &plan, &RunOptions::from_config(&project.config), &cancel,
//!                  &mut |p| { let _ = tx.send(p.clone()); })
//! }).await??;                                // report.last is what last-run.json now holds
//! ```
//! Progress arrives as [`Progress`] values: queued behind other runs, started (with the exact
//! command), each output line, and "n of m tests done".

pub mod cli;
pub mod process;
pub mod queue;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use specls_core::config::{Config, ConfigIssue, CONFIG_FILE};
use specls_core::span::LineIndex;
use specls_core::testlinks::files::TestFileMatcher;
use specls_core::testlinks::link::{link_with, Links, ScenarioRef};
use specls_core::testlinks::plan::{
    self, Plan, PlanError, PlanInput, ProjectFacts, ReportSource, Runner, Selection,
    DEFAULT_TIMEOUT_SECS, MARKER_FILES,
};
use specls_core::testlinks::results::{self, Results, Status};
use specls_core::testlinks::status::{map_results, scenario_status, ScenarioStatus};
use specls_core::testlinks::{Language, TestIndex};
use specls_core::workspace::Workspace;

pub use process::{CancelToken, Exit};
pub use store::{load_results, LastRun, LoadError, Outcome, ScenarioResult};

use crate::files;

/// Output kept in memory per run by default (start and end kept; the report parsers read it
/// for runners that report on standard output).
pub const DEFAULT_OUTPUT_CAP: usize = 8 * 1024 * 1024;
/// Output kept in `last-run.json`.
pub const EXCERPT_CAP: usize = 16 * 1024;
/// Test files larger than this are not indexed.
const MAX_TEST_FILE: u64 = 2 * 1024 * 1024;

/// Everything a run needs to know about a workspace.
#[derive(Clone, Debug)]
pub struct Project {
    pub root: PathBuf,
    pub config: Config,
    pub ws: Workspace,
    pub tests: TestIndex,
    pub links: Links,
    pub facts: ProjectFacts,
    /// Line starts of the indexed test files (for "the failing test is at line n").
    pub test_lines: BTreeMap<String, LineIndex>,
}

impl Project {
    /// A project from what a front end already holds (the language server's snapshot).
    pub fn from_parts(root: &Path, config: Config, ws: Workspace, tests: TestIndex) -> Project {
        let links = link_with(&ws, &tests, &config);
        let mut test_lines = BTreeMap::new();
        for path in tests.files.keys() {
            if let Ok(text) = std::fs::read_to_string(root.join(path)) {
                test_lines.insert(path.clone(), LineIndex::new(&text));
            }
        }
        Project {
            root: root.to_path_buf(),
            facts: project_facts(root),
            config,
            ws,
            tests,
            links,
            test_lines,
        }
    }
}

/// Read a workspace from disk: `specls.toml`, every spec, every test file. Returns the
/// project, the configuration's problems and the I/O errors met (path, message).
pub fn load_project(root: &Path) -> (Project, Vec<ConfigIssue>, Vec<(String, String)>) {
    let (config, issues) = match std::fs::read_to_string(root.join(CONFIG_FILE)) {
        Ok(text) => Config::from_toml(&text),
        Err(_) => (Config::default(), Vec::new()),
    };
    let (ws, mut errors) = files::load_with(root, &[root.to_path_buf()], &config);
    let (tests, test_lines, test_errors) = index_tests(root, &config, &ws);
    errors.extend(test_errors);
    let links = link_with(&ws, &tests, &config);
    (
        Project {
            root: root.to_path_buf(),
            facts: project_facts(root),
            config,
            ws,
            tests,
            links,
            test_lines,
        },
        issues,
        errors,
    )
}

/// Folders never searched for tests.
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "target",
    ".git",
    ".specls",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
];

/// Index the workspace's test files: files the test-file rules name (arrangement
/// `output_paths.tests`, `[tests] include`, language defaults), Rust sources with test
/// modules, and any source file with a `@spec` marker.
pub fn index_tests(
    root: &Path,
    config: &Config,
    ws: &Workspace,
) -> (
    TestIndex,
    BTreeMap<String, LineIndex>,
    Vec<(String, String)>,
) {
    let arrangements: Vec<_> = ws.docs().filter_map(|d| d.arrangement.as_ref()).collect();
    let matcher = TestFileMatcher::new(config, &arrangements);
    let mut index = TestIndex::new();
    let mut lines = BTreeMap::new();
    let mut errors = Vec::new();
    let mut builder = ignore::WalkBuilder::new(root);
    builder.require_git(false).filter_entry(|e| {
        !(e.depth() > 0
            && e.file_type().is_some_and(|t| t.is_dir())
            && e.file_name()
                .to_str()
                .is_some_and(|n| SKIP_DIRS.contains(&n)))
    });
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push((root.display().to_string(), e.to_string()));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = files::rel_path(root, entry.path());
        if Language::from_path(&rel).is_none() {
            continue;
        }
        if config.is_excluded(&rel) {
            continue;
        }
        if entry.metadata().is_ok_and(|m| m.len() > MAX_TEST_FILE) {
            continue;
        }
        let text = match std::fs::read(entry.path()) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                errors.push((rel, e.to_string()));
                continue;
            }
        };
        if let Some(lang) = matcher.language_of(&rel, &text) {
            index.upsert(&rel, &text, lang);
            lines.insert(rel, LineIndex::new(&text));
        }
    }
    (index, lines, errors)
}

/// Which marker files exist at `root`, with the texts the planner reads.
pub fn project_facts(root: &Path) -> ProjectFacts {
    let mut facts = ProjectFacts::default();
    for f in MARKER_FILES {
        if root.join(f).is_file() {
            facts.present.insert(f.to_string());
        }
    }
    facts.package_json = std::fs::read_to_string(root.join("package.json")).ok();
    facts.nextest_toml = std::fs::read_to_string(root.join(".config/nextest.toml")).ok();
    facts
}

fn on_path(program: &str) -> bool {
    let Some(paths) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&paths).any(|d| {
        let p = d.join(program);
        p.is_file() || (cfg!(windows) && d.join(format!("{program}.exe")).is_file())
    })
}

/// Plan a run of `selection` (the exact command, with the program resolved in the project's
/// virtualenv or `node_modules/.bin` when it is there).
pub fn plan_run(project: &Project, selection: &Selection) -> Result<Plan, PlanError> {
    let report_dir = project
        .root
        .join(crate::fsutil::STATE_DIR)
        .join(store::RESULTS_DIR);
    let report_dir = report_dir.to_string_lossy();
    let mut p = plan::plan(&PlanInput {
        ws: &project.ws,
        tests: &project.tests,
        links: &project.links,
        config: &project.config,
        facts: &project.facts,
        selection,
        report_dir: &report_dir,
    })?;
    let root = project.root.clone();
    p.argv = plan::resolve_program(&p.argv, &|rel| root.join(rel).is_file(), &on_path);
    Ok(p)
}

/// Scenarios named on a command line or by a client: each argument is a scenario id, a
/// spec file or a folder (every spec under it). Unknown ids are returned as errors with the
/// closest ids.
pub fn select(project: &Project, cwd: &Path, args: &[String]) -> Result<Selection, Vec<String>> {
    if args.is_empty() {
        return Ok(Selection::All);
    }
    let mut out: Vec<ScenarioRef> = Vec::new();
    let mut problems = Vec::new();
    for a in args {
        let by_id = specls_core::testlinks::link::scenarios_with_id(&project.ws, a);
        if !by_id.is_empty() {
            out.extend(by_id);
            continue;
        }
        let p = files::absolute(cwd, Path::new(a));
        if p.exists() {
            let rel = files::rel_path(&project.root, &p);
            let inside = |spec: &str| {
                rel.is_empty()
                    || rel == "."
                    || spec == rel
                    || spec.starts_with(&format!("{}/", rel.trim_end_matches('/')))
            };
            let before = out.len();
            for (path, f) in &project.ws.files {
                if inside(path) {
                    out.extend((0..f.doc.scenarios.len()).map(|index| ScenarioRef {
                        path: path.clone(),
                        index,
                    }));
                }
            }
            if out.len() == before {
                problems.push(format!("{a}: no scenario in this path"));
            }
            continue;
        }
        let ids = project
            .ws
            .files
            .values()
            .flat_map(|f| f.doc.scenarios.iter().map(|s| s.id.as_str()));
        let hint = specls_core::checks::dependencies::did_you_mean(a, ids)
            .map(|g| format!("; did you mean `{g}`?"))
            .unwrap_or_default();
        problems.push(format!(
            "{a}: no scenario has this id and no file or folder has this path{hint}"
        ));
    }
    if problems.is_empty() {
        Ok(Selection::Scenarios(out))
    } else {
        Err(problems)
    }
}

/// Limits of a run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub timeout: Duration,
    /// Output kept in memory (bytes).
    pub output_cap: usize,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            output_cap: DEFAULT_OUTPUT_CAP,
        }
    }
}

impl RunOptions {
    /// The configured timeout (`[tests] timeout`), else the default.
    pub fn from_config(config: &Config) -> RunOptions {
        RunOptions {
            timeout: Duration::from_secs(config.test_timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS)),
            ..RunOptions::default()
        }
    }
}

/// What a run reports while it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Waiting for `ahead` earlier runs of this workspace to end.
    Queued { ahead: u64 },
    /// The command started (as printed by [`Plan::display`]).
    Started { command: String },
    /// One line of the runner's output.
    Line(String),
    /// Tests finished so far, out of the selected tests when that is known.
    Tests { done: usize, total: Option<usize> },
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// What `last-run.json` now holds.
    pub last: LastRun,
    /// The parsed report.
    pub results: Results,
    /// Every scenario's status from this run's results (for lenses and diagnostics).
    pub statuses: BTreeMap<ScenarioRef, ScenarioStatus>,
    /// The whole kept output (capped at [`RunOptions::output_cap`]).
    pub output: String,
}

/// Why a run gave no report.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cancelled while waiting for another test run of this workspace to end")]
    CancelledInQueue,
    #[error("cannot write the results to {}: {message}", path.display())]
    Store { path: PathBuf, message: String },
}

/// Run a plan: wait for the workspace's turn, run, read the report, store the results.
/// Blocking: call it from a thread or `tokio::task::spawn_blocking`.
pub fn run(
    project: &Project,
    plan: &Plan,
    options: &RunOptions,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RunReport, RunError> {
    let Some(_turn) = queue::wait_turn(&project.root, cancel, &mut |ahead| {
        progress(&Progress::Queued { ahead })
    }) else {
        return Err(RunError::CancelledInQueue);
    };
    let results_dir = store::results_dir(&project.root).map_err(|e| RunError::Store {
        path: project.root.join(crate::fsutil::STATE_DIR),
        message: e.to_string(),
    })?;
    // Other specls processes (the command line beside the editor) take their turn too.
    let Some(_lock) = queue::lock_across_processes(&results_dir, cancel, &mut |ahead| {
        progress(&Progress::Queued { ahead })
    }) else {
        return Err(RunError::CancelledInQueue);
    };
    // A report left by an earlier run must not pass for this run's.
    let report_file = match &plan.report {
        ReportSource::File { path, .. } => Some(files::absolute(&project.root, Path::new(path))),
        ReportSource::Output { .. } => None,
    };
    if let Some(f) = &report_file {
        let _ = std::fs::remove_file(f);
    }
    let started_at = store::now_rfc3339();
    let started_sys = std::time::SystemTime::now();
    progress(&Progress::Started {
        command: plan.display(),
    });
    let total = (!plan.chosen.all).then_some(plan.chosen.tests.len());
    let mut done = 0usize;
    let finished = process::run(
        &plan.argv,
        &project.root,
        &plan.env,
        process::Limits {
            timeout: options.timeout,
            output_cap: options.output_cap,
            cancel,
            on_line: &mut |line| {
                progress(&Progress::Line(line.to_string()));
                let n = plan::tests_done_in_line(plan.runner, line);
                if n > 0 {
                    done += n;
                    progress(&Progress::Tests { done, total });
                }
            },
        },
    );
    let output = finished.output.text();

    // The report.
    let mut report_errors = Vec::new();
    let (text, stored_name, format) = match &plan.report {
        ReportSource::File { path, format } => {
            let f = report_file.clone().unwrap_or_else(|| PathBuf::from(path));
            let fresh = std::fs::metadata(&f)
                .and_then(|m| m.modified())
                .map(|m| m + Duration::from_secs(2) >= started_sys);
            match (store::read_capped(&f), fresh) {
                (Ok(text), Ok(true)) => {
                    let name = f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "report.xml".to_string());
                    // Keep a copy under results/ when the runner wrote elsewhere (nextest).
                    if f.parent() != Some(results_dir.as_path()) {
                        let _ =
                            crate::fsutil::write_atomic(&results_dir.join(&name), text.as_bytes());
                    }
                    (text, Some(name), *format)
                }
                (Ok(_), _) => {
                    report_errors.push(format!(
                        "{} was not written by this run (it is older); the results are not read",
                        f.display()
                    ));
                    (String::new(), None, *format)
                }
                (Err(e), _) => {
                    report_errors.push(format!(
                        "the runner wrote no report at {} ({e}){}",
                        f.display(),
                        if finished.exit == Exit::Cancelled
                            || matches!(finished.exit, Exit::TimedOut { .. })
                        {
                            ": the run was ended before it finished"
                        } else {
                            ""
                        }
                    ));
                    (String::new(), None, *format)
                }
            }
        }
        ReportSource::Output { format } => {
            // Reports go beside the others (the language server reads every file there);
            // output that is no report is kept as a dot file, which readers skip.
            let detected = format.or_else(|| results::detect(&output));
            let name = match detected {
                Some(results::Format::GoJson) => "go-test.json",
                Some(results::Format::Libtest) => "cargo-test.txt",
                Some(results::Format::Tap) => "output.tap",
                Some(results::Format::Junit) => "output.xml",
                None => ".last-output.txt",
            };
            let _ = crate::fsutil::write_atomic(&results_dir.join(name), output.as_bytes());
            (output.clone(), Some(name.to_string()), *format)
        }
    };
    let parsed = if text.is_empty() && stored_name.is_none() {
        Results {
            format,
            results: Vec::new(),
            errors: Vec::new(),
        }
    } else {
        match format {
            Some(f) => results::parse_as(&text, f),
            None => results::parse(&text),
        }
    };
    report_errors.extend(store::describe_errors(&parsed.errors));
    if finished.output.left_out() > 0 && matches!(plan.report, ReportSource::Output { .. }) {
        report_errors.push(format!(
            "the output was longer than {} bytes: {} bytes in the middle were not read",
            options.output_cap,
            finished.output.left_out()
        ));
    }

    // Results -> tests -> scenarios.
    let mapping = map_results(&project.tests, &parsed.results);
    let statuses = scenario_status(
        &project.ws,
        &project.tests,
        &project.links,
        &parsed.results,
        &mapping,
    );
    let mut totals = store::Totals {
        results: parsed.results.len(),
        unmatched: mapping.unmatched.len(),
        ..Default::default()
    };
    for r in &parsed.results {
        match r.status {
            Status::Passed => totals.passed += 1,
            Status::Failed => totals.failed += 1,
            Status::Skipped => totals.skipped += 1,
            Status::Error => totals.errors += 1,
        }
    }
    let ended_early = !matches!(finished.exit, Exit::Exited { .. } | Exit::Signalled { .. });
    let previous = load_results(&project.root).ok().flatten();
    let mut scenarios = Vec::new();
    let mut selected = BTreeSet::new();
    for r in &plan.chosen.scenarios {
        let Some(status) = statuses.get(r) else {
            continue;
        };
        let Some(res) = scenario_result(project, r, status, &parsed.results, &started_at) else {
            continue;
        };
        // A run that was ended early does not wipe earlier results with "not run".
        if ended_early && res.outcome == Outcome::NotRun {
            if let Some(prev) = previous
                .as_ref()
                .and_then(|p| p.scenario(&res.path, &res.id))
            {
                selected.insert((prev.path.clone(), prev.id.clone()));
                scenarios.push(prev.clone());
                continue;
            }
        }
        selected.insert((res.path.clone(), res.id.clone()));
        scenarios.push(res);
    }
    if let Some(prev) = &previous {
        for s in &prev.scenarios {
            let still_there = project
                .ws
                .get(&s.path)
                .is_some_and(|f| f.doc.scenarios.iter().any(|sc| sc.id == s.id));
            if still_there && !selected.contains(&(s.path.clone(), s.id.clone())) {
                scenarios.push(s.clone());
            }
        }
    }
    scenarios.sort_by(|a, b| (&a.path, a.line, &a.id).cmp(&(&b.path, b.line, &b.id)));
    let mut excerpt = process::Capture::new(EXCERPT_CAP);
    excerpt.push(output.as_bytes());
    let last = LastRun {
        version: store::VERSION,
        runner: plan.runner,
        source: plan.source.clone(),
        argv: plan.argv.clone(),
        env: plan.env.clone(),
        cwd: project.root.to_string_lossy().into_owned(),
        selection: match &plan.chosen.all {
            true => Selection::All,
            false => Selection::Scenarios(plan.chosen.scenarios.clone()),
        },
        filtered: plan.filtered,
        started_at,
        duration_ms: finished.duration.as_millis() as u64,
        exit: finished.exit.clone(),
        report: stored_name,
        report_format: parsed.format,
        report_errors,
        totals,
        output_excerpt: excerpt.text(),
        output_left_out: finished.output.left_out() + excerpt.left_out(),
        scenarios,
    };
    store::save(&project.root, &last).map_err(|e| RunError::Store {
        path: results_dir.join(store::LAST_RUN),
        message: e.to_string(),
    })?;
    Ok(RunReport {
        last,
        results: parsed,
        statuses,
        output,
    })
}

fn scenario_result(
    project: &Project,
    r: &ScenarioRef,
    status: &ScenarioStatus,
    results: &[results::TestResult],
    run_at: &str,
) -> Option<ScenarioResult> {
    let file = project.ws.get(&r.path)?;
    let sc = file.doc.scenarios.get(r.index)?;
    let line = LineIndex::new(&file.text).line_col(sc.name_span.start).line + 1;
    let linked = project.links.tests_of(r).len();
    let mut out = ScenarioResult {
        path: r.path.clone(),
        id: sc.id.clone(),
        name: sc.name.clone(),
        line,
        outcome: Outcome::Untested,
        linked_tests: linked,
        tests: 0,
        failed: 0,
        skipped: 0,
        duration_ms: None,
        message: None,
        failed_test: None,
        output: None,
        run_at: run_at.to_string(),
    };
    match status {
        ScenarioStatus::Untested => {}
        ScenarioStatus::NotRun { .. } => out.outcome = Outcome::NotRun,
        ScenarioStatus::Skipped { tests } => {
            out.outcome = Outcome::Skipped;
            out.skipped = *tests;
        }
        ScenarioStatus::Passed {
            tests,
            skipped,
            duration_ms,
        } => {
            out.outcome = Outcome::Passed;
            out.tests = *tests;
            out.skipped = *skipped;
            out.duration_ms = *duration_ms;
        }
        ScenarioStatus::Failed {
            tests,
            failed,
            message,
            result,
            location,
        } => {
            out.outcome = Outcome::Failed;
            out.tests = *tests;
            out.failed = *failed;
            out.message = Some(message.clone());
            out.output = results.get(*result).and_then(|r| r.output.clone());
            out.failed_test = location.as_ref().map(|loc| {
                let line = project
                    .test_lines
                    .get(&loc.path)
                    .map(|li| li.line_col(loc.selection.start).line + 1)
                    .unwrap_or(0);
                let name = project
                    .tests
                    .get(&loc.path)
                    .and_then(|f| f.tests.iter().find(|t| t.span == loc.span))
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                store::TestPlace {
                    path: loc.path.clone(),
                    line,
                    name,
                }
            });
        }
    }
    Some(out)
}

/// The default timeout as a display string (for help texts).
pub fn default_timeout_text() -> String {
    format!("{DEFAULT_TIMEOUT_SECS}s")
}

/// The runner's name (for messages).
pub fn runner_name(r: Runner) -> &'static str {
    r.as_str()
}
