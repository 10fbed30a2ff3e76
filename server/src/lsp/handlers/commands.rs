//! `workspace/executeCommand`.

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::ExecuteCommandParams;

use crate::lsp::server::{invalid_params, Backend};

/// Re-read every spec of the workspace from disk (open buffers are kept).
pub const REINDEX: &str = "specls.reindex";

pub async fn handle(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<Value>> {
    match params.command.as_str() {
        REINDEX => {
            backend.spawn_index(false);
            Ok(None)
        }
        crate::lsp::compile::COMPILE => crate::lsp::compile::start(backend, params.arguments).await,
        crate::lsp::compile::CANCEL_COMPILE => crate::lsp::compile::cancel(backend),
        other => Err(invalid_params(format!(
            "unknown command `{other}`; known: {}",
            crate::lsp::server::COMMANDS.join(", ")
        ))),
    }
}
