//! Reading the workspace from disk: the initial index (in parallel) and, for clients that cannot
//! watch files, a modification-time poller.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tracing::info;

use specls_core::config::Config;

use super::paths::Roots;
use super::settings::{Layers, TomlFile};
use super::state::{
    load_file, load_test_file_if, maybe_spec, maybe_test, read_toml, Loaded, LoadedTests,
};
use super::testing;

pub use specls_core::config::CONFIG_FILE;

/// Files under the workspace folders that may be specs (by extension, not excluded), honouring
/// ignore files.
pub fn candidates(roots: &Roots, config: &Config) -> Vec<PathBuf> {
    all_candidates(roots, config).0
}

/// Spec candidates and files in a test language (not yet filtered by the test-file matcher),
/// from one walk.
pub fn all_candidates(roots: &Roots, config: &Config) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (files, errors) = crate::files::walk_with(&roots.folders, roots.base.as_deref(), config);
    for (path, e) in errors {
        tracing::info!("while reading the workspace, {path}: {e}");
    }
    let (mut specs, mut tests) = (Vec::new(), Vec::new());
    for p in files {
        if config.is_excluded(&roots.key_for_path(&p)) {
            continue;
        }
        if maybe_spec(&p) {
            specs.push(p);
        } else if maybe_test(&p) {
            tests.push(p);
        }
    }
    (specs, tests)
}

/// Read and index the test files among `paths` (those the matcher built from the loaded specs'
/// arrangements and the settings accepts, and sources whose text links to scenarios or holds
/// Rust tests), on all cores.
pub fn load_tests(
    roots: &Roots,
    paths: &[PathBuf],
    files: &Loaded,
    config: &Config,
) -> LoadedTests {
    let arrangements: Vec<&specls_core::model::Arrangement> = files
        .iter()
        .filter_map(|(_, f)| f.as_ref()?.doc.arrangement.as_ref())
        .collect();
    let matcher = specls_core::testlinks::TestFileMatcher::new(config, &arrangements);
    // Files the rules name are test files; the others are when their text says so (an `@spec`
    // marker, Rust tests beside the code), which is checked before they are indexed.
    let keep: Vec<(String, &PathBuf)> = paths.iter().map(|p| (roots.key_for_path(p), p)).collect();
    specls_core::par::map(&keep, |(k, p)| {
        let f = std::panic::catch_unwind(|| {
            load_test_file_if(k, p, |text| matcher.language_of(k, text).is_some())
        })
        .unwrap_or(None);
        (k.clone(), f)
    })
}

/// Read and parse `paths` on all cores (in small chunks taken in turn: the thread that shares
/// its core with the decoding of the client's messages does less, and none waits for it).
pub fn load_all(roots: &Roots, paths: &[PathBuf], config: &Config) -> Loaded {
    specls_core::par::map(paths, |p| {
        let key = roots.key_for_path(p);
        let file = std::panic::catch_unwind(|| load_file(&key, p, config)).unwrap_or(None);
        (key, file)
    })
}

/// The workspace's `specls.toml` (at the base folder, else the first folder that has one).
pub fn config_path(roots: &Roots) -> Option<PathBuf> {
    roots
        .base
        .iter()
        .chain(roots.folders.iter())
        .map(|f| f.join(CONFIG_FILE))
        .find(|p| p.is_file())
}

pub struct Index {
    pub files: Loaded,
    pub tests: LoadedTests,
    pub toml: Option<TomlFile>,
    pub candidates: usize,
}

/// Index everything with the settings `layers` give once `specls.toml` is read from disk;
/// `on_count` is told how many candidate files there are before parsing starts.
pub fn index(roots: &Roots, mut layers: Layers, on_count: impl FnOnce(usize)) -> Index {
    let started = Instant::now();
    let toml = config_path(roots).and_then(|p| read_toml(roots, &p));
    layers.toml = toml.clone();
    let (settings, _) = layers.settings();
    let config = settings.config;
    let (paths, test_paths) = all_candidates(roots, &config);
    on_count(paths.len());
    let files = load_all(roots, &paths, &config);
    let tests = load_tests(roots, &test_paths, &files, &config);
    let specs = files.iter().filter(|(_, f)| f.is_some()).count();
    info!(
        "indexed {specs} specs out of {} candidate files in {:?}",
        paths.len(),
        started.elapsed()
    );
    Index {
        files,
        tests,
        toml,
        candidates: paths.len(),
    }
}

/// Modification times of candidate files (and `specls.toml`), to find what changed on disk.
#[derive(Default)]
pub struct Poller {
    seen: HashMap<PathBuf, (Option<SystemTime>, u64)>,
}

fn stamp(p: &Path) -> Option<(Option<SystemTime>, u64)> {
    let m = std::fs::metadata(p).ok()?;
    Some((m.modified().ok(), m.len()))
}

impl Poller {
    /// Scan the disk; returns the files created, modified or deleted since the last scan
    /// (everything on the first scan).
    /// `extra`: more files to watch (the manifests and generated files drift reads).
    pub fn scan(&mut self, roots: &Arc<Roots>, config: &Config, extra: &[PathBuf]) -> Vec<PathBuf> {
        let mut now: HashMap<PathBuf, (Option<SystemTime>, u64)> = HashMap::new();
        let (mut paths, tests) = all_candidates(roots, config);
        paths.extend(tests);
        paths.extend(extra.iter().cloned());
        if let Some(c) = config_path(roots) {
            paths.push(c);
        }
        paths.extend(testing::result_paths(roots, config));
        paths.extend(testing::measurement_paths(roots, config));
        for p in paths {
            if let Some(s) = stamp(&p) {
                now.insert(p, s);
            }
        }
        let mut changed: Vec<PathBuf> = now
            .iter()
            .filter(|(p, s)| self.seen.get(*p) != Some(s))
            .map(|(p, _)| p.clone())
            .collect();
        changed.extend(self.seen.keys().filter(|p| !now.contains_key(*p)).cloned());
        changed.sort();
        self.seen = now;
        changed
    }
}
