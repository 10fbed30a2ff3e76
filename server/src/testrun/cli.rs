//! `specls test [PATH|SCENARIO-ID...]`: run the tests linked to scenarios (all of them, a
//! spec's, a folder's or the named scenarios') and print each scenario's result.
//!
//! Prints the exact command before running it. Exit status: 0 when no selected scenario
//! failed, 1 when one failed or the run timed out, 2 on a usage error, a command that cannot
//! be planned or started, or results that cannot be written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use specls_core::testlinks::link::ScenarioRef;
use specls_core::testlinks::plan::{Plan, PlanError, Selection};

use super::store::{Outcome, ScenarioResult, Totals};
use super::{CancelToken, Exit, Progress, RunOptions};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Scenario ids, spec files or folders to run the tests of (default: every test).
    pub targets: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// End the run after this many seconds (default: `[tests] timeout` in specls.toml, else
    /// 600).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Show the command that would run, and the tests it selects, without running it.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not echo the runner's output (on standard error) while it runs.
    #[arg(long, short)]
    pub quiet: bool,
    /// The workspace root (default: the nearest folder at or above the current one with a
    /// `specls.toml`, else with `.git`, else the current folder).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("specls test: {msg}");
    ExitCode::from(2)
}

/// The nearest folder at or above `start` with a `specls.toml`, else with `.git`, else `start`.
pub fn find_root(start: &Path) -> PathBuf {
    for marker in ["specls.toml", ".git"] {
        let mut dir = Some(start);
        while let Some(d) = dir {
            if d.join(marker).exists() {
                return d.to_path_buf();
            }
            dir = d.parent();
        }
    }
    start.to_path_buf()
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Ctrl-C (SIGINT) and SIGTERM cancel the run (ending the runner's process group) instead of
/// leaving it running behind us.
fn cancel_on_interrupt(cancel: &CancelToken) {
    #[cfg(unix)]
    {
        extern "C" fn on_signal(_: libc::c_int) {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
            libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        }
    }
    let cancel = cancel.clone();
    std::thread::spawn(move || loop {
        if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
            cancel.cancel();
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    });
}

#[derive(Serialize)]
struct DryRun<'a> {
    command: &'a [String],
    env: &'a [(String, String)],
    display: String,
    runner: &'a str,
    filtered: bool,
    tests: Vec<String>,
    untested: Vec<String>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonRun<'a> {
    command: &'a [String],
    display: String,
    cwd: &'a str,
    exit: &'a Exit,
    duration_ms: u64,
    totals: &'a Totals,
    report: Option<&'a str>,
    report_errors: &'a [String],
    notes: &'a [String],
    scenarios: Vec<&'a ScenarioResult>,
    summary: Summary,
}

#[derive(Serialize, Default)]
struct Summary {
    scenarios: usize,
    passed: usize,
    failed: usize,
    skipped: usize,
    not_run: usize,
    untested: usize,
}

fn scenario_label(project: &super::Project, r: &ScenarioRef) -> String {
    project
        .ws
        .get(&r.path)
        .and_then(|f| f.doc.scenarios.get(r.index))
        .map(|s| format!("{} ({})", s.id, r.path))
        .unwrap_or_else(|| format!("{}#{}", r.path, r.index))
}

fn test_label(project: &super::Project, t: &specls_core::testlinks::TestRef) -> String {
    project
        .tests
        .get(&t.path)
        .map(|f| format!("{}::{}", t.path, f.path_of(t.test).join("::")))
        .unwrap_or_else(|| t.path.clone())
}

pub fn run(args: TestArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = match &args.root {
        Some(r) => crate::files::absolute(&cwd, r),
        None => find_root(&cwd),
    };
    if !root.is_dir() {
        return fail(format!("{} is not a folder", root.display()));
    }
    let (project, issues, errors) = super::load_project(&root);
    for i in issues {
        eprintln!("specls test: specls.toml: {i}");
    }
    for (path, e) in errors {
        eprintln!("specls test: cannot read {path}: {e}");
    }
    let selection = match super::select(&project, &cwd, &args.targets) {
        Ok(s) => s,
        Err(problems) => {
            for p in problems {
                eprintln!("specls test: {p}");
            }
            return ExitCode::from(2);
        }
    };
    let plan = match super::plan_run(&project, &selection) {
        Ok(p) => p,
        Err(PlanError::NothingToRun) => {
            return nothing_to_run(&project, &selection, args.format);
        }
        Err(e) => return fail(e),
    };
    if args.dry_run {
        return dry_run(&project, &plan, args.format);
    }
    let mut options = RunOptions::from_config(&project.config);
    if let Some(t) = args.timeout {
        if t == 0 {
            return fail("--timeout must be at least 1 second");
        }
        options.timeout = Duration::from_secs(t);
    }
    let human = args.format == Format::Human;
    {
        let mut err = std::io::stderr().lock();
        for n in &plan.notes {
            let _ = writeln!(err, "specls test: note: {n}");
        }
        let _ = writeln!(err, "specls test: running `{}`", plan.display());
        let _ = writeln!(err, "specls test: in {}", root.display());
    }
    let cancel = CancelToken::new();
    cancel_on_interrupt(&cancel);
    let echo = human && !args.quiet;
    let result = super::run(&project, &plan, &options, &cancel, &mut |p| match p {
        Progress::Line(l) if echo => eprintln!("{l}"),
        Progress::Queued { ahead } => {
            eprintln!("specls test: waiting for {ahead} earlier run(s) of this workspace")
        }
        _ => {}
    });
    let report = match result {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let last = &report.last;
    let chosen: Vec<&ScenarioResult> = plan
        .chosen
        .scenarios
        .iter()
        .filter_map(|r| {
            let sc = project.ws.get(&r.path)?.doc.scenarios.get(r.index)?;
            last.scenario(&r.path, &sc.id)
        })
        .collect();
    let mut summary = Summary {
        scenarios: chosen.len(),
        ..Summary::default()
    };
    for s in &chosen {
        match s.outcome {
            Outcome::Passed => summary.passed += 1,
            Outcome::Failed => summary.failed += 1,
            Outcome::Skipped => summary.skipped += 1,
            Outcome::NotRun => summary.not_run += 1,
            Outcome::Untested => summary.untested += 1,
        }
    }
    let mut out = std::io::stdout().lock();
    if human {
        let _ = writeln!(
            out,
            "{} {} in {:.2}s; {} test results: {} passed, {} failed, {} skipped, {} errors{}",
            plan.runner.as_str(),
            last.exit.describe(),
            last.duration_ms as f64 / 1000.0,
            last.totals.results,
            last.totals.passed,
            last.totals.failed,
            last.totals.skipped,
            last.totals.errors,
            if last.totals.unmatched > 0 {
                format!(" ({} not linked to a scenario)", last.totals.unmatched)
            } else {
                String::new()
            }
        );
        for e in &last.report_errors {
            let _ = writeln!(out, "report: {e}");
        }
        let mut current = None;
        for s in &chosen {
            if current != Some(&s.path) {
                let _ = writeln!(out, "\n{}", s.path);
                current = Some(&s.path);
            }
            let _ = writeln!(out, "{}", human_line(s));
        }
        let _ = writeln!(
            out,
            "\n{} scenarios: {} passed, {} failed, {} skipped, {} not run, {} untested",
            summary.scenarios,
            summary.passed,
            summary.failed,
            summary.skipped,
            summary.not_run,
            summary.untested
        );
    } else {
        let j = JsonRun {
            command: &last.argv,
            display: plan.display(),
            cwd: &last.cwd,
            exit: &last.exit,
            duration_ms: last.duration_ms,
            totals: &last.totals,
            report: last.report.as_deref(),
            report_errors: &last.report_errors,
            notes: &plan.notes,
            scenarios: chosen.clone(),
            summary,
        };
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&j).unwrap_or_default()
        );
    }
    let failed = chosen.iter().any(|s| s.outcome == Outcome::Failed);
    match &last.exit {
        Exit::NotStarted { message } => fail(format!("the test command {message}")),
        Exit::TimedOut { .. } | Exit::Cancelled => ExitCode::from(1),
        _ if failed => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// One scenario in human form.
pub fn human_line(s: &ScenarioResult) -> String {
    let tests = |n: usize| {
        if n == 1 {
            "1 test".to_string()
        } else {
            format!("{n} tests")
        }
    };
    match s.outcome {
        Outcome::Passed => {
            let mut detail = tests(s.tests);
            if let Some(d) = s.duration_ms {
                detail.push_str(&format!(", {}", duration(d)));
            }
            if s.skipped > 0 {
                detail.push_str(&format!(", {} skipped", s.skipped));
            }
            format!("  passed    {}  {} ({detail})", s.id, s.name)
        }
        Outcome::Failed => {
            let mut l = format!(
                "  FAILED    {}  {} ({} of {} failed): {}",
                s.id,
                s.name,
                s.failed,
                tests(s.tests),
                s.message.as_deref().unwrap_or("failed")
            );
            if let Some(t) = &s.failed_test {
                l.push_str(&format!(
                    "\n            at {}:{} ({})",
                    t.path, t.line, t.name
                ));
            }
            l
        }
        Outcome::Skipped => format!("  skipped   {}  {} ({})", s.id, s.name, tests(s.skipped)),
        Outcome::NotRun => format!(
            "  not run   {}  {} ({} linked, no result)",
            s.id,
            s.name,
            tests(s.linked_tests)
        ),
        Outcome::Untested => format!("  untested  {}  {} (no linked test)", s.id, s.name),
    }
}

fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{} ms", ms.round() as u64)
    }
}

fn nothing_to_run(project: &super::Project, selection: &Selection, format: Format) -> ExitCode {
    let chosen = specls_core::testlinks::plan::choose(&project.ws, &project.links, selection);
    let labels: Vec<String> = chosen
        .untested
        .iter()
        .map(|r| scenario_label(project, r))
        .collect();
    match format {
        Format::Human => {
            println!("no test is linked to the selected scenarios; nothing was run");
            for l in &labels {
                println!("  untested  {l}");
            }
        }
        Format::Json => println!(
            "{}",
            serde_json::json!({ "ran": false, "untested": labels })
        ),
    }
    ExitCode::SUCCESS
}

fn dry_run(project: &super::Project, plan: &Plan, format: Format) -> ExitCode {
    let tests: Vec<String> = plan
        .chosen
        .tests
        .iter()
        .map(|t| test_label(project, t))
        .collect();
    let untested: Vec<String> = plan
        .chosen
        .untested
        .iter()
        .map(|r| scenario_label(project, r))
        .collect();
    match format {
        Format::Human => {
            println!("{}", plan.display());
            println!(
                "runner: {}; {}",
                plan.runner.as_str(),
                if plan.filtered {
                    "only the linked tests run"
                } else {
                    "every test runs"
                }
            );
            if !plan.chosen.all {
                for t in &tests {
                    println!("  test      {t}");
                }
                for u in &untested {
                    println!("  untested  {u}");
                }
            }
            for n in &plan.notes {
                println!("note: {n}");
            }
        }
        Format::Json => {
            let d = DryRun {
                command: &plan.argv,
                env: &plan.env,
                display: plan.display(),
                runner: plan.runner.as_str(),
                filtered: plan.filtered,
                tests,
                untested,
                notes: &plan.notes,
            };
            println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
        }
    }
    ExitCode::SUCCESS
}
