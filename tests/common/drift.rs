//! Drift fixtures (`tests/fixtures/drift/`): a compiled workspace and its manifest.

use std::path::{Path, PathBuf};

use specls_core::manifest::{self, CompileMeta, Manifest};
use specls_core::workspace::Workspace;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drift")
}

pub fn load(dir: &Path) -> Workspace {
    let (ws, errors) = specls::files::load(dir, &[dir.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    ws
}

/// A specls manifest for the compiled workspace: every governed spec whose planned outputs
/// exist, with those outputs.
pub fn record_all(dir: &Path, ws: &Workspace) -> Manifest {
    let mut m = Manifest::new();
    for (path, file) in &ws.files {
        let Some(arr) = manifest::arrangement_for(ws, path) else {
            continue;
        };
        let outputs: Vec<(String, String)> = manifest::planned_outputs(arr, &file.doc)
            .into_iter()
            .filter_map(|(_, p)| specls::drift::hash_file(dir, &p).map(|h| (p, h)))
            .collect();
        if outputs.is_empty() {
            continue;
        }
        let meta = CompileMeta {
            backend: Some("openai".into()),
            model: Some("qwen2.5-coder".into()),
            compiled_at: Some(manifest::rfc3339_utc(1_795_000_000)),
            duration_ms: Some(4200),
            tokens_in: Some(900),
            tokens_out: Some(450),
        };
        m.insert(path, manifest::record(ws, path, &outputs, &meta).unwrap());
    }
    m
}
