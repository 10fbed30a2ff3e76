//! The edge of drift: reading the manifests and hashing generated files, for `specls check
//! --drift`, the language server and `specls compile`. The comparison itself is the core's
//! pure [`specls_core::drift::drift`].

use std::path::{Path, PathBuf};

use specls_core::drift::FileHashes;
use specls_core::manifest::{self, specsoloist, Manifest, ManifestError};
use specls_core::workspace::Workspace;

use crate::fsutil;

/// A manifest that could not be used: its path (workspace-relative) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestProblem {
    pub path: String,
    pub error: ManifestError,
}

impl std::fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.error)
    }
}

/// The manifests drift is computed from, and the problems met reading them.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub manifest: Manifest,
    pub problems: Vec<ManifestProblem>,
    /// Workspace-relative paths of the manifest files that exist (read or not): the files to
    /// watch.
    pub sources: Vec<String>,
}

/// Where SpecSoloist manifests may be: `build/.specsoloist-manifest.json` at the root and next
/// to every arrangement of the workspace (SpecSoloist projects keep `build/` beside their
/// arrangement).
pub fn specsoloist_paths(ws: &Workspace) -> Vec<String> {
    let mut out = vec![specsoloist::DEFAULT_PATH.to_string()];
    for doc in ws.docs() {
        if doc.arrangement.is_some() {
            if let Some((dir, _)) = doc.path.rsplit_once('/') {
                out.push(format!("{dir}/{}", specsoloist::DEFAULT_PATH));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Read `.specls/manifest.json` and any SpecSoloist manifests under `root`. A missing file is
/// no problem (nothing compiled yet); a corrupt or newer one is reported and skipped. specls
/// entries win over SpecSoloist ones for the same spec.
pub fn load_manifest(root: &Path, ws: &Workspace) -> Loaded {
    let mut loaded = Loaded {
        manifest: Manifest::new(),
        ..Default::default()
    };
    let main = root.join(manifest::MANIFEST_PATH);
    if let Some(text) = read_text(&main, manifest::MANIFEST_PATH, &mut loaded) {
        match Manifest::from_json(&text) {
            Ok(m) => loaded.manifest = m,
            Err(error) => loaded.problems.push(ManifestProblem {
                path: manifest::MANIFEST_PATH.into(),
                error,
            }),
        }
    }
    let root_text = root.to_string_lossy().replace('\\', "/");
    for rel in specsoloist_paths(ws) {
        let Some(text) = read_text(&root.join(&rel), &rel, &mut loaded) else {
            continue;
        };
        match specsoloist::from_specsoloist(&text, &rel, &root_text, ws) {
            Ok(m) => loaded.manifest.merge_missing(m),
            Err(error) => loaded.problems.push(ManifestProblem { path: rel, error }),
        }
    }
    loaded
}

fn read_text(path: &Path, rel: &str, loaded: &mut Loaded) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            loaded.sources.push(rel.to_string());
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            loaded.sources.push(rel.to_string());
            loaded.problems.push(ManifestProblem {
                path: rel.to_string(),
                error: ManifestError::Corrupt {
                    message: format!("cannot be read: {e}"),
                    line: None,
                    column: None,
                },
            });
            None
        }
    }
}

/// Where to show a manifest problem: the JSON reader's line and column in the file, else its
/// start.
pub fn problem_span(root: &Path, problem: &ManifestProblem) -> specls_core::span::Span {
    use specls_core::span::Span;
    let ManifestError::Corrupt {
        line: Some(line),
        column: Some(column),
        ..
    } = &problem.error
    else {
        return Span::empty(0);
    };
    let Ok(bytes) = std::fs::read(root.join(&problem.path)) else {
        return Span::empty(0);
    };
    let text = String::from_utf8_lossy(&bytes);
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    Span::empty(at)
}

/// Write `.specls/manifest.json` atomically (creating `.specls/` with its `.gitignore`).
pub fn save_manifest(root: &Path, manifest: &Manifest) -> std::io::Result<PathBuf> {
    let dir = fsutil::state_dir(root)?;
    let path = dir.join(
        Path::new(manifest::MANIFEST_PATH)
            .file_name()
            .unwrap_or_default(),
    );
    fsutil::write_atomic(&path, manifest.to_json().as_bytes())?;
    Ok(path)
}

/// The SHA-256 of a file under `root`, None when it does not exist, cannot be read, or the
/// path leaves the workspace (absolute or through `..`).
pub fn hash_file(root: &Path, rel: &str) -> Option<String> {
    let p = Path::new(rel);
    if p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    let bytes = std::fs::read(root.join(p)).ok()?;
    Some(manifest::sha256_hex(&bytes))
}

/// Hashes of every output file the manifest names that exists under `root`.
pub fn hash_outputs(root: &Path, manifest: &Manifest) -> FileHashes {
    manifest
        .output_paths()
        .into_iter()
        .filter_map(|p| hash_file(root, &p).map(|h| (p, h)))
        .collect()
}
