//! `workspace/executeCommand`.

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::ExecuteCommandParams;

use crate::lsp::run::{self, RunArgs};
use crate::lsp::server::{invalid_params, Backend};

/// LSP's RequestFailed: the client shows the message.
fn request_failed(message: String) -> tower_lsp_server::jsonrpc::Error {
    tower_lsp_server::jsonrpc::Error {
        code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(-32803),
        message: message.into(),
        data: None,
    }
}

/// Re-read every spec of the workspace from disk (open buffers are kept).
pub const REINDEX: &str = "specls.reindex";
/// The server's name and version: `{"name": "specls", "version": "0.1.0"}`.
pub const VERSION: &str = "specls.version";
/// Run tests: `{uri?, scenarios?: [id], all?: bool}`.
pub const RUN_TESTS: &str = "specls.runTests";
/// Compile specs: `{uri?, force?: bool}`.
pub const COMPILE: &str = "specls.compile";
/// Propose edge-case scenarios: `{uri, scenario?: id, requirement?: id}`.
pub const PROPOSE_EDGE_CASES: &str = "specls.proposeEdgeCases";
/// Spec/code drift: `{uri?}`.
pub const SHOW_DRIFT: &str = "specls.showDrift";
/// Counts of specs, scenarios, failing, untested, drifted, passing.
pub const WORKSPACE_HEALTH: &str = "specls.workspaceHealth";

/// The answer of [`VERSION`].
pub fn version() -> Value {
    json!({"name": "specls", "version": env!("CARGO_PKG_VERSION")})
}
/// Cancel the test run in progress.
pub const CANCEL_RUN: &str = "specls.cancelRun";
/// Cancel the compile in progress.
pub const CANCEL_COMPILE: &str = "specls.cancelCompile";
/// Run a task blueprint's guardian verification plan: `{uri}`.
pub const RUN_GUARDIAN: &str = "specls.runGuardian";

pub async fn handle(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<Value>> {
    match params.command.as_str() {
        REINDEX => {
            backend.spawn_index(false);
            Ok(None)
        }
        VERSION => Ok(Some(version())),
        PROPOSE_EDGE_CASES => super::edge_cases::execute(backend, params.arguments).await,
        RUN_TESTS => {
            let args: RunArgs = match params.arguments.into_iter().next() {
                None | Some(Value::Null) => RunArgs::default(),
                Some(v) => serde_json::from_value(v).map_err(|e| {
                    invalid_params(format!(
                        "{RUN_TESTS} takes {{uri?, scenarios?: [id], all?: bool}}: {e}"
                    ))
                })?,
            };
            let snap = backend.snapshot().await?;
            match run::start(backend.run_start(), snap, args).await {
                Ok(v) => Ok(Some(v)),
                Err(e) => Err(request_failed(e)),
            }
        }
        RUN_GUARDIAN => {
            let args: crate::lsp::guardian::GuardianArgs = params
                .arguments
                .into_iter()
                .next()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| invalid_params(format!("{RUN_GUARDIAN} takes {{uri}}: {e}")))?
                .ok_or_else(|| invalid_params(format!("{RUN_GUARDIAN} takes {{uri}}")))?;
            let snap = backend.snapshot().await?;
            match crate::lsp::guardian::start(backend.run_start(), snap, args).await {
                Ok(v) => Ok(Some(v)),
                Err(e) => Err(request_failed(e)),
            }
        }
        CANCEL_RUN => {
            let n = backend.runs.cancel_all();
            Ok(Some(json!({ "cancelled": n })))
        }
        WORKSPACE_HEALTH => super::scenarios::workspace_health(backend).await,
        SHOW_DRIFT => show_drift(backend, params.arguments).await,
        COMPILE => crate::lsp::compile::start(backend, params.arguments).await,
        CANCEL_COMPILE => crate::lsp::compile::cancel(backend),
        other => Err(invalid_params(format!(
            "unknown command `{other}`; known: {}",
            crate::lsp::server::COMMANDS.join(", ")
        ))),
    }
}

/// [`SHOW_DRIFT`]: `{"specs": [SpecDrift...], "problems": ["path: message"...]}` for the whole
/// workspace, or `{"spec": SpecDrift | null, "problems": [...]}` for `{uri}`.
async fn show_drift(backend: &Backend, args: Vec<Value>) -> Result<Option<Value>> {
    let uri = match args.first() {
        None | Some(Value::Null) => None,
        Some(v) => match v.get("uri") {
            None | Some(Value::Null) => None,
            Some(Value::String(u)) => Some(
                u.parse::<tower_lsp_server::lsp_types::Uri>()
                    .map_err(|e| invalid_params(format!("`uri` is not a URI: {e}")))?,
            ),
            Some(_) => return Err(invalid_params("`uri` must be a string")),
        },
    };
    let snap = backend.snapshot().await?;
    // Always from disk: an explicit request sees a generated file edited a moment ago even
    // when no watcher told the server; if the disk moved on, lenses and diagnostics follow.
    let (snap, fresh, moved) = crate::lsp::server::blocking(SHOW_DRIFT, move || {
        let fresh = crate::lsp::drift::read(&snap).unwrap_or_default();
        let moved = crate::lsp::drift::workspace_drift(&snap).is_some_and(|c| *c != fresh);
        (snap, fresh, moved)
    })
    .await?;
    if moved {
        crate::lsp::drift::changed_on_disk(
            &backend.state,
            &backend.client,
            backend.flags().code_lens_refresh,
        );
    }
    let problems: Vec<String> = fresh.problems.iter().map(|p| p.to_string()).collect();
    Ok(Some(match uri {
        Some(u) => json!({"spec": fresh.drift.get(&snap.key(&u)), "problems": problems}),
        None => json!({"specs": fresh.drift.specs, "problems": problems}),
    }))
}
