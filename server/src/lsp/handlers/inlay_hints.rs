//! `textDocument/inlayHint`: the measured value beside each constraint that has one
//! ("p95 = 83 ms, limit 100 ms"), from the measurement files of the workspace.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::measurements::ConstraintRef;

use super::convert::{doc, range};
use crate::lsp::server::{blocking, lsp_range_overlaps, Backend};

pub async fn handle(backend: &Backend, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &params.text_document.uri) else {
        return Ok(None);
    };
    let wanted = params.range;
    blocking("textDocument/inlayHint", move || {
        let file = snap.file(&d.key)?;
        if file.doc.constraints.is_empty() || snap.run.measurements.is_empty() {
            return Some(Vec::new());
        }
        let view = snap.test_view();
        let mut out = Vec::new();
        for (index, c) in file.doc.constraints.iter().enumerate() {
            let r = ConstraintRef {
                path: d.key.clone(),
                index,
            };
            let Some(m) = view.measured.get(&r) else {
                continue;
            };
            let at = range(&snap, &d, c.text_span);
            if !lsp_range_overlaps(&at, &wanted) {
                continue;
            }
            let label = if m.broken {
                format!("✗ {}", m.label())
            } else {
                m.label()
            };
            out.push(InlayHint {
                position: at.end,
                label: InlayHintLabel::String(label),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(format!(
                    "{} ({}) in {}",
                    m.measurement.name,
                    m.measurement.stat.label(),
                    m.measurement.source
                ))),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
        Some(out)
    })
    .await
}
