//! The checks on the bundled example workspaces: every workspace under `specs/examples/` must be
//! free of findings; every file of `tests/fixtures/findings/` must produce exactly the codes
//! its README table lists. The findings' diagnostics (with related places and fixes) are also
//! kept as a reviewed snapshot.
//!
//! Only the codes of the checks are asserted here (every area but `parse`, plus the parsers'
//! `constraint-unmeasurable`); what the parsers report is asserted by the parsers' own tests.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use specls_core::checks::{check_workspace_with, Env};
use specls_core::config::Config;
use specls_core::Diagnostic;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples")
}

/// Tools a test machine is assumed to have: everything except the one the findings name as
/// missing (the real PATH lookup is the front end's; this keeps the test machine-independent).
fn tool_exists(tool: &str) -> bool {
    tool != "specls-example-missing-tool"
}

fn check(dir: &Path) -> (BTreeMap<String, Vec<Diagnostic>>, BTreeMap<String, String>) {
    let (ws, errors) = specls::files::load(dir, &[dir.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let d = dir.to_path_buf();
    let file_exists = move |p: &str| d.join(p).is_file();
    let env = Env {
        tool_exists: Some(&tool_exists),
        file_exists: Some(&file_exists),
    };
    let mut diags = check_workspace_with(&ws, &Config::default(), &env);
    for ds in diags.values_mut() {
        ds.retain(|d| specls_core::diag::code_info(d.code).is_some_and(|c| c.area != "parse"));
    }
    let texts = ws
        .files
        .iter()
        .map(|(p, f)| (p.clone(), f.text.to_string()))
        .collect();
    (diags, texts)
}

use common::diags::render;

#[test]
fn clean_example_workspaces_have_no_findings() {
    let mut failures = String::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root())
        .expect("specs/examples exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let (diags, texts) = check(&dir);
        let r = render(&diags, &texts);
        if !r.is_empty() {
            failures.push_str(&format!("== {}\n{r}", dir.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "example workspaces with findings:\n{failures}"
    );
}

/// One row of the findings README: the file (or folder), expected codes with counts (None when
/// the row gives no count) and the codes also accepted.
struct Row {
    file: String,
    expected: Vec<(String, Option<usize>)>,
    acceptable: Vec<String>,
    instead: bool,
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, x)| x.to_string())
        .collect()
}

/// A code of the checks (not of the parsers).
fn is_code(s: &str) -> bool {
    specls_core::diag::code_info(s).is_some_and(|c| c.area != "parse")
}

fn rows(readme: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || cells[1] == "File" || cells[1].starts_with("---") {
            continue;
        }
        let Some(file) = backticked(cells[1]).into_iter().next() else {
            continue;
        };
        let mut expected = Vec::new();
        let parts: Vec<&str> = cells[2].split('`').collect();
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 1 && is_code(p) {
                let after = parts.get(i + 1).copied().unwrap_or("").trim_start();
                // `(2)` or `(2, one pair)`: the leading number.
                let count = after.strip_prefix('(').and_then(|r| {
                    let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                });
                expected.push((p.to_string(), count));
            }
        }
        let acceptable = backticked(cells[3])
            .into_iter()
            .filter(|c| is_code(c))
            .collect();
        out.push(Row {
            file,
            expected,
            acceptable,
            instead: cells[3].contains("instead"),
        });
    }
    out
}

#[test]
fn findings_produce_exactly_their_codes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/findings");
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("findings/README.md");
    let rows = rows(&readme);
    assert!(rows.len() > 30, "README table not understood");
    let (diags, texts) = check(&dir);
    let mut problems = Vec::new();
    let mut claimed = std::collections::BTreeSet::new();
    for row in &rows {
        let folder = row.file.ends_with('/');
        let mut got: BTreeMap<&str, usize> = BTreeMap::new();
        for (path, ds) in &diags {
            let mine = if folder {
                path.starts_with(&row.file)
            } else {
                *path == row.file
            };
            if !mine {
                continue;
            }
            claimed.insert(path.clone());
            for d in ds {
                *got.entry(d.code).or_default() += 1;
            }
        }
        for (code, n) in &row.expected {
            let have = got.get(code.as_str()).copied().unwrap_or(0);
            let alternative =
                row.instead && row.acceptable.iter().any(|a| got.contains_key(a.as_str()));
            let ok = match n {
                Some(n) => have == *n || (have == 0 && alternative),
                None => have > 0 || alternative,
            };
            if !ok {
                problems.push(format!("{}: expected {code} x{n:?}, got {have}", row.file));
            }
        }
        for code in got.keys() {
            let listed = row.expected.iter().any(|(c, _)| c == code)
                || row.acceptable.iter().any(|c| c == code);
            if !listed {
                problems.push(format!("{}: unexpected {code}", row.file));
            }
        }
    }
    for (path, ds) in &diags {
        if !claimed.contains(path)
            && !ds.is_empty()
            && path.ends_with(".md") | path.ends_with(".yaml")
        {
            problems.push(format!(
                "{path}: findings in a file the README does not list"
            ));
        }
    }
    let rendered = render(&diags, &texts);
    assert!(
        problems.is_empty(),
        "{}\n\nall diagnostics:\n{rendered}",
        problems.join("\n")
    );
    insta::assert_snapshot!("findings", rendered);
}
