//! The second floor of the benchmarks: a language server that does no work, built the way a
//! Rust language server usually is (and the way the floor of issue 11 evidently was: it peaked
//! at 20 MB on the 600-file workspace, where `lsp_floor` never passes 2 MB): on
//! `tower-lsp-server` (the same pinned version as specls) and tokio, keeping the text of every
//! open document, as any server that is to check them must. It publishes no diagnostics for
//! each document it is sent (`didOpen`, `didChange`) and answers every request with nothing.
//!
//! `lsp_floor` (a loop over standard input with serde_json and nothing else) stays the strict
//! floor; `benches/run` reports the open figure against both.
use std::collections::HashMap;
use std::sync::Mutex;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    CodeActionParams, CodeActionResponse, CodeLens, CodeLensParams, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, InitializeParams, InitializeResult,
    Position, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

struct Floor {
    client: Client,
    docs: Mutex<HashMap<Uri, String>>,
}

impl Floor {
    async fn publish(&self, uri: Uri, version: i32) {
        self.client
            .publish_diagnostics(uri, Vec::new(), Some(version))
            .await;
    }
}

impl LanguageServer for Floor {
    async fn initialize(&self, _: InitializeParams) -> Result<InitializeResult> {
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::INCREMENTAL,
                )),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        self.docs.lock().unwrap().insert(doc.uri.clone(), doc.text);
        self.publish(doc.uri, doc.version).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let doc = params.text_document;
        if let Some(text) = self.docs.lock().unwrap().get_mut(&doc.uri) {
            for change in params.content_changes {
                match change.range {
                    Some(range) => {
                        let start = offset(text, range.start);
                        let end = offset(text, range.end).max(start);
                        text.replace_range(start..end, &change.text);
                    }
                    None => *text = change.text,
                }
            }
        }
        self.publish(doc.uri, doc.version).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.docs.lock().unwrap().remove(&params.text_document.uri);
    }

    async fn code_lens(&self, _: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        Ok(None)
    }

    async fn code_action(&self, _: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        Ok(None)
    }
}

/// The byte offset of an LSP position (UTF-16 columns), clamped to the text.
fn offset(text: &str, pos: Position) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = &text[start..];
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= pos.character as usize || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

#[tokio::main]
async fn main() {
    let (service, socket) = LspService::new(|client| Floor {
        client,
        docs: Mutex::new(HashMap::new()),
    });
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .serve(service)
        .await;
}
