//! `textDocument/prepareRename` and `textDocument/rename`.

use std::collections::HashMap;

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types::*;

use specls_core::ide;

use specls_core::diag::TextEdit as CoreEdit;
use specls_core::model::scenario_id;
use specls_core::testlinks::link::scenario_at;
use specls_core::testlinks::rename_marker_edits;

use super::convert::{doc, offset, range};
use crate::lsp::diagnostics::Lines;
use crate::lsp::server::{blocking, Backend};
use crate::lsp::state::Snapshot;

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
        ide::rename(&snap.ws, &d.key, at, &new_name).map(|mut edits| {
            edits.extend(marker_edits(&snap, &d.key, at, &new_name));
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

/// The `@spec` markers in tests that name what is renamed: the id itself, or the id derived
/// from a scenario's name.
fn marker_edits(snap: &Snapshot, key: &str, at: usize, new_name: &str) -> Vec<CoreEdit> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(r) = scenario_at(&snap.ws, key, at) {
        if let Some(f) = snap.file(key) {
            if let Some(sc) = f.doc.scenarios.get(r.index) {
                if sc.name_span.touches(at) && !sc.explicit_id {
                    pairs.push((sc.id.clone(), scenario_id(&f.doc.name, new_name.trim())));
                }
            }
        }
    }
    if let Some((_, old)) = ide::prepare_rename(&snap.ws, key, at) {
        if !pairs.iter().any(|(o, _)| *o == old) {
            pairs.push((old, new_name.trim().to_string()));
        }
    }
    pairs
        .iter()
        .filter(|(o, n)| o != n)
        .flat_map(|(o, n)| rename_marker_edits(&snap.tests.index, o, n))
        .collect()
}
