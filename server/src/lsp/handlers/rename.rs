//! `textDocument/prepareRename` and `textDocument/rename`.

use std::collections::HashMap;

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types::*;

use specls_core::ide;

use super::convert::{doc, offset, range};
use crate::lsp::diagnostics::Lines;
use crate::lsp::server::{blocking, Backend};

pub async fn prepare(
    backend: &Backend,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &params.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, params.position)?;
    blocking("textDocument/prepareRename", move || {
        ide::prepare_rename(&snap.ws, &d.key, at).map(|(span, placeholder)| {
            PrepareRenameResponse::RangeWithPlaceholder {
                range: range(&snap, &d, span),
                placeholder,
            }
        })
    })
    .await
}

#[allow(clippy::mutable_key_type)] // lsp_types::Uri is the key type WorkspaceEdit requires
pub async fn rename(backend: &Backend, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let snap = backend.snapshot().await?;
    let p = params.text_document_position;
    let Some(d) = doc(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    let new_name = params.new_name;
    let result = blocking("textDocument/rename", move || {
        ide::rename(&snap.ws, &d.key, at, &new_name).map(|edits| {
            let mut lines = Lines::default();
            let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
            for e in edits {
                let path = if e.path.is_empty() {
                    d.key.as_str()
                } else {
                    e.path.as_str()
                };
                let Some(uri) = snap.uri(path) else { continue };
                let r = lines.range(&snap, path, e.span);
                changes
                    .entry(uri)
                    .or_default()
                    .push(TextEdit::new(r, e.new_text));
            }
            WorkspaceEdit {
                changes: Some(changes),
                document_changes: None,
                change_annotations: None,
            }
        })
    })
    .await?;
    match result {
        Ok(edit) => Ok(Some(edit)),
        // LSP's RequestFailed: the client shows the message.
        Err(e) => Err(Error {
            code: ErrorCode::ServerError(-32803),
            message: e.to_string().into(),
            data: None,
        }),
    }
}
