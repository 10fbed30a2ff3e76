//! A workspace snapshot: every spec document with its text. Cheap to clone (documents are
//! shared), so readers work on snapshots while the single owner of state applies edits.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Config;
use crate::model::{DocKind, Document};

/// One file of the workspace: its text and its parsed document.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub text: Arc<str>,
    pub doc: Arc<Document>,
}

impl SourceFile {
    /// The file `path` holding `text` (an open buffer), parsed as
    /// [`Workspace::upsert_bytes_with`] would parse its bytes; None when it is not a spec.
    ///
    /// `old` is the file's previous version: when it was read from the same text (and is
    /// classified the same), it is returned as it is (same `Arc`s, so the checks cached for it
    /// stay valid); when only an edit separates them, only what the edit touched is read again
    /// ([`crate::parse::incremental::reparse`], same result as a full parse). The text is
    /// shared, not copied, except for a file over the size limit (whose text is not kept).
    pub fn parse_text(
        path: &str,
        text: &Arc<str>,
        old: Option<&SourceFile>,
        config: &Config,
    ) -> Option<SourceFile> {
        SourceFile::parse_text_edited(path, text, old, config, None)
    }

    /// [`SourceFile::parse_text`] told what changed since `old`: `edit` (when known) describes
    /// `old`'s text -> `text` (every byte outside it the same in both), so the texts are not
    /// compared outside it (see [`crate::parse::incremental::reparse_edited`]).
    pub fn parse_text_edited(
        path: &str,
        text: &Arc<str>,
        old: Option<&SourceFile>,
        config: &Config,
        edit: Option<crate::parse::incremental::Edit>,
    ) -> Option<SourceFile> {
        use crate::limits::MAX_FILE_BYTES;
        if text.len() > MAX_FILE_BYTES {
            let (t, doc) = crate::parse::parse_bytes_config(path, text.as_bytes(), config)?;
            return Some(SourceFile {
                text: t.into(),
                doc: Arc::new(doc),
            });
        }
        let kind = config.classify(path, text)?;
        let unchanged = |old: &SourceFile| match edit {
            // Told the edit: the texts are the same when it changed nothing.
            Some(e) if e.fits(&old.text, text) => {
                old.text[e.start..e.old_end] == text[e.start..e.new_end]
            }
            _ => *old.text == **text,
        };
        let doc = match old {
            Some(old)
                if old.doc.kind == Some(kind)
                    && unchanged(old)
                    && text.len() <= MAX_FILE_BYTES
                    && !old.read_lossily() =>
            {
                return Some(old.clone())
            }
            Some(old)
                if Some(kind) == old.doc.kind
                    && old.text.len() <= MAX_FILE_BYTES
                    && !old.read_lossily() =>
            {
                crate::parse::incremental::reparse_edited(&old.doc, &old.text, text, edit)
            }
            _ => crate::parse::parse_document(path, text, kind),
        };
        Some(SourceFile {
            text: text.clone(),
            doc: Arc::new(doc),
        })
    }

    /// Whether this file is exactly what parsing `text` as `kind` gives: the same text, the
    /// same kind, and not read from invalid UTF-8 (whose document carries a diagnostic about
    /// the bytes that the text alone would not).
    pub fn same_parse(&self, kind: DocKind, text: &str) -> bool {
        self.doc.kind == Some(kind)
            && *self.text == *text
            && text.len() <= crate::limits::MAX_FILE_BYTES
            && !self.read_lossily()
    }

    /// Read from bytes that were not valid UTF-8 (see [`crate::parse::decode`]).
    fn read_lossily(&self) -> bool {
        self.doc
            .diagnostics
            .iter()
            .any(|d| d.code == "invalid-utf8")
    }
}

#[derive(Clone, Debug, Default)]
pub struct Workspace {
    /// Keyed by the document's path (workspace-relative, `/` separators).
    pub files: BTreeMap<String, SourceFile>,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// Parse and insert (or replace) a file; returns false when the file is not a spec.
    pub fn upsert_bytes(&mut self, path: &str, bytes: &[u8]) -> bool {
        let parsed = crate::parse::parse_bytes(path, bytes);
        self.insert_parsed(path, parsed)
    }

    /// [`Workspace::upsert_bytes`] deciding what is a spec with the configuration's globs
    /// ([`Config::classify`]): excluded files are removed, included ones added.
    pub fn upsert_bytes_with(&mut self, path: &str, bytes: &[u8], config: &Config) -> bool {
        let parsed = crate::parse::parse_bytes_config(path, bytes, config);
        self.insert_parsed(path, parsed)
    }

    /// [`Workspace::upsert_bytes_with`] for new text of a file already in the workspace (an
    /// edit): when the file keeps its kind, only what the edit touched is read again
    /// ([`crate::parse::incremental::reparse`], same result as a full parse).
    pub fn update_text_with(&mut self, path: &str, text: &str, config: &Config) -> bool {
        let parsed = SourceFile::parse_text(path, &Arc::from(text), self.files.get(path), config);
        match parsed {
            Some(f) => {
                self.files.insert(path.to_string(), f);
                true
            }
            None => {
                self.files.remove(path);
                false
            }
        }
    }

    /// [`Workspace::upsert_bytes_with`] for many files (path, bytes), parsed on every core;
    /// the same workspace as inserting them one by one, in order.
    pub fn upsert_many_bytes_with(&mut self, files: &[(String, Vec<u8>)], config: &Config) {
        let parsed = crate::par::map(files, |(path, bytes)| {
            crate::parse::parse_bytes_config(path, bytes, config)
        });
        for ((path, _), parsed) in files.iter().zip(parsed) {
            self.insert_parsed(path, parsed);
        }
    }

    fn insert_parsed(&mut self, path: &str, parsed: Option<(String, Document)>) -> bool {
        match parsed {
            Some((text, doc)) => {
                self.files.insert(
                    path.to_string(),
                    SourceFile {
                        text: text.into(),
                        doc: Arc::new(doc),
                    },
                );
                true
            }
            None => {
                self.files.remove(path);
                false
            }
        }
    }

    /// Parse and insert text of a known kind.
    pub fn upsert(&mut self, path: &str, text: &str, kind: DocKind) {
        let doc = crate::parse::parse_document(path, text, kind);
        self.files.insert(
            path.to_string(),
            SourceFile {
                text: text.into(),
                doc: Arc::new(doc),
            },
        );
    }

    pub fn remove(&mut self, path: &str) {
        self.files.remove(path);
    }

    pub fn get(&self, path: &str) -> Option<&SourceFile> {
        self.files.get(path)
    }

    pub fn docs(&self) -> impl Iterator<Item = &Document> {
        self.files.values().map(|f| f.doc.as_ref())
    }

    /// Find a spec by its name (front matter name, feature, or file stem).
    pub fn find_spec(&self, name: &str) -> Option<&SourceFile> {
        self.files.values().find(|f| f.doc.name == name)
    }
}
