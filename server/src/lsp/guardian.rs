//! `specls.runGuardian`: run a task blueprint's guardian verification plan stage by stage
//! (steps in plan order; once a step of a stage misses its `expects`, later stages are
//! skipped), each step's command through `sh -c` in the workspace root with the test-run
//! limits. Results go to the state owner: the blueprint's lenses show each step's result
//! against its `expects`, and steps that missed are `guardian-step-failed` diagnostics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
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
#[derive(Clone, Debug, PartialEq)]
pub struct StepResult {
    pub outcome: StepOutcome,
    pub duration_ms: u64,
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
        for (step, r) in bp.guardian.iter().zip(results) {
            if let StepOutcome::NotMet { detail } = &r.outcome {
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
        let ongoing = if s.progress {
            let created = tokio::time::timeout(
                Duration::from_secs(2),
                s.client.send_request::<request::WorkDoneProgressCreate>(
                    WorkDoneProgressCreateParams {
                        token: ptoken.clone(),
                    },
                ),
            )
            .await;
            if matches!(created, Ok(Ok(()))) {
                Some(
                    s.client
                        .progress(ptoken.clone(), format!("Guardian plan of {key}"))
                        .with_cancel_button()
                        .begin()
                        .await,
                )
            } else {
                None
            }
        } else {
            None
        };
        let mut results: Vec<StepResult> = Vec::new();
        let mut failed_stage: Option<String> = None;
        for (i, step) in bp.guardian.iter().enumerate() {
            if let Some(stage) = &failed_stage {
                if *stage != step.stage || cancel.is_cancelled() {
                    results.push(StepResult {
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
                        outcome,
                        duration_ms: f.duration.as_millis() as u64,
                    }
                }
                Err(e) => StepResult {
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
        let _ = s.state.snapshot().await;
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
