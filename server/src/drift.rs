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
/// path leaves the workspace (absolute or through `..`). Cached by path, size, modification
/// time (and inode on Unix): drift hashes every recorded output at each generation, and only
/// the files that changed are read again ([`hash_cache`]).
pub fn hash_file(root: &Path, rel: &str) -> Option<String> {
    let p = Path::new(rel);
    if p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    hash_cache::hash(&root.join(p))
}

/// The cache of output-file hashes, shared by every drift read of the process.
pub mod hash_cache {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;
    use std::time::{Duration, SystemTime};

    /// Entries kept at most (the cache is emptied when full).
    const MAX_ENTRIES: usize = 50_000;
    /// A file modified this recently is not cached: a write within the same clock tick could
    /// keep its size and modification time (the "racily clean" case of git's index).
    const RACY: Duration = Duration::from_secs(2);

    #[derive(Clone, PartialEq, Eq)]
    struct Stamp {
        len: u64,
        modified: SystemTime,
        inode: u64,
    }

    static CACHE: Mutex<Option<HashMap<PathBuf, (Stamp, String)>>> = Mutex::new(None);
    static READS: AtomicU64 = AtomicU64::new(0);

    /// How many files were read and hashed so far (the cache missed).
    pub fn reads() -> u64 {
        READS.load(Ordering::Relaxed)
    }

    fn stamp(m: &std::fs::Metadata) -> Option<Stamp> {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(m);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Stamp {
            len: m.len(),
            modified: m.modified().ok()?,
            inode,
        })
    }

    /// The SHA-256 of the file at `path` (None when it is not a readable file).
    pub fn hash(path: &Path) -> Option<String> {
        let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        let before = stamp(&meta);
        if let Some(st) = &before {
            let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((s, h)) = cache.as_ref().and_then(|c| c.get(path)) {
                if s == st {
                    return Some(h.clone());
                }
            }
        }
        READS.fetch_add(1, Ordering::Relaxed);
        let bytes = std::fs::read(path).ok()?;
        let hash = specls_core::manifest::sha256_hex(&bytes);
        // Cache only when the file did not move while it was read and is not racily recent.
        let after = std::fs::metadata(path).ok().as_ref().and_then(stamp);
        if let Some(st) = before {
            let settled = SystemTime::now()
                .duration_since(st.modified)
                .is_ok_and(|age| age >= RACY);
            if settled && after.as_ref() == Some(&st) {
                let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
                let map = cache.get_or_insert_with(HashMap::new);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
                map.insert(path.to_path_buf(), (st, hash.clone()));
            }
        }
        Some(hash)
    }
}

/// Hashes of every output file the manifest names that exists under `root`.
pub fn hash_outputs(root: &Path, manifest: &Manifest) -> FileHashes {
    manifest
        .output_paths()
        .into_iter()
        .filter_map(|p| hash_file(root, &p).map(|h| (p, h)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn set_mtime(path: &Path, ago: Duration) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(SystemTime::now() - ago)
            .unwrap();
    }

    /// Output files are read again only when their size, modification time or inode moved;
    /// a file modified within the last two seconds is never taken from the cache. (The read
    /// counter is process-wide: other tests may hash too, so counts are lower bounds where
    /// they may not grow.)
    #[test]
    fn output_hashes_are_cached_by_size_and_modification_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let file = root.join("out.py");
        let sha = |b: &[u8]| manifest::sha256_hex(b);
        std::fs::write(&file, b"one").unwrap();
        set_mtime(&file, Duration::from_secs(60));
        assert_eq!(hash_file(root, "out.py"), Some(sha(b"one")));
        // Same stamp: served from the cache, even though the bytes were swapped underneath
        // (which is what proves no read happened).
        let t = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::fs::write(&file, b"two").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(t)
            .unwrap();
        assert_eq!(hash_file(root, "out.py"), Some(sha(b"one")));
        // A new modification time (same size): read again.
        set_mtime(&file, Duration::from_secs(30));
        assert_eq!(hash_file(root, "out.py"), Some(sha(b"two")));
        // A fresh write is never cached: a second write in the same tick is still seen.
        std::fs::write(&file, b"333").unwrap();
        assert_eq!(hash_file(root, "out.py"), Some(sha(b"333")));
        std::fs::write(&file, b"444").unwrap();
        assert_eq!(hash_file(root, "out.py"), Some(sha(b"444")));
        // Replaced through a rename (as specls writes): a new inode.
        let other = root.join("other.py");
        std::fs::write(&other, b"555").unwrap();
        set_mtime(&other, Duration::from_secs(30));
        std::fs::rename(&other, &file).unwrap();
        assert_eq!(hash_file(root, "out.py"), Some(sha(b"555")));
        // Gone, or outside the workspace: no hash.
        std::fs::remove_file(&file).unwrap();
        assert_eq!(hash_file(root, "out.py"), None);
        assert_eq!(hash_file(root, "../out.py"), None);
    }

    #[test]
    fn unchanged_outputs_are_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for i in 0..20 {
            let f = root.join(format!("f{i}.py"));
            std::fs::write(&f, format!("{i}")).unwrap();
            set_mtime(&f, Duration::from_secs(60));
        }
        let all = |root: &Path| -> Vec<Option<String>> {
            (0..20)
                .map(|i| hash_file(root, &format!("f{i}.py")))
                .collect()
        };
        let first = all(root);
        let reads = hash_cache::reads();
        // Other tests may run at the same time and read their own files, but not 20 of ours:
        // compare the hashes and check that reading them again cost (almost) nothing.
        assert_eq!(all(root), first);
        assert!(hash_cache::reads() - reads < 20);
    }
}
