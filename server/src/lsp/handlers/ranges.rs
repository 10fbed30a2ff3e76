//! `textDocument/foldingRange` and `textDocument/selectionRange`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{self as lsp, *};

use specls_core::ide;

use super::convert::{doc, offset, range};
use crate::lsp::server::{blocking, Backend};

pub async fn folding(
    backend: &Backend,
    params: FoldingRangeParams,
) -> Result<Option<Vec<lsp::FoldingRange>>> {
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &params.text_document.uri) else {
        return Ok(None);
    };
    blocking("textDocument/foldingRange", move || {
        let mut out: Vec<lsp::FoldingRange> = Vec::new();
        let tree = super::convert::yaml_tree(&snap, &d);
        for f in ide::folding_ranges_with(&snap.ws, &d.key, tree.as_deref()) {
            let r = range(&snap, &d, f.span);
            let mut end = r.end.line;
            // A fold ending at the start of a line ends on the line before.
            if r.end.character == 0 && end > r.start.line {
                end -= 1;
            }
            if end <= r.start.line {
                continue;
            }
            out.push(lsp::FoldingRange {
                start_line: r.start.line,
                start_character: None,
                end_line: end,
                end_character: None,
                kind: Some(match f.kind {
                    ide::FoldingKind::Region => FoldingRangeKind::Region,
                    ide::FoldingKind::Comment => FoldingRangeKind::Comment,
                }),
                collapsed_text: None,
            });
        }
        Some(out)
    })
    .await
}

pub async fn selection(
    backend: &Backend,
    params: SelectionRangeParams,
) -> Result<Option<Vec<SelectionRange>>> {
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &params.text_document.uri) else {
        return Ok(None);
    };
    let offsets = params
        .positions
        .iter()
        .map(|p| offset(&snap, &d, *p))
        .collect::<Result<Vec<usize>>>()?;
    blocking("textDocument/selectionRange", move || {
        let tree = super::convert::yaml_tree(&snap, &d);
        let out = offsets
            .iter()
            .map(|&at| {
                let spans = ide::selection_ranges_with(&snap.ws, &d.key, at, tree.as_deref());
                // Innermost first: build the chain from the outside in.
                let mut chain: Option<SelectionRange> = None;
                for s in spans.iter().rev() {
                    chain = Some(SelectionRange {
                        range: range(&snap, &d, *s),
                        parent: chain.map(Box::new),
                    });
                }
                chain.unwrap_or_else(|| {
                    let r = range(&snap, &d, specls_core::Span::empty(at));
                    SelectionRange {
                        range: r,
                        parent: None,
                    }
                })
            })
            .collect();
        Some(out)
    })
    .await
}
