//! Test skeletons for untested scenarios: a pytest function, a Rust `#[test]`, a vitest
//! `it(...)` or a Go `func Test...`, carrying the `@spec <id>` marker and the scenario's
//! Given/When/Then as comments, and failing until someone writes the test.

use super::files::{camel, snake, test_path_in};
use super::{Language, TestIndex};
use crate::config::Config;
use crate::diag::TextEdit;
use crate::model::{Arrangement, Scenario, Step};

/// The project's test language: the first arrangement's `target_language`, else the language
/// most indexed test files are in.
pub fn project_language(arrangements: &[&Arrangement], tests: &TestIndex) -> Option<Language> {
    arrangements
        .iter()
        .find_map(|a| a.target_language.as_deref().and_then(Language::from_name))
        .or_else(|| tests.main_language())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn step_lines(sc: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |word: &str, steps: &[Step]| {
        for (i, s) in steps.iter().enumerate() {
            let w = if i == 0 { word } else { "And" };
            out.push(format!("{w} {}", one_line(&s.text)));
        }
    };
    push("Given", &sc.given);
    push("When", &sc.when);
    push("Then", &sc.then);
    out
}

/// A string literal for JavaScript/TypeScript and Go (double quotes, escaped).
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in one_line(s).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An identifier from the scenario name (prefixed when it would start with a digit or be
/// empty).
fn ident(name: &str, prefix: &str) -> String {
    let s = snake(name);
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) || is_keyword(&s) {
        format!("{prefix}{s}")
    } else {
        s
    }
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "gen"
    )
}

/// The text of a test for `sc` (whose id is `id`). `new_file`: the text starts a new file
/// (imports, Go package clause); `package`: the Go package for a new file.
pub fn skeleton(
    language: Language,
    sc: &Scenario,
    id: &str,
    new_file: bool,
    package: &str,
    js_fn: &str,
) -> String {
    let steps = step_lines(sc);
    let name = one_line(&sc.name);
    let mut s = String::new();
    match language {
        Language::Python => {
            if !new_file {
                s.push_str("\n\n");
            }
            s.push_str(&format!("# @spec {id}\ndef test_{}():\n", snake(&sc.name)));
            for l in &steps {
                s.push_str(&format!("    # {l}\n"));
            }
            s.push_str(&format!(
                "    raise NotImplementedError({})\n",
                quoted(&format!("test for scenario '{name}' not written yet"))
            ));
        }
        Language::Rust => {
            if !new_file {
                s.push('\n');
            }
            s.push_str(&format!(
                "/// @spec {id}\n#[test]\nfn {}() {{\n",
                ident(&sc.name, "scenario_")
            ));
            for l in &steps {
                s.push_str(&format!("    // {l}\n"));
            }
            s.push_str(&format!(
                "    unimplemented!({});\n}}\n",
                quoted(&format!("test for scenario '{name}' not written yet"))
            ));
        }
        Language::TypeScript | Language::JavaScript => {
            if new_file {
                s.push_str("import { it } from \"vitest\";\n\n");
            } else {
                s.push('\n');
            }
            s.push_str(&format!(
                "// @spec {id}\n{js_fn}({}, () => {{\n",
                quoted(&name)
            ));
            for l in &steps {
                s.push_str(&format!("  // {l}\n"));
            }
            s.push_str(&format!(
                "  throw new Error({});\n}});\n",
                quoted(&format!("test for scenario '{name}' not written yet"))
            ));
        }
        Language::Go => {
            if new_file {
                s.push_str(&format!("package {package}\n\nimport \"testing\"\n\n"));
            } else {
                s.push('\n');
            }
            let fname = camel(&sc.name);
            let fname = if fname.starts_with(|c: char| c.is_ascii_digit()) {
                format!("_{fname}")
            } else {
                fname
            };
            s.push_str(&format!(
                "// @spec {id}\nfunc Test{fname}(t *testing.T) {{\n"
            ));
            for l in &steps {
                s.push_str(&format!("\t// {l}\n"));
            }
            s.push_str(&format!(
                "\tt.Fatal({})\n}}\n",
                quoted(&format!("test for scenario '{name}' not written yet"))
            ));
        }
    }
    s
}

/// The Go package of a new test file: its folder's name (letters, digits, `_`), else `main`.
fn go_package(path: &str) -> String {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let last = dir.rsplit('/').next().unwrap_or("");
    let p: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_lowercase();
    if p.is_empty() || p.starts_with(|c: char| c.is_ascii_digit()) {
        "main".to_string()
    } else {
        p
    }
}

/// The edit adding a test for `sc` (of the spec `spec_name` at `spec_path`) in `language`:
/// appended to the spec's test file when it is indexed, else creating that file (an edit on a
/// new path with the empty span `0..0`; see [`crate::diag::TextEdit`]).
#[allow(clippy::too_many_arguments)]
pub fn skeleton_edit(
    ws: &crate::workspace::Workspace,
    language: Language,
    sc: &Scenario,
    spec_name: &str,
    spec_path: &str,
    tests: &TestIndex,
    config: &Config,
    arrangements: &[&Arrangement],
) -> TextEdit {
    let path = test_path_in(ws, spec_name, spec_path, language, config, arrangements);
    let existing = tests.get(&path);
    // Follow the file: `test(...)` when its tests use `test`, else `it`.
    let js_fn = match existing {
        Some(f)
            if f.tests
                .iter()
                .any(|t| t.kind == super::TestKind::Test && t.keyword == "test")
                && !f.tests.iter().any(|t| t.keyword == "it") =>
        {
            "test"
        }
        _ => "it",
    };
    let text = skeleton(
        language,
        sc,
        &sc.id,
        existing.is_none(),
        &go_package(&path),
        js_fn,
    );
    let at = existing.map(|f| f.len).unwrap_or(0);
    TextEdit {
        path,
        span: crate::span::Span::empty(at),
        new_text: text,
    }
}
