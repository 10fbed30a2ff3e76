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
        let Some(old) = self.files.get(path) else {
            return self.upsert_bytes_with(path, text.as_bytes(), config);
        };
        let kind = config.classify(path, text);
        if kind.is_none()
            || kind != old.doc.kind
            || old.text.len() > crate::limits::MAX_FILE_BYTES
            || text.len() > crate::limits::MAX_FILE_BYTES
        {
            return self.upsert_bytes_with(path, text.as_bytes(), config);
        }
        let doc = crate::parse::incremental::reparse(&old.doc, &old.text, text);
        self.files.insert(
            path.to_string(),
            SourceFile {
                text: text.into(),
                doc: Arc::new(doc),
            },
        );
        true
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
