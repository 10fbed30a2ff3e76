//! Test runs from the editor: `specls.runTests`, `specls.cancelRun`, run-on-save.
//!
//! The command handler only plans the run (a pure function of the snapshot) and spawns it; it
//! never awaits the run or a request to the client. The spawned task reports `$/progress`
//! (created with `window/workDoneProgress/create`, the exact command in the title,
//! cancellable), runs the plan on a blocking thread through [`crate::testrun::run`], then
//! reads the results again into the state owner (lenses and diagnostics follow) and asks the
//! client to refresh its lenses.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::Client;
use tracing::{info, warn};

use specls_core::testlinks::link::{scenarios_with_id, ScenarioRef};
use specls_core::testlinks::plan::Selection;

use super::state::{Msg, Snapshot, StateHandle};
use super::testing;
use crate::testrun::{self, CancelToken, Progress, RunOptions};

/// Arguments of `specls.runTests`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunArgs {
    pub uri: Option<Uri>,
    #[serde(default)]
    pub scenarios: Vec<String>,
    #[serde(default)]
    pub all: bool,
}

/// Runs in progress, by progress token.
#[derive(Default)]
pub struct Runs {
    next: AtomicU64,
    active: Mutex<HashMap<String, CancelToken>>,
}

impl Runs {
    /// Cancel every run in progress; returns how many there were.
    pub fn cancel_all(&self) -> usize {
        let g = self.active.lock().unwrap_or_else(|e| e.into_inner());
        for c in g.values() {
            c.cancel();
        }
        g.len()
    }

    /// Cancel the run reporting progress under `token` (the client's cancel button).
    pub fn cancel_token(&self, token: &str) -> bool {
        let g = self.active.lock().unwrap_or_else(|e| e.into_inner());
        match g.get(token) {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        }
    }

    fn add(&self) -> (String, CancelToken) {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let token = format!("specls-run-{}-{n}", std::process::id());
        let cancel = CancelToken::new();
        let mut g = self.active.lock().unwrap_or_else(|e| e.into_inner());
        g.insert(token.clone(), cancel.clone());
        (token, cancel)
    }

    /// Register a run of another kind (a guardian plan) under a fresh token.
    pub fn add_public(&self) -> (String, CancelToken) {
        self.add()
    }

    pub fn remove_public(&self, token: &str) {
        self.remove(token)
    }

    fn remove(&self, token: &str) {
        let mut g = self.active.lock().unwrap_or_else(|e| e.into_inner());
        g.remove(token);
    }
}

/// The workspace root runs happen in.
pub fn root(snap: &Snapshot) -> Option<PathBuf> {
    snap.roots
        .base
        .clone()
        .or_else(|| snap.roots.folders.first().cloned())
}

/// What the arguments select (pure): every test, the scenarios of a spec, or scenarios by id
/// (within the spec when a uri is given).
pub fn selection(snap: &Snapshot, args: &RunArgs) -> Result<Selection, String> {
    if args.all || (args.uri.is_none() && args.scenarios.is_empty()) {
        return Ok(Selection::All);
    }
    let key = args.uri.as_ref().map(|u| snap.key(u));
    if let Some(k) = &key {
        if snap.file(k).is_none() {
            return Err(format!("{k} is not a spec specls knows"));
        }
    }
    if args.scenarios.is_empty() {
        let k = key.unwrap_or_default();
        let n = snap.file(&k).map_or(0, |f| f.doc.scenarios.len());
        if n == 0 {
            return Err(format!("{k} has no scenarios to run"));
        }
        return Ok(Selection::Scenarios(
            (0..n)
                .map(|index| ScenarioRef {
                    path: k.clone(),
                    index,
                })
                .collect(),
        ));
    }
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for id in &args.scenarios {
        let found: Vec<ScenarioRef> = scenarios_with_id(&snap.ws, id)
            .into_iter()
            .filter(|r| key.as_ref().is_none_or(|k| &r.path == k))
            .collect();
        if found.is_empty() {
            unknown.push(id.as_str());
        }
        out.extend(found);
    }
    if !unknown.is_empty() {
        return Err(format!("no scenario has the id {}", unknown.join(", ")));
    }
    Ok(Selection::Scenarios(out))
}

/// Everything a spawned run needs.
pub struct Start {
    pub client: Client,
    pub state: StateHandle,
    pub runs: Arc<Runs>,
    pub progress: bool,
    pub lens_refresh: bool,
}

/// Plan a run and spawn it; returns what was started (`{token, command}`) or why nothing runs.
pub async fn start(start: Start, snap: Snapshot, args: RunArgs) -> Result<Value, String> {
    let Some(root) = root(&snap) else {
        return Err("no workspace folder: open a folder to run its tests".into());
    };
    let sel = selection(&snap, &args)?;
    // Planning reads marker files and test texts: off the async threads.
    let planned = tokio::task::spawn_blocking(move || {
        let project = testrun::Project::from_parts(
            &root,
            snap.settings.config.clone(),
            (*snap.ws).clone(),
            snap.tests.index.clone(),
        );
        let plan = testrun::plan_run(&project, &sel);
        (project, plan, snap)
    })
    .await
    .map_err(|e| format!("planning the run failed: {e}"))?;
    let (project, plan, snap) = planned;
    let plan = plan.map_err(|e| e.to_string())?;
    let command = plan.display();
    let (token, cancel) = start.runs.add();
    info!("running tests: {command}");
    let answer = json!({"token": token, "command": command});
    tokio::spawn(run_task(start, snap, project, plan, token, cancel));
    Ok(answer)
}

async fn run_task(
    s: Start,
    snap: Snapshot,
    project: testrun::Project,
    plan: specls_core::testlinks::plan::Plan,
    token: String,
    cancel: CancelToken,
) {
    let command = plan.display();
    let ptoken = NumberOrString::String(token.clone());
    let ongoing = if s.progress
        && super::progress::create(&s.client, &ptoken, Duration::from_secs(2)).await
    {
        Some(
            s.client
                .progress(ptoken.clone(), command.clone())
                .with_cancel_button()
                .with_message("starting")
                .begin()
                .await,
        )
    } else {
        None
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    let options = RunOptions::from_config(&project.config);
    let c = cancel.clone();
    let job = tokio::task::spawn_blocking(move || {
        testrun::run(&project, &plan, &options, &c, &mut |p| {
            if !matches!(p, Progress::Line(_)) {
                let _ = tx.send(p.clone());
            }
        })
    });
    while let Some(p) = rx.recv().await {
        let Some(o) = &ongoing else { continue };
        let msg = match p {
            Progress::Queued { ahead } => {
                format!("waiting for {ahead} other run(s) of this workspace")
            }
            Progress::Started { .. } => "running".into(),
            Progress::Tests {
                done,
                total: Some(t),
            } => format!("{done} of {t} tests"),
            Progress::Tests { done, total: None } => format!("{done} tests"),
            Progress::Line(_) => continue,
        };
        o.report_with_message(msg, None).await;
    }
    let outcome = match job.await {
        Ok(Ok(report)) => Ok(summarize(&report.last)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!("the run stopped unexpectedly: {e}")),
    };
    s.runs.remove(&token);
    // The results on disk now: into the state, then lenses and diagnostics follow.
    let roots = snap.roots.clone();
    let config = snap.settings.config.clone();
    if let Ok(run) =
        tokio::task::spawn_blocking(move || testing::read_results(&roots, &config)).await
    {
        s.state.send(Msg::Results(Arc::new(run)));
        let _ = s.state.snapshot().await;
    }
    let finished = match outcome {
        Ok(f) => f,
        Err(e) => Finished {
            status: RunStatus::Error,
            text: format!("the test run failed: {e}"),
            errors: vec![e],
            output: String::new(),
        },
    };
    let message = format!("specls: {}", finished.text);
    let typ = match finished.status {
        RunStatus::Passed => MessageType::INFO,
        RunStatus::Failed | RunStatus::Cancelled => MessageType::WARNING,
        RunStatus::Error => MessageType::ERROR,
    };
    if let Some(o) = ongoing {
        o.finish_with_message(message.clone()).await;
    }
    s.client.show_message(typ, message.clone()).await;
    // Clients that track their own run (the Test Explorer) learn here that it ended and that
    // the state holds its results.
    s.client
        .send_notification::<RunFinished>(RunFinishedParams {
            token: token.clone(),
            command,
            status: finished.status,
            message,
            errors: finished.errors,
            output: finished.output,
        })
        .await;
    if s.lens_refresh {
        if let Err(e) = s.client.code_lens_refresh().await {
            warn!("workspace/codeLens/refresh failed: {e}");
        }
    }
}

/// How a run ended, for the message and `specls/runFinished`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunStatus {
    /// Every test that ran passed.
    Passed,
    /// Some tests failed or errored.
    Failed,
    /// The user cancelled it.
    Cancelled,
    /// The run itself went wrong: not started, timed out, no report, or specls could not store
    /// the results. Scenarios keep no result from it.
    Error,
}

/// A run's end, summarized.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub status: RunStatus,
    /// One line: counts, and why the run went wrong when it did.
    pub text: String,
    /// What went wrong reading the report (and starting or ending the run).
    pub errors: Vec<String>,
    /// The end of the runner's output (what it printed when there are no results to show).
    pub output: String,
}

/// At most this many bytes of the runner's output go into `specls/runFinished`.
const OUTPUT_TAIL: usize = 4096;

/// The summary of a stored run (pure).
pub fn summarize(last: &testrun::LastRun) -> Finished {
    let t = &last.totals;
    let mut parts = vec![format!("{} passed", t.passed)];
    for (n, w) in [
        (t.failed, "failed"),
        (t.errors, "errors"),
        (t.skipped, "skipped"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {w}"));
        }
    }
    let mut text = format!("tests {}", parts.join(", "));
    // Exited by itself; a signal nobody sent (a crash), a timeout or a cancel is no ordinary end.
    let ended = matches!(last.exit, testrun::Exit::Exited { .. });
    if !ended {
        text = format!("{text} ({})", last.exit.describe());
    }
    for e in last.report_errors.iter().take(2) {
        text.push_str(&format!("; {e}"));
    }
    let mut errors = last.report_errors.clone();
    if !ended && last.exit != testrun::Exit::Cancelled {
        errors.insert(0, format!("the test command {}", last.exit.describe()));
    }
    let exit_code = match last.exit {
        testrun::Exit::Exited { code } => code,
        _ => 0,
    };
    let nothing_read = t.results == 0 && (!last.report_errors.is_empty() || exit_code != 0);
    if ended && nothing_read && last.report_errors.is_empty() {
        let e =
            format!("the test command exited with status {exit_code} and no test result was read");
        text.push_str(&format!("; {e}"));
        errors.push(e);
    }
    let status = if last.exit == testrun::Exit::Cancelled {
        RunStatus::Cancelled
    } else if !ended || nothing_read {
        RunStatus::Error
    } else if t.failed + t.errors > 0 {
        RunStatus::Failed
    } else {
        RunStatus::Passed
    };
    let output = tail(&last.output_excerpt, OUTPUT_TAIL);
    // No results to show: the runner's last words say why (a missing module, a bad option).
    if status == RunStatus::Error {
        if let Some(line) = output.lines().rev().find(|l| !l.trim().is_empty()) {
            text.push_str(&format!("; it printed: {}", line.trim()));
        }
    }
    Finished {
        status,
        text,
        errors,
        output,
    }
}

/// The last `max` bytes of `s` (on a character boundary).
fn tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut at = s.len() - max;
    while !s.is_char_boundary(at) {
        at += 1;
    }
    s[at..].to_string()
}

/// Parameters of `specls/runFinished`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFinishedParams {
    /// The token `specls.runTests` answered with (also the progress token).
    pub token: String,
    /// The command that ran.
    pub command: String,
    pub status: RunStatus,
    /// What the user was shown (`window/showMessage`).
    pub message: String,
    pub errors: Vec<String>,
    /// The end of the runner's output.
    pub output: String,
}

/// `specls/runFinished` (server to client): a run started by `specls.runTests` (or on save)
/// ended and its results are in the state, so `specls/scenarios`, lenses and diagnostics show
/// them.
pub enum RunFinished {}

impl notification::Notification for RunFinished {
    type Params = RunFinishedParams;
    const METHOD: &'static str = "specls/runFinished";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored run as `last-run.json` holds it, with `exit`, totals and report errors set.
    fn last(
        exit: Value,
        totals: [usize; 4],
        report_errors: &[&str],
        output: &str,
    ) -> testrun::LastRun {
        let [passed, failed, errors, skipped] = totals;
        serde_json::from_value(json!({
            "version": 1,
            "runner": "pytest",
            "source": {"kind": "arrangement", "path": "arrangement.yaml", "template": "python3 -m pytest {file} -q"},
            "argv": ["python3", "-m", "pytest", "-q"],
            "cwd": "/w",
            "selection": {"kind": "all"},
            "filtered": false,
            "started_at": "2026-01-01T00:00:00Z",
            "duration_ms": 10,
            "exit": exit,
            "report_errors": report_errors,
            "totals": {"results": passed + failed + errors + skipped, "passed": passed, "failed": failed, "skipped": skipped, "errors": errors, "unmatched": 0},
            "output_excerpt": output,
            "output_left_out": 0,
            "scenarios": [],
        }))
        .unwrap()
    }

    #[test]
    fn a_run_is_summarized_by_how_it_ended() {
        let exited = |code: i32| json!({"kind": "exited", "code": code});
        let no_report = "the runner wrote no report at /w/.specls/results/pytest-junit.xml (No such file or directory (os error 2))";
        let cases = [
            ("all passed", last(exited(0), [3, 0, 0, 1], &[], "...s\n")),
            ("one failed", last(exited(1), [2, 1, 0, 0], &[], "..F\n")),
            (
                "pytest missing: no report, its output says why",
                last(
                    exited(1),
                    [0, 0, 0, 0],
                    &[no_report],
                    "/usr/bin/python3: No module named pytest\n",
                ),
            ),
            (
                "no result and a failing status",
                last(
                    exited(2),
                    [0, 0, 0, 0],
                    &[],
                    "error: unrecognized arguments: -q\n\n",
                ),
            ),
            (
                "no tests and success",
                last(exited(0), [0, 0, 0, 0], &[], ""),
            ),
            (
                "cancelled",
                last(json!({"kind": "cancelled"}), [1, 0, 0, 0], &[], "."),
            ),
            (
                "timed out",
                last(
                    json!({"kind": "timed-out", "after_secs": 5}),
                    [0, 0, 0, 0],
                    &[no_report],
                    "slow\n",
                ),
            ),
            (
                "not started",
                last(
                    json!({"kind": "not-started", "message": "python3: not found"}),
                    [0, 0, 0, 0],
                    &[],
                    "",
                ),
            ),
        ];
        let out: Vec<Value> = cases
            .iter()
            .map(|(name, l)| {
                let f = summarize(l);
                json!({"case": name, "status": f.status, "text": f.text, "errors": f.errors})
            })
            .collect();
        insta::assert_yaml_snapshot!(out);
    }

    #[test]
    fn the_output_tail_keeps_whole_characters() {
        let s = format!("{}é{}", "a".repeat(10), "b".repeat(OUTPUT_TAIL - 1));
        let t = tail(&s, OUTPUT_TAIL);
        assert_eq!(t, "b".repeat(OUTPUT_TAIL - 1));
        assert_eq!(tail("short", OUTPUT_TAIL), "short");
    }
}
