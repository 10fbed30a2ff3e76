//! `textDocument/documentSymbol` and `workspace/symbol`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{self as lsp, *};

use specls_core::ide;

use super::convert::{doc, location, range, Doc};
use crate::lsp::diagnostics::Lines;
use crate::lsp::server::{blocking, Backend};
use crate::lsp::state::Snapshot;

/// Most workspace symbols answered at once.
const WORKSPACE_SYMBOL_LIMIT: usize = 512;

pub fn kind(k: ide::SymbolKind) -> lsp::SymbolKind {
    match k {
        ide::SymbolKind::Spec => lsp::SymbolKind::FILE,
        ide::SymbolKind::Section => lsp::SymbolKind::NAMESPACE,
        ide::SymbolKind::Requirement => lsp::SymbolKind::KEY,
        ide::SymbolKind::Function => lsp::SymbolKind::FUNCTION,
        ide::SymbolKind::Scenario => lsp::SymbolKind::EVENT,
        ide::SymbolKind::Constraint => lsp::SymbolKind::CONSTANT,
        ide::SymbolKind::Category => lsp::SymbolKind::PACKAGE,
        ide::SymbolKind::Domain | ide::SymbolKind::Flow => lsp::SymbolKind::MODULE,
        ide::SymbolKind::Key => lsp::SymbolKind::PROPERTY,
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be given
fn to_proto(snap: &Snapshot, d: &Doc, s: &ide::Symbol) -> DocumentSymbol {
    DocumentSymbol {
        name: if s.name.trim().is_empty() {
            "(unnamed)".into()
        } else {
            s.name.clone()
        },
        detail: s.detail.clone(),
        kind: kind(s.kind),
        tags: None,
        deprecated: None,
        range: range(snap, d, s.span),
        selection_range: range(snap, d, s.selection_span),
        children: (!s.children.is_empty())
            .then(|| s.children.iter().map(|c| to_proto(snap, d, c)).collect()),
    }
}

pub async fn document(
    backend: &Backend,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &params.text_document.uri) else {
        return Ok(None);
    };
    blocking("textDocument/documentSymbol", move || {
        let tree = super::convert::yaml_tree(&snap, &d);
        let symbols = ide::document_symbols_with(&snap.ws, &d.key, tree.as_deref());
        let out: Vec<DocumentSymbol> = symbols.iter().map(|s| to_proto(&snap, &d, s)).collect();
        Some(DocumentSymbolResponse::Nested(out))
    })
    .await
}

pub async fn workspace(
    backend: &Backend,
    params: WorkspaceSymbolParams,
) -> Result<Option<OneOf<Vec<SymbolInformation>, Vec<lsp::WorkspaceSymbol>>>> {
    let snap = backend.snapshot().await?;
    blocking("workspace/symbol", move || {
        let found = ide::workspace_symbols(&snap.ws, &params.query, WORKSPACE_SYMBOL_LIMIT);
        let mut lines = Lines::default();
        let out: Vec<lsp::WorkspaceSymbol> = found
            .into_iter()
            .filter_map(|s| {
                Some(lsp::WorkspaceSymbol {
                    name: s.name,
                    kind: kind(s.kind),
                    tags: None,
                    container_name: s.container,
                    location: OneOf::Left(location(&snap, &mut lines, &s.path, s.selection_span)?),
                    data: None,
                })
            })
            .collect();
        Some(OneOf::Right(out))
    })
    .await
}
