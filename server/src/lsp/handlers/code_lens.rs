//! `textDocument/codeLens`: one handler, lenses from one small provider per feature (tests;
//! later compile/drift, edge cases, guardian). A provider is a pure function of the snapshot
//! and the document; add yours to [`PROVIDERS`].
//!
//! Every lens carries a server command (see `COMMANDS` in `server.rs`), so that clients
//! without lenses reach the same action through code actions (`code_action.rs`). Lenses that
//! only show a status carry the empty command (`""`), which clients show as plain text.

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use super::commands;
use super::convert::{doc, range, Doc};
use crate::lsp::server::{blocking, Backend};
use crate::lsp::state::Snapshot;
use crate::lsp::testing::{status_text, Tally};

/// A lens provider: the lenses of one feature for one document.
pub type Provider = fn(&Snapshot, &Doc, &Uri) -> Vec<CodeLens>;

/// Every provider, in the order their lenses are listed.
pub const PROVIDERS: &[(&str, Provider)] = &[
    ("tests", test_lenses),
    ("guardian", guardian_lenses),
    ("compile", crate::lsp::compile::compile_lenses),
];

pub async fn handle(backend: &Backend, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    let snap = backend.snapshot().await?;
    let uri = params.text_document.uri;
    let Some(d) = doc(&snap, &uri) else {
        return Ok(None);
    };
    blocking("textDocument/codeLens", move || {
        let mut out = Vec::new();
        for (_, provider) in PROVIDERS {
            out.extend(provider(&snap, &d, &uri));
        }
        Some(out)
    })
    .await
}

/// A lens at `range` running `command` with one argument object.
pub fn lens(range: Range, title: String, command: &str, arg: Option<Value>) -> CodeLens {
    CodeLens {
        range,
        command: Some(Command {
            title,
            command: command.to_string(),
            arguments: arg.map(|a| vec![a]),
        }),
        data: None,
    }
}

/// A lens that only shows text.
pub fn label(range: Range, title: String) -> CodeLens {
    lens(range, title, "", None)
}

/// Tests: "▶ Run all" with the tally above the spec, "▶ Run" and the last run's status above
/// each scenario.
pub fn test_lenses(snap: &Snapshot, d: &Doc, uri: &Uri) -> Vec<CodeLens> {
    let Some(file) = snap.file(&d.key) else {
        return Vec::new();
    };
    let doc = &file.doc;
    if doc.scenarios.is_empty() {
        return Vec::new();
    }
    let view = snap.test_view();
    let mut out = Vec::with_capacity(doc.scenarios.len() * 2 + 2);
    let mut tally = Tally::default();
    for (i, sc) in doc.scenarios.iter().enumerate() {
        let r = range(snap, d, sc.name_span);
        let r = Range::new(r.start, r.start);
        out.push(lens(
            r,
            "▶ Run".into(),
            commands::RUN_TESTS,
            Some(json!({"uri": uri.as_str(), "scenarios": [sc.id]})),
        ));
        if let Some(s) = view.status(&d.key, i) {
            tally.add(s);
            out.push(label(r, status_text(s)));
        }
    }
    let top = range(snap, d, doc.name_span);
    let top = Range::new(top.start, top.start);
    out.insert(
        0,
        lens(
            top,
            format!("▶ Run all · {}", tally.text()),
            commands::RUN_TESTS,
            Some(json!({"uri": uri.as_str()})),
        ),
    );
    out
}

/// Guardian plans of task blueprints: "▶ Run guardian plan" above the plan, and each step's
/// last result against its `expects` above the step.
pub fn guardian_lenses(snap: &Snapshot, d: &Doc, uri: &Uri) -> Vec<CodeLens> {
    let Some(bp) = snap.file(&d.key).and_then(|f| f.doc.blueprint.as_ref()) else {
        return Vec::new();
    };
    if bp.guardian.is_empty() {
        return Vec::new();
    }
    let results = crate::lsp::guardian::step_results(snap.guardian.get(&d.key), &bp.guardian);
    let at = |span: specls_core::Span| {
        let r = range(snap, d, span);
        Range::new(r.start, r.start)
    };
    let top = bp.guardian_span.unwrap_or(bp.guardian[0].span);
    let met = results.iter().any(Option::is_some).then(|| {
        results
            .iter()
            .flatten()
            .filter(|s| s.outcome.is_met())
            .count()
    });
    let title = match met {
        Some(m) => format!(
            "▶ Run guardian plan · {m} of {} steps met",
            bp.guardian.len()
        ),
        None => format!("▶ Run guardian plan ({} steps)", bp.guardian.len()),
    };
    let mut out = vec![lens(
        at(top),
        title,
        commands::RUN_GUARDIAN,
        Some(json!({"uri": uri.as_str()})),
    )];
    for (i, step) in bp.guardian.iter().enumerate() {
        let r = results[i];
        out.push(label(
            at(step.span),
            format!(
                "[{}] {}",
                step.stage,
                crate::lsp::guardian::step_text(&step.expects, r)
            ),
        ));
    }
    out
}
