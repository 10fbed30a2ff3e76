//! The last run, kept under `.specls/results/`: the raw report the runner wrote (or its output,
//! for runners that report on standard output) and `last-run.json` with what was run and what
//! each scenario gave. Written atomically; read back with [`load_results`], which never
//! panics on a damaged or foreign file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specls_core::testlinks::plan::{CommandSource, Runner, Selection};
use specls_core::testlinks::results::{self, Format, ParseError, Results};

use super::process::Exit;
use crate::fsutil;

/// `last-run.json`'s format version; a file of another version is reported, not read.
pub const VERSION: u32 = 1;
/// Folder of the results under the state folder.
pub const RESULTS_DIR: &str = "results";
pub const LAST_RUN: &str = "last-run.json";
/// Largest report file read (bigger ones are cut, with a parse error saying so).
pub const MAX_REPORT: u64 = 64 * 1024 * 1024;

/// `.specls/results` of a workspace (created, with the state folder's `.gitignore`).
pub fn results_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = fsutil::state_dir(root)?.join(RESULTS_DIR);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// What the last run of a scenario gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    /// Every result of its tests was a skip.
    Skipped,
    /// It has linked tests, but the run gave no result for them.
    NotRun,
    /// No test is linked to it.
    Untested,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::NotRun => "not run",
            Outcome::Untested => "untested",
        }
    }
}

/// A test's place, for "go to the failing test".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestPlace {
    pub path: String,
    /// 1-based line of the test's name.
    pub line: u32,
    pub name: String,
}

/// One scenario's result in `last-run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// The spec's workspace-relative path.
    pub path: String,
    pub id: String,
    pub name: String,
    /// 1-based line of the scenario's name when the run was made.
    pub line: u32,
    pub outcome: Outcome,
    /// Linked tests (untested: 0).
    pub linked_tests: usize,
    /// Results counted: passed results for a pass, all results for a failure.
    pub tests: usize,
    #[serde(default)]
    pub failed: usize,
    #[serde(default)]
    pub skipped: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// First line of the first failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The test that failed first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_test: Option<TestPlace>,
    /// Output excerpt of the first failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// When the run that gave this result started (RFC 3339, UTC). Results of scenarios a
    /// later run did not select are kept with their own time.
    pub run_at: String,
}

/// Totals over the report's results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub results: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errors: usize,
    /// Results that matched no indexed test.
    pub unmatched: usize,
}

/// `last-run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    pub version: u32,
    pub runner: Runner,
    pub source: CommandSource,
    /// Exactly what was run.
    pub argv: Vec<String>,
    /// Variables added to the environment.
    #[serde(default)]
    pub env: Vec<(String, String)>,
    pub cwd: String,
    pub selection: Selection,
    /// True when only the selected scenarios' tests ran.
    pub filtered: bool,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    pub exit: Exit,
    /// The stored raw report, relative to `.specls/results/` (None when there was none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_format: Option<Format>,
    /// Problems reading the report (what was readable is in the results).
    #[serde(default)]
    pub report_errors: Vec<String>,
    pub totals: Totals,
    /// The runner's output (standard output and error, merged), capped: start and end kept.
    pub output_excerpt: String,
    /// Bytes of output not kept in the excerpt.
    pub output_left_out: u64,
    /// Every scenario with a result: this run's selection, plus earlier results of the others.
    pub scenarios: Vec<ScenarioResult>,
}

impl LastRun {
    /// The stored raw report, parsed again (for per-test detail).
    pub fn read_report(&self, root: &Path) -> Result<Results, LoadError> {
        let Some(name) = &self.report else {
            return Err(LoadError::NoReport);
        };
        let path = root.join(fsutil::STATE_DIR).join(RESULTS_DIR).join(name);
        let text = read_capped(&path).map_err(|e| LoadError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(match self.report_format {
            Some(f) => results::parse_as(&text, f),
            None => results::parse(&text),
        })
    }

    /// The results this run gave (the others are earlier runs' results it kept).
    pub fn own_results(&self) -> impl Iterator<Item = &ScenarioResult> {
        self.scenarios
            .iter()
            .filter(move |s| s.run_at == self.started_at)
    }

    /// This run's result for a scenario.
    pub fn scenario(&self, path: &str, id: &str) -> Option<&ScenarioResult> {
        self.scenarios.iter().find(|s| s.path == path && s.id == id)
    }
}

/// Why the stored results could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{} is damaged and was not read ({message}); run the tests again to replace it", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("{} was written by another version of specls (format {found}, this one reads {VERSION}); run the tests again to replace it", path.display())]
    OtherVersion { path: PathBuf, found: u64 },
    #[error("the last run kept no report")]
    NoReport,
}

/// Read a file as text, at most [`MAX_REPORT`] bytes (invalid UTF-8 replaced).
pub fn read_capped(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_REPORT).read_to_end(&mut bytes)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// The last run of the workspace at `root`: `Ok(None)` when there is none yet.
pub fn load_results(root: &Path) -> Result<Option<LastRun>, LoadError> {
    let path = root
        .join(fsutil::STATE_DIR)
        .join(RESULTS_DIR)
        .join(LAST_RUN);
    let text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LoadError::Io {
                path,
                message: e.to_string(),
            })
        }
    };
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| LoadError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(found) => return Err(LoadError::OtherVersion { path, found }),
        None => {
            return Err(LoadError::Corrupt {
                path,
                message: "no `version`".to_string(),
            })
        }
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| LoadError::Corrupt {
            path,
            message: e.to_string(),
        })
}

/// Write `last-run.json` (atomically).
pub fn save(root: &Path, run: &LastRun) -> std::io::Result<PathBuf> {
    let path = results_dir(root)?.join(LAST_RUN);
    let json = serde_json::to_vec_pretty(run).map_err(std::io::Error::other)?;
    fsutil::write_atomic(&path, &json)?;
    Ok(path)
}

/// Report problems as lines (`line 12: message`).
pub fn describe_errors(errors: &[ParseError]) -> Vec<String> {
    errors
        .iter()
        .map(|e| format!("line {}: {}", e.line, e.message))
        .collect()
}

/// Now as RFC 3339 UTC with microseconds (`2026-11-21T12:00:00.123456Z`), without a date
/// library. A run's start time tells its own results from those it kept
/// ([`LastRun::own_results`]), so two runs in the same second must not share it.
pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339_micros(d.as_secs(), d.subsec_micros())
}

/// RFC 3339 UTC text of a time since the epoch, with microseconds.
pub fn rfc3339_micros(secs: u64, micros: u32) -> String {
    let whole = rfc3339(secs);
    format!("{}.{micros:06}Z", whole.trim_end_matches('Z'))
}

/// RFC 3339 UTC text of seconds since the epoch (one date algorithm for the whole project).
pub fn rfc3339(secs: u64) -> String {
    specls_core::manifest::rfc3339_utc(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_262_400), "2026-11-21T12:00:00Z");
        assert_eq!(
            rfc3339_micros(1_795_262_400, 42),
            "2026-11-21T12:00:00.000042Z"
        );
    }

    #[test]
    fn damaged_and_foreign_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_results(dir.path()).unwrap().is_none());
        let results = results_dir(dir.path()).unwrap();
        let file = results.join(LAST_RUN);
        std::fs::write(&file, "{\"version\": 1, \"runner\": ").unwrap();
        let e = load_results(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("is damaged") && e.contains("run the tests again"),
            "{e}"
        );
        std::fs::write(&file, "{\"version\": 7}").unwrap();
        let e = load_results(dir.path()).unwrap_err().to_string();
        assert!(e.contains("another version of specls (format 7"), "{e}");
        std::fs::write(&file, "{\"version\": 1, \"runner\": \"pytest\"}").unwrap();
        let e = load_results(dir.path()).unwrap_err().to_string();
        assert!(e.contains("missing field"), "{e}");
        std::fs::write(&file, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(
            load_results(dir.path()),
            Err(LoadError::Corrupt { .. })
        ));
    }
}
