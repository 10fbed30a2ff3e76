//! Compile from the editor: `specls.compile {uri?, force?}` and `specls.cancelCompile`, and the
//! "Compile" lens above each spec an arrangement applies to (code actions offer the same
//! command, see `handlers/code_action.rs`). The compile runs in a spawned task (the command answers at once); progress goes
//! to `$/progress` (what has arrived: bytes and files), cancellable from the progress UI or
//! with `specls.cancelCompile`; hand-edited files are asked about with
//! `window/showMessageRequest` (Overwrite / Skip / Keep both), also from the spawned task.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};
use specls_core::compile::targets;
use specls_core::manifest;
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::Client;

use super::handlers::convert::{range, Doc};
use super::server::{invalid_params, Backend};
use super::state::Snapshot;
use crate::compile::run::{self, Choice, EditedFile, Event, Host, OnEdited, Request, Status};
use crate::compile::Cancel;

use super::handlers::commands::COMPILE;

const OVERWRITE: &str = "Overwrite";
const SKIP: &str = "Skip";
const KEEP_BOTH: &str = "Keep both";
/// How long the question about hand-edited files waits for an answer before skipping them.
const ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// The compile in progress (one at a time per server).
#[derive(Default)]
pub struct Compiles {
    current: Mutex<Option<Running>>,
}

struct Running {
    cancel: Cancel,
    token: Option<NumberOrString>,
}

impl Compiles {
    /// Cancel the running compile; false when none runs.
    pub fn cancel(&self) -> bool {
        let guard = self.current.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(r) => {
                r.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Cancel when `token` is the running compile's progress token.
    pub fn cancel_token(&self, token: &NumberOrString) -> bool {
        let guard = self.current.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(r) if r.token.as_ref() == Some(token) => {
                r.cancel.cancel();
                true
            }
            _ => false,
        }
    }
}

#[derive(Deserialize, Default)]
struct Args {
    uri: Option<Uri>,
    #[serde(default)]
    force: bool,
}

/// True when specls can compile this document (a spec an arrangement applies to).
pub fn compilable(snap: &Snapshot, key: &str) -> bool {
    snap.file(key).is_some_and(|f| {
        manifest::is_spec(&f.doc) && targets::arrangement_for(&snap.ws, key).is_some()
    })
}

/// The one "Compile" lens above a spec: "⚙ Compile" with the drift since the last compile
/// ("⚙ Compile · 2 scenarios changed, 1 added since compile", "· never compiled", "· up to
/// date") when specls can compile it (an arrangement applies). A spec with a manifest entry
/// (a SpecSoloist build, say) but no arrangement gets its drift as a plain label instead: a
/// Compile action there could only fail.
pub fn compile_lenses(snap: &Snapshot, d: &Doc, uri: &Uri) -> Vec<CodeLens> {
    let Some(file) = snap.file(&d.key) else {
        return Vec::new();
    };
    let can_compile = compilable(snap, &d.key);
    let drift = crate::lsp::drift::workspace_drift(snap);
    let summary = drift
        .as_ref()
        .and_then(|dr| dr.drift.get(&d.key).map(|sd| (sd.header, sd.summary())));
    let (span, title, command, arguments) = match (can_compile, summary) {
        (true, Some((header, summary))) => (
            header,
            format!("⚙ Compile · {summary}"),
            COMPILE.to_string(),
            Some(vec![json!({"uri": uri.as_str()})]),
        ),
        (true, None) => (
            file.doc.name_span,
            "⚙ Compile".to_string(),
            COMPILE.to_string(),
            Some(vec![json!({"uri": uri.as_str()})]),
        ),
        (false, Some((header, summary))) => (
            header,
            format!("{summary} (no arrangement: specls cannot compile it here)"),
            String::new(),
            None,
        ),
        (false, None) => return Vec::new(),
    };
    let r = range(snap, d, span);
    vec![CodeLens {
        range: Range::new(r.start, r.start),
        command: Some(Command {
            title,
            command,
            arguments,
        }),
        data: None,
    }]
}

/// `specls.cancelCompile`.
pub fn cancel(backend: &Backend) -> Result<Option<Value>> {
    Ok(Some(json!({"cancelled": backend.compiles.cancel()})))
}

/// `specls.compile`: start a compile in the background; answers `{started, specs}` at once.
pub async fn start(backend: &Backend, arguments: Vec<Value>) -> Result<Option<Value>> {
    let args: Args = match arguments.into_iter().next() {
        None | Some(Value::Null) => Args::default(),
        Some(v) => serde_json::from_value(v)
            .map_err(|e| invalid_params(format!("specls.compile takes {{uri?, force?}}: {e}")))?,
    };
    let snap = backend.snapshot().await?;
    let Some(root) = snap
        .roots
        .base
        .clone()
        .filter(|b| !b.as_os_str().is_empty())
    else {
        return Err(invalid_params("specls.compile needs a workspace folder"));
    };
    let specs = match &args.uri {
        Some(uri) => {
            let key = snap.key(uri);
            if !compilable(&snap, &key) {
                return Err(invalid_params(format!(
                    "{key} is not a spec an arrangement applies to; add an arrangement.yaml with output_paths in its folder or above"
                )));
            }
            vec![key]
        }
        None => Vec::new(),
    };
    let cancel = Cancel::new();
    let token = backend
        .flags()
        .work_done_progress
        .then(|| NumberOrString::String(format!("specls-compile-{}", rand_suffix())));
    {
        let mut current = backend
            .compiles
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if current.is_some() {
            return Err(invalid_params(
                "a compile is already running; cancel it with specls.cancelCompile first",
            ));
        }
        *current = Some(Running {
            cancel: cancel.clone(),
            token: token.clone(),
        });
    }
    let mut req = Request::new(root, snap.ws.clone(), snap.settings.config.clone());
    req.specs = specs.clone();
    req.force = args.force;
    req.on_edited = OnEdited::Ask;
    let client = backend.client.clone();
    let compiles = backend.compiles.clone();
    let after = After {
        state: backend.state.clone(),
        lens_refresh: backend.flags().code_lens_refresh,
    };
    tokio::spawn(run_in_background(
        client, compiles, req, cancel, token, after,
    ));
    Ok(Some(json!({"started": true, "specs": specs})))
}

fn rand_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

struct Clear(Arc<Compiles>);

impl Drop for Clear {
    fn drop(&mut self) {
        *self.0.current.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

struct EditorHost {
    client: Client,
    progress: mpsc::UnboundedSender<String>,
}

fn describe(e: &Event) -> Option<String> {
    Some(match e {
        Event::Planned { order, up_to_date } => {
            if order.is_empty() {
                format!("nothing to compile ({} up to date)", up_to_date.len())
            } else {
                format!("{} spec(s) to compile", order.len())
            }
        }
        Event::Started { spec, backend, .. } => format!("{spec}: asking {backend}"),
        Event::Running { spec, command } => format!("{spec}: running {command}"),
        Event::Received { spec, bytes, files } => {
            format!("{spec}: {bytes} bytes, {files} file(s) received")
        }
        Event::Retrying { spec, why, .. } => format!("{spec}: {why}; retrying"),
        Event::Wrote { spec, files } => format!("{spec}: wrote {} file(s)", files.len()),
        Event::Kept { note, .. } => note.clone(),
        Event::Recovered { note } => note.clone(),
        Event::Built { spec, key, ok, .. } => {
            format!("{spec}: `{key}` {}", if *ok { "passed" } else { "failed" })
        }
        Event::Finished { .. } => return None,
    })
}

impl Host for EditorHost {
    fn event(&self, e: &Event) {
        if let Some(msg) = describe(e) {
            let _ = self.progress.send(msg);
        }
    }

    fn ask(&self, spec: &str, files: &[EditedFile]) -> BoxFuture<'static, Choice> {
        let client = self.client.clone();
        let list: Vec<String> = files
            .iter()
            .map(|f| format!("{} ({})", f.path, f.why))
            .collect();
        let message = format!(
            "Compiling {spec} would replace files changed since specls wrote them: {}. Overwrite them, skip them, or keep both (the new version goes next to each as .specls-new)?",
            list.join(", ")
        );
        Box::pin(async move {
            let actions = [OVERWRITE, SKIP, KEEP_BOTH]
                .iter()
                .map(|t| MessageActionItem {
                    title: t.to_string(),
                    properties: Default::default(),
                })
                .collect();
            // A client that never answers (or closes the question) keeps the files: skip.
            let asked = client.show_message_request(MessageType::WARNING, message, Some(actions));
            match tokio::time::timeout(ASK_TIMEOUT, asked).await {
                Ok(Ok(Some(item))) if item.title == OVERWRITE => Choice::Overwrite,
                Ok(Ok(Some(item))) if item.title == KEEP_BOTH => Choice::KeepBoth,
                _ => Choice::Skip,
            }
        })
    }
}

/// What a finished compile updates: the drift the manifest and the written files change.
struct After {
    state: super::state::StateHandle,
    lens_refresh: bool,
}

async fn run_in_background(
    client: Client,
    compiles: Arc<Compiles>,
    req: Request,
    cancel: Cancel,
    token: Option<NumberOrString>,
    after: After,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let host = Arc::new(EditorHost {
        client: client.clone(),
        progress: tx,
    });
    let created = match &token {
        Some(t) => super::progress::create(&client, t, std::time::Duration::from_secs(5)).await,
        None => false,
    };
    let reporter = {
        let client = client.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let progress = match (created, token) {
                (true, Some(t)) => Some(
                    client
                        .progress(t, "specls: compiling")
                        .with_cancel_button()
                        .begin()
                        .await,
                ),
                _ => None,
            };
            while let Some(msg) = rx.recv().await {
                match &progress {
                    Some(p) => p.report_with_message(msg, None).await,
                    None => {
                        client
                            .log_message(MessageType::LOG, format!("specls compile: {msg}"))
                            .await
                    }
                }
            }
            progress
        })
    };
    let summary = {
        // Cleared when the compile ends, even by a panic.
        let _running = Clear(compiles);
        run::compile(req, host, cancel).await
    };
    // The manifest and the generated files changed: drift lenses and diagnostics follow at
    // once, whether or not the client watches those files.
    super::drift::changed_on_disk(&after.state, &client, after.lens_refresh);
    // The host (and its sender) is dropped with the compile: the reporter drains and stops.
    let progress = reporter.await.ok().flatten();
    let compiled = summary.count(Status::Compiled);
    let failed: Vec<String> = summary
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Cancelled))
        .map(|r| format!("{}: {}", r.spec, r.message))
        .collect();
    let builds_failed: Vec<String> = summary
        .results
        .iter()
        .flat_map(|r| {
            r.build
                .iter()
                .filter(|b| !b.ok)
                .map(move |b| format!("{}: `{}` failed: {}", r.spec, b.key, b.output))
        })
        .collect();
    let warnings: Vec<String> = summary
        .results
        .iter()
        .flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", r.spec)))
        .collect();
    let text = format!(
        "specls: {compiled} compiled, {} up to date, {} failed{}{}{}",
        summary.count(Status::UpToDate),
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" — {}", failed.join("; "))
        },
        if builds_failed.is_empty() {
            String::new()
        } else {
            format!(" — {}", builds_failed.join("; "))
        },
        if warnings.is_empty() {
            String::new()
        } else {
            format!(" — {}", warnings.join("; "))
        },
    );
    if let Some(p) = progress {
        p.finish_with_message(if summary.ok() { "done" } else { "failed" })
            .await;
    }
    let kind = if summary.ok() && !warnings.is_empty() {
        MessageType::WARNING
    } else if summary.ok() {
        MessageType::INFO
    } else {
        MessageType::ERROR
    };
    client.show_message(kind, text).await;
}
