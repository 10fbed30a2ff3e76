//! Planning a test run: which runner, which command, which tests a selection means, and the
//! command's placeholders expanded into an argument vector. Nothing here runs a process or
//! reads a file: the front end passes in what it found on disk ([`ProjectFacts`]) and gets a
//! [`Plan`] back (the exact argv, the environment it adds, where the report will be).
//!
//! # Where the command comes from (first that applies)
//! 1. `specls.toml`: `[tests] command = "..."` ([`Config::test_command`]).
//! 2. An arrangement's `build_commands.test` (the first arrangement, by path, that has one).
//! 3. A preset for the project's runner ([`Runner`]), chosen by `[tests] runner`, else by the
//!    language of the selected tests, the arrangement's `target_language` or the test index's
//!    main language, else by marker files (`pyproject.toml`/`pytest.ini`/`conftest.py`,
//!    `Cargo.toml`, `package.json` naming vitest or jest, `go.mod`).
//!
//! # Placeholders in a command
//! - `{files}` / `{file}`: the selected test files, one argument each (nothing when every test
//!   runs, so the runner finds its tests itself).
//! - `{filter}`: the runner's name filter for the selected tests (pytest `-k` expression, Go
//!   `-run` regex, vitest/jest `-t` regex; cargo/nextest: one argument per test path). When
//!   everything runs it is empty: a word that is only `{filter}` disappears together with the
//!   option word before it (`-k {filter}` -> nothing).
//! - `{report}`: the report file specls reads after the run (under `.specls/results/`).
//! - `{name}` / `{path}`: the spec's name / path, when the selection is within one spec.
//! - `{language}`: the test language.
//!
//! A command without shell syntax is split into words (with `'...'`, `"..."` and `\` quoting)
//! and run directly, each placeholder value one argument: nothing in a file name or test name
//! is ever interpreted by a shell. A command with shell syntax (`&&`, `|`, `;`, `>`, `$VAR`,
//! globs...) runs through `sh -c`, with every placeholder value single-quoted.
//!
//! When a configured command is recognisably a known runner and does not say `{report}`,
//! the options the preset would add are added (pytest `--junitxml`, `go test -json`, vitest's
//! JUnit reporter, `vitest run`), and, when it names neither `{files}` nor `{filter}`, the
//! preset's selection too, so `pytest -q` still runs only the selected tests.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::link::{Links, ScenarioRef};
use super::results::Format;
use super::{Language, TestIndex, TestKind, TestRef};
use crate::config::Config;
use crate::model::Arrangement;
use crate::workspace::Workspace;

/// Files whose presence (at the workspace root) tells the runner; the front end checks which
/// exist and reads the ones [`ProjectFacts`] keeps the text of.
pub const MARKER_FILES: &[&str] = &[
    "pyproject.toml",
    "pytest.ini",
    "conftest.py",
    "setup.cfg",
    "tox.ini",
    "Cargo.toml",
    ".config/nextest.toml",
    "package.json",
    "vitest.config.ts",
    "vitest.config.js",
    "vitest.config.mts",
    "vitest.config.mjs",
    "jest.config.js",
    "jest.config.ts",
    "jest.config.cjs",
    "jest.config.mjs",
    "go.mod",
];

/// The default time a run may take before it is ended, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;

/// A test runner specls knows the command line and report of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runner {
    /// `pytest` with `--junitxml`.
    Pytest,
    /// `cargo test` (libtest's plain output).
    Cargo,
    /// `cargo nextest run` with the JUnit report of `.config/nextest.toml`.
    Nextest,
    /// `vitest run` with the JUnit reporter.
    Vitest,
    /// `jest` with `jest-junit`.
    Jest,
    /// `go test -json`.
    Go,
    /// A configured command specls does not recognise: run as is, its output read as a report.
    Custom,
}

impl Runner {
    pub fn as_str(self) -> &'static str {
        match self {
            Runner::Pytest => "pytest",
            Runner::Cargo => "cargo",
            Runner::Nextest => "nextest",
            Runner::Vitest => "vitest",
            Runner::Jest => "jest",
            Runner::Go => "go",
            Runner::Custom => "custom",
        }
    }

    /// `pytest`, `cargo`/`cargo-test`, `nextest`, `vitest`, `jest`, `go`/`go-test`.
    pub fn parse(s: &str) -> Option<Runner> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "pytest" | "py.test" => Runner::Pytest,
            "cargo" | "cargo-test" | "cargo test" | "libtest" => Runner::Cargo,
            "nextest" | "cargo-nextest" | "cargo nextest" => Runner::Nextest,
            "vitest" => Runner::Vitest,
            "jest" => Runner::Jest,
            "go" | "go-test" | "go test" => Runner::Go,
            _ => return None,
        })
    }

    /// The test language the runner is for.
    pub fn language(self) -> Option<Language> {
        match self {
            Runner::Pytest => Some(Language::Python),
            Runner::Cargo | Runner::Nextest => Some(Language::Rust),
            Runner::Vitest | Runner::Jest => Some(Language::TypeScript),
            Runner::Go => Some(Language::Go),
            Runner::Custom => None,
        }
    }
}

/// What the front end found at the workspace root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFacts {
    /// The [`MARKER_FILES`] that exist (as written there).
    pub present: BTreeSet<String>,
    /// The text of `package.json`, if any (vitest or jest among its dependencies or scripts).
    pub package_json: Option<String>,
    /// The text of `.config/nextest.toml`, if any (its JUnit report path and store folder).
    pub nextest_toml: Option<String>,
}

impl ProjectFacts {
    fn has(&self, f: &str) -> bool {
        self.present.contains(f)
    }

    fn package_mentions(&self, name: &str) -> bool {
        self.package_json
            .as_deref()
            .is_some_and(|t| t.contains(&format!("\"{name}\"")) || t.contains(&format!("{name} ")))
    }

    /// The nextest profile with a JUnit report and the report's path under the target folder.
    fn nextest_junit(&self) -> Option<(String, String)> {
        let text = self.nextest_toml.as_deref()?;
        let value: toml::Table = toml::from_str(text).ok()?;
        let profiles = value.get("profile")?.as_table()?;
        let with_junit = |name: &str| -> Option<String> {
            profiles
                .get(name)?
                .as_table()?
                .get("junit")?
                .as_table()?
                .get("path")?
                .as_str()
                .map(str::to_string)
        };
        let (profile, path) = with_junit("default")
            .map(|p| ("default".to_string(), p))
            .or_else(|| {
                profiles
                    .keys()
                    .find_map(|k| with_junit(k).map(|p| (k.clone(), p)))
            })?;
        // Nextest keeps its store (reports included) under the workspace root, `[store] dir`
        // or `target/nextest`, whatever CARGO_TARGET_DIR says.
        let store = value
            .get("store")
            .and_then(|s| s.get("dir"))
            .and_then(|d| d.as_str())
            .unwrap_or("target/nextest")
            .trim_end_matches('/')
            .to_string();
        Some((profile.clone(), format!("{store}/{profile}/{path}")))
    }
}

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "scenarios")]
pub enum Selection {
    /// Every test.
    All,
    /// The tests linked to these scenarios.
    Scenarios(Vec<ScenarioRef>),
}

/// What a selection means in tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen {
    /// True when every test runs (no filter).
    pub all: bool,
    /// The scenarios whose outcome this run gives (every scenario for [`Selection::All`]).
    pub scenarios: Vec<ScenarioRef>,
    /// Their linked tests, in index order, without duplicates.
    pub tests: Vec<TestRef>,
    /// The files of those tests, sorted.
    pub files: Vec<String>,
    /// Selected scenarios with no linked test (nothing runs for them).
    pub untested: Vec<ScenarioRef>,
}

/// The tests of a selection.
pub fn choose(ws: &Workspace, links: &Links, selection: &Selection) -> Chosen {
    let (all, scenarios): (bool, Vec<ScenarioRef>) = match selection {
        Selection::All => (
            true,
            ws.files
                .iter()
                .flat_map(|(path, f)| {
                    (0..f.doc.scenarios.len()).map(move |index| ScenarioRef {
                        path: path.clone(),
                        index,
                    })
                })
                .collect(),
        ),
        Selection::Scenarios(list) => {
            let mut seen = BTreeSet::new();
            (
                false,
                list.iter()
                    .filter(|r| seen.insert((*r).clone()))
                    .cloned()
                    .collect(),
            )
        }
    };
    let mut tests = BTreeSet::new();
    let mut untested = Vec::new();
    for s in &scenarios {
        let linked = links.tests_of(s);
        if linked.is_empty() {
            untested.push(s.clone());
        }
        tests.extend(linked.iter().map(|l| l.test.clone()));
    }
    let files: BTreeSet<String> = tests.iter().map(|t| t.path.clone()).collect();
    Chosen {
        all,
        scenarios,
        tests: tests.into_iter().collect(),
        files: files.into_iter().collect(),
        untested,
    }
}

/// Where the command came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum CommandSource {
    /// `[tests] command` in `specls.toml`.
    Config { template: String },
    /// `build_commands.test` of an arrangement.
    Arrangement { path: String, template: String },
    /// specls' preset for the runner.
    Preset,
}

/// Where the run's report is read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ReportSource {
    /// A file the runner writes (absolute, or relative to the working folder).
    File {
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        format: Option<Format>,
    },
    /// The runner's standard output (with standard error, in order).
    Output {
        #[serde(skip_serializing_if = "Option::is_none")]
        format: Option<Format>,
    },
}

/// A test run, ready to start: the working folder is the workspace root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub runner: Runner,
    pub source: CommandSource,
    /// The program and its arguments, exactly as they will be run (`sh -c <script>` for a
    /// configured command that uses shell syntax). The program may still be resolved by
    /// [`resolve_program`] (a project's virtualenv or `node_modules/.bin`).
    pub argv: Vec<String>,
    /// Variables added to the runner's environment.
    pub env: Vec<(String, String)>,
    pub report: ReportSource,
    pub chosen: Chosen,
    /// True when only the selected tests run; false when the command runs every test.
    pub filtered: bool,
    /// Things the user should know about the command (printed before the run).
    pub notes: Vec<String>,
}

impl Plan {
    /// The command as one line, each word quoted for a POSIX shell where needed (to print).
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_quote(v)))
            .collect();
        parts.extend(self.argv.iter().map(|a| shell_quote(a)));
        parts.join(" ")
    }
}

/// Why there is nothing to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum PlanError {
    /// The selection has no linked test.
    #[error("no test is linked to the selected scenarios, so there is nothing to run")]
    NothingToRun,
    /// No command is configured and no preset fits.
    #[error("no test command: set `[tests] command` in specls.toml (or `build_commands.test` in an arrangement), or `[tests] runner` to one of pytest, cargo, nextest, vitest, jest, go")]
    NoRunner,
    /// The command template cannot be used.
    #[error("the test command `{template}` cannot be used: {message}")]
    BadCommand { template: String, message: String },
}

/// Everything [`plan`] looks at.
pub struct PlanInput<'a> {
    pub ws: &'a Workspace,
    pub tests: &'a TestIndex,
    pub links: &'a Links,
    pub config: &'a Config,
    pub facts: &'a ProjectFacts,
    pub selection: &'a Selection,
    /// The folder report files go to (the front end's `.specls/results`), as a path string.
    pub report_dir: &'a str,
}

/// Plan a run: choose the tests, the runner and the command.
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, PlanError> {
    let chosen = choose(input.ws, input.links, input.selection);
    if !chosen.all && chosen.tests.is_empty() {
        return Err(PlanError::NothingToRun);
    }
    let arrangements: Vec<(&str, &Arrangement)> = input
        .ws
        .files
        .iter()
        .filter_map(|(p, f)| f.doc.arrangement.as_ref().map(|a| (p.as_str(), a)))
        .collect();
    let language = test_language(input, &chosen, &arrangements);
    let forced = input.config.test_runner.as_deref().and_then(Runner::parse);
    let template = input
        .config
        .test_command
        .as_ref()
        .map(|t| {
            (
                t.clone(),
                CommandSource::Config {
                    template: t.clone(),
                },
            )
        })
        .or_else(|| {
            arrangements.iter().find_map(|(path, a)| {
                let f = a.build_command("test")?;
                let t = f.value.trim();
                (!t.is_empty()).then(|| {
                    (
                        t.to_string(),
                        CommandSource::Arrangement {
                            path: path.to_string(),
                            template: t.to_string(),
                        },
                    )
                })
            })
        });
    match template {
        Some((template, source)) => configured(input, chosen, language, forced, &template, source),
        None => {
            let runner = forced
                .or_else(|| detect_runner(input.facts, language))
                .ok_or(PlanError::NoRunner)?;
            Ok(preset(input, chosen, runner))
        }
    }
}

/// The language of the run: the selected tests', else the arrangement's, else the index's.
fn test_language(
    input: &PlanInput<'_>,
    chosen: &Chosen,
    arrangements: &[(&str, &Arrangement)],
) -> Option<Language> {
    let mut counts: BTreeMap<Language, usize> = BTreeMap::new();
    for f in &chosen.files {
        if let Some(tf) = input.tests.get(f) {
            *counts.entry(tf.language).or_default() += 1;
        }
    }
    if let Some(max) = counts.values().copied().max() {
        return counts.into_iter().find(|&(_, c)| c == max).map(|(l, _)| l);
    }
    arrangements
        .iter()
        .find_map(|(_, a)| a.target_language.as_deref().and_then(Language::from_name))
        .or_else(|| input.tests.main_language())
}

/// The preset runner for a project: by language when it is known, else by marker files.
pub fn detect_runner(facts: &ProjectFacts, language: Option<Language>) -> Option<Runner> {
    let js = || {
        if facts.package_mentions("vitest")
            || facts.present.iter().any(|p| p.starts_with("vitest.config"))
        {
            Some(Runner::Vitest)
        } else if facts.package_mentions("jest")
            || facts.present.iter().any(|p| p.starts_with("jest.config"))
        {
            Some(Runner::Jest)
        } else {
            None
        }
    };
    let rust = || {
        if facts.nextest_junit().is_some() {
            Runner::Nextest
        } else {
            Runner::Cargo
        }
    };
    match language {
        Some(Language::Python) => Some(Runner::Pytest),
        Some(Language::Rust) => Some(rust()),
        Some(Language::Go) => Some(Runner::Go),
        Some(Language::TypeScript | Language::JavaScript) => js().or(Some(Runner::Vitest)),
        None => {
            if facts.has("Cargo.toml") {
                Some(rust())
            } else if facts.has("go.mod") {
                Some(Runner::Go)
            } else if [
                "pyproject.toml",
                "pytest.ini",
                "conftest.py",
                "setup.cfg",
                "tox.ini",
            ]
            .iter()
            .any(|f| facts.has(f))
            {
                Some(Runner::Pytest)
            } else {
                js()
            }
        }
    }
}

/// A test's path of names: its parents and itself.
fn names_of<'t>(tests: &'t TestIndex, t: &TestRef) -> Option<(Vec<&'t str>, TestKind)> {
    let f = tests.get(&t.path)?;
    let item = f.tests.get(t.test)?;
    Some((f.path_of(t.test), item.kind))
}

/// Escape a literal for a regular expression (Go RE2, JavaScript).
pub fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The selection in a runner's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Filter {
    /// Positional arguments: pytest node ids, test files (vitest/jest), Go packages.
    positional: Vec<String>,
    /// The name filter: one argument (pytest `-k`, Go `-run`, `-t`), or one per test (cargo).
    names: Vec<String>,
}

fn filter_for(runner: Runner, tests: &TestIndex, chosen: &Chosen) -> Filter {
    let mut f = Filter::default();
    if chosen.all {
        return f;
    }
    let mut uniq = BTreeSet::new();
    match runner {
        Runner::Pytest => {
            let mut names = Vec::new();
            for t in &chosen.tests {
                if let Some((path, _)) = names_of(tests, t) {
                    let mut id = t.path.clone();
                    for n in &path {
                        id.push_str("::");
                        id.push_str(n);
                    }
                    if uniq.insert(id.clone()) {
                        f.positional.push(id);
                    }
                    if let Some(last) = path.last() {
                        if !names.contains(&last.to_string()) {
                            names.push(last.to_string());
                        }
                    }
                }
            }
            if !names.is_empty() {
                f.names.push(names.join(" or "));
            }
        }
        Runner::Cargo | Runner::Nextest => {
            for t in &chosen.tests {
                if let Some((path, _)) = names_of(tests, t) {
                    let p = path.join("::");
                    if uniq.insert(p.clone()) {
                        f.names.push(p);
                    }
                }
            }
        }
        Runner::Vitest | Runner::Jest => {
            f.positional = chosen.files.clone();
            let mut alts = Vec::new();
            for t in &chosen.tests {
                if let Some((path, _)) = names_of(tests, t) {
                    let full = regex_escape(&path.join(" "));
                    if uniq.insert(full.clone()) {
                        alts.push(full);
                    }
                }
            }
            if !alts.is_empty() {
                f.names.push(alts.join("|"));
            }
        }
        Runner::Go => {
            let mut pkgs = BTreeSet::new();
            for file in &chosen.files {
                pkgs.insert(match file.rsplit_once('/') {
                    Some((dir, _)) => format!("./{dir}"),
                    None => ".".to_string(),
                });
            }
            f.positional = pkgs.into_iter().collect();
            let mut tops = Vec::new();
            for t in &chosen.tests {
                if let Some((path, kind)) = names_of(tests, t) {
                    // A subtest runs through its top-level test (Go's `-run` splits on `/`
                    // per level, so one pattern cannot narrow subtests of some tests only).
                    let _ = kind;
                    if let Some(top) = path.first().copied() {
                        let e = regex_escape(top);
                        if uniq.insert(e.clone()) {
                            tops.push(e);
                        }
                    }
                }
            }
            if !tops.is_empty() {
                f.names.push(format!("^({})$", tops.join("|")));
            }
        }
        Runner::Custom => {}
    }
    f
}

fn report_file(input: &PlanInput<'_>, name: &str) -> String {
    let dir = input.report_dir.trim_end_matches(['/', '\\']);
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The preset command of a runner.
fn preset(input: &PlanInput<'_>, chosen: Chosen, runner: Runner) -> Plan {
    let filter = filter_for(runner, input.tests, &chosen);
    let mut env = Vec::new();
    let mut notes = Vec::new();
    let (argv, report) = match runner {
        Runner::Pytest => {
            let report = report_file(input, "pytest-junit.xml");
            let mut argv = strings(&["pytest", "-o", "junit_family=xunit1"]);
            argv.push(format!("--junitxml={report}"));
            argv.extend(filter.positional.iter().cloned());
            (
                argv,
                ReportSource::File {
                    path: report,
                    format: Some(Format::Junit),
                },
            )
        }
        Runner::Cargo => {
            let mut argv = strings(&["cargo", "test", "--no-fail-fast"]);
            if !filter.names.is_empty() {
                argv.push("--".to_string());
                argv.extend(filter.names.iter().cloned());
            }
            env.push(("RUST_BACKTRACE".to_string(), "0".to_string()));
            (
                argv,
                ReportSource::Output {
                    format: Some(Format::Libtest),
                },
            )
        }
        Runner::Nextest => {
            let (profile, path) = input.facts.nextest_junit().unwrap_or_else(|| {
                notes.push(
                    "`.config/nextest.toml` has no `[profile.<name>.junit] path`; the JUnit report may not be written"
                        .to_string(),
                );
                (
                    "default".to_string(),
                    "target/nextest/default/junit.xml".to_string(),
                )
            });
            let mut argv = strings(&["cargo", "nextest", "run", "--no-fail-fast", "--profile"]);
            argv.push(profile);
            argv.extend(filter.names.iter().cloned());
            (
                argv,
                ReportSource::File {
                    path,
                    format: Some(Format::Junit),
                },
            )
        }
        Runner::Vitest => {
            let report = report_file(input, "vitest-junit.xml");
            let mut argv = strings(&["vitest", "run", "--reporter=default", "--reporter=junit"]);
            argv.push(format!("--outputFile.junit={report}"));
            argv.extend(filter.positional.iter().cloned());
            if let Some(n) = filter.names.first() {
                argv.push("-t".to_string());
                argv.push(n.clone());
            }
            (
                argv,
                ReportSource::File {
                    path: report,
                    format: Some(Format::Junit),
                },
            )
        }
        Runner::Jest => {
            let report = report_file(input, "jest-junit.xml");
            if !input.facts.package_mentions("jest-junit") {
                notes.push(
                    "jest writes JUnit XML through the `jest-junit` package: install it (npm install --save-dev jest-junit)"
                        .to_string(),
                );
            }
            env.push(("JEST_JUNIT_OUTPUT_FILE".to_string(), report.clone()));
            let mut argv = strings(&[
                "jest",
                "--ci",
                "--reporters=default",
                "--reporters=jest-junit",
            ]);
            argv.extend(filter.positional.iter().cloned());
            if let Some(n) = filter.names.first() {
                argv.push("-t".to_string());
                argv.push(n.clone());
            }
            (
                argv,
                ReportSource::File {
                    path: report,
                    format: Some(Format::Junit),
                },
            )
        }
        Runner::Go => {
            let mut argv = strings(&["go", "test", "-json"]);
            if let Some(n) = filter.names.first() {
                argv.push("-run".to_string());
                argv.push(n.clone());
            }
            if filter.positional.is_empty() {
                argv.push("./...".to_string());
            } else {
                argv.extend(filter.positional.iter().cloned());
            }
            (
                argv,
                ReportSource::Output {
                    format: Some(Format::GoJson),
                },
            )
        }
        Runner::Custom => (Vec::new(), ReportSource::Output { format: None }),
    };
    Plan {
        runner,
        source: CommandSource::Preset,
        argv,
        env,
        report,
        filtered: !chosen.all,
        chosen,
        notes,
    }
}

/// A configured command template, expanded.
fn configured(
    input: &PlanInput<'_>,
    chosen: Chosen,
    language: Option<Language>,
    forced: Option<Runner>,
    template: &str,
    source: CommandSource,
) -> Result<Plan, PlanError> {
    let bad = |message: String| PlanError::BadCommand {
        template: template.to_string(),
        message,
    };
    let words = split_command(template).map_err(bad)?;
    let runner = forced
        .or_else(|| match &words {
            Some(w) => recognise(w).map(|(r, _)| r),
            None => recognise_script(template),
        })
        .unwrap_or(Runner::Custom);
    let filter = filter_for(runner, input.tests, &chosen);
    let report = report_file(
        input,
        match runner {
            Runner::Pytest => "pytest-junit.xml",
            Runner::Vitest => "vitest-junit.xml",
            Runner::Jest => "jest-junit.xml",
            _ => "report.xml",
        },
    );
    // Values of the placeholders.
    let spec_paths: BTreeSet<&str> = chosen.scenarios.iter().map(|s| s.path.as_str()).collect();
    let one_spec = (spec_paths.len() == 1 && !chosen.all)
        .then(|| spec_paths.iter().next().copied())
        .flatten();
    let spec_name = one_spec
        .and_then(|p| input.ws.get(p))
        .map(|f| f.doc.name.clone());
    let files: Vec<String> = if chosen.all {
        Vec::new()
    } else {
        chosen.files.clone()
    };
    let language_name = language.map(|l| l.as_str().to_string()).unwrap_or_default();
    let mentions = |p: &str| template.contains(p);
    let has_selection = mentions("{files}") || mentions("{file}") || mentions("{filter}");
    let has_report = mentions("{report}");
    let single = |name: &str| -> Result<String, PlanError> {
        match name {
            "report" => Ok(report.clone()),
            "language" => Ok(language_name.clone()),
            "name" => spec_name
                .clone()
                .ok_or_else(|| bad("`{name}` needs a selection within one spec".to_string())),
            "path" => one_spec
                .map(str::to_string)
                .ok_or_else(|| bad("`{path}` needs a selection within one spec".to_string())),
            _ => Err(bad(format!("unknown placeholder `{{{name}}}`"))),
        }
    };
    let mut notes = Vec::new();
    let mut env = Vec::new();
    let mut report_source = if has_report {
        ReportSource::File {
            path: report.clone(),
            format: None,
        }
    } else {
        ReportSource::Output { format: None }
    };
    let argv = match words {
        Some(words) => {
            let mut argv: Vec<String> = Vec::new();
            for w in &words {
                match w.as_str() {
                    "{files}" | "{file}" => argv.extend(files.iter().cloned()),
                    "{filter}" => {
                        if filter.names.is_empty() {
                            if argv
                                .last()
                                .is_some_and(|p| p.starts_with('-') && !p.contains('='))
                            {
                                argv.pop();
                            }
                        } else {
                            argv.extend(filter.names.iter().cloned());
                        }
                    }
                    _ => {
                        if w.contains("{filter}") && filter.names.is_empty() {
                            continue;
                        }
                        if w.contains("{filter}") && filter.names.len() > 1 {
                            return Err(bad(
                                "with cargo, `{filter}` must be a word of its own (one argument per test)"
                                    .to_string(),
                            ));
                        }
                        argv.push(expand_inline(w, &|name| match name {
                            "files" | "file" => Ok(files.join(" ")),
                            "filter" => Ok(filter.names.join(" ")),
                            other => single(other),
                        })?);
                    }
                }
            }
            if argv.is_empty() {
                return Err(bad("the command is empty".to_string()));
            }
            if runner != Runner::Custom {
                augment(
                    runner,
                    input,
                    &mut argv,
                    &mut env,
                    &mut report_source,
                    &report,
                    has_report,
                    (!has_selection && !chosen.all).then_some(&filter),
                    &mut notes,
                );
            }
            argv
        }
        None => {
            let script = expand_inline(template, &|name| match name {
                "files" | "file" => Ok(files
                    .iter()
                    .map(|f| shell_quote(f))
                    .collect::<Vec<_>>()
                    .join(" ")),
                "filter" => Ok(filter
                    .names
                    .iter()
                    .map(|f| shell_quote(f))
                    .collect::<Vec<_>>()
                    .join(" ")),
                other => single(other).map(|v| shell_quote(&v)),
            })?;
            notes.push(
                "the command uses shell syntax, so it runs through `sh -c` (placeholder values are single-quoted)"
                    .to_string(),
            );
            if !has_report {
                let hint = match runner {
                    Runner::Pytest => Some("add `--junitxml={report}` to the pytest command"),
                    Runner::Vitest => Some(
                        "add `--reporter=default --reporter=junit --outputFile.junit={report}` to the vitest command",
                    ),
                    Runner::Jest => Some(
                        "add `--reporters=default --reporters=jest-junit` and set JEST_JUNIT_OUTPUT_FILE={report}",
                    ),
                    Runner::Go if !template.contains("-json") => {
                        Some("add `-json` to the go test command")
                    }
                    _ => None,
                };
                if runner == Runner::Cargo {
                    report_source = ReportSource::Output {
                        format: Some(Format::Libtest),
                    };
                }
                if let Some(hint) = hint {
                    notes.push(format!(
                        "specls does not change a shell command, so the runner's report may not be readable: {hint}"
                    ));
                }
            }
            vec!["sh".to_string(), "-c".to_string(), script]
        }
    };
    // A placeholder selects only when it has a value (a custom runner has no name filter).
    let selects = ((mentions("{files}") || mentions("{file}")) && !files.is_empty())
        || (mentions("{filter}") && !filter.names.is_empty());
    let filtered = !chosen.all && (selects || argv_selects(runner, &argv, &filter));
    if !chosen.all && !filtered {
        notes.push(if has_selection {
            "the command's `{files}` and `{filter}` placeholders are empty for this selection (specls has no name filter for this runner), so every test runs (only the selected scenarios' results are reported)"
        } else {
            "the command has no `{files}` or `{filter}` placeholder, so every test runs (only the selected scenarios' results are reported)"
        }
        .to_string());
    }
    Ok(Plan {
        runner,
        source,
        argv,
        env,
        report: report_source,
        filtered,
        chosen,
        notes,
    })
}

/// Did augmentation add the selection?
fn argv_selects(runner: Runner, argv: &[String], filter: &Filter) -> bool {
    runner != Runner::Custom
        && (filter.names.iter().any(|n| argv.contains(n))
            || filter.positional.iter().any(|p| argv.contains(p)))
}

/// Add what the preset would to a recognised configured command.
#[allow(clippy::too_many_arguments)]
fn augment(
    runner: Runner,
    input: &PlanInput<'_>,
    argv: &mut Vec<String>,
    env: &mut Vec<(String, String)>,
    report_source: &mut ReportSource,
    report: &str,
    has_report: bool,
    selection: Option<&Filter>,
    notes: &mut Vec<String>,
) {
    let Some((_, at)) = recognise(argv) else {
        return;
    };
    let has = |argv: &[String], p: &str| argv.iter().any(|a| a == p || a.starts_with(p));
    match runner {
        Runner::Pytest => {
            if !has_report {
                if let Some(existing) = argv
                    .iter()
                    .position(|a| a.starts_with("--junitxml") || a.starts_with("--junit-xml"))
                {
                    let a = &argv[existing];
                    let path = match a.split_once('=') {
                        Some((_, p)) => Some(p.to_string()),
                        None => argv.get(existing + 1).cloned(),
                    };
                    if let Some(path) = path {
                        *report_source = ReportSource::File {
                            path,
                            format: Some(Format::Junit),
                        };
                    }
                } else {
                    argv.push(format!("--junitxml={report}"));
                    *report_source = ReportSource::File {
                        path: report.to_string(),
                        format: Some(Format::Junit),
                    };
                }
            }
            if let Some(f) = selection {
                argv.extend(f.positional.iter().cloned());
            }
        }
        Runner::Cargo | Runner::Nextest => {
            let dashdash = argv.iter().position(|a| a == "--");
            let before = dashdash.unwrap_or(argv.len());
            if !argv[..before].iter().any(|a| a == "--no-fail-fast") {
                argv.insert(before, "--no-fail-fast".to_string());
            }
            if let Some(f) = selection.filter(|f| !f.names.is_empty()) {
                if runner == Runner::Cargo && !argv.iter().any(|a| a == "--") {
                    argv.push("--".to_string());
                }
                argv.extend(f.names.iter().cloned());
            }
            if !has_report {
                *report_source = if runner == Runner::Cargo {
                    env.push(("RUST_BACKTRACE".to_string(), "0".to_string()));
                    ReportSource::Output {
                        format: Some(Format::Libtest),
                    }
                } else {
                    match input.facts.nextest_junit() {
                        Some((_, path)) => ReportSource::File {
                            path,
                            format: Some(Format::Junit),
                        },
                        None => {
                            notes.push("`.config/nextest.toml` has no JUnit report path; nextest's own output is not a report specls reads".to_string());
                            ReportSource::Output { format: None }
                        }
                    }
                };
            }
        }
        Runner::Vitest | Runner::Jest => {
            if runner == Runner::Vitest {
                let next = argv.get(at + 1).map(String::as_str);
                if !matches!(
                    next,
                    Some("run") | Some("--run") | Some("watch") | Some("dev")
                ) && !has(argv, "--run")
                {
                    argv.insert(at + 1, "run".to_string());
                }
            }
            if !has_report {
                if runner == Runner::Vitest && !has(argv, "--reporter") {
                    argv.push("--reporter=default".to_string());
                    argv.push("--reporter=junit".to_string());
                    argv.push(format!("--outputFile.junit={report}"));
                    *report_source = ReportSource::File {
                        path: report.to_string(),
                        format: Some(Format::Junit),
                    };
                } else if runner == Runner::Jest && !has(argv, "--reporters") {
                    argv.push("--reporters=default".to_string());
                    argv.push("--reporters=jest-junit".to_string());
                    env.push(("JEST_JUNIT_OUTPUT_FILE".to_string(), report.to_string()));
                    *report_source = ReportSource::File {
                        path: report.to_string(),
                        format: Some(Format::Junit),
                    };
                }
            }
            if let Some(f) = selection {
                argv.extend(f.positional.iter().cloned());
                if let Some(n) = f.names.first() {
                    argv.push("-t".to_string());
                    argv.push(n.clone());
                }
            }
        }
        Runner::Go => {
            let mut pos = at + 2;
            if !has_report {
                if !argv.iter().any(|a| a == "-json" || a == "--json") {
                    argv.insert(pos.min(argv.len()), "-json".to_string());
                    pos += 1;
                }
                *report_source = ReportSource::Output {
                    format: Some(Format::GoJson),
                };
            }
            if let Some(f) = selection {
                if let Some(n) = f.names.first() {
                    if !argv.iter().any(|a| a == "-run" || a.starts_with("-run=")) {
                        argv.insert(pos.min(argv.len()), "-run".to_string());
                        argv.insert((pos + 1).min(argv.len()), n.clone());
                    }
                }
            }
        }
        Runner::Custom => {}
    }
}

/// Which runner a command's words invoke, and the index of the runner's own word (`pytest`,
/// `test` of `cargo test`/`go test`, `nextest`, `vitest`, `jest`).
pub fn recognise(words: &[String]) -> Option<(Runner, usize)> {
    let base = |w: &str| -> String {
        let b = w.rsplit(['/', '\\']).next().unwrap_or(w);
        b.strip_suffix(".exe").unwrap_or(b).to_ascii_lowercase()
    };
    let mut i = 0;
    // Wrappers: env assignments, npx/pnpm/yarn/bunx, uv/poetry/pipenv/pdm run, python -m.
    while i < words.len() {
        let w = base(&words[i]);
        let next = words.get(i + 1).map(|s| base(s));
        if words[i].contains('=') && !words[i].starts_with('-') {
            i += 1;
        } else if matches!(w.as_str(), "npx" | "bunx" | "pnpx") {
            i += 1;
            while words.get(i).is_some_and(|a| a.starts_with('-')) {
                i += 1;
            }
        } else if matches!(w.as_str(), "pnpm" | "yarn" | "npm")
            && matches!(next.as_deref(), Some("exec") | Some("run") | Some("dlx"))
        {
            i += 2;
        } else if matches!(w.as_str(), "yarn") {
            i += 1;
        } else if (matches!(
            w.as_str(),
            "uv" | "poetry" | "pipenv" | "pdm" | "hatch" | "rye"
        ) && next.as_deref() == Some("run"))
            || (w.starts_with("python") && next.as_deref() == Some("-m"))
        {
            i += 2;
        } else {
            break;
        }
    }
    let w = base(words.get(i)?);
    let next = words.get(i + 1).map(|s| base(s));
    match w.as_str() {
        "pytest" | "py.test" => Some((Runner::Pytest, i)),
        "vitest" => Some((Runner::Vitest, i)),
        "jest" => Some((Runner::Jest, i)),
        "cargo" => match next.as_deref() {
            Some("test") => Some((Runner::Cargo, i + 1)),
            Some("nextest") => Some((Runner::Nextest, i + 1)),
            _ => None,
        },
        "cargo-nextest" => Some((Runner::Nextest, i)),
        "go" if next.as_deref() == Some("test") => Some((Runner::Go, i)),
        _ => None,
    }
}

/// The runner of the last simple command of a shell script that invokes one
/// (`cd web && npx vitest run` -> vitest).
pub fn recognise_script(script: &str) -> Option<Runner> {
    script
        .split(['\n', ';', '|', '&'])
        .filter_map(|cmd| {
            let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
            recognise(&words).map(|(r, _)| r)
        })
        .next_back()
}

/// Expand every `{name}` of `word` with `value`; `{` not followed by a name and `}` stay.
fn expand_inline(
    word: &str,
    value: &dyn Fn(&str) -> Result<String, PlanError>,
) -> Result<String, PlanError> {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if close > 0
                    && after[..close]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push_str(&value(&after[..close])?);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Split a command into words like a POSIX shell would for a simple command: whitespace
/// separates, `'...'` is literal, `"..."` keeps `\"`, `\\`, `` \` `` and `\$` escapes, `\`
/// outside quotes escapes the next character. `Ok(None)` when the command uses shell syntax
/// (operators, redirections, `$` expansions, globs, `~`, comments) and must go through a shell;
/// `Err` for an unterminated quote.
pub fn split_command(s: &str) -> Result<Option<Vec<String>>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\n' | '\r' | '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' | '*' | '?' | '[' => {
                return Ok(None)
            }
            '~' if !in_word => return Ok(None),
            '#' if !in_word => return Ok(None),
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("a `'` quote is not closed".to_string()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek() {
                            Some(&n @ ('"' | '\\' | '`' | '$')) => {
                                cur.push(n);
                                chars.next();
                            }
                            _ => cur.push('\\'),
                        },
                        Some('$') | Some('`') => return Ok(None),
                        Some(c) => cur.push(c),
                        None => return Err("a `\"` quote is not closed".to_string()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(n) => cur.push(n),
                    None => return Err("the command ends with `\\`".to_string()),
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(Some(words))
}

/// `s` quoted for a POSIX shell when it needs it (`'...'`, with `'` as `'\''`).
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Where a program of a plan is found: `.venv/bin` / `venv/bin` (Python tools) or
/// `node_modules/.bin` (JavaScript tools) in the workspace, else PATH; a JavaScript runner
/// found nowhere runs through `npx --no-install`, pytest found nowhere through `python3 -m`.
/// `exists(rel)` says whether a workspace-relative file exists, `on_path(name)` whether PATH
/// has the program.
pub fn resolve_program(
    argv: &[String],
    exists: &dyn Fn(&str) -> bool,
    on_path: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let Some(program) = argv.first() else {
        return Vec::new();
    };
    if program.contains('/') || program.contains('\\') {
        return argv.to_vec();
    }
    let local: &[&str] = match program.as_str() {
        "pytest" | "py.test" | "python" | "python3" => &[".venv/bin/", "venv/bin/"],
        "vitest" | "jest" => &["node_modules/.bin/"],
        _ => &[],
    };
    for dir in local {
        let rel = format!("{dir}{program}");
        if exists(&rel) {
            let mut out = vec![rel];
            out.extend(argv[1..].iter().cloned());
            return out;
        }
    }
    if on_path(program) {
        return argv.to_vec();
    }
    let prefix: Vec<String> = match program.as_str() {
        "vitest" | "jest" => strings(&["npx", "--no-install"]),
        "pytest" => {
            let py = [".venv/bin/python", "venv/bin/python"]
                .into_iter()
                .find(|p| exists(p))
                .unwrap_or("python3");
            let mut out = vec![py.to_string(), "-m".to_string(), "pytest".to_string()];
            out.extend(argv[1..].iter().cloned());
            return out;
        }
        _ => return argv.to_vec(),
    };
    prefix.into_iter().chain(argv.iter().cloned()).collect()
}

/// Progress read from one line of a runner's output: how many tests it reports as finished.
pub fn tests_done_in_line(runner: Runner, line: &str) -> usize {
    let l = line.trim();
    match runner {
        Runner::Go => {
            let is_end = [
                "\"Action\":\"pass\"",
                "\"Action\":\"fail\"",
                "\"Action\":\"skip\"",
            ]
            .iter()
            .any(|a| l.contains(a));
            usize::from(is_end && l.contains("\"Test\":"))
        }
        Runner::Cargo => usize::from(
            l.starts_with("test ")
                && (l.ends_with(" ok") || l.ends_with(" FAILED") || l.contains(" ignored")),
        ),
        Runner::Nextest => usize::from(
            l.starts_with("PASS [") || l.starts_with("FAIL [") || l.starts_with("SKIP ["),
        ),
        Runner::Pytest => {
            // `tests/test_a.py ..F.s   [ 40%]`
            if !l.ends_with("%]") {
                return 0;
            }
            let Some(body) = l.rsplit_once('[').map(|(b, _)| b.trim_end()) else {
                return 0;
            };
            let marks = body.rsplit(' ').next().unwrap_or("");
            if marks.chars().all(|c| ".FEsxXp".contains(c)) {
                marks.chars().count()
            } else {
                0
            }
        }
        Runner::Vitest | Runner::Jest => {
            // `✓ tests/a.test.ts (3 tests | 1 failed) 5ms`
            let Some(open) = l.find(" (") else {
                return 0;
            };
            let inner = &l[open + 2..];
            let n: String = inner.chars().take_while(|c| c.is_ascii_digit()).collect();
            if inner[n.len()..].starts_with(" test") {
                n.parse().unwrap_or(0)
            } else {
                0
            }
        }
        Runner::Custom => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testlinks::link::link_with;

    fn s(v: &[&str]) -> Vec<String> {
        strings(v)
    }

    #[test]
    fn words_and_shell_syntax() {
        assert_eq!(
            split_command(r#"pytest -q "a b" 'c d' e\ f {files}"#).unwrap(),
            Some(s(&["pytest", "-q", "a b", "c d", "e f", "{files}"]))
        );
        assert_eq!(split_command("cd x && pytest").unwrap(), None);
        assert_eq!(split_command("pytest $ARGS").unwrap(), None);
        assert_eq!(split_command("npx eslint src/**/*.ts").unwrap(), None);
        assert_eq!(split_command("echo \"$HOME\"").unwrap(), None);
        assert!(split_command("pytest 'a").is_err());
        assert!(split_command("pytest \"a").is_err());
        assert_eq!(split_command("   ").unwrap(), Some(vec![]));
    }

    #[test]
    fn quoting() {
        assert_eq!(
            shell_quote("tests/test_a.py::T::x"),
            "tests/test_a.py::T::x"
        );
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's; rm -rf /"), "'it'\\''s; rm -rf /'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(regex_escape("a (b).c|d"), "a \\(b\\)\\.c\\|d");
    }

    #[test]
    fn recognised_runners() {
        let r = |c: &str| recognise(&split_command(c).unwrap().unwrap());
        assert_eq!(r("python3 -m pytest {file} -q"), Some((Runner::Pytest, 2)));
        assert_eq!(r("uv run pytest"), Some((Runner::Pytest, 2)));
        assert_eq!(r("npx vitest run"), Some((Runner::Vitest, 1)));
        assert_eq!(r("npx --yes jest"), Some((Runner::Jest, 2)));
        assert_eq!(r("pnpm exec vitest"), Some((Runner::Vitest, 2)));
        assert_eq!(r("cargo test --workspace"), Some((Runner::Cargo, 1)));
        assert_eq!(r("cargo nextest run"), Some((Runner::Nextest, 1)));
        assert_eq!(r("go test ./..."), None.or(Some((Runner::Go, 0))));
        assert_eq!(r("CI=1 go test ./..."), Some((Runner::Go, 1)));
        assert_eq!(r("make test"), None);
        assert_eq!(r("go build"), None);
        assert_eq!(
            recognise_script("cd web && npx vitest run | tee x"),
            Some(Runner::Vitest)
        );
        assert_eq!(recognise_script("make test; echo done"), None);
    }

    #[test]
    fn program_resolution() {
        let argv = s(&["pytest", "-q"]);
        let none = |_: &str| false;
        let venv = |p: &str| p == ".venv/bin/pytest";
        assert_eq!(
            resolve_program(&argv, &venv, &none),
            s(&[".venv/bin/pytest", "-q"])
        );
        assert_eq!(
            resolve_program(&argv, &none, &none),
            s(&["python3", "-m", "pytest", "-q"])
        );
        assert_eq!(resolve_program(&argv, &none, &|_| true), argv);
        let v = s(&["vitest", "run"]);
        assert_eq!(
            resolve_program(&v, &none, &none),
            s(&["npx", "--no-install", "vitest", "run"])
        );
        assert_eq!(
            resolve_program(&v, &|p| p == "node_modules/.bin/vitest", &none),
            s(&["node_modules/.bin/vitest", "run"])
        );
    }

    #[test]
    fn progress_lines() {
        assert_eq!(
            tests_done_in_line(Runner::Pytest, "tests/test_a.py ..F.s   [ 40%]"),
            5
        );
        assert_eq!(tests_done_in_line(Runner::Pytest, "collected 5 items"), 0);
        assert_eq!(
            tests_done_in_line(Runner::Cargo, "test tests::adds ... ok"),
            1
        );
        assert_eq!(
            tests_done_in_line(
                Runner::Go,
                r#"{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0}"#
            ),
            1
        );
        assert_eq!(
            tests_done_in_line(Runner::Go, r#"{"Action":"pass","Package":"p"}"#),
            0
        );
        assert_eq!(
            tests_done_in_line(
                Runner::Vitest,
                " ✓ tests/a.test.ts (3 tests | 1 failed) 5ms"
            ),
            3
        );
    }

    #[test]
    fn runner_detection() {
        let mut f = ProjectFacts::default();
        assert_eq!(detect_runner(&f, None), None);
        f.present.insert("package.json".into());
        f.package_json = Some(r#"{"devDependencies":{"vitest":"^3"}}"#.into());
        assert_eq!(detect_runner(&f, None), Some(Runner::Vitest));
        f.package_json = Some(r#"{"devDependencies":{"jest":"^29"}}"#.into());
        assert_eq!(detect_runner(&f, None), Some(Runner::Jest));
        f.present.insert("go.mod".into());
        assert_eq!(detect_runner(&f, None), Some(Runner::Go));
        assert_eq!(
            detect_runner(&f, Some(Language::Python)),
            Some(Runner::Pytest)
        );
        f.present.insert("Cargo.toml".into());
        assert_eq!(detect_runner(&f, None), Some(Runner::Cargo));
        f.nextest_toml = Some("[profile.ci.junit]\npath = \"junit.xml\"\n".into());
        assert_eq!(detect_runner(&f, None), Some(Runner::Nextest));
        assert_eq!(
            f.nextest_junit(),
            Some(("ci".into(), "target/nextest/ci/junit.xml".into()))
        );
        f.nextest_toml =
            Some("[store]\ndir = \"out/nt/\"\n[profile.default.junit]\npath = \"j.xml\"\n".into());
        assert_eq!(
            f.nextest_junit(),
            Some(("default".into(), "out/nt/default/j.xml".into()))
        );
    }

    /// A workspace with one spec and test files in several languages.
    fn fixture() -> (Workspace, TestIndex) {
        let mut ws = Workspace::new();
        ws.upsert(
            "specs/todo.spec.md",
            "---\nname: todo\n---\n# Todo\n\n## Scenarios\n\n### Scenario: Add an item\n- Given an empty list\n- When I add \"milk\"\n- Then the list has 1 item\n\n### Scenario: Remove an item\n- Given a list with \"milk\"\n- When I remove \"milk\"\n- Then the list is empty\n\n### Scenario: Clear the list\n- Given a list\n- When I clear it\n- Then it is empty\n",
            crate::model::DocKind::MarkdownSpec,
        );
        let mut tests = TestIndex::new();
        tests.upsert(
            "tests/test_todo.py",
            "class TestTodo:\n    def test_add_an_item(self):\n        pass\n\n# @spec todo/remove-an-item\ndef test_removal():\n    pass\n",
            Language::Python,
        );
        (ws, tests)
    }

    fn plan_with(
        config: &Config,
        facts: &ProjectFacts,
        sel: &Selection,
    ) -> Result<Plan, PlanError> {
        let (ws, tests) = fixture();
        let links = link_with(&ws, &tests, config);
        plan(&PlanInput {
            ws: &ws,
            tests: &tests,
            links: &links,
            config,
            facts,
            selection: sel,
            report_dir: "/w/.specls/results",
        })
    }

    fn some(indices: &[usize]) -> Selection {
        Selection::Scenarios(
            indices
                .iter()
                .map(|&index| ScenarioRef {
                    path: "specs/todo.spec.md".into(),
                    index,
                })
                .collect(),
        )
    }

    #[test]
    fn plans() {
        let facts = ProjectFacts::default();
        let mut out = BTreeMap::new();
        let mut add = |name: &str, config: &Config, sel: &Selection| {
            let r = plan_with(config, &facts, sel)
                .map(|p| {
                    format!(
                        "{} | filtered={} | {:?} | notes={:?}",
                        p.display(),
                        p.filtered,
                        p.report,
                        p.notes
                    )
                })
                .unwrap_or_else(|e| format!("error: {e}"));
            out.insert(name.to_string(), r);
        };
        let preset = Config::default();
        add("preset-all", &preset, &Selection::All);
        add("preset-two", &preset, &some(&[0, 1]));
        add("preset-untested", &preset, &some(&[2]));
        let cfg = |t: &str| Config {
            test_command: Some(t.to_string()),
            ..Config::default()
        };
        add(
            "files-filter",
            &cfg("pytest {files} -k {filter}"),
            &some(&[0, 1]),
        );
        add(
            "files-filter-all",
            &cfg("pytest {files} -k {filter}"),
            &Selection::All,
        );
        add("plain-pytest", &cfg("python3 -m pytest -q"), &some(&[1]));
        add(
            "report",
            &cfg("pytest --junit-xml={report} {files}"),
            &some(&[1]),
        );
        add("name", &cfg("pytest tests/test_{name}.py"), &some(&[1]));
        add(
            "name-all",
            &cfg("pytest tests/test_{name}.py"),
            &Selection::All,
        );
        add(
            "shell",
            &cfg("cd . && pytest {files} -k {filter}"),
            &some(&[0]),
        );
        add("custom", &cfg("make check"), &some(&[0]));
        // A custom runner has no name filter: `{filter}` is empty and every test runs.
        add(
            "custom-filter",
            &cfg("make check ARGS={filter}"),
            &some(&[0]),
        );
        add("custom-files", &cfg("./check.sh {files}"), &some(&[0]));
        add("unclosed", &cfg("pytest 'x"), &some(&[0]));
        add(
            "forced-go",
            &Config {
                test_runner: Some("go".into()),
                ..Config::default()
            },
            &some(&[0]),
        );
        insta::assert_yaml_snapshot!(out);
    }
}
