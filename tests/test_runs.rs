//! `specls test` end to end, with real runners on small projects built in temporary folders:
//! pytest, cargo test, vitest and go test. Each project's spec has a scenario whose test
//! passes (linked by its name), one whose test fails (linked by an `@spec` marker), one whose
//! test is skipped, one with no test, and a test that no scenario names.
//!
//! For each: every test runs (per-scenario results snapshotted, durations and paths
//! normalised), then one scenario alone (only its test runs: the runner's filter works), then
//! the stored `last-run.json` keeps the other scenarios' earlier results.
//!
//! Tools: pytest comes from the machine or from a virtualenv this test creates under the target
//! folder; vitest@3 is installed with npm into a cache folder under the target folder (reused
//! between runs); go must be on PATH. A tool that cannot be had is reported and its test skips
//! (printed, never silently).

#[path = "common/runners.rs"]
mod runners;

use std::path::Path;
use std::process::Command;

use runners::{has, pytest_bin, scratch, skip, vitest_modules};

const SPEC: &str = "---
name: todo
---
# Todo

## Scenarios

### Scenario: Add an item
- Given an empty list
- When I add \"milk\"
- Then the list has 1 item

### Scenario: Remove an item
- Given a list with \"milk\"
- When I remove \"milk\"
- Then the list is empty

### Scenario: Clear the list
- Given a list with two items
- When I clear it
- Then the list is empty

### Scenario: Rename an item
- Given a list with \"milk\"
- When I rename it to \"oat milk\"
- Then the list has \"oat milk\"
";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "specs/todo.spec.md", SPEC);
    write(dir.path(), "specls.toml", "");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn specls(dir: &Path, args: &[&str], path_prefix: Option<&Path>, env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specls"));
    cmd.arg("test").args(args).current_dir(dir);
    if let Some(prefix) = path_prefix {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![prefix.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).unwrap());
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The per-scenario part of `specls test --format json`, without times and paths.
fn normalised(json: &str, root: &Path) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let scenarios: Vec<serde_json::Value> = v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut s = s.clone();
            let o = s.as_object_mut().unwrap();
            if o.contains_key("duration_ms") {
                o.insert("duration_ms".into(), "[ms]".into());
            }
            o.insert("run_at".into(), "[time]".into());
            if o.contains_key("output") {
                o.insert("output".into(), "[failure output]".into());
            }
            s
        })
        .collect();
    let root = root.to_string_lossy().to_string();
    serde_json::json!({
        "exit": v["exit"],
        "report": v["report"],
        "report_errors": v["report_errors"],
        "totals": v["totals"],
        "summary": v["summary"],
        "scenarios": scenarios,
        "command": v["command"].as_array().unwrap().iter()
            .map(|a| a.as_str().unwrap().replace(&root, "[root]"))
            .collect::<Vec<_>>(),
    })
}

/// Every test, then one scenario alone, then what the store kept.
fn check_project(name: &str, dir: &Path, path_prefix: Option<&Path>, env: &[(&str, &str)]) {
    // The command, without running it.
    let dry = specls(dir, &["--dry-run", "todo/remove-an-item"], path_prefix, env);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let root = dir.to_string_lossy().to_string();
    insta::assert_snapshot!(
        format!("test_runs_{name}_dry_run"),
        dry.stdout.replace(&root, "[root]")
    );
    assert!(
        !dir.join(".specls/results/last-run.json").exists(),
        "a dry run runs nothing"
    );

    // Everything.
    let all = specls(dir, &["--format", "json"], path_prefix, env);
    assert_eq!(
        all.code, 1,
        "a scenario failed: exit 1\n{}\n{}",
        all.stdout, all.stderr
    );
    assert!(
        all.stderr.contains("specls test: running `"),
        "the command is printed before it runs: {}",
        all.stderr
    );
    insta::assert_json_snapshot!(
        format!("test_runs_{name}_all"),
        normalised(&all.stdout, dir)
    );

    // Human form of the same results.
    let human = specls(dir, &["-q"], path_prefix, env);
    assert_eq!(human.code, 1, "{}", human.stderr);
    let summary_line = human
        .stdout
        .lines()
        .find(|l| l.contains(" scenarios: "))
        .unwrap_or_default()
        .to_string();
    // nextest leaves ignored tests out of its JUnit report: that scenario was not run.
    let nextest = name == "nextest";
    assert_eq!(
        summary_line,
        if nextest {
            "4 scenarios: 1 passed, 1 failed, 0 skipped, 1 not run, 1 untested"
        } else {
            "4 scenarios: 1 passed, 1 failed, 1 skipped, 0 not run, 1 untested"
        }
    );
    assert!(human
        .stdout
        .contains("  FAILED    todo/remove-an-item  Remove an item"));
    assert!(human.stdout.contains("  untested  todo/rename-an-item"));

    // One passing scenario alone: only its test runs, exit 0.
    let one = specls(
        dir,
        &["--format", "json", "todo/add-an-item"],
        path_prefix,
        env,
    );
    assert_eq!(one.code, 0, "{}\n{}", one.stdout, one.stderr);
    let v: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
    // Only the linked test ran (vitest reports the tests its `-t` filter left out as skipped).
    assert_eq!(v["totals"]["passed"], 1, "{}", one.stdout);
    assert_eq!(v["totals"]["failed"], 0, "{}", one.stdout);
    if name != "vitest" {
        assert_eq!(
            v["totals"]["results"], 1,
            "only the linked test ran: {}",
            one.stdout
        );
    }
    assert_eq!(v["scenarios"].as_array().unwrap().len(), 1);
    assert_eq!(v["scenarios"][0]["outcome"], "passed");

    // The store: this run's scenario, and the earlier results of the others.
    let last: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".specls/results/last-run.json")).unwrap(),
    )
    .unwrap();
    let outcomes: Vec<(String, String)> = last["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("todo/add-an-item", "passed"),
            ("todo/remove-an-item", "failed"),
            (
                "todo/clear-the-list",
                if nextest { "not-run" } else { "skipped" },
            ),
            ("todo/rename-an-item", "untested"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(last["selection"]["kind"], "scenarios");
    assert!(last["report"].is_string(), "the raw report is kept: {last}");
    let report = dir
        .join(".specls/results")
        .join(last["report"].as_str().unwrap());
    assert!(report.is_file());

    // Nothing linked: nothing runs.
    let none = specls(dir, &["todo/rename-an-item"], path_prefix, env);
    assert_eq!(none.code, 0);
    assert!(none.stdout.contains("nothing was run"), "{}", none.stdout);

    // Unknown ids are usage errors with a suggestion.
    let bad = specls(dir, &["todo/remove-an-itme"], path_prefix, env);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("did you mean `todo/remove-an-item`?"),
        "{}",
        bad.stderr
    );
}

// @spec run-tests-per-scenario
#[test]
fn python_with_pytest() {
    let bin = match pytest_bin() {
        Ok(b) => b,
        Err(e) => return skip(&format!("pytest: {e}")),
    };
    let dir = project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"todo\"\nversion = \"0.1.0\"\n",
        ),
        (
            "tests/test_todo.py",
            r#"import pytest


def test_add_an_item():
    items = []
    items.append("milk")
    assert len(items) == 1


# @spec todo/remove-an-item
def test_removal():
    items = ["milk"]
    assert items == [], "the list still has milk"


@pytest.mark.skip(reason="not written yet")
def test_clear_the_list():
    pass


def test_helper_is_not_a_scenario():
    pass
"#,
        ),
    ]);
    check_project("pytest", dir.path(), bin.as_deref(), &[]);
}

const RUST_LIB: &str = r#"pub fn add(items: &mut Vec<String>, item: &str) {
    items.push(item.to_string());
}

#[cfg(test)]
mod tests {
    #[test]
    fn add_an_item() {
        let mut items = Vec::new();
        super::add(&mut items, "milk");
        assert_eq!(items.len(), 1);
    }
}
"#;

const RUST_TESTS: &str = r#"// @spec todo/remove-an-item
#[test]
fn removal() {
    let items = vec!["milk"];
    assert!(items.is_empty(), "the list still has milk");
}

#[test]
#[ignore]
fn clear_the_list() {}

#[test]
fn helper_is_not_a_scenario() {}
"#;

#[test]
fn rust_with_cargo_test() {
    let target = scratch().join("cargo-target");
    let target_s = target.to_string_lossy().to_string();
    let dir = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"todo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        ("src/lib.rs", RUST_LIB),
        ("tests/todo.rs", RUST_TESTS),
    ]);
    // Its own target folder: the outer `cargo test` holds the lock of ours.
    check_project(
        "cargo",
        dir.path(),
        None,
        &[
            ("CARGO_TARGET_DIR", &target_s),
            ("CARGO_TERM_COLOR", "never"),
        ],
    );
}

#[test]
fn rust_with_cargo_nextest() {
    if !has("cargo-nextest", "--version") {
        return skip("cargo-nextest is not installed");
    }
    let target = scratch().join("nextest-target");
    let target_s = target.to_string_lossy().to_string();
    let dir = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"todo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        // The JUnit report nextest writes is what makes specls pick nextest over cargo test.
        (
            ".config/nextest.toml",
            "[profile.default.junit]\npath = \"junit.xml\"\n",
        ),
        ("src/lib.rs", RUST_LIB),
        ("tests/todo.rs", RUST_TESTS),
    ]);
    check_project(
        "nextest",
        dir.path(),
        None,
        &[
            ("CARGO_TARGET_DIR", &target_s),
            ("CARGO_TERM_COLOR", "never"),
        ],
    );
}

#[test]
fn typescript_with_vitest() {
    let modules = match vitest_modules() {
        Ok(m) => m,
        Err(e) => return skip(&e),
    };
    let dir = project(&[
        (
            "package.json",
            "{\n  \"name\": \"todo\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"devDependencies\": { \"vitest\": \"^3\" }\n}\n",
        ),
        (
            "tests/todo.test.ts",
            r#"import { describe, expect, it } from "vitest";

describe("todo", () => {
  it("Add an item", () => {
    const items: string[] = [];
    items.push("milk");
    expect(items.length).toBe(1);
  });

  // @spec todo/remove-an-item
  it("removes milk", () => {
    const items = ["milk"];
    expect(items, "the list still has milk").toEqual([]);
  });

  it.skip("Clear the list", () => {});

  it("helper is not a scenario", () => {});
});
"#,
        ),
    ]);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&modules, dir.path().join("node_modules")).unwrap();
    check_project("vitest", dir.path(), None, &[("CI", "true")]);
}

#[test]
fn go_with_go_test() {
    if !has("go", "version") {
        return skip("go is not on PATH");
    }
    let dir = project(&[
        ("go.mod", "module example.com/todo\n\ngo 1.19\n"),
        (
            "todo_test.go",
            r#"package todo

import "testing"

func TestAddAnItem(t *testing.T) {
	items := []string{}
	items = append(items, "milk")
	if len(items) != 1 {
		t.Fatalf("want 1 item, got %d", len(items))
	}
}

// @spec todo/remove-an-item
func TestRemoval(t *testing.T) {
	items := []string{"milk"}
	if len(items) != 0 {
		t.Errorf("the list still has milk")
	}
}

func TestClearTheList(t *testing.T) {
	t.Skip("not written yet")
}

func TestHelperIsNotAScenario(t *testing.T) {}
"#,
        ),
    ]);
    check_project(
        "go",
        dir.path(),
        None,
        &[("GOTOOLCHAIN", "local"), ("GOFLAGS", "-mod=mod")],
    );
}
