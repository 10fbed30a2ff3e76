//! `specls check`: every diagnostic of a set of specs, for people (rustc-style), for programs
//! (JSON, see `docs/check-output.md`) and for code-scanning tools (SARIF 2.1.0).
//!
//! Exit status: 0 when nothing is at or above the `--deny` level, 1 when something is, 2 on a
//! usage or I/O error (a path that does not exist, a file that cannot be read).

mod human;
mod json;
mod sarif;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use specls_core::config::{Config, CONFIG_FILE};
use specls_core::diag::{Diagnostic, Severity};
use specls_core::span::{LineIndex, Span};
use specls_core::testlinks;
use specls_core::workspace::Workspace;

use crate::files;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// rustc-style messages with the source line.
    Human,
    /// Stable JSON (schema in docs/check-output.md).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// The lowest severity that makes `specls check` fail (exit 1).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deny {
    #[value(alias = "error")]
    Errors,
    #[value(alias = "warning")]
    Warnings,
    #[value(alias = "info", alias = "infos")]
    Information,
    #[value(alias = "hint")]
    Hints,
    /// Never fail because of findings (I/O errors still exit 2).
    None,
}

impl Deny {
    fn threshold(self) -> Option<Severity> {
        match self {
            Deny::Errors => Some(Severity::Error),
            Deny::Warnings => Some(Severity::Warning),
            Deny::Information => Some(Severity::Information),
            Deny::Hints => Some(Severity::Hint),
            Deny::None => None,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder). Folders are walked honouring
    /// `.gitignore`.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on findings at or above this severity.
    #[arg(long, value_enum, default_value_t = Deny::Errors)]
    pub deny: Deny,
    /// Configuration file (default: `specls.toml` in the current folder or the nearest folder
    /// above the first PATH that has one). Its folder is the workspace root.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also report drift between specs and generated code since the last compile (from
    /// `.specls/manifest.json` and SpecSoloist's `build/.specsoloist-manifest.json`): changed
    /// specs, scenarios and requirements, hand-edited or missing generated files, changed
    /// dependencies, never-compiled specs.
    #[arg(long)]
    pub drift: bool,
}

/// A file's text and line index, for positions and source lines.
pub(crate) struct Source {
    pub text: Arc<str>,
    pub index: LineIndex,
}

impl Source {
    fn new(text: Arc<str>) -> Source {
        let index = LineIndex::new(&text);
        Source { text, index }
    }

    /// The largest char boundary at or before `offset` (clamped to the text).
    fn floor(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    /// 1-based line and 1-based column counted in Unicode scalar values.
    pub fn position(&self, offset: usize) -> Position {
        let o = self.floor(offset);
        let lc = self.index.line_col(o);
        let start = self.index.line_start(lc.line as usize).unwrap_or(0);
        Position {
            line: lc.line as usize + 1,
            column: self.text[start..o].chars().count() + 1,
        }
    }

    /// The span clamped to the text and to char boundaries.
    pub fn clamp(&self, span: Span) -> Span {
        let start = self.floor(span.start);
        let end = self.floor(span.end.max(span.start)).max(start);
        Span::new(start, end)
    }

    /// The text of 1-based line `line`, without its terminator.
    pub fn line_text(&self, line: usize) -> &str {
        self.index
            .line_span(&self.text, line.saturating_sub(1))
            .map(|s| s.slice(&self.text))
            .unwrap_or("")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

/// A place in a file, resolved for output.
pub(crate) struct Location {
    /// Path to show: relative to the current folder when under it, `/` separators.
    pub path: String,
    pub span: Span,
    pub start: Position,
    pub end: Position,
    /// The file's text (None when the file could not be read, e.g. a related location in a
    /// file that is not part of the check).
    pub source: Option<Arc<Source>>,
}

pub(crate) struct RelatedOut {
    pub location: Option<Location>,
    pub path: String,
    pub message: String,
}

pub(crate) struct EditOut {
    pub path: String,
    pub location: Option<Location>,
    pub new_text: String,
}

pub(crate) struct FixOut {
    pub title: String,
    pub edits: Vec<EditOut>,
}

/// One finding, resolved for output.
pub(crate) struct Finding {
    pub location: Location,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub related: Vec<RelatedOut>,
    pub fixes: Vec<FixOut>,
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub information: usize,
    pub hints: usize,
    /// Spec files checked.
    pub files: usize,
    pub files_with_diagnostics: usize,
    pub scenarios: usize,
}

/// Everything a renderer needs.
pub(crate) struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// I/O errors: (path, message).
    pub errors: Vec<(String, String)>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!("cannot read the current folder: {e}"))?;
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        vec![cwd.clone()]
    } else {
        args.paths
            .iter()
            .map(|p| files::absolute(&cwd, p))
            .collect()
    };
    let missing: Vec<String> = args
        .paths
        .iter()
        .zip(&paths)
        .filter(|(_, abs)| !abs.exists())
        .map(|(given, _)| given.display().to_string())
        .collect();
    if !missing.is_empty() {
        anyhow::bail!("no such file or folder: {}", missing.join(", "));
    }

    // Configuration and workspace root.
    let config_path = match &args.config {
        Some(p) => {
            let abs = files::absolute(&cwd, p);
            if !abs.is_file() {
                anyhow::bail!("configuration file not found: {}", p.display());
            }
            Some(abs)
        }
        None => find_config(&cwd, &paths[0]),
    };
    let root = config_path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| cwd.clone());
    // Folders under PATH with a `specls.toml` of their own are workspaces of their own (an
    // example project inside a repository, a monorepo's packages): each is checked with its own
    // configuration, and only with its own files and tests.
    let nested = if args.config.is_none() {
        let root_config = config_path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .map(|b| Config::from_toml(&String::from_utf8_lossy(&b)).0)
            .unwrap_or_default();
        nested_roots(&paths, &root, &root_config)
    } else {
        Vec::new()
    };
    let mut report = check_root(
        &cwd,
        &root,
        config_path.as_deref(),
        &paths,
        &nested,
        args.drift,
    )?;
    for sub in &nested {
        let sub_paths: Vec<PathBuf> = paths
            .iter()
            .filter_map(|p| {
                if p.starts_with(sub) {
                    Some(p.clone())
                } else if sub.starts_with(p) {
                    Some(sub.clone())
                } else {
                    None
                }
            })
            .collect();
        let inner: Vec<PathBuf> = nested
            .iter()
            .filter(|n| *n != sub && n.starts_with(sub))
            .cloned()
            .collect();
        let r = check_root(
            &cwd,
            sub,
            Some(&sub.join(CONFIG_FILE)),
            &sub_paths,
            &inner,
            args.drift,
        )?;
        report.findings.extend(r.findings);
        report.errors.extend(r.errors);
        let (a, b) = (&mut report.summary, r.summary);
        a.errors += b.errors;
        a.warnings += b.warnings;
        a.information += b.information;
        a.hints += b.hints;
        a.files += b.files;
        a.files_with_diagnostics += b.files_with_diagnostics;
        a.scenarios += b.scenarios;
    }

    let out = match args.format {
        Format::Human => human::render(&report, human::use_color()),
        Format::Json => json::render(&report),
        Format::Sarif => sarif::render(&report),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            anyhow::bail!("cannot write the output: {e}");
        }
    }
    drop(stdout);

    for (path, message) in &report.errors {
        eprintln!("error: cannot read {path}: {message}");
    }
    if !report.errors.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let failing = args.deny.threshold().is_some_and(|t| {
        report
            .findings
            .iter()
            .any(|f| f.severity.rank() >= t.rank())
    });
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Check one workspace: `root` with its configuration (if any), reporting the files under
/// `paths`; folders in `nested` (workspaces of their own) are left out.
fn check_root(
    cwd: &Path,
    root: &Path,
    config_path: Option<&Path>,
    paths: &[PathBuf],
    nested: &[PathBuf],
    with_drift: bool,
) -> anyhow::Result<Report> {
    let paths = paths.to_vec();
    let mut config = Config::default();
    let mut config_diags = Vec::new();
    let mut config_source = None;
    if let Some(path) = config_path {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (c, issues) = Config::from_toml(&text);
        config = c;
        config_diags = issues
            .iter()
            .filter_map(|i| config.apply(i.to_diagnostic()))
            .collect();
        config_source = Some((path.to_path_buf(), Arc::new(Source::new(text.into()))));
    }
    for n in nested {
        if let Ok(rel) = n.strip_prefix(root) {
            config
                .exclude
                .push(format!("{}/", files::rel_path(Path::new(""), rel)));
        }
    }
    tracing::debug!(root = %root.display(), config = ?config_path, "specls check");

    // A workspace marked by a `specls.toml` is read whole, so that cross-file checks
    // (dependencies, duplicates across specs) see every spec; only the files under PATH are
    // reported. Without one, only the files under PATH are read.
    let mut load_paths = paths.clone();
    // Drift needs every spec and arrangement of the workspace too (dependencies, which
    // arrangement governs a spec), even without a `specls.toml`.
    if (config_path.is_some() || with_drift) && paths.iter().all(|p| p.starts_with(root)) {
        load_paths.insert(0, root.to_path_buf());
    }
    // One walk for the specs and the tests (its errors are reported once).
    let (walked, walk_errors) = files::walk_with(&load_paths, Some(root), &config);
    let (ws, errors) = files::load_walked(root, &walked, walk_errors, &config);
    let selected = |key: &str| {
        let abs = files::absolute(root, Path::new(key));
        paths.iter().any(|p| abs.starts_with(p))
    };
    // PATH and file lookups for `tool-not-found` / `blueprint-missing-test`: nothing is run.
    let file_root = root.to_path_buf();
    let file_exists = move |p: &str| file_root.join(p).is_file();
    let env = specls_core::checks::Env {
        tool_exists: Some(&tool_on_path),
        file_exists: Some(&file_exists),
    };
    let mut per_file = specls_core::checks::check_workspace_with(&ws, &config, &env);
    // Scenario <-> test links: untested scenarios (nothing is run here).
    let (tests, test_errors) = files::load_tests_walked(root, &walked, &config, &ws);
    let links = testlinks::link::link_with(&ws, &tests, &config);
    let mapping = testlinks::status::map_results(&tests, &[]);
    let statuses = testlinks::status::scenario_status(&ws, &tests, &links, &[], &mapping);
    for (path, diags) in testlinks::status::scenario_diagnostics(&ws, &tests, &statuses, &config) {
        per_file.entry(path).or_default().extend(diags);
    }
    let mut errors = errors;
    errors.extend(test_errors);
    let manifest_problems = if with_drift {
        add_drift(root, &ws, &config, &mut per_file)
    } else {
        Vec::new()
    };
    per_file.retain(|key, _| selected(key));
    // A manifest that cannot be read is reported wherever it is: it hides every spec's drift.
    for (path, d) in manifest_problems {
        per_file.entry(path).or_default().push(d);
    }
    let errors: Vec<(String, String)> = errors.into_iter().filter(|(p, _)| selected(p)).collect();
    let mut report = build_report(
        cwd,
        root,
        &ws,
        per_file,
        config_source.map(|(p, s)| (p, s, config_diags)),
        errors,
    );
    if load_paths.len() != paths.len() {
        let checked: Vec<_> = ws.files.iter().filter(|(k, _)| selected(k)).collect();
        report.summary.files = checked.len();
        report.summary.scenarios = checked.iter().map(|(_, f)| f.doc.scenarios.len()).sum();
    }
    // `specls check` is a process that ends once the report is written: the parsed workspace
    // and the test index are left to the operating system instead of being freed one node
    // at a time (tens of thousands of scenarios: a noticeable part of the run).
    std::mem::forget(ws);
    std::mem::forget(tests);
    std::mem::forget(links);
    Ok(report)
}

/// Add the drift diagnostics of every spec (configured levels and `specls-ignore` markers
/// applied); returns a `manifest-invalid` error for each manifest that cannot be read, with the
/// manifest's path.
fn add_drift(
    root: &Path,
    ws: &Workspace,
    config: &Config,
    per_file: &mut BTreeMap<String, Vec<Diagnostic>>,
) -> Vec<(String, Diagnostic)> {
    let loaded = crate::drift::load_manifest(root, ws);
    let problems = loaded
        .problems
        .iter()
        .filter_map(|p| {
            let d = Diagnostic::new(
                "manifest-invalid",
                crate::drift::problem_span(root, p),
                format!("{}; drift from this manifest is not shown", p.error),
            );
            config.apply(d).map(|d| (p.path.clone(), d))
        })
        .collect();
    let hashes = crate::drift::hash_outputs(root, &loaded.manifest);
    let drift = specls_core::drift::drift(ws, &loaded.manifest, &hashes);
    for (path, diags) in specls_core::drift::diagnostics(ws, &drift) {
        let Some(file) = ws.get(&path) else { continue };
        let diags = specls_core::checks::finish(&file.doc, diags, config);
        per_file.entry(path).or_default().extend(diags);
    }
    problems
}

/// Folders under `paths` (other than `root`) that hold a `specls.toml`: nested workspaces.
/// Folders the root configuration excludes are not searched.
fn nested_roots(paths: &[PathBuf], root: &Path, config: &Config) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = files::walk_with(paths, Some(root), config)
        .0
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n == CONFIG_FILE))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .filter(|d| d != root && d.starts_with(root))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `specls.toml` in the nearest folder at or above `first` (the first PATH, or its folder when
/// it is a file), stopping at the repository root (a folder holding `.git`); else in the
/// current folder.
fn find_config(cwd: &Path, first: &Path) -> Option<PathBuf> {
    let start = if first.is_file() {
        first.parent()?
    } else {
        first
    };
    for dir in start.ancestors() {
        let candidate = dir.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    let candidate = cwd.join(CONFIG_FILE);
    candidate.is_file().then_some(candidate)
}

/// Path to show for an absolute path: relative to the current folder when under it.
fn display_path(cwd: &Path, abs: &Path) -> String {
    match abs.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().replace('\\', "/"),
        _ => abs.to_string_lossy().replace('\\', "/"),
    }
}

/// Texts of the files findings point into: the workspace's, the configuration's, and (for
/// related locations in files outside the check) read from disk once.
struct Sources<'a> {
    cwd: &'a Path,
    root: &'a Path,
    ws: &'a Workspace,
    cache: BTreeMap<String, Option<Arc<Source>>>,
}

impl Sources<'_> {
    fn display(&self, key: &str) -> String {
        display_path(self.cwd, &files::absolute(self.root, Path::new(key)))
    }

    fn get(&mut self, key: &str) -> Option<Arc<Source>> {
        if let Some(s) = self.cache.get(key) {
            return s.clone();
        }
        let source = match self.ws.get(key) {
            Some(f) => Some(Arc::new(Source::new(f.text.clone()))),
            None => std::fs::read(files::absolute(self.root, Path::new(key)))
                .ok()
                .filter(|b| b.len() <= specls_core::limits::MAX_FILE_BYTES)
                .map(|b| Arc::new(Source::new(String::from_utf8_lossy(&b).into()))),
        };
        self.cache.insert(key.to_string(), source.clone());
        source
    }

    fn location(&mut self, key: &str, span: Span) -> Option<Location> {
        let source = self.get(key)?;
        Some(locate(self.display(key), &source, span))
    }
}

fn locate(path: String, source: &Arc<Source>, span: Span) -> Location {
    let span = source.clamp(span);
    Location {
        path,
        span,
        start: source.position(span.start),
        end: source.position(span.end),
        source: Some(source.clone()),
    }
}

fn resolve(sources: &mut Sources<'_>, key: &str, source: &Arc<Source>, d: Diagnostic) -> Finding {
    let display = sources.display(key);
    let location = locate(display.clone(), source, d.span);
    let related = d
        .related
        .into_iter()
        .map(|r| {
            let rkey = if r.path.is_empty() {
                key.to_string()
            } else {
                r.path
            };
            RelatedOut {
                location: sources.location(&rkey, r.span),
                path: sources.display(&rkey),
                message: r.message,
            }
        })
        .collect();
    let fixes = d
        .fixes
        .into_iter()
        .map(|f| FixOut {
            title: f.title,
            edits: f
                .edits
                .into_iter()
                .map(|e| {
                    let ekey = if e.path.is_empty() {
                        key.to_string()
                    } else {
                        e.path
                    };
                    EditOut {
                        path: sources.display(&ekey),
                        location: sources.location(&ekey, e.span),
                        new_text: e.new_text,
                    }
                })
                .collect(),
        })
        .collect();
    Finding {
        location,
        severity: d.severity,
        code: d.code,
        message: d.message,
        related,
        fixes,
    }
}

fn build_report(
    cwd: &Path,
    root: &Path,
    ws: &Workspace,
    per_file: BTreeMap<String, Vec<Diagnostic>>,
    config: Option<(PathBuf, Arc<Source>, Vec<Diagnostic>)>,
    errors: Vec<(String, String)>,
) -> Report {
    let mut sources = Sources {
        cwd,
        root,
        ws,
        cache: BTreeMap::new(),
    };
    let mut findings = Vec::new();
    let mut files_with = 0;
    if let Some((path, source, diags)) = config {
        let key = files::rel_path(root, &path);
        sources.cache.insert(key.clone(), Some(source.clone()));
        if !diags.is_empty() {
            files_with += 1;
        }
        for d in diags {
            findings.push(resolve(&mut sources, &key, &source, d));
        }
    }
    for (key, diags) in per_file {
        if diags.is_empty() {
            continue;
        }
        let Some(source) = sources.get(&key) else {
            continue;
        };
        files_with += 1;
        for d in diags {
            findings.push(resolve(&mut sources, &key, &source, d));
        }
    }
    findings.sort_by(|a, b| {
        (
            &a.location.path,
            a.location.start,
            std::cmp::Reverse(a.severity.rank()),
            a.code,
            a.location.end,
            &a.message,
        )
            .cmp(&(
                &b.location.path,
                b.location.start,
                std::cmp::Reverse(b.severity.rank()),
                b.code,
                b.location.end,
                &b.message,
            ))
    });
    let mut summary = Summary {
        files: ws.files.len(),
        files_with_diagnostics: files_with,
        scenarios: ws.docs().map(|d| d.scenarios.len()).sum(),
        ..Summary::default()
    };
    for f in &findings {
        match f.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Information => summary.information += 1,
            Severity::Hint => summary.hints += 1,
        }
    }
    let errors = errors
        .into_iter()
        .map(|(p, m)| (display_path(cwd, &files::absolute(root, Path::new(&p))), m))
        .collect();
    Report {
        findings,
        summary,
        errors,
    }
}

/// Replace control characters (terminal escapes, carriage returns) so that spec text cannot
/// rewrite the terminal; tabs and line feeds become spaces.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let s = Source::new("ab\ncdé€x\n".into());
        assert_eq!(s.position(0), Position { line: 1, column: 1 });
        assert_eq!(s.position(3), Position { line: 2, column: 1 });
        // `é` is 2 bytes, `€` 3: the `x` is at byte 3 + 2 + 2 + 3 = 10, column 5.
        assert_eq!(s.position(10), Position { line: 2, column: 5 });
        // Offsets inside a character or past the end are clamped.
        assert_eq!(s.position(6), Position { line: 2, column: 3 });
        assert_eq!(s.position(999), Position { line: 3, column: 1 });
        assert_eq!(s.line_text(2), "cdé€x");
    }

    #[test]
    fn sanitize_replaces_controls() {
        assert_eq!(sanitize("a\u{1b}[31mb\tc\r"), "a\u{fffd}[31mb c\u{fffd}");
    }
}

#[cfg(test)]
mod render_tests {
    //! The three renderers on synthetic findings: multi-byte text, related places in this and
    //! other files (and in a file that cannot be read), fixes, long lines, spans off char
    //! boundaries.
    use super::*;
    use specls_core::diag::TextEdit;
    use specls_core::model::DocKind;

    fn sample() -> Report {
        let mut ws = Workspace::new();
        let a = "feature: Café orders\nscenarios:\n  - name: Pay in €\n    then: the order is \"paid\"\n  - name: Pay in €\n";
        ws.upsert("specs/orders.spec.yaml", a, DocKind::YamlSpec);
        let long = format!("## Scenario: {}end\n", "x".repeat(300));
        ws.upsert("specs/long.spec.md", &long, DocKind::MarkdownSpec);
        ws.upsert("specs/clean.spec.md", "# Clean\n", DocKind::MarkdownSpec);
        let dup_at = a.rfind("Pay in €").unwrap();
        let first_at = a.find("Pay in €").unwrap();
        let mut per_file = BTreeMap::new();
        per_file.insert(
            "specs/orders.spec.yaml".to_string(),
            vec![
                Diagnostic::new(
                    "duplicate-scenario-name",
                    Span::new(dup_at, dup_at + "Pay in €".len()),
                    "two scenarios named `Pay in €` in this spec",
                )
                .with_related("", Span::new(first_at, first_at + 10), "the first one")
                .with_related(
                    "specs/long.spec.md",
                    Span::new(3, 12),
                    "a place in another file",
                )
                .with_related(
                    "specs/missing.spec.md",
                    Span::new(0, 1),
                    "a file that is gone",
                )
                .with_fix(
                    "Rename to `Pay in € (2)`",
                    vec![TextEdit {
                        path: String::new(),
                        span: Span::new(dup_at, dup_at + "Pay in €".len()),
                        new_text: "Pay in € (2)".to_string(),
                    }],
                ),
                // A span that ends inside `é` and runs over two lines.
                Diagnostic::new("unknown-key", Span::new(13, 25), "spans two lines")
                    .with_severity(Severity::Hint),
                Diagnostic::new("placeholder", Span::empty(0), "empty span at the start")
                    .with_severity(Severity::Information),
            ],
        );
        per_file.insert(
            "specs/long.spec.md".to_string(),
            vec![Diagnostic::new(
                "scenario-missing-steps",
                Span::new(290, 306),
                "a range far into a long line",
            )],
        );
        per_file.insert("specs/clean.spec.md".to_string(), vec![]);
        let root = Path::new("/ws");
        let mut report = build_report(
            root,
            root,
            &ws,
            per_file,
            None,
            vec![("specs/locked.spec.md".into(), "permission denied".into())],
        );
        // The renderers are under test here, not the parsers.
        report.summary.scenarios = 2;
        report
    }

    #[test]
    fn human() {
        let r = sample();
        insta::assert_snapshot!(human::render(&r, false));
        let colored = human::render(&r, true);
        assert!(colored.contains("\x1b[1;31m"));
        assert_eq!(
            human::summary_line(&r.summary),
            "specls: 1 error, 1 warning, 1 info, 1 hint in 3 files (2 scenarios)"
        );
    }

    #[test]
    fn json() {
        let out = json::render(&sample());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["version"], 1);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn sarif() {
        let out = sarif::render(&sample());
        let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
        sarif_tests::validate(&v);
        // The rule table is the code registry (validated above); leave it and the indexes
        // into it out of the snapshot so that adding a code does not change it.
        v["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!("[diag::CODES]");
        for r in v["runs"][0]["results"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("ruleIndex");
        }
        insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
    }
}

#[cfg(test)]
pub(crate) mod sarif_tests {
    //! The parts of the SARIF 2.1.0 schema that consumers rely on: required properties, enum
    //! values, 1-based positions, rule references.
    use serde_json::Value;
    use specls_core::diag::CODES;

    fn obj<'a>(v: &'a Value, what: &str) -> &'a serde_json::Map<String, Value> {
        v.as_object()
            .unwrap_or_else(|| panic!("{what} must be an object: {v}"))
    }

    fn message(v: &Value, what: &str) {
        let m = obj(v, what);
        assert!(m["text"].is_string(), "{what}.text must be a string");
    }

    fn region(v: &Value) {
        let r = obj(v, "region");
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            let n = r[k]
                .as_u64()
                .unwrap_or_else(|| panic!("region.{k} missing"));
            assert!(n >= 1, "region.{k} must be >= 1");
        }
        let start = (r["startLine"].as_u64(), r["startColumn"].as_u64());
        let end = (r["endLine"].as_u64(), r["endColumn"].as_u64());
        assert!(start <= end, "region end before start");
    }

    fn physical(v: &Value) {
        let p = obj(v, "physicalLocation");
        let a = obj(&p["artifactLocation"], "artifactLocation");
        let uri = a["uri"].as_str().expect("artifactLocation.uri");
        assert!(!uri.is_empty() && !uri.contains(' ') && !uri.contains('\\'));
        if let Some(r) = p.get("region") {
            region(r);
        }
    }

    pub fn validate(v: &Value) {
        let top = obj(v, "sarifLog");
        assert_eq!(top["version"], "2.1.0");
        assert!(top["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
        let runs = top["runs"].as_array().expect("runs");
        assert_eq!(runs.len(), 1);
        let run = obj(&runs[0], "run");
        let driver = obj(&run["tool"]["driver"], "tool.driver");
        assert!(driver["name"].is_string());
        let rules = driver["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), CODES.len());
        for rule in rules {
            let r = obj(rule, "reportingDescriptor");
            assert!(r["id"].is_string());
            message(&r["shortDescription"], "shortDescription");
            let level = r["defaultConfiguration"]["level"].as_str().unwrap();
            assert!(["none", "note", "warning", "error"].contains(&level));
        }
        if let Some(k) = run.get("columnKind") {
            assert!(["utf16CodeUnits", "unicodeCodePoints"].contains(&k.as_str().unwrap()));
        }
        for inv in run["invocations"].as_array().expect("invocations") {
            assert!(inv["executionSuccessful"].is_boolean());
            for n in inv["toolExecutionNotifications"].as_array().unwrap() {
                message(&n["message"], "notification.message");
            }
        }
        for result in run["results"].as_array().expect("results") {
            let r = obj(result, "result");
            message(&r["message"], "result.message");
            let rule_id = r["ruleId"].as_str().expect("ruleId");
            if let Some(i) = r.get("ruleIndex") {
                assert_eq!(rules[i.as_u64().unwrap() as usize]["id"], rule_id);
            }
            let level = r["level"].as_str().unwrap();
            assert!(["none", "note", "warning", "error"].contains(&level));
            let locations = r["locations"].as_array().unwrap();
            assert!(!locations.is_empty());
            for l in locations {
                physical(&l["physicalLocation"]);
            }
            if let Some(related) = r.get("relatedLocations") {
                for (i, l) in related.as_array().unwrap().iter().enumerate() {
                    assert_eq!(l["id"].as_u64(), Some(i as u64));
                    message(&l["message"], "relatedLocation.message");
                    physical(&l["physicalLocation"]);
                }
            }
            if let Some(fixes) = r.get("fixes") {
                for f in fixes.as_array().unwrap() {
                    let changes = f["artifactChanges"].as_array().expect("artifactChanges");
                    assert!(!changes.is_empty());
                    for c in changes {
                        assert!(c["artifactLocation"]["uri"].is_string());
                        let reps = c["replacements"].as_array().expect("replacements");
                        assert!(!reps.is_empty());
                        for rep in reps {
                            region(&rep["deletedRegion"]);
                            if let Some(ins) = rep.get("insertedContent") {
                                assert!(ins["text"].is_string());
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Is `tool` an executable file in one of the PATH folders? (Looks only; runs nothing.)
fn tool_on_path(tool: &str) -> bool {
    if tool.contains(['/', '\\']) {
        return std::path::Path::new(tool).is_file();
    }
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    let exts: Vec<String> = if cfg!(windows) {
        std::env::var("PATHEXT")
            .unwrap_or_else(|_| ".EXE;.CMD;.BAT;.COM".into())
            .split(';')
            .map(str::to_string)
            .chain(std::iter::once(String::new()))
            .collect()
    } else {
        vec![String::new()]
    };
    std::env::split_paths(&path).any(|dir| {
        exts.iter().any(|ext| {
            let candidate = dir.join(format!("{tool}{ext}"));
            is_executable(&candidate)
        })
    })
}

#[cfg(unix)]
fn is_executable(p: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &std::path::Path) -> bool {
    p.is_file()
}
