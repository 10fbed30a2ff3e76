//! Drift in the editor: the manifests and generated files of the workspace read from disk (the
//! edge) and compared with the snapshot's specs by the core ([`specls_core::drift`]).
//!
//! Read once per generation (shared by the diagnostics, the Compile lens and the health
//! command) and read again when what it depends on changes on disk: the files it read are kept
//! in [`DriftFiles`], and a change to one of them — reported by the client's file watcher
//! (`workspace/didChangeWatchedFiles`, registered for the manifests and, dynamically, for every
//! recorded output file), by the disk poller for clients that cannot watch, or by a compile
//! the server ran itself — starts a new generation ([`changed_on_disk`]): diagnostics are
//! recomputed and the client is asked to refresh its lenses. `specls.showDrift` always reads
//! the disk afresh and starts a new generation when it finds the disk moved on.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use specls_core::drift::{self, Drift};
use specls_core::manifest;
use tower_lsp_server::lsp_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, OneOf, Registration,
    RelativePattern, Unregistration,
};
use tower_lsp_server::Client;
use tracing::{debug, warn};

use super::paths::Roots;
use super::state::{Msg, Snapshot, StateHandle};
use crate::drift::{hash_outputs, load_manifest, specsoloist_paths, ManifestProblem};

/// Registration id of the watcher for recorded output files.
const OUTPUTS_WATCH_ID: &str = "specls-watch-outputs";
/// At most this many output files are watched one by one (a bigger manifest is unusual; the
/// rest are still seen at the next edit or `specls.showDrift`).
const MAX_WATCHED_OUTPUTS: usize = 5_000;

/// Drift as read from disk for one generation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskDrift {
    pub drift: Drift,
    pub problems: Vec<ManifestProblem>,
    /// Paths (relative to the drift root, `/` separators) of the manifests drift looks for and
    /// of the output files they record: what to watch.
    pub read: BTreeSet<String>,
}

impl DiskDrift {
    /// The recorded output files (without the manifests).
    pub fn outputs(&self) -> impl Iterator<Item = &String> {
        self.read.iter().filter(|p| !is_manifest(p))
    }
}

/// The workspace keys of the files drift last read (shared by the state owner, the snapshots
/// and the file-change handlers).
#[derive(Debug, Default)]
pub struct DriftFiles(Mutex<BTreeSet<String>>);

impl DriftFiles {
    pub fn set(&self, keys: BTreeSet<String>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = keys;
    }
    pub fn contains(&self, key: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(key)
    }
    pub fn keys(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// Is this path (key or relative path) a compile manifest, ours or SpecSoloist's?
pub fn is_manifest(path: &str) -> bool {
    let path = path.replace('\\', "/");
    path == manifest::MANIFEST_PATH
        || path.ends_with(&format!("/{}", manifest::MANIFEST_PATH))
        || path.rsplit('/').next() == Some(".specsoloist-manifest.json")
}

/// The folder drift is computed in: the base folder, else the first workspace folder.
pub fn drift_root(roots: &Roots) -> Option<std::path::PathBuf> {
    roots
        .base
        .clone()
        .or_else(|| roots.folders.first().cloned())
}

/// The drift of the snapshot's workspace (read from disk once per generation); None when the
/// workspace has no folder on disk.
pub fn workspace_drift(snap: &Snapshot) -> Option<Arc<DiskDrift>> {
    snap.drift.get_or_init(|| read(snap).map(Arc::new)).clone()
}

/// Read the manifests and hash the recorded outputs now, and remember what was read.
pub fn read(snap: &Snapshot) -> Option<DiskDrift> {
    let root = drift_root(&snap.roots)?;
    let loaded = load_manifest(&root, &snap.ws);
    let hashes = hash_outputs(&root, &loaded.manifest);
    let mut read: BTreeSet<String> = specsoloist_paths(&snap.ws).into_iter().collect();
    read.insert(manifest::MANIFEST_PATH.to_string());
    read.extend(loaded.manifest.output_paths());
    snap.drift_files.set(
        read.iter()
            .map(|rel| snap.roots.key_for_path(&root.join(rel)))
            .collect(),
    );
    Some(DiskDrift {
        drift: drift::drift(&snap.ws, &loaded.manifest, &hashes),
        problems: loaded.problems,
        read,
    })
}

/// Files drift depends on changed on disk: start a new generation (diagnostics follow) and ask
/// the client to refresh its lenses once the owner has applied it.
pub fn changed_on_disk(state: &StateHandle, client: &Client, lens_refresh: bool) {
    state.send(Msg::DriftChanged);
    if lens_refresh {
        let state = state.clone();
        let client = client.clone();
        tokio::spawn(async move {
            // The snapshot is answered after the owner applied the change.
            let _ = state.snapshot().await;
            if let Err(e) = client.code_lens_refresh().await {
                debug!("workspace/codeLens/refresh failed: {e}");
            }
        });
    }
}

/// A path as a glob that matches exactly it: metacharacters escaped by wrapping them in a
/// class.
fn literal_glob(path: &str) -> String {
    let mut g = String::with_capacity(path.len() + 8);
    for c in path.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' => {
                g.push('[');
                g.push(c);
                g.push(']');
            }
            c => g.push(c),
        }
    }
    g
}

/// The watcher for one output file (`rel`, relative to the drift root `root`), anchored at
/// the root: a relative pattern for clients that take them, else the file's absolute path
/// (`/` separators) as the glob — never `**/rel`, which would match a file of that name in
/// any folder.
fn output_watcher(root: &Path, rel: &str, relative: bool) -> Option<FileSystemWatcher> {
    let glob_pattern = if relative {
        GlobPattern::Relative(RelativePattern {
            base_uri: OneOf::Right(super::paths::path_to_uri(root)?),
            pattern: literal_glob(rel),
        })
    } else {
        let abs = root.join(rel).to_string_lossy().replace('\\', "/");
        GlobPattern::String(literal_glob(&abs))
    };
    Some(FileSystemWatcher {
        glob_pattern,
        kind: None,
    })
}

/// Keep the client's watcher for recorded output files in step with the manifest: after each
/// generation, register the globs of the outputs drift read (replacing the previous
/// registration) when they changed. Only for clients with dynamic file-watch registration.
pub async fn watch_outputs(client: Client, state: StateHandle, relative: bool) {
    let mut changes = state.subscribe();
    let mut registered: Option<Vec<FileSystemWatcher>> = None;
    loop {
        // A burst of changes is one look.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let Some(snap) = state.snapshot().await else {
            return;
        };
        let outputs = tokio::task::spawn_blocking(move || {
            let root = drift_root(&snap.roots)?;
            workspace_drift(&snap).map(|d| {
                d.outputs()
                    .take(MAX_WATCHED_OUTPUTS)
                    .filter_map(|p| output_watcher(&root, p, relative))
                    .collect::<Vec<_>>()
            })
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
        if registered.as_ref() != Some(&outputs) {
            if registered.as_ref().is_some_and(|r| !r.is_empty()) {
                let gone = Unregistration {
                    id: OUTPUTS_WATCH_ID.into(),
                    method: "workspace/didChangeWatchedFiles".into(),
                };
                let _ = tokio::time::timeout(
                    Duration::from_secs(5),
                    client.unregister_capability(vec![gone]),
                )
                .await;
            }
            if !outputs.is_empty() {
                let options = DidChangeWatchedFilesRegistrationOptions {
                    watchers: outputs.clone(),
                };
                let reg = Registration {
                    id: OUTPUTS_WATCH_ID.into(),
                    method: "workspace/didChangeWatchedFiles".into(),
                    register_options: serde_json::to_value(options).ok(),
                };
                match tokio::time::timeout(
                    Duration::from_secs(5),
                    client.register_capability(vec![reg]),
                )
                .await
                {
                    Ok(Ok(())) => debug!("watching {} generated file(s)", outputs.len()),
                    Ok(Err(e)) => warn!("client refused watching generated files ({e})"),
                    Err(_) => warn!("client did not answer client/registerCapability"),
                }
            }
            registered = Some(outputs);
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

/// Paths on disk of the files drift last read (for the poller).
pub fn polled_paths(state: &StateHandle, roots: &Roots) -> Vec<std::path::PathBuf> {
    state
        .drift_files()
        .keys()
        .iter()
        .filter_map(|k| roots.path_for_key(k))
        .collect()
}

/// Is `key` (a changed file) one drift depends on?
pub fn affects_drift(state: &StateHandle, key: &str, path: &Path) -> bool {
    is_manifest(key) || is_manifest(&path.to_string_lossy()) || state.drift_files().contains(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_recognised() {
        assert!(is_manifest(".specls/manifest.json"));
        assert!(is_manifest("sub/.specls/manifest.json"));
        assert!(is_manifest("build/.specsoloist-manifest.json"));
        assert!(is_manifest("C:\\w\\build\\.specsoloist-manifest.json"));
        assert!(!is_manifest("src/manifest.json"));
        assert!(!is_manifest(".specls/results/run.json"));
    }

    #[test]
    fn output_globs_escape_metacharacters() {
        assert_eq!(literal_glob("src/tasks.py"), "src/tasks.py");
        assert_eq!(literal_glob("src/[id].ts"), "src/[[]id[]].ts");
        assert_eq!(literal_glob("a{b}*?.rs"), "a[{]b[}][*][?].rs");
    }
}
