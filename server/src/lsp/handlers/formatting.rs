//! `textDocument/formatting`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::ide;

use super::convert::{doc, range};
use crate::lsp::server::{blocking, Backend};

pub async fn handle(
    backend: &Backend,
    params: DocumentFormattingParams,
) -> Result<Option<Vec<TextEdit>>> {
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &params.text_document.uri) else {
        return Ok(None);
    };
    blocking("textDocument/formatting", move || {
        let edits: Vec<TextEdit> = ide::format(&snap.ws, &d.key)
            .into_iter()
            .map(|e| TextEdit::new(range(&snap, &d, e.span), e.new_text))
            .collect();
        Some(edits)
    })
    .await
}
