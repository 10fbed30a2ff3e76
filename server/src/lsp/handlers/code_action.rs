//! `textDocument/codeAction`: quick fixes from the fixes diagnostics carry in `data.fixes`.

use std::collections::HashMap;

use serde::Deserialize;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use crate::lsp::server::{guarded, lsp_range_overlaps, Backend};

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

/// The quick fixes of some diagnostics (pure).
#[allow(clippy::mutable_key_type)] // lsp_types::Uri is the key type WorkspaceEdit requires
pub fn quick_fixes(diagnostics: &[Diagnostic]) -> Vec<CodeActionOrCommand> {
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
            let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
            for e in fix.edits {
                changes
                    .entry(e.uri)
                    .or_default()
                    .push(TextEdit::new(e.range, e.new_text));
            }
            let key = format!("{}|{:?}", fix.title, d.range);
            if !seen.insert(key) {
                continue;
            }
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(changes),
                    document_changes: None,
                    change_annotations: None,
                }),
                command: None,
                is_preferred: Some(single),
                disabled: None,
                data: None,
            }));
        }
    }
    out
}

pub async fn handle(
    backend: &Backend,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    if let Some(only) = &params.context.only {
        if !only
            .iter()
            .any(|k| CodeActionKind::QUICKFIX.as_str().starts_with(k.as_str()))
        {
            return Ok(None);
        }
    }
    let ours = |d: &&Diagnostic| d.source.as_deref() == Some("specls");
    let mut diags: Vec<Diagnostic> = params
        .context
        .diagnostics
        .iter()
        .filter(ours)
        .cloned()
        .collect();
    if diags.iter().all(|d| d.data.is_none()) {
        // The client did not send our diagnostics back (or dropped their data): use the ones
        // the server last reported for this document.
        let snap = backend.snapshot().await?;
        let key = snap.key(&params.text_document.uri);
        diags = backend
            .cache
            .remembered(&key)
            .into_iter()
            .filter(|d| lsp_range_overlaps(&d.range, &params.range))
            .collect();
    }
    let actions = guarded("textDocument/codeAction", || quick_fixes(&diags))?;
    Ok((!actions.is_empty()).then_some(actions))
}
