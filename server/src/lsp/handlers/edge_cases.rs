//! `specls.proposeEdgeCases` (`{uri, scenario?, requirement?, llm?}`): the deterministic
//! edge-case proposals for a scenario, a requirement or a whole spec, sent to the client as one
//! `workspace/applyEdit` so the user sees every inserted scenario (marked as proposed) and can
//! keep, change or undo them. The edit is sent from a spawned task, never awaited in the handler.
//!
//! With `llm: true` (the "Propose edge cases with <model>" action, offered when `[llm]` of
//! specls.toml or the arrangement's `model` names a backend), the configured model or agent CLI
//! is asked in a spawned task: the command answers `{started, model}` at once, progress goes to
//! `$/progress` (cancellable from the progress UI), and the validated, de-duplicated proposals
//! arrive as one `workspace/applyEdit`. An unusable answer (malformed, empty, nothing new), a
//! failure or a cancel gives a `window/showMessage` and no edit; so does a spec edited while
//! the model was answering.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::edge_cases::{self, Proposal, Target};

use super::convert::{doc, range, Doc};
use crate::compile::Cancel;
use crate::lsp::server::{blocking, invalid_params, Backend};
use crate::lsp::state::Snapshot;

/// The model proposals being asked for (one at a time per server).
#[derive(Default)]
pub struct Proposing {
    current: Mutex<Option<(Cancel, Option<NumberOrString>)>>,
}

impl Proposing {
    /// Cancel when `token` is the running request's progress token.
    pub fn cancel_token(&self, token: &NumberOrString) -> bool {
        let guard = self.current.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some((cancel, Some(t))) if t == token => {
                cancel.cancel();
                true
            }
            _ => false,
        }
    }
}

/// Clears [`Proposing`] when the spawned request ends, even by a panic.
struct Clear(Arc<Proposing>);

impl Drop for Clear {
    fn drop(&mut self) {
        *self.0.current.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[derive(Deserialize)]
struct Args {
    uri: Uri,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    requirement: Option<String>,
    /// Set by a code action that carries the proposals' edit itself: the client applied it
    /// before running the command, so nothing is proposed again.
    #[serde(default)]
    inserted: Option<Vec<String>>,
    /// Ask the configured model (or agent CLI) instead of the deterministic generator.
    #[serde(default)]
    llm: bool,
}

/// Above this many scenarios, rows and constraints, a whole-spec code action carries only the
/// command: the proposals are computed when it runs, not on every code-action request.
pub const EAGER_SPEC_LIMIT: usize = 24;
/// Above this many, a scenario's or a requirement's code action carries only the command too:
/// checking its proposals against the spec checks the whole spec again (about 0.1 ms a
/// scenario: most of a second for a spec of 5,000 scenarios), and editors ask for code actions
/// at every move of the cursor.
pub const EAGER_ONE_LIMIT: usize = 64;

/// Give a `specls.proposeEdgeCases` code action its edit, so a client applies the proposals
/// without a round-trip: the title says how many, and the command's arguments name them
/// (`inserted`), so running the command afterwards does not insert them again. An action with
/// nothing to propose keeps its plain command (which tells the user so).
pub fn with_edit(snap: &Snapshot, d: &Doc, uri: &Uri, action: &mut CodeAction) {
    let Some(cmd) = action.command.as_mut() else {
        return;
    };
    if cmd.command != super::commands::PROPOSE_EDGE_CASES {
        return;
    }
    let Some(args) = cmd
        .arguments
        .as_ref()
        .and_then(|a| a.first())
        .and_then(|v| serde_json::from_value::<Args>(v.clone()).ok())
    else {
        return;
    };
    if args.llm {
        return;
    }
    let size = snap.file(&d.key).map_or(usize::MAX, |f| {
        f.doc.scenarios.len() + f.doc.examples.len() + f.doc.constraints.len()
    });
    let target = match (&args.scenario, &args.requirement) {
        _ if size > EAGER_ONE_LIMIT => return,
        (Some(id), _) => Target::Scenario(id.clone()),
        (None, Some(r)) => Target::Requirement(r.clone()),
        (None, None) if size > EAGER_SPEC_LIMIT => return,
        (None, None) => Target::Spec,
    };
    let (edit, names, held_back) = proposals_edit(snap, d, uri, target);
    if names.is_empty() {
        return;
    }
    let n = names.len();
    let what = action
        .title
        .strip_prefix("Propose edge cases for ")
        .unwrap_or(&action.title)
        .to_string();
    action.title = format!(
        "Propose {n} edge case{} for {what}{}",
        if n == 1 { "" } else { "s" },
        if held_back > 0 {
            format!(" (of up to {}; propose again for more)", n + held_back)
        } else {
            String::new()
        }
    );
    cmd.title = action.title.clone();
    if let Some(Value::Object(m)) = cmd.arguments.as_mut().and_then(|a| a.first_mut()) {
        m.insert("inserted".into(), json!(names));
    }
    action.edit = Some(edit);
}

/// For every deterministic "Propose edge cases for …" action, a "Propose edge cases with
/// <model> for …" one when a model (or agent CLI) is configured for the document (pure).
pub fn with_model_actions(snap: &Snapshot, d: &Doc, actions: &mut Vec<CodeActionOrCommand>) {
    let proposes = actions.iter().any(|a| {
        matches!(a, CodeActionOrCommand::CodeAction(CodeAction { command: Some(c), .. })
            if c.command == super::commands::PROPOSE_EDGE_CASES)
    });
    if !proposes {
        return;
    }
    let Some(model) = crate::edge_cases::model_name(&snap.ws, &snap.settings.config, &d.key) else {
        return;
    };
    let mut more = Vec::new();
    for a in actions.iter() {
        let CodeActionOrCommand::CodeAction(a) = a else {
            continue;
        };
        let Some(cmd) = &a.command else {
            continue;
        };
        if cmd.command != super::commands::PROPOSE_EDGE_CASES {
            continue;
        }
        let Some(Value::Object(args)) = cmd.arguments.as_ref().and_then(|a| a.first()) else {
            continue;
        };
        let what = match (args.get("scenario"), args.get("requirement")) {
            (Some(_), _) => "scenario",
            (None, Some(_)) => "requirement",
            (None, None) => "spec",
        };
        let name = a
            .title
            .rsplit_once(&format!(" for {what} "))
            .map(|(_, n)| n)
            .unwrap_or_default();
        let mut args = args.clone();
        args.remove("inserted");
        args.insert("llm".into(), json!(true));
        let title = format!("Propose edge cases with {model} for {what} {name}");
        more.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: title.trim_end().to_string(),
            kind: a.kind.clone(),
            command: Some(Command {
                title: title.trim_end().to_string(),
                command: cmd.command.clone(),
                arguments: Some(vec![Value::Object(args)]),
            }),
            ..CodeAction::default()
        }));
    }
    actions.extend(more);
}

/// The proposals for `target` as one edit of the document (pure), with the proposals' names
/// and how many more ideas the cap held back.
pub fn proposals_edit(
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    target: Target,
) -> (WorkspaceEdit, Vec<String>, usize) {
    let counted = edge_cases::propose_counted(&snap.ws, &d.key, target);
    let names = counted.proposals.iter().map(|p| p.name.clone()).collect();
    (
        edit_of(snap, d, uri, counted.proposals),
        names,
        counted.held_back,
    )
}

/// Proposals as one edit of the document.
#[allow(clippy::mutable_key_type)] // lsp_types::Uri is the key type WorkspaceEdit requires
fn edit_of(snap: &Snapshot, d: &Doc, uri: &Uri, proposals: Vec<Proposal>) -> WorkspaceEdit {
    // Insertions at one position are applied in the order given: the proposals keep theirs.
    let edits: Vec<TextEdit> = proposals
        .into_iter()
        .map(|p| TextEdit::new(range(snap, d, p.edit.span), p.edit.new_text))
        .collect();
    let mut changes = HashMap::new();
    if !edits.is_empty() {
        changes.insert(uri.clone(), edits);
    }
    WorkspaceEdit {
        changes: Some(changes),
        document_changes: None,
        change_annotations: None,
    }
}

pub async fn execute(backend: &Backend, arguments: Vec<Value>) -> Result<Option<Value>> {
    let args: Args = arguments
        .into_iter()
        .next()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| {
            invalid_params(
                "specls.proposeEdgeCases takes one argument `{uri, scenario?, requirement?}`",
            )
        })?;
    if let Some(names) = args.inserted {
        // The code action's own edit inserted these already.
        return Ok(Some(json!({ "proposed": names, "applied": "edit" })));
    }
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &args.uri) else {
        return Err(invalid_params(format!(
            "{} is not a spec specls knows",
            args.uri.as_str()
        )));
    };
    let file = snap.file(&d.key).map(|f| f.doc.clone()).unwrap_or_default();
    let (target, what) = match (&args.scenario, &args.requirement) {
        (Some(id), _) => {
            if !file.scenarios.iter().any(|s| &s.id == id) {
                return Err(invalid_params(format!("no scenario `{id}` in this spec")));
            }
            (Target::Scenario(id.clone()), format!("scenario `{id}`"))
        }
        (None, Some(r)) => (Target::Requirement(r.clone()), format!("requirement {r}")),
        (None, None) => (Target::Spec, format!("spec {}", file.name)),
    };
    if args.llm {
        return start_model(backend, snap, d, args.uri, target, what).await;
    }
    let uri = args.uri.clone();
    let (edit, names, held_back) = blocking("specls.proposeEdgeCases", move || {
        proposals_edit(&snap, &d, &uri, target)
    })
    .await?;
    if names.is_empty() {
        let client = backend.client.clone();
        let message = format!("specls: no edge case to propose for {what}: every case it knows is covered or does not apply");
        tokio::spawn(async move {
            client.show_message(MessageType::INFO, message).await;
        });
        return Ok(Some(json!({"proposed": []})));
    }
    let client = backend.client.clone();
    let label = format!("Propose {} edge cases for {what}", names.len());
    let note = (held_back > 0).then(|| {
        format!(
            "specls: {} of up to {} edge cases proposed for {what} (at most {} per scenario, one of each kind first); keep or change these and propose again for more",
            names.len(),
            names.len() + held_back,
            edge_cases::MAX_PER_SCENARIO
        )
    });
    tokio::spawn(async move {
        if apply(&client, label, edit).await {
            if let Some(note) = note {
                client.show_message(MessageType::INFO, note).await;
            }
        }
    });
    Ok(Some(json!({ "proposed": names, "heldBack": held_back })))
}

/// Send the edit; true when the client applied it.
async fn apply(client: &tower_lsp_server::Client, label: String, edit: WorkspaceEdit) -> bool {
    match client
        .send_request::<request::ApplyWorkspaceEdit>(ApplyWorkspaceEditParams {
            label: Some(label),
            edit,
        })
        .await
    {
        Ok(r) if !r.applied => {
            tracing::info!(
                "the client did not apply the proposals: {}",
                r.failure_reason.unwrap_or_default()
            );
            false
        }
        Ok(_) => true,
        Err(e) => {
            tracing::warn!("workspace/applyEdit failed: {e}");
            false
        }
    }
}

/// `specls.proposeEdgeCases` with `llm: true`: ask the configured model in a spawned task.
async fn start_model(
    backend: &Backend,
    snap: Snapshot,
    d: Doc,
    uri: Uri,
    target: Target,
    what: String,
) -> Result<Option<Value>> {
    let config = snap.settings.config.clone();
    let Some(model) = crate::edge_cases::model_name(&snap.ws, &config, &d.key) else {
        return Err(invalid_params(
            "no model is configured: set [llm] provider (openai, anthropic or command) in specls.toml, or `model` in the arrangement",
        ));
    };
    let root = snap
        .roots
        .base
        .clone()
        .filter(|b| !b.as_os_str().is_empty())
        .or_else(|| {
            crate::lsp::paths::uri_to_path(&uri).and_then(|p| p.parent().map(|p| p.to_path_buf()))
        })
        .unwrap_or_default();
    let cancel = Cancel::new();
    let token = backend.flags().work_done_progress.then(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        NumberOrString::String(format!("specls-edge-cases-{}-{nanos}", std::process::id()))
    });
    {
        let mut current = backend
            .proposing
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if current.is_some() {
            return Err(invalid_params(
                "edge cases are already being proposed by the model; wait for them or cancel them from the progress",
            ));
        }
        *current = Some((cancel.clone(), token.clone()));
    }
    let job = ModelJob {
        client: backend.client.clone(),
        state: backend.state.clone(),
        proposing: backend.proposing.clone(),
        snap,
        d,
        uri,
        target,
        what,
        model: model.clone(),
        root,
        config,
        cancel,
        token,
    };
    tokio::spawn(job.run());
    Ok(Some(json!({ "started": true, "model": model })))
}

struct ModelJob {
    client: tower_lsp_server::Client,
    state: crate::lsp::state::StateHandle,
    proposing: Arc<Proposing>,
    snap: Snapshot,
    d: Doc,
    uri: Uri,
    target: Target,
    what: String,
    model: String,
    root: std::path::PathBuf,
    config: specls_core::config::Config,
    cancel: Cancel,
    token: Option<NumberOrString>,
}

impl ModelJob {
    async fn run(self) {
        let running = Clear(self.proposing.clone());
        let client = self.client.clone();
        let created = match &self.token {
            Some(t) => {
                crate::lsp::progress::create(&client, t, std::time::Duration::from_secs(5)).await
            }
            None => false,
        };
        let progress = match (created, self.token.clone()) {
            (true, Some(t)) => Some(
                client
                    .progress(
                        t,
                        format!("specls: proposing edge cases with {}", self.model),
                    )
                    .with_cancel_button()
                    .begin()
                    .await,
            ),
            _ => None,
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let reporter = tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                if let Some(p) = &progress {
                    p.report_with_message(msg, None).await;
                }
            }
            progress
        });
        let outcome = self.ask(tx).await;
        // The model has answered: another request may start (before the user hears of this one).
        drop(running);
        let progress = reporter.await.ok().flatten();
        let (kind, message) = match outcome {
            Ok(Some((edit, names, dropped))) => {
                let label = format!(
                    "Propose {} edge cases with {} for {}",
                    names.len(),
                    self.model,
                    self.what
                );
                if apply(&client, label, edit).await {
                    (
                        MessageType::INFO,
                        format!(
                            "specls: {} edge case{} from {} inserted for {}, marked proposed{}",
                            names.len(),
                            if names.len() == 1 { "" } else { "s" },
                            self.model,
                            self.what,
                            if dropped.is_empty() {
                                String::new()
                            } else {
                                format!(" ({} dropped: {})", dropped.len(), dropped.join("; "))
                            }
                        ),
                    )
                } else {
                    (
                        MessageType::INFO,
                        format!(
                            "specls: the editor did not apply the {} edge cases from {}",
                            names.len(),
                            self.model
                        ),
                    )
                }
            }
            Ok(None) => (
                MessageType::WARNING,
                format!(
                    "specls: {} changed while {} was answering; nothing inserted (propose again)",
                    self.d.key, self.model
                ),
            ),
            Err(e) => (MessageType::WARNING, format!("specls: {e}")),
        };
        if let Some(p) = progress {
            p.finish_with_message(if kind == MessageType::INFO {
                "done"
            } else {
                "nothing proposed"
            })
            .await;
        }
        client.show_message(kind, message).await;
    }

    /// The model's proposals as an edit of the document as it still is; `Ok(None)` when it
    /// changed meanwhile.
    #[allow(clippy::type_complexity)]
    async fn ask(
        &self,
        tx: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> std::result::Result<Option<(WorkspaceEdit, Vec<String>, Vec<String>)>, String> {
        let (snap, key, target) = (self.snap.clone(), self.d.key.clone(), self.target.clone());
        let already =
            tokio::task::spawn_blocking(move || edge_cases::propose(&snap.ws, &key, target))
                .await
                .map_err(|e| format!("the deterministic proposals failed: {e}"))?;
        let mut report = |m: String| {
            let _ = tx.send(m);
        };
        let got = crate::edge_cases::ask_model(
            &self.root,
            &self.snap.ws,
            &self.config,
            &self.d.key,
            &self.target,
            &already,
            &self.cancel,
            &mut report,
        )
        .await?;
        drop(tx);
        let now = self.state.snapshot().await;
        let unchanged = now
            .as_ref()
            .and_then(|n| n.ws.get(&self.d.key))
            .zip(self.snap.ws.get(&self.d.key))
            .is_some_and(|(a, b)| a.text == b.text);
        if !unchanged {
            return Ok(None);
        }
        let names = got.proposals.iter().map(|p| p.name.clone()).collect();
        Ok(Some((
            edit_of(&self.snap, &self.d, &self.uri, got.proposals),
            names,
            got.dropped,
        )))
    }
}
