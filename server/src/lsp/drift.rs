//! Drift in the editor: the manifests and generated files of the workspace read from disk (the
//! edge) and compared with the snapshot's specs by the core ([`specls_core::drift`]). Read when
//! asked (diagnostics of each generation, lens, `specls.showDrift`), so edits to specs show at
//! once and edits to generated files at the next change or request (no watcher yet).

use specls_core::drift::{self, Drift};

use super::state::Snapshot;
use crate::drift::{hash_outputs, load_manifest, ManifestProblem};

/// The drift of the snapshot's workspace and the problems met reading its manifests; None when
/// the workspace has no folder on disk.
pub fn workspace_drift(snap: &Snapshot) -> Option<(Drift, Vec<ManifestProblem>)> {
    let root = snap
        .roots
        .base
        .clone()
        .or_else(|| snap.roots.folders.first().cloned())?;
    let loaded = load_manifest(&root, &snap.ws);
    let hashes = hash_outputs(&root, &loaded.manifest);
    Some((
        drift::drift(&snap.ws, &loaded.manifest, &hashes),
        loaded.problems,
    ))
}
