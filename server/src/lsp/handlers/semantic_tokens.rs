//! `textDocument/semanticTokens/full`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::ide;

use super::convert::{doc, range};
use crate::lsp::server::{blocking, Backend};

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: ide::TOKEN_TYPES
            .iter()
            .map(|t| SemanticTokenType::new(t))
            .collect(),
        token_modifiers: ide::TOKEN_MODIFIERS
            .iter()
            .map(|m| SemanticTokenModifier::new(m))
            .collect(),
    }
}

pub async fn full(
    backend: &Backend,
    params: SemanticTokensParams,
) -> Result<Option<SemanticTokensResult>> {
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &params.text_document.uri) else {
        return Ok(None);
    };
    blocking("textDocument/semanticTokens/full", move || {
        let mut tokens = ide::semantic_tokens(&snap.ws, &d.key);
        tokens.sort_by_key(|t| (t.span.start, t.span.end));
        let mut data = Vec::with_capacity(tokens.len());
        let (mut line, mut col) = (0u32, 0u32);
        for t in tokens {
            let r = range(&snap, &d, t.span);
            // Tokens are single-line; a token the encoding cannot express is skipped.
            if r.start.line != r.end.line || r.end.character <= r.start.character {
                continue;
            }
            if r.start.line < line
                || (r.start.line == line && r.start.character < col && !data.is_empty())
            {
                continue; // overlapping token
            }
            let delta_line = r.start.line - line;
            let delta_start = if delta_line == 0 {
                r.start.character - col
            } else {
                r.start.character
            };
            data.push(SemanticToken {
                delta_line,
                delta_start,
                length: r.end.character - r.start.character,
                token_type: t.token_type as u32,
                token_modifiers_bitset: t.modifiers,
            });
            line = r.start.line;
            col = r.start.character;
        }
        Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: None,
            data,
        }))
    })
    .await
}
