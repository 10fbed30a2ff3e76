//! The test-run API the language server calls (`specls::testrun`), with configured commands
//! that stand in for runners: a TAP report on standard output mapped to scenarios and stored;
//! cancellation and timeout of a sleeping command (the stored run says so and earlier results
//! survive); two runs of one workspace at once wait for each other; damaged stored results are
//! reported, not fatal.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use specls::testrun::{self, CancelToken, Exit, Outcome, Progress, RunOptions};
use specls_core::testlinks::plan::Selection;

const SPEC: &str = "# Todo\n\n## Scenarios\n\n### Scenario: Add an item\n- Given an empty list\n- When I add \"milk\"\n- Then the list has 1 item\n\n### Scenario: Remove an item\n- Given a list with \"milk\"\n- When I remove it\n- Then the list is empty\n";

const TEST: &str = "import { it } from \"vitest\";\n\nit(\"Add an item\", () => {});\n\n// @spec todo/remove-an-item\nit(\"removes milk\", () => {});\n";

fn workspace(command: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |p: &str, t: &str| {
        let p = dir.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    };
    w("specs/todo.spec.md", SPEC);
    w("tests/todo.test.ts", TEST);
    w(
        "specls.toml",
        &format!("[tests]\ncommand = '''{command}'''\n"),
    );
    dir
}

fn run(
    root: &Path,
    options: &RunOptions,
    cancel: &CancelToken,
) -> (testrun::RunReport, Vec<Progress>) {
    let (project, issues, errors) = testrun::load_project(root);
    assert!(
        issues.is_empty() && errors.is_empty(),
        "{issues:?} {errors:?}"
    );
    let plan = testrun::plan_run(&project, &Selection::All).unwrap();
    let mut seen = Vec::new();
    let report = testrun::run(&project, &plan, options, cancel, &mut |p| {
        seen.push(p.clone())
    })
    .unwrap();
    (report, seen)
}

/// `(scenario id, outcome)` of stored results.
fn outcomes<'a>(
    results: impl IntoIterator<Item = &'a testrun::ScenarioResult>,
) -> Vec<(&'a str, &'a Outcome)> {
    results
        .into_iter()
        .map(|s| (s.id.as_str(), &s.outcome))
        .collect()
}

/// The outcomes [`TAP`] gives.
const BOTH: [(&str, &Outcome); 2] = [
    ("todo/add-an-item", &Outcome::Passed),
    ("todo/remove-an-item", &Outcome::Failed),
];

const TAP: &str = "printf 'TAP version 13\\nok 1 - Add an item # time=3ms\\nnot ok 2 - removes milk\\n  ---\\n  message: the list still has milk\\n  ...\\n1..2\\n'";

#[test]
fn a_custom_command_report_is_read_mapped_and_stored() {
    let ws = workspace(TAP);
    let (report, progress) = run(ws.path(), &RunOptions::default(), &CancelToken::new());
    let last = &report.last;
    assert_eq!(last.exit, Exit::Exited { code: 0 });
    // No shell syntax: run directly, the quoted argument passed as one word.
    assert_eq!(last.argv.len(), 2);
    assert_eq!(last.argv[0], "printf");
    assert!(last.argv[1].starts_with("TAP version 13\\n"));
    assert!(
        matches!(&progress[0], Progress::Started { command } if command.starts_with("printf 'TAP"))
    );
    assert!(progress.contains(&Progress::Line("ok 1 - Add an item # time=3ms".into())));
    assert_eq!(outcomes(&last.scenarios), BOTH);
    assert_eq!(
        last.scenarios[1].message.as_deref(),
        Some("the list still has milk")
    );
    assert_eq!(last.report.as_deref(), Some("output.tap"));
    // Read back: the same run, and the raw report parses to the same results.
    let loaded = testrun::load_results(ws.path()).unwrap().unwrap();
    assert_eq!(&loaded, last);
    let again = loaded.read_report(ws.path()).unwrap();
    assert_eq!(again.results, report.results.results);
}

// @spec run-tests-cancel
#[test]
fn cancel_and_timeout_end_the_run_and_keep_earlier_results() {
    let ws = workspace(TAP);
    run(ws.path(), &RunOptions::default(), &CancelToken::new());
    // Now a command that hangs.
    std::fs::write(
        ws.path().join("specls.toml"),
        "[tests]\ncommand = \"sleep 60\"\ntimeout = 1\n",
    )
    .unwrap();
    let cancel = CancelToken::new();
    let c = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        c.cancel();
    });
    let t = Instant::now();
    let (report, _) = run(ws.path(), &RunOptions::default(), &cancel);
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(report.last.exit, Exit::Cancelled);
    assert_eq!(report.last.argv, ["sleep", "60"]);
    // Nothing was reported, so the earlier outcomes stay.
    let kept: Vec<&Outcome> = report.last.scenarios.iter().map(|s| &s.outcome).collect();
    assert_eq!(kept, [&Outcome::Passed, &Outcome::Failed]);

    // The configured timeout (1 s).
    let (project, _, _) = testrun::load_project(ws.path());
    let options = RunOptions::from_config(&project.config);
    assert_eq!(options.timeout, Duration::from_secs(1));
    let t = Instant::now();
    let (report, _) = run(ws.path(), &options, &CancelToken::new());
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(report.last.exit, Exit::TimedOut { after_secs: 1 });
    let loaded = testrun::load_results(ws.path()).unwrap().unwrap();
    assert_eq!(loaded.exit, Exit::TimedOut { after_secs: 1 });
}

/// A filtered run's own results are told from the earlier results it keeps even when both
/// runs start within one second (their start times were whole seconds, and the language server
/// then took a test the filter left out, reported as skipped, for one that run selected).
#[test]
fn a_filtered_run_in_the_same_second_keeps_the_earlier_results_apart() {
    // The whole suite when no test file is given; with one, the test the selection left out is
    // listed as skipped (as vitest and jest do with `-t`).
    let ws = workspace("sh report.sh {files}");
    std::fs::write(
        ws.path().join("report.sh"),
        "if [ $# -eq 0 ]; then\n  printf 'TAP version 13\\nok 1 - Add an item\\nnot ok 2 - removes milk\\n1..2\\n'\nelse\n  printf 'TAP version 13\\nok 1 - Add an item\\nok 2 - removes milk # SKIP filtered out\\n1..2\\n'\nfi\n",
    )
    .unwrap();
    let (first, _) = run(ws.path(), &RunOptions::default(), &CancelToken::new());
    let (project, _, _) = testrun::load_project(ws.path());
    let selection =
        testrun::select(&project, ws.path(), &["todo/add-an-item".to_string()]).unwrap();
    let plan = testrun::plan_run(&project, &selection).unwrap();
    assert!(plan.filtered, "{:?}", plan.argv);
    let second = testrun::run(
        &project,
        &plan,
        &RunOptions::default(),
        &CancelToken::new(),
        &mut |_| {},
    )
    .unwrap();
    let last = &second.last;
    assert_ne!(last.started_at, first.last.started_at);
    assert_eq!(
        outcomes(last.own_results()),
        [("todo/add-an-item", &Outcome::Passed)]
    );
    assert_eq!(
        outcomes(&last.scenarios),
        BOTH,
        "the earlier failure is kept"
    );
    assert_eq!(last.totals.skipped, 1, "the report's skip is counted");
}

// @spec run-tests-queue
#[test]
fn runs_of_one_workspace_wait_for_each_other() {
    let ws = workspace("sh -c 'echo start >> log; sleep 0.4; echo end >> log'");
    let root = ws.path().to_path_buf();
    let queued = Arc::new(Mutex::new(false));
    let first = {
        let root = root.clone();
        std::thread::spawn(move || run(&root, &RunOptions::default(), &CancelToken::new()))
    };
    std::thread::sleep(Duration::from_millis(100));
    let (_, progress) = run(&root, &RunOptions::default(), &CancelToken::new());
    if progress
        .iter()
        .any(|p| matches!(p, Progress::Queued { .. }))
    {
        *queued.lock().unwrap() = true;
    }
    first.join().unwrap();
    assert!(
        *queued.lock().unwrap(),
        "the second run waited in the queue"
    );
    let log = std::fs::read_to_string(root.join("log")).unwrap();
    assert_eq!(log, "start\nend\nstart\nend\n");
}

#[test]
fn damaged_results_are_reported_not_fatal() {
    let ws = workspace(TAP);
    let dir = ws.path().join(".specls/results");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("last-run.json"), "{\"version\": 1, \"scen").unwrap();
    let e = testrun::load_results(ws.path()).unwrap_err();
    assert!(e.to_string().contains("is damaged"), "{e}");
    // A new run replaces it.
    let (report, _) = run(ws.path(), &RunOptions::default(), &CancelToken::new());
    assert_eq!(report.last.scenarios.len(), 2);
    assert!(testrun::load_results(ws.path()).unwrap().is_some());
}
