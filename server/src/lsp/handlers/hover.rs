//! `textDocument/hover`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::ide;

use super::convert::{doc, offset, range};
use crate::lsp::server::{blocking, Backend};

pub async fn handle(backend: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let snap = backend.snapshot().await?;
    let p = params.text_document_position_params;
    let Some(d) = doc(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    blocking("textDocument/hover", move || {
        ide::hover(&snap.ws, &d.key, at).map(|h| Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: h.markdown,
            }),
            range: Some(range(&snap, &d, h.span)),
        })
    })
    .await
}
