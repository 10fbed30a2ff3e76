//! from_proto / to_proto helpers shared by the feature handlers.

use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{self as lsp, Position, Uri};

use specls_core::Span;

use crate::lsp::diagnostics::Lines;
use crate::lsp::position::LineIndex;
use crate::lsp::server::invalid_params;
use crate::lsp::state::Snapshot;

/// One document of a request, with what is needed to convert positions.
pub struct Doc {
    pub key: String,
    pub text: Arc<str>,
    pub lines: LineIndex,
}

/// The spec a request is about, or None when the document is not a spec the server knows.
pub fn doc(snap: &Snapshot, uri: &Uri) -> Option<Doc> {
    let key = snap.key(uri);
    let text = snap.file(&key)?.text.clone();
    let lines = LineIndex::new(&text);
    Some(Doc { key, text, lines })
}

/// A spec or an indexed test file.
pub fn spec_or_test(snap: &Snapshot, uri: &Uri) -> Option<Doc> {
    let key = snap.key(uri);
    let text = match snap.file(&key) {
        Some(f) => f.text.clone(),
        None => snap.tests.texts.get(&key)?.clone(),
    };
    let lines = LineIndex::new(&text);
    Some(Doc { key, text, lines })
}

/// from_proto: a position to a byte offset; a line past the end is an invalid-params error.
pub fn offset(snap: &Snapshot, doc: &Doc, pos: Position) -> Result<usize> {
    doc.lines
        .offset(&doc.text, pos, snap.encoding)
        .map_err(|e| invalid_params(format!("position {}:{}: {e}", pos.line, pos.character)))
}

/// to_proto: a span of this document.
pub fn range(snap: &Snapshot, doc: &Doc, span: Span) -> lsp::Range {
    doc.lines.range(&doc.text, span, snap.encoding)
}

/// to_proto: a span of any document.
pub fn location(
    snap: &Snapshot,
    lines: &mut Lines,
    key: &str,
    span: Span,
) -> Option<lsp::Location> {
    Some(lsp::Location::new(
        snap.uri(key)?,
        lines.range(snap, key, span),
    ))
}
