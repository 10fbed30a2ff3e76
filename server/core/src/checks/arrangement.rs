//! Arrangements and task blueprints.
//!
//! Arrangements: unknown `{placeholders}` in `output_paths` and `build_commands` (known:
//! [`PLACEHOLDERS`]), output paths that leave the workspace (absolute, `~`, or `..` above the
//! root: pure path arithmetic; resolving symlinks is the front end's job), and tools in
//! `environment.tools` that are not on PATH (through the caller's [`Env::tool_exists`]; never
//! run).
//!
//! Blueprints: guardian steps with an unknown `stage` ([`STAGES`]: the seeds' `pre-start` and
//! `final-submit` plus common CI stage names; `unit-tests`, `unit_test` and the like fold to
//! `unit`) or `expects` ([`EXPECTS`], plus `exit_code_<n>` / `exit_<n>` and
//! `contains:` / `output_contains:` / `matches:` / `regex:` prefixes), steps with no command,
//! and `relevant_tests` that do not exist (through [`Env::file_exists`]; a path counts as
//! existing relative to the workspace root or to any folder above the blueprint).

use crate::diag::Diagnostic;
use crate::model::{Document, Field};

use super::dependencies::{did_you_mean, normalize_path};
use super::summary::find_in;
use super::Env;

pub const PLACEHOLDERS: &[&str] = &[
    "name", "path", "file", "files", "filter", "language", "report",
];

pub const STAGES: &[&str] = &[
    "pre-start",
    "final-submit",
    "pre-commit",
    "pre-push",
    "lint",
    "format",
    "typecheck",
    "build",
    "compile",
    "unit",
    "integration",
    "e2e",
    "test",
    "security",
    "smoke",
    "coverage",
    "custom",
];

pub const EXPECTS: &[&str] = &[
    "success",
    "pass",
    "passes",
    "fail",
    "fails",
    "failure",
    "no_output",
    "no_errors",
    "no_warnings",
    "non_empty",
];

const EXPECT_PREFIXES: &[&str] = &["contains:", "output_contains:", "matches:", "regex:"];

pub fn check_document(doc: &Document, text: &str, env: &Env, out: &mut Vec<Diagnostic>) {
    if let Some(a) = &doc.arrangement {
        for f in a.output_paths.iter().chain(a.build_commands.iter()) {
            placeholders(doc, text, f, out);
        }
        for f in &a.output_paths {
            outside(text, f, out);
        }
        if let Some(exists) = env.tool_exists {
            for f in &a.tools {
                let tool: String = f
                    .value
                    .trim()
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !"<>=@~^!,;[".contains(*c))
                    .collect();
                if tool.is_empty() || exists(&tool) {
                    continue;
                }
                out.push(Diagnostic::new(
                    "tool-not-found",
                    f.value_span,
                    format!("tool `{tool}` from `environment.tools` is not on PATH"),
                ));
            }
        }
    }
    if let Some(b) = &doc.blueprint {
        for st in &b.guardian {
            let stage = st.stage.trim().to_ascii_lowercase().replace('_', "-");
            let folded = stage
                .strip_suffix("-tests")
                .or_else(|| stage.strip_suffix("-test"))
                .unwrap_or(&stage);
            if !stage.is_empty() && !STAGES.contains(&folded) && !STAGES.contains(&stage.as_str()) {
                let hint = did_you_mean(folded, STAGES.iter().copied())
                    .map(|g| format!("; did you mean `{g}`?"))
                    .unwrap_or_else(|| format!(" (known: {})", STAGES.join(", ")));
                out.push(Diagnostic::new(
                    "guardian-unknown-stage",
                    find_in(text, st.span, &st.stage).unwrap_or(st.span),
                    format!("unknown guardian stage `{}`{hint}", st.stage),
                ));
            }
            let ex = st.expects.trim().to_ascii_lowercase();
            if !ex.is_empty() && !known_expects(&ex) {
                out.push(Diagnostic::new(
                    "guardian-unknown-expects",
                    find_in(text, st.span, &st.expects).unwrap_or(st.span),
                    format!(
                        "unknown guardian `expects` value `{}` (known: exit_code_<n>, {}, or a contains:/matches: prefix)",
                        st.expects,
                        EXPECTS.join(", ")
                    ),
                ));
            }
            if st.command.trim().is_empty() {
                out.push(Diagnostic::new(
                    "guardian-invalid",
                    st.span,
                    format!(
                        "guardian step `{}` has no `command` to run",
                        if st.description.is_empty() {
                            &st.stage
                        } else {
                            &st.description
                        }
                    ),
                ));
            }
        }
        if let Some(exists) = env.file_exists {
            for f in &b.relevant_tests {
                let p = f.value.trim().trim_start_matches("./");
                // Relative to the workspace root or to any folder above the blueprint (the
                // blueprint's project may sit in a sub-folder of the workspace).
                let mut dirs: Vec<&str> = vec![""];
                let mut dir = doc.path.as_str();
                while let Some((parent, _)) = dir.rsplit_once('/') {
                    dirs.push(parent);
                    dir = parent;
                }
                let found = dirs.iter().any(|d| match normalize_path(d, p) {
                    Some(candidate) => exists(&candidate),
                    None => false,
                });
                if p.is_empty() || found {
                    continue;
                }
                out.push(Diagnostic::new(
                    "blueprint-missing-test",
                    f.value_span,
                    format!("relevant test `{p}` does not exist in the workspace"),
                ));
            }
        }
    }
}

fn known_expects(ex: &str) -> bool {
    if EXPECTS.contains(&ex) || EXPECT_PREFIXES.iter().any(|p| ex.starts_with(p)) {
        return true;
    }
    for p in ["exit_code_", "exit_", "exit_code:", "exit_code="] {
        if let Some(n) = ex.strip_prefix(p) {
            return !n.is_empty() && n.trim().chars().all(|c| c.is_ascii_digit());
        }
    }
    false
}

fn placeholders(doc: &Document, text: &str, f: &Field, out: &mut Vec<Diagnostic>) {
    let v = &f.value;
    let mut i = 0;
    while let Some(open) = v[i..].find('{') {
        let open = i + open;
        let Some(close) = v[open..].find('}') else {
            break;
        };
        let close = open + close;
        let name = &v[open + 1..close];
        i = close + 1;
        let ident = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !ident || PLACEHOLDERS.contains(&name) {
            continue;
        }
        let token = &v[open..=close];
        let span = find_in(text, f.value_span, token).unwrap_or(f.value_span);
        let hint = did_you_mean(name, PLACEHOLDERS.iter().copied())
            .map(|g| format!("; did you mean `{{{g}}}`?"))
            .unwrap_or_else(|| {
                format!(
                    " (known: {})",
                    PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        out.push(Diagnostic::new(
            "arrangement-unknown-placeholder",
            span,
            format!("unknown placeholder `{token}` in `{}`{hint}", f.key),
        ));
    }
    let _ = doc;
}

fn outside(text: &str, f: &Field, out: &mut Vec<Diagnostic>) {
    let v = f.value.trim();
    if v.is_empty() {
        return;
    }
    if let Some(why) = leaves_workspace(v) {
        let span = find_in(text, f.value_span, v).unwrap_or(f.value_span);
        out.push(Diagnostic::new(
            "path-outside-workspace",
            span,
            format!(
                "output path `{v}` for `{}` leaves the workspace: it {why}",
                f.key
            ),
        ));
    }
}

/// Why a path relative to the workspace root leaves the workspace, if it does (lexically: an
/// absolute path, the home folder, or `..` above the root). Symbolic links are the front ends'
/// business (they resolve them on disk before writing).
pub fn leaves_workspace(path: &str) -> Option<&'static str> {
    let v = path.trim();
    let drive = v.len() > 2 && v.as_bytes()[1] == b':' && v.as_bytes()[0].is_ascii_alphabetic();
    if v.starts_with('/') || v.starts_with('\\') || drive {
        Some("is an absolute path")
    } else if v.starts_with('~') {
        Some("is in the home folder")
    } else if normalize_path("", v).is_none() {
        Some("goes above the workspace root with `..`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Arrangement, Blueprint, GuardianStep};
    use crate::span::Span;

    fn field(text: &mut String, key: &str, value: &str) -> Field {
        let start = text.len() + key.len() + 2;
        text.push_str(&format!("{key}: {value}\n"));
        Field {
            key: key.into(),
            key_span: Span::new(start - key.len() - 2, start - 2),
            value: value.into(),
            value_span: Span::new(start, start + value.len()),
        }
    }

    #[test]
    fn arrangement_checks() {
        let mut text = String::new();
        let a = Arrangement {
            output_paths: vec![
                field(&mut text, "implementation", "src/{path}/{name}.py"),
                field(&mut text, "tests", "tests/test_{nmae}.py"),
                field(&mut text, "docs", "../outside/{name}.md"),
                field(&mut text, "abs", "/etc/{name}"),
            ],
            build_commands: vec![field(&mut text, "test", "pytest {file} {flags}")],
            tools: vec![
                field(&mut text, "t1", "uv"),
                field(&mut text, "t2", "python>=3.11"),
            ],
            ..Default::default()
        };
        let doc = Document {
            path: "arrangement.yaml".into(),
            arrangement: Some(a),
            ..Default::default()
        };
        let lookup = |t: &str| t == "uv";
        let env = Env {
            tool_exists: Some(&lookup),
            file_exists: None,
        };
        let mut out = Vec::new();
        check_document(&doc, &text, &env, &mut out);
        let got: Vec<(&str, &str)> = out.iter().map(|d| (d.code, d.span.slice(&text))).collect();
        assert_eq!(
            got,
            vec![
                ("arrangement-unknown-placeholder", "{nmae}"),
                ("arrangement-unknown-placeholder", "{flags}"),
                ("path-outside-workspace", "../outside/{name}.md"),
                ("path-outside-workspace", "/etc/{name}"),
                ("tool-not-found", "python>=3.11"),
            ],
            "{out:#?}"
        );
        assert!(out[0].message.contains("did you mean `{name}`?"));
        // Without a lookup, no tool findings.
        let mut out = Vec::new();
        check_document(&doc, &text, &Env::default(), &mut out);
        assert!(out.iter().all(|d| d.code != "tool-not-found"));
    }

    #[test]
    fn blueprint_checks() {
        let mut text = String::new();
        let tests = vec![
            field(&mut text, "-", "tests/test_a.py"),
            field(&mut text, "-", "tests/missing.py"),
        ];
        let step = |stage: &str, expects: &str, command: &str| GuardianStep {
            description: "d".into(),
            stage: stage.into(),
            command: command.into(),
            expects: expects.into(),
            span: Span::default(),
        };
        let b = Blueprint {
            relevant_tests: tests,
            guardian: vec![
                step("unit-tests", "exit_code_0", "pytest"),
                step("lnt", "success", "ruff"),
                step("e2e", "sometimes", "x"),
                step("build", "pass", " "),
            ],
            ..Default::default()
        };
        let doc = Document {
            path: "t.md".into(),
            blueprint: Some(b),
            ..Default::default()
        };
        let exists = |p: &str| p == "tests/test_a.py";
        let env = Env {
            tool_exists: None,
            file_exists: Some(&exists),
        };
        let mut out = Vec::new();
        check_document(&doc, &text, &env, &mut out);
        let got: Vec<&str> = out.iter().map(|d| d.code).collect();
        assert_eq!(
            got,
            vec![
                "guardian-unknown-stage",
                "guardian-unknown-expects",
                "guardian-invalid",
                "blueprint-missing-test"
            ]
        );
        assert!(out[0].message.contains("did you mean `lint`?"));
    }
}
