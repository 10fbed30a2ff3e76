//! The compile manifest: what each spec looked like when it was last compiled, and what the
//! compile wrote. Stored as `.specls/manifest.json`; SpecSoloist's
//! `build/.specsoloist-manifest.json` is read into the same model ([`specsoloist`]).
//!
//! Everything here is pure: the edge reads and writes the files (atomically), hashes the output
//! files and supplies the clock. The compiler calls [`record`] after writing a spec's outputs
//! and stores the entry with [`Manifest::insert`] + [`Manifest::to_json`]; [`needs_compile`] and
//! [`compile_order`] decide what to compile and in which order; [`crate::drift`] compares a
//! manifest with the workspace.
//!
//! ```json
//! {
//!   "version": 1,
//!   "specs": {
//!     "score/todo.spec.md": {
//!       "name": "todo",
//!       "spec_hash": "9f86d0…",                      // SHA-256 of the full spec text
//!       "scenarios": { "todo/add-an-item": "2c26b4…" },
//!       "requirements": { "FR-01": "fcde2b…" },
//!       "dependencies": [ { "name": "todo_item", "path": "score/todo_item.spec.md", "hash": "…" } ],
//!       "outputs": [ { "path": "src/todo.py", "hash": "…" } ],
//!       "backend": "openai", "model": "qwen2.5-coder",
//!       "compiled_at": "2026-11-21T12:00:00Z", "duration_ms": 5400,
//!       "tokens_in": 1200, "tokens_out": 800
//!     }
//!   }
//! }
//! ```
//!
//! Hashes are lower-case hex SHA-256. `spec_hash` is the hash of the spec's full text as UTF-8,
//! exactly what SpecSoloist stores (`compute_content_hash(spec.content)`), so both manifests
//! agree on when a spec changed. Scenario and requirement hashes cover their text with layout
//! ignored (see [`item_hash`]), keyed by their stable ids.

pub mod order;
pub mod specsoloist;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checks::dependencies::SpecIndex;
use crate::model::{DocKind, Document};
use crate::span::Span;
use crate::workspace::Workspace;

pub use order::{compile_order, needs_compile, CompileOrder, Reason};

/// Where specls keeps its manifest, relative to the workspace root.
pub const MANIFEST_PATH: &str = ".specls/manifest.json";

/// The schema version this build of specls reads and writes.
pub const MANIFEST_VERSION: u64 = 1;

/// The whole manifest: one entry per compiled spec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Schema version ([`MANIFEST_VERSION`]).
    pub version: u64,
    /// Keyed by the spec's workspace-relative path (`/` separators).
    #[serde(default)]
    pub specs: BTreeMap<String, SpecEntry>,
}

/// Which tool wrote an entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `.specls/manifest.json`, written by `specls compile` or the editor.
    #[default]
    Specls,
    /// SpecSoloist's `.specsoloist-manifest.json`: no per-scenario or per-file hashes, so only
    /// whole-spec changes and missing files can be told.
    Specsoloist,
}

impl Origin {
    fn is_specls(&self) -> bool {
        *self == Origin::Specls
    }
}

/// One spec as it was at its last compile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecEntry {
    /// The spec's name at compile time.
    #[serde(default)]
    pub name: String,
    /// SHA-256 of the full spec text ([`spec_hash`]).
    pub spec_hash: String,
    /// Scenario id -> [`item_hash`] of the scenario. Empty for SpecSoloist entries.
    #[serde(default)]
    pub scenarios: BTreeMap<String, String>,
    /// Requirement id -> [`item_hash`] of the requirement. Empty for SpecSoloist entries.
    #[serde(default)]
    pub requirements: BTreeMap<String, String>,
    /// The dependencies the spec declared, with the hash each had at compile time.
    #[serde(default)]
    pub dependencies: Vec<DependencyEntry>,
    /// Every file the compile wrote (or, for agent CLIs, changed in the output paths).
    #[serde(default)]
    pub outputs: Vec<OutputFile>,
    /// `openai`, `anthropic`, `command`, or `specsoloist` for imported entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// When the compile finished, RFC 3339 UTC ([`rfc3339_utc`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiled_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_out: Option<u64>,
    /// Which manifest the entry came from (not written for specls entries).
    #[serde(default, skip_serializing_if = "Origin::is_specls")]
    pub origin: Origin,
}

/// A dependency as it was when the depending spec was compiled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyEntry {
    /// The name as the spec wrote it.
    pub name: String,
    /// The spec it resolved to, if it resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// That spec's [`spec_hash`] at compile time (None when unresolved, or not recorded, as in
    /// SpecSoloist manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// A generated file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Workspace-relative path, `/` separators.
    pub path: String,
    /// SHA-256 of the bytes written ([`sha256_hex`]); None when not recorded (SpecSoloist), in
    /// which case only a missing file can be told, not a hand edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// What the compiler knows about one compile, besides the spec and the files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompileMeta {
    pub backend: Option<String>,
    pub model: Option<String>,
    /// RFC 3339 UTC; see [`rfc3339_utc`].
    pub compiled_at: Option<String>,
    pub duration_ms: Option<u64>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

/// Why a manifest could not be used. The front ends show the message and carry on as if there
/// were no manifest (every spec "never compiled"); they never overwrite a corrupt or newer file
/// without saying so.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("corrupt manifest{}: {message}", at_line(*line, *column))]
    Corrupt {
        message: String,
        /// 1-based line and column of the problem, when the JSON reader knows it.
        line: Option<usize>,
        column: Option<usize>,
    },
    /// A schema version this build does not read (written by a newer specls, or not a specls
    /// manifest at all).
    #[error("manifest version {found} is not supported (this specls reads version {supported}); it was written by a newer specls or another tool")]
    UnsupportedVersion { found: String, supported: u64 },
}

fn at_line(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        _ => String::new(),
    }
}

fn corrupt(e: serde_json::Error) -> ManifestError {
    let located = e.line() > 0;
    ManifestError::Corrupt {
        message: strip_location(&e.to_string()),
        line: located.then(|| e.line()),
        column: located.then(|| e.column()),
    }
}

/// serde_json appends " at line L column C" to its messages; the error carries them separately.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

impl Manifest {
    /// An empty manifest of the current version.
    pub fn new() -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            specs: BTreeMap::new(),
        }
    }

    /// Read `.specls/manifest.json` text. Unknown fields are ignored (a newer specls of the same
    /// version may add some); a missing or different `version`, or text that is not a manifest,
    /// is an error.
    pub fn from_json(text: &str) -> Result<Manifest, ManifestError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(corrupt)?;
        let Some(obj) = value.as_object() else {
            return Err(ManifestError::Corrupt {
                message: "expected a JSON object with `version` and `specs`".into(),
                line: None,
                column: None,
            });
        };
        match obj.get("version") {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(MANIFEST_VERSION) => {}
            Some(v) => {
                return Err(ManifestError::UnsupportedVersion {
                    found: v.to_string(),
                    supported: MANIFEST_VERSION,
                })
            }
            None => {
                return Err(ManifestError::Corrupt {
                    message: "no `version` field".into(),
                    line: None,
                    column: None,
                })
            }
        }
        serde_json::from_value(value).map_err(|e| ManifestError::Corrupt {
            message: e.to_string(),
            line: None,
            column: None,
        })
    }

    /// Pretty JSON with a final newline, keys in a stable order (write it with the edge's atomic
    /// write).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    pub fn get(&self, spec_path: &str) -> Option<&SpecEntry> {
        self.specs.get(spec_path)
    }

    /// Store (or replace) the entry of a spec, as returned by [`record`].
    pub fn insert(&mut self, spec_path: impl Into<String>, entry: SpecEntry) {
        self.specs.insert(spec_path.into(), entry);
    }

    /// Add the entries of `other` for specs this manifest does not have (specls entries win
    /// over imported SpecSoloist ones).
    pub fn merge_missing(&mut self, other: Manifest) {
        for (k, v) in other.specs {
            self.specs.entry(k).or_insert(v);
        }
    }

    /// Every output path the manifest names, sorted and unique: the files the edge must hash
    /// for [`crate::drift::drift`].
    pub fn output_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .specs
            .values()
            .flat_map(|e| e.outputs.iter().map(|o| o.path.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Lower-case hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(char::from_digit((b >> 4) as u32, 16).unwrap_or('0'));
        s.push(char::from_digit((b & 15) as u32, 16).unwrap_or('0'));
    }
    s
}

/// The hash of a spec's full text: SHA-256 of its UTF-8 bytes (SpecSoloist's `spec_hash`).
pub fn spec_hash(text: &str) -> String {
    sha256_hex(text.as_bytes())
}

/// The hash of one scenario or requirement: SHA-256 of its source text with every line trimmed
/// and blank lines dropped, so re-indenting or re-wrapping blank lines is not a change but any
/// change of words, steps, tags or values is.
pub fn item_hash(text: &str, span: Span) -> String {
    let slice = span.slice(text);
    let mut norm = String::with_capacity(slice.len());
    for line in slice.lines() {
        let t = line.trim();
        if !t.is_empty() {
            norm.push_str(t);
            norm.push('\n');
        }
    }
    sha256_hex(norm.as_bytes())
}

/// Scenario id -> hash for a document. A repeated id (reported by `duplicate-scenario-id`) gets
/// `#2`, `#3`... in document order, so no scenario is lost.
pub fn scenario_hashes(doc: &Document, text: &str) -> BTreeMap<String, String> {
    keyed(
        doc.scenarios
            .iter()
            .map(|s| (s.id.clone(), item_hash(text, s.span))),
    )
}

/// Requirement id -> hash for a document (repeated ids as in [`scenario_hashes`]).
pub fn requirement_hashes(doc: &Document, text: &str) -> BTreeMap<String, String> {
    keyed(
        doc.requirements
            .iter()
            .map(|r| (r.id.clone(), item_hash(text, r.span))),
    )
}

/// The map keys of items in document order: the id, or `id#n` for the n-th repeat.
pub fn item_keys<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    ids.map(|id| {
        let n = seen.entry(id).or_insert(0);
        *n += 1;
        if *n == 1 {
            id.to_string()
        } else {
            format!("{id}#{n}")
        }
    })
    .collect()
}

fn keyed(items: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    let items: Vec<(String, String)> = items.collect();
    item_keys(items.iter().map(|(id, _)| id.as_str()))
        .into_iter()
        .zip(items.into_iter().map(|(_, h)| h))
        .collect()
}

/// True for the documents that can be compiled or depended on: Markdown and YAML specs.
pub fn is_spec(doc: &Document) -> bool {
    matches!(doc.kind, Some(DocKind::MarkdownSpec | DocKind::YamlSpec))
}

/// A resolver over every spec of the workspace (arrangements and blueprints excluded).
pub fn spec_index(ws: &Workspace) -> SpecIndex<'_> {
    SpecIndex::new(ws.docs().filter(|d| is_spec(d)).collect())
}

/// The dependencies of `doc` as they are now: each name with the spec it resolves to and that
/// spec's current hash. Unresolved names (reported by `unknown-dependency`) have no path.
pub fn current_dependencies(
    ws: &Workspace,
    index: &SpecIndex,
    doc: &Document,
) -> Vec<DependencyEntry> {
    let mut out: Vec<DependencyEntry> = Vec::new();
    for d in &doc.dependencies {
        let target = index.resolve(&doc.path, d).filter(|t| t.path != doc.path);
        let entry = DependencyEntry {
            name: d.name.clone(),
            path: target.map(|t| t.path.clone()),
            hash: target
                .and_then(|t| ws.get(&t.path))
                .map(|f| spec_hash(&f.text)),
        };
        if !out
            .iter()
            .any(|e| e.name == entry.name && e.path == entry.path)
        {
            out.push(entry);
        }
    }
    out
}

/// Build the manifest entry for a compile of `spec_path` that just finished: hashes of the
/// spec's current text, scenarios and requirements, its dependencies with their current hashes,
/// the output files as given (workspace-relative path, [`sha256_hex`] of the bytes written) and
/// the compile's metadata. None when `spec_path` is not a spec of the workspace.
///
/// Call it with the workspace snapshot the compile started from, so that an edit made while the
/// model was answering shows as drift afterwards instead of being recorded as compiled.
pub fn record(
    ws: &Workspace,
    spec_path: &str,
    outputs: &[(String, String)],
    meta: &CompileMeta,
) -> Option<SpecEntry> {
    let file = ws.get(spec_path)?;
    let doc = file.doc.as_ref();
    if !is_spec(doc) {
        return None;
    }
    let index = spec_index(ws);
    let mut outs: Vec<OutputFile> = outputs
        .iter()
        .map(|(p, h)| OutputFile {
            path: p.replace('\\', "/"),
            hash: Some(h.clone()),
        })
        .collect();
    outs.sort_by(|a, b| a.path.cmp(&b.path));
    outs.dedup_by(|a, b| a.path == b.path);
    Some(SpecEntry {
        name: doc.name.clone(),
        spec_hash: spec_hash(&file.text),
        scenarios: scenario_hashes(doc, &file.text),
        requirements: requirement_hashes(doc, &file.text),
        dependencies: current_dependencies(ws, &index, doc),
        outputs: outs,
        backend: meta.backend.clone(),
        model: meta.model.clone(),
        compiled_at: meta.compiled_at.clone(),
        duration_ms: meta.duration_ms,
        tokens_in: meta.tokens_in,
        tokens_out: meta.tokens_out,
        origin: Origin::Specls,
    })
}

/// The arrangement that governs a spec: an arrangement document in the spec's folder or a
/// folder above it, whose `specs_path` (when set, relative to the arrangement's folder)
/// contains the spec. The nearest one wins; among arrangements of one folder, the first by
/// path. None when no arrangement applies: such specs are not meant to be compiled by specls.
pub fn arrangement_for<'a>(ws: &'a Workspace, spec_path: &str) -> Option<&'a Document> {
    arrangement_among(ws.docs(), spec_path)
}

/// The arrangements of a workspace (its documents that are arrangements), for
/// [`arrangement_among`]: looking a spec's arrangement up among them rather than among every
/// document (drift does it for every spec).
pub fn arrangements(ws: &Workspace) -> Vec<&Document> {
    ws.docs()
        .filter(|d| d.arrangement.is_some() && d.kind == Some(DocKind::Arrangement))
        .collect()
}

/// [`arrangement_for`] among these documents (every document of the workspace, or its
/// [`arrangements`]).
pub fn arrangement_among<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    spec_path: &str,
) -> Option<&'a Document> {
    let mut best: Option<(usize, &Document)> = None;
    for doc in docs {
        let Some(arr) = doc.arrangement.as_ref() else {
            continue;
        };
        if doc.kind != Some(DocKind::Arrangement) {
            continue;
        }
        let dir = dir_of(&doc.path);
        if !under(spec_path, dir) {
            continue;
        }
        if let Some(sp) = arr.specs_path.as_deref().filter(|s| !s.trim().is_empty()) {
            match crate::checks::dependencies::normalize_path(dir, sp.trim()) {
                Some(specs_dir) if under(spec_path, &specs_dir) => {}
                _ => continue,
            }
        }
        let depth = if dir.is_empty() {
            0
        } else {
            dir.split('/').count()
        };
        if best.is_none_or(|(d, b)| depth > d || (depth == d && doc.path < b.path)) {
            best = Some((depth, doc));
        }
    }
    best.map(|(_, d)| d)
}

/// The output paths an arrangement plans for a spec, workspace-relative: `(key, path)` for
/// `implementation` and `tests` (or the spec's `overrides`), with `{name}` replaced by the
/// spec's name. Paths that would leave the workspace are left out (`path-outside-workspace`
/// reports them).
pub fn planned_outputs(arrangement: &Document, spec: &Document) -> Vec<(String, String)> {
    let Some(arr) = arrangement.arrangement.as_ref() else {
        return Vec::new();
    };
    // The same files a compile writes (one definition of the templates and of `{name}`).
    let Ok(targets) = crate::compile::targets::targets(&arrangement.path, arr, spec) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in ["implementation", "tests"] {
        if let Some((p, _)) = targets.files.iter().find(|(_, k)| k == key) {
            out.push((key.to_string(), p.clone()));
        }
    }
    out
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// True when `path` lies in folder `dir` (or below); the empty folder is the root.
fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2026-11-21T12:00:00Z`), for
/// [`CompileMeta::compiled_at`]; the clock itself is read at the edge.
pub fn rfc3339_utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests;
