//! `textDocument/codeAction`: quick fixes from the fixes diagnostics carry in `data.fixes`.

use std::collections::HashMap;

use serde::Deserialize;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use serde_json::json;
use specls_core::testlinks::link::scenario_at;

use super::commands;
use super::convert::doc;
use crate::lsp::paths::uri_to_path;
use crate::lsp::server::{guarded, lsp_range_overlaps, Backend};
use crate::lsp::state::Snapshot;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixEdit {
    uri: Uri,
    range: Range,
    new_text: String,
}

#[derive(Deserialize)]
struct FixData {
    title: String,
    edits: Vec<FixEdit>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    fixes: Vec<FixData>,
}

/// The quick fixes of some diagnostics (pure). `exists` tells whether a file is on disk (or
/// open): an edit on a file that is not is made by creating it first (`documentChanges`).
#[allow(clippy::mutable_key_type)] // lsp_types::Uri is the key type WorkspaceEdit requires
pub fn quick_fixes(
    diagnostics: &[Diagnostic],
    exists: &dyn Fn(&Uri) -> bool,
) -> Vec<CodeActionOrCommand> {
    let mut out: Vec<CodeActionOrCommand> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in diagnostics {
        let Some(data) = d
            .data
            .as_ref()
            .and_then(|v| serde_json::from_value::<Data>(v.clone()).ok())
        else {
            continue;
        };
        let single = data.fixes.len() == 1;
        for fix in data.fixes {
            let key = format!("{}|{:?}", fix.title, d.range);
            if !seen.insert(key) {
                continue;
            }
            let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
            let mut order: Vec<Uri> = Vec::new();
            for e in fix.edits {
                if !changes.contains_key(&e.uri) {
                    order.push(e.uri.clone());
                }
                changes
                    .entry(e.uri)
                    .or_default()
                    .push(TextEdit::new(e.range, e.new_text));
            }
            let create: Vec<&Uri> = order.iter().filter(|u| !exists(u)).collect();
            let edit = if create.is_empty() {
                WorkspaceEdit {
                    changes: Some(changes),
                    document_changes: None,
                    change_annotations: None,
                }
            } else {
                let mut ops = Vec::new();
                for u in &order {
                    if create.contains(&u) {
                        ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
                            CreateFile {
                                uri: u.clone(),
                                options: Some(CreateFileOptions {
                                    overwrite: Some(false),
                                    ignore_if_exists: Some(true),
                                }),
                                annotation_id: None,
                            },
                        )));
                    }
                    ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier {
                            uri: u.clone(),
                            version: None,
                        },
                        edits: changes
                            .remove(u)
                            .unwrap_or_default()
                            .into_iter()
                            .map(OneOf::Left)
                            .collect(),
                    }));
                }
                WorkspaceEdit {
                    changes: None,
                    document_changes: Some(DocumentChanges::Operations(ops)),
                    change_annotations: None,
                }
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit),
                command: None,
                is_preferred: Some(single),
                disabled: None,
                data: None,
            }));
        }
    }
    out
}

/// Source actions for clients that ignore lenses: run the tests of the scenario at the
/// cursor, or of the whole spec (the same commands the lenses carry).
pub fn run_actions(snap: &Snapshot, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
    let Some(d) = doc(snap, uri) else {
        return Vec::new();
    };
    let Some(file) = snap.file(&d.key) else {
        return Vec::new();
    };
    if file.doc.scenarios.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let at = d.lines.offset(&d.text, range.start, snap.encoding).ok();
    if let Some(r) = at.and_then(|at| scenario_at(&snap.ws, &d.key, at)) {
        if let Some(sc) = file.doc.scenarios.get(r.index) {
            out.push(command_action(
                format!("Run scenario tests: {}", sc.name),
                json!({"uri": uri.as_str(), "scenarios": [sc.id]}),
            ));
        }
    }
    out.push(command_action(
        format!("Run all tests in spec {}", file.doc.name),
        json!({"uri": uri.as_str()}),
    ));
    out
}

fn command_action(title: String, arg: serde_json::Value) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title: title.clone(),
        kind: Some(CodeActionKind::SOURCE),
        command: Some(Command {
            title,
            command: commands::RUN_TESTS.to_string(),
            arguments: Some(vec![arg]),
        }),
        ..Default::default()
    })
}

fn wants(only: &Option<Vec<CodeActionKind>>, kind: &CodeActionKind) -> bool {
    match only {
        None => true,
        Some(list) => list.iter().any(|k| {
            kind.as_str() == k.as_str() || kind.as_str().starts_with(&format!("{}.", k.as_str()))
        }),
    }
}

pub async fn handle(
    backend: &Backend,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let only = &params.context.only;
    let mut actions = Vec::new();
    if wants(only, &CodeActionKind::QUICKFIX) {
        let ours = |d: &&Diagnostic| d.source.as_deref() == Some("specls");
        let mut diags: Vec<Diagnostic> = params
            .context
            .diagnostics
            .iter()
            .filter(ours)
            .cloned()
            .collect();
        if diags.iter().all(|d| d.data.is_none()) {
            // The client did not send our diagnostics back (or dropped their data): use the
            // ones the server last reported for this document.
            let snap = backend.snapshot().await?;
            let key = snap.key(&params.text_document.uri);
            diags = backend
                .cache
                .remembered(&key)
                .into_iter()
                .filter(|d| lsp_range_overlaps(&d.range, &params.range))
                .collect();
        }
        let snap = backend.snapshot().await?;
        let exists = move |u: &Uri| {
            snap.open.contains_key(&snap.key(u)) || uri_to_path(u).is_none_or(|p| p.exists())
        };
        actions.extend(guarded("textDocument/codeAction", || {
            quick_fixes(&diags, &exists)
        })?);
    }
    if wants(only, &CodeActionKind::SOURCE) {
        let snap = backend.snapshot().await?;
        let uri = params.text_document.uri.clone();
        let range = params.range;
        actions.extend(guarded("textDocument/codeAction", || {
            run_actions(&snap, &uri, range)
        })?);
    }
    Ok((!actions.is_empty()).then_some(actions))
}
