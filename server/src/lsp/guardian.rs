//! `specls.runGuardian`: run a task blueprint's guardian verification plan stage by stage
//! (steps in plan order; once a step of a stage misses its `expects`, later stages are
//! skipped), each step's command through `sh -c` in the workspace root with the test-run
//! limits. Results go to the state owner: the blueprint's lenses show each step's result
//! against its `expects`, and steps that missed are `guardian-step-failed` diagnostics.
//!
//! The results are kept in `.specls/guardian.json` (written atomically) and read back when the
//! server starts, so they survive a restart. A step's result is shown only while the step still
//! runs the same command (a result of another command is no result for it).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_lsp_server::lsp_types::*;

use specls_core::diag::Diagnostic;
use specls_core::guardian::{evaluate, StepOutcome};

use super::run::{root, Start};
use super::state::{Msg, Snapshot};
use crate::testrun::process::{self, Exit, Limits};

/// Output kept per step.
const OUTPUT_CAP: usize = 256 * 1024;
/// Longest a step may run.
const STEP_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Deserialize)]
pub struct GuardianArgs {
    pub uri: Uri,
}

/// One step's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// The command that ran (the step's result counts while the step runs this command).
    pub command: String,
    #[serde(flatten)]
    pub outcome: StepOutcome,
    pub duration_ms: u64,
}

/// The file under the state folder that keeps the last guardian results.
pub const RESULTS_FILE: &str = "guardian.json";
/// `guardian.json`'s format version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    /// Per blueprint (workspace-relative path): one result per step, in plan order.
    blueprints: GuardianResults,
}

/// Write every blueprint's last results to `.specls/guardian.json` (atomically).
pub fn save(root: &Path, results: &GuardianResults) -> std::io::Result<()> {
    let path = crate::fsutil::state_dir(root)?.join(RESULTS_FILE);
    let json = serde_json::to_vec_pretty(&Stored {
        version: VERSION,
        blueprints: results.clone(),
    })
    .map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(&path, &json)
}

/// The results kept in `.specls/guardian.json`: empty when there is none; a damaged file or
/// one of another version is an error saying so (and is replaced by the next run).
pub fn load(root: &Path) -> Result<GuardianResults, String> {
    let path = root.join(crate::fsutil::STATE_DIR).join(RESULTS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let damaged = |e: String| {
        format!(
            "{} is damaged and was not read ({e}); run the guardian plan again to replace it",
            path.display()
        )
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
    match v.get("version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(VERSION) => {}
        Some(n) => {
            let p = path.display();
            return Err(format!(
                "{p} was written by another version of specls (format {n}, this one reads {VERSION})"
            ));
        }
        None => return Err(damaged("no `version`".into())),
    }
    serde_json::from_value::<Stored>(v)
        .map(|s| s.blueprints)
        .map_err(|e| damaged(e.to_string()))
}

/// The last result of each step of a plan (in plan order), when it ran the step's command.
pub fn step_results<'a>(
    results: Option<&'a Vec<StepResult>>,
    steps: &[specls_core::model::GuardianStep],
) -> Vec<Option<&'a StepResult>> {
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            results
                .and_then(|r| r.get(i))
                .filter(|r| r.command == step.command)
        })
        .collect()
}

/// Results of the last guardian run, per blueprint key (one per step, in plan order).
pub type GuardianResults = BTreeMap<String, Vec<StepResult>>;

/// Lens text for a step: `✓ exit_code_0 (0.4 s)`, `✗ no_output: expected no output, got 3 line(s)`.
pub fn step_text(expects: &str, r: Option<&StepResult>) -> String {
    let ex = if expects.trim().is_empty() {
        "success"
    } else {
        expects.trim()
    };
    match r.map(|r| (&r.outcome, r.duration_ms)) {
        None => format!("expects {ex} · not run"),
        Some((StepOutcome::Met { .. }, ms)) => {
            format!("✓ {ex} ({})", super::testing::human_ms(ms as f64))
        }
        Some((StepOutcome::NotMet { detail }, _)) => format!("✗ {ex}: {detail}"),
        Some((StepOutcome::Skipped { reason }, _)) => format!("skipped: {reason}"),
    }
}

/// `guardian-step-failed` on the steps whose last run missed their `expects`.
pub fn diagnostics(snap: &Snapshot) -> BTreeMap<String, Vec<Diagnostic>> {
    let mut out: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for (key, results) in snap.guardian.iter() {
        let Some(bp) = snap.file(key).and_then(|f| f.doc.blueprint.as_ref()) else {
            continue;
        };
        for (step, r) in bp
            .guardian
            .iter()
            .zip(step_results(Some(results), &bp.guardian))
        {
            if let Some(StepOutcome::NotMet { detail }) = r.map(|r| &r.outcome) {
                let d = Diagnostic::new(
                    "guardian-step-failed",
                    step.span,
                    format!(
                        "guardian step `{}` ({}) failed: {detail} — `{}`",
                        step.description, step.stage, step.command
                    ),
                );
                if let Some(d) = snap.settings.config.apply(d) {
                    out.entry(key.clone()).or_default().push(d);
                }
            }
        }
    }
    out
}

/// Start running the plan of the blueprint at `args.uri`; returns `{token, steps}`.
pub async fn start(s: Start, snap: Snapshot, args: GuardianArgs) -> Result<Value, String> {
    let Some(root) = root(&snap) else {
        return Err("no workspace folder: open a folder to run a guardian plan".into());
    };
    let key = snap.key(&args.uri);
    let Some(bp) = snap.file(&key).and_then(|f| f.doc.blueprint.clone()) else {
        return Err(format!("{key} is not a task blueprint"));
    };
    if bp.guardian.is_empty() {
        return Err(format!("{key} has no guardian verification plan"));
    }
    let (token, cancel) = s.runs.add_public();
    let answer = json!({"token": token, "steps": bp.guardian.len()});
    tokio::spawn(async move {
        let ptoken = NumberOrString::String(token.clone());
        let ongoing = if s.progress
            && super::progress::create(&s.client, &ptoken, Duration::from_secs(2)).await
        {
            Some(
                s.client
                    .progress(ptoken.clone(), format!("Guardian plan of {key}"))
                    .with_cancel_button()
                    .begin()
                    .await,
            )
        } else {
            None
        };
        let mut results: Vec<StepResult> = Vec::new();
        let mut failed_stage: Option<String> = None;
        for (i, step) in bp.guardian.iter().enumerate() {
            if let Some(stage) = &failed_stage {
                if *stage != step.stage || cancel.is_cancelled() {
                    results.push(StepResult {
                        command: step.command.clone(),
                        outcome: StepOutcome::Skipped {
                            reason: if cancel.is_cancelled() {
                                "the run was cancelled".into()
                            } else {
                                format!("stage `{stage}` failed")
                            },
                        },
                        duration_ms: 0,
                    });
                    continue;
                }
            }
            if let Some(o) = &ongoing {
                o.report_with_message(
                    format!(
                        "{}/{} [{}] {}",
                        i + 1,
                        bp.guardian.len(),
                        step.stage,
                        step.command
                    ),
                    None,
                )
                .await;
            }
            let argv = vec!["sh".to_string(), "-c".to_string(), step.command.clone()];
            let (cwd, c) = (root.clone(), cancel.clone());
            let finished = tokio::task::spawn_blocking(move || {
                process::run(
                    &argv,
                    &cwd,
                    &[],
                    Limits {
                        timeout: STEP_TIMEOUT,
                        output_cap: OUTPUT_CAP,
                        cancel: &c,
                        on_line: &mut |_| {},
                    },
                )
            })
            .await;
            let r = match finished {
                Ok(f) => {
                    let code = match f.exit {
                        Exit::Exited { code } => Some(code),
                        _ => None,
                    };
                    let mut outcome = evaluate(&step.expects, code, &f.output.text());
                    if let (StepOutcome::NotMet { detail }, false) =
                        (&mut outcome, matches!(f.exit, Exit::Exited { .. }))
                    {
                        detail.push_str(&format!(" ({})", f.exit.describe()));
                    }
                    StepResult {
                        command: step.command.clone(),
                        outcome,
                        duration_ms: f.duration.as_millis() as u64,
                    }
                }
                Err(e) => StepResult {
                    command: step.command.clone(),
                    outcome: StepOutcome::NotMet {
                        detail: format!("the step could not run: {e}"),
                    },
                    duration_ms: 0,
                },
            };
            if !r.outcome.is_met() && failed_stage.is_none() {
                failed_stage = Some(step.stage.clone());
            }
            results.push(r);
        }
        s.runs.remove_public(&token);
        let met = results.iter().filter(|r| r.outcome.is_met()).count();
        let message = format!(
            "specls: guardian plan of {key}: {met} of {} steps met their expectation",
            results.len()
        );
        s.state.send(Msg::Guardian {
            key: key.clone(),
            results,
        });
        // Kept on disk (every blueprint's last results, as the state owner now holds them).
        if let Some(now) = s.state.snapshot().await {
            let all = now.guardian.clone();
            let saved = tokio::task::spawn_blocking(move || save(&root, &all)).await;
            if let Ok(Err(e)) | Err(e) = saved.map_err(std::io::Error::other) {
                tracing::warn!("cannot keep the guardian results in .specls/{RESULTS_FILE}: {e}");
            }
        }
        if let Some(o) = ongoing {
            o.finish_with_message(message.clone()).await;
        }
        let typ = if met == bp.guardian.len() {
            MessageType::INFO
        } else {
            MessageType::WARNING
        };
        s.client.show_message(typ, message).await;
        if s.lens_refresh {
            let _ = s.client.code_lens_refresh().await;
        }
    });
    Ok(answer)
}

/// Shared empty results.
pub fn empty() -> Arc<GuardianResults> {
    Arc::new(BTreeMap::new())
}
