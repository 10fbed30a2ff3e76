//! `workspace/executeCommand`.

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::ExecuteCommandParams;

use crate::lsp::server::{invalid_params, Backend};

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

pub async fn handle(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<Value>> {
    match params.command.as_str() {
        REINDEX => {
            backend.spawn_index(false);
            Ok(None)
        }
        VERSION => Ok(Some(version())),
        PROPOSE_EDGE_CASES => super::edge_cases::execute(backend, params.arguments).await,
        other => Err(invalid_params(format!(
            "unknown command `{other}`; known: {}",
            crate::lsp::server::COMMANDS.join(", ")
        ))),
    }
}
