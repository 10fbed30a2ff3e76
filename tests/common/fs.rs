//! Fixture files on disk.

use std::path::{Path, PathBuf};

/// Every file under `dir`, recursively, in sorted order (stable snapshot order).
pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Copy every file under `from` to the same place under `to`, creating folders as needed.
pub fn copy_tree(from: &Path, to: &Path) {
    let mut files = Vec::new();
    files_under(from, &mut files);
    for f in files {
        let rel = f.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
    }
}
