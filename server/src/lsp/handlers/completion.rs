//! `textDocument/completion`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{self as lsp, *};

use specls_core::ide;

use super::convert::{doc, offset, range};
use crate::lsp::server::{blocking, Backend};

fn kind(k: ide::CompletionKind) -> CompletionItemKind {
    match k {
        ide::CompletionKind::Section => CompletionItemKind::MODULE,
        ide::CompletionKind::Keyword => CompletionItemKind::KEYWORD,
        ide::CompletionKind::Property => CompletionItemKind::PROPERTY,
        ide::CompletionKind::Value => CompletionItemKind::VALUE,
        ide::CompletionKind::Step => CompletionItemKind::TEXT,
        ide::CompletionKind::Reference => CompletionItemKind::REFERENCE,
        ide::CompletionKind::Metric => CompletionItemKind::FIELD,
        ide::CompletionKind::Unit => CompletionItemKind::UNIT,
    }
}

pub async fn handle(
    backend: &Backend,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>> {
    let snap = backend.snapshot().await?;
    let p = params.text_document_position;
    let Some(d) = doc(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    blocking("textDocument/completion", move || {
        let items: Vec<lsp::CompletionItem> = ide::completions(&snap.ws, &d.key, at)
            .into_iter()
            .enumerate()
            .map(|(i, c)| lsp::CompletionItem {
                label: c.label,
                kind: Some(kind(c.kind)),
                detail: c.detail,
                // Keep the core's order (best first).
                sort_text: Some(format!("{i:05}")),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                    range(&snap, &d, c.replace),
                    c.insert_text,
                ))),
                ..Default::default()
            })
            .collect();
        (!items.is_empty()).then_some(CompletionResponse::Array(items))
    })
    .await
}
