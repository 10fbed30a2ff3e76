//! `textDocument/hover`: the core's hover, plus, on a scenario's name, its tests and what the
//! last run said about them.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::ide;
use specls_core::testlinks::link::scenario_at;

use super::convert::{doc, offset, range};
use crate::lsp::server::{blocking, Backend};
use crate::lsp::testing::scenario_tests_markdown;

pub async fn handle(backend: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let snap = backend.snapshot().await?;
    let p = params.text_document_position_params;
    let Some(d) = doc(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    blocking("textDocument/hover", move || {
        let core = ide::hover(&snap.ws, &d.key, at);
        // On a scenario's name: its tests.
        let tests = scenario_at(&snap.ws, &d.key, at).and_then(|r| {
            let sc = snap.file(&d.key)?.doc.scenarios.get(r.index)?;
            if !sc.name_span.touches(at) {
                return None;
            }
            let view = snap.test_view();
            let text = scenario_tests_markdown(&view, &snap.tests, &snap.run, &r, &sc.id);
            Some((sc.name_span, text))
        });
        let (span, markdown) = match (core, tests) {
            (Some(h), Some((_, t))) => (h.span, format!("{}\n\n---\n\n{t}", h.markdown)),
            (Some(h), None) => (h.span, h.markdown),
            (None, Some((s, t))) => (s, t),
            (None, None) => return None,
        };
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(range(&snap, &d, span)),
        })
    })
    .await
}
