//! SpecSoloist's build manifest, `build/.specsoloist-manifest.json`, read into the specls
//! model so that SpecSoloist users get drift without compiling through specls.
//!
//! ```json
//! { "version": "1.0",
//!   "specs": { "todo": { "spec_hash": "…", "built_at": "2026-03-01T14:30:01",
//!                        "dependencies": ["todo_item"], "output_files": ["todo.py", "test_todo.py"] } } }
//! ```
//!
//! SpecSoloist keys specs by name, records the SHA-256 of the spec text (the same
//! [`super::spec_hash`] specls records), the names of the dependencies (without their hashes),
//! and the output files by file name only. So an imported entry can tell "spec changed", "the
//! dependency list changed" and "generated file missing", but not which scenario changed, which
//! dependency's text changed, or whether a generated file was edited by hand.
//!
//! Output file names are resolved to workspace paths in this order: the arrangement's planned
//! output for the spec with that file name ([`super::planned_outputs`]); a path with folders
//! taken as written relative to the workspace; a bare file name in the manifest's folder (where
//! SpecSoloist writes without an arrangement). Absolute paths under the workspace root are made
//! relative; others are kept as written (and will show as missing).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    arrangement_for, planned_outputs, spec_index, DependencyEntry, Manifest, ManifestError, Origin,
    OutputFile, SpecEntry, MANIFEST_VERSION,
};
use crate::checks::dependencies::normalize_path;
use crate::model::Document;
use crate::workspace::Workspace;

/// SpecSoloist's manifest file name (in its build folder).
pub const FILE_NAME: &str = ".specsoloist-manifest.json";

/// Where SpecSoloist keeps it by default, relative to the project root.
pub const DEFAULT_PATH: &str = "build/.specsoloist-manifest.json";

fn corrupt(message: impl Into<String>) -> ManifestError {
    ManifestError::Corrupt {
        message: message.into(),
        line: None,
        column: None,
    }
}

/// Read SpecSoloist manifest text found at `manifest_path` (workspace-relative). `root` is the
/// workspace's absolute path with `/` separators (used only to make absolute output paths
/// relative; pass "" when unknown). Entries for specs that are no longer in the workspace are
/// dropped. Version "1.x" (or none, as SpecSoloist itself assumes) is read; anything else is
/// [`ManifestError::UnsupportedVersion`].
pub fn from_specsoloist(
    text: &str,
    manifest_path: &str,
    root: &str,
    ws: &Workspace,
) -> Result<Manifest, ManifestError> {
    let value: Value = serde_json::from_str(text).map_err(super::corrupt)?;
    let obj = value
        .as_object()
        .ok_or_else(|| corrupt("expected a JSON object with `version` and `specs`"))?;
    match obj.get("version") {
        None => {}
        Some(Value::String(v)) if v == "1" || v.starts_with("1.") => {}
        Some(v) => {
            return Err(ManifestError::UnsupportedVersion {
                found: v.to_string(),
                supported: 1,
            })
        }
    }
    let specs = match obj.get("specs") {
        None | Some(Value::Null) => return Ok(Manifest::new()),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(corrupt(
                "`specs` should be an object of spec name -> build info",
            ))
        }
    };
    let index = spec_index(ws);
    let build_dir = manifest_path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut out = Manifest {
        version: MANIFEST_VERSION,
        specs: BTreeMap::new(),
    };
    for (name, info) in specs {
        let info = info
            .as_object()
            .ok_or_else(|| corrupt(format!("the entry of `{name}` is not an object")))?;
        let spec_hash = info
            .get("spec_hash")
            .and_then(Value::as_str)
            .ok_or_else(|| corrupt(format!("the entry of `{name}` has no `spec_hash`")))?;
        let Some(doc) = find_spec(ws, &index, name) else {
            continue;
        };
        let strings = |key: &str| -> Vec<String> {
            info.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let dependencies = strings("dependencies")
            .into_iter()
            .filter(|d| !d.trim().is_empty())
            .map(|d| {
                let d = d.trim().trim_end_matches(".spec.md").to_string();
                DependencyEntry {
                    path: find_spec(ws, &index, &d).map(|t| t.path.clone()),
                    name: d,
                    hash: None,
                }
            })
            .collect();
        let planned = arrangement_for(ws, &doc.path)
            .map(|a| planned_outputs(a, doc))
            .unwrap_or_default();
        let mut outputs: Vec<OutputFile> = strings("output_files")
            .iter()
            .filter_map(|f| resolve_output(f, &planned, build_dir, root))
            .map(|path| OutputFile { path, hash: None })
            .collect();
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        outputs.dedup();
        out.specs.insert(
            doc.path.clone(),
            SpecEntry {
                name: name.clone(),
                spec_hash: spec_hash.to_string(),
                dependencies,
                outputs,
                backend: Some("specsoloist".into()),
                compiled_at: info
                    .get("built_at")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                origin: Origin::Specsoloist,
                ..Default::default()
            },
        );
    }
    Ok(out)
}

/// A SpecSoloist spec name (`todo`, `subscribers/build_state`) -> the spec document.
fn find_spec<'a>(
    ws: &'a Workspace,
    index: &crate::checks::dependencies::SpecIndex<'a>,
    name: &str,
) -> Option<&'a Document> {
    let suffix = format!("{name}.spec.md");
    ws.docs()
        .filter(|d| super::is_spec(d))
        .find(|d| d.path == suffix || d.path.ends_with(&format!("/{suffix}")))
        .or_else(|| index.find(name))
}

fn resolve_output(
    file: &str,
    planned: &[(String, String)],
    build_dir: &str,
    root: &str,
) -> Option<String> {
    let f = file.trim().replace('\\', "/");
    if f.is_empty() {
        return None;
    }
    let root = root.trim_end_matches('/');
    if !root.is_empty() {
        if let Some(rel) = f.strip_prefix(root).and_then(|r| r.strip_prefix('/')) {
            return normalize_path("", rel);
        }
    }
    if f.starts_with('/') || f.get(1..3) == Some(":/") {
        return Some(f);
    }
    let base = f.rsplit('/').next().unwrap_or(&f);
    if let Some((_, p)) = planned
        .iter()
        .find(|(_, p)| p.rsplit('/').next() == Some(base))
    {
        return Some(p.clone());
    }
    if f.contains('/') {
        return normalize_path("", &f);
    }
    normalize_path(build_dir, &f)
}
