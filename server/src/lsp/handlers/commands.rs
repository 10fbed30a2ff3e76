//! `workspace/executeCommand`.

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::ExecuteCommandParams;

use crate::lsp::server::{invalid_params, Backend};

/// Re-read every spec of the workspace from disk (open buffers are kept).
pub const REINDEX: &str = "specls.reindex";
/// Counts of specs, scenarios, passing, failing, untested and drifted scenarios.
pub const WORKSPACE_HEALTH: &str = "specls.workspaceHealth";
/// Run tests: `{uri?, scenarios?: [id], all?: bool}`.
pub const RUN_TESTS: &str = "specls.runTests";
/// Cancel the test run in progress.
pub const CANCEL_RUN: &str = "specls.cancelRun";

pub async fn handle(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<Value>> {
    match params.command.as_str() {
        REINDEX => {
            backend.spawn_index(false);
            Ok(None)
        }
        WORKSPACE_HEALTH => super::scenarios::workspace_health(backend).await,
        other => Err(invalid_params(format!(
            "unknown command `{other}`; known: {}",
            crate::lsp::server::COMMANDS.join(", ")
        ))),
    }
}
