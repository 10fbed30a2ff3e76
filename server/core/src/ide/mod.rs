//! Editor features as pure functions of a [`Workspace`] snapshot and byte offsets.
//!
//! Everything here returns plain core types with byte [`Span`]s into the document's text; the
//! LSP layer converts spans to protocol positions (UTF-8/UTF-16) and core types to LSP types.
//! No function here panics, whatever the offset: offsets past the end are clamped to the end
//! and offsets inside a multi-byte character are moved back to the character's start.
//! A path that is not in the workspace gives an empty answer.
//!
//! The API, one function per request:
//!
//! | Request | Function | Result |
//! |---|---|---|
//! | document symbols | [`document_symbols`]`(ws, path)` | `Vec<`[`Symbol`]`>` (a tree) |
//! | workspace symbols | [`workspace_symbols`]`(ws, query, limit)` | `Vec<`[`WorkspaceSymbol`]`>`, best first |
//! | hover | [`hover`]`(ws, path, offset)` | `Option<`[`Hover`]`>` (Markdown) |
//! | definition | [`goto_definition`]`(ws, path, offset)` | `Vec<`[`NavTarget`]`>` |
//! | references | [`find_references`]`(ws, path, offset, include_declaration)` | `Vec<`[`Location`]`>` |
//! | completion | [`completions`]`(ws, path, offset)` | `Vec<`[`CompletionItem`]`>` |
//! | semantic tokens | [`semantic_tokens`]`(ws, path)`, legend [`TOKEN_TYPES`]/[`TOKEN_MODIFIERS`] | `Vec<`[`SemanticToken`]`>` |
//! | folding ranges | [`folding_ranges`]`(ws, path)` | `Vec<`[`FoldingRange`]`>` |
//! | selection ranges | [`selection_ranges`]`(ws, path, offset)` | `Vec<Span>`, innermost first |
//! | prepare rename | [`prepare_rename`]`(ws, path, offset)` | `Option<(Span, String)>` |
//! | rename | [`rename`]`(ws, path, offset, new_name)` | `Result<Vec<TextEdit>, RenameError>` |
//! | formatting | [`format`]`(ws, path)` | `Vec<TextEdit>` (empty: nothing to do or not safe) |
//! | command code actions | [`command_context`]`(ws, path, offset)` | `Option<`[`CommandContext`]`>` |
//!
//! [`TextEdit`]s returned by rename carry the path of the document they apply to; formatting
//! edits carry the formatted document's path. Edits of one document never overlap and are
//! sorted by position.

mod completion;
mod context;
mod fmt;
mod hover;
mod nav;
mod ranges;
mod rename;
mod symbols;
mod target;
mod text;
mod tokens;

pub use completion::{completions, CompletionItem, CompletionKind};
pub use context::{command_context, CommandContext, ScenarioRef};
pub use fmt::{apply_edits, format, format_text};
pub use hover::{hover, Hover};
pub use nav::{find_references, goto_definition, Location, NavTarget};
pub use ranges::{
    folding_ranges, folding_ranges_with, selection_ranges, selection_ranges_with, FoldingKind,
    FoldingRange,
};
pub use rename::{prepare_rename, rename, RenameError};
pub use symbols::{
    document_symbols, document_symbols_with, fuzzy_score, workspace_symbols, Symbol, SymbolKind,
    WorkspaceSymbol,
};
pub use text::{looks_like_requirement_id, normalize_step};
pub use tokens::{
    semantic_tokens, SemanticToken, TokenModifier, TokenType, TOKEN_MODIFIERS, TOKEN_TYPES,
};

pub use crate::diag::TextEdit;
pub use crate::span::Span;
pub use crate::workspace::Workspace;

#[cfg(test)]
mod tests;
