//! `textDocument/definition` and `textDocument/references`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::ide;

use super::convert::{doc, location, offset};
use crate::lsp::diagnostics::Lines;
use crate::lsp::server::{blocking, Backend};

pub async fn definition(
    backend: &Backend,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let snap = backend.snapshot().await?;
    let links = backend.flags().definition_links;
    let p = params.text_document_position_params;
    let Some(d) = doc(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    blocking("textDocument/definition", move || {
        let targets = ide::goto_definition(&snap.ws, &d.key, at);
        if targets.is_empty() {
            return None;
        }
        let mut lines = Lines::default();
        if links {
            let origin = ide::prepare_rename(&snap.ws, &d.key, at).map(|(s, _)| s);
            let origin = origin.map(|s| lines.range(&snap, &d.key, s));
            let out = targets
                .into_iter()
                .filter_map(|t| {
                    Some(LocationLink {
                        origin_selection_range: origin,
                        target_uri: snap.uri(&t.path)?,
                        target_range: lines.range(&snap, &t.path, t.span),
                        target_selection_range: lines.range(&snap, &t.path, t.focus_span),
                    })
                })
                .collect();
            Some(GotoDefinitionResponse::Link(out))
        } else {
            let out = targets
                .into_iter()
                .filter_map(|t| location(&snap, &mut lines, &t.path, t.focus_span))
                .collect();
            Some(GotoDefinitionResponse::Array(out))
        }
    })
    .await
}

pub async fn references(
    backend: &Backend,
    params: ReferenceParams,
) -> Result<Option<Vec<Location>>> {
    let snap = backend.snapshot().await?;
    let p = params.text_document_position;
    let Some(d) = doc(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    let include = params.context.include_declaration;
    blocking("textDocument/references", move || {
        let mut lines = Lines::default();
        let out: Vec<Location> = ide::find_references(&snap.ws, &d.key, at, include)
            .into_iter()
            .filter_map(|l| location(&snap, &mut lines, &l.path, l.span))
            .collect();
        Some(out)
    })
    .await
}
