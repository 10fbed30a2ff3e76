//! Reading a workspace from disk: walk paths honouring `.gitignore`, load every spec file.

use std::path::{Path, PathBuf};

use specls_core::workspace::Workspace;

/// Workspace-relative path with `/` separators (or the path as given when outside `root`).
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}

/// Every file under `paths` (files are taken as they are; folders are walked honouring
/// `.gitignore`, `.ignore` and hidden files).
pub fn walk(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        for entry in ignore::WalkBuilder::new(p).build().flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) {
                out.push(entry.into_path());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Load every spec under `paths` into a workspace rooted at `root`. Returns the workspace and
/// the I/O errors met (path, message).
pub fn load(root: &Path, paths: &[PathBuf]) -> (Workspace, Vec<(String, String)>) {
    let mut ws = Workspace::new();
    let mut errors = Vec::new();
    for file in walk(paths) {
        let rel = rel_path(root, &file);
        match std::fs::read(&file) {
            Ok(bytes) => {
                ws.upsert_bytes(&rel, &bytes);
            }
            Err(e) => errors.push((rel, e.to_string())),
        }
    }
    (ws, errors)
}
