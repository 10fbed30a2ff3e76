//! Scenarios and tests (issue 5, the pure part): which files are test files, what tests and
//! `@spec` markers they hold, how tests link to scenarios, how test-runner output reads, and
//! what each scenario's last run says.
//!
//! Nothing here runs a process or touches the file system: callers pass file texts and runner
//! output in, and get plain data with byte ranges back.
//!
//! - [`files`]: [`Language`], [`files::TestFileMatcher`] / [`files::is_test_file`] (arrangement
//!   `output_paths.tests`, `[tests] include` globs, per-language defaults) and
//!   [`files::test_path_for`] (where a new test for a spec goes).
//! - [`index`]: [`index::index_file`] reads one test file into a [`TestFile`] (tests, suites,
//!   subtests, markers); [`TestIndex`] holds every indexed test file of a workspace.
//! - [`link`]: [`link::link`] joins a workspace with a test index into [`link::Links`]
//!   (scenario -> tests, test -> scenarios, marker -> targets, `unknown-scenario-marker`
//!   diagnostics) and [`link::rename_marker_edits`].
//! - [`results`]: parsers for JUnit XML, `go test -json`, libtest output and TAP.
//! - [`plan`]: what a test run runs — the runner (presets for pytest, cargo test/nextest,
//!   vitest/jest, go test), the command with its placeholders expanded into an argv, and the
//!   tests a selection of scenarios means.
//! - [`status`]: results mapped to tests and aggregated per scenario, and the
//!   `scenario-untested` / `scenario-failed` diagnostics (with a test skeleton fix).
//!
//! # How a front end uses it
//! ```text
//! matcher = TestFileMatcher::new(&config, &arrangements)      // once per configuration
//! for each workspace file: if let Some(lang) = matcher.language(path) {
//!     tests.upsert(path, text, lang) }                        // and again on every change
//! links = link::link_with(&ws, &tests, &config)               // after spec or test changes
//!   links.diagnostics[test path]          -> publish on test files (unknown markers)
//!   links.test_locations(&scenario, &tests) -> definition/references from a scenario
//!   links.marker_definition(&ws, &tests, path, offset) -> definition from a marker
//!   link::rename_marker_edits(&tests, old_id, new_id) -> add to a scenario id rename
//! parsed = results::parse(report_text)    // JUnit, go test -json, libtest or TAP
//! mapping = status::map_results(&tests, &parsed.results)
//! statuses = status::scenario_status(&ws, &tests, &links, &parsed.results, &mapping)
//!   -> lenses (passed with duration and count, failed with message, not run, untested)
//! status::scenario_diagnostics(&ws, &tests, &statuses, &config) -> publish on specs
//! ```

pub mod files;
pub mod index;
mod lex;
pub mod link;
pub mod plan;
pub mod results;
pub mod skeleton;
pub mod status;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::span::Span;

pub use files::{is_test_file, test_path_for, test_path_in, TestFileMatcher};
pub use index::index_file;
pub use link::{link, rename_marker_edits, Links};

/// A language whose test files specls reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Rust,
    TypeScript,
    JavaScript,
    Go,
}

impl Language {
    pub fn is_js(self) -> bool {
        matches!(self, Language::TypeScript | Language::JavaScript)
    }

    /// By file extension (`.py`, `.rs`, `.ts`/`.tsx`/`.mts`/`.cts`, `.js`/`.jsx`/`.mjs`/`.cjs`,
    /// `.go`).
    pub fn from_path(path: &str) -> Option<Language> {
        let ext = path.rsplit_once('.')?.1;
        Some(match ext {
            "py" => Language::Python,
            "rs" => Language::Rust,
            "ts" | "tsx" | "mts" | "cts" => Language::TypeScript,
            "js" | "jsx" | "mjs" | "cjs" => Language::JavaScript,
            "go" => Language::Go,
            _ => return None,
        })
    }

    /// From an arrangement's `target_language` (`python`, `rust`, `typescript`, `ts`, `go`...).
    pub fn from_name(name: &str) -> Option<Language> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "python" | "py" | "python3" => Language::Python,
            "rust" | "rs" => Language::Rust,
            "typescript" | "ts" => Language::TypeScript,
            "javascript" | "js" | "node" | "nodejs" => Language::JavaScript,
            "go" | "golang" => Language::Go,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Rust => "rust",
            Language::TypeScript => "typescript",
            Language::JavaScript => "javascript",
            Language::Go => "go",
        }
    }
}

/// What a test item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    /// A test function or `it(...)`/`test(...)` call.
    Test,
    /// A group: `describe(...)`, a pytest `class Test*` / `unittest.TestCase` class.
    Suite,
    /// A Go `t.Run("name", ...)` subtest.
    Subtest,
}

/// How a marker is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarkerForm {
    /// `@spec <id>` in a comment or string.
    Comment,
    /// `@pytest.mark.spec("<id>")`.
    PytestMark,
}

/// One scenario (or requirement) id named by a marker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub id: String,
    /// Just the id (what a rename replaces).
    pub span: Span,
    pub form: MarkerForm,
    /// The test it belongs to (index into [`TestFile::tests`]): the test it sits in, or the
    /// test right below it (only comments and blank lines between); None for a marker that is
    /// in no test.
    pub test: Option<usize>,
}

/// A test, suite or subtest of a test file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestItem {
    /// As written: `test_create_task`, `Create a simple task`, `TestCreateTask`.
    pub name: String,
    pub kind: TestKind,
    /// The word that introduces it: `def`, `class`, `fn`, `it`, `test`, `describe`, `func`,
    /// `Run`...
    pub keyword: String,
    /// The whole test, from its first decorator/attribute to the end of its body.
    pub span: Span,
    pub name_span: Span,
    /// Enclosing names, outermost first: Python classes, `describe` titles, Go parent tests,
    /// Rust `mod` names (inside the file).
    pub parents: Vec<String>,
    /// The enclosing item, if it is itself an item (index into [`TestFile::tests`]).
    pub parent: Option<usize>,
    /// `only`, `skip`, `each`, `todo`... (JS chains), `ignore`/`should_panic` (Rust),
    /// `skip`/`xfail`/`parametrize`... (pytest marks), `async`.
    pub modifiers: Vec<String>,
    /// Indices into [`TestFile::markers`].
    pub markers: Vec<usize>,
}

/// One indexed test file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestFile {
    pub path: String,
    pub language: Language,
    /// Length of the text in bytes (where an appended test goes).
    pub len: usize,
    /// Items in source order (a parent comes before its children).
    pub tests: Vec<TestItem>,
    /// Every marker of the file, in source order.
    pub markers: Vec<Marker>,
}

impl TestFile {
    /// The item whose name is at `offset`, else the innermost item containing it.
    pub fn test_at(&self, offset: usize) -> Option<usize> {
        if let Some(i) = self.tests.iter().position(|t| t.name_span.touches(offset)) {
            return Some(i);
        }
        self.tests
            .iter()
            .enumerate()
            .filter(|(_, t)| t.span.contains(offset))
            .min_by_key(|(_, t)| t.span.len())
            .map(|(i, _)| i)
    }

    /// The marker whose id is at `offset`.
    pub fn marker_at(&self, offset: usize) -> Option<usize> {
        self.markers.iter().position(|m| m.span.touches(offset))
    }

    /// Names from the outermost parent to the item itself.
    pub fn path_of(&self, test: usize) -> Vec<&str> {
        match self.tests.get(test) {
            Some(t) => t
                .parents
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(t.name.as_str()))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// Every indexed test file of a workspace, keyed by path (workspace-relative, `/`).
/// Front ends keep it current: [`TestIndex::upsert`] when a test file changes, `remove` when
/// it is deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestIndex {
    pub files: BTreeMap<String, TestFile>,
}

impl TestIndex {
    pub fn new() -> TestIndex {
        TestIndex::default()
    }

    /// Index `text` as a test file of `language` (replacing an earlier version).
    pub fn upsert(&mut self, path: &str, text: &str, language: Language) {
        self.files
            .insert(path.to_string(), index_file(path, text, language));
    }

    pub fn remove(&mut self, path: &str) {
        self.files.remove(path);
    }

    pub fn get(&self, path: &str) -> Option<&TestFile> {
        self.files.get(path)
    }

    /// The language most test files are in (ties: the first in [`Language`] order).
    pub fn main_language(&self) -> Option<Language> {
        let mut counts: BTreeMap<Language, usize> = BTreeMap::new();
        for f in self.files.values() {
            *counts.entry(f.language).or_default() += 1;
        }
        let max = counts.values().copied().max()?;
        counts.into_iter().find(|&(_, c)| c == max).map(|(l, _)| l)
    }
}

/// A test of the index: its file's path and its index in that file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TestRef {
    pub path: String,
    pub test: usize,
}

#[cfg(test)]
mod robustness {
    use proptest::prelude::*;

    use super::*;

    /// Fragments that steer the lexers and parsers into their interesting states.
    fn soup() -> impl Strategy<Value = String> {
        let frag = prop_oneof![
            Just("def test_a():\n".to_string()),
            Just("class TestX:\n    ".to_string()),
            Just("#[test]\nfn a() {".to_string()),
            Just("mod m {".to_string()),
            Just("it(\"x\", () => {".to_string()),
            Just("describe.each([1])(`t`, ".to_string()),
            Just("func TestA(t *testing.T) {".to_string()),
            Just("t.Run(\"s\", func(t *testing.T) {".to_string()),
            Just("// @spec a-1, b/2 ".to_string()),
            Just("@pytest.mark.spec(\"x\")".to_string()),
            Just("\"\"\"".to_string()),
            Just("r#\"".to_string()),
            Just("`${".to_string()),
            Just("/*".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("/".to_string()),
            Just("}".to_string()),
            Just(")".to_string()),
            Just("\n".to_string()),
            Just("<testcase name=\"a\">".to_string()),
            Just("<failure message='m'>".to_string()),
            Just("<![CDATA[".to_string()),
            Just("&#x".to_string()),
            Just("{\"Action\":\"run\",\"Test\":\"T\"}\n".to_string()),
            Just("test a ... ".to_string()),
            Just("---- a stdout ----\n".to_string()),
            Just("failures:\n".to_string()),
            Just("not ok 1 - x # SKIP {\n".to_string()),
            Just("  ---\n  message: 'a'\n".to_string()),
            Just("# Subtest: s\n".to_string()),
            Just("é".to_string()),
            "[ -~]{0,8}".prop_map(|s| s),
        ];
        prop::collection::vec(frag, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn indexers_never_panic(text in soup()) {
            for lang in [Language::Python, Language::Rust, Language::TypeScript, Language::Go] {
                let f = index_file("t", &text, lang);
                for t in &f.tests {
                    prop_assert!(t.span.end <= text.len() && t.span.start <= t.span.end);
                    prop_assert!(text.get(t.name_span.start..t.name_span.end).is_some());
                }
                for m in &f.markers {
                    prop_assert!(text.get(m.span.start..m.span.end).is_some());
                }
            }
        }

        #[test]
        fn result_parsers_never_panic(text in soup()) {
            for format in [results::Format::Junit, results::Format::GoJson, results::Format::Libtest, results::Format::Tap] {
                let r = results::parse_as(&text, format);
                for e in &r.errors {
                    prop_assert!(e.offset <= text.len());
                }
            }
            let _ = results::parse(&text);
        }

        #[test]
        fn arbitrary_bytes(text in "\\PC{0,200}") {
            for lang in [Language::Python, Language::Rust, Language::JavaScript, Language::Go] {
                let _ = index_file("t", &text, lang);
            }
            let _ = results::parse(&text);
        }
    }
}
