//! Reading a workspace from disk: walk paths honouring `.gitignore`, load every spec file.

use std::path::{Component, Path, PathBuf};

use specls_core::config::Config;
use specls_core::testlinks::files::{mentions_tests, TestFileMatcher};
use specls_core::testlinks::{Language, TestIndex};
use specls_core::workspace::Workspace;

/// Workspace-relative path with `/` separators (or the path as given when outside `root`).
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}

/// `path` made absolute against `base`, with `.` and `..` resolved lexically (symlinks are
/// left alone), so that ancestors and prefixes compare as the user means them.
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Every file under `paths` (files are taken as they are; folders are walked honouring
/// `.gitignore` — also outside a git repository —, `.ignore` and hidden files).
pub fn walk(paths: &[PathBuf]) -> Vec<PathBuf> {
    walk_with(paths, None, &Config::default()).0
}

/// [`walk`] that also skips folders the configuration excludes (paths are matched relative to
/// `root`) and returns the errors met (path, message): unreadable folders, broken links.
pub fn walk_with(
    paths: &[PathBuf],
    root: Option<&Path>,
    config: &Config,
) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        let mut builder = ignore::WalkBuilder::new(p);
        builder.require_git(false);
        if let Some(root) = root {
            if !config.exclude.is_empty() {
                let root = root.to_path_buf();
                let config = config.clone();
                builder.filter_entry(move |e| {
                    !(e.file_type().is_some_and(|t| t.is_dir())
                        && e.depth() > 0
                        && config.is_excluded(&rel_path(&root, e.path())))
                });
            }
        }
        for entry in builder.build() {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        out.push(entry.into_path());
                    }
                }
                Err(e) => errors.push((p.to_string_lossy().into_owned(), e.to_string())),
            }
        }
    }
    out.sort();
    out.dedup();
    (out, errors)
}

/// Load every spec under `paths` into a workspace rooted at `root`. Returns the workspace and
/// the I/O errors met (path, message).
pub fn load(root: &Path, paths: &[PathBuf]) -> (Workspace, Vec<(String, String)>) {
    load_with(root, paths, &Config::default())
}

/// Only Markdown and YAML files can be specs; others are not even read.
pub fn may_be_spec(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".yaml", ".yml"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// [`load`] with the configuration's spec globs and excludes (see [`Config::classify`]).
pub fn load_with(
    root: &Path,
    paths: &[PathBuf],
    config: &Config,
) -> (Workspace, Vec<(String, String)>) {
    let (files, errors) = walk_with(paths, Some(root), config);
    load_walked(root, &files, errors, config)
}

/// [`load_with`] over files already walked (with the errors of the walk).
pub fn load_walked(
    root: &Path,
    files: &[PathBuf],
    mut errors: Vec<(String, String)>,
    config: &Config,
) -> (Workspace, Vec<(String, String)>) {
    let mut ws = Workspace::new();
    let mut read = Vec::new();
    for file in files {
        let rel = rel_path(root, file);
        if !may_be_spec(&rel) || config.is_excluded(&rel) {
            continue;
        }
        match std::fs::read(file) {
            Ok(bytes) => read.push((rel, bytes)),
            Err(e) => errors.push((rel, e.to_string())),
        }
    }
    ws.upsert_many_bytes_with(&read, config);
    (ws, errors)
}

/// The test files under `paths`, indexed: files the configuration, an arrangement's
/// `output_paths.tests` or the per-language defaults name as tests (see
/// [`specls_core::testlinks::files`]), plus Rust sources that hold `#[test]`s or `@spec` markers.
/// Unreadable files are returned as errors (path, message); files that are not UTF-8 are read
/// lossily.
pub fn load_tests(
    root: &Path,
    paths: &[PathBuf],
    config: &Config,
    ws: &Workspace,
) -> (TestIndex, Vec<(String, String)>) {
    let (files, mut errors) = walk_with(paths, Some(root), config);
    let (index, more) = load_tests_walked(root, &files, config, ws);
    errors.extend(more);
    (index, errors)
}

/// [`load_tests`] over files already walked (the walk's own errors are not repeated).
pub fn load_tests_walked(
    root: &Path,
    files: &[PathBuf],
    config: &Config,
    ws: &Workspace,
) -> (TestIndex, Vec<(String, String)>) {
    let arrangements: Vec<_> = ws.docs().filter_map(|d| d.arrangement.as_ref()).collect();
    let matcher = TestFileMatcher::new(config, &arrangements);
    let mut index = TestIndex::new();
    let mut errors = Vec::new();
    for file in files {
        let rel = rel_path(root, file);
        let named = matcher.language(&rel);
        let Some(lang) = named.or_else(|| Language::from_path(&rel)) else {
            continue;
        };
        if named.is_none() && (lang != Language::Rust || config.is_excluded(&rel)) {
            continue;
        }
        match std::fs::read(file) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                if named.is_some() || mentions_tests(lang, &text) {
                    index.upsert(&rel, &text, lang);
                }
            }
            Err(e) => errors.push((rel, e.to_string())),
        }
    }
    (index, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_resolves_dots() {
        let base = Path::new("/a/b");
        assert_eq!(
            absolute(base, Path::new("../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(absolute(base, Path::new(".")), PathBuf::from("/a/b"));
        assert_eq!(absolute(base, Path::new("/x/../y")), PathBuf::from("/y"));
    }
}
