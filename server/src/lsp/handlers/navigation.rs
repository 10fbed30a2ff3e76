//! `textDocument/definition` and `textDocument/references`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::ide;

use specls_core::testlinks::link::{scenario_at, Location as TestLocation};

use super::convert::{location, offset, spec_or_test};
use crate::lsp::diagnostics::Lines;
use crate::lsp::server::{blocking, Backend};
use crate::lsp::state::Snapshot;

pub async fn definition(
    backend: &Backend,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let snap = backend.snapshot().await?;
    let links = backend.flags().definition_links;
    let p = params.text_document_position_params;
    let Some(d) = spec_or_test(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    blocking("textDocument/definition", move || {
        let mut targets = ide::goto_definition(&snap.ws, &d.key, at);
        // A scenario's name -> its tests; a marker in a test file -> its scenario.
        let tests = scenario_tests(&snap, &d.key, at);
        if tests.as_ref().is_some_and(|t| !t.is_empty()) {
            // On a scenario's own name, its tests are where to go (not the name itself).
            targets.retain(|t| !(t.path == d.key && t.focus_span.touches(at)));
        }
        let linked = tests.unwrap_or_else(|| {
            snap.test_view()
                .links
                .marker_definition(&snap.ws, &snap.tests.index, &d.key, at)
        });
        targets.extend(linked.into_iter().map(|l| ide::NavTarget {
            path: l.path,
            span: l.span,
            focus_span: l.selection,
        }));
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
    let Some(d) = spec_or_test(&snap, &p.text_document.uri) else {
        return Ok(None);
    };
    let at = offset(&snap, &d, p.position)?;
    let include = params.context.include_declaration;
    blocking("textDocument/references", move || {
        let mut lines = Lines::default();
        let mut out: Vec<Location> = ide::find_references(&snap.ws, &d.key, at, include)
            .into_iter()
            .filter_map(|l| location(&snap, &mut lines, &l.path, l.span))
            .collect();
        // Every test of a scenario.
        for l in scenario_tests(&snap, &d.key, at).unwrap_or_default() {
            if let Some(loc) = location(&snap, &mut lines, &l.path, l.selection) {
                if !out.contains(&loc) {
                    out.push(loc);
                }
            }
        }
        Some(out)
    })
    .await
}

/// The tests of the scenario whose name is at `at` (None when `at` is on no scenario name).
fn scenario_tests(snap: &Snapshot, key: &str, at: usize) -> Option<Vec<TestLocation>> {
    let r = scenario_at(&snap.ws, key, at)?;
    let sc = snap.file(key)?.doc.scenarios.get(r.index)?;
    if !sc.name_span.touches(at) {
        return None;
    }
    Some(snap.test_view().links.test_locations(&r, &snap.tests.index))
}
