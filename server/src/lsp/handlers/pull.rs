//! Pull diagnostics: `textDocument/diagnostic` and `workspace/diagnostic`.

use std::collections::HashMap;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use crate::lsp::diagnostics::{file_to_lsp, file_to_lsp_with, result_id, Lines};
use crate::lsp::server::{internal, Backend};

pub async fn document(
    backend: &Backend,
    params: DocumentDiagnosticParams,
) -> Result<DocumentDiagnosticReportResult> {
    let snap = backend.snapshot().await?;
    let key = snap.key(&params.text_document.uri);
    let results = backend
        .cache
        .results(&snap)
        .await
        .ok_or_else(|| internal("specls: checks failed; see the server log"))?;
    let items = results
        .get(&key)
        .map(|d| file_to_lsp(&snap, &key, d))
        .unwrap_or_default();
    let id = result_id(&items);
    backend.cache.remember(&key, &items);
    let report = if params.previous_result_id.as_deref() == Some(id.as_str()) {
        DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
            related_documents: None,
            unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                result_id: id,
            },
        })
    } else {
        DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: Some(id),
                items,
            },
        })
    };
    Ok(DocumentDiagnosticReportResult::Report(report))
}

pub async fn workspace(
    backend: &Backend,
    params: WorkspaceDiagnosticParams,
) -> Result<WorkspaceDiagnosticReportResult> {
    let snap = backend.snapshot().await?;
    let results = backend
        .cache
        .results(&snap)
        .await
        .ok_or_else(|| internal("specls: checks failed; see the server log"))?;
    let previous: HashMap<String, String> = params
        .previous_result_ids
        .into_iter()
        .map(|p| (p.uri.as_str().to_string(), p.value))
        .collect();
    let mut items = Vec::new();
    // One set of line indexes for every file, as a push of every file's diagnostics has.
    let mut lines = Lines::default();
    for (key, diags) in results.iter() {
        let Some(uri) = snap.uri(key) else { continue };
        let lsp_diags = file_to_lsp_with(&snap, &mut lines, key, diags);
        let id = result_id(&lsp_diags);
        let version = snap.version(key).map(i64::from);
        if previous.get(uri.as_str()) == Some(&id) {
            items.push(WorkspaceDocumentDiagnosticReport::Unchanged(
                WorkspaceUnchangedDocumentDiagnosticReport {
                    uri,
                    version,
                    unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                        result_id: id,
                    },
                },
            ));
        } else {
            backend.cache.remember(key, &lsp_diags);
            items.push(WorkspaceDocumentDiagnosticReport::Full(
                WorkspaceFullDocumentDiagnosticReport {
                    uri,
                    version,
                    full_document_diagnostic_report: FullDocumentDiagnosticReport {
                        result_id: Some(id),
                        items: lsp_diags,
                    },
                },
            ));
        }
    }
    Ok(WorkspaceDiagnosticReportResult::Report(
        WorkspaceDiagnosticReport { items },
    ))
}
