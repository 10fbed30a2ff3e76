//! from_proto / to_proto helpers shared by the feature handlers.

use std::sync::{Arc, Mutex};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{self as lsp, Position, Uri};

use specls_core::Span;

use crate::lsp::diagnostics::Lines;
use crate::lsp::position::LineIndex;
use crate::lsp::server::invalid_params;
use crate::lsp::state::Snapshot;

/// One document of a request, with what is needed to convert positions.
pub struct Doc {
    pub key: String,
    pub text: Arc<str>,
    pub lines: Arc<LineIndex>,
}

/// Texts at least this big have their line index cached (building one scans the whole text:
/// about a millisecond for a 1.4 MB spec, on every request without the cache).
const CACHE_FROM: usize = 32 * 1024;
/// How many line indexes are kept.
const CACHE_SIZE: usize = 8;

/// Line indexes of the big texts requests were last about, newest last. A text is immutable
/// (`Arc<str>`) and the cache holds it, so its allocation cannot be reused while it is cached:
/// the same pointer means the same text.
static LINES: Mutex<Vec<(Arc<str>, Arc<LineIndex>)>> = Mutex::new(Vec::new());

/// The line index of a document text (from the cache when the text is big and was seen).
pub fn line_index(text: &Arc<str>) -> Arc<LineIndex> {
    if text.len() < CACHE_FROM {
        return Arc::new(LineIndex::new(text));
    }
    let mut cache = LINES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = cache.iter().position(|(t, _)| Arc::ptr_eq(t, text)) {
        let entry = cache.remove(i);
        let lines = entry.1.clone();
        cache.push(entry);
        return lines;
    }
    let lines = Arc::new(LineIndex::new(text));
    if cache.len() >= CACHE_SIZE {
        cache.remove(0);
    }
    cache.push((text.clone(), lines.clone()));
    lines
}

/// How many YAML trees are kept (a tree is several times the size of its text).
const YAML_CACHE_SIZE: usize = 2;

/// YAML trees of the texts folding, selection and outline requests were last about, newest
/// last (same rule as [`LINES`]: the same text pointer means the same text).
#[allow(clippy::type_complexity)]
static YAML: Mutex<Vec<(Arc<str>, Arc<specls_core::yaml::YamlDoc>)>> = Mutex::new(Vec::new());

/// The YAML tree of a YAML spec or arrangement (None for other documents), read once per text:
/// an editor asks for folding ranges, selection ranges and the outline after each edit, and
/// each read a 1.4 MB text again before.
pub fn yaml_tree(snap: &Snapshot, doc: &Doc) -> Option<Arc<specls_core::yaml::YamlDoc>> {
    use specls_core::model::DocKind;
    let kind = snap.file(&doc.key)?.doc.kind;
    if !matches!(kind, Some(DocKind::YamlSpec) | Some(DocKind::Arrangement)) {
        return None;
    }
    Some(yaml_tree_of(&doc.text))
}

/// The YAML tree of a text, from the cache when it was read already.
fn yaml_tree_of(text: &Arc<str>) -> Arc<specls_core::yaml::YamlDoc> {
    {
        let mut cache = YAML.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(|(t, _)| Arc::ptr_eq(t, text)) {
            let entry = cache.remove(i);
            let tree = entry.1.clone();
            cache.push(entry);
            return tree;
        }
    }
    // Read outside the lock: another request may read the same text meanwhile (both results
    // are equal; the second replaces nothing useful).
    let tree = Arc::new(specls_core::yaml::parse(text));
    let mut cache = YAML.lock().unwrap_or_else(|e| e.into_inner());
    if !cache.iter().any(|(t, _)| Arc::ptr_eq(t, text)) {
        if cache.len() >= YAML_CACHE_SIZE {
            cache.remove(0);
        }
        cache.push((text.clone(), tree.clone()));
    }
    tree
}

/// The spec a request is about, or None when the document is not a spec the server knows.
pub fn doc(snap: &Snapshot, uri: &Uri) -> Option<Doc> {
    let key = snap.key(uri);
    let text = snap.file(&key)?.text.clone();
    // An edited open spec's index comes with the snapshot: the owner updates it with each edit,
    // for the buffer's text, which is the text the snapshot's workspace holds for it (a new
    // text after every keystroke would otherwise be indexed again by the first request).
    let lines = snap
        .open
        .get(key.as_str())
        .and_then(|m| m.lines.clone())
        .filter(|l| l.text_len() == text.len())
        .unwrap_or_else(|| line_index(&text));
    Some(Doc { key, text, lines })
}

/// A spec or an indexed test file.
pub fn spec_or_test(snap: &Snapshot, uri: &Uri) -> Option<Doc> {
    let key = snap.key(uri);
    let text = match snap.file(&key) {
        Some(f) => f.text.clone(),
        None => snap.tests.texts.get(&key)?.clone(),
    };
    let lines = line_index(&text);
    Some(Doc { key, text, lines })
}

/// from_proto: a position to a byte offset; a line past the end is an invalid-params error.
pub fn offset(snap: &Snapshot, doc: &Doc, pos: Position) -> Result<usize> {
    doc.lines
        .offset(&doc.text, pos, snap.encoding)
        .map_err(|e| invalid_params(format!("position {}:{}: {e}", pos.line, pos.character)))
}

/// to_proto: a span of this document.
pub fn range(snap: &Snapshot, doc: &Doc, span: Span) -> lsp::Range {
    doc.lines.range(&doc.text, span, snap.encoding)
}

/// to_proto: a span of any document.
pub fn location(
    snap: &Snapshot,
    lines: &mut Lines,
    key: &str,
    span: Span,
) -> Option<lsp::Location> {
    Some(lsp::Location::new(
        snap.uri(key)?,
        lines.range(snap, key, span),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_read_as_yaml_once() {
        let text: Arc<str> = "feature: A\nscenarios:\n  - name: x\n".into();
        let a = yaml_tree_of(&text);
        assert!(Arc::ptr_eq(&a, &yaml_tree_of(&text)));
        assert_eq!(*a, specls_core::yaml::parse(&text));
        // The same content in another allocation is another text.
        let copy: Arc<str> = text.to_string().into();
        assert!(!Arc::ptr_eq(&a, &yaml_tree_of(&copy)));
    }

    #[test]
    fn big_texts_share_their_line_index_small_ones_do_not() {
        let big: Arc<str> = "a line\n".repeat(CACHE_FROM / 7 + 1).into();
        let a = line_index(&big);
        let b = line_index(&big);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, LineIndex::new(&big));
        // The same content in another allocation is another text: its own index.
        let copy: Arc<str> = big.to_string().into();
        assert!(!Arc::ptr_eq(&a, &line_index(&copy)));
        let small: Arc<str> = "x\ny\n".into();
        assert!(!Arc::ptr_eq(&line_index(&small), &line_index(&small)));
        assert_eq!(line_index(&small).line_count(), 3);
    }
}
