//! Which files are test files, and where a new test for a spec goes.
//!
//! A file is a test file (of the language its extension says) when any of these name it:
//! - an arrangement's `output_paths.tests` pattern (and `overrides.<spec>.tests` paths), with
//!   `{name}` read as `*` and `{path}` as `**` (any other `{placeholder}` as `*`), relative to
//!   the workspace root;
//! - a `[tests] include` glob of `specls.toml` ([`Config::test_globs`]);
//! - the defaults: Python `test_*.py` and `*_test.py`; Rust `*.rs` under a `tests/` folder,
//!   `tests.rs`, `*_test.rs`, `*_tests.rs`; TypeScript/JavaScript `*.test.*` and `*.spec.*`
//!   (`ts`, `tsx`, `mts`, `cts`, `js`, `jsx`, `mjs`, `cjs`) and anything under `__tests__/`;
//!   Go `*_test.go`.
//!
//! Excluded files (`[specs] exclude`) and anything under `node_modules/` never are.
//! Rust unit tests live in ordinary source files (`#[cfg(test)] mod tests`): callers that want
//! them index those files too when [`mentions_tests`] says they hold tests.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::Language;
use crate::config::Config;
use crate::model::{slug, Arrangement};

/// Decides which paths are test files; build once per configuration, ask per path.
#[derive(Clone, Debug)]
pub struct TestFileMatcher {
    config: Config,
    arrangement: GlobSet,
}

impl TestFileMatcher {
    pub fn new(config: &Config, arrangements: &[&Arrangement]) -> TestFileMatcher {
        let mut b = GlobSetBuilder::new();
        for a in arrangements {
            for f in &a.output_paths {
                if f.key == "tests"
                    || (f.key.starts_with("overrides.") && f.key.ends_with(".tests"))
                {
                    let pattern = placeholder_glob(&f.value);
                    if pattern.is_empty() {
                        continue;
                    }
                    if let Ok(g) = GlobBuilder::new(&pattern)
                        .literal_separator(true)
                        .backslash_escape(true)
                        .build()
                    {
                        b.add(g);
                    }
                }
            }
        }
        TestFileMatcher {
            config: config.clone(),
            arrangement: b.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    /// The test language of `path` (workspace-relative, `/` separators), or None.
    pub fn language(&self, path: &str) -> Option<Language> {
        let path = path.trim_start_matches("./");
        let lang = Language::from_path(path)?;
        if path.split('/').any(|s| s == "node_modules") || self.config.is_excluded(path) {
            return None;
        }
        if self.arrangement.is_match(path)
            || self.config.is_test_file(path)
            || is_default_test_file(path, lang)
        {
            Some(lang)
        } else {
            None
        }
    }
}

impl TestFileMatcher {
    /// [`Self::language`], or, for a source file in a test language that the rules do not name,
    /// its language when its text links to scenarios (an `@spec` marker) or, for Rust, holds
    /// tests (Rust's unit tests live beside the code, in `src/`). One rule for every front end.
    pub fn language_of(&self, path: &str, text: &str) -> Option<Language> {
        if let Some(lang) = self.language(path) {
            return Some(lang);
        }
        let path = path.trim_start_matches("./");
        let lang = Language::from_path(path)?;
        if path.split('/').any(|s| s == "node_modules") || self.config.is_excluded(path) {
            return None;
        }
        (text.contains("@spec") || (lang == Language::Rust && mentions_tests(lang, text)))
            .then_some(lang)
    }
}

/// One-shot form of [`TestFileMatcher::language`].
pub fn is_test_file(
    path: &str,
    config: &Config,
    arrangements: &[&Arrangement],
) -> Option<Language> {
    TestFileMatcher::new(config, arrangements).language(path)
}

/// The per-language default test file names.
pub fn is_default_test_file(path: &str, lang: Language) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let dirs = || path.split('/').rev().skip(1);
    match lang {
        Language::Python => file.starts_with("test_") || file.ends_with("_test.py"),
        Language::Rust => {
            dirs().any(|d| d == "tests")
                || file == "tests.rs"
                || file.ends_with("_test.rs")
                || file.ends_with("_tests.rs")
        }
        Language::TypeScript | Language::JavaScript => {
            let stem = file.rsplit_once('.').map(|(s, _)| s).unwrap_or(file);
            stem.ends_with(".test") || stem.ends_with(".spec") || dirs().any(|d| d == "__tests__")
        }
        Language::Go => file.ends_with("_test.go"),
    }
}

/// Does this text hold tests (for source files that are not test files by name, such as Rust
/// files with `#[cfg(test)]` modules), or a `@spec` marker?
pub fn mentions_tests(language: Language, text: &str) -> bool {
    text.contains("@spec")
        || match language {
            Language::Rust => {
                text.contains("#[test]")
                    || text.contains("::test]")
                    || text.contains("#[cfg(test)]")
            }
            Language::Python => text.contains("def test"),
            Language::Go => text.contains("*testing.T"),
            Language::TypeScript | Language::JavaScript => {
                text.contains("it(") || text.contains("test(") || text.contains("describe(")
            }
        }
}

/// An arrangement path pattern as a glob: `{name}` -> `*`, `{path}` -> `**`, other
/// placeholders -> `*`; glob metacharacters in the literal parts are escaped.
fn placeholder_glob(pattern: &str) -> String {
    let p = pattern.trim().trim_start_matches("./");
    let mut out = String::with_capacity(p.len() + 8);
    let mut rest = p;
    while let Some(open) = rest.find('{') {
        escape_into(&rest[..open], &mut out);
        match rest[open..].find('}') {
            Some(close) => {
                let name = &rest[open + 1..open + close];
                out.push_str(if name.trim() == "path" { "**" } else { "*" });
                rest = &rest[open + close + 1..];
            }
            None => {
                escape_into(&rest[open..], &mut out);
                rest = "";
            }
        }
    }
    escape_into(rest, &mut out);
    out
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// `Create a simple task` -> `create_a_simple_task` (letters and digits, `_` between words).
pub fn snake(s: &str) -> String {
    slug(s).replace('-', "_")
}

/// `Create a simple task` -> `CreateASimpleTask`.
pub fn camel(s: &str) -> String {
    let mut out = String::new();
    for word in slug(s).split('-') {
        let mut cs = word.chars();
        if let Some(f) = cs.next() {
            out.extend(f.to_uppercase());
            out.push_str(cs.as_str());
        }
    }
    out
}

/// The arrangement (of `arrangements`) whose tests go in `language`, if any.
fn arrangement_for<'a>(
    language: Language,
    arrangements: &[&'a Arrangement],
) -> Option<&'a Arrangement> {
    arrangements.iter().copied().find(|a| {
        let by_name = a.target_language.as_deref().and_then(Language::from_name);
        let by_ext = a
            .output_path("tests")
            .and_then(|f| Language::from_path(&f.value));
        match by_name.or(by_ext) {
            Some(l) => l == language || (l.is_js() && language.is_js()),
            None => true,
        }
    })
}

/// Where a new test of `language` for the spec at `spec_path` of `ws` goes: when the
/// arrangement that applies to the spec (the nearest in its folder or above, the one a compile
/// uses) is for `language` and names its tests, exactly the tests file a compile writes
/// ([`crate::compile::targets::targets`]: relative to the arrangement's folder, `{path}` under
/// its `specs_path`); else [`test_path_for`].
pub fn test_path_in(
    ws: &crate::workspace::Workspace,
    spec_name: &str,
    spec_path: &str,
    language: Language,
    config: &Config,
    arrangements: &[&Arrangement],
) -> String {
    use crate::compile::targets;
    let compiled = targets::arrangement_for(ws, spec_path).and_then(|(arr_path, file)| {
        let arr = file.doc.arrangement.as_ref()?;
        let spec = ws.get(spec_path)?;
        arrangement_for(language, &[arr])?;
        let t = targets::targets(arr_path, arr, &spec.doc).ok()?;
        t.files
            .iter()
            .find(|(_, k)| k == "tests")
            .map(|(p, _)| p.clone())
    });
    compiled.unwrap_or_else(|| test_path_for(spec_name, spec_path, language, config, arrangements))
}

/// Where a new test of `language` for the spec named `spec_name` (file `spec_path`) goes:
/// the arrangement's `overrides.<name>.tests` or `output_paths.tests` with `{name}` (the same
/// value a compile gives it: [`crate::compile::targets::file_name`]) and `{path}` (the spec's folder under `specs_path`) filled in; else a default
/// (`tests/test_<name>.py`, `tests/<name>.rs`, `tests/<name>.test.ts`, `<name>_test.go`), moved
/// under the folder of the first `[tests] include` glob when the default does not match those.
pub fn test_path_for(
    spec_name: &str,
    spec_path: &str,
    language: Language,
    config: &Config,
    arrangements: &[&Arrangement],
) -> String {
    if let Some(a) = arrangement_for(language, arrangements) {
        let over = [
            spec_name.to_string(),
            crate::compile::targets::file_name(spec_name, spec_path),
        ]
        .iter()
        .find_map(|n| a.output_path(&format!("overrides.{n}.tests")));
        if let Some(f) = over.or_else(|| a.output_path("tests")) {
            if !f.value.trim().is_empty() {
                let dir = spec_path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                let specs_root = a
                    .specs_path
                    .as_deref()
                    .unwrap_or("")
                    .trim_start_matches("./")
                    .trim_end_matches('/');
                let sub = dir
                    .strip_prefix(specs_root)
                    .unwrap_or(dir)
                    .trim_start_matches('/');
                let p = f
                    .value
                    .trim()
                    .trim_start_matches("./")
                    .replace(
                        "{name}",
                        &crate::compile::targets::file_name(spec_name, spec_path),
                    )
                    .replace("{path}", sub);
                return collapse_slashes(&p);
            }
        }
    }
    let s = snake(spec_name);
    let s = if s.is_empty() { "spec".to_string() } else { s };
    let default = match language {
        Language::Python => format!("tests/test_{s}.py"),
        Language::Rust => format!("tests/{s}.rs"),
        Language::TypeScript => format!("tests/{}.test.ts", s.replace('_', "-")),
        Language::JavaScript => format!("tests/{}.test.js", s.replace('_', "-")),
        Language::Go => format!("{s}_test.go"),
    };
    if config.test_globs.is_empty() || config.is_test_file(&default) {
        return default;
    }
    let file = default.rsplit('/').next().unwrap_or(&default).to_string();
    for g in &config.test_globs {
        let g = g.trim().trim_start_matches("./");
        let prefix: Vec<&str> = g
            .split('/')
            .take_while(|seg| !seg.contains(['*', '?', '[', '{']))
            .collect();
        let dir = if prefix.len() == g.split('/').count() {
            // A literal file path: its folder.
            prefix[..prefix.len().saturating_sub(1)].join("/")
        } else {
            prefix.join("/")
        };
        let candidate = if dir.is_empty() {
            file.clone()
        } else {
            format!("{dir}/{file}")
        };
        if config.is_test_file(&candidate) {
            return candidate;
        }
    }
    default
}

fn collapse_slashes(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out.trim_start_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Field;

    fn arrangement(tests: &str, lang: &str) -> Arrangement {
        Arrangement {
            target_language: Some(lang.into()),
            specs_path: Some("specs/".into()),
            output_paths: vec![Field {
                key: "tests".into(),
                value: tests.into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn defaults_config_and_arrangement() {
        let config = Config::default();
        let a = arrangement("build/checks/{name}.check.ts", "typescript");
        let m = TestFileMatcher::new(&config, &[&a]);
        assert_eq!(m.language("tests/test_todo.py"), Some(Language::Python));
        assert_eq!(m.language("pkg/todo_test.py"), Some(Language::Python));
        assert_eq!(m.language("src/todo.py"), None);
        assert_eq!(m.language("tests/cli.rs"), Some(Language::Rust));
        assert_eq!(m.language("src/lib.rs"), None);
        assert_eq!(m.language("web/todo.test.tsx"), Some(Language::TypeScript));
        assert_eq!(m.language("web/todo.spec.mjs"), Some(Language::JavaScript));
        assert_eq!(
            m.language("web/__tests__/todo.js"),
            Some(Language::JavaScript)
        );
        assert_eq!(m.language("node_modules/x/a.test.js"), None);
        assert_eq!(m.language("todo_test.go"), Some(Language::Go));
        assert_eq!(
            m.language("build/checks/todo.check.ts"),
            Some(Language::TypeScript)
        );
        assert_eq!(m.language("build/checks/deep/todo.check.ts"), None);
        assert_eq!(m.language("specs/todo.spec.md"), None);

        let (config, issues) = Config::from_toml("[tests]\ninclude = [\"checks/**/*.py\"]\n");
        assert!(issues.is_empty());
        assert_eq!(
            is_test_file("checks/a/b.py", &config, &[]),
            Some(Language::Python)
        );
        assert_eq!(is_test_file("other/b.py", &config, &[]), None);
    }

    #[test]
    fn test_paths() {
        let config = Config::default();
        let a = arrangement("build/tests/{path}/{name}.test.ts", "typescript");
        assert_eq!(
            test_path_for(
                "todo",
                "specs/core/todo.spec.md",
                Language::TypeScript,
                &config,
                &[&a]
            ),
            "build/tests/core/todo.test.ts"
        );
        assert_eq!(
            test_path_for(
                "todo",
                "specs/todo.spec.md",
                Language::TypeScript,
                &config,
                &[&a]
            ),
            "build/tests/todo.test.ts"
        );
        // The arrangement is for TypeScript: a Python test goes to the default place.
        assert_eq!(
            test_path_for(
                "Task Manager",
                "specs/tm.spec.md",
                Language::Python,
                &config,
                &[&a]
            ),
            "tests/test_task_manager.py"
        );
        // A title with spaces is no file name: `{name}` is the spec file's stem.
        let py = arrangement("tests/test_{name}.py", "python");
        assert_eq!(
            test_path_for(
                "Task Management System",
                "tasks.spec.yaml",
                Language::Python,
                &config,
                &[&py]
            ),
            "tests/test_tasks.py"
        );
        assert_eq!(
            test_path_for("todo", "x", Language::Go, &config, &[]),
            "todo_test.go"
        );
        let (config, _) = Config::from_toml("[tests]\ninclude = [\"spec_tests/**/*.py\"]\n");
        assert_eq!(
            test_path_for("todo", "x", Language::Python, &config, &[]),
            "spec_tests/test_todo.py"
        );
        assert_eq!(placeholder_glob("./a/{name}[1].py"), "a/*\\[1\\].py");
        assert_eq!(camel("Create a simple task"), "CreateASimpleTask");
        assert_eq!(snake("Create a simple task!"), "create_a_simple_task");
    }
}
